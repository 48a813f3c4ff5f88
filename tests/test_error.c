#include "config.h"

#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "error.h"
#include "fs.h"
#include "tap.h"

static void
test_make(void)
{
    rl_error_t err = NULL;
    cleanup_free char *text = NULL;
    cleanup_free char *want = NULL;

    is_int(rl_make_error(&err, ENOENT, "open '%s'", "x"), -ENOENT, "status ENOENT returns -ENOENT");
    ok(err != NULL, "the error is set");
    is_int(err->status, ENOENT, "status kept");
    is_str(err->msg, "open 'x'", "message formatted");
    text = rl_error_format(err);
    want = xasprintf("open 'x': %s", strerror(ENOENT));
    is_str(text, want, "format appends strerror(status)");
    rl_error_release(&err);
    ok(err == NULL, "release clears the pointer");
    rl_error_release(&err);
    ok(err == NULL, "release of a released error is a no-op");
    rl_error_release(NULL);
    ok(1, "release(NULL) is a no-op");

    free(text);
    is_int(rl_make_error(&err, 0, "bad %s", "thing"), -1, "status 0 returns -1");
    is_int(err->status, 0, "status 0 kept");
    text = rl_error_format(err);
    is_str(text, "bad thing", "format without a status is the message alone");
    rl_error_release(&err);

    is_int(rl_make_error(&err, EPERM, "x"), -EPERM, "EPERM returns -EPERM");
    rl_error_release(&err);
    is_int(rl_make_error(&err, -7, "x"), -1, "a negative status returns -1");
    rl_error_release(&err);
    is_int(rl_make_error(&err, EACCES, "%s", ""), -EACCES, "an empty message");
    is_str(err->msg, "", "empty message kept");
    rl_error_release(&err);

    is_int(rl_make_error(NULL, EIO, "nowhere"), -EIO, "err == NULL: still returns -status");
    is_int(rl_make_error(NULL, 0, "nowhere"), -1, "err == NULL, status 0: -1");
}

static void
test_never_overwrite(void)
{
    rl_error_t err = NULL;

    rl_make_error(&err, ENOENT, "first");
    is_int(rl_make_error(&err, EPERM, "second"), -ENOENT,
           "a second error returns the first one's status");
    is_str(err->msg, "first", "the first message is kept");
    is_int(err->status, ENOENT, "the first status is kept");
    rl_error_release(&err);

    rl_make_error(&err, 0, "first");
    is_int(rl_make_error(&err, EPERM, "second"), -1, "first without status: -1");
    is_str(err->msg, "first", "still the first message");
    rl_error_release(&err);
}

static void
test_wrap(void)
{
    rl_error_t err = NULL;
    cleanup_free char *text = NULL;
    cleanup_free char *want = NULL;

    is_int(rl_error_wrap(&err, "ctx"), -1, "wrap without an error returns -1");
    ok(err == NULL, "wrap without an error creates none");
    is_int(rl_error_wrap(NULL, "ctx"), -1, "wrap(NULL) returns -1");

    rl_make_error(&err, EACCES, "open '%s'", "/x");
    is_int(rl_error_wrap(&err, "pull '%s'", "alpine"), -EACCES, "wrap returns -status");
    is_str(err->msg, "pull 'alpine': open '/x'", "wrap prepends context");
    rl_error_wrap(&err, "rl %s", "run");
    is_str(err->msg, "rl run: pull 'alpine': open '/x'", "wraps nest outside in");
    is_int(err->status, EACCES, "wrap keeps the status");
    text = rl_error_format(err);
    want = xasprintf("rl run: pull 'alpine': open '/x': %s", strerror(EACCES));
    is_str(text, want, "format of a wrapped error");
    rl_error_release(&err);

    rl_make_error(&err, 0, "cause");
    is_int(rl_error_wrap(&err, "ctx"), -1, "wrap of a status-0 error returns -1");
    is_str(err->msg, "ctx: cause", "status-0 wrap");
    rl_error_release(&err);
}

/* Run rl_error_warn_and_release with stderr sent to a file; returns what it printed. */
static char *
capture_warning(rl_error_t *err)
{
    char path[] = "/tmp/rl-test-error-XXXXXX";
    cleanup_close int fd = mkstemp(path);
    cleanup_close int saved = dup(STDERR_FILENO);
    rl_error_t rerr = NULL;
    char *out = NULL;

    if (fd < 0 || saved < 0)
        return NULL;
    (void)unlink(path);
    fflush(stderr);
    dup2(fd, STDERR_FILENO);
    rl_error_warn_and_release(err);
    fflush(stderr);
    dup2(saved, STDERR_FILENO);
    if (lseek(fd, 0, SEEK_SET) < 0 || rl_read_all_fd(fd, 4096, &out, NULL, &rerr) < 0) {
        rl_error_release(&rerr);
        return NULL;
    }
    return out;
}

static void
test_warn(void)
{
    rl_error_t err = NULL;
    cleanup_free char *out = NULL;
    cleanup_free char *want = NULL;

    free(capture_warning(NULL));
    ok(1, "warn_and_release(NULL) is a no-op");
    out = capture_warning(&err);
    is_str(out, "", "warn_and_release of no error prints nothing");
    free(out);

    rl_make_error(&err, ENOENT, "remove '%s', continuing", "x");
    out = capture_warning(&err);
    want = xasprintf("rl: warning: remove 'x', continuing: %s\n", strerror(ENOENT));
    is_str(out, want, "warn_and_release prints one warning line");
    ok(err == NULL, "warn_and_release releases");
}

static void
test_send_recv(void)
{
    int sv[2];
    rl_error_t err = NULL;
    rl_error_t got = NULL;
    cleanup_free char *big = NULL;
    pid_t pid;
    int status;

    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
        skip("socketpair: %s", strerror(errno));
        return;
    }

    rl_make_error(&err, EACCES, "exec '%s'", "/bin/x");
    is_int(rl_error_send(sv[0], &err), 0, "send returns 0");
    rl_error_release(&err);
    is_int(rl_error_recv(sv[1], &got), -EACCES, "recv returns -status");
    ok(got != NULL, "recv sets the error");
    is_int(got->status, EACCES, "status carried over");
    is_str(got->msg, "exec '/bin/x'", "message carried over");
    rl_error_release(&got);

    rl_make_error(&err, 0, "no status");
    rl_error_send(sv[0], &err);
    rl_error_release(&err);
    is_int(rl_error_recv(sv[1], &got), -1, "status 0 comes back as -1");
    is_str(got->msg, "no status", "status-0 message");
    is_int(got->status, 0, "status 0 carried over");
    rl_error_release(&got);

    /* A long message is cut to fit one datagram, not lost. */
    big = xmalloc(10001);
    memset(big, 'a', 10000);
    big[10000] = '\0';
    rl_make_error(&err, EIO, "%s", big);
    is_int(rl_error_send(sv[0], &err), 0, "send of a 10000-byte message");
    rl_error_release(&err);
    is_int(rl_error_recv(sv[1], &got), -EIO, "recv of the long message");
    ok(got && strlen(got->msg) > 1000 && strlen(got->msg) <= 4096, "long message cut (%zu bytes)",
       got ? strlen(got->msg) : 0);
    ok(got && strspn(got->msg, "a") == strlen(got->msg), "cut message intact");
    rl_error_release(&got);

    is_int(rl_error_send(sv[0], NULL), 0, "send(NULL) sends nothing");
    is_int(rl_error_send(sv[0], &err), 0, "send of no error sends nothing");

    /* recv never overwrites an error that is already there. */
    rl_make_error(&err, EIO, "send me");
    rl_error_send(sv[0], &err);
    rl_error_release(&err);
    rl_make_error(&got, ENOENT, "already here");
    is_int(rl_error_recv(sv[1], &got), -ENOENT, "recv into a set error returns its status");
    is_str(got->msg, "already here", "recv keeps the first error");
    rl_error_release(&got);

    /* The real use: a forked child reports and exits. */
    pid = fork();
    if (pid == 0) {
        rl_error_t cerr = NULL;
        close(sv[1]);
        rl_make_error(&cerr, ENOEXEC, "exec '%s'", "/init");
        rl_error_wrap(&cerr, "child");
        _exit(rl_error_send(sv[0], &cerr) == 0 ? 0 : 1);
    }
    close(sv[0]);
    is_int(rl_error_recv(sv[1], &got), -ENOEXEC, "error from a forked child");
    is_str(got ? got->msg : NULL, "child: exec '/init'", "child's message");
    rl_error_release(&got);
    waitpid(pid, &status, 0);
    ok(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child sent without error");

    /* The child is gone and the last writer closed: an empty read. */
    is_int(rl_error_recv(sv[1], &got), -1, "recv after the peer exits");
    is_str(got ? got->msg : NULL, "child exited before reporting", "EOF message");
    is_int(got ? got->status : -1, 0, "EOF has no status");
    rl_error_release(&got);

    rl_make_error(&err, EIO, "x");
    is_int(rl_error_send(sv[1], &err), -EPIPE, "send to a closed peer is -EPIPE, no SIGPIPE");
    rl_error_release(&err);
    close(sv[1]);

    ok(rl_error_recv(sv[1], &got) < 0, "recv on a closed fd fails");
    ok(got && got->status == EBADF && strstr(got->msg, "read error from child"), "EBADF reported");
    rl_error_release(&got);
}

int
main(void)
{
    /* A test that hangs fails instead of stalling make check. */
    alarm(120);
    test_make();
    test_never_overwrite();
    test_wrap();
    test_warn();
    test_send_recv();
    done_testing();
}
