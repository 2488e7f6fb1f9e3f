#!/usr/bin/python3
"""pyjwt.py: PyJWT (Debian's python3-jwt) on the other side of ab-auth's interop tests.

  pyjwt.py verify ALG JWKFILE TOKEN   prints the claims, or exits 1 with the error
  pyjwt.py sign ALG JWKFILE CLAIMS    prints a token (header typ at+jwt, kid from the JWK)
  pyjwt.py genkey ALG                 prints a new private JWK
"""
import base64, json, secrets, sys, time
import jwt
from jwt.algorithms import OKPAlgorithm

def load(path):
    j = json.load(open(path))
    return j["keys"][0] if "keys" in j else j

def main():
    cmd, alg = sys.argv[1], sys.argv[2]
    if cmd == "genkey":
        if alg == "HS256":
            k = base64.urlsafe_b64encode(secrets.token_bytes(32)).rstrip(b"=").decode()
            print(json.dumps({"kty": "oct", "k": k, "alg": "HS256"}))
        else:
            from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
            print(OKPAlgorithm.to_jwk(Ed25519PrivateKey.generate()))
        return
    jwk = load(sys.argv[3])
    key = jwt.PyJWK(jwk, algorithm=alg).key
    if cmd == "verify":
        try:
            claims = jwt.decode(sys.argv[4], key, algorithms=[alg], audience="autobot", issuer="autobot",
                                options={"require": ["exp", "iat", "iss", "aud", "sub"]})
        except Exception as e:
            print("pyjwt: %s: %s" % (type(e).__name__, e), file=sys.stderr)
            sys.exit(1)
        print(json.dumps(claims, sort_keys=True))
    elif cmd == "sign":
        claims = json.loads(sys.argv[4])
        now = int(time.time())
        claims.setdefault("iat", now)
        claims.setdefault("exp", now + 600)
        headers = {"typ": "at+jwt"}
        if "kid" in jwk:
            headers["kid"] = jwk["kid"]
        print(jwt.encode(claims, key, algorithm=alg, headers=headers))

main()
