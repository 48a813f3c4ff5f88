/* The image store: blobs by digest, one extracted directory per layer (by chain id, shared by
 * every image that has it) and the image records, under one directory.
 *
 *   ROOT/storage.lock          flock: shared to read, exclusive to change
 *   ROOT/blobs/sha256/HEX      manifests and configs (layers are kept extracted only)
 *   ROOT/layers/HEX/diff/      an extracted layer (HEX: the chain id)
 *   ROOT/layers/HEX/layer.json {"diffId", "chainId", "parent", "size", "compressedDigest"}
 *   ROOT/images.json           {"images": [records]}
 *   ROOT/tmp/NAME/             work in progress, flock'ed by the process that owns it
 *
 * A layer exists once its directory has been renamed into layers/: readers never see a
 * partial one. Files below layers/ belong to the ids of the user's namespace; removing them
 * needs that namespace (rl_userns_enter).
 */
#ifndef RL_IMAGE_STORE_H
#define RL_IMAGE_STORE_H

#include <stdbool.h>
#include <stdint.h>

#include "json.h"

#include "error.h"

struct rl_store {
    char *root;
    int root_fd;
    int lock_fd;
    int locked; /* 0, LOCK_SH or LOCK_EX */
};

/* $XDG_DATA_HOME/rl, else ~/.local/share/rl; /var/lib/rl for root. Caller frees. */
char *rl_store_default_root(void);
/* Open (creating it, mode 0700) the store at ROOT (NULL: the default). */
int rl_store_open(const char *root, struct rl_store **ret, rl_error_t *err);
void rl_store_close(struct rl_store *s);
void rl_store_closep(struct rl_store **s);
#define cleanup_store __attribute__((cleanup(rl_store_closep)))

/* LOCK_SH, LOCK_EX or LOCK_UN on storage.lock (waits). */
int rl_store_lock(struct rl_store *s, int how, rl_error_t *err);

/* Image records: a JSON array of objects
 *   {"id": HEX, "names": ["docker.io/library/alpine:latest"], "digest": "sha256:...",
 *    "repoDigests": ["docker.io/library/alpine@sha256:..."], "manifestType": MT,
 *    "layers": [chain HEX...], "diffIds": ["sha256:..."], "size": N, "created": RFC3339,
 *    "added": RFC3339}
 * id is the hex of the config digest, as podman's image id. */
int rl_store_images_load(struct rl_store *s, json_t **ret, rl_error_t *err);
int rl_store_images_save(struct rl_store *s, json_t *images, rl_error_t *err);

/* Find an image by full or unique-prefix id (with or without "sha256:"), by name (as given or
 * normalised: "alpine" -> "docker.io/library/alpine:latest"), or by name@digest. Returns the
 * index, -1 with "image not known" (ENOENT) or an ambiguity error. */
long rl_store_image_find(json_t *images, const char *what, rl_error_t *err);
/* Record an image whose layers are in the store (pull, load, import): under the exclusive
 * lock, NAMES move to it from any other image. RECORD is the new record (consumed). */
int rl_store_image_commit(struct rl_store *s, json_t *record, rl_error_t *err);

/* Remove NAME from every record (the image that had it keeps its other names). */
void rl_store_image_untag(json_t *images, const char *name);

/* Blobs (manifests, configs), written atomically under their digest. */
int rl_store_blob_put(struct rl_store *s, const char *digest, const void *buf, size_t len,
                      rl_error_t *err);
int rl_store_blob_read(struct rl_store *s, const char *digest, size_t max, char **ret_buf,
                       size_t *ret_len, rl_error_t *err);
bool rl_store_blob_exists(struct rl_store *s, const char *digest);

/* Layers, by chain id (hex, no "sha256:"). */
bool rl_store_layer_exists(struct rl_store *s, const char *chain_hex);
/* "ROOT/layers/HEX/diff"; caller frees. */
char *rl_store_layer_path(struct rl_store *s, const char *chain_hex);
/* Read layer.json of a layer. */
int rl_store_layer_meta(struct rl_store *s, const char *chain_hex, json_t **ret, rl_error_t *err);

/* A private work directory ROOT/tmp/NAME, flock'ed until rl_store_tmp_release; stale ones
 * (whose owner died) are removed by rl_store_tmp_cleanup. */
struct rl_store_tmp {
    char *path;
    int fd; /* O_DIRECTORY, holds the flock */
};
int rl_store_tmp_new(struct rl_store *s, struct rl_store_tmp *ret, rl_error_t *err);
/* Remove the directory (if still there) and unlock. */
void rl_store_tmp_release(struct rl_store_tmp *t);
int rl_store_tmp_cleanup(struct rl_store *s, rl_error_t *err);

/* Move a finished layer (TMP holding "diff/", "layer.json" and "tar-split") into place.
 * Needs the exclusive lock. When another process stored the same layer first, that copy is
 * kept and TMP stays for rl_store_tmp_release to remove. */
int rl_store_layer_commit(struct rl_store *s, struct rl_store_tmp *tmp, const char *chain_hex,
                          rl_error_t *err);

/* Remove layers and blobs no image record refers to. Needs the exclusive lock; the removal
 * itself happens after the layers are moved out of layers/. Sets *RET_LAYERS to the number of
 * layers removed (may be NULL). */
int rl_store_gc(struct rl_store *s, json_t *images, size_t *ret_layers, rl_error_t *err);

/* Bytes used below ROOT/layers (st_blocks of every file, hardlinks once). */
int64_t rl_store_layer_disk_usage(struct rl_store *s, const char *chain_hex);

#endif
