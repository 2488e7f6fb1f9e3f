#!/usr/bin/env bats
# ab-order optimize: sweeps through the backtest's own code path, the
# out-of-sample split, walk-forward, shards and their merge, the deflated
# Sharpe ratio, storage, and --apply feeding ab-signal strategy --from-db.
load helper

setup_file() {
	export PATH="$AB_BIN:$PATH"
	ab-fetch csv "$BATS_TEST_DIRNAME/../share/autobot/sample/candles/binance-BTC-USDT-1h.csv" \
		--exchange binance --symbol BTC/USDT -t 1h >"$BATS_FILE_TMPDIR/btc.jsonl"
}

setup() {
	export PATH="$AB_BIN:$PATH"
	export HOME="$BATS_TEST_TMPDIR/home"
	mkdir -p "$HOME"
	unset AB_DB AB_NOW AB_TOKEN AB_JOB XDG_DATA_HOME
	DB="$BATS_TEST_TMPDIR/test.db"
	T="$BATS_TEST_TMPDIR"
	IN="$BATS_FILE_TMPDIR/btc.jsonl"
}

# The statistics `ab-order backtest` prints, without the record's labels.
bt_stats() { jq -c 'select(.type == "backtest") | del(.type, .name, .exchange, .symbol)'; }
# A trial's train or test statistics in the same form.
trial_stats() { jq -c ".$1 | del(.sr, .skew, .kurtosis)"; }

@test "ab-order: a sweep tries every valid combination and ranks them on the training period" {
	run ab-order optimize sma-cross --grid 'fast=5..20:5 slow=10..40:10' --fee 0.001 --size fraction=0.99 "$IN"
	assert_success
	echo "$output" >"$T/out"
	# 4 x 4 combinations; sma-cross skips those with fast >= slow (4 of them).
	[ "$(jq -s '[.[] | select(.type == "trial")] | length' "$T/out")" -eq 12 ]
	[ "$(jq -s '[.[] | select(.type == "trial") | select(.params.fast >= .params.slow)] | length' "$T/out")" -eq 0 ]
	[ "$(tail -1 "$T/out" | jq -r .type)" = optimization ]
	[ "$(tail -1 "$T/out" | jq .combinations)" -eq 12 ]
	# The winner has the best training Sharpe ratio (the default objective).
	want=$(jq -s -c '[.[] | select(.type == "trial")] | max_by(.train.sharpe) | .params' "$T/out")
	[ "$(tail -1 "$T/out" | jq -c .best.params)" = "$want" ]
	[ "$(tail -1 "$T/out" | jq -c '.top[0].params')" = "$want" ]
	# Out of sample by default: the first 70% of the candles train.
	n=$(wc -l <"$IN")
	[ "$(head -1 "$T/out" | jq .train.candles)" -eq $((n * 7 / 10)) ]
	[ "$(head -1 "$T/out" | jq .test.candles)" -eq $((n - n * 7 / 10)) ]
	[ "$(tail -1 "$T/out" | jq -r .train_until)" = "$(sed -n "$((n * 7 / 10 + 1))p" "$IN" | jq -r .ts)" ]
	# --constraint keeps only the combinations where it holds.
	run ab-order optimize sma-cross --grid 'fast=5..20:5 slow=10..40:10' --constraint 'slow - fast >= 20' "$IN"
	assert_success
	[ "$(jq -s '[.[] | select(.type == "trial")] | length' <<<"$output")" -eq 6 ]
}

@test "ab-order: each combination re-run with ab-signal | ab-order backtest gives the identical result" {
	n=$(wc -l <"$IN")
	k=$((n * 7 / 10))
	check() { # STRATEGY "SIGNAL OPTIONS" GRID BACKTEST-OPTIONS...
		local s=$1 so=$2 g=$3
		shift 3
		ab-order optimize "$s" --grid "$g" "$@" "$IN" | head -1 >"$T/trial"
		head -n "$k" "$IN" | ab-signal strategy "$s" $so | ab-order backtest "$@" | bt_stats >"$T/want-train"
		trial_stats train <"$T/trial" >"$T/got-train"
		diff "$T/want-train" "$T/got-train"
		# The test period: the same annotated stream, its candles after the split.
		ab-signal strategy "$s" $so "$IN" | tail -n +$((k + 1)) | ab-order backtest "$@" | bt_stats >"$T/want-test"
		trial_stats test <"$T/trial" >"$T/got-test"
		diff "$T/want-test" "$T/got-test"
		[ "$(jq .trades "$T/want-train")" -gt 0 ]
	}
	check sma-cross "--fast 10 --slow 30" "fast=10 slow=30" --fee 0.001 --size fraction=0.99 --lot 0.001
	check ema-cross "--fast 8 --slow 21" "fast=8 slow=21" --allow-short --size qty=0.1 --slippage-bps 5
	check rsi-revert "--period 14 --low 25 --high 75" "period=14 low=25 high=75" --size qty=0.1 --allow-short --stop-loss 2
	check macd-cross "--fast 12 --slow 26 --signal 9" "fast=12 slow=26 signal=9" --fee 0.001 --size fraction=0.5 --trailing-stop 3
	check bbands-revert "--period 20 --k 1.5" "period=20 k=1.5" --size fraction=0.9 --take-profit 2 --max-drawdown 10
	check donchian-breakout "--n 30" "n=30" --allow-short --size notional=5000 --max-daily-loss 100
	# Risk sizing reads the ATR ab-signal adds; optimize computes the same.
	ab-order optimize sma-cross --grid 'fast=10 slow=30' --size risk=0.01,atr=14 "$IN" | head -1 >"$T/trial"
	head -n "$k" "$IN" | ab-signal --atr 14 strategy sma-cross --fast 10 --slow 30 | ab-order backtest --size risk=0.01,atr=14 | bt_stats >"$T/want"
	trial_stats train <"$T/trial" | diff "$T/want" -
	# A combination from the middle of a grid, with --train-until.
	ab-order optimize sma-cross --grid 'fast=5..25:5 slow=30..90:15' --train-until 2024-03-01 --fee 0.001 --size fraction=0.99 "$IN" >"$T/all"
	jq -c 'select(.type == "trial" and .params == {"fast":15,"slow":75})' "$T/all" >"$T/trial"
	m=$(grep -c '"ts":"2024-0[12]' "$IN")
	head -n "$m" "$IN" | ab-signal strategy sma-cross --fast 15 --slow 75 | ab-order backtest --fee 0.001 --size fraction=0.99 | bt_stats >"$T/want"
	trial_stats train <"$T/trial" | diff "$T/want" -
}

@test "ab-order: shards of a sweep merge into the single run's optimization record" {
	g='fast=5..30:5 slow=20..80:10'
	ab-order optimize sma-cross --grid "$g" --constraint 'fast < slow' --fee 0.001 --size fraction=0.99 "$IN" >"$T/one"
	for i in 1 2 3; do
		ab-order optimize sma-cross --grid "$g" --constraint 'fast < slow' --shard "$i/3" --fee 0.001 --size fraction=0.99 "$IN" >"$T/shard$i"
	done
	# Every combination in exactly one shard, none lost.
	cat "$T"/shard? | jq -c 'select(.type == "trial") | .index' | sort -n >"$T/idx"
	jq -c 'select(.type == "trial") | .index' "$T/one" | sort -n | diff - "$T/idx"
	[ "$(jq -s '[.[] | select(.type == "trial")] | length' "$T/shard1")" -lt "$(wc -l <"$T/idx")" ]
	# In any order: the same winner, statistics, deflated Sharpe ratio and top list.
	cat "$T/shard3" "$T/shard1" "$T/shard2" | ab-order optimize --merge | jq -c 'del(.run_id)' >"$T/merged"
	tail -1 "$T/one" | jq -c 'del(.run_id)' | diff - "$T/merged"
	# A shard's own record ranks its slice only.
	[ "$(tail -1 "$T/shard2" | jq -r .shard)" = 2/3 ]
	# A trial given twice is refused.
	run pipeline "cat '$T/shard1' '$T/shard1' | ab-order optimize --merge"
	assert_failure 65
}

@test "ab-order: the deflated Sharpe ratio follows from the trials (Bailey and Lopez de Prado, 2014)" {
	ab-order optimize sma-cross --grid 'fast=5..40:5 slow=20..120:20' --fee 0.001 --size fraction=0.99 "$IN" >"$T/out"
	python3 - "$T/out" <<'PY'
import json, math, sys
from statistics import NormalDist, variance
recs = [json.loads(l) for l in open(sys.argv[1])]
trials = sorted((r for r in recs if r["type"] == "trial"), key=lambda r: r["index"])
opt = recs[-1]
z, g = NormalDist(), 0.5772156649015329
n = opt["combinations"]
v = variance([t["train"]["sr"] for t in trials if t["train"]["sr"] is not None])
sr0 = math.sqrt(v) * ((1 - g) * z.inv_cdf(1 - 1 / n) + g * z.inv_cdf(1 - 1 / (n * math.e)))
b = opt["best"]["train"]
sr, t, sk, ku = b["sr"], b["candles"], b["skew"], b["kurtosis"]
dsr = z.cdf((sr - sr0) * math.sqrt(t - 1) / math.sqrt(1 - sk * sr + (ku - 1) / 4 * sr * sr))
assert abs(dsr - opt["deflated_sharpe"]) < 1e-9, (dsr, opt["deflated_sharpe"])
# The per-candle Sharpe ratio annualises to the backtest's.
assert abs(sr * math.sqrt(24 * 365) - b["sharpe"]) < 1e-9 * abs(b["sharpe"])
assert abs(sr0 * math.sqrt(24 * 365) - opt["expected_max_sharpe"]) < 1e-9
assert 0 < opt["deflated_sharpe"] < 1
PY
}

@test "ab-order: walk-forward re-optimises each window and stitches the out-of-sample segments" {
	g='fast=5..30:5 slow=20..80:20'
	run ab-order optimize sma-cross --grid "$g" --walk-forward 30d,14d --fee 0.001 --size fraction=0.99 --equity "$IN"
	assert_success
	echo "$output" >"$T/out"
	folds=$(jq -s '[.[] | select(.type == "fold")] | length' "$T/out")
	[ "$folds" -ge 5 ]
	[ "$(tail -1 "$T/out" | jq .folds)" -eq "$folds" ]
	# Each fold tests the 14 days after its 30-day window, back to back.
	jq -r 'select(.type == "fold") | [.train_end, .test_start] | @tsv' "$T/out" | while read -r a b; do
		[ $(($(date -d "$b" +%s) - $(date -d "$a" +%s))) -eq 3600 ]
	done
	# The stitched curve covers every test candle, one equity record each.
	sum=$(jq -s '[.[] | select(.type == "fold") | .test.candles] | add' "$T/out")
	[ "$(tail -1 "$T/out" | jq .best.test.candles)" -eq "$sum" ]
	[ "$(jq -s '[.[] | select(.type == "equity")] | length' "$T/out")" -eq "$sum" ]
	# The stitched return compounds the segments'.
	python3 -c '
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
r = 1.0
for f in (x for x in recs if x["type"] == "fold"):
    r *= 1 + f["test"]["total_return"]
got = recs[-1]["best"]["test"]["total_return"]
assert abs((r - 1) - got) < 1e-9, (r - 1, got)' "$T/out"
	# Fold 2's winner is the sweep's winner on that window alone.
	read -r s e <<<"$(jq -r 'select(.type == "fold" and .fold == 2) | [.train_start, .test_start] | @tsv' "$T/out")"
	jq -c --arg s "$s" --arg e "$e" 'select(.ts >= $s and .ts < $e)' "$IN" >"$T/window"
	n=$(wc -l <"$T/window")
	ab-order optimize sma-cross --grid "$g" --train-until "$e" --fee 0.001 --size fraction=0.99 "$T/window" | tail -1 >"$T/w"
	[ "$(jq -c .best.params "$T/w")" = "$(jq -c 'select(.type == "fold" and .fold == 2) | .params' "$T/out")" ]
	[ "$(jq .best.train.candles "$T/w")" -eq "$n" ]
}

@test "ab-order: --db stores the sweep for the heat map; --apply makes the winner live for ab-signal" {
	export AB_DB="$DB" AB_PWHASH_LIMITS=min
	ab-order optimize sma-cross --grid 'fast=5..20:5 slow=30..60:10' --fee 0.001 --size fraction=0.99 "$IN" >"$T/out"
	id=$(tail -1 "$T/out" | jq .run_id)
	[ "$id" -gt 0 ]
	[ "$(sql "$DB" "SELECT program FROM runs WHERE id = $id")" = ab-order ]
	[ "$(sql "$DB" "SELECT count(*) FROM trials WHERE optimization_id = $id")" -eq 16 ]
	# One cell of the heat map: fast x slow -> the training objective.
	want=$(jq -r 'select(.type == "trial" and .params == {"fast":10,"slow":40}) | .score' "$T/out")
	got=$(sql "$DB" "SELECT objective FROM trials WHERE optimization_id = $id AND json_extract(params, '\$.fast') = 10 AND json_extract(params, '\$.slow') = 40")
	awk -v a="$got" -v b="$want" 'BEGIN { exit !((a - b) ^ 2 < 1e-20) }'
	[ "$(sql "$DB" "SELECT best_params FROM optimizations WHERE id = $id")" = "$(tail -1 "$T/out" | jq -c .best.params)" ]
	# Applying needs strategy:apply: a trader has it, a viewer does not.
	ab-auth init >/dev/null
	echo 'trader-pw-7x!' | ab-auth user add bot --role trader >/dev/null
	echo 'viewer-pw-7x!' | ab-auth user add vic --role viewer >/dev/null
	BOT=$(echo 'trader-pw-7x!' | ab-auth login bot)
	VIC=$(echo 'viewer-pw-7x!' | ab-auth login vic)
	AB_TOKEN=$VIC run ab-order optimize --apply "$id" --as btc-trend
	assert_failure 77
	[ "$(sql "$DB" "SELECT count(*) FROM strategy_params")" -eq 0 ]
	AB_TOKEN=$BOT run ab-order optimize --apply "$id" --as btc-trend
	assert_success
	[ "$(jq -r .applied_by <<<"$output")" = bot ]
	[ "$(jq -c .params <<<"$output")" = "$(tail -1 "$T/out" | jq -c .best.params)" ]
	[ "$(sql "$DB" "SELECT actor || ' ' || action || ' ' || object FROM audit WHERE action = 'strategy.apply'")" = "bot strategy.apply btc-trend" ]
	AB_TOKEN=$BOT run ab-order optimize --apply 999 --as btc-trend
	assert_failure 66
	# The cron job's side: the applied parameters, as if typed.
	fast=$(tail -1 "$T/out" | jq .best.params.fast)
	slow=$(tail -1 "$T/out" | jq .best.params.slow)
	ab-signal strategy --from-db btc-trend "$IN" >"$T/live"
	ab-signal strategy sma-cross --fast "$fast" --slow "$slow" "$IN" | cmp - "$T/live"
	run ab-signal strategy --from-db nothing-applied "$IN"
	assert_failure 66
	# The newest apply wins.
	ab-order optimize sma-cross --grid 'fast=7 slow=50' "$IN" >/dev/null
	AB_TOKEN=$BOT ab-order optimize --apply "$(sql "$DB" "SELECT max(id) FROM optimizations")" --as btc-trend >/dev/null
	ab-signal strategy --from-db btc-trend "$IN" | cmp - <(ab-signal strategy sma-cross --fast 7 --slow 50 "$IN")
}

@test "ab-order: optimize reads candles from the database too" {
	ab-fetch csv "$TOP/share/autobot/sample/candles/binance-BTC-USDT-1h.csv" --exchange binance --symbol BTC/USDT -t 1h --db "$DB" >/dev/null
	ab-order optimize sma-cross --grid 'fast=10 slow=30' "$IN" | tail -1 | jq -c 'del(.run_id)' >"$T/want"
	ab-order optimize sma-cross --grid 'fast=10 slow=30' --db "$DB" --from-db binance BTC/USDT 1h | tail -1 | jq -c 'del(.run_id)' | diff "$T/want" -
}

@test "ab-order: optimize usage errors exit 64" {
	run ab-order optimize sma-cross "$IN"
	assert_failure 64
	run ab-order optimize nonsense --grid 'fast=5' "$IN"
	assert_failure 64
	run ab-order optimize sma-cross --grid 'fast=5..x' "$IN"
	assert_failure 64
	run ab-order optimize sma-cross --grid 'period=14' "$IN"
	assert_failure 64
	assert_output --partial 'does not apply to strategy sma-cross'
	run ab-order optimize sma-cross --grid 'fast=30 slow=10' "$IN"
	assert_failure 64
	run ab-order optimize sma-cross --grid 'fast=10 slow=30' --shard 4/3 "$IN"
	assert_failure 64
	run ab-order optimize sma-cross --grid 'fast=10 slow=30' --objective luck "$IN"
	assert_failure 64
	run ab-order optimize sma-cross --grid 'fast=10 slow=30' --constraint 'fast <' "$IN"
	assert_failure 64
	run ab-order optimize sma-cross --grid 'fast=10 slow=30' --walk-forward 30d "$IN"
	assert_failure 64
	run ab-order optimize --apply 1
	assert_failure 64
	run ab-order optimize sma-cross --grid 'fast=10 slow=30' --train-until 2020-01-01 "$IN"
	assert_failure 65
}

# A jq strategy file whose levels are swept: $params.lo, $params.hi, $params.slack.
rsiband() {
	cat >"$T/rsiband.jq" <<'JQ'
# RSI band with a trend filter.
# ab-signal: --rsi 14 --sma 50
def buy: .rsi_14 < $params.lo and .close > .sma_50 * (1 - $params.slack);
def sell: .rsi_14 > $params.hi or ($prev != null and $prev.signal == "buy" and .close < $prev.close * 0.97);
JQ
}

@test "ab-order: a jq strategy's \$params sweep re-runs identically through ab-signal (parameters substituted) | ab-order backtest" {
	rsiband
	n=$(wc -l <"$IN")
	k=$((n * 7 / 10))
	ab-order optimize --strategy-file "$T/rsiband.jq" --grid 'lo=30..45:5 hi=60..70:10 slack=0,0.02' \
		--fee 0.001 --size fraction=0.99 "$IN" >"$T/out"
	[ "$(jq -s '[.[] | select(.type == "trial")] | length' "$T/out")" -eq 16 ]
	[ "$(tail -1 "$T/out" | jq -r .strategy)" = rsiband ]
	# The winner and a combination from the middle of the grid.
	for p in "$(tail -1 "$T/out" | jq -c .best.params)" '{"lo":40,"hi":60,"slack":0.02}'; do
		jq -c --argjson p "$p" 'select(.type == "trial" and .params == $p)' "$T/out" >"$T/trial"
		[ "$(wc -l <"$T/trial")" -eq 1 ]
		lo=$(jq .lo <<<"$p") hi=$(jq .hi <<<"$p") slack=$(jq .slack <<<"$p")
		sed -e "s/\$params\.lo/$lo/g; s/\$params\.hi/$hi/g; s/\$params\.slack/$slack/g" "$T/rsiband.jq" >"$T/fixed.jq"
		! grep -q params "$T/fixed.jq"
		head -n "$k" "$IN" | ab-signal --strategy-file "$T/fixed.jq" | ab-order backtest --fee 0.001 --size fraction=0.99 | bt_stats >"$T/want"
		trial_stats train <"$T/trial" | diff "$T/want" -
		[ "$(jq .trades "$T/want")" -gt 0 ]
		ab-signal --strategy-file "$T/fixed.jq" "$IN" >"$T/fixed"
		tail -n +$((k + 1)) "$T/fixed" | ab-order backtest --fee 0.001 --size fraction=0.99 | bt_stats >"$T/want"
		trial_stats test <"$T/trial" | diff "$T/want" -
		# ab-signal --params binds the same values without editing the file.
		ab-signal --strategy-file "$T/rsiband.jq" --params "$p" "$IN" | cmp - "$T/fixed"
	done
	# --buy/--sell with --indicators, a walk-forward, and shards of a jq sweep.
	rules=(--indicators '--ema 12 --ema 26' --buy '.ema_12 > .ema_26 * (1 + $params.band)' --sell '.ema_12 < .ema_26 * (1 - $params.band)')
	ab-order optimize "${rules[@]}" --grid 'band=0..0.004:0.001' --allow-short --size qty=0.1 "$IN" >"$T/ema"
	jq -c 'select(.type == "trial" and .params == {"band":0.002})' "$T/ema" >"$T/trial"
	head -n "$k" "$IN" | ab-signal --ema 12 --ema 26 --buy '.ema_12 > .ema_26 * (1 + 0.002)' --sell '.ema_12 < .ema_26 * (1 - 0.002)' |
		ab-order backtest --allow-short --size qty=0.1 | bt_stats >"$T/want"
	trial_stats train <"$T/trial" | diff "$T/want" -
	[ "$(jq .trades "$T/want")" -gt 0 ]
	for i in 1 2; do
		ab-order optimize "${rules[@]}" --grid 'band=0..0.004:0.001' --shard "$i/2" --allow-short --size qty=0.1 "$IN" >"$T/s$i"
	done
	cat "$T/s2" "$T/s1" | ab-order optimize --merge | jq -c 'del(.run_id)' >"$T/merged"
	tail -1 "$T/ema" | jq -c 'del(.run_id)' | diff - "$T/merged"
	run ab-order optimize "${rules[@]}" --grid 'band=0..0.004:0.002' --walk-forward 30d,14d --size qty=0.1 "$IN"
	assert_success
	[ "$(tail -1 <<<"$output" | jq .folds)" -ge 3 ]
}

@test "ab-order: --apply of a jq strategy makes ab-signal strategy --from-db NAME run its rules with the winner's \$params" {
	export AB_DB="$DB" AB_PWHASH_LIMITS=min
	rsiband
	ab-order optimize --strategy-file "$T/rsiband.jq" --grid 'lo=35..45:5 hi=60,70 slack=0.02' --fee 0.001 "$IN" >"$T/out"
	id=$(tail -1 "$T/out" | jq .run_id)
	[ "$(sql "$DB" "SELECT json_extract(rules, '\$.indicators') FROM optimizations WHERE id = $id")" = '--rsi 14 --sma 50' ]
	ab-auth init >/dev/null
	echo 'trader-pw-7x!' | ab-auth user add bot --role trader >/dev/null
	BOT=$(echo 'trader-pw-7x!' | ab-auth login bot)
	AB_TOKEN=$BOT run ab-order optimize --apply "$id" --as btc-rsi
	assert_success
	[ "$(jq -r .strategy <<<"$output")" = rsiband ]
	best=$(tail -1 "$T/out" | jq -c .best.params)
	# The file may change or go: the rules were stored with the run.
	ab-signal --strategy-file "$T/rsiband.jq" --params "$best" "$IN" >"$T/want"
	rm "$T/rsiband.jq"
	ab-signal strategy --from-db btc-rsi "$IN" | cmp - "$T/want"
	grep -q '"signal":"buy"' "$T/want"
	# Stored signals carry the strategy's name.
	ab-signal strategy --from-db btc-rsi --store "$IN" >/dev/null
	[ "$(sql "$DB" "SELECT DISTINCT strategy FROM signals")" = rsiband ]
	run ab-signal strategy --from-db btc-rsi --params '{"lo":1}' "$IN"
	assert_failure 64
	run ab-signal strategy --from-db btc-rsi --buy 'true' "$IN"
	assert_failure 64
}

@test "ab-order: jq strategy usage and rule errors" {
	rsiband
	run ab-order optimize --strategy-file "$T/rsiband.jq" --buy 'true' --grid 'lo=30' "$IN"
	assert_failure 64
	run ab-order optimize --buy '.close > $params.x' --grid '1x=3' "$IN"
	assert_failure 64
	run ab-order optimize sma-cross --indicators '--rsi 14' --grid 'fast=10 slow=30' "$IN"
	assert_failure 64
	run ab-order optimize --indicators '--nope 3' --buy 'true' --grid 'x=1' "$IN"
	assert_failure 64
	run ab-order optimize --buy '.close >' --grid 'x=1' "$IN"
	assert_failure 64
	run ab-order optimize --strategy-file "$T/missing.jq" --grid 'x=1' "$IN"
	assert_failure 66
	# A rule that fails on the data: 65, naming the candle and the parameters.
	run ab-order optimize --buy '.close | error("boom \($params.x)")' --grid 'x=1,2' "$IN"
	assert_failure 65
	assert_output --partial 'boom 1'
	assert_output --partial '{"x":1}'
	# A strategy file found by name, as ab-signal strategy NAME finds it.
	AB_STRATEGY_PATH=$T run ab-order optimize rsiband --grid 'lo=40 hi=60 slack=0.02' "$IN"
	assert_success
	[ "$(tail -1 <<<"$output" | jq -r .strategy)" = rsiband ]
}
