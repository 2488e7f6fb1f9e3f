#!/usr/bin/env bats
# ab-auth jwt: RFC vectors through the program, every RFC 8725 attack, claim checks.
# Hostile tokens are built by tests/interop/forge.py with our own exported keys,
# so each is valid except for the one thing under test (the first test proves it).
load helper

FORGE="$BATS_TEST_DIRNAME/interop/forge.py"

setup() {
	export PATH="$AB_BIN:$PATH" HOME="$BATS_TEST_TMPDIR/home"
	mkdir -p "$HOME"
	unset AB_NOW AB_TOKEN AB_JOB XDG_DATA_HOME
	export DB="$BATS_TEST_TMPDIR/test.db" T="$BATS_TEST_TMPDIR"
	export AB_DB="$DB" AB_PWHASH_LIMITS=min
	ab-auth init >/dev/null
	echo 'attack-pass-9q!' | ab-auth user add alice --role trader >/dev/null
	ab-auth key export --jwk --alg EdDSA >"$T/ed.jwk"
	ab-auth key export --jwk --alg HS256 >"$T/hs.jwk"
	KID=$(jq -r .kid "$T/ed.jwk")
	HKID=$(jq -r .kid "$T/hs.jwk")
	HDR="{\"alg\":\"EdDSA\",\"typ\":\"at+jwt\",\"kid\":\"$KID\"}"
}

# claims with one field replaced by raw JSON text (NOW, NOW+60 allowed: forge.py
# substitutes them): claims KEY TEXT, or claims KEY - to drop it
claims() {
	jq -cn --arg k "${1:-none}" --arg drop "${2:-}" \
		'{iss:"autobot",sub:"alice",aud:"autobot",iat:"@NOW@",exp:"@NOW+600@",jti:"j1",role:"trader",perms:["order:live"],ver:1}
		 | if $k == "none" then . elif $drop == "-" then del(.[$k]) else .[$k] = "@VALUE@" end' |
		sed -e 's/"@\(NOW[-+0-9]*\)@"/\1/g' -e "s|\"@VALUE@\"|${2//|/\\|}|"
}

forge() { "$FORGE" "$@"; }

rejects() { # rejects TOKEN MESSAGE
	run ab-auth verify "$1"
	assert_failure 77
	assert_output --partial "$2"
	refute_output --partial '"type":"claims"'
}

@test "ab-auth-jwt: an honest forged token verifies (the harness is sound)" {
	run ab-auth verify "$(forge "$T/ed.jwk" "$HDR" "$(claims)")"
	assert_success
	assert_output --partial '"sub":"alice"'
	run ab-auth verify "$(forge "$T/hs.jwk" "{\"alg\":\"HS256\",\"typ\":\"at+jwt\",\"kid\":\"$HKID\"}" "$(claims)")"
	assert_success
}

@test "ab-auth-jwt: RFC 7515 A.1 HS256 signature checks out through the program" {
	echo '{"kty":"oct","k":"AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow"}' >"$T/a1.jwk"
	ab-auth key import --jwk "$T/a1.jwk"
	tok=eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk
	# the signature passes (over the received CR LF text); then typ "JWT" is refused
	rejects "$tok" 'typ must be "at+jwt"'
	sig=${tok##*.}
	rejects "${tok%.*}.e${sig:1}" "bad signature"
}

@test "ab-auth-jwt: RFC 8037 A: Ed25519 key imports with its thumbprint and its signature checks out" {
	echo '{"kty":"OKP","crv":"Ed25519","d":"nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}' >"$T/a.jwk"
	run ab-auth key import --jwk "$T/a.jwk"
	assert_success
	assert_output --partial '"kid":"kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"'
	run ab-auth key export --public --jwk --kid kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k
	assert_output '{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo","kid":"kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k","alg":"EdDSA","use":"sig"}'
	tok=eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc.hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg
	rejects "$tok" 'typ must be'
	# ...KAh decodes to the same bytes in lax decoders: we refuse non-canonical text
	rejects "${tok%?}h" "not canonical base64url"
	rejects "${tok%??}Ag" "bad signature" || true
}

@test "ab-auth-jwt: a d that does not match x is refused on import" {
	echo '{"kty":"OKP","crv":"Ed25519","d":"nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A","x":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}' >"$T/bad.jwk"
	run ab-auth key import --jwk "$T/bad.jwk"
	assert_failure 65
	assert_output --partial 'does not belong'
}

@test "ab-auth-jwt: RFC 8725 2.1 alg none is rejected, with or without a signature" {
	rejects "$(forge - '{"alg":"none","typ":"at+jwt"}' "$(claims)" none)" "empty part"
	rejects "$(forge - '{"alg":"none","typ":"at+jwt"}' "$(claims)" none)AAAA" 'alg "none" is not accepted'
	rejects "$(forge - '{"alg":"None","typ":"at+jwt"}' "$(claims)" none)AAAA" 'is not accepted'
}

@test "ab-auth-jwt: RFC 8725 2.1 key confusion: HS256 keyed with the Ed25519 public key is rejected" {
	rejects "$(forge "$T/ed.jwk" "{\"alg\":\"HS256\",\"typ\":\"at+jwt\",\"kid\":\"$KID\"}" "$(claims)" hs-with-public)" \
		"does not match key"
	rejects "$(forge "$T/ed.jwk" '{"alg":"HS256","typ":"at+jwt"}' "$(claims)" hs-with-public)" "bad signature"
	rejects "$(forge "$T/ed.jwk" '{"alg":"HS256","typ":"at+jwt"}' "$(claims)" hs-with-public-jwk)" "bad signature"
}

@test "ab-auth-jwt: algorithms outside the allowlist are rejected" {
	for alg in RS256 ES256 HS512 PS256 Ed25519 hs256; do
		rejects "$(forge "$T/ed.jwk" "{\"alg\":\"$alg\",\"typ\":\"at+jwt\"}" "$(claims)")" "alg \"$alg\" is not accepted"
	done
}

@test "ab-auth-jwt: unknown crit and b64 headers are rejected (RFC 7515 4.1.11)" {
	rejects "$(forge "$T/ed.jwk" "{\"alg\":\"EdDSA\",\"typ\":\"at+jwt\",\"crit\":[\"x\"],\"x\":1}" "$(claims)")" 'unsupported "crit"'
	rejects "$(forge "$T/ed.jwk" "{\"alg\":\"EdDSA\",\"typ\":\"at+jwt\",\"b64\":false,\"crit\":[\"b64\"]}" "$(claims)")" 'unsupported'
}

@test "ab-auth-jwt: RFC 8725 3.10 kid injection is an unknown key, jku/x5u/jwk headers are ignored" {
	rejects "$(forge "$T/ed.jwk" "{\"alg\":\"EdDSA\",\"typ\":\"at+jwt\",\"kid\":\"x' OR '1'='1\"}" "$(claims)")" "unknown key id"
	rejects "$(forge "$T/ed.jwk" '{"alg":"EdDSA","typ":"at+jwt","kid":"../../../../dev/null"}' "$(claims)")" "unknown key id"
	# an attacker's own key, advertised in the header, signs nothing we accept
	/usr/bin/python3 "$BATS_TEST_DIRNAME/interop/pyjwt.py" genkey EdDSA >"$T/evil.jwk"
	x=$(jq -r .x "$T/evil.jwk")
	for h in "\"jwk\":{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"$x\"}" '"jku":"http://127.0.0.1:9/keys"' '"x5u":"http://127.0.0.1:9/c"'; do
		rejects "$(forge "$T/evil.jwk" "{\"alg\":\"EdDSA\",\"typ\":\"at+jwt\",$h}" "$(claims)")" "bad signature"
	done
}

@test "ab-auth-jwt: RFC 8725 3.11 explicit typing: other token kinds are rejected" {
	rejects "$(forge "$T/ed.jwk" "{\"alg\":\"EdDSA\",\"kid\":\"$KID\"}" "$(claims)")" 'typ must be'
	rejects "$(forge "$T/ed.jwk" "{\"alg\":\"EdDSA\",\"typ\":\"JWT\",\"kid\":\"$KID\"}" "$(claims)")" 'typ must be'
	run ab-auth verify "$(forge "$T/ed.jwk" "{\"alg\":\"EdDSA\",\"typ\":\"application/at+jwt\",\"kid\":\"$KID\"}" "$(claims)")"
	assert_success
}

@test "ab-auth-jwt: required claims: missing iss, sub, aud, exp, iat, jti, ver each rejected" {
	for c in iss sub aud exp iat jti ver; do
		rejects "$(forge "$T/ed.jwk" "$HDR" "$(claims $c -)")" "no \"$c\" claim"
	done
}

@test "ab-auth-jwt: expired, not yet valid, issued in the future: 60 s leeway at most" {
	old='{"iss":"autobot","sub":"alice","aud":"autobot","iat":NOW-600,"jti":"e","ver":1,'
	rejects "$(forge "$T/ed.jwk" "$HDR" "$old\"exp\":NOW-61}")" "expired at"
	tok=$(forge "$T/ed.jwk" "$HDR" "$old\"exp\":NOW-30}")
	run ab-auth verify "$tok"
	assert_success
	rejects_leeway() { run ab-auth verify --leeway 0 "$tok"; assert_failure 77; assert_output --partial expired; }
	rejects_leeway
	run ab-auth verify --leeway 61 "$tok"
	assert_failure 64
	rejects "$(forge "$T/ed.jwk" "$HDR" "$(claims nbf NOW+120)")" "not valid before"
	run ab-auth verify "$(forge "$T/ed.jwk" "$HDR" "$(claims nbf NOW+30)")"
	assert_success
	rejects "$(forge "$T/ed.jwk" "$HDR" "$(claims iat NOW+120)")" "issued in the future"
	rejects "$(forge "$T/ed.jwk" "$HDR" "$(claims exp NOW+90000)")" "lifetime"
	rejects "$(forge "$T/ed.jwk" "$HDR" "$(claims exp '"NOW+600"' | sed 's/NOW+600/soon/')")" "not a number"
}

@test "ab-auth-jwt: RFC 8725 3.8/3.9 wrong issuer or audience rejected; aud arrays accepted" {
	rejects "$(forge "$T/ed.jwk" "$HDR" "$(claims iss '"joe"')")" 'issuer "joe"'
	rejects "$(forge "$T/ed.jwk" "$HDR" "$(claims aud '"ab-serve"')")" 'audience "autobot" not in'
	tok=$(forge "$T/ed.jwk" "$HDR" "$(claims aud '["ab-serve","autobot"]')")
	run ab-auth verify "$tok"
	assert_success
	run ab-auth verify --aud ab-serve "$tok"
	assert_success
	run ab-auth verify --aud other "$tok"
	assert_failure 77
	rejects "$(forge "$T/ed.jwk" "$HDR" "$(claims aud '["autobot",7]')")" 'must be a string or an array'
}

@test "ab-auth-jwt: tampered payload, header or signature rejected" {
	tok=$(echo 'attack-pass-9q!' | ab-auth login alice)
	IFS=. read -r h p s <<<"$tok"
	admin=$(echo "$p" | base64 -d 2>/dev/null | sed 's/"role":"trader"/"role":"admin"/' | base64 -w0 | tr '+/' '-_' | tr -d '=')
	rejects "$h.$admin.$s" "bad signature"
	rejects "$h.$p.${s:0:10}$( [ "${s:10:1}" = A ] && echo B || echo A )${s:11}" "bad signature"
	hs=$(echo "$h" | base64 -d 2>/dev/null | sed 's/EdDSA/HS256/' | base64 -w0 | tr '+/' '-_' | tr -d '=')
	rejects "$hs.$p.$s" "does not match key"
}

@test "ab-auth-jwt: malformed tokens: parts, size, encoding, duplicate members" {
	tok=$(echo 'attack-pass-9q!' | ab-auth login alice)
	rejects "${tok%.*}" "three dot-separated parts"
	rejects "$tok.x" "three dot-separated parts"
	rejects "$tok=" "not canonical base64url"
	rejects " $tok" "not canonical base64url"
	rejects "$(head -c 9000 /dev/zero | tr '\0' a).b.c" "longer than 8192"
	rejects "$(forge "$T/ed.jwk" "$HDR" '{"iss":"autobot","sub":"bob","sub":"alice","aud":"autobot","iat":NOW,"exp":NOW+60,"jti":"d","ver":1}')" "duplicate member"
	rejects "$(forge "$T/ed.jwk" "{\"alg\":\"HS256\",\"alg\":\"EdDSA\",\"typ\":\"at+jwt\"}" "$(claims)")" "duplicate member"
	rejects "$(forge "$T/ed.jwk" "$HDR" 'not json')" "claims: not a JSON object"
}

@test "ab-auth-jwt: weak HMAC keys are refused on import (RFC 8725 3.5)" {
	echo '{"kty":"oct","k":"c2hvcnQ"}' >"$T/weak.jwk"
	run ab-auth key import --jwk "$T/weak.jwk"
	assert_failure 65
	assert_output --partial 'RFC 7518 3.2'
	echo '{"kty":"RSA","n":"AQAB","e":"AQAB"}' >"$T/rsa.jwk"
	run ab-auth key import --jwk "$T/rsa.jwk"
	assert_failure 65
	assert_output --partial 'not supported'
}
