-- 007 price: the tables ab-price owns (see DESIGN.md).
-- Money is integer minor units of the row's currency; times are integer
-- milliseconds since the Unix epoch, UTC.

-- Every price change `ab-price apply` made: append-only, newest last.
CREATE TABLE prices (
	id INTEGER PRIMARY KEY,
	ts INTEGER NOT NULL,
	sku TEXT NOT NULL,
	currency TEXT NOT NULL,
	old INTEGER,                   -- NULL when the SKU had no price
	new INTEGER NOT NULL,
	source TEXT NOT NULL,          -- optimize, markdown, experiment, manual
	reason TEXT NOT NULL,
	who TEXT NOT NULL,             -- the token's subject, else local:USER
	run INTEGER                    -- runs.id of the invocation
);
CREATE INDEX prices_sku_ts ON prices(sku, ts);
CREATE TRIGGER prices_no_update BEFORE UPDATE ON prices
BEGIN SELECT RAISE(ABORT, 'prices is append-only'); END;
CREATE TRIGGER prices_no_delete BEFORE DELETE ON prices
BEGIN SELECT RAISE(ABORT, 'prices is append-only'); END;

-- The latest demand estimate per SKU (scope 'sku') or category (scope
-- 'category'): log-log OLS, ln units = intercept + elasticity * ln price.
CREATE TABLE elasticities (
	scope TEXT NOT NULL CHECK (scope IN ('sku', 'category')),
	name TEXT NOT NULL,
	category TEXT,
	ts INTEGER NOT NULL,
	elasticity REAL,               -- NULL when it could not be estimated
	se REAL,
	ci_lo REAL,
	ci_hi REAL,
	n INTEGER NOT NULL,
	r2 REAL,
	intercept REAL,                -- ln weekly units at price 1 (major units)
	sigma REAL,                    -- residual standard deviation (log units)
	method TEXT NOT NULL,          -- ols, pooled, none
	reason TEXT,
	run INTEGER,
	PRIMARY KEY (scope, name)
) WITHOUT ROWID;

-- Recommendations made by optimize, markdown and experiment next.
CREATE TABLE price_recs (
	id INTEGER PRIMARY KEY,
	ts INTEGER NOT NULL,
	sku TEXT NOT NULL,
	currency TEXT NOT NULL,
	current INTEGER,
	recommended INTEGER,           -- NULL: leave the price alone (see reason)
	elasticity REAL,
	se REAL,
	source TEXT NOT NULL,          -- optimize, markdown, experiment
	reason TEXT NOT NULL,
	record TEXT NOT NULL,          -- the price_rec record as printed
	run INTEGER
);
CREATE INDEX price_recs_sku_ts ON price_recs(sku, ts);

-- Thompson-sampling price experiments: one running experiment per SKU.
CREATE TABLE experiments (
	id INTEGER PRIMARY KEY,
	sku TEXT NOT NULL,
	currency TEXT NOT NULL,
	status TEXT NOT NULL CHECK (status IN ('running', 'stopped')),
	objective TEXT NOT NULL CHECK (objective IN ('revenue', 'profit')),
	cost INTEGER,                  -- unit cost for the profit objective
	stock INTEGER,                 -- units to sell by `until` (NULL: no limit)
	until INTEGER,
	prior_shape REAL NOT NULL,     -- Gamma prior on daily units at each price
	prior_rate REAL NOT NULL,
	arm INTEGER,                   -- the arm in force since `since`
	since INTEGER,
	started INTEGER NOT NULL,
	stopped INTEGER
);
CREATE UNIQUE INDEX experiments_running ON experiments(sku) WHERE status = 'running';

CREATE TABLE experiment_arms (
	experiment INTEGER NOT NULL REFERENCES experiments(id),
	arm INTEGER NOT NULL,
	price INTEGER NOT NULL,
	shape REAL NOT NULL,           -- Gamma posterior: prior_shape + units
	rate REAL NOT NULL,            -- prior_rate + days offered
	units INTEGER NOT NULL DEFAULT 0,
	days REAL NOT NULL DEFAULT 0,
	chosen INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (experiment, arm)
) WITHOUT ROWID;
