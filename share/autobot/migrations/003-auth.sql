-- 003 auth: the tables ab-auth owns (see DESIGN.md and man/ab-auth.1).
-- Times are integer milliseconds since the Unix epoch, UTC, except where named _s or _ns.
CREATE TABLE roles (
	name TEXT PRIMARY KEY,
	builtin INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;

CREATE TABLE role_perms (
	role TEXT NOT NULL REFERENCES roles(name) ON DELETE CASCADE,
	perm TEXT NOT NULL,
	PRIMARY KEY (role, perm)
) WITHOUT ROWID;

INSERT INTO roles(name, builtin) VALUES ('admin', 1), ('trader', 1), ('merchant', 1), ('viewer', 1);
INSERT INTO role_perms(role, perm) VALUES
	('admin', 'order:live'), ('admin', 'order:paper'), ('admin', 'price:apply'),
	('admin', 'inventory:write'), ('admin', 'report:view'), ('admin', 'user:admin'),
	('admin', 'secret:read'), ('admin', 'secret:write'), ('admin', 'audit:view'),
	('trader', 'order:live'), ('trader', 'order:paper'), ('trader', 'report:view'),
	('trader', 'secret:read'),
	('merchant', 'price:apply'), ('merchant', 'inventory:write'), ('merchant', 'report:view'),
	('viewer', 'report:view');

CREATE TABLE users (
	name TEXT PRIMARY KEY,
	role TEXT NOT NULL REFERENCES roles(name),
	pwhash TEXT NOT NULL,          -- crypto_pwhash_str (Argon2id) string
	locked INTEGER NOT NULL DEFAULT 0,
	token_version INTEGER NOT NULL DEFAULT 1, -- bumped to revoke every token of the user
	created INTEGER NOT NULL,
	updated INTEGER NOT NULL
) WITHOUT ROWID;

-- Signing and verification keys. alg is bound to the key (RFC 8725 3.1).
CREATE TABLE keys (
	kid TEXT PRIMARY KEY,
	alg TEXT NOT NULL CHECK (alg IN ('EdDSA', 'HS256')),
	status TEXT NOT NULL CHECK (status IN ('active', 'retired', 'verify')),
	public BLOB,                   -- Ed25519 public key (NULL for HS256)
	secret BLOB,                   -- Ed25519 seed or HMAC key (NULL: verify-only)
	created INTEGER NOT NULL
) WITHOUT ROWID;

-- Issued tokens (by jti), so every token of a user can be listed and revoked.
CREATE TABLE tokens (
	jti TEXT PRIMARY KEY,
	sub TEXT NOT NULL,
	kid TEXT NOT NULL,
	iat_s INTEGER NOT NULL,
	exp_s INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX tokens_sub ON tokens(sub);

CREATE TABLE revoked (
	jti TEXT PRIMARY KEY,
	exp_s INTEGER,                 -- may be pruned after this
	revoked INTEGER NOT NULL
) WITHOUT ROWID;

-- GCRA state: the theoretical arrival time per key, in ns.
CREATE TABLE rate_limits (
	key TEXT PRIMARY KEY,
	tat_ns INTEGER NOT NULL
) WITHOUT ROWID;

-- Append-only, hash-chained: hash = SHA-256(prev || fields, each length-prefixed).
CREATE TABLE audit (
	seq INTEGER PRIMARY KEY,
	ts INTEGER NOT NULL,
	actor TEXT NOT NULL,
	action TEXT NOT NULL,
	object TEXT NOT NULL DEFAULT '',
	detail TEXT NOT NULL DEFAULT '{}',
	prev BLOB NOT NULL,
	hash BLOB NOT NULL
);
CREATE INDEX audit_ts ON audit(ts);

-- Secrets sealed with crypto_secretbox; the box holds "NAME\0VALUE".
CREATE TABLE secrets (
	name TEXT PRIMARY KEY,
	nonce BLOB NOT NULL,
	box BLOB NOT NULL,
	created INTEGER NOT NULL,
	updated INTEGER NOT NULL
) WITHOUT ROWID;

-- Parameters of the master-key derivation (Argon2id salt and limits) and
-- a sealed check value that tells a wrong master key from a damaged row.
CREATE TABLE secret_kdf (
	id INTEGER PRIMARY KEY CHECK (id = 1),
	salt BLOB NOT NULL,
	opslimit INTEGER NOT NULL,
	memlimit INTEGER NOT NULL,
	check_nonce BLOB NOT NULL,
	check_box BLOB NOT NULL
);
