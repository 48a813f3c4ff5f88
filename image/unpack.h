/* One layer from compressed bytes to an extracted directory: decompress (gzip, zstd or
 * none), hash the uncompressed tar stream (the diff_id), record its tar-split (the stream
 * without the file contents, so that `rl save` can give back the same bytes), and extract.
 * Used by pull (bytes from the network), load and import (bytes from a file). */
#ifndef RL_IMAGE_UNPACK_H
#define RL_IMAGE_UNPACK_H

#include <stdint.h>
#include <sys/types.h>

#include "error.h"
#include "layer.h"
#include "manifest.h"

struct rl_unpack_input {
    /* Up to MAX compressed bytes into BUF; 0 at the end; < 0 with ERR set. */
    ssize_t (*read)(struct rl_unpack_input *in, char *buf, size_t max, rl_error_t *err);
};

#define RL_COMPRESSION_DETECT ((enum rl_compression) - 1)

struct rl_unpack_opts {
    enum rl_compression compression; /* or RL_COMPRESSION_DETECT (magic bytes) */
    const char *diff_id;             /* expected; NULL: only computed */
    uint64_t bound;                  /* uncompressed bytes allowed */
    const char *split_path;          /* where the tar-split goes; NULL: none */
    struct rl_layer_opts layer;
};

struct rl_unpack_result {
    char *diff_id; /* "sha256:..." of the uncompressed stream; caller frees */
    uint64_t size; /* bytes of the uncompressed stream */
    struct rl_layer_stats stats;
};

int rl_unpack(int dirfd, struct rl_unpack_input *in, const struct rl_unpack_opts *opts,
              struct rl_unpack_result *ret, rl_error_t *err);

/* Write the tar stream of a layer again, byte for byte, from its tar-split and its
 * extracted directory DIRFD, to WRITE; checks it against DIFF_ID on the way. */
int rl_unpack_reassemble(int dirfd, const char *split_path, const char *diff_id,
                         int (*write)(void *data, const void *buf, size_t len, rl_error_t *err),
                         void *data, rl_error_t *err);

#endif
