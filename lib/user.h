/* The user a container process runs as: podman's --user and --group-add resolved against the
 * image's /etc/passwd and /etc/group, with runc's rules (moby/sys/user GetExecUser). */
#ifndef RL_USER_H
#define RL_USER_H

#include <sys/types.h>

#include "error.h"

struct rl_user {
    uid_t uid;
    gid_t gid;
    gid_t *groups; /* supplementary groups, without gid */
    size_t n_groups;
    char *home; /* from passwd; "/" when there is none */
    char *name; /* from passwd; NULL for a uid it does not list */
};

/* Resolve SPEC, "USER[:GROUP]" with each part a name or a number, against the texts PASSWD and
 * GROUP (NULL for a missing file). A uid that passwd does not list is fine (gid 0 unless GROUP
 * is given, home "/"); a name must be there: "unable to find user NAME: no matching entries in
 * passwd file". Without ":GROUP", a user found in passwd gets as supplementary groups those of
 * GROUP that list its name. Ids above 4294967294 are refused. Comments, NIS ('+' and '-')
 * lines, short lines and CRLF line ends are handled. */
int rl_user_resolve(const char *spec, const char *passwd, const char *group, struct rl_user *ret,
                    rl_error_t *err);
/* The same against /etc/passwd and /etc/group under the current root (inside the container,
 * after pivot_root); missing files are fine, files above 4 MiB are not. */
int rl_user_lookup(const char *spec, struct rl_user *ret, rl_error_t *err);
/* Free what U holds (not U itself). */
void rl_user_release(struct rl_user *u);

/* A --group-add value, a name or a gid, against the text GROUP (NULL for a missing file):
 * "unable to find group NAME: no matching entries in group file". */
int rl_group_resolve(const char *name, const char *group, gid_t *ret, rl_error_t *err);

#endif
