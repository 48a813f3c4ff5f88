/* sha256 through libcrypto: the streaming digester of digest.h and the layers' chain ids.
 * Apart from digest.c's syntax checks, so that rl itself, which never hashes, does not load
 * libcrypto (its relocations alone are 0.4 MB per process). */
#include "config.h"

#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>

#include "digest.h"
#include "manifest.h"

struct rl_digester {
    EVP_MD_CTX *ctx;
    char *expected;
    bool finished;
};

/* Name the failing libcrypto call and, when the library gave one, its reason. */
static int
crypto_error(rl_error_t *err, const char *what)
{
    unsigned long code = ERR_get_error();
    char buf[256];

    ERR_clear_error();
    if (code == 0)
        return rl_make_error(err, 0, "sha256: %s failed", what);
    ERR_error_string_n(code, buf, sizeof(buf));
    return rl_make_error(err, 0, "sha256: %s failed: %s", what, buf);
}

struct rl_digester *
rl_digester_new(const char *expected, rl_error_t *err)
{
    struct rl_digester *d;

    if (expected != NULL && rl_digest_check_syntax(expected, err) < 0)
        return NULL;
    d = xzalloc(sizeof(*d));
    d->ctx = EVP_MD_CTX_new();
    if (d->ctx == NULL) {
        crypto_error(err, "EVP_MD_CTX_new");
        return rl_digester_free(d);
    }
    if (EVP_DigestInit_ex(d->ctx, EVP_sha256(), NULL) != 1) {
        crypto_error(err, "EVP_DigestInit_ex");
        return rl_digester_free(d);
    }
    if (expected != NULL)
        d->expected = xstrdup(expected);
    return d;
}

int
rl_digester_update(struct rl_digester *d, const void *buf, size_t len, rl_error_t *err)
{
    if (d->finished)
        return rl_make_error(err, 0, "sha256: update after finish");
    if (len == 0)
        return 0;
    if (EVP_DigestUpdate(d->ctx, buf, len) != 1)
        return crypto_error(err, "EVP_DigestUpdate");
    return 0;
}

int
rl_digester_finish(struct rl_digester *d, char **ret_digest, rl_error_t *err)
{
    static const char hexdigits[] = "0123456789abcdef";
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int md_len = 0;
    cleanup_free char *got = NULL;
    char *p;

    if (d->finished)
        return rl_make_error(err, 0, "sha256: finish called twice");
    d->finished = true;
    if (EVP_DigestFinal_ex(d->ctx, md, &md_len) != 1)
        return crypto_error(err, "EVP_DigestFinal_ex");
    if (md_len * 2 != RL_DIGEST_SHA256_HEX_LEN)
        return rl_make_error(err, 0, "sha256: digest of %u bytes, want %d", md_len,
                             RL_DIGEST_SHA256_HEX_LEN / 2);

    got = xmalloc(RL_DIGEST_SHA256_LEN + 1);
    memcpy(got, "sha256:", 7);
    p = got + 7;
    for (unsigned int i = 0; i < md_len; i++) {
        *p++ = hexdigits[md[i] >> 4];
        *p++ = hexdigits[md[i] & 0xf];
    }
    *p = '\0';

    if (d->expected != NULL && strcmp(d->expected, got) != 0)
        return rl_make_error(err, 0, "digest mismatch: expected %s, got %s", d->expected, got);
    if (ret_digest != NULL)
        *ret_digest = steal_pointer(&got);
    return 0;
}

struct rl_digester *
rl_digester_free(struct rl_digester *d)
{
    if (d == NULL)
        return NULL;
    EVP_MD_CTX_free(d->ctx);
    free(d->expected);
    free(d);
    return NULL;
}

void
rl_digester_freep(struct rl_digester **d)
{
    *d = rl_digester_free(*d);
}

int
rl_digest_of(const void *buf, size_t len, char **ret_digest, rl_error_t *err)
{
    cleanup_digester struct rl_digester *d = NULL;
    int ret;

    d = rl_digester_new(NULL, err);
    if (d == NULL)
        return -1;
    ret = rl_digester_update(d, buf, len, err);
    if (ret < 0)
        return ret;
    return rl_digester_finish(d, ret_digest, err);
}

char **
rl_chain_ids(char *const *diff_ids, size_t n)
{
    cleanup_strv char **chain = xzalloc((n + 1) * sizeof(char *));

    for (size_t i = 0; i < n; i++) {
        cleanup_free char *text = NULL;
        cleanup_error rl_error_t err = NULL;

        if (i == 0) {
            chain[0] = xstrdup(diff_ids[0]);
            continue;
        }
        text = xasprintf("%s %s", chain[i - 1], diff_ids[i]);
        if (rl_digest_of(text, strlen(text), &chain[i], &err) < 0)
            return NULL;
    }
    return steal_pointer(&chain);
}
