// jose.mjs: jose (npm, pinned in package.json) on the other side of ab-auth's interop tests.
//   node jose.mjs verify ALG JWKFILE TOKEN   prints the claims, or exits 1 with the error
//   node jose.mjs sign ALG JWKFILE CLAIMS    prints a token (typ at+jwt, kid from the JWK)
//   node jose.mjs genkey ALG                 prints a new private JWK
import { readFileSync } from 'node:fs';
import { SignJWT, jwtVerify, importJWK, exportJWK, generateKeyPair, generateSecret } from 'jose';

const [cmd, alg, file, arg] = process.argv.slice(2);
try {
  if (cmd === 'genkey') {
    const key = alg === 'HS256'
      ? await generateSecret('HS256', { extractable: true })
      : (await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true })).privateKey;
    console.log(JSON.stringify({ ...(await exportJWK(key)), alg }));
  } else {
    let jwk = JSON.parse(readFileSync(file, 'utf8'));
    if (jwk.keys) jwk = jwk.keys[0];
    const key = await importJWK(jwk, alg);
    if (cmd === 'verify') {
      const { payload } = await jwtVerify(arg, key, {
        algorithms: [alg], issuer: 'autobot', audience: 'autobot', typ: 'at+jwt',
        requiredClaims: ['exp', 'iat', 'sub', 'jti'],
      });
      console.log(JSON.stringify(payload));
    } else if (cmd === 'sign') {
      const header = { alg, typ: 'at+jwt' };
      if (jwk.kid) header.kid = jwk.kid;
      const now = Math.floor(Date.now() / 1000);
      const claims = { iat: now, exp: now + 600, ...JSON.parse(arg) };
      console.log(await new SignJWT(claims).setProtectedHeader(header).sign(key));
    }
  }
} catch (e) {
  console.error(`jose: ${e.code ?? e.name}: ${e.message}`);
  process.exit(1);
}
