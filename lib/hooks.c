#include "config.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#include "fs.h"
#include "hooks.h"
#include "syscalls.h"

static const char *const stages[] = { "prestart",       "createRuntime", "createContainer",
                                      "startContainer", "poststart",     "poststop" };

static int
check_strv(json_t *v, const char *field, rl_error_t *err)
{
    size_t i;
    json_t *item;

    if (v == NULL)
        return 0;
    if (!json_is_array(v))
        return rl_make_error(err, 0, "config.json: %s: must be an array of strings", field);
    json_array_foreach (v, i, item)
        if (!json_is_string(item))
            return rl_make_error(err, 0, "config.json: %s[%zu]: must be a string", field, i);
    return 0;
}

int
rl_hooks_check(json_t *hooks, rl_error_t *err)
{
    const char *stage;
    json_t *list;

    json_object_foreach (hooks, stage, list) {
        size_t k, i;
        json_t *h;

        for (k = 0; k < RL_ARRAY_SIZE(stages); k++)
            if (strcmp(stage, stages[k]) == 0)
                break;
        if (k == RL_ARRAY_SIZE(stages))
            return rl_make_error(err, 0, "config.json: hooks.%s: unknown hook stage", stage);
        if (json_is_null(list))
            continue;
        if (!json_is_array(list))
            return rl_make_error(err, 0, "config.json: hooks.%s: must be an array", stage);
        json_array_foreach (list, i, h) {
            char field[128];
            json_t *path = json_object_get(h, "path"), *timeout = json_object_get(h, "timeout");

            snprintf(field, sizeof(field), "hooks.%s[%zu]", stage, i);
            if (!json_is_object(h))
                return rl_make_error(err, 0, "config.json: %s: must be an object", field);
            if (!json_is_string(path) || json_string_value(path)[0] != '/')
                return rl_make_error(err, 0, "config.json: %s.path: must be an absolute path",
                                     field);
            if (timeout && !json_is_null(timeout)
                && (!json_is_integer(timeout) || json_integer_value(timeout) <= 0))
                return rl_make_error(err, 0, "config.json: %s.timeout: must be a positive integer",
                                     field);
            {
                char fa[160], fe[160];
                snprintf(fa, sizeof(fa), "%s.args", field);
                snprintf(fe, sizeof(fe), "%s.env", field);
                if (check_strv(json_object_get(h, "args"), fa, err) < 0
                    || check_strv(json_object_get(h, "env"), fe, err) < 0)
                    return -1;
            }
        }
    }
    return 0;
}

bool
rl_hooks_has(json_t *hooks, const char *stage)
{
    json_t *l = hooks ? json_object_get(hooks, stage) : NULL;
    return l && json_is_array(l) && json_array_size(l) > 0;
}

static char **
strv_from_json(json_t *v, const char *fallback)
{
    size_t n = v ? json_array_size(v) : 0, i;
    char **out = xzalloc((n + 2) * sizeof(char *));
    json_t *item;

    if (n == 0 && fallback) {
        out[0] = xstrdup(fallback);
        return out;
    }
    json_array_foreach (v, i, item)
        out[i] = xstrdup(json_string_value(item));
    return out;
}

static int
run_one(json_t *h, const char *stage, size_t idx, const char *state, rl_error_t *err)
{
    const char *path = json_string_value(json_object_get(h, "path"));
    json_t *timeout = json_object_get(h, "timeout");
    int timeout_ms = json_is_integer(timeout) ? (int)json_integer_value(timeout) * 1000 : -1;
    cleanup_strv char **argv = strv_from_json(json_object_get(h, "args"), path);
    cleanup_strv char **envp = strv_from_json(json_object_get(h, "env"), NULL);
    cleanup_close int pidfd = -1;
    int in[2], status;
    struct pollfd p;
    pid_t pid;

    if (pipe2(in, O_CLOEXEC) < 0)
        return rl_make_error(err, errno, "pipe");
    pid = fork();
    if (pid < 0) {
        close(in[0]);
        close(in[1]);
        return rl_make_error(err, errno, "fork");
    }
    if (pid == 0) {
        dup2(in[0], STDIN_FILENO);
        execve(path, argv, envp);
        dprintf(STDERR_FILENO, "rl: hook '%s': %s\n", path, strerror(errno));
        _exit(127);
    }
    close(in[0]);
    pidfd = rl_pidfd_open(pid, 0);
    /* The hook may not read its stdin: a short write is fine, SIGPIPE is not. */
    {
        struct sigaction ign = { .sa_handler = SIG_IGN }, old;
        sigaction(SIGPIPE, &ign, &old);
        (void)rl_write_all(in[1], state, strlen(state), NULL);
        sigaction(SIGPIPE, &old, NULL);
    }
    close(in[1]);
    p.fd = pidfd;
    p.events = POLLIN;
    if (pidfd >= 0 && TEMP_FAILURE_RETRY(poll(&p, 1, timeout_ms)) == 0) {
        (void)kill(pid, SIGKILL);
        (void)TEMP_FAILURE_RETRY(waitpid(pid, NULL, 0));
        return rl_make_error(err, ETIMEDOUT, "hook %s[%zu] '%s' timed out after %d s", stage, idx,
                             path, timeout_ms / 1000);
    }
    if (TEMP_FAILURE_RETRY(waitpid(pid, &status, 0)) < 0)
        return rl_make_error(err, errno, "wait for hook '%s'", path);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return rl_make_error(err, 0, "hook %s[%zu] '%s' failed: %s %d", stage, idx, path,
                             WIFEXITED(status) ? "exit status" : "signal",
                             WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
    return 0;
}

int
rl_hooks_run(json_t *hooks, const char *stage, const char *state, rl_error_t *err)
{
    json_t *list = hooks ? json_object_get(hooks, stage) : NULL, *h;
    size_t i;

    if (list == NULL || !json_is_array(list))
        return 0;
    json_array_foreach (list, i, h)
        if (run_one(h, stage, i, state, err) < 0)
            return -1;
    return 0;
}
