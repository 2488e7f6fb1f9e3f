-- 001 core: program runs and market data (ab-fetch).
-- Times are integer milliseconds since the Unix epoch, UTC.
CREATE TABLE runs (
	id INTEGER PRIMARY KEY,
	program TEXT NOT NULL,
	job TEXT,                      -- $AB_JOB, set by scripts/ab-run for cron jobs
	args TEXT NOT NULL,            -- JSON array, secrets masked
	pid INTEGER NOT NULL,
	started INTEGER NOT NULL,
	ended INTEGER,                 -- NULL while running (or killed)
	records_in INTEGER,
	records_out INTEGER,
	status INTEGER                 -- exit status; NULL while running
);
CREATE INDEX runs_program_started ON runs(program, started);
CREATE INDEX runs_job_started ON runs(job, started);

CREATE TABLE candles (
	exchange TEXT NOT NULL,
	symbol TEXT NOT NULL,
	tf TEXT NOT NULL,
	ts INTEGER NOT NULL,           -- open time of the candle
	open REAL NOT NULL,
	high REAL NOT NULL,
	low REAL NOT NULL,
	close REAL NOT NULL,
	volume REAL NOT NULL,
	PRIMARY KEY (exchange, symbol, tf, ts)
) WITHOUT ROWID;

CREATE TABLE markets (
	exchange TEXT NOT NULL,
	symbol TEXT NOT NULL,          -- unified BASE/QUOTE
	id TEXT NOT NULL,              -- the exchange's own name
	base TEXT NOT NULL,
	quote TEXT NOT NULL,
	active INTEGER NOT NULL,
	tick_size REAL,
	lot_size REAL,
	min_qty REAL,
	min_notional REAL,
	updated INTEGER NOT NULL,
	PRIMARY KEY (exchange, symbol)
) WITHOUT ROWID;

CREATE TABLE tickers (
	exchange TEXT NOT NULL,
	symbol TEXT NOT NULL,
	ts INTEGER NOT NULL,
	bid REAL, ask REAL, last REAL, high REAL, low REAL, open REAL,
	base_volume REAL, quote_volume REAL,
	PRIMARY KEY (exchange, symbol, ts)
) WITHOUT ROWID;

CREATE TABLE trades (
	exchange TEXT NOT NULL,
	symbol TEXT NOT NULL,
	id TEXT NOT NULL,
	ts INTEGER NOT NULL,
	side TEXT,
	price REAL NOT NULL,
	amount REAL NOT NULL,
	PRIMARY KEY (exchange, symbol, id)
) WITHOUT ROWID;

CREATE TABLE books (
	exchange TEXT NOT NULL,
	symbol TEXT NOT NULL,
	ts INTEGER NOT NULL,
	bids TEXT NOT NULL,            -- JSON [[price, qty], ...]
	asks TEXT NOT NULL,
	PRIMARY KEY (exchange, symbol, ts)
) WITHOUT ROWID;
