#include "config.h"

#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <time.h>

#include "ctrlog.h"
#include "fs.h"
#include "log.h"

#define NS_PER_SEC 1000000000LL
/* A reader skips a line longer than this: no writer makes one, so it is damage. */
#define LINE_MAX_BYTES (256 * 1024)
#define READ_BLOCK     (64 * 1024)
#define FOLLOW_POLL_MS 250
/* "2026-11-23T13:45:14.123456789+00:00" */
#define TIME_LEN 35

struct rl_log_writer {
    int fd;
    char *path;
    int64_t max_size;
    int64_t size;
};

static const char *
stream_name(int stream)
{
    return stream == STDERR_FILENO ? "stderr" : "stdout";
}

/* Days from 1970-01-01 to the proleptic Gregorian date Y-M-D (Howard Hinnant's
 * days_from_civil), so that parsing does not depend on TZ as timegm/mktime would. */
static int64_t
days_from_civil(int64_t y, int m, int d)
{
    int64_t era, yoe, doy, doe;

    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = y - era * 400;
    doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static int
days_in_month(int y, int m)
{
    static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : days[m - 1];
}

/* Format NS at UTC_OFFSET seconds east as "2026-11-23T13:45:14.123456789+01:00"; Z_FOR_UTC
 * writes offset zero as "Z" (Go's Z07:00, which podman logs -t uses). Returns the length. */
static size_t
format_time(char *buf, size_t size, int64_t ns, int utc_offset, bool z_for_utc)
{
    time_t sec = (time_t)(ns / NS_PER_SEC);
    long nsec = (long)(ns % NS_PER_SEC);
    int off = utc_offset < 0 ? -utc_offset : utc_offset;
    struct tm tm;
    int n;

    if (nsec < 0) {
        nsec += NS_PER_SEC;
        sec--;
    }
    sec += utc_offset;
    if (gmtime_r(&sec, &tm) == NULL)
        memset(&tm, 0, sizeof(tm));
    if (utc_offset == 0 && z_for_utc)
        n = snprintf(buf, size, "%04d-%02d-%02dT%02d:%02d:%02d.%09ldZ", tm.tm_year + 1900,
                     tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, nsec);
    else
        n = snprintf(buf, size, "%04d-%02d-%02dT%02d:%02d:%02d.%09ld%c%02d:%02d", tm.tm_year + 1900,
                     tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, nsec,
                     utc_offset < 0 ? '-' : '+', off / 3600, off % 3600 / 60);
    return n < 0 ? 0 : (size_t)n < size ? (size_t)n : size - 1;
}

static bool
take_digits(const char **p, const char *end, int n, int *ret)
{
    int v = 0;

    if (end - *p < n)
        return false;
    for (int i = 0; i < n; i++) {
        char c = (*p)[i];
        if (c < '0' || c > '9')
            return false;
        v = v * 10 + (c - '0');
    }
    *p += n;
    *ret = v;
    return true;
}

/* Parse "YYYY-MM-DD[THH:MM:SS[.frac]][Z|+HH:MM|-HH:MM]". STRICT (a log record) wants the time
 * of day and the zone; otherwise a missing zone is UTC and a missing time midnight, as Go's
 * time.Parse with podman's layouts has it. */
static bool
parse_rfc3339(const char *s, size_t len, bool strict, int64_t *ret_ns, int *ret_offset)
{
    const char *p = s, *end = s + len;
    int year, mon, day, hour = 0, min = 0, sec = 0, off = 0, oh, om;
    int64_t nsec = 0, secs, ns;

    if (!take_digits(&p, end, 4, &year) || p == end || *p++ != '-' || !take_digits(&p, end, 2, &mon)
        || p == end || *p++ != '-' || !take_digits(&p, end, 2, &day))
        return false;
    if (mon < 1 || mon > 12 || day < 1 || day > days_in_month(year, mon))
        return false;
    if (p < end && *p == 'T') {
        p++;
        if (!take_digits(&p, end, 2, &hour) || p == end || *p++ != ':'
            || !take_digits(&p, end, 2, &min) || p == end || *p++ != ':'
            || !take_digits(&p, end, 2, &sec))
            return false;
        if (hour > 23 || min > 59 || sec > 59)
            return false;
        if (p < end && *p == '.') {
            int digits = 0;
            p++;
            for (; p < end && *p >= '0' && *p <= '9'; p++, digits++) {
                if (digits < 9)
                    nsec = nsec * 10 + (*p - '0');
            }
            if (digits == 0)
                return false;
            for (; digits < 9; digits++)
                nsec *= 10;
        }
    } else if (strict) {
        return false;
    }
    if (p < end && *p == 'Z') {
        p++;
    } else if (p < end && (*p == '+' || *p == '-')) {
        int sign = *p++ == '-' ? -1 : 1;
        if (!take_digits(&p, end, 2, &oh) || p == end || *p++ != ':'
            || !take_digits(&p, end, 2, &om) || oh > 23 || om > 59)
            return false;
        off = sign * (oh * 3600 + om * 60);
    } else if (strict) {
        return false;
    }
    if (p != end)
        return false;
    secs = days_from_civil(year, mon, day) * 86400 + hour * 3600 + min * 60 + sec - off;
    if (__builtin_mul_overflow(secs, NS_PER_SEC, &ns) || __builtin_add_overflow(ns, nsec, &ns))
        return false;
    *ret_ns = ns;
    *ret_offset = off;
    return true;
}

int
rl_log_parse_line(const char *line, size_t len, struct rl_log_record *ret_record)
{
    const char *end = line + len, *p, *sp;
    struct rl_log_record rec = { 0 };

    sp = memchr(line, ' ', len);
    if (sp == NULL
        || !parse_rfc3339(line, (size_t)(sp - line), true, &rec.time_ns, &rec.utc_offset))
        return -1;
    p = sp + 1;
    if ((size_t)(end - p) >= 7 && memcmp(p, "stdout ", 7) == 0)
        rec.stream = STDOUT_FILENO;
    else if ((size_t)(end - p) >= 7 && memcmp(p, "stderr ", 7) == 0)
        rec.stream = STDERR_FILENO;
    else
        return -1;
    p += 7;
    if (p == end || (*p != 'F' && *p != 'P'))
        return -1;
    rec.partial = *p++ == 'P';
    /* "F" and nothing else is an empty line whose space got lost; accept it. */
    if (p < end && *p++ != ' ')
        return -1;
    rec.content = p;
    rec.len = (size_t)(end - p);
    *ret_record = rec;
    return 0;
}

/* A Go duration: "[-+]" then one or more "<number>[.<fraction>]<unit>", or a bare "0". */
static bool
parse_duration(const char *s, int64_t *ret_ns)
{
    static const struct {
        const char *name;
        int64_t ns;
    } units[] = {
        { "ns", 1 },
        { "us", 1000 },
        { "\xc2\xb5s", 1000 }, /* U+00B5 micro sign */
        { "\xce\xbcs", 1000 }, /* U+03BC Greek mu */
        { "ms", 1000000 },
        { "s", NS_PER_SEC },
        { "m", 60 * NS_PER_SEC },
        { "h", 3600 * NS_PER_SEC },
    };
    const char *p = s;
    int64_t total = 0;
    bool neg = false;

    if (*p == '-' || *p == '+')
        neg = *p++ == '-';
    if (strcmp(p, "0") == 0) {
        *ret_ns = 0;
        return true;
    }
    if (*p == '\0')
        return false;
    while (*p) {
        int64_t whole = 0, frac = 0, scale = 1, v, f;
        bool digits = false;
        size_t best = 0, unit = 0;

        for (; *p >= '0' && *p <= '9'; p++, digits = true) {
            if (__builtin_mul_overflow(whole, 10, &whole)
                || __builtin_add_overflow(whole, *p - '0', &whole))
                return false;
        }
        if (*p == '.') {
            for (p++; *p >= '0' && *p <= '9'; p++, digits = true) {
                if (scale < NS_PER_SEC * 10) {
                    frac = frac * 10 + (*p - '0');
                    scale *= 10;
                }
            }
        }
        if (!digits)
            return false;
        for (size_t i = 0; i < RL_ARRAY_SIZE(units); i++) {
            size_t n = strlen(units[i].name);
            if (strncmp(p, units[i].name, n) == 0 && n > best) {
                best = n;
                unit = i;
            }
        }
        if (best == 0)
            return false;
        p += best;
        /* frac / scale of a unit, rounded down; scale is at most 10^10. */
        f = (int64_t)((double)frac * (double)units[unit].ns / (double)scale);
        if (__builtin_mul_overflow(whole, units[unit].ns, &v) || __builtin_add_overflow(v, f, &v)
            || __builtin_add_overflow(total, v, &total))
            return false;
    }
    *ret_ns = neg ? -total : total;
    return true;
}

/* Unix seconds with an optional fraction: "1700000000", "1700000000.5". */
static bool
parse_unix(const char *s, int64_t *ret_ns)
{
    const char *p = s;
    int64_t sec = 0, nsec = 0, ns;
    int digits = 0;

    for (; *p >= '0' && *p <= '9'; p++, digits++) {
        if (__builtin_mul_overflow(sec, 10, &sec) || __builtin_add_overflow(sec, *p - '0', &sec))
            return false;
    }
    if (digits == 0)
        return false;
    if (*p == '.') {
        int fdigits = 0;
        for (p++; *p >= '0' && *p <= '9'; p++, fdigits++) {
            if (fdigits < 9)
                nsec = nsec * 10 + (*p - '0');
        }
        for (; fdigits < 9; fdigits++)
            nsec *= 10;
    }
    if (*p != '\0')
        return false;
    if (__builtin_mul_overflow(sec, NS_PER_SEC, &ns) || __builtin_add_overflow(ns, nsec, &ns))
        return false;
    *ret_ns = ns;
    return true;
}

int
rl_log_parse_time(const char *s, int64_t now_ns, int64_t *ret_ns, rl_error_t *err)
{
    int64_t ns, d;
    int off;

    /* The order of podman's util.ParseInputTime: layouts, then a float, then a duration. */
    if (parse_rfc3339(s, strlen(s), false, &ns, &off) || parse_unix(s, &ns)) {
        *ret_ns = ns;
        return 0;
    }
    if (parse_duration(s, &d)) {
        if (__builtin_sub_overflow(now_ns, d, &ns))
            return rl_make_error(err, ERANGE, "time '%s' is out of range", s);
        *ret_ns = ns;
        return 0;
    }
    return rl_make_error(
        err, EINVAL,
        "cannot parse time '%s': expected RFC 3339, a date, unix seconds or a duration", s);
}

int
rl_log_writer_open(const char *path, int64_t max_size, struct rl_log_writer **ret_writer,
                   rl_error_t *err)
{
    cleanup_close int fd = -1;
    struct rl_log_writer *w;
    struct stat st;

    if (max_size < 0)
        return rl_make_error(err, EINVAL, "log size limit %" PRId64 " is negative", max_size);
    fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC, 0600);
    if (fd < 0)
        return rl_make_error(err, errno, "open log '%s'", path);
    if (fstat(fd, &st) < 0)
        return rl_make_error(err, errno, "stat log '%s'", path);
    if (!S_ISREG(st.st_mode))
        return rl_make_error(err, EINVAL, "log '%s' is not a regular file", path);
    w = xzalloc(sizeof(*w));
    w->fd = steal_fd(&fd);
    w->path = xstrdup(path);
    w->max_size = max_size;
    w->size = st.st_size;
    *ret_writer = w;
    return 0;
}

void
rl_log_writer_close(struct rl_log_writer *w)
{
    if (w == NULL)
        return;
    if (w->fd >= 0)
        close(w->fd);
    free(w->path);
    free(w);
}

/* Start the log afresh as conmon does: an empty file renamed over the full one, so that a
 * reader that has it open can finish it before it moves to the new one. */
static int
restart_file(struct rl_log_writer *w, rl_error_t *err)
{
    cleanup_free char *tmp = xasprintf("%s.tmp", w->path);
    cleanup_close int fd = -1;

    fd = open(tmp, O_WRONLY | O_APPEND | O_CREAT | O_TRUNC | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC,
              0600);
    if (fd < 0)
        return rl_make_error(err, errno, "create '%s'", tmp);
    if (rename(tmp, w->path) < 0) {
        int e = errno;
        (void)unlink(tmp);
        return rl_make_error(err, e, "rename '%s' to '%s'", tmp, w->path);
    }
    close(w->fd);
    w->fd = steal_fd(&fd);
    w->size = 0;
    return 0;
}

static int
writer_flush(struct rl_log_writer *w, const char *buf, size_t len, rl_error_t *err)
{
    if (len == 0)
        return 0;
    if (rl_write_all(w->fd, buf, len, err) < 0)
        return rl_error_wrap(err, "write log '%s'", w->path);
    w->size += (int64_t)len;
    return 0;
}

int
rl_log_write(struct rl_log_writer *w, int stream, const char *buf, size_t len, rl_error_t *err)
{
    cleanup_free char *out = NULL;
    size_t out_len = 0, out_cap = 0, head_len;
    const char *p = buf, *end = buf + len;
    struct timespec ts;
    struct tm tm;
    char head[TIME_LEN + 16];

    if (stream != STDOUT_FILENO && stream != STDERR_FILENO)
        return rl_make_error(err, EINVAL, "log stream %d is neither stdout nor stderr", stream);
    if (len == 0)
        return 0;
    /* One time for all the records of a call, as conmon does. */
    clock_gettime(CLOCK_REALTIME, &ts);
    if (localtime_r(&ts.tv_sec, &tm) == NULL)
        tm.tm_gmtoff = 0;
    head_len = format_time(head, sizeof(head), ts.tv_sec * NS_PER_SEC + ts.tv_nsec,
                           (int)tm.tm_gmtoff, false);
    snprintf(head + head_len, sizeof(head) - head_len, " %s ", stream_name(stream));
    head_len = strlen(head);

    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t line_len = nl ? (size_t)(nl - p) : (size_t)(end - p);
        size_t chunk = line_len > RL_LOG_RECORD_MAX ? RL_LOG_RECORD_MAX : line_len;
        bool partial = chunk < line_len || nl == NULL;
        size_t rec_len = head_len + 2 + chunk + 1;

        if (w->max_size > 0 && w->size + (int64_t)(out_len + rec_len) > w->max_size
            && w->size + (int64_t)out_len > 0) {
            if (writer_flush(w, out, out_len, err) < 0)
                return -1;
            out_len = 0;
            if (restart_file(w, err) < 0)
                return rl_error_wrap(err, "start log '%s' afresh", w->path);
        }
        if (out_len + rec_len > out_cap) {
            out_cap = (out_len + rec_len) * 2;
            out = xrealloc(out, out_cap);
        }
        memcpy(out + out_len, head, head_len);
        out_len += head_len;
        out[out_len++] = partial ? 'P' : 'F';
        out[out_len++] = ' ';
        memcpy(out + out_len, p, chunk);
        out_len += chunk;
        out[out_len++] = '\n';
        p += chunk;
        if (!partial)
            p++; /* the newline, which the F tag stands for */
    }
    return writer_flush(w, out, out_len, err);
}

/* Output, buffered; the buffer goes out whenever the fd changes, so that stdout and stderr
 * lines keep their order when both reach one terminal. */
struct sink {
    int fd;
    char *buf;
    size_t len;
};

static int
sink_flush(struct sink *s, rl_error_t *err)
{
    size_t len = s->len;

    if (len == 0)
        return 0;
    s->len = 0;
    if (rl_write_all(s->fd, s->buf, len, err) < 0)
        return rl_error_wrap(err, "write logs");
    return 0;
}

static int
sink_put(struct sink *s, int fd, const void *p, size_t n, rl_error_t *err)
{
    if ((fd != s->fd || s->len + n > READ_BLOCK) && sink_flush(s, err) < 0)
        return -1;
    s->fd = fd;
    if (n > READ_BLOCK) {
        if (rl_write_all(fd, p, n, err) < 0)
            return rl_error_wrap(err, "write logs");
        return 0;
    }
    memcpy(s->buf + s->len, p, n);
    s->len += n;
    return 0;
}

struct reader {
    const struct rl_log_read_opts *o;
    int fd;
    int out_fd, err_fd;
    char *buf; /* unparsed bytes read from the file, starting at file offset buf_off */
    size_t len, cap;
    off_t buf_off;
    bool skipping;    /* dropping an overlong line up to its newline */
    off_t start[3];   /* by stream: records before this offset are left out (--tail) */
    bool mid_line[3]; /* by stream: the last record shown was P */
    struct sink sink;
};

static int
emit(struct reader *r, const struct rl_log_record *rec, rl_error_t *err)
{
    const struct rl_log_read_opts *o = r->o;
    int fd = rec->stream == STDERR_FILENO ? r->err_fd : r->out_fd;

    if (fd < 0 || (o->since_ns && rec->time_ns < o->since_ns)
        || (o->until_ns && rec->time_ns > o->until_ns))
        return 0;
    if (!r->mid_line[rec->stream]) {
        if (o->prefix && sink_put(&r->sink, fd, o->prefix, strlen(o->prefix), err) < 0)
            return -1;
        if (o->timestamps) {
            char ts[TIME_LEN + 2];
            size_t n = format_time(ts, sizeof(ts), rec->time_ns, rec->utc_offset, true);
            ts[n++] = ' ';
            if (sink_put(&r->sink, fd, ts, n, err) < 0)
                return -1;
        }
    }
    if (sink_put(&r->sink, fd, rec->content, rec->len, err) < 0)
        return -1;
    if (!rec->partial && sink_put(&r->sink, fd, "\n", 1, err) < 0)
        return -1;
    r->mid_line[rec->stream] = rec->partial;
    return 0;
}

static int
process_line(struct reader *r, const char *line, size_t len, off_t off, rl_error_t *err)
{
    struct rl_log_record rec;

    if (rl_log_parse_line(line, len, &rec) < 0) {
        rl_debug("log: skipping a damaged record at offset %lld", (long long)off);
        return 0;
    }
    if (off < r->start[rec.stream])
        return 0;
    return emit(r, &rec, err);
}

/* Read from where the last read stopped to the end of the file, showing every complete
 * record; an incomplete last one stays in the buffer for the next call. */
static int
read_to_end(struct reader *r, rl_error_t *err)
{
    for (;;) {
        size_t done = 0;
        const char *nl;
        ssize_t n;

        if (r->len == r->cap) {
            if (r->cap >= LINE_MAX_BYTES) {
                r->buf_off += (off_t)r->len;
                r->len = 0;
                r->skipping = true;
            } else {
                r->cap *= 2;
                r->buf = xrealloc(r->buf, r->cap);
            }
        }
        n = TEMP_FAILURE_RETRY(
            pread(r->fd, r->buf + r->len, r->cap - r->len, r->buf_off + (off_t)r->len));
        if (n < 0)
            return rl_make_error(err, errno, "read");
        if (n == 0)
            return 0;
        r->len += (size_t)n;
        while ((nl = memchr(r->buf + done, '\n', r->len - done)) != NULL) {
            size_t line_len = (size_t)(nl - (r->buf + done));
            if (r->skipping)
                r->skipping = false;
            else if (process_line(r, r->buf + done, line_len, r->buf_off + (off_t)done, err) < 0)
                return -1;
            done += line_len + 1;
        }
        memmove(r->buf, r->buf + done, r->len - done);
        r->len -= done;
        r->buf_off += (off_t)done;
    }
}

struct tail_scan {
    long long want, count;
    off_t size;
    off_t reached;  /* offset of the line where COUNT reached WANT, or -1 */
    off_t earliest; /* offset of the earliest line looked at */
    bool seen[3], shown[3], closed[3];
    off_t *start;
};

/* One record met going backwards from the end. A line ends at an F record, or at a P record
 * that is the last of its stream; once WANT lines are counted, the next line end of a stream
 * closes it: its records from the one after that are shown. */
static void
tail_record(struct tail_scan *t, const char *line, size_t len, off_t off)
{
    struct rl_log_record rec;
    int s;
    bool line_end;

    t->earliest = off;
    if (rl_log_parse_line(line, len, &rec) < 0)
        return;
    s = rec.stream;
    line_end = !rec.partial || !t->seen[s];
    t->seen[s] = true;
    if (t->closed[s])
        return;
    if (line_end && t->count == t->want) {
        t->closed[s] = true;
        t->start[s] = off + (off_t)len + 1;
        return;
    }
    if (line_end)
        t->count++;
    t->shown[s] = true;
    if (t->count == t->want && t->reached < 0) {
        t->reached = off;
        /* A stream with nothing shown yet has no line to complete further back. */
        for (int i = STDOUT_FILENO; i <= STDERR_FILENO; i++) {
            if (!t->shown[i] && !t->closed[i]) {
                t->closed[i] = true;
                t->start[i] = t->size;
            }
        }
    }
}

/* Set START[stream] so that only the last WANT lines are shown, reading the file backwards
 * in blocks from SIZE and stopping as soon as both streams are settled. Once the lines are
 * counted, the search for the first fragments of the earliest ones gives up after
 * LINE_MAX_BYTES: no writer leaves fragments of a line that far apart, and damage (a
 * gigabyte without a newline) must not make a tail read the whole file. */
static int
tail_starts(int fd, off_t size, long long want, off_t start[3], rl_error_t *err)
{
    struct tail_scan t = { .want = want, .size = size, .reached = -1, .start = start };
    cleanup_free char *buf = NULL;
    size_t carry = 0, cap = 0;
    off_t pos = size;
    /* The bytes after the last newline are a record still being written: not counted. */
    bool skipping = true;

    start[STDOUT_FILENO] = start[STDERR_FILENO] = 0;
    if (want == 0) {
        start[STDOUT_FILENO] = start[STDERR_FILENO] = size;
        return 0;
    }
    while (pos > 0 && !(t.closed[STDOUT_FILENO] && t.closed[STDERR_FILENO])) {
        size_t block = pos > READ_BLOCK ? READ_BLOCK : (size_t)pos, total, end;
        ssize_t n;

        pos -= (off_t)block;
        total = block + carry;
        if (total > cap) {
            char *nbuf = xmalloc(total);
            if (carry > 0)
                memcpy(nbuf + block, buf, carry);
            free(buf);
            buf = nbuf;
            cap = total;
        } else {
            memmove(buf + block, buf, carry);
        }
        n = TEMP_FAILURE_RETRY(pread(fd, buf, block, pos));
        if (n < 0)
            return rl_make_error(err, errno, "read");
        if ((size_t)n != block) {
            /* Truncated under us: show what the file holds now. */
            start[STDOUT_FILENO] = start[STDERR_FILENO] = 0;
            return 0;
        }
        end = total;
        for (size_t i = total; i-- > 0;) {
            if (buf[i] != '\n')
                continue;
            if (skipping)
                skipping = false;
            else
                tail_record(&t, buf + i + 1, end - i - 1, pos + (off_t)i + 1);
            end = i;
            if (t.closed[STDOUT_FILENO] && t.closed[STDERR_FILENO])
                return 0;
        }
        carry = skipping ? 0 : end;
        if (carry > LINE_MAX_BYTES) {
            carry = 0;
            skipping = true;
        }
        if (t.reached >= 0 && t.reached - pos > LINE_MAX_BYTES) {
            for (int i = STDOUT_FILENO; i <= STDERR_FILENO; i++) {
                if (!t.closed[i])
                    start[i] = t.earliest;
            }
            return 0;
        }
    }
    if (pos == 0 && !skipping && carry > 0)
        tail_record(&t, buf, carry, 0);
    return 0;
}

static bool
same_file(const struct stat *a, const struct stat *b)
{
    return a->st_dev == b->st_dev && a->st_ino == b->st_ino;
}

static void
reader_restart(struct reader *r)
{
    r->buf_off = 0;
    r->len = 0;
    r->skipping = false;
    r->start[STDOUT_FILENO] = r->start[STDERR_FILENO] = 0;
}

/* While following: a file shorter than what was read was truncated, and a file at PATH that
 * is not the one open replaced it (the writer's size limit); either is read from its start.
 * The replaced file is read to its end first, as the writer finished it before the rename. */
static int
check_file(struct reader *r, const char *path, int ifd, rl_error_t *err)
{
    struct stat st, cur;
    int fd;

    if (fstat(r->fd, &cur) < 0)
        return rl_make_error(err, errno, "stat '%s'", path);
    if (cur.st_size < r->buf_off + (off_t)r->len) {
        rl_debug("log '%s' was truncated, reading it from the start", path);
        reader_restart(r);
    }
    if (stat(path, &st) < 0 || same_file(&st, &cur))
        return 0;
    fd = open(path, O_RDONLY | O_NOCTTY | O_CLOEXEC);
    if (fd < 0)
        return 0; /* gone again: try at the next wake-up */
    if (read_to_end(r, err) < 0) {
        close(fd);
        return -1;
    }
    rl_debug("log '%s' was replaced, reading the new one", path);
    close(r->fd);
    r->fd = fd;
    reader_restart(r);
    if (ifd >= 0)
        (void)inotify_add_watch(ifd, path, IN_MODIFY | IN_ATTRIB | IN_MOVE_SELF | IN_DELETE_SELF);
    return 0;
}

/* Sleep until the file changes (inotify, when there is one) or FOLLOW_POLL_MS pass. */
static int
wait_for_change(int ifd, rl_error_t *err)
{
    struct pollfd pfd = { .fd = ifd, .events = POLLIN };
    char ev[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
    int n;

    n = poll(&pfd, ifd >= 0 ? 1 : 0, FOLLOW_POLL_MS);
    if (n < 0 && errno != EINTR)
        return rl_make_error(err, errno, "poll");
    if (n > 0) {
        /* The events only wake us: what changed is looked at in check_file. */
        while (read(ifd, ev, sizeof(ev)) > 0)
            ;
    }
    return 0;
}

static bool
still_alive(const struct rl_log_read_opts *o)
{
    return o->alive == NULL || o->alive(o->alive_data);
}

/* Open PATH into *RET_FD; a missing file gives -1 and no error, or, when following, is
 * waited for until it appears or the container is gone. */
static int
open_log(const char *path, const struct rl_log_read_opts *o, int *ret_fd, rl_error_t *err)
{
    for (;;) {
        bool alive = o->follow && still_alive(o);
        int fd = open(path, O_RDONLY | O_NOCTTY | O_CLOEXEC);
        struct timespec ts = { 0, FOLLOW_POLL_MS * 1000000L };

        if (fd < 0 && errno != ENOENT)
            return rl_make_error(err, errno, "open log '%s'", path);
        if (fd >= 0 || !alive) {
            *ret_fd = fd;
            return 0;
        }
        (void)nanosleep(&ts, NULL);
    }
}

/* Show the log from R->fd, then follow it if asked. */
static int
read_log(struct reader *r, const char *path, rl_error_t *err)
{
    const struct rl_log_read_opts *o = r->o;
    cleanup_close int ifd = -1;
    struct stat st;

    if (o->tail >= 0) {
        if (fstat(r->fd, &st) < 0)
            return rl_make_error(err, errno, "stat");
        if (tail_starts(r->fd, st.st_size, o->tail, r->start, err) < 0)
            return -1;
        r->buf_off = r->start[STDOUT_FILENO] < r->start[STDERR_FILENO] ? r->start[STDOUT_FILENO]
                                                                       : r->start[STDERR_FILENO];
    }
    if (read_to_end(r, err) < 0)
        return -1;
    if (!o->follow)
        return sink_flush(&r->sink, err);

    ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (ifd >= 0
        && inotify_add_watch(ifd, path, IN_MODIFY | IN_ATTRIB | IN_MOVE_SELF | IN_DELETE_SELF) < 0)
        rl_debug("inotify on '%s': %s, polling", path, strerror(errno));
    for (;;) {
        /* Asked before the read, so that the read after a false answer drains the rest. */
        bool alive = still_alive(o);

        if (check_file(r, path, ifd, err) < 0 || read_to_end(r, err) < 0
            || sink_flush(&r->sink, err) < 0)
            return -1;
        if (!alive)
            return 0;
        if (wait_for_change(ifd, err) < 0)
            return -1;
    }
}

static void
reader_release(struct reader *r)
{
    if (r->fd >= 0)
        close(r->fd);
    free(r->buf);
    free(r->sink.buf);
}

int
rl_log_read(const char *path, const struct rl_log_read_opts *o, int out_fd, int err_fd,
            rl_error_t *err)
{
    static const struct rl_log_read_opts defaults = { .tail = -1 };
    __attribute__((cleanup(reader_release))) struct reader r = {
        .o = o ? o : &defaults,
        .fd = -1,
        .out_fd = out_fd,
        .err_fd = err_fd,
        .buf = xmalloc(READ_BLOCK),
        .cap = READ_BLOCK,
        .sink = { .fd = -1, .buf = xmalloc(READ_BLOCK) },
    };

    if (open_log(path, r.o, &r.fd, err) < 0)
        return -1;
    if (r.fd < 0)
        return 0;
    if (read_log(&r, path, err) < 0) {
        rl_error_t tmp = NULL;
        /* What was read before the failure still goes out, if it can. */
        (void)sink_flush(&r.sink, &tmp);
        rl_error_release(&tmp);
        return rl_error_wrap(err, "read log '%s'", path);
    }
    return 0;
}
