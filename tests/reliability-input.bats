#!/usr/bin/env bats
# reliability: hostile input. Huge lines, deep nesting, NUL bytes, invalid
# UTF-8, numbers out of range, far times, negative prices: each is a clear
# "program: file:LINE: what" and exit 65, never a crash or a stored row.
load helper

CANDLE='{"type":"candle","exchange":"t","symbol":"A/B","tf":"1h","ts":"2024-01-01T00:00:00Z","open":1,"high":2,"low":1,"close":CLOSE,"volume":1}'

# rejects NAME LINE...: every JSON-lines filter rejects the input with 65
# and a located message, and stores nothing.
rejects() {
	local name=$1
	shift
	printf '%s\n' "$@" >"$T/$name"
	for p in "ab-signal --ema 3" "ab-order backtest" "ab-order paper --size qty=1 --db $DB"; do
		run $p "$T/$name"
		[ "$status" = 65 ] || { echo "$p on $name: exit $status: $output"; return 1; }
		[[ "$output" == *"$T/$name:"[0-9]*": "* ]] || { echo "$p on $name: $output"; return 1; }
	done
	[ ! -e "$DB" ] || [ "$(sql "$DB" "SELECT count(*) FROM fills")" = 0 ]
}

@test "reliability: JSON-lines filters reject hostile records with 65 and the line" {
	rejects 1e400 "${CANDLE/CLOSE/1e400}"
	rejects negzero "${CANDLE/CLOSE/-0}"
	rejects nan "${CANDLE/CLOSE/NaN}"
	rejects infinity "${CANDLE/CLOSE/Infinity}"
	rejects negative "${CANDLE/CLOSE/-5}"
	rejects deep "{\"type\":\"candle\",\"x\":$(printf '[%.0s' $(seq 5000))$(printf ']%.0s' $(seq 5000))}"
	rejects nul "$(printf '%s' "${CANDLE/CLOSE/1}" | sed 's/"t"/"t\\u0000"/')" 
	printf '%s\n' "${CANDLE/CLOSE/1}" | sed 's/"exchange":"t"/"exchange":"t\x00x"/' >"$T/rawnul"
	run ab-signal --ema 3 "$T/rawnul"
	assert_failure 65
	assert_output --partial "$T/rawnul:1: "
	printf '%s\n' "${CANDLE/CLOSE/1}" | sed 's/"exchange":"t"/"exchange":"t\xff\xfe"/' >"$T/utf8"
	run ab-signal --ema 3 "$T/utf8"
	assert_failure 65
	assert_output --partial "invalid UTF-8"
	rejects farfuture "$(echo "${CANDLE/CLOSE/1}" | sed 's/2024-01-01/99999-01-01/')"
}

@test "reliability: a line over 16 MB is an error, not an allocation without end" {
	head -c $((17 << 20)) /dev/zero | tr '\0' 'a' | sed 's/^/{"type":"candle","x":"/; s/$/"}/' >"$T/huge"
	run ab-signal --ema 3 "$T/huge"
	assert_failure 65
	assert_output --partial "$T/huge:1: line longer than"
	run ab-fetch csv --exchange a --symbol BTC/USDT -t 1h "$T/huge"
	assert_failure 65
	assert_output --partial "line longer than"
}

# csv_rejects NAME ROW: ab-fetch csv --db rejects the row with 65, stores nothing.
csv_rejects() {
	printf 'timestamp,open,high,low,close,volume\n1577836800,1,2,1,1,1\n%s\n' "$2" >"$T/$1.csv"
	run ab-fetch csv --exchange a --symbol BTC/USDT -t 1h -q --db "$DB" "$T/$1.csv"
	[ "$status" = 65 ] || { echo "$1: exit $status: $output"; return 1; }
	[[ "$output" == "ab-fetch: $T/$1.csv:3: "* ]] || { echo "$1: $output"; return 1; }
	[ "$(sql "$DB" "SELECT count(*) FROM candles")" = 0 ]
}

@test "reliability: ab-fetch csv rejects hostile rows with 65 and the line, storing nothing" {
	csv_rejects 1e400 "1577840400,1e400,2,1,1,1"
	csv_rejects nan "1577840400,NaN,2,1,1,1"
	csv_rejects inf "1577840400,1,inf,1,1,1"
	csv_rejects negative "1577840400,1,2,-1,1,1"
	csv_rejects negvolume "1577840400,1,2,1,1,-3"
	csv_rejects utf8 "$(printf '1577840400,\xff\xfe,2,1,1,1')"
	csv_rejects misaligned "1577840401,1,2,1,1,1"
	csv_rejects notime "yesterday,1,2,1,1,1"
	csv_rejects farfuture "99999-01-01T00:00:00Z,1,2,1,1,1"
	csv_rejects quote '1577840400,"1,2,1,1,1'
	csv_rejects long "1577840400,$(head -c 100000 /dev/zero | tr '\0' 9),2,1,1,1"
}

@test "reliability: ab-fetch csv rejects a NUL byte inside a number" {
	printf 'timestamp,open,high,low,close,volume\n1577836800,1\0002,2,1,1,1\n' >"$T/nul.csv"
	run ab-fetch csv --exchange a --symbol BTC/USDT -t 1h "$T/nul.csv"
	assert_failure 65
}

@test "reliability: broken JSON (a model export, a JWK, --params) is refused with 65 or 64, nothing stored" {
	export AB_DB="$DB" AB_PWHASH_LIMITS=min
	# a string followed by a string: libjq 1.6's parser leaks its token on
	# this one (the valgrind run of this suite checks it never reaches libjq)
	printf '{"type":"model","name":"x""y"}\n' >"$T/broken.json"
	run ab-train models import "$T/broken.json" --db "$DB"
	assert_failure 65
	assert_output --partial "$T/broken.json: expected one model record: expected ',' or '}'"
	printf '{"type":"model"} {"type":"model"}\n' >"$T/two.json"
	run ab-train models import "$T/two.json" --db "$DB"
	assert_failure 65
	assert_output --partial 'more than one JSON value'
	[ "$(sql "$DB" "SELECT count(*) FROM models")" = 0 ]
	ab-auth init >/dev/null
	echo 'battery-staple-77' | ab-auth user add ad --role admin >/dev/null
	export AB_TOKEN=$(echo battery-staple-77 | ab-auth login ad)
	keys=$(sql "$DB" "SELECT count(*) FROM keys")
	printf '{"kty":"oct","k":"a""b"}\n' >"$T/broken.jwk"
	run ab-auth key import --jwk "$T/broken.jwk"
	assert_failure 65
	assert_output --partial "not JSON"
	[ "$(sql "$DB" "SELECT count(*) FROM keys")" = "$keys" ]
	run ab-signal --ema 3 --params '{"a":"b""c"}' </dev/null
	assert_failure 64
	assert_output --partial 'is not a JSON object'
}
