#!/usr/bin/env bats
# Pipelines whose programs share one database never wait on each other's locks.

load helper

big_csv() {
	awk 'BEGIN { print "ts,open,high,low,close,volume"; p = 100;
		for (i = 0; i < 20000; i++) { o = p; c = p + ((i * 7919) % 11 - 5) * 0.1; if (c < 1) c = 1;
			h = (o > c ? o : c) + 0.5; l = (o < c ? o : c) - 0.5;
			printf "%.0f,%.2f,%.2f,%.2f,%.2f,%d\n", 1704067200 + 3600 * i, o, h, l, c, 10 + i % 7; p = c } }'
}

@test "pipeline: ab-fetch csv --db | ab-signal --store | ab-order paper on one database does not stall" {
	big_csv >"$T/big.csv"
	export AB_DB="$DB" AB_BUSY_TIMEOUT=60000
	run pipeline "timeout 30 ab-fetch csv --exchange binance --symbol BTC/USDT -t 1h '$T/big.csv' \
		| timeout 30 ab-signal strategy sma-cross --fast 5 --slow 20 --store \
		| timeout 30 ab-order paper --name p >/dev/null"
	assert_success
	assert_equal "$(sql "$DB" 'select count(*) from candles')" 20000
	[ "$(sql "$DB" 'select count(*) from signals')" -gt 100 ]
	[ "$(sql "$DB" "select count(*) from fills")" -gt 0 ]
	assert_equal "$(sql "$DB" 'select count(*) from runs where status = 0')" 3
	assert_equal "$(sql "$DB" 'select count(*) from runs where ended is null')" 0
}

@test "pipeline: ab-signal --from-db --store | ab-order paper finishes at once" {
	big_csv >"$T/big.csv"
	ab-fetch csv --exchange binance --symbol BTC/USDT -t 1h --db "$DB" -q "$T/big.csv"
	SECONDS=0
	run pipeline "timeout 30 ab-signal --db '$DB' --from-db binance BTC/USDT 1h strategy sma-cross --fast 5 --slow 20 --store \
		| timeout 30 ab-order paper --db '$DB' --name p >/dev/null"
	assert_success
	[ "$SECONDS" -lt 15 ] || fail "took ${SECONDS}s: the programs waited on each other's locks"
	assert_equal "$(sql "$DB" "select count(*) from runs where program in ('ab-signal', 'ab-order') and status = 0")" 2
}

@test "pipeline: ab-fetch csv --db | ab-signal | ab-order backtest --db on one database does not stall" {
	big_csv >"$T/big.csv"
	export AB_DB="$DB"
	run pipeline "timeout 30 ab-fetch csv --exchange binance --symbol BTC/USDT -t 1h '$T/big.csv' \
		| timeout 30 ab-signal strategy sma-cross --fast 5 --slow 20 \
		| timeout 30 ab-order backtest --name b1 | tail -n 1"
	assert_success
	assert_output --partial '"type":"backtest","name":"b1"'
	assert_equal "$(sql "$DB" "select candles from backtests where name = 'b1'")" 20000
	assert_equal "$(sql "$DB" 'select count(*) from equity')" 20000
	assert_equal "$(sql "$DB" 'select count(*) from fills where backtest_id = (select id from backtests)')" \
		"$(sql "$DB" 'select count(*) from fills')"
}
