#!/usr/bin/env bats
# ab-order backtest: timing rules, sizing, stops, fees, statistics, storage,
# and agreement with an independent model of backtrader.
load helper

# c TS OPEN HIGH LOW CLOSE [SIGNAL [EXTRA-JSON]]: one annotated candle record.
c() {
	local sig=""
	[ -n "${6:-}" ] && sig=",\"signal\":\"$6\""
	printf '{"type":"candle","exchange":"test","symbol":"ABC/USD","tf":"1h","ts":"2024-01-01T%02d:00:00Z","open":%s,"high":%s,"low":%s,"close":%s,"volume":1%s%s}\n' \
		"$1" "$2" "$3" "$4" "$5" "$sig" "${7:-}"
}

# near A B: |A - B| <= 1e-9 * max(1, |B|)
near() {
	awk -v a="$1" -v b="$2" 'BEGIN { d = a - b; if (d < 0) d = -d; m = b < 0 ? -b : b; if (m < 1) m = 1; exit !(d <= 1e-9 * m) }' ||
		{ echo "expected $2, got $1" >&2; return 1; }
}

fills() { jq -c 'select(.type == "fill") | [.ts[11:13], .side, .qty, .price, .reason]' "$1"; }

@test "ab-order: agrees with an independent model of backtrader's SMA(10)/SMA(30) crossover" {
	python3 "$FIXTURES/order/bt-reference.py" "$TOP/share/autobot/sample/candles/binance-ETH-USDT-1h.csv" \
		"$T/in.jsonl" "$T/expected.json"
	run ab-order backtest --cash 10000 --fee 0.001 --size fraction=0.99 --lot 1 "$T/in.jsonl"
	assert_success
	echo "$output" >"$T/out.jsonl"
	jq -c '.trades[]' "$T/expected.json" >"$T/want"
	jq -c 'select(.type == "fill") | [.ts, .side, .qty, .price]' "$T/out.jsonl" >"$T/got"
	[ "$(wc -l <"$T/want")" -gt 50 ]
	diff "$T/want" "$T/got"
	want=$(jq .final_value "$T/expected.json")
	got=$(jq 'select(.type == "backtest") | .final_equity' "$T/out.jsonl")
	awk -v a="$got" -v b="$want" 'BEGIN { d = (a - b) / b; if (d < 0) d = -d; exit !(d <= 1e-6) }'
	# Round trips: every buy is closed by a sell except perhaps the last.
	[ "$(jq 'select(.type == "backtest") | .trades' "$T/out.jsonl")" -eq $(( $(wc -l <"$T/want") / 2 )) ]
}

@test "ab-order: a signal fills at the next open with slippage against the trader; none on the last candle" {
	{ c 0 100 101 99 100 buy; c 1 102 103 101 102; c 2 104 105 103 104 sell; c 3 106 107 105 106; c 4 108 109 107 108 buy; } >"$T/in"
	run ab-order backtest --cash 1000 --fee 0.01 --slippage-bps 10 --size qty=2 "$T/in"
	assert_success
	echo "$output" >"$T/out"
	[ "$(jq -s '[.[] | select(.type == "fill")] | length' "$T/out")" -eq 2 ]
	buy=$(jq -c 'select(.type == "fill" and .side == "buy")' "$T/out")
	[ "$(jq -r .ts <<<"$buy")" = 2024-01-01T01:00:00Z ]
	near "$(jq .price <<<"$buy")" 102.102
	near "$(jq .fee <<<"$buy")" 2.04204
	near "$(jq .cash_after <<<"$buy")" 793.75396
	[ "$(jq .position_after <<<"$buy")" = 2 ]
	sell=$(jq -c 'select(.type == "fill" and .side == "sell")' "$T/out")
	[ "$(jq -r .ts <<<"$sell")" = 2024-01-01T03:00:00Z ]
	near "$(jq .price <<<"$sell")" 105.894
	near "$(jq .cash_after <<<"$sell")" 1003.42408
	run jq -r 'select(.type == "order") | [.status, .side, .signal_ts] | join(" ")' "$T/out"
	assert_output "expired buy 2024-01-01T04:00:00Z"
	near "$(jq 'select(.type == "backtest") | .final_equity' "$T/out")" 1003.42408
	near "$(jq 'select(.type == "backtest") | .fees' "$T/out")" 4.15992
}

@test "ab-order: a buy when long and a sell when flat do nothing" {
	{ c 0 100 100 100 100 sell; c 1 100 100 100 100 buy; c 2 100 100 100 100 buy; c 3 100 100 100 100; } >"$T/in"
	run ab-order backtest --size qty=1 "$T/in"
	assert_success
	[ "$(jq -sc '[.[] | select(.type == "fill") | .side]' <<<"$output")" = '["buy"]' ]
}

@test "ab-order: a stop-loss fills at its level, or at the open when the price gapped through it" {
	{ c 0 100 100 100 100 buy; c 1 100 102 97 101; c 2 99 100 94 96; } >"$T/in"
	run ab-order backtest --size qty=1 --stop-loss 5 "$T/in"
	assert_success
	[ "$(fills /dev/stdin <<<"$output")" = '["01","buy",1,100,"signal"]
["02","sell",1,95,"stop-loss"]' ]
	{ c 0 100 100 100 100 buy; c 1 100 102 97 101; c 2 90 91 85 88; } >"$T/in"
	run ab-order backtest --size qty=1 --stop-loss 5 "$T/in"
	[ "$(fills /dev/stdin <<<"$output" | tail -1)" = '["02","sell",1,90,"stop-loss"]' ]
}

@test "ab-order: take-profit fills at its level or the better open; a candle through both hits the stop first" {
	{ c 0 100 100 100 100 buy; c 1 100 105 99 104; c 2 105 111 104 109; } >"$T/in"
	run ab-order backtest --size qty=1 --stop-loss 5 --take-profit 10 "$T/in"
	[ "$(fills /dev/stdin <<<"$output" | tail -1)" = '["02","sell",1,110,"take-profit"]' ]
	{ c 0 100 100 100 100 buy; c 1 100 105 99 104; c 2 112 113 111 112; } >"$T/in"
	run ab-order backtest --size qty=1 --stop-loss 5 --take-profit 10 "$T/in"
	[ "$(fills /dev/stdin <<<"$output" | tail -1)" = '["02","sell",1,112,"take-profit"]' ]
	{ c 0 100 100 100 100 buy; c 1 100 111 94 100; } >"$T/in"
	run ab-order backtest --size qty=1 --stop-loss 5 --take-profit 10 "$T/in"
	[ "$(fills /dev/stdin <<<"$output" | tail -1)" = '["01","sell",1,95,"stop-loss"]' ]
}

@test "ab-order: a trailing stop follows earlier highs, never the same candle's high" {
	# Candle 1's high of 130 may have come after its low of 108: no exit there.
	{ c 0 100 100 100 100 buy; c 1 108 130 108 125; c 2 125 126 116 118; } >"$T/in"
	run ab-order backtest --size qty=1 --trailing-stop 10 "$T/in"
	assert_success
	[ "$(fills /dev/stdin <<<"$output")" = '["01","buy",1,108,"signal"]
["02","sell",1,117,"trailing-stop"]' ]
}

@test "ab-order: short positions with --allow-short, stop above the entry" {
	{ c 0 100 100 100 100 sell; c 1 100 101 99 100; c 2 101 106 100 104; } >"$T/in"
	run ab-order backtest --size qty=2 --allow-short --stop-loss 5 "$T/in"
	assert_success
	[ "$(fills /dev/stdin <<<"$output")" = '["01","sell",2,100,"signal"]
["02","buy",2,105,"stop-loss"]' ]
	near "$(jq 'select(.type == "backtest") | .final_equity' <<<"$output")" 9990
}

@test "ab-order: sizing specs and --lot" {
	{ c 0 100 100 100 100 buy; c 1 100 100 100 100; } >"$T/in"
	q() { ab-order backtest --cash 1000 "$@" "$T/in" | jq 'select(.type == "fill") | .qty'; }
	[ "$(q --size fraction=0.5)" = 5 ]
	[ "$(q --size fraction=0.5 --lot 2)" = 4 ]
	[ "$(q --size notional=257)" = 2.57 ]
	[ "$(q --size notional=257 --lot 0.1)" = 2.5 ]
	[ "$(q --size notional=0.3 --lot 0.001)" = 0.003 ]
	[ "$(q --size qty=3.7 --lot 1)" = 3 ]
	# risk=R,atr=N: R of equity lost at a stop k (default 2) ATRs away.
	{ c 0 100 100 100 100 buy ',"atr_14":5'; c 1 100 100 100 100; c 2 95 95 89 90; } >"$T/in"
	run ab-order backtest --cash 1000 --size risk=0.01,atr=14 "$T/in"
	[ "$(fills /dev/stdin <<<"$output")" = '["01","buy",1,100,"signal"]
["02","sell",1,90,"stop-loss"]' ]
	run ab-order backtest --cash 1000 --size risk=0.02,atr=14,k=1 "$T/in"
	[ "$(fills /dev/stdin <<<"$output" | head -1)" = '["01","buy",4,100,"signal"]' ]
	{ c 0 100 100 100 100 buy; c 1 100 100 100 100; } >"$T/in"
	run ab-order backtest --size risk=0.01,atr=14 "$T/in"
	[ "$(jq -r 'select(.type == "order") | .reason' <<<"$output")" = "no ATR on the signal candle" ]
	run ab-order backtest --size frac=1 "$T/in"
	assert_failure 64
}

@test "ab-order: statistics follow the man page's definitions" {
	python3 "$FIXTURES/order/bt-reference.py" "$TOP/share/autobot/sample/candles/binance-ETH-USDT-1h.csv" "$T/in" "$T/x"
	ab-order backtest --cash 10000 --fee 0.001 --size fraction=0.99 --lot 1 --equity "$T/in" >"$T/out"
	python3 - "$T/out" <<'PY'
import json, math, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
eq = [r for r in recs if r["type"] == "equity"]
fills = [r for r in recs if r["type"] == "fill"]
bt = [r for r in recs if r["type"] == "backtest"][0]
cash0 = 10000.0
e = [cash0] + [r["equity"] for r in eq]
ret = [e[i] / e[i - 1] - 1 for i in range(1, len(e))]
n = len(ret)
mean = sum(ret) / n
sd = math.sqrt(sum((x - mean) ** 2 for x in ret) / (n - 1))
dd = math.sqrt(sum(min(x, 0) ** 2 for x in ret) / n)
per_year = 365 * 24
peak, mdd = cash0, 0.0
for v in e:
    peak = max(peak, v)
    mdd = max(mdd, (peak - v) / peak)
trades, wins, gp, gl, open_cost = 0, 0, 0.0, 0.0, None
for f in fills:
    if f["side"] == "buy":
        open_cost = f["qty"] * f["price"] + f["fee"]
    else:
        pnl = f["qty"] * f["price"] - f["fee"] - open_cost
        trades += 1
        wins += pnl > 0
        gp += max(pnl, 0)
        gl += max(-pnl, 0)
want = {
    "final_equity": e[-1],
    "total_return": e[-1] / cash0 - 1,
    "cagr": (e[-1] / cash0) ** (1 / (n / per_year)) - 1,
    "sharpe": mean / sd * math.sqrt(per_year),
    "sortino": mean / dd * math.sqrt(per_year),
    "max_drawdown": mdd,
    "win_rate": wins / trades,
    "profit_factor": gp / gl,
    "exposure": sum(1 for r in eq if r["position"] != 0) / n,
    "fees": sum(f["fee"] for f in fills),
}
assert bt["trades"] == trades, (bt["trades"], trades)
assert bt["candles"] == n
for k, v in want.items():
    assert abs(bt[k] - v) <= 1e-9 * max(1, abs(v)), (k, bt[k], v)
PY
}

@test "ab-order: --db stores the backtest, its fills and its equity curve" {
	python3 "$FIXTURES/order/bt-reference.py" "$TOP/share/autobot/sample/candles/binance-ETH-USDT-1h.csv" "$T/in" "$T/x"
	run ab-order backtest --db "$DB" --name sma --fee 0.001 --size fraction=0.99 --lot 1 "$T/in"
	assert_success
	[ "$(sql "$DB" "SELECT name, candles, trades FROM backtests")" = "sma|2880|59" ]
	[ "$(sql "$DB" "SELECT count(*) FROM fills WHERE backtest_id = 1 AND mode = 'backtest'")" = 118 ]
	[ "$(sql "$DB" "SELECT count(*) FROM equity WHERE backtest_id = 1")" = 2880 ]
	fe=$(jq 'select(.type == "backtest") | .final_equity' <<<"$output")
	near "$(sql "$DB" "SELECT final_equity FROM backtests")" "$fe"
	near "$(sql "$DB" "SELECT equity FROM equity ORDER BY ts DESC LIMIT 1")" "$fe"
	[ "$(sql "$DB" "SELECT status, records_in FROM runs WHERE program = 'ab-order'")" = "0|2880" ]
}

@test "ab-order: passes other records through; refuses mixed markets, disorder and bad lines" {
	{ echo '{"type":"note","x":1}'; c 0 100 100 100 100; } >"$T/in"
	run ab-order backtest "$T/in"
	assert_success
	assert_line --index 0 '{"type":"note","x":1}'
	{ c 0 100 100 100 100; c 1 100 100 100 100 | sed 's/ABC/XYZ/'; } >"$T/in"
	run ab-order backtest "$T/in"
	assert_failure 65
	assert_output --partial "in:2: a backtest takes one market"
	{ c 1 100 100 100 100; c 0 100 100 100 100; } >"$T/in"
	run ab-order backtest "$T/in"
	assert_failure 65
	{ c 0 100 100 100 100; echo '{"type":"candle","open":1}'; } >"$T/in"
	run ab-order backtest "$T/in"
	assert_failure 65
	assert_output --partial "in:2:"
	run ab-order backtest --fee 2 "$T/in"
	assert_failure 64
	: >"$T/empty"
	run ab-order backtest "$T/empty"
	assert_failure 65
}
