/* Parsers for the options of `rl run` and `rl create`, podman-compatible: volumes, mounts,
 * tmpfs, ulimits, environment, sizes, durations, capabilities, labels and --security-opt.
 * They only parse: apart from --env-file/--label-file reading, getenv() and the existence check
 * of a bind source, nothing touches the host. Errors name the bad value. */
#ifndef RL_CMD_OPTS_H
#define RL_CMD_OPTS_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "error.h"
#include "spec.h"

enum rl_vol_kind { RL_VOL_BIND, RL_VOL_NAMED, RL_VOL_ANON, RL_VOL_TMPFS };

struct rl_vol {
    enum rl_vol_kind kind;
    char *source; /* absolute host path (BIND), volume name (NAMED), NULL otherwise */
    char *dest;   /* absolute and clean: no trailing '/', no "//", no "." ("..": refused) */
    bool readonly;
    bool chown; /* :U */
    bool copy;  /* copy the image's content into a new volume (podman's copy/nocopy) */
    /* Mount options for the OCI mount, NULL-terminated, may be NULL: propagation, bind/rbind,
     * [no]suid, [no]dev, [no]exec; for TMPFS all of them, "rw" or "ro" included, with podman's
     * defaults for the ones not given ("rw", "noexec", "nosuid", "nodev") and "size=", "mode=".
     * For the other kinds "ro" is not here: see readonly. */
    char **options;
};
/* Free what V holds (not V itself). */
void rl_vol_release(struct rl_vol *v);

/* -v/--volume "SRC:DEST[:OPTS]" or "DEST" (an anonymous volume). A SRC starting with '/' or '.'
 * is a host path, which must exist (a relative one is resolved against the working
 * directory); any other SRC is a volume name ([a-zA-Z0-9][a-zA-Z0-9_.-]*). OPTS: ro rw z Z U
 * [r]private [r]shared [r]slave [r]unbindable [no]suid [no]dev [no]exec bind rbind copy nocopy
 * (cached and delegated are dropped, z and Z ignored: there is no SELinux); O and idmap are
 * refused. At most one of each kind. "invalid volume 'ARG': why". */
int rl_parse_volume(const char *arg, struct rl_vol *ret, rl_error_t *err);
/* --mount type=bind|volume|tmpfs,... with podman's keys: src|source, dst|destination|target,
 * ro|readonly[=true|false], rw[=true|false], bind-propagation=, bind-nonrecursive,
 * tmpfs-size=, tmpfs-mode=, [no]tmpcopyup, volume-nocopy, U|chown[=true|false], [no]suid,
 * [no]dev, [no]exec, propagation names; z, Z, relabel= and consistency= are ignored. A bind
 * needs a source; a volume without one is anonymous. "invalid --mount 'ARG': why". */
int rl_parse_mount(const char *arg, struct rl_vol *ret, rl_error_t *err);
/* --tmpfs DEST[:OPTIONS], OPTIONS comma-separated mount options ("size=64m,mode=1777") handed
 * to the kernel as they are. */
int rl_parse_tmpfs(const char *arg, struct rl_vol *ret, rl_error_t *err);

/* --ulimit TYPE=SOFT[:HARD]: TYPE one of core cpu data fsize locks memlock msgqueue nice
 * nofile nproc rss rtprio rttime sigpending stack; a value is a number, or -1 or "unlimited"
 * for RLIM_INFINITY. HARD defaults to SOFT. "host" is refused. */
int rl_parse_ulimit(const char *arg, struct rl_rlimit *ret, rl_error_t *err);

/* An environment is a NULL-terminated vector of "KEY=VALUE" (NULL when empty), changed in
 * place. rl_env_set() replaces KEY or appends; it returns -1 when KV has no '=' or an empty
 * KEY. */
int rl_env_set(char ***env, const char *kv);
/* -e/--env: "K=V" sets; "K" copies the host's K when it is set; "K*" copies every host
 * variable whose name starts with K. */
int rl_env_add_arg(char ***env, const char *arg, rl_error_t *err);
/* --env-file: one -e argument a line; blank lines and '#' comments are skipped, leading white
 * space is dropped and values are kept verbatim (no quotes processing, as podman). A name that
 * is empty or holds white space is an error naming PATH:LINE. */
int rl_env_file(char ***env, const char *path, rl_error_t *err);
const char *rl_env_get(char *const *env, const char *key);

/* Sizes as podman: "1024", "64k", "64kb", "64KiB", "1.5g", "256 MB": binary multiples (k is
 * 1024), case-insensitive, up to "p". */
int rl_parse_size(const char *s, int64_t *ret, rl_error_t *err);
/* A Go duration ("300ms", "1h30m", "1.5h", "-2s", "0") in nanoseconds. */
int rl_parse_duration(const char *s, int64_t *ret_ns, rl_error_t *err);

/* --cap-add/--cap-drop: "NET_ADMIN", "net_admin", "CAP_NET_ADMIN" -> its number; "all" (any
 * case) -> -1. */
int rl_parse_cap(const char *s, int *ret, rl_error_t *err);

/* A resource limit flag of run, create and update (NAME without "--": memory, memory-swap,
 * memory-reservation, cpus, cpu-shares, cpu-weight, cpu-period, cpu-quota, cpuset-cpus,
 * cpuset-mems, pids-limit, blkio-weight) into RES with podman's HostConfig names: Memory,
 * MemorySwap (-1: no limit), MemoryReservation (bytes), NanoCpus, CpuShares, CpuWeight,
 * CpuPeriod, CpuQuota, CpusetCpus, CpusetMems, PidsLimit (0: no limit), BlkioWeight. */
int rl_parse_resource(json_t *res, const char *name, const char *arg, rl_error_t *err);
/* The limits of RES together: --memory-swap at least --memory and not without it, ... */
int rl_resources_check(json_t *res, rl_error_t *err);

/* --label/-l "K=V" or "K" (empty value) into LABELS, a JSON object. */
int rl_parse_label(json_t *labels, const char *arg, rl_error_t *err);
/* --label-file: one label a line, as for --env-file. */
int rl_label_file(json_t *labels, const char *path, rl_error_t *err);

/* --security-opt. The caller sets no_new_privs to -1 (unset) before the first call. */
struct rl_secopts {
    bool seccomp_unconfined;
    char *seccomp_file;
    int no_new_privs; /* -1 unset, 0, 1 */
    char **mask;      /* absolute paths, NULL-terminated, may be NULL */
    char **unmask;
    bool unmask_all;
};
/* "seccomp=unconfined", "seccomp=PROFILE.json", "no-new-privileges[=true|false]",
 * "mask=/a:/b", "unmask=ALL" or "unmask=/a:/b"; "label=..." and "apparmor=unconfined" are
 * accepted and ignored (no SELinux, no AppArmor). The last seccomp= wins. */
int rl_parse_security_opt(struct rl_secopts *s, const char *arg, rl_error_t *err);
void rl_secopts_release(struct rl_secopts *s);

#endif
