#!/usr/bin/env bats
# ab-price: elasticity, optimize, markdown, experiments, apply, on data with known answers.

load helper

price() {
	ab-price --db "$DB" "$@"
}

gen() {
	awk -f "$FIXTURES/price/gen-sales.awk" "$@"
}

# field NAME: the value of one top-level field of the JSON record in $output
field() {
	jq -r --arg k "$1" '.[$k] | if type == "array" then map(tostring) | join(" ") else tostring end' <<<"$output"
}

products() {
	ab-inventory --db "$DB" import -q
}

@test "ab-price: recovers elasticity -2.5 from noisy seasonal sales within its 95% interval" {
	for seed in 1 2 3; do
		run pipeline "gen -v seed=$seed -v A=500000 -v sd=0.2 -v season=0.4 | ab-price --db '$DB' elasticity -"
		assert_success
		[ "$(field method)" = ols ]
		[ "$(field controls)" = season ]
		read -r lo hi <<<"$(field ci)"
		e=$(field elasticity)
		awk -v lo="$lo" -v hi="$hi" -v e="$e" 'BEGIN { exit !(lo < -2.5 && -2.5 < hi && lo < e && e < hi && hi - lo < 1) }'
		[ "$(field n)" = 104 ]
	done
	# stored for markdown and optimize
	[ "$(sql "$DB" "SELECT scope, name, method, n FROM elasticities")" = "sku|S00001|ols|104" ]
}

@test "ab-price: ignoring seasonality that moves with price biases the estimate; the control removes it" {
	# prices follow the season: dear in summer, when demand is high anyway
	awk 'BEGIN { pi = atan2(0, -1); srand(7)
		for (w = 0; w < 104; w++) { s = sin(2 * pi * w / 52.18); p = 10 * exp(0.15 * s + 0.05 * (rand() - 0.5))
			q = int(exp(log(500000) - 2.5 * log(p) + 0.6 * s) + 0.5)
			printf "{\"type\":\"sales\",\"sku\":\"X\",\"period\":%d,\"units\":%d,\"price\":%.4f}\n", 1704067200 + w * 604800, q, p } }' >"$T/s.jsonl"
	run price elasticity --season 0 "$T/s.jsonl"
	awk -v e="$(field elasticity)" 'BEGIN { exit !(e > -1) }'
	run price elasticity "$T/s.jsonl"
	read -r lo hi <<<"$(field ci)"
	awk -v lo="$lo" -v hi="$hi" 'BEGIN { exit !(lo < -2.5 && -2.5 < hi) }'
}

@test "ab-price: slope and standard error equal an independent least-squares fit (awk)" {
	gen -v seed=5 -v A=500000 -v season=0 >"$T/s.jsonl"
	run price elasticity --season 0 "$T/s.jsonl"
	assert_success
	jq -r '"\(.price) \(.units)"' "$T/s.jsonl" | awk '{ printf "%.17g %.17g\n", log($1), log($2) }' | awk -f "$FIXTURES/price/ols.awk" >"$T/ref"
	read -r b se a <"$T/ref"
	awk -v b="$b" -v se="$se" -v a="$a" -v e="$(field elasticity)" -v s="$(field se)" -v i="$(field intercept)" \
		'function ab(x) { return x < 0 ? -x : x } BEGIN { exit !(ab(b - e) < 1e-9 && ab(se - s) < 1e-9 && ab(a - i) < 1e-9) }'
	# the interval is t-based: e +- t(0.975, 102) * se
	read -r lo hi <<<"$(field ci)"
	awk -v lo="$lo" -v e="$b" -v se="$se" 'function ab(x) { return x < 0 ? -x : x } BEGIN { exit !(ab((e - lo) / se - 1.983495) < 1e-5) }'
}

@test "ab-price: SKUs with too little price variation are pooled by category and say so" {
	gen -v seed=3 -v A=500000 -v skus=3 -v cat=shoes >"$T/s.jsonl"
	# a fourth SKU of the category whose price never moves, and one with no category
	for w in $(seq 0 30); do
		printf '{"type":"sales","sku":"FLAT","category":"shoes","period":%d,"units":%d,"price":12}\n' $((1704067200 + w * 604800)) $((100 + w % 5))
		printf '{"type":"sales","sku":"LONE","period":%d,"units":5,"price":9.5}\n' $((1704067200 + w * 604800))
	done >>"$T/s.jsonl"
	run price elasticity "$T/s.jsonl"
	assert_success
	assert_equal "${#lines[@]}" 5
	assert_line --partial '"sku":"FLAT","category":"shoes"'
	run jq -r 'select(.sku == "FLAT") | "\(.method) \(.reason)"' <<<"$output"
	assert_output --regexp '^pooled too little price variation \(sd of ln price 0 < 0.02\): pooled by category "shoes"$'
	run price elasticity "$T/s.jsonl"
	run jq -r 'select(.sku == "LONE") | "\(.method) \(.elasticity) \(.reason)"' <<<"$output"
	assert_output --partial 'none null too little price variation'
	assert_output --partial 'no category to pool with'
	run price elasticity --by category "$T/s.jsonl"
	assert_success
	assert_equal "${#lines[@]}" 1
	assert_output --partial '"category":"shoes","skus":4'
	read -r lo hi <<<"$(field ci)"
	awk -v lo="$lo" -v hi="$hi" 'BEGIN { exit !(lo < -2.5 && -2.5 < hi) }'
}

@test "ab-price: elasticity from the shop's orders in the database" {
	export AB_NOW=2024-12-30T00:00:00Z
	{
		echo '{"type":"product","sku":"TEA","title":"Tea","category":"drinks","cost":"2.00","price":"5.00","currency":"USD"}'
		echo '{"type":"receipt","sku":"TEA","qty":100000,"ts":"2023-12-01"}'
		# 20 weeks, q = 2000 p^-2 at prices 4..6, one order a week
		awk 'BEGIN { for (w = 0; w < 20; w++) { p = 4 + (w % 5) * 0.5; q = int(2000 * p ^ -2 + 0.5)
			printf "{\"type\":\"shop_order\",\"id\":\"o%d\",\"ts\":%d,\"currency\":\"USD\",\"status\":\"fulfilled\",\"lines\":[{\"sku\":\"TEA\",\"qty\":%d,\"price\":\"%.2f\"}]}\n", w, 1704110400 + w * 604800, q, p } }'
	} | products
	run price elasticity
	assert_success
	[ "$(field n)" = 20 ]
	[ "$(field controls)" = "" ] # 20 weeks are too few to separate a season from price
	awk -v e="$(field elasticity)" 'BEGIN { exit !(e < -1.95 && e > -2.05) }'
	[ "$(field price)" = 6 ]
}

@test "ab-price: optimize recommends the analytic optimum c*e/(1+e) with its interval" {
	echo '{"type":"product","sku":"A","title":"a","cost":"4.00","price":"8.00","currency":"USD"}' | products
	run pipeline "echo '{\"type\":\"elasticity\",\"sku\":\"A\",\"elasticity\":-2.5,\"se\":0.1,\"ci\":[-2.7,-2.3],\"intercept\":5,\"sigma\":0}' | ab-price --db '$DB' optimize"
	assert_success
	[ "$(field optimum)" = 6.666666666666667 ]
	[ "$(field recommended)" = 6.67 ]
	[ "$(field current)" = 8 ]
	[ "$(field bound)" = null ]
	# p*(e) at the interval's ends: 4*2.7/1.7 and 4*2.3/1.3
	[ "$(field optimum_ci)" = "6.352941176470588 7.0769230769230775" ]
	# expected weekly units e^5 * 6.67^-2.5
	awk -v q="$(field expected_units)" 'BEGIN { x = exp(5) * 6.67 ^ -2.5; exit !(q - x < 1e-4 && x - q < 1e-4) }'
	assert_output --partial '"reason":"profit-maximising price c*e/(1+e) = 6.667'
	[ "$(sql "$DB" "SELECT recommended, source FROM price_recs")" = "667|optimize" ]
}

@test "ab-price: optimize honours floor, ceiling, margin and maximum change, and leaves uncertain prices alone" {
	echo '{"type":"product","sku":"A","title":"a","cost":"4.00","price":"8.00","currency":"USD"}' | products
	rec='{"type":"elasticity","sku":"A","elasticity":-2.5,"se":0.1,"ci":[-2.7,-2.3],"intercept":5,"sigma":0}'
	run pipeline "echo '$rec' | ab-price --db '$DB' optimize --max-change 10"
	[ "$(field recommended)" = 7.2 ]
	[ "$(field bound)" = max-change ]
	run pipeline "echo '$rec' | ab-price --db '$DB' optimize --floor 7.5"
	[ "$(field recommended)" = 7.5 ]
	[ "$(field bound)" = floor ]
	run pipeline "echo '$rec' | ab-price --db '$DB' optimize --min-margin 0.5"
	[ "$(field recommended)" = 8 ]
	[ "$(field bound)" = min-margin ]
	run pipeline "echo '$rec' | ab-price --db '$DB' optimize --ceiling 6"
	[ "$(field recommended)" = 6 ]
	run pipeline "echo '$rec' | ab-price --db '$DB' optimize --floor 7 --ceiling 6"
	[ "$(field recommended)" = 8 ]
	assert_output --partial 'constraints conflict'
	run pipeline "echo '{\"type\":\"elasticity\",\"sku\":\"A\",\"elasticity\":-0.8,\"se\":0.1,\"ci\":[-1,-0.6]}' | ab-price --db '$DB' optimize"
	[ "$(field recommended)" = 8 ]
	assert_output --partial '>= -1: demand is inelastic'
	run pipeline "echo '{\"type\":\"elasticity\",\"sku\":\"A\",\"elasticity\":-1.6,\"se\":0.4,\"ci\":[-2.4,-0.8]}' | ab-price --db '$DB' optimize"
	[ "$(field recommended)" = 8 ]
	assert_output --partial 'too uncertain'
	run pipeline "echo '{\"type\":\"elasticity\",\"sku\":\"A\",\"elasticity\":null,\"method\":\"none\",\"reason\":\"the price never changed\"}' | ab-price --db '$DB' optimize"
	[ "$(field recommended)" = 8 ]
	assert_output --partial 'no elasticity (the price never changed)'
	# other records pass through untouched
	run pipeline "echo '{\"type\":\"note\",\"x\":1}' | ab-price --db '$DB' optimize"
	assert_output '{"type":"note","x":1}'
}

@test "ab-price: markdown sells through exactly on deterministic demand (Gallego-van Ryzin example)" {
	export AB_NOW=2024-01-01T00:00:00Z
	# A = 1000 a day at price 1, e = -2.5: at the current price 10, 1000 * 10^-2.5 a day
	u='{"type":"unsold","sku":"M","available":3000,"price":10,"currency":"USD","rate":3.1622776601683795}'
	run pipeline "echo '$u' | ab-price --db '$DB' markdown --clear-by 2024-01-31 --elasticity -2.5 --salvage 1 --floor 0.5"
	assert_success
	# p_clear = (3000 / (1000 * 30))^(1 / -2.5) = 10^0.4 = 2.5119 > p_u = 1.6667; down to the cent
	[ "$(field recommended)" = 2.51 ]
	[ "$(field expected_units)" = 3000 ]
	[ "$(field expected_leftover)" = 0 ]
	[ "$(field method)" = deterministic ]
	# with a floor above the clearing price the floor holds and units are left
	run pipeline "echo '$u' | ab-price --db '$DB' markdown --clear-by 2024-01-31 --elasticity -2.5 --salvage 1 --floor 3"
	[ "$(field recommended)" = 3 ]
	awk -v l="$(field expected_leftover)" 'BEGIN { exit !(l > 0) }'
	assert_output --partial 'the floor binds'
	# salvage worth more than clearing: p_u = s e / (1 + e) = 5/3 s
	run pipeline "echo '$u' | ab-price --db '$DB' markdown --clear-by 2024-01-31 --elasticity -2.5 --salvage 2 --floor 0.5"
	[ "$(field recommended)" = 3.33 ]
}

@test "ab-price: the markdown ladder never rises, never goes below the floor and clears fixed demand" {
	export AB_NOW=2024-01-01T00:00:00Z
	for steps in 2 4 8; do
		u='{"type":"unsold","sku":"M","available":60,"price":20,"currency":"USD","rate":0.5}'
		run pipeline "echo '$u' | ab-price --db '$DB' markdown --clear-by 2024-03-01 --elasticity -2 --steps $steps --demand fixed --floor 6"
		assert_success
		[ "$(field method)" = dp ]
		[ "$(field expected_units)" = 60 ]
		[ "$(field expected_leftover)" = 0 ]
		jq -e '[.path[].price] as $p | ($p | length) == '$steps' and all($p[]; . >= 6) and ([range(1; $p | length) | $p[.] <= $p[. - 1]] | all)' <<<"$output"
		jq -e '([.path[].expected_units] | add) == 60' <<<"$output"
	done
	# Poisson demand: the same ladder rules, expected sales below the stock
	run pipeline "echo '$u' | ab-price --db '$DB' markdown --clear-by 2024-03-01 --elasticity -2 --steps 4 --floor 6"
	assert_success
	jq -e '[.path[].price] as $p | all($p[]; . >= 6) and ([range(1; $p | length) | $p[.] <= $p[. - 1]] | all) and .demand == "poisson"' <<<"$output"
	# a floor above what clears: never below it
	run pipeline "echo '$u' | ab-price --db '$DB' markdown --clear-by 2024-03-01 --elasticity -2 --steps 4 --demand fixed --floor 19"
	jq -e 'all(.path[].price; . >= 19) and .expected_leftover > 0' <<<"$output"
}

@test "ab-price: markdown needs --clear-by in the future and an elasticity" {
	run price markdown </dev/null
	assert_failure 64
	AB_NOW=2025-01-01 run price markdown --clear-by 2024-01-01 </dev/null
	assert_failure 64
	run pipeline "echo '{\"type\":\"unsold\",\"sku\":\"Q\",\"available\":3,\"price\":5}' | AB_NOW=2024-01-01 ab-price --db '$DB' markdown --clear-by 2024-06-01"
	assert_success
	[ "$(field recommended)" = 5 ]
	assert_output --partial 'no elasticity stored'
	run pipeline "echo '{\"type\":\"unsold\",\"sku\":\"Q\",\"available\":\"x\"}' | AB_NOW=2024-01-01 ab-price --db '$DB' markdown --clear-by 2024-06-01"
	assert_failure 65
	assert_output --partial 'stdin:1:'
}

@test "ab-price: Thompson sampling concentrates on the best price in simulation, reproducibly" {
	# demand 2000 p^-2 a period: revenue 2000/p, so the cheapest price is best
	run price experiment simulate --prices 8,10,12,14 --truth 2000,-2 --periods 400 --seed 42
	assert_success
	[ "$(field best)" = 8 ]
	awk -v s="$(field best_share_late)" 'BEGIN { exit !(s > 0.9) }'
	first=$output
	run price experiment simulate --prices 8,10,12,14 --truth 2000,-2 --periods 400 --seed 42
	assert_equal "$output" "$first"
	# an interior best: demand 1e6 p^-3.5 means revenue peaks at the lowest price too,
	# so use a revenue curve with a peak: e > -1 puts the best at the dearest price
	run price experiment simulate --prices 8,10,12,14 --truth 50,-0.5 --periods 400 --seed 7
	[ "$(field best)" = 14 ]
	awk -v s="$(field best_share_late)" 'BEGIN { exit !(s > 0.8) }'
}

@test "ab-price: an experiment in the database learns from recorded sales across runs" {
	{
		echo '{"type":"product","sku":"E","title":"e","cost":"1.00","price":"10.00","currency":"USD"}'
		echo '{"type":"receipt","sku":"E","qty":100000,"ts":"2023-12-01"}'
	} | products
	export AB_NOW=2024-01-01T00:00:00Z
	run price experiment start E --prices 8,12 --objective revenue
	assert_success
	assert_output --partial '"sku":"E","status":"running","objective":"revenue"'
	run price experiment start E --prices 8,12
	assert_failure 65
	for d in 01 02 03 04 05 06 07 08 09 10; do
		export AB_NOW=2024-02-${d}T00:00:00Z
		run price experiment next --seed 1$d
		assert_success
		arm=$(field recommended)
		# the shop sells 10 a day at 8 and 2 a day at 12 (best: 8)
		q=$([ "$arm" = 8 ] && echo 10 || echo 2)
		echo "{\"type\":\"shop_order\",\"id\":\"e$d\",\"ts\":\"2024-02-${d}T12:00:00Z\",\"currency\":\"USD\",\"status\":\"paid\",\"lines\":[{\"sku\":\"E\",\"qty\":$q,\"price\":\"$arm\"}]}" | ab-inventory --db "$DB" order >/dev/null
	done
	export AB_NOW=2024-02-11T00:00:00Z
	run price experiment stop E
	assert_success
	[ "$(field best)" = 8 ]
	[ "$(jq '[.arms[].units] | add' <<<"$output")" = "$(sql "$DB" "SELECT sum(qty) FROM shop_order_lines WHERE order_id > 'e01' OR order_id = 'e01'")" ]
	[ "$(sql "$DB" "SELECT status FROM experiments")" = stopped ]
	[ "$(sql "$DB" "SELECT count(*) FROM price_recs WHERE source = 'experiment'")" = 10 ]
	run price experiment stop E
	assert_failure 65
}

@test "ab-price: apply needs price:apply, records old, new, reason and who, and is audited" {
	export AB_DB="$DB" AB_PWHASH_LIMITS=min
	ab-auth init >/dev/null
	echo 'battery-staple-77' | ab-auth user add mo --role merchant >/dev/null
	echo 'battery-staple-77' | ab-auth user add tr --role trader >/dev/null
	echo '{"type":"product","sku":"A","title":"a","cost":"4.00","price":"8.00","currency":"USD"}' | products
	rec='{"type":"price_rec","sku":"A","currency":"USD","current":8,"recommended":6.67,"floor":5,"source":"optimize","reason":"because"}'
	run pipeline "echo '$rec' | ab-price apply"
	assert_failure 77
	AB_TOKEN=$(echo battery-staple-77 | ab-auth login tr) run pipeline "echo '$rec' | ab-price apply"
	assert_failure 77
	assert_output --partial 'permission denied: "price:apply"'
	export AB_TOKEN=$(echo battery-staple-77 | ab-auth login mo)
	run pipeline "echo '$rec' | ab-price apply"
	assert_success
	assert_output --regexp '^\{"type":"price","sku":"A","currency":"USD","old":8,"new":6.67,"ts":"[^"]+","source":"optimize","reason":"because","who":"mo"\}$'
	[ "$(sql "$DB" "SELECT price FROM products")" = 667 ]
	[ "$(sql "$DB" "SELECT old, new, source, reason, who FROM prices")" = "800|667|optimize|because|mo" ]
	[ "$(sql "$DB" "SELECT actor, action, object FROM audit WHERE action = 'price.apply'")" = "mo|price.apply|A" ]
	ab-auth audit verify >/dev/null
	# the same recommendation again is stale: the price moved since
	run pipeline "echo '$rec' | ab-price apply"
	assert_failure 65
	assert_output --partial 'the price changed since the recommendation'
	# below the floor, or a bad record later in the batch: nothing changes
	run pipeline "printf '%s\n' '{\"type\":\"price_rec\",\"sku\":\"A\",\"recommended\":7}' '{\"type\":\"price_rec\",\"sku\":\"A\",\"recommended\":4,\"floor\":5}' | ab-price apply"
	assert_failure 65
	assert_output --partial 'stdin:2: A: 4 is below the floor 5'
	[ "$(sql "$DB" "SELECT price FROM products")" = 667 ]
	[ "$(sql "$DB" "SELECT count(*) FROM prices")" = 1 ]
	run price history A
	assert_success
	assert_equal "${#lines[@]}" 1
	assert_output --partial '"old":8,"new":6.67'
}

@test "ab-price: ab-inventory unsold | ab-price markdown | ab-price apply from the shell" {
	export AB_DB="$DB" AB_PWHASH_LIMITS=min AB_NOW=2024-07-01T00:00:00Z
	ab-auth init >/dev/null
	echo 'battery-staple-77' | ab-auth user add mo --role merchant >/dev/null
	export AB_TOKEN=$(echo battery-staple-77 | ab-auth login mo)
	cat <<'J' | products
{"type":"product","sku":"OLD","title":"Old thing","category":"a","cost":"2.00","price":"5.00","currency":"USD"}
{"type":"product","sku":"SLOW","title":"Slow thing","category":"b","cost":"3.00","price":"8.00","currency":"USD"}
{"type":"product","sku":"NEW","title":"New thing","category":"a","cost":"1.00","price":"3.00","currency":"USD"}
{"type":"receipt","sku":"OLD","qty":10,"ts":"2024-01-01"}
{"type":"receipt","sku":"SLOW","qty":6,"ts":"2024-02-01"}
{"type":"receipt","sku":"NEW","qty":4,"ts":"2024-06-21"}
{"type":"shop_order","id":"o2","ts":"2024-03-01T12:00:00Z","currency":"USD","status":"fulfilled","lines":[{"sku":"SLOW","qty":2,"price":"7.50"}]}
J
	run pipeline "ab-inventory unsold --days 90 | ab-price markdown --clear-by 2024-12-31 --elasticity -2.5 --floor 1.6 | ab-price apply"
	assert_success
	assert_equal "${#lines[@]}" 2
	# OLD: 0.5 / 182 units a day at 5; 10 units in 183 days: 5 (10 / (0.5 / 182 * 183))^-0.4 = 1.512, below the floor
	assert_line -n 0 --partial '"sku":"OLD","currency":"USD","old":5,"new":1.6,'
	assert_line -n 0 --partial '"source":"markdown","reason":"the floor binds'
	# SLOW: 2.5 / 151 a day at 8; 4 units: 8 (4 / (2.5 / 151 * 183))^-0.4 = 7.1546
	assert_line -n 1 --partial '"sku":"SLOW","currency":"USD","old":8,"new":7.15,'
	[ "$(sql "$DB" "SELECT sku, price FROM products ORDER BY sku")" = "$(printf 'NEW|300\nOLD|160\nSLOW|715')" ]
	[ "$(sql "$DB" "SELECT count(*) FROM audit WHERE action = 'price.apply'")" = 2 ]
	[ "$(sql "$DB" "SELECT count(*) FROM price_recs WHERE source = 'markdown'")" = 2 ]
	# every program recorded its run
	[ "$(sql "$DB" "SELECT count(*) FROM runs WHERE program = 'ab-price' AND status = 0")" = 2 ]
}

@test "ab-price: usage errors exit 64" {
	run ab-price
	assert_failure 64
	run price frobnicate
	assert_failure 64
	run price optimize --objective fun
	assert_failure 64
	run price experiment start X
	assert_failure 65
	run price experiment simulate --prices 8 --truth 1,-2
	assert_failure 64
	run ab-price --help
	assert_success
	assert_output --partial 'markdown'
}

@test "ab-price: Dominick's tuna (r-cran-bayesm): elasticities equal an independent least-squares fit" {
	# weekly units and prices of 7 SKUs over 338 weeks from 1989-09-14
	awk -F, 'NR > 1 { for (i = 1; i <= 7; i++)
		printf "{\"type\":\"sales\",\"sku\":\"TUNA%d\",\"category\":\"tuna\",\"period\":%d,\"units\":%d,\"price\":%.17g}\n",
			i, 621734400 + ($1 - 1) * 604800, $(1 + i), exp($(8 + i)) }' "$FIXTURES/price/tuna.csv" >"$T/tuna.jsonl"
	run price elasticity --season 0 "$T/tuna.jsonl"
	assert_success
	assert_equal "${#lines[@]}" 7
	for i in 1 2 3 4 5 6 7; do
		rec=$(grep "\"sku\":\"TUNA$i\"" <<<"$output")
		jq -r 'select(.sku == "TUNA'$i'") | "\(.price) \(.units)"' "$T/tuna.jsonl" |
			awk '{ printf "%.17g %.17g\n", log($1), log($2) }' | awk -f "$FIXTURES/price/ols.awk" >"$T/ref"
		read -r b se a <"$T/ref"
		jq -e --argjson b "$b" --argjson se "$se" --argjson a "$a" \
			'def close(x; y): ((x - y) | fabs) <= 1e-9 * ((y | fabs) + 1);
			 .method == "ols" and .n == 338 and close(.elasticity; $b) and close(.se; $se) and close(.intercept; $a)
			 and .elasticity < -1' <<<"$rec"
	done
	# and a pooled estimate over the category, with SKU fixed effects
	run price elasticity --by category --season 0 "$T/tuna.jsonl"
	assert_output --partial '"category":"tuna","skus":7'
	jq -e '.elasticity < -2 and .elasticity > -5 and .ci[1] - .ci[0] < 0.5' <<<"$output"
}
