#include "config.h"

#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <sched.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#include "caps.h"
#include "cgroup.h"
#include "container.h"
#include "fs.h"
#include "hooks.h"
#include "idmap.h"
#include "log.h"
#include "mount.h"
#include "netif.h"
#include "seccomp.h"
#include "syscalls.h"
#include "terminal.h"
#include "user.h"

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* Messages on the parent <-> container sync socket (SOCK_SEQPACKET): one type byte, then a
 * payload. */
enum {
    MSG_MAPS_DONE = 'M',  /* parent: uid_map and gid_map are written */
    MSG_START = 'S',      /* parent: exec now */
    MSG_PID = 'P',        /* child: the real container pid (after a pid namespace join) */
    MSG_TERMINAL = 'T',   /* child: the pty master, as SCM_RIGHTS */
    MSG_TAP = 'N',        /* child: the tap device's queue, as SCM_RIGHTS */
    MSG_READY = 'R',      /* child: created, waiting for start */
    MSG_ERROR = 'E',      /* child: setup failed: int32 errno + message */
    MSG_EXEC_ERROR = 'X', /* child: execve failed: int32 errno + message */
    MSG_HOOKS = 'H',      /* child: mounts done, run prestart/createRuntime hooks */
    MSG_HOOKS_DONE = 'h'  /* parent: done; payload: the state JSON for the child's hooks */
};

static int
sync_send(int fd, char type, const void *data, size_t len)
{
    char buf[4200];
    if (len > sizeof(buf) - 1)
        len = sizeof(buf) - 1;
    buf[0] = type;
    if (len)
        memcpy(buf + 1, data, len);
    return TEMP_FAILURE_RETRY(send(fd, buf, len + 1, MSG_NOSIGNAL)) < 0 ? -errno : 0;
}

static void
sync_send_error(int fd, char type, rl_error_t *err)
{
    char buf[4100];
    int32_t status = (*err)->status;
    size_t len = strlen((*err)->msg);

    if (len > 4000)
        len = 4000;
    memcpy(buf, &status, sizeof(status));
    memcpy(buf + sizeof(status), (*err)->msg, len);
    (void)sync_send(fd, type, buf, sizeof(status) + len);
}

/* Wait for one byte of TYPE from the parent; anything else (or EOF) means give up. */
static int
sync_wait(int fd, char type, rl_error_t *err)
{
    char c;
    ssize_t n = TEMP_FAILURE_RETRY(recv(fd, &c, 1, 0));
    if (n != 1 || c != type)
        return rl_make_error(err, n < 0 ? errno : EPIPE, "wait for the parent");
    return 0;
}

int
rl_signal_parse(const char *s, rl_error_t *err)
{
    static const struct {
        const char *name;
        int sig;
    } sigs[] = {
        { "HUP", SIGHUP },       { "INT", SIGINT },   { "QUIT", SIGQUIT },     { "ILL", SIGILL },
        { "TRAP", SIGTRAP },     { "ABRT", SIGABRT }, { "IOT", SIGIOT },       { "BUS", SIGBUS },
        { "FPE", SIGFPE },       { "KILL", SIGKILL }, { "USR1", SIGUSR1 },     { "SEGV", SIGSEGV },
        { "USR2", SIGUSR2 },     { "PIPE", SIGPIPE }, { "ALRM", SIGALRM },     { "TERM", SIGTERM },
        { "STKFLT", SIGSTKFLT }, { "CHLD", SIGCHLD }, { "CONT", SIGCONT },     { "STOP", SIGSTOP },
        { "TSTP", SIGTSTP },     { "TTIN", SIGTTIN }, { "TTOU", SIGTTOU },     { "URG", SIGURG },
        { "XCPU", SIGXCPU },     { "XFSZ", SIGXFSZ }, { "VTALRM", SIGVTALRM }, { "PROF", SIGPROF },
        { "WINCH", SIGWINCH },   { "IO", SIGIO },     { "POLL", SIGPOLL },     { "PWR", SIGPWR },
        { "SYS", SIGSYS },
    };
    const char *name = s;
    long long n;

    if (rl_parse_ll(s, 1, SIGRTMAX, &n))
        return (int)n;
    if (strncasecmp(name, "SIG", 3) == 0)
        name += 3;
    for (size_t i = 0; i < RL_ARRAY_SIZE(sigs); i++)
        if (strcasecmp(name, sigs[i].name) == 0)
            return sigs[i].sig;
    if (strncasecmp(name, "RTMIN", 5) == 0 || strncasecmp(name, "RTMAX", 5) == 0) {
        bool min = strncasecmp(name, "RTMIN", 5) == 0;
        long long off = 0;
        if (name[5] == '\0'
            || (name[5] == (min ? '+' : '-') && rl_parse_ll(name + 6, 0, 32, &off))) {
            int sig = min ? SIGRTMIN + (int)off : SIGRTMAX - (int)off;
            if (sig >= SIGRTMIN && sig <= SIGRTMAX)
                return sig;
        }
    }
    return rl_make_error(err, EINVAL, "unknown signal '%s'", s);
}

int
rl_find_executable(const char *file, char *const *env, char **ret, rl_error_t *err)
{
    const char *path = DEFAULT_PATH;
    cleanup_free char *copy = NULL;
    char *save = NULL, *dir;
    int last_errno = ENOENT;

    if (file[0] == '\0')
        return rl_make_error(err, ENOENT, "exec '': empty command");
    if (strchr(file, '/')) {
        struct stat st;
        if (stat(file, &st) < 0)
            return rl_make_error(err, errno, "exec '%s'", file);
        if (S_ISDIR(st.st_mode))
            return rl_make_error(err, EACCES, "exec '%s': is a directory", file);
        *ret = xstrdup(file);
        return 0;
    }
    for (size_t i = 0; env && env[i]; i++)
        if (rl_str_has_prefix(env[i], "PATH="))
            path = env[i] + 5;
    copy = xstrdup(path);
    for (dir = strtok_r(copy, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
        cleanup_free char *cand = xasprintf("%s/%s", dir[0] ? dir : ".", file);
        struct stat st;
        if (stat(cand, &st) < 0 || !S_ISREG(st.st_mode))
            continue;
        if (access(cand, X_OK) < 0) {
            last_errno = errno;
            continue;
        }
        *ret = steal_pointer(&cand);
        return 0;
    }
    if (last_errno == ENOENT)
        return rl_make_error(err, ENOENT, "exec '%s': executable file not found in $PATH", file);
    return rl_make_error(err, last_errno, "exec '%s'", file);
}

static int
exec_failure_status(int e)
{
    return e == ENOENT ? 127 : 126;
}

/* User namespace ids: the config's maps, else the caller's default map. */
struct idmaps {
    struct rl_idmap_range *uids, *gids;
    size_t n_uids, n_gids;
};

static void
idmaps_release(struct idmaps *m)
{
    free(m->uids);
    free(m->gids);
}

static int
compute_idmaps(const struct rl_spec *spec, struct idmaps *m, rl_error_t *err)
{
    cleanup_free struct rl_subid_range *subu = NULL, *subg = NULL;
    size_t nu = 0, ng = 0;
    uid_t uid = geteuid();
    gid_t gid = getegid();

    if (spec->n_uid_mappings != spec->n_gid_mappings
        && (spec->n_uid_mappings == 0 || spec->n_gid_mappings == 0))
        return rl_make_error(err, 0, "config.json: linux.%s: missing while linux.%s is set",
                             spec->n_uid_mappings ? "gidMappings" : "uidMappings",
                             spec->n_uid_mappings ? "uidMappings" : "gidMappings");
    if (spec->n_uid_mappings == 0)
        return rl_idmap_caller(&m->uids, &m->n_uids, &m->gids, &m->n_gids, NULL, err);
    if (uid != 0) {
        struct passwd *pw = getpwuid(uid);
        const char *name = pw ? pw->pw_name : NULL;

        if (rl_subid_read("/etc/subuid", name, uid, &subu, &nu, err) < 0
            || rl_subid_read("/etc/subgid", name, uid, &subg, &ng, err) < 0
            || rl_idmap_check(spec->uid_mappings, spec->n_uid_mappings, uid, subu, nu,
                              "config.json: linux.uidMappings", err)
                   < 0
            || rl_idmap_check(spec->gid_mappings, spec->n_gid_mappings, gid, subg, ng,
                              "config.json: linux.gidMappings", err)
                   < 0)
            return -1;
    }
    m->uids = xzalloc(spec->n_uid_mappings * sizeof(*m->uids));
    memcpy(m->uids, spec->uid_mappings, spec->n_uid_mappings * sizeof(*m->uids));
    m->n_uids = spec->n_uid_mappings;
    m->gids = xzalloc(spec->n_gid_mappings * sizeof(*m->gids));
    memcpy(m->gids, spec->gid_mappings, spec->n_gid_mappings * sizeof(*m->gids));
    m->n_gids = spec->n_gid_mappings;
    return 0;
}

/* The cgroup of an rl oci container (linux.resources, linux.cgroupsPath). */
struct oci_cgroup {
    char *path;  /* NULL: the container has none */
    char *top;   /* the first directory made for it (path, or a parent rl made) */
    char *procs; /* path/cgroup.procs */
    int fd;      /* the directory, for CLONE_INTO_CGROUP; -1 */
};

static void
oci_cgroup_release(struct oci_cgroup *cg)
{
    if (cg->fd >= 0)
        close(cg->fd);
    free(cg->path);
    free(cg->top);
    free(cg->procs);
    memset(cg, 0, sizeof(*cg));
    cg->fd = -1;
}

/* Remove the cgroup at PATH (and the parents up to TOP that rl made for it), warning when it
 * cannot: its processes are gone by now. */
static void
remove_cgroup(const char *path, const char *top)
{
    cleanup_error rl_error_t tmp = NULL;

    if (path && rl_cgroup_remove_upto(path, top, &tmp) < 0)
        rl_error_warn_and_release(&tmp);
}

/* Let go of the cgroup of prepare_cgroup(), which stays: O no longer points at it. */
static void
forget_cgroup(struct oci_cgroup *cg, struct rl_container_opts *o)
{
    if (cg->path && o->cgroup_fd == cg->fd) {
        o->cgroup_fd = 0;
        o->cgroup_procs = NULL;
    }
    oci_cgroup_release(cg);
}

/* Undo prepare_cgroup(): the cgroup goes too. */
static void
drop_cgroup(struct oci_cgroup *cg, struct rl_container_opts *o)
{
    remove_cgroup(cg->path, cg->top);
    forget_cgroup(cg, o);
}

/* Whether the controllers NEEDED are in P->available; an error names the field of RES that
 * needs the first one missing. */
static int
check_controllers(const struct rl_cgroup_base *p, char *const *needed,
                  const struct rl_cgroup_oci *res, rl_error_t *err)
{
    for (char *const *c = needed; c && *c; c++) {
        char *one[] = { *c, NULL };
        if (rl_cgroup_check(p, one, err) < 0) {
            cleanup_free char *field = rl_cgroup_oci_field(res, *c);
            return rl_error_wrap(err, "config.json: linux.resources.%s", field ? field : *c);
        }
    }
    return 0;
}

/* The container's cgroup, when linux.resources asks for limits: made where
 * linux.cgroupsPath says (by default rl-ID) in the cgroup v2 subtree delegated to the caller,
 * with the limits written, then linux.resources.unified; O is set to start the container in
 * it. No limits, no cgroup, even with a cgroupsPath: rl needs none, and the host's tree may
 * not be the caller's to change. A limit that cannot be applied is an error that names its
 * field and says why, never ignored. */
static int
prepare_cgroup(const struct rl_spec *spec, struct rl_container_opts *o, struct oci_cgroup *cg,
               rl_error_t *err)
{
    struct rl_cgroup_oci res = { 0 };
    struct rl_cgroup_base base = { 0 }, parent = { 0 };
    cleanup_strv char **needed = NULL;
    cleanup_free char *field = NULL, *path = NULL, *top = NULL;
    int fd = -1, ret = -1;

    if (rl_cgroup_oci_path_check(spec->cgroups_path, err) < 0)
        return rl_error_wrap(err, "config.json: linux.cgroupsPath");
    if (rl_cgroup_limits_from_oci(spec->resources, &res, err) < 0)
        return rl_error_wrap(err, "config.json");
    if (!rl_cgroup_oci_any(&res)) {
        if (spec->cgroups_path && spec->cgroups_path[0])
            rl_debug("linux.cgroupsPath '%s': no limits, no cgroup", spec->cgroups_path);
        rl_cgroup_oci_release(&res);
        return 0;
    }
    needed = rl_cgroup_oci_controllers(&res);
    field = needed[0] ? rl_cgroup_oci_field(&res, needed[0])
                      : xasprintf("unified.%s", res.unified_names[0]);
    if (rl_cgroup_base_find_self(&base, err) < 0) {
        rl_error_wrap(err, "config.json: linux.resources.%s", field ? field : "");
        goto out;
    }
    if (rl_cgroup_oci_path(&base, spec->cgroups_path, o->id, &path, err) < 0
        || rl_cgroup_base_for(&base, path, getuid(), &parent, err) < 0) {
        if (spec->cgroups_path && spec->cgroups_path[0])
            rl_error_wrap(err, "config.json: linux.cgroupsPath '%s'", spec->cgroups_path);
        else
            rl_error_wrap(err, "the cgroup of '%s'", o->id);
        goto out;
    }
    if (check_controllers(&parent, needed, &res, err) < 0)
        goto out;
    if (rl_cgroup_create_path(&parent, path, needed, &res.limits, &top, &fd, err) < 0) {
        rl_error_wrap(err, "config.json: linux.resources");
        goto out;
    }
    for (size_t i = 0; res.unified_names && res.unified_names[i]; i++) {
        if (rl_cgroup_write(fd, path, res.unified_names[i], res.unified_values[i], err) < 0) {
            rl_error_wrap(err, "config.json: linux.resources.unified.%s", res.unified_names[i]);
            close(fd);
            remove_cgroup(path, top);
            goto out;
        }
    }
    cg->procs = xasprintf("%s/cgroup.procs", path);
    cg->path = steal_pointer(&path);
    cg->top = steal_pointer(&top);
    cg->fd = fd;
    o->cgroup_fd = cg->fd;
    o->cgroup_procs = cg->procs;
    ret = 0;
out:
    rl_cgroup_base_release(&parent);
    rl_cgroup_base_release(&base);
    rl_cgroup_oci_release(&res);
    return ret;
}

/* Limits in the config need the cgroup that prepare_cgroup() makes (rl oci) or that the
 * caller brings (O->cgroup_fd): without either, refuse them rather than run without. */
static int
check_resources(const struct rl_spec *spec, const struct rl_container_opts *o, rl_error_t *err)
{
    struct rl_cgroup_oci res;
    bool any;

    if (spec->resources == NULL || o->cgroup_fd > 0)
        return 0;
    if (rl_cgroup_limits_from_oci(spec->resources, &res, err) < 0)
        return rl_error_wrap(err, "config.json");
    any = rl_cgroup_oci_any(&res);
    rl_cgroup_oci_release(&res);
    if (any)
        return rl_make_error(err, 0, "config.json: linux.resources: limits need a cgroup");
    return 0;
}

/* Namespaces as the container gets them: the config's, plus a user namespace for a caller
 * that is not root (an unprivileged user can create the others only inside one). */
struct nsplan {
    unsigned long clone_flags; /* created by clone3 */
    int join_fds[8];           /* opened paths, joined in the child */
    int join_types[8];
    size_t n_join;
    int userns_fd; /* join this user namespace first */
    int pidns_fd;  /* join this pid namespace: needs one more fork */
    bool new_userns;
};

static void
nsplan_release(struct nsplan *p)
{
    for (size_t i = 0; i < p->n_join; i++)
        close(p->join_fds[i]);
    if (p->userns_fd >= 0)
        close(p->userns_fd);
    if (p->pidns_fd >= 0)
        close(p->pidns_fd);
}

static bool
same_namespace(int fd, const char *name)
{
    char path[64];
    struct stat a, b;

    snprintf(path, sizeof(path), "/proc/self/ns/%s", name);
    return fstat(fd, &a) == 0 && stat(path, &b) == 0 && a.st_ino == b.st_ino
           && a.st_dev == b.st_dev;
}

static int
plan_namespaces(const struct rl_spec *spec, struct nsplan *p, rl_error_t *err)
{
    bool have_user = rl_spec_namespace(spec, CLONE_NEWUSER) != NULL;

    memset(p, 0, sizeof(*p));
    p->userns_fd = p->pidns_fd = -1;
    if (rl_spec_namespace(spec, CLONE_NEWNS) == NULL)
        return rl_make_error(err, 0,
                             "config.json: linux.namespaces: a mount namespace is required");
    if (!have_user && geteuid() != 0) {
        p->clone_flags |= CLONE_NEWUSER;
        p->new_userns = true;
    }
    for (size_t i = 0; i < spec->n_namespaces; i++) {
        const struct rl_namespace *ns = &spec->namespaces[i];
        int fd;

        if (ns->path == NULL) {
            if (ns->type == CLONE_NEWTIME)
                return rl_make_error(err, ENOTSUP,
                                     "config.json: linux.namespaces: a new time namespace is not "
                                     "supported");
            p->clone_flags |= (unsigned long)ns->type;
            if (ns->type == CLONE_NEWUSER)
                p->new_userns = true;
            continue;
        }
        fd = open(ns->path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            return rl_make_error(err, errno, "open %s namespace '%s'", rl_namespace_name(ns->type),
                                 ns->path);
        if (ns->type == CLONE_NEWUSER && same_namespace(fd, "user"))
            close(fd); /* setns() into our own user namespace is EINVAL: nothing to join */
        else if (ns->type == CLONE_NEWUSER)
            p->userns_fd = fd;
        else if (ns->type == CLONE_NEWPID)
            p->pidns_fd = fd;
        else {
            p->join_fds[p->n_join] = fd;
            p->join_types[p->n_join++] = ns->type;
        }
    }
    if ((spec->hostname || spec->domainname) && !(p->clone_flags & CLONE_NEWUTS))
        return rl_make_error(
            err, EINVAL, "config.json: hostname: needs a new uts namespace in linux.namespaces");
    return 0;
}

static int
set_rlimits(const struct rl_process *p, rl_error_t *err)
{
    for (size_t i = 0; i < p->n_rlimits; i++) {
        struct rlimit r = { .rlim_cur = p->rlimits[i].soft, .rlim_max = p->rlimits[i].hard };
        if (setrlimit(p->rlimits[i].resource, &r) < 0)
            return rl_make_error(err, errno, "setrlimit %d to %llu/%llu", p->rlimits[i].resource,
                                 (unsigned long long)r.rlim_cur, (unsigned long long)r.rlim_max);
    }
    return 0;
}

static int
set_oom_score_adj(const struct rl_process *p, rl_error_t *err)
{
    char buf[16];
    cleanup_free char *cur = NULL;
    int len;

    if (!p->has_oom_score_adj)
        return 0;
    len = snprintf(buf, sizeof(buf), "%d", p->oom_score_adj);
    if (rl_read_file("/proc/self/oom_score_adj", 64, &cur, NULL, NULL) == 0
        && atoi(cur) == p->oom_score_adj)
        return 0;
    if (rl_write_file("/proc/self/oom_score_adj", buf, (size_t)len, err) < 0)
        return rl_error_wrap(err, "set oomScoreAdj to %d", p->oom_score_adj);
    return 0;
}

/* The last steps before exec, shared by create and exec: ids, capabilities, no_new_privs and
 * seccomp. Order matters: the bounding set needs CAP_SETPCAP, so it goes first; without
 * no_new_privs, loading a filter needs CAP_SYS_ADMIN, so it goes before capabilities drop. */
static int
finish_process(const struct rl_process *p, struct rl_seccomp *filter, rl_error_t *err)
{
    if (set_rlimits(p, err) < 0 || set_oom_score_adj(p, err) < 0)
        return -1;
    if (p->has_umask)
        umask(p->umask);
    if (filter && !p->no_new_privileges && rl_seccomp_load(filter, err) < 0)
        return rl_error_wrap(err, "seccomp");
    if (rl_caps_drop_bounding(&p->caps, err) < 0)
        return -1;
    if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
        return rl_make_error(err, errno, "prctl PR_SET_KEEPCAPS");
    if (p->n_additional_gids) {
        if (setgroups(p->n_additional_gids, p->additional_gids) < 0)
            return rl_make_error(err, errno,
                                 "process.user.additionalGids: setgroups (are they mapped?)");
    } else if (setgroups(0, NULL) < 0 && errno != EPERM) {
        return rl_make_error(err, errno, "setgroups");
    }
    if (setresgid(p->gid, p->gid, p->gid) < 0)
        return rl_make_error(err, errno,
                             "process.user.gid: cannot switch to gid %u (is it mapped in the user "
                             "namespace?)",
                             (unsigned)p->gid);
    if (setresuid(p->uid, p->uid, p->uid) < 0)
        return rl_make_error(err, errno,
                             "process.user.uid: cannot switch to uid %u (is it mapped in the user "
                             "namespace?)",
                             (unsigned)p->uid);
    if (rl_caps_apply(&p->caps, err) < 0)
        return -1;
    if (p->no_new_privileges && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        return rl_make_error(err, errno, "prctl PR_SET_NO_NEW_PRIVS");
    if (filter && p->no_new_privileges && rl_seccomp_load(filter, err) < 0)
        return rl_error_wrap(err, "seccomp");
    return 0;
}

/* Keep stdio and the preserved fds across exec; close-on-exec everything else. */
static void
prepare_fds(int preserve_fds)
{
    int first = 3 + (preserve_fds > 0 ? preserve_fds : 0);
    for (int fd = 3; fd < first; fd++) {
        int fl = fcntl(fd, F_GETFD);
        if (fl >= 0)
            (void)fcntl(fd, F_SETFD, fl & ~FD_CLOEXEC);
    }
    (void)close_range((unsigned)first, ~0U, CLOSE_RANGE_CLOEXEC);
}

static int
write_sysctls(json_t *sysctl, rl_error_t *err)
{
    const char *key;
    json_t *val;

    json_object_foreach (sysctl, key, val) {
        cleanup_free char *path = xasprintf("/proc/sys/%s", key);
        const char *v = json_string_value(val);
        for (char *c = path + 10; *c; c++)
            if (*c == '.')
                *c = '/';
        if (rl_write_file(path, v, strlen(v), err) < 0)
            return rl_error_wrap(err, "linux.sysctl '%s'", key);
    }
    return 0;
}

struct child_args {
    struct rl_spec *spec;
    struct nsplan *plan;
    struct rl_seccomp *filter;
    int sock;
    int fifo_fd; /* create: wait here for `start`; -1 for run */
    int preserve_fds;
    const sigset_t *oldmask;
    char *hook_state; /* the state JSON, for createContainer and startContainer hooks */
    bool detach;      /* outlive rl: no parent-death signal */
    const struct rl_container_opts *o;
};

static bool
needs_hook_sync(const struct rl_spec *spec)
{
    return rl_hooks_has(spec->hooks, "prestart") || rl_hooks_has(spec->hooks, "createRuntime")
           || rl_hooks_has(spec->hooks, "createContainer")
           || rl_hooks_has(spec->hooks, "startContainer");
}

/* Stop after the mounts so that the parent runs prestart and createRuntime hooks; it answers
 * with the state JSON that our own hooks get on stdin. */
static int
hooks_handshake(struct child_args *a, rl_error_t *err)
{
    char buf[8192];
    ssize_t n;

    if (sync_send(a->sock, MSG_HOOKS, NULL, 0) < 0)
        return rl_make_error(err, errno, "sync with the parent");
    n = TEMP_FAILURE_RETRY(recv(a->sock, buf, sizeof(buf) - 1, 0));
    if (n < 1 || buf[0] != MSG_HOOKS_DONE)
        return rl_make_error(err, EPIPE, "wait for the parent's hooks");
    buf[n] = '\0';
    a->hook_state = xstrdup(buf + 1);
    return 0;
}

/* --user NAME[:GROUP]: ids, supplementary groups and HOME from the container's own files. */
static int
resolve_user(const char *spec, char *const *group_add, struct rl_process *p, rl_error_t *err)
{
    struct rl_user u;
    size_t n_env = rl_strv_len(p->env);
    bool has_home = false;

    if (rl_user_lookup(spec, &u, err) < 0)
        return -1;
    if (group_add && group_add[0]) {
        cleanup_free char *group = NULL;
        cleanup_error rl_error_t tmp = NULL;
        (void)rl_read_file("/etc/group", 4 << 20, &group, NULL, &tmp);
        for (size_t i = 0; group_add[i]; i++) {
            gid_t g;
            if (rl_group_resolve(group_add[i], group, &g, err) < 0) {
                rl_user_release(&u);
                return -1;
            }
            u.groups = xrealloc(u.groups, (u.n_groups + 1) * sizeof(*u.groups));
            u.groups[u.n_groups++] = g;
        }
    }
    p->uid = u.uid;
    p->gid = u.gid;
    if (u.n_groups) {
        gid_t *g = xmalloc((p->n_additional_gids + u.n_groups) * sizeof(*g));
        if (p->n_additional_gids)
            memcpy(g, p->additional_gids, p->n_additional_gids * sizeof(*g));
        memcpy(g + p->n_additional_gids, u.groups, u.n_groups * sizeof(*g));
        p->additional_gids = g;
        p->n_additional_gids += u.n_groups;
    }
    for (size_t i = 0; i < n_env; i++)
        if (rl_str_has_prefix(p->env[i], "HOME="))
            has_home = true;
    if (!has_home) {
        char **env = xmalloc((n_env + 2) * sizeof(*env));
        if (n_env)
            memcpy(env, p->env, n_env * sizeof(*env));
        env[n_env] = xasprintf("HOME=%s", u.home ? u.home : "/");
        env[n_env + 1] = NULL;
        p->env = env;
    }
    rl_user_release(&u);
    return 0;
}

static int
set_stdio(const int *fds, rl_error_t *err)
{
    for (int i = 0; i < 3; i++)
        if (fds[i] >= 0 && fds[i] != i && dup2(fds[i], i) < 0)
            return rl_make_error(err, errno, "set up the process's fd %d", i);
    return 0;
}

/* The rootfs' /etc/passwd with O->passwd_entry added when its uid has no line, into
 * O->passwd_file (which the config binds on /etc/passwd). */
static int
write_passwd(const char *root_path, const struct rl_container_opts *o, rl_error_t *err)
{
    cleanup_close int rootfd = open(root_path, O_PATH | O_DIRECTORY | O_CLOEXEC);
    cleanup_close int fd = -1;
    cleanup_free char *text = NULL;
    cleanup_free char *out = NULL;
    cleanup_free char *uid_field = NULL;
    const char *colon = strchr(o->passwd_entry, ':');
    size_t len = 0;
    bool present = false;

    if (rootfd < 0)
        return rl_make_error(err, errno, "open the rootfs '%s'", root_path);
    fd = rl_safe_openat(rootfd, "/etc/passwd", O_RDONLY, 0, NULL);
    if (fd >= 0 && rl_read_all_fd(fd, 4 << 20, &text, &len, err) < 0)
        return rl_error_wrap(err, "read the image's /etc/passwd");
    /* "name:pw:UID:" -> ":UID:" as the third field of a line. */
    colon = colon ? strchr(colon + 1, ':') : NULL;
    if (colon) {
        const char *end = strchr(colon + 1, ':');
        uid_field = end ? xstrndup(colon, (size_t)(end - colon + 1)) : NULL;
    }
    for (char *line = text, *next; uid_field && line && *line; line = next) {
        char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
        next = strchr(line, '\n');
        if (next)
            next++;
        if (c2 && strncmp(c2, uid_field, strlen(uid_field)) == 0)
            present = true;
    }
    out = xasprintf("%s%s%s\n", text ? text : "", len && text[len - 1] != '\n' ? "\n" : "",
                    present ? "" : o->passwd_entry);
    if (present)
        out[strlen(out) - 1] = '\0';
    return rl_write_file_atomic(o->passwd_file, out, strlen(out), 0644, false, err);
}

/* A volume that is still empty gets what the image has at its mount point. */
static int
copy_up(const char *root_path, char *const *pairs, rl_error_t *err)
{
    cleanup_close int rootfd = open(root_path, O_PATH | O_DIRECTORY | O_CLOEXEC);

    if (rootfd < 0)
        return rl_make_error(err, errno, "open the rootfs '%s'", root_path);
    for (size_t i = 0; pairs[i] && pairs[i + 1]; i += 2) {
        cleanup_close int src = rl_safe_openat(rootfd, pairs[i], O_RDONLY | O_DIRECTORY, 0, NULL);
        cleanup_close int dst = -1;
        cleanup_dir DIR *d = NULL;
        struct dirent *de;
        bool empty = true;

        if (src < 0)
            continue; /* nothing in the image there */
        dst = open(pairs[i + 1], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dst < 0)
            return rl_make_error(err, errno, "volume '%s'", pairs[i + 1]);
        d = fdopendir(dup(dst));
        while (d && (de = readdir(d)) != NULL)
            if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
                empty = false;
        if (empty && rl_copy_tree(src, dst, err) < 0)
            return rl_error_wrap(err, "copy the image's '%s' into its volume", pairs[i]);
    }
    return 0;
}

/* Whether the container gets a network namespace of its own (not joined by path). */
static bool
new_netns(const struct rl_spec *spec)
{
    for (size_t i = 0; i < spec->n_namespaces; i++)
        if (spec->namespaces[i].type == CLONE_NEWNET && !spec->namespaces[i].path)
            return true;
    return false;
}

static int
child_setup(struct child_args *a, char **ret_exe, bool *exec_failed, rl_error_t *err)
{
    struct rl_spec *spec = a->spec;
    struct rl_process *p = &spec->process;
    cleanup_close int rootfd = -1;

    /* The process starts with every signal's default action, whatever the monitor ignores
     * (SIGPIPE, for the network). */
    for (int sig = 1; sig < NSIG; sig++)
        if (sig != SIGKILL && sig != SIGSTOP)
            (void)signal(sig, SIG_DFL);
    if (a->plan->new_userns && sync_wait(a->sock, MSG_MAPS_DONE, err) < 0)
        return -1;
    /* Root of the new user namespace, when 0 is mapped. */
    (void)setresgid(0, 0, 0);
    (void)setresuid(0, 0, 0);
    for (size_t i = 0; i < a->plan->n_join; i++)
        if (setns(a->plan->join_fds[i], a->plan->join_types[i]) < 0)
            return rl_make_error(err, errno, "join the %s namespace",
                                 rl_namespace_name(a->plan->join_types[i]));
    if (setsid() < 0)
        return rl_make_error(err, errno, "setsid");
    if (new_netns(spec) && rl_netif_loopback_up(err) < 0)
        return rl_error_wrap(err, "network");
    /* Before the container's /proc/sys is read-only: through the host's /proc, whose sys
     * entries are those of our namespaces. */
    if (spec->sysctl && write_sysctls(spec->sysctl, err) < 0)
        return -1;
    if (a->o->tap) {
        cleanup_close int tap = -1;
        if (rl_netif_tap(a->o->tap, &tap, err) < 0)
            return rl_error_wrap(err, "network");
        if (rl_send_fd(a->sock, tap, "N", 1, err) < 0)
            return -1;
    }
    if (spec->hostname && sethostname(spec->hostname, strlen(spec->hostname)) < 0)
        return rl_make_error(err, errno, "sethostname '%s'", spec->hostname);
    if (spec->domainname && setdomainname(spec->domainname, strlen(spec->domainname)) < 0)
        return rl_make_error(err, errno, "setdomainname '%s'", spec->domainname);
    if (a->o->overlay) {
        /* Nothing mounted here may propagate back to the host. */
        if (mount(NULL, "/", NULL, MS_SLAVE | MS_REC, NULL) < 0)
            return rl_make_error(err, errno, "make / a slave mount");
        if (a->o->fuse ? rl_mount_rootfs_fuse(spec->root_path, a->o->overlay, a->o->fuse_uidmap,
                                              a->o->fuse_gidmap, err)
                             < 0
                       : rl_mount_rootfs_overlay(spec->root_path, a->o->overlay, err) < 0)
            return rl_error_wrap(err, "rootfs");
        if (a->o->copy_up && copy_up(spec->root_path, a->o->copy_up, err) < 0)
            return -1;
        if (a->o->passwd_entry && write_passwd(spec->root_path, a->o, err) < 0)
            return -1;
    }
    rootfd = rl_mount_prepare(spec, err);
    if (rootfd < 0)
        return rl_error_wrap(err, "rootfs");
    if (needs_hook_sync(spec)) {
        if (hooks_handshake(a, err) < 0)
            return -1;
        if (rl_hooks_run(spec->hooks, "createContainer", a->hook_state, err) < 0)
            return -1;
    }
    if (rl_mount_finish(spec, rootfd, err) < 0)
        return rl_error_wrap(err, "rootfs");
    if (a->o->user && resolve_user(a->o->user, a->o->group_add, p, err) < 0)
        return -1;
    if (a->o->stdio && set_stdio(a->o->stdio, err) < 0)
        return -1;
    if (p->terminal) {
        cleanup_close int master = rl_terminal_create(p->console_height, p->console_width, err);
        if (master < 0)
            return rl_error_wrap(err, "terminal");
        if (rl_send_fd(a->sock, master, "T", 1, err) < 0)
            return -1;
    }
    if (chdir(p->cwd) < 0 && a->o->create_cwd && errno == ENOENT)
        (void)rl_mkdir_p(p->cwd, 0755, NULL);
    if (chdir(p->cwd) < 0) {
        if (a->o->overlay && errno == ENOENT)
            return rl_make_error(err, 0, "workdir \"%s\" does not exist on container %s", p->cwd,
                                 a->o->id);
        return rl_make_error(err, errno, "process.cwd: chdir '%s'", p->cwd);
    }
    if (rl_find_executable(p->args[0], p->env, ret_exe, err) < 0) {
        *exec_failed = true; /* 126 or 127, not 125 */
        return -1;
    }
    if (finish_process(p, a->filter, err) < 0)
        return -1;
    return 0;
}

/* --init: pid 1 stays ours. It forwards the signals it gets to the process, reaps every
 * orphan of the namespace, and exits with the process's status when it exits (which ends
 * the namespace). Returns in the child that goes on to exec the process. */
static void
become_init(struct child_args *a)
{
    sigset_t all;
    int status = 0;
    int sigfd;
    pid_t child;

    sigfillset(&all);
    sigprocmask(SIG_BLOCK, &all, NULL);
    child = fork();
    if (child < 0) {
        dprintf(STDERR_FILENO, "rl: init: fork: %s\n", strerror(errno));
        _exit(125);
    }
    if (child == 0)
        return;
    if (a->sock >= 0) {
        close(a->sock);
        a->sock = -1;
    }
    /* The process holds the terminal and stdio; init needs none of them. */
    for (int fd = 0; fd < 3; fd++) {
        int null = open("/dev/null", O_RDWR | O_CLOEXEC);
        if (null >= 0 && null != fd) {
            dup2(null, fd);
            close(null);
        }
    }
    (void)close_range(3, ~0U, 0);
    (void)prctl(PR_SET_NAME, "rl-init", 0, 0, 0);
    sigfd = signalfd(-1, &all, SFD_CLOEXEC);
    if (sigfd < 0)
        _exit(125);
    for (;;) {
        struct signalfd_siginfo si;
        pid_t pid;

        while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
            if (pid == child)
                _exit(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
        if (TEMP_FAILURE_RETRY(read(sigfd, &si, sizeof(si))) != sizeof(si))
            continue;
        if ((int)si.ssi_signo != SIGCHLD)
            (void)kill(child, (int)si.ssi_signo);
    }
}

static void RL_NORETURN
child_main(struct child_args *a)
{
    cleanup_error rl_error_t err = NULL;
    cleanup_free char *exe = NULL;
    char c;

    bool exec_failed = false;

    if (child_setup(a, &exe, &exec_failed, &err) < 0) {
        sync_send_error(a->sock, exec_failed ? MSG_EXEC_ERROR : MSG_ERROR, &err);
        _exit(1);
    }
    if (a->fifo_fd >= 0) {
        /* `create` returns once we are ready; from then on we wait for `start` alone. */
        (void)prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0);
        (void)sync_send(a->sock, MSG_READY, NULL, 0);
        close(a->sock);
        a->sock = -1;
        if (TEMP_FAILURE_RETRY(read(a->fifo_fd, &c, 1)) != 1)
            _exit(1);
        close(a->fifo_fd);
    } else {
        (void)sync_send(a->sock, MSG_READY, NULL, 0);
        if (sync_wait(a->sock, MSG_START, &err) < 0)
            _exit(1);
        /* A foreground container dies with its monitor; a detached one must outlive it. */
        if (a->detach)
            (void)prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0);
    }
    if (rl_hooks_has(a->spec->hooks, "startContainer")
        && rl_hooks_run(a->spec->hooks, "startContainer", a->hook_state ? a->hook_state : "{}",
                        &err)
               < 0) {
        if (a->sock >= 0)
            sync_send_error(a->sock, MSG_ERROR, &err);
        else
            dprintf(STDERR_FILENO, "rl: %s\n", err->msg);
        _exit(1);
    }
    /* A change of uid (a container user other than root) cleared the parent-death signal:
     * a container of rl's must still die with its monitor. */
    if (!a->detach && a->fifo_fd < 0)
        (void)prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
    if (a->o->init)
        become_init(a);
    prepare_fds(a->preserve_fds);
    sigprocmask(SIG_SETMASK, a->oldmask, NULL);
    execve(exe, a->spec->process.args,
           a->spec->process.env ? a->spec->process.env : (char *[]){ NULL });
    {
        int e = errno;
        rl_make_error(&err, e, "exec '%s'", a->spec->process.args[0]);
        if (a->sock >= 0)
            sync_send_error(a->sock, MSG_EXEC_ERROR, &err);
        else
            dprintf(STDERR_FILENO, "rl: exec '%s': %s\n", a->spec->process.args[0], strerror(e));
        _exit(exec_failure_status(e));
    }
}

/* What the parent holds of a container it has just created. */
struct created {
    pid_t pid;
    int pidfd;
    int sock;
    int master;
    int tap;
    pid_t intermediate; /* the child that forked into a joined pid namespace, to reap */
    bool expect_pid;    /* the container is a grandchild: its pid comes in MSG_PID */
};

static void
created_release(struct created *c)
{
    if (c->pidfd >= 0)
        close(c->pidfd);
    if (c->sock >= 0)
        close(c->sock);
    if (c->master >= 0)
        close(c->master);
    if (c->tap >= 0)
        close(c->tap);
}

/* Read the child's messages until it is ready or fails. */
/* The state JSON given to hooks on stdin. */
static char *
hook_state_json(const struct rl_spec *spec, const struct rl_container_opts *o, pid_t pid,
                const char *status)
{
    json_t *j = json_pack("{s:s, s:s, s:s, s:I, s:s}", "ociVersion", "1.1.0", "id", o->id, "status",
                          status, "pid", (json_int_t)pid, "bundle", o->bundle ? o->bundle : "");
    char *text;

    json_object_set_new(j, "annotations",
                        spec->annotations ? json_incref(spec->annotations) : json_object());
    text = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    return text;
}

static int
run_parent_hooks(struct created *c, const struct rl_spec *spec, const struct rl_container_opts *o,
                 rl_error_t *err)
{
    cleanup_free char *state = NULL;
    cleanup_free char *msg = NULL;

    if (spec == NULL)
        return rl_make_error(err, EPROTO, "unexpected message from the container process");
    state = hook_state_json(spec, o, c->pid, "creating");
    if (rl_hooks_run(spec->hooks, "prestart", state, err) < 0
        || rl_hooks_run(spec->hooks, "createRuntime", state, err) < 0)
        return -1;
    msg = xasprintf("%c%s", MSG_HOOKS_DONE, state);
    if (TEMP_FAILURE_RETRY(send(c->sock, msg, strlen(msg), MSG_NOSIGNAL)) < 0)
        return rl_make_error(err, errno, "sync with the container process");
    return 0;
}

/* Read the child's messages until it is ready or fails. When the container is a grandchild
 * (C->expect_pid), its pid comes from the intermediate child, whose message may arrive after
 * the grandchild's own: wait for both. */
static int
wait_ready(struct created *c, const struct rl_spec *spec, struct rl_container_opts *o,
           rl_error_t *err)
{
    bool done = false;
    int ret = 0;

    for (;;) {
        char buf[4200];
        int fd = -1;
        int n = rl_recv_fd(c->sock, &fd, buf, sizeof(buf) - 1, done ? NULL : err);

        if (n < 0) {
            if (done)
                return ret;
            rl_error_release(err);
            return rl_make_error(err, 0, "the container process exited during setup");
        }
        buf[n] = '\0';
        switch (buf[0]) {
        case MSG_TERMINAL:
            if (c->master >= 0)
                close(c->master);
            c->master = steal_fd(&fd);
            break;
        case MSG_TAP:
            if (c->tap >= 0)
                close(c->tap);
            c->tap = steal_fd(&fd);
            break;
        case MSG_PID: {
            int32_t pid;
            memcpy(&pid, buf + 1, sizeof(pid));
            c->pid = pid;
            break;
        }
        case MSG_READY:
            done = true;
            break;
        case MSG_HOOKS:
            if (run_parent_hooks(c, spec, o, err) < 0)
                return -1;
            break;
        case MSG_ERROR:
        case MSG_EXEC_ERROR: {
            int32_t status;
            memcpy(&status, buf + 1, sizeof(status));
            if (buf[0] == MSG_EXEC_ERROR)
                o->exec_status = exec_failure_status(status);
            ret = rl_make_error(err, status, "%s", buf + 1 + sizeof(status));
            done = true;
            break;
        }
        default:
            if (fd >= 0)
                close(fd);
            return rl_make_error(err, EPROTO, "unexpected message from the container process");
        }
        if (fd >= 0)
            close(fd);
        if (done && (!c->expect_pid || c->pid > 0))
            return ret;
    }
}

static void
kill_and_reap(struct created *c)
{
    if (c->pidfd >= 0)
        (void)rl_pidfd_send_signal(c->pidfd, SIGKILL, NULL, 0);
    /* Before the container is ready, the pidfd may still be the intermediate child's. */
    if (c->pid > 0 && (c->pidfd < 0 || c->intermediate > 0))
        (void)kill(c->pid, SIGKILL);
    if (c->pid > 0)
        (void)TEMP_FAILURE_RETRY(waitpid(c->pid, NULL, 0));
    if (c->intermediate > 0)
        (void)TEMP_FAILURE_RETRY(waitpid(c->intermediate, NULL, 0));
}

static int
write_pid_file(const char *path, pid_t pid, rl_error_t *err)
{
    cleanup_free char *text = xasprintf("%d", (int)pid);
    return rl_write_file_atomic(path, text, strlen(text), 0644, false, err);
}

static void RL_NORETURN
child_fail(int sock, int e, const char *what)
{
    cleanup_error rl_error_t err = NULL;
    rl_make_error(&err, e, "%s", what);
    sync_send_error(sock, MSG_ERROR, &err);
    _exit(1);
}

/* A pid namespace applies to children only: joining one, or creating one after joining a
 * user namespace, takes one more fork. */
static bool
needs_second_fork(const struct nsplan *plan)
{
    return plan->pidns_fd >= 0 || (plan->userns_fd >= 0 && (plan->clone_flags & CLONE_NEWPID));
}

/* In the cloned child: join the user namespace given by path and create the rest in it, join
 * a pid namespace; returns in the process that becomes the container. */
static void
enter_namespaces(struct nsplan *plan, int sock)
{
    pid_t gc;

    if (plan->userns_fd >= 0) {
        if (setns(plan->userns_fd, CLONE_NEWUSER) < 0)
            child_fail(sock, errno, "join the user namespace");
        if (unshare((int)(plan->clone_flags & ~(unsigned long)CLONE_NEWPID)) < 0)
            child_fail(sock, errno, "create namespaces in the joined user namespace");
    }
    if (!needs_second_fork(plan))
        return;
    if (plan->pidns_fd >= 0 && setns(plan->pidns_fd, CLONE_NEWPID) < 0)
        child_fail(sock, errno, "join the pid namespace");
    if (plan->pidns_fd < 0 && unshare(CLONE_NEWPID) < 0)
        child_fail(sock, errno, "create the pid namespace");
    if (plan->new_userns && sync_wait(sock, MSG_MAPS_DONE, NULL) < 0)
        _exit(1);
    plan->new_userns = false;
    gc = fork();
    if (gc < 0)
        child_fail(sock, errno, "fork");
    if (gc > 0) {
        int32_t v = gc;
        (void)sync_send(sock, MSG_PID, &v, sizeof(v));
        _exit(0);
    }
}

/* Fork the container and bring it to "created". FIFO_PATH set: it waits on that fifo for
 * `start`; otherwise it waits for MSG_START on the sync socket. */
static int
spawn(struct rl_spec *spec, struct rl_container_opts *o, const char *fifo_path,
      const sigset_t *oldmask, struct created *c, rl_error_t *err)
{
    struct nsplan plan;
    struct idmaps maps = { 0 };
    struct rl_seccomp *filter = NULL;
    struct clone_args args = { 0 };
    int sv[2] = { -1, -1 };
    int fifo_fd = -1;
    int ret = -1;
    int pidfd = -1;
    long pid;

    memset(c, 0, sizeof(*c));
    c->pidfd = c->sock = c->master = c->tap = -1;
    if (check_resources(spec, o, err) < 0)
        return -1;
    if (plan_namespaces(spec, &plan, err) < 0) {
        nsplan_release(&plan);
        return -1;
    }
    if (plan.new_userns && compute_idmaps(spec, &maps, err) < 0)
        goto out;
    if (spec->process.terminal && !o->console_socket && fifo_path) {
        rl_make_error(err, EINVAL,
                      "process.terminal is true: --console-socket is required for create");
        goto out;
    }
    if (spec->seccomp && rl_seccomp_build_cached(spec->seccomp, o->seccomp_cache, &filter, err) < 0)
        goto out;
    if (fifo_path) {
        fifo_fd = open(fifo_path, O_RDWR | O_CLOEXEC);
        if (fifo_fd < 0) {
            rl_make_error(err, errno, "open '%s'", fifo_path);
            goto out;
        }
    }
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
        rl_make_error(err, errno, "socketpair");
        goto out;
    }
    /* Joining a user namespace comes before creating the others, which it must own: then the
     * child creates them itself with unshare(). */
    args.flags = CLONE_PIDFD | (plan.userns_fd >= 0 ? 0 : plan.clone_flags);
    args.pidfd = (uint64_t)(uintptr_t)&pidfd;
    args.exit_signal = SIGCHLD;
    if (o->cgroup_fd > 0) {
        /* Born in its cgroup: no moment outside its limits. */
        args.flags |= CLONE_INTO_CGROUP;
        args.cgroup = (uint64_t)o->cgroup_fd;
    }
    pid = rl_clone3(&args);
    if (pid < 0 && o->cgroup_fd > 0 && (errno == EINVAL || errno == E2BIG || errno == ENOSYS)) {
        /* Before Linux 5.7: cgroup.procs once it exists (below). */
        args.flags &= ~(uint64_t)CLONE_INTO_CGROUP;
        args.cgroup = 0;
        pid = rl_clone3(&args);
        if (pid > 0 && o->cgroup_procs) {
            cleanup_free char *num = xasprintf("%ld", pid);
            if (rl_write_file(o->cgroup_procs, num, strlen(num), err) < 0) {
                (void)rl_pidfd_send_signal(pidfd, SIGKILL, NULL, 0);
                (void)waitpid((pid_t)pid, NULL, 0);
                rl_error_wrap(err, "move the container into its cgroup");
                goto out;
            }
        }
    }
    if (pid < 0) {
        rl_make_error(err, errno, "clone the container process%s",
                      errno == EPERM || errno == ENOSPC
                          ? " (are unprivileged user namespaces allowed? run 'rl doctor')"
                          : "");
        goto out;
    }
    if (pid == 0) {
        struct child_args a = { .spec = spec,
                                .plan = &plan,
                                .filter = filter,
                                .sock = sv[1],
                                .fifo_fd = fifo_fd,
                                .preserve_fds = o->preserve_fds,
                                .oldmask = oldmask,
                                .detach = o->detach,
                                .o = o };
        close(sv[0]);
        (void)prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
        enter_namespaces(&plan, sv[1]);
        child_main(&a);
    }
    c->expect_pid = needs_second_fork(&plan);
    /* With a second fork, the container's pid is known only from MSG_PID. */
    c->pid = c->expect_pid ? 0 : (pid_t)pid;
    c->intermediate = c->expect_pid ? (pid_t)pid : 0;
    c->pidfd = pidfd;
    c->sock = sv[0];
    close(sv[1]);
    sv[1] = -1;
    if (plan.new_userns) {
        if (rl_idmap_write((pid_t)pid, maps.uids, maps.n_uids, maps.gids, maps.n_gids, err) < 0
            || sync_send(c->sock, MSG_MAPS_DONE, NULL, 0) < 0) {
            if (*err == NULL)
                rl_make_error(err, errno, "sync with the container process");
            kill_and_reap(c);
            created_release(c);
            goto out;
        }
    }
    if (wait_ready(c, spec, o, err) < 0) {
        kill_and_reap(c);
        created_release(c);
        goto out;
    }
    if (needs_second_fork(&plan)) {
        /* The container is the grandchild; reap the child that forked it. */
        (void)TEMP_FAILURE_RETRY(waitpid(c->intermediate, NULL, 0));
        c->intermediate = 0;
        close(c->pidfd);
        c->pidfd = rl_pidfd_open(c->pid, 0);
    }
    ret = 0;
out:
    if (fifo_fd >= 0)
        close(fifo_fd);
    if (sv[1] >= 0)
        close(sv[1]);
    if (filter)
        rl_seccomp_free(filter);
    idmaps_release(&maps);
    nsplan_release(&plan);
    return ret;
}

/* Write the container's state; CG (or NULL) is its cgroup, which delete and exec find there. */
static int
save_state(struct rl_spec *spec, struct rl_container_opts *o, pid_t pid,
           const struct oci_cgroup *cg, rl_error_t *err)
{
    cleanup_free char *created = rl_now_rfc3339();
    struct passwd *pw = getpwuid(geteuid());
    struct rl_state st = { .id = (char *)o->id,
                           .pid = pid,
                           .start_time = rl_proc_start_time(pid),
                           .bundle = (char *)o->bundle,
                           .created = created,
                           .owner = pw ? pw->pw_name : (char *)"",
                           .annotations = spec->annotations,
                           .cgroup = cg ? cg->path : NULL,
                           .cgroup_top = cg ? cg->top : NULL };
    cleanup_free char *cfg = xasprintf("%s/%s/config.json", o->root, o->id);
    cleanup_free char *text = json_dumps(spec->root, JSON_COMPACT);

    if (rl_write_file_atomic(cfg, text, strlen(text), 0600, false, err) < 0)
        return -1;
    if (rl_state_write(o->root, &st, err) < 0)
        return -1;
    if (o->pid_file && write_pid_file(o->pid_file, pid, err) < 0)
        return rl_error_wrap(err, "--pid-file");
    return 0;
}

static int
make_state_dir(struct rl_container_opts *o, rl_error_t *err)
{
    cleanup_free char *dir = NULL;

    if (rl_state_check_id(o->id, err) < 0)
        return -1;
    dir = rl_state_dir(o->root, o->id);
    if (mkdir(dir, 0700) < 0) {
        if (errno == EEXIST)
            return rl_make_error(err, EEXIST, "container '%s' already exists", o->id);
        return rl_make_error(err, errno, "mkdir '%s'", dir);
    }
    return 0;
}

static void
remove_state_dir(const char *root, const char *id)
{
    cleanup_free char *dir = rl_state_dir(root, id);
    cleanup_error rl_error_t tmp = NULL;
    if (rl_rm_rf(dir, &tmp) < 0)
        rl_error_warn_and_release(&tmp);
}

/* poststart and poststop hooks: a failure is a warning, the container goes on (runtime
 * spec). */
static void
run_hooks_warn(const struct rl_spec *spec, const struct rl_container_opts *o, pid_t pid,
               const char *stage)
{
    cleanup_error rl_error_t tmp = NULL;
    cleanup_free char *state = NULL;

    if (!rl_hooks_has(spec->hooks, stage))
        return;
    state = hook_state_json(spec, o, pid, pid ? "running" : "stopped");
    if (rl_hooks_run(spec->hooks, stage, state, &tmp) < 0)
        rl_error_warn_and_release(&tmp);
}

int
rl_container_create(struct rl_spec *spec, struct rl_container_opts *o, rl_error_t *err)
{
    struct oci_cgroup cg = { .fd = -1 };
    cleanup_free char *fifo = NULL;
    struct created c;
    sigset_t cur;

    if (make_state_dir(o, err) < 0)
        return -1;
    if (prepare_cgroup(spec, o, &cg, err) < 0)
        goto fail;
    fifo = xasprintf("%s/%s/exec.fifo", o->root, o->id);
    if (mkfifo(fifo, 0600) < 0) {
        rl_make_error(err, errno, "mkfifo '%s'", fifo);
        goto fail;
    }
    sigprocmask(SIG_SETMASK, NULL, &cur);
    if (spawn(spec, o, fifo, &cur, &c, err) < 0)
        goto fail;
    if (save_state(spec, o, c.pid, &cg, err) < 0
        || (c.master >= 0 && rl_terminal_send_to_socket(o->console_socket, c.master, err) < 0)) {
        kill_and_reap(&c);
        created_release(&c);
        goto fail;
    }
    created_release(&c);
    forget_cgroup(&cg, o);
    return 0;
fail:
    drop_cgroup(&cg, o);
    remove_state_dir(o->root, o->id);
    return -1;
}

/* Lock container ID for a change and read its state and status; returns the lock's fd. */
static int
lock_and_read(const char *root, const char *id, struct rl_state **ret_st, enum rl_status *ret_s,
              rl_error_t *err)
{
    cleanup_close int lock = rl_state_lock(root, id, err);
    struct rl_state *st = NULL;

    if (lock < 0)
        return -1;
    if (rl_state_read(root, id, &st, err) < 0)
        return -1;
    *ret_s = rl_state_status(root, st);
    *ret_st = st;
    return steal_fd(&lock);
}

/* Hooks of a container known only by its state: its config is the copy in the state dir. */
static void
stage_hooks(const char *root, const struct rl_state *st, const char *stage)
{
    cleanup_spec struct rl_spec *spec = NULL;
    cleanup_error rl_error_t tmp = NULL;
    struct rl_container_opts o = { .root = root, .id = st->id, .bundle = st->bundle };

    if (rl_container_load_spec(root, st->id, &spec, &tmp) < 0) {
        rl_error_warn_and_release(&tmp);
        return;
    }
    run_hooks_warn(spec, &o, strcmp(stage, "poststop") == 0 ? 0 : st->pid, stage);
}

int
rl_container_start(const char *root, const char *id, rl_error_t *err)
{
    cleanup_state struct rl_state *st = NULL;
    cleanup_free char *fifo = NULL;
    cleanup_close int lock = -1;
    cleanup_close int fd = -1;
    enum rl_status s;

    lock = lock_and_read(root, id, &st, &s, err);
    if (lock < 0)
        return -1;
    if (s != RL_STATUS_CREATED)
        return rl_make_error(err, EINVAL, "container '%s' is %s, not created", id,
                             rl_status_name(s));
    fifo = xasprintf("%s/%s/exec.fifo", root, id);
    /* Non-blocking: with no reader left the container is gone (ENXIO), never a hang. */
    fd = open(fifo, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return rl_make_error(err, errno == ENXIO ? ESRCH : errno, "start container '%s'", id);
    if (TEMP_FAILURE_RETRY(write(fd, "s", 1)) != 1)
        return rl_make_error(err, errno, "start container '%s'", id);
    (void)unlink(fifo);
    stage_hooks(root, st, "poststart");
    return 0;
}

static int
exit_status_of(int status)
{
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    if (WIFSIGNALED(status))
        return 128 + WTERMSIG(status);
    return 255;
}

static const int forwarded_signals[] = { SIGHUP,  SIGINT,   SIGQUIT, SIGTERM, SIGUSR1,
                                         SIGUSR2, SIGWINCH, SIGCONT, SIGCHLD };

/* Copy what is readable on FROM to TO; false at EOF or error. */
static bool
relay(int from, int to)
{
    char buf[16384];
    ssize_t n = TEMP_FAILURE_RETRY(read(from, buf, sizeof(buf)));
    if (n <= 0)
        return false;
    return rl_write_all(to, buf, (size_t)n, NULL) == 0;
}

static void
drain_to_sink(int fd, int stream, const struct rl_monitor_io *io, bool *open)
{
    char buf[16384];
    ssize_t n = TEMP_FAILURE_RETRY(read(fd, buf, sizeof(buf)));

    if (n <= 0) {
        *open = false;
        return;
    }
    if (io->sink)
        io->sink(io->data, stream, buf, (size_t)n);
}

/* The master's output goes to our stdout and to the sink. */
static bool
pty_output(int master, const struct rl_monitor_io *io)
{
    char buf[16384];
    ssize_t n = TEMP_FAILURE_RETRY(read(master, buf, sizeof(buf)));

    if (n <= 0)
        return false;
    if (io->relay_stdout && rl_write_all(STDOUT_FILENO, buf, (size_t)n, NULL) < 0)
        return false;
    if (io->sink)
        io->sink(io->data, 1, buf, (size_t)n);
    return true;
}

int
rl_container_monitor(struct rl_launched *l, const struct rl_monitor_io *io, int *ret_status,
                     rl_error_t *err)
{
    /* Raw mode only in the terminal's foreground: from the background, tcsetattr() would
     * stop rl with SIGTTOU (a job started with '&', or under timeout(1)). */
    bool tty = l->master >= 0 && io->relay_stdin && isatty(STDIN_FILENO)
               && tcgetpgrp(STDIN_FILENO) == getpgrp();
    bool stdin_open = l->master >= 0 && io->relay_stdin;
    bool master_open = l->master >= 0;
    bool out_open = io->out_fd >= 0, err_open = io->err_fd >= 0;
    struct rl_pollset set = { 0 };
    struct termios old;
    bool raw = false;
    int status = 0;

    if (tty && rl_terminal_raw(STDIN_FILENO, &old, NULL) == 0)
        raw = true;
    if (l->master >= 0 && isatty(STDIN_FILENO))
        rl_terminal_copy_size(STDIN_FILENO, l->master);
    for (;;) {
        struct pollfd *fds;
        int timeout = -1;

        set.n = 0;
        rl_pollset_add(&set, io->sigfd, POLLIN);
        rl_pollset_add(&set, l->pidfd, POLLIN);
        rl_pollset_add(&set, master_open ? l->master : -1, POLLIN);
        rl_pollset_add(&set, stdin_open ? STDIN_FILENO : -1, POLLIN);
        rl_pollset_add(&set, out_open ? io->out_fd : -1, POLLIN);
        rl_pollset_add(&set, err_open ? io->err_fd : -1, POLLIN);
        if (io->source)
            io->source->fill(io->source->data, &set, &timeout);
        if (TEMP_FAILURE_RETRY(poll(set.fds, set.n, timeout)) < 0) {
            rl_make_error(err, errno, "poll");
            break;
        }
        fds = set.fds;
        if (io->source)
            io->source->dispatch(io->source->data, fds + 6, set.n - 6);
        if (fds[0].revents & POLLIN) {
            struct signalfd_siginfo si;
            if (TEMP_FAILURE_RETRY(read(io->sigfd, &si, sizeof(si))) == sizeof(si)) {
                if ((int)si.ssi_signo == SIGWINCH && l->master >= 0)
                    rl_terminal_copy_size(STDIN_FILENO, l->master);
                else if ((int)si.ssi_signo != SIGCHLD)
                    (void)rl_pidfd_send_signal(l->pidfd, (int)si.ssi_signo, NULL, 0);
            }
        }
        if (fds[2].revents & (POLLIN | POLLHUP | POLLERR)) {
            if (!pty_output(l->master, io))
                master_open = false;
        }
        if (fds[3].revents & (POLLIN | POLLHUP | POLLERR)) {
            if (!relay(STDIN_FILENO, l->master)) {
                stdin_open = false;
                /* EOF on stdin: send the terminal's EOF character (^D) once. */
                if (!tty)
                    (void)write(l->master, "\x04", 1);
            }
        }
        if (fds[4].revents & (POLLIN | POLLHUP | POLLERR))
            drain_to_sink(io->out_fd, 1, io, &out_open);
        if (fds[5].revents & (POLLIN | POLLHUP | POLLERR))
            drain_to_sink(io->err_fd, 2, io, &err_open);
        if (fds[1].revents & POLLIN) {
            /* Drain what the pty and the pipes still hold before reporting the exit; the
             * namespace's other processes die with its init, so EOF comes soon. */
            while (master_open || out_open || err_open) {
                struct pollfd m[3] = {
                    { .fd = master_open ? l->master : -1, .events = POLLIN },
                    { .fd = out_open ? io->out_fd : -1, .events = POLLIN },
                    { .fd = err_open ? io->err_fd : -1, .events = POLLIN },
                };
                if (poll(m, 3, 200) <= 0)
                    break;
                if (m[0].revents && !pty_output(l->master, io))
                    master_open = false;
                if (m[1].revents)
                    drain_to_sink(io->out_fd, 1, io, &out_open);
                if (m[2].revents)
                    drain_to_sink(io->err_fd, 2, io, &err_open);
            }
            if (TEMP_FAILURE_RETRY(waitpid(l->pid, &status, 0)) < 0) {
                rl_make_error(err, errno, "wait for the container");
                break;
            }
            *ret_status = exit_status_of(status);
            if (raw)
                rl_terminal_restore(STDIN_FILENO, &old);
            free(set.fds);
            return 0;
        }
    }
    if (raw)
        rl_terminal_restore(STDIN_FILENO, &old);
    free(set.fds);
    return -1;
}

size_t
rl_pollset_add(struct rl_pollset *s, int fd, short events)
{
    if (s->n == s->cap) {
        s->cap = s->cap ? 2 * s->cap : 32;
        s->fds = xrealloc(s->fds, s->cap * sizeof(*s->fds));
    }
    s->fds[s->n] = (struct pollfd){ .fd = fd, .events = events };
    return s->n++;
}

static int
monitor(struct created *c, int sigfd, int *ret_status, rl_error_t *err)
{
    struct rl_launched l = { .pid = c->pid, .pidfd = c->pidfd, .master = c->master, .tap = -1 };
    struct rl_monitor_io io = {
        .sigfd = sigfd, .relay_stdin = true, .relay_stdout = true, .out_fd = -1, .err_fd = -1
    };
    return rl_container_monitor(&l, &io, ret_status, err);
}

/* After the process was told to exec: EOF on the close-on-exec sync socket means it did;
 * a message means it failed (and has exited, which is reaped here). */
static int
wait_exec(struct created *c, struct rl_container_opts *o, rl_error_t *err)
{
    char buf[4200];
    ssize_t n = TEMP_FAILURE_RETRY(recv(c->sock, buf, sizeof(buf) - 1, 0));
    int32_t status;

    if (n <= (ssize_t)sizeof(int32_t) || (buf[0] != MSG_EXEC_ERROR && buf[0] != MSG_ERROR))
        return 0;
    buf[n] = '\0';
    memcpy(&status, buf + 1, sizeof(status));
    if (buf[0] == MSG_EXEC_ERROR)
        o->exec_status = exec_failure_status(status);
    rl_make_error(err, status, "%s", buf + 1 + sizeof(status));
    (void)TEMP_FAILURE_RETRY(waitpid(c->pid, NULL, 0));
    return -1;
}

int
rl_container_run(struct rl_spec *spec, struct rl_container_opts *o, int *ret_status,
                 rl_error_t *err)
{
    cleanup_close int sigfd = -1;
    sigset_t mask, oldmask;
    struct oci_cgroup cg = { .fd = -1 };
    struct created c;
    int ret = -1;

    if (spec->process.terminal && o->detach && !o->console_socket)
        return rl_make_error(
            err, EINVAL, "process.terminal is true: --console-socket is required with --detach");
    if (make_state_dir(o, err) < 0)
        return -1;
    if (prepare_cgroup(spec, o, &cg, err) < 0) {
        remove_state_dir(o->root, o->id);
        return -1;
    }
    /* A container that joins a pid namespace is our grandchild: adopt it to wait for it. */
    (void)prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
    sigemptyset(&mask);
    for (size_t i = 0; i < RL_ARRAY_SIZE(forwarded_signals); i++)
        sigaddset(&mask, forwarded_signals[i]);
    sigprocmask(SIG_BLOCK, &mask, &oldmask);
    if (spawn(spec, o, NULL, &oldmask, &c, err) < 0)
        goto out_state;
    if (save_state(spec, o, c.pid, &cg, err) < 0)
        goto out_kill;
    if (c.master >= 0 && o->console_socket
        && rl_terminal_send_to_socket(o->console_socket, c.master, err) < 0)
        goto out_kill;
    if (sync_send(c.sock, MSG_START, NULL, 0) < 0) {
        rl_make_error(err, errno, "start the container process");
        goto out_kill;
    }
    if (wait_exec(&c, o, err) < 0) {
        created_release(&c);
        goto out_state;
    }
    run_hooks_warn(spec, o, c.pid, "poststart");
    if (o->detach) {
        /* The cgroup stays with the state, for delete. */
        created_release(&c);
        forget_cgroup(&cg, o);
        sigprocmask(SIG_SETMASK, &oldmask, NULL);
        return 0;
    }
    sigfd = signalfd(-1, &mask, SFD_CLOEXEC);
    if (sigfd < 0) {
        rl_make_error(err, errno, "signalfd");
        goto out_kill;
    }
    ret = monitor(&c, sigfd, ret_status, err);
    if (ret < 0)
        goto out_kill;
    created_release(&c);
    drop_cgroup(&cg, o);
    remove_state_dir(o->root, o->id);
    run_hooks_warn(spec, o, 0, "poststop");
    sigprocmask(SIG_SETMASK, &oldmask, NULL);
    return ret;
out_kill:
    kill_and_reap(&c);
    created_release(&c);
out_state:
    drop_cgroup(&cg, o);
    remove_state_dir(o->root, o->id);
    sigprocmask(SIG_SETMASK, &oldmask, NULL);
    return ret;
}

int
rl_container_launch(struct rl_spec *spec, struct rl_container_opts *o, struct rl_launched *ret,
                    rl_error_t *err)
{
    struct created c;
    sigset_t cur;

    if (make_state_dir(o, err) < 0)
        return -1;
    sigprocmask(SIG_SETMASK, NULL, &cur);
    if (spawn(spec, o, NULL, o->sigmask ? o->sigmask : &cur, &c, err) < 0)
        goto out_state;
    if (save_state(spec, o, c.pid, NULL, err) < 0)
        goto out_kill;
    if (sync_send(c.sock, MSG_START, NULL, 0) < 0) {
        rl_make_error(err, errno, "start the container process");
        goto out_kill;
    }
    if (wait_exec(&c, o, err) < 0) {
        created_release(&c);
        goto out_state;
    }
    run_hooks_warn(spec, o, c.pid, "poststart");
    close(c.sock);
    ret->pid = c.pid;
    ret->pidfd = c.pidfd;
    ret->master = c.master;
    ret->tap = c.tap;
    return 0;
out_kill:
    kill_and_reap(&c);
    created_release(&c);
out_state:
    remove_state_dir(o->root, o->id);
    return -1;
}

void
rl_container_forget(const char *root, const char *id)
{
    remove_state_dir(root, id);
}

void
rl_launched_release(struct rl_launched *l)
{
    if (l->pidfd >= 0)
        close(l->pidfd);
    if (l->master >= 0)
        close(l->master);
    if (l->tap >= 0)
        close(l->tap);
    l->pidfd = l->master = l->tap = -1;
}

static pid_t
parent_of(pid_t pid)
{
    char buf[1024];
    const char *p = rl_proc_stat_fields(pid, buf, sizeof(buf));
    int ppid = 0;

    if (p == NULL || sscanf(p, "%*c %d", &ppid) != 1)
        return 0;
    return (pid_t)ppid;
}

/* The container's processes: every process of its pid namespace when it has its own, else
 * its init and that process's descendants (never the rest of a shared namespace). */
int
rl_container_pids(const struct rl_state *st, pid_t **ret, size_t *ret_n, rl_error_t *err)
{
    cleanup_free char *nspath = xasprintf("/proc/%d/ns/pid", (int)st->pid);
    cleanup_free pid_t *all = NULL, *pids = NULL;
    cleanup_dir DIR *d = NULL;
    size_t n_all = 0, n = 0;
    struct stat ns, self;
    struct dirent *de;
    bool own_ns;

    if (stat(nspath, &ns) < 0)
        return rl_make_error(err, errno == ENOENT ? ESRCH : errno, "container '%s' is not running",
                             st->id);
    own_ns = stat("/proc/self/ns/pid", &self) < 0 || self.st_ino != ns.st_ino
             || self.st_dev != ns.st_dev;
    d = opendir("/proc");
    if (d == NULL)
        return rl_make_error(err, errno, "open /proc");
    while ((de = readdir(d)) != NULL) {
        long long pid;
        if (!rl_parse_ll(de->d_name, 1, INT32_MAX, &pid))
            continue;
        all = xrealloc(all, (n_all + 1) * sizeof(pid_t));
        all[n_all++] = (pid_t)pid;
    }
    pids = xzalloc((n_all + 1) * sizeof(pid_t));
    for (size_t i = 0; i < n_all; i++) {
        bool in = false;
        if (own_ns) {
            char p[64];
            struct stat s;
            snprintf(p, sizeof(p), "/proc/%d/ns/pid", (int)all[i]);
            in = stat(p, &s) == 0 && s.st_ino == ns.st_ino && s.st_dev == ns.st_dev;
        } else {
            /* Walk up the parents: at most a few hundred steps to pid 1. */
            pid_t cur = all[i];
            for (int depth = 0; cur > 1 && depth < 4096 && !in; depth++) {
                in = cur == st->pid;
                cur = parent_of(cur);
            }
        }
        if (in)
            pids[n++] = all[i];
    }
    *ret_n = n;
    *ret = steal_pointer(&pids);
    return 0;
}

static int
signal_all(const struct rl_state *st, int sig, rl_error_t *err)
{
    cleanup_free pid_t *pids = NULL;
    size_t n = 0;

    if (rl_container_pids(st, &pids, &n, err) < 0)
        return -1;
    for (size_t i = 0; i < n; i++) {
        int fd = rl_pidfd_open(pids[i], 0);
        if (fd >= 0) {
            (void)rl_pidfd_send_signal(fd, sig, NULL, 0);
            close(fd);
        }
    }
    return 0;
}

int
rl_container_kill(const char *root, const char *id, int sig, bool all, rl_error_t *err)
{
    cleanup_state struct rl_state *st = NULL;
    cleanup_close int pidfd = -1;
    enum rl_status s;

    if (rl_state_read(root, id, &st, err) < 0)
        return -1;
    s = rl_state_status(root, st);
    if (s != RL_STATUS_CREATED && s != RL_STATUS_RUNNING)
        return rl_make_error(err, ESRCH, "container '%s' is not running", id);
    pidfd = rl_state_pidfd(st, err);
    if (pidfd < 0)
        return -1;
    if (all && signal_all(st, sig, err) < 0)
        return -1;
    if (rl_pidfd_send_signal(pidfd, sig, NULL, 0) < 0 && !(all && errno == ESRCH))
        return rl_make_error(err, errno, "kill container '%s'", id);
    return 0;
}

static int
wait_gone(int pidfd, int timeout_ms)
{
    struct pollfd p = { .fd = pidfd, .events = POLLIN };
    return TEMP_FAILURE_RETRY(poll(&p, 1, timeout_ms)) == 1 ? 0 : -1;
}

int
rl_container_delete(const char *root, const char *id, bool force, rl_error_t *err)
{
    cleanup_state struct rl_state *st = NULL;
    cleanup_close int lock = -1;
    enum rl_status s;

    lock = lock_and_read(root, id, &st, &s, err);
    if (lock < 0)
        return -1;
    if (s == RL_STATUS_RUNNING && !force)
        return rl_make_error(err, EBUSY, "container '%s' is running: stop it first or use --force",
                             id);
    if (s == RL_STATUS_RUNNING || s == RL_STATUS_CREATED) {
        cleanup_close int pidfd = rl_state_pidfd(st, NULL);
        if (pidfd >= 0) {
            (void)signal_all(st, SIGKILL, NULL);
            (void)rl_pidfd_send_signal(pidfd, SIGKILL, NULL, 0);
            if (wait_gone(pidfd, 10000) < 0)
                return rl_make_error(err, ETIMEDOUT, "container '%s' did not die", id);
        }
    }
    if (st->cgroup) {
        /* What is left in the cgroup (processes outside a pid namespace of its own) dies
         * with the container; cgroup.kill is Linux 5.14's, before that they keep it busy. */
        cleanup_free char *kill_file = xasprintf("%s/cgroup.kill", st->cgroup);
        if (access(kill_file, F_OK) == 0)
            (void)rl_write_file(kill_file, "1", 1, NULL);
    }
    stage_hooks(root, st, "poststop");
    remove_cgroup(st->cgroup, st->cgroup_top);
    remove_state_dir(root, id);
    return 0;
}

int
rl_container_load_spec(const char *root, const char *id, struct rl_spec **ret, rl_error_t *err)
{
    cleanup_free char *path = xasprintf("%s/%s/config.json", root, id);
    cleanup_free char *text = NULL;
    size_t len;

    if (rl_state_check_id(id, err) < 0)
        return -1;
    if (access(path, F_OK) < 0 && errno == ENOENT)
        return rl_make_error(err, 0, "container '%s' does not exist", id);
    if (rl_read_file(path, 4u << 20, &text, &len, err) < 0)
        return -1;
    return rl_spec_parse(text, len, NULL, ret, err);
}

/* Join every namespace of PID that differs from ours, in one setns(pidfd) call. */
static int
join_container(pid_t pid, int pidfd, rl_error_t *err)
{
    static const int types[] = { CLONE_NEWUSER, CLONE_NEWNS,  CLONE_NEWPID,   CLONE_NEWUTS,
                                 CLONE_NEWIPC,  CLONE_NEWNET, CLONE_NEWCGROUP };
    int flags = 0;

    for (size_t i = 0; i < RL_ARRAY_SIZE(types); i++) {
        char a[64], b[64];
        struct stat sa, sb;
        snprintf(a, sizeof(a), "/proc/self/ns/%s", rl_namespace_proc_name(types[i]));
        snprintf(b, sizeof(b), "/proc/%d/ns/%s", (int)pid, rl_namespace_proc_name(types[i]));
        if (stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_ino != sb.st_ino)
            flags |= types[i];
    }
    if (flags && setns(pidfd, flags) < 0)
        return rl_make_error(err, errno, "join the container's namespaces");
    return 0;
}

static void RL_NORETURN
exec_child(pid_t pid, int pidfd, struct rl_process *p, struct rl_seccomp *filter, int sock,
           const struct rl_container_opts *o, const sigset_t *oldmask)
{
    int preserve_fds = o->preserve_fds;
    cleanup_error rl_error_t err = NULL;
    cleanup_free char *exe = NULL;
    pid_t gc;

    (void)prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
    /* Into the container's cgroup first (its children follow), while its path is ours. */
    if (o->cgroup_procs && rl_write_file(o->cgroup_procs, "0", 1, &err) < 0) {
        rl_error_wrap(&err, "join the container's cgroup");
        goto fail;
    }
    if (join_container(pid, pidfd, &err) < 0)
        goto fail;
    /* setns(CLONE_NEWPID) moves only our children into the namespace. */
    gc = fork();
    if (gc < 0) {
        rl_make_error(&err, errno, "fork");
        goto fail;
    }
    if (gc > 0) {
        int32_t v = gc;
        (void)sync_send(sock, MSG_PID, &v, sizeof(v));
        _exit(0);
    }
    if (setsid() < 0) {
        rl_make_error(&err, errno, "setsid");
        goto fail;
    }
    if (o->stdio && set_stdio(o->stdio, &err) < 0)
        goto fail;
    if (p->terminal) {
        cleanup_close int master = rl_terminal_create(p->console_height, p->console_width, &err);
        if (master < 0 || rl_send_fd(sock, master, "T", 1, &err) < 0)
            goto fail;
    }
    if (o->user && resolve_user(o->user, o->group_add, p, &err) < 0)
        goto fail;
    if (chdir(p->cwd) < 0) {
        rl_make_error(&err, errno, "chdir '%s'", p->cwd);
        goto fail;
    }
    if (rl_find_executable(p->args[0], p->env, &exe, &err) < 0) {
        sync_send_error(sock, MSG_EXEC_ERROR, &err);
        _exit(exec_failure_status(err->status));
    }
    if (finish_process(p, filter, &err) < 0)
        goto fail;
    (void)sync_send(sock, MSG_READY, NULL, 0);
    prepare_fds(preserve_fds);
    sigprocmask(SIG_SETMASK, oldmask, NULL);
    execve(exe, p->args, p->env ? p->env : (char *[]){ NULL });
    rl_make_error(&err, errno, "exec '%s'", p->args[0]);
    sync_send_error(sock, MSG_EXEC_ERROR, &err);
    _exit(exec_failure_status(err->status));
fail:
    sync_send_error(sock, MSG_ERROR, &err);
    _exit(1);
}

int
rl_container_exec(const char *root, const char *id, struct rl_process *p,
                  struct rl_container_opts *o, int *ret_status, rl_error_t *err)
{
    cleanup_state struct rl_state *st = NULL;
    cleanup_spec struct rl_spec *spec = NULL;
    cleanup_close int pidfd = -1;
    cleanup_close int sigfd = -1;
    struct rl_seccomp *filter = NULL;
    struct created c = { .pidfd = -1, .sock = -1, .master = -1, .tap = -1 };
    struct rl_container_opts child_o = *o;
    cleanup_free char *procs = NULL;
    sigset_t mask, oldmask;
    int sv[2];
    pid_t child;
    int ret = -1;

    if (rl_state_read(root, id, &st, err) < 0)
        return -1;
    if (st->cgroup && o->cgroup_procs == NULL) {
        /* The process joins the container's cgroup (exec_child). */
        procs = xasprintf("%s/cgroup.procs", st->cgroup);
        child_o.cgroup_procs = procs;
    }
    if (rl_state_status(root, st) != RL_STATUS_RUNNING)
        return rl_make_error(err, EINVAL, "container '%s' is not running", id);
    if (p->terminal && o->detach && !o->console_socket)
        return rl_make_error(err, EINVAL, "--tty with --detach needs --console-socket");
    if (rl_container_load_spec(root, id, &spec, err) < 0)
        return rl_error_wrap(err, "container '%s'", id);
    pidfd = rl_state_pidfd(st, err);
    if (pidfd < 0)
        return -1;
    if (spec->seccomp && rl_seccomp_build(spec->seccomp, &filter, err) < 0)
        return -1;
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
        rl_seccomp_free(filter);
        return rl_make_error(err, errno, "socketpair");
    }
    (void)prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
    sigemptyset(&mask);
    for (size_t i = 0; i < RL_ARRAY_SIZE(forwarded_signals); i++)
        sigaddset(&mask, forwarded_signals[i]);
    sigprocmask(SIG_BLOCK, &mask, &oldmask);
    child = fork();
    if (child < 0) {
        rl_make_error(err, errno, "fork");
        close(sv[0]);
        close(sv[1]);
        goto out;
    }
    if (child == 0) {
        close(sv[0]);
        exec_child(st->pid, pidfd, p, filter, sv[1], &child_o, &oldmask);
    }
    close(sv[1]);
    c.sock = sv[0];
    c.intermediate = child;
    c.expect_pid = true;
    ret = wait_ready(&c, NULL, o, err);
    (void)TEMP_FAILURE_RETRY(waitpid(child, NULL, 0));
    c.intermediate = 0;
    if (ret < 0) {
        if (c.pid > 0)
            (void)TEMP_FAILURE_RETRY(waitpid(c.pid, NULL, 0));
        goto out_release;
    }
    ret = -1;
    c.pidfd = rl_pidfd_open(c.pid, 0);
    if (c.pidfd < 0) {
        rl_make_error(err, errno, "pidfd_open");
        goto out_release;
    }
    if (wait_exec(&c, o, err) < 0)
        goto out_release;
    if (o->pid_file && write_pid_file(o->pid_file, c.pid, err) < 0)
        goto out_kill;
    if (c.master >= 0 && o->console_socket
        && rl_terminal_send_to_socket(o->console_socket, c.master, err) < 0)
        goto out_kill;
    if (o->detach) {
        ret = 0;
        goto out_release;
    }
    sigfd = signalfd(-1, &mask, SFD_CLOEXEC);
    if (sigfd < 0) {
        rl_make_error(err, errno, "signalfd");
        goto out_kill;
    }
    ret = monitor(&c, sigfd, ret_status, err);
    if (ret == 0)
        goto out_release;
out_kill:
    kill_and_reap(&c);
out_release:
    created_release(&c);
out:
    sigprocmask(SIG_SETMASK, &oldmask, NULL);
    rl_seccomp_free(filter);
    return ret;
}
