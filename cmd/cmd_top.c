/* rl top: podman top's table of a running container's processes, read from the host's /proc
 * (cmd/top.c draws it). */
#include "config.h"

#include <dirent.h>
#include <getopt.h>
#include <string.h>
#include <sys/stat.h>

#include "ctr.h"
#include "ctrstore.h"
#include "fs.h"
#include "json.h"
#include "state.h"
#include "syscalls.h"
#include "top.h"

/* Bound on what is read of the container's /etc/passwd and /etc/group. */
#define MAX_USER_DB (4u << 20)

#define HELP_TOP                                                                          \
    "Usage: rl top [OPTIONS] CONTAINER [DESCRIPTOR...]\n\n"                               \
    "Show the processes of a running container, as podman top does. DESCRIPTORs choose\n" \
    "the columns (default: user pid ppid pcpu etime tty time args); several may share\n"  \
    "one argument, separated by commas, in the normal form (pcpu) or the code (%C).\n\n"  \
    "Options:\n"                                                                          \
    "      --list-descriptors  print the descriptors rl knows, one a line\n"              \
    "  -h, --help              show this help\n"

/* The pid namespace of the container's init, checked against its recorded start time so
 * that a reused pid is not taken for it. */
static int
init_pidns(json_t *rec, struct stat *ret, pid_t *ret_pid, rl_error_t *err)
{
    json_t *state = json_object_get(rec, "State");
    pid_t pid = (pid_t)json_integer_value(json_object_get(state, "Pid"));
    unsigned long long t =
        (unsigned long long)json_integer_value(json_object_get(state, "StartTime"));
    cleanup_close int pidfd = -1;
    char path[64];

    if (pid <= 0)
        return rl_make_error(err, ESRCH, "the container has no process");
    /* Held over the checks: while it is open, the pid cannot name another process. */
    pidfd = rl_pidfd_open(pid, 0);
    if (pidfd < 0)
        return rl_make_error(err, errno, "the container's process %d", (int)pid);
    snprintf(path, sizeof(path), "/proc/%d/ns/pid", (int)pid);
    if (stat(path, ret) < 0)
        return rl_make_error(err, errno, "stat '%s'", path);
    if (rl_proc_start_time(pid) != t)
        return rl_make_error(err, ESRCH, "the container's process is gone");
    *ret_pid = pid;
    return 0;
}

static pid_t
parent_of(pid_t pid)
{
    char path[64];
    cleanup_free char *text = NULL;
    rl_error_t tmp = NULL;
    const char *p;

    snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
    if (rl_read_file(path, 1u << 16, &text, NULL, &tmp) < 0) {
        rl_error_release(&tmp);
        return 0;
    }
    p = strstr(text, "\nPPid:");
    return p ? (pid_t)strtol(p + 6, NULL, 10) : 0;
}

/* Whether PID is in the pid namespace NS. Its ns link is unreadable to us when it runs as
 * another host user (a container user other than root): then it counts when the container's
 * init is among its ancestors. */
static bool
in_pidns(pid_t pid, const struct stat *ns, pid_t init)
{
    char path[64];
    struct stat st;

    if (pid == init)
        return true;
    snprintf(path, sizeof(path), "/proc/%d/ns/pid", (int)pid);
    if (stat(path, &st) == 0)
        return st.st_dev == ns->st_dev && st.st_ino == ns->st_ino;
    if (errno != EACCES && errno != EPERM)
        return false;
    for (int depth = 0; pid > 1 && depth < 4096; depth++) {
        pid = parent_of(pid);
        if (pid == init)
            return true;
    }
    return false;
}

static int
cmp_pid(const void *a, const void *b)
{
    pid_t x = *(const pid_t *)a, y = *(const pid_t *)b;
    return (x > y) - (x < y);
}

/* The host pids of the processes in the pid namespace NS, ascending. */
static int
list_pids(const struct stat *ns, pid_t init, pid_t **ret, size_t *ret_n, rl_error_t *err)
{
    cleanup_dir DIR *d = opendir("/proc");
    cleanup_free pid_t *pids = NULL;
    size_t n = 0, cap = 0;
    struct dirent *de;

    if (d == NULL)
        return rl_make_error(err, errno, "open /proc");
    while ((de = readdir(d)) != NULL) {
        long long v;
        if (!rl_parse_ll(de->d_name, 1, INT32_MAX, &v) || !in_pidns((pid_t)v, ns, init))
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            pids = xrealloc(pids, cap * sizeof(*pids));
        }
        pids[n++] = (pid_t)v;
    }
    qsort(pids, n, sizeof(*pids), cmp_pid);
    *ret = steal_pointer(&pids);
    *ret_n = n;
    return 0;
}

/* The text of the container's FILE (etc/passwd, etc/group) through its init's root; NULL when
 * it cannot be read, and the table shows numbers. */
static char *
container_file(pid_t init, const char *file)
{
    cleanup_free char *path = xasprintf("/proc/%d/root", (int)init);
    cleanup_close int root = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
    cleanup_close int fd = -1;
    rl_error_t tmp = NULL;
    char *text = NULL;

    if (root < 0)
        return NULL;
    fd = rl_safe_openat(root, file, O_RDONLY, 0, &tmp);
    if (fd < 0 || rl_read_all_fd(fd, MAX_USER_DB, &text, NULL, &tmp) < 0) {
        rl_error_release(&tmp);
        return NULL;
    }
    return text;
}

int
cmd_top(struct rl_globals *g, int argc, char **argv, rl_error_t *err)
{
    enum { OPT_LIST = 256 };
    static const struct option opts[] = {
        { "list-descriptors", no_argument, NULL, OPT_LIST },
        { "latest", no_argument, NULL, 'l' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    struct rl_ctx c = { 0 };
    cleanup_free char *id = NULL;
    cleanup_json json_t *rec = NULL;
    cleanup_free pid_t *pids = NULL;
    cleanup_free char *passwd = NULL;
    cleanup_free char *group = NULL;
    struct stat ns;
    pid_t init = 0;
    size_t n = 0;
    int ch, ret = -1;

    opterr = 0;
    while ((ch = getopt_long(argc, argv, "+lh", opts, NULL)) != -1) {
        switch (ch) {
        case OPT_LIST:
            rl_top_list_descriptors(stdout);
            return 0;
        case 'l':
            return rl_make_error(err, 0, "top: --latest is not supported: name the container");
        case 'h':
            fputs(HELP_TOP, stdout);
            return 0;
        default:
            return rl_cmd_bad_option("top", argc, argv, err);
        }
    }
    if (optind >= argc)
        return rl_make_error(err, 0, "top: missing container name (see 'rl top --help')");
    if (rl_ctx_init(g, false, &c, err) < 0)
        return -1;
    if (rl_ctr_lookup(c.store, argv[optind], &id, err) < 0
        || rl_ctr_load_fresh(&c, id, &rec, err) < 0)
        goto out;
    if (!rl_ctr_is_running(rec)) {
        rl_make_error(err, 0, "top can only be used on running containers");
        goto out;
    }
    if (init_pidns(rec, &ns, &init, err) < 0) {
        rl_error_wrap(err, "top: container %s", argv[optind]);
        goto out;
    }
    if (list_pids(&ns, init, &pids, &n, err) < 0)
        goto out;
    passwd = container_file(init, "etc/passwd");
    group = container_file(init, "etc/group");
    ret = rl_top_print(pids, n, argv + optind + 1, passwd, group, stdout, err);
out:
    rl_ctx_release(&c);
    return ret;
}
