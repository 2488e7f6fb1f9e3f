# helper.bash: loaded by every suite. Each test gets its own HOME, database and
# scratch folder; the programs come from $AB_BIN (bin/ or bin-asan/).
bats_load_library bats-support
bats_load_library bats-assert

export TZ=UTC LC_ALL=C
FIXTURES="$BATS_TEST_DIRNAME/fixtures"
TOP="$(cd "$BATS_TEST_DIRNAME/.." && pwd)"

setup() {
	export PATH="$AB_BIN:$PATH"
	export HOME="$BATS_TEST_TMPDIR/home"
	mkdir -p "$HOME"
	unset AB_DB AB_NOW AB_TOKEN AB_JOB XDG_DATA_HOME
	DB="$BATS_TEST_TMPDIR/test.db"
	T="$BATS_TEST_TMPDIR"
}

# Runs a pipeline given as one string with pipefail, for `run`.
pipeline() {
	set -o pipefail
	eval "$1"
}

# sql DB QUERY: one value per line.
sql() {
	sqlite3 -batch -noheader "$1" "$2"
}
