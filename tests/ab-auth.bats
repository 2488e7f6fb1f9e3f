#!/usr/bin/env bats
# ab-auth: users, roles, passwords, login, check, revoke, keys.
load helper

setup() {
	export PATH="$AB_BIN:$PATH" HOME="$BATS_TEST_TMPDIR/home"
	mkdir -p "$HOME"
	unset AB_NOW AB_TOKEN AB_JOB XDG_DATA_HOME
	export DB="$BATS_TEST_TMPDIR/test.db" T="$BATS_TEST_TMPDIR"
	# Test-only: the cheapest Argon2id limits (documented in ab-auth(1)).
	export AB_DB="$DB" AB_PWHASH_LIMITS=min
	ab-auth init >/dev/null
}

add() { # add NAME ROLE [PASSWORD]
	echo "${3:-battery-staple-77}" | ab-auth user add "$1" --role "$2" >/dev/null
}

login() { # login NAME [options]
	local n=$1
	shift
	echo "battery-staple-77" | ab-auth login "$n" "$@"
}

@test "ab-auth: init makes one EdDSA and one HS256 key, and is idempotent" {
	run ab-auth init
	assert_success
	assert_line --partial '"alg":"EdDSA","status":"active"'
	assert_line --partial '"alg":"HS256","status":"active"'
	[ "$(sql "$DB" "SELECT count(*) FROM keys")" = 2 ]
	[ "$(sql "$DB" "SELECT length(secret) FROM keys WHERE alg='HS256'")" = 32 ]
}

@test "ab-auth: user add reads the password from stdin and stores only an Argon2id hash" {
	run pipeline "echo 'a-fine-passphrase' | ab-auth user add alice --role trader"
	assert_success
	assert_output --partial '"name":"alice","role":"trader","locked":false'
	assert_output --partial '"perms":["order:live","order:paper","report:view","secret:read","strategy:apply"]'
	[[ "$(sql "$DB" "SELECT pwhash FROM users")" == '$argon2id$v=19$'* ]]
	! grep -a -q 'a-fine-passphrase' "$DB" "$DB-wal"
	run ab-auth user add bob --role viewer --password x
	assert_failure 64
	run pipeline "echo 'a-fine-passphrase' | ab-auth user add alice --role trader"
	assert_failure 65
	assert_output --partial 'exists'
	run pipeline "echo 'a-fine-passphrase' | ab-auth user add carol --role pirate"
	assert_failure 64
}

@test "ab-auth: the default hash cost is libsodium's interactive Argon2id (64 MiB, t=2)" {
	unset AB_PWHASH_LIMITS
	add alice viewer
	[[ "$(sql "$DB" "SELECT pwhash FROM users")" == '$argon2id$v=19$m=65536,t=2,p=1$'* ]]
}

@test "ab-auth: a weaker stored hash is upgraded on login" {
	add alice viewer
	[[ "$(sql "$DB" "SELECT pwhash FROM users")" == '$argon2id$v=19$m=8,t=1,p=1$'* ]]
	unset AB_PWHASH_LIMITS
	login alice >/dev/null
	[[ "$(sql "$DB" "SELECT pwhash FROM users")" == '$argon2id$v=19$m=65536,t=2,p=1$'* ]]
	[ "$(sql "$DB" "SELECT detail FROM audit WHERE action='login.ok'")" = '{"source":"local","rehashed":"argon2id"}' ]
	login alice >/dev/null   # and still logs in
}

@test "ab-auth: password policy: length, common passwords, the user's name" {
	for pw in short1 'Password1234!' '123456789012345' qwertyuiop1234 'aaaaaaaaaaaaaaa' 'alice-alice-2024'; do
		run pipeline "echo '$pw' | ab-auth user add alice --role viewer"
		assert_failure 65
		assert_output --partial 'password:'
	done
	[ "$(sql "$DB" "SELECT count(*) FROM users")" = 0 ]
}

@test "ab-auth: login prints a token; a wrong password or unknown user exits 77 alike" {
	add alice trader
	run login alice
	assert_success
	[[ "$output" =~ ^eyJ[A-Za-z0-9_-]+\.eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$ ]]
	run pipeline "echo wrong-password-1 | ab-auth login alice"
	assert_failure 77
	assert_output 'ab-auth: login: bad user name or password'
	run pipeline "echo wrong-password-1 | ab-auth login mallory"
	assert_failure 77
	assert_output 'ab-auth: login: bad user name or password'
	[ "$(sql "$DB" "SELECT group_concat(action||':'||object, ' ') FROM audit WHERE action LIKE 'login%'")" = \
		'login.ok:alice login.fail:alice login.fail:mallory' ]
}

@test "ab-auth: login --ttl, --aud and --alg shape the token" {
	add alice trader
	export AB_NOW=2030-01-01T00:00:00Z
	tok=$(login alice --ttl 1h --aud ab-serve --alg HS256)
	run ab-auth verify --aud ab-serve "$tok"
	assert_success
	assert_output --partial '"iat":"2030-01-01T00:00:00Z","exp":"2030-01-01T01:00:00Z"'
	assert_output --partial '"alg":"HS256"'
	run ab-auth verify "$tok"
	assert_failure 77
	run login alice --ttl 2d
	assert_failure 64
	run login alice --alg none
	assert_failure 64
}

@test "ab-auth: check exits 0 when granted and 77 naming the missing permission" {
	add alice trader
	tok=$(login alice)
	AB_TOKEN=$tok run ab-auth check order:live
	assert_success
	run ab-auth check order:live "$tok"
	assert_success
	AB_TOKEN=$tok run ab-auth check price:apply
	assert_failure 77
	assert_output 'ab-auth: permission denied: "price:apply" is not granted to "alice" (role trader)'
	run ab-auth check price:apply
	assert_failure 77
	assert_output --partial '"price:apply" needs a token in AB_TOKEN'
	AB_TOKEN=garbage run ab-auth check order:live
	assert_failure 77
	assert_output --partial 'AB_TOKEN rejected'
	[ "$(sql "$DB" "SELECT count(*) FROM audit WHERE action='perm.denied'")" = 3 ]
}

@test "ab-auth: roles: list, show, grant creates, revoke ends the role's tokens" {
	run ab-auth role list
	assert_success
	assert_equal "${#lines[@]}" 4
	run ab-auth role show viewer
	assert_output '{"type":"role","name":"viewer","builtin":true,"perms":["report:view"]}'
	run ab-auth role grant auditor audit:view
	assert_success
	assert_output '{"type":"role","name":"auditor","builtin":false,"perms":["audit:view"]}'
	run ab-auth role grant auditor 'bad perm'
	assert_failure 64
	add alice auditor
	tok=$(login alice)
	run ab-auth check audit:view "$tok"
	assert_success
	ab-auth role grant auditor report:view >/dev/null
	ab-auth role revoke auditor audit:view >/dev/null
	run ab-auth check report:view "$tok"
	assert_failure 77
	assert_output --partial 'revoked'
	run ab-auth check report:view "$(login alice)"
	assert_success
}

@test "ab-auth: user list, show, role change, lock and unlock" {
	add alice trader
	add bob viewer
	run ab-auth user list
	assert_equal "${#lines[@]}" 2
	tok=$(login bob)
	run ab-auth user role bob merchant
	assert_output --partial '"role":"merchant"'
	run ab-auth verify "$tok"
	assert_failure 77
	tok=$(login bob)
	ab-auth user lock bob >/dev/null
	run ab-auth verify "$tok"
	assert_failure 77
	run login bob
	assert_failure 77
	assert_output --partial 'locked'
	ab-auth user unlock bob >/dev/null
	run login bob
	assert_success
	run ab-auth user show nobody
	assert_failure 66
}

@test "ab-auth: passwd takes the new password from stdin and ends old tokens" {
	add alice trader
	tok=$(login alice)
	run pipeline "echo 'brand-new-secret-1' | ab-auth user passwd alice"
	assert_success
	run ab-auth verify "$tok"
	assert_failure 77
	run login alice
	assert_failure 77
	run pipeline "echo 'brand-new-secret-1' | ab-auth login alice"
	assert_success
}

@test "ab-auth: revoke a token, a jti, or every token of a user" {
	add alice trader
	t1=$(login alice)
	t2=$(login alice)
	t3=$(login alice)
	run ab-auth revoke "$t1"
	assert_success
	run ab-auth verify "$t1"
	assert_failure 77
	assert_output --partial 'revoked (jti'
	ab-auth verify "$t2" >/dev/null
	jti=$(ab-auth verify "$t2" | jq -r .jti)
	ab-auth revoke --jti "$jti"
	run ab-auth verify "$t2"
	assert_failure 77
	ab-auth revoke --user alice
	run ab-auth verify "$t3"
	assert_failure 77
	run ab-auth verify "$(login alice)"
	assert_success
	run ab-auth revoke
	assert_failure 64
}

@test "ab-auth: a deleted user's tokens stay dead when the name is reused" {
	add alice trader
	tok=$(login alice)
	ab-auth user del alice
	run ab-auth verify "$tok"
	assert_failure 77
	add alice trader
	run ab-auth verify "$tok"
	assert_failure 77
	assert_output --partial revoked
}

@test "ab-auth: key rotate: old tokens still verify, new ones use the new key" {
	add alice trader
	old=$(login alice)
	kid1=$(ab-auth verify "$old" | jq -r .kid)
	run ab-auth key rotate --alg EdDSA
	assert_success
	kid2=$(echo "$output" | jq -r .kid)
	[ "$kid1" != "$kid2" ]
	run ab-auth verify "$old"
	assert_success
	[ "$(ab-auth verify "$(login alice)" | jq -r .kid)" = "$kid2" ]
	[ "$(sql "$DB" "SELECT status FROM keys WHERE kid='$kid1'")" = retired ]
}

@test "ab-auth: key export --public never prints private parts; private export is audited" {
	run ab-auth key export --public
	assert_success
	assert_equal "${#lines[@]}" 1
	refute_output --partial '"d":'
	run ab-auth key export --jwk
	assert_equal "${#lines[@]}" 2
	assert_line --partial '"d":'
	assert_line --partial '"k":'
	[ "$(sql "$DB" "SELECT count(*) FROM audit WHERE action='key.export'")" = 2 ]
}

@test "ab-auth: with AB_TOKEN set, administration needs user:admin" {
	add root admin
	add bob viewer
	export AB_TOKEN=$(login bob)
	run pipeline "echo 'another-pass-42' | ab-auth user add carol --role viewer"
	assert_failure 77
	assert_output --partial '"user:admin" is not granted to "bob"'
	run ab-auth key export
	assert_failure 77
	export AB_TOKEN=$(login root)
	run pipeline "echo 'another-pass-42' | ab-auth user add carol --role viewer"
	assert_success
	[ "$(sql "$DB" "SELECT actor FROM audit WHERE action='user.add' AND object='carol'")" = root ]
	unset AB_TOKEN
	[ "$(sql "$DB" "SELECT actor FROM audit WHERE action='user.add' AND object='bob'")" = "local:$(id -un)" ] ||
		[ "$(sql "$DB" "SELECT actor FROM audit WHERE action='user.add' AND object='bob'")" = "local:$USER" ]
}

@test "ab-auth: every run is recorded with tokens masked" {
	add alice trader
	tok=$(login alice)
	ab-auth verify "$tok" >/dev/null
	run sql "$DB" "SELECT args FROM runs WHERE args LIKE '[\"verify\"%'"
	assert_output '["verify","***"]'
	[ "$(sql "$DB" "SELECT status FROM runs WHERE args LIKE '[\"login\"%'")" = 0 ]
}

@test "ab-auth: usage errors exit 64" {
	run ab-auth
	assert_failure 64
	run ab-auth frobnicate
	assert_failure 64
	run ab-auth user
	assert_failure 64
	run ab-auth user add
	assert_failure 64
	run ab-auth login
	assert_failure 64
	run ab-auth verify --leeway 99 x
	assert_failure 64
}
