#!/usr/bin/env bats
# ab-signal's built-in strategies: hand-made crossings, and every crossing
# TA-Lib's own values imply on the fixtures.

load helper

TA="$FIXTURES/talib"

# candles CLOSE...: 1h candles from 2024-01-01, high/low one either side.
candles() {
	printf '%s\n' "$@" | awk '{ printf "{\"type\":\"candle\",\"exchange\":\"x\",\"symbol\":\"A/B\",\"tf\":\"1h\",\"ts\":%d,\"open\":%s,\"high\":%s,\"low\":%s,\"close\":%s,\"volume\":1}\n", 1704067200 + 3600 * (NR - 1), $1, $1 + 1, $1 - 1, $1 }'
}

# signals: "LINE SIGNAL" for every line that carries one.
signals() {
	jq -r '.signal // "-"' | grep -n -v '^-$' | tr ':' ' '
}

# expect STRATEGY-ARGS -- CROSSINGS-ARGS: ab-signal's signals on the fixtures
# equal the ones crossings.jq derives from the TA-Lib fixture.
expect() {
	local set=$1 kind=$2 fa=$3 fb=$4
	shift 4
	ab-signal "$@" "$TA/candles.jsonl" | signals >"$T/got"
	jq -n -r --slurpfile inp "$TA/candles.jsonl" --slurpfile exp "$TA/expected-$set.jsonl" \
		--arg kind "$kind" --arg a "$fa" --arg b "$fb" --argjson low "${LOW:-30}" \
		--argjson high "${HIGH:-70}" -f "$TA/crossings.jq" >"$T/want"
	[ "$(wc -l <"$T/want")" -ge 5 ] || { echo "too few crossings to prove anything"; return 1; }
	diff "$T/want" "$T/got"
}

@test "ab-signal: sma-cross fires on the candles where the averages cross" {
	run pipeline "candles 10 10 10 10 13 13 7 7 7 | ab-signal strategy sma-cross --fast 2 --slow 3 | signals"
	assert_success
	assert_output "5 buy
7 sell"
}

@test "ab-signal: ema-cross fires on the candles where the averages cross" {
	run pipeline "candles 10 10 10 10 13 13 7 7 | ab-signal strategy ema-cross --fast 2 --slow 3 | signals"
	assert_success
	assert_output "5 buy
7 sell"
}

@test "ab-signal: rsi-revert buys entering oversold and sells entering overbought" {
	# RSI(2): a fall after a rise drops it below 30, a rise after falls lifts it over 70.
	run pipeline "candles 10 11 12 13 10 9 8 12 13 | ab-signal strategy rsi-revert --period 2 | signals"
	assert_success
	assert_output "5 buy
8 sell"
}

@test "ab-signal: donchian-breakout does not repeat a signal" {
	# Line 9 breaks the channel down again but a sell is already out.
	run pipeline "candles 10 11 10 11 15 16 17 10 5 4 | ab-signal strategy donchian-breakout --n 3 | signals"
	assert_success
	assert_output "5 buy
8 sell"
}

@test "ab-signal: sma-cross matches TA-Lib's SMA crossings" {
	expect alt cross sma_2 sma_20 strategy sma-cross --fast 2 --slow 20
}

@test "ab-signal: ema-cross matches TA-Lib's EMA crossings" {
	expect alt cross ema_2 ema_50 strategy ema-cross --fast 2 --slow 50
}

@test "ab-signal: macd-cross matches TA-Lib's MACD and signal line crossings" {
	expect default cross macd macd_signal strategy macd-cross
}

@test "ab-signal: rsi-revert matches TA-Lib's RSI levels" {
	LOW=35 HIGH=65 expect default rsi rsi_14 - strategy rsi-revert --low 35 --high 65
}

@test "ab-signal: bbands-revert matches TA-Lib's Bollinger bands" {
	expect default bbands bb_upper bb_lower strategy bbands-revert
}

@test "ab-signal: donchian-breakout matches the channel of the candles before" {
	expect default donchian donchian_upper donchian_lower strategy donchian-breakout
}

@test "ab-signal: a strategy adds the indicators it needs to the record" {
	run pipeline "candles 1 2 3 4 | ab-signal strategy sma-cross --fast 2 --slow 3 | tail -n 1"
	assert_success
	assert_output --partial '"sma_2":3.5,"sma_3":3}'
}

@test "ab-signal: strategy options are checked" {
	run ab-signal strategy sma-cross --fast 30 --slow 10 </dev/null
	assert_failure 64
	run ab-signal strategy sma-cross --n 3 </dev/null
	assert_failure 64
	assert_output --partial "--n does not apply to strategy sma-cross"
	run ab-signal --fast 3 </dev/null
	assert_failure 64
	run ab-signal strategy no-such-thing </dev/null
	assert_failure 64
	assert_output --partial 'no strategy "no-such-thing"'
}

@test "ab-signal: no signal on a candle that has not closed yet" {
	candles 10 10 10 10 13 >"$T/in.jsonl"
	# The last candle opens at 04:00 and closes at 05:00.
	run pipeline "AB_NOW=2024-01-01T04:30:00Z ab-signal strategy sma-cross --fast 2 --slow 3 <'$T/in.jsonl' | tail -n 1"
	assert_success
	assert_output "$(tail -n 1 "$T/in.jsonl")"
	run pipeline "AB_NOW=2024-01-01T05:00:00Z ab-signal strategy sma-cross --fast 2 --slow 3 <'$T/in.jsonl' | signals"
	assert_output "5 buy"
}
