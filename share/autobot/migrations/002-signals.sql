-- 002 signals: the tables ab-signal owns (see DESIGN.md).
-- One row per signal fired on a closed candle; times are integer milliseconds
-- since the Unix epoch, UTC. Re-running the same strategy over the same candles
-- replaces its rows instead of adding copies.
CREATE TABLE signals (
	exchange TEXT NOT NULL,
	symbol TEXT NOT NULL,
	tf TEXT NOT NULL,
	ts INTEGER NOT NULL,           -- open time of the candle the signal fired on
	strategy TEXT NOT NULL,        -- built-in name, strategy file name, or "jq"
	signal TEXT NOT NULL CHECK (signal IN ('buy', 'sell')),
	price REAL NOT NULL,           -- the candle's close
	run_id INTEGER REFERENCES runs(id),
	created INTEGER NOT NULL,
	PRIMARY KEY (exchange, symbol, tf, ts, strategy)
) WITHOUT ROWID;
CREATE INDEX signals_strategy_ts ON signals(strategy, ts);
