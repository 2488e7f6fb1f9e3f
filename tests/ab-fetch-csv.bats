#!/usr/bin/env bats
# ab-fetch csv: OHLCV CSV files to candle records and the database.

load helper

csv() {
	ab-fetch csv --exchange binance --symbol BTC/USDT -t 1h "$@"
}

# rows N SYMBOL: an N-row hourly CSV starting 2024-01-01
rows() {
	awk -v n="$1" 'BEGIN { print "ts,open,high,low,close,volume";
		for (i = 0; i < n; i++) { p = 100 + (i % 50); printf "%d,%d,%d,%d,%d.5,%d\n", 1704067200 + 3600 * i, p, p + 2, p - 1, p, i + 1 } }'
}

@test "ab-fetch csv: a Binance-style file becomes exact candle records" {
	run csv "$FIXTURES/csv/binance-btc-1h.csv"
	assert_success
	assert_output "$(cat "$FIXTURES/csv/expected-btc-1h.jsonl")"
}

@test "ab-fetch csv: epoch milliseconds, other column names and order, CRLF" {
	run csv "$FIXTURES/csv/epoch-ms-crlf.csv"
	assert_success
	assert_output "$(head -n 2 "$FIXTURES/csv/expected-btc-1h.jsonl")"
}

@test "ab-fetch csv: epoch seconds, offsets, dates and fractions of a second" {
	printf 'date,open,high,low,close,volume\n2024-01-02,1,2,0.5,1.5,10\n1704240000,1,2,0.5,1.5,10\n2024-01-04T02:00:00+02:00,1,2,0.5,1.5,10\n' >"$T/d.csv"
	run ab-fetch csv --exchange kraken --symbol ETH/EUR -t 1d "$T/d.csv"
	assert_success
	assert_line -n 0 --partial '"ts":"2024-01-02T00:00:00Z"'
	assert_line -n 1 --partial '"ts":"2024-01-03T00:00:00Z"'
	assert_line -n 2 --partial '"ts":"2024-01-04T00:00:00Z"'
}

@test "ab-fetch csv: --columns by header name and by number" {
	printf 'Date;x,O,H,L,C,V\n2024-01-01T00:00:00Z,1,2,0.5,1.5,7\n' >"$T/c.csv"
	run csv --columns 'ts=Date;x,open=O,high=H,low=L,close=5,volume=6' "$T/c.csv"
	assert_success
	assert_output '{"type":"candle","exchange":"binance","symbol":"BTC/USDT","tf":"1h","ts":"2024-01-01T00:00:00Z","open":1,"high":2,"low":0.5,"close":1.5,"volume":7}'
}

@test "ab-fetch csv: quoted fields and numbers print in shortest round-trip form" {
	printf 'ts,open,high,low,close,volume\n"2024-01-01T00:00:00Z","0.1","0.30000000000000004","0.1","0.2",1e3\n' >"$T/q.csv"
	run csv "$T/q.csv"
	assert_success
	assert_output --partial '"open":0.1,"high":0.30000000000000004,"low":0.1,"close":0.2,"volume":1000}'
}

@test "ab-fetch csv: reads stdin and several files in order, each with its header" {
	run pipeline "head -n 3 '$FIXTURES/csv/binance-btc-1h.csv' | csv - '$FIXTURES/csv/epoch-ms-crlf.csv'"
	assert_success
	assert_equal "${#lines[@]}" 4
}

@test "ab-fetch csv: a missing field is exit 65 naming file and line" {
	printf 'ts,open,high,low,close,volume\n2024-01-01T00:00:00Z,1,2,0.5,1.5,1\n2024-01-01T01:00:00Z,1,2,0.5\n' >"$T/bad.csv"
	run csv "$T/bad.csv"
	assert_failure 65
	assert_output --partial "ab-fetch: $T/bad.csv:3: 4 fields, expected at least 6"
}

@test "ab-fetch csv: a non-number is exit 65" {
	printf 'ts,open,high,low,close,volume\n2024-01-01T00:00:00Z,1,2,abc,1.5,1\n' >"$T/bad.csv"
	run csv "$T/bad.csv"
	assert_failure 65
	assert_output --partial "$T/bad.csv:2: low \"abc\" is not a number"
}

@test "ab-fetch csv: high below low is exit 65" {
	printf 'ts,open,high,low,close,volume\n2024-01-01T00:00:00Z,1,1,2,1,1\n' >"$T/bad.csv"
	run csv "$T/bad.csv"
	assert_failure 65
	assert_output --partial "$T/bad.csv:2: high 1 is below low 2"
}

@test "ab-fetch csv: bad and misaligned times are exit 65" {
	printf 'ts,open,high,low,close,volume\n2024-13-01T00:00:00Z,1,2,0.5,1,1\n' >"$T/bad.csv"
	run csv "$T/bad.csv"
	assert_failure 65
	assert_output --partial ':2: "2024-13-01T00:00:00Z" is not a time'
	printf 'ts,open,high,low,close,volume\n2024-01-01T00:30:00Z,1,2,0.5,1,1\n' >"$T/bad.csv"
	run csv "$T/bad.csv"
	assert_failure 65
	assert_output --partial 'is not the start of a 1h candle'
}

@test "ab-fetch csv: negative, infinite, empty and out-of-range values are exit 65" {
	for row in '1,2,0.5,1,-1' '1,2,0.5,1,inf' '1,2,0.5,,1' '1,2,0.5,1,1e400' '3,2,0.5,1,1' 'nan,2,0.5,1,1'; do
		printf 'ts,open,high,low,close,volume\n2024-01-01T00:00:00Z,%s\n' "$row" >"$T/bad.csv"
		run csv "$T/bad.csv"
		assert_failure 65
		assert_output --partial "$T/bad.csv:2:"
	done
}

@test "ab-fetch csv: a header without the needed columns is exit 65" {
	printf 'ts,open,high,low,close\n2024-01-01T00:00:00Z,1,2,0.5,1\n' >"$T/bad.csv"
	run csv "$T/bad.csv"
	assert_failure 65
	assert_output --partial 'header has no "volume" column'
}

@test "ab-fetch csv: an unterminated quote is exit 65" {
	printf 'ts,open,high,low,close,volume\n"2024-01-01T00:00:00Z,1,2,0.5,1,1\n' >"$T/bad.csv"
	run csv "$T/bad.csv"
	assert_failure 65
	assert_output --partial ':2: unterminated quote'
}

@test "ab-fetch csv: --db stores every candle and re-importing is idempotent" {
	run csv --db "$DB" -q "$FIXTURES/csv/binance-btc-1h.csv"
	assert_success
	assert_output ""
	assert_equal "$(sql "$DB" 'select count(*) from candles')" 5
	assert_equal "$(sql "$DB" "select close from candles where ts = 1704070800000")" 42613.56
	run csv --db "$DB" -q "$FIXTURES/csv/binance-btc-1h.csv"
	assert_success
	assert_equal "$(sql "$DB" 'select count(*) from candles')" 5
	assert_equal "$(sql "$DB" 'select count(*) from runs where program = '"'ab-fetch'"' and status = 0')" 2
}

@test "ab-fetch csv: a changed candle is updated on re-import" {
	csv --db "$DB" -q "$FIXTURES/csv/binance-btc-1h.csv"
	sed 's/42613.56,1196.37856/42613.99,1200/' "$FIXTURES/csv/binance-btc-1h.csv" >"$T/changed.csv"
	run csv --db "$DB" -q "$T/changed.csv"
	assert_success
	assert_equal "$(sql "$DB" 'select close, volume from candles where ts = 1704070800000')" "42613.99|1200.0"
	assert_equal "$(sql "$DB" 'select count(*) from candles')" 5
}

@test "ab-fetch csv: a bad row stores nothing of that invocation" {
	csv --db "$DB" -q "$FIXTURES/csv/binance-btc-1h.csv"
	{ rows 100; echo "2025-01-01T00:00:00Z,1,2,3,4,5"; } >"$T/bad.csv"
	run ab-fetch csv --exchange binance --symbol ETH/USDT -t 1h --db "$DB" -q "$T/bad.csv"
	assert_failure 65
	assert_equal "$(sql "$DB" "select count(*) from candles where symbol = 'ETH/USDT'")" 0
	assert_equal "$(sql "$DB" 'select count(*) from candles')" 5
	assert_equal "$(sql "$DB" 'select status from runs order by id desc limit 1')" 65
}

@test "ab-fetch csv: concurrent imports into one database all succeed and lose nothing" {
	rows 20000 >"$T/big.csv"
	pids=()
	for s in BTC ETH SOL ADA XRP DOGE; do
		ab-fetch csv --exchange binance --symbol "$s/USDT" -t 1h --db "$DB" -q "$T/big.csv" &
		pids+=($!)
	done
	for p in "${pids[@]}"; do wait "$p"; done
	assert_equal "$(sql "$DB" 'select count(*) from candles')" 120000
	assert_equal "$(sql "$DB" 'select count(distinct symbol) from candles')" 6
	assert_equal "$(sql "$DB" 'select count(*) from runs where status = 0')" 6
	assert_equal "$(sql "$DB" 'pragma integrity_check')" ok
}

@test "ab-fetch csv: AB_DB names the database when --db is absent" {
	AB_DB="$DB" run csv -q "$FIXTURES/csv/binance-btc-1h.csv"
	assert_success
	assert_equal "$(sql "$DB" 'select count(*) from candles')" 5
}

@test "ab-fetch: a database newer than the program is refused with 78" {
	csv --db "$DB" -q "$FIXTURES/csv/binance-btc-1h.csv"
	sql "$DB" 'pragma user_version = 999'
	run csv --db "$DB" -q "$FIXTURES/csv/binance-btc-1h.csv"
	assert_failure 78
	assert_output --partial 'newer than this program'
}

@test "ab-fetch: runs records masked arguments" {
	run ab-fetch csv --exchange binance --symbol BTC/USDT -t 1h --db "$DB" -q --api-secret=hunter2 "$FIXTURES/csv/binance-btc-1h.csv"
	assert_failure 64
	csv --db "$DB" -q "$FIXTURES/csv/binance-btc-1h.csv"
	run sql "$DB" 'select args from runs'
	assert_output --partial '"--exchange","binance"'
}

@test "ab-fetch: --help, --version and usage errors" {
	run ab-fetch --help
	assert_success
	assert_output --partial 'usage: ab-fetch csv'
	run ab-fetch --version
	assert_success
	assert_output --regexp '^ab-fetch [0-9]+\.[0-9]+\.[0-9]+$'
	run ab-fetch
	assert_failure 64
	run ab-fetch frobnicate
	assert_failure 64
	assert_output --partial 'unknown command "frobnicate"'
	run ab-fetch csv --bogus
	assert_failure 64
	run ab-fetch csv --symbol BTC/USDT -t 1h "$FIXTURES/csv/binance-btc-1h.csv"
	assert_failure 64
	run csv -t 7h "$FIXTURES/csv/binance-btc-1h.csv"
	assert_failure 64
	run ab-fetch csv --exchange binance --symbol btcusdt -t 1h "$FIXTURES/csv/binance-btc-1h.csv"
	assert_failure 64
}

@test "ab-fetch csv: a missing file is exit 66" {
	run csv "$T/nope.csv"
	assert_failure 66
	assert_output --partial "$T/nope.csv: No such file or directory"
}

@test "ab-fetch csv: a full disk on stdout is exit 74; a closed pipe stops quietly" {
	run csv "$FIXTURES/csv/binance-btc-1h.csv" -o /dev/full
	assert_failure 64
	run pipeline "csv '$FIXTURES/csv/binance-btc-1h.csv' >/dev/full"
	assert_failure 74
	assert_output --partial 'stdout: write: No space left on device'
	rows 200000 >"$T/big.csv"
	run pipeline "csv '$T/big.csv' | head -n 1"
	assert_success
	assert_output --partial '"type":"candle"'
	refute_output --partial 'ab-fetch:'
}
