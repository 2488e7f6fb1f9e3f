#!/usr/bin/env bats
# reliability: a concurrency soak. Several programs write one database from
# several processes at once for SOAK_SECONDS (default 8; scripts/soak runs
# it for minutes): every invocation must succeed (no "database is locked"
# escapes the busy timeout), no row may be lost, and the ledger and the
# positions must be what sequential runs of the same work give.
load helper

SECS=${SOAK_SECONDS:-8}

# A writer loops until the deadline; each invocation appends its number to
# W.ok or its status to W.fail, and its stderr to W.err.

fetch_writer() { # NAME
	local n=0
	while [ "$(date +%s)" -lt "$END" ]; do
		n=$((n + 1))
		if ab-fetch csv --exchange "$1-$n" --symbol BTC/USDT -t 1h -q --db "$DB" "$T/candles.csv" 2>>"$T/$1.err"; then
			echo "$1-$n" >>"$T/$1.ok"
		else
			echo "$1-$n $?" >>"$T/$1.fail"
		fi
	done
}

signal_writer() { # NAME: stores signals for the exchanges the fetchers finished
	local ex
	# The fetchers' .ok files grow concurrently, so "the n-th line of them
	# all" moves; take the first finished exchange not signalled yet.
	: >"$T/$1.done"
	while [ "$(date +%s)" -lt "$END" ]; do
		ex=$(cat "$T"/f*.ok 2>/dev/null | grep -vxF -f "$T/$1.done" | head -n 1)
		if [ -z "$ex" ]; then
			sleep 0.1
			continue
		fi
		echo "$ex" >>"$T/$1.done"
		if ab-signal strategy ema-cross --fast 5 --slow 20 --from-db "$ex" BTC/USDT 1h --store \
			--db "$DB" >/dev/null 2>>"$T/$1.err"; then
			echo "$ex" >>"$T/$1.ok"
		else
			echo "$ex $?" >>"$T/$1.fail"
		fi
	done
}

order_writer() { # NAME: shop orders, a new file of 200 each time
	local n=0
	while [ "$(date +%s)" -lt "$END" ]; do
		n=$((n + 1))
		awk -v w="$1" -v n="$n" 'BEGIN { for (i = 1; i <= 200; i++)
			printf "{\"type\":\"shop_order\",\"id\":\"%s-%d-%d\",\"ts\":\"2024-05-01T00:00:00Z\",\"currency\":\"USD\",\"status\":\"paid\",\"lines\":[{\"sku\":\"P-%d\",\"qty\":%d,\"price\":\"2.50\"}]}\n", w, n, i, i % 20 + 1, i % 3 + 1 }' >"$T/$1.in"
		if ab-inventory order --db "$DB" "$T/$1.in" >/dev/null 2>>"$T/$1.err"; then
			echo "$n" >>"$T/$1.ok"
		else
			echo "$n $?" >>"$T/$1.fail"
		fi
	done
}

paper_writer() { # NAME: paper trading a portfolio NAME through the signal file, 500 candles a run
	local n=0
	while [ "$(date +%s)" -lt "$END" ] && [ $((n * 500)) -lt 20000 ]; do
		sed -n "$((n * 500 + 1)),$((n * 500 + 500))p" "$T/signals" >"$T/$1.in"
		n=$((n + 1))
		if ab-order paper --name "$1" --size qty=1 --db "$DB" "$T/$1.in" >/dev/null 2>>"$T/$1.err"; then
			echo "$n" >>"$T/$1.ok"
		else
			echo "$n $?" >>"$T/$1.fail"
		fi
	done
}

@test "reliability: several programs writing one database at once lose nothing and never fail on a lock" {
	export AB_NOW=2024-06-01T00:00:00Z
	awk 'BEGIN { print "timestamp,open,high,low,close,volume"
		for (i = 0; i < 2000; i++) { b = 100 + (i % 97) * 0.25
			printf "%d,%.2f,%.2f,%.2f,%.2f,%.3f\n", 1577836800 + i * 3600, b, b + 1.5, b - 0.75, b + 0.5, 10 + (i % 13) * 0.125 } }' >"$T/candles.csv"
	awk 'BEGIN { for (i = 0; i < 20000; i++) {
		b = 100 + (i % 97) * 0.25; s = ""
		if (i % 7 == 0) s = i % 14 == 0 ? ",\"signal\":\"buy\"" : ",\"signal\":\"sell\""
		printf "{\"type\":\"candle\",\"exchange\":\"test\",\"symbol\":\"ABC/USD\",\"tf\":\"1h\",\"ts\":%d,\"open\":%.2f,\"high\":%.2f,\"low\":%.2f,\"close\":%.2f,\"volume\":1%s}\n", 1577836800 + i * 3600, b, b + 1.5, b - 0.75, b + 0.5, s
	} }' >"$T/signals"
	for i in $(seq 20); do
		printf '{"type":"product","sku":"P-%d","title":"P%d","cost":"1.00","price":"2.50","currency":"USD","on_hand":100000000}\n' "$i" "$i"
	done >"$T/products"
	ab-inventory import -q --db "$DB" "$T/products"
	# What one run of each kind stores, on its own.
	ab-fetch csv --exchange ref --symbol BTC/USDT -t 1h -q --db "$T/ref.db" "$T/candles.csv"
	ab-signal strategy ema-cross --fast 5 --slow 20 --from-db ref BTC/USDT 1h --store --db "$T/ref.db" >/dev/null
	per_signals=$(sql "$T/ref.db" "SELECT count(*) FROM signals")
	[ "$per_signals" -gt 0 ]

	END=$(($(date +%s) + SECS))
	fetch_writer f1 &
	fetch_writer f2 &
	fetch_writer f3 &
	signal_writer s1 &
	order_writer o1 &
	order_writer o2 &
	paper_writer p1 &
	paper_writer p2 &
	wait

	# Nothing failed, nothing was locked.
	cat "$T"/*.fail 2>/dev/null | sed 's/^/# failed: /' >&3 || true
	[ -z "$(cat "$T"/*.fail 2>/dev/null)" ]
	! grep -h . "$T"/*.err
	integrity "$DB"
	# Every successful invocation's rows are there, once.
	fetched=$(cat "$T"/f*.ok | wc -l)
	[ "$(sql "$DB" "SELECT count(*) FROM candles")" = $((fetched * 2000)) ]
	[ "$(sql "$DB" "SELECT count(DISTINCT exchange) FROM candles")" = "$fetched" ]
	signalled=$(wc -l <"$T/s1.ok")
	[ "$(sql "$DB" "SELECT count(*) FROM signals")" = $((signalled * per_signals)) ]
	orders=$(($(cat "$T"/o*.ok | wc -l) * 200))
	[ "$(sql "$DB" "SELECT count(*) FROM shop_orders")" = "$orders" ]
	per_file=$(awk 'BEGIN { for (i = 1; i <= 200; i++) s += i % 3 + 1; print s }')
	[ "$(sql "$DB" "SELECT sum(reserved) FROM stock")" = $(($(cat "$T"/o*.ok | wc -l) * per_file)) ]
	run ab-inventory verify --db "$DB"
	assert_success
	# Each paper portfolio ends where one sequential run over the same candles does.
	for p in p1 p2; do
		n=$(wc -l <"$T/$p.ok")
		head -n $((n * 500)) "$T/signals" >"$T/$p.all"
		ab-order paper --name "$p" --size qty=1 --db "$T/$p.db" "$T/$p.all" >/dev/null
		q="SELECT client_id, side, qty, status FROM orders WHERE portfolio = '$p' ORDER BY client_id;
		   SELECT ts, side, qty, price, cash_after FROM fills WHERE portfolio = '$p' ORDER BY ts, id;
		   SELECT qty, avg_price, realized_pnl, last_ts FROM positions WHERE portfolio = '$p';
		   SELECT cash, fees FROM balances WHERE portfolio = '$p'"
		[ "$(sql "$DB" "$q")" = "$(sql "$T/$p.db" "$q")" ]
	done
	rows=$(sql "$DB" "SELECT (SELECT count(*) FROM candles) + (SELECT count(*) FROM signals) +
		(SELECT count(*) FROM shop_orders) + (SELECT count(*) FROM stock_moves) +
		(SELECT count(*) FROM orders) + (SELECT count(*) FROM fills)")
	runs=$(cat "$T"/*.ok | wc -l)
	echo "# soak ${SECS}s: $runs invocations by 8 processes, $rows rows written, none lost, 0 failures" >&3
}

integrity() {
	[ "$(sql "$1" "PRAGMA integrity_check")" = ok ]
}
