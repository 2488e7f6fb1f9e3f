#!/usr/bin/env bats
# autobot(7), the contract between the programs: every record type they write
# has its subsection, and the PIPELINES examples run on the sample data.

load helper

setup_file() {
	# ab-fetch's market commands need an exchange: the loopback mock.
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

# The folder autobot(7)'s PIPELINES start from: the sample data linked in,
# the programs and the cron scripts on PATH, a fresh database, the sample
# shop's "today".
sample_env() {
	cd "$T"
	ln -s "$TOP/share/autobot/sample" sample
	export PATH="$AB_BIN:$TOP/scripts:$PATH"
	export AB_DB="$T/autobot.db" AB_NOW=2026-11-01T00:00:00Z AB_PWHASH_LIMITS=min
}

# The record types in files of JSON lines: each record's first member, which
# every program prints first ("type"), one type a line, sorted and unique.
types() {
	sed -n 's/^{"type":"\([a-z_]*\)".*/\1/p' "$@" | sort -u
}

# Types that autobot(7) has no ".Ss TYPE" for, one a line.
undocumented() {
	local t
	for t in "$@"; do
		grep -qxF ".Ss $t" "$TOP/man/autobot.7" || echo "$t"
	done
}

# Writes each runnable PIPELINES example (the literal block after a
# '.\" pipeline NAME' line) to $T/pipelines/NAME.sh and prints the names.
extract_pipelines() {
	mkdir -p "$T/pipelines"
	awk -v dir="$T/pipelines" '
		/^\.\\" pipeline / { name = $3; next }
		name != "" && /^\.Bd/ { file = dir "/" name ".sh"; printf "" > file; next }
		file != "" && /^\.Ed/ { close(file); print name; name = ""; file = ""; next }
		file != "" { print > file }
	' "$TOP/man/autobot.7"
	# roff escapes in the literal blocks: \e is a backslash, \& nothing
	sed -i 's/\\e/\\/g; s/\\&//g' "$T"/pipelines/*.sh
}

@test "autobot(7): is lint-clean and has a subsection for each type it lists" {
	run mandoc -Tlint -W warning "$TOP/man/autobot.7"
	assert_success
	assert_output ""
	# the index at the top of RECORDS lists the types of each group (Signals
	# lists fields, in words); each type has its subsection
	listed=$(sed -n '/^\.Sh RECORDS/,/^\.Ss /p' "$TOP/man/autobot.7" |
		awk '/^\.It Sx / { group = $3; next } /^\./ { next } group != "" && group != "Signals"' |
		tr -s ', ' '\n\n' | grep .)
	[ "$(wc -l <<<"$listed")" -ge 40 ] || fail "the index lists only: $listed"
	run undocumented $listed
	assert_output ""
}

@test "autobot(7): every record type the programs write on the sample data has a subsection" {
	sample_env
	o="$T/out"
	mkdir "$o"
	# market data
	ab-fetch csv sample/candles/binance-BTC-USDT-1h.csv --exchange binance --symbol BTC/USDT -t 1h >"$o/candles"
	ab-fetch exchanges >"$o/exchanges"
	ab-fetch ticker binance BTC/USDT --base-url "$MOCK/binance" >"$o/ticker"
	ab-fetch book binance BTC/USDT --depth 3 --base-url "$MOCK/binance" >"$o/book"
	ab-fetch trades binance BTC/USDT --limit 3 --base-url "$MOCK/binance" >"$o/trades"
	ab-fetch markets binance --base-url "$MOCK/binance" >"$o/markets"
	# signals, backtests, sweeps, paper trading
	ab-signal --from-db binance BTC/USDT 1h --rsi 14 --atr 14 --macd 12,26,9 \
		strategy sma-cross --fast 10 --slow 30 --store >"$o/signals"
	ab-order backtest --fee 0.001 --size fraction=0.99 --equity --name bt "$o/signals" >"$o/backtest"
	ab-order backtest --max-position 0.0001 "$o/signals" >"$o/backtest-rejected"
	ab-order paper --name p --fee 0.001 --size fraction=0.9 --stop-loss 5 "$o/signals" >"$o/paper"
	ab-order orders --name p >"$o/orders"
	ab-order fills --name p >"$o/fills"
	ab-order positions >"$o/positions"
	ab-order pnl >"$o/pnl"
	ab-order halt --name p test >"$o/halt"
	ab-order resume --name p >"$o/resume"
	grid='fast=5..10:5 slow=20..30:10'
	ab-order optimize sma-cross --grid "$grid" --from-db binance BTC/USDT 1h >"$o/optimize"
	ab-order optimize sma-cross --grid "$grid" --walk-forward 30d,10d --equity \
		--from-db binance BTC/USDT 1h >"$o/walk-forward"
	ab-order optimize sma-cross --grid "$grid" --shard 1/2 --from-db binance BTC/USDT 1h >"$o/shard1"
	ab-order optimize sma-cross --grid "$grid" --shard 2/2 --from-db binance BTC/USDT 1h >"$o/shard2"
	cat "$o/shard1" "$o/shard2" | ab-order optimize --merge >"$o/merge"
	# security, and the permission to make parameters live
	ab-auth init >"$o/keys"
	printf 'a long trader passphrase\n' | ab-auth user add tom --role trader >"$o/user"
	tok=$(printf 'a long trader passphrase\n' | ab-auth login tom)
	printf '%s\n' "$tok" | ab-auth verify >"$o/claims"
	id=$(sed -n 's/^{"type":"optimization","run_id":\([0-9]*\).*/\1/p' "$o/optimize")
	AB_TOKEN=$tok ab-order optimize --apply "$id" --as live >"$o/strategy"
	ab-signal --from-db binance BTC/USDT 1h strategy --from-db live >"$o/signals-live"
	ab-auth user list >"$o/users"
	ab-auth role list >"$o/roles"
	ab-auth key export --public >"$o/key-export"
	printf 'a-master-key-of-32-characters-xx\n' >"$T/master.key"
	chmod 600 "$T/master.key"
	printf 'KEY:SECRET\n' | AB_MASTER_KEY_FILE="$T/master.key" ab-auth secret set binance >"$o/secret"
	ab-auth secret list >"$o/secrets"
	# reinforcement learning
	ab-train ppo --env cartpole --steps 1024 --name cp >"$o/cartpole"
	ab-train eval --model cp --episodes 1 >"$o/cartpole-eval"
	ab-train ppo --env trading --exchange binance --symbol BTC/USDT -t 1h --train-until 2024-03-15 \
		--valid-until 2024-04-05 --steps 2048 --name btc >"$o/train"
	ab-train eval --model btc >"$o/eval"
	ab-signal --from-db binance BTC/USDT 1h | ab-train act --model btc >"$o/act"
	ab-train models list >"$o/models"
	ab-train models show btc >"$o/model-show"
	ab-train models export btc@1 "$o/model-export"
	# the shop
	ab-inventory import sample/shop/products.csv sample/shop/receipts.jsonl >"$o/import"
	ab-inventory order sample/shop/orders.jsonl >"$o/shop-orders"
	ab-inventory receive SM-MUG 5 --cost 4.2 >"$o/receive"
	ab-inventory adjust --reason damaged SM-MUG -- -1 >"$o/adjust"
	ab-inventory transfer SM-MUG 2 main shelf >"$o/transfer"
	ab-inventory stock SM-MUG >"$o/stock"
	printf '%s\n' '{"type":"shop_order","id":"t1","currency":"USD","lines":[{"sku":"SM-MUG","qty":1000}]}' \
		'{"type":"shop_order","id":"t2","currency":"USD","lines":[{"sku":"SM-MUG","qty":1}]}' |
		ab-inventory order >"$o/shop-orders-new"
	ab-inventory pay t2 >"$o/pay"
	ab-inventory fulfil t2 >"$o/fulfil"
	ab-inventory refund t2 --restock >"$o/refund"
	ab-inventory unsold --days 60 >"$o/unsold"
	ab-inventory low-stock >"$o/low-stock"
	for by in total day week month product category; do
		ab-inventory report --by "$by" >"$o/report-$by"
	done
	ab-inventory abc >"$o/abc"
	ab-inventory aging >"$o/aging"
	ab-inventory verify >"$o/verify"
	# pricing
	ab-price elasticity >"$o/elasticity"
	ab-price elasticity --by category >"$o/elasticity-category"
	awk -f "$FIXTURES/price/gen-sales.awk" -v skus=2 -v weeks=30 >"$o/sales-weekly"
	ab-price elasticity "$o/sales-weekly" >"$o/elasticity-sales"
	ab-price optimize "$o/elasticity" >"$o/optimize-prices"
	ab-price markdown --clear-by 2026-12-31 --elasticity -2 --steps 2 "$o/unsold" >"$o/markdown"
	printf 'a long merchant passphrase\n' | ab-auth user add meg --role merchant >/dev/null
	AB_TOKEN=$(printf 'a long merchant passphrase\n' | ab-auth login meg) ab-price apply "$o/markdown" >"$o/apply"
	ab-price history >"$o/history"
	ab-price experiment start TT-MUG --prices 17,19.5,22 >"$o/experiment-start"
	ab-price experiment next --seed 1 >"$o/experiment-next"
	ab-price experiment list >"$o/experiment-list"
	ab-price experiment stop TT-MUG >"$o/experiment-stop"
	ab-price experiment simulate --prices 10,12,14 --truth 1000,-2 --periods 20 --seed 1 >"$o/experiment-sim"
	# the audit log, and operations
	ab-auth audit >"$o/audit"
	ab-auth audit head >"$o/audit-head"
	ab-auth audit verify --anchor "$o/audit-head" >"$o/audit-verify"
	ab-backup --keep 1 "$T/backups" >"$o/backup"
	ab-run job -- 'ab-inventory verify'
	ab-health --no-crontab --json >"$o/health"
	# a damaged stock cache: verify names the problem and fails
	sqlite3 "$AB_DB" "UPDATE stock SET on_hand = on_hand + 1 WHERE sku = 'SM-MUG' AND location = 'main'"
	run ab-inventory verify
	assert_failure 65
	printf '%s\n' "$output" | grep '^{' >"$o/verify-problem"

	# every line printed is a JSON object with a string "type" first
	for f in "$o"/*; do
		run jq -e -s 'all(.[]; type == "object" and (keys_unsorted[0] == "type") and (.type | type == "string"))' "$f"
		[ "$status" -eq 0 ] || fail "$(basename "$f"): a line is not a typed record"
	done
	# and what the programs read: the fixtures' and the sample's records
	inputs=$(find "$FIXTURES" "$TOP/share/autobot/sample" -name '*.jsonl')
	all=$(types "$o"/* $inputs)
	# the run reached every program's records
	for t in candle ticker book trade market exchange order fill equity backtest position pnl halt resume \
		trial optimization fold strategy train model eval product receipt shop_order move stock unsold \
		reorder sales abc aging verify verify_problem elasticity price_rec price experiment \
		experiment_sim user role claims key audit audit_verify audit_head secret backup job_health; do
		grep -qx "$t" <<<"$all" || fail "no \"$t\" record was written: the run above is incomplete"
	done
	run undocumented $all
	assert_output ""
}

@test "autobot(7): every record type in the programs' sources has a subsection" {
	cd "$TOP"
	# committed sources when this is a git checkout: another's work in progress is not yet the contract
	if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
		files=$(git ls-files cmd lib scripts)
	else
		files=$(find cmd lib scripts -type f)
	fi
	# ab_out_kstr(o, "type", "x") and ab_out_kraw(o, "type", "\"x\"", n); ab-order's
	# queries print dump(x, "x", ...) and halt/resume as on ? "halt" : "resume";
	# the scripts printf '{"type":"x",...}'.
	src=$( {
		grep -hoE 'ab_out_k(str|raw)\([^,]+, "type", "(\\")?[a-z_]+' $files | sed -E 's/.*"type", "(\\")?//'
		grep -hoE 'dump\(x, "[a-z_]+"' $files | sed -E 's/.*"([a-z_]+)"/\1/'
		grep -hoE '"type", [a-z]+ \? "[a-z_]+" : "[a-z_]+"' $files | grep -oE '"[a-z_]+"' | grep -v '"type"' | tr -d '"'
		grep -hoE '\{"type":"[a-z_]+"' $files | sed -E 's/.*:"//; s/"$//'
	} | sort -u)
	[ "$(wc -l <<<"$src")" -ge 40 ] || fail "found only: $src"
	run undocumented $src
	assert_output ""
}

@test "autobot(7): the PIPELINES examples run on the sample data" {
	names=$(extract_pipelines)
	n=$(wc -w <<<"$names")
	[ "$n" -ge 4 ] && [ "$n" -le 6 ] || fail "expected 4 to 6 marked pipelines, found: $names"
	[ "$names" = "$(printf '%s\n' backtest optimize rl shop markdown operations)" ] ||
		fail "the pipelines changed; update the checks below: $names"
	sample_env
	for p in $names; do
		run bash -c "set -eo pipefail; . '$T/pipelines/$p.sh'"
		[ "$status" -eq 0 ] || fail "pipeline $p failed with status $status: $output"
		printf '%s\n' "$output" >"$T/pipelines/$p.out"
	done
	cd "$T/pipelines"
	grep -q '^{"type":"backtest","name":"btc-sma","exchange":"binance","symbol":"BTC/USDT"' backtest.out
	grep -q '^{"type":"user","name":"tom","role":"trader"' optimize.out
	grep -q '^{"type":"strategy","name":"eth-live","strategy":"sma-cross","params":{"fast":' optimize.out
	grep -q '^{"type":"pnl","mode":"paper","portfolio":"eth-live"' optimize.out
	[ "$(sql "$AB_DB" "SELECT count(*) FROM fills WHERE portfolio = 'eth-live'")" -gt 0 ]
	grep -q '^{"type":"eval","model":"btc-ppo@1","strategy":"buy-and-hold"' rl.out
	grep -q '^{"type":"position","mode":"paper","portfolio":"btc-ppo"' rl.out
	grep -qE '^ *462 created$' shop.out
	grep -q '^{"type":"verify","ok":true' shop.out
	grep -qP '^2026-10\t77\t4032$' shop.out
	grep -qx 'WB-BAG' shop.out
	# markdowns lower prices, never below cost
	[ "$(grep -cP '^[A-Z0-9-]+\t[0-9.]+\t[0-9.]+$' markdown.out)" -gt 0 ]
	awk -F '\t' 'NF == 3 && $3 >= $2 { exit 1 }' markdown.out
	[ "$(sql "$AB_DB" "SELECT count(*) FROM products WHERE price < cost")" -eq 0 ]
	grep -q '"integrity":"ok"' operations.out
	grep -q '^{"job":"report","state":"ok","last_status":0}$' operations.out
	grep -q '^{"type":"audit_verify","ok":true' operations.out
	[ -f "$T/report/index.html" ]
}
