#include "config.h"

#include <getopt.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>

#include "caps.h"
#include "container.h"
#include "fs.h"
#include "idmap.h"
#include "rl.h"

struct oci_ctx {
    struct rl_globals *g;
    char *root; /* resolved state root */
};

typedef int (*oci_fn)(struct oci_ctx *c, int argc, char **argv, rl_error_t *err);

static int oci_spec(struct oci_ctx *c, int argc, char **argv, rl_error_t *err);
static int oci_create(struct oci_ctx *c, int argc, char **argv, rl_error_t *err);
static int oci_start(struct oci_ctx *c, int argc, char **argv, rl_error_t *err);
static int oci_run(struct oci_ctx *c, int argc, char **argv, rl_error_t *err);
static int oci_state(struct oci_ctx *c, int argc, char **argv, rl_error_t *err);
static int oci_kill(struct oci_ctx *c, int argc, char **argv, rl_error_t *err);
static int oci_delete(struct oci_ctx *c, int argc, char **argv, rl_error_t *err);
static int oci_exec(struct oci_ctx *c, int argc, char **argv, rl_error_t *err);
static int oci_list(struct oci_ctx *c, int argc, char **argv, rl_error_t *err);
static int oci_features(struct oci_ctx *c, int argc, char **argv, rl_error_t *err);
static int oci_ps(struct oci_ctx *c, int argc, char **argv, rl_error_t *err);

static const struct {
    const char *name;
    oci_fn fn;
    const char *summary;
    const char *usage;
    const char *options;
} oci_commands[] = {
    { "spec", oci_spec, "Write a default config.json for a bundle", "[OPTIONS]",
      "  -b, --bundle DIR   the bundle directory (default: the current directory)\n"
      "      --rootless     a config for an unprivileged user: a user namespace mapping you\n"
      "                     and your subordinate ids, /sys bound instead of mounted\n" },
    { "create", oci_create, "Create a container from a bundle; it waits for 'start'",
      "[OPTIONS] ID",
      "  -b, --bundle DIR          the bundle directory (default: the current directory)\n"
      "      --console-socket PATH send the pty master to this unix socket (process.terminal)\n"
      "      --pid-file PATH       write the container's pid to PATH\n"
      "      --preserve-fds N      pass N extra fds (3 and up) to the container\n"
      "      --no-pivot            accepted for runc compatibility; rl always uses pivot_root\n"
      "      --no-new-keyring      accepted for runc compatibility\n" },
    { "start", oci_start, "Start a created container", "ID", "" },
    { "run", oci_run, "Create, start and wait for a container, then delete it", "[OPTIONS] ID",
      "  -b, --bundle DIR          the bundle directory (default: the current directory)\n"
      "  -d, --detach              return once the container runs; delete it later\n"
      "      --console-socket PATH send the pty master to this unix socket\n"
      "      --pid-file PATH       write the container's pid to PATH\n"
      "      --preserve-fds N      pass N extra fds (3 and up) to the container\n"
      "      --no-pivot            accepted for runc compatibility\n"
      "      --no-new-keyring      accepted for runc compatibility\n"
      "      --keep                accepted; a foreground run is always deleted\n" },
    { "state", oci_state, "Print the state of a container as JSON", "ID", "" },
    { "kill", oci_kill, "Send a signal (default TERM) to a container", "[OPTIONS] ID [SIGNAL]",
      "  -a, --all   signal every process of the container\n" },
    { "delete", oci_delete, "Delete a stopped or created container", "[OPTIONS] ID",
      "  -f, --force   kill a running container first\n" },
    { "exec", oci_exec, "Run a process in a running container", "[OPTIONS] ID [COMMAND [ARG...]]",
      "  -p, --process FILE        the process as runtime-spec JSON instead of COMMAND\n"
      "  -t, --tty                 allocate a terminal\n"
      "  -d, --detach              do not wait for the process\n"
      "  -e, --env NAME=VALUE      set an environment variable (repeatable)\n"
      "      --cwd DIR             working directory in the container\n"
      "  -u, --user UID[:GID]      run as this user\n"
      "  -g, --additional-gids GID add a supplementary group (repeatable)\n"
      "  -c, --cap CAP             add a capability to every set (repeatable)\n"
      "      --no-new-privs        set no_new_privs\n"
      "      --console-socket PATH send the pty master to this unix socket\n"
      "      --pid-file PATH       write the process's pid to PATH\n"
      "      --preserve-fds N      pass N extra fds (3 and up) to the process\n" },
    { "list", oci_list, "List containers", "[OPTIONS]",
      "  -f, --format FORMAT   table (default) or json\n"
      "  -q, --quiet           print only ids\n" },
    { "ps", oci_ps, "List the processes of a running container", "[OPTIONS] ID",
      "  -f, --format FORMAT   table (default: PID and command) or json (an array of pids)\n" },
    { "features", oci_features, "Print the features rl supports, as runtime-spec JSON", "", "" },
};

static void
oci_usage(FILE *out)
{
    fprintf(out, "Usage: rl oci [OPTIONS] COMMAND [ARG...]\n\n"
                 "The OCI runtime command line: run runtime-spec bundles (config.json + rootfs)\n"
                 "as an unprivileged user. Installed as 'rl-oci', rl is this command directly.\n\n"
                 "Commands:\n");
    for (size_t i = 0; i < RL_ARRAY_SIZE(oci_commands); i++)
        fprintf(out, "  %-9s %s\n", oci_commands[i].name, oci_commands[i].summary);
    fprintf(out, "\nOptions:\n"
                 "  --root DIR          state directory (default $XDG_RUNTIME_DIR/rl/oci)\n"
                 "  --log FILE          also write errors to FILE\n"
                 "  --log-format FMT    text or json\n"
                 "  --debug             debug output\n"
                 "  --systemd-cgroup    accepted for runc compatibility\n"
                 "  --rootless VALUE    accepted for runc compatibility\n");
}

static bool
wants_help(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0)
            return false;
        if (rl_is_help(argv[i]))
            return true;
    }
    return false;
}

static void
sub_help(size_t i)
{
    printf("Usage: rl oci %s %s\n\n%s\n", oci_commands[i].name, oci_commands[i].usage,
           oci_commands[i].summary);
    if (oci_commands[i].options[0])
        printf("\nOptions:\n%s", oci_commands[i].options);
}

static int
bad_option(const char *verb, int argc, char **argv, rl_error_t *err)
{
    const char *arg = optind > 0 && optind <= argc ? argv[optind - 1] : "?";
    return rl_make_error(err, 0,
                         "oci %s: unknown option or missing value '%s' (see 'rl oci %s --help')",
                         verb, arg, verb);
}

static int
want_args(const char *verb, int argc, int min, int max, rl_error_t *err)
{
    int n = argc - optind;
    if (n < min)
        return rl_make_error(err, 0, "oci %s: missing container id (see 'rl oci %s --help')", verb,
                             verb);
    if (max >= 0 && n > max)
        return rl_make_error(err, 0, "oci %s: too many arguments (see 'rl oci %s --help')", verb,
                             verb);
    return 0;
}

/* --format table|json of list and ps. */
static int
parse_format(const char *verb, const char *arg, bool *ret_json, rl_error_t *err)
{
    if (strcmp(arg, "json") != 0 && strcmp(arg, "table") != 0)
        return rl_make_error(err, 0, "oci %s: --format: unknown format '%s': use table or json",
                             verb, arg);
    *ret_json = strcmp(arg, "json") == 0;
    return 0;
}

static int
parse_count(const char *opt, const char *s, int *ret, rl_error_t *err)
{
    long long v;
    if (!rl_parse_ll(s, 0, 4096, &v))
        return rl_make_error(err, 0, "%s: '%s' is not a number from 0 to 4096", opt, s);
    *ret = (int)v;
    return 0;
}

static char *
absolute_bundle(const char *b)
{
    char buf[PATH_MAX];
    if (realpath(b ? b : ".", buf) == NULL)
        return xstrdup(b ? b : ".");
    return xstrdup(buf);
}

static int
oci_spec(struct oci_ctx *c, int argc, char **argv, rl_error_t *err)
{
    static const struct option opts[] = { { "bundle", required_argument, NULL, 'b' },
                                          { "rootless", no_argument, NULL, 'r' },
                                          { NULL, 0, NULL, 0 } };
    const char *bundle = ".";
    bool rootless = false;
    cleanup_free struct rl_idmap_range *uids = NULL, *gids = NULL;
    cleanup_free struct rl_subid_range *subu = NULL, *subg = NULL;
    cleanup_free char *path = NULL, *text = NULL;
    size_t nu = 0, ng = 0, nsu = 0, nsg = 0;
    struct stat st;
    json_t *spec;
    int o;

    while ((o = getopt_long(argc, argv, "+b:", opts, NULL)) != -1) {
        if (o == 'b')
            bundle = optarg;
        else if (o == 'r')
            rootless = true;
        else
            return bad_option("spec", argc, argv, err);
    }
    if (want_args("spec", argc, 0, 0, err) < 0)
        return -1;
    if (rootless) {
        struct passwd *pw = getpwuid(getuid());
        const char *name = pw ? pw->pw_name : NULL;
        if (getuid() != 0
            && (rl_subid_read("/etc/subuid", name, getuid(), &subu, &nsu, err) < 0
                || rl_subid_read("/etc/subgid", name, getuid(), &subg, &nsg, err) < 0))
            return -1;
        if (nsu == 0 || nsg == 0)
            nsu = nsg = 0;
        rl_idmap_default(getuid(), subu, nsu, &uids, &nu);
        rl_idmap_default(getgid(), subg, nsg, &gids, &ng);
    }
    path = xasprintf("%s/config.json", bundle);
    if (stat(path, &st) == 0)
        return rl_make_error(err, EEXIST, "oci spec: '%s' already exists", path);
    spec = rl_spec_default(rootless, uids, nu, gids, ng);
    text = json_dumps(spec, JSON_INDENT(2));
    json_decref(spec);
    {
        size_t len = strlen(text);
        char *t = xasprintf("%s\n", text);
        int r = rl_write_file_atomic(path, t, len + 1, 0644, true, err);
        free(t);
        if (r < 0)
            return rl_error_wrap(err, "oci spec");
    }
    return 0;
}

/* Options shared by create and run. */
static int
parse_create_opts(const char *verb, int argc, char **argv, struct rl_container_opts *o,
                  const char **bundle, rl_error_t *err)
{
    static const struct option opts[] = {
        { "bundle", required_argument, NULL, 'b' },
        { "console-socket", required_argument, NULL, 'c' },
        { "pid-file", required_argument, NULL, 'p' },
        { "preserve-fds", required_argument, NULL, 'f' },
        { "detach", no_argument, NULL, 'd' },
        { "no-pivot", no_argument, NULL, 'N' },
        { "no-new-keyring", no_argument, NULL, 'K' },
        { "keep", no_argument, NULL, 'k' },
        { NULL, 0, NULL, 0 },
    };
    bool is_run = strcmp(verb, "run") == 0;
    int opt;

    while ((opt = getopt_long(argc, argv, is_run ? "+b:d" : "+b:", opts, NULL)) != -1) {
        switch (opt) {
        case 'b':
            *bundle = optarg;
            break;
        case 'c':
            o->console_socket = optarg;
            break;
        case 'p':
            o->pid_file = optarg;
            break;
        case 'f':
            if (parse_count("--preserve-fds", optarg, &o->preserve_fds, err) < 0)
                return -1;
            break;
        case 'd':
            if (!is_run)
                return bad_option(verb, argc, argv, err);
            o->detach = true;
            break;
        case 'N':
        case 'K':
            break;
        case 'k':
            if (!is_run)
                return bad_option(verb, argc, argv, err);
            break;
        default:
            return bad_option(verb, argc, argv, err);
        }
    }
    if (want_args(verb, argc, 1, 1, err) < 0)
        return -1;
    o->id = argv[optind];
    return rl_state_check_id(o->id, err);
}

static int
load_bundle(const char *bundle, struct rl_spec **spec, rl_error_t *err)
{
    struct stat st;

    if (stat(bundle, &st) < 0)
        return rl_make_error(err, errno, "bundle '%s'", bundle);
    if (!S_ISDIR(st.st_mode))
        return rl_make_error(err, ENOTDIR, "bundle '%s'", bundle);
    if (rl_spec_load(bundle, spec, err) < 0)
        return -1;
    if (stat((*spec)->root_path, &st) < 0)
        return rl_make_error(err, errno, "config.json: root.path: rootfs '%s'", (*spec)->root_path);
    if (!S_ISDIR(st.st_mode))
        return rl_make_error(err, ENOTDIR, "config.json: root.path: rootfs '%s'",
                             (*spec)->root_path);
    return 0;
}

static int
oci_create(struct oci_ctx *c, int argc, char **argv, rl_error_t *err)
{
    struct rl_container_opts o = { .root = c->root };
    cleanup_spec struct rl_spec *spec = NULL;
    cleanup_free char *bundle = NULL;
    const char *b = NULL;

    if (parse_create_opts("create", argc, argv, &o, &b, err) < 0)
        return -1;
    bundle = absolute_bundle(b);
    o.bundle = bundle;
    if (load_bundle(bundle, &spec, err) < 0)
        return -1;
    if (rl_container_create(spec, &o, err) < 0) {
        if (o.exec_status)
            rl_exit_status = o.exec_status;
        return rl_error_wrap(err, "create '%s'", o.id);
    }
    return 0;
}

static int
oci_run(struct oci_ctx *c, int argc, char **argv, rl_error_t *err)
{
    struct rl_container_opts o = { .root = c->root };
    cleanup_spec struct rl_spec *spec = NULL;
    cleanup_free char *bundle = NULL;
    const char *b = NULL;
    int status = 0;

    if (parse_create_opts("run", argc, argv, &o, &b, err) < 0)
        return -1;
    bundle = absolute_bundle(b);
    o.bundle = bundle;
    if (load_bundle(bundle, &spec, err) < 0)
        return -1;
    if (rl_container_run(spec, &o, &status, err) < 0) {
        if (o.exec_status)
            rl_exit_status = o.exec_status;
        return rl_error_wrap(err, "run '%s'", o.id);
    }
    rl_exit_status = status;
    return 0;
}

/* Verbs that take exactly one id and no options. */
static int
single_id(const char *verb, int argc, char **argv, const char **id, rl_error_t *err)
{
    static const struct option opts[] = { { NULL, 0, NULL, 0 } };
    if (getopt_long(argc, argv, "+", opts, NULL) != -1)
        return bad_option(verb, argc, argv, err);
    if (want_args(verb, argc, 1, 1, err) < 0)
        return -1;
    *id = argv[optind];
    return 0;
}

static int
oci_start(struct oci_ctx *c, int argc, char **argv, rl_error_t *err)
{
    const char *id;
    if (single_id("start", argc, argv, &id, err) < 0)
        return -1;
    return rl_container_start(c->root, id, err);
}

static int
oci_state(struct oci_ctx *c, int argc, char **argv, rl_error_t *err)
{
    cleanup_state struct rl_state *st = NULL;
    cleanup_free char *text = NULL;
    const char *id;
    json_t *o;

    if (single_id("state", argc, argv, &id, err) < 0)
        return -1;
    if (rl_state_read(c->root, id, &st, err) < 0)
        return -1;
    o = rl_state_to_json(c->root, st);
    text = json_dumps(o, JSON_INDENT(2));
    json_decref(o);
    printf("%s\n", text);
    return 0;
}

static int
oci_kill(struct oci_ctx *c, int argc, char **argv, rl_error_t *err)
{
    static const struct option opts[] = { { "all", no_argument, NULL, 'a' }, { NULL, 0, NULL, 0 } };
    bool all = false;
    int sig = SIGTERM, opt;

    while ((opt = getopt_long(argc, argv, "+a", opts, NULL)) != -1) {
        if (opt == 'a')
            all = true;
        else
            return bad_option("kill", argc, argv, err);
    }
    if (want_args("kill", argc, 1, 2, err) < 0)
        return -1;
    if (argc - optind == 2) {
        sig = rl_signal_parse(argv[optind + 1], err);
        if (sig < 0)
            return rl_error_wrap(err, "oci kill");
    }
    return rl_container_kill(c->root, argv[optind], sig, all, err);
}

static int
oci_delete(struct oci_ctx *c, int argc, char **argv, rl_error_t *err)
{
    static const struct option opts[] = { { "force", no_argument, NULL, 'f' },
                                          { NULL, 0, NULL, 0 } };
    bool force = false;
    int opt;

    while ((opt = getopt_long(argc, argv, "+f", opts, NULL)) != -1) {
        if (opt == 'f')
            force = true;
        else
            return bad_option("delete", argc, argv, err);
    }
    if (want_args("delete", argc, 1, 1, err) < 0)
        return -1;
    return rl_container_delete(c->root, argv[optind], force, err);
}

static void
strv_add(char ***v, const char *s)
{
    size_t n = rl_strv_len(*v);
    *v = xrealloc(*v, (n + 2) * sizeof(char *));
    (*v)[n] = xstrdup(s);
    (*v)[n + 1] = NULL;
}

/* Set NAME=VALUE in ENV, replacing an entry with the same name. */
static void
env_set(char ***env, const char *kv)
{
    size_t klen = strcspn(kv, "=");
    for (size_t i = 0; *env && (*env)[i]; i++) {
        if (strncmp((*env)[i], kv, klen) == 0 && (*env)[i][klen] == '=') {
            free((*env)[i]);
            (*env)[i] = xstrdup(kv);
            return;
        }
    }
    strv_add(env, kv);
}

static int
parse_user(const char *s, struct rl_process *p, rl_error_t *err)
{
    cleanup_free char *copy = xstrdup(s);
    char *colon = strchr(copy, ':');
    long long v;

    if (colon)
        *colon = '\0';
    if (!rl_parse_ll(copy, 0, UINT32_MAX - 1, &v))
        return rl_make_error(err, 0, "oci exec: --user: '%s' is not UID[:GID]", s);
    p->uid = (uid_t)v;
    if (colon) {
        if (!rl_parse_ll(colon + 1, 0, UINT32_MAX - 1, &v))
            return rl_make_error(err, 0, "oci exec: --user: '%s' is not UID[:GID]", s);
        p->gid = (gid_t)v;
    }
    return 0;
}

/* The process of `exec`: --process FILE, or the container's own process with COMMAND and the
 * flags on top (its capabilities, user, env, no_new_privs, rlimits). */
static int
exec_process(struct oci_ctx *c, const char *id, const char *process_file, struct rl_process *p,
             rl_error_t *err)
{
    cleanup_spec struct rl_spec *spec = NULL;

    if (process_file) {
        cleanup_free char *text = NULL;
        json_error_t jerr;
        json_t *o;
        int r;

        if (rl_read_file(process_file, 1 << 20, &text, NULL, err) < 0)
            return rl_error_wrap(err, "--process");
        o = json_loads(text, 0, &jerr);
        if (o == NULL || !json_is_object(o)) {
            json_decref(o);
            return rl_make_error(err, 0, "--process '%s': line %d: %s", process_file, jerr.line,
                                 jerr.text);
        }
        r = rl_spec_parse_process(o, true, p, err);
        json_decref(o);
        return r < 0 ? rl_error_wrap(err, "--process '%s'", process_file) : 0;
    }
    if (rl_container_load_spec(c->root, id, &spec, err) < 0)
        return -1;
    *p = spec->process;
    memset(&spec->process, 0, sizeof(spec->process));
    rl_strv_free(p->args);
    p->args = NULL;
    p->terminal = false;
    return 0;
}

static int
oci_exec(struct oci_ctx *c, int argc, char **argv, rl_error_t *err)
{
    static const struct option opts[] = {
        { "process", required_argument, NULL, 'p' },
        { "tty", no_argument, NULL, 't' },
        { "detach", no_argument, NULL, 'd' },
        { "env", required_argument, NULL, 'e' },
        { "cwd", required_argument, NULL, 'w' },
        { "user", required_argument, NULL, 'u' },
        { "additional-gids", required_argument, NULL, 'g' },
        { "cap", required_argument, NULL, 'c' },
        { "no-new-privs", no_argument, NULL, 'n' },
        { "console-socket", required_argument, NULL, 'C' },
        { "pid-file", required_argument, NULL, 'P' },
        { "preserve-fds", required_argument, NULL, 'f' },
        { NULL, 0, NULL, 0 },
    };
    struct rl_container_opts o = { .root = c->root };
    cleanup_strv char **envs = NULL;
    cleanup_strv char **caps = NULL;
    cleanup_free gid_t *gids = NULL;
    const char *process_file = NULL, *cwd = NULL, *user = NULL;
    bool tty = false, nnp = false;
    struct rl_process p = { 0 };
    size_t n_gids = 0;
    int opt, status = 0, ret;

    while ((opt = getopt_long(argc, argv, "+p:tde:u:g:c:", opts, NULL)) != -1) {
        switch (opt) {
        case 'p':
            process_file = optarg;
            break;
        case 't':
            tty = true;
            break;
        case 'd':
            o.detach = true;
            break;
        case 'e':
            if (strchr(optarg, '=') == NULL || optarg[0] == '=')
                return rl_make_error(err, 0, "oci exec: --env: '%s' is not NAME=VALUE", optarg);
            strv_add(&envs, optarg);
            break;
        case 'w':
            if (optarg[0] != '/')
                return rl_make_error(err, 0, "oci exec: --cwd: '%s' must be absolute", optarg);
            cwd = optarg;
            break;
        case 'u':
            user = optarg;
            break;
        case 'g': {
            long long v;
            if (!rl_parse_ll(optarg, 0, UINT32_MAX - 1, &v))
                return rl_make_error(err, 0, "oci exec: --additional-gids: '%s' is not a gid",
                                     optarg);
            gids = xrealloc(gids, (n_gids + 1) * sizeof(gid_t));
            gids[n_gids++] = (gid_t)v;
            break;
        }
        case 'c':
            strv_add(&caps, optarg);
            break;
        case 'n':
            nnp = true;
            break;
        case 'C':
            o.console_socket = optarg;
            break;
        case 'P':
            o.pid_file = optarg;
            break;
        case 'f':
            if (parse_count("--preserve-fds", optarg, &o.preserve_fds, err) < 0)
                return -1;
            break;
        default:
            return bad_option("exec", argc, argv, err);
        }
    }
    if (want_args("exec", argc, 1, -1, err) < 0)
        return -1;
    o.id = argv[optind++];
    if (process_file == NULL && optind >= argc)
        return rl_make_error(err, 0, "oci exec: no command given (see 'rl oci exec --help')");
    if (exec_process(c, o.id, process_file, &p, err) < 0)
        return rl_error_wrap(err, "oci exec '%s'", o.id);
    if (process_file == NULL) {
        p.args = rl_strv_dup(argv + optind);
        p.terminal = tty;
    } else if (tty) {
        p.terminal = true;
    }
    for (size_t i = 0; envs && envs[i]; i++)
        env_set(&p.env, envs[i]);
    if (cwd) {
        free(p.cwd);
        p.cwd = xstrdup(cwd);
    }
    if (user && parse_user(user, &p, err) < 0) {
        rl_process_release(&p);
        return -1;
    }
    if (n_gids) {
        free(p.additional_gids);
        p.additional_gids = steal_pointer(&gids);
        p.n_additional_gids = n_gids;
    }
    if (nnp)
        p.no_new_privileges = true;
    if (caps) {
        json_t *arr = json_array();
        for (size_t i = 0; caps[i]; i++)
            json_array_append_new(arr, json_string(caps[i]));
        for (int s = 0; s < 5; s++) {
            int *add = NULL;
            size_t n = 0;
            if (rl_caps_parse_set(arr, "--cap", &add, &n, err) < 0) {
                json_decref(arr);
                rl_process_release(&p);
                return -1;
            }
            p.caps.sets[s] = xrealloc(p.caps.sets[s], (p.caps.n[s] + n) * sizeof(int) + 1);
            memcpy(p.caps.sets[s] + p.caps.n[s], add, n * sizeof(int));
            p.caps.n[s] += n;
            free(add);
        }
        p.caps.present = true;
        json_decref(arr);
    }
    ret = rl_container_exec(c->root, o.id, &p, &o, &status, err);
    rl_process_release(&p);
    if (ret < 0) {
        if (o.exec_status)
            rl_exit_status = o.exec_status;
        return rl_error_wrap(err, "oci exec '%s'", o.id);
    }
    rl_exit_status = status;
    return 0;
}

static int
oci_list(struct oci_ctx *c, int argc, char **argv, rl_error_t *err)
{
    static const struct option opts[] = { { "format", required_argument, NULL, 'f' },
                                          { "quiet", no_argument, NULL, 'q' },
                                          { NULL, 0, NULL, 0 } };
    cleanup_strv char **ids = NULL;
    bool json = false, quiet = false;
    json_t *arr;
    int opt;

    while ((opt = getopt_long(argc, argv, "+f:q", opts, NULL)) != -1) {
        if (opt == 'f') {
            if (parse_format("list", optarg, &json, err) < 0)
                return -1;
        } else if (opt == 'q') {
            quiet = true;
        } else {
            return bad_option("list", argc, argv, err);
        }
    }
    if (want_args("list", argc, 0, 0, err) < 0)
        return -1;
    if (rl_state_list(c->root, &ids, err) < 0)
        return -1;
    arr = json_array();
    if (!json && !quiet)
        printf("%-24s %-8s %-10s %-40s %-30s %s\n", "ID", "PID", "STATUS", "BUNDLE", "CREATED",
               "OWNER");
    for (size_t i = 0; ids[i]; i++) {
        cleanup_state struct rl_state *st = NULL;
        cleanup_error rl_error_t tmp = NULL;
        json_t *o;
        if (rl_state_read(c->root, ids[i], &st, &tmp) < 0)
            continue;
        o = rl_state_to_json(c->root, st);
        if (quiet)
            printf("%s\n", st->id);
        else if (!json)
            printf("%-24s %-8lld %-10s %-40s %-30s %s\n", st->id,
                   (long long)json_integer_value(json_object_get(o, "pid")),
                   json_string_value(json_object_get(o, "status")), st->bundle, st->created,
                   st->owner);
        json_array_append_new(arr, o);
    }
    if (json) {
        char *text = json_dumps(arr, JSON_INDENT(2));
        printf("%s\n", text);
        free(text);
    }
    json_decref(arr);
    return 0;
}

/* The command line of PID, spaces between the arguments. */
static char *
proc_cmdline(pid_t pid)
{
    cleanup_free char *path = xasprintf("/proc/%d/cmdline", (int)pid);
    char *text = NULL;
    size_t len = 0;

    if (rl_read_file(path, 65536, &text, &len, NULL) < 0 || len == 0) {
        free(text);
        return xstrdup("");
    }
    for (size_t i = 0; i + 1 < len; i++)
        if (text[i] == '\0')
            text[i] = ' ';
    return text;
}

static int
oci_ps(struct oci_ctx *c, int argc, char **argv, rl_error_t *err)
{
    static const struct option opts[] = { { "format", required_argument, NULL, 'f' },
                                          { NULL, 0, NULL, 0 } };
    cleanup_state struct rl_state *st = NULL;
    cleanup_free pid_t *pids = NULL;
    bool json = false;
    size_t n = 0;
    int opt;

    while ((opt = getopt_long(argc, argv, "+f:", opts, NULL)) != -1) {
        if (opt != 'f')
            return bad_option("ps", argc, argv, err);
        if (parse_format("ps", optarg, &json, err) < 0)
            return -1;
    }
    if (want_args("ps", argc, 1, 1, err) < 0)
        return -1;
    if (rl_state_read(c->root, argv[optind], &st, err) < 0)
        return -1;
    if (rl_state_status(c->root, st) == RL_STATUS_STOPPED)
        return rl_make_error(err, 0, "container '%s' is not running", st->id);
    if (rl_container_pids(st, &pids, &n, err) < 0)
        return -1;
    if (json) {
        printf("[");
        for (size_t i = 0; i < n; i++)
            printf("%s%d", i ? "," : "", (int)pids[i]);
        printf("]\n");
        return 0;
    }
    printf("%-8s %s\n", "PID", "CMD");
    for (size_t i = 0; i < n; i++) {
        cleanup_free char *cmd = proc_cmdline(pids[i]);
        printf("%-8d %s\n", (int)pids[i], cmd);
    }
    return 0;
}

static int
oci_features(struct oci_ctx *c, int argc, char **argv, rl_error_t *err)
{
    static const struct option opts[] = { { NULL, 0, NULL, 0 } };

    if (getopt_long(argc, argv, "+", opts, NULL) != -1)
        return bad_option("features", argc, argv, err);
    if (want_args("features", argc, 0, 0, err) < 0)
        return -1;
    printf("{\n  \"ociVersionMin\": \"1.0.0\",\n  \"ociVersionMax\": \"1.1.0\",\n"
           "  \"hooks\": [],\n"
           "  \"mountOptions\": [\"ro\", \"rw\", \"nosuid\", \"suid\", \"nodev\", \"dev\", "
           "\"noexec\", \"exec\", \"bind\", \"rbind\", \"private\", \"rprivate\", \"shared\", "
           "\"rshared\", \"slave\", \"rslave\", \"rro\", \"rnosuid\", \"rnodev\", \"rnoexec\"],\n"
           "  \"linux\": {\n"
           "    \"namespaces\": [\"cgroup\", \"ipc\", \"mount\", \"network\", \"pid\", \"user\", "
           "\"uts\"],\n"
           "    \"cgroup\": {\"v1\": false, \"v2\": true, \"systemd\": false, "
           "\"systemdUser\": false, \"rdma\": false},\n"
           "    \"seccomp\": {\"enabled\": %s}\n  }\n}\n",
#ifdef HAVE_SECCOMP
           "true"
#else
           "false"
#endif
    );
    return 0;
}

int
cmd_oci(struct rl_globals *g, int argc, char **argv, rl_error_t *err)
{
    static const struct option opts[] = {
        { "root", required_argument, NULL, 'r' },
        { "log", required_argument, NULL, 'l' },
        { "log-format", required_argument, NULL, 'f' },
        { "debug", no_argument, NULL, 'd' },
        { "systemd-cgroup", no_argument, NULL, 's' },
        { "rootless", required_argument, NULL, 'R' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    struct oci_ctx c = { .g = g };
    cleanup_free char *root = NULL;
    int opt;

    optind = 0;
    while ((opt = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
        switch (opt) {
        case 'r':
            g->root = optarg;
            break;
        case 'l':
            g->log_path = optarg;
            if (rl_log_set_file(optarg, g->log_json) < 0)
                return rl_make_error(err, errno, "--log: cannot open '%s'", optarg);
            break;
        case 'f':
            if (strcmp(optarg, "json") != 0 && strcmp(optarg, "text") != 0)
                return rl_make_error(err, 0, "--log-format: unknown format '%s'", optarg);
            g->log_json = strcmp(optarg, "json") == 0;
            if (g->log_path && rl_log_set_file(g->log_path, g->log_json) < 0)
                return rl_make_error(err, errno, "--log: cannot open '%s'", g->log_path);
            break;
        case 'd':
            rl_log_level = RL_LOG_DEBUG;
            break;
        case 's':
            g->systemd_cgroup = true;
            break;
        case 'R':
            break;
        case 'h':
            oci_usage(stdout);
            return 0;
        default:
            return rl_make_error(err, 0, "oci: unknown option '%s' (see 'rl oci --help')",
                                 argv[optind - 1]);
        }
    }
    if (optind >= argc) {
        oci_usage(stderr);
        return rl_make_error(err, 0, "oci: missing command");
    }
    argc -= optind;
    argv += optind;
    for (size_t i = 0; i < RL_ARRAY_SIZE(oci_commands); i++) {
        if (strcmp(argv[0], oci_commands[i].name) != 0)
            continue;
        if (wants_help(argc, argv)
            && !(oci_commands[i].fn == oci_exec && argc > 2 && !rl_is_help(argv[1]))) {
            sub_help(i);
            return 0;
        }
        if (oci_commands[i].fn != oci_spec && oci_commands[i].fn != oci_features) {
            if (rl_state_root(g->root, &root, err) < 0)
                return -1;
            c.root = root;
        }
        optind = 0;
        return oci_commands[i].fn(&c, argc, argv, err);
    }
    return rl_make_error(err, 0, "oci: unknown command '%s' (see 'rl oci --help')", argv[0]);
}
