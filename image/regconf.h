/* Per-registry settings from registries.conf (containers-registries.conf(5), the file podman
 * reads): which registries are insecure (no TLS checks, plain http allowed) or blocked.
 *
 * Files, as containers/image reads them: $CONTAINERS_REGISTRIES_CONF alone when it is set;
 * else $XDG_CONFIG_HOME/containers/registries.conf (default ~/.config/...) when it exists, or
 * /etc/containers/registries.conf; then the drop-ins *.conf of
 * /etc/containers/registries.conf.d and ~/.config/containers/registries.conf.d, sorted by path.
 * A [[registry]] of a later file replaces the one with the same prefix of an earlier file.
 *
 * The TOML subset understood: comments, strings ("basic" with escapes, 'literal', and their
 * triple-quoted forms), true/false, numbers and dates (skipped), arrays over several lines,
 * inline tables, [table] and [[array-table]] headers, bare, quoted and dotted keys. Only
 * [[registry]] tables (location, prefix, insecure, blocked) and the v1 tables
 * [registries.insecure] and [registries.block] (registries = [...]) are used; the rest,
 * [[registry.mirror]] included, is parsed and ignored. */
#ifndef RL_IMAGE_REGCONF_H
#define RL_IMAGE_REGCONF_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"

struct rl_regconf_registry {
    char *prefix;   /* what it matches: the location, or "*.example.com" */
    char *location; /* may be empty for a wildcard prefix */
    bool insecure;
    bool blocked;
    char *file; /* where it was defined */
    int line;
};

struct rl_regconf {
    struct rl_regconf_registry *registries;
    size_t n_registries;
    char **files; /* the files read, in order (NULL-terminated) */
};

/* The directory of the system files ("/etc/containers"); tests point it elsewhere. */
extern const char *rl_regconf_system_dir;

/* The main file in use (NULL when none exists) and the drop-ins (NULL-terminated, possibly
 * empty), in the order they apply. Caller frees both. */
void rl_regconf_files(char **ret_main, char ***ret_dropins);

/* Read every file that applies. A file that does not exist is skipped; one that cannot be
 * read or parsed is an error ("FILE:LINE: what is wrong"). */
int rl_regconf_load(struct rl_regconf **ret, rl_error_t *err);
/* Parse PATH and apply its registries on top of C's. */
int rl_regconf_load_file(struct rl_regconf *c, const char *path, rl_error_t *err);
/* Parse TEXT (LEN bytes) as if read from PATH; for the file readers and tests. */
int rl_regconf_parse(struct rl_regconf *c, const char *path, const char *text, size_t len,
                     rl_error_t *err);
struct rl_regconf *rl_regconf_new(void);
void rl_regconf_free(struct rl_regconf *c);

/* The entry for REGISTRY/REPOSITORY (REPOSITORY may be "" or NULL): the one whose prefix is
 * the longest match ending at a '/' or at the end; "*.example.com" matches the hosts below
 * example.com. NULL when none does. */
const struct rl_regconf_registry *rl_regconf_find(const struct rl_regconf *c, const char *registry,
                                                  const char *repository);

/* Load the files and look REGISTRY/REPOSITORY up. Without an entry both flags are false and
 * *RET_FILE is NULL; with one, *RET_FILE (may be NULL) is the file that defined it. */
int rl_regconf_lookup(const char *registry, const char *repository, bool *ret_insecure,
                      bool *ret_blocked, char **ret_file, rl_error_t *err);

#endif
