#!/usr/bin/env bats
# make demo's script: the whole story offline on the sample data, under a minute.

load helper

@test "demo: runs end to end offline and builds the report" {
	[ -f "$TOP/node_modules/chart.js/dist/chart.umd.js" ] || skip "node_modules missing: run make node_modules"
	export AB_DEMO_DIR="$T/demo"
	SECONDS=0
	run "$TOP/scripts/demo"
	assert_success
	[ "$SECONDS" -lt 60 ] || fail "the demo took ${SECONDS}s"
	assert_output --partial "Report:   file://$T/demo/report/index.html"
	db="$T/demo/autobot.db"
	assert_equal "$(sql "$db" 'select count(*) from candles')" 5760
	[ "$(sql "$db" 'select count(*) from signals')" -gt 0 ]
	[ "$(sql "$db" 'select count(*) from backtests')" -ge 2 ]
	[ "$(sql "$db" 'select count(*) from models')" -ge 1 ]
	[ "$(sql "$db" 'select count(*) from shop_orders')" -gt 0 ]
	[ "$(sql "$db" 'select count(*) from prices')" -gt 0 ]
	assert_equal "$(sql "$db" 'select count(*) from runs where ended is null')" 0
	assert_equal "$(sql "$db" 'pragma integrity_check')" ok
	for page in index trading rl shop monitor; do
		ls "$T/demo/report/" | grep -q "^$page" || fail "report page $page missing"
	done
}
