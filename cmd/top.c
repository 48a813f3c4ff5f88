#include "config.h"

#include <grp.h>
#include <inttypes.h>
#include <pwd.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "fs.h"
#include "top.h"

#define MAX_DESCRIPTORS 64
/* /proc/PID/cmdline is as long as the arguments and the environment may be (ARG_MAX). */
#define MAX_PROC_FILE (8 * 1024 * 1024)
/* podman prints through text/tabwriter with minwidth 12 and padding 2. */
#define MIN_WIDTH 12
#define PADDING   2
/* psgo's FullCAPs: capabilities 0 to 40 (CAP_CHECKPOINT_RESTORE) show as "full". */
#define FULL_CAPS UINT64_C(0x1FFFFFFFFFF)

/* One process, read from the host's /proc. Ids are the host's as /proc shows them to rl. */
struct proc {
    pid_t hpid;
    char *status;  /* /proc/PID/status, whole */
    char *comm;    /* from /proc/PID/stat */
    char state[2]; /* State: letter */
    unsigned long long tty_nr, utime, stime, starttime, vsize;
    long long nice;
    long long ns_pid, ns_ppid, ns_pgid;
    char *args;              /* /proc/PID/cmdline, arguments joined by spaces */
    char *label;             /* /proc/PID/attr/current, or "?" */
    char *uid_map, *gid_map; /* NULL in rl's own user namespace: the ids are the same */
};

struct top_ctx {
    const char *passwd, *group;
    long long ticks;
    long long boot_time; /* seconds since the epoch (/proc/stat btime) */
    struct timespec now; /* CLOCK_REALTIME */
    char overflow_uid[24], overflow_gid[24];
};

typedef char *(*cell_fn)(const struct proc *p, const struct top_ctx *c);

struct descriptor {
    const char *code;   /* "%C"; NULL when psgo has none */
    const char *normal; /* "pcpu" */
    const char *header; /* "%CPU" */
    cell_fn fn;
};

static void
proc_release(struct proc *p)
{
    free(p->status);
    free(p->comm);
    free(p->args);
    free(p->label);
    free(p->uid_map);
    free(p->gid_map);
}

/* ------------------------------------------------------------------ /proc */

/* The value of "KEY:" in a status text, without the blanks before it; NULL when absent. */
static char *
status_get(const char *status, const char *key)
{
    size_t klen = strlen(key);

    for (const char *line = status; line && *line;) {
        const char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) : strlen(line);

        if (len > klen && strncmp(line, key, klen) == 0 && line[klen] == ':') {
            const char *v = line + klen + 1;

            while (*v == ' ' || *v == '\t')
                v++;
            return xstrndup(v, (size_t)(line + len - v));
        }
        line = end ? end + 1 : NULL;
    }
    return NULL;
}

/* The next of a list of numbers separated by blanks, from *P; false at its end. */
static bool
next_number(const char **p, long long *ret)
{
    char *end;
    long long v;

    while (**p == ' ' || **p == '\t')
        (*p)++;
    v = strtoll(*p, &end, 10);
    if (end == *p)
        return false;
    *p = end;
    *ret = v;
    return true;
}

static size_t
list_count(const char *list)
{
    size_t n = 0;
    long long v;

    while (list && next_number(&list, &v))
        n++;
    return n;
}

/* Number I (0-based; < 0 counts from the end) of a list; false when there is none. */
static bool
list_get(const char *list, long long i, long long *ret)
{
    long long v;

    if (i < 0)
        i += (long long)list_count(list);
    for (long long j = 0; i >= 0 && list && next_number(&list, &v); j++) {
        if (j == i) {
            *ret = v;
            return true;
        }
    }
    return false;
}

/* Number I of the "KEY:" line of a status text; -1 when there is none. */
static long long
status_number(const char *status, const char *key, long long i)
{
    cleanup_free char *v = status_get(status, key);
    long long r;

    return v && list_get(v, i, &r) ? r : -1;
}

static size_t
status_count(const char *status, const char *key)
{
    cleanup_free char *v = status_get(status, key);

    return list_count(v);
}

/* Read /proc/PID/NAME whole. Returns 1 when the process is gone (ENOENT, ESRCH). */
static int
read_proc(pid_t pid, const char *name, char **ret, size_t *ret_len, rl_error_t *err)
{
    char path[64];
    rl_error_t tmp = NULL;

    snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, name);
    if (rl_read_file(path, MAX_PROC_FILE, ret, ret_len, &tmp) == 0)
        return 0;
    if (tmp->status == ENOENT || tmp->status == ESRCH) {
        rl_error_release(&tmp);
        return 1;
    }
    *err = tmp;
    return -1;
}

/* /proc/PID/stat: comm sits in parentheses and may hold anything, so the fields are counted
 * from the last ')'. */
static bool
parse_stat(const char *stat, struct proc *p)
{
    const char *open = strchr(stat, '('), *close = strrchr(stat, ')');
    unsigned long long f[24] = { 0 };
    char state;
    long long nice = 0;
    int n;

    if (open == NULL || close == NULL || close < open)
        return false;
    /* fields 3 (state) to 23 (vsize) of proc(5) */
    n = sscanf(
        close + 1,
        " %c %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %lld "
        "%llu %llu %llu %llu",
        &state, &f[4], &f[5], &f[6], &f[7], &f[8], &f[9], &f[10], &f[11], &f[12], &f[13], &f[14],
        &f[15], &f[16], &f[17], &f[18], &nice, &f[20], &f[21], &f[22], &f[23]);
    if (n != 21)
        return false;
    p->comm = xstrndup(open + 1, (size_t)(close - open - 1));
    p->tty_nr = f[7];
    p->utime = f[14];
    p->stime = f[15];
    p->nice = nice;
    p->starttime = f[22];
    p->vsize = f[23];
    return true;
}

/* The parent's pid inside the child's pid namespace: the last of its NSpid when it is as
 * deep as the child's (a pid namespace's processes only have parents in it or above it, so
 * the same depth means the same namespace), else 0, as for the container's init. */
static long long
ns_ppid(const struct proc *p, size_t depth)
{
    cleanup_free char *status = NULL;
    long long ppid = status_number(p->status, "PPid", 0);
    rl_error_t tmp = NULL;
    long long v;

    if (ppid <= 0 || read_proc((pid_t)ppid, "status", &status, NULL, &tmp) != 0) {
        rl_error_release(&tmp);
        return 0;
    }
    v = status_number(status, "NSpid", -1);
    return status_count(status, "NSpid") == depth && v >= 0 ? v : 0;
}

static bool
same_user_namespace(pid_t pid)
{
    struct stat self, other;
    char path[64];

    snprintf(path, sizeof(path), "/proc/%d/ns/user", (int)pid);
    return stat("/proc/self/ns/user", &self) == 0 && stat(path, &other) == 0
           && self.st_dev == other.st_dev && self.st_ino == other.st_ino;
}

/* Read process P->hpid. Returns 1 when it is gone. */
static int
proc_load(struct proc *p, bool want_label, rl_error_t *err)
{
    cleanup_free char *stat = NULL;
    cleanup_free char *cmdline = NULL;
    cleanup_free char *state = NULL;
    size_t len = 0;
    int r;

    if ((r = read_proc(p->hpid, "stat", &stat, NULL, err)) != 0
        || (r = read_proc(p->hpid, "status", &p->status, NULL, err)) != 0
        || (r = read_proc(p->hpid, "cmdline", &cmdline, &len, err)) != 0
        || (r = read_proc(p->hpid, "uid_map", &p->uid_map, NULL, err)) != 0
        || (r = read_proc(p->hpid, "gid_map", &p->gid_map, NULL, err)) != 0)
        return r;
    /* Seen from inside its own user namespace, uid_map's second column is in the parent's:
     * it cannot translate the ids of /proc/PID/status, which are already the right ones. */
    if (same_user_namespace(p->hpid)) {
        free(steal_pointer(&p->uid_map));
        free(steal_pointer(&p->gid_map));
    }
    if (!parse_stat(stat, p))
        return rl_make_error(err, 0, "/proc/%d/stat: unexpected contents", (int)p->hpid);
    state = status_get(p->status, "State");
    p->state[0] = state && state[0] ? state[0] : '?';
    p->ns_pid = status_number(p->status, "NSpid", -1);
    if (p->ns_pid < 0) /* no NSpid before Linux 4.1: no pid namespaces to see through */
        p->ns_pid = p->hpid;
    p->ns_pgid = status_number(p->status, "NSpgid", -1);
    p->ns_ppid = ns_ppid(p, status_count(p->status, "NSpid"));
    /* psgo splits at every NUL, the last one included, and joins with spaces; rl leaves out
     * the trailing space that gives. */
    while (len > 0 && cmdline[len - 1] == '\0')
        len--;
    for (size_t i = 0; i < len; i++)
        if (cmdline[i] == '\0')
            cmdline[i] = ' ';
    p->args = xstrndup(cmdline, len);
    if (want_label) {
        rl_error_t tmp = NULL;

        if (read_proc(p->hpid, "attr/current", &p->label, NULL, &tmp) != 0) {
            rl_error_release(&tmp);
            p->label = xstrdup("?");
        }
        p->label[strcspn(p->label, "\n")] = '\0';
    }
    return 0;
}

/* ------------------------------------------------------------------ ids and names */

/* The container's id for host id ID through a uid_map or gid_map text (as /proc shows it to
 * rl: the second column is in rl's user namespace; NULL: the same ids); OVERFLOW when it is
 * not mapped. */
static char *
map_id(const char *map, long long id, const char *overflow)
{
    const char *line = map;

    if (map == NULL)
        return xasprintf("%lld", id);
    while (line && *line) {
        unsigned long long inside, outside, count;

        if (sscanf(line, "%llu %llu %llu", &inside, &outside, &count) == 3 && id >= 0
            && (unsigned long long)id >= outside && (unsigned long long)id - outside < count)
            return xasprintf("%llu", inside + ((unsigned long long)id - outside));
        line = strchr(line, '\n');
        if (line)
            line++;
    }
    return xstrdup(overflow);
}

/* The name of ID (decimal) in an /etc/passwd or /etc/group TEXT (the third field is the id);
 * the number itself when TEXT is NULL or has no such entry. */
static char *
name_of(const char *text, const char *id)
{
    size_t idlen = strlen(id);

    for (const char *line = text; line && *line;) {
        const char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) : strlen(line);
        const char *c1 = memchr(line, ':', len);
        const char *c2 = c1 ? memchr(c1 + 1, ':', (size_t)(line + len - c1 - 1)) : NULL;

        if (c2 && c1 > line && line[0] != '#') {
            const char *num = c2 + 1;
            size_t nlen = strcspn(num, ":\n");

            if (num + nlen <= line + len && nlen == idlen && strncmp(num, id, idlen) == 0)
                return xstrndup(line, (size_t)(c1 - line));
        }
        line = end ? end + 1 : NULL;
    }
    return xstrdup(id);
}

/* Field I of the "Uid:" or "Gid:" line (real, effective, saved, filesystem), in the
 * container. */
static char *
container_id(const struct proc *p, bool gid, int i, const struct top_ctx *c)
{
    long long host = status_number(p->status, gid ? "Gid" : "Uid", i);

    return map_id(gid ? p->gid_map : p->uid_map, host, gid ? c->overflow_gid : c->overflow_uid);
}

static char *
user_name(const struct proc *p, int i, const struct top_ctx *c)
{
    cleanup_free char *id = container_id(p, false, i, c);

    return name_of(c->passwd, id);
}

static char *
group_name(const struct proc *p, int i, const struct top_ctx *c)
{
    cleanup_free char *id = container_id(p, true, i, c);

    return name_of(c->group, id);
}

/* ------------------------------------------------------------------ times */

char *
rl_top_duration(uint64_t ns)
{
    char frac[16] = "";
    uint64_t unit;
    int prec;

    if (ns == 0)
        return xstrdup("0s");
    if (ns < 1000)
        return xasprintf("%" PRIu64 "ns", ns);
    prec = ns < 1000000 ? 3 : ns < 1000000000 ? 6 : 9;
    unit = prec == 3 ? 1000 : prec == 6 ? 1000000 : 1000000000;
    if (ns % unit) {
        int len;

        snprintf(frac, sizeof(frac), ".%0*" PRIu64, prec, ns % unit);
        len = (int)strlen(frac);
        while (frac[len - 1] == '0')
            frac[--len] = '\0';
    }
    if (prec == 3)
        return xasprintf("%" PRIu64 "%s\xc2\xb5s", ns / unit, frac);
    if (prec == 6)
        return xasprintf("%" PRIu64 "%sms", ns / unit, frac);
    ns /= unit; /* whole seconds */
    if (ns >= 3600)
        return xasprintf("%" PRIu64 "h%" PRIu64 "m%" PRIu64 "%ss", ns / 3600, ns / 60 % 60, ns % 60,
                         frac);
    if (ns >= 60)
        return xasprintf("%" PRIu64 "m%" PRIu64 "%ss", ns / 60, ns % 60, frac);
    return xasprintf("%" PRIu64 "%ss", ns, frac);
}

/* The start, as psgo has it: boot time plus whole seconds of starttime. */
static long long
start_time(const struct proc *p, const struct top_ctx *c)
{
    return c->boot_time + (long long)(p->starttime / (unsigned long long)c->ticks);
}

static uint64_t
elapsed_ns(const struct proc *p, const struct top_ctx *c)
{
    long long now = (long long)c->now.tv_sec * 1000000000LL + c->now.tv_nsec;
    long long start = start_time(p, c) * 1000000000LL;

    return now > start ? (uint64_t)(now - start) : 0;
}

/* CPU time in whole seconds, as psgo has it. */
static uint64_t
cpu_seconds(const struct proc *p, const struct top_ctx *c)
{
    return (p->utime + p->stime) / (unsigned long long)c->ticks;
}

/* ------------------------------------------------------------------ cells */

static char *
cell_pcpu(const struct proc *p, const struct top_ctx *c)
{
    double elapsed = (double)elapsed_ns(p, c) / 1e9;

    return xasprintf("%.3f", 100.0 * (double)cpu_seconds(p, c) / elapsed);
}

static char *
cell_group(const struct proc *p, const struct top_ctx *c)
{
    return group_name(p, 1, c);
}

static char *
cell_rgroup(const struct proc *p, const struct top_ctx *c)
{
    return group_name(p, 0, c);
}

static char *
cell_user(const struct proc *p, const struct top_ctx *c)
{
    return user_name(p, 1, c);
}

static char *
cell_ruser(const struct proc *p, const struct top_ctx *c)
{
    return user_name(p, 0, c);
}

static char *
cell_uid(const struct proc *p, const struct top_ctx *c)
{
    return container_id(p, false, 1, c);
}

static char *
host_group_name(long long gid)
{
    struct group *gr = gid >= 0 ? getgrgid((gid_t)gid) : NULL;

    return gr ? xstrdup(gr->gr_name) : xasprintf("%lld", gid);
}

/* The supplementary groups by name, separated by commas: the container's, or the host's. */
static char *
groups_cell(const struct proc *p, bool host, const struct top_ctx *c)
{
    cleanup_free char *list = status_get(p->status, "Groups");
    const char *l = list ? list : "";
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    long long g;

    if (f == NULL)
        rl_oom();
    for (bool first = true; next_number(&l, &g); first = false) {
        cleanup_free char *id = host ? NULL : map_id(p->gid_map, g, c->overflow_gid);
        cleanup_free char *name = host ? host_group_name(g) : name_of(c->group, id);

        fprintf(f, "%s%s", first ? "" : ",", name);
    }
    if (fclose(f) != 0)
        rl_oom();
    return out;
}

static char *
cell_groups(const struct proc *p, const struct top_ctx *c)
{
    return groups_cell(p, false, c);
}

static char *
cell_ppid(const struct proc *p, const struct top_ctx *c RL_UNUSED)
{
    return xasprintf("%lld", p->ns_ppid);
}

static char *
cell_pid(const struct proc *p, const struct top_ctx *c RL_UNUSED)
{
    return xasprintf("%lld", p->ns_pid);
}

static char *
cell_pgid(const struct proc *p, const struct top_ctx *c RL_UNUSED)
{
    return xasprintf("%lld", p->ns_pgid < 0 ? 0 : p->ns_pgid);
}

/* ps(1) shows "[name]" for a process without arguments, such as a zombie. */
static char *
cell_args(const struct proc *p, const struct top_ctx *c RL_UNUSED)
{
    cleanup_free char *name = NULL;

    if (p->args[0] != '\0')
        return xstrdup(p->args);
    name = status_get(p->status, "Name");
    return xasprintf("[%s]", name ? name : p->comm);
}

static char *
cell_comm(const struct proc *p, const struct top_ctx *c RL_UNUSED)
{
    return xstrdup(p->comm);
}

static char *
cell_nice(const struct proc *p, const struct top_ctx *c RL_UNUSED)
{
    return xasprintf("%lld", p->nice);
}

static char *
cell_etime(const struct proc *p, const struct top_ctx *c)
{
    return rl_top_duration(elapsed_ns(p, c));
}

static char *
cell_time(const struct proc *p, const struct top_ctx *c)
{
    return rl_top_duration(cpu_seconds(p, c) * 1000000000);
}

/* Go's time.Time.String() of the start in local time: "2024-05-19 20:58:03 +0200 CEST". */
static char *
cell_stime(const struct proc *p, const struct top_ctx *c)
{
    time_t t = (time_t)start_time(p, c);
    struct tm tm;
    char buf[64];

    if (localtime_r(&t, &tm) == NULL
        || strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S %z %Z", &tm) == 0)
        return xasprintf("%lld", (long long)t);
    return xstrdup(buf);
}

/* psgo names the tty after the container's /dev/tty* and /dev/pts/N: the pseudo-terminals
 * (majors 136 to 143) and /dev/tty (5, 0) are what a container has; anything else is "?". */
static char *
cell_tty(const struct proc *p, const struct top_ctx *c RL_UNUSED)
{
    unsigned long long major = (p->tty_nr >> 8) & 0xfff;
    unsigned long long minor = (p->tty_nr & 0xff) | ((p->tty_nr >> 12) & 0xfff00);

    if (major >= 136 && major <= 143)
        return xasprintf("pts/%llu", (major - 136) * 256 + minor);
    if (major == 5 && minor == 0)
        return xstrdup("tty");
    return xstrdup("?");
}

static char *
cell_vsz(const struct proc *p, const struct top_ctx *c RL_UNUSED)
{
    return xasprintf("%llu", p->vsize / 1024);
}

/* VmRSS in KiB; kernel threads have none. */
static char *
cell_rss(const struct proc *p, const struct top_ctx *c RL_UNUSED)
{
    cleanup_free char *v = status_get(p->status, "VmRSS");
    long long kib;

    if (v == NULL || !list_get(v, 0, &kib))
        return xstrdup("0");
    return xasprintf("%lld", kib);
}

static char *
cell_state(const struct proc *p, const struct top_ctx *c RL_UNUSED)
{
    return xstrdup(p->state);
}

/* psgo's capability names (no CAP_ prefix), by number. */
static const char *const cap_names[] = {
    "CHOWN",
    "DAC_OVERRIDE",
    "DAC_READ_SEARCH",
    "FOWNER",
    "FSETID",
    "KILL",
    "SETGID",
    "SETUID",
    "SETPCAP",
    "LINUX_IMMUTABLE",
    "NET_BIND_SERVICE",
    "NET_BROADCAST",
    "NET_ADMIN",
    "NET_RAW",
    "IPC_LOCK",
    "IPC_OWNER",
    "SYS_MODULE",
    "SYS_RAWIO",
    "SYS_CHROOT",
    "SYS_PTRACE",
    "SYS_PACCT",
    "SYS_ADMIN",
    "SYS_BOOT",
    "SYS_NICE",
    "SYS_RESOURCE",
    "SYS_TIME",
    "SYS_TTY_CONFIG",
    "MKNOD",
    "LEASE",
    "AUDIT_WRITE",
    "AUDIT_CONTROL",
    "SETFCAP",
    "MAC_OVERRIDE",
    "MAC_ADMIN",
    "SYSLOG",
    "WAKE_ALARM",
    "BLOCK_SUSPEND",
    "AUDIT_READ",
    "PERFMON",
    "BPF",
    "CHECKPOINT_RESTORE",
};

static int
cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* A capability set of /proc/PID/status ("CapEff:	00000000a80425fb"): "full" with every
 * capability psgo knows, "none" without any, else the names sorted and joined by commas. */
static char *
caps_cell(const struct proc *p, const char *key)
{
    cleanup_free char *hex = status_get(p->status, key);
    const char *names[64];
    size_t n = 0, len = 0;
    uint64_t mask;
    char *end, *out;

    if (hex == NULL)
        return xstrdup("?");
    mask = strtoull(hex, &end, 16);
    if (mask == FULL_CAPS)
        return xstrdup("full");
    for (unsigned int i = 0; i < 64; i++)
        if (mask & (UINT64_C(1) << i))
            names[n++] = i < RL_ARRAY_SIZE(cap_names) ? cap_names[i] : "unknown";
    if (n == 0)
        return xstrdup("none");
    qsort(names, n, sizeof(names[0]), cmp_str);
    for (size_t i = 0; i < n; i++)
        len += strlen(names[i]) + 1;
    out = xzalloc(len);
    for (size_t i = 0; i < n; i++) {
        if (i)
            strcat(out, ",");
        strcat(out, names[i]);
    }
    return out;
}

static char *
cell_capamb(const struct proc *p, const struct top_ctx *c RL_UNUSED)
{
    return caps_cell(p, "CapAmb");
}

static char *
cell_capinh(const struct proc *p, const struct top_ctx *c RL_UNUSED)
{
    return caps_cell(p, "CapInh");
}

static char *
cell_capprm(const struct proc *p, const struct top_ctx *c RL_UNUSED)
{
    return caps_cell(p, "CapPrm");
}

static char *
cell_capeff(const struct proc *p, const struct top_ctx *c RL_UNUSED)
{
    return caps_cell(p, "CapEff");
}

static char *
cell_capbnd(const struct proc *p, const struct top_ctx *c RL_UNUSED)
{
    return caps_cell(p, "CapBnd");
}

static char *
cell_seccomp(const struct proc *p, const struct top_ctx *c RL_UNUSED)
{
    cleanup_free char *mode = status_get(p->status, "Seccomp");

    if (mode && strcmp(mode, "0") == 0)
        return xstrdup("disabled");
    if (mode && strcmp(mode, "1") == 0)
        return xstrdup("strict");
    if (mode && strcmp(mode, "2") == 0)
        return xstrdup("filter");
    return xstrdup("?");
}

static char *
cell_label(const struct proc *p, const struct top_ctx *c RL_UNUSED)
{
    return xstrdup(p->label ? p->label : "?");
}

static char *
cell_hpid(const struct proc *p, const struct top_ctx *c RL_UNUSED)
{
    return xasprintf("%d", (int)p->hpid);
}

static char *
cell_huid(const struct proc *p, const struct top_ctx *c RL_UNUSED)
{
    return xasprintf("%lld", status_number(p->status, "Uid", 1));
}

static char *
cell_huser(const struct proc *p, const struct top_ctx *c RL_UNUSED)
{
    long long uid = status_number(p->status, "Uid", 1);
    struct passwd *pw = uid >= 0 ? getpwuid((uid_t)uid) : NULL;

    return pw ? xstrdup(pw->pw_name) : xasprintf("%lld", uid);
}

static char *
cell_hgroup(const struct proc *p, const struct top_ctx *c RL_UNUSED)
{
    return host_group_name(status_number(p->status, "Gid", 1));
}

static char *
cell_hgroups(const struct proc *p, const struct top_ctx *c)
{
    return groups_cell(p, true, c);
}

/* psgo's aixFormatDescriptors, in its order. */
static const struct descriptor descriptors_table[] = {
    { "%C", "pcpu", "%CPU", cell_pcpu },
    { "%G", "group", "GROUP", cell_group },
    { NULL, "groups", "GROUPS", cell_groups },
    { "%P", "ppid", "PPID", cell_ppid },
    { "%U", "user", "USER", cell_user },
    { NULL, "uid", "UID", cell_uid },
    { "%a", "args", "COMMAND", cell_args },
    { "%c", "comm", "COMMAND", cell_comm },
    { "%g", "rgroup", "RGROUP", cell_rgroup },
    { "%n", "nice", "NI", cell_nice },
    { "%p", "pid", "PID", cell_pid },
    { "%r", "pgid", "PGID", cell_pgid },
    { "%t", "etime", "ELAPSED", cell_etime },
    { "%u", "ruser", "RUSER", cell_ruser },
    { "%x", "time", "TIME", cell_time },
    { "%y", "tty", "TTY", cell_tty },
    { "%z", "vsz", "VSZ", cell_vsz },
    { NULL, "capamb", "AMBIENT CAPS", cell_capamb },
    { NULL, "capinh", "INHERITED CAPS", cell_capinh },
    { NULL, "capprm", "PERMITTED CAPS", cell_capprm },
    { NULL, "capeff", "EFFECTIVE CAPS", cell_capeff },
    { NULL, "capbnd", "BOUNDING CAPS", cell_capbnd },
    { NULL, "seccomp", "SECCOMP", cell_seccomp },
    { NULL, "label", "LABEL", cell_label },
    { NULL, "hpid", "HPID", cell_hpid },
    { NULL, "huser", "HUSER", cell_huser },
    { NULL, "huid", "HUID", cell_huid },
    { NULL, "hgroup", "HGROUP", cell_hgroup },
    { NULL, "hgroups", "HGROUPS", cell_hgroups },
    { NULL, "rss", "RSS", cell_rss },
    { NULL, "state", "STATE", cell_state },
    { NULL, "stime", "STIME", cell_stime },
};

static const char *const default_descriptors[] = {
    "user", "pid", "ppid", "pcpu", "etime", "tty", "time", "args",
};

static const struct descriptor *
find_descriptor(const char *name)
{
    for (size_t i = 0; i < RL_ARRAY_SIZE(descriptors_table); i++) {
        const struct descriptor *d = &descriptors_table[i];

        if ((d->code && strcmp(d->code, name) == 0) || strcmp(d->normal, name) == 0)
            return d;
    }
    return NULL;
}

/* Look up the descriptor between S and E, blanks around it trimmed (psgo); an empty one is
 * skipped. */
static int
add_descriptor(const char *s, const char *e, const struct descriptor **ret, size_t *n,
               rl_error_t *err)
{
    cleanup_free char *name = NULL;
    const struct descriptor *d;

    while (s < e && strchr(" \t\n", *s))
        s++;
    while (e > s && strchr(" \t\n", e[-1]))
        e--;
    if (s == e)
        return 0;
    name = xstrndup(s, (size_t)(e - s));
    d = find_descriptor(name);
    if (d == NULL)
        return rl_make_error(err, 0, "'%s': unknown descriptor", name);
    if (*n == MAX_DESCRIPTORS)
        return rl_make_error(err, 0, "too many descriptors (at most %d)", MAX_DESCRIPTORS);
    ret[(*n)++] = d;
    return 0;
}

/* Split DESCRIPTORS at commas (podman's Top()) and look each one up. */
static int
parse_descriptors(char *const *descriptors, const struct descriptor **ret, size_t *ret_n,
                  rl_error_t *err)
{
    size_t n = 0;

    for (size_t i = 0; descriptors && descriptors[i]; i++) {
        for (const char *p = descriptors[i]; *p;) {
            const char *e = p + strcspn(p, ",");

            if (add_descriptor(p, e, ret, &n, err) < 0)
                return -1;
            p = *e ? e + 1 : e;
        }
    }
    if (n == 0)
        for (size_t i = 0; i < RL_ARRAY_SIZE(default_descriptors); i++)
            ret[n++] = find_descriptor(default_descriptors[i]);
    *ret_n = n;
    return 0;
}

/* ------------------------------------------------------------------ output */

/* Width in characters (UTF-8 code points), as text/tabwriter counts. */
static size_t
text_width(const char *s)
{
    size_t w = 0;

    for (; *s; s++)
        w += ((unsigned char)*s & 0xc0) != 0x80;
    return w;
}

/* ROWS x COLS cells as podman's tabwriter prints them: every column but the last padded to
 * its widest cell plus 2, and to at least 12. */
static int
print_table(char **cells, size_t rows, size_t cols, FILE *out, rl_error_t *err)
{
    cleanup_free size_t *width = xzalloc(cols * sizeof(size_t));

    for (size_t c = 0; c < cols; c++) {
        width[c] = MIN_WIDTH;
        for (size_t r = 0; r < rows; r++) {
            size_t w = text_width(cells[r * cols + c]) + PADDING;

            if (w > width[c])
                width[c] = w;
        }
    }
    for (size_t r = 0; r < rows; r++) {
        for (size_t c = 0; c < cols; c++) {
            const char *s = cells[r * cols + c];

            fputs(s, out);
            if (c + 1 < cols)
                fprintf(out, "%*s", (int)(width[c] - text_width(s)), "");
        }
        fputc('\n', out);
    }
    if (ferror(out))
        return rl_make_error(err, errno, "write the table");
    return 0;
}

static void
ctx_init(struct top_ctx *c, const char *passwd, const char *group)
{
    cleanup_free char *stat = NULL;
    rl_error_t tmp = NULL;
    const char *btime;

    c->passwd = passwd;
    c->group = group;
    c->ticks = sysconf(_SC_CLK_TCK);
    if (c->ticks <= 0)
        c->ticks = 100;
    if (rl_read_file("/proc/stat", MAX_PROC_FILE, &stat, NULL, &tmp) == 0
        && (btime = strstr(stat, "\nbtime ")) != NULL)
        c->boot_time = strtoll(btime + 7, NULL, 10);
    rl_error_release(&tmp);
    (void)clock_gettime(CLOCK_REALTIME, &c->now);
    snprintf(c->overflow_uid, sizeof(c->overflow_uid), "65534");
    snprintf(c->overflow_gid, sizeof(c->overflow_gid), "65534");
    for (int i = 0; i < 2; i++) {
        cleanup_free char *v = NULL;
        char *dst = i ? c->overflow_gid : c->overflow_uid;

        if (rl_read_file(i ? "/proc/sys/kernel/overflowgid" : "/proc/sys/kernel/overflowuid", 64,
                         &v, NULL, &tmp)
            == 0) {
            v[strcspn(v, "\n")] = '\0';
            if (v[0])
                snprintf(dst, sizeof(c->overflow_uid), "%s", v);
        }
        rl_error_release(&tmp);
    }
}

static void
free_cells(char **cells, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(cells[i]);
    free(cells);
}

int
rl_top_print(const pid_t *pids, size_t n, char *const *descriptors, const char *passwd,
             const char *group, FILE *out, rl_error_t *err)
{
    const struct descriptor *desc[MAX_DESCRIPTORS];
    struct top_ctx ctx = { 0 };
    size_t n_desc, rows = 1;
    bool want_label = false;
    char **cells;
    int ret = 0;

    if (parse_descriptors(descriptors, desc, &n_desc, err) < 0)
        return -1;
    for (size_t i = 0; i < n_desc; i++)
        want_label |= desc[i]->fn == cell_label;
    ctx_init(&ctx, passwd, group);
    cells = xzalloc((n + 1) * n_desc * sizeof(char *));
    for (size_t i = 0; i < n_desc; i++)
        cells[i] = xstrdup(desc[i]->header);
    for (size_t i = 0; i < n; i++) {
        struct proc p = { .hpid = pids[i] };
        int r = proc_load(&p, want_label, err);

        if (r == 0)
            for (size_t j = 0; j < n_desc; j++)
                cells[rows * n_desc + j] = desc[j]->fn(&p, &ctx);
        proc_release(&p);
        if (r < 0) {
            ret = -1;
            break;
        }
        rows += r == 0;
    }
    if (ret == 0)
        ret = print_table(cells, rows, n_desc, out, err);
    free_cells(cells, (n + 1) * n_desc);
    return ret;
}

void
rl_top_list_descriptors(FILE *out)
{
    const char *names[RL_ARRAY_SIZE(descriptors_table)];

    for (size_t i = 0; i < RL_ARRAY_SIZE(descriptors_table); i++)
        names[i] = descriptors_table[i].normal;
    qsort(names, RL_ARRAY_SIZE(names), sizeof(names[0]), cmp_str);
    for (size_t i = 0; i < RL_ARRAY_SIZE(names); i++)
        fprintf(out, "%s\n", names[i]);
}
