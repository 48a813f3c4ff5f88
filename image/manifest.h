/* Image manifests, indexes and configs: OCI image-spec and Docker v2 schema 2, parsed from
 * bytes whose digest the caller has already checked. Every error names the field. */
#ifndef RL_IMAGE_MANIFEST_H
#define RL_IMAGE_MANIFEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "error.h"

#define RL_MT_OCI_INDEX           "application/vnd.oci.image.index.v1+json"
#define RL_MT_OCI_MANIFEST        "application/vnd.oci.image.manifest.v1+json"
#define RL_MT_OCI_CONFIG          "application/vnd.oci.image.config.v1+json"
#define RL_MT_OCI_LAYER           "application/vnd.oci.image.layer.v1.tar"
#define RL_MT_OCI_LAYER_GZIP      "application/vnd.oci.image.layer.v1.tar+gzip"
#define RL_MT_OCI_LAYER_ZSTD      "application/vnd.oci.image.layer.v1.tar+zstd"
#define RL_MT_DOCKER_LIST         "application/vnd.docker.distribution.manifest.list.v2+json"
#define RL_MT_DOCKER_MANIFEST     "application/vnd.docker.distribution.manifest.v2+json"
#define RL_MT_DOCKER_CONFIG       "application/vnd.docker.container.image.v1+json"
#define RL_MT_DOCKER_LAYER_GZIP   "application/vnd.docker.image.rootfs.diff.tar.gzip"
#define RL_MT_DOCKER_FOREIGN_GZIP "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip"

/* The Accept header a client sends for a manifest: all four types above. */
#define RL_MANIFEST_ACCEPT \
    RL_MT_OCI_INDEX ", " RL_MT_DOCKER_LIST ", " RL_MT_OCI_MANIFEST ", " RL_MT_DOCKER_MANIFEST

/* Bounds on what is read into memory. */
#define RL_MANIFEST_MAX_SIZE (4 * 1024 * 1024)
#define RL_CONFIG_MAX_SIZE   (8 * 1024 * 1024)

enum rl_compression {
    RL_COMPRESSION_NONE,
    RL_COMPRESSION_GZIP,
    RL_COMPRESSION_ZSTD,
};

struct rl_platform {
    char *os;           /* "linux" */
    char *architecture; /* "amd64", "arm64", "arm", ... (GOARCH names) */
    char *variant;      /* "v8", "v7" or NULL */
};

struct rl_descriptor {
    char *media_type;
    char *digest;                    /* checked with rl_digest_check_syntax */
    int64_t size;                    /* >= 0 */
    struct rl_platform platform;     /* index entries only; all NULL when absent */
    enum rl_compression compression; /* layers only, from media_type */
};

enum rl_manifest_kind {
    RL_MANIFEST_INDEX, /* OCI index or Docker manifest list: manifests[] */
    RL_MANIFEST_IMAGE, /* OCI or Docker v2s2 image manifest: config and layers[] */
};

struct rl_manifest {
    enum rl_manifest_kind kind;
    char *media_type; /* from the document's mediaType, else from CONTENT_TYPE, else guessed
                         (manifests[] -> OCI index, config+layers -> OCI manifest) */
    struct rl_descriptor config;
    struct rl_descriptor *layers;
    size_t n_layers;
    struct rl_descriptor *manifests;
    size_t n_manifests;
};

/* Parse a manifest or index. CONTENT_TYPE (the registry's Content-Type header, may be NULL)
 * is used when the document has no mediaType; when both are present and differ, it is an
 * error. schemaVersion must be 2 (schema 1 gets "Docker schema 1 manifests are not
 * supported"). Layer media types must be one of the layer types above (foreign layers
 * are accepted as gzip); anything else: "layers[2].mediaType: unsupported layer type 'X'".
 * An image manifest needs at least one layer. Errors start with "manifest: ". */
int rl_manifest_parse(const char *buf, size_t len, const char *content_type,
                      struct rl_manifest **ret, rl_error_t *err);
struct rl_manifest *rl_manifest_free(struct rl_manifest *m);
void rl_manifest_freep(struct rl_manifest **m);
#define cleanup_manifest __attribute__((cleanup(rl_manifest_freep)))

/* "os/arch[/variant]" as podman's --platform; "linux/arm64/v8". Missing or empty parts are
 * errors: "invalid platform 'X': use OS/ARCH[/VARIANT]". */
int rl_platform_parse(const char *text, struct rl_platform *ret, rl_error_t *err);
/* The host's platform: linux and the GOARCH name of the machine (uname: x86_64 -> amd64,
 * aarch64 -> arm64 with variant v8, armv7l -> arm v7, i686 -> 386, ...). */
void rl_platform_host(struct rl_platform *ret);
void rl_platform_release(struct rl_platform *p);
/* "linux/amd64" or "linux/arm64/v8"; caller frees. */
char *rl_platform_format(const struct rl_platform *p);

/* Pick the entry of INDEX for WANT: os and architecture equal; when WANT has a variant it
 * must equal (an arm64 entry without variant matches v8); without one, the first entry of
 * that os/arch wins. Error: "no image for linux/s390x in the index (it has: linux/amd64,
 * linux/arm64/v8)". */
int rl_manifest_select(const struct rl_manifest *index, const struct rl_platform *want,
                       const struct rl_descriptor **ret, rl_error_t *err);

/* An image config (OCI image-spec config.json / Docker image JSON). */
struct rl_image_config {
    json_t *json;                /* the whole document, owned */
    struct rl_platform platform; /* os, architecture, variant */
    char **diff_ids;             /* rootfs.diff_ids, each a valid digest */
    size_t n_diff_ids;
    char *created; /* RFC 3339 or NULL */
};
/* Errors start with "image config: " and name the field ("rootfs.type: must be
 * \"layers\""). */
int rl_image_config_parse(const char *buf, size_t len, struct rl_image_config **ret,
                          rl_error_t *err);
struct rl_image_config *rl_image_config_free(struct rl_image_config *c);
void rl_image_config_freep(struct rl_image_config **c);
#define cleanup_image_config __attribute__((cleanup(rl_image_config_freep)))

/* The chain ids of DIFF_IDS (OCI image-spec): chain[0] = diff_ids[0],
 * chain[i] = sha256(chain[i-1] + " " + diff_ids[i]). Returns a NULL-terminated strv. */
char **rl_chain_ids(char *const *diff_ids, size_t n);

#endif
