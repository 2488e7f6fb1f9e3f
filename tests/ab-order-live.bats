#!/usr/bin/env bats
# ab-order live: signatures against the exchanges' published examples, a
# loopback mock exchange, permissions, the unknown state and sync.
load helper

setup_file() {
	export MOCK_DIR="$BATS_FILE_TMPDIR"
	python3 "$BATS_TEST_DIRNAME/fixtures/order/mock-exchange.py" "$MOCK_DIR/port" 110 &
	echo $! >"$MOCK_DIR/pid"
	for _ in $(seq 50); do [ -s "$MOCK_DIR/port" ] && break; sleep 0.1; done
}

teardown_file() {
	kill "$(cat "$MOCK_DIR/pid")" 2>/dev/null || true
}

setup() {
	export PATH="$AB_BIN:$PATH" HOME="$BATS_TEST_TMPDIR/home"
	mkdir -p "$HOME"
	unset AB_NOW AB_TOKEN AB_JOB XDG_DATA_HOME AB_MASTER_KEY_FILE
	export DB="$BATS_TEST_TMPDIR/test.db" T="$BATS_TEST_TMPDIR"
	export AB_DB="$DB" AB_PWHASH_LIMITS=min AB_MASTER_KEY='live test master key'
	URL="http://127.0.0.1:$(cat "$MOCK_DIR/port")"
	ab-auth init >/dev/null
	echo 'trader-pw-7x!' | ab-auth user add bot --role trader >/dev/null
	echo 'looker-pw-7x!' | ab-auth user add vic --role viewer >/dev/null
	BOT=$(echo 'trader-pw-7x!' | ab-auth login bot)
	VIC=$(echo 'looker-pw-7x!' | ab-auth login vic)
	echo 'binance-key:binance-secret-0123456789' | AB_TOKEN=$BOT ab-auth secret set binance >/dev/null 2>&1 ||
		echo 'binance-key:binance-secret-0123456789' | ab-auth secret set binance >/dev/null
	echo 'kraken-key:kQH5HW/8p1uGOVjbgWA7FunAmGO8lsSUXNsu3eow76sz84Q18fWxnyRzBHCd3pd5nE9qa99HAZtuZuj6F1huXg==' |
		ab-auth secret set kraken >/dev/null 2>&1 || true
}

c() {
	local sig=""
	[ -n "${6:-}" ] && sig=",\"signal\":\"$6\""
	printf '{"type":"candle","exchange":"%s","symbol":"ETH/USDT","tf":"1h","ts":"2024-01-01T%02d:00:00Z","open":%s,"high":%s,"low":%s,"close":%s,"volume":1%s}\n' \
		"${EXCH:-binance}" "$1" "$2" "$3" "$4" "$5" "$sig"
}

posts() { curl -s "$URL/_stats" | jq -r --arg c "$1" '.posts[$c] // 0'; }

@test "ab-order: Binance signing reproduces the documented LTCBTC example" {
	run pipeline "printf '%s\n' NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j 'symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559' | ab-order sign --exchange binance"
	assert_success
	assert_output c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71
	run pipeline "printf '%s\n' NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j 'symbol=%EF%BC%91%EF%BC%92%EF%BC%93%EF%BC%94%EF%BC%95%EF%BC%96&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559' | ab-order sign --exchange binance"
	assert_output e1353ec6b14d888f1164ae9af8228a3dbd508bc82eb867db8ab6046442f33ef3
}

@test "ab-order: Kraken signing reproduces the documented AddOrder example" {
	run pipeline "printf '%s\n' 'kQH5HW/8p1uGOVjbgWA7FunAmGO8lsSUXNsu3eow76sz84Q18fWxnyRzBHCd3pd5nE9qa99HAZtuZuj6F1huXg==' /0/private/AddOrder 1616492376594 'nonce=1616492376594&ordertype=limit&pair=XBTUSD&price=37500&type=buy&volume=1.25' | ab-order sign --exchange kraken"
	assert_success
	assert_output '4/dpxb3iT4tp/ZCVEwSnEsLxx0bqyhLpdfOpc6fn7OR8+UClSV5n9E6aSS8MPtnRfp32bAb0nmbRn6H8ndwLUQ=='
}

@test "ab-order: live needs a token with order:live (exit 77) and audits every order" {
	c 0 100 100 100 100 buy >"$T/a"
	run ab-order live --exchange binance --base-url "$URL" --size qty=2 "$T/a"
	assert_failure 77
	AB_TOKEN=$VIC run ab-order live --exchange binance --base-url "$URL" --size qty=2 "$T/a"
	assert_failure 77
	assert_output --partial "order:live"
	[ "$(sql "$DB" "SELECT count(*) FROM orders")" = 0 ]
	AB_TOKEN=$BOT run ab-order live --exchange binance --base-url "$URL" --size qty=2 "$T/a"
	assert_success
	id=$(jq -r 'select(.type == "order") | .client_id' <<<"$output")
	[ "$(jq -r 'select(.type == "order") | .status' <<<"$output")" = filled ]
	[ "$(jq -c 'select(.type == "fill") | [.side, .qty, .price]' <<<"$output")" = '["buy",2,101.5]' ]
	[ "$(posts "$id")" = 1 ]
	[ "$(sql "$DB" "SELECT status, filled, exchange_id IS NOT NULL FROM orders")" = "filled|2.0|1" ]
	[ "$(sql "$DB" "SELECT count(*) FROM audit WHERE action = 'order.place' AND object = '$id'")" = 1 ]
	[ "$(sql "$DB" "SELECT qty FROM positions WHERE mode = 'live'")" = 2.0 ]
	# The same signal again: never a second order.
	AB_TOKEN=$BOT run ab-order live --exchange binance --base-url "$URL" --size qty=2 "$T/a"
	assert_success
	[ "$(posts "$id")" = 1 ]
}

@test "ab-order: a 5xx leaves the order unknown, a re-run does not resend it, sync settles it" {
	curl -s "$URL/_fail?n=1" >/dev/null
	c 1 100 100 100 100 buy >"$T/a"
	AB_TOKEN=$BOT run ab-order live --exchange binance --base-url "$URL" --size qty=3 "$T/a"
	assert_failure 75
	id=$(grep '^{' <<<"$output" | jq -r 'select(.type == "order") | .client_id')
	[ "$(grep '^{' <<<"$output" | jq -r .status)" = unknown ]
	assert_output --partial "run ab-order sync"
	[ "$(sql "$DB" "SELECT status FROM orders")" = unknown ]
	[ "$(posts "$id")" = 1 ]
	{ c 1 100 100 100 100 buy; c 2 100 100 100 100; } >"$T/b"
	AB_TOKEN=$BOT run ab-order live --exchange binance --base-url "$URL" --size qty=3 "$T/b"
	assert_success
	[ "$(posts "$id")" = 1 ]
	AB_TOKEN=$BOT run ab-order sync --exchange binance --base-url "$URL"
	assert_success
	[ "$(jq -c 'select(.type == "order") | [.was, .status, .filled]' <<<"$output")" = '["unknown","filled",3]' ]
	[ "$(sql "$DB" "SELECT status, filled FROM orders")" = "filled|3.0" ]
	[ "$(sql "$DB" "SELECT qty FROM positions WHERE mode = 'live'")" = 3.0 ]
	[ "$(posts "$id")" = 1 ]
	# Sync again changes nothing.
	AB_TOKEN=$BOT run ab-order sync --exchange binance --base-url "$URL"
	assert_output ""
	[ "$(sql "$DB" "SELECT count(*) FROM fills WHERE mode = 'live'")" = 1 ]
}

@test "ab-order: partial fills are tracked to completion by sync" {
	curl -s "$URL/_partial?n=1" >/dev/null
	c 3 100 100 100 100 buy >"$T/a"
	AB_TOKEN=$BOT run ab-order live --exchange binance --base-url "$URL" --size qty=4 "$T/a"
	assert_success
	[ "$(sql "$DB" "SELECT status, filled FROM orders")" = "partially_filled|2.0" ]
	AB_TOKEN=$BOT run ab-order orders --open
	[ "$(jq -r .status <<<"$output")" = partially_filled ]
	AB_TOKEN=$BOT run ab-order sync --exchange binance --base-url "$URL"
	assert_success
	[ "$(sql "$DB" "SELECT status, filled FROM orders")" = "filled|4.0" ]
	[ "$(sql "$DB" "SELECT group_concat(qty) FROM fills WHERE mode = 'live'")" = "2.0,2.0" ]
	[ "$(sql "$DB" "SELECT qty FROM positions WHERE mode = 'live'")" = 4.0 ]
}

@test "ab-order: Kraken orders go through the mock with a verified API-Sign" {
	export EXCH=kraken
	c 4 100 100 100 100 buy >"$T/a"
	AB_TOKEN=$BOT run ab-order live --exchange kraken --base-url "$URL" --size qty=1.25 "$T/a"
	assert_success
	[ "$(jq -r 'select(.type == "order") | .status' <<<"$output")" = open ]
	AB_TOKEN=$BOT run ab-order sync --exchange kraken --base-url "$URL"
	assert_success
	[ "$(sql "$DB" "SELECT status, filled FROM orders")" = "filled|1.25" ]
	[ "$(sql "$DB" "SELECT exchange_id FROM orders")" != "" ]
}
