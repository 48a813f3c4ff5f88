/* rl-testinit: a static multi-call program that bats tests run inside containers.
 *
 * Usage: rl-testinit COMMAND [ARG...]; `rl-testinit help` lists the commands. Each command
 * prints plain, line-oriented facts about the process it runs in, so that a test can check
 * them with one assert. It links against nothing but libc (statically), so a rootfs needs
 * no shared libraries. Exit status: 0 on success, 1 when an operation fails (the error goes
 * to stderr as "rl-testinit: CMD: ..."), 2 for usage errors; `readable` and `writable` also
 * exit 1 when the answer is "no". */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

struct command {
    const char *name;
    int (*fn)(int argc, char **argv);
    int min_args;
    int max_args; /* -1: any number */
    const char *usage;
};

static const char *cmd_name = "";

static int
fail(const char *what)
{
    fprintf(stderr, "rl-testinit: %s: %s: %s\n", cmd_name, what, strerror(errno));
    return 1;
}

static const char *
errno_name(int e)
{
    const char *n = strerrorname_np(e);

    return n ? n : "E?";
}

/* Copy a whole file to stdout, e.g. a /proc file whose size stat() does not know. */
static int
print_file(const char *path)
{
    char buf[8192];
    ssize_t n;
    int fd = open(path, O_RDONLY | O_CLOEXEC);

    if (fd < 0)
        return fail(path);
    while ((n = read(fd, buf, sizeof(buf))) != 0) {
        if (n < 0) {
            if (errno == EINTR)
                continue;
            (void)close(fd);
            return fail(path);
        }
        if (fwrite(buf, 1, (size_t)n, stdout) != (size_t)n) {
            (void)close(fd);
            return fail("write to stdout");
        }
    }
    (void)close(fd);
    return 0;
}

/* Print the lines of PATH that start with PREFIX. */
static int
print_lines(const char *path, const char *prefix)
{
    char line[4096];
    FILE *f = fopen(path, "re");

    if (f == NULL)
        return fail(path);
    while (fgets(line, sizeof(line), f))
        if (strncmp(line, prefix, strlen(prefix)) == 0)
            fputs(line, stdout);
    (void)fclose(f);
    return 0;
}

static int
parse_int(const char *s, long min, long max, long *ret)
{
    char *end;
    long v;

    errno = 0;
    v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < min || v > max) {
        fprintf(stderr, "rl-testinit: %s: not a number in [%ld, %ld]: '%s'\n", cmd_name, min, max,
                s);
        return -1;
    }
    *ret = v;
    return 0;
}

static int
sleep_seconds(const char *arg)
{
    struct timespec ts;
    char *end;
    double secs;

    errno = 0;
    secs = strtod(arg, &end);
    if (errno || end == arg || *end || secs < 0 || secs > 1e9) {
        fprintf(stderr, "rl-testinit: %s: bad duration '%s'\n", cmd_name, arg);
        return 2;
    }
    ts.tv_sec = (time_t)secs;
    ts.tv_nsec = (long)((secs - (double)ts.tv_sec) * 1e9);
    while (nanosleep(&ts, &ts) < 0)
        if (errno != EINTR)
            return fail("nanosleep");
    return 0;
}

static int
do_true(int argc, char **argv)
{
    return 0;
}

static int
do_false(int argc, char **argv)
{
    return 1;
}

static int
do_exit(int argc, char **argv)
{
    long status;

    if (parse_int(argv[1], 0, 255, &status) < 0)
        return 2;
    return (int)status;
}

static int
do_echo(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        printf("%s%s", i > 1 ? " " : "", argv[i]);
    putchar('\n');
    return 0;
}

static int
do_cat(int argc, char **argv)
{
    int ret = 0;

    for (int i = 1; i < argc && ret == 0; i++)
        ret = print_file(strcmp(argv[i], "-") == 0 ? "/dev/stdin" : argv[i]);
    return ret;
}

static int
compare_names(const struct dirent **a, const struct dirent **b)
{
    return strcmp((*a)->d_name, (*b)->d_name);
}

static int
skip_dots(const struct dirent *d)
{
    return strcmp(d->d_name, ".") != 0 && strcmp(d->d_name, "..") != 0;
}

static int
do_ls(int argc, char **argv)
{
    struct dirent **names;
    int n = scandir(argc > 1 ? argv[1] : ".", &names, skip_dots, compare_names);

    if (n < 0)
        return fail(argc > 1 ? argv[1] : ".");
    for (int i = 0; i < n; i++) {
        puts(names[i]->d_name);
        free(names[i]);
    }
    free(names);
    return 0;
}

static int
do_write(int argc, char **argv)
{
    FILE *f = fopen(argv[1], "we");

    if (f == NULL)
        return fail(argv[1]);
    for (int i = 2; i < argc; i++)
        fprintf(f, "%s%s", i > 2 ? " " : "", argv[i]);
    fputc('\n', f);
    if (fclose(f) != 0)
        return fail(argv[1]);
    return 0;
}

static int
do_mkdir(int argc, char **argv)
{
    if (mkdir(argv[1], 0755) < 0)
        return fail(argv[1]);
    return 0;
}

static int
do_stat(int argc, char **argv)
{
    struct stat st;

    if (lstat(argv[1], &st) < 0)
        return fail(argv[1]);
    printf("%u %u %04o\n", st.st_uid, st.st_gid, st.st_mode & 07777);
    return 0;
}

static int
do_id(int argc, char **argv)
{
    gid_t groups[NGROUPS_MAX];
    int n = getgroups(NGROUPS_MAX, groups);

    if (n < 0)
        return fail("getgroups");
    printf("uid=%u gid=%u groups=", getuid(), getgid());
    for (int i = 0; i < n; i++)
        printf("%s%u", i ? "," : "", groups[i]);
    putchar('\n');
    return 0;
}

static int
do_getpid(int argc, char **argv)
{
    printf("%d\n", getpid());
    return 0;
}

static int
do_getppid(int argc, char **argv)
{
    printf("%d\n", getppid());
    return 0;
}

/* A raw syscall, so that a seccomp filter on getppid shows up as the errno it returns. */
static int
do_syscall_getppid(int argc, char **argv)
{
    long ret = syscall(SYS_getppid);

    printf("ret=%ld errno=%s\n", ret, ret < 0 ? errno_name(errno) : "0");
    return 0;
}

static int
do_hostname(int argc, char **argv)
{
    char name[HOST_NAME_MAX + 1] = "";

    if (gethostname(name, sizeof(name)) < 0)
        return fail("gethostname");
    puts(name);
    return 0;
}

static int
do_env(int argc, char **argv)
{
    for (char **e = environ; *e; e++)
        puts(*e);
    return 0;
}

static int
do_getenv(int argc, char **argv)
{
    const char *v = getenv(argv[1]);

    if (v == NULL)
        return 1;
    puts(v);
    return 0;
}

static int
do_cwd(int argc, char **argv)
{
    char buf[PATH_MAX];

    if (getcwd(buf, sizeof(buf)) == NULL)
        return fail("getcwd");
    puts(buf);
    return 0;
}

static int
do_sleep(int argc, char **argv)
{
    return sleep_seconds(argv[1]);
}

static int
do_ignore_sigterm_sleep(int argc, char **argv)
{
    if (signal(SIGTERM, SIG_IGN) == SIG_ERR)
        return fail("signal");
    return sleep_seconds(argv[1]);
}

static volatile sig_atomic_t last_signal;

static void
record_signal(int sig)
{
    last_signal = sig;
}

/* Catch every catchable signal, print each one as it arrives, and exit 128+SIG on the first
 * one that normally terminates a process. Handlers matter when this runs as PID 1 of a PID
 * namespace, where signals with the default action are dropped. With STATUS, SIGTERM makes
 * it exit STATUS instead (a graceful stop). */
static int
do_pause(int argc, char **argv)
{
    struct sigaction sa = { .sa_handler = record_signal };
    long term_status = -1;
    sigset_t all, none;

    if (argc > 1 && parse_int(argv[1], 0, 255, &term_status) < 0)
        return 2;
    sigfillset(&all);
    sigemptyset(&none);
    sigfillset(&sa.sa_mask);
    if (sigprocmask(SIG_BLOCK, &all, NULL) < 0)
        return fail("sigprocmask");
    for (int sig = 1; sig < NSIG; sig++)
        if (sig != SIGKILL && sig != SIGSTOP)
            (void)sigaction(sig, &sa, NULL);
    for (;;) {
        int sig;

        (void)sigsuspend(&none);
        sig = last_signal;
        printf("signal %s\n", sigabbrev_np(sig) ? sigabbrev_np(sig) : "?");
        fflush(stdout);
        if (sig == SIGCHLD || sig == SIGWINCH || sig == SIGURG || sig == SIGCONT)
            continue;
        if (sig == SIGTERM && term_status >= 0)
            return (int)term_status;
        return 128 + sig;
    }
}

static int
do_isatty(int argc, char **argv)
{
    long fd;

    if (parse_int(argv[1], 0, INT_MAX, &fd) < 0)
        return 2;
    puts(isatty((int)fd) ? "yes" : "no");
    return 0;
}

static int
do_capabilities(int argc, char **argv)
{
    return print_lines("/proc/self/status", "Cap");
}

static int
do_status(int argc, char **argv)
{
    return print_file("/proc/self/status");
}

static int
do_uidmap(int argc, char **argv)
{
    return print_file("/proc/self/uid_map");
}

static int
do_gidmap(int argc, char **argv)
{
    return print_file("/proc/self/gid_map");
}

static int
do_mounts(int argc, char **argv)
{
    return print_file("/proc/self/mountinfo");
}

static int
do_cgroup(int argc, char **argv)
{
    return print_file("/proc/self/cgroup");
}

static int
compare_ints(const void *a, const void *b)
{
    return *(const int *)a - *(const int *)b;
}

/* Print the open fds, in numeric order, without the one used to list them. */
static int
do_fds(int argc, char **argv)
{
    DIR *d = opendir("/proc/self/fd");
    struct dirent *e;
    int fds[1024], n = 0;

    if (d == NULL)
        return fail("/proc/self/fd");
    while ((e = readdir(d)) != NULL && n < (int)(sizeof(fds) / sizeof(fds[0])))
        if (e->d_name[0] != '.' && atoi(e->d_name) != dirfd(d))
            fds[n++] = atoi(e->d_name);
    (void)closedir(d);
    qsort(fds, (size_t)n, sizeof(fds[0]), compare_ints);
    for (int i = 0; i < n; i++)
        printf("%d\n", fds[i]);
    return 0;
}

/* Leave a zombie behind: the child exits at once and is never waited for. Prints the child's
 * pid, then sleeps SECS (default 0) so that a test can look at it. */
static int
do_fork_zombie(int argc, char **argv)
{
    pid_t pid;

    fflush(stdout);
    pid = fork();
    if (pid < 0)
        return fail("fork");
    if (pid == 0)
        _exit(0);
    printf("%d\n", pid);
    fflush(stdout);
    return argc > 1 ? sleep_seconds(argv[1]) : 0;
}

static int
answer_access(const char *path, int fd)
{
    int e = errno;

    if (fd < 0) {
        printf("no %s\n", errno_name(e));
        return 1;
    }
    (void)close(fd);
    puts("yes");
    return 0;
}

static int
do_readable(int argc, char **argv)
{
    return answer_access(argv[1], open(argv[1], O_RDONLY | O_CLOEXEC));
}

/* A directory is writable when a file can be created in it; a file when it opens for
 * writing (without truncating it). */
static int
do_writable(int argc, char **argv)
{
    struct stat st;
    char tmp[PATH_MAX];
    int fd;

    if (stat(argv[1], &st) == 0 && S_ISDIR(st.st_mode)) {
        snprintf(tmp, sizeof(tmp), "%s/.rl-testinit-XXXXXX", argv[1]);
        fd = mkostemp(tmp, O_CLOEXEC);
        if (fd >= 0)
            (void)unlink(tmp);
        return answer_access(argv[1], fd);
    }
    return answer_access(argv[1], open(argv[1], O_WRONLY | O_CLOEXEC));
}

static const struct {
    const char *name;
    int resource;
} rlimits[] = {
    { "AS", RLIMIT_AS },
    { "CORE", RLIMIT_CORE },
    { "CPU", RLIMIT_CPU },
    { "DATA", RLIMIT_DATA },
    { "FSIZE", RLIMIT_FSIZE },
    { "LOCKS", RLIMIT_LOCKS },
    { "MEMLOCK", RLIMIT_MEMLOCK },
    { "MSGQUEUE", RLIMIT_MSGQUEUE },
    { "NICE", RLIMIT_NICE },
    { "NOFILE", RLIMIT_NOFILE },
    { "NPROC", RLIMIT_NPROC },
    { "RSS", RLIMIT_RSS },
    { "RTPRIO", RLIMIT_RTPRIO },
    { "RTTIME", RLIMIT_RTTIME },
    { "SIGPENDING", RLIMIT_SIGPENDING },
    { "STACK", RLIMIT_STACK },
};

static void
print_limit(rlim_t v, const char *sep)
{
    if (v == RLIM_INFINITY)
        printf("unlimited%s", sep);
    else
        printf("%llu%s", (unsigned long long)v, sep);
}

/* Print "SOFT HARD" of a limit named like in config.json: RLIMIT_NOFILE or NOFILE. */
static int
do_rlimit(int argc, char **argv)
{
    const char *name = argv[1];
    struct rlimit rl;

    if (strncmp(name, "RLIMIT_", 7) == 0)
        name += 7;
    for (size_t i = 0; i < sizeof(rlimits) / sizeof(rlimits[0]); i++) {
        if (strcasecmp(name, rlimits[i].name) != 0)
            continue;
        if (getrlimit(rlimits[i].resource, &rl) < 0)
            return fail("getrlimit");
        print_limit(rl.rlim_cur, " ");
        print_limit(rl.rlim_max, "\n");
        return 0;
    }
    fprintf(stderr, "rl-testinit: rlimit: unknown limit '%s'\n", argv[1]);
    return 2;
}

static int
do_nofile(int argc, char **argv)
{
    return do_rlimit(2, (char *[]){ argv[0], (char *)"NOFILE", NULL });
}

static int
do_umask(int argc, char **argv)
{
    mode_t m = umask(0);

    umask(m);
    printf("%04o\n", m);
    return 0;
}

static int do_help(int argc, char **argv);

static const struct command commands[] = {
    { "true", do_true, 0, 0, "exit 0" },
    { "false", do_false, 0, 0, "exit 1" },
    { "exit", do_exit, 1, 1, "N: exit with status N" },
    { "echo", do_echo, 0, -1, "ARG...: print the arguments on one line" },
    { "cat", do_cat, 1, -1, "FILE...: print files ('-' is stdin)" },
    { "ls", do_ls, 0, 1, "[DIR]: print the names in DIR, sorted, one a line" },
    { "write", do_write, 1, -1, "FILE TEXT...: write TEXT and a newline to FILE" },
    { "mkdir", do_mkdir, 1, 1, "DIR: create DIR, mode 0755" },
    { "stat", do_stat, 1, 1, "FILE: print 'UID GID MODE' (lstat, octal permission bits)" },
    { "id", do_id, 0, 0, "print 'uid=U gid=G groups=G1,G2'" },
    { "getpid", do_getpid, 0, 0, "print the pid" },
    { "getppid", do_getppid, 0, 0, "print the parent's pid" },
    { "syscall-getppid", do_syscall_getppid, 0, 0, "print 'ret=N errno=NAME' of getppid(2)" },
    { "hostname", do_hostname, 0, 0, "print the host name" },
    { "env", do_env, 0, 0, "print the environment, one VAR=VALUE a line" },
    { "getenv", do_getenv, 1, 1, "VAR: print its value; exit 1 when unset" },
    { "cwd", do_cwd, 0, 0, "print the working directory" },
    { "sleep", do_sleep, 1, 1, "SECS: sleep (fractions allowed), default signal actions" },
    { "ignore-sigterm-sleep", do_ignore_sigterm_sleep, 1, 1, "SECS: ignore SIGTERM and sleep" },
    { "pause", do_pause, 0, 1,
      "[STATUS]: print 'signal NAME' per signal; exit 128+SIG (STATUS on SIGTERM)" },
    { "isatty", do_isatty, 1, 1, "FD: print yes or no" },
    { "capabilities", do_capabilities, 0, 0, "print the Cap* lines of /proc/self/status" },
    { "status", do_status, 0, 0, "print /proc/self/status" },
    { "uidmap", do_uidmap, 0, 0, "print /proc/self/uid_map" },
    { "gidmap", do_gidmap, 0, 0, "print /proc/self/gid_map" },
    { "mounts", do_mounts, 0, 0, "print /proc/self/mountinfo" },
    { "cgroup", do_cgroup, 0, 0, "print /proc/self/cgroup" },
    { "fds", do_fds, 0, 0, "print the open file descriptors" },
    { "fork-zombie", do_fork_zombie, 0, 1, "[SECS]: leave an unreaped child, print its pid" },
    { "readable", do_readable, 1, 1, "FILE: print 'yes' or 'no ERRNO' (exit 1)" },
    { "writable", do_writable, 1, 1, "FILE|DIR: print 'yes' or 'no ERRNO' (exit 1)" },
    { "rlimit", do_rlimit, 1, 1, "NAME: print 'SOFT HARD' of RLIMIT_NAME" },
    { "nofile", do_nofile, 0, 0, "print 'SOFT HARD' of RLIMIT_NOFILE" },
    { "umask", do_umask, 0, 0, "print the umask in octal" },
    { "help", do_help, 0, 0, "print this list" },
    { NULL, NULL, 0, 0, NULL },
};

static int
do_help(int argc, char **argv)
{
    printf("Usage: rl-testinit COMMAND [ARG...]\n\n");
    for (const struct command *c = commands; c->name; c++)
        printf("  %-22s %s\n", c->name, c->usage);
    return 0;
}

int
main(int argc, char **argv)
{
    const struct command *c;
    int ret;

    if (argc < 2) {
        do_help(0, NULL);
        return 2;
    }
    for (c = commands; c->name; c++)
        if (strcmp(c->name, argv[1]) == 0)
            break;
    if (c->name == NULL) {
        fprintf(stderr, "rl-testinit: unknown command '%s'\n", argv[1]);
        return 2;
    }
    cmd_name = c->name;
    argc--;
    argv++;
    if (argc - 1 < c->min_args || (c->max_args >= 0 && argc - 1 > c->max_args)) {
        fprintf(stderr, "rl-testinit: %s: wrong number of arguments; %s %s\n", c->name, c->name,
                c->usage);
        return 2;
    }
    ret = c->fn(argc, argv);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "rl-testinit: %s: write to stdout failed\n", cmd_name);
        return 1;
    }
    return ret;
}
