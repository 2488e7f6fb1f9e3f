#!/usr/bin/env bats
# ab-signal: options, field names, records, jq rules, strategy files, database.

load helper

TA="$FIXTURES/talib"

candles() {
	printf '%s\n' "$@" | awk '{ printf "{\"type\":\"candle\",\"exchange\":\"x\",\"symbol\":\"A/B\",\"tf\":\"1h\",\"ts\":%d,\"open\":%s,\"high\":%s,\"low\":%s,\"close\":%s,\"volume\":1}\n", 1704067200 + 3600 * (NR - 1), $1, $1 + 1, $1 - 1, $1 }'
}

signals() {
	jq -r '.signal // "-"' | grep -n -v '^-$' | tr ':' ' '
}

@test "ab-signal: --help lists every indicator and exits 0" {
	run ab-signal --help
	assert_success
	for o in sma ema wma rsi macd bbands atr adx cci willr roc mfi stoch obv sar vwap donchian keltner; do
		assert_output --partial "--$o"
	done
}

@test "ab-signal: bad indicator parameters are usage errors" {
	run ab-signal --sma 1 </dev/null
	assert_failure 64
	assert_output --partial '--sma: "1" is not N'
	run ab-signal --macd 12,26 </dev/null
	assert_failure 64
	run ab-signal --bbands 20,x </dev/null
	assert_failure 64
	run ab-signal --macd 12,26,1 </dev/null
	assert_failure 64
}

@test "ab-signal: the second instance of a kind carries its parameters in its names" {
	run pipeline "candles 1 2 3 4 5 6 | ab-signal --sma 2 --sma 3 --sma 2 --bbands 2,2 --bbands 3,1.5 --donchian 2 --donchian 3 | tail -n 1 | jq -c 'keys_unsorted[10:]'"
	assert_success
	assert_output '["sma_2","sma_3","bb_upper","bb_middle","bb_lower","bb_upper_3_1.5","bb_middle_3_1.5","bb_lower_3_1.5","donchian_upper","donchian_lower","donchian_upper_3","donchian_lower_3"]'
}

@test "ab-signal: nulls during the lookback, numbers after" {
	run pipeline "candles 1 2 3 | ab-signal --sma 3 --obv --sar 0.02,0.2 | jq -c '[.sma_3, .obv, .sar]'"
	assert_success
	assert_output "[null,1,null]
[null,2,0]
[2,3,0.06]"
}

@test "ab-signal: a broken candle is exit 65 with its line" {
	{ candles 1 2; echo '{"type":"candle","exchange":"x","symbol":"A/B","tf":"1h","ts":0,"open":1,"high":0,"low":2,"close":1,"volume":1}'; } >"$T/in"
	run ab-signal --sma 2 "$T/in"
	assert_failure 65
	assert_output --partial "in:3: high 0 is below low 2"
	printf '{"type":"candle",\n' >"$T/bad"
	run ab-signal "$T/bad"
	assert_failure 65
	assert_output --partial "bad:1:"
}

@test "ab-signal: a candle not after the one before it is exit 65" {
	{ candles 1 2 3; candles 4; } >"$T/in"
	run ab-signal --sma 2 "$T/in"
	assert_failure 65
	assert_output --partial 'in:4: candle "2024-01-01T00:00:00Z" of x A/B 1h is not after the one before it'
}

@test "ab-signal: a missing file is exit 66" {
	run ab-signal --sma 2 "$T/nope"
	assert_failure 66
}

@test "ab-signal: --buy and --sell jq rules see the indicators and \$prev" {
	run pipeline "candles 10 10 10 10 13 13 7 7 7 | ab-signal --sma 2 --sma 3 --buy '\$prev.sma_2 != null and \$prev.sma_3 != null and \$prev.sma_2 <= \$prev.sma_3 and .sma_2 > .sma_3' --sell '.close < \$prev.close' | signals"
	assert_success
	assert_output "5 buy
7 sell"
}

@test "ab-signal: \$prev is the previous candle of the same series, with its signal" {
	candles 1 2 3 >"$T/a"
	candles 5 6 7 | sed 's|"A/B"|"C/D"|' >"$T/c"
	paste -d '\n' "$T/a" "$T/c" >"$T/in"
	run pipeline "ab-signal --buy '\$prev == null' --sell '\$prev.signal == \"buy\"' '$T/in' | jq -r '[.symbol, .close, .signal // \"-\"] | @tsv'"
	assert_success
	assert_line --index 0 --regexp $'^A/B\t1\tbuy$'
	[ "$(grep -c buy <<<"$output")" -eq 2 ]
	[ "$(grep -c sell <<<"$output")" -eq 2 ]
}

@test "ab-signal: a jq compile error is exit 64 with jq's message" {
	run ab-signal --buy '.close >' </dev/null
	assert_failure 64
	assert_output --partial "--buy: jq: error: syntax error"
	run ab-signal --sell 'nosuchfunction(1)' </dev/null
	assert_failure 64
	assert_output --partial "nosuchfunction/1 is not defined"
}

@test "ab-signal: a jq runtime error is exit 65 with the line" {
	candles 1 2 >"$T/in"
	run ab-signal --buy '.close.x' "$T/in"
	assert_failure 65
	assert_output 'ab-signal: '"$T"'/in:1: --buy: jq: error: Cannot index number with string "x"'
}

@test "ab-signal: a .jq strategy file works end to end and equals the built-in" {
	cat >"$T/cross.jq" <<'JQ'
# my cross
# ab-signal: --sma 2 --sma 20
def ok: .sma_2 != null and .sma_20 != null;
def buy: $prev != null and ($prev | ok) and ok and $prev.sma_2 <= $prev.sma_20 and .sma_2 > .sma_20;
def sell: $prev != null and ($prev | ok) and ok and $prev.sma_2 >= $prev.sma_20 and .sma_2 < .sma_20;
JQ
	ab-signal --strategy-file "$T/cross.jq" "$TA/candles.jsonl" | signals >"$T/file"
	ab-signal strategy sma-cross --fast 2 --slow 20 "$TA/candles.jsonl" | signals >"$T/builtin"
	[ "$(wc -l <"$T/file")" -gt 10 ]
	diff "$T/builtin" "$T/file"
	AB_STRATEGY_PATH="$T" ab-signal strategy cross "$TA/candles.jsonl" | signals >"$T/byname"
	diff "$T/builtin" "$T/byname"
}

@test "ab-signal: the shipped strategy files compile and fire" {
	for s in golden-cross rsi-macd stoch-oversold; do
		ab-signal strategy "$s" "$TA/candles.jsonl" | signals >"$T/$s"
		[ -s "$T/$s" ] || { echo "$s never fired"; return 1; }
	done
}

@test "ab-signal: --from-db reads the stored candles, --store records the signals" {
	{ echo ts,open,high,low,close,volume
	  jq -r 'select(.type == "candle" and .symbol == "BTC/USDT") | [.ts, .open, .high, .low, .close, .volume] | @csv' "$TA/candles.jsonl"
	} >"$T/btc.csv"
	ab-fetch csv "$T/btc.csv" --exchange binance --symbol BTC/USDT -t 1h --db "$DB" -q
	grep '"candle".*BTC/USDT' "$TA/candles.jsonl" >"$T/btc.jsonl"
	ab-signal --sma 3 --rsi 5 strategy sma-cross --fast 3 --slow 8 "$T/btc.jsonl" >"$T/stream"
	run ab-signal --db "$DB" --from-db binance BTC/USDT 1h --sma 3 --rsi 5 strategy sma-cross --fast 3 --slow 8 --store
	assert_success
	diff "$T/stream" <(echo "$output")
	n=$(grep -c '"signal":' "$T/stream")
	[ "$n" -gt 0 ]
	[ "$(sql "$DB" 'SELECT count(*) FROM signals')" -eq "$n" ]
	[ "$(sql "$DB" "SELECT DISTINCT strategy FROM signals")" = "sma-cross --fast 3 --slow 8" ]
	run sql "$DB" "SELECT records_in, records_out, status FROM runs WHERE program = 'ab-signal'"
	assert_output "$(wc -l <"$T/stream")|$(wc -l <"$T/stream")|0"
	# Storing again replaces the rows instead of adding copies.
	ab-signal --db "$DB" --from-db binance BTC/USDT 1h strategy sma-cross --fast 3 --slow 8 --store >/dev/null
	[ "$(sql "$DB" 'SELECT count(*) FROM signals')" -eq "$n" ]
}

@test "ab-signal: --since starts the series later" {
	ab-fetch csv "$FIXTURES/csv/binance-btc-1h.csv" --exchange binance --symbol BTC/USDT -t 1h --db "$DB" -q
	first=$(sed -n 5p "$FIXTURES/csv/expected-btc-1h.jsonl" | jq -r .ts)
	run pipeline "ab-signal --db '$DB' --from-db binance BTC/USDT 1h --since $first --sma 2 | head -n 1 | jq -c '[.ts, .sma_2]'"
	assert_success
	assert_output "[\"$first\",null]"
}

@test "ab-signal: --store without a strategy is a usage error" {
	run ab-signal --db "$DB" --store --sma 2 </dev/null
	assert_failure 64
}

@test "ab-signal: the man page is lint-clean and its rule example runs" {
	run mandoc -Tlint -W warning "$TOP/man/ab-signal.1"
	assert_success
	assert_output ""
	cp "$TA/candles.jsonl" "$T/candles.jsonl"
	ex=$(sed -n '/^A rule of your own/,/^\.Ed/p' "$TOP/man/ab-signal.1" | sed '1,2d;$d' | sed 's/\\e$/\\/')
	[ -n "$ex" ]
	cd "$T"
	run bash -c "set -o pipefail; $ex"
	assert_success
	assert_output --partial '"signal":"buy"'
	assert_output --partial '"signal":"sell"'
}

@test "ab-signal: a bad candle under --store stores nothing" {
	{ candles 10 10 10 10 13 13 7 7 7; echo '{"type":"candle"}'; } >"$T/in"
	run ab-signal --db "$DB" strategy sma-cross --fast 2 --slow 3 --store "$T/in"
	assert_failure 65
	[ "$(sql "$DB" 'SELECT count(*) FROM signals')" -eq 0 ]
	[ "$(sql "$DB" "SELECT status FROM runs WHERE program = 'ab-signal'")" -eq 65 ]
	head -n 9 "$T/in" >"$T/good"
	ab-signal --db "$DB" strategy sma-cross --fast 2 --slow 3 --store "$T/good" >/dev/null
	run sql "$DB" "SELECT ts, signal, price FROM signals ORDER BY ts"
	assert_output "1704081600000|buy|13.0
1704088800000|sell|7.0"
}

@test "ab-signal: rules do not fire in the lookback, where jq's null < 30 is true" {
	run pipeline "ab-signal --rsi 14 --buy '.rsi_14 < 30' --sell '\$prev.rsi_14 > 1000' '$TA/candles.jsonl' | jq -c 'select(.signal and (.rsi_14 == null or .rsi_14 >= 30))'"
	assert_success
	assert_output ""
	run pipeline "ab-signal --rsi 14 --buy '.rsi_14 < 30' '$TA/candles.jsonl' | jq -c 'select(.signal)' | wc -l"
	[ "$output" -gt 0 ]
}
