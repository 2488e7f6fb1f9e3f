#!/usr/bin/env bats
# ab-inventory: catalogue import, the stock ledger, manual moves, verify.

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
}

@test "ab-inventory: legacy Shopify CSV with variants, image rows and a multi-line body" {
	run inv import "$S/shopify-legacy.csv"
	assert_success
	assert_equal "${#lines[@]}" 4
	assert_line -n 0 '{"type":"product","sku":"TEE-S-BLU","title":"Example T-Shirt - Small / Blue","category":"Shirts","vendor":"Acme","cost":7.5,"price":19.99,"currency":"USD","status":"active","backorder":false,"on_hand":12,"location":"main"}'
	assert_line -n 2 --partial '"sku":"TEE-L-BLU","title":"Example T-Shirt - Large / Blue","category":"Shirts","vendor":"Acme","cost":8,"price":21,'
	assert_line -n 2 --partial '"backorder":true,"on_hand":0'
	assert_line -n 3 --partial '"sku":"MUG-350","title":"Ceramic Mug","category":"Mugs","vendor":"Potter & Co","cost":4.1,"price":12.5'
	run sql "$DB" "SELECT sku, cost, price FROM products ORDER BY sku"
	assert_output "$(printf 'MUG-350|410|1250\nTEE-L-BLU|800|2100\nTEE-M-BLU|750|1999\nTEE-S-BLU|750|1999')"
	run sql "$DB" "SELECT sum(on_hand) FROM stock"
	assert_output 50
}

@test "ab-inventory: current Shopify CSV header dialect" {
	run inv import "$S/shopify-current.csv"
	assert_success
	assert_equal "${#lines[@]}" 3
	assert_line -n 0 '{"type":"product","sku":"APRON-NAT","title":"Linen Apron - Natural","category":"Aprons","vendor":"Weaver","cost":12.25,"price":34,"currency":"USD","status":"active","backorder":false,"on_hand":5,"location":"main"}'
	assert_line -n 1 --partial '"sku":"APRON-CHR","title":"Linen Apron - Charcoal","category":"Aprons","vendor":"Weaver",'
	assert_line -n 1 --partial '"backorder":true,"on_hand":2'
	assert_line -n 2 --partial '"sku":"TOWEL-3","title":"Tea Towel Set"'
	assert_line -n 2 --partial '"status":"archived"'
}

@test "ab-inventory: Shopify Admin REST product JSON, one record per variant" {
	run inv import "$S/shopify-products.json"
	assert_success
	assert_line -n 0 '{"type":"product","sku":"IPOD2008PINK","title":"IPod Nano - 8GB - Pink","category":"Cult Products","vendor":"Apple","cost":null,"price":199,"currency":"USD","status":"active","backorder":true,"on_hand":10,"location":"main"}'
	assert_line -n 1 --partial '"sku":"IPOD2008RED"'
	assert_line -n 2 --partial '"sku":"IPOD2009BLACK","title":"IPod Touch 8GB - Black"'
	assert_line -n 2 --partial '"status":"draft"'
}

@test "ab-inventory: WooCommerce product JSON, money as strings or numbers, variable products skipped" {
	run inv import --currency EUR "$S/woocommerce-products.json"
	assert_success
	assert_equal "${#lines[@]}" 2
	assert_line -n 0 '{"type":"product","sku":"WOO-PQ","title":"Premium Quality","category":"Clothing","cost":null,"price":21.99,"currency":"EUR","status":"active","backorder":false,"on_hand":7,"location":"main"}'
	assert_line -n 1 --partial '"sku":"WOO-ALBUM-1","title":"Woo Album #1","category":"Music","cost":null,"price":9,"currency":"EUR","status":"draft","backorder":true,"on_hand":0'
}

@test "ab-inventory: money is exact in minor units, JPY has none, KWD three" {
	printf '%s\n' '{"type":"product","sku":"J","title":"j","price":"1200","cost":999,"currency":"JPY"}' \
		'{"type":"product","sku":"K","title":"k","price":"1.234","currency":"KWD"}' \
		'{"type":"product","sku":"U","title":"u","price":"0.10","cost":"0.30","currency":"USD"}' \
		'{"type":"product","sku":"V","title":"v","price":"1.10","cost":"0.1","currency":"USD"}' >"$T/m.jsonl"
	run inv import "$T/m.jsonl"
	assert_success
	run sql "$DB" "SELECT sku, price, cost FROM products ORDER BY sku"
	assert_output "$(printf 'J|1200|999\nK|1234|\nU|10|30\nV|110|10')"
	printf '%s\n' '{"type":"product","sku":"J2","title":"j","price":"12.5","currency":"JPY"}' >"$T/bad.jsonl"
	run inv import "$T/bad.jsonl"
	assert_failure 65
	assert_output --partial 'bad.jsonl:1: "J2": "price" is not an amount in JPY'
}

@test "ab-inventory: a bad CSV row is file:line, exit 65, and nothing of the invocation is stored" {
	printf 'sku,title,price,on_hand\nA,Alpha,1.00,3\nB,Beta,"2,50",1\n' >"$T/bad.csv"
	run inv import "$S/catalogue.jsonl" "$T/bad.csv"
	assert_failure 65
	assert_output --partial "bad.csv:3: price \"2,50\" is not an amount in USD"
	run sql "$DB" "SELECT count(*) FROM products; SELECT count(*) FROM stock_moves"
	assert_output "$(printf '0\n0')"
}

@test "ab-inventory: a quoted field spanning lines keeps later line numbers right" {
	printf 'sku,title,price\nA,"Alpha\nsecond line",1.00\nB,Beta,x\n' >"$T/ml.csv"
	run inv import "$T/ml.csv"
	assert_failure 65
	assert_output --partial "ml.csv:4: price \"x\""
}

@test "ab-inventory: re-importing a catalogue is idempotent; a new count adjusts the ledger" {
	run inv import -q "$S/catalogue.jsonl"
	assert_success
	run inv import -q "$S/catalogue.jsonl"
	assert_success
	run sql "$DB" "SELECT count(*) FROM products; SELECT count(*) FROM stock_moves"
	assert_output "$(printf '4\n3')"
	sed 's/"on_hand":10/"on_hand":7/' "$S/catalogue.jsonl" >"$T/c2.jsonl"
	run inv import -q "$T/c2.jsonl"
	run sql "$DB" "SELECT kind, qty, reason FROM stock_moves ORDER BY id DESC LIMIT 1"
	assert_output "adjust|-3|count"
	run inv stock A-1
	assert_output '{"type":"stock","sku":"A-1","title":"Alpha","location":"main","on_hand":7,"reserved":0,"available":7}'
}

@test "ab-inventory: receive, adjust and transfer are ledger moves; stock derives from them" {
	inv import -q "$S/catalogue.jsonl"
	run inv receive A-1 5 --cost 3.75 --at 2024-05-01
	assert_success
	assert_output --partial '"ts":"2024-05-01T00:00:00Z","sku":"A-1","location":"main","kind":"receipt","qty":5,"unit_cost":3.75,"currency":"USD","on_hand":15,"reserved":0,"available":15}'
	run inv adjust A-1 --reason damaged -- -2
	assert_success
	assert_output --partial '"kind":"adjust","qty":-2,"reason":"damaged","on_hand":13'
	run inv transfer A-1 4 main backroom
	assert_success
	assert_line -n 0 --partial '"location":"main","kind":"transfer","qty":-4,"reason":"backroom","on_hand":9'
	assert_line -n 1 --partial '"location":"backroom","kind":"transfer","qty":4,"reason":"main","on_hand":4'
	run inv stock A-1
	assert_line -n 0 --partial '"location":"backroom","on_hand":4,"reserved":0,"available":4}'
	assert_line -n 1 --partial '"location":"main","on_hand":9,"reserved":0,"available":9}'
	run inv stock --location backroom
	assert_output '{"type":"stock","sku":"A-1","title":"Alpha","location":"backroom","on_hand":4,"reserved":0,"available":4}
{"type":"stock","sku":"B-1","title":"Beta","location":"backroom","on_hand":0,"reserved":0,"available":0}
{"type":"stock","sku":"C-1","title":"Gamma","location":"backroom","on_hand":0,"reserved":0,"available":0}
{"type":"stock","sku":"Y-1","title":"Yen thing","location":"backroom","on_hand":0,"reserved":0,"available":0}'
	run inv transfer A-1 99 main backroom
	assert_failure 65
	assert_output --partial '"A-1" at "main": 9 available, cannot move 99'
	run inv verify
	assert_success
}

@test "ab-inventory: usage errors exit 64, unknown SKUs 65" {
	run inv receive A-1 two
	assert_failure 64
	run inv adjust A-1 3
	assert_failure 64
	assert_output --partial 'needs --reason'
	run inv frobnicate
	assert_failure 64
	run inv receive NOPE 1
	assert_failure 65
	assert_output --partial 'unknown sku "NOPE"'
	run inv stock NOPE
	assert_failure 65
}

@test "ab-inventory: the ledger is append-only and verify catches a cache that disagrees" {
	inv import -q "$S/catalogue.jsonl"
	run sql "$DB" "DELETE FROM stock_moves"
	assert_failure
	assert_output --partial 'append-only'
	run sql "$DB" "UPDATE stock_moves SET qty = 1"
	assert_failure
	run inv verify
	assert_success
	assert_output '{"type":"verify","ok":true,"moves":3,"problems":0}'
	sql "$DB" "UPDATE stock SET on_hand = on_hand + 1 WHERE sku = 'B-1'"
	run inv verify
	assert_failure 65
	assert_line '{"type":"verify_problem","check":"cache","sku":"B-1","location":"main","ledger_on_hand":4,"ledger_reserved":0,"cached_on_hand":5,"cached_reserved":0}'
	assert_line '{"type":"verify","ok":false,"moves":3,"problems":1}'
	assert_line 'ab-inventory: verify: 1 problem in the ledger'
}

@test "ab-inventory: every invocation is recorded in runs" {
	inv import -q "$S/catalogue.jsonl"
	run sql "$DB" "SELECT program, records_in, status FROM runs"
	assert_output "ab-inventory|4|0"
}

@test "ab-inventory: the man page is mandoc -Tlint clean" {
	run mandoc -Tlint -W warning "$TOP/man/ab-inventory.1"
	assert_success
	assert_output ''
}

@test "ab-inventory: Shopify's multi-location inventory CSV sets counts per location" {
	inv import -q --currency EUR "$S/shopify-legacy.csv"
	run inv import "$S/shopify-inventory.csv"
	assert_success
	run sql "$DB" "SELECT sku, location, on_hand FROM stock ORDER BY sku, location"
	assert_output "$(printf 'MUG-350|main|30\nTEE-M-BLU|Shop location|6\nTEE-M-BLU|main|8\nTEE-S-BLU|Shop location|15\nTEE-S-BLU|Warehouse|4\nTEE-S-BLU|main|12')"
	# prices, costs and the currency stay as the catalogue said
	run sql "$DB" "SELECT price, cost, currency, title FROM products WHERE sku = 'TEE-S-BLU'"
	assert_output '1999|750|EUR|Example T-Shirt - Small / Blue'
}
