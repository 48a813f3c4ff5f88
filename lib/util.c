#include "config.h"

#include <dirent.h>
#include <limits.h>
#include <string.h>
#include <time.h>

#include "util.h"

void
rl_cleanup_freep(void *p)
{
    free(*(void **)p);
}

void
rl_cleanup_closep(int *fd)
{
    if (*fd >= 0) {
        int saved = errno;
        (void)close(*fd);
        errno = saved;
    }
}

void
rl_cleanup_filep(FILE **f)
{
    if (*f)
        (void)fclose(*f);
}

void
rl_cleanup_strvp(char ***v)
{
    rl_strv_free(*v);
}

void
rl_cleanup_dirp(void *p)
{
    DIR **d = p;
    if (*d)
        (void)closedir(*d);
}

void RL_NORETURN
rl_oom(void)
{
    static const char msg[] = "rl: out of memory\n";
    (void)!write(STDERR_FILENO, msg, sizeof(msg) - 1);
    abort();
}

void *
xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (p == NULL)
        rl_oom();
    return p;
}

void *
xzalloc(size_t n)
{
    void *p = calloc(1, n ? n : 1);
    if (p == NULL)
        rl_oom();
    return p;
}

void *
xrealloc(void *p, size_t n)
{
    p = realloc(p, n ? n : 1);
    if (p == NULL)
        rl_oom();
    return p;
}

char *
xstrdup(const char *s)
{
    char *p = strdup(s);
    if (p == NULL)
        rl_oom();
    return p;
}

char *
xstrndup(const char *s, size_t n)
{
    char *p = strndup(s, n);
    if (p == NULL)
        rl_oom();
    return p;
}

char *
xasprintf(const char *fmt, ...)
{
    va_list ap;
    char *p;
    int r;

    va_start(ap, fmt);
    r = vasprintf(&p, fmt, ap);
    va_end(ap);
    if (r < 0)
        rl_oom();
    return p;
}

size_t
rl_strv_len(char *const *v)
{
    size_t n = 0;
    while (v && v[n])
        n++;
    return n;
}

void
rl_strv_free(char **v)
{
    if (v == NULL)
        return;
    for (size_t i = 0; v[i]; i++)
        free(v[i]);
    free(v);
}

char **
rl_strv_dup(char *const *v)
{
    size_t n = rl_strv_len(v);
    char **r = xzalloc((n + 1) * sizeof(char *));
    for (size_t i = 0; i < n; i++)
        r[i] = xstrdup(v[i]);
    return r;
}

bool
rl_str_has_prefix(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

bool
rl_str_has_suffix(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && strcmp(s + a - b, suffix) == 0;
}

bool
rl_parse_ll(const char *s, long long min, long long max, long long *ret)
{
    char *end = NULL;
    long long v;

    /* strtoll() skips leading white space and takes a sign: a whole number has neither
     * space nor "+". */
    if (s == NULL || *s == '\0' || !(*s == '-' || (*s >= '0' && *s <= '9')))
        return false;
    errno = 0;
    v = strtoll(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || v < min || v > max)
        return false;
    *ret = v;
    return true;
}

void
rl_strv_push(char ***v, const char *s)
{
    size_t n = *v ? rl_strv_len(*v) : 0;

    *v = xrealloc(*v, (n + 2) * sizeof(char *));
    (*v)[n] = xstrdup(s);
    (*v)[n + 1] = NULL;
}

int64_t
rl_now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t
rl_now_ms(void)
{
    return rl_now_ns() / 1000000;
}

bool
rl_strv_contains(char *const *v, const char *s)
{
    for (; v && *v; v++)
        if (strcmp(*v, s) == 0)
            return true;
    return false;
}

char *
rl_strv_join(char *const *v, const char *sep)
{
    size_t len = 1, n = 0;
    char *ret, *p;

    for (char *const *i = v; i && *i; i++, n++)
        len += strlen(*i) + strlen(sep);
    ret = p = xmalloc(len);
    *p = '\0';
    for (size_t i = 0; i < n; i++)
        p = stpcpy(stpcpy(p, i ? sep : ""), v[i]);
    return ret;
}

char *
rl_str_shown(const char *text, size_t max)
{
    static const char hexdigits[] = "0123456789abcdef";
    size_t len = strnlen(text, max + 1);
    size_t n = len > max ? max : len;
    char *buf = xmalloc(n * 4 + 4);
    char *p = buf;

    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)text[i];
        if (c < 0x20 || c >= 0x7f) {
            *p++ = '\\';
            *p++ = 'x';
            *p++ = hexdigits[c >> 4];
            *p++ = hexdigits[c & 0xf];
        } else {
            *p++ = (char)c;
        }
    }
    if (len > n)
        p = (char *)memcpy(p, "...", 3) + 3;
    *p = '\0';
    return buf;
}

char *
rl_now_rfc3339(void)
{
    struct timespec ts;
    struct tm tm;
    char buf[64];

    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
    return xasprintf("%s.%09ldZ", buf, ts.tv_nsec);
}
