#!/usr/bin/env bats
# ab-serve build: the static report from the database.

load helper
load ab-serve-lib

setup_file() {
	ensure_chartjs
}

build() {
	seeded_db "$DB"
	run ab-serve build --db "$DB" --out "$T/site"
	assert_success
}

@test "ab-serve: build writes five pages and the assets, and prints the index path" {
	build
	assert_output "$T/site/index.html"
	for p in index trading rl shop monitor; do
		[ -s "$T/site/$p.html" ] || fail "$p.html missing"
	done
	cmp "$T/site/assets/chart.umd.js" "$TOP/node_modules/chart.js/dist/chart.umd.js"
	[ -s "$T/site/assets/report.js" ] && [ -s "$T/site/assets/style.css" ]
	[ -z "$(find "$T/site" -name '*.tmp*')" ]
}

@test "ab-serve: pages show the database's numbers" {
	build
	grep -q '>63325.89<' "$T/site/trading.html"       # last close of BTC/USDT
	grep -q '>58765.75<' "$T/site/trading.html"       # a signal's price
	grep -q '>10437.5<' "$T/site/trading.html"        # a backtest's final equity
	grep -q '>58770.25<' "$T/site/trading.html"       # the fill price
	grep -q '>10111.49<' "$T/site/index.html"         # paper equity: cash + position at last price
	grep -q 'this week: 89.98 EUR' "$T/site/index.html"
	grep -q '>12.50<' "$T/site/shop.html"             # money in minor units shown as decimals
	grep -q '<td>Dusty lamp</td>' "$T/site/shop.html" # unsold for 90+ days
	grep -q '<tr class="stale"><td>train-nightly</td>' "$T/site/monitor.html"
	grep -q '<tr class="failing"><td>ab-order</td>' "$T/site/monitor.html"
	grep -q '<tr class="ok"><td>fetch-btc</td>' "$T/site/monitor.html"
}

@test "ab-serve: a product titled <script> stays text in HTML and in the JSON data" {
	build
	run grep -l '<script>alert' "$T/site"/*.html
	assert_failure
	grep -q '&lt;script&gt;alert(1)&lt;/script&gt;' "$T/site/shop.html"
	grep -q '&lt;b&gt;desk&lt;/b&gt;' "$T/site/monitor.html"
	sqlite3 "$DB" "UPDATE backtests SET name = '</script><script>alert(2)</script>' WHERE id = 2"
	run ab-serve build --db "$DB" --out "$T/site"
	assert_success
	run grep -c '</script><script>alert' "$T/site/index.html"
	assert_output 0
	grep -q 'u003c/script\\u003e\\u003cscript\\u003ealert(2)' "$T/site/index.html"
}

@test "ab-serve: pages have no inline scripts and carry a CSP" {
	build
	for p in "$T/site"/*.html; do
		grep -q "http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; script-src 'self'" "$p"
		# every script either has a src or is a JSON data block
		run grep -E '<script( |>)' "$p"
		assert_success
		run bash -c "grep -oE '<script[^>]*>' '$p' | grep -vE 'src=\"assets/|type=\"application/json\"'"
		assert_failure
		grep -q 'name="viewport"' "$p"
	done
}

@test "ab-serve: the JSON data blocks parse and long series are thinned" {
	seeded_db "$DB"
	# 20,000 more hourly candles
	sqlite3 "$DB" "WITH RECURSIVE i(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM i WHERE n < 19999)
		INSERT INTO candles SELECT 'binance', 'SOL/USDT', '1h', 1640995200000 + n * 3600000,
		100 + n % 50, 101 + n % 50, 99 + n % 50, 100.5 + n % 50, 1 FROM i"
	run ab-serve build --db "$DB" --out "$T/site" --max-points 800
	assert_success
	for p in "$T/site"/*.html; do
		python3 - "$p" <<-'PY'
		import json, re, sys
		html = open(sys.argv[1]).read()
		m = re.search(r'<script type="application/json" id="report-data">(.*?)</script>', html, re.S)
		data = json.loads(m.group(1))
		for k, c in data["charts"].items():
		    if c["kind"] == "candles":
		        assert 0 < len(c["t"]) <= 50, (k, len(c["t"]))
		        assert len(c["t"]) == len(c["o"]) == len(c["h"]) == len(c["l"]) == len(c["c"])
		    if c["kind"] == "line":
		        for s in c["series"]:
		            assert len(s["points"]) <= 800, (k, len(s["points"]))
		PY
	done
	grep -q 'binance SOL/USDT 1h (merged bars)' "$T/site/trading.html"
}

@test "ab-serve: an empty database says which module has no data yet" {
	: >"$DB"
	run ab-serve build --db "$DB" --out "$T/site"
	assert_success
	grep -q 'No candles yet: ab-fetch has not written any' "$T/site/trading.html"
	grep -q 'No signals yet: ab-signal' "$T/site/trading.html"
	grep -q 'No backtests yet' "$T/site/trading.html"
	grep -q 'No products yet: ab-inventory' "$T/site/shop.html"
	grep -q 'No training' "$T/site/rl.html"
	grep -q 'no signals yet (ab-signal)' "$T/site/index.html"
}

@test "ab-serve: --since leaves older data out" {
	seeded_db "$DB"
	run ab-serve build --db "$DB" --out "$T/site" --since 2024-04-30T00:00:00Z
	assert_success
	grep -q '<td class="num">24</td>' "$T/site/trading.html"   # 24 candles of BTC/USDT that day
	run grep -c 'train-nightly' "$T/site/monitor.html"
	assert_output 0
}

@test "ab-serve: build records its run" {
	seeded_db "$DB"
	ab-serve build --db "$DB" --out "$T/site" >/dev/null
	run sql "$DB" "SELECT program, status, records_out FROM runs WHERE program = 'ab-serve'"
	assert_output "ab-serve|0|9"
}

@test "ab-serve: a missing database exits 66 and creates nothing" {
	run ab-serve build --db "$T/nope.db" --out "$T/site"
	assert_failure 66
	assert_output --partial "no such database"
	[ ! -e "$T/nope.db" ]
}

@test "ab-serve: usage errors exit 64" {
	run ab-serve build --db "$DB"
	assert_failure 64
	run ab-serve frobnicate
	assert_failure 64
	run ab-serve
	assert_failure 64
}

@test "ab-serve: a missing chart.js exits 66 with a hint" {
	: >"$DB"
	run ab-serve build --db "$DB" --out "$T/site" --chartjs "$T/none.js"
	assert_failure 66
	run env AB_CHARTJS= ab-serve build --db "$DB" --out "$T/site" --share "$T"
	assert_failure
}

@test "ab-serve: an unwritable output folder exits 73" {
	[ "$(id -u)" -ne 0 ] || skip "root can write anywhere"
	: >"$DB"
	mkdir "$T/ro" && chmod 555 "$T/ro"
	run ab-serve build --db "$DB" --out "$T/ro/site"
	assert_failure 73
}

@test "ab-serve: price recommendations and markdown plans show with their reasons" {
	build
	grep -q '<td>inelastic demand: raise</td>' "$T/site/shop.html"
	grep -q '<td class="num">21.99</td>' "$T/site/shop.html"
	grep -q '<td>unsold 121 days: clear by 2024-06-30</td>' "$T/site/shop.html"
	grep -q 'No price changes yet' "$T/site/shop.html"
}
