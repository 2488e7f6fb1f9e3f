#!/usr/bin/env bats
# ab-signal against TA-Lib: fixtures made by tests/fixtures/talib/gen.js with
# the npm package talib (the oracle), compared within 1e-9 relative, nulls on
# exactly the same rows, records that are not candles passed through.

load helper

TA="$FIXTURES/talib"

# check SET: runs ab-signal with the set's options and compares.
check() {
	ab-signal $(cat "$TA/options-$1.txt") "$TA/candles.jsonl" >"$T/out.jsonl"
	jq -n -r --slurpfile got "$T/out.jsonl" --slurpfile exp "$TA/expected-$1.jsonl" \
		--slurpfile inp "$TA/candles.jsonl" -f "$TA/compare.jq"
}

@test "ab-signal: all indicators at usual periods equal TA-Lib" {
	run check default
	assert_success
	assert_output --regexp '^checked [0-9]+ values, [0-9]+ bit-identical$'
	[ "$(echo "$output" | awk '{print $2}')" -gt 20000 ]
}

@test "ab-signal: short, long and odd periods and second instances equal TA-Lib" {
	run check alt
	assert_success
	assert_output --regexp '^checked [0-9]+ values, [0-9]+ bit-identical$'
}

@test "ab-signal: the comparison catches a value off by 1e-8 relative and a moved null" {
	jq -c 'if .rsi_14 != null and input_line_number == 500 then .rsi_14 *= (1 + 1e-8) else . end' \
		"$TA/expected-default.jsonl" >"$T/exp.jsonl"
	jq -c 'if input_line_number == 600 and .sma_20 != null then .sma_20 = null else . end' \
		"$T/exp.jsonl" >"$T/exp2.jsonl"
	ab-signal $(cat "$TA/options-default.txt") "$TA/candles.jsonl" >"$T/out.jsonl"
	run jq -n -r --slurpfile got "$T/out.jsonl" --slurpfile exp "$T/exp2.jsonl" \
		--slurpfile inp "$TA/candles.jsonl" -f "$TA/compare.jq"
	assert_line --partial "line 500: rsi_14"
	assert_line --partial "line 600: sma_20"
}

@test "ab-signal: annotating an annotated stream again changes nothing" {
	ab-signal $(cat "$TA/options-default.txt") "$TA/candles.jsonl" >"$T/once.jsonl"
	ab-signal $(cat "$TA/options-default.txt") "$T/once.jsonl" >"$T/twice.jsonl"
	cmp "$T/once.jsonl" "$T/twice.jsonl"
}

@test "ab-signal: records that are not candles pass through byte for byte" {
	ab-signal --sma 3 "$TA/candles.jsonl" | grep '"ticker"' >"$T/got"
	grep '"ticker"' "$TA/candles.jsonl" >"$T/want"
	[ -s "$T/want" ]
	cmp "$T/got" "$T/want"
}

@test "ab-signal: one series alone gives the values it gets interleaved" {
	grep 'ETH/USDT' "$TA/candles.jsonl" >"$T/eth.jsonl"
	ab-signal $(cat "$TA/options-default.txt") "$T/eth.jsonl" >"$T/alone"
	ab-signal $(cat "$TA/options-default.txt") "$TA/candles.jsonl" | grep 'ETH/USDT' >"$T/mixed"
	cmp "$T/alone" "$T/mixed"
}
