#include "config.h"

#include <getopt.h>
#include <libgen.h>
#include <string.h>

#include "rl.h"

int rl_exit_status = 0;
char **rl_main_argv;
int rl_main_nglobal = 1;

static int cmd_help(struct rl_globals *g, int argc, char **argv, rl_error_t *err);

static const struct rl_command commands[] = {
    { "oci", cmd_oci, "Run OCI bundles: the OCI runtime command line (create, start, run, ...)",
      "[OPTIONS] COMMAND [ARG...]", RL_CMD_RUNTIME },
    { "run", cmd_run, "Run a command in a new container", "[OPTIONS] IMAGE [COMMAND [ARG...]]", 0 },
    { "create", cmd_create, "Create a container without starting it",
      "[OPTIONS] IMAGE [COMMAND [ARG...]]", 0 },
    { "start", cmd_start, "Start containers", "[OPTIONS] CONTAINER [CONTAINER...]", 0 },
    { "stop", cmd_stop, "Stop containers", "[OPTIONS] CONTAINER [CONTAINER...]", 0 },
    { "restart", cmd_restart, "Restart containers", "[OPTIONS] CONTAINER [CONTAINER...]", 0 },
    { "kill", cmd_kill, "Send a signal to containers", "[OPTIONS] CONTAINER [CONTAINER...]", 0 },
    { "rm", cmd_rm, "Remove containers", "[OPTIONS] CONTAINER [CONTAINER...]", 0 },
    { "ps", cmd_ps, "List containers", "[OPTIONS]", 0 },
    { "wait", cmd_wait, "Wait for containers to stop", "CONTAINER [CONTAINER...]", 0 },
    { "logs", cmd_logs, "Show a container's output", "[OPTIONS] CONTAINER [CONTAINER...]", 0 },
    { "exec", cmd_exec, "Run a command in a running container",
      "[OPTIONS] CONTAINER COMMAND [ARG...]", 0 },
    { "rename", cmd_rename, "Rename a container", "CONTAINER NEW_NAME", 0 },
    { "port", cmd_port, "List a container's published ports", "[-a] CONTAINER [PORT]", 0 },
    { "stats", cmd_stats, "Show containers' resource use", "[OPTIONS] [CONTAINER...]", 0 },
    { "update", cmd_update, "Change a container's resource limits", "[OPTIONS] CONTAINER", 0 },
    { "top", cmd_top, "Show the processes of a running container",
      "[OPTIONS] CONTAINER [DESCRIPTOR...]", 0 },
    { "cp", cmd_cp, "Copy files between a container and the host",
      "[OPTIONS] [CONTAINER:]SRC_PATH [CONTAINER:]DEST_PATH", 0 },
    { "export", cmd_export, "Write a container's root filesystem as a tar archive",
      "[-o FILE] CONTAINER", 0 },
    { "container", cmd_container, "Manage containers (ls, inspect, prune, exists, ...)",
      "COMMAND [ARGS...]", 0 },
    { "pull", cmd_pull, "Pull images from a registry", "[OPTIONS] IMAGE [IMAGE...]", 0 },
    { "images", cmd_images, "List images in the local store", "[OPTIONS] [REPOSITORY[:TAG]]", 0 },
    { "rmi", cmd_rmi, "Remove images", "[OPTIONS] IMAGE [IMAGE...]", 0 },
    { "tag", cmd_tag, "Give an image more names", "IMAGE NAME [NAME...]", 0 },
    { "image", cmd_image, "Manage images (inspect, ls, prune, pull, rm, tag, exists, history)",
      "COMMAND [OPTIONS] [ARG...]", 0 },
    { "history", cmd_history, "Show how an image was built", "[OPTIONS] IMAGE", 0 },
    { "volume", cmd_volume, "Manage volumes (create, ls, inspect, rm, prune, exists)",
      "COMMAND [OPTIONS] [ARG...]", 0 },
    { "inspect", cmd_inspect, "Show containers' or images' details",
      "[--format FORMAT] [--type TYPE] NAME [NAME...]", 0 },
    { "save", cmd_save, "Write images to a docker-archive or oci-archive tarball",
      "[OPTIONS] IMAGE [IMAGE...]", 0 },
    { "load", cmd_load, "Load images from a docker-archive or oci-archive tarball",
      "[-i FILE] [-q]", 0 },
    { "import", cmd_import, "Create an image from a root filesystem tarball",
      "[OPTIONS] FILE|- [REFERENCE]", 0 },
    { "login", cmd_login, "Log in to a registry", "[OPTIONS] REGISTRY", 0 },
    { "logout", cmd_logout, "Log out of a registry", "[OPTIONS] REGISTRY", 0 },
    { "info", cmd_info, "Show the host's facts and rl's build features", "[--format text|json]",
      0 },
    { "doctor", cmd_doctor, "Check that this host and user can run rootless containers",
      "[--format text|json]", 0 },
    { "version", cmd_version, "Show rl's version", "[--format text|json]", 0 },
    { "help", cmd_help, "Show help for a command", "[COMMAND]", 0 },
    { NULL, NULL, NULL, NULL, 0 },
};

bool
rl_is_help(const char *arg)
{
    return strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0;
}

void
rl_print_command_help(FILE *out, const char *prefix, const struct rl_command *cmd)
{
    fprintf(out, "Usage: %s %s %s\n\n%s\n", prefix, cmd->name, cmd->usage, cmd->summary);
}

static void
usage(FILE *out)
{
    fprintf(out, "Usage: rl [GLOBAL OPTIONS] COMMAND [OPTIONS] [ARG...]\n\n"
                 "rl runs containers without root and without a daemon.\n\n"
                 "Commands:\n");
    for (const struct rl_command *c = commands; c->name; c++)
        fprintf(out, "  %-10s %s\n", c->name, c->summary);
    fprintf(out, "\nGlobal options:\n"
                 "  --root DIR           image store (default $XDG_DATA_HOME/rl); for 'rl oci',\n"
                 "                       the state directory (default $XDG_RUNTIME_DIR/rl/oci)\n"
                 "  --log FILE           also write errors and warnings to FILE\n"
                 "  --log-format FORMAT  text or json, for --log\n"
                 "  --log-level LEVEL    error, warning (default), info or debug\n"
                 "  --debug              same as --log-level debug\n"
                 "  --cgroup-manager M   systemd (ask the user manager for a scope with\n"
                 "                       Delegate=yes) or cgroupfs (the delegated subtree rl\n"
                 "                       runs in); default: systemd where that is not delegated\n"
                 "  -h, --help           show this help\n"
                 "  -v, --version        show the version\n\n"
                 "Run 'rl COMMAND --help' for the options of a command.\n");
}

static const struct rl_command *
find_command(const char *name)
{
    for (const struct rl_command *c = commands; c->name; c++)
        if (strcmp(c->name, name) == 0)
            return c;
    return NULL;
}

int
rl_cmd_dispatch(struct rl_globals *g, const char *verb, const char *help,
                const struct rl_subcommand *subs, int argc, char **argv, rl_error_t *err)
{
    if (argc < 2 || rl_is_help(argv[1])) {
        fputs(help, argc < 2 ? stderr : stdout);
        return argc < 2 ? rl_make_error(err, 0, "%s: missing command", verb) : 0;
    }
    optind = 0;
    for (const struct rl_subcommand *s = subs; s->name; s++)
        if (strcmp(argv[1], s->name) == 0)
            return s->fn(g, argc - 1, argv + 1, err);
    return rl_make_error(err, 0, "%s: unknown command '%s' (see 'rl %s --help')", verb, argv[1],
                         verb);
}

static int
cmd_help(struct rl_globals *g, int argc, char **argv, rl_error_t *err)
{
    const struct rl_command *c;

    if (argc < 2) {
        usage(stdout);
        return 0;
    }
    if (rl_is_help(argv[1])) {
        rl_print_command_help(stdout, "rl", find_command("help"));
        return 0;
    }
    c = find_command(argv[1]);
    if (c == NULL)
        return rl_make_error(err, 0, "unknown command '%s': see 'rl --help'", argv[1]);
    if (c->fn == cmd_help) {
        rl_print_command_help(stdout, "rl", c);
        return 0;
    }
    /* Every verb prints its own, complete help for --help. */
    {
        char *args[] = { argv[1], (char *)"--help", NULL };
        optind = 0;
        return c->fn(g, 2, args, err);
    }
}

int
cmd_version(struct rl_globals *g, int argc, char **argv, rl_error_t *err)
{
    bool json = false;

    for (int i = 1; i < argc; i++) {
        if (rl_is_help(argv[i])) {
            rl_print_command_help(stdout, "rl", find_command("version"));
            return 0;
        } else if (strcmp(argv[i], "--format") == 0 && i + 1 < argc) {
            i++;
            if (strcmp(argv[i], "json") == 0)
                json = true;
            else if (strcmp(argv[i], "text") != 0)
                return rl_make_error(err, 0, "unknown format '%s': use text or json", argv[i]);
        } else if (strcmp(argv[i], "--format=json") == 0) {
            json = true;
        } else if (strcmp(argv[i], "--format=text") == 0) {
        } else {
            return rl_make_error(err, 0, "version: unexpected argument '%s'", argv[i]);
        }
    }
    if (json)
        printf("{\"version\": \"%s\", \"features\": \"%s\", \"spec\": \"1.1.0\"}\n",
               PACKAGE_VERSION, RL_FEATURES);
    else
        printf("rl version %s\nspec: 1.1.0\nfeatures: %s\n", PACKAGE_VERSION, RL_FEATURES);
    return 0;
}

/* Refuse to run with elevated privileges that are not the caller's own: rl is rootless by
 * construction, and a setuid rl would let any user create mounts as another user. */
static bool
running_setuid(void)
{
    return getuid() != geteuid() || getgid() != getegid();
}

static int
run_main(int argc, char **argv)
{
    static const struct option long_options[] = {
        { "root", required_argument, NULL, 'r' },
        { "log", required_argument, NULL, 'l' },
        { "log-format", required_argument, NULL, 'f' },
        { "log-level", required_argument, NULL, 'L' },
        { "debug", no_argument, NULL, 'd' },
        { "systemd-cgroup", no_argument, NULL, 's' },
        { "cgroup-manager", required_argument, NULL, 'C' },
        { "help", no_argument, NULL, 'h' },
        { "version", no_argument, NULL, 'v' },
        { NULL, 0, NULL, 0 },
    };
    struct rl_globals g = { .argv0 = argv[0] };
    cleanup_error rl_error_t err = NULL;
    const struct rl_command *cmd;
    const char *env_level = getenv("RL_LOG_LEVEL");
    char *base = basename(argv[0]);
    int c, ret;

    /* Every option error is reported once, by rl, in its own words. */
    opterr = 0;
    if (env_level && rl_log_parse_level(env_level, &rl_log_level) < 0)
        rl_warning("RL_LOG_LEVEL: unknown level '%s', ignored", env_level);

    if (running_setuid()) {
        fprintf(stderr, "rl: refusing to run setuid or setgid: rl needs no privilege\n");
        return 125;
    }

    /* Installed as "rl-oci" (a symlink), rl is an OCI runtime that podman --runtime and
     * containerd can call directly. */
    if (strcmp(base, "rl-oci") == 0) {
        ret = cmd_oci(&g, argc, argv, &err);
        goto out;
    }

    while ((c = getopt_long(argc, argv, "+hv", long_options, NULL)) != -1) {
        switch (c) {
        case 'r':
            g.root = optarg;
            break;
        case 'l':
            g.log_path = optarg;
            break;
        case 'f':
            if (strcmp(optarg, "json") == 0)
                g.log_json = true;
            else if (strcmp(optarg, "text") != 0) {
                fprintf(stderr, "rl: --log-format: unknown format '%s': use text or json\n",
                        optarg);
                return 125;
            }
            break;
        case 'L':
            if (rl_log_parse_level(optarg, &rl_log_level) < 0) {
                fprintf(stderr,
                        "rl: --log-level: unknown level '%s': use error, warning, info or debug\n",
                        optarg);
                return 125;
            }
            break;
        case 'd':
            rl_log_level = RL_LOG_DEBUG;
            break;
        case 's':
            g.systemd_cgroup = true;
            break;
        case 'C':
            if (strcmp(optarg, "systemd") != 0 && strcmp(optarg, "cgroupfs") != 0) {
                fprintf(stderr, "rl: --cgroup-manager: '%s' is not systemd or cgroupfs\n", optarg);
                return 125;
            }
            g.cgroup_manager = optarg;
            break;
        case 'h':
            usage(stdout);
            return 0;
        case 'v':
            return cmd_version(&g, 1, argv, &err) < 0 ? 125 : 0;
        default:
            fprintf(stderr, "rl: unknown option or missing value '%s': see 'rl --help'\n",
                    argv[optind - 1]);
            return 125;
        }
    }
    rl_main_argv = argv;
    rl_main_nglobal = optind;
    if (g.log_path && rl_log_set_file(g.log_path, g.log_json) < 0) {
        fprintf(stderr, "rl: --log: cannot open '%s': %s\n", g.log_path, strerror(errno));
        return 125;
    }
    if (optind >= argc) {
        usage(stderr);
        return 125;
    }
    cmd = find_command(argv[optind]);
    if (cmd == NULL) {
        fprintf(stderr, "rl: unknown command '%s': see 'rl --help'\n", argv[optind]);
        return 125;
    }
    argc -= optind;
    argv += optind;
    optind = 0;
    ret = cmd->fn(&g, argc, argv, &err);
out:
    if (ret < 0) {
        if (err) {
            cleanup_free char *msg = rl_error_format(err);
            rl_error("%s", msg);
        }
        return rl_exit_status ? rl_exit_status : 125;
    }
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "rl: write to stdout: %s\n", strerror(errno));
        return 125;
    }
    return rl_exit_status;
}

int
main(int argc, char **argv)
{
    return run_main(argc, argv);
}
