#!/usr/bin/env bats
# ab-auth interop: our tokens verify in PyJWT (Debian python3-jwt) and jose (npm),
# and theirs verify in ours after `key import`. Real clock (the libraries use it).
load helper

PY=/usr/bin/python3
INTEROP="$BATS_TEST_DIRNAME/interop"

setup_file() {
	export JOSE_DIR="$BATS_FILE_TMPDIR/jose"
	mkdir -p "$JOSE_DIR"
	cp "$BATS_TEST_DIRNAME/interop/jose.mjs" "$JOSE_DIR/"
	# jose is pinned in the top-level package.json; `make check` installs it
	# (npm ci) before the tests, so the tests themselves never fetch anything.
	local top
	top=$(cd "$BATS_TEST_DIRNAME/.." && pwd)
	if command -v node >/dev/null 2>&1 && [ -d "$top/node_modules/jose" ]; then
		ln -s "$top/node_modules" "$JOSE_DIR/node_modules"
		export JOSE_OK=1
	else
		export JOSE_OK=0
	fi
}

setup() {
	export PATH="$AB_BIN:$PATH" HOME="$BATS_TEST_TMPDIR/home"
	mkdir -p "$HOME"
	unset AB_NOW AB_TOKEN AB_JOB XDG_DATA_HOME
	export DB="$BATS_TEST_TMPDIR/test.db" T="$BATS_TEST_TMPDIR"
	export AB_DB="$DB" AB_PWHASH_LIMITS=min
	ab-auth init >/dev/null
	echo 'interop-pass-9q' | ab-auth user add alice --role trader >/dev/null
}

need_pyjwt() {
	$PY -c 'import jwt' 2>/dev/null || skip "python3-jwt is not installed (scripts/deps installs it)"
}

need_jose() {
	[ "$JOSE_OK" = 1 ] || skip "jose is not installed: run make node_modules"
}

jose() {
	(cd "$JOSE_DIR" && node jose.mjs "$@")
}

claims='{"iss":"autobot","sub":"alice","aud":"autobot","jti":"ext-1","role":"trader","perms":["order:live"],"ver":1}'

@test "ab-auth-interop: PyJWT verifies our EdDSA token with the exported public JWK" {
	need_pyjwt
	ab-auth key export --public --jwk --alg EdDSA >"$T/pub.jwk"
	tok=$(echo 'interop-pass-9q' | ab-auth login alice)
	run $PY "$INTEROP/pyjwt.py" verify EdDSA "$T/pub.jwk" "$tok"
	assert_success
	assert_output --partial '"sub": "alice"'
	# and rejects it tampered, past its exp, for another audience
	run $PY "$INTEROP/pyjwt.py" verify EdDSA "$T/pub.jwk" "${tok%?}A"
	[ "${tok: -1}" = A ] || assert_failure
}

@test "ab-auth-interop: PyJWT verifies our HS256 token with the exported secret JWK" {
	need_pyjwt
	ab-auth key export --jwk --alg HS256 >"$T/oct.jwk"
	tok=$(echo 'interop-pass-9q' | ab-auth login alice --alg HS256)
	run $PY "$INTEROP/pyjwt.py" verify HS256 "$T/oct.jwk" "$tok"
	assert_success
	assert_output --partial '"role": "trader"'
}

@test "ab-auth-interop: PyJWT's EdDSA and HS256 tokens verify in ours after key import" {
	need_pyjwt
	for alg in EdDSA HS256; do
		$PY "$INTEROP/pyjwt.py" genkey $alg >"$T/$alg.jwk"
		tok=$($PY "$INTEROP/pyjwt.py" sign $alg "$T/$alg.jwk" "$claims")
		run ab-auth verify "$tok"
		assert_failure 77
		assert_output --partial "bad signature"
		if [ $alg = EdDSA ]; then
			# import only the public half: verification needs no secret
			$PY -c 'import json,sys; j=json.load(open(sys.argv[1])); j.pop("d"); print(json.dumps(j))' \
				"$T/$alg.jwk" >"$T/$alg.pub"
			ab-auth key import --jwk "$T/$alg.pub"
		else
			ab-auth key import --jwk "$T/$alg.jwk"
		fi
		run ab-auth verify "$tok"
		assert_success
		assert_output --partial '"sub":"alice"'
		assert_output --partial "\"alg\":\"$alg\""
	done
}

@test "ab-auth-interop: jose verifies our EdDSA and HS256 tokens" {
	need_jose
	ab-auth key export --public --jwk --alg EdDSA >"$T/pub.jwk"
	ab-auth key export --jwk --alg HS256 >"$T/oct.jwk"
	tok=$(echo 'interop-pass-9q' | ab-auth login alice)
	run jose verify EdDSA "$T/pub.jwk" "$tok"
	assert_success
	assert_output --partial '"sub":"alice"'
	tok=$(echo 'interop-pass-9q' | ab-auth login alice --alg HS256)
	run jose verify HS256 "$T/oct.jwk" "$tok"
	assert_success
	# jose refuses our HS256 token when asked for EdDSA (algorithm pinned to the key)
	run jose verify EdDSA "$T/pub.jwk" "$tok"
	assert_failure
}

@test "ab-auth-interop: jose's EdDSA and HS256 tokens verify in ours after key import" {
	need_jose
	for alg in EdDSA HS256; do
		jose genkey $alg >"$T/$alg.jwk"
		tok=$(jose sign $alg "$T/$alg.jwk" "$claims")
		run ab-auth verify "$tok"
		assert_failure 77
		ab-auth key import --jwk "$T/$alg.jwk"
		run ab-auth verify "$tok"
		assert_success
		assert_output --partial '"jti":"ext-1"'
	done
}

@test "ab-auth-interop: both sides reject the same hostile tokens" {
	need_pyjwt
	ab-auth key export --jwk --alg EdDSA >"$T/priv.jwk"
	ab-auth key export --public --jwk --alg EdDSA >"$T/pub.jwk"
	kid=$(jq -r .kid "$T/pub.jwk")
	good='{"iss":"autobot","sub":"alice","aud":"autobot","iat":NOW,"exp":NOW+600,"jti":"x1","ver":1}'
	hdr="{\"alg\":\"EdDSA\",\"typ\":\"at+jwt\",\"kid\":\"$kid\"}"
	ok=$($INTEROP/forge.py "$T/priv.jwk" "$hdr" "$good")
	run ab-auth verify "$ok"
	assert_success
	run $PY "$INTEROP/pyjwt.py" verify EdDSA "$T/pub.jwk" "$ok"
	assert_success
	for tok in \
		"$($INTEROP/forge.py "$T/priv.jwk" '{"alg":"none","typ":"at+jwt"}' "$good" none)" \
		"$($INTEROP/forge.py "$T/priv.jwk" "{\"alg\":\"HS256\",\"typ\":\"at+jwt\",\"kid\":\"$kid\"}" "$good" hs-with-public)" \
		"$($INTEROP/forge.py "$T/priv.jwk" "$hdr" '{"iss":"autobot","sub":"alice","aud":"autobot","iat":NOW-7200,"exp":NOW-3600,"jti":"x2","ver":1}')" \
		"$($INTEROP/forge.py "$T/priv.jwk" "$hdr" '{"iss":"autobot","sub":"alice","aud":"elsewhere","iat":NOW,"exp":NOW+600,"jti":"x3","ver":1}')" \
		"${ok%.*}.$(echo "${ok##*.}" | tr 'A-Za-z' 'B-ZAb-za')"; do
		run ab-auth verify "$tok"
		assert_failure 77
		run $PY "$INTEROP/pyjwt.py" verify EdDSA "$T/pub.jwk" "$tok"
		assert_failure
	done
}

@test "ab-auth-interop: an unknown crit is rejected by ours and by jose" {
	# PyJWT 2.6.0 without Debian's CVE-2026-32597 fix accepts it, so it is not asked.
	ab-auth key export --jwk --alg EdDSA >"$T/priv.jwk"
	ab-auth key export --public --jwk --alg EdDSA >"$T/pub.jwk"
	good='{"iss":"autobot","sub":"alice","aud":"autobot","iat":NOW,"exp":NOW+600,"jti":"c1","ver":1}'
	tok=$($INTEROP/forge.py "$T/priv.jwk" '{"alg":"EdDSA","typ":"at+jwt","crit":["exp2"],"exp2":1}' "$good")
	run ab-auth verify "$tok"
	assert_failure 77
	assert_output --partial 'unsupported "crit"'
	need_jose
	run jose verify EdDSA "$T/pub.jwk" "$tok"
	assert_failure
	assert_output --partial "not recognized"
}
