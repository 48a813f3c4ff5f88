/* rl's side of the rl / rl-full split (built into rl only, with -DRL_LITE). rl links neither
 * libcurl nor libarchive, whose dozens of shared libraries cost more than the rest of a
 * container start; the verbs that need them are rl-full's, the same command line with
 * everything, installed in $(pkglibexecdir). rl execs it with its own argv for those verbs,
 * and runs `rl-full pull` as a child when run or create needs an image. */
#include "config.h"

#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/wait.h>

#include "fs.h"
#include "pull.h"
#include "rl.h"

char *
rl_full_path(void)
{
    const char *env = getenv("RL_FULL");
    char self[PATH_MAX];
    ssize_t n;

    if (env && *env)
        return xstrdup(env);
    n = readlink("/proc/self/exe", self, sizeof(self) - 1);
    if (n > 0) {
        char *slash, *path;
        self[n] = '\0';
        slash = strrchr(self, '/');
        if (slash) {
            path = xasprintf("%.*s/rl-full", (int)(slash - self), self);
            if (access(path, X_OK) == 0)
                return path;
            free(path);
        }
    }
    if (access(RL_LIBEXECDIR "/rl-full", X_OK) == 0)
        return xstrdup(RL_LIBEXECDIR "/rl-full");
    return NULL;
}

static char *
full_path(rl_error_t *err)
{
    char *path = rl_full_path();
    if (path == NULL)
        rl_make_error(err, 0, "rl-full not found next to rl or in %s: reinstall rl", RL_LIBEXECDIR);
    return path;
}

int
rl_exec_full(rl_error_t *err)
{
    cleanup_free char *path = full_path(err);

    if (path == NULL)
        return -1;
    if (rl_main_argv == NULL)
        return rl_make_error(err, 0, "rl-full: no command line to pass on");
    fflush(stdout);
    fflush(stderr);
    /* argv[0] stays rl's: rl-full is rl to the user. */
    execv(path, rl_main_argv);
    return rl_make_error(err, errno, "run %s", path);
}

/* The verbs whose code is rl-full's (rl.c's table and `rl image pull`, `rl help VERB` call
 * these): the same command line, run by rl-full. */
int
cmd_pull(struct rl_globals *g, int argc, char **argv, rl_error_t *err)
{
    return rl_exec_full(err);
}

int
cmd_login(struct rl_globals *g, int argc, char **argv, rl_error_t *err)
{
    return rl_exec_full(err);
}

int
cmd_save(struct rl_globals *g, int argc, char **argv, rl_error_t *err)
{
    return rl_exec_full(err);
}

int
cmd_load(struct rl_globals *g, int argc, char **argv, rl_error_t *err)
{
    return rl_exec_full(err);
}

int
cmd_import(struct rl_globals *g, int argc, char **argv, rl_error_t *err)
{
    return rl_exec_full(err);
}

int
cmd_cp(struct rl_globals *g, int argc, char **argv, rl_error_t *err)
{
    return rl_exec_full(err);
}

int
cmd_export(struct rl_globals *g, int argc, char **argv, rl_error_t *err)
{
    return rl_exec_full(err);
}

/* rl-full [GLOBAL OPTIONS] --root ROOT pull [OPTIONS] -- NAME: the user's global options
 * (--log, --log-level, ...) carry over; --root is the store's resolved path, since a default
 * computed inside the store's user namespace (as root) would be another store. */
static char **
pull_argv(const char *path, struct rl_store *s, const char *name, const struct rl_pull_opts *opts)
{
    const struct rl_registry_opts *r = &opts->registry;
    char **args = NULL;

    rl_strv_push(&args, path);
    for (int i = 1; rl_main_argv && i < rl_main_nglobal; i++)
        rl_strv_push(&args, rl_main_argv[i]);
    rl_strv_push(&args, "--root");
    rl_strv_push(&args, s->root);
    rl_strv_push(&args, "pull");
    if (opts->quiet)
        rl_strv_push(&args, "-q");
    if (opts->jobs > 0) {
        cleanup_free char *a = xasprintf("--jobs=%d", opts->jobs);
        rl_strv_push(&args, a);
    }
    if (opts->platform) {
        cleanup_free char *a = xasprintf("--platform=%s", opts->platform);
        rl_strv_push(&args, a);
    }
    if (r->tls_verify >= 0)
        rl_strv_push(&args, r->tls_verify ? "--tls-verify=true" : "--tls-verify=false");
    if (r->creds) {
        cleanup_free char *a = xasprintf("--creds=%s", r->creds);
        rl_strv_push(&args, a);
    }
    if (r->auth_file) {
        cleanup_free char *a = xasprintf("--authfile=%s", r->auth_file);
        rl_strv_push(&args, a);
    }
    if (r->cert_dir) {
        cleanup_free char *a = xasprintf("--cert-dir=%s", r->cert_dir);
        rl_strv_push(&args, a);
    }
    rl_strv_push(&args, "--");
    rl_strv_push(&args, name);
    return args;
}

/* The child's stdout is a pipe, which gives us the id (its last line) and keeps the
 * container's stdout clean; its progress and errors go to our stderr. */
int
rl_cmd_pull(struct rl_store *s, const char *name, const struct rl_pull_opts *opts, char **ret_id,
            rl_error_t *err)
{
    cleanup_free char *path = full_path(err);
    cleanup_strv char **args = NULL;
    cleanup_close int devnull = -1, rd = -1, wr = -1;
    cleanup_free char *out = NULL;
    cleanup_error rl_error_t rerr = NULL;
    char *line, *end;
    int p[2], status;
    pid_t pid;

    if (path == NULL)
        return -1;
    args = pull_argv(path, s, name, opts);
    devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (devnull < 0)
        return rl_make_error(err, errno, "open /dev/null");
    if (pipe2(p, O_CLOEXEC) < 0)
        return rl_make_error(err, errno, "pipe");
    rd = p[0];
    wr = p[1];
    fflush(stdout);
    fflush(stderr);
    pid = fork();
    if (pid < 0)
        return rl_make_error(err, errno, "fork");
    if (pid == 0) {
        if (dup2(devnull, STDIN_FILENO) < 0 || dup2(wr, STDOUT_FILENO) < 0)
            _exit(125);
        execv(path, args);
        fprintf(stderr, "rl: run %s: %s\n", path, strerror(errno));
        _exit(125);
    }
    close(steal_fd(&wr));
    /* Read to the end before waiting: the child may not exit with its stdout full. */
    if (rl_read_all_fd(rd, 64 * 1024, &out, NULL, &rerr) < 0)
        close(steal_fd(&rd));
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return rl_make_error(err, errno, "wait for %s", path);
    if (WIFSIGNALED(status))
        return rl_make_error(err, 0, "pull %s: %s killed by signal %d", name, path,
                             WTERMSIG(status));
    if (WEXITSTATUS(status) != 0)
        return rl_make_error(err, 0, "pull %s failed", name);
    if (rerr) {
        *err = steal_pointer(&rerr);
        return rl_error_wrap(err, "pull %s: read the image id", name);
    }
    /* The id is the last line. */
    end = out + strlen(out);
    while (end > out && (end[-1] == '\n' || end[-1] == '\r'))
        *--end = '\0';
    line = strrchr(out, '\n');
    line = line ? line + 1 : out;
    if (*line == '\0' || strspn(line, "0123456789abcdef") != strlen(line))
        return rl_make_error(err, 0, "pull %s: no image id from %s", name, path);
    *ret_id = xstrdup(line);
    return 0;
}
