/* crypto: hashes, HMACs, encodings and randomness on libsodium.
 *
 * Ownership: fixed-size results (digests, MACs) are written into caller
 * arrays of the AB_CRYPTO_*_LEN sizes below. Variable-size results
 * (encodings, decodings, signatures) are returned ab_malloc'd and
 * NUL-terminated; the caller frees them. Decoded bytes get a NUL after the
 * last byte too, so decoded text (a JWT's JSON) can be used as a string.
 * Errors: nothing here prints. Decoders return NULL on malformed input and
 * the caller reports it with its own context. Decoding is strict: only the
 * canonical encoding of some byte string is accepted (no whitespace, no
 * missing or extra padding, no stray bits in the last character).
 * libsodium is initialised on first use; if it cannot be, the process
 * aborts, since randomness is then unavailable.
 */
#ifndef AB_CRYPTO_H
#define AB_CRYPTO_H

#include <stddef.h>

#define AB_CRYPTO_SHA256_LEN 32
#define AB_CRYPTO_SHA512_LEN 64

void ab_crypto_sha256(unsigned char out[AB_CRYPTO_SHA256_LEN],
	const void *msg, size_t len);
void ab_crypto_sha512(unsigned char out[AB_CRYPTO_SHA512_LEN],
	const void *msg, size_t len);
/* Keys of any length; keys longer than the block are hashed (RFC 2104). */
void ab_crypto_hmac_sha256(unsigned char out[AB_CRYPTO_SHA256_LEN],
	const void *key, size_t keylen, const void *msg, size_t len);
void ab_crypto_hmac_sha512(unsigned char out[AB_CRYPTO_SHA512_LEN],
	const void *key, size_t keylen, const void *msg, size_t len);

/* Lower-case hex; decoding accepts either case, even length only. */
char *ab_crypto_hex_encode(const void *bin, size_t len);
unsigned char *ab_crypto_hex_decode(const char *hex, size_t hexlen,
	size_t *len);
/* RFC 4648 section 4: standard alphabet with '=' padding. */
char *ab_crypto_base64_encode(const void *bin, size_t len);
unsigned char *ab_crypto_base64_decode(const char *b64, size_t b64len,
	size_t *len);
/* RFC 4648 section 5: URL-safe alphabet, no padding (JWT, RFC 7515). */
char *ab_crypto_base64url_encode(const void *bin, size_t len);
unsigned char *ab_crypto_base64url_decode(const char *b64, size_t b64len,
	size_t *len);

/* Bytes from the system's CSPRNG. */
void ab_crypto_random(void *buf, size_t n);
/* 1 when the n bytes are equal, else 0; time depends on n only. */
int ab_crypto_equal(const void *a, const void *b, size_t n);
/* Zero memory in a way the compiler cannot optimise out. */
void ab_crypto_wipe(void *p, size_t n);

/* Kraken's API-Sign: base64(HMAC-SHA512(base64decode(secret),
 * path ‖ SHA256(nonce ‖ postdata))). NULL when secret is not base64. */
char *ab_crypto_kraken_sign(const char *secret_b64, const char *path,
	const char *nonce, const char *postdata);

#endif
