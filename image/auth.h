/* Registry credentials and authentication: WWW-Authenticate challenges, token responses,
 * and the auth.json files podman and docker share. */
#ifndef RL_IMAGE_AUTH_H
#define RL_IMAGE_AUTH_H

#include <stdbool.h>

#include "error.h"

/* One challenge of a WWW-Authenticate header (RFC 7235). */
struct rl_auth_challenge {
    char *scheme; /* lower-cased: "bearer", "basic" */
    char *realm;  /* may be NULL */
    char *service;
    char *scope;
    char *error; /* Bearer error="insufficient_scope", ... */
};
/* Parse the first challenge of HEADER: `Bearer realm="https://a/token",service="a",
 * scope="repository:x:pull"`, `Basic realm="Registry"`. Quoted strings with backslash
 * escapes, unquoted tokens, any case for the scheme and parameter names, spaces around
 * '=' and ','. Errors: "invalid WWW-Authenticate header 'X': <why>". A Bearer challenge
 * without a realm is an error. */
int rl_auth_challenge_parse(const char *header, struct rl_auth_challenge *ret, rl_error_t *err);
void rl_auth_challenge_release(struct rl_auth_challenge *c);

/* A token endpoint's JSON answer: "token" or "access_token" (either, token preferred), and
 * "expires_in" (seconds, default 60). Errors: "token response: ...". */
int rl_auth_token_parse(const char *buf, size_t len, char **ret_token, long *ret_expires_in,
                        rl_error_t *err);

/* Credentials for REGISTRY ("docker.io", "localhost:5000"), looked up like podman: the file
 * named by $REGISTRY_AUTH_FILE if set, else $XDG_RUNTIME_DIR/containers/auth.json, then
 * $XDG_CONFIG_HOME/containers/auth.json (~/.config/...), then $DOCKER_CONFIG/config.json or
 * ~/.docker/config.json. In each file, "auths" keys may be "registry", "registry/path",
 * "https://registry", "https://registry/v1/" or "http://registry"; docker.io also matches
 * "https://index.docker.io/v1/". Entries are {"auth": base64("user:password")}. Missing
 * files are skipped; an unreadable or malformed file is an error naming it.
 * Sets *RET_USER and *RET_PASSWORD (both NULL when nothing matches). */
int rl_auth_lookup(const char *registry, char **ret_user, char **ret_password, rl_error_t *err);

/* The same in the one file PATH (--authfile). A missing file matches nothing. */
int rl_auth_lookup_file(const char *path, const char *registry, char **ret_user,
                        char **ret_password, rl_error_t *err);

/* The file rl login writes: $REGISTRY_AUTH_FILE, else $XDG_RUNTIME_DIR/containers/auth.json
 * (when XDG_RUNTIME_DIR is set), else $XDG_CONFIG_HOME/containers/auth.json. Caller frees. */
char *rl_auth_default_path(void);
/* Store USER:PASSWORD for REGISTRY in PATH (NULL: rl_auth_default_path()), keeping every
 * other key of the file; the file is written atomically with mode 0600 and its directory
 * created 0700. */
int rl_auth_store(const char *path, const char *registry, const char *user, const char *password,
                  rl_error_t *err);
/* Remove REGISTRY from PATH (NULL: default); with ALL, every entry. Removing an entry that
 * is not there: error "not logged into REGISTRY" (status ENOENT). */
int rl_auth_remove(const char *path, const char *registry, bool all, rl_error_t *err);

/* Base64 (RFC 4648, with padding). Decode errors on bad characters or length. */
char *rl_base64_encode(const void *buf, size_t len);
int rl_base64_decode(const char *text, char **ret_buf, size_t *ret_len, rl_error_t *err);

#endif
