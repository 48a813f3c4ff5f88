/* Facts about the host that decide whether rootless containers can run: the checks behind
 * `rl doctor` and `rl info`. Every check runs as the calling user and only reads the host;
 * the probes that mount something do it in a forked child's private user and mount
 * namespaces. */
#ifndef RL_HOSTCHECK_H
#define RL_HOSTCHECK_H

#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>

#include "error.h"
#include "spec.h"

enum rl_check_status {
    RL_CHECK_OK = 0,
    RL_CHECK_WARNING, /* rl works, with less: a fallback is used or a feature is refused */
    RL_CHECK_ERROR,   /* rl cannot run containers until this is fixed */
};

struct rl_check {
    char *name; /* "subuid", "newuidmap", ... */
    enum rl_check_status status;
    char *message; /* what was found */
    char *fix;     /* the exact command that fixes it, or NULL */
};

/* Run every check as the calling user. */
int rl_hostcheck_run(struct rl_check **ret, size_t *ret_n, rl_error_t *err);
void rl_hostcheck_free(struct rl_check *checks, size_t n);
/* [{"name", "status": "ok|warning|error", "message", "fix" (string or null)}, ...] */
json_t *rl_hostcheck_to_json(const struct rl_check *checks, size_t n);
const char *rl_check_status_name(enum rl_check_status s);
/* The worst status among CHECKS (RL_CHECK_OK when N is 0). */
enum rl_check_status rl_hostcheck_worst(const struct rl_check *checks, size_t n);

/* What `rl info` shows: the checks and the facts they found. */
struct rl_hostinfo {
    char *kernel_name, *kernel_release, *kernel_version, *machine; /* uname(2) */
    char *os;                                                      /* PRETTY_NAME, or NULL */
    char *user;                                                    /* name, or the uid */
    uid_t uid;
    gid_t gid;
    /* The maps a container gets by default, and how: "subordinate ids", "single id" or
     * "identity" (root without subordinate ids). */
    struct rl_idmap_range *uid_map, *gid_map;
    size_t n_uid_map, n_gid_map;
    const char *id_mapping;
    char *newuidmap, *newgidmap; /* the helper found, or NULL */
    char *runtime_dir;           /* where rl keeps runtime state (without the "oci" part) */
    bool runtime_dir_fallback;   /* not under $XDG_RUNTIME_DIR */
    const char *overlay;         /* "overlay" (kernel), "fuse-overlayfs" or "none" */
    bool userns;                 /* unprivileged user namespaces work */
    const char *cgroup_mode;     /* "unified", "hybrid", "legacy" or "none" */
    char *cgroup_mount;          /* the cgroup2 mount point, or NULL */
    char *cgroup_path;           /* the process's cgroup in the v2 tree, or NULL */
    char *cgroup_dir;            /* cgroup_mount + cgroup_path, or NULL */
    bool cgroup_delegated;       /* cgroup_dir is writable by the user */
    char *cgroup_controllers;    /* its cgroup.controllers, space-separated, or NULL */
    struct rl_check *checks;
    size_t n_checks;
};

int rl_hostinfo_gather(struct rl_hostinfo **ret, rl_error_t *err);
/* Whether kernel overlay mounts with userxattr work in a user namespace here (a child tries
 * one); 0 when they do. */
int rl_hostcheck_kernel_overlay(rl_error_t *err);
struct rl_hostinfo *rl_hostinfo_free(struct rl_hostinfo *info);
/* The "host" object of `rl info --format json`, without the checks. */
json_t *rl_hostinfo_to_json(const struct rl_hostinfo *info);

/* The parsers below take text so that tests can feed them; the checks read the files. */

/* One line of /proc/PID/mountinfo; the paths have their octal escapes (\040) undone. */
struct rl_mountinfo {
    char *root; /* the mount's root inside its filesystem */
    char *mount_point;
    char *fstype;
    char *source;
    char *super_options;
};
int rl_mountinfo_parse_line(const char *line, struct rl_mountinfo *ret, rl_error_t *err);
void rl_mountinfo_release(struct rl_mountinfo *m);

/* The cgroup filesystems in the text of /proc/self/mountinfo. */
struct rl_cgroup_mounts {
    bool v1;              /* some cgroup v1 hierarchy is mounted */
    char *v2_mount_point; /* the first cgroup2 mount, or NULL */
    char *v2_root;        /* its root in the cgroup tree ("/" outside a cgroup namespace) */
};
int rl_hostcheck_parse_cgroup_mounts(const char *mountinfo, struct rl_cgroup_mounts *ret,
                                     rl_error_t *err);
void rl_cgroup_mounts_release(struct rl_cgroup_mounts *m);
/* "unified", "hybrid", "legacy" or "none". */
const char *rl_cgroup_mounts_mode(const struct rl_cgroup_mounts *m);

/* The cgroup v2 path from the text of /proc/PID/cgroup, the "0::PATH" line. Returns 1 and
 * sets *RET, or 0 when there is none (cgroup v1 only). */
int rl_hostcheck_parse_proc_cgroup(const char *text, char **ret);
/* The directory of cgroup PATH under a cgroup2 mount of ROOT at MOUNT_POINT, or NULL when
 * PATH is outside ROOT. */
char *rl_hostcheck_cgroup_dir(const char *mount_point, const char *root, const char *path);

/* net.ipv4.ping_group_range: "MIN\tMAX". MIN > MAX means no group. */
int rl_hostcheck_parse_ping_range(const char *text, uint32_t *ret_min, uint32_t *ret_max,
                                  rl_error_t *err);

/* "6.1.0-13-amd64" -> 6, 1. */
int rl_hostcheck_parse_kernel_version(const char *release, unsigned *ret_major,
                                      unsigned *ret_minor);

/* Whether a security.capability xattr value grants capability CAP (permitted set). */
bool rl_hostcheck_filecap_has(const void *value, size_t len, unsigned cap);

/* The "subuid" or "subgid" check (WHAT) of user NAME with id ID, from TEXT, the contents of
 * /etc/subuid or /etc/subgid (NULL when the file is missing). */
int rl_hostcheck_subid(const char *what, const char *text, const char *name, uid_t id,
                       struct rl_check *ret, rl_error_t *err);

#endif
