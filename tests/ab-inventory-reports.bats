#!/usr/bin/env bats
# ab-inventory unsold, aging, abc, low-stock and report on data with known answers.

load helper

inv() {
	ab-inventory --db "$DB" "$@"
}

setup() {
	export PATH="$AB_BIN:$PATH"
	export HOME="$BATS_TEST_TMPDIR/home"
	mkdir -p "$HOME"
	unset AB_DB AB_TOKEN AB_JOB XDG_DATA_HOME
	export AB_NOW=2024-07-01T00:00:00Z
	DB="$BATS_TEST_TMPDIR/test.db"
	T="$BATS_TEST_TMPDIR"
}

# The shop on 2024-07-01: OLD never sold (10 units 182 days old, 5 units 61
# days old), NEW arrived 10 days ago, SOLD sold 16 days ago, SLOW last sold
# 122 days ago.
shop() {
	cat >"$T/shop.jsonl" <<'J'
{"type":"product","sku":"OLD","title":"Old thing","category":"a","cost":"2.00","price":"5.00","currency":"USD"}
{"type":"product","sku":"NEW","title":"New thing","category":"a","cost":"1.00","price":"3.00","currency":"USD"}
{"type":"product","sku":"SOLD","title":"Selling thing","category":"b","cost":"4.00","price":"10.00","currency":"USD"}
{"type":"product","sku":"SLOW","title":"Slow thing","category":"b","cost":"3.00","price":"8.00","currency":"USD"}
{"type":"receipt","sku":"OLD","qty":10,"ts":"2024-01-01"}
{"type":"receipt","sku":"OLD","qty":5,"ts":"2024-05-01","cost":"2.50"}
{"type":"receipt","sku":"NEW","qty":4,"ts":"2024-06-21"}
{"type":"receipt","sku":"SOLD","qty":10,"ts":"2024-01-01"}
{"type":"receipt","sku":"SLOW","qty":6,"ts":"2024-02-01"}
{"type":"shop_order","id":"o1","ts":"2024-06-15T12:00:00Z","currency":"USD","status":"fulfilled","lines":[{"sku":"SOLD","qty":3,"price":"10.00"}]}
{"type":"shop_order","id":"o2","ts":"2024-03-01T12:00:00Z","currency":"USD","status":"fulfilled","lines":[{"sku":"SLOW","qty":2,"price":"7.50"}]}
{"type":"shop_order","id":"o3","ts":"2024-06-20T12:00:00Z","currency":"USD","status":"cancelled","lines":[{"sku":"OLD","qty":1,"price":"5.00"}]}
J
	inv import -q "$T/shop.jsonl"
}

@test "ab-inventory: unsold lists stock with no sale in N days that was on hand all that time" {
	shop
	run inv unsold --days 90
	assert_success
	assert_equal "${#lines[@]}" 2
	assert_line -n 0 '{"type":"unsold","sku":"OLD","title":"Old thing","category":"a","vendor":null,"on_hand":15,"reserved":0,"available":15,"cost":2,"price":5,"currency":"USD","value":32.5,"retail_value":75,"last_sold":null,"days_since_sale":null,"age_days":182,"avg_age_days":141.7,"units_sold":0,"received":15,"sell_through":0,"days":90}'
	assert_line -n 1 '{"type":"unsold","sku":"SLOW","title":"Slow thing","category":"b","vendor":null,"on_hand":4,"reserved":0,"available":4,"cost":3,"price":8,"currency":"USD","value":12,"retail_value":32,"last_sold":"2024-03-01T12:00:00Z","days_since_sale":121,"age_days":151,"avg_age_days":151,"units_sold":2,"received":6,"sell_through":0.3333,"days":90}'
	run inv unsold --days 150
	assert_output --partial '"sku":"OLD"'
	refute_output --partial '"sku":"SLOW"'
	run inv unsold --days 90 --min-stock 5
	assert_equal "${#lines[@]}" 1
	run inv unsold --days 5
	assert_equal "${#lines[@]}" 4
	assert_output --partial '"sku":"NEW"'
}

@test "ab-inventory: FIFO ageing buckets and value at each layer's cost" {
	shop
	run inv aging
	assert_success
	assert_line -n 0 '{"type":"aging","sku":"NEW","title":"New thing","category":"a","on_hand":4,"d0_30":4,"d31_60":0,"d61_90":0,"d91_180":0,"d181_plus":0,"age_days":10,"avg_age_days":10,"cost":1,"value":4,"currency":"USD"}'
	assert_line -n 1 --partial '"sku":"OLD","title":"Old thing","category":"a","on_hand":15,"d0_30":0,"d31_60":0,"d61_90":5,"d91_180":0,"d181_plus":10,"age_days":182'
	assert_line -n 1 --partial '"value":32.5,'
	assert_line -n 2 --partial '"sku":"SLOW","title":"Slow thing","category":"b","on_hand":4,"d0_30":0,"d31_60":0,"d61_90":0,"d91_180":4,"d181_plus":0'
	assert_line -n 3 --partial '"sku":"SOLD","title":"Selling thing","category":"b","on_hand":7,"d0_30":0,"d31_60":0,"d61_90":0,"d91_180":0,"d181_plus":7'
}

@test "ab-inventory: FIFO consumes the oldest layer first" {
	printf '%s\n' '{"type":"product","sku":"F","title":"f","cost":"1","price":"2","currency":"USD"}' \
		'{"type":"receipt","sku":"F","qty":3,"ts":"2024-01-01","cost":"1"}' \
		'{"type":"receipt","sku":"F","qty":3,"ts":"2024-06-15","cost":"2"}' \
		'{"type":"shop_order","id":"f1","ts":"2024-06-20","currency":"USD","status":"fulfilled","lines":[{"sku":"F","qty":4}]}' | inv import -q
	run inv aging
	assert_output --partial '"on_hand":2,"d0_30":2,"d31_60":0,"d61_90":0,"d91_180":0,"d181_plus":0,"age_days":16'
	assert_output --partial '"value":4,'
}

@test "ab-inventory: ABC classes by cumulative revenue share 80/95" {
	{
		for p in P1:500 P2:300 P3:100 P4:60 P5:40 P6:0; do
			printf '{"type":"product","sku":"%s","title":"%s","price":"1","currency":"USD","on_hand":1000}\n' "${p%%:*}" "${p%%:*}"
		done
		for p in P1:500 P2:300 P3:100 P4:60 P5:40; do
			printf '{"type":"shop_order","id":"%s","ts":"2024-06-01","currency":"USD","status":"paid","lines":[{"sku":"%s","qty":%s}]}\n' "${p%%:*}" "${p%%:*}" "${p##*:}"
		done
	} | inv import -q
	run pipeline "inv abc | jq -r '[.sku, .class, .revenue, .cumulative] | @tsv'"
	assert_success
	assert_output "$(printf 'P1\tA\t500\t0.5\nP2\tA\t300\t0.8\nP3\tB\t100\t0.9\nP4\tC\t60\t0.96\nP5\tC\t40\t1\nP6\tC\t0\t1')"
	run pipeline "inv abc --since 2024-06-02 | jq -r .class | sort -u"
	assert_output C
}

@test "ab-inventory: the best seller is A even when it alone exceeds 80 %" {
	printf '%s\n' '{"type":"product","sku":"BIG","title":"b","price":"1","currency":"USD","on_hand":100}' \
		'{"type":"product","sku":"SMALL","title":"s","price":"1","currency":"USD","on_hand":100}' \
		'{"type":"shop_order","id":"1","ts":"2024-06-01","currency":"USD","status":"paid","lines":[{"sku":"BIG","qty":90},{"sku":"SMALL","qty":10}]}' | inv import -q
	run pipeline "inv abc | jq -r '.sku + \" \" + .class'"
	assert_output "$(printf 'BIG A\nSMALL C')"
}

@test "ab-inventory: report by month, product and category with revenue, margin, AOV and stock-outs" {
	shop
	run inv report
	assert_success
	assert_output '{"type":"sales","by":"total","since":null,"until":"2024-07-01T00:00:00Z","currency":"USD","orders":2,"units":5,"revenue":45,"cost":18,"gross_margin":27,"margin":0.6,"aov":22.5,"stockouts":0}'
	run inv report --by month
	assert_line -n 0 '{"type":"sales","by":"month","period":"2024-03-01T00:00:00Z","currency":"USD","orders":1,"units":2,"revenue":15,"cost":6,"gross_margin":9,"margin":0.6,"aov":15,"stockouts":0}'
	assert_line -n 1 '{"type":"sales","by":"month","period":"2024-06-01T00:00:00Z","currency":"USD","orders":1,"units":3,"revenue":30,"cost":12,"gross_margin":18,"margin":0.6,"aov":30,"stockouts":0}'
	run inv report --by product --since 2024-06-01
	assert_output '{"type":"sales","by":"product","sku":"SOLD","title":"Selling thing","rank":1,"since":"2024-06-01T00:00:00Z","until":"2024-07-01T00:00:00Z","currency":"USD","orders":1,"units":3,"revenue":30,"cost":12,"gross_margin":18,"margin":0.6,"aov":30,"stockouts":0,"sell_through":0.3}'
	run pipeline "inv report --by category | jq -r '.category + \" \" + (.revenue|tostring)'"
	assert_output 'b 45'
	run inv report --by week --until 2024-06-01
	assert_output --partial '"period":"2024-02-26T00:00:00Z"'
	run inv report --by year
	assert_failure 64
}

@test "ab-inventory: a sale that empties a SKU counts as a stock-out" {
	printf '%s\n' '{"type":"product","sku":"S","title":"s","price":"1","currency":"USD"}' \
		'{"type":"receipt","sku":"S","qty":2,"ts":"2024-06-01"}' \
		'{"type":"shop_order","id":"s1","ts":"2024-06-10","currency":"USD","status":"fulfilled","lines":[{"sku":"S","qty":2}]}' | inv import -q
	run pipeline "inv report --by day | jq -c '[.period, .stockouts]'"
	assert_output '["2024-06-10T00:00:00Z",1]'
}

@test "ab-inventory: low-stock suggests what covers the trailing sales rate" {
	printf '%s\n' '{"type":"product","sku":"R","title":"r","cost":"2","price":"5","currency":"USD"}' \
		'{"type":"receipt","sku":"R","qty":40,"ts":"2024-05-01"}' \
		'{"type":"shop_order","id":"r1","ts":"2024-06-10","currency":"USD","status":"fulfilled","lines":[{"sku":"R","qty":30}]}' \
		'{"type":"shop_order","id":"r2","ts":"2024-06-20","currency":"USD","status":"paid","lines":[{"sku":"R","qty":6}]}' | inv import -q
	run inv low-stock --cover 14
	assert_success
	# 36 sold in 30 days: 1.2 a day, 14 days need 17, 4 available
	assert_output '{"type":"reorder","sku":"R","title":"r","on_hand":10,"reserved":6,"available":4,"sold":36,"window":30,"daily_sales":1.2,"days_of_supply":3.3,"cover":14,"reorder_qty":13,"cost":2,"reorder_value":26,"currency":"USD"}'
	run inv low-stock --cover 3
	assert_output ''
}

@test "ab-inventory: the sample shop loads and the man page's examples run on it" {
	export AB_NOW=2026-11-01T00:00:00Z
	SAMPLE="$TOP/share/autobot/sample/shop"
	run inv import "$SAMPLE/products.csv" "$SAMPLE/receipts.jsonl" -q
	assert_success
	run inv order -q "$SAMPLE/orders.jsonl"
	assert_success
	run inv receive OT-SHI-S 24 --cost 7.50
	assert_success
	run inv adjust --reason damaged OT-SHI-S -- -2
	assert_success
	id=$(sql "$DB" "SELECT id FROM shop_orders WHERE status = 'paid' ORDER BY id LIMIT 1")
	run inv fulfil "$id"
	assert_success
	assert_output --partial '"status":"fulfilled"'
	run pipeline "inv unsold --days 90 | jq -r .sku"
	assert_success
	assert_output --partial 'DEAD-'
	assert_equal "$(inv unsold --days 90 | grep -c '"last_sold":null')" 4
	run inv report --by month
	assert_equal "${#lines[@]}" 6
	run pipeline "inv report --by product --since 2026-01-01 | head -n 10"
	assert_equal "${#lines[@]}" 10
	run pipeline "inv abc --since 2026-01-01 | jq -r 'select(.class==\"A\").sku'"
	assert_success
	[ "${#lines[@]}" -ge 3 ]
	run inv verify
	assert_success
}
