-- 005 orders: the tables ab-order owns (see DESIGN.md and ab-order(1)).
-- Times are integer milliseconds since the Unix epoch, UTC. Paper and live
-- state is kept per portfolio (--name); backtests keep their fills and equity
-- curve under their backtests row.
CREATE TABLE backtests (
	id INTEGER PRIMARY KEY,
	name TEXT NOT NULL,
	run_id INTEGER REFERENCES runs(id),
	exchange TEXT, symbol TEXT, tf TEXT,
	start INTEGER, end INTEGER,
	candles INTEGER NOT NULL DEFAULT 0,
	trades INTEGER NOT NULL DEFAULT 0,
	cash REAL NOT NULL,
	final_equity REAL, total_return REAL, cagr REAL, sharpe REAL, sortino REAL,
	max_drawdown REAL, win_rate REAL, profit_factor REAL, exposure REAL, fees REAL,
	params TEXT NOT NULL,          -- JSON array of the command line
	created INTEGER NOT NULL
);
CREATE INDEX backtests_name ON backtests(name, created);

CREATE TABLE equity (
	backtest_id INTEGER NOT NULL REFERENCES backtests(id) ON DELETE CASCADE,
	ts INTEGER NOT NULL,
	equity REAL NOT NULL,
	cash REAL NOT NULL,
	position REAL NOT NULL,
	close REAL NOT NULL,
	PRIMARY KEY (backtest_id, ts)
) WITHOUT ROWID;

CREATE TABLE orders (
	id INTEGER PRIMARY KEY,
	client_id TEXT NOT NULL,       -- deterministic: portfolio, exchange, symbol, signal time, side
	mode TEXT NOT NULL CHECK (mode IN ('paper', 'live')),
	portfolio TEXT NOT NULL,
	exchange TEXT NOT NULL,
	symbol TEXT NOT NULL,
	side TEXT NOT NULL CHECK (side IN ('buy', 'sell')),
	type TEXT NOT NULL DEFAULT 'market',
	qty REAL NOT NULL,
	price REAL,                    -- limit price; NULL for market orders
	status TEXT NOT NULL CHECK (status IN ('new', 'open', 'partially_filled', 'filled',
		'canceled', 'rejected', 'expired', 'unknown')),
	reason TEXT,                   -- why rejected, or what placed it (signal, stop-loss, ...)
	filled REAL NOT NULL DEFAULT 0,
	avg_price REAL,
	exchange_id TEXT,              -- the exchange's order id, once known
	signal_ts INTEGER,
	stop_dist REAL,                -- risk sizing: the stop's distance for the entry
	entry INTEGER NOT NULL DEFAULT 0,
	created INTEGER NOT NULL,
	updated INTEGER NOT NULL,
	UNIQUE (mode, client_id)
);
CREATE INDEX orders_status ON orders(mode, portfolio, status);

CREATE TABLE fills (
	id INTEGER PRIMARY KEY,
	backtest_id INTEGER REFERENCES backtests(id) ON DELETE CASCADE,
	order_id INTEGER REFERENCES orders(id),
	mode TEXT NOT NULL CHECK (mode IN ('backtest', 'paper', 'live')),
	portfolio TEXT NOT NULL,
	exchange TEXT NOT NULL,
	symbol TEXT NOT NULL,
	ts INTEGER NOT NULL,
	side TEXT NOT NULL CHECK (side IN ('buy', 'sell')),
	qty REAL NOT NULL,
	price REAL NOT NULL,
	fee REAL NOT NULL,
	cash_after REAL,
	position_after REAL,
	pnl REAL NOT NULL DEFAULT 0,   -- realised PnL of the part it closed, before fees
	reason TEXT,
	trade_id TEXT,                 -- the exchange's fill id (live), for idempotent sync
	UNIQUE (mode, exchange, trade_id)
);
CREATE INDEX fills_backtest ON fills(backtest_id);
CREATE INDEX fills_portfolio_ts ON fills(mode, portfolio, ts);

CREATE TABLE positions (
	mode TEXT NOT NULL,
	portfolio TEXT NOT NULL,
	exchange TEXT NOT NULL,
	symbol TEXT NOT NULL,
	qty REAL NOT NULL,             -- signed units
	avg_price REAL NOT NULL,
	realized_pnl REAL NOT NULL,
	last_price REAL,
	last_ts INTEGER,               -- the last candle seen: later runs start after it
	stop REAL, take REAL, extreme REAL,
	trade_pnl REAL NOT NULL DEFAULT 0,
	updated INTEGER NOT NULL,
	PRIMARY KEY (mode, portfolio, exchange, symbol)
) WITHOUT ROWID;

CREATE TABLE balances (
	mode TEXT NOT NULL,
	portfolio TEXT NOT NULL,
	asset TEXT NOT NULL,           -- the quote currency
	cash REAL NOT NULL,
	fees REAL NOT NULL DEFAULT 0,
	peak REAL NOT NULL,            -- highest equity marked
	marked REAL NOT NULL DEFAULT 0, -- equity at the last close marked
	day INTEGER NOT NULL DEFAULT 0,
	day_start REAL NOT NULL DEFAULT 0,
	reduce_only INTEGER NOT NULL DEFAULT 0,
	updated INTEGER NOT NULL,
	PRIMARY KEY (mode, portfolio, asset)
) WITHOUT ROWID;

-- The kill switch: a row here stops all new orders (portfolio '*' : every one).
CREATE TABLE halts (
	portfolio TEXT PRIMARY KEY,
	reason TEXT,
	actor TEXT,
	ts INTEGER NOT NULL
);
