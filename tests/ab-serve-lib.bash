# ab-serve-lib.bash: set-up shared by the ab-serve suites.
SEED="$BATS_TEST_DIRNAME/fixtures/serve/seed.sql"

# helper.bash's setup clears AB_NOW: set the suite's clock after it.
eval "$(declare -f setup | sed '1s/^setup/helper_setup/')"
setup() {
	helper_setup
	export AB_NOW=2024-05-01T00:00:00Z
}

# Chart.js comes from npm (package.json, package-lock.json): install it once.
ensure_chartjs() {
	[ -f "$TOP/node_modules/chart.js/dist/chart.umd.js" ] && return 0
	(cd "$TOP" && npm ci --no-audit --no-fund --loglevel=error >&2)
}

# seeded_db FILE: a database with every module's data (tests/fixtures/serve/seed.sql).
seeded_db() {
	: >"$1"
	AB_NOW= ab-serve build --db "$1" --out "$(mktemp -d)" >/dev/null
	sqlite3 "$1" "DELETE FROM runs"
	sqlite3 -bail "$1" <"$SEED"
}

# free_port: an unused TCP port on 127.0.0.1.
free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# wait_port PORT: until something accepts on it (10 s at most).
wait_port() {
	for _ in $(seq 100); do
		curl -s -o /dev/null "http://127.0.0.1:$1/" && return 0
		sleep 0.1
	done
	return 1
}
