#include "config.h"

#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#include "ctrlog.h"
#include "fs.h"
#include "util.h"
#include "tap.h"

static char tmpdir[] = "/tmp/test_ctrlog.XXXXXX";
static int seq;

/* A fresh path in the test directory. Caller frees. */
static char *
new_path(void)
{
    return xasprintf("%s/log%d", tmpdir, ++seq);
}

static int64_t
now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void
put_file(const char *path, const char *text)
{
    rl_error_t err = NULL;
    if (rl_write_file_atomic(path, text, strlen(text), 0600, false, &err) < 0) {
        rl_error_warn_and_release(&err);
        abort();
    }
}

static char *
get_file(const char *path, size_t *ret_len)
{
    rl_error_t err = NULL;
    char *buf = NULL;
    if (rl_read_file(path, 64 << 20, &buf, ret_len, &err) < 0) {
        rl_error_release(&err);
        return NULL;
    }
    return buf;
}

static char *
fd_text(int fd, size_t *ret_len)
{
    rl_error_t err = NULL;
    char *buf = NULL;
    size_t len = 0;

    if (lseek(fd, 0, SEEK_SET) < 0 || rl_read_all_fd(fd, 64 << 20, &buf, &len, &err) < 0) {
        rl_error_release(&err);
        return xstrdup("(read failed)");
    }
    if (ret_len)
        *ret_len = len;
    return buf;
}

struct captured {
    int ret;
    rl_error_t err;
    char *out, *errs;
    size_t out_len, errs_len;
};

/* Read the log at PATH into memory files; ONE_FD sends both streams to one of them (OUT). */
static struct captured
capture(const char *path, const struct rl_log_read_opts *o, bool one_fd)
{
    struct captured c = { 0 };
    int out = memfd_create("out", MFD_CLOEXEC);
    int errs = one_fd ? out : memfd_create("err", MFD_CLOEXEC);

    c.ret = rl_log_read(path, o, out, errs, &c.err);
    c.out = fd_text(out, &c.out_len);
    c.errs = one_fd ? xstrdup("") : fd_text(errs, &c.errs_len);
    close(out);
    if (!one_fd)
        close(errs);
    return c;
}

static void
captured_free(struct captured *c)
{
    free(c->out);
    free(c->errs);
    rl_error_release(&c->err);
}

static struct rl_log_read_opts
all(void)
{
    struct rl_log_read_opts o = { .tail = -1 };
    return o;
}

static struct rl_log_writer *
open_writer(const char *path, int64_t max_size)
{
    struct rl_log_writer *w = NULL;
    rl_error_t err = NULL;
    if (rl_log_writer_open(path, max_size, &w, &err) < 0) {
        rl_error_warn_and_release(&err);
        abort();
    }
    return w;
}

static bool
wr(struct rl_log_writer *w, int stream, const char *s)
{
    rl_error_t err = NULL;
    int ret = rl_log_write(w, stream, s, strlen(s), &err);
    rl_error_release(&err);
    return ret == 0;
}

/* The records of the file at PATH, one a line, as "<stream> <tag> <content>". */
static char *
records(const char *path)
{
    cleanup_free char *text = get_file(path, NULL);
    char *out = xstrdup("");
    char *line, *save = NULL;

    if (text == NULL)
        return out;
    for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        struct rl_log_record rec;
        char *next;
        if (rl_log_parse_line(line, strlen(line), &rec) < 0)
            next = xasprintf("%sBAD\n", out);
        else
            next = xasprintf("%s%s %c %.*s\n", out, rec.stream == 1 ? "stdout" : "stderr",
                             rec.partial ? 'P' : 'F', (int)rec.len, rec.content);
        free(out);
        out = next;
    }
    return out;
}

static void
test_parse_line(void)
{
    static const char good[] = "2026-11-23T13:45:14.123456789+01:00 stdout F hello  world ";
    struct rl_log_record rec = { 0 }, keep = { .time_ns = 42 };

    ok(rl_log_parse_line(good, strlen(good), &rec) == 0, "a full stdout record parses");
    is_int(rec.time_ns, 1795437914123456789LL, "its time is converted to UTC from +01:00");
    is_int(rec.utc_offset, 3600, "its offset is kept");
    is_int(rec.stream, STDOUT_FILENO, "its stream is stdout");
    ok(!rec.partial, "F is not partial");
    ok(rec.len == 13 && memcmp(rec.content, "hello  world ", 13) == 0,
       "content keeps inner and trailing spaces");
    ok(rec.content == good + 45, "content points into the line");

    ok(rl_log_parse_line("2026-11-23T12:45:14.000000001Z stderr P ab", 42, &rec) == 0
           && rec.stream == STDERR_FILENO && rec.partial && rec.len == 2
           && rec.time_ns == 1795437914000000001LL && rec.utc_offset == 0,
       "a partial stderr record with Z parses");
    ok(rl_log_parse_line("2026-11-23T12:45:14.5-02:30 stdout F ", 37, &rec) == 0 && rec.len == 0
           && rec.time_ns == 1795437914500000000LL + 9000000000000LL && rec.utc_offset == -9000,
       "a short fraction and a negative offset parse, empty content");
    ok(rl_log_parse_line("2026-11-23T12:45:14.5Z stdout F", 31, &rec) == 0 && rec.len == 0,
       "an F tag without its space is an empty line");
    /* The line given need not be NUL-terminated: only LEN bytes are looked at. */
    ok(rl_log_parse_line("2026-11-23T12:45:14Z stdout F xyz", 32, &rec) == 0 && rec.len == 2,
       "only LEN bytes are parsed");

    rec = keep;
    ok(rl_log_parse_line("", 0, &rec) < 0, "an empty line is refused");
    ok(rl_log_parse_line("garbage", 7, &rec) < 0, "garbage is refused");
    ok(rl_log_parse_line("2026-11-23T12:45:14Z stdin F x", 30, &rec) < 0,
       "an unknown stream is refused");
    ok(rl_log_parse_line("2026-11-23T12:45:14Z stdout X x", 31, &rec) < 0,
       "an unknown tag is refused");
    ok(rl_log_parse_line("2026-11-23T12:45:14Z stdout Fx", 30, &rec) < 0,
       "a tag run into the content is refused");
    ok(rl_log_parse_line("2026-11-23T12:45:14Z stdout", 27, &rec) < 0,
       "a record without a tag is refused");
    ok(rl_log_parse_line("2026-11-23 stdout F x", 21, &rec) < 0,
       "a record time without a time of day is refused");
    ok(rl_log_parse_line("2026-11-23T12:45:14 stdout F x", 30, &rec) < 0,
       "a record time without a zone is refused");
    ok(rl_log_parse_line("2026-02-30T12:45:14Z stdout F x", 31, &rec) < 0,
       "February 30th is refused");
    ok(rl_log_parse_line("2026-11-23T12:45:14.Z stdout F x", 32, &rec) < 0,
       "an empty fraction is refused");
    ok(rl_log_parse_line("2026-11-23T12:45:14.123456789+01:00stdout F x", 45, &rec) < 0,
       "a missing separator is refused");
    ok(rl_log_parse_line("3000-01-01T00:00:00Z stdout F x", 31, &rec) < 0,
       "a time past the int64 nanosecond range (2262) is refused");
    is_int(rec.time_ns, 42, "*ret_record is left alone on failure");
}

static void
test_parse_time(void)
{
    const int64_t now = 1795437914000000000LL, s = 1000000000LL;
    rl_error_t err = NULL;
    int64_t t = 0;

#define PT(str, want, what)                                                  \
    do {                                                                     \
        t = -7;                                                              \
        ok(rl_log_parse_time(str, now, &t, &err) == 0 && err == NULL, what); \
        is_int(t, want, "  value of '%s'", str);                             \
        rl_error_release(&err);                                              \
    } while (0)

    PT("2026-11-23T12:45:14.123456789Z", 1795437914123456789LL, "RFC 3339 with nanoseconds");
    PT("2026-11-23T13:45:14+01:00", 1795437914 * s, "RFC 3339 with an offset");
    PT("2026-11-23T12:45:14Z", 1795437914 * s, "RFC 3339 without a fraction");
    PT("2026-11-23T12:45:14.25Z", 1795437914 * s + 250000000, "a short fraction");
    PT("2026-11-23T12:45:14.1234567891Z", 1795437914123456789LL, "digits past 9 are dropped");
    PT("2006-01-02T15:04:05", 1136214245 * s, "no zone is UTC");
    PT("2006-01-02T15:04:05.5", 1136214245 * s + 500000000, "no zone with a fraction");
    PT("2006-01-02", 1136160000 * s, "a date is midnight UTC");
    PT("2026-11-23+01:00", 1795388400 * s, "a date with an offset");
    PT("2006-01-02Z", 1136160000 * s, "a date with Z");
    PT("2024-02-29", 1709164800 * s, "a leap day");
    PT("1700000000", 1700000000 * s, "unix seconds");
    PT("1700000000.5", 1700000000 * s + 500000000, "unix seconds with a fraction");
    PT("0", 0, "'0' is the epoch, as a number comes before a duration");
    PT("10m", now - 600 * s, "a duration is now minus it");
    PT("1h30m", now - 5400 * s, "a compound duration");
    PT("90s", now - 90 * s, "seconds");
    PT("1.5h", now - 5400 * s, "a fractional duration");
    PT("250ms", now - 250000000, "milliseconds");
    PT("3us", now - 3000, "microseconds");
    PT("3\xc2\xb5s", now - 3000, "microseconds with the micro sign");
    PT("7ns", now - 7, "nanoseconds");
    PT("-1h", now + 3600 * s, "a negative duration is in the future");

#define BAD(str, what)                                                      \
    do {                                                                    \
        t = -7;                                                             \
        ok(rl_log_parse_time(str, now, &t, &err) < 0 && err != NULL, what); \
        ok(t == -7, "  *ret_ns untouched for '%s'", str);                   \
        rl_error_release(&err);                                             \
    } while (0)

    BAD("", "an empty string is refused");
    BAD("yesterday", "a word is refused");
    BAD("2026-13-01", "month 13 is refused");
    BAD("2025-02-29", "a non-leap February 29th is refused");
    BAD("2026-11-23T24:00:00Z", "hour 24 is refused");
    BAD("2026-11-23T12:60:00Z", "minute 60 is refused");
    BAD("2026-11-23T12:45Z", "a time without seconds is refused");
    BAD("2026-11-23T12:45:14+0100", "an offset without a colon is refused");
    BAD("2026-11-23 12:45:14", "a space instead of T is refused");
    BAD("10x", "an unknown unit is refused");
    BAD("1h30", "a number without a unit after a duration is refused");
    BAD("h", "a unit without a number is refused");
    BAD("12:00", "a bare time of day is refused");
    BAD("1700000000.5.5", "two decimal points are refused");
    BAD("-", "a lone sign is refused");
    BAD("99999999999999999999", "unix seconds overflowing are refused");
    BAD("9999999999h", "a duration overflowing is refused");

    ok(rl_log_parse_time("bogus", now, &t, &err) < 0 && err && err->status == EINVAL
           && strstr(err->msg, "'bogus'") != NULL,
       "the error is EINVAL and quotes the input");
    rl_error_release(&err);
#undef PT
#undef BAD
}

static void
test_write_format(void)
{
    cleanup_free char *path = new_path();
    cleanup_free char *text = NULL, *recs = NULL;
    struct rl_log_writer *w = open_writer(path, 0);
    int64_t before = now_ns(), after;
    struct rl_log_record rec;
    struct stat st;
    rl_error_t err = NULL;
    size_t len = 0;
    char *nl;

    ok(wr(w, STDOUT_FILENO, "hello\nwor"), "write a line and a fragment");
    after = now_ns();
    text = get_file(path, &len);
    nl = text ? strchr(text, '\n') : NULL;
    ok(nl != NULL, "the file holds a record line");
    is_int(nl ? nl - text : -1, 35 + 10 + 5, "the record is '<35-byte time> stdout F hello'");
    ok(nl && memcmp(text + 35, " stdout F hello\n", 16) == 0, "stream, tag and content follow");
    ok(text && text[4] == '-' && text[10] == 'T' && text[19] == '.' && text[29] == '+'
           && text[32] == ':',
       "the time has nine fraction digits and a +HH:MM offset (UTC here)");
    ok(text && memcmp(text + 29, "+00:00", 6) == 0, "UTC is written +00:00, as conmon does");
    ok(nl && rl_log_parse_line(text, (size_t)(nl - text), &rec) == 0 && rec.time_ns >= before
           && rec.time_ns <= after,
       "the time is the time of the write");
    is_int(len, 2 * (35 + 10) + 5 + 3 + 2, "the file is two records long");
    recs = records(path);
    is_str(recs, "stdout F hello\nstdout P wor\n", "a trailing fragment is a P record at once");
    ok(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600, "the log is created 0600");

    ok(rl_log_write(w, 3, "x\n", 2, &err) < 0 && err && err->status == EINVAL,
       "stream 3 is refused");
    rl_error_release(&err);
    rl_log_writer_close(w);
    rl_log_writer_close(NULL);

    ok(rl_log_writer_open(path, -1, &w, &err) < 0 && err != NULL, "a negative size is refused");
    rl_error_release(&err);
    w = NULL;
    ok(rl_log_writer_open("/nonexistent/dir/log", 0, &w, &err) < 0 && err && err->status == ENOENT,
       "a missing directory is an error");
    ok(w == NULL, "*ret_writer untouched on failure");
    rl_error_release(&err);
}

static void
test_write_local_offset(void)
{
    cleanup_free char *path = new_path();
    cleanup_free char *text = NULL;
    struct rl_log_writer *w;
    struct rl_log_record rec;
    int64_t before = now_ns(), after;

    setenv("TZ", "RLT-5:30", 1);
    tzset();
    w = open_writer(path, 0);
    ok(wr(w, STDERR_FILENO, "x\n"), "write in a +05:30 zone");
    after = now_ns();
    rl_log_writer_close(w);
    setenv("TZ", "UTC0", 1);
    tzset();
    text = get_file(path, NULL);
    ok(text && memcmp(text + 29, "+05:30 stderr F x\n", 18) == 0,
       "the local offset is written, as conmon does");
    ok(text && rl_log_parse_line(text, strlen(text) - 1, &rec) == 0 && rec.time_ns >= before
           && rec.time_ns <= after && rec.utc_offset == 19800,
       "the local time with its offset is the same instant");
}

static void
test_roundtrip(void)
{
    cleanup_free char *path = new_path();
    struct rl_log_writer *w = open_writer(path, 0);
    struct rl_log_read_opts o = all();
    struct captured c;

    wr(w, STDOUT_FILENO, "one\ntwo\n");
    wr(w, STDOUT_FILENO, "thr");
    wr(w, STDOUT_FILENO, "ee\nfo");
    wr(w, STDERR_FILENO, "oops\n");
    wr(w, STDOUT_FILENO, "ur\n");
    wr(w, STDERR_FILENO, "err2\n");
    rl_log_writer_close(w);

    c = capture(path, &o, false);
    is_int(c.ret, 0, "read succeeds");
    is_str(c.out, "one\ntwo\nthree\nfour\n", "stdout lines, fragments joined");
    is_str(c.errs, "oops\nerr2\n", "stderr lines on the other fd");
    captured_free(&c);

    c = capture(path, &o, true);
    is_str(c.out, "one\ntwo\nthree\nfooops\nur\nerr2\n",
           "on one fd, records keep their order in the file");
    captured_free(&c);

    c = capture(path, NULL, false);
    is_str(c.out, "one\ntwo\nthree\nfour\n", "NULL options read it all");
    captured_free(&c);

    {
        int out = memfd_create("out", MFD_CLOEXEC);
        rl_error_t err = NULL;
        cleanup_free char *text = NULL;
        ok(rl_log_read(path, &o, out, -1, &err) == 0, "stderr can be left out with -1");
        text = fd_text(out, NULL);
        is_str(text, "one\ntwo\nthree\nfour\n", "only stdout is written");
        close(out);
    }
}

static void
test_empty_and_binary(void)
{
    cleanup_free char *path = new_path();
    cleanup_free char *recs = NULL;
    struct rl_log_writer *w = open_writer(path, 0);
    struct rl_log_read_opts o = all();
    static const char bin[] = "a\0b\r\x01\xff\x7f \t\x1b[31m z";
    rl_error_t err = NULL;
    struct captured c;
    struct stat st;
    char want[sizeof(bin) + 1];

    ok(rl_log_write(w, STDOUT_FILENO, "", 0, &err) == 0, "an empty write succeeds");
    ok(stat(path, &st) == 0 && st.st_size == 0, "and writes nothing");
    wr(w, STDOUT_FILENO, "\n\n");
    recs = records(path);
    is_str(recs, "stdout F \nstdout F \n", "empty lines are F records without content");
    ok(rl_log_write(w, STDERR_FILENO, bin, sizeof(bin) - 1, &err) == 0, "binary bytes are written");
    wr(w, STDERR_FILENO, "\n");
    rl_log_writer_close(w);

    c = capture(path, &o, false);
    is_str(c.out, "\n\n", "empty lines read back");
    memcpy(want, bin, sizeof(bin) - 1);
    want[sizeof(bin) - 1] = '\n';
    ok(c.errs_len == sizeof(bin) && memcmp(c.errs, want, sizeof(bin)) == 0,
       "binary bytes (NUL, CR, 0xff, escapes) come back exactly");
    captured_free(&c);
}

static void
test_long_lines(void)
{
    cleanup_free char *path = new_path();
    cleanup_free char *big = xmalloc(40002);
    cleanup_free char *text = NULL;
    struct rl_log_writer *w = open_writer(path, 0);
    struct rl_log_read_opts o = all();
    struct rl_log_record rec;
    struct captured c;
    char *line, *save = NULL;
    size_t lens[8] = { 0 }, n = 0;
    bool tags_ok = true;

    for (int i = 0; i < 40000; i++)
        big[i] = (char)('a' + i % 26);
    big[40000] = '\n';
    big[40001] = '\0';
    ok(wr(w, STDOUT_FILENO, big), "write a 40000-byte line");
    big[RL_LOG_RECORD_MAX] = '\n';
    big[RL_LOG_RECORD_MAX + 1] = '\0';
    ok(wr(w, STDOUT_FILENO, big), "write a line of exactly RL_LOG_RECORD_MAX bytes");
    rl_log_writer_close(w);

    text = get_file(path, NULL);
    text = text ? text : xstrdup("");
    for (line = strtok_r(text, "\n", &save); line && n < 8; line = strtok_r(NULL, "\n", &save)) {
        if (rl_log_parse_line(line, strlen(line), &rec) < 0)
            break;
        tags_ok &= rec.partial == (n < 2);
        lens[n++] = rec.len;
    }
    is_int(n, 4, "the long line is three records, the other one");
    ok(n == 4 && lens[0] == 16384 && lens[1] == 16384 && lens[2] == 40000 - 32768
           && lens[3] == 16384,
       "records carry at most 16 KiB");
    ok(tags_ok, "P P F, then F");

    c = capture(path, &o, false);
    for (int i = 0; i < 40000; i++)
        big[i] = (char)('a' + i % 26);
    ok(c.out_len == 40001 + 16385 && memcmp(c.out, big, 40001) == 0
           && memcmp(c.out + 40001, big, 16384) == 0 && c.out[40001 + 16384] == '\n',
       "both lines are joined again, exactly");
    captured_free(&c);
}

static void
test_damaged(void)
{
    cleanup_free char *path = new_path();
    struct rl_log_read_opts o = all();
    struct captured c;
    cleanup_free char *huge = xmalloc(600000);
    int fd;

    put_file(path, "2026-11-23T12:45:14.000000000Z stdout F one\n"
                   "this is not a record\n"
                   "\n"
                   "2026-11-23T12:45:1\n"
                   "2026-11-23T12:45:14.000000000Z stdin F nope\n"
                   "2026-13-23T12:45:14.000000000Z stdout F bad month\n"
                   "2026-11-23T12:45:14.000000000Z stdout F two\n"
                   "2026-11-23T12:45:14.000000000Z stdout F half-writ");
    c = capture(path, &o, false);
    is_int(c.ret, 0, "damage is not an error");
    is_str(c.out, "one\ntwo\n", "damaged lines and an unterminated last record are skipped");
    captured_free(&c);

    o.tail = 1;
    c = capture(path, &o, false);
    is_str(c.out, "two\n", "tail skips them too");
    captured_free(&c);

    /* A 600 KB line is longer than any record: skipped, and reading goes on after it. */
    memset(huge, 'x', 600000);
    fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
    ok(fd >= 0 && write(fd, "2026-11-23T12:45:14Z stdout F a\n", 32) == 32
           && write(fd, huge, 600000) == 600000
           && write(fd, "\n2026-11-23T12:45:14Z stdout F b\n", 33) == 33,
       "write a log with an overlong line");
    close(fd);
    o.tail = -1;
    c = capture(path, &o, false);
    is_str(c.out, "a\nb\n", "an overlong line is skipped");
    captured_free(&c);
    o.tail = 2;
    c = capture(path, &o, false);
    is_str(c.out, "a\nb\n", "tail reads backwards past an overlong line");
    captured_free(&c);
}

static void
test_tail(void)
{
    cleanup_free char *path = new_path();
    struct rl_log_writer *w = open_writer(path, 0);
    struct rl_log_read_opts o = all();
    struct captured c;

    wr(w, STDOUT_FILENO, "l1\nl2\n");
    wr(w, STDOUT_FILENO, "l");
    wr(w, STDOUT_FILENO, "3");
    wr(w, STDOUT_FILENO, "\n");
    wr(w, STDERR_FILENO, "e1\n");
    wr(w, STDOUT_FILENO, "l4\nl5\n");
    rl_log_writer_close(w);

#define TAIL(n, want_out, want_err, what)                \
    do {                                                 \
        o.tail = (n);                                    \
        c = capture(path, &o, false);                    \
        is_str(c.out, want_out, "tail %d: %s", n, what); \
        is_str(c.errs, want_err, "tail %d: stderr", n);  \
        captured_free(&c);                               \
    } while (0)

    TAIL(0, "", "", "nothing");
    TAIL(1, "l5\n", "", "the last line");
    TAIL(2, "l4\nl5\n", "", "two lines");
    TAIL(3, "l4\nl5\n", "e1\n", "lines of both streams count");
    TAIL(4, "l3\nl4\nl5\n", "e1\n", "a line of three fragments is one line, whole");
    TAIL(6, "l1\nl2\nl3\nl4\nl5\n", "e1\n", "exactly all lines");
    TAIL(100, "l1\nl2\nl3\nl4\nl5\n", "e1\n", "more than there are");

    /* A stdout line in fragments around a stderr line: tail 1 is the stdout line, whole. */
    free(path);
    path = new_path();
    w = open_writer(path, 0);
    wr(w, STDOUT_FILENO, "old\n");
    wr(w, STDOUT_FILENO, "a");
    wr(w, STDERR_FILENO, "x\n");
    wr(w, STDOUT_FILENO, "b\n");
    wr(w, STDERR_FILENO, "last");
    rl_log_writer_close(w);
    TAIL(1, "", "last", "a last P record counts as a line");
    TAIL(2, "ab\n", "last", "a line is joined across the other stream's records");
    TAIL(3, "ab\n", "x\nlast", "three lines");
    TAIL(4, "old\nab\n", "x\nlast", "four lines, all");
#undef TAIL
}

static void
test_tail_big(void)
{
    cleanup_free char *path = new_path();
    struct rl_log_writer *w = open_writer(path, 0);
    struct rl_log_read_opts o = all();
    cleanup_free char *want = NULL;
    struct captured c, full;
    struct timespec t0, t1;
    char line[64];
    int fd, ret;

    for (int i = 0; i < 30000; i++) {
        snprintf(line, sizeof(line), "line %05d\n", i);
        wr(w, i % 7 == 0 ? STDERR_FILENO : STDOUT_FILENO, line);
    }
    rl_log_writer_close(w);
    o.tail = 3;
    c = capture(path, &o, true);
    is_str(c.out, "line 29997\nline 29998\nline 29999\n", "tail 3 of 30000 lines (1.5 MB)");
    captured_free(&c);

    o.tail = 30000;
    c = capture(path, &o, true);
    o.tail = -1;
    full = capture(path, &o, true);
    ok(c.out_len == 30000 * 11 && c.out_len == full.out_len
           && memcmp(c.out, full.out, c.out_len) == 0,
       "tail of all 30000 lines over many blocks is the whole log");
    captured_free(&c);
    captured_free(&full);

    /* 64 GiB of (sparse) zeros before the last records: reading them forward would take
     * minutes, so tail must read backwards. */
    fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
    ret = fd >= 0 ? ftruncate(fd, 64LL << 30) : -1;
    if (ret == 0) {
        want = xstrdup("\n2026-11-23T12:45:14Z stdout F y1\n2026-11-23T12:45:14Z stdout F y2\n");
        ok(pwrite(fd, want, strlen(want), 64LL << 30) == (ssize_t)strlen(want),
           "append records to a 64 GiB sparse file");
        close(fd);
        o.tail = 2;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        c = capture(path, &o, true);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        is_str(c.out, "y1\ny2\n", "tail 2 of a 64 GiB file");
        ok(t1.tv_sec - t0.tv_sec < 3, "without reading it all (%ld s)",
           (long)(t1.tv_sec - t0.tv_sec));
        captured_free(&c);
    } else {
        if (fd >= 0)
            close(fd);
        skip("no sparse 64 GiB file here");
        skip("no sparse 64 GiB file here");
    }
    (void)unlink(path);
}

static void
test_since_until_timestamps(void)
{
    cleanup_free char *path = new_path();
    struct rl_log_read_opts o = all();
    const int64_t t = 1795437914000000000LL;
    struct captured c;

    put_file(path, "2026-11-23T12:45:14.000000000Z stdout F a\n"
                   "2026-11-23T13:45:15.000000000+01:00 stdout P b\n"
                   "2026-11-23T12:45:16.000000000+00:00 stdout F c\n"
                   "2026-11-23T07:15:17.000000005-05:30 stderr F d\n"
                   "2026-11-23T12:45:18.000000000Z stdout F e\n");
    o.since_ns = t + 1000000000LL;
    c = capture(path, &o, true);
    is_str(c.out, "bc\nd\ne\n", "since is inclusive and compares instants, not zones");
    captured_free(&c);

    o.since_ns = t + 2000000001LL;
    c = capture(path, &o, true);
    is_str(c.out, "d\ne\n", "since between records");
    captured_free(&c);

    o.since_ns = 0;
    o.until_ns = t + 2000000000LL;
    c = capture(path, &o, true);
    is_str(c.out, "a\nbc\n", "until is inclusive");
    captured_free(&c);

    o.since_ns = t + 1000000000LL;
    o.until_ns = t + 3000000005LL;
    c = capture(path, &o, true);
    is_str(c.out, "bc\nd\n", "since and until together");
    captured_free(&c);

    o.since_ns = t + 10000000000LL;
    o.until_ns = 0;
    c = capture(path, &o, true);
    is_str(c.out, "", "since after the last record shows nothing");
    captured_free(&c);

    o.since_ns = t + 3000000000LL;
    o.tail = 3;
    c = capture(path, &o, true);
    is_str(c.out, "d\ne\n", "tail is taken first, then since, as podman does");
    captured_free(&c);

    o = all();
    o.timestamps = true;
    c = capture(path, &o, true);
    is_str(c.out,
           "2026-11-23T12:45:14.000000000Z a\n"
           "2026-11-23T13:45:15.000000000+01:00 bc\n"
           "2026-11-23T07:15:17.000000005-05:30 d\n"
           "2026-11-23T12:45:18.000000000Z e\n",
           "-t: each line starts with its first record's time, podman's format");
    captured_free(&c);

    o.prefix = "ctr1 ";
    c = capture(path, &o, true);
    is_str(c.out,
           "ctr1 2026-11-23T12:45:14.000000000Z a\n"
           "ctr1 2026-11-23T13:45:15.000000000+01:00 bc\n"
           "ctr1 2026-11-23T07:15:17.000000005-05:30 d\n"
           "ctr1 2026-11-23T12:45:18.000000000Z e\n",
           "the prefix comes before the time, once a line");
    captured_free(&c);

    o.timestamps = false;
    c = capture(path, &o, false);
    is_str(c.out, "ctr1 a\nctr1 bc\nctr1 e\n", "the prefix alone, on stdout");
    is_str(c.errs, "ctr1 d\n", "and on stderr");
    captured_free(&c);
}

static void
test_max_size(void)
{
    cleanup_free char *path = new_path();
    cleanup_free char *recs = NULL, *tmp = NULL;
    struct rl_log_writer *w = open_writer(path, 200);
    struct captured c;
    struct rl_log_read_opts o = all();
    struct stat st;
    bool bounded = true;

    /* Each record is 35 + 10 + 3 = 48 bytes: four fit in 200. */
    for (int i = 0; i < 10; i++) {
        char line[16];
        snprintf(line, sizeof(line), "m%d\n", i);
        wr(w, STDOUT_FILENO, line);
        bounded &= stat(path, &st) == 0 && st.st_size <= 200;
    }
    ok(bounded, "the file never grows past max_size");
    recs = records(path);
    is_str(recs, "stdout F m8\nstdout F m9\n",
           "it was started afresh when the next record did not fit");
    tmp = xasprintf("%s.tmp", path);
    ok(access(tmp, F_OK) < 0 && errno == ENOENT, "no temporary file is left");
    rl_log_writer_close(w);

    w = open_writer(path, 200);
    wr(w, STDOUT_FILENO, "n1\nn2\n");
    wr(w, STDOUT_FILENO, "n3\n");
    rl_log_writer_close(w);
    free(recs);
    recs = records(path);
    is_str(recs, "stdout F n3\n", "a reopened writer counts what the file already holds");

    w = open_writer(path, 10);
    wr(w, STDOUT_FILENO, "too long for the limit\n");
    rl_log_writer_close(w);
    free(recs);
    recs = records(path);
    is_str(recs, "stdout F too long for the limit\n",
           "a record larger than the limit is still written, alone");
    c = capture(path, &o, false);
    is_str(c.out, "too long for the limit\n", "and reads back");
    captured_free(&c);
}

static void
test_missing(void)
{
    cleanup_free char *path = new_path();
    struct rl_log_read_opts o = all();
    struct captured c;

    c = capture(path, &o, false);
    is_int(c.ret, 0, "a missing log is not an error");
    ok(c.err == NULL && c.out_len == 0 && c.errs_len == 0, "and shows nothing");
    captured_free(&c);

    o.tail = 5;
    o.timestamps = true;
    c = capture(path, &o, false);
    ok(c.ret == 0 && c.out_len == 0, "nor with tail");
    captured_free(&c);

    c = capture(tmpdir, &o, false);
    ok(c.ret < 0 && c.err != NULL, "a directory is an error");
    captured_free(&c);
}

struct child {
    pid_t pid;
    bool exited;
    int status;
};

static bool
child_alive(void *data)
{
    struct child *ch = data;
    if (!ch->exited && waitpid(ch->pid, &ch->status, WNOHANG) == ch->pid)
        ch->exited = true;
    return !ch->exited;
}

static void
msleep(int ms)
{
    struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
    nanosleep(&ts, NULL);
}

enum child_mode { CHILD_APPEND, CHILD_PARTIAL, CHILD_ROTATE, CHILD_TRUNCATE, CHILD_CREATE };

/* Write lines 1..5 to PATH from a child, with pauses, doing MODE on the way; then exit. */
static struct child
start_writer(const char *path, enum child_mode mode)
{
    struct child ch = { 0 };

    fflush(stdout);
    ch.pid = fork();
    if (ch.pid == 0) {
        struct rl_log_writer *w;
        if (mode == CHILD_CREATE)
            msleep(400);
        /* 47-byte records: with a limit of 150, the fourth starts the file afresh. */
        w = open_writer(path, mode == CHILD_ROTATE ? 150 : 0);
        for (int i = 1; i <= 5; i++) {
            char line[16];
            if (i == 4 && mode == CHILD_TRUNCATE) {
                if (truncate(path, 0) < 0)
                    _exit(2);
            }
            if (mode == CHILD_PARTIAL && i == 3) {
                wr(w, STDOUT_FILENO, "pa");
                msleep(300);
                wr(w, STDOUT_FILENO, "rt");
                msleep(300);
            }
            snprintf(line, sizeof(line), "%d\n", i);
            if (!wr(w, STDOUT_FILENO, line))
                _exit(1);
            msleep(i == 3 ? 400 : 30);
        }
        rl_log_writer_close(w);
        _exit(0);
    }
    return ch;
}

static void
test_follow(void)
{
    static const struct {
        enum child_mode mode;
        const char *want, *what;
    } cases[] = {
        { CHILD_APPEND, "1\n2\n3\n4\n5\n", "follow shows lines as a child appends them" },
        { CHILD_PARTIAL, "1\n2\npart3\n4\n5\n", "a fragment followed is joined to its end" },
        { CHILD_ROTATE, "1\n2\n3\n4\n5\n", "follow goes on into a file started afresh" },
        { CHILD_TRUNCATE, "1\n2\n3\n4\n5\n", "follow reads a truncated file from its start" },
        { CHILD_CREATE, "1\n2\n3\n4\n5\n", "follow waits for a missing file" },
    };

    for (size_t i = 0; i < RL_ARRAY_SIZE(cases); i++) {
        cleanup_free char *path = new_path();
        struct rl_log_read_opts o = all();
        struct captured c;
        struct child ch;

        if (cases[i].mode != CHILD_CREATE)
            put_file(path, "");
        ch = start_writer(path, cases[i].mode);
        if (ch.pid < 0) {
            skip("fork: %s", strerror(errno));
            continue;
        }
        o.follow = true;
        o.alive = child_alive;
        o.alive_data = &ch;
        c = capture(path, &o, true);
        is_int(c.ret, 0, "follow returns when alive() turns false");
        ok(ch.exited && WIFEXITED(ch.status) && WEXITSTATUS(ch.status) == 0,
           "the writer exited cleanly before the end");
        is_str(c.out, cases[i].want, "%s", cases[i].what);
        captured_free(&c);
    }

    {
        cleanup_free char *path = new_path();
        struct rl_log_read_opts o = all();
        struct child ch = { .pid = -1, .exited = true };
        struct captured c;

        put_file(path, "2026-11-23T12:45:14Z stdout F done\n2026-11-23T12:45:14Z stdout F x\n");
        o.follow = true;
        o.alive = child_alive;
        o.alive_data = &ch;
        o.tail = 1;
        c = capture(path, &o, true);
        ok(c.ret == 0, "follow with alive() false at once returns");
        is_str(c.out, "x\n", "after the tail");
        captured_free(&c);
    }
}

int
main(void)
{
    rl_error_t err = NULL;

    setenv("TZ", "UTC0", 1);
    tzset();
    if (mkdtemp(tmpdir) == NULL) {
        perror("mkdtemp");
        return 1;
    }
    test_parse_line();
    test_parse_time();
    test_write_format();
    test_write_local_offset();
    test_roundtrip();
    test_empty_and_binary();
    test_long_lines();
    test_damaged();
    test_tail();
    test_tail_big();
    test_since_until_timestamps();
    test_max_size();
    test_missing();
    test_follow();
    if (rl_rm_rf(tmpdir, &err) < 0)
        rl_error_warn_and_release(&err);
    done_testing();
}
