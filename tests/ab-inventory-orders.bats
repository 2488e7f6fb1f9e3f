#!/usr/bin/env bats
# ab-inventory order and the order lifecycle: reservations, no overselling, idempotence.

load helper

inv() {
	ab-inventory --db "$DB" "$@"
}

setup() {
	export PATH="$AB_BIN:$PATH"
	export HOME="$BATS_TEST_TMPDIR/home"
	mkdir -p "$HOME"
	unset AB_DB AB_TOKEN AB_JOB XDG_DATA_HOME
	export AB_NOW=2024-06-01T00:00:00Z
	DB="$BATS_TEST_TMPDIR/test.db"
	T="$BATS_TEST_TMPDIR"
	S="$FIXTURES/shop"
	inv import -q "$S/catalogue.jsonl"
}

# order ID SKU QTY [STATUS]: one shop_order line
order() {
	printf '{"type":"shop_order","id":"%s","ts":"2024-05-01T00:00:00Z","currency":"USD","status":"%s","lines":[{"sku":"%s","qty":%s}]}\n' \
		"$1" "${4:-paid}" "$2" "$3"
}

@test "ab-inventory: orders reserve stock, pass other records through, and print after the commit" {
	run pipeline "{ cat '$S/orders.jsonl'; echo '{\"type\":\"candle\",\"x\":1}'; } | inv order"
	assert_success
	assert_line -n 0 '{"type":"shop_order","id":"1001","ts":"2024-03-01T10:00:00Z","customer":"ann@example.com","currency":"USD","status":"paid","location":"main","lines":[{"sku":"A-1","qty":2,"price":10},{"sku":"B-1","qty":1,"price":5}],"total":25,"result":"created"}'
	assert_line -n 1 --partial '"id":"1002","ts":"2024-03-02T11:00:00Z","customer":"bo@example.com","currency":"USD","status":"fulfilled","location":"main","lines":[{"sku":"A-1","qty":1,"price":9.5}],"total":9.5'
	assert_line -n 2 --partial '"id":"1003"'
	assert_line -n 2 --partial '"status":"pending"'
	assert_line -n 3 --partial '"currency":"JPY","status":"paid","location":"main","lines":[{"sku":"Y-1","qty":1,"price":1200}],"total":1200'
	assert_line -n 4 '{"type":"candle","x":1}'
	run inv stock A-1 B-1 C-1
	assert_line -n 0 --partial '"sku":"A-1","title":"Alpha","location":"main","on_hand":9,"reserved":2,"available":7}'
	assert_line -n 1 --partial '"sku":"B-1","title":"Beta","location":"main","on_hand":4,"reserved":1,"available":3}'
	# C-1 allows backorders: reserved beyond what is on hand
	assert_line -n 2 --partial '"sku":"C-1","title":"Gamma","location":"main","on_hand":0,"reserved":5,"available":-5}'
	run sql "$DB" "SELECT kind, qty, unit_price FROM stock_moves WHERE order_id = '1002' ORDER BY id"
	assert_output "sale|-1|950"
	run inv verify
	assert_success
}

@test "ab-inventory: re-processing the same orders is idempotent by id" {
	inv order -q "$S/orders.jsonl"
	moves=$(sql "$DB" "SELECT count(*) FROM stock_moves")
	run inv order "$S/orders.jsonl"
	assert_success
	assert_line -n 0 --partial '"result":"duplicate"'
	assert_equal "$(sql "$DB" "SELECT count(*) FROM stock_moves")" "$moves"
	assert_equal "$(sql "$DB" "SELECT count(*) FROM shop_orders")" 4
}

@test "ab-inventory: an order that cannot be reserved in full reserves nothing and is kept as rejected" {
	{ order r1 B-1 3; printf '%s\n' '{"id":"r2","currency":"USD","status":"paid","lines":[{"sku":"A-1","qty":1},{"sku":"B-1","qty":1},{"sku":"B-1","qty":1}]}'; } >"$T/o.jsonl"
	run inv order "$T/o.jsonl"
	assert_success
	assert_line -n 1 --partial '"status":"rejected"'
	assert_line -n 1 --partial '"reason":"insufficient stock for \"B-1\" at \"main\": 1 available, 2 wanted"'
	run sql "$DB" "SELECT count(*) FROM stock_moves WHERE order_id = 'r2'"
	assert_output 0
	run inv stock A-1
	assert_output --partial '"on_hand":10,"reserved":0,"available":10}'
	# once stock arrives, feeding the order again retries it
	inv receive -q B-1 5
	run inv order "$T/o.jsonl"
	assert_line -n 1 --partial '"status":"paid"'
	assert_line -n 1 --partial '"result":"updated"'
	run inv verify
	assert_success
}

@test "ab-inventory: --allow-backorder accepts an order beyond the stock" {
	run pipeline "order b1 B-1 9 | inv order --allow-backorder"
	assert_success
	assert_output --partial '"status":"paid"'
	run inv stock B-1
	assert_output --partial '"on_hand":4,"reserved":9,"available":-5}'
}

@test "ab-inventory: lifecycle pending -> paid -> fulfilled -> refunded with restock, each a ledger entry" {
	order L1 A-1 2 pending | inv order -q
	run inv fulfil L1
	assert_failure 65
	assert_output --partial 'order "L1" is pending; it cannot become fulfilled before it is paid'
	run inv pay L1
	assert_success
	assert_output --partial '"status":"paid"'
	run inv fulfil L1
	assert_success
	assert_output --partial '"status":"fulfilled"'
	run inv cancel L1
	assert_failure 65
	run inv refund L1 --restock
	assert_success
	assert_output --partial '"status":"refunded"'
	run sql "$DB" "SELECT kind || ' ' || qty FROM stock_moves WHERE order_id = 'L1' ORDER BY id"
	assert_output "$(printf 'reserve 2\nrelease -2\nsale -2\nreturn 2')"
	run inv stock A-1
	assert_output --partial '"on_hand":10,"reserved":0,"available":10}'
	run inv fulfil NOPE
	assert_failure 65
	assert_output --partial 'no order "NOPE"'
}

@test "ab-inventory: cancelling releases the reservation; status updates arrive as records too" {
	order c1 A-1 4 | inv order -q
	run inv cancel c1
	assert_success
	run inv stock A-1
	assert_output --partial '"on_hand":10,"reserved":0,"available":10}'
	order c2 A-1 3 | inv order -q
	run pipeline "order c2 A-1 3 fulfilled | inv order"
	assert_output --partial '"status":"fulfilled"'
	assert_output --partial '"result":"updated"'
	run inv stock A-1
	assert_output --partial '"on_hand":7,"reserved":0,"available":7}'
	run inv verify
	assert_success
}

@test "ab-inventory: a bad record is stdin:LINE, exit 65, and nothing of the invocation is stored" {
	run pipeline "{ order g1 A-1 1; order g2 A-1 1; echo '{\"id\":\"g3\",\"currency\":\"USD\",\"lines\":[{\"sku\":\"A-1\",\"qty\":1.5}]}'; } | inv order"
	assert_failure 65
	assert_output 'ab-inventory: stdin:3: line 1: "qty" is not a positive whole number'
	run pipeline "{ order g1 A-1 1; order g2 NOPE 1; } | inv order"
	assert_failure 65
	assert_output 'ab-inventory: stdin:2: order "g2": unknown sku "NOPE"'
	run pipeline "{ order g1 A-1 1; echo 'not json'; } | inv order"
	assert_failure 65
	assert_output --partial 'stdin:2:'
	run sql "$DB" "SELECT count(*) FROM shop_orders; SELECT count(*) FROM stock_moves WHERE kind = 'reserve'"
	assert_output "$(printf '0\n0')"
}

@test "ab-inventory: Shopify and WooCommerce orders import with mapped statuses, idempotently" {
	inv import -q "$S/shopify-products.json" "$S/woocommerce-products.json"
	run inv import "$S/shopify-orders.json"
	assert_success
	assert_line -n 0 '{"type":"shop_order","id":"450789469","ts":"2024-01-05T17:00:00Z","customer":"bob.norman@mail.example.com","currency":"USD","status":"paid","location":"main","lines":[{"sku":"IPOD2008PINK","qty":2,"price":199}],"total":398,"result":"created"}'
	assert_line -n 1 --partial '"id":"450789470","ts":"2024-01-06T08:30:00Z","customer":"jane@mail.example.com","currency":"USD","status":"fulfilled"'
	assert_line -n 2 --partial '"status":"cancelled"'
	run inv import "$S/woocommerce-orders.json"
	assert_success
	assert_line -n 0 '{"type":"shop_order","id":"727","ts":"2017-03-22T19:28:02Z","customer":"john.doe@example.com","currency":"USD","status":"paid","location":"main","lines":[{"sku":"WOO-PQ","qty":2,"price":21.99},{"sku":"WOO-ALBUM-1","qty":3,"price":6.67}],"total":63.99,"result":"created"}'
	assert_line -n 1 --partial '"id":"728","ts":"2017-03-23T13:00:00Z","customer":"12","currency":"USD","status":"fulfilled"'
	moves=$(sql "$DB" "SELECT count(*) FROM stock_moves")
	run inv import "$S/shopify-orders.json" "$S/woocommerce-orders.json"
	assert_success
	refute_output --partial '"result":"created"'
	assert_equal "$(sql "$DB" "SELECT count(*) FROM stock_moves")" "$moves"
	run inv verify
	assert_success
}

@test "ab-inventory: eight concurrent order processes competing for the last units never oversell and lose no order" {
	printf '%s\n' '{"type":"product","sku":"LAST","title":"Last units","price":"9.99","currency":"USD","on_hand":10}' | inv import -q
	for p in 1 2 3 4 5 6 7 8; do
		(
			for i in 1 2 3 4 5; do
				q=$(( (p + i) % 2 + 1 ))
				order "p$p-$i" LAST "$q" | inv order -q || echo "p$p-$i failed $?" >>"$T/errors"
			done
		) &
	done
	wait
	[ ! -s "$T/errors" ] || { cat "$T/errors"; false; }
	run sql "$DB" "SELECT count(*) FROM shop_orders"
	assert_output 40
	run sql "$DB" "SELECT coalesce(sum(l.qty), 0) <= 10 FROM shop_orders o JOIN shop_order_lines l ON l.order_id = o.id WHERE o.status = 'paid'"
	assert_output 1
	run sql "$DB" "SELECT on_hand, reserved, on_hand - reserved >= 0 FROM stock WHERE sku = 'LAST'"
	assert_output --regexp '^10\|(9|10)\|1$'
	run sql "$DB" "SELECT count(*) FROM shop_orders WHERE status NOT IN ('paid', 'rejected')"
	assert_output 0
	run inv verify
	assert_success
}

@test "ab-inventory: one import may list orders before the products they name" {
	run inv import -q "$S/shopify-orders.json" "$S/shopify-products.json"
	assert_success
	run sql "$DB" "SELECT status FROM shop_orders ORDER BY id"
	assert_output "$(printf 'paid\nfulfilled\ncancelled')"
}
