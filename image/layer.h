/* Layer extraction: a tar stream (an image layer, or a rootfs for `rl import`) written into
 * a directory, with every path resolved inside it (openat2 RESOLVE_IN_ROOT), whiteouts
 * turned into the form kernel overlay (userxattr) and fuse-overlayfs read, and ownership,
 * modes, xattrs and times kept where the user namespace allows. */
#ifndef RL_IMAGE_LAYER_H
#define RL_IMAGE_LAYER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "error.h"

/* Where the tar bytes come from. READ returns the number of bytes it points *BUF at, 0 at
 * the end of the stream, or < 0 after setting ERR. The stream may be compressed (gzip,
 * zstd, xz, bzip2: detected) or plain. */
struct rl_layer_source {
    ssize_t (*read)(struct rl_layer_source *src, const void **buf);
    rl_error_t err;
};

struct rl_layer_opts {
    /* Bound on the file data written, against decompression bombs; 0: none. */
    uint64_t max_bytes;
    /* Only one id is mapped (no subordinate ids): do not try to give files their owners. */
    bool single_id;
    /* Whiteouts (.wh.NAME, .wh..wh..opq) are applied as overlay whiteouts; without this
     * (rl import of a plain rootfs) they are ordinary names. */
    bool whiteouts;
};

struct rl_layer_stats {
    uint64_t entries;          /* tar entries processed */
    uint64_t bytes;            /* file data written */
    uint64_t devices_skipped;  /* device nodes and sockets, which cannot be made rootless */
    uint64_t owners_collapsed; /* files whose owner is not mapped here: kept as ours */
    uint64_t xattrs_skipped;   /* trusted.*, security.* other than capability, overlay's own */
};

/* The name kernel overlay reads for an opaque directory in a user namespace; whiteouts are
 * character devices 0:0. */
#define RL_OVERLAY_OPAQUE_XATTR "user.overlay.opaque"

/* Extract SRC into DIRFD. Entries with ".." components, hardlinks to targets that do not
 * exist in this layer and hardlinks to directories are errors naming the entry; absolute
 * names are taken relative to DIRFD; symlinked parents are followed only inside DIRFD. On
 * error, DIRFD holds a partial tree that the caller discards. */
int rl_layer_extract(int dirfd, struct rl_layer_source *src, const struct rl_layer_opts *opts,
                     struct rl_layer_stats *stats, rl_error_t *err);
/* The same from a file descriptor. */
int rl_layer_extract_fd(int dirfd, int fd, const struct rl_layer_opts *opts,
                        struct rl_layer_stats *stats, rl_error_t *err);

/* Clean an entry name: strip leading "/" and "./", drop "." components and repeated
 * slashes. "" means the root. Returns NULL for a name with a ".." component. */
char *rl_layer_clean_path(const char *name);

#endif
