/* A registry API v2 client (libcurl): ping, Bearer and Basic authentication, manifests,
 * small blobs, and large blobs streamed in parallel through one curl multi handle. */
#ifndef RL_IMAGE_REGISTRY_H
#define RL_IMAGE_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <curl/curl.h>

#include "error.h"
#include "ref.h"

struct rl_registry_opts {
    /* 1: https with certificate checks; 0: https without checks, then plain http;
     * -1: not given (the registry's setting in registries.conf, else 1). */
    int tls_verify;
    const char *cert_dir;  /* --cert-dir: *.crt CA files, ca.crt first */
    const char *creds;     /* --creds USER[:PASSWORD] */
    const char *auth_file; /* --authfile */
};

struct rl_registry {
    char *registry;   /* "docker.io" */
    char *host;       /* "registry-1.docker.io" for docker.io, else registry */
    char *repository; /* "library/alpine" */
    char *base;       /* "https://host/v2/REPOSITORY" */
    bool verify;
    char *cert_dir;
    char *ca_blob; /* extra CAs and the system's, or NULL (see load_cas) */
    size_t ca_len;
    char *user, *password;
    char *authorization; /* "Authorization: Bearer ..." header, or NULL */
    bool basic_only;     /* the registry asked for Basic auth */
    bool auth_failed;    /* the last error was about credentials, not the connection */
    char *realm, *service;
    CURLSH *share;
};

/* Set up a session for REF's repository: find the scheme (ping /v2/), take credentials
 * (--creds, else auth files) and fetch a token when the registry asks for one. */
int rl_registry_open(const struct rl_image_ref *ref, const struct rl_registry_opts *opts,
                     struct rl_registry **ret, rl_error_t *err);
void rl_registry_close(struct rl_registry *r);
void rl_registry_closep(struct rl_registry **r);
#define cleanup_registry __attribute__((cleanup(rl_registry_closep)))

/* Check credentials against REGISTRY's /v2/ (rl login). */
int rl_registry_login(const char *registry, const char *user, const char *password,
                      const struct rl_registry_opts *opts, rl_error_t *err);

/* GET the manifest REFERENCE (tag or digest). *RET_TYPE is the Content-Type. When
 * REFERENCE is a digest, the body is checked against it. *RET_DIGEST is the body's
 * digest. Bounded by RL_MANIFEST_MAX_SIZE. */
int rl_registry_get_manifest(struct rl_registry *r, const char *reference, char **ret_buf,
                             size_t *ret_len, char **ret_type, char **ret_digest, rl_error_t *err);
/* GET a small blob (a config) whole, checked against DIGEST, at most MAX bytes. */
int rl_registry_get_blob(struct rl_registry *r, const char *digest, size_t max, char **ret_buf,
                         size_t *ret_len, rl_error_t *err);

/* Parallel blob downloads. Each blob's bytes go to WRITE in order (possibly after a retry
 * resumed with Range), checked against DIGEST as they stream; WRITE returns the number of
 * bytes taken: all, or 0 to be called again with the same bytes later (it is full), or
 * (size_t)-1 to abort this blob. DONE is called once per blob with NULL on success (all
 * bytes delivered and the digest matched) or the error (to release). */
struct rl_blob_transfer {
    const char *digest;
    int64_t size; /* from the manifest; -1 if unknown */
    size_t (*write)(struct rl_blob_transfer *t, const void *buf, size_t len);
    void (*done)(struct rl_blob_transfer *t, rl_error_t *err);
    /* Filled in while running: */
    int64_t received;
    void *priv;
};
struct rl_blob_batch;
/* WAKE_FD (may be -1): an eventfd or pipe that consumers write to when they have made room
 * after a write was refused; PROGRESS (may be NULL) is called about 10 times a second. */
struct rl_blob_batch *rl_blob_batch_new(struct rl_registry *r, int max_parallel, int wake_fd,
                                        void (*progress)(void *data), void *data);
void rl_blob_batch_add(struct rl_blob_batch *b, struct rl_blob_transfer *t);
/* Run until every transfer is done (each one's DONE has been called). Returns < 0 only for
 * a failure of the machinery itself. */
int rl_blob_batch_run(struct rl_blob_batch *b, rl_error_t *err);
void rl_blob_batch_free(struct rl_blob_batch *b);

/* Error text of a registry's JSON error body ({"errors":[{"code","message"}]}), or NULL. */
char *rl_registry_error_text(const char *body, size_t len);

#endif
