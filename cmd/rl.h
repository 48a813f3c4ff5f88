/* The CLI: global options, the command table and the cmd_<verb>() entry points. */
#ifndef RL_CMD_H
#define RL_CMD_H

#include <jansson.h>

#include "error.h"
#include "log.h"

struct rl_globals {
    const char *root;           /* --root: state directory of `rl oci`, store of later verbs */
    const char *log_path;       /* --log */
    bool log_json;              /* --log-format=json */
    bool systemd_cgroup;        /* --systemd-cgroup (accepted for runc compatibility) */
    const char *cgroup_manager; /* --cgroup-manager: "systemd", "cgroupfs" or NULL (either) */
    const char *argv0;
};

enum {
    RL_CMD_RUNTIME = 1 << 0, /* creates or touches containers */
};

struct rl_command {
    const char *name;
    int (*fn)(struct rl_globals *g, int argc, char **argv, rl_error_t *err);
    const char *summary;
    const char *usage; /* options and arguments, printed by --help */
    unsigned int flags;
};

/* Exit status carried by an error that is not rl's own failure (the container's status,
 * 126/127 for exec failures). Set by a command before it returns < 0. */
extern int rl_exit_status;

/* main()'s argv, and how many of its first entries are rl and its global options (--root,
 * --log-level, ...): what rl passes on to rl-full. */
extern char **rl_main_argv;
extern int rl_main_nglobal;

int cmd_oci(struct rl_globals *g, int argc, char **argv, rl_error_t *err);
int cmd_pull(struct rl_globals *g, int argc, char **argv, rl_error_t *err);
int cmd_images(struct rl_globals *g, int argc, char **argv, rl_error_t *err);
int cmd_rmi(struct rl_globals *g, int argc, char **argv, rl_error_t *err);
int cmd_tag(struct rl_globals *g, int argc, char **argv, rl_error_t *err);
int cmd_image(struct rl_globals *g, int argc, char **argv, rl_error_t *err);
int cmd_history(struct rl_globals *g, int argc, char **argv, rl_error_t *err);
int cmd_volume(struct rl_globals *g, int argc, char **argv, rl_error_t *err);
int cmd_inspect(struct rl_globals *g, int argc, char **argv, rl_error_t *err);
int cmd_inspect_image(struct rl_globals *g, int argc, char **argv, rl_error_t *err);
/* `image inspect`'s JSON of one image of the store at ROOT (NULL: the default); NULL with
 * ENOENT when there is none. */
json_t *rl_cmd_image_inspect_json(const char *root, const char *name, rl_error_t *err);
int cmd_run(struct rl_globals *g, int argc, char **argv, rl_error_t *err);
int cmd_create(struct rl_globals *g, int argc, char **argv, rl_error_t *err);
int cmd_start(struct rl_globals *g, int argc, char **argv, rl_error_t *err);
int cmd_stop(struct rl_globals *g, int argc, char **argv, rl_error_t *err);
int cmd_kill(struct rl_globals *g, int argc, char **argv, rl_error_t *err);
int cmd_rm(struct rl_globals *g, int argc, char **argv, rl_error_t *err);
int cmd_ps(struct rl_globals *g, int argc, char **argv, rl_error_t *err);
int cmd_wait(struct rl_globals *g, int argc, char **argv, rl_error_t *err);
int cmd_logs(struct rl_globals *g, int argc, char **argv, rl_error_t *err);
int cmd_exec(struct rl_globals *g, int argc, char **argv, rl_error_t *err);
int cmd_restart(struct rl_globals *g, int argc, char **argv, rl_error_t *err);
int cmd_rename(struct rl_globals *g, int argc, char **argv, rl_error_t *err);
int cmd_port(struct rl_globals *g, int argc, char **argv, rl_error_t *err);
int cmd_stats(struct rl_globals *g, int argc, char **argv, rl_error_t *err);
int cmd_update(struct rl_globals *g, int argc, char **argv, rl_error_t *err);
int cmd_container(struct rl_globals *g, int argc, char **argv, rl_error_t *err);
int cmd_top(struct rl_globals *g, int argc, char **argv, rl_error_t *err);
int cmd_cp(struct rl_globals *g, int argc, char **argv, rl_error_t *err);
int cmd_export(struct rl_globals *g, int argc, char **argv, rl_error_t *err);
int cmd_save(struct rl_globals *g, int argc, char **argv, rl_error_t *err);
int cmd_load(struct rl_globals *g, int argc, char **argv, rl_error_t *err);
int cmd_import(struct rl_globals *g, int argc, char **argv, rl_error_t *err);
int cmd_login(struct rl_globals *g, int argc, char **argv, rl_error_t *err);
int cmd_logout(struct rl_globals *g, int argc, char **argv, rl_error_t *err);
int cmd_info(struct rl_globals *g, int argc, char **argv, rl_error_t *err);
int cmd_doctor(struct rl_globals *g, int argc, char **argv, rl_error_t *err);
int cmd_version(struct rl_globals *g, int argc, char **argv, rl_error_t *err);

/* Move into the user namespace that owns the image store's layers (the caller's default id
 * map), once per process; a no-op for root. Must come before any thread. *SINGLE (may be
 * NULL): only one id is mapped. */
int rl_cmd_store_userns(bool *single, rl_error_t *err);
/* Instead of a user namespace of its own: that of the namespace NSFD (another container's
 * network), before anything else is done in one. */
int rl_cmd_store_userns_join(int nsfd, const char *what, rl_error_t *err);

struct rl_store;
struct rl_pull_opts;
/* rl_pull() for run and create: in-process in rl-full; rl, which has no registry client,
 * runs `rl-full pull` with the same options (its progress on our stderr). When that fails
 * it has printed why; *ERR only adds that the pull failed. */
int rl_cmd_pull(struct rl_store *s, const char *name, const struct rl_pull_opts *opts,
                char **ret_id, rl_error_t *err);

/* rl is built without libcurl and libarchive (-DRL_LITE: faster to start); the verbs that
 * need them (pull, login, save, load, import, cp, export) run in rl-full, the same program
 * with everything, which rl execs (cmd/lite.c). These two exist in rl only. */
/* $RL_FULL, else rl-full next to /proc/self/exe (the build tree), else in RL_LIBEXECDIR;
 * NULL when there is none. Caller frees. */
char *rl_full_path(void);
/* Replace this process with rl-full given rl_main_argv. Returns only on failure. */
int rl_exec_full(rl_error_t *err);

/* A verb of subcommands (rl image, rl volume, rl container): SUBS ends with {NULL, NULL}.
 * Without a subcommand, HELP goes to stderr and it is an error; with --help, to stdout. */
struct rl_subcommand {
    const char *name;
    int (*fn)(struct rl_globals *g, int argc, char **argv, rl_error_t *err);
};
int rl_cmd_dispatch(struct rl_globals *g, const char *verb, const char *help,
                    const struct rl_subcommand *subs, int argc, char **argv, rl_error_t *err);

/* --opt[=BOOL]: no value, "true" or "1" is true; "false" or "0" false; else an error. */
int rl_cmd_parse_bool(const char *opt, const char *v, bool *ret, rl_error_t *err);

/* "VERB: unknown option or missing value 'ARG' (see 'rl VERB --help')", for getopt's '?'. */
int rl_cmd_bad_option(const char *verb, int argc, char **argv, rl_error_t *err);

/* Print "Usage: rl VERB USAGE" and the summary; for --help of every verb. */
void rl_print_command_help(FILE *out, const char *prefix, const struct rl_command *cmd);
/* True when ARG is -h or --help. */
bool rl_is_help(const char *arg);

#endif
