/* Image references: parse "alpine", "quay.io/a/b:1.0" or "host/x@sha256:..."
 * into their normalised parts, after docker's distribution/reference grammar.
 */
#ifndef RL_IMAGE_REF_H
#define RL_IMAGE_REF_H

#include "error.h"

struct rl_image_ref {
    char *registry;   /* "docker.io", "quay.io", "localhost:5000", "[::1]:5000" */
    char *repository; /* "library/alpine": lower-case path components */
    char *tag;        /* "latest" when neither tag nor digest was given; NULL with a
                         digest only */
    char *digest;     /* "sha256:<64 hex>", or NULL */
};

/* Parse TEXT; short names get "docker.io/" and, with one component, "library/".
 * Errors read "invalid image reference 'TEXT': <part>: <why>". */
int rl_image_ref_parse(const char *text, struct rl_image_ref **ret_ref, rl_error_t *err);
/* The same for names given to local images (rl tag, rl import): without a registry, a name
 * belongs to "localhost" ("mine" -> "localhost/mine:latest"), as podman names them. */
int rl_image_ref_parse_local(const char *text, struct rl_image_ref **ret_ref, rl_error_t *err);
/* "registry/repository[:tag][@digest]"; caller frees. */
char *rl_image_ref_format(const struct rl_image_ref *ref);
/* Accepts NULL; returns NULL, for `ref = rl_image_ref_free(ref);`. */
struct rl_image_ref *rl_image_ref_free(struct rl_image_ref *ref);
void rl_image_ref_freep(struct rl_image_ref **ref);
#define cleanup_image_ref __attribute__((cleanup(rl_image_ref_freep)))

#endif
