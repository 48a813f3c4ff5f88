/* Small helpers shared by every module: scope-bound cleanup, ownership hand-over,
 * allocators that never return NULL, and string helpers. */
#ifndef RL_UTIL_H
#define RL_UTIL_H

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define RL_UNUSED        __attribute__((unused))
#define RL_PRINTF(a, b)  __attribute__((format(printf, a, b)))
#define RL_NORETURN      __attribute__((noreturn))
#define RL_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#ifndef TEMP_FAILURE_RETRY
#define TEMP_FAILURE_RETRY(expression)             \
    ({                                             \
        long int __result;                         \
        do                                         \
            __result = (long int)(expression);     \
        while (__result == -1L && errno == EINTR); \
        __result;                                  \
    })
#endif

void rl_cleanup_freep(void *p);
void rl_cleanup_closep(int *fd);
void rl_cleanup_filep(FILE **f);
void rl_cleanup_strvp(char ***v);
void rl_cleanup_dirp(void *p);

#define cleanup_free  __attribute__((cleanup(rl_cleanup_freep)))
#define cleanup_close __attribute__((cleanup(rl_cleanup_closep)))
#define cleanup_file  __attribute__((cleanup(rl_cleanup_filep)))
#define cleanup_strv  __attribute__((cleanup(rl_cleanup_strvp)))
#define cleanup_dir   __attribute__((cleanup(rl_cleanup_dirp)))

/* Hand a pointer or an fd over to the caller so that the cleanup attribute skips it. */
#define steal_pointer(pp)               \
    ({                                  \
        __typeof__(*(pp)) _ptr = *(pp); \
        *(pp) = NULL;                   \
        _ptr;                           \
    })

static inline int
steal_fd(int *fdp)
{
    int fd = *fdp;
    *fdp = -1;
    return fd;
}

/* Print "rl: out of memory" and abort: allocation failures are not recoverable. */
void RL_NORETURN rl_oom(void);
void *xmalloc(size_t n);
void *xzalloc(size_t n);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) RL_PRINTF(1, 2);

/* A NULL-terminated vector of strings. */
size_t rl_strv_len(char *const *v);
void rl_strv_free(char **v);
char **rl_strv_dup(char *const *v);
/* Append a copy of S to the NULL-terminated *V (which may be NULL). */
void rl_strv_push(char ***v, const char *s);
/* CLOCK_MONOTONIC in nanoseconds and in milliseconds. */
int64_t rl_now_ns(void);
int64_t rl_now_ms(void);
/* Whether V (may be NULL) holds S. */
bool rl_strv_contains(char *const *v, const char *s);
/* The strings of V (may be NULL) joined by SEP. Caller frees. */
char *rl_strv_join(char *const *v, const char *sep);

bool rl_str_has_prefix(const char *s, const char *prefix);
/* TEXT as an error message may quote it: bytes outside printable ASCII as \xNN, and text
 * longer than MAX cut short with "...". Caller frees. */
char *rl_str_shown(const char *text, size_t max);
/* The current time as RFC 3339 with nanoseconds, UTC ("2026-11-23T10:40:25.123456789Z").
 * Caller frees. */
char *rl_now_rfc3339(void);
bool rl_str_has_suffix(const char *s, const char *suffix);

/* Parse a whole decimal number; false on junk, overflow or out of [min, max]. */
bool rl_parse_ll(const char *s, long long min, long long max, long long *ret);

#endif
