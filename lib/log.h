/* Diagnostics on stderr: "rl: warning: ..."; debug lines carry pid, file and line. */
#ifndef RL_LOG_H
#define RL_LOG_H

#include "util.h"

enum rl_log_level {
    RL_LOG_ERROR = 0,
    RL_LOG_WARNING,
    RL_LOG_INFO,
    RL_LOG_DEBUG,
};

extern enum rl_log_level rl_log_level;

int rl_log_parse_level(const char *s, enum rl_log_level *ret);
/* Also append each message to FILE as text or one JSON object a line (runc's --log). */
int rl_log_set_file(const char *path, bool json);
void rl_log(enum rl_log_level level, const char *file, int line, const char *fmt, ...)
    RL_PRINTF(4, 5);

#define rl_error(...)   rl_log(RL_LOG_ERROR, __FILE__, __LINE__, __VA_ARGS__)
#define rl_warning(...) rl_log(RL_LOG_WARNING, __FILE__, __LINE__, __VA_ARGS__)
#define rl_info(...)    rl_log(RL_LOG_INFO, __FILE__, __LINE__, __VA_ARGS__)
#define rl_debug(...)                                              \
    do {                                                           \
        if (rl_log_level >= RL_LOG_DEBUG)                          \
            rl_log(RL_LOG_DEBUG, __FILE__, __LINE__, __VA_ARGS__); \
    } while (0)

#endif
