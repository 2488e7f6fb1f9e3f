#!/usr/bin/env bats
# ab-auth audit and secrets: the hash chain catches tampering; secrets stay sealed.
load helper

setup() {
	export PATH="$AB_BIN:$PATH" HOME="$BATS_TEST_TMPDIR/home"
	mkdir -p "$HOME"
	unset AB_NOW AB_TOKEN AB_JOB XDG_DATA_HOME AB_MASTER_KEY AB_MASTER_KEY_FILE
	export DB="$BATS_TEST_TMPDIR/test.db" T="$BATS_TEST_TMPDIR"
	export AB_DB="$DB" AB_PWHASH_LIMITS=min
	ab-auth init >/dev/null
	for u in alice bob carol; do
		echo 'audit-pass-9q!' | ab-auth user add $u --role trader >/dev/null
	done
	echo 'audit-pass-9q!' | ab-auth user add vic --role viewer >/dev/null
	# rows 1-2 key.init, 3-6 user.add
}

@test "ab-auth-audit: the log lists security events and its chain verifies" {
	run ab-auth audit
	assert_success
	assert_equal "${#lines[@]}" 6
	assert_line --index 2 --partial '"seq":3,'
	assert_line --index 2 --partial '"action":"user.add","object":"alice","detail":{"role":"trader"}'
	run ab-auth audit verify
	assert_success
	assert_output --partial '"ok":true,"rows":6,"problems":0,"seq":6'
	run ab-auth audit --since 2100-01-01
	assert_output ''
}

@test "ab-auth-audit: an edited row is caught and named" {
	sql "$DB" "UPDATE audit SET object='mallory' WHERE seq=4"
	run ab-auth audit verify
	assert_failure 65
	assert_output --partial 'ab-auth: audit: seq 4: contents do not match its hash (edited)'
	assert_output --partial '"ok":false'
	refute_output --partial 'seq 5'
}

@test "ab-auth-audit: a deleted row is caught and named" {
	sql "$DB" "DELETE FROM audit WHERE seq=3"
	run ab-auth audit verify
	assert_failure 65
	assert_output --partial 'seq 4: row 3 is missing (deleted)'
	assert_output --partial 'seq 4: does not link to the row before it'
}

@test "ab-auth-audit: reordered rows are caught" {
	sql "$DB" "UPDATE audit SET seq=-3 WHERE seq=3; UPDATE audit SET seq=3 WHERE seq=4; UPDATE audit SET seq=4 WHERE seq=-3"
	run ab-auth audit verify
	assert_failure 65
	assert_output --partial 'seq 3: does not link'
	assert_output --partial 'seq 3: contents do not match'
	assert_output --partial 'seq 4: contents do not match'
}

@test "ab-auth-audit: a truncated tail passes alone but not against an anchor" {
	ab-auth audit head >"$T/anchor"
	run ab-auth audit verify --anchor "$T/anchor"
	assert_success
	assert_output --partial '"anchor_seq":6'
	sql "$DB" "DELETE FROM audit WHERE seq >= 5"
	run ab-auth audit verify
	assert_success
	run ab-auth audit verify --anchor "$T/anchor"
	assert_failure 65
	assert_output --partial "the anchor's row 6 is gone: the log ends at 4 (tail truncated)"
}

@test "ab-auth-audit: a rewritten and rehashed chain is caught by the anchor" {
	ab-auth audit head >"$T/anchor"
	# Rebuild the log with a forged row 6 and a valid chain: only the anchor knows.
	sql "$DB" "UPDATE audit SET object='mallory' WHERE seq=6"
	h5=$(sql "$DB" "SELECT hex(hash) FROM audit WHERE seq=5")
	/usr/bin/python3 - "$DB" <<'PY'
import hashlib, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
seq, ts, actor, action, obj, detail, prev = db.execute(
    "SELECT seq, ts, actor, action, object, detail, prev FROM audit WHERE seq=6").fetchone()
h = hashlib.sha256(prev)
for f in (str(seq), str(ts), actor, action, obj, detail):
    b = f.encode()
    h.update(len(b).to_bytes(8, "big") + b)
db.execute("UPDATE audit SET hash=? WHERE seq=6", (h.digest(),))
db.commit()
PY
	run ab-auth audit verify
	assert_success
	run ab-auth audit verify --anchor "$T/anchor"
	assert_failure 65
	assert_output --partial "seq 6: differs from the anchor's head (chain rewritten)"
}

@test "ab-auth-audit: secrets are sealed: the database never holds the plaintext" {
	export AB_MASTER_KEY='correct horse battery staple'
	run pipeline "printf 'BINANCE-SECRET-0123456789abcdef' | ab-auth secret set binance"
	assert_success
	assert_output --partial '"type":"secret","name":"binance"'
	sqlite3 "$DB" 'PRAGMA wal_checkpoint(TRUNCATE)' >/dev/null
	! grep -a -q 'BINANCE-SECRET' "$DB"
	! grep -a -q 'BINANCE-SECRET' "$DB-wal" 2>/dev/null
	! grep -a -q 'correct horse' "$DB"
	! sql "$DB" "SELECT args FROM runs" | grep -q 'BINANCE'
	export AB_TOKEN=$(echo 'audit-pass-9q!' | ab-auth login alice)
	run ab-auth secret get binance
	assert_success
	assert_output 'BINANCE-SECRET-0123456789abcdef'
	run ab-auth secret list
	assert_output --partial '"name":"binance"'
	[ "$(sql "$DB" "SELECT actor||' '||object FROM audit WHERE action='secret.get'")" = 'alice binance' ]
}

@test "ab-auth-audit: secret get requires secret:read" {
	export AB_MASTER_KEY='correct horse battery staple'
	printf 'value-1' | ab-auth secret set shop >/dev/null
	run ab-auth secret get shop
	assert_failure 77
	assert_output --partial '"secret:read" needs a token'
	AB_TOKEN=$(echo 'audit-pass-9q!' | ab-auth login vic) run ab-auth secret get shop
	assert_failure 77
	assert_output --partial '"secret:read" is not granted to "vic"'
	run ab-auth secret set shop value-on-argv
	assert_failure 64
}

@test "ab-auth-audit: a wrong master key, a loose key file, a moved box are refused" {
	printf 'a long random master key\n' >"$T/master.key"
	chmod 600 "$T/master.key"
	export AB_MASTER_KEY_FILE="$T/master.key"
	printf 'kraken-value' | ab-auth secret set kraken >/dev/null
	printf 'binance-value' | ab-auth secret set binance >/dev/null
	export AB_TOKEN=$(echo 'audit-pass-9q!' | ab-auth login alice)
	run ab-auth secret get kraken
	assert_output 'kraken-value'
	chmod 644 "$T/master.key"
	run ab-auth secret get kraken
	assert_failure 77
	assert_output --partial 'accessible to others'
	chmod 600 "$T/master.key"
	unset AB_MASTER_KEY_FILE
	AB_MASTER_KEY=guess run ab-auth secret get kraken
	assert_failure 77
	assert_output --partial 'wrong master key'
	export AB_MASTER_KEY_FILE="$T/master.key"
	sql "$DB" "UPDATE secrets SET box=(SELECT box FROM secrets WHERE name='binance'), nonce=(SELECT nonce FROM secrets WHERE name='binance') WHERE name='kraken'"
	run ab-auth secret get kraken
	assert_failure 65
	assert_output --partial 'does not decrypt'
	unset AB_TOKEN
	run ab-auth secret del kraken
	assert_success
	run ab-auth secret list
	refute_output --partial kraken
	[ "$(sql "$DB" "SELECT count(*) FROM audit WHERE action LIKE 'secret.%'")" = 4 ]
}
