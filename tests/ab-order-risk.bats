#!/usr/bin/env bats
# ab-order risk limits: refused orders as records, and a property test over
# thousands of random signal streams.
load helper

c() {
	local sig=""
	[ -n "${6:-}" ] && sig=",\"signal\":\"$6\""
	printf '{"type":"candle","exchange":"test","symbol":"ABC/USD","tf":"1h","ts":"2024-01-01T%02d:00:00Z","open":%s,"high":%s,"low":%s,"close":%s,"volume":1%s}\n' \
		"$1" "$2" "$3" "$4" "$5" "$sig"
}

@test "ab-order: no limit is ever exceeded over 3000 random signal streams" {
	# 100 under scripts/valgrind-check: each stream is a run of ab-order
	n=$((AB_VALGRIND ? 100 : 3000))
	run python3 "$FIXTURES/order/risk-property.py" "$(command -v ab-order)" "$n" "${AB_SEED:-20240101}"
	assert_success
	assert_output --regexp "^$n streams, [0-9]+ fills"
}

@test "ab-order: a refused order is an order record with status rejected and the reason" {
	{ c 0 100 100 100 100 buy; c 1 100 100 100 100; } >"$T/in"
	run ab-order backtest --size qty=5 --max-position 4 "$T/in"
	assert_success
	run jq -r 'select(.type == "order") | [.status, .side, .qty, .reason, .signal_ts] | join("|")' <<<"$output"
	assert_output "rejected|buy|5|max position exceeded|2024-01-01T00:00:00Z"
	run ab-order backtest --size qty=5 --max-order-notional 499 "$T/in"
	[ "$(jq -r 'select(.type == "order") | .reason' <<<"$output")" = "max order notional exceeded" ]
	run ab-order backtest --size qty=5 --max-order-notional 500 "$T/in"
	[ "$(jq -r 'select(.type == "fill") | .qty' <<<"$output")" = 5 ]
	# The notional is checked again at the fill price: a gap up refuses it.
	{ c 0 100 100 100 100 buy; c 1 110 110 110 110; } >"$T/in"
	run ab-order backtest --size qty=5 --max-order-notional 500 "$T/in"
	[ "$(jq -r 'select(.type == "order") | .reason' <<<"$output")" = "max order notional exceeded" ]
	[ "$(jq -s '[.[] | select(.type == "fill")] | length' <<<"$output")" = 0 ]
}

@test "ab-order: --max-drawdown allows exits only, --max-daily-loss stops entries for the day" {
	{ c 0 100 100 100 100 buy; c 1 100 100 80 80; c 2 80 80 80 80 sell; c 3 80 80 80 80 buy; c 4 80 80 80 80; } >"$T/in"
	run ab-order backtest --cash 1000 --size qty=5 --max-drawdown 5 "$T/in"
	assert_success
	[ "$(jq -sc '[.[] | select(.type == "fill") | .side]' <<<"$output")" = '["buy","sell"]' ]
	[ "$(jq -r 'select(.type == "order") | .reason' <<<"$output")" = "max drawdown reached" ]
	run ab-order backtest --cash 1000 --size qty=5 --max-daily-loss 100 "$T/in"
	[ "$(jq -r 'select(.type == "order") | .reason' <<<"$output")" = "max daily loss reached" ]
	run ab-order backtest --cash 1000 --size qty=5 --max-daily-loss 101 "$T/in"
	[ "$(jq -sc '[.[] | select(.type == "fill") | .side]' <<<"$output")" = '["buy","sell","buy"]' ]
}

@test "ab-order: an entry the cash cannot cover at the next open is refused" {
	{ c 0 100 100 100 100 buy; c 1 102 102 102 102; } >"$T/in"
	run ab-order backtest --cash 1000 --size fraction=1 --fee 0.001 "$T/in"
	[ "$(jq -r 'select(.type == "order") | .reason' <<<"$output")" = "insufficient cash" ]
}
