#include "config.h"

#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <string.h>

#include "container.h"
#include "util.h"
#include "tap.h"

static void
test_strv(void)
{
    char *abc[] = { "a", "b", "c", NULL };
    char *empty[] = { NULL };
    cleanup_strv char **copy = NULL;
    cleanup_strv char **none = NULL;

    is_int(rl_strv_len(NULL), 0, "strv_len(NULL) is 0");
    is_int(rl_strv_len(empty), 0, "strv_len of an empty vector is 0");
    is_int(rl_strv_len(abc), 3, "strv_len counts up to NULL");

    copy = rl_strv_dup(abc);
    ok(copy != NULL && copy != abc, "strv_dup returns a new vector");
    is_int(rl_strv_len(copy), 3, "the copy has the same length");
    is_str(copy[0], "a", "copy[0]");
    is_str(copy[2], "c", "copy[2]");
    ok(copy[3] == NULL, "the copy is NULL-terminated");
    ok(copy[1] != abc[1], "the strings are copied, not shared");

    none = rl_strv_dup(NULL);
    ok(none != NULL, "strv_dup(NULL) gives an empty vector, not NULL");
    is_int(rl_strv_len(none), 0, "strv_dup(NULL) is empty");

    rl_strv_free(NULL);
    ok(1, "strv_free(NULL) is a no-op");
}

static void
test_parse_ll(void)
{
    long long v = 1234;

    ok(rl_parse_ll("0", 0, 10, &v) && v == 0, "'0' parses");
    ok(rl_parse_ll("42", 0, 100, &v) && v == 42, "'42' parses");
    ok(rl_parse_ll("-5", -10, 10, &v) && v == -5, "'-5' parses with a negative minimum");
    ok(rl_parse_ll("-0", 0, 0, &v) && v == 0, "'-0' is 0");
    ok(rl_parse_ll("007", 0, 10, &v) && v == 7, "leading zeros are decimal, not octal");

    v = 1234;
    ok(!rl_parse_ll("", 0, 10, &v), "empty string is refused");
    ok(!rl_parse_ll(NULL, 0, 10, &v), "NULL is refused");
    ok(!rl_parse_ll("12x", 0, 100, &v), "trailing junk is refused");
    ok(!rl_parse_ll("x12", 0, 100, &v), "leading junk is refused");
    ok(!rl_parse_ll("12 ", 0, 100, &v), "trailing space is refused");
    ok(!rl_parse_ll("0x10", 0, 100, &v), "hexadecimal is refused");
    ok(!rl_parse_ll("1.5", 0, 100, &v), "a fraction is refused");
    ok(!rl_parse_ll("-", -10, 10, &v), "a lone sign is refused");
    is_int(v, 1234, "*ret is left alone on failure");

    /* rl_parse_ll promises "a whole decimal number"; strtoll also skips leading white space
     * and accepts a '+' sign, so " 42" or "\n42" in a file or an option slip through. */
    ok(!rl_parse_ll(" 42", 0, 100, &v), "leading space is refused");
    ok(!rl_parse_ll("\n42", 0, 100, &v), "leading newline is refused");

    ok(rl_parse_ll("10", 0, 10, &v) && v == 10, "the maximum is inclusive");
    ok(rl_parse_ll("-10", -10, 10, &v) && v == -10, "the minimum is inclusive");
    ok(!rl_parse_ll("11", 0, 10, &v), "above the maximum is refused");
    ok(!rl_parse_ll("-1", 0, 10, &v), "below the minimum is refused");

    ok(rl_parse_ll("9223372036854775807", LLONG_MIN, LLONG_MAX, &v) && v == LLONG_MAX,
       "LLONG_MAX parses");
    ok(rl_parse_ll("-9223372036854775808", LLONG_MIN, LLONG_MAX, &v) && v == LLONG_MIN,
       "LLONG_MIN parses");
    ok(!rl_parse_ll("9223372036854775808", LLONG_MIN, LLONG_MAX, &v), "LLONG_MAX + 1 overflows");
    ok(!rl_parse_ll("-9223372036854775809", LLONG_MIN, LLONG_MAX, &v), "LLONG_MIN - 1 overflows");
    ok(!rl_parse_ll("99999999999999999999999", LLONG_MIN, LLONG_MAX, &v),
       "a huge number overflows");
    ok(rl_parse_ll("4294967295", 0, 4294967295LL, &v) && v == 4294967295LL, "UINT32_MAX parses");
    ok(!rl_parse_ll("4294967296", 0, 4294967295LL, &v), "UINT32_MAX + 1 is out of range");
}

static void
test_prefix_suffix(void)
{
    ok(rl_str_has_prefix("foobar", "foo"), "'foobar' starts with 'foo'");
    ok(rl_str_has_prefix("foobar", "foobar"), "a string starts with itself");
    ok(rl_str_has_prefix("foobar", ""), "every string starts with ''");
    ok(!rl_str_has_prefix("fo", "foo"), "'fo' does not start with 'foo'");
    ok(!rl_str_has_prefix("barfoo", "foo"), "'barfoo' does not start with 'foo'");
    ok(!rl_str_has_prefix("", "a"), "'' does not start with 'a'");

    ok(rl_str_has_suffix("foobar", "bar"), "'foobar' ends with 'bar'");
    ok(rl_str_has_suffix("foobar", "foobar"), "a string ends with itself");
    ok(rl_str_has_suffix("foobar", ""), "every string ends with ''");
    ok(!rl_str_has_suffix("ar", "bar"), "'ar' does not end with 'bar'");
    ok(!rl_str_has_suffix("barfoo", "bar"), "'barfoo' does not end with 'bar'");
    ok(!rl_str_has_suffix("", "a"), "'' does not end with 'a'");
}

static void
test_alloc(void)
{
    cleanup_free char *s = xasprintf("%s-%d-%05.1f", "a", 42, 2.5);
    cleanup_free char *empty = xasprintf("%s", "");
    cleanup_free char *dup = xstrdup("hello");
    cleanup_free char *ndup = xstrndup("hello", 3);
    cleanup_free char *nlong = xstrndup("hi", 10);
    cleanup_free unsigned char *z = xzalloc(64);
    cleanup_free char *zero = xmalloc(0);
    cleanup_free char *grown = xstrdup("abc");
    bool all_zero = true;

    is_str(s, "a-42-002.5", "xasprintf formats");
    is_str(empty, "", "xasprintf of an empty string");
    is_str(dup, "hello", "xstrdup");
    is_str(ndup, "hel", "xstrndup cuts");
    is_str(nlong, "hi", "xstrndup with n past the end");
    for (size_t i = 0; i < 64; i++)
        all_zero = all_zero && z[i] == 0;
    ok(all_zero, "xzalloc zeroes");
    ok(zero != NULL, "xmalloc(0) is not NULL");
    grown = xrealloc(grown, 4096);
    is_str(grown, "abc", "xrealloc keeps the contents");
}

static void
test_steal(void)
{
    char *orig = xstrdup("owned");
    int probe;

    {
        cleanup_free char *p = orig;
        char *q = steal_pointer(&p);
        ok(p == NULL, "steal_pointer clears the source");
        ok(q == orig, "steal_pointer returns the pointer");
        orig = q;
    }
    /* Not freed by the cleanup above: still readable, and freed once here. */
    is_str(orig, "owned", "a stolen pointer survives its scope");
    free(orig);

    {
        cleanup_close int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
        int got;

        ok(fd >= 0, "open /dev/null");
        got = steal_fd(&fd);
        is_int(fd, -1, "steal_fd leaves -1 behind");
        ok(got >= 0, "steal_fd returns the fd");
        probe = got;
    }
    ok(fcntl(probe, F_GETFD) >= 0, "a stolen fd is not closed by cleanup_close");
    close(probe);

    {
        cleanup_close int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
        probe = fd;
    }
    ok(fcntl(probe, F_GETFD) < 0 && errno == EBADF, "cleanup_close closes at scope exit");

    {
        cleanup_close int fd = -1;
        (void)fd;
        errno = ENOSPC;
    }
    is_int(errno, ENOSPC, "cleanup_close of -1 leaves errno alone");
    {
        cleanup_close int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
        (void)fd;
        errno = ENOSPC;
    }
    is_int(errno, ENOSPC, "cleanup_close keeps errno across close()");

    {
        cleanup_free char *p = NULL;
        cleanup_strv char **v = NULL;
        cleanup_file FILE *f = NULL;
        (void)p;
        (void)v;
        (void)f;
    }
    ok(1, "cleanups of NULL are no-ops");
}

static void
test_signal(void)
{
    struct {
        const char *s;
        int want;
    } good[] = {
        { "TERM", SIGTERM },
        { "SIGTERM", SIGTERM },
        { "sigkill", SIGKILL },
        { "kill", SIGKILL },
        { "SigHup", SIGHUP },
        { "9", SIGKILL },
        { "1", 1 },
        { "15", SIGTERM },
        { "64", 64 },
        { "WINCH", SIGWINCH },
        { "SIGUSR1", SIGUSR1 },
        { "RTMIN", SIGRTMIN },
        { "RTMAX", SIGRTMAX },
        { "SIGRTMIN", SIGRTMIN },
        { "RTMIN+2", SIGRTMIN + 2 },
        { "RTMAX-1", SIGRTMAX - 1 },
        { "SIGRTMIN+1", SIGRTMIN + 1 },
        { "rtmax-0", SIGRTMAX },
    };
    const char *bad[] = { "bogus",      "0",        "65",      "-9",      "",       "SIG",
                          "SIGSIGTERM", "TERM ",    "RTMIN-1", "RTMAX+1", "RTMIN+", "RTMIN+x",
                          "RTMIN+40",   "RTMAX-40", "9x",      "1000" };
    rl_error_t err = NULL;

    for (size_t i = 0; i < RL_ARRAY_SIZE(good); i++) {
        is_int(rl_signal_parse(good[i].s, &err), good[i].want, "signal '%s'", good[i].s);
        ok(err == NULL, "no error for '%s'", good[i].s);
        rl_error_release(&err);
    }
    for (size_t i = 0; i < RL_ARRAY_SIZE(bad); i++) {
        ok(rl_signal_parse(bad[i], &err) < 0, "signal '%s' is refused", bad[i]);
        ok(err != NULL && err->status == EINVAL, "'%s' is EINVAL", bad[i]);
        rl_error_release(&err);
    }
    rl_signal_parse("bogus", &err);
    is_str(err ? err->msg : NULL, "unknown signal 'bogus'", "the message names the signal");
    rl_error_release(&err);
}

int
main(void)
{
    test_strv();
    test_parse_ll();
    test_prefix_suffix();
    test_alloc();
    test_steal();
    test_signal();
    done_testing();
}
