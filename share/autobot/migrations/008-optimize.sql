-- 008 optimize: ab-order optimize's sweeps and the parameters made live.
-- Times are integer milliseconds since the Unix epoch, UTC.

-- One row per `ab-order optimize --db` run (a shard, a merge or a whole
-- sweep); id is the run's runs.id, the RUN_ID that --apply takes.
CREATE TABLE optimizations (
	id INTEGER PRIMARY KEY,
	strategy TEXT NOT NULL,         -- sma-cross, ...
	grid TEXT NOT NULL,             -- the --grid text
	constraints TEXT,               -- the --constraint expressions, or NULL
	objective TEXT NOT NULL,        -- sharpe, sortino, return, calmar
	exchange TEXT, symbol TEXT, tf TEXT,
	start INTEGER, end INTEGER,     -- the candles read
	train_until INTEGER,            -- the first test candle's time (NULL: no test period)
	walk_forward TEXT,              -- "WINDOW,STEP" or NULL
	shard TEXT,                     -- "I/N" or NULL
	combinations INTEGER NOT NULL,  -- the grid's combinations (all shards)
	trials INTEGER NOT NULL,        -- those this run tried
	best_params TEXT,               -- JSON object
	train TEXT, test TEXT,          -- the winner's statistics (JSON objects)
	deflated_sharpe REAL,
	record TEXT NOT NULL,           -- the optimization record as printed
	created INTEGER NOT NULL
);

-- One row per combination tried: the heat map's cells.
CREATE TABLE trials (
	optimization_id INTEGER NOT NULL REFERENCES optimizations(id) ON DELETE CASCADE,
	idx INTEGER NOT NULL,           -- the combination's index in the whole grid
	params TEXT NOT NULL,           -- JSON object: json_extract(params, '$.fast')
	objective REAL,                 -- on the training period
	test_objective REAL,            -- the same statistic on the test period
	record TEXT NOT NULL,           -- the trial record as printed
	PRIMARY KEY (optimization_id, idx)
) WITHOUT ROWID;

-- Parameters made live by `ab-order optimize --apply RUN_ID --as NAME`:
-- append-only, the newest row of a name is the live one, read by
-- `ab-signal strategy --from-db NAME`.
CREATE TABLE strategy_params (
	id INTEGER PRIMARY KEY,
	name TEXT NOT NULL,
	strategy TEXT NOT NULL,
	params TEXT NOT NULL,           -- JSON object
	optimization_id INTEGER REFERENCES optimizations(id),
	applied_by TEXT NOT NULL,       -- the token's subject
	applied INTEGER NOT NULL
);
CREATE INDEX strategy_params_name ON strategy_params(name, id);
CREATE TRIGGER strategy_params_no_update BEFORE UPDATE ON strategy_params
BEGIN SELECT RAISE(ABORT, 'strategy_params is append-only'); END;
CREATE TRIGGER strategy_params_no_delete BEFORE DELETE ON strategy_params
BEGIN SELECT RAISE(ABORT, 'strategy_params is append-only'); END;

-- Applying parameters changes what the live and paper pipelines trade: its
-- own permission, held by the roles that trade.
INSERT INTO role_perms(role, perm) VALUES ('admin', 'strategy:apply'), ('trader', 'strategy:apply');
