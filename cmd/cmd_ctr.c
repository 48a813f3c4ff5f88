/* The container verbs after create/run: start, stop, kill, rm, ps, wait, logs, inspect,
 * exec, restart, rename, container prune, and `rl container SUBCOMMAND`. */
#include "config.h"

#include <arpa/inet.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "container.h"
#include "ctr.h"
#include "ctrlog.h"
#include "ctrstore.h"
#include "format.h"
#include "fs.h"
#include "json.h"
#include "log.h"
#include "net.h"
#include "netopts.h"
#include "opts.h"
#include "spec.h"
#include "state.h"

static int
lookup(struct rl_ctx *c, const char *what, char **ret_id, rl_error_t *err)
{
    return rl_ctr_lookup(c->store, what, ret_id, err);
}

static const char *
rec_name(json_t *rec)
{
    const char *n = json_string_value(json_object_get(rec, "Name"));
    return n ? n : "";
}

/* The published ports of a container: those bound at its last start (random host ports
 * included), else those asked for. */
static json_t *
rec_ports(json_t *rec)
{
    json_t *rl = json_object_get(rec, "rl");
    json_t *active = json_object_get(rl, "ActivePorts");

    if (active)
        return active;
    return json_object_get(rl, "Ports");
}

/* "0.0.0.0:8080->80/tcp, [::1]:53->53/udp", as podman's ps. */
static char *
ports_text(json_t *rec)
{
    char *text = xstrdup("");
    size_t i;
    json_t *p;

    json_array_foreach (rec_ports(rec), i, p) {
        const char *ip = json_string_value(json_object_get(p, "HostIp"));
        char *old = text;
        bool v6 = ip && strchr(ip, ':');
        text = xasprintf("%s%s%s%s%s:%lld->%lld/%s", old, i ? ", " : "", v6 ? "[" : "",
                         ip && ip[0] ? ip : "0.0.0.0", v6 ? "]" : "",
                         json_integer_value(json_object_get(p, "HostPort")),
                         json_integer_value(json_object_get(p, "ContainerPort")),
                         json_string_value(json_object_get(p, "Protocol")));
        free(old);
    }
    return text;
}

/* podman's ps --format json "Ports". */
static json_t *
ports_json(json_t *rec)
{
    json_t *list = json_array();
    size_t i;
    json_t *p;

    json_array_foreach (rec_ports(rec), i, p)
        json_array_append_new(list, json_pack("{s:O, s:O, s:O, s:i, s:O}", "host_ip",
                                              json_object_get(p, "HostIp"), "container_port",
                                              json_object_get(p, "ContainerPort"), "host_port",
                                              json_object_get(p, "HostPort"), "range", 1,
                                              "protocol", json_object_get(p, "Protocol")));
    return list;
}

/* For each argument (or every container with ALL): FN; errors are printed and the last one
 * is returned, as podman reports each failed container and goes on. */
typedef int (*each_fn)(struct rl_ctx *c, const char *id, const char *arg, void *data,
                       rl_error_t *err);

/* --time SECONDS of stop, rm and restart. */
static int
parse_seconds(const char *verb, const char *arg, int *ret, rl_error_t *err)
{
    long long v;

    if (!rl_parse_ll(arg, 0, 1000000000, &v))
        return rl_make_error(err, 0, "%s: --time: '%s' is not a number of seconds", verb, arg);
    *ret = (int)v;
    return 0;
}

/* Which containers a verb acts on: those named, every one (--all), or every running one. */
enum which { NAMED, ALL, RUNNING };

static int
for_each(struct rl_ctx *c, int argc, char **argv, enum which which, each_fn fn, void *data,
         rl_error_t *err)
{
    cleanup_strv char **ids = NULL;
    int failed = 0;

    if (which != NAMED) {
        if (rl_ctr_list(c->store, &ids, err) < 0)
            return -1;
        for (size_t i = 0; ids[i]; i++) {
            cleanup_error rl_error_t e = NULL;
            if (which == RUNNING) {
                cleanup_json json_t *rec = NULL;
                if (rl_ctr_load_fresh(c, ids[i], &rec, &e) < 0 || !rl_ctr_is_running(rec))
                    continue; /* gone meanwhile, or not running */
            }
            if (fn(c, ids[i], ids[i], data, &e) < 0) {
                if (failed++)
                    rl_error_warn_and_release(err);
                *err = steal_pointer(&e);
            }
        }
        return failed ? -1 : 0;
    }
    for (int i = 0; i < argc; i++) {
        cleanup_error rl_error_t e = NULL;
        cleanup_free char *id = NULL;
        if (lookup(c, argv[i], &id, &e) < 0 || fn(c, id, argv[i], data, &e) < 0) {
            if (failed++) {
                cleanup_free char *m = rl_error_format(*err);
                fprintf(stderr, "Error: %s\n", m);
                rl_error_release(err);
            }
            *err = steal_pointer(&e);
        }
    }
    return failed ? -1 : 0;
}

static int
need_args(const char *verb, int argc, bool all, rl_error_t *err)
{
    if (argc == 0 && !all)
        return rl_make_error(err, 0,
                             "%s: at least one container name or ID must be given (see "
                             "'rl %s --help')",
                             verb, verb);
    if (argc > 0 && all)
        return rl_make_error(err, 0, "%s: --all and container names cannot be used together", verb);
    return 0;
}

/* ------------------------------------------------------------------ start */

struct start_opts {
    bool attach;
    bool interactive;
    int status;
};

static int
start_one(struct rl_ctx *c, const char *id, const char *arg, void *data, rl_error_t *err)
{
    struct start_opts *so = data;
    cleanup_json json_t *rec = NULL;

    if (rl_ctr_load_fresh(c, id, &rec, err) < 0)
        return -1;
    if (rl_ctr_is_running(rec)) {
        /* podman: starting a running container is not an error. */
        printf("%s\n", arg);
        return 0;
    }
    if (so->attach) {
        fflush(stdout);
        if (rl_ctr_start(c, id, RL_START_FOREGROUND, false, &so->status, err) < 0)
            return -1;
        rl_exit_status = so->status;
        return 0;
    }
    if (rl_ctr_start(c, id, RL_START_DETACHED, false, NULL, err) < 0)
        return -1;
    printf("%s\n", arg);
    return 0;
}

#define HELP_START                                                                 \
    "Usage: rl start [OPTIONS] CONTAINER [CONTAINER...]\n\n"                       \
    "Start created or exited containers.\n\n"                                      \
    "Options:\n"                                                                   \
    "  -a, --attach       stay attached: relay the output, exit with its status\n" \
    "  -i, --interactive  with -a, relay stdin too\n"                              \
    "      --all          start every container that is not running\n"

int
cmd_start(struct rl_globals *g, int argc, char **argv, rl_error_t *err)
{
    static const struct option opts[] = {
        { "attach", no_argument, NULL, 'a' },
        { "interactive", no_argument, NULL, 'i' },
        { "all", no_argument, NULL, 'A' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    struct start_opts so = { 0 };
    struct rl_ctx c = { 0 };
    bool all = false;
    int ch, r;

    opterr = 0;
    while ((ch = getopt_long(argc, argv, "aih", opts, NULL)) != -1) {
        switch (ch) {
        case 'a':
            so.attach = true;
            break;
        case 'i':
            so.interactive = true;
            break;
        case 'A':
            all = true;
            break;
        case 'h':
            fputs(HELP_START, stdout);
            return 0;
        default:
            return rl_cmd_bad_option("start", argc, argv, err);
        }
    }
    if (need_args("start", argc - optind, all, err) < 0)
        return -1;
    if (so.attach && argc - optind > 1)
        return rl_make_error(err, 0, "start: --attach takes one container");
    if (rl_ctx_init(g, false, &c, err) < 0)
        return -1;
    r = for_each(&c, argc - optind, argv + optind, all ? ALL : NAMED, start_one, &so, err);
    rl_ctx_release(&c);
    return r;
}

/* ------------------------------------------------------------------ stop / kill */

struct stop_opts {
    int timeout; /* -1: the container's own */
    int sig;     /* kill */
    bool ignore;
};

static int
stop_one(struct rl_ctx *c, const char *id, const char *arg, void *data, rl_error_t *err)
{
    struct stop_opts *so = data;
    cleanup_json json_t *rec = NULL;
    json_t *cfg;
    int timeout = so->timeout;
    int sig = SIGTERM;
    int r;

    if (rl_ctr_load_fresh(c, id, &rec, err) < 0)
        return -1;
    cfg = json_object_get(rec, "Config");
    if (!rl_ctr_is_running(rec)) {
        /* podman: stopping a stopped container succeeds. */
        printf("%s\n", arg);
        return 0;
    }
    if (timeout < 0)
        timeout = (int)json_integer_value(json_object_get(cfg, "StopTimeout"));
    {
        const char *s = json_string_value(json_object_get(cfg, "StopSignal"));
        cleanup_error rl_error_t tmp = NULL;
        if (s && (r = rl_signal_parse(s, &tmp)) > 0)
            sig = r;
    }
    if (timeout > 0) {
        cleanup_error rl_error_t tmp = NULL;
        if (rl_ctr_signal(c, id, sig, &tmp) == 0) {
            r = rl_ctr_wait_stopped(c, id, timeout * 1000, err);
            if (r < 0)
                return -1;
            if (r == 1) {
                printf("%s\n", arg);
                return 0;
            }
            rl_warning("StopSignal SIG%s failed to stop container %s in %d seconds, resorting "
                       "to SIGKILL",
                       sigabbrev_np(sig) ? sigabbrev_np(sig) : "?", rec_name(rec), timeout);
        }
    }
    {
        cleanup_error rl_error_t tmp = NULL;
        (void)rl_ctr_signal(c, id, SIGKILL, &tmp);
    }
    if (rl_ctr_wait_stopped(c, id, 30000, err) < 0)
        return -1;
    printf("%s\n", arg);
    return 0;
}

/* stop_one without its line on stdout (rm -f -t and restart print their own). */
static int
stop_quietly(struct rl_ctx *c, const char *id, const char *arg, struct stop_opts *so,
             rl_error_t *err)
{
    FILE *saved = stdout;
    FILE *null = fopen("/dev/null", "w");
    int r;

    if (null == NULL)
        return rl_make_error(err, errno, "open /dev/null");
    fflush(stdout);
    stdout = null;
    r = stop_one(c, id, arg, so, err);
    fclose(null);
    stdout = saved;
    return r;
}

#define HELP_STOP                                                                       \
    "Usage: rl stop [OPTIONS] CONTAINER [CONTAINER...]\n\n"                             \
    "Stop containers: their stop signal, then SIGKILL after the timeout.\n\n"           \
    "Options:\n"                                                                        \
    "  -t, --time SECONDS  seconds to wait before SIGKILL (default: the container's,\n" \
    "                      10 unless --stop-timeout said otherwise)\n"                  \
    "  -a, --all           stop every running container\n"                              \
    "  -i, --ignore        no error for containers that do not exist\n"

int
cmd_stop(struct rl_globals *g, int argc, char **argv, rl_error_t *err)
{
    static const struct option opts[] = {
        { "time", required_argument, NULL, 't' }, { "timeout", required_argument, NULL, 't' },
        { "all", no_argument, NULL, 'a' },        { "ignore", no_argument, NULL, 'i' },
        { "help", no_argument, NULL, 'h' },       { NULL, 0, NULL, 0 },
    };
    struct stop_opts so = { .timeout = -1 };
    struct rl_ctx c = { 0 };
    bool all = false;
    int ch, r;

    opterr = 0;
    while ((ch = getopt_long(argc, argv, "t:aih", opts, NULL)) != -1) {
        switch (ch) {
        case 't':
            if (parse_seconds("stop", optarg, &so.timeout, err) < 0)
                return -1;
            break;
        case 'a':
            all = true;
            break;
        case 'i':
            so.ignore = true;
            break;
        case 'h':
            fputs(HELP_STOP, stdout);
            return 0;
        default:
            return rl_cmd_bad_option("stop", argc, argv, err);
        }
    }
    if (need_args("stop", argc - optind, all, err) < 0 || rl_ctx_init(g, false, &c, err) < 0)
        return -1;
    if (so.ignore && !all) {
        /* Unknown names are skipped. */
        for (int i = optind; i < argc; i++) {
            cleanup_free char *id = NULL;
            cleanup_error rl_error_t tmp = NULL;
            if (lookup(&c, argv[i], &id, &tmp) < 0)
                continue;
            if (stop_one(&c, id, argv[i], &so, err) < 0) {
                rl_ctx_release(&c);
                return -1;
            }
        }
        rl_ctx_release(&c);
        return 0;
    }
    r = for_each(&c, argc - optind, argv + optind, all ? RUNNING : NAMED, stop_one, &so, err);
    rl_ctx_release(&c);
    return r;
}

static int
kill_one(struct rl_ctx *c, const char *id, const char *arg, void *data, rl_error_t *err)
{
    struct stop_opts *so = data;

    if (rl_ctr_signal(c, id, so->sig, err) < 0)
        return -1;
    printf("%s\n", arg);
    return 0;
}

#define HELP_KILL                                                           \
    "Usage: rl kill [OPTIONS] CONTAINER [CONTAINER...]\n\n"                 \
    "Send a signal to containers' main process.\n\n"                        \
    "Options:\n"                                                            \
    "  -s, --signal SIG  the signal, by name or number (default SIGKILL)\n" \
    "  -a, --all         every running container\n"

int
cmd_kill(struct rl_globals *g, int argc, char **argv, rl_error_t *err)
{
    static const struct option opts[] = {
        { "signal", required_argument, NULL, 's' },
        { "all", no_argument, NULL, 'a' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    struct stop_opts so = { .sig = SIGKILL };
    struct rl_ctx c = { 0 };
    bool all = false;
    int ch, r;

    opterr = 0;
    while ((ch = getopt_long(argc, argv, "s:ah", opts, NULL)) != -1) {
        switch (ch) {
        case 's':
            so.sig = rl_signal_parse(optarg, err);
            if (so.sig < 0)
                return rl_error_wrap(err, "kill");
            break;
        case 'a':
            all = true;
            break;
        case 'h':
            fputs(HELP_KILL, stdout);
            return 0;
        default:
            return rl_cmd_bad_option("kill", argc, argv, err);
        }
    }
    if (need_args("kill", argc - optind, all, err) < 0 || rl_ctx_init(g, false, &c, err) < 0)
        return -1;
    r = for_each(&c, argc - optind, argv + optind, all ? RUNNING : NAMED, kill_one, &so, err);
    rl_ctx_release(&c);
    return r;
}

/* ------------------------------------------------------------------ rm */

struct rm_opts {
    bool force, volumes, ignore;
    int timeout;
};

static int
rm_one(struct rl_ctx *c, const char *id, const char *arg, void *data, rl_error_t *err)
{
    struct rm_opts *ro = data;
    cleanup_json json_t *rec = NULL;

    if (ro->force && ro->timeout > 0 && rl_ctr_load_fresh(c, id, &rec, err) == 0
        && rl_ctr_is_running(rec)) {
        struct stop_opts so = { .timeout = ro->timeout };
        if (stop_quietly(c, id, arg, &so, err) < 0)
            return -1;
    }
    rl_error_release(err);
    if (rl_ctr_rm(c, id, ro->force, ro->volumes, err) < 0)
        return -1;
    printf("%s\n", arg);
    return 0;
}

#define HELP_RM                                                                   \
    "Usage: rl rm [OPTIONS] CONTAINER [CONTAINER...]\n\n"                         \
    "Remove containers.\n\n"                                                      \
    "Options:\n"                                                                  \
    "  -f, --force         remove running containers too (killed with SIGKILL)\n" \
    "  -v, --volumes       remove their anonymous volumes\n"                      \
    "  -a, --all           every container\n"                                     \
    "  -i, --ignore        no error for containers that do not exist\n"           \
    "  -t, --time SECONDS  with -f: stop gracefully first, waiting this long\n"

int
cmd_rm(struct rl_globals *g, int argc, char **argv, rl_error_t *err)
{
    static const struct option opts[] = {
        { "force", no_argument, NULL, 'f' },
        { "volumes", no_argument, NULL, 'v' },
        { "all", no_argument, NULL, 'a' },
        { "ignore", no_argument, NULL, 'i' },
        { "time", required_argument, NULL, 't' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    struct rm_opts ro = { .timeout = 0 };
    struct rl_ctx c = { 0 };
    bool all = false;
    int ch, r = 0;

    opterr = 0;
    while ((ch = getopt_long(argc, argv, "fvait:h", opts, NULL)) != -1) {
        switch (ch) {
        case 'f':
            ro.force = true;
            break;
        case 'v':
            ro.volumes = true;
            break;
        case 'a':
            all = true;
            break;
        case 'i':
            ro.ignore = true;
            break;
        case 't':
            if (parse_seconds("rm", optarg, &ro.timeout, err) < 0)
                return -1;
            break;
        case 'h':
            fputs(HELP_RM, stdout);
            return 0;
        default:
            return rl_cmd_bad_option("rm", argc, argv, err);
        }
    }
    if (need_args("rm", argc - optind, all, err) < 0 || rl_ctx_init(g, true, &c, err) < 0)
        return -1;
    if (ro.ignore && !all) {
        for (int i = optind; i < argc && r == 0; i++) {
            cleanup_free char *id = NULL;
            cleanup_error rl_error_t tmp = NULL;
            if (lookup(&c, argv[i], &id, &tmp) < 0)
                continue;
            r = rm_one(&c, id, argv[i], &ro, err);
        }
    } else {
        r = for_each(&c, argc - optind, argv + optind, all ? ALL : NAMED, rm_one, &ro, err);
    }
    rl_ctx_release(&c);
    /* podman's statuses: 1 for no such container, 2 for one that is running. */
    if (r < 0 && *err && (*err)->status == ENOENT)
        rl_exit_status = 1;
    else if (r < 0 && *err && (*err)->status == EBUSY)
        rl_exit_status = 2;
    return r;
}

/* ------------------------------------------------------------------ ps */

static char *
command_line(json_t *rec)
{
    const char *path = json_string_value(json_object_get(rec, "Path"));
    char *s = xstrdup(path ? path : "");
    size_t i;
    json_t *a;

    json_array_foreach (json_object_get(rec, "Args"), i, a) {
        char *n = xasprintf("%s %s", s, json_string_value(a));
        free(s);
        s = n;
    }
    return s;
}

static void
ago_since(const char *rfc, char *buf, size_t len)
{
    time_t t = rl_parse_rfc3339(rfc);
    rl_human_ago(t < 0 ? time(NULL) : t, buf, len);
}

/* "Up 3 seconds", "Exited (0) 2 minutes ago", "Created". */
static char *
status_text(json_t *rec)
{
    json_t *st = json_object_get(rec, "State");
    const char *s = rl_ctr_status(rec);
    char ago[64];

    if (strcmp(s, "running") == 0) {
        ago_since(json_string_value(json_object_get(st, "StartedAt")), ago, sizeof(ago));
        /* "3 seconds ago" -> "Up 3 seconds" */
        if (rl_str_has_suffix(ago, " ago"))
            ago[strlen(ago) - 4] = '\0';
        return xasprintf("Up %s", ago);
    }
    if (strcmp(s, "exited") == 0 || strcmp(s, "stopped") == 0) {
        ago_since(json_string_value(json_object_get(st, "FinishedAt")), ago, sizeof(ago));
        return xasprintf("Exited (%lld) %s",
                         (long long)json_integer_value(json_object_get(st, "ExitCode")), ago);
    }
    if (strcmp(s, "created") == 0)
        return xstrdup("Created");
    return xstrdup(s);
}

static json_t *
unix_time(const char *rfc)
{
    time_t t = rfc ? rl_parse_rfc3339(rfc) : -1;
    return json_integer(t < 0 ? 0 : (json_int_t)t);
}

/* The fields of ps --format: podman's names. */
static json_t *
ps_row(json_t *rec, bool notrunc)
{
    json_t *st = json_object_get(rec, "State");
    json_t *cfg = json_object_get(rec, "Config");
    cleanup_free char *cmd = command_line(rec);
    cleanup_free char *status = status_text(rec);
    cleanup_free char *ports = ports_text(rec);
    const char *id = json_string_value(json_object_get(rec, "Id"));
    char created[64];
    cleanup_free char *short_id = xstrndup(id ? id : "", 12);
    json_t *labels = json_object_get(cfg, "Labels");
    json_t *cmdv = json_array();
    json_t *row;
    size_t i;
    json_t *a;

    ago_since(json_string_value(json_object_get(rec, "Created")), created, sizeof(created));
    if (!notrunc && strlen(cmd) > 20)
        strcpy(cmd + 17, "...");
    json_array_append_new(cmdv, json_string(json_string_value(json_object_get(rec, "Path"))));
    json_array_foreach (json_object_get(rec, "Args"), i, a)
        json_array_append(cmdv, a);
    row = json_pack(
        "{s:s, s:s, s:s, s:s, s:o, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:O, s:O, s:O, s:b, "
        "s:o, s:o, s:o, s:s, s:s, s:b, s:o, s:s}",
        "ID", short_id, "Id", id ? id : "", "Image",
        json_string_value(json_object_get(rec, "ImageName")), "ImageID",
        json_string_value(json_object_get(rec, "Image")), "CommandArray", cmdv, "CommandText", cmd,
        "CreatedHuman", created, "RunningFor", created, "Status", status, "State",
        rl_ctr_status(rec), "Names", rec_name(rec), "NamesText", rec_name(rec), "Labels",
        json_is_object(labels) ? labels : json_object(), "Mounts",
        json_object_get(rec, "Mounts") ? json_object_get(rec, "Mounts") : json_array(), "Pid",
        json_object_get(st, "Pid") ? json_object_get(st, "Pid") : json_integer(0), "Exited",
        strcmp(rl_ctr_status(rec), "exited") == 0, "ExitCode",
        json_integer(json_integer_value(json_object_get(st, "ExitCode"))), "Created",
        unix_time(json_string_value(json_object_get(rec, "Created"))), "StartedAt",
        unix_time(json_string_value(json_object_get(st, "StartedAt"))), "Ports", ports, "CreatedAt",
        json_string_value(json_object_get(rec, "Created")), "AutoRemove",
        json_is_true(json_object_get(json_object_get(rec, "HostConfig"), "AutoRemove")), "ExitedAt",
        unix_time(json_string_value(json_object_get(st, "FinishedAt"))), "Networks", "");
    if (row == NULL)
        rl_oom();
    json_object_set_new(row, "Command", json_string(cmd));
    json_object_set_new(row, "PortsList", ports_json(rec));
    return row;
}

/* A row as podman's `ps --format json` prints it. */
static json_t *
ps_json(json_t *row)
{
    json_t *o = json_deep_copy(row);
    json_object_set(o, "Id", json_object_get(row, "Id"));
    json_object_set_new(o, "Names", json_pack("[O]", json_object_get(row, "Names")));
    json_object_set(o, "Command", json_object_get(row, "CommandArray"));
    json_object_del(o, "CommandArray");
    json_object_del(o, "ID");
    json_object_del(o, "CommandText");
    json_object_del(o, "NamesText");
    json_object_del(o, "CreatedHuman");
    json_object_del(o, "RunningFor");
    json_object_set_new(o, "Status", json_string(""));
    json_object_set_new(o, "Networks", json_array());
    json_object_set(o, "Ports", json_object_get(row, "PortsList"));
    json_object_del(o, "PortsList");
    json_object_set_new(o, "Pod", json_string(""));
    json_object_set_new(o, "PodName", json_string(""));
    json_object_set_new(o, "IsInfra", json_false());
    json_object_set_new(o, "Namespaces", json_object());
    json_object_set_new(o, "Size", json_null());
    json_object_set(o, "CreatedAt", json_object_get(row, "CreatedHuman"));
    return o;
}

struct ps_filter {
    char key[16];      /* one of the known keys */
    const char *value; /* in argv */
};

static bool
match_filter(const struct ps_filter *f, json_t *rec, json_t *row)
{
    const char *id = json_string_value(json_object_get(rec, "Id"));
    if (strcmp(f->key, "name") == 0)
        return strstr(rec_name(rec), f->value) != NULL;
    if (strcmp(f->key, "id") == 0)
        return id && rl_str_has_prefix(id, f->value);
    if (strcmp(f->key, "status") == 0)
        return strcmp(rl_ctr_status(rec), f->value) == 0;
    if (strcmp(f->key, "ancestor") == 0) {
        const char *img = json_string_value(json_object_get(rec, "ImageName"));
        const char *iid = json_string_value(json_object_get(rec, "Image"));
        return (img && (strcmp(img, f->value) == 0 || strstr(img, f->value)))
               || (iid && rl_str_has_prefix(iid, f->value));
    }
    if (strcmp(f->key, "exited") == 0) {
        long long code = atoll(f->value);
        return strcmp(rl_ctr_status(rec), "exited") == 0
               && json_integer_value(json_object_get(json_object_get(rec, "State"), "ExitCode"))
                      == code;
    }
    if (strcmp(f->key, "label") == 0) {
        json_t *labels = json_object_get(row, "Labels");
        char *eq = strchr(f->value, '=');
        if (eq) {
            cleanup_free char *k = xstrndup(f->value, (size_t)(eq - f->value));
            const char *v = json_string_value(json_object_get(labels, k));
            return v && strcmp(v, eq + 1) == 0;
        }
        return json_object_get(labels, f->value) != NULL;
    }
    return false;
}

#define HELP_PS                                                                         \
    "Usage: rl ps [OPTIONS]\n\n"                                                        \
    "List containers (running ones; -a for all).\n\n"                                   \
    "Options:\n"                                                                        \
    "  -a, --all              all containers, not only running ones\n"                  \
    "  -q, --quiet            only the ids\n"                                           \
    "      --no-trunc         full ids and commands\n"                                  \
    "  -n, --last N           the N newest containers (all states)\n"                   \
    "  -l, --latest           the newest container (all states)\n"                      \
    "  -f, --filter KEY=VAL   name, id, status, ancestor, label, exited\n"              \
    "      --format FORMAT    json, table, or a Go template ({{.ID}} {{.Names}} ...)\n" \
    "      --noheading        no header line\n"

int
cmd_ps(struct rl_globals *g, int argc, char **argv, rl_error_t *err)
{
    enum { OPT_NOTRUNC = 256, OPT_FORMAT, OPT_NOHEADING, OPT_SIZE, OPT_SORT };
    static const struct option opts[] = {
        { "all", no_argument, NULL, 'a' },
        { "quiet", no_argument, NULL, 'q' },
        { "no-trunc", no_argument, NULL, OPT_NOTRUNC },
        { "last", required_argument, NULL, 'n' },
        { "latest", no_argument, NULL, 'l' },
        { "filter", required_argument, NULL, 'f' },
        { "format", required_argument, NULL, OPT_FORMAT },
        { "noheading", no_argument, NULL, OPT_NOHEADING },
        { "size", no_argument, NULL, 's' },
        { "sort", required_argument, NULL, OPT_SORT },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    static const char *const known[] = { "name", "id", "status", "ancestor", "label", "exited" };
    static const char *const statuses[] = { "created", "running", "exited",   "stopped",
                                            "paused",  "unknown", "removing", "configured" };
    struct ps_filter filters[32];
    size_t n_filters = 0;
    bool all = false, quiet = false, notrunc = false, noheading = false;
    long long last = -1;
    const char *format = NULL;
    struct rl_ctx c = { 0 };
    cleanup_strv char **ids = NULL;
    cleanup_json json_t *rows = json_array();
    cleanup_json json_t *recs = json_array();
    struct rl_template *t = NULL;
    int ch, ret = 0;

    opterr = 0;
    while ((ch = getopt_long(argc, argv, "aqn:lf:sh", opts, NULL)) != -1) {
        switch (ch) {
        case 'a':
            all = true;
            break;
        case 'q':
            quiet = true;
            break;
        case OPT_NOTRUNC:
            notrunc = true;
            break;
        case 'n':
            if (!rl_parse_ll(optarg, 0, 1000000000, &last))
                return rl_make_error(err, 0, "ps: --last: '%s' is not a number", optarg);
            break;
        case 'l':
            last = 1;
            break;
        case 'f': {
            char *eq = strchr(optarg, '=');
            bool ok = false;
            if (eq == NULL || n_filters == RL_ARRAY_SIZE(filters))
                return rl_make_error(err, 0, "ps: --filter '%s': use KEY=VALUE", optarg);
            for (size_t i = 0; i < RL_ARRAY_SIZE(known); i++)
                ok |= strncmp(optarg, known[i], (size_t)(eq - optarg)) == 0
                      && strlen(known[i]) == (size_t)(eq - optarg);
            if (!ok)
                return rl_make_error(err, 0,
                                     "ps: --filter '%s': unknown filter; use name, id, "
                                     "status, ancestor, label or exited",
                                     optarg);
            snprintf(filters[n_filters].key, sizeof(filters[n_filters].key), "%.*s",
                     (int)(eq - optarg), optarg);
            filters[n_filters].value = eq + 1;
            if (strcmp(filters[n_filters].key, "status") == 0) {
                ok = false;
                for (size_t i = 0; i < RL_ARRAY_SIZE(statuses); i++)
                    ok |= strcmp(eq + 1, statuses[i]) == 0;
                if (!ok)
                    return rl_make_error(err, 0,
                                         "ps: --filter status=%s: unknown status; use created, "
                                         "running, exited, paused, stopped or unknown",
                                         eq + 1);
                all = true;
            }
            n_filters++;
            break;
        }
        case OPT_FORMAT:
            format = optarg;
            break;
        case OPT_NOHEADING:
            noheading = true;
            break;
        case 's':
        case OPT_SORT:
            break;
        case 'h':
            fputs(HELP_PS, stdout);
            return 0;
        default:
            return rl_cmd_bad_option("ps", argc, argv, err);
        }
    }
    if (optind < argc)
        return rl_make_error(err, 0, "ps: unexpected argument '%s'", argv[optind]);
    if (last >= 0)
        all = true;
    if (format && strcmp(format, "json") != 0 && strcmp(format, "table") != 0
        && rl_template_parse(format, &t, err) < 0)
        return rl_error_wrap(err, "ps: --format");
    if (rl_ctx_init(g, false, &c, err) < 0 || rl_ctr_list(c.store, &ids, err) < 0) {
        rl_template_free(t);
        rl_ctx_release(&c);
        return -1;
    }
    /* Newest first, as podman lists them. */
    for (size_t n = rl_strv_len(ids); n-- > 0;) {
        cleanup_error rl_error_t tmp = NULL;
        json_t *rec = NULL, *row;
        bool keep = true;
        if (rl_ctr_load_fresh(&c, ids[n], &rec, &tmp) < 0)
            continue;
        if (!all && !rl_ctr_is_running(rec)) {
            json_decref(rec);
            continue;
        }
        row = ps_row(rec, notrunc);
        /* podman's rule: filters with the same key are alternatives (labels excepted: all
         * must match), different keys must all match. */
        for (size_t i = 0; i < n_filters && keep; i++) {
            bool any = false, seen = false;
            for (size_t j = 0; j < i && !seen; j++)
                seen = strcmp(filters[j].key, filters[i].key) == 0;
            if (seen && strcmp(filters[i].key, "label") != 0)
                continue; /* this key's group was decided at its first filter */
            if (strcmp(filters[i].key, "label") == 0) {
                keep = match_filter(&filters[i], rec, row);
                continue;
            }
            for (size_t j = i; j < n_filters && !any; j++)
                if (strcmp(filters[j].key, filters[i].key) == 0)
                    any = match_filter(&filters[j], rec, row);
            keep = any;
        }
        if (keep && (last < 0 || (long long)json_array_size(rows) < last)) {
            json_array_append_new(rows, row);
            json_array_append_new(recs, rec);
        } else {
            json_decref(row);
            json_decref(rec);
        }
    }
    {
        size_t i;
        json_t *row;
        if (quiet) {
            json_array_foreach (rows, i, row)
                printf("%s\n", json_string_value(json_object_get(row, notrunc ? "Id" : "ID")));
        } else if (format && strcmp(format, "json") == 0) {
            cleanup_json json_t *out = json_array();
            char *text;
            json_array_foreach (rows, i, row)
                json_array_append_new(out, ps_json(row));
            text = json_dumps(out, JSON_INDENT(4));
            printf("%s\n", text);
            free(text);
        } else if (t) {
            static const char *const names[][2] = {
                { "ID", "CONTAINER ID" },
                { "Id", "CONTAINER ID" },
                { "CreatedHuman", "CREATED" },
                { "RunningFor", "CREATED" },
                { "CreatedAt", "CREATED AT" },
                { "ImageID", "IMAGE ID" },
                { "NamesText", "NAMES" },
                { "CommandText", "COMMAND" },
                { "ExitCode", "EXIT CODE" },
                { "StartedAt", "STARTED AT" },
                { NULL, NULL },
            };
            if (rl_template_is_table(t) && !noheading)
                rl_template_header_names(t, names, stdout);
            json_array_foreach (rows, i, row) {
                if (notrunc)
                    json_object_set(row, "ID", json_object_get(row, "Id"));
                if (rl_template_render(t, row, stdout, err) < 0) {
                    ret = -1;
                    break;
                }
            }
        } else {
            struct rl_table *tab = rl_table_new(7);
            static const char *const head[] = { "CONTAINER ID", "IMAGE", "COMMAND", "CREATED",
                                                "STATUS",       "PORTS", "NAMES" };
            if (!noheading)
                rl_table_add(tab, head);
            json_array_foreach (rows, i, row) {
                cleanup_free char *cmd =
                    xstrdup(json_string_value(json_object_get(row, "CommandText")));
                const char *cells[7];
                if (!notrunc && strlen(cmd) > 20) {
                    cmd[17] = '.';
                    cmd[18] = '.';
                    cmd[19] = '.';
                    cmd[20] = '\0';
                }
                cells[0] = json_string_value(json_object_get(row, notrunc ? "Id" : "ID"));
                cells[1] = json_string_value(json_object_get(row, "Image"));
                cells[2] = cmd;
                cells[3] = json_string_value(json_object_get(row, "CreatedHuman"));
                cells[4] = json_string_value(json_object_get(row, "Status"));
                cells[5] = json_string_value(json_object_get(row, "Ports"));
                cells[6] = json_string_value(json_object_get(row, "NamesText"));
                rl_table_add(tab, cells);
            }
            rl_table_print(tab, stdout);
            rl_table_free(tab);
        }
    }
    rl_template_free(t);
    rl_ctx_release(&c);
    return ret;
}

/* ------------------------------------------------------------------ wait */

struct wait_opts {
    char **conditions;
};

static int
wait_one(struct rl_ctx *c, const char *id, const char *arg, void *data, rl_error_t *err)
{
    cleanup_json json_t *rec = NULL;
    (void)arg;
    (void)data;

    /* A container that never ran has nothing to wait for: podman waits for it to stop,
     * which for "created" means until it is started and exits. */
    for (;;) {
        if (rl_ctr_load_fresh(c, id, &rec, err) < 0)
            return -1;
        if (strcmp(rl_ctr_status(rec), "created") != 0)
            break;
        json_decref(rec);
        rec = NULL;
        usleep(100000);
    }
    if (rl_ctr_is_running(rec)) {
        json_decref(rec);
        rec = NULL;
        if (rl_ctr_wait_stopped(c, id, -1, err) < 0)
            return -1;
        if (rl_ctr_load_fresh(c, id, &rec, err) < 0) {
            if ((*err)->status == ENOENT)
                return rl_make_error(
                    err, ENOENT, "container %.12s was removed before its exit code was read", id);
            return -1;
        }
    }
    printf("%lld\n", (long long)json_integer_value(
                         json_object_get(json_object_get(rec, "State"), "ExitCode")));
    return 0;
}

#define HELP_WAIT                                                           \
    "Usage: rl wait CONTAINER [CONTAINER...]\n\n"                           \
    "Wait for containers to stop and print their exit codes.\n\n"           \
    "Options:\n"                                                            \
    "  --condition STATE  stopped or exited (the default, both the same)\n" \
    "  -i, --ignore       no error for containers that do not exist\n"

int
cmd_wait(struct rl_globals *g, int argc, char **argv, rl_error_t *err)
{
    static const struct option opts[] = {
        { "condition", required_argument, NULL, 'c' },
        { "ignore", no_argument, NULL, 'i' },
        { "interval", required_argument, NULL, 'I' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    struct rl_ctx c = { 0 };
    bool ignore = false;
    int ch, r = 0;

    opterr = 0;
    while ((ch = getopt_long(argc, argv, "ih", opts, NULL)) != -1) {
        switch (ch) {
        case 'c':
            if (strcmp(optarg, "stopped") != 0 && strcmp(optarg, "exited") != 0)
                return rl_make_error(
                    err, 0, "wait: --condition '%s': rl waits for stopped or exited", optarg);
            break;
        case 'i':
            ignore = true;
            break;
        case 'I':
            break;
        case 'h':
            fputs(HELP_WAIT, stdout);
            return 0;
        default:
            return rl_cmd_bad_option("wait", argc, argv, err);
        }
    }
    if (need_args("wait", argc - optind, false, err) < 0 || rl_ctx_init(g, false, &c, err) < 0)
        return -1;
    for (int i = optind; i < argc && r == 0; i++) {
        cleanup_free char *id = NULL;
        cleanup_error rl_error_t tmp = NULL;
        if (lookup(&c, argv[i], &id, &tmp) < 0) {
            if (ignore) {
                printf("-1\n");
                continue;
            }
            *err = steal_pointer(&tmp);
            r = -1;
            break;
        }
        r = wait_one(&c, id, argv[i], NULL, err);
        fflush(stdout);
    }
    rl_ctx_release(&c);
    return r;
}

/* ------------------------------------------------------------------ logs */

struct follow_data {
    struct rl_ctx *c;
    const char *id;
};

static bool
still_running(void *data)
{
    struct follow_data *f = data;
    cleanup_json json_t *rec = NULL;
    cleanup_error rl_error_t tmp = NULL;

    if (rl_ctr_load_fresh(f->c, f->id, &rec, &tmp) < 0)
        return false;
    return rl_ctr_is_running(rec) || strcmp(rl_ctr_status(rec), "created") == 0;
}

#define HELP_LOGS                                                                           \
    "Usage: rl logs [OPTIONS] CONTAINER [CONTAINER...]\n\n"                                 \
    "Show what containers wrote to stdout and stderr.\n\n"                                  \
    "Options:\n"                                                                            \
    "  -f, --follow        keep printing new output until the container exits\n"            \
    "      --tail N        only the last N lines\n"                                         \
    "      --since TIME    only output since TIME (RFC 3339, unix seconds, or a duration\n" \
    "                      like 10m before now)\n"                                          \
    "      --until TIME    only output before TIME\n"                                       \
    "  -t, --timestamps    each line with its time\n"                                       \
    "  -n, --names         each line with the container's name (several containers)\n"

int
cmd_logs(struct rl_globals *g, int argc, char **argv, rl_error_t *err)
{
    enum { OPT_TAIL = 256, OPT_SINCE, OPT_UNTIL };
    static const struct option opts[] = {
        { "follow", no_argument, NULL, 'f' },
        { "tail", required_argument, NULL, OPT_TAIL },
        { "since", required_argument, NULL, OPT_SINCE },
        { "until", required_argument, NULL, OPT_UNTIL },
        { "timestamps", no_argument, NULL, 't' },
        { "names", no_argument, NULL, 'n' },
        { "latest", no_argument, NULL, 'l' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    struct rl_log_read_opts lo = { .tail = -1 };
    struct rl_ctx c = { 0 };
    bool names = false, latest = false;
    struct timespec ts;
    int64_t now;
    long long v;
    int ch, r = 0;

    clock_gettime(CLOCK_REALTIME, &ts);
    now = (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
    opterr = 0;
    while ((ch = getopt_long(argc, argv, "ftnlh", opts, NULL)) != -1) {
        switch (ch) {
        case 'f':
            lo.follow = true;
            break;
        case OPT_TAIL:
            if (!rl_parse_ll(optarg, -1, 1LL << 40, &v))
                return rl_make_error(err, 0, "logs: --tail: '%s' is not a number of lines", optarg);
            lo.tail = v;
            break;
        case OPT_SINCE:
            if (rl_log_parse_time(optarg, now, &lo.since_ns, err) < 0)
                return rl_error_wrap(err, "logs: --since");
            break;
        case OPT_UNTIL:
            if (rl_log_parse_time(optarg, now, &lo.until_ns, err) < 0)
                return rl_error_wrap(err, "logs: --until");
            break;
        case 't':
            lo.timestamps = true;
            break;
        case 'n':
            names = true;
            break;
        case 'l':
            latest = true;
            break;
        case 'h':
            fputs(HELP_LOGS, stdout);
            return 0;
        default:
            return rl_cmd_bad_option("logs", argc, argv, err);
        }
    }
    if (!latest && need_args("logs", argc - optind, false, err) < 0)
        return -1;
    if (rl_ctx_init(g, false, &c, err) < 0)
        return -1;
    if (latest) {
        cleanup_strv char **ids = NULL;
        size_t n;
        if (rl_ctr_list(c.store, &ids, err) < 0 || (n = rl_strv_len(ids)) == 0) {
            rl_ctx_release(&c);
            return *err ? -1 : rl_make_error(err, 0, "logs: no containers");
        }
        argv[optind] = NULL;
        {
            cleanup_free char *path = xasprintf("%s/containers/%s/ctr.log", c.store, ids[n - 1]);
            struct follow_data fd = { &c, ids[n - 1] };
            lo.alive = still_running;
            lo.alive_data = &fd;
            fflush(stdout);
            r = rl_log_read(path, &lo, STDOUT_FILENO, STDERR_FILENO, err);
        }
        rl_ctx_release(&c);
        return r;
    }
    for (int i = optind; i < argc && r == 0; i++) {
        cleanup_free char *id = NULL;
        cleanup_free char *path = NULL;
        cleanup_free char *prefix = NULL;
        cleanup_json json_t *rec = NULL;
        struct follow_data fd;
        if (lookup(&c, argv[i], &id, err) < 0 || rl_ctr_load(c.store, id, &rec, err) < 0) {
            r = -1;
            break;
        }
        fd.c = &c;
        fd.id = id;
        path = xasprintf("%s/containers/%s/ctr.log", c.store, id);
        if (names || argc - optind > 1) {
            prefix = xasprintf("%s ", rec_name(rec));
            lo.prefix = prefix;
        }
        lo.alive = still_running;
        lo.alive_data = &fd;
        fflush(stdout);
        r = rl_log_read(path, &lo, STDOUT_FILENO, STDERR_FILENO, err);
    }
    rl_ctx_release(&c);
    return r;
}

/* ------------------------------------------------------------------ inspect */

/* podman's container inspect document, from the record. */
/* podman's NetworkSettings: the addresses of the user-mode network while the container
 * runs, and every exposed port with its host bindings (null when not published). */
static json_t *
network_settings(json_t *rec)
{
    json_t *rl = json_object_get(rec, "rl");
    const char *arg = json_string_value(json_object_get(rl, "Network"));
    json_t *ports = json_object();
    json_t *ns = json_pack("{s:s, s:s, s:s, s:i, s:s, s:s, s:i, s:s, s:b, s:s, s:o}", "EndpointID",
                           "", "Gateway", "", "IPAddress", "", "IPPrefixLen", 0, "IPv6Gateway", "",
                           "GlobalIPv6Address", "", "GlobalIPv6PrefixLen", 0, "MacAddress", "",
                           "HairpinMode", false, "SandboxKey", "", "Ports", ports);
    struct rl_net_opts no = { 0 };
    cleanup_error rl_error_t tmp = NULL;
    const char *key;
    json_t *v;
    size_t i;
    json_t *p;

    json_object_foreach (json_object_get(json_object_get(rec, "Config"), "ExposedPorts"), key, v)
        json_object_set_new(ports, key, json_null());
    json_array_foreach (rec_ports(rec), i, p) {
        cleanup_free char *k =
            xasprintf("%lld/%s", json_integer_value(json_object_get(p, "ContainerPort")),
                      json_string_value(json_object_get(p, "Protocol")));
        json_int_t hpn = json_integer_value(json_object_get(p, "HostPort"));
        cleanup_free char *hp = hpn ? xasprintf("%lld", (long long)hpn) : xstrdup("");
        json_t *list = json_object_get(ports, k);
        if (!json_is_array(list)) {
            list = json_array();
            json_object_set_new(ports, k, list);
        }
        json_array_append_new(
            list, json_pack("{s:O, s:s}", "HostIp", json_object_get(p, "HostIp"), "HostPort", hp));
    }
    if (rl_ctr_is_running(rec) && arg && rl_net_parse(arg, &no, &tmp) == 0
        && no.mode == RL_NET_SLIRP) {
        struct rl_net_addrs a;
        char buf[INET_ADDRSTRLEN];
        cleanup_free char *sandbox =
            xasprintf("/proc/%lld/ns/net",
                      json_integer_value(json_object_get(json_object_get(rec, "State"), "Pid")));
        if (rl_net_addrs(&no, &a, NULL) == 0) {
            json_object_set_new(ns, "IPAddress",
                                json_string(inet_ntop(AF_INET, &a.ctr, buf, sizeof(buf))));
            json_object_set_new(ns, "Gateway",
                                json_string(inet_ntop(AF_INET, &a.gw, buf, sizeof(buf))));
            json_object_set_new(ns, "IPPrefixLen", json_integer(a.prefix));
            json_object_set_new(ns, "MacAddress", json_string(RL_NET_MAC_TEXT));
            json_object_set_new(ns, "SandboxKey", json_string(sandbox));
            if (no.enable_ipv6) {
                json_object_set_new(ns, "GlobalIPv6Address", json_string("fd00::100"));
                json_object_set_new(ns, "GlobalIPv6PrefixLen", json_integer(64));
                json_object_set_new(ns, "IPv6Gateway", json_string("fd00::2"));
            }
        }
    }
    rl_net_opts_release(&no);
    return ns;
}

static json_t *
inspect_json(struct rl_ctx *c, json_t *rec)
{
    json_t *o = json_deep_copy(rec);
    json_t *st = json_object_get(o, "State");
    const char *id = json_string_value(json_object_get(rec, "Id"));
    cleanup_free char *dir = rl_ctr_dir(c->store, id ? id : "");
    json_int_t monitor =
        json_integer_value(json_object_get(json_object_get(o, "rl"), "MonitorPid"));

    json_object_del(o, "rl");
    json_object_del(st, "StartTime");
    json_object_set_new(st, "ConmonPid", json_integer(rl_ctr_is_running(rec) ? monitor : 0));
    json_object_set_new(st, "Dead", json_false());
    json_object_set_new(o, "Rootfs", json_string(""));
    json_object_set_new(o, "ImageDigest", json_string(""));
    json_object_set_new(o, "Driver", json_string("overlay"));
    json_object_set_new(o, "OCIRuntime", json_string("rl"));
    json_object_set_new(o, "LogPath", json_string_nocheck(""));
    {
        cleanup_free char *log = xasprintf("%s/ctr.log", dir);
        cleanup_free char *hosts = xasprintf("%s/userdata/hosts", dir);
        cleanup_free char *hn = xasprintf("%s/userdata/hostname", dir);
        cleanup_free char *rs = xasprintf("%s/userdata/resolv.conf", dir);
        cleanup_free char *upper = xasprintf("%s/upper", dir);
        cleanup_free char *work = xasprintf("%s/work", dir);
        json_object_set_new(o, "LogPath", json_string(log));
        json_object_set_new(o, "HostsPath", json_string(hosts));
        json_object_set_new(o, "HostnamePath", json_string(hn));
        json_object_set_new(o, "ResolvConfPath", json_string(rs));
        json_object_set_new(o, "GraphDriver",
                            json_pack("{s:s, s:{s:s, s:s}}", "Name", "overlay", "Data", "UpperDir",
                                      upper, "WorkDir", work));
    }
    json_object_set_new(o, "RestartCount", json_integer(0));
    json_object_set_new(o, "IsInfra", json_false());
    json_object_set_new(o, "Pod", json_string(""));
    json_object_set_new(o, "NetworkSettings", network_settings(rec));
    return o;
}

int cmd_inspect_image(struct rl_globals *g, int argc, char **argv, rl_error_t *err);

/* ------------------------------------------------------------------ port */

#define HELP_PORT                                                                   \
    "Usage: rl port [OPTIONS] CONTAINER [PORT[/PROTO]]\n\n"                         \
    "List the published ports of a running container, or the host address of one\n" \
    "port.\n\n"                                                                     \
    "Options:\n"                                                                    \
    "  -a, --all     every running container\n"                                     \
    "  -l, --latest  the newest container\n"

struct port_query {
    bool all;
    bool one; /* PORT given */
    uint16_t port;
    char proto[4];
};

static int
port_one(struct rl_ctx *c, const char *id, const char *arg, void *data, rl_error_t *err)
{
    struct port_query *q = data;
    cleanup_json json_t *rec = NULL;
    bool found = false;
    size_t i;
    json_t *p;

    if (rl_ctr_load_fresh(c, id, &rec, err) < 0)
        return -1;
    /* podman: a container that does not run has no ports to show. */
    if (!rl_ctr_is_running(rec))
        return 0;
    json_array_foreach (rec_ports(rec), i, p) {
        const char *ip = json_string_value(json_object_get(p, "HostIp"));
        bool v6 = ip && strchr(ip, ':');
        cleanup_free char *host =
            xasprintf("%s%s%s:%lld", v6 ? "[" : "", ip && ip[0] ? ip : "0.0.0.0", v6 ? "]" : "",
                      json_integer_value(json_object_get(p, "HostPort")));
        json_int_t cport = json_integer_value(json_object_get(p, "ContainerPort"));
        const char *proto = json_string_value(json_object_get(p, "Protocol"));
        if (q->one) {
            if (cport != q->port || strcmp(proto, q->proto) != 0)
                continue;
            printf("%s\n", host);
        } else if (q->all) {
            printf("%.12s\t%lld/%s -> %s\n", id, (long long)cport, proto, host);
        } else {
            printf("%lld/%s -> %s\n", (long long)cport, proto, host);
        }
        found = true;
    }
    if (q->one && !found)
        return rl_make_error(err, 0, "failed to find published port \"%u/%s\"", q->port, q->proto);
    return 0;
}

int
cmd_port(struct rl_globals *g, int argc, char **argv, rl_error_t *err)
{
    static const struct option opts[] = {
        { "all", no_argument, NULL, 'a' },
        { "latest", no_argument, NULL, 'l' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    struct port_query q = { 0 };
    struct rl_ctx c = { 0 };
    bool latest = false;
    int nargs, ch, r;

    opterr = 0;
    while ((ch = getopt_long(argc, argv, "+alh", opts, NULL)) != -1) {
        switch (ch) {
        case 'a':
            q.all = true;
            break;
        case 'l':
            latest = true;
            break;
        case 'h':
            fputs(HELP_PORT, stdout);
            return 0;
        default:
            return rl_cmd_bad_option("port", argc, argv, err);
        }
    }
    nargs = argc - optind;
    if (q.all && latest)
        return rl_make_error(err, 0, "port: --all and --latest cannot be used together");
    if ((q.all || latest) ? nargs > 1 : (nargs < 1 || nargs > 2))
        return rl_make_error(err, 0,
                             "port: takes a container and at most one port, or --all or "
                             "--latest (see 'rl port --help')");
    {
        const char *portarg = (q.all || latest) ? (nargs ? argv[optind] : NULL)
                                                : (nargs == 2 ? argv[optind + 1] : NULL);
        if (portarg) {
            if (rl_port_key_parse(portarg, &q.port, q.proto, err) < 0)
                return rl_error_wrap(err, "port");
            q.one = true;
        }
    }
    if (rl_ctx_init(g, false, &c, err) < 0)
        return -1;
    if (q.all) {
        r = for_each(&c, 0, NULL, RUNNING, port_one, &q, err);
    } else if (latest) {
        cleanup_strv char **ids = NULL;
        size_t n;
        r = rl_ctr_list(c.store, &ids, err);
        if (r == 0 && (n = rl_strv_len(ids)) == 0)
            r = rl_make_error(err, 0, "port: no containers");
        else if (r == 0)
            r = port_one(&c, ids[n - 1], ids[n - 1], &q, err);
    } else {
        r = for_each(&c, 1, argv + optind, NAMED, port_one, &q, err);
    }
    rl_ctx_release(&c);
    return r;
}

#define HELP_INSPECT                                                                      \
    "Usage: rl inspect [OPTIONS] NAME [NAME...]\n\n"                                      \
    "Show containers' or images' details as JSON, or through a Go template.\n\n"          \
    "Options:\n"                                                                          \
    "  -f, --format FORMAT  json (default) or a Go template ('{{.State.Status}}')\n"      \
    "  -t, --type TYPE      container, image or all (default: containers, then images)\n" \
    "  -s, --size           accepted for podman compatibility\n"

/* `rl inspect` and `rl container inspect`: containers first, then images (podman). */
static int
inspect_impl(struct rl_globals *g, int argc, char **argv, bool containers_only, rl_error_t *err)
{
    static const struct option opts[] = {
        { "format", required_argument, NULL, 'f' }, { "type", required_argument, NULL, 't' },
        { "size", no_argument, NULL, 's' },         { "latest", no_argument, NULL, 'l' },
        { "help", no_argument, NULL, 'h' },         { NULL, 0, NULL, 0 },
    };
    const char *format = NULL;
    const char *type = containers_only ? "container" : "all";
    struct rl_ctx c = { 0 };
    struct rl_template *t = NULL;
    cleanup_json json_t *out = json_array();
    bool latest = false;
    int ch, ret = 0;

    opterr = 0;
    while ((ch = getopt_long(argc, argv, "f:t:slh", opts, NULL)) != -1) {
        switch (ch) {
        case 'f':
            format = optarg;
            break;
        case 't':
            if (strcmp(optarg, "container") != 0 && strcmp(optarg, "image") != 0
                && strcmp(optarg, "all") != 0)
                return rl_make_error(err, 0, "inspect: --type '%s': use container, image or all",
                                     optarg);
            type = optarg;
            break;
        case 's':
            break;
        case 'l':
            latest = true;
            break;
        case 'h':
            fputs(HELP_INSPECT, stdout);
            return 0;
        default:
            return rl_cmd_bad_option("inspect", argc, argv, err);
        }
    }
    if (strcmp(type, "image") == 0) {
        /* The image verb parses the same arguments again, without --type. */
        cleanup_free char **args = xzalloc((size_t)(argc + 1) * sizeof(char *));
        int n = 0;
        for (int i = 0; i < argc; i++) {
            if (strcmp(argv[i], "--type") == 0 || strcmp(argv[i], "-t") == 0) {
                i++;
                continue;
            }
            if (rl_str_has_prefix(argv[i], "--type=") || rl_str_has_prefix(argv[i], "-t"))
                continue;
            args[n++] = argv[i];
        }
        optind = 0;
        return cmd_inspect_image(g, n, args, err);
    }
    if (argc - optind == 0 && !latest)
        return rl_make_error(err, 0, "inspect: at least one name or ID must be given");
    if (format && strcmp(format, "json") != 0 && rl_template_parse(format, &t, err) < 0)
        return rl_error_wrap(err, "inspect: --format");
    if (rl_ctx_init(g, false, &c, err) < 0) {
        rl_template_free(t);
        return -1;
    }
    if (latest) {
        cleanup_strv char **ids = NULL;
        size_t n;
        if (rl_ctr_list(c.store, &ids, err) < 0 || (n = rl_strv_len(ids)) == 0) {
            rl_template_free(t);
            rl_ctx_release(&c);
            return *err ? -1 : rl_make_error(err, 0, "inspect: no containers");
        }
        {
            cleanup_json json_t *rec = NULL;
            if (rl_ctr_load_fresh(&c, ids[n - 1], &rec, err) == 0)
                json_array_append_new(out, inspect_json(&c, rec));
        }
    }
    for (int i = optind; i < argc; i++) {
        cleanup_free char *id = NULL;
        cleanup_json json_t *rec = NULL;
        cleanup_error rl_error_t tmp = NULL;
        json_t *img;
        if (lookup(&c, argv[i], &id, &tmp) == 0 && rl_ctr_load_fresh(&c, id, &rec, &tmp) == 0) {
            json_array_append_new(out, inspect_json(&c, rec));
            continue;
        }
        if (strcmp(type, "all") == 0 && tmp->status == ENOENT) {
            /* Not a container: maybe an image. */
            rl_error_release(&tmp);
            img = rl_cmd_image_inspect_json(g->root, argv[i], &tmp);
            if (img) {
                json_array_append_new(out, img);
                continue;
            }
            rl_error_release(&tmp);
            rl_make_plain_error(&tmp, ENOENT, "no such object: \"%s\"", argv[i]);
        }
        /* Every miss is reported; the last one is rl's error. */
        if (*err) {
            cleanup_free char *m = rl_error_format(*err);
            fprintf(stderr, "Error: %s\n", m);
            rl_error_release(err);
        }
        *err = steal_pointer(&tmp);
        ret = -1;
    }
    if (t) {
        size_t i;
        json_t *o;
        json_array_foreach (out, i, o)
            if (rl_template_render(t, o, stdout, ret < 0 ? NULL : err) < 0 && ret == 0) {
                ret = -1;
                break;
            }
    } else if (json_array_size(out) || ret == 0) {
        char *text = json_dumps(out, JSON_INDENT(4));
        printf("%s\n", text);
        free(text);
    }
    rl_template_free(t);
    rl_ctx_release(&c);
    if (ret < 0 && *err && (*err)->status == ENOENT)
        rl_exit_status = 125;
    return ret;
}

/* ------------------------------------------------------------------ exec */

#define HELP_EXEC                                                                        \
    "Usage: rl exec [OPTIONS] CONTAINER COMMAND [ARG...]\n\n"                            \
    "Run a command in a running container: in all its namespaces, with its\n"            \
    "capabilities, seccomp filter and environment. Exits with the command's status.\n\n" \
    "Options:\n"                                                                         \
    "  -i, --interactive        keep stdin open\n"                                       \
    "  -t, --tty                give the command a terminal\n"                           \
    "  -d, --detach             run in the background\n"                                 \
    "  -e, --env KEY[=VALUE]    set an environment variable\n"                           \
    "      --env-file FILE      read KEY=VALUE lines\n"                                  \
    "  -u, --user USER[:GROUP]  user to run as (default: the container's)\n"             \
    "  -w, --workdir DIR        working directory (default: the container's)\n"          \
    "      --privileged         all capabilities\n"

int
cmd_exec(struct rl_globals *g, int argc, char **argv, rl_error_t *err)
{
    enum { OPT_ENV_FILE = 256, OPT_PRIV, OPT_PRESERVE };
    static const struct option opts[] = {
        { "interactive", no_argument, NULL, 'i' },
        { "tty", no_argument, NULL, 't' },
        { "detach", no_argument, NULL, 'd' },
        { "env", required_argument, NULL, 'e' },
        { "env-file", required_argument, NULL, OPT_ENV_FILE },
        { "user", required_argument, NULL, 'u' },
        { "workdir", required_argument, NULL, 'w' },
        { "privileged", no_argument, NULL, OPT_PRIV },
        { "preserve-fds", required_argument, NULL, OPT_PRESERVE },
        { "latest", no_argument, NULL, 'l' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    bool interactive = false, tty = false, detach = false, privileged = false;
    const char *user = NULL, *workdir = NULL;
    cleanup_strv char **env_args = NULL;
    cleanup_strv char **env_files = NULL;
    cleanup_strv char **env = NULL;
    cleanup_free char *id = NULL;
    cleanup_json json_t *rec = NULL;
    cleanup_spec struct rl_spec *spec = NULL;
    struct rl_container_opts o = { 0 };
    struct rl_process p = { 0 };
    struct rl_ctx c = { 0 };
    cleanup_free char *cgroup_procs = NULL;
    long long v;
    int preserve = 0;
    int status = 0;
    int ch, r;

    opterr = 0;
    while ((ch = getopt_long(argc, argv, "+itde:u:w:lh", opts, NULL)) != -1) {
        switch (ch) {
        case 'i':
            interactive = true;
            break;
        case 't':
            tty = true;
            break;
        case 'd':
            detach = true;
            break;
        case 'e':
            rl_strv_push(&env_args, optarg);
            break;
        case OPT_ENV_FILE:
            rl_strv_push(&env_files, optarg);
            break;
        case 'u':
            user = optarg;
            break;
        case 'w':
            if (optarg[0] != '/')
                return rl_make_error(err, 0, "exec: --workdir: '%s' is not an absolute path",
                                     optarg);
            workdir = optarg;
            break;
        case OPT_PRIV:
            privileged = true;
            break;
        case OPT_PRESERVE:
            if (!rl_parse_ll(optarg, 0, 1000, &v))
                return rl_make_error(err, 0, "exec: --preserve-fds: '%s' is not a number", optarg);
            preserve = (int)v;
            break;
        case 'l':
            break;
        case 'h':
            fputs(HELP_EXEC, stdout);
            return 0;
        default:
            return rl_cmd_bad_option("exec", argc, argv, err);
        }
    }
    if (argc - optind < 1)
        return rl_make_error(err, 0, "exec: missing container name (see 'rl exec --help')");
    if (argc - optind < 2)
        return rl_make_error(err, 0, "exec: missing command (see 'rl exec --help')");
    if (rl_ctx_init(g, false, &c, err) < 0)
        return -1;
    if (lookup(&c, argv[optind], &id, err) < 0 || rl_ctr_load_fresh(&c, id, &rec, err) < 0)
        goto fail;
    if (!rl_ctr_is_running(rec)) {
        rl_make_error(err, 0,
                      "can only create exec sessions on running containers: container state "
                      "improper");
        goto fail;
    }
    if (rl_container_load_spec(c.runtime, id, &spec, err) < 0)
        goto fail;
    /* The container's process, with the exec's changes. */
    p = spec->process;
    env = rl_strv_dup(spec->process.env);
    for (size_t i = 0; env_files && env_files[i]; i++)
        if (rl_env_file(&env, env_files[i], err) < 0)
            goto fail;
    for (size_t i = 0; env_args && env_args[i]; i++)
        if (rl_env_add_arg(&env, env_args[i], err) < 0)
            goto fail;
    p.env = env;
    p.args = argv + optind + 1;
    p.terminal = tty;
    p.cwd = workdir ? (char *)workdir : spec->process.cwd;
    if (privileged) {
        /* Every capability the container's bounding set still has. */
        for (int s = 1; s < 5; s++) {
            if (s == RL_CAP_AMBIENT)
                continue;
            p.caps.sets[s] = p.caps.sets[RL_CAP_BOUNDING];
            p.caps.n[s] = p.caps.n[RL_CAP_BOUNDING];
        }
    }
    o.root = c.runtime;
    o.id = id;
    o.detach = detach;
    o.preserve_fds = preserve;
    {
        const char *cg =
            json_string_value(json_object_get(json_object_get(rec, "rl"), "CgroupPath"));
        if (cg) {
            cgroup_procs = xasprintf("%s/cgroup.procs", cg);
            o.cgroup_procs = cgroup_procs;
        }
    }
    o.user = user ? user : json_string_value(json_object_get(json_object_get(rec, "rl"), "User"));
    {
        int null = -1;
        int stdio[3] = { -1, -1, -1 };
        if (!interactive || detach) {
            null = open("/dev/null", O_RDWR | O_CLOEXEC);
            stdio[0] = null;
            if (detach)
                stdio[1] = stdio[2] = null;
            o.stdio = stdio;
        }
        if (tty && detach) {
            rl_make_error(err, 0, "exec: --tty with --detach is not supported");
            if (null >= 0)
                close(null);
            goto fail;
        }
        fflush(stdout);
        r = rl_container_exec(c.runtime, id, &p, &o, &status, err);
        if (null >= 0)
            close(null);
    }
    if (r < 0) {
        if (o.exec_status)
            rl_exit_status = o.exec_status;
        goto fail;
    }
    if (!detach)
        rl_exit_status = status;
    rl_ctx_release(&c);
    return 0;
fail:
    rl_ctx_release(&c);
    return -1;
}

/* ------------------------------------------------------------------ restart, rename, prune */

static int
restart_one(struct rl_ctx *c, const char *id, const char *arg, void *data, rl_error_t *err)
{
    struct stop_opts *so = data;
    cleanup_json json_t *rec = NULL;

    if (rl_ctr_load_fresh(c, id, &rec, err) < 0)
        return -1;
    if (rl_ctr_is_running(rec) && stop_quietly(c, id, arg, so, err) < 0)
        return -1;
    if (rl_ctr_start(c, id, RL_START_DETACHED, false, NULL, err) < 0)
        return -1;
    printf("%s\n", arg);
    return 0;
}

#define HELP_RESTART                                           \
    "Usage: rl restart [OPTIONS] CONTAINER [CONTAINER...]\n\n" \
    "Stop (if running) and start containers again.\n\n"        \
    "Options:\n"                                               \
    "  -t, --time SECONDS  seconds to wait before SIGKILL\n"   \
    "  -a, --all           every container\n"                  \
    "      --running       with --all: only running containers\n"

int
cmd_restart(struct rl_globals *g, int argc, char **argv, rl_error_t *err)
{
    static const struct option opts[] = {
        { "time", required_argument, NULL, 't' },
        { "all", no_argument, NULL, 'a' },
        { "running", no_argument, NULL, 'r' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    struct stop_opts so = { .timeout = -1 };
    struct rl_ctx c = { 0 };
    bool all = false, running = false;
    int ch, r;

    opterr = 0;
    while ((ch = getopt_long(argc, argv, "t:ah", opts, NULL)) != -1) {
        switch (ch) {
        case 't':
            if (parse_seconds("restart", optarg, &so.timeout, err) < 0)
                return -1;
            break;
        case 'a':
            all = true;
            break;
        case 'r':
            running = true;
            break;
        case 'h':
            fputs(HELP_RESTART, stdout);
            return 0;
        default:
            return rl_cmd_bad_option("restart", argc, argv, err);
        }
    }
    if (need_args("restart", argc - optind, all, err) < 0 || rl_ctx_init(g, false, &c, err) < 0)
        return -1;
    if (running && !all)
        return rl_make_error(err, 0, "restart: --running goes with --all");
    r = for_each(&c, argc - optind, argv + optind,
                 !all      ? NAMED
                 : running ? RUNNING
                           : ALL,
                 restart_one, &so, err);
    rl_ctx_release(&c);
    return r;
}

int
cmd_rename(struct rl_globals *g, int argc, char **argv, rl_error_t *err)
{
    struct rl_ctx c = { 0 };
    cleanup_free char *id = NULL;
    int r;

    if (argc > 1 && rl_is_help(argv[1])) {
        printf("Usage: rl rename CONTAINER NEW_NAME\n\nGive a container another name.\n");
        return 0;
    }
    if (argc != 3)
        return rl_make_error(err, 0,
                             "rename: takes a container and its new name (see 'rl rename "
                             "--help')");
    if (rl_ctx_init(g, false, &c, err) < 0)
        return -1;
    r = lookup(&c, argv[1], &id, err);
    if (r == 0)
        r = rl_ctr_rename(c.store, id, argv[2], err);
    rl_ctx_release(&c);
    return r;
}

static int
prune_containers(struct rl_globals *g, int argc, char **argv, rl_error_t *err)
{
    static const struct option opts[] = {
        { "force", no_argument, NULL, 'f' },
        { "filter", required_argument, NULL, 'F' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    struct rl_ctx c = { 0 };
    cleanup_strv char **ids = NULL;
    bool force = false;
    int ch;

    opterr = 0;
    while ((ch = getopt_long(argc, argv, "fh", opts, NULL)) != -1) {
        switch (ch) {
        case 'f':
            force = true;
            break;
        case 'F':
            return rl_make_error(err, 0, "container prune: --filter is not supported");
        case 'h':
            printf("Usage: rl container prune [-f]\n\nRemove every container that is not "
                   "running.\n\n  -f, --force  do not ask for confirmation\n");
            return 0;
        default:
            return rl_cmd_bad_option("container prune", argc, argv, err);
        }
    }
    if (!force) {
        char answer[16] = "";
        fprintf(stderr, "WARNING! This will remove all non running containers.\nAre you sure "
                        "you want to continue? [y/N] ");
        fflush(stderr);
        if (fgets(answer, sizeof(answer), stdin) == NULL || (answer[0] != 'y' && answer[0] != 'Y'))
            return 0;
    }
    if (rl_ctx_init(g, true, &c, err) < 0 || rl_ctr_list(c.store, &ids, err) < 0) {
        rl_ctx_release(&c);
        return -1;
    }
    for (size_t i = 0; ids[i]; i++) {
        cleanup_json json_t *rec = NULL;
        cleanup_error rl_error_t tmp = NULL;
        if (rl_ctr_load_fresh(&c, ids[i], &rec, &tmp) < 0 || rl_ctr_is_running(rec))
            continue;
        if (rl_ctr_rm(&c, ids[i], false, false, &tmp) < 0) {
            rl_error_warn_and_release(&tmp);
            continue;
        }
        printf("%s\n", ids[i]);
    }
    rl_ctx_release(&c);
    return 0;
}

static int
container_exists(struct rl_globals *g, int argc, char **argv, rl_error_t *err)
{
    struct rl_ctx c = { 0 };
    cleanup_free char *id = NULL;
    cleanup_error rl_error_t tmp = NULL;

    if (argc == 2 && rl_is_help(argv[1])) {
        printf("Usage: rl container exists CONTAINER\n\nExit 0 when the container exists, 1 "
               "when not.\n");
        return 0;
    }
    if (argc != 2)
        return rl_make_error(err, 0, "container exists: takes one container name or ID");
    if (rl_ctx_init(g, false, &c, err) < 0)
        return -1;
    if (lookup(&c, argv[1], &id, &tmp) < 0)
        rl_exit_status = 1;
    rl_ctx_release(&c);
    return rl_exit_status;
}

/* ------------------------------------------------------------------ entry points */

int
cmd_inspect(struct rl_globals *g, int argc, char **argv, rl_error_t *err)
{
    return inspect_impl(g, argc, argv, false, err);
}

#define HELP_CONTAINER                                                            \
    "Usage: rl container COMMAND [ARGS...]\n\n"                                   \
    "Manage containers.\n\n"                                                      \
    "Commands:\n"                                                                 \
    "  create, run, start, stop, kill, restart, rm, ps (ls, list), wait, logs,\n" \
    "  inspect, exec, top, port, cp, export, rename, prune, exists\n"

static int
container_inspect(struct rl_globals *g, int argc, char **argv, rl_error_t *err)
{
    return inspect_impl(g, argc, argv, true, err);
}

int
cmd_container(struct rl_globals *g, int argc, char **argv, rl_error_t *err)
{
    static const struct rl_subcommand subs[] = {
        { "create", cmd_create },
        { "run", cmd_run },
        { "start", cmd_start },
        { "stop", cmd_stop },
        { "kill", cmd_kill },
        { "restart", cmd_restart },
        { "rm", cmd_rm },
        { "remove", cmd_rm },
        { "ps", cmd_ps },
        { "ls", cmd_ps },
        { "list", cmd_ps },
        { "wait", cmd_wait },
        { "logs", cmd_logs },
        { "exec", cmd_exec },
        { "rename", cmd_rename },
        { "port", cmd_port },
        { "prune", prune_containers },
        { "exists", container_exists },
        { "top", cmd_top },
        { "cp", cmd_cp },
        { "export", cmd_export },
        { "inspect", container_inspect },
        { NULL, NULL },
    };
    return rl_cmd_dispatch(g, "container", HELP_CONTAINER, subs, argc, argv, err);
}
