#include "config.h"

#include <string.h>

#include "digest.h"

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
