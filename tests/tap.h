/* A minimal TAP producer for unit tests: ok(), is_int(), is_str(), skip(), done_testing(). */
#ifndef RL_TAP_H
#define RL_TAP_H

#include <stdio.h>
#include <string.h>

static int tap_n, tap_failed;

#define ok(cond, ...)                                            \
    do {                                                         \
        int _c = !!(cond);                                       \
        printf("%sok %d - ", _c ? "" : "not ", ++tap_n);         \
        printf(__VA_ARGS__);                                     \
        printf("\n");                                            \
        if (!_c) {                                               \
            tap_failed++;                                        \
            printf("#   failed at %s:%d\n", __FILE__, __LINE__); \
        }                                                        \
    } while (0)

#define is_int(got, want, ...)                                   \
    do {                                                         \
        long long _g = (long long)(got), _w = (long long)(want); \
        ok(_g == _w, __VA_ARGS__);                               \
        if (_g != _w)                                            \
            printf("#   got %lld, want %lld\n", _g, _w);         \
    } while (0)

#define is_str(got, want, ...)                                                           \
    do {                                                                                 \
        const char *_g = (got), *_w = (want);                                            \
        int _eq = (_g == NULL && _w == NULL) || (_g && _w && strcmp(_g, _w) == 0);       \
        ok(_eq, __VA_ARGS__);                                                            \
        if (!_eq)                                                                        \
            printf("#   got '%s', want '%s'\n", _g ? _g : "(null)", _w ? _w : "(null)"); \
    } while (0)

/* GOT contains WANT. */
#define like(got, want, ...)                                                           \
    do {                                                                               \
        const char *_g = (got), *_w = (want);                                          \
        int _m = _g && strstr(_g, _w) != NULL;                                         \
        ok(_m, __VA_ARGS__);                                                           \
        if (!_m)                                                                       \
            printf("#   got '%s', want it to contain '%s'\n", _g ? _g : "(null)", _w); \
    } while (0)

#define skip(...)                         \
    do {                                  \
        printf("ok %d # SKIP ", ++tap_n); \
        printf(__VA_ARGS__);              \
        printf("\n");                     \
    } while (0)

#define done_testing()             \
    do {                           \
        printf("1..%d\n", tap_n);  \
        return tap_failed ? 1 : 0; \
    } while (0)

#endif
