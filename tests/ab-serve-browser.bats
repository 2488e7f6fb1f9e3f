#!/usr/bin/env bats
# ab-serve in a real browser: Debian's headless Chromium, driven over the
# DevTools protocol by tests/ab-serve-browser.js. Screenshots of every page
# go to build/screenshots/ for people to look at.

load helper
load ab-serve-lib

setup_file() {
	export PATH="$AB_BIN:$PATH"
	command -v chromium >/dev/null || return 0
	ensure_chartjs
	export SITE_DB="$BATS_FILE_TMPDIR/site.db" SITE="$BATS_FILE_TMPDIR/site"
	export SHOTS="$TOP/build/screenshots"
	AB_NOW=2024-05-01T00:00:00Z seeded_db "$SITE_DB"
	AB_NOW=2024-05-01T00:00:00Z ab-serve build --db "$SITE_DB" --out "$SITE" >/dev/null
	export PORT
	PORT=$(free_port)
	timeout $((AB_VALGRIND ? 2400 : 120)) ab-serve --listen "127.0.0.1:$PORT" --dir "$SITE" 2>/dev/null &
	echo $! >"$BATS_FILE_TMPDIR/server.pid"
	wait_port "$PORT"
}

teardown_file() {
	[ -f "$BATS_FILE_TMPDIR/server.pid" ] && kill "$(cat "$BATS_FILE_TMPDIR/server.pid")" 2>/dev/null || true
}

setup() {
	helper_setup
	command -v chromium >/dev/null || skip "chromium is not installed (scripts/deps)"
}

browse() { # [options] URL...: one JSON line per page in $T/pages
	node "$TOP/tests/ab-serve-browser.js" "$@" >"$T/pages"
}

@test "ab-serve: every page loads from file:// with no console errors and drawn charts" {
	browse --shots "$SHOTS" "file://$SITE/index.html" "file://$SITE/trading.html" "file://$SITE/rl.html" \
		"file://$SITE/shop.html" "file://$SITE/monitor.html"
	[ "$(wc -l <"$T/pages")" -eq 5 ]
	run jq -r 'select(.errors != []) | .url + ": " + (.errors | join("; "))' "$T/pages"
	assert_output ""
	run jq -r 'select(.painted != .canvases or .drawn != .canvases) | .url' "$T/pages"
	assert_output ""
	run jq -r '"\(.h1) \(.canvases)"' "$T/pages"
	assert_output "Dashboard 1
Trading 3
RL training 9
E-commerce 4
Monitoring 2"
	for p in index trading rl shop monitor; do [ -s "$SHOTS/$p.png" ]; done
}

@test "ab-serve: pages served over HTTP with the CSP header load cleanly" {
	browse "http://127.0.0.1:$PORT/" "http://127.0.0.1:$PORT/trading.html" "http://127.0.0.1:$PORT/shop.html" \
		"http://127.0.0.1:$PORT/monitor.html"
	run jq -r 'select(.errors != [] or .painted != .canvases or .canvases == 0) | .url + " " + (.errors | join("; "))' "$T/pages"
	assert_output ""
}

@test "ab-serve: a product titled <script> shows as text and runs nothing" {
	browse "file://$SITE/shop.html"
	run jq -r '"\(.xssText) \(.alerts) \(.strayScripts)"' "$T/pages"
	assert_output "true 0 0"
}

@test "ab-serve: tables show the database's numbers without JavaScript" {
	browse --nojs --shots "$SHOTS" "file://$SITE/trading.html" "file://$SITE/shop.html" "file://$SITE/monitor.html"
	run jq -r 'select(.rows < 3 or .drawn != 0) | .url' "$T/pages"
	assert_output ""
}

@test "ab-serve: pages fit a phone's width" {
	browse --width 390 --shots "$SHOTS" "file://$SITE/index.html" "file://$SITE/trading.html" "file://$SITE/shop.html" \
		"file://$SITE/monitor.html"
	run jq -r 'select(.overflow or .errors != []) | .url' "$T/pages"
	assert_output ""
}

@test "ab-serve: the browser check catches an inline script (it can fail)" {
	mkdir -p "$T/bad/assets"
	cp "$SITE/assets/"* "$T/bad/assets/"
	sed 's|<script type="application/json" id="report-data">|<script>alert(3)</script>&|' "$SITE/index.html" >"$T/bad/index.html"
	browse "file://$T/bad/index.html"
	run jq -r '"\(.alerts) \(.errors | length > 0)"' "$T/pages"
	assert_output "0 true"
	grep -q 'Content Security Policy' "$T/pages"
}
