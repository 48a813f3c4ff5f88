/* Image archives: rl load and rl save of docker-archive (docker save / podman save) and
 * oci-archive (an OCI image layout in a tar), and rl import of a root filesystem tarball. */
#ifndef RL_IMAGE_ARCHIVE_H
#define RL_IMAGE_ARCHIVE_H

#include <stdbool.h>

#include <jansson.h>

#include "error.h"
#include "store.h"

enum rl_archive_format {
    RL_ARCHIVE_DOCKER, /* docker-archive: manifest.json, config, <diff_id>/layer.tar */
    RL_ARCHIVE_OCI,    /* oci-archive: oci-layout, index.json, blobs/sha256/ */
};

/* Parse "docker-archive" or "oci-archive" (podman's --format names). */
int rl_archive_format_parse(const char *text, enum rl_archive_format *ret, rl_error_t *err);

/* Load every image of the archive read from FD (docker-archive or oci-archive, possibly
 * compressed: detected). Layers the store has are not unpacked again; every layer is
 * checked against its diff_id. *RET_LOADED gets one line per image: its names, or
 * "sha256:ID" for an image without one. */
int rl_archive_load(struct rl_store *s, int fd, bool single_id, char ***ret_loaded,
                    rl_error_t *err);

/* Write the images IDX[0..N) of IMAGES (records of images.json) as an archive to FD. The
 * layers are reassembled byte for byte from their tar-split, so diff_ids and the image id
 * stay the same. NAMES (may be NULL) overrides the names recorded for a single image. */
int rl_archive_save(struct rl_store *s, json_t *images, const size_t *idx, size_t n,
                    enum rl_archive_format format, int fd, rl_error_t *err);

/* Create an image of one layer from the tarball read from FD. CONFIG is the "config"
 * object of the image config (Cmd, Env, ...; may be NULL), MESSAGE the history comment.
 * NAME (may be NULL) names it. *RET_ID gets the id. */
int rl_archive_import(struct rl_store *s, int fd, const char *name, json_t *config,
                      const char *message, bool single_id, char **ret_id, rl_error_t *err);

#endif
