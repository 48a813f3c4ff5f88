#include "config.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "container.h"
#include "fs.h"
#include "state.h"
#include "tap.h"

static char base[] = "/tmp/rl-test-fs-XXXXXX";

static char *
at(const char *rel)
{
    return xasprintf("%s/%s", base, rel);
}

static void
put(const char *rel, const char *text)
{
    cleanup_free char *p = at(rel);
    FILE *f = fopen(p, "we");
    if (f == NULL)
        abort();
    fputs(text, f);
    fclose(f);
}

static void
dir(const char *rel)
{
    cleanup_free char *p = at(rel);
    if (mkdir(p, 0755) < 0 && errno != EEXIST)
        abort();
}

static void
link_to(const char *target, const char *rel)
{
    cleanup_free char *p = at(rel);
    if (symlink(target, p) < 0)
        abort();
}

static bool
exists(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0;
}

static bool
rel_exists(const char *rel)
{
    cleanup_free char *p = at(rel);
    return exists(p);
}

static bool
rel_is_dir(const char *rel)
{
    cleanup_free char *p = at(rel);
    struct stat st;
    return lstat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* The contents of an open fd, or NULL. */
static char *
slurp(int fd)
{
    rl_error_t err = NULL;
    char *buf = NULL;

    if (rl_read_all_fd(fd, 1 << 20, &buf, NULL, &err) < 0) {
        rl_error_release(&err);
        return NULL;
    }
    return buf;
}

static bool
same_file(int fd, const char *rel)
{
    cleanup_free char *p = at(rel);
    struct stat a, b;
    return fstat(fd, &a) == 0 && stat(p, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

/* Open PATH below the test root; returns the file's contents, or NULL and sets *ret_errno. */
static char *
read_in_root(int rootfd, const char *path, int *ret_errno)
{
    rl_error_t err = NULL;
    cleanup_close int fd = rl_safe_openat(rootfd, path, O_RDONLY, 0, &err);

    *ret_errno = 0;
    if (fd < 0) {
        *ret_errno = err ? err->status : -1;
        rl_error_release(&err);
        return NULL;
    }
    return slurp(fd);
}

static void
test_safe_openat(void)
{
    cleanup_free char *root = at("root");
    cleanup_free char *outside_abs = at("outside");
    cleanup_close int rootfd = -1;
    cleanup_close int slash = -1;
    rl_error_t err = NULL;
    char *text;
    int e, fd;

    dir("root");
    dir("root/dir");
    dir("outside");
    put("root/dir/file", "in dir");
    put("outside/keep", "outside");
    put("x", "outside x");
    put("root/x", "inside x");
    link_to("/etc", "root/evil");
    link_to("../../..", "root/up");
    link_to("/dir", "root/abs");
    link_to("loop", "root/loop");
    link_to(outside_abs, "root/out");

    rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
    ok(rootfd >= 0, "open the test root");

    text = read_in_root(rootfd, "dir/file", &e);
    is_str(text, "in dir", "a plain path opens");
    free(text);
    text = read_in_root(rootfd, "///dir//file", &e);
    is_str(text, "in dir", "leading and doubled slashes are fine");
    free(text);

    /* root/etc/passwd does not exist yet: evil/passwd must not reach the host's /etc. */
    text = read_in_root(rootfd, "evil/passwd", &e);
    ok(text == NULL, "evil/passwd does not open the host's /etc/passwd");
    is_int(e, ENOENT, "evil/passwd is ENOENT while root/etc/passwd is missing");
    free(text);
    ok(rl_safe_openat(rootfd, "evil/passwd", O_RDONLY, 0, &err) < 0, "error returned");
    ok(err && strcmp(err->msg, "open 'evil/passwd'") == 0, "message names the path: %s",
       err ? err->msg : "(none)");
    rl_error_release(&err);

    dir("root/etc");
    put("root/etc/passwd", "inside passwd");
    text = read_in_root(rootfd, "evil/passwd", &e);
    is_str(text, "inside passwd", "evil -> /etc resolves to root/etc");
    free(text);
    text = read_in_root(rootfd, "up/etc/passwd", &e);
    is_str(text, "inside passwd", "up -> ../../.. stops at the root");
    free(text);
    text = read_in_root(rootfd, "../x", &e);
    is_str(text, "inside x", "../x stays inside");
    free(text);
    text = read_in_root(rootfd, "/../../../../x", &e);
    is_str(text, "inside x", "/../../../../x stays inside");
    free(text);
    text = read_in_root(rootfd, "up/up/x", &e);
    is_str(text, "inside x", "up/up/x stays inside");
    free(text);
    text = read_in_root(rootfd, "dir/../../x", &e);
    is_str(text, "inside x", "dir/../../x stays inside");
    free(text);
    text = read_in_root(rootfd, "abs/file", &e);
    is_str(text, "in dir", "an absolute symlink is taken from the root");
    free(text);
    text = read_in_root(rootfd, "out/keep", &e);
    ok(text == NULL && e == ENOENT, "a symlink to a host directory does not leave the root");
    free(text);
    text = read_in_root(rootfd, "loop", &e);
    ok(text == NULL && e == ELOOP, "a symlink loop is ELOOP");
    free(text);

    fd = rl_safe_openat(rootfd, "/", O_PATH | O_DIRECTORY, 0, &err);
    ok(fd >= 0 && same_file(fd, "root"), "'/' is the root itself");
    if (fd >= 0)
        close(fd);
    fd = rl_safe_openat(rootfd, "", O_PATH | O_DIRECTORY, 0, &err);
    ok(fd >= 0 && same_file(fd, "root"), "'' is the root itself");
    if (fd >= 0)
        close(fd);
    fd = rl_safe_openat(rootfd, "..", O_PATH | O_DIRECTORY, 0, &err);
    ok(fd >= 0 && same_file(fd, "root"), "'..' is the root itself");
    if (fd >= 0)
        close(fd);
    rl_error_release(&err);

    /* O_CREAT through a symlink that points out: created inside (here impossible), never out. */
    fd = rl_safe_openat(rootfd, "out/new", O_WRONLY | O_CREAT, 0644, &err);
    ok(fd < 0, "O_CREAT through a symlink to a host directory fails");
    ok(!rel_exists("outside/new"), "nothing was created outside");
    if (fd >= 0)
        close(fd);
    rl_error_release(&err);
    fd = rl_safe_openat(rootfd, "evil/created", O_WRONLY | O_CREAT | O_EXCL, 0600, &err);
    ok(fd >= 0 && rel_exists("root/etc/created"), "O_CREAT through evil creates root/etc/created");
    if (fd >= 0)
        close(fd);
    ok(!exists("/etc/created"), "and not /etc/created");
    rl_error_release(&err);

    fd = rl_safe_openat(rootfd, "dir/file", O_RDONLY, 0, &err);
    ok(fd >= 0 && (fcntl(fd, F_GETFD) & FD_CLOEXEC), "the fd is O_CLOEXEC");
    if (fd >= 0)
        close(fd);

    /* Magic links (/proc/self/...) are refused even when the root is the real "/". */
    slash = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
    fd = rl_safe_openat(slash, "/proc/self/exe", O_RDONLY, 0, &err);
    if (fd >= 0 || (err && err->status != ELOOP && access("/proc/self/exe", F_OK) < 0)) {
        skip("/proc is not mounted");
        if (fd >= 0)
            close(fd);
    } else {
        ok(fd < 0 && err && err->status == ELOOP, "/proc/self/exe is refused (magic link)");
    }
    rl_error_release(&err);
}

static void
test_safe_mkdir_p(void)
{
    cleanup_free char *root = at("mk");
    cleanup_free char *outside_abs = at("mkout");
    cleanup_free char *escape1 = xasprintf("/tmp/rl-escape-%d", (int)getpid());
    cleanup_free char *escape2 = xasprintf("/rl-escape-%d", (int)getpid());
    cleanup_free char *esc_name = xasprintf("up/rl-escape-%d/sub", (int)getpid());
    cleanup_free char *esc_inside = xasprintf("mk/rl-escape-%d/sub", (int)getpid());
    cleanup_free char *dangling = xasprintf("%s/newdir", outside_abs);
    cleanup_close int rootfd = -1;
    rl_error_t err = NULL;
    int fd;

    dir("mk");
    dir("mkout");
    put("mkout/keep", "outside");
    dir("mk/target");
    link_to(outside_abs, "mk/link");
    link_to("/target", "mk/intarget");
    link_to("../../..", "mk/up");
    link_to(dangling, "mk/dangling");
    put("mk/file", "x");
    rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);

    fd = rl_safe_mkdir_p(rootfd, "a/b/c", 0755, &err);
    ok(fd >= 0, "mkdir_p a/b/c");
    ok(rel_is_dir("mk/a/b/c"), "mk/a/b/c is a directory");
    ok(fd >= 0 && same_file(fd, "mk/a/b/c"), "the returned fd is a/b/c");
    ok(fd >= 0 && (fcntl(fd, F_GETFL) & O_PATH), "the returned fd is O_PATH");
    if (fd >= 0)
        close(fd);
    fd = rl_safe_mkdir_p(rootfd, "/a/b/c/", 0755, &err);
    ok(fd >= 0 && same_file(fd, "mk/a/b/c"), "again, existing, with slashes around");
    if (fd >= 0)
        close(fd);
    fd = rl_safe_mkdir_p(rootfd, "a//b///d", 0755, &err);
    ok(fd >= 0 && rel_is_dir("mk/a/b/d"), "doubled slashes");
    if (fd >= 0)
        close(fd);
    fd = rl_safe_mkdir_p(rootfd, "/", 0755, &err);
    ok(fd >= 0 && same_file(fd, "mk"), "'/' returns the root");
    if (fd >= 0)
        close(fd);
    fd = rl_safe_mkdir_p(rootfd, "", 0755, &err);
    ok(fd >= 0 && same_file(fd, "mk"), "'' returns the root");
    if (fd >= 0)
        close(fd);
    ok(err == NULL, "no error so far");
    rl_error_release(&err);

    fd = rl_safe_mkdir_p(rootfd, "a/../escape", 0755, &err);
    ok(fd < 0 && err && err->status == EINVAL, "'..' is refused");
    ok(err && strstr(err->msg, "contains '..'"), "message says why: %s", err ? err->msg : "");
    rl_error_release(&err);
    fd = rl_safe_mkdir_p(rootfd, "file/sub", 0755, &err);
    ok(fd < 0 && err && err->status == ENOTDIR, "a file on the way is ENOTDIR");
    rl_error_release(&err);

    fd = rl_safe_mkdir_p(rootfd, "intarget/x/y", 0755, &err);
    ok(fd >= 0 && rel_is_dir("mk/target/x/y"), "a symlink to /target creates root/target/x/y");
    ok(fd >= 0 && same_file(fd, "mk/target/x/y"), "and returns it");
    if (fd >= 0)
        close(fd);
    rl_error_release(&err);

    fd = rl_safe_mkdir_p(rootfd, esc_name, 0755, &err);
    ok(fd >= 0 && rel_is_dir(esc_inside), "up -> ../../.. creates inside the root");
    ok(!exists(escape1) && !exists(escape2), "and not outside it");
    if (fd >= 0)
        close(fd);
    rl_error_release(&err);

    /* link -> <base>/mkout: resolved in the root, where that path does not exist. */
    fd = rl_safe_mkdir_p(rootfd, "link/new/deep", 0755, &err);
    ok(!rel_exists("mkout/new"), "a symlink to a host directory creates nothing there");
    ok(fd < 0 || same_file(fd, "mk/link") == false, "it never returns a host directory");
    {
        cleanup_close int out = open(outside_abs, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        cleanup_dir DIR *d = out >= 0 ? fdopendir(out) : NULL;
        struct dirent *de;
        int n = 0;
        if (d)
            out = -1;
        while (d && (de = readdir(d)) != NULL)
            n += strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0;
        is_int(n, 1, "the outside directory still holds only 'keep'");
    }
    if (fd >= 0)
        close(fd);
    rl_error_release(&err);

    fd = rl_safe_mkdir_p(rootfd, "dangling", 0755, &err);
    ok(!rel_exists("mkout/newdir"), "a dangling symlink out creates nothing outside");
    if (fd >= 0)
        close(fd);
    rl_error_release(&err);
}

static void
test_read_write(void)
{
    cleanup_free char *path = at("rw");
    cleanup_free char *missing = at("nodir/file");
    cleanup_free char *big = NULL;
    cleanup_free char *buf = NULL;
    rl_error_t err = NULL;
    struct stat st;
    size_t len = 99;
    mode_t old = umask(022);

    is_int(rl_write_file_atomic(path, "hello\n", 6, 0640, true, &err), 0, "write_file_atomic");
    ok(stat(path, &st) == 0 && (st.st_mode & 07777) == 0640, "mode 0640");
    is_int(rl_read_file(path, 100, &buf, &len, &err), 0, "read_file");
    is_str(buf, "hello\n", "contents round-trip");
    is_int(len, 6, "length");
    free(buf);
    buf = NULL;

    is_int(rl_write_file_atomic(path, "x", 1, 0600, false, &err), 0, "overwrite with less");
    rl_read_file(path, 100, &buf, NULL, &err);
    is_str(buf, "x", "no stale bytes after a shorter write (ret_len may be NULL)");
    ok(stat(path, &st) == 0 && (st.st_mode & 07777) == 0600, "mode of the new file");
    free(buf);
    buf = NULL;

    {
        cleanup_dir DIR *d = opendir(base);
        struct dirent *de;
        bool tmp_left = false;
        while (d && (de = readdir(d)) != NULL)
            tmp_left = tmp_left || strstr(de->d_name, ".tmp-") != NULL;
        ok(!tmp_left, "no temporary file left behind");
    }

    is_int(rl_write_file_atomic(path, "a\0b", 3, 0600, true, &err), 0, "binary contents");
    rl_read_file(path, 100, &buf, &len, &err);
    ok(len == 3 && memcmp(buf, "a\0b", 4) == 0, "NUL bytes kept, buffer NUL-terminated");
    free(buf);
    buf = NULL;

    is_int(rl_write_file_atomic(path, "", 0, 0600, true, &err), 0, "empty file");
    is_int(rl_read_file(path, 0, &buf, &len, &err), 0, "read empty file with max 0");
    ok(buf && buf[0] == '\0' && len == 0, "empty contents");
    free(buf);
    buf = NULL;

    big = xmalloc(100000);
    for (size_t i = 0; i < 100000; i++)
        big[i] = (char)('a' + i % 26);
    is_int(rl_write_file_atomic(path, big, 100000, 0600, true, &err), 0, "write 100000 bytes");
    is_int(rl_read_file(path, 100000, &buf, &len, &err), 0, "read with max == size");
    ok(len == 100000 && memcmp(buf, big, len) == 0, "100000 bytes round-trip");
    free(buf);
    buf = NULL;

    is_int(rl_read_file(path, 99999, &buf, &len, &err), -EFBIG, "max one below size: -EFBIG");
    ok(buf == NULL, "*ret_buf untouched on failure");
    ok(err && err->status == EFBIG, "status EFBIG");
    ok(err && strstr(err->msg, path) && strstr(err->msg, "larger than 99999"),
       "message names the file and the limit: %s", err ? err->msg : "");
    rl_error_release(&err);
    is_int(rl_read_file(path, 10, &buf, &len, &err), -EFBIG, "max 10: -EFBIG");
    rl_error_release(&err);

    is_int(rl_read_file(missing, 10, &buf, &len, &err), -ENOENT, "read missing: -ENOENT");
    ok(err && strstr(err->msg, "open '") && strstr(err->msg, "nodir/file"), "names the file");
    rl_error_release(&err);
    is_int(rl_write_file_atomic(missing, "x", 1, 0600, true, &err), -ENOENT,
           "atomic write into a missing directory: -ENOENT");
    ok(err && strstr(err->msg, "nodir/file.tmp-"), "names the temporary file: %s",
       err ? err->msg : "");
    rl_error_release(&err);

    is_int(rl_write_file(missing, "x", 1, &err), -ENOENT, "write_file does not create");
    rl_error_release(&err);
    is_int(rl_write_file(path, "XY", 2, &err), 0, "write_file to an existing file");
    rl_read_file(path, 200000, &buf, &len, &err);
    ok(buf && buf[0] == 'X' && buf[1] == 'Y', "written at the start");
    free(buf);
    buf = NULL;

    {
        int p[2];
        if (pipe(p) == 0) {
            is_int(rl_write_all(p[1], "pipe", 4, &err), 0, "write_all to a pipe");
            close(p[1]);
            rl_read_all_fd(p[0], 100, &buf, &len, &err);
            ok(len == 4 && strcmp(buf, "pipe") == 0, "read_all_fd from a pipe");
            close(p[0]);
            free(buf);
            buf = NULL;
        }
    }
    is_int(rl_write_all(-1, "x", 1, &err), -EBADF, "write_all to a bad fd");
    rl_error_release(&err);
    umask(old);
}

static void
test_mkdir_p(void)
{
    cleanup_free char *deep = at("m/n/o");
    cleanup_free char *trail = at("p/q/");
    cleanup_free char *through = at("mfile/sub");
    rl_error_t err = NULL;

    is_int(rl_mkdir_p(deep, 0755, &err), 0, "mkdir_p m/n/o");
    ok(rel_is_dir("m/n/o"), "m/n/o exists");
    is_int(rl_mkdir_p(deep, 0755, &err), 0, "mkdir_p of an existing path");
    is_int(rl_mkdir_p(trail, 0755, &err), 0, "trailing slash");
    ok(rel_is_dir("p/q"), "p/q exists");
    put("mfile", "x");
    ok(rl_mkdir_p(through, 0755, &err) < 0, "through a file fails");
    ok(err && err->status == ENOTDIR && strstr(err->msg, "mkdir '"), "ENOTDIR, names the path");
    rl_error_release(&err);

    /* An empty path once read past the end of its copy (AddressSanitizer saw it): now it is
     * refused, in every build. */
    ok(rl_mkdir_p("", 0755, &err) < 0, "rl_mkdir_p(\"\") fails");
    ok(err && err->status == ENOENT && strstr(err->msg, "empty path"), "and says why");
    rl_error_release(&err);
}

static void
test_rm_rf(void)
{
    cleanup_free char *outside_abs = at("rmout");
    cleanup_free char *outfile = at("rmout/keep");
    cleanup_free char *tree = at("t");
    cleanup_free char *lnk = at("lnk");
    cleanup_free char *plain = at("plain");
    cleanup_free char *missing = at("nothing/here");
    cleanup_free char *text = NULL;
    rl_error_t err = NULL;

    dir("rmout");
    dir("rmout/sub");
    put("rmout/keep", "keep me");
    put("rmout/sub/deep", "deep");
    dir("t");
    dir("t/a");
    dir("t/a/b");
    dir("t/a/b/c");
    put("t/a/b/c/file", "x");
    put("t/top", "x");
    link_to(outside_abs, "t/dirlink");
    link_to(outfile, "t/a/filelink");
    link_to("/nonexistent/target", "t/a/b/dangling");
    link_to("../../..", "t/a/b/up");
    {
        cleanup_free char *fifo = at("t/a/fifo");
        (void)mkfifo(fifo, 0600);
    }

    is_int(rl_rm_rf(tree, &err), 0, "rm_rf a tree with symlinks");
    ok(!rel_exists("t"), "the tree is gone");
    ok(rel_exists("rmout/keep") && rel_exists("rmout/sub/deep"),
       "the directory a symlink pointed to is untouched");
    rl_read_file(outfile, 100, &text, NULL, &err);
    is_str(text, "keep me", "the file a symlink pointed to is untouched");

    link_to(outside_abs, "lnk");
    is_int(rl_rm_rf(lnk, &err), 0, "rm_rf of a symlink to a directory");
    ok(!rel_exists("lnk") && rel_exists("rmout/keep"), "removes the link, not the target");

    put("plain", "x");
    is_int(rl_rm_rf(plain, &err), 0, "rm_rf of a file");
    ok(!rel_exists("plain"), "the file is gone");
    is_int(rl_rm_rf(missing, &err), 0, "rm_rf of a missing path is fine");
    ok(err == NULL, "no error");
    rl_error_release(&err);
}

static void
test_check_id(void)
{
    const char *good[] = { "a", "abc", "A-b_c.1", "0", "x.", "x-", "_x" };
    const char *bad[] = { "",    "../x",        ".x", "-x", "a/b", "a b", "a\nb",
                          "a:b", "caf\xc3\xa9", "..", ".",  "a*",  "a\\b" };
    char longest[130];
    rl_error_t err = NULL;

    for (size_t i = 0; i < RL_ARRAY_SIZE(good); i++)
        is_int(rl_state_check_id(good[i], &err), 0, "id '%s' is valid", good[i]);
    for (size_t i = 0; i < RL_ARRAY_SIZE(bad); i++) {
        cleanup_free char *shown = xstrdup(bad[i]);
        for (char *p = shown; *p; p++)
            if (*p == '\n')
                *p = '?';
        ok(rl_state_check_id(bad[i], &err) < 0, "id '%s' is refused", shown);
        ok(err && err->status == EINVAL && strstr(err->msg, "invalid container id"),
           "EINVAL 'invalid container id'");
        rl_error_release(&err);
    }
    memset(longest, 'a', 128);
    longest[128] = '\0';
    is_int(rl_state_check_id(longest, &err), 0, "128 characters is valid");
    longest[128] = 'a';
    longest[129] = '\0';
    ok(rl_state_check_id(longest, &err) < 0, "129 characters is refused");
    ok(err && strstr(err->msg, "1 to 128 characters"), "message gives the limit");
    rl_error_release(&err);
}

static void
test_proc_start_time(void)
{
    unsigned long long self = rl_proc_start_time(getpid());
    int to_child[2], to_parent[2];
    unsigned long long before, after;
    pid_t pid;
    char c = 0;

    ok(self > 0, "start time of this process > 0 (%llu)", self);
    is_int(rl_proc_start_time(getpid()), self, "stable");
    is_int(rl_proc_start_time(0), 0, "pid 0 -> 0");
    is_int(rl_proc_start_time(-1), 0, "pid -1 -> 0");

    /* A command name with spaces and parentheses must not shift the fields. */
    if (pipe2(to_child, O_CLOEXEC) < 0 || pipe2(to_parent, O_CLOEXEC) < 0)
        abort();
    pid = fork();
    if (pid == 0) {
        close(to_child[1]);
        (void)!read(to_child[0], &c, 1);
        prctl(PR_SET_NAME, "a) S 1 2 (b", 0, 0, 0);
        (void)!write(to_parent[1], "x", 1);
        (void)!read(to_child[0], &c, 1);
        _exit(0);
    }
    before = rl_proc_start_time(pid);
    (void)!write(to_child[1], "x", 1);
    (void)!read(to_parent[0], &c, 1);
    after = rl_proc_start_time(pid);
    ok(before > 0 && before >= self, "a running child has a start time");
    is_int(after, before, "a command name with ') S 1 2 (' does not change it");
    close(to_child[1]);
    /* Wait until it is a zombie, then reap it. */
    {
        siginfo_t si = { 0 };
        waitid(P_PID, (id_t)pid, &si, WEXITED | WNOWAIT);
    }
    is_int(rl_proc_start_time(pid), 0, "a zombie child -> 0");
    waitpid(pid, NULL, 0);
    is_int(rl_proc_start_time(pid), 0, "a reaped child -> 0");
    close(to_child[0]);
    close(to_parent[0]);
    close(to_parent[1]);
}

static void
test_state_json(void)
{
    cleanup_free char *root = at("state");
    struct rl_state st = { 0 };
    json_t *o;
    pid_t pid;

    dir("state");
    dir("state/c1");
    put("state/c1/exec.fifo", "");
    st.id = "c1";
    st.pid = getpid();
    st.start_time = rl_proc_start_time(getpid());
    st.bundle = "/bundle";
    st.created = "2024-01-02T03:04:05Z";
    st.owner = "someone";

    o = rl_state_to_json(root, &st);
    ok(o != NULL, "state to JSON");
    is_str(json_string_value(json_object_get(o, "ociVersion")), "1.1.0", "ociVersion");
    is_str(json_string_value(json_object_get(o, "id")), "c1", "id");
    is_str(json_string_value(json_object_get(o, "status")), "created", "created while exec.fifo");
    is_int(json_integer_value(json_object_get(o, "pid")), getpid(), "pid");
    is_str(json_string_value(json_object_get(o, "bundle")), "/bundle", "bundle");
    is_str(json_string_value(json_object_get(o, "created")), "2024-01-02T03:04:05Z", "created");
    is_str(json_string_value(json_object_get(o, "owner")), "someone", "owner");
    ok(json_is_object(json_object_get(o, "annotations"))
           && json_object_size(json_object_get(o, "annotations")) == 0,
       "annotations is {} when absent");
    json_decref(o);

    {
        cleanup_free char *fifo = at("state/c1/exec.fifo");
        unlink(fifo);
    }
    st.annotations = json_pack("{s:s}", "k", "v");
    o = rl_state_to_json(root, &st);
    is_str(json_string_value(json_object_get(o, "status")), "running", "running without exec.fifo");
    is_str(json_string_value(json_object_get(json_object_get(o, "annotations"), "k")), "v",
           "annotations copied");
    json_decref(o);

    st.start_time++;
    o = rl_state_to_json(root, &st);
    is_str(json_string_value(json_object_get(o, "status")), "stopped",
           "a pid with another start time is stopped");
    is_int(json_integer_value(json_object_get(o, "pid")), 0, "a stopped container has pid 0");
    json_decref(o);

    pid = fork();
    if (pid == 0)
        _exit(0);
    waitpid(pid, NULL, 0);
    st.pid = pid;
    st.start_time = 1;
    o = rl_state_to_json(root, &st);
    is_str(json_string_value(json_object_get(o, "status")), "stopped", "a reaped pid is stopped");
    json_decref(o);
    st.pid = 0;
    o = rl_state_to_json(root, &st);
    is_str(json_string_value(json_object_get(o, "status")), "stopped", "pid 0 is stopped");
    json_decref(o);
    json_decref(st.annotations);
}

static void
test_find_executable(void)
{
    cleanup_free char *bin1 = at("bin1");
    cleanup_free char *bin2 = at("bin2");
    cleanup_free char *tool1 = at("bin1/tool");
    cleanup_free char *tool2 = at("bin2/tool");
    cleanup_free char *path1 = xasprintf("PATH=%s", bin1);
    cleanup_free char *path12 = xasprintf("PATH=%s:%s", bin1, bin2);
    cleanup_free char *path21 = xasprintf("PATH=%s:%s", bin2, bin1);
    cleanup_free char *ret = NULL;
    rl_error_t err = NULL;
    char *env1[] = { "HOME=/", path1, "TERM=x", NULL };
    char *env12[] = { path12, NULL };
    char *env21[] = { path21, NULL };
    char *noenv[] = { "HOME=/", NULL };

    dir("bin1");
    dir("bin2");
    put("bin1/tool", "#!/bin/sh\n");
    put("bin2/tool", "#!/bin/sh\n");
    put("bin1/plain", "not executable\n");
    dir("bin1/adir");
    chmod(tool1, 0755);
    chmod(tool2, 0755);

    is_int(rl_find_executable("/bin/sh", NULL, &ret, &err), 0, "absolute /bin/sh");
    is_str(ret, "/bin/sh", "taken as is");
    free(ret);
    ret = NULL;
    is_int(rl_find_executable(tool1, env12, &ret, &err), 0, "absolute, PATH ignored");
    is_str(ret, tool1, "absolute path kept");
    free(ret);
    ret = NULL;

    is_int(rl_find_executable("tool", env1, &ret, &err), 0, "found in PATH=dir from env");
    is_str(ret, tool1, "full path returned");
    free(ret);
    ret = NULL;
    is_int(rl_find_executable("tool", env21, &ret, &err), 0, "two dirs");
    is_str(ret, tool2, "the first in PATH wins");
    free(ret);
    ret = NULL;

    chmod(tool1, 0644);
    is_int(rl_find_executable("tool", env12, &ret, &err), 0, "non-executable first is skipped");
    is_str(ret, tool2, "the executable one is found");
    free(ret);
    ret = NULL;
    ok(rl_find_executable("tool", env1, &ret, &err) < 0, "only a non-executable one");
    ok(err && err->status == EACCES, "is EACCES");
    ok(ret == NULL, "*ret untouched on failure");
    rl_error_release(&err);

    ok(rl_find_executable("missing-tool", env1, &ret, &err) < 0, "missing");
    ok(err && err->status == ENOENT, "is ENOENT");
    ok(err && strstr(err->msg, "not found in $PATH") && strstr(err->msg, "missing-tool"),
       "message: %s", err ? err->msg : "");
    rl_error_release(&err);

    ok(rl_find_executable("adir", env1, &ret, &err) < 0 && err && err->status == ENOENT,
       "a directory in PATH is not an executable");
    rl_error_release(&err);
    ok(rl_find_executable(bin1, env1, &ret, &err) < 0, "an absolute directory");
    ok(err && err->status == EACCES && strstr(err->msg, "is a directory"),
       "is EACCES 'is a directory'");
    rl_error_release(&err);
    ok(rl_find_executable("/nonexistent/tool", env1, &ret, &err) < 0 && err
           && err->status == ENOENT,
       "a missing absolute path is ENOENT");
    rl_error_release(&err);
    ok(rl_find_executable("", env1, &ret, &err) < 0 && err && err->status == ENOENT,
       "an empty name is ENOENT");
    rl_error_release(&err);

    is_int(rl_find_executable("sh", NULL, &ret, &err), 0, "no env: the default PATH finds sh");
    ok(ret && rl_str_has_suffix(ret, "/sh") && ret[0] == '/', "at %s", ret ? ret : "");
    free(ret);
    ret = NULL;
    is_int(rl_find_executable("sh", noenv, &ret, &err), 0, "env without PATH: the default PATH");
    free(ret);
    ret = NULL;
    rl_error_release(&err);
}

int
main(void)
{
    /* A test that hangs fails instead of stalling make check. */
    alarm(120);
    if (mkdtemp(base) == NULL) {
        printf("Bail out! mkdtemp: %s\n", strerror(errno));
        return 1;
    }
    test_safe_openat();
    test_safe_mkdir_p();
    test_read_write();
    test_mkdir_p();
    test_rm_rf();
    test_check_id();
    test_proc_start_time();
    test_state_json();
    test_find_executable();
    {
        rl_error_t err = NULL;
        ok(rl_rm_rf(base, &err) == 0 && !exists(base), "clean up the test directory");
        rl_error_release(&err);
    }
    done_testing();
}
