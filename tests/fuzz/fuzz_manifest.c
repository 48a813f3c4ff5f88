/* libFuzzer entry point for the manifest, image config and WWW-Authenticate parsers: each
 * gets the input as a NUL-terminated copy, so that a parser that reads past LEN shows up
 * under ASan only when it also ignores the terminator. */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include "auth.h"
#include "manifest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cleanup_free char *buf = xmalloc(size + 1);
    cleanup_manifest struct rl_manifest *m = NULL;
    cleanup_image_config struct rl_image_config *c = NULL;
    struct rl_auth_challenge ch = { 0 };
    rl_error_t err = NULL;

    memcpy(buf, data, size);
    buf[size] = '\0';

    if (rl_manifest_parse(buf, size, NULL, &m, &err) < 0)
        rl_error_release(&err);
    else if (m->kind == RL_MANIFEST_INDEX) {
        struct rl_platform want = { 0 };
        const struct rl_descriptor *d;

        rl_platform_host(&want);
        if (rl_manifest_select(m, &want, &d, &err) < 0)
            rl_error_release(&err);
        rl_platform_release(&want);
    }

    if (rl_image_config_parse(buf, size, &c, &err) < 0) {
        rl_error_release(&err);
    } else {
        char **chain = rl_chain_ids(c->diff_ids, c->n_diff_ids);
        rl_strv_free(chain);
    }

    if (rl_auth_challenge_parse(buf, &ch, &err) < 0)
        rl_error_release(&err);
    else
        rl_auth_challenge_release(&ch);
    return 0;
}
