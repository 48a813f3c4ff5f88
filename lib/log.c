#include "config.h"

#include <fcntl.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "log.h"

enum rl_log_level rl_log_level = RL_LOG_WARNING;
static int log_fd = -1;
static bool log_json;

static const char *const level_names[] = { "error", "warning", "info", "debug" };

int
rl_log_parse_level(const char *s, enum rl_log_level *ret)
{
    for (size_t i = 0; i < RL_ARRAY_SIZE(level_names); i++) {
        if (strcmp(s, level_names[i]) == 0) {
            *ret = (enum rl_log_level)i;
            return 0;
        }
    }
    if (strcmp(s, "warn") == 0) {
        *ret = RL_LOG_WARNING;
        return 0;
    }
    return -1;
}

int
rl_log_set_file(const char *path, bool json)
{
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0)
        return -errno;
    if (log_fd >= 0)
        close(log_fd);
    log_fd = fd;
    log_json = json;
    return 0;
}

static void
log_to_file(enum rl_log_level level, const char *msg)
{
    char stamp[64];
    struct timespec ts;
    struct tm tm;
    char *line = NULL;

    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
    if (log_json) {
        json_t *o = json_pack("{s:s, s:s, s:s+}", "level", level_names[level], "msg", msg, "time",
                              stamp, "Z");
        if (o == NULL)
            return;
        line = json_dumps(o, JSON_COMPACT);
        json_decref(o);
        if (line == NULL)
            return;
        dprintf(log_fd, "%s\n", line);
    } else {
        dprintf(log_fd, "%sZ %s: %s\n", stamp, level_names[level], msg);
    }
    free(line);
}

void
rl_log(enum rl_log_level level, const char *file, int line, const char *fmt, ...)
{
    cleanup_free char *msg = NULL;
    va_list ap;
    int saved = errno;

    if (level > rl_log_level && !(log_fd >= 0 && level <= RL_LOG_WARNING))
        return;
    va_start(ap, fmt);
    if (vasprintf(&msg, fmt, ap) < 0)
        msg = NULL;
    va_end(ap);
    if (msg == NULL)
        return;
    if (log_fd >= 0)
        log_to_file(level, msg);
    if (level <= rl_log_level) {
        if (level == RL_LOG_DEBUG)
            fprintf(stderr, "rl[%d]: debug: %s:%d: %s\n", (int)getpid(), file, line, msg);
        else if (level == RL_LOG_ERROR)
            fprintf(stderr, "rl: %s\n", msg);
        else
            fprintf(stderr, "rl: %s: %s\n", level_names[level], msg);
    }
    errno = saved;
}
