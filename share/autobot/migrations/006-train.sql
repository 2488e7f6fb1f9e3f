-- 006 train: the tables ab-train owns (see DESIGN.md and ab-train(1)).
-- Times are integer milliseconds since the Unix epoch, UTC.

-- Trained models, versioned per name (1, 2, ...). weights is the flat
-- parameter array as little-endian IEEE doubles (layout in hyper), sha256 its
-- hex checksum; hyper, features, norm and the metrics are JSON objects.
CREATE TABLE models (
	id INTEGER PRIMARY KEY,
	name TEXT NOT NULL,
	version INTEGER NOT NULL CHECK (version >= 1),
	parent INTEGER REFERENCES models(id) ON DELETE SET NULL,
	created INTEGER NOT NULL,      -- ms since the epoch
	env TEXT NOT NULL,
	hyper TEXT NOT NULL,
	features TEXT NOT NULL,
	norm TEXT NOT NULL,
	train_metrics TEXT NOT NULL DEFAULT '{}',
	valid_metrics TEXT NOT NULL DEFAULT '{}',
	weights BLOB NOT NULL,
	sha256 TEXT NOT NULL,
	UNIQUE (name, version)
);

-- Tags name a version (NAME@TAG), e.g. "prod"; a tag points at one version.
CREATE TABLE model_tags (
	name TEXT NOT NULL,
	tag TEXT NOT NULL,
	model_id INTEGER NOT NULL REFERENCES models(id) ON DELETE CASCADE,
	PRIMARY KEY (name, tag)
);

-- One row per `ab-train ppo` invocation.
CREATE TABLE train_runs (
	id INTEGER PRIMARY KEY,
	run_id INTEGER,                 -- runs.id of the invocation
	model_id INTEGER REFERENCES models(id) ON DELETE SET NULL,
	env TEXT NOT NULL,
	seed INTEGER NOT NULL,
	steps INTEGER NOT NULL,
	hyper TEXT NOT NULL,
	started INTEGER NOT NULL,
	finished INTEGER NOT NULL,
	seconds REAL NOT NULL,
	mean_return_100 REAL
);

-- One row per PPO update.
CREATE TABLE train_metrics (
	train_run INTEGER NOT NULL REFERENCES train_runs(id) ON DELETE CASCADE,
	update_no INTEGER NOT NULL,
	step INTEGER NOT NULL,
	episodes INTEGER NOT NULL,
	mean_return REAL,
	mean_return_100 REAL,
	policy_loss REAL,
	value_loss REAL,
	entropy REAL,
	approx_kl REAL,
	clip_fraction REAL,
	explained_variance REAL,
	sps REAL,
	valid_score REAL,
	PRIMARY KEY (train_run, update_no)
);
