#include "config.h"

#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include "error.h"
#include "log.h"

static int
make_errorv(rl_error_t *err, int status, const char *fmt, va_list ap)
{
    struct rl_error *e = xzalloc(sizeof(*e));
    if (vasprintf(&e->msg, fmt, ap) < 0)
        e->msg = xstrdup("(error message lost: out of memory)");
    e->status = status;
    *err = e;
    return status > 0 ? -status : -1;
}

int
rl_make_error(rl_error_t *err, int status, const char *fmt, ...)
{
    va_list ap;
    int ret;

    va_start(ap, fmt);
    if (err == NULL) {
        va_end(ap);
        return status > 0 ? -status : -1;
    }
    if (*err != NULL) {
        /* Never overwrite an error: the first one is the cause. */
        va_end(ap);
        return (*err)->status > 0 ? -(*err)->status : -1;
    }
    ret = make_errorv(err, status, fmt, ap);
    va_end(ap);
    return ret;
}

int
rl_make_plain_error(rl_error_t *err, int status, const char *fmt, ...)
{
    va_list ap;
    int ret;

    if (err == NULL)
        return status > 0 ? -status : -1;
    if (*err != NULL)
        return (*err)->status > 0 ? -(*err)->status : -1;
    va_start(ap, fmt);
    ret = make_errorv(err, status, fmt, ap);
    va_end(ap);
    (*err)->plain = true;
    return ret;
}

int
rl_error_wrap(rl_error_t *err, const char *fmt, ...)
{
    cleanup_free char *ctx = NULL;
    va_list ap;
    char *msg;

    if (err == NULL || *err == NULL)
        return -1;
    va_start(ap, fmt);
    if (vasprintf(&ctx, fmt, ap) < 0)
        ctx = NULL;
    va_end(ap);
    if (ctx) {
        msg = xasprintf("%s: %s", ctx, (*err)->msg);
        free((*err)->msg);
        (*err)->msg = msg;
    }
    return (*err)->status > 0 ? -(*err)->status : -1;
}

void
rl_error_release(rl_error_t *err)
{
    if (err == NULL || *err == NULL)
        return;
    free((*err)->msg);
    free(*err);
    *err = NULL;
}

char *
rl_error_format(const rl_error_t err)
{
    if (err->status > 0 && !err->plain)
        return xasprintf("%s: %s", err->msg, strerror(err->status));
    return xstrdup(err->msg);
}

void
rl_error_warn_and_release(rl_error_t *err)
{
    cleanup_free char *msg = NULL;

    if (err == NULL || *err == NULL)
        return;
    msg = rl_error_format(*err);
    rl_warning("%s", msg);
    rl_error_release(err);
}

/* Wire format: int32 status, then the message bytes, in one datagram. */
int
rl_error_send(int fd, rl_error_t *err)
{
    cleanup_free char *buf = NULL;
    size_t len;
    int32_t status;

    if (err == NULL || *err == NULL)
        return 0;
    len = strlen((*err)->msg);
    if (len > 4000)
        len = 4000;
    buf = xmalloc(sizeof(status) + len);
    status = (*err)->status;
    memcpy(buf, &status, sizeof(status));
    memcpy(buf + sizeof(status), (*err)->msg, len);
    if (TEMP_FAILURE_RETRY(send(fd, buf, sizeof(status) + len, MSG_NOSIGNAL)) < 0)
        return -errno;
    return 0;
}

int
rl_error_recv(int fd, rl_error_t *err)
{
    char buf[4096 + sizeof(int32_t)];
    int32_t status;
    ssize_t n;

    n = TEMP_FAILURE_RETRY(recv(fd, buf, sizeof(buf) - 1, 0));
    if (n < 0)
        return rl_make_error(err, errno, "read error from child");
    if ((size_t)n < sizeof(status))
        return rl_make_error(err, 0, "child exited before reporting");
    memcpy(&status, buf, sizeof(status));
    buf[n] = '\0';
    return rl_make_error(err, status, "%s", buf + sizeof(status));
}
