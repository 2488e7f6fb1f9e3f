#!/usr/bin/python3
"""forge.py: build JWS tokens, honest or hostile, for ab-auth's tests.

usage: forge.py JWK HEADER PAYLOAD [MODE]
  JWK      a file with a private JWK (OKP Ed25519 or oct), or "-" for none
  HEADER   the protected header's exact text (JSON, or anything)
  PAYLOAD  the payload's exact text
  MODE     sign (default), none (empty signature), hs-with-public (HS256 MAC
           keyed with the OKP key's public bytes "x": RFC 8725 key confusion),
           hs-with-public-jwk (keyed with the public JWK's JSON text)
Prints the compact token. Times in PAYLOAD may use the word NOW, replaced by
the current epoch seconds (plus an offset: NOW+60, NOW-3600).
"""
import base64, hashlib, hmac, json, re, sys, time

def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()

def unb64u(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))

def now_sub(text):
    now = int(time.time())
    return re.sub(r"NOW([+-]\d+)?", lambda m: str(now + int(m.group(1) or 0)), text)

def main():
    jwkfile, header, payload = sys.argv[1:4]
    mode = sys.argv[4] if len(sys.argv) > 4 else "sign"
    jwk = json.load(open(jwkfile)) if jwkfile != "-" else None
    if jwk and "keys" in jwk:
        jwk = jwk["keys"][0]
    signing_input = (b64u(header.encode()) + "." + b64u(now_sub(payload).encode())).encode()
    if mode == "none":
        sig = b""
    elif mode == "hs-with-public":
        sig = hmac.new(unb64u(jwk["x"]), signing_input, hashlib.sha256).digest()
    elif mode == "hs-with-public-jwk":
        pub = json.dumps({"crv": "Ed25519", "kty": "OKP", "x": jwk["x"]}, separators=(",", ":"))
        sig = hmac.new(pub.encode(), signing_input, hashlib.sha256).digest()
    elif jwk["kty"] == "oct":
        sig = hmac.new(unb64u(jwk["k"]), signing_input, hashlib.sha256).digest()
    else:
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
        sig = Ed25519PrivateKey.from_private_bytes(unb64u(jwk["d"])).sign(signing_input)
    print(signing_input.decode() + "." + b64u(sig))

main()
