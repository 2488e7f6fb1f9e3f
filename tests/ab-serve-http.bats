#!/usr/bin/env bats
# ab-serve serving: security headers, content types, no traversal or listings,
# limits, a burst of requests, and the login (--auth).

load helper
load ab-serve-lib

setup_file() {
	export PATH="$AB_BIN:$PATH"
	ensure_chartjs
	export SITE_DB="$BATS_FILE_TMPDIR/site.db" SITE="$BATS_FILE_TMPDIR/site"
	AB_NOW=2024-05-01T00:00:00Z seeded_db "$SITE_DB"
	AB_NOW=2024-05-01T00:00:00Z ab-serve build --db "$SITE_DB" --out "$SITE" >/dev/null
	echo "root:x:0:0:secret outside the site" >"$BATS_FILE_TMPDIR/passwd"
	ln -s "$BATS_FILE_TMPDIR/passwd" "$SITE/escape.txt"
	export PORT
	PORT=$(free_port)
	# bounded lifetime: the server ends by itself after 120 s at most (40
	# minutes under scripts/valgrind-check)
	timeout $((AB_VALGRIND ? 2400 : 120)) ab-serve --listen "127.0.0.1:$PORT" --dir "$SITE" 2>"$BATS_FILE_TMPDIR/server.log" &
	echo $! >"$BATS_FILE_TMPDIR/server.pid"
	wait_port "$PORT"
}

teardown_file() {
	kill "$(cat "$BATS_FILE_TMPDIR/server.pid")" 2>/dev/null || true
}

teardown() {
	[ -f "$T/auth.pid" ] && kill "$(cat "$T/auth.pid")" 2>/dev/null || true
}

get() { # PATH [curl options...]: prints the status code, body in $T/body, headers in $T/headers
	local path=$1
	shift
	curl -s --path-as-is -o "$T/body" -D "$T/headers" -w '%{http_code}' "$@" "http://127.0.0.1:$PORT$path"
}

header() { # NAME: the value of a response header
	grep -i "^$1:" "$T/headers" | head -1 | cut -d' ' -f2- | tr -d '\r'
}

@test "ab-serve: serves the site with security headers" {
	run get /
	assert_output 200
	grep -q '<h1>Dashboard</h1>' "$T/body"
	run header Content-Type
	assert_output "text/html; charset=utf-8"
	run header Content-Security-Policy
	assert_output --partial "script-src 'self'"
	assert_output --partial "frame-ancestors 'none'"
	assert_output --partial "default-src 'none'"
	refute_output --partial "unsafe-inline"
	run header X-Content-Type-Options
	assert_output nosniff
	run header X-Frame-Options
	assert_output DENY
	run header Referrer-Policy
	assert_output no-referrer
}

@test "ab-serve: content types follow the file" {
	run get /assets/style.css
	assert_output 200
	run header Content-Type
	assert_output "text/css; charset=utf-8"
	run get /assets/chart.umd.js
	assert_output 200
	run header Content-Type
	assert_output "text/javascript; charset=utf-8"
	cmp "$T/body" "$SITE/assets/chart.umd.js"
	run get /trading.html
	assert_output 200
	run header X-Content-Type-Options
	assert_output nosniff
}

@test "ab-serve: traversal attempts are refused" {
	for p in '/../../../../etc/passwd' '/assets/../../passwd' '/../passwd' '/%2e%2e/passwd' \
		'/%2E%2E/%2E%2E/etc/passwd' '/..%2fpasswd' '/assets/..%2f..%2fpasswd' '/%2e%2e%2f%2e%2e%2fetc%2fpasswd' \
		'/..%5cpasswd' '/assets/%2e%2e%5c%2e%2e%5cpasswd' '/%252e%252e/passwd' '/.%2e/passwd' \
		'/escape.txt' '//etc/passwd' '/index.html%00.png' '/assets/.hidden'; do
		run get "$p"
		[ "$output" != 200 ] || fail "$p answered 200"
		[ "$output" -ge 400 ] || fail "$p answered $output"
		! grep -q 'root:' "$T/body" || fail "$p leaked the file"
		! grep -q 'root:' "$T/headers" || fail "$p leaked the file"
	done
}

@test "ab-serve: folders are never listed" {
	run get /assets/
	assert_output 404
	refute grep -q 'chart.umd.js' "$T/body"
	run get /assets
	assert_output 404
	run get /nope.html
	assert_output 404
	run header Content-Security-Policy
	assert_output --partial "frame-ancestors 'none'"
}

@test "ab-serve: only GET and HEAD without --auth" {
	run get /index.html -X DELETE
	assert_output 405
	run header Allow
	assert_output "GET, HEAD"
	run get /login -d name=x
	assert_output 405
	run get /index.html -I
	assert_output 200
}

@test "ab-serve: oversized requests are refused" {
	big=$(head -c 70000 /dev/zero | tr '\0' a)
	run get /index.html -H "X-Big: $big"
	[ "$output" -ge 400 ] || fail "a 70 kB header answered $output"
	run get /index.html
	assert_output 200
}

@test "ab-serve: a burst of 1,000 requests on loopback is all answered" {
	run bash -c "seq 1000 | xargs -P 16 -I{} curl -s -o /dev/null -w '%{http_code}\n' \
		--max-time 20 'http://127.0.0.1:$PORT/trading.html?{}' | sort | uniq -c"
	assert_success
	assert_output --regexp '^ *1000 200$'
}

# auth_server [OPTIONS]: a --auth server on a fresh copy of the database.
auth_server() {
	cp "$SITE_DB" "$DB"
	export AB_PWHASH_LIMITS=min
	ab-auth --db "$DB" init >/dev/null
	echo 'right horse battery' | ab-auth --db "$DB" user add alice --role viewer >/dev/null
	sqlite3 "$DB" "INSERT INTO roles(name) VALUES ('outsider'); INSERT INTO role_perms VALUES ('outsider', 'order:paper')"
	echo 'tulip meadow 42' | ab-auth --db "$DB" user add bob --role outsider >/dev/null
	APORT=$(free_port)
	timeout 60 ab-serve --listen "127.0.0.1:$APORT" --dir "$SITE" --db "$DB" --auth "$@" 2>"$T/auth.log" &
	echo $! >"$T/auth.pid"
	wait_port "$APORT"
}

aget() { # like get, on the auth server
	local path=$1
	shift
	curl -s --path-as-is -o "$T/body" -D "$T/headers" -w '%{http_code}' "$@" "http://127.0.0.1:$APORT$path"
}

login() { # NAME PASSWORD: the status; the cookie lands in $T/jar
	aget /login -c "$T/jar" --data-urlencode "name=$1" --data-urlencode "password=$2"
}

@test "ab-serve: with --auth, requests without a login are refused" {
	command -v ab-auth >/dev/null || skip "ab-auth is not built"
	auth_server
	for p in / /index.html /trading.html /assets/chart.umd.js /assets/report.js; do
		run aget "$p"
		assert_output 401
		refute grep -q 'Dashboard</h1>' "$T/body"
	done
	grep -q 'action="/login"' "$T/body"
	run aget / -H 'Cookie: ab_token=eyJhbGciOiJub25lIn0.eyJzdWIiOiJhbGljZSJ9.'
	assert_output 401
	run aget /login
	assert_output 200
}

@test "ab-serve: login sets an HttpOnly SameSite=Strict cookie that opens the report" {
	command -v ab-auth >/dev/null || skip "ab-auth is not built"
	auth_server
	run login alice 'wrong'
	assert_output 401
	grep -q 'Wrong name or password' "$T/body"
	run login alice 'right horse battery'
	assert_output 303
	run header Set-Cookie
	assert_output --regexp '^ab_token=[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+; Path=/; Max-Age=28800; HttpOnly; SameSite=Strict$'
	run header Location
	assert_output /
	run aget /trading.html -b "$T/jar"
	assert_output 200
	grep -q '<h1>Trading</h1>' "$T/body"
	run header Cache-Control
	assert_output no-store
	# logins are audited
	run sql "$DB" "SELECT count(*) >= 2 FROM audit WHERE action LIKE '%login%'"
	assert_output 1
	# a revoked token no longer opens anything
	ab-auth --db "$DB" revoke --user alice >/dev/null
	run aget /trading.html -b "$T/jar"
	assert_output 401
}

@test "ab-serve: a user without report:view is refused and audited" {
	command -v ab-auth >/dev/null || skip "ab-auth is not built"
	auth_server
	run login bob 'tulip meadow 42'
	assert_output 303
	run aget / -b "$T/jar"
	assert_output 403
	run sql "$DB" "SELECT actor, action FROM audit WHERE action = 'report.denied'"
	assert_output "bob|report.denied"
}

@test "ab-serve: logins are rate limited per source" {
	command -v ab-auth >/dev/null || skip "ab-auth is not built"
	auth_server
	codes=""
	for i in 1 2 3 4 5 6 7; do
		codes="$codes $(login alice "bad$i")"
	done
	[[ "$codes" == *429* ]] || fail "no 429 in:$codes"
	[[ "$codes" == " 401"* ]] || fail "the first attempt was not checked:$codes"
	grep -q 'Too many attempts' "$T/body"
	run header Retry-After
	assert_output --regexp '^[0-9]+$'
	# even the right password waits
	run login alice 'right horse battery'
	assert_output 429
}

@test "ab-serve: cross-site and oversized login posts are refused" {
	command -v ab-auth >/dev/null || skip "ab-auth is not built"
	auth_server
	run aget /login -H 'Origin: http://evil.example' -d 'name=alice&password=right+horse+battery'
	assert_output 403
	run aget /login --data-binary "name=alice&password=$(head -c 8000 /dev/zero | tr '\0' a)"
	assert_output 413
	run aget /trading.html -X PUT
	assert_output 405
}

@test "ab-serve: --rebuild builds the site at start and keeps it fresh" {
	cp "$SITE_DB" "$DB"
	RPORT=$(free_port)
	timeout 30 ab-serve --listen "127.0.0.1:$RPORT" --dir "$T/live" --db "$DB" --rebuild 1 2>"$T/rebuild.log" &
	echo $! >"$T/auth.pid"
	wait_port "$RPORT"
	run curl -s "http://127.0.0.1:$RPORT/trading.html"
	assert_output --partial '>63325.89<'
	sqlite3 "$DB" "UPDATE candles SET close = 64000.5 WHERE symbol = 'BTC/USDT' AND ts = 1714518000000"
	for _ in $(seq 50); do
		curl -s "http://127.0.0.1:$RPORT/trading.html" | grep -q '>64000.5<' && break
		sleep 0.1
	done
	run curl -s "http://127.0.0.1:$RPORT/trading.html"
	assert_output --partial '>64000.5<'
}

@test "ab-serve: a bad --listen address is a usage error, a missing --dir exits 66" {
	run ab-serve --listen nowhere --dir "$SITE"
	assert_failure 64
	run ab-serve --listen 127.0.0.1:99999 --dir "$SITE"
	assert_failure 64
	run ab-serve --listen "127.0.0.1:$(free_port)" --dir "$T/none"
	assert_failure 66
	run ab-serve serve --dir "$SITE"
	assert_failure 64
}
