/* Content digests ("sha256:<64 lower-case hex>"): syntax checks, and a
 * streaming sha256 that checks a blob against its expected digest while it is
 * written. */
#ifndef RL_IMAGE_DIGEST_H
#define RL_IMAGE_DIGEST_H

#include <stddef.h>

#include "error.h"

#define RL_DIGEST_SHA256_HEX_LEN 64
/* "sha256:" + 64 hex digits */
#define RL_DIGEST_SHA256_LEN (7 + RL_DIGEST_SHA256_HEX_LEN)

/* Only sha256 is supported: "unsupported digest algorithm 'sha512'", else
 * "invalid digest 'X'". */
int rl_digest_check_syntax(const char *digest, rl_error_t *err);

struct rl_digester;
/* EXPECTED (checked with rl_digest_check_syntax) is compared by
 * rl_digester_finish; NULL only computes. */
struct rl_digester *rl_digester_new(const char *expected, rl_error_t *err);
int rl_digester_update(struct rl_digester *d, const void *buf, size_t len, rl_error_t *err);
/* Ends the digest: "digest mismatch: expected X, got Y" when it differs from
 * the expected one. RET_DIGEST (may be NULL) gets "sha256:<hex>". */
int rl_digester_finish(struct rl_digester *d, char **ret_digest, rl_error_t *err);
/* Accepts NULL; returns NULL. */
struct rl_digester *rl_digester_free(struct rl_digester *d);
void rl_digester_freep(struct rl_digester **d);
#define cleanup_digester __attribute__((cleanup(rl_digester_freep)))

/* The digest of BUF, "sha256:<hex>". */
int rl_digest_of(const void *buf, size_t len, char **ret_digest, rl_error_t *err);

#endif
