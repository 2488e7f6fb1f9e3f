#!/usr/bin/env bats
# ab-auth limits: login rate limits (GCRA in the database), under concurrency too.
load helper

setup() {
	export PATH="$AB_BIN:$PATH" HOME="$BATS_TEST_TMPDIR/home"
	mkdir -p "$HOME"
	unset AB_TOKEN AB_JOB XDG_DATA_HOME
	export DB="$BATS_TEST_TMPDIR/test.db" T="$BATS_TEST_TMPDIR"
	export AB_DB="$DB" AB_PWHASH_LIMITS=min AB_NOW=2030-01-01T00:00:00Z
	ab-auth init >/dev/null
	echo 'limits-pass-9q!' | ab-auth user add alice --role trader >/dev/null
}

bad() { echo wrong-password-9 | ab-auth login "$@"; }

@test "ab-auth-limits: five failed logins, then 75 until the limit refills (1 a minute)" {
	for i in 1 2 3 4 5; do
		run bad alice
		assert_failure 77
	done
	run bad alice
	assert_failure 75
	assert_output --partial 'too many attempts for "alice"'
	assert_output --partial 'retry in 60 s'
	# the right password is not even checked while limited
	run pipeline "echo 'limits-pass-9q!' | ab-auth login alice"
	assert_failure 75
	AB_NOW=2030-01-01T00:01:00Z run bad alice
	assert_failure 77
	AB_NOW=2030-01-01T00:01:00Z run bad alice
	assert_failure 75
	[ "$(sql "$DB" "SELECT count(*) FROM audit WHERE action='login.fail'")" = 6 ]
	[ "$(sql "$DB" "SELECT count(*) FROM audit WHERE action='login.limited'")" = 3 ]
}

@test "ab-auth-limits: a successful login clears the user's count" {
	for i in 1 2 3 4; do bad alice || true; done
	echo 'limits-pass-9q!' | ab-auth login alice >/dev/null
	for i in 1 2 3 4 5; do
		run bad alice
		assert_failure 77
	done
	run bad alice
	assert_failure 75
}

@test "ab-auth-limits: per source: 20 attempts over many names, then 75" {
	for i in $(seq 1 20); do
		run bad "user$i" --source 203.0.113.7
		assert_failure 77
	done
	run bad user21 --source 203.0.113.7
	assert_failure 75
	assert_output --partial 'from 203.0.113.7'
	run bad user21 --source 198.51.100.1
	assert_failure 77
}

@test "ab-auth-limits: concurrent failed logins never exceed the limit" {
	for i in $(seq 1 16); do
		(r=0; bad alice >/dev/null 2>&1 || r=$?; echo $r >"$T/rc.$i") &
	done
	wait
	[ "$(cat "$T"/rc.* | grep -c '^77$')" = 5 ]
	[ "$(cat "$T"/rc.* | grep -c '^75$')" = 11 ]
	[ "$(sql "$DB" "SELECT count(*) FROM audit WHERE action='login.fail'")" = 5 ]
	[ "$(sql "$DB" "SELECT count(*) FROM audit WHERE action='login.limited'")" = 11 ]
	run ab-auth audit verify
	assert_success
}
