#include "config.h"

#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>

#include "digest.h"

struct rl_digester {
    EVP_MD_CTX *ctx;
    char *expected;
    bool finished;
};

static bool
is_lower_hex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

/* An algorithm name as the OCI image spec writes it: [a-z0-9]+ joined by '+', '.', '_', '-'. */
static bool
algorithm_is_valid(const char *alg, size_t len)
{
    bool need_alnum = true;

    for (size_t i = 0; i < len; i++) {
        char c = alg[i];
        if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
            need_alnum = false;
        else if (!need_alnum && strchr("+._-", c) != NULL)
            need_alnum = true;
        else
            return false;
    }
    return !need_alnum;
}

int
rl_digest_check_syntax(const char *digest, rl_error_t *err)
{
    const char *colon = strchr(digest, ':');
    const char *hex;
    size_t alg_len, hex_len;

    if (colon == NULL)
        return rl_make_error(err, 0, "invalid digest '%s': no 'algorithm:' prefix", digest);
    alg_len = (size_t)(colon - digest);
    if (!algorithm_is_valid(digest, alg_len))
        return rl_make_error(err, 0, "invalid digest '%s': bad algorithm name '%.*s'", digest,
                             (int)alg_len, digest);
    if (alg_len != 6 || memcmp(digest, "sha256", 6) != 0)
        return rl_make_error(err, 0, "unsupported digest algorithm '%.*s'", (int)alg_len, digest);
    hex = colon + 1;
    hex_len = strlen(hex);
    if (hex_len != RL_DIGEST_SHA256_HEX_LEN)
        return rl_make_error(err, 0, "invalid digest '%s': %zu hex digits, want %d", digest,
                             hex_len, RL_DIGEST_SHA256_HEX_LEN);
    for (size_t i = 0; i < hex_len; i++)
        if (!is_lower_hex(hex[i]))
            return rl_make_error(err, 0, "invalid digest '%s': '%c' is not a lower-case hex digit",
                                 digest, hex[i]);
    return 0;
}

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
