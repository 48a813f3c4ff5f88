/* The CLI: global options, the command table and the cmd_<verb>() entry points. */
#ifndef RL_CMD_H
#define RL_CMD_H

#include <jansson.h>

#include "error.h"
#include "log.h"

struct rl_globals {
    const char *root;     /* --root: state directory of `rl oci`, store of later verbs */
    const char *log_path; /* --log */
    bool log_json;        /* --log-format=json */
    bool systemd_cgroup;  /* --systemd-cgroup (accepted for runc compatibility) */
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
int cmd_container(struct rl_globals *g, int argc, char **argv, rl_error_t *err);
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

/* "VERB: unknown option or missing value 'ARG' (see 'rl VERB --help')", for getopt's '?'. */
int rl_cmd_bad_option(const char *verb, int argc, char **argv, rl_error_t *err);

/* Print "Usage: rl VERB USAGE" and the summary; for --help of every verb. */
void rl_print_command_help(FILE *out, const char *prefix, const struct rl_command *cmd);
/* True when ARG is -h or --help. */
bool rl_is_help(const char *arg);

#endif
