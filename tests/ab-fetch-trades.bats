#!/usr/bin/env bats
# ab-fetch trades: paging from --since by each exchange's own rules, against
# the loopback mock's trade tape (tests/mock/exchange.py, symbols TAPE/...),
# storage, the error paths, and Binance's used-weight header.

load helper

NOW=2024-03-01T00:30:00Z
NOW_MS=1709253000000
EXCHANGES="binance coinbase kraken bitstamp okx bybit"
PAGED="binance coinbase kraken okx"

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

sym() { # EXCHANGE BASE
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

# tape EXCHANGE SYMBOL START_MS [LIMIT]: the mock's trades from START_MS on
tape() {
	curl -sf "$MOCK/_trades?exchange=$1&symbol=$2&start=$3${4:+&limit=$4}"
}

calls() { # EXCHANGE: the requests the mock saw for it, in order
	grep -o "/$1/.*" "$MOCK_DIR/log" || true
}

requests() { # PATTERN
	grep -c -- "$1" "$MOCK_DIR/log" || true
}

@test "ab-fetch trades: from --since to the newest on every paged exchange, ascending, each trade once" {
	# 2024-02-29T21:00:00Z: 1938 trades, two to a time stamp, paged
	for ex in $PAGED; do
		s=$(sym $ex TAPE)
		: >"$MOCK_DIR/log"
		run fetch trades $ex "$s" --since 2024-02-29T21:00:00Z --limit 100000
		assert_success
		assert_equal "${#lines[@]}" 1938
		assert_output "$(tape $ex "$s" 1709240400000)"
		pages=$(requests "/$ex/")
		echo "# $ex: $pages requests" >&3
		[ "$pages" -ge 2 ]
		if [ $ex = kraken ]; then
			# since and `last` are ns; pages overlap by a time stamp, and
			# the last one repeats its `last`
			run calls kraken
			assert_output "$(printf '/kraken/0/public/Trades?pair=TAPEUSD&count=1000&since=%s\n' \
				1709240400000000000 1709246899000000000 1709252996000000000)"
		fi
	done
}

@test "ab-fetch exchanges: says how each exchange's trades page" {
	run pipeline "ab-fetch exchanges | jq -r '[.exchange, .trades, .trade_limit] | join(\" \")'"
	assert_success
	assert_output "$(printf '%s\n' 'binance forward 1000' 'coinbase backward 1000' 'kraken forward 1000' \
		'bitstamp recent ' 'okx backward 100' 'bybit recent 60')"
}

@test "ab-fetch trades: --limit from --since is the first N; without --since the newest N" {
	for ex in $PAGED; do
		s=$(sym $ex TAPE)
		run fetch trades $ex "$s" --since 2024-02-29T22:00:00Z --limit 150
		assert_success
		assert_output "$(tape $ex "$s" 1709244000000 150)"
		run fetch trades $ex "$s" --limit 250
		assert_success
		assert_output "$(tape $ex "$s" 0 | tail -n 250)"
	done
}

@test "ab-fetch trades: binance steps through empty hour windows (startTime/endTime), then follows fromId" {
	# No trades from 04:30 to 07:30: --since 05:00 finds none for two hours.
	: >"$MOCK_DIR/log"
	run fetch trades binance TAPE/USDT --since 2024-02-29T05:00:00Z --limit 1200
	assert_success
	assert_output "$(tape binance TAPE/USDT 1709182800000 1200)"
	run calls binance
	assert_line -n 0 '/binance/api/v3/aggTrades?symbol=TAPEUSDT&limit=1000&startTime=1709182800000&endTime=1709186399999'
	assert_line -n 1 '/binance/api/v3/aggTrades?symbol=TAPEUSDT&limit=1000&startTime=1709186400000&endTime=1709189999999'
	assert_line -n 2 '/binance/api/v3/aggTrades?symbol=TAPEUSDT&limit=1000&startTime=1709190000000&endTime=1709193599999'
	# 278 trades from 07:30 (5017170 to 5017447), then on from the next ID
	assert_line -n 3 '/binance/api/v3/aggTrades?symbol=TAPEUSDT&limit=1000&fromId=5017448'
	assert_equal "${#lines[@]}" 4
}

@test "ab-fetch trades: okx walks windows back with type=2 (time), then type=1 (tradeId)" {
	: >"$MOCK_DIR/log"
	run fetch trades okx TAPE/USDT --since 2024-03-01T00:00:00Z --limit 100000
	assert_success
	assert_output "$(tape okx TAPE/USDT 1709251200000)"
	run calls okx
	assert_line -n 0 '/okx/api/v5/market/history-trades?instId=TAPE-USDT&limit=100&type=2&after=1709251260000'
	assert_line --partial '&type=1&after='
	# the last window is open: the newest trades, no `after`
	assert_line '/okx/api/v5/market/history-trades?instId=TAPE-USDT&limit=100'
}

@test "ab-fetch trades: coinbase pages back with CB-AFTER until a trade before --since" {
	: >"$MOCK_DIR/log"
	run fetch trades coinbase TAPE/USD --since 2024-02-29T18:00:00Z --limit 100000
	assert_success
	assert_output "$(tape coinbase TAPE/USD 1709229600000)"
	# each `after` is the oldest trade ID of the page before (CB-AFTER),
	# until a page reaches before --since
	run calls coinbase
	assert_output "$(printf '/coinbase/products/TAPE-USD/trades?limit=1000%s\n' '' \
		'&after=5025586' '&after=5024586' '&after=5023586')"
	# coinbase's side is the maker's; the record has the taker's
	run pipeline "fetch trades coinbase TAPE/USD --limit 3 | jq -r .side | paste -sd,"
	assert_output "$(tape binance X 0 | tail -n 3 | jq -r .side | paste -sd,)"
}

@test "ab-fetch trades: --db stores each trade once; reruns and overlapping runs change nothing" {
	for ex in $PAGED; do
		s=$(sym $ex TAPE)
		run fetch trades $ex "$s" --since 2024-02-29T23:00:00Z --limit 100000 --db "$DB" -q
		assert_success
		assert_output ""
	done
	n=$(tape binance X 1709247600000 | wc -l)
	assert_equal "$(sql "$DB" 'select count(*) from trades')" $((n * 4))
	assert_equal "$(sql "$DB" "select count(distinct ts || price || amount || side) from trades where id = '5026000'")" 1
	before=$(sql "$DB" 'select * from trades order by 1, 2, 3' | md5sum)
	for ex in $PAGED; do
		run fetch trades $ex "$(sym $ex TAPE)" --since 2024-02-29T23:30:00Z --limit 100000 --db "$DB"
		assert_success
	done
	assert_equal "$(sql "$DB" 'select * from trades order by 1, 2, 3' | md5sum)" "$before"
	# trade 26000 of the tape: 13000 steps of 13 s after two days ago
	assert_equal "$(sql "$DB" "select ts, side, price, amount from trades where exchange = 'okx' and id = '5026000'")" \
		'1709249200000|buy|60000.0|0.003'
	assert_equal "$(sql "$DB" "select records_out from runs order by id desc limit 1")" \
		"$(tape okx X 1709249400000 | wc -l)"
}

@test "ab-fetch trades: bybit serves its last 60 trades only, and says so when --since asks for more" {
	: >"$MOCK_DIR/log"
	run fetch trades bybit TAPE/USDT --since 2024-03-01T00:00:00Z --limit 1000
	assert_success
	assert_equal "${#lines[@]}" 61
	assert_line -n 0 'ab-fetch: bybit serves only its last 60 trades: nothing before 2024-03-01T00:23:39Z'
	assert_equal "$(printf '%s\n' "${lines[@]:1}")" "$(tape bybit TAPE/USDT 0 | tail -n 60)"
	assert_equal "$(requests 'recent-trade?category=spot&symbol=TAPEUSDT&limit=60')" 1
	# within the last 60: no word
	run fetch trades bybit TAPE/USDT --since 2024-03-01T00:29:00Z
	assert_success
	assert_output "$(tape bybit TAPE/USDT 1709252940000)"
}

@test "ab-fetch trades: bitstamp asks for the last minute, hour or day, and says when --since is older" {
	: >"$MOCK_DIR/log"
	run fetch trades bitstamp TAPE/USD --since 2024-03-01T00:29:30Z
	assert_success
	assert_output "$(tape bitstamp TAPE/USD 1709252970000)"
	run fetch trades bitstamp TAPE/USD --since 2024-03-01T00:00:00Z --limit 1000
	assert_success
	assert_output "$(tape bitstamp TAPE/USD 1709251200000)"
	run fetch trades bitstamp TAPE/USD --since 2024-02-29T20:00:00Z --limit 100000
	assert_success
	assert_output "$(tape bitstamp TAPE/USD 1709236800000)"
	run calls bitstamp
	assert_output "$(printf '/bitstamp/api/v2/transactions/tapeusd/?time=%s\n' minute hour day)"
	run fetch trades bitstamp TAPE/USD --since 2024-02-27T00:00:00Z --limit 100000
	assert_success
	assert_line -n 0 'ab-fetch: bitstamp serves only the last 24 h of trades: nothing before 2024-02-29T00:30:00Z'
	assert_equal "$(printf '%s\n' "${lines[@]:1}")" "$(tape bitstamp TAPE/USD 1709166601000)"
}

@test "ab-fetch trades: an unknown symbol is exit 64 and an error in a 200 body exit 69, on every exchange" {
	for ex in $EXCHANGES; do
		run fetch trades $ex "$(sym $ex NOPE)" --since 2024-03-01T00:00:00Z
		assert_failure 64
		assert_output --partial "ab-fetch: $ex: GET $MOCK/$ex/"
		assert_output --partial 'unknown symbol'
		run fetch trades $ex "$(sym $ex BODYERR)" --since 2024-03-01T00:00:00Z
		assert_failure 69
		assert_output --partial "ab-fetch: $ex: GET $MOCK/$ex/"
		assert_output --partial "HTTP 200: "
	done
	run fetch trades binance BODYERR/USDT
	assert_output --partial 'HTTP 200: -1000 An unknown error occurred while processing the request.'
	run fetch trades coinbase BODYERR/USD
	assert_output --partial 'HTTP 200: Internal server error'
	run fetch trades bitstamp BODYERR/USD
	assert_output --partial 'HTTP 200: API0000 Internal error'
	run fetch trades okx BODYERR/USDT
	assert_output --partial 'HTTP 200: 50038 This feature is unavailable in demo trading'
	run fetch trades okx NOPE/USDT
	assert_output --partial 'unknown symbol: 51001 Instrument ID does not exist'
}

@test "ab-fetch trades: a 429 waits its Retry-After, a 5xx is retried, on every exchange" {
	: >"$MOCK_DIR/log"
	for ex in $EXCHANGES; do
		fetch trades $ex "$(sym $ex RL)" >"$T/rl-$ex" 2>&1 &
		fetch trades $ex "$(sym $ex FLAKY)" >"$T/flaky-$ex" 2>&1 &
		{ fetch trades $ex "$(sym $ex ERR)" || echo "exit $?"; } >"$T/err-$ex" 2>&1 &
	done
	wait
	for ex in $EXCHANGES; do
		# the fixtures' trades: kraken's first page has two
		n=3
		[ $ex = kraken ] && n=2
		run cat "$T/rl-$ex"
		assert_equal "${#lines[@]}" $n
		assert_line -n 0 --partial "\"exchange\":\"$ex\""
		run awk -v ex="/$ex/" -v s="$ex" 'index($2, ex) == 1 && toupper($2) ~ /RL/ { t[n++] = $1 }
			END { printf "%s %d %.3f\n", s, n, t[1] - t[0]; exit !(n >= 2 && t[1] - t[0] >= 1.0) }' "$MOCK_DIR/log"
		assert_success
		run cat "$T/flaky-$ex"
		assert_equal "${#lines[@]}" $n
		run cat "$T/err-$ex"
		assert_line -n -1 'exit 69'
		assert_output --partial 'HTTP 503: <html><body>503 Service Temporarily Unavailable</body></html> (5 attempts)'
		assert_equal "$(awk -v ex="/$ex/" 'index($2, ex) == 1 && toupper($2) ~ /ERR/' "$MOCK_DIR/log" | wc -l)" 5
	done
}

@test "ab-fetch trades: a rate limit in a 200 body (okx 50011, bybit 10006, kraken EAPI) is waited out" {
	: >"$MOCK_DIR/log"
	for ex in okx bybit kraken; do
		run fetch trades $ex "$(sym $ex SLOW)"
		assert_success
		assert_line -n 0 --partial "\"exchange\":\"$ex\""
	done
	assert_equal "$(requests 'recent-trade?category=spot&symbol=SLOWUSDT')" 2
	assert_equal "$(requests 'Trades?pair=SLOWUSD')" 2
}

@test "ab-fetch: binance's X-MBX-USED-WEIGHT-1M near 6000 holds the next request until the minute turns" {
	# The mock's first answer: weight 5900, Date two seconds before the minute.
	: >"$MOCK_DIR/log"
	run env AB_HTTP_TRACE=1 AB_NOW=$NOW ab-fetch candles binance HEAVY/USDT -t 1m -q \
		--since 2024-02-28T23:00:00Z --base-url "$MOCK/binance"
	assert_success
	assert_equal "$(grep -c klines "$MOCK_DIR/log")" 2
	assert_output --partial 'ab-fetch: binance: used weight 5900 of 6000: waiting 2.000 s for the next window'
	run awk '{ t[n++] = $1 } END { d = t[1] - t[0]; printf "%.3f\n", d; exit !(n >= 2 && d >= 1.95 && d < 4) }' "$MOCK_DIR/log"
	assert_success
	# a low weight (12) holds nothing
	: >"$MOCK_DIR/log"
	run fetch trades binance TAPE/USDT --since 2024-02-29T05:00:00Z --limit 10
	assert_success
	run awk '{ t[n++] = $1 } END { d = t[n - 1] - t[0]; printf "%.3f\n", d; exit !(n == 3 && d < 0.5) }' "$MOCK_DIR/log"
	assert_success
}
