/* rl update and rl stats: a container's resource limits changed while it runs, and what its
 * cgroup says it uses. */
#include "config.h"

#include <getopt.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "cgroup.h"
#include "ctr.h"
#include "ctrstore.h"
#include "format.h"
#include "fs.h"
#include "json.h"
#include "opts.h"
#include "rl.h"

/* ------------------------------------------------------------------ update */

#define HELP_UPDATE                                                                           \
    "Usage: rl update [OPTIONS] CONTAINER\n\n"                                                \
    "Change the resource limits of a container: at once in its cgroup when it runs, and\n"    \
    "for its next starts.\n\n"                                                                \
    "Options:\n"                                                                              \
    "  -m, --memory SIZE            memory limit (256m, 1g; at least 6m)\n"                   \
    "      --memory-swap SIZE       memory plus swap (-1: unlimited swap)\n"                  \
    "      --memory-reservation SIZE  memory the container is protected down to\n"            \
    "      --cpus N                 CPUs (1.5: 150 ms of CPU time every 100 ms)\n"            \
    "  -c, --cpu-shares N           relative CPU weight (2 to 262144; 1024 is the default)\n" \
    "      --cpu-weight N           cgroup v2 CPU weight (1 to 10000)\n"                      \
    "      --cpu-period US, --cpu-quota US   CFS period and quota in microseconds\n"          \
    "      --cpuset-cpus LIST       CPUs the container may use (0-2,4)\n"                     \
    "      --cpuset-mems LIST       memory nodes the container may use\n"                     \
    "      --pids-limit N           most processes at once (-1 or 0: no limit)\n"             \
    "      --blkio-weight N         relative I/O weight (10 to 1000)\n"

int
cmd_update(struct rl_globals *g, int argc, char **argv, rl_error_t *err)
{
    static const struct option opts[] = {
        { "memory", required_argument, NULL, 'm' },
        { "memory-swap", required_argument, NULL, 1 },
        { "memory-reservation", required_argument, NULL, 2 },
        { "cpus", required_argument, NULL, 3 },
        { "cpu-shares", required_argument, NULL, 'c' },
        { "cpu-weight", required_argument, NULL, 4 },
        { "cpu-period", required_argument, NULL, 5 },
        { "cpu-quota", required_argument, NULL, 6 },
        { "cpuset-cpus", required_argument, NULL, 7 },
        { "cpuset-mems", required_argument, NULL, 8 },
        { "pids-limit", required_argument, NULL, 9 },
        { "blkio-weight", required_argument, NULL, 10 },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    cleanup_json json_t *changes = json_object();
    cleanup_json json_t *rec = NULL;
    cleanup_free char *id = NULL;
    struct rl_ctx c = { 0 };
    int ch, lock = -1, ret = -1;

    opterr = 0;
    while ((ch = getopt_long(argc, argv, "+m:c:h", opts, NULL)) != -1) {
        const char *name = NULL;
        if (ch == 'h') {
            fputs(HELP_UPDATE, stdout);
            return 0;
        }
        for (const struct option *o = opts; o->name; o++)
            if (o->val == ch)
                name = o->name;
        if (!name || ch == '?' || ch == ':')
            return rl_cmd_bad_option("update", argc, argv, err);
        if (rl_parse_resource(changes, name, optarg, err) < 0)
            return -1;
    }
    if (argc - optind != 1)
        return rl_make_error(err, 0, "update: takes one container (see 'rl update --help')");
    if (json_object_size(changes) == 0)
        return rl_make_error(err, 0, "update: no limit to change (see 'rl update --help')");
    if (rl_ctx_init(g, false, &c, err) < 0)
        return -1;
    if (rl_ctr_lookup(c.store, argv[optind], &id, err) < 0)
        goto out;
    lock = rl_ctr_lock(c.store, id, LOCK_EX, err);
    if (lock < 0 || rl_ctr_load_fresh(&c, id, &rec, err) < 0)
        goto out;
    {
        json_t *rl = json_object_get(rec, "rl");
        json_t *res = json_object_get(rl, "Resources");
        json_t *merged = json_is_object(res) ? json_deep_copy(res) : json_object();
        const char *mode = json_string_value(json_object_get(rl, "Cgroups"));
        const char *path = json_string_value(json_object_get(rl, "CgroupPath"));

        json_object_update(merged, changes);
        /* --cpus replaces a quota and the other way round; shares and weight likewise. */
        if (json_object_get(changes, "NanoCpus")) {
            json_object_del(merged, "CpuQuota");
            json_object_del(merged, "CpuPeriod");
        } else if (json_object_get(changes, "CpuQuota") || json_object_get(changes, "CpuPeriod")) {
            json_object_del(merged, "NanoCpus");
        }
        if (json_object_get(changes, "CpuShares"))
            json_object_del(merged, "CpuWeight");
        else if (json_object_get(changes, "CpuWeight"))
            json_object_del(merged, "CpuShares");
        if (rl_resources_check(merged, err) < 0) {
            json_decref(merged);
            goto out;
        }
        if (mode && strcmp(mode, "disabled") == 0) {
            json_decref(merged);
            rl_make_error(err, 0,
                          "update: container %s runs without a cgroup (--cgroups=disabled): its "
                          "limits cannot be changed",
                          json_string_value(json_object_get(rec, "Name")));
            goto out;
        }
        if (rl_ctr_is_running(rec)) {
            struct rl_cgroup_limits lim;
            int r;
            if (!path) {
                /* Started without a cgroup: say why a limit cannot be enforced now. */
                struct rl_cgroup_base base = { 0 };
                json_decref(merged);
                if (rl_ctr_cgroup_base(true, &base, err) < 0) {
                    rl_error_wrap(err, "update");
                } else {
                    rl_cgroup_base_release(&base);
                    rl_make_error(err, 0,
                                  "update: container %s was started without a cgroup: restart "
                                  "it to apply limits",
                                  json_string_value(json_object_get(rec, "Name")));
                }
                goto out;
            }
            rl_ctr_limits_of(changes, &lim);
            r = rl_cgroup_update(path, &lim, err);
            rl_cgroup_limits_release(&lim);
            if (r < 0) {
                json_decref(merged);
                rl_error_wrap(err, "update");
                goto out;
            }
        }
        json_object_set_new(rl, "Resources", merged);
        rl_ctr_resources_hostconfig(rec);
        if (rl_ctr_save(c.store, id, rec, err) < 0)
            goto out;
    }
    printf("%s\n", id);
    ret = 0;
out:
    if (lock >= 0)
        close(lock);
    rl_ctx_release(&c);
    return ret;
}

/* ------------------------------------------------------------------ stats */

#define HELP_STATS                                                                               \
    "Usage: rl stats [OPTIONS] [CONTAINER...]\n\n"                                               \
    "Show the resource use of running containers from their cgroups: CPU, memory,\n"             \
    "network and block I/O, processes. Without a name, every running container; it\n"            \
    "refreshes every second until interrupted, unless --no-stream.\n\n"                          \
    "Options:\n"                                                                                 \
    "  -a, --all              every container (those not running show no use)\n"                 \
    "      --no-stream        print once and exit\n"                                             \
    "      --no-reset         do not clear the screen between refreshes\n"                       \
    "  -i, --interval SECS    seconds between refreshes (default 1)\n"                           \
    "      --format FORMAT    json, table (default) or a Go template ({{.ID}} {{.Name}}\n"       \
    "                         {{.CPUPerc}} {{.MemUsage}} {{.MemPerc}} {{.NetIO}} {{.BlockIO}}\n" \
    "                         {{.PIDs}} {{.CPUTime}} {{.AVGCPU}})\n"

struct sample {
    char *id;
    char *name;
    char *cgroup;
    pid_t pid;
    time_t started;
    bool running;
    struct rl_cgroup_stats st;
    uint64_t net_rx, net_tx;
    struct timespec at;
};

static void
sample_release(struct sample *s)
{
    free(s->id);
    free(s->name);
    free(s->cgroup);
}

/* The container's interfaces' bytes, loopback aside, from /proc/PID/net/dev. */
static void
net_bytes(pid_t pid, uint64_t *rx, uint64_t *tx)
{
    cleanup_free char *path = xasprintf("/proc/%d/net/dev", (int)pid);
    cleanup_free char *text = NULL;
    cleanup_error rl_error_t tmp = NULL;
    char *save = NULL;

    *rx = *tx = 0;
    if (pid <= 0 || rl_read_file(path, 1 << 20, &text, NULL, &tmp) < 0)
        return;
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char *colon = strchr(line, ':');
        char ifname[64];
        unsigned long long v[16] = { 0 };
        if (!colon || sscanf(line, " %63[^:]", ifname) != 1 || strcmp(ifname, "lo") == 0)
            continue;
        if (sscanf(colon + 1, "%llu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2],
                   &v[3], &v[4], &v[5], &v[6], &v[7], &v[8])
            == 9) {
            *rx += v[0];
            *tx += v[8];
        }
    }
}

static int
take_sample(struct rl_ctx *c, const char *id, struct sample *s, rl_error_t *err)
{
    cleanup_json json_t *rec = NULL;
    json_t *st;
    const char *path;

    memset(s, 0, sizeof(*s));
    if (rl_ctr_load_fresh(c, id, &rec, err) < 0)
        return -1;
    st = json_object_get(rec, "State");
    s->id = xstrdup(id);
    s->name = xstrdup(json_string_value(json_object_get(rec, "Name")) ?: "");
    s->running = rl_ctr_is_running(rec);
    s->pid = (pid_t)json_integer_value(json_object_get(st, "Pid"));
    s->started = rl_parse_rfc3339(json_string_value(json_object_get(st, "StartedAt")));
    clock_gettime(CLOCK_MONOTONIC, &s->at);
    if (!s->running)
        return 0;
    path = json_string_value(json_object_get(json_object_get(rec, "rl"), "CgroupPath"));
    if (!path)
        return rl_make_error(err, 0,
                             "stats: container %s has no cgroup: it was started without a "
                             "delegated cgroup v2 subtree (see rl info and rl doctor)",
                             s->name);
    s->cgroup = xstrdup(path);
    if (rl_cgroup_stats(path, &s->st, err) < 0)
        return rl_error_wrap(err, "stats: container %s", s->name);
    net_bytes(s->pid, &s->net_rx, &s->net_tx);
    return 0;
}

static double
seconds_between(const struct timespec *a, const struct timespec *b)
{
    return (double)(b->tv_sec - a->tv_sec) + (double)(b->tv_nsec - a->tv_nsec) / 1e9;
}

static char *
pair_text(uint64_t a, uint64_t b)
{
    char x[32], y[32];
    rl_human_size((int64_t)a, x, sizeof(x));
    rl_human_size((int64_t)b, y, sizeof(y));
    return xasprintf("%s / %s", x, y);
}

/* A row as podman's stats shows it; PREV (may be NULL) gives the CPU % over the interval. */
static json_t *
stats_row(const struct sample *s, const struct sample *prev)
{
    double cpu = 0, avg = 0, mem = 0;
    uint64_t limit = s->st.memory_max;
    cleanup_free char *memtext = NULL;
    cleanup_free char *net = pair_text(s->net_rx, s->net_tx);
    cleanup_free char *blk = pair_text(s->st.io_read_bytes, s->st.io_write_bytes);
    char cpup[32], memp[32], avgp[32], cputime[32], short_id[13];
    time_t now = time(NULL);

    if (limit == UINT64_MAX || limit == 0) {
        long pages = sysconf(_SC_PHYS_PAGES), psize = sysconf(_SC_PAGESIZE);
        limit = pages > 0 && psize > 0 ? (uint64_t)pages * (uint64_t)psize : 0;
    }
    if (prev && prev->running && s->running) {
        double dt = seconds_between(&prev->at, &s->at);
        if (dt > 0 && s->st.cpu_usage_usec >= prev->st.cpu_usage_usec)
            cpu = (double)(s->st.cpu_usage_usec - prev->st.cpu_usage_usec) / 1e6 / dt * 100;
    }
    if (s->running && s->started > 0 && now > s->started)
        avg = (double)s->st.cpu_usage_usec / 1e6 / (double)(now - s->started) * 100;
    if (limit > 0)
        mem = (double)s->st.memory_current / (double)limit * 100;
    memtext = pair_text(s->st.memory_current, limit);
    snprintf(cpup, sizeof(cpup), "%.2f%%", cpu);
    snprintf(avgp, sizeof(avgp), "%.2f%%", avg);
    snprintf(memp, sizeof(memp), "%.2f%%", mem);
    snprintf(cputime, sizeof(cputime), "%.3fs", (double)s->st.cpu_usage_usec / 1e6);
    snprintf(short_id, sizeof(short_id), "%.12s", s->id);
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:s, s:s, s:f, s:I, s:I, "
                     "s:I, s:I}",
                     "ID", short_id, "Id", s->id, "Name", s->name, "CPUPerc", cpup, "MemUsage",
                     memtext, "MemPerc", memp, "NetIO", net, "BlockIO", blk, "PIDs",
                     (json_int_t)s->st.pids_current, "CPUTime", cputime, "AVGCPU", avgp, "CPU", cpu,
                     "MemUsageBytes", (json_int_t)s->st.memory_current, "MemLimit",
                     (json_int_t)limit, "CPUNano", (json_int_t)(s->st.cpu_usage_usec * 1000),
                     "SystemNano", (json_int_t)0);
}

/* podman's stats --format json entry. */
static json_t *
stats_json(json_t *row)
{
    return json_pack("{s:O, s:O, s:O, s:O, s:O, s:O, s:O, s:O, s:O, s:s}", "id",
                     json_object_get(row, "Id"), "name", json_object_get(row, "Name"), "cpu_time",
                     json_object_get(row, "CPUTime"), "cpu_percent",
                     json_object_get(row, "CPUPerc"), "avg_cpu", json_object_get(row, "AVGCPU"),
                     "mem_usage", json_object_get(row, "MemUsage"), "mem_percent",
                     json_object_get(row, "MemPerc"), "net_io", json_object_get(row, "NetIO"),
                     "block_io", json_object_get(row, "BlockIO"), "pids",
                     json_string_value(json_object_get(row, "PIDsText")));
}

static const char *const stats_headers[][2] = {
    { "ID", "ID" },
    { "Name", "NAME" },
    { "CPUPerc", "CPU %" },
    { "MemUsage", "MEM USAGE / LIMIT" },
    { "MemPerc", "MEM %" },
    { "NetIO", "NET IO" },
    { "BlockIO", "BLOCK IO" },
    { "PIDs", "PIDS" },
    { "CPUTime", "CPU TIME" },
    { "AVGCPU", "AVG CPU %" },
    { NULL, NULL },
};

static int
print_stats(json_t *rows, const char *format, struct rl_template *t, FILE *out, rl_error_t *err)
{
    size_t i;
    json_t *row;

    if (format && strcmp(format, "json") == 0) {
        json_t *list = json_array();
        json_array_foreach (rows, i, row)
            json_array_append_new(list, stats_json(row));
        (void)json_dumpf(list, out, JSON_INDENT(4));
        fputc('\n', out);
        json_decref(list);
        return 0;
    }
    if (t) {
        if (rl_template_is_table(t))
            rl_template_header_names(t, stats_headers, out);
        json_array_foreach (rows, i, row)
            if (rl_template_render(t, row, out, err) < 0)
                return -1;
        return 0;
    }
    {
        struct rl_table *tab = rl_table_new(10);
        const char *head[10];
        for (size_t k = 0; k < 10; k++)
            head[k] = stats_headers[k][1];
        rl_table_add(tab, head);
        json_array_foreach (rows, i, row) {
            const char *cells[10];
            for (size_t k = 0; k < 10; k++)
                cells[k] = k == 7 ? json_string_value(json_object_get(row, "PIDsText"))
                                  : json_string_value(json_object_get(row, stats_headers[k][0]));
            rl_table_add(tab, cells);
        }
        rl_table_print(tab, out);
        rl_table_free(tab);
    }
    return 0;
}

int
cmd_stats(struct rl_globals *g, int argc, char **argv, rl_error_t *err)
{
    static const struct option opts[] = {
        { "all", no_argument, NULL, 'a' },        { "no-stream", no_argument, NULL, 1 },
        { "no-reset", no_argument, NULL, 2 },     { "interval", required_argument, NULL, 'i' },
        { "format", required_argument, NULL, 3 }, { "latest", no_argument, NULL, 'l' },
        { "help", no_argument, NULL, 'h' },       { NULL, 0, NULL, 0 },
    };
    bool all = false, stream = true, reset = true, latest = false;
    const char *format = NULL;
    struct rl_template *t = NULL;
    struct rl_ctx c = { 0 };
    cleanup_strv char **ids = NULL;
    struct sample *prev = NULL;
    size_t n = 0;
    long long interval = 1;
    int ch, ret = -1;

    opterr = 0;
    while ((ch = getopt_long(argc, argv, "+ai:lh", opts, NULL)) != -1) {
        switch (ch) {
        case 'a':
            all = true;
            break;
        case 1:
            stream = false;
            break;
        case 2:
            reset = false;
            break;
        case 'i':
            if (!rl_parse_ll(optarg, 1, 3600, &interval))
                return rl_make_error(err, 0, "stats: --interval: '%s' is not a number of seconds",
                                     optarg);
            break;
        case 3:
            format = optarg;
            break;
        case 'l':
            latest = true;
            break;
        case 'h':
            fputs(HELP_STATS, stdout);
            return 0;
        default:
            return rl_cmd_bad_option("stats", argc, argv, err);
        }
    }
    if (format && strcmp(format, "json") != 0 && strcmp(format, "table") != 0
        && rl_template_parse(format, &t, err) < 0)
        return -1;
    if (rl_ctx_init(g, false, &c, err) < 0)
        goto out;
    if (optind < argc) {
        for (int i = optind; i < argc; i++) {
            cleanup_free char *id = NULL;
            if (rl_ctr_lookup(c.store, argv[i], &id, err) < 0)
                goto out;
            rl_strv_push(&ids, id);
        }
    } else {
        cleanup_strv char **every = NULL;
        if (rl_ctr_list(c.store, &every, err) < 0)
            goto out;
        for (size_t i = 0; every && every[i]; i++) {
            cleanup_json json_t *rec = NULL;
            cleanup_error rl_error_t tmp = NULL;
            if (latest && every[i + 1])
                continue;
            if (!all && !latest
                && (rl_ctr_load_fresh(&c, every[i], &rec, &tmp) < 0 || !rl_ctr_is_running(rec)))
                continue;
            rl_strv_push(&ids, every[i]);
        }
    }
    n = rl_strv_len(ids);
    prev = xzalloc((n ? n : 1) * sizeof(*prev));
    for (size_t i = 0; i < n; i++)
        if (take_sample(&c, ids[i], &prev[i], err) < 0)
            goto out;
    /* The CPU % is the use over an interval: without a stream, a short one. */
    for (bool first = true;; first = false) {
        cleanup_json json_t *rows = json_array();
        struct timespec pause = { 0, 200 * 1000 * 1000 };
        if (stream && !first)
            pause = (struct timespec){ (time_t)interval, 0 };
        if (n)
            nanosleep(&pause, NULL);
        for (size_t i = 0; i < n; i++) {
            struct sample cur;
            json_t *row;
            char pids[32];
            if (take_sample(&c, ids[i], &cur, err) < 0) {
                sample_release(&cur);
                goto out;
            }
            row = stats_row(&cur, &prev[i]);
            snprintf(pids, sizeof(pids), "%llu", (unsigned long long)cur.st.pids_current);
            json_object_set_new(row, "PIDsText", json_string(cur.running ? pids : "--"));
            json_array_append_new(rows, row);
            sample_release(&prev[i]);
            prev[i] = cur;
        }
        if (stream && reset && isatty(STDOUT_FILENO))
            fputs("\033[2J\033[H", stdout);
        if (print_stats(rows, format, t, stdout, err) < 0)
            goto out;
        fflush(stdout);
        if (!stream)
            break;
    }
    ret = 0;
out:
    for (size_t i = 0; prev && i < n; i++)
        sample_release(&prev[i]);
    free(prev);
    rl_template_free(t);
    rl_ctx_release(&c);
    return ret;
}
