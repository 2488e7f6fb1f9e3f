#!/usr/bin/env bats
# ab-order paper: state across runs, deterministic client ids, the query
# commands and the kill switch.
load helper

c() {
	local sig=""
	[ -n "${6:-}" ] && sig=",\"signal\":\"$6\""
	printf '{"type":"candle","exchange":"test","symbol":"ABC/USD","tf":"1h","ts":"2024-01-01T%02d:00:00Z","open":%s,"high":%s,"low":%s,"close":%s,"volume":1%s}\n' \
		"$1" "$2" "$3" "$4" "$5" "$sig"
}

@test "ab-order: paper runs split anywhere give the backtest's fills, and re-runs place nothing twice" {
	python3 "$FIXTURES/order/bt-reference.py" "$TOP/share/autobot/sample/candles/binance-ETH-USDT-1h.csv" "$T/all" "$T/x"
	opts="--fee 0.001 --size fraction=0.99 --lot 1 --stop-loss 3"
	ab-order backtest $opts "$T/all" | jq -c 'select(.type == "fill") | [.ts, .side, .qty, .price, .reason]' >"$T/want"
	# Three cron runs with overlapping input, the last one repeated.
	sed -n 1,1000p "$T/all" >"$T/a"
	sed -n 900,2000p "$T/all" >"$T/b"
	sed -n 1500,2880p "$T/all" >"$T/c"
	for f in a b c c; do
		ab-order paper --db "$DB" $opts "$T/$f" >>"$T/out"
	done
	jq -c 'select(.type == "fill") | [.ts, .side, .qty, .price, .reason]' "$T/out" >"$T/got"
	[ "$(wc -l <"$T/want")" -gt 50 ]
	diff "$T/want" "$T/got"
	[ "$(sql "$DB" "SELECT count(*) FROM fills WHERE mode = 'paper'")" = "$(wc -l <"$T/want")" ]
	[ "$(sql "$DB" "SELECT count(*) FROM orders GROUP BY client_id HAVING count(*) > 1")" = "" ]
	[ "$(sql "$DB" "SELECT last_ts FROM positions")" = "$(sql "$DB" "SELECT CAST(strftime('%s', '2024-04-29T23:00:00') AS INTEGER) * 1000")" ]
	want=$(ab-order backtest $opts "$T/all" | jq 'select(.type == "backtest") | .final_equity')
	got=$(sql "$DB" "SELECT cash + (SELECT qty * last_price FROM positions) FROM balances")
	awk -v a="$got" -v b="$want" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(d <= 1e-9 * b) }'
}

@test "ab-order: client order ids are deterministic and an order pending across runs fills once" {
	c 0 100 100 100 100 buy >"$T/a"
	run ab-order paper --db "$DB" --size qty=1 "$T/a"
	assert_success
	id=$(jq -r .client_id <<<"$output")
	[[ "$id" =~ ^ab[0-9a-f]{32}$ ]]
	# The same signal from a second database gets the same id.
	run ab-order paper --db "$T/other.db" --size qty=1 "$T/a"
	[ "$(jq -r .client_id <<<"$output")" = "$id" ]
	[ "$(ab-order orders --open --db "$DB" | jq -r .status)" = new ]
	{ c 0 100 100 100 100 buy; c 1 101 101 101 101; } >"$T/b"
	run ab-order paper --db "$DB" --size qty=1 "$T/b"
	[ "$(jq -c '[.type, .client_id, .price]' <<<"$output")" = "[\"fill\",\"$id\",101]" ]
	run ab-order paper --db "$DB" --size qty=1 "$T/b"
	assert_output ""
	[ "$(ab-order orders --db "$DB" | jq -r .status)" = filled ]
	run ab-order orders --open --db "$DB"
	assert_output ""
}

@test "ab-order: positions and pnl report quantity, average entry, realised and unrealised PnL" {
	{ c 0 100 100 100 100 buy; c 1 100 100 100 100; c 2 110 110 110 110 sell; c 3 120 120 120 120 buy; c 4 130 130 130 130; c 5 150 150 150 150; } >"$T/a"
	ab-order paper --db "$DB" --size qty=2 --fee 0.01 "$T/a" >/dev/null
	run ab-order positions --db "$DB"
	assert_success
	[ "$(jq -c '[.qty, .avg_price, .realized_pnl, .unrealized_pnl, .last_price]' <<<"$output")" = "[2,130,40,40,150]" ]
	run ab-order pnl --db "$DB"
	[ "$(jq -c '[.realized, .fees, .unrealized, .net]' <<<"$output")" = "[40,7,40,73]" ]
	run ab-order fills --db "$DB" --since 2024-01-01T03:00:00Z
	[ "$(jq -s length <<<"$output")" = 2 ]
}

@test "ab-order: the kill switch refuses every order until resume; cancel stops a pending order" {
	c 0 100 100 100 100 buy >"$T/a"
	run ab-order halt --db "$DB"
	assert_success
	run ab-order paper --db "$DB" --size qty=1 "$T/a"
	[ "$(jq -r '[.status, .reason] | join(" ")' <<<"$output")" = "rejected halted" ]
	run ab-order resume --db "$DB"
	assert_success
	c 1 100 100 100 100 buy >"$T/b"
	run ab-order paper --db "$DB" --size qty=1 "$T/b"
	id=$(jq -r .client_id <<<"$output")
	run ab-order cancel --db "$DB" "$id"
	assert_success
	[ "$(jq -r .status <<<"$output")" = canceled ]
	c 2 100 100 100 100 >"$T/c"
	run ab-order paper --db "$DB" --size qty=1 "$T/c"
	assert_output ""
	run ab-order cancel --db "$DB" "$id"
	assert_failure 65
	run ab-order cancel --db "$DB" nosuch
	assert_failure 66
}

@test "ab-order: market rules round to the lot and refuse orders below the minimum notional" {
	ab-order orders --db "$DB" >/dev/null
	sql "$DB" "INSERT INTO markets VALUES ('test', 'ABC/USD', 'ABCUSD', 'ABC', 'USD', 1, 0.01, 0.001, 0.001, 50, 0)"
	{ c 0 100 100 100 100 buy; c 1 100 100 100 100 sell; } >"$T/a"
	run ab-order paper --db "$DB" --size notional=123.45678 "$T/a"
	assert_success
	[ "$(jq -r 'select(.type == "fill") | .qty' <<<"$output")" = 1.234 ]
	c 2 100 100 100 100 buy >"$T/b"
	run ab-order paper --db "$DB" --size qty=0.4 "$T/b"
	assert_success
	[ "$(jq -r 'select(.type == "order") | [.status, .reason] | join(" ")' <<<"$output")" = "rejected below minimum notional" ]
	[ "$(sql "$DB" "SELECT status, reason FROM orders ORDER BY id DESC LIMIT 1")" = "rejected|below minimum notional" ]
}

@test "ab-order: resume clears a tripped --max-drawdown stop, counting the peak from there" {
	opts="--cash 1000 --size qty=5 --max-drawdown 5"
	{ c 0 100 100 100 100 buy; c 1 100 100 80 80; c 2 80 80 80 80 sell; c 3 80 80 80 80 buy; } >"$T/a"
	run ab-order paper --db "$DB" $opts "$T/a"
	assert_success
	[ "$(jq -c 'select(.type == "fill") | [.side, .qty, .price]' <<<"$output" | paste -sd' ')" = '["buy",5,100] ["sell",5,80]' ]
	[ "$(jq -r 'select(.status == "rejected") | .reason' <<<"$output")" = "max drawdown reached" ]
	[ "$(sql "$DB" "SELECT reduce_only, peak FROM balances")" = "1|1000.0" ]
	# Another portfolio's resume leaves this one stopped.
	run ab-order resume --db "$DB" --name other
	[ "$(jq -r .drawdown_cleared <<<"$output")" = 0 ]
	c 4 80 80 80 80 buy >"$T/b"
	run ab-order paper --db "$DB" $opts "$T/b"
	[ "$(jq -r 'select(.type == "order") | [.status, .reason] | join(" ")' <<<"$output")" = "rejected max drawdown reached" ]
	run ab-order resume --db "$DB" --name paper
	assert_success
	[ "$(jq -c '[.type, .portfolio, .drawdown_cleared]' <<<"$output")" = '["resume","paper",1]' ]
	[ "$(sql "$DB" "SELECT reduce_only, peak FROM balances")" = "0|900.0" ]
	[ "$(sql "$DB" "SELECT count(*) FROM audit WHERE action = 'order.resume' AND object = 'paper'")" = 1 ]
	{ c 5 80 80 80 80 buy; c 6 80 80 80 80; } >"$T/c"
	run ab-order paper --db "$DB" $opts "$T/c"
	[ "$(jq -c 'select(.type == "fill") | [.side, .qty, .price]' <<<"$output")" = '["buy",5,80]' ]
	# The limit still holds, from the new peak of 900: 5% below is 855.
	{ c 7 80 80 70 70; c 8 70 70 70 70 sell; c 9 70 70 70 70; c 10 70 70 70 70 buy; } >"$T/d"
	run ab-order paper --db "$DB" $opts "$T/d"
	[ "$(jq -r 'select(.status == "rejected") | .reason' <<<"$output")" = "max drawdown reached" ]
}
