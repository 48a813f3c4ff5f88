/* Resource limits through a delegated cgroup v2 subtree: podman's limit options turned into
 * cgroup v2 interface files, finding the part of the tree the user may manage, and making,
 * updating, joining, reading and removing a container's cgroup there. cgroup v1 is refused.
 *
 * Every function takes the paths it works on, so that tests can point it at a fake tree of
 * plain files. On a filesystem that is not cgroup2 (such a fake tree) the writes create the
 * interface files that the kernel would have made, and removal deletes them. */
#ifndef RL_CGROUP_H
#define RL_CGROUP_H

#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>

#include "error.h"

/* The limits of one container, with podman's meanings. Unset is -1 for the int64_t fields
 * and 0 for the uint64_t ones, NULL for the strings. */
struct rl_cgroup_limits {
    int64_t memory;             /* bytes: memory.max */
    int64_t memory_swap;        /* memory plus swap, bytes; -2: unlimited (--memory-swap -1) */
    int64_t memory_reservation; /* bytes: memory.low */
    int64_t cpu_quota;          /* microseconds per period: cpu.max */
    uint64_t cpu_period;        /* microseconds; 0: the kernel's 100000 */
    uint64_t cpu_weight;        /* 1..10000: cpu.weight (see rl_cgroup_shares_to_weight) */
    char *cpuset_cpus;          /* "0-2,4" */
    char *cpuset_mems;
    int64_t pids;       /* 0: unlimited ("max") */
    uint64_t io_weight; /* 1..10000: io.weight (see rl_cgroup_blkio_to_io_weight) */
};

#define RL_CGROUP_SWAP_UNLIMITED (-2)
#define RL_CGROUP_CPU_PERIOD     100000u

void rl_cgroup_limits_init(struct rl_cgroup_limits *l);
void rl_cgroup_limits_release(struct rl_cgroup_limits *l);
/* Whether any limit is set. */
bool rl_cgroup_limits_any(const struct rl_cgroup_limits *l);

/* podman's --cpus: "1.5" gives a quota of 150000 in a period of 100000. From 0.01 to 1024. */
int rl_cgroup_parse_cpus(const char *s, int64_t *ret_quota, uint64_t *ret_period, rl_error_t *err);
/* cgroup v1 cpu.shares (--cpu-shares) to cgroup v2 cpu.weight, as crun does:
 * 1 + (shares - 2) * 9999 / 262142, with shares clamped to 2..262144. */
uint64_t rl_cgroup_shares_to_weight(uint64_t shares);
/* cgroup v1 blkio.weight (--blkio-weight, 10..1000) to io.weight (1..10000), as crun does:
 * 1 + (w - 10) * 9999 / 990, clamped. */
uint64_t rl_cgroup_blkio_to_io_weight(uint64_t weight);
/* A cpuset list such as "0-2,4": numbers and ascending ranges, separated by commas. */
int rl_cgroup_check_cpuset(const char *list, rl_error_t *err);
/* The errors podman gives for limits that cannot work together: a memory limit below 6 MB,
 * --memory-swap below --memory or without it, a reservation above the limit, values out of
 * the kernel's ranges. */
int rl_cgroup_limits_validate(const struct rl_cgroup_limits *l, rl_error_t *err);
/* The controllers the set limits need, in the order to enable them (memory cpu cpuset pids
 * io); an empty vector when none is set. Caller frees (rl_strv_free). */
char **rl_cgroup_limits_controllers(const struct rl_cgroup_limits *l);
/* The interface files to write and their values, two parallel NULL-terminated vectors;
 * returns how many. L must have passed rl_cgroup_limits_validate().
 * memory.swap.max is swap alone: --memory-swap minus --memory, "max" for unlimited and, as
 * in podman (which sets --memory-swap to twice --memory), as much as --memory when only
 * --memory is given. pids.max is "max" for 0, io.weight "default N", cpu.max "QUOTA PERIOD"
 * (or "max PERIOD" for a period alone). */
int rl_cgroup_limits_files(const struct rl_cgroup_limits *l, char ***ret_names, char ***ret_values);

/* Where this process may put container cgroups. */
struct rl_cgroup_base {
    char *mount;      /* the cgroup2 mount point (with the tree's prefix) */
    char *self;       /* this process's cgroup directory */
    char *dir;        /* where container cgroups go: self, or its parent (see below) */
    char **available; /* the words of DIR/cgroup.controllers */
};

/* Find the delegated subtree from the texts of /proc/self/mountinfo and /proc/self/cgroup,
 * with the tree under FS_PREFIX ("/" for the real one). A cgroup is delegated to UID when
 * UID owns its directory, cgroup.procs and cgroup.subtree_control (ownership, not access(2):
 * root may write anywhere, yet only what was chowned to it is its to manage).
 *
 * DIR follows cgroup v2's no-internal-process rule (a cgroup that holds processes cannot
 * give controllers to children): when our cgroup holds processes (its cgroup.procs is not
 * empty, as when rl runs in a systemd scope) and its parent is delegated too, DIR is the
 * parent and containers become siblings of our cgroup (user@UID.service/app.slice/x.scope
 * gives app.slice); otherwise DIR is our own cgroup.
 *
 * Errors (each with its fix): no cgroup2 mount or a v1-only host, a hybrid host whose v2
 * tree has none of cpu cpuset io memory pids (naming the controllers held by v1), our cgroup
 * outside the mount, and a cgroup not delegated (EACCES). */
int rl_cgroup_base_find(const char *mountinfo_text, const char *proc_cgroup_text,
                        const char *fs_prefix, uid_t uid, struct rl_cgroup_base *ret,
                        rl_error_t *err);
/* rl_cgroup_base_find() on this process, the real tree and getuid(). */
int rl_cgroup_base_find_self(struct rl_cgroup_base *ret, rl_error_t *err);
void rl_cgroup_base_release(struct rl_cgroup_base *b);
/* Every controller in NEEDED is in B->available; else ENOTSUP naming the missing ones, what
 * DIR has and the fix. */
int rl_cgroup_check(const struct rl_cgroup_base *b, char *const *needed, rl_error_t *err);

/* Make the cgroup B->dir/NAME for a container: enable CONTROLLERS in B->dir (those not yet
 * in its cgroup.subtree_control, one write each), mkdir NAME (EEXIST is an error), write
 * the limits of L and open it O_RDONLY|O_DIRECTORY for clone3's CLONE_INTO_CGROUP. On a
 * failure after the mkdir the cgroup is removed again. *RET_PATH and *RET_DIRFD may be NULL. */
int rl_cgroup_create(const struct rl_cgroup_base *b, const char *name, char *const *controllers,
                     const struct rl_cgroup_limits *l, char **ret_path, int *ret_dirfd,
                     rl_error_t *err);
/* Write the set limits of L to the cgroup at PATH again (rl update). */
int rl_cgroup_update(const char *path, const struct rl_cgroup_limits *l, rl_error_t *err);
/* rmdir PATH and the cgroups below it, retried for up to a second while processes are still
 * exiting (EBUSY). A cgroup already gone is fine. */
int rl_cgroup_remove(const char *path, rl_error_t *err);
/* When PID is alone in the cgroup SELF (as rl is in a `systemd-run --scope -p Delegate=yes`
 * of its own), move it into SELF/LEAF (made when missing), so that SELF can have controllers
 * enabled for children: containers' cgroups then go in SELF (the base rule above), not beside
 * it. Returns 1 when moved, 0 when PID is not alone (nothing done). */
int rl_cgroup_move_to_leaf(const char *self, const char *leaf, pid_t pid, rl_error_t *err);
/* Ask the systemd user manager (D-Bus, through libsystemd loaded when needed) for a transient
 * scope UNIT with Delegate=yes holding PID, as podman's systemd cgroup manager does; when PID is
 * ours, return once we are in it. Must be called before entering a user namespace (D-Bus
 * authenticates the caller's uid). Errors say what is missing (libsystemd, a user manager). */
int rl_cgroup_systemd_scope(const char *unit, pid_t pid, rl_error_t *err);
/* Move PID into the cgroup at PATH (rl exec). */
int rl_cgroup_enter(const char *path, pid_t pid, rl_error_t *err);
/* Whether the OOM killer killed a process of the cgroup at PATH: "oom_kill N" with N > 0 in
 * memory.events. A missing memory.events is false. Returns 0, or -1 with errno. */
int rl_cgroup_oom_killed(const char *path, bool *ret);

struct rl_cgroup_stats {
    uint64_t cpu_usage_usec;
    uint64_t memory_current;
    uint64_t memory_max; /* UINT64_MAX for "max" */
    uint64_t pids_current;
    uint64_t pids_max;                      /* UINT64_MAX for "max" */
    uint64_t io_read_bytes, io_write_bytes; /* summed over the devices of io.stat */
    uint64_t nr_throttled, throttled_usec;
};

/* The counters of the cgroup at PATH, from cpu.stat, memory.current, memory.max,
 * pids.current, pids.max and io.stat. A file that is missing (its controller is not
 * enabled) gives 0s. */
int rl_cgroup_stats(const char *path, struct rl_cgroup_stats *ret, rl_error_t *err);

/* The OCI runtime spec's linux.resources and linux.cgroupsPath (rl oci). */

/* linux.resources as rl applies them: the limits, then the files of linux.resources.unified,
 * written as given in the config's order. */
struct rl_cgroup_oci {
    struct rl_cgroup_limits limits;
    char **unified_names; /* "memory.high", ...; NULL-terminated, or NULL for none */
    char **unified_values;
};

void rl_cgroup_oci_release(struct rl_cgroup_oci *o);
/* RESOURCES (linux.resources, or NULL) into *RET. memory.limit, memory.reservation and
 * memory.swap (memory plus swap as in rl's --memory-swap, -1 unlimited; unset: as much swap
 * as memory, like podman), cpu.shares (to cpu.weight), cpu.quota, cpu.period, cpu.cpus,
 * cpu.mems, pids.limit (<= 0: unlimited) and blockIO.weight (to io.weight) become limits;
 * unified is a map of interface file to value ('/' and ".." refused in names). devices is
 * ignored (a user namespace can make no device node), as are null and empty entries, limits
 * of -1 or 0 (unlimited, unset) and false flags. Anything else is an error naming the field
 * ("linux.resources.memory.swappiness: ..."): nothing asked for is silently dropped. */
int rl_cgroup_limits_from_oci(json_t *resources, struct rl_cgroup_oci *ret, rl_error_t *err);
/* Whether O has anything to write (and so needs a cgroup). */
bool rl_cgroup_oci_any(const struct rl_cgroup_oci *o);
/* The controllers O needs: its limits' (rl_cgroup_limits_controllers), then those of its
 * unified files (the name up to the first '.'; "cgroup." files are the core's and need none).
 * Caller frees. */
char **rl_cgroup_oci_controllers(const struct rl_cgroup_oci *o);
/* The field of linux.resources that needs CONTROLLER ("memory.limit", "unified.misc.max"),
 * for errors; NULL when none does. Caller frees. */
char *rl_cgroup_oci_field(const struct rl_cgroup_oci *o, const char *controller);

/* A linux.cgroupsPath rl can use: "/a/b" (in the cgroup2 tree), "a/b" or "name" (below where
 * rl puts containers); not a systemd "slice:prefix:name" (rl has no systemd cgroup driver),
 * no "." or ".." component. NULL and "" are fine (the default). */
int rl_cgroup_oci_path_check(const char *cgroups_path, rl_error_t *err);
/* The cgroup of container ID for CGROUPS_PATH: an absolute path under B->mount, a relative
 * one under B->dir, and B->dir/rl-ID for NULL or "". Empty components are dropped. */
int rl_cgroup_oci_path(const struct rl_cgroup_base *b, const char *cgroups_path, const char *id,
                       char **ret, rl_error_t *err);
/* Where the cgroup PATH (below B->mount, not existing yet: EEXIST) would be made: its nearest
 * existing ancestor, which must be delegated to UID as in rl_cgroup_base_find() (EACCES
 * otherwise), returned as a base whose dir is that ancestor and available its controllers.
 * Nothing is written. */
int rl_cgroup_base_for(const struct rl_cgroup_base *b, const char *path, uid_t uid,
                       struct rl_cgroup_base *ret, rl_error_t *err);
/* rl_cgroup_create() of PATH below P->dir (from rl_cgroup_base_for()), making the cgroups in
 * between too, with CONTROLLERS enabled at each level. *RET_TOP is the first directory made
 * (PATH, or the highest one in between): rl_cgroup_remove_upto() removes up to it. On a
 * failure what was made is removed again. */
int rl_cgroup_create_path(const struct rl_cgroup_base *p, const char *path,
                          char *const *controllers, const struct rl_cgroup_limits *l,
                          char **ret_top, int *ret_dirfd, rl_error_t *err);
/* Write VALUE to the interface file NAME of the cgroup DIRFD, at PATH. */
int rl_cgroup_write(int dirfd, const char *path, const char *name, const char *value,
                    rl_error_t *err);
/* rl_cgroup_remove(PATH), then the parents of PATH up to TOP (from rl_cgroup_create_path(); NULL
 * or PATH: none) that are empty now; one that still holds another cgroup stays. */
int rl_cgroup_remove_upto(const char *path, const char *top, rl_error_t *err);

#endif
