/* Starting, signalling and removing rl's containers: the part of the lifecycle that the
 * verbs share. A running container has one monitor: the foreground `rl run` itself, or a
 * detached process that holds its output and records its exit. */
#include "config.h"

#include <fcntl.h>
#include <malloc.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "container.h"
#include "ctr.h"
#include "ctrlog.h"
#include "ctrstore.h"
#include "fs.h"
#include "hostcheck.h"
#include "json.h"
#include "log.h"
#include "cgroup.h"
#include "net.h"
#include "netopts.h"
#include "spec.h"
#include "state.h"
#include "store.h"
#include "syscalls.h"
#include "volume.h"

int
rl_ctx_init(struct rl_globals *g, bool userns, struct rl_ctx *ret, rl_error_t *err)
{
    struct rl_ctx c = { 0 };

    c.store = g->root ? xstrdup(g->root) : rl_store_default_root();
    c.cgroup_manager = g->cgroup_manager;
    if (rl_mkdir_p(c.store, 0700, err) < 0
        || rl_runtime_dir(NULL, "containers", &c.runtime, err) < 0) {
        rl_ctx_release(&c);
        return -1;
    }
    if (userns && rl_cmd_store_userns(NULL, err) < 0) {
        rl_ctx_release(&c);
        return -1;
    }
    *ret = c;
    return 0;
}

void
rl_ctx_release(struct rl_ctx *c)
{
    free(c->store);
    free(c->runtime);
    c->store = c->runtime = NULL;
}

int
rl_ctr_load_fresh(struct rl_ctx *c, const char *id, json_t **ret, rl_error_t *err)
{
    json_t *rec = NULL;

    if (rl_ctr_load(c->store, id, &rec, err) < 0)
        return -1;
    if (rl_ctr_refresh(rec)) {
        /* Saved under the lock, from a fresh read: another process may have written. */
        cleanup_error rl_error_t tmp = NULL;
        int lock = rl_ctr_lock(c->store, id, LOCK_EX, &tmp);
        if (lock >= 0) {
            json_t *again = NULL;
            if (rl_ctr_load(c->store, id, &again, &tmp) == 0) {
                json_decref(rec);
                rec = again;
                if (rl_ctr_refresh(rec) && rl_ctr_save(c->store, id, rec, &tmp) < 0)
                    rl_error_warn_and_release(&tmp);
            }
            close(lock);
        }
        rl_error_release(&tmp);
    }
    *ret = rec;
    return 0;
}

static unsigned long long
self_start_time(void)
{
    return rl_proc_start_time(getpid());
}

int
rl_ctr_overlay_options(struct rl_ctx *c, const char *id, json_t *rec, char ***ret, rl_error_t *err)
{
    json_t *layers = json_object_get(json_object_get(rec, "rl"), "Layers");
    cleanup_free char *dir = rl_ctr_dir(c->store, id);
    cleanup_free char *lower = NULL;
    char **opts = NULL;
    size_t n = json_array_size(layers);

    for (size_t i = n; i-- > 0;) {
        const char *chain = json_string_value(json_array_get(layers, i));
        cleanup_free char *p = xasprintf("%s/layers/%s/diff", c->store, chain ? chain : "");
        char *next;
        struct stat st;
        if (chain == NULL || stat(p, &st) < 0)
            return rl_make_error(err, ENOENT,
                                 "container %.12s: its image's layer %.12s is missing from the "
                                 "store",
                                 id, chain ? chain : "?");
        next = lower ? xasprintf("%s:%s", lower, p) : xstrdup(p);
        free(lower);
        lower = next;
    }
    if (lower == NULL) {
        /* An image without layers: an empty lower dir. */
        lower = xasprintf("%s/empty", dir);
        if (mkdir(lower, 0755) < 0 && errno != EEXIST)
            return rl_make_error(err, errno, "mkdir '%s'", lower);
    }
    {
        cleanup_free char *l = xasprintf("lowerdir=%s", lower);
        cleanup_free char *u = xasprintf("upperdir=%s/upper", dir);
        cleanup_free char *w = xasprintf("workdir=%s/work", dir);
        rl_strv_push(&opts, l);
        rl_strv_push(&opts, u);
        rl_strv_push(&opts, w);
        rl_strv_push(&opts, "userxattr");
    }
    *ret = opts;
    return 0;
}

static const int forwarded[] = { SIGHUP,  SIGINT,   SIGQUIT, SIGTERM, SIGUSR1,
                                 SIGUSR2, SIGWINCH, SIGCONT, SIGCHLD };

static void
forwarded_set(sigset_t *set)
{
    sigemptyset(set);
    for (size_t i = 0; i < RL_ARRAY_SIZE(forwarded); i++)
        sigaddset(set, forwarded[i]);
}

static void
record_running(struct rl_ctx *c, const char *id, json_t *rec, const struct rl_launched *l,
               json_t *ports, const char *cgroup)
{
    cleanup_free char *now = rl_now_rfc3339();
    cleanup_error rl_error_t tmp = NULL;
    json_t *state = json_object_get(rec, "State");
    json_t *rl = json_object_get(rec, "rl");

    json_object_set_new(state, "Status", json_string("running"));
    json_object_set_new(state, "Running", json_true());
    json_object_set_new(state, "Pid", json_integer(l->pid));
    json_object_set_new(state, "StartTime", json_integer((json_int_t)rl_proc_start_time(l->pid)));
    json_object_set_new(state, "ExitCode", json_integer(0));
    json_object_set_new(state, "StartedAt", json_string(now));
    json_object_set_new(state, "FinishedAt", json_string("0001-01-01T00:00:00Z"));
    json_object_set_new(state, "Error", json_string(""));
    json_object_set_new(state, "OOMKilled", json_false());
    if (ports)
        json_object_set(rl, "ActivePorts", ports);
    if (cgroup)
        json_object_set_new(rl, "CgroupPath", json_string(cgroup));
    else
        json_object_del(rl, "CgroupPath");
    json_object_set_new(rl, "MonitorPid", json_integer(getpid()));
    json_object_set_new(rl, "MonitorStartTime", json_integer((json_int_t)self_start_time()));
    if (rl_ctr_save(c->store, id, rec, &tmp) < 0)
        rl_error_warn_and_release(&tmp);
}

static void
record_error(struct rl_ctx *c, const char *id, rl_error_t e)
{
    cleanup_error rl_error_t tmp = NULL;
    cleanup_json json_t *rec = NULL;
    cleanup_free char *msg = rl_error_format(e);

    if (rl_ctr_load(c->store, id, &rec, &tmp) < 0)
        return;
    json_object_set_new(json_object_get(rec, "State"), "Error", json_string(msg));
    (void)rl_ctr_save(c->store, id, rec, &tmp);
}

/* The monitor's last word: the exit status, under the container's lock. */
static void
record_exit(struct rl_ctx *c, const char *id, int status, bool oom)
{
    cleanup_error rl_error_t tmp = NULL;
    cleanup_json json_t *rec = NULL;
    cleanup_free char *now = rl_now_rfc3339();
    int lock = rl_ctr_lock(c->store, id, LOCK_EX, &tmp);
    json_t *state;

    if (lock < 0)
        return; /* removed meanwhile (rm -f) */
    if (rl_ctr_load(c->store, id, &rec, &tmp) == 0) {
        state = json_object_get(rec, "State");
        json_object_set_new(state, "Status", json_string("exited"));
        json_object_set_new(state, "Running", json_false());
        json_object_set_new(state, "Pid", json_integer(0));
        json_object_set_new(state, "ExitCode", json_integer(status));
        json_object_set_new(state, "OOMKilled", json_boolean(oom));
        json_object_set_new(state, "FinishedAt", json_string(now));
        json_object_del(json_object_get(rec, "rl"), "MonitorPid");
        if (rl_ctr_save(c->store, id, rec, &tmp) < 0)
            rl_error_warn_and_release(&tmp);
    }
    rl_container_forget(c->runtime, id);
    close(lock);
}

struct sink {
    struct rl_log_writer *log;
    bool relay; /* also to our stdout/stderr (foreground without a terminal) */
};

static void
sink_output(void *data, int stream, const char *buf, size_t len)
{
    struct sink *s = data;
    cleanup_error rl_error_t tmp = NULL;

    if (s->relay)
        (void)rl_write_all(stream == 2 ? STDERR_FILENO : STDOUT_FILENO, buf, len, NULL);
    if (s->log && rl_log_write(s->log, stream, buf, len, &tmp) < 0)
        rl_error_release(&tmp);
}

/* Everything about one start, set up before the container is launched. */
struct starting {
    struct rl_spec *spec;
    char **overlay;
    char **copy_up;
    char **group_add;
    char *fuse_uidmap, *fuse_gidmap;
    char *seccomp_cache;
    char *passwd_file;
    char *dir;
    struct rl_container_opts o;
    int stdio[3];
    int out_r, err_r; /* our ends of the output pipes, or -1 */
    int in_w;         /* the write end of a detached -i container's stdin */
    bool our_stdin;   /* the process reads our stdin (foreground -i) */
    struct sink sink;
    struct rl_net_opts net_opts;
    struct rl_port_map *ports;
    size_t n_ports;
    struct rl_net *net; /* the user-mode network, or NULL */
    char *cgroup;       /* the container's cgroup, or NULL */
    char *cgroup_procs;
    int cgroup_fd;
};

static void
starting_release(struct starting *s)
{
    rl_spec_free(s->spec);
    rl_strv_free(s->overlay);
    rl_strv_free(s->copy_up);
    rl_strv_free(s->group_add);
    free(s->fuse_uidmap);
    free(s->fuse_gidmap);
    free(s->seccomp_cache);
    free(s->passwd_file);
    free(s->dir);
    for (int i = 0; i < 3; i++)
        if (s->stdio[i] > 2)
            close(s->stdio[i]);
    if (s->out_r >= 0)
        close(s->out_r);
    if (s->err_r >= 0)
        close(s->err_r);
    if (s->in_w >= 0)
        close(s->in_w);
    if (s->sink.log)
        rl_log_writer_close(s->sink.log);
    rl_net_free(s->net);
    rl_net_opts_release(&s->net_opts);
    free(s->ports);
    if (s->cgroup_fd > 0)
        close(s->cgroup_fd);
    free(s->cgroup);
    free(s->cgroup_procs);
}

/* After the exit: whether the OOM killer struck, and the cgroup goes. */
static bool
finish_cgroup(struct starting *s)
{
    cleanup_error rl_error_t tmp = NULL;
    bool oom = false;

    if (!s->cgroup)
        return false;
    (void)rl_cgroup_oom_killed(s->cgroup, &oom);
    if (rl_cgroup_remove(s->cgroup, &tmp) < 0)
        rl_error_warn_and_release(&tmp);
    return oom;
}

static int
make_pipe(int *r, int *w, rl_error_t *err)
{
    int p[2];

    if (pipe2(p, O_CLOEXEC) < 0)
        return rl_make_error(err, errno, "pipe");
    *r = p[0];
    *w = p[1];
    return 0;
}

/* How rootfs are mounted here: "overlay" (the kernel's, with userxattr) or "fuse-overlayfs"
 * when the kernel cannot mount an overlay in a user namespace (before Linux 5.11). Tried
 * once and kept in STORE/cache/rootfs-driver; RL_ROOTFS_DRIVER chooses instead. */
const char *
rl_ctr_rootfs_driver(const char *store)
{
    static char driver[32];
    const char *env = getenv("RL_ROOTFS_DRIVER");
    cleanup_free char *path = xasprintf("%s/cache/rootfs-driver", store);
    cleanup_free char *text = NULL;
    cleanup_error rl_error_t tmp = NULL;

    if (env && (strcmp(env, "overlay") == 0 || strcmp(env, "fuse-overlayfs") == 0))
        return env;
    if (driver[0])
        return driver;
    if (rl_read_file(path, 64, &text, NULL, &tmp) == 0
        && (strcmp(text, "overlay\n") == 0 || strcmp(text, "fuse-overlayfs\n") == 0)) {
        snprintf(driver, sizeof(driver), "%.*s", (int)strlen(text) - 1, text);
        return driver;
    }
    rl_error_release(&tmp);
    snprintf(driver, sizeof(driver), "%s",
             rl_hostcheck_kernel_overlay(&tmp) == 0 ? "overlay" : "fuse-overlayfs");
    if (tmp)
        rl_debug("kernel overlay: %s: using fuse-overlayfs", tmp->msg);
    rl_error_release(&tmp);
    {
        cleanup_free char *dir = xasprintf("%s/cache", store);
        cleanup_free char *line = xasprintf("%s\n", driver);
        if (rl_mkdir_p(dir, 0700, &tmp) == 0)
            (void)rl_write_file_atomic(path, line, strlen(line), 0600, false, &tmp);
    }
    return driver;
}

/* fuse-overlayfs' uidmapping triples for --userns=keep-id with the caller's ID: "on disk as
 * the daemon sees it:shown:size". It runs in the container's namespace, where the store's id
 * k shows as k-1 below ID+1 and the store's 0 as ID; it shows them as k again. */
static char *
keepid_fuse_map(json_int_t id)
{
    return xasprintf("0:1:%lld:%lld:0:1:%lld:%lld:%lld", (long long)id, (long long)id,
                     (long long)id + 1, (long long)id + 1, 65535 - (long long)id);
}

int
rl_ctr_net_enter(struct rl_ctx *c, const struct rl_net_opts *net, char **ret_path, rl_error_t *err)
{
    cleanup_free char *path = NULL;
    cleanup_close int fd = -1;

    *ret_path = NULL;
    if (net->mode == RL_NET_NS) {
        path = xstrdup(net->ns_path);
    } else if (net->mode == RL_NET_CONTAINER) {
        cleanup_free char *id = NULL;
        cleanup_json json_t *rec = NULL;
        if (rl_ctr_lookup(c->store, net->ns_path, &id, err) < 0
            || rl_ctr_load_fresh(c, id, &rec, err) < 0)
            return rl_error_wrap(err, "--network container:%s", net->ns_path);
        if (!rl_ctr_is_running(rec))
            return rl_make_plain_error(
                err, EINVAL, "--network container:%s: the container is not running", net->ns_path);
        path = xasprintf("/proc/%lld/ns/net",
                         json_integer_value(json_object_get(json_object_get(rec, "State"), "Pid")));
    } else {
        return rl_cmd_store_userns(NULL, err);
    }
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return rl_make_error(err, errno, "--network: open the network namespace %s", path);
    {
        cleanup_free char *what = xasprintf("--network: the network namespace %s", path);
        if (rl_cmd_store_userns_join(fd, what, err) < 0)
            return -1;
    }
    *ret_path = steal_pointer(&path);
    return 0;
}

int
rl_ctr_systemd_scope(struct rl_ctx *c, bool limits, rl_error_t *err)
{
    static bool scoped;
    bool forced = c->cgroup_manager && strcmp(c->cgroup_manager, "systemd") == 0;
    cleanup_free char *unit = NULL;

    if (!limits || scoped || (c->cgroup_manager && strcmp(c->cgroup_manager, "cgroupfs") == 0))
        return 0;
    if (!forced) {
        struct rl_cgroup_base b = { 0 };
        cleanup_error rl_error_t tmp = NULL;
        if (rl_ctr_cgroup_base(true, &b, &tmp) > 0) {
            rl_cgroup_base_release(&b);
            return 0; /* delegated already */
        }
        if (!tmp || tmp->status != EACCES)
            return 0; /* no cgroup v2 at all: the check that follows says so */
    }
    unit = xasprintf("rl-%d.scope", (int)getpid());
    if (rl_cgroup_systemd_scope(unit, getpid(), err) < 0) {
        if (forced)
            return rl_error_wrap(err, "--cgroup-manager=systemd");
        rl_debug("no systemd scope: %s", (*err)->msg);
        rl_error_release(err);
        return 0;
    }
    scoped = true;
    return 0;
}

/* The network namespace that the container being started joins (rl_ctr_start), or NULL. */
static char *joined_netns;

/* The network namespace joined (ns:PATH, container:NAME): where it is now. */
static int
set_netns_path(struct rl_spec *spec, const char *path)
{
    for (size_t i = 0; i < spec->n_namespaces; i++) {
        if (spec->namespaces[i].type == CLONE_NEWNET) {
            free(spec->namespaces[i].path);
            spec->namespaces[i].path = xstrdup(path);
            return 0;
        }
    }
    return -1;
}

/* The user-mode network of the record's rl.Network: set up, and its host ports bound, before
 * the container starts. */
static int
prepare_network(struct starting *s, json_t *rl, rl_error_t *err)
{
    const char *arg = json_string_value(json_object_get(rl, "Network"));
    size_t i;
    json_t *v;

    if (rl_net_parse(arg ? arg : "none", &s->net_opts, err) < 0)
        return -1;
    if (joined_netns)
        (void)set_netns_path(s->spec, joined_netns);
    if (s->net_opts.mode != RL_NET_SLIRP)
        return 0;
    json_array_foreach (json_object_get(rl, "Ports"), i, v) {
        struct rl_port_map m = { 0 };
        snprintf(m.host_ip, sizeof(m.host_ip), "%s",
                 json_string_value(json_object_get(v, "HostIp")) ?: "");
        m.host_port = (uint16_t)json_integer_value(json_object_get(v, "HostPort"));
        m.ctr_port = (uint16_t)json_integer_value(json_object_get(v, "ContainerPort"));
        snprintf(m.proto, sizeof(m.proto), "%s",
                 json_string_value(json_object_get(v, "Protocol")) ?: "tcp");
        s->ports = xrealloc(s->ports, (s->n_ports + 1) * sizeof(*s->ports));
        s->ports[s->n_ports++] = m;
    }
    if (rl_net_new(&s->net_opts, s->ports, s->n_ports, &s->net, err) < 0)
        return -1;
    s->o.tap = rl_net_tap_config(s->net);
    return 0;
}

/* The ports bound, for rl port, ps and inspect. */
static json_t *
active_ports(const struct starting *s)
{
    json_t *ports = json_array();

    for (size_t i = 0; i < s->n_ports; i++)
        json_array_append_new(ports,
                              json_pack("{s:s, s:i, s:i, s:s}", "HostIp", s->ports[i].host_ip,
                                        "HostPort", (int)s->ports[i].host_port, "ContainerPort",
                                        (int)s->ports[i].ctr_port, "Protocol", s->ports[i].proto));
    return ports;
}

/* After the launch: the network runs from the monitor's loop. */
static int
attach_network(struct starting *s, struct rl_launched *l, rl_error_t *err)
{
    if (!s->net)
        return 0;
    if (l->tap < 0)
        return rl_make_error(err, EPROTO, "the container's tap device did not arrive");
    if (rl_net_attach(s->net, l->tap, l->pid, err) < 0)
        return -1;
    l->tap = -1;
    return 0;
}

void
rl_ctr_resources_hostconfig(json_t *rec)
{
    static const char *const keys[] = { "Memory",   "MemorySwap", "MemoryReservation",
                                        "NanoCpus", "CpuShares",  "CpuPeriod",
                                        "CpuQuota", "PidsLimit",  "BlkioWeight" };
    json_t *hc = json_object_get(rec, "HostConfig");
    json_t *res = json_object_get(json_object_get(rec, "rl"), "Resources");

    for (size_t i = 0; i < RL_ARRAY_SIZE(keys); i++) {
        json_t *v = json_object_get(res, keys[i]);
        json_object_set_new(hc, keys[i], json_integer(v ? json_integer_value(v) : 0));
    }
    json_object_set_new(hc, "CpusetCpus",
                        json_string(json_string_value(json_object_get(res, "CpusetCpus")) ?: ""));
    json_object_set_new(hc, "CpusetMems",
                        json_string(json_string_value(json_object_get(res, "CpusetMems")) ?: ""));
}

void
rl_ctr_limits_of(json_t *res, struct rl_cgroup_limits *l)
{
    json_t *v;

    rl_cgroup_limits_init(l);
    if ((v = json_object_get(res, "Memory")))
        l->memory = json_integer_value(v);
    if ((v = json_object_get(res, "MemorySwap")))
        l->memory_swap = json_integer_value(v) == -1 ? -2 : json_integer_value(v);
    if ((v = json_object_get(res, "MemoryReservation")))
        l->memory_reservation = json_integer_value(v);
    if ((v = json_object_get(res, "NanoCpus"))) {
        l->cpu_period = 100000;
        l->cpu_quota = json_integer_value(v) * 100000 / 1000000000;
    }
    if ((v = json_object_get(res, "CpuPeriod")))
        l->cpu_period = (uint64_t)json_integer_value(v);
    if ((v = json_object_get(res, "CpuQuota"))) {
        l->cpu_quota = json_integer_value(v);
        if (!l->cpu_period)
            l->cpu_period = 100000;
    }
    if ((v = json_object_get(res, "CpuShares")))
        l->cpu_weight = rl_cgroup_shares_to_weight((uint64_t)json_integer_value(v));
    if ((v = json_object_get(res, "CpuWeight")))
        l->cpu_weight = (uint64_t)json_integer_value(v);
    if ((v = json_object_get(res, "CpusetCpus")))
        l->cpuset_cpus = xstrdup(json_string_value(v));
    if ((v = json_object_get(res, "CpusetMems")))
        l->cpuset_mems = xstrdup(json_string_value(v));
    if ((v = json_object_get(res, "PidsLimit")))
        l->pids = json_integer_value(v);
    if ((v = json_object_get(res, "BlkioWeight")))
        l->io_weight = rl_cgroup_blkio_to_io_weight((uint64_t)json_integer_value(v));
}

/* podman's default pids limit, where the pids controller is delegated. */
#define DEFAULT_PIDS_LIMIT 2048

int
rl_ctr_cgroup_base(bool required, struct rl_cgroup_base *ret, rl_error_t *err)
{
    /* A host without a usable cgroup v2 stays so: the answer is kept for this process (and
     * the monitor it forks), as a start asks up to three times. Not being delegated may
     * change (a systemd scope), so that is asked again. */
    static char *unusable;
    cleanup_free char *mi = NULL;
    cleanup_free char *pc = NULL;

    if (unusable)
        return required ? rl_make_plain_error(err, ENOTSUP, "%s", unusable) : 0;
    if (rl_read_file("/proc/self/mountinfo", 1 << 22, &mi, NULL, err) < 0
        || rl_read_file("/proc/self/cgroup", 1 << 16, &pc, NULL, err) < 0)
        return -1;
    if (rl_cgroup_base_find(mi, pc, "/", geteuid(), ret, err) < 0) {
        if ((*err)->status == ENOTSUP)
            unusable = xstrdup((*err)->msg);
        return required ? -1 : (rl_error_release(err), 0);
    }
    return 1;
}

/* The container's cgroup, when it has limits (or where pids is delegated, podman's default
 * pids limit): created under the delegated subtree, the process started in it. A limit that
 * cannot be enforced is an error that says why. */
static int
prepare_cgroup(const char *id, struct starting *s, json_t *rl, rl_error_t *err)
{
    json_t *res = json_object_get(rl, "Resources");
    const char *mode = json_string_value(json_object_get(rl, "Cgroups"));
    struct rl_cgroup_limits lim;
    struct rl_cgroup_base base = { 0 };
    cleanup_strv char **needed = NULL;
    cleanup_free char *name = NULL;
    bool asked = json_object_size(res) > 0;
    int r;

    if (mode && strcmp(mode, "disabled") == 0)
        return 0;
    rl_ctr_limits_of(res, &lim);
    r = rl_ctr_cgroup_base(asked, &base, err);
    if (r <= 0) {
        rl_cgroup_limits_release(&lim);
        return r < 0 ? rl_error_wrap(err, "resource limits") : 0;
    }
    if (lim.pids < 0 && rl_strv_contains(base.available, "pids"))
        lim.pids = DEFAULT_PIDS_LIMIT;
    needed = rl_cgroup_limits_controllers(&lim);
    if (!needed || !needed[0]) {
        rl_cgroup_limits_release(&lim);
        rl_cgroup_base_release(&base);
        return 0;
    }
    if (rl_cgroup_check(&base, needed, err) < 0) {
        rl_cgroup_limits_release(&lim);
        rl_cgroup_base_release(&base);
        return rl_error_wrap(err, "resource limits");
    }
    name = xasprintf("rl-%s", id);
    r = rl_cgroup_create(&base, name, needed, &lim, &s->cgroup, &s->cgroup_fd, err);
    rl_cgroup_limits_release(&lim);
    rl_cgroup_base_release(&base);
    if (r < 0)
        return rl_error_wrap(err, "resource limits");
    s->cgroup_procs = xasprintf("%s/cgroup.procs", s->cgroup);
    s->o.cgroup_fd = s->cgroup_fd;
    s->o.cgroup_procs = s->cgroup_procs;
    return 0;
}

/* Stdio of the container: DETACHED or logging: pipes we read; a terminal: the pty; else
 * ours. Stdin: ours with -i in the foreground, a pipe kept open with -i detached, else
 * /dev/null. */
static int
prepare_start(struct rl_ctx *c, const char *id, json_t *rec, bool detached, struct starting *s,
              rl_error_t *err)
{
    json_t *rl = json_object_get(rec, "rl");
    bool tty = json_is_true(json_object_get(rl, "Tty"));
    bool interactive = json_is_true(json_object_get(rl, "Interactive"));
    bool remove = json_is_true(json_object_get(rl, "Remove"));
    const char *driver = json_string_value(json_object_get(rl, "LogDriver"));
    bool log = !(driver && strcmp(driver, "none") == 0) && (detached || !remove);

    s->stdio[0] = s->stdio[1] = s->stdio[2] = -1;
    s->out_r = s->err_r = s->in_w = -1;
    s->dir = rl_ctr_dir(c->store, id);
    if (rl_spec_load(s->dir, &s->spec, err) < 0)
        return rl_error_wrap(err, "container %.12s", id);
    if (rl_ctr_overlay_options(c, id, rec, &s->overlay, err) < 0)
        return -1;
    if (log) {
        cleanup_free char *path = xasprintf("%s/ctr.log", s->dir);
        if (rl_log_writer_open(path, 0, &s->sink.log, err) < 0)
            return -1;
    }
    if (interactive && detached) {
        if (make_pipe(&s->stdio[0], &s->in_w, err) < 0)
            return -1;
    } else if (interactive) {
        s->stdio[0] = STDIN_FILENO;
        s->our_stdin = true;
    } else {
        s->stdio[0] = open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (s->stdio[0] < 0)
            return rl_make_error(err, errno, "open /dev/null");
    }
    if (!tty && (detached || log)) {
        if (make_pipe(&s->out_r, &s->stdio[1], err) < 0
            || make_pipe(&s->err_r, &s->stdio[2], err) < 0)
            return -1;
    } else if (!tty) {
        s->stdio[1] = STDOUT_FILENO;
        s->stdio[2] = STDERR_FILENO;
    } else if (detached) {
        /* Before the pty exists (and if the process closes it): nowhere. */
        s->stdio[1] = open("/dev/null", O_WRONLY | O_CLOEXEC);
        s->stdio[2] = dup(s->stdio[1]);
    } else {
        s->stdio[1] = STDOUT_FILENO;
        s->stdio[2] = STDERR_FILENO;
    }
    s->sink.relay = !detached && !tty;
    s->o.root = c->runtime;
    s->o.id = id;
    s->o.bundle = s->dir;
    s->o.overlay = s->overlay;
    s->o.user = json_string_value(json_object_get(rl, "User"));
    s->o.init = json_is_true(json_object_get(rl, "Init"));
    s->seccomp_cache = xasprintf("%s/cache/seccomp", c->store);
    s->o.seccomp_cache = s->seccomp_cache;
    s->o.create_cwd = json_is_true(json_object_get(rl, "CreateWorkdir"));
    s->o.passwd_entry = json_string_value(json_object_get(rl, "PasswdEntry"));
    if (s->o.passwd_entry) {
        s->passwd_file = xasprintf("%s/userdata/passwd", s->dir);
        s->o.passwd_file = s->passwd_file;
    }
    if (json_is_true(json_object_get(rl, "KeepId"))) {
        /* The container's namespace shifts ids below the caller's by one (keepid_map in
         * cmd_run.c); fuse-overlayfs shifts them back, so that the image's files keep their
         * ids without a copy of the image. */
        json_int_t u = json_integer_value(json_object_get(rl, "KeepIdUid"));
        json_int_t g = json_integer_value(json_object_get(rl, "KeepIdGid"));
        s->fuse_uidmap = keepid_fuse_map(u);
        s->fuse_gidmap = keepid_fuse_map(g);
        s->o.fuse_uidmap = s->fuse_uidmap;
        s->o.fuse_gidmap = s->fuse_gidmap;
        s->o.fuse = true;
    } else if (strcmp(rl_ctr_rootfs_driver(c->store), "fuse-overlayfs") == 0) {
        s->o.fuse = true;
    }
    {
        size_t i;
        json_t *v;
        json_array_foreach (json_object_get(rl, "GroupAdd"), i, v)
            rl_strv_push(&s->group_add, json_string_value(v));
        s->o.group_add = s->group_add;
    }
    {
        size_t i;
        json_t *v;
        json_array_foreach (json_object_get(rl, "CopyUp"), i, v)
            rl_strv_push(&s->copy_up, json_string_value(v));
        s->o.copy_up = s->copy_up;
    }
    s->o.stdio = s->stdio;
    if (prepare_network(s, rl, err) < 0)
        return -1;
    return prepare_cgroup(id, s, rl, err);
}

/* After the launch: the ends the container got are closed here. */
static void
close_child_stdio(struct starting *s)
{
    for (int i = 0; i < 3; i++) {
        if (s->stdio[i] > 2)
            close(s->stdio[i]);
        s->stdio[i] = -1;
    }
}

static int
monitor_io(struct starting *s, struct rl_launched *l, int sigfd, bool detached, int *status,
           rl_error_t *err)
{
    struct rl_monitor_io io = {
        .sigfd = sigfd,
        .relay_stdin = !detached && l->master >= 0 && s->our_stdin,
        .relay_stdout = !detached && l->master >= 0,
        .out_fd = s->out_r,
        .err_fd = s->err_r,
        .sink = sink_output,
        .data = &s->sink,
        .source = s->net ? rl_net_source(s->net) : NULL,
    };
    return rl_container_monitor(l, &io, status, err);
}

static int
launch(struct rl_ctx *c, const char *id, struct starting *s, struct rl_launched *l, rl_error_t *err)
{
    rl_container_forget(c->runtime, id); /* a stale runtime dir of an earlier run */
    return rl_container_launch(s->spec, &s->o, l, err);
}

static void
after_exit(struct rl_ctx *c, const char *id, json_t *rec, int status, bool oom)
{
    record_exit(c, id, status, oom);
    if (json_is_true(json_object_get(json_object_get(rec, "rl"), "Remove"))) {
        cleanup_error rl_error_t tmp = NULL;
        if (rl_ctr_rm(c, id, true, true, &tmp) < 0)
            rl_error_warn_and_release(&tmp);
    }
}

static int
start_foreground(struct rl_ctx *c, const char *id, json_t *rec, int lock, bool remove_on_failure,
                 int *ret_status, rl_error_t *err)
{
    struct starting s = { 0 };
    struct rl_launched l = { .pidfd = -1, .master = -1, .tap = -1 };
    sigset_t mask, old;
    int sigfd = -1;
    int ret = -1;
    bool oom;

    if (prepare_start(c, id, rec, false, &s, err) < 0)
        goto fail;
    forwarded_set(&mask);
    sigprocmask(SIG_BLOCK, &mask, &old);
    s.o.sigmask = &old;
    if (launch(c, id, &s, &l, err) < 0) {
        sigprocmask(SIG_SETMASK, &old, NULL);
        if (s.o.exec_status)
            rl_exit_status = s.o.exec_status;
        goto fail;
    }
    close_child_stdio(&s);
    if (attach_network(&s, &l, err) < 0) {
        (void)rl_pidfd_send_signal(l.pidfd, SIGKILL, NULL, 0);
        (void)waitpid(l.pid, NULL, 0);
        rl_launched_release(&l);
        rl_container_forget(c->runtime, id);
        sigprocmask(SIG_SETMASK, &old, NULL);
        goto fail;
    }
    {
        cleanup_json json_t *ports = active_ports(&s);
        record_running(c, id, rec, &l, ports, s.cgroup);
    }
    close(lock);
    lock = -1;
    sigfd = signalfd(-1, &mask, SFD_CLOEXEC);
    if (sigfd < 0) {
        rl_make_error(err, errno, "signalfd");
        (void)rl_pidfd_send_signal(l.pidfd, SIGKILL, NULL, 0);
    }
    if (monitor_io(&s, &l, sigfd, false, ret_status, sigfd < 0 ? NULL : err) < 0 && sigfd >= 0) {
        (void)rl_pidfd_send_signal(l.pidfd, SIGKILL, NULL, 0);
        (void)waitpid(l.pid, NULL, 0);
        *ret_status = 137;
    }
    if (sigfd >= 0)
        close(sigfd);
    sigprocmask(SIG_SETMASK, &old, NULL);
    rl_launched_release(&l);
    oom = finish_cgroup(&s);
    starting_release(&s);
    after_exit(c, id, rec, *ret_status, oom);
    return sigfd < 0 ? -1 : 0;
fail:
    (void)finish_cgroup(&s);
    starting_release(&s);
    record_error(c, id, *err);
    if (lock >= 0)
        close(lock);
    if (remove_on_failure) {
        cleanup_error rl_error_t tmp = NULL;
        if (rl_ctr_rm(c, id, true, true, &tmp) < 0)
            rl_error_warn_and_release(&tmp);
    }
    return ret;
}

/* The detached monitor: a session of its own, stdio on /dev/null; it tells the CLI on
 * NOTIFY that the container runs (or why not), then waits for it. */
static void RL_NORETURN
detached_monitor(struct rl_ctx *c, const char *id, json_t *rec, int lock, int notify)
{
    cleanup_error rl_error_t err = NULL;
    struct starting s = { 0 };
    struct rl_launched l = { .pidfd = -1, .master = -1, .tap = -1 };
    sigset_t mask, old;
    int status = 0;
    bool oom;
    int sigfd;
    int null;

    (void)setsid();
    /* Nothing of the caller's stays open here but the lock and the pipe to it: a shell's
     * $(rl run -d ...) must see EOF once the CLI exits. */
    for (int fd = 3; fd < 1024; fd++)
        if (fd != lock && fd != notify)
            (void)close(fd);
    null = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (null >= 0) {
        dup2(null, STDIN_FILENO);
        dup2(null, STDOUT_FILENO);
        /* Our own warnings have nowhere to go either; errors go to NOTIFY. */
        dup2(null, STDERR_FILENO);
        close(null);
    }
    (void)prctl(PR_SET_NAME, "rl-monitor", 0, 0, 0);
    forwarded_set(&mask);
    sigprocmask(SIG_BLOCK, &mask, &old);
    s.o.sigmask = &old;
    if (prepare_start(c, id, rec, true, &s, &err) < 0 || launch(c, id, &s, &l, &err) < 0
        || attach_network(&s, &l, &err) < 0) {
        int32_t code = s.o.exec_status ? s.o.exec_status : 125;
        cleanup_free char *msg = rl_error_format(err);
        record_error(c, id, err);
        (void)rl_write_all(notify, &code, sizeof(code), NULL);
        (void)rl_write_all(notify, msg, strlen(msg), NULL);
        _exit(1);
    }
    close_child_stdio(&s);
    {
        cleanup_json json_t *ports = active_ports(&s);
        record_running(c, id, rec, &l, ports, s.cgroup);
    }
    close(lock);
    {
        int32_t ok = 0;
        (void)rl_write_all(notify, &ok, sizeof(ok), NULL);
        close(notify);
    }
    sigfd = signalfd(-1, &mask, SFD_CLOEXEC);
    /* What the setup allocated and freed goes back: the monitor lives as long as the
     * container, one per container. */
    malloc_trim(0);
    if (monitor_io(&s, &l, sigfd, true, &status, &err) < 0) {
        (void)rl_pidfd_send_signal(l.pidfd, SIGKILL, NULL, 0);
        (void)waitpid(l.pid, NULL, 0);
        status = 137;
    }
    rl_launched_release(&l);
    oom = finish_cgroup(&s);
    starting_release(&s);
    after_exit(c, id, rec, status, oom);
    _exit(0);
}

static int
start_detached(struct rl_ctx *c, const char *id, json_t *rec, int lock, bool remove_on_failure,
               rl_error_t *err)
{
    int p[2];
    pid_t child;
    int status;
    int32_t code = -1;
    char msg[8192];
    ssize_t n;
    size_t got = 0;

    if (pipe2(p, O_CLOEXEC) < 0) {
        close(lock);
        return rl_make_error(err, errno, "pipe");
    }
    fflush(stdout);
    fflush(stderr);
    child = fork();
    if (child < 0) {
        close(p[0]);
        close(p[1]);
        close(lock);
        return rl_make_error(err, errno, "fork");
    }
    if (child == 0) {
        /* Twice, so that the monitor is nobody's child but init's (or a subreaper's). */
        close(p[0]);
        if (fork() == 0)
            detached_monitor(c, id, rec, lock, p[1]);
        _exit(0);
    }
    close(p[1]);
    close(lock);
    (void)TEMP_FAILURE_RETRY(waitpid(child, &status, 0));
    n = TEMP_FAILURE_RETRY(read(p[0], &code, sizeof(code)));
    if (n == (ssize_t)sizeof(code) && code != 0) {
        while ((n = TEMP_FAILURE_RETRY(read(p[0], msg + got, sizeof(msg) - 1 - got))) > 0)
            got += (size_t)n;
    }
    close(p[0]);
    msg[got] = '\0';
    if (code == 0)
        return 0;
    if (code == 126 || code == 127)
        rl_exit_status = code;
    rl_make_error(err, 0, "%s", got ? msg : "the container's monitor exited before the start");
    if (remove_on_failure) {
        cleanup_error rl_error_t tmp = NULL;
        if (rl_ctr_rm(c, id, true, true, &tmp) < 0)
            rl_error_warn_and_release(&tmp);
    }
    return -1;
}

int
rl_ctr_start(struct rl_ctx *c, const char *id, enum rl_start_mode mode, bool remove_on_failure,
             int *ret_status, rl_error_t *err)
{
    cleanup_json json_t *rec = NULL;
    int lock = rl_ctr_lock(c->store, id, LOCK_EX, err);
    int status = 0;

    if (lock < 0)
        return -1;
    if (rl_ctr_load(c->store, id, &rec, err) < 0) {
        close(lock);
        return -1;
    }
    if (rl_ctr_refresh(rec))
        (void)rl_ctr_save(c->store, id, rec, NULL);
    if (rl_ctr_is_running(rec)) {
        close(lock);
        return rl_make_error(err, EBUSY, "container %s is already running",
                             json_string_value(json_object_get(rec, "Name")));
    }
    if (rl_ctr_systemd_scope(
            c, json_object_size(json_object_get(json_object_get(rec, "rl"), "Resources")) > 0, err)
        < 0) {
        close(lock);
        return -1;
    }
    {
        /* Alone in a delegated cgroup (a systemd scope of our own): into a leaf of it, so
         * that the container's cgroup can go inside it, where the monitor follows us. */
        const char *cgmode =
            json_string_value(json_object_get(json_object_get(rec, "rl"), "Cgroups"));
        struct rl_cgroup_base b = { 0 };
        cleanup_error rl_error_t tmp = NULL;
        if (!(cgmode && strcmp(cgmode, "disabled") == 0)
            && rl_ctr_cgroup_base(false, &b, &tmp) > 0) {
            if (rl_cgroup_move_to_leaf(b.self, "rl-monitor", getpid(), &tmp) < 0)
                rl_debug("cgroup: %s", tmp->msg);
            rl_cgroup_base_release(&b);
        }
    }
    {
        /* The user namespace to be in: the store's, or the one that owns the network
         * namespace the container joins. */
        struct rl_net_opts no = { 0 };
        const char *arg = json_string_value(json_object_get(json_object_get(rec, "rl"), "Network"));
        int r = rl_net_parse(arg ? arg : "none", &no, err);
        free(joined_netns);
        joined_netns = NULL;
        if (r == 0)
            r = rl_ctr_net_enter(c, &no, &joined_netns, err);
        rl_net_opts_release(&no);
        if (r < 0) {
            close(lock);
            return -1;
        }
    }
    if (mode == RL_START_DETACHED)
        return start_detached(c, id, rec, lock, remove_on_failure, err);
    if (start_foreground(c, id, rec, lock, remove_on_failure, &status, err) < 0)
        return -1;
    if (ret_status)
        *ret_status = status;
    return 0;
}

/* A pidfd of the container's monitor (rl.MonitorPid, checked by its start time), or -1. */
static int
open_monitor_pidfd(json_t *rec)
{
    json_t *rl = json_object_get(rec, "rl");
    pid_t pid = (pid_t)json_integer_value(json_object_get(rl, "MonitorPid"));
    unsigned long long t =
        (unsigned long long)json_integer_value(json_object_get(rl, "MonitorStartTime"));
    int fd;

    if (pid <= 0 || pid == getpid())
        return -1;
    fd = rl_pidfd_open(pid, 0);
    if (fd >= 0 && rl_proc_start_time(pid) != t) {
        close(fd);
        fd = -1;
    }
    return fd;
}

static int
open_pidfd(json_t *rec, rl_error_t *err)
{
    json_t *state = json_object_get(rec, "State");
    pid_t pid = (pid_t)json_integer_value(json_object_get(state, "Pid"));
    unsigned long long t =
        (unsigned long long)json_integer_value(json_object_get(state, "StartTime"));
    int fd;

    if (pid <= 0)
        return rl_make_error(err, ESRCH, "the container has no process");
    fd = rl_pidfd_open(pid, 0);
    if (fd < 0)
        return rl_make_error(err, errno, "pidfd_open %d", (int)pid);
    /* The pidfd is taken before the check: if the start time matches now, it names the
     * container's process for good. */
    if (rl_proc_start_time(pid) != t) {
        close(fd);
        return rl_make_error(err, ESRCH, "the container's process is gone");
    }
    return fd;
}

/* Signal the container's process through the pidfd FD. A process that runs as a container
 * user other than root belongs to a subordinate id, which a verb running in a user namespace
 * of its own (rm, restart, rmi -f, volume rm -f) may not signal: then its monitor gets the
 * signal, which it forwards, or, for SIGKILL, dies and takes the container with it (its
 * parent-death signal). */
static int
send_signal(json_t *rec, int fd, int sig, rl_error_t *err)
{
    static const int forwarded_by_monitor[] = { SIGHUP,  SIGINT,  SIGQUIT,  SIGTERM,
                                                SIGUSR1, SIGUSR2, SIGWINCH, SIGCONT };
    json_t *rl = json_object_get(rec, "rl");
    pid_t mon = (pid_t)json_integer_value(json_object_get(rl, "MonitorPid"));
    unsigned long long t =
        (unsigned long long)json_integer_value(json_object_get(rl, "MonitorStartTime"));
    cleanup_close int mfd = -1;
    bool forwardable = sig == SIGKILL;

    if (rl_pidfd_send_signal(fd, sig, NULL, 0) == 0)
        return 0;
    if (errno != EPERM || mon <= 0)
        return rl_make_error(err, errno, "send signal %d", sig);
    for (size_t i = 0; i < RL_ARRAY_SIZE(forwarded_by_monitor); i++)
        forwardable |= sig == forwarded_by_monitor[i];
    if (!forwardable)
        return rl_make_error(err, EPERM,
                             "send signal %d: the container's process runs as a user rl cannot "
                             "signal from here",
                             sig);
    mfd = rl_pidfd_open(mon, 0);
    if (mfd < 0 || rl_proc_start_time(mon) != t)
        return rl_make_error(err, ESRCH, "send signal %d: the container's monitor is gone", sig);
    if (rl_pidfd_send_signal(mfd, sig, NULL, 0) < 0)
        return rl_make_error(err, errno, "send signal %d to the container's monitor", sig);
    return 0;
}

int
rl_ctr_signal(struct rl_ctx *c, const char *id, int sig, rl_error_t *err)
{
    cleanup_json json_t *rec = NULL;
    cleanup_close int fd = -1;

    if (rl_ctr_load_fresh(c, id, &rec, err) < 0)
        return -1;
    if (!rl_ctr_is_running(rec))
        return rl_make_error(err, EINVAL,
                             "can only kill running containers. %.12s is in state %s: container "
                             "state improper",
                             id, rl_ctr_status(rec));
    fd = open_pidfd(rec, err);
    if (fd < 0)
        return -1;
    if (send_signal(rec, fd, sig, err) < 0)
        return rl_error_wrap(err, "container %.12s", id);
    return 0;
}

int
rl_ctr_wait_stopped(struct rl_ctx *c, const char *id, int timeout_ms, rl_error_t *err)
{
    int64_t end = timeout_ms < 0 ? INT64_MAX : rl_now_ms() + timeout_ms;
    int fd = -1;

    for (;;) {
        cleanup_json json_t *rec = NULL;
        if (rl_ctr_load_fresh(c, id, &rec, err) < 0) {
            if (fd >= 0)
                close(fd);
            /* Removed (--rm): it has stopped. */
            if ((*err)->status == ENOENT) {
                rl_error_release(err);
                return 1;
            }
            return -1;
        }
        if (!rl_ctr_is_running(rec)) {
            if (fd >= 0)
                close(fd);
            return 1;
        }
        if (fd < 0) {
            cleanup_error rl_error_t tmp = NULL;
            fd = open_pidfd(rec, &tmp);
        }
        {
            int64_t left = end - rl_now_ms();
            struct pollfd p = { .fd = fd, .events = POLLIN };
            int wait = left > 100 ? 100 : (int)(left < 0 ? 0 : left);
            if (left <= 0) {
                if (fd >= 0)
                    close(fd);
                return 0;
            }
            /* Exit wakes the pidfd; the monitor then records it (polled). */
            if (fd >= 0 && poll(&p, 1, wait) > 0) {
                close(fd);
                fd = -2; /* exited: only the record is awaited now */
                continue;
            }
            if (fd < 0)
                usleep(10000);
        }
    }
}

static void
remove_volumes(struct rl_ctx *c, json_t *rec)
{
    size_t i;
    json_t *v;

    json_array_foreach (json_object_get(json_object_get(rec, "rl"), "AnonymousVolumes"), i, v) {
        cleanup_error rl_error_t tmp = NULL;
        if (rl_volume_remove(c->store, json_string_value(v), &tmp) < 0 && tmp->status != ENOENT)
            rl_error_warn_and_release(&tmp);
    }
}

int
rl_ctr_rm(struct rl_ctx *c, const char *id, bool force, bool volumes, rl_error_t *err)
{
    cleanup_json json_t *rec = NULL;
    cleanup_close int lock = rl_ctr_lock(c->store, id, LOCK_EX, err);
    cleanup_close int monitor = -1;
    int r;

    if (lock < 0)
        return -1;
    if (rl_ctr_load(c->store, id, &rec, err) < 0)
        return -1;
    rl_ctr_refresh(rec);
    if (rl_ctr_is_running(rec)) {
        cleanup_close int fd = -1;
        cleanup_error rl_error_t tmp = NULL;
        if (!force)
            return rl_make_plain_error(
                err, EBUSY,
                "cannot remove container %s as it is running - running or "
                "paused containers cannot be removed without force: container "
                "state improper",
                id);
        monitor = open_monitor_pidfd(rec);
        fd = open_pidfd(rec, &tmp);
        if (fd >= 0) {
            struct pollfd p = { .fd = fd, .events = POLLIN };
            if (send_signal(rec, fd, SIGKILL, err) < 0)
                return rl_error_wrap(err, "remove container %.12s", id);
            if (poll(&p, 1, 10000) <= 0)
                return rl_make_error(err, ETIMEDOUT,
                                     "remove container %.12s: it did not die from SIGKILL", id);
        }
    }
    if (c->runtime)
        rl_container_forget(c->runtime, id);
    if (volumes)
        remove_volumes(c, rec);
    {
        /* Left by a monitor that was killed: the cgroup goes with the container. */
        const char *cg =
            json_string_value(json_object_get(json_object_get(rec, "rl"), "CgroupPath"));
        cleanup_error rl_error_t tmp = NULL;
        if (cg && access(cg, F_OK) == 0 && rl_cgroup_remove(cg, &tmp) < 0)
            rl_error_warn_and_release(&tmp);
    }
    r = rl_ctr_remove(c->store, id, err);
    /* The monitor of a killed container closes its published ports on its way out, and
     * waits for the lock held here to record the exit: once the lock is free, wait for it,
     * so that the ports are free when rm returns (podman's rm -f; run -p of the same port). */
    close(steal_fd(&lock));
    if (monitor >= 0) {
        struct pollfd p = { .fd = monitor, .events = POLLIN };
        (void)poll(&p, 1, 5000);
    }
    return r;
}
