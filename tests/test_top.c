#include "config.h"

#include <dirent.h>
#include <fcntl.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <sys/resource.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#include "top.h"
#include "tap.h"

/* rl_top_print() into a string; returns its result, the output in *RET_OUT and the error
 * message (or NULL) in *RET_MSG. */
static int
top(const pid_t *pids, size_t n, char *const *desc, const char *passwd, const char *group,
    char **ret_out, char **ret_msg)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    rl_error_t err = NULL;
    int r;

    r = rl_top_print(pids, n, desc, passwd, group, f, &err);
    fclose(f);
    *ret_out = buf;
    *ret_msg = err ? xstrdup(err->msg) : NULL;
    rl_error_release(&err);
    return r;
}

/* Line I (0-based) of TEXT, or NULL. */
static char *
line_at(const char *text, size_t i)
{
    for (; text && *text; i--) {
        const char *end = strchr(text, '\n');
        size_t len = end ? (size_t)(end - text) : strlen(text);

        if (i == 0)
            return xstrndup(text, len);
        text = end ? end + 1 : NULL;
    }
    return NULL;
}

static size_t
count_lines(const char *text)
{
    size_t n = 0;

    for (; text && *text; text++)
        n += *text == '\n';
    return n;
}

/* The line of TEXT whose column at byte offset COL starts with the number PID. */
static char *
row_of(const char *text, size_t col, pid_t pid)
{
    char want[32];

    snprintf(want, sizeof(want), "%d ", (int)pid);
    for (size_t i = 1; i < count_lines(text); i++) {
        char *line = line_at(text, i);

        if (strlen(line) > col && strncmp(line + col, want, strlen(want)) == 0)
            return line;
        free(line);
    }
    return NULL;
}

/* Collapse runs of blanks to one space. */
static char *
squeeze(const char *s)
{
    char *out = xmalloc(strlen(s) + 1), *o = out;

    for (; *s; s++)
        if (*s != ' ' || (o > out && o[-1] != ' '))
            *o++ = *s;
    while (o > out && o[-1] == ' ')
        o--;
    *o = '\0';
    return out;
}

/* The first row of a table, blanks squeezed. */
static char *
second_line(const char *text)
{
    cleanup_free char *line = line_at(text, 1);

    return squeeze(line ? line : "");
}

/* TEXT as TAP comments. */
static void
diag(const char *text)
{
    for (size_t i = 0; i < count_lines(text); i++) {
        cleanup_free char *line = line_at(text, i);

        printf("# %s\n", line);
    }
}

static pid_t
spawn_sleep(const char *secs)
{
    pid_t pid = fork();

    if (pid == 0) {
        execlp("sleep", "sleep", secs, (char *)NULL);
        _exit(127);
    }
    return pid;
}

/* Wait until /proc/PID/cmdline shows an exec'd "sleep" (at most a few seconds). */
static void
wait_exec(pid_t pid)
{
    char path[64];

    snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
    for (int i = 0; i < 500; i++) {
        char buf[16] = "";
        FILE *f = fopen(path, "re");

        if (f) {
            size_t n = fread(buf, 1, sizeof(buf) - 1, f);

            fclose(f);
            if (n >= 5 && strncmp(buf, "sleep", 5) == 0)
                return;
        }
        nanosleep(&(struct timespec){ 0, 10000000 }, NULL);
    }
}

static char *
status_value(const char *key)
{
    char line[256];
    FILE *f = fopen("/proc/self/status", "re");
    char *v = NULL;

    while (f && fgets(line, sizeof(line), f))
        if (strncmp(line, key, strlen(key)) == 0 && line[strlen(key)] == ':') {
            char *p = line + strlen(key) + 1;

            p += strspn(p, " \t");
            p[strcspn(p, "\n")] = '\0';
            v = xstrdup(p);
            break;
        }
    if (f)
        fclose(f);
    return v;
}

static void
test_duration(void)
{
    static const struct {
        uint64_t ns;
        const char *want;
    } cases[] = {
        { 0, "0s" },
        { 1, "1ns" },
        { 999, "999ns" },
        { 1000, "1\xc2\xb5s" },
        { 1500, "1.5\xc2\xb5s" },
        { 1500000, "1.5ms" },
        { 100000000, "100ms" },
        { 1000000000, "1s" },
        { 4299125437ULL, "4.299125437s" },
        { 60000000000ULL, "1m0s" },
        { 120500000000ULL, "2m0.5s" },
        { 3600000000000ULL, "1h0m0s" },
        { 3723000000000ULL, "1h2m3s" },
        { 90061000000000ULL, "25h1m1s" },
    };

    for (size_t i = 0; i < RL_ARRAY_SIZE(cases); i++) {
        cleanup_free char *got = rl_top_duration(cases[i].ns);

        is_str(got, cases[i].want, "duration %llu ns", (unsigned long long)cases[i].ns);
    }
}

static void
test_list(void)
{
    cleanup_free char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);

    rl_top_list_descriptors(f);
    fclose(f);
    is_int(count_lines(buf), 32, "32 descriptors, as psgo");
    ok(strncmp(buf, "args\ncapamb\ncapbnd\n", 19) == 0, "sorted by name");
    ok(strstr(buf, "\nhgroups\n") && strstr(buf, "\nstime\n") && strstr(buf, "\nvsz\n"),
       "hgroups, stime and vsz among them");
}

/* Each descriptor alone: its header, as psgo names it. */
static void
test_headers(pid_t pid)
{
    static const struct {
        const char *desc, *code, *header;
    } cases[] = {
        { "pcpu", "%C", "%CPU" },
        { "group", "%G", "GROUP" },
        { "groups", NULL, "GROUPS" },
        { "ppid", "%P", "PPID" },
        { "user", "%U", "USER" },
        { "uid", NULL, "UID" },
        { "args", "%a", "COMMAND" },
        { "comm", "%c", "COMMAND" },
        { "rgroup", "%g", "RGROUP" },
        { "nice", "%n", "NI" },
        { "pid", "%p", "PID" },
        { "pgid", "%r", "PGID" },
        { "etime", "%t", "ELAPSED" },
        { "ruser", "%u", "RUSER" },
        { "time", "%x", "TIME" },
        { "tty", "%y", "TTY" },
        { "vsz", "%z", "VSZ" },
        { "capamb", NULL, "AMBIENT CAPS" },
        { "capinh", NULL, "INHERITED CAPS" },
        { "capprm", NULL, "PERMITTED CAPS" },
        { "capeff", NULL, "EFFECTIVE CAPS" },
        { "capbnd", NULL, "BOUNDING CAPS" },
        { "seccomp", NULL, "SECCOMP" },
        { "label", NULL, "LABEL" },
        { "hpid", NULL, "HPID" },
        { "huser", NULL, "HUSER" },
        { "huid", NULL, "HUID" },
        { "hgroup", NULL, "HGROUP" },
        { "hgroups", NULL, "HGROUPS" },
        { "rss", NULL, "RSS" },
        { "state", NULL, "STATE" },
        { "stime", NULL, "STIME" },
    };
    int bad = 0, bad_code = 0;

    for (size_t i = 0; i < RL_ARRAY_SIZE(cases); i++) {
        for (int form = 0; form < 2; form++) {
            const char *d = form ? cases[i].code : cases[i].desc;
            char *const desc[] = { (char *)d, NULL };
            cleanup_free char *out = NULL, *msg = NULL, *header = NULL, *row = NULL;

            if (d == NULL)
                continue;
            if (top(&pid, 1, desc, NULL, NULL, &out, &msg) < 0) {
                printf("#   %s: %s\n", d, msg);
                form ? bad_code++ : bad++;
                continue;
            }
            header = line_at(out, 0);
            row = line_at(out, 1);
            /* without supplementary groups, groups and hgroups are empty */
            if (header == NULL || strcmp(header, cases[i].header) != 0 || row == NULL
                || (row[0] == '\0' && strstr(cases[i].desc, "groups") == NULL)
                || count_lines(out) != 2) {
                printf("#   %s: got '%s'\n", d, out);
                form ? bad_code++ : bad++;
            }
        }
    }
    is_int(bad, 0, "every descriptor by name: psgo's header and one row");
    is_int(bad_code, 0, "every descriptor by code: psgo's header and one row");
}

static void
test_default(pid_t a, pid_t b, pid_t gone)
{
    pid_t pids[] = { a, gone, b };
    cleanup_free char *out = NULL, *msg = NULL, *header = NULL, *squeezed = NULL, *ra = NULL,
                      *rb = NULL, *fields = NULL, *passwd = NULL, *want = NULL;
    char *const empty[] = { NULL };
    size_t pid_col;

    passwd = xasprintf("root:x:0:0:root:/root:/bin/sh\n# comment\nrl-tu:x:%u:%u::/:/bin/sh\n",
                       (unsigned)getuid(), (unsigned)getgid());
    if (getuid() == 0) {
        free(passwd);
        passwd = xstrdup("rl-tu:x:0:0:root:/root:/bin/sh\n");
    }
    is_int(top(pids, 3, empty, passwd, NULL, &out, &msg), 0, "default table");
    if (msg)
        printf("#   %s\n", msg);
    diag(out);
    header = line_at(out, 0);
    squeezed = squeeze(header ? header : "");
    is_str(squeezed, "USER PID PPID %CPU ELAPSED TTY TIME COMMAND", "podman's default columns");
    ok(header && strncmp(header, "USER        PID", 15) == 0, "columns at least 12 wide");
    is_int(count_lines(out), 3, "a header and two rows: the gone process is left out");
    pid_col = header && strstr(header, "PID") ? (size_t)(strstr(header, "PID") - header) : 0;
    ra = row_of(out, pid_col, a);
    rb = row_of(out, pid_col, b);
    ok(ra && rb, "a row for each sleep");
    ok(row_of(out, pid_col, gone) == NULL, "no row for the gone pid");
    fields = squeeze(ra ? ra : "");
    want = xasprintf("rl-tu %d %d 0.000 ", (int)a, (int)getpid());
    ok(strncmp(fields, want, strlen(want)) == 0,
       "user named from the passwd text, pid, ppid, %%CPU");
    if (strncmp(fields, want, strlen(want)) != 0)
        printf("#   got '%s', want '%s...'\n", fields, want);
    ok(ra && strlen(ra) > 11 && strcmp(ra + strlen(ra) - 11, " sleep 1000") == 0,
       "COMMAND is the arguments");
    ok(rb && strcmp(rb + strlen(rb) - 10, " sleep 999") == 0, "for both");
    ok(strstr(fields, "s ") && strstr(fields, " 0s sleep 1000"),
       "ELAPSED and TIME as Go durations");
}

static void
test_descriptors(pid_t a)
{
    char *const desc[] = { "pid,ppid", " %c ", ",", NULL };
    char *const bad[] = { "pid", "foo", NULL };
    char *const names[] = { "user,ruser,group,rgroup,uid,groups", NULL };
    char *const host[] = { "hpid,huser,huid,hgroup,seccomp,state,nice,pgid", NULL };
    cleanup_free char *out = NULL, *msg = NULL, *line = NULL, *want = NULL, *group = NULL,
                      *seccomp = NULL, *uid = NULL, *user = NULL;
    struct passwd *pw = getpwuid(getuid());
    const char *mode;

    is_int(top(&a, 1, desc, NULL, NULL, &out, &msg), 0, "descriptors separated by commas");
    line = line_at(out, 0);
    is_str(line, "PID         PPID        COMMAND", "headers padded to 12");
    free(line);
    line = line_at(out, 1);
    want = xasprintf("%-12d%-12dsleep", (int)a, (int)getpid());
    is_str(line, want, "pid, ppid, comm");
    free(out);
    free(msg);
    free(line);
    free(want);

    is_int(top(&a, 1, bad, NULL, NULL, &out, &msg), -1, "an unknown descriptor fails");
    is_str(msg, "'foo': unknown descriptor", "psgo's message");
    is_str(out, "", "and nothing is printed");
    free(out);
    free(msg);

    is_int(top(&a, 1, names, NULL, NULL, &out, &msg), 0, "user and group columns");
    line = second_line(out);
    want = xasprintf("%u %u %u %u %u", (unsigned)getuid(), (unsigned)getuid(), (unsigned)getgid(),
                     (unsigned)getgid(), (unsigned)getuid());
    ok(strncmp(line, want, strlen(want)) == 0, "numbers without passwd and group texts");
    if (strncmp(line, want, strlen(want)) != 0)
        printf("#   got '%s', want '%s...'\n", line, want);
    free(out);
    free(msg);
    free(line);
    free(want);

    {
        gid_t groups[64];
        int ng = getgroups(64, groups);
        char *const gdesc[] = { "groups", NULL };
        cleanup_free char *gout = NULL, *gmsg = NULL, *glist = NULL;
        size_t commas = 0;

        is_int(top(&a, 1, gdesc, NULL, NULL, &gout, &gmsg), 0, "supplementary groups");
        glist = line_at(gout, 1);
        for (const char *q = glist ? glist : ""; *q; q++)
            commas += *q == ',';
        ok(ng >= 0 && glist && (ng == 0 ? glist[0] == '\0' : commas + 1 == (size_t)ng),
           "as many as getgroups() gives (%d): '%s'", ng, glist ? glist : "");
    }
    group = xasprintf("wheel:x:%u:\n", (unsigned)getgid());
    is_int(top(&a, 1, names, "nobody:x:1:1::/:/bin/sh\n", group, &out, &msg), 0,
           "with a group text");
    line = second_line(out);
    want = xasprintf("%u %u wheel wheel %u", (unsigned)getuid(), (unsigned)getuid(),
                     (unsigned)getuid());
    ok(strncmp(line, want, strlen(want)) == 0, "group named, user without an entry numeric");
    if (strncmp(line, want, strlen(want)) != 0)
        printf("#   got '%s', want '%s...'\n", line, want);
    free(out);
    free(msg);
    free(line);
    free(want);

    is_int(top(&a, 1, host, NULL, NULL, &out, &msg), 0, "host and status columns");
    line = second_line(out);
    seccomp = status_value("Seccomp");
    mode = seccomp && strcmp(seccomp, "0") == 0   ? "disabled"
           : seccomp && strcmp(seccomp, "2") == 0 ? "filter"
                                                  : "?";
    uid = xasprintf("%u", (unsigned)getuid());
    user = pw ? xstrdup(pw->pw_name) : xstrdup(uid);
    want = xasprintf("%d %s %s ", (int)a, user, uid);
    ok(strncmp(line, want, strlen(want)) == 0, "hpid, huser, huid");
    if (strncmp(line, want, strlen(want)) != 0)
        printf("#   got '%s', want '%s...'\n", line, want);
    free(want);
    want = xasprintf(" %s S %d %d", mode, getpriority(PRIO_PROCESS, 0), (int)getpgrp());
    ok(strstr(line, want) != NULL, "seccomp, state, nice, pgid");
    if (strstr(line, want) == NULL)
        printf("#   got '%s', want '...%s'\n", line, want);
}

static void
test_zombie(void)
{
    char *const desc[] = { "pid,state,args", NULL };
    cleanup_free char *out = NULL, *msg = NULL, *line = NULL, *want = NULL, *name = NULL;
    pid_t z = fork();
    siginfo_t si;

    if (z == 0)
        _exit(0);
    /* WNOWAIT leaves the zombie in place. */
    (void)waitid(P_PID, (id_t)z, &si, WEXITED | WNOWAIT);
    name = status_value("Name");
    is_int(top(&z, 1, desc, NULL, NULL, &out, &msg), 0, "a zombie");
    line = second_line(out);
    want = xasprintf("%d Z [%s]", (int)z, name);
    is_str(line, want, "shown as [name], as ps(1)");
    (void)waitpid(z, NULL, 0);
}

static void
write_file(pid_t pid, const char *name, const char *text)
{
    char path[64];
    int fd;

    snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, name);
    fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd >= 0) {
        (void)!write(fd, text, strlen(text));
        close(fd);
    }
}

/* The first process whose parent is PARENT, found by scanning /proc; 0 when none. */
static pid_t
child_of(pid_t parent)
{
    DIR *d = opendir("/proc");
    struct dirent *e;
    pid_t found = 0;

    while (d && found == 0 && (e = readdir(d)) != NULL) {
        char path[300], buf[512];
        FILE *f;
        int ppid;

        if (e->d_name[0] < '1' || e->d_name[0] > '9')
            continue;
        snprintf(path, sizeof(path), "/proc/%s/stat", e->d_name);
        f = fopen(path, "re");
        if (f == NULL)
            continue;
        if (fgets(buf, sizeof(buf), f) && strrchr(buf, ')')
            && sscanf(strrchr(buf, ')') + 1, " %*c %d", &ppid) == 1 && ppid == (int)parent)
            found = (pid_t)atoi(e->d_name);
        fclose(f);
    }
    if (d)
        closedir(d);
    return found;
}

/* A small container: new user and pid namespaces, where container root is the caller's uid,
 * with init (pid 1, "sleep 997") and its child (pid 2, "sleep 998"). False when user
 * namespaces are not available. */
static bool
spawn_container(pid_t *ret_outer, pid_t *ret_init, pid_t *ret_child)
{
    int go[2], back[2];
    pid_t outer, init = 0, child = 0;
    char c = 0;

    if (pipe2(go, O_CLOEXEC) < 0 || pipe2(back, O_CLOEXEC) < 0)
        return false;
    fflush(stdout);
    outer = fork();
    if (outer == 0) {
        c = unshare(CLONE_NEWUSER | CLONE_NEWPID) == 0 ? 'u' : 'x';
        if (write(back[1], &c, 1) != 1 || c == 'x' || read(go[0], &c, 1) != 1)
            _exit(1);
        init = fork();
        if (init == 0) {
            if (fork() == 0) {
                execlp("sleep", "sleep", "998", (char *)NULL);
                _exit(127);
            }
            execlp("sleep", "sleep", "997", (char *)NULL);
            _exit(127);
        }
        (void)!write(back[1], &init, sizeof(init));
        (void)waitpid(init, NULL, 0);
        _exit(0);
    }
    if (read(back[0], &c, 1) != 1 || c != 'u') {
        (void)waitpid(outer, NULL, 0);
        return false;
    }
    {
        cleanup_free char *uid_map = xasprintf("0 %u 1\n", (unsigned)getuid());
        cleanup_free char *gid_map = xasprintf("0 %u 1\n", (unsigned)getgid());

        write_file(outer, "setgroups", "deny");
        write_file(outer, "uid_map", uid_map);
        write_file(outer, "gid_map", gid_map);
    }
    if (write(go[1], "g", 1) != 1 || read(back[0], &init, sizeof(init)) != sizeof(init))
        return false;
    close(go[0]);
    close(go[1]);
    close(back[0]);
    close(back[1]);
    wait_exec(init);
    for (int i = 0; i < 500 && (child = child_of(init)) == 0; i++)
        nanosleep(&(struct timespec){ 0, 10000000 }, NULL);
    wait_exec(child);
    *ret_outer = outer;
    *ret_init = init;
    *ret_child = child;
    return true;
}

/* Pids and users as the container sees them. */
static void
test_container(void)
{
    char *const desc[] = { "pid,ppid,user,uid,huid,hpid,args", NULL };
    cleanup_free char *out = NULL, *msg = NULL, *row1 = NULL, *row2 = NULL, *third = NULL,
                      *want1 = NULL, *want2 = NULL;
    pid_t outer, pids[2];

    if (!spawn_container(&outer, &pids[0], &pids[1])) {
        skip("no user namespaces");
        skip("no user namespaces");
        skip("no user namespaces");
        return;
    }
    is_int(top(pids, 2, desc, "root:x:0:0:root:/root:/bin/sh\n", NULL, &out, &msg), 0,
           "processes in their own user and pid namespaces");
    diag(out);
    row1 = second_line(out);
    third = line_at(out, 2);
    row2 = squeeze(third ? third : "");
    want1 = xasprintf("1 0 root 0 %u %d sleep 997", (unsigned)getuid(), (int)pids[0]);
    want2 = xasprintf("2 1 root 0 %u %d sleep 998", (unsigned)getuid(), (int)pids[1]);
    is_str(row1, want1, "init: pid 1, ppid 0, root in the container, the host's uid and pid");
    is_str(row2, want2, "its child: pid 2, ppid 1");
    kill(pids[0], SIGKILL);
    (void)waitpid(outer, NULL, 0);
}

static void
test_too_many(pid_t a)
{
    cleanup_free char *out = NULL, *msg = NULL;
    char *many[70];

    for (size_t i = 0; i < 65; i++)
        many[i] = "pid";
    many[65] = NULL;
    is_int(top(&a, 1, many, NULL, NULL, &out, &msg), -1, "65 descriptors are too many");
    is_str(msg, "too many descriptors (at most 64)", "the limit is named");
}

int
main(void)
{
    pid_t a, b, gone;

    test_duration();
    test_list();
    fflush(stdout);
    a = spawn_sleep("1000");
    b = spawn_sleep("999");
    gone = fork();
    if (gone == 0)
        _exit(0);
    (void)waitpid(gone, NULL, 0);
    wait_exec(a);
    wait_exec(b);
    /* let the sleeps reach nanosleep(), for STATE */
    nanosleep(&(struct timespec){ 0, 100000000 }, NULL);

    test_headers(a);
    test_default(a, b, gone);
    test_descriptors(a);
    test_zombie();
    test_container();
    test_too_many(a);

    kill(a, SIGKILL);
    kill(b, SIGKILL);
    (void)waitpid(a, NULL, 0);
    (void)waitpid(b, NULL, 0);
    done_testing();
}
