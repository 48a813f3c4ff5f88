/* rl pull: resolve a reference at its registry, download the layers the store lacks in
 * parallel, decompress and extract each while it streams, verify every digest, and record
 * the image. */
#ifndef RL_IMAGE_PULL_H
#define RL_IMAGE_PULL_H

#include <stdbool.h>

#include "error.h"
#include "registry.h"
#include "store.h"

struct rl_pull_opts {
    struct rl_registry_opts registry;
    const char *platform; /* "os/arch[/variant]"; NULL: the host's */
    int jobs;             /* parallel downloads; 0: 6 */
    bool quiet;           /* -q: no progress, only the id on stdout */
    bool single_id;       /* the store's user namespace maps only one id */
};

/* Pull NAME into S. *RET_ID (may be NULL) gets the image id (64 hex). */
int rl_pull(struct rl_store *s, const char *name, const struct rl_pull_opts *opts, char **ret_id,
            rl_error_t *err);

/* Bound on a layer's uncompressed size, against decompression bombs: RL_MAX_LAYER_SIZE in
 * bytes from the environment, else 200 times the compressed size and at least 1 GiB (real
 * layers compress by 2 to 10 times; a bomb by 1000 and more). */
uint64_t rl_layer_size_bound(int64_t compressed);

#endif
