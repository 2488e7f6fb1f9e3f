#!/usr/bin/env bats
# ab-fetch candles, ticker, book, trades, markets, exchanges against a
# loopback mock (tests/mock/exchange.py) answering in each exchange's format.

load helper

NOW=2024-03-01T00:30:00Z
NOW_MS=1709253000000
EXCHANGES="binance coinbase kraken bitstamp okx bybit"

setup_file() {
	export MOCK_DIR="$BATS_FILE_TMPDIR/mock"
	mkdir -p "$MOCK_DIR"
	python3 "$BATS_TEST_DIRNAME/mock/exchange.py" --port-file "$MOCK_DIR/port" \
		--log "$MOCK_DIR/log" --fixtures "$BATS_TEST_DIRNAME/fixtures/exchanges" \
		--now 1709253000000 --lifetime 300 3>&- &
	echo $! >"$MOCK_DIR/pid"
	for _ in $(seq 100); do
		[ -s "$MOCK_DIR/port" ] && break
		sleep 0.05
	done
	export MOCK="http://127.0.0.1:$(cat "$MOCK_DIR/port")"
}

teardown_file() {
	kill "$(cat "$MOCK_DIR/pid")" 2>/dev/null || true
}

# sym EXCHANGE BASE: the test symbol (USD quotes where the exchange uses them)
sym() {
	case $1 in
	coinbase | kraken | bitstamp) echo "$2/USD" ;;
	*) echo "$2/USDT" ;;
	esac
}

fetch() { # COMMAND EXCHANGE ARGS...
	local cmd=$1 ex=$2
	shift 2
	AB_NOW=$NOW ab-fetch "$cmd" "$ex" "$@" --base-url "$MOCK/$ex"
}

# expected EXCHANGE SYMBOL TF START_MS END_MS: the mock's closed candles
expected() {
	curl -sf "$MOCK/_expected?exchange=$1&symbol=$2&tf=$3&start=$4&end=$5"
}

requests() { # PATTERN: how many requests the mock saw matching it
	grep -c -- "$1" "$MOCK_DIR/log" || true
}

@test "ab-fetch exchanges: lists the six exchanges with their timeframes" {
	run ab-fetch exchanges
	assert_success
	assert_equal "${#lines[@]}" 6
	assert_line -n 0 --partial '"exchange":"binance"'
	assert_line -n 1 --partial '"exchange":"coinbase","name":"Coinbase Exchange, public REST API","url":"https://api.exchange.coinbase.com","timeframes":["1m","5m","15m","1h","6h","1d"],"candle_limit":300'
	assert_line -n 2 --partial '"candle_history":720'
}

@test "ab-fetch candles: exact values from every exchange's own format" {
	# 2024-02-28T00:00:00Z: base 106.5, volume 11.25 in the mock's series
	for ex in $EXCHANGES; do
		s=$(sym $ex BTC)
		run fetch candles $ex "$s" -t 1h --since 2024-02-28T00:00:00Z --limit 1
		assert_success
		assert_output "{\"type\":\"candle\",\"exchange\":\"$ex\",\"symbol\":\"$s\",\"tf\":\"1h\",\"ts\":\"2024-02-28T00:00:00Z\",\"open\":106.5,\"high\":108,\"low\":105.75,\"close\":107,\"volume\":11.25}"
	done
}

# pages EXCHANGE TF SINCE_ISO SINCE_MS MIN_PAGES: the whole range, in order,
# no duplicates, gaps only where the mock leaves them, in >= MIN_PAGES pages
pages() {
	local ex=$1 s
	s=$(sym "$ex" BTC)
	: >"$MOCK_DIR/log"
	run fetch candles "$ex" "$s" -t "$2" --since "$3"
	assert_success
	assert_output "$(expected "$ex" "$s" "$2" "$4" $NOW_MS)"
	[ "$(requests "/$ex/")" -ge "$5" ]
	run pipeline "fetch candles $ex $s -t $2 --since $3 | jq -r .ts | sort -c -u"
	assert_success
}

@test "ab-fetch candles: binance pages forward with startTime, 1000 rows a page" {
	pages binance 1m 2024-02-27T12:00:00Z 1709035200000 4
}

@test "ab-fetch candles: coinbase windows of 300, newest first, (time, low, high, open, close, volume)" {
	# The mock, like Coinbase, adds a candle before each window's start:
	# it must be neither repeated nor kept before --since.
	pages coinbase 1m 2024-02-28T12:00:00Z 1709121600000 8
}

@test "ab-fetch candles: bitstamp windows of 1000 in seconds" {
	pages bitstamp 1m 2024-02-27T12:00:00Z 1709035200000 4
}

@test "ab-fetch candles: okx windows of 100 with before/after, newest first, confirm flag" {
	pages okx 1h 2024-02-15T00:00:00Z 1707955200000 4
}

@test "ab-fetch candles: okx switches to history-candles for old ranges" {
	: >"$MOCK_DIR/log"
	run fetch candles okx BTC/USDT -t 1m --since 2024-02-27T00:00:00Z --limit 5
	assert_success
	assert_equal "${#lines[@]}" 5
	[ "$(requests /okx/api/v5/market/history-candles)" -eq 1 ]
}

@test "ab-fetch candles: bybit windows of 1000, newest first" {
	pages bybit 1m 2024-02-27T12:00:00Z 1709035200000 4
}

@test "ab-fetch candles: kraken reads volume after vwap and says it serves only 720 candles" {
	pages kraken 1h 2024-02-25T00:00:00Z 1708819200000 1
	run fetch candles kraken BTC/USD -t 1m --since 2024-02-29T00:00:00Z
	assert_success
	assert_output --partial 'kraken serves only its last 720 candles: nothing before 2024-02-29T12:31:00Z'
}

@test "ab-fetch candles: the open candle is dropped unless --partial, and never stored" {
	for ex in $EXCHANGES; do
		s=$(sym $ex BTC)
		run fetch candles $ex "$s" -t 1h --since 2024-02-29T22:00:00Z
		assert_success
		assert_equal "${lines[-1]:0:200}" "$(expected $ex "$s" 1h 1709244000000 $NOW_MS | tail -n 1)"
		run fetch candles $ex "$s" -t 1h --since 2024-02-29T22:00:00Z --partial --db "$DB"
		assert_success
		assert_line -n -1 --partial '"ts":"2024-03-01T00:00:00Z"'
		assert_equal "$(sql "$DB" "select count(*) from candles where exchange = '$ex' and ts = 1709251200000")" 0
	done
}

@test "ab-fetch candles: --until excludes its candle, --limit stops early" {
	run fetch candles binance BTC/USDT -t 1h --since 2024-02-29T00:00:00Z --until 2024-02-29T05:00:00Z
	assert_success
	assert_equal "${#lines[@]}" 5
	assert_line -n 4 --partial '"ts":"2024-02-29T04:00:00Z"'
	run fetch candles bybit BTC/USDT -t 1m --since 2024-02-28T00:00:00Z --limit 1500
	assert_success
	assert_equal "${#lines[@]}" 1500
}

@test "ab-fetch candles: without --since, the last --limit closed candles" {
	run fetch candles okx BTC/USDT -t 1h --limit 3
	assert_success
	assert_output "$(expected okx BTC/USDT 1h 1709240400000 $NOW_MS)"
}

@test "ab-fetch candles: --db stores every candle once; a rerun changes nothing" {
	for ex in $EXCHANGES; do
		s=$(sym $ex BTC)
		run fetch candles $ex "$s" -t 1h --since 2024-02-28T00:00:00Z --db "$DB" -q
		assert_success
		assert_output ""
	done
	assert_equal "$(sql "$DB" 'select count(*) from candles')" $((45 * 6))
	assert_equal "$(sql "$DB" "select count(distinct open || ',' || high || ',' || low || ',' || close || ',' || volume) from candles where ts = 1709078400000")" 1
	before=$(sql "$DB" 'select * from candles order by 1, 2, 3, 4' | md5sum)
	run fetch candles coinbase BTC/USD -t 1h --since 2024-02-28T00:00:00Z --db "$DB"
	assert_success
	assert_equal "$(sql "$DB" 'select * from candles order by 1, 2, 3, 4' | md5sum)" "$before"
	assert_equal "$(sql "$DB" "select count(*) from runs where program = 'ab-fetch' and status = 0")" 7
	assert_equal "$(sql "$DB" "select records_out from runs order by id desc limit 1")" 45
}

@test "ab-fetch candles: --resume starts after the newest stored candle" {
	for ex in $EXCHANGES; do
		s=$(sym $ex BTC)
		run env AB_NOW=2024-02-29T12:10:00Z ab-fetch candles $ex "$s" -t 1h --since 2024-02-29T00:00:00Z --db "$DB" --base-url "$MOCK/$ex"
		assert_success
		assert_line -n -1 --partial '"ts":"2024-02-29T11:00:00Z"'
		run fetch candles $ex "$s" -t 1h --resume --db "$DB"
		assert_success
		assert_line -n 0 --partial '"ts":"2024-02-29T12:00:00Z"'
		assert_equal "${#lines[@]}" 12
		assert_equal "$(sql "$DB" "select group_concat(ts, ',') from candles where exchange = '$ex'")" \
			"$(expected $ex "$s" 1h 1709164800000 $NOW_MS | jq -r .ts | xargs -n1 date +%s000 -d | paste -sd,)"
		run fetch candles $ex "$s" -t 1h --resume --db "$DB"
		assert_success
		assert_output ""
	done
}

@test "ab-fetch candles: --resume without a database is exit 64" {
	run fetch candles binance BTC/USDT -t 1h --resume
	assert_failure 64
	assert_output --partial '--resume needs a database'
}

@test "ab-fetch candles: a 429 is retried after its Retry-After, and the wait is real" {
	: >"$MOCK_DIR/log"
	run fetch candles binance RL/USDT -t 1h --since 2024-02-29T00:00:00Z
	assert_success
	assert_equal "${#lines[@]}" 24
	run awk '/RLUSDT/ { t[n++] = $1 } END { printf "%.3f\n", t[1] - t[0]; exit !(n == 2 && t[1] - t[0] >= 1.0) }' "$MOCK_DIR/log"
	assert_success
}

@test "ab-fetch candles: a 5xx once is retried; a 5xx every time is exit 69 with the server's text" {
	run fetch candles okx FLAKY/USDT -t 1h --since 2024-02-29T20:00:00Z
	assert_success
	assert_equal "${#lines[@]}" 4
	: >"$MOCK_DIR/log"
	run fetch candles binance ERR/USDT -t 1h --since 2024-02-29T20:00:00Z
	assert_failure 69
	assert_output --partial 'HTTP 503: <html><body>503 Service Temporarily Unavailable</body></html> (5 attempts)'
	assert_equal "$(requests ERRUSDT)" 5
}

@test "ab-fetch candles: okx, bybit and kraken errors in a 200 body are exit 69 with their text" {
	run fetch candles okx BODYERR/USDT -t 1h
	assert_failure 69
	assert_output --partial 'okx: GET '
	assert_output --partial 'HTTP 200: 50038 This feature is unavailable in demo trading'
	run fetch candles bybit BODYERR/USDT -t 1h
	assert_failure 69
	assert_output --partial 'HTTP 200: 10002 invalid request, please check your server timestamp or recv_window param'
	run fetch candles kraken BODYERR/USD -t 1h
	assert_failure 69
	assert_output --partial 'HTTP 200: EGeneral:Internal error'
}

@test "ab-fetch candles: a rate limit inside a 200 body (bybit 10006) is waited out and retried" {
	: >"$MOCK_DIR/log"
	run fetch candles bybit SLOW/USDT -t 1h --since 2024-02-29T20:00:00Z
	assert_success
	assert_equal "${#lines[@]}" 4
	assert_equal "$(requests SLOWUSDT)" 2
}

@test "ab-fetch candles: an empty page is no candles and success, on every exchange" {
	for ex in $EXCHANGES; do
		run fetch candles $ex "$(sym $ex EMPTY)" -t 1h --since 2024-02-29T00:00:00Z
		assert_success
		assert_output ""
	done
}

@test "ab-fetch: an unknown symbol is exit 64 with the exchange's words, on every exchange" {
	for ex in $EXCHANGES; do
		for cmd in candles ticker book trades; do
			if [ $cmd = candles ]; then
				run fetch $cmd $ex "$(sym $ex NOPE)" -t 1h
			else
				run fetch $cmd $ex "$(sym $ex NOPE)"
			fi
			assert_failure 64
			assert_output --partial "ab-fetch: $ex: GET $MOCK/$ex/"
			assert_output --partial 'unknown symbol'
		done
	done
	run fetch candles binance NOPE/USDT -t 1h
	assert_output --partial 'unknown symbol: -1121 Invalid symbol.'
	run fetch candles okx NOPE/USDT -t 1h
	assert_output --partial 'unknown symbol: 51001 Instrument ID does not exist'
	run fetch ticker kraken NOPE/USD
	assert_output --partial 'unknown symbol: EQuery:Unknown asset pair'
}

@test "ab-fetch: bad exchange, symbol, timeframe or options are exit 64" {
	run ab-fetch candles nasdaq BTC/USDT -t 1h
	assert_failure 64
	assert_output --partial 'unknown exchange "nasdaq"'
	run ab-fetch candles binance btc-usdt -t 1h
	assert_failure 64
	run ab-fetch candles coinbase BTC/USD -t 3m
	assert_failure 64
	assert_output --partial 'coinbase has no 3m candles (it has 1m 5m 15m 1h 6h 1d)'
	run ab-fetch candles binance BTC/USDT
	assert_failure 64
	run ab-fetch book binance BTC/USDT --depth 0
	assert_failure 64
}

@test "ab-fetch ticker: every exchange's ticker, normalised" {
	run fetch ticker binance BTC/USDT
	assert_success
	assert_output '{"type":"ticker","exchange":"binance","symbol":"BTC/USDT","ts":"2024-02-29T23:59:59.999Z","bid":43077,"ask":43077.01,"last":43077.01,"high":43390,"low":42180,"open":43172.009998,"base_volume":21637.05311,"quote_volume":923305713.0156025}'
	run fetch ticker coinbase BTC/USD
	assert_output '{"type":"ticker","exchange":"coinbase","symbol":"BTC/USD","ts":"2024-03-01T00:59:59.812Z","bid":61236.6,"ask":61236.61,"last":61236.61,"high":null,"low":null,"open":null,"base_volume":9312.46931232,"quote_volume":null}'
	# Kraken: a, b, c are [price, ...]; h, l, v, p index 1 is 24 h; quote volume = v * vwap
	run fetch ticker kraken BTC/USD
	assert_output '{"type":"ticker","exchange":"kraken","symbol":"BTC/USD","ts":"2024-03-01T00:30:00Z","bid":61240,"ask":61240.1,"last":61240.1,"high":61800,"low":59800,"open":60500,"base_volume":2500,"quote_volume":152000000}'
	run fetch ticker bitstamp BTC/USD
	assert_output '{"type":"ticker","exchange":"bitstamp","symbol":"BTC/USD","ts":"2024-03-01T00:59:59Z","bid":61239,"ask":61241,"last":61240,"high":61800,"low":59800,"open":60500,"base_volume":2500,"quote_volume":152000000}'
	run fetch ticker okx BTC/USDT
	assert_output '{"type":"ticker","exchange":"okx","symbol":"BTC/USDT","ts":"2024-03-01T00:59:59.500Z","bid":61240.1,"ask":61240.2,"last":61240.1,"high":61800,"low":59800,"open":60400,"base_volume":2500.25,"quote_volume":152340000.5}'
	run fetch ticker bybit BTC/USDT
	assert_output '{"type":"ticker","exchange":"bybit","symbol":"BTC/USDT","ts":"2024-03-01T00:59:59.600Z","bid":61240.1,"ask":61240.2,"last":61240.1,"high":61800,"low":59800,"open":60400,"base_volume":2500.25,"quote_volume":152340000.5}'
}

@test "ab-fetch ticker: several symbols, stored with --db" {
	run fetch ticker binance BTC/USDT ETH/USDT --db "$DB"
	assert_success
	assert_equal "${#lines[@]}" 2
	assert_line -n 1 --partial '"symbol":"ETH/USDT"'
	assert_equal "$(sql "$DB" "select symbol, bid, ask, quote_volume = 923305713.0156025 from tickers order by symbol")" \
		"$(printf 'BTC/USDT|43077.0|43077.01|1\nETH/USDT|43077.0|43077.01|1')"
}

@test "ab-fetch book: bids high to low, asks low to high, --depth, every exchange" {
	for ex in $EXCHANGES; do
		run fetch book $ex "$(sym $ex BTC)"
		assert_success
		run pipeline "fetch book $ex $(sym $ex BTC) | jq -e '(.bids | map(.[0])) as \$b | (.asks | map(.[0])) as \$a | \$b == (\$b | sort | reverse) and \$a == (\$a | sort) and (\$b | length) == 3 and \$b[0] < \$a[0]'"
		assert_success
	done
	run fetch book kraken BTC/USD --depth 2 --db "$DB"
	assert_success
	assert_output '{"type":"book","exchange":"kraken","symbol":"BTC/USD","ts":"2024-03-01T00:30:00Z","bids":[[61240,3],[61239.9,0.1]],"asks":[[61240.1,1],[61241,0.25]]}'
	assert_equal "$(sql "$DB" "select ts, bids, asks from books")" '1709253000000|[[61240,3],[61239.9,0.1]]|[[61240.1,1],[61241,0.25]]'
	run fetch book okx BTC/USDT
	assert_output '{"type":"book","exchange":"okx","symbol":"BTC/USDT","ts":"2024-03-01T00:59:59.400Z","bids":[[61240.1,1.9],[61240,0.3],[61239.8,1]],"asks":[[61240.2,0.52],[61240.5,0.1],[61241,2]]}'
	run fetch book bitstamp BTC/USD
	assert_output --partial '"ts":"2024-03-01T00:59:59.123Z","bids":[[61239,0.5],'
}

@test "ab-fetch trades: ascending, IDs as strings, taker sides, every exchange" {
	run fetch trades binance BTC/USDT
	assert_success
	assert_line -n 0 '{"type":"trade","exchange":"binance","symbol":"BTC/USDT","ts":"2024-02-29T23:59:59.001Z","id":"3436426123","side":"sell","price":43076.99,"amount":0.0012}'
	# Coinbase's side is the maker's: the taker did the opposite
	run fetch trades coinbase BTC/USD
	assert_line -n 2 '{"type":"trade","exchange":"coinbase","symbol":"BTC/USD","ts":"2024-03-01T00:59:59.812Z","id":"653587243","side":"buy","price":61236.61,"amount":0.00041657}'
	run fetch trades bitstamp BTC/USD
	assert_line -n 2 '{"type":"trade","exchange":"bitstamp","symbol":"BTC/USD","ts":"2024-03-01T00:59:59Z","id":"330254443","side":"sell","price":61240,"amount":0.005}'
	run fetch trades okx BTC/USDT
	assert_line -n 0 '{"type":"trade","exchange":"okx","symbol":"BTC/USDT","ts":"2024-03-01T00:59:58Z","id":"489912339","side":"sell","price":61240,"amount":0.1}'
	# An ID beyond 2^53 survives digit for digit
	run fetch trades bybit BTC/USDT
	assert_line -n 2 '{"type":"trade","exchange":"bybit","symbol":"BTC/USDT","ts":"2024-03-01T00:59:59.500Z","id":"2100000000055452181","side":"buy","price":61240.1,"amount":0.0015}'
	run fetch trades kraken BTC/USD
	assert_line -n 0 '{"type":"trade","exchange":"kraken","symbol":"BTC/USD","ts":"2024-03-01T00:46:40.123Z","id":"70001001","side":"buy","price":61230,"amount":0.01}'
	for ex in $EXCHANGES; do
		run pipeline "fetch trades $ex $(sym $ex BTC) | jq -se 'map(.ts) == (map(.ts) | sort) and all(.id | type == \"string\")'"
		assert_success
	done
}

@test "ab-fetch trades: kraken pages with its cursor from --since, without repeats" {
	: >"$MOCK_DIR/log"
	run fetch trades kraken BTC/USD --since 2024-03-01T00:40:00Z --db "$DB"
	assert_success
	assert_equal "$(requests /kraken/0/public/Trades)" 4
	assert_equal "${#lines[@]}" 4
	assert_equal "$(printf '%s\n' "${lines[@]}" | jq -r .id | paste -sd,)" 70001001,70001002,70001003,70001004
	run fetch trades kraken BTC/USD --since 2024-03-01T00:40:00Z --db "$DB" --limit 2
	assert_success
	assert_equal "${#lines[@]}" 2
	assert_equal "$(sql "$DB" 'select count(*) from trades')" 4
	assert_equal "$(sql "$DB" "select side from trades where id = '70001002'")" sell
}

@test "ab-fetch trades: --limit without --since keeps the newest" {
	run fetch trades okx BTC/USDT --limit 1
	assert_success
	assert_output --partial '"id":"489912341"'
}

@test "ab-fetch markets: tick and lot sizes from every exchange, stored with --db" {
	for ex in $EXCHANGES; do
		run fetch markets $ex --db "$DB"
		assert_success
		assert_equal "${#lines[@]}" 3
	done
	assert_equal "$(sql "$DB" "select exchange, id, active, tick_size, lot_size, min_qty, min_notional from markets where symbol in ('BTC/USDT', 'BTC/USD') order by exchange")" "$(cat <<-'X'
	binance|BTCUSDT|1|0.01|1.0e-05|1.0e-05|5.0
	bitstamp|btcusd|1|1.0|1.0e-08||10.0
	bybit|BTCUSDT|1|0.01|1.0e-06|4.8e-05|1.0
	coinbase|BTC-USD|1|0.01|1.0e-08||1.0
	kraken|XBTUSD|1|0.1|1.0e-08|0.0001|0.5
	okx|BTC-USDT|1|0.1|1.0e-08|1.0e-05|
	X
	)"
	run fetch markets kraken
	assert_line -n 1 '{"type":"market","exchange":"kraken","symbol":"DOGE/USD","id":"XDGUSD","base":"DOGE","quote":"USD","active":true,"tick_size":1e-7,"lot_size":1e-8,"min_qty":50,"min_notional":0.5}'
	run fetch markets binance
	assert_line -n 2 '{"type":"market","exchange":"binance","symbol":"LUNA/USDT","id":"LUNAUSDT","base":"LUNA","quote":"USDT","active":false,"tick_size":0.0001,"lot_size":0.01,"min_qty":0.01,"min_notional":10}'
	# a second run updates in place
	run fetch markets okx --db "$DB"
	assert_success
	assert_equal "$(sql "$DB" "select count(*) from markets")" 18
}

@test "ab-fetch markets: bybit follows nextPageCursor" {
	: >"$MOCK_DIR/log"
	run fetch markets bybit
	assert_success
	assert_equal "$(requests 'instruments-info.*cursor=cGFnZT0y')" 1
	assert_line -n 2 --partial '"symbol":"OLD/USDT","id":"OLDUSDT","base":"OLD","quote":"USDT","active":false'
}

@test "ab-fetch: a server that is not there is exit 69" {
	run env AB_NOW=$NOW ab-fetch ticker binance BTC/USDT --base-url http://127.0.0.1:9
	assert_failure 69
}

@test "ab-fetch: the client-side limit paces requests (kraken: bursts of 5, then 1 a second)" {
	: >"$MOCK_DIR/log"
	run fetch ticker kraken BTC/USD ETH/USD SOL/USD ADA/USD DOT/USD XRP/USD LTC/USD
	assert_success
	assert_equal "${#lines[@]}" 7
	# the first five go at once; the sixth and seventh wait about a second each
	run awk '{ t[n++] = $1 } END { d = t[6] - t[0]; printf "%.3f\n", d; exit !(n == 7 && t[4] - t[0] < 0.8 && d >= 1.8) }' "$MOCK_DIR/log"
	assert_success
}
