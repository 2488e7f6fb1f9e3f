-- 004 inventory: the tables ab-inventory owns (see DESIGN.md).
-- Money is integer minor units of the row's currency (cents; yen for JPY).
-- Times are integer milliseconds since the Unix epoch, UTC.
CREATE TABLE products (
	sku TEXT PRIMARY KEY,
	title TEXT NOT NULL,
	category TEXT,
	vendor TEXT,
	cost INTEGER,                  -- unit cost, minor units; NULL if unknown
	price INTEGER,                 -- list price, minor units
	currency TEXT NOT NULL,        -- ISO 4217
	status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'draft', 'archived')),
	backorder INTEGER NOT NULL DEFAULT 0,  -- 1: orders may take available below zero
	created INTEGER NOT NULL,
	updated INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX products_category ON products(category);

CREATE TABLE locations (
	name TEXT PRIMARY KEY,
	created INTEGER NOT NULL
) WITHOUT ROWID;

-- The stock ledger: append-only. qty is the signed change to on_hand
-- (receipt, sale, return, adjust, transfer) or to reserved (reserve, release).
CREATE TABLE stock_moves (
	id INTEGER PRIMARY KEY,
	ts INTEGER NOT NULL,
	sku TEXT NOT NULL REFERENCES products(sku),
	location TEXT NOT NULL REFERENCES locations(name),
	kind TEXT NOT NULL CHECK (kind IN ('receipt', 'sale', 'return', 'adjust',
		'transfer', 'reserve', 'release')),
	qty INTEGER NOT NULL,
	unit_cost INTEGER,             -- receipts: what each unit cost
	unit_price INTEGER,            -- sales and returns: what each unit sold for
	order_id TEXT,                 -- sale, return, reserve, release
	reason TEXT,                   -- adjust: why; transfer: the other location
	run INTEGER                    -- runs.id of the invocation that wrote it
);
CREATE INDEX stock_moves_sku_ts ON stock_moves(sku, ts);
CREATE TRIGGER stock_moves_no_update BEFORE UPDATE ON stock_moves
BEGIN SELECT RAISE(ABORT, 'stock_moves is append-only'); END;
CREATE TRIGGER stock_moves_no_delete BEFORE DELETE ON stock_moves
BEGIN SELECT RAISE(ABORT, 'stock_moves is append-only'); END;

-- A cache of the ledger's sums per SKU and location, kept by the trigger
-- below; `ab-inventory verify` recomputes it from stock_moves and compares.
CREATE TABLE stock (
	sku TEXT NOT NULL,
	location TEXT NOT NULL,
	on_hand INTEGER NOT NULL DEFAULT 0,
	reserved INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (sku, location)
) WITHOUT ROWID;
CREATE TRIGGER stock_moves_cache AFTER INSERT ON stock_moves
BEGIN
	INSERT INTO stock(sku, location, on_hand, reserved)
	VALUES (NEW.sku, NEW.location,
		CASE WHEN NEW.kind IN ('reserve', 'release') THEN 0 ELSE NEW.qty END,
		CASE WHEN NEW.kind IN ('reserve', 'release') THEN NEW.qty ELSE 0 END)
	ON CONFLICT (sku, location) DO UPDATE SET
		on_hand = on_hand + excluded.on_hand,
		reserved = reserved + excluded.reserved;
END;

-- Customer orders; status: pending, paid, fulfilled, cancelled, refunded,
-- rejected (could not be reserved; feeding it again retries).
CREATE TABLE shop_orders (
	id TEXT PRIMARY KEY,
	ts INTEGER NOT NULL,
	customer TEXT,
	currency TEXT NOT NULL,
	status TEXT NOT NULL CHECK (status IN ('pending', 'paid', 'fulfilled',
		'cancelled', 'refunded', 'rejected')),
	location TEXT NOT NULL,
	total INTEGER NOT NULL,        -- sum of qty * price over the lines
	source TEXT NOT NULL,          -- jsonl, shopify, woocommerce
	created INTEGER NOT NULL,
	updated INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX shop_orders_ts ON shop_orders(ts);

CREATE TABLE shop_order_lines (
	order_id TEXT NOT NULL REFERENCES shop_orders(id),
	line INTEGER NOT NULL,
	sku TEXT NOT NULL REFERENCES products(sku),
	qty INTEGER NOT NULL CHECK (qty > 0),
	price INTEGER NOT NULL,        -- unit price paid
	cost INTEGER,                  -- unit cost when ordered, for margins
	PRIMARY KEY (order_id, line)
) WITHOUT ROWID;
CREATE INDEX shop_order_lines_sku ON shop_order_lines(sku);
