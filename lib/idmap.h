/* User namespace id maps: /etc/subuid and /etc/subgid, the default rootless map, and writing
 * maps through newuidmap/newgidmap or directly. */
#ifndef RL_IDMAP_H
#define RL_IDMAP_H

#include <sys/types.h>

#include "spec.h"

struct rl_subid_range {
    uint32_t start;
    uint32_t count;
};

/* Parse the contents of /etc/subuid or /etc/subgid for a user given by NAME or numeric ID.
 * Lines are "name_or_id:start:count"; comments and malformed lines are skipped. */
int rl_subid_parse(const char *text, const char *name, uid_t id, struct rl_subid_range **ret,
                   size_t *ret_n, rl_error_t *err);
int rl_subid_read(const char *path, const char *name, uid_t id, struct rl_subid_range **ret,
                  size_t *ret_n, rl_error_t *err);

/* The default map: container 0 = HOST_ID, then 1..N = the subordinate ranges in order. */
int rl_idmap_default(uid_t host_id, const struct rl_subid_range *sub, size_t n_sub,
                     struct rl_idmap_range **ret, size_t *ret_n);
/* "0 1000 1\n1 100000 65536\n" */
char *rl_idmap_format(const struct rl_idmap_range *map, size_t n);
/* Check MAP against what the caller may map: its own id plus its subordinate ranges. The
 * error names the first range outside them. */
int rl_idmap_check(const struct rl_idmap_range *map, size_t n, uid_t self,
                   const struct rl_subid_range *sub, size_t n_sub, const char *what,
                   rl_error_t *err);
/* Write uid_map and gid_map of PID. Maps of only the caller's own id are written directly
 * (with setgroups "deny"); others go through newuidmap/newgidmap. */
int rl_idmap_write(pid_t pid, const struct rl_idmap_range *uids, size_t n_uids,
                   const struct rl_idmap_range *gids, size_t n_gids, rl_error_t *err);
/* The caller's default maps: its own id as 0 and its subordinate ranges; the identity map
 * for real root. Without subids or helpers, only its own id, with one warning; then
 * *RET_SINGLE (may be NULL) is true. */
int rl_idmap_caller(struct rl_idmap_range **ret_uids, size_t *ret_n_uids,
                    struct rl_idmap_range **ret_gids, size_t *ret_n_gids, bool *ret_single,
                    rl_error_t *err);
/* Move the calling process into a new user namespace with the caller's default maps and
 * become root in it, so that files can be given the ids they have in images. Must be called
 * before any thread is started. A no-op for real root. */
int rl_userns_enter(bool *ret_single, rl_error_t *err);
/* Instead: join the user namespace that owns the namespace NSFD (another container's, to join
 * its network), which must be the caller's own (created by a process of the caller's with
 * the same maps), and become root in it. WHAT names NSFD in errors. */
int rl_userns_join_owner(int nsfd, const char *what, rl_error_t *err);

/* Map an id inside to the host (UINT32_MAX... returns -1 when unmapped). */
long long rl_idmap_to_host(const struct rl_idmap_range *map, size_t n, uint32_t id);

#endif
