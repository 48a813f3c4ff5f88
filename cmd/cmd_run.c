/* rl create and rl run: an image and the flags become a container record and its OCI
 * config; run then starts it (cmd/ctr.c). */
#include "config.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <getopt.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <pwd.h>
#include <signal.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "caps.h"
#include "cgroup.h"
#include "container.h"
#include "ctr.h"
#include "ctrstore.h"
#include "defaults.h"
#include "fs.h"
#include "json.h"
#include "log.h"
#include "manifest.h"
#include "net.h"
#include "netopts.h"
#include "opts.h"
#include "pull.h"
#include "ref.h"
#include "spec.h"
#include "store.h"
#include "volume.h"

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

#define HELP_RUN_OPTIONS                                                                        \
    "Options:\n"                                                                                \
    "  -i, --interactive          keep stdin open\n"                                            \
    "  -t, --tty                  give the container a terminal\n"                              \
    "      --name NAME            the container's name (default: a generated one)\n"            \
    "  -e, --env KEY[=VALUE]      set an environment variable (KEY alone: the host's; KEY*:\n"  \
    "                             every host variable starting with KEY)\n"                     \
    "      --env-file FILE        read KEY=VALUE lines\n"                                       \
    "  -w, --workdir DIR          working directory in the container\n"                         \
    "  -u, --user USER[:GROUP]    user name or uid (and group) to run as\n"                     \
    "      --group-add GROUP      an extra supplementary group\n"                               \
    "      --entrypoint CMD       override the image's entrypoint (a string or JSON array)\n"   \
    "  -h, --hostname NAME        the container's host name (default: its short id)\n"          \
    "  -v, --volume SRC:DST[:OPT] bind a host path or a named volume (ro, rw, U, z, Z, ...)\n"  \
    "      --mount type=TYPE,...  bind, volume or tmpfs mounts, podman's syntax\n"              \
    "      --tmpfs DST[:OPTS]     a tmpfs on DST\n"                                             \
    "      --read-only            read-only root filesystem (tmpfs on /tmp, /var/tmp, /run)\n"  \
    "      --read-only-tmpfs=BOOL the tmpfs mounts of --read-only (default true)\n"             \
    "      --init                 run a minimal init as pid 1 (reaps, forwards signals)\n"      \
    "      --userns MODE          \"\" (default: container root is you) or keep-id (your ids\n" \
    "                             inside; needs fuse-overlayfs)\n"                              \
    "      --cap-add CAP          add a capability (or ALL)\n"                                  \
    "      --cap-drop CAP         drop a capability (or ALL)\n"                                 \
    "      --privileged           all capabilities, no seccomp, no masked paths\n"              \
    "      --security-opt OPT     seccomp=unconfined|FILE, no-new-privileges, mask=, unmask=\n" \
    "      --ulimit TYPE=S[:H]    a resource limit (nofile=1024:2048)\n"                        \
    "      --stop-signal SIG      the signal of rl stop (default: the image's or SIGTERM)\n"    \
    "      --stop-timeout SECS    seconds rl stop waits before SIGKILL (default 10)\n"          \
    "  -l, --label KEY=VALUE      a label; --label-file FILE reads them from a file\n"          \
    "      --annotation KEY=VAL   an OCI annotation\n"                                          \
    "      --pull POLICY          missing (default), always, never or newer\n"                  \
    "  -q, --quiet                no pull progress\n"                                           \
    "      --network MODE         slirp[:OPTS] (default: the user-mode network), none, host,\n" \
    "                             ns:PATH or container:NAME; OPTS: mtu=N,\n"                    \
    "                             allow_host_loopback=BOOL,\n"                                  \
    "                             enable_ipv6=BOOL, cidr=NET/N, dns_forward=ADDR[:PORT],\n"     \
    "                             port_handler=rootlesskit|slirp4netns\n"                       \
    "  -p, --publish [[IP:][HPORT]:]PORT[/PROTO]   publish a container port (tcp or udp)\n"     \
    "  -P, --publish-all          publish the image's exposed ports on random host ports\n"     \
    "      --expose PORT[/PROTO]  expose a port (for -P)\n"                                     \
    "      --dns ADDR, --dns-search DOMAIN, --dns-option OPT   the container's resolv.conf\n"   \
    "      --add-host NAME:IP     an /etc/hosts entry (IP host-gateway: the host)\n"            \
    "      --sysctl KEY=VALUE     a sysctl of the container's namespaces (net.*, ...)\n"        \
    "      --no-hosts, --cidfile FILE, --replace, --log-driver k8s-file|none\n"                 \
    "      --platform, --tls-verify, --creds, --authfile, --cert-dir   as for rl pull\n"        \
    "      --umask MASK, --oom-score-adj N, --shm-size SIZE\n"

#define HELP_RUN                                                                      \
    "Usage: rl run [OPTIONS] IMAGE [COMMAND [ARG...]]\n\n"                            \
    "Run a command in a new container. The image is pulled when it is not in the\n"   \
    "store. In the foreground rl is the container's monitor and exits with its\n"     \
    "status; with -d it prints the id once the container runs.\n\n"                   \
    "  -d, --detach               run in the background, print the container id\n"    \
    "      --rm                   remove the container (and its anonymous volumes)\n" \
    "                             when it exits\n" HELP_RUN_OPTIONS

#define HELP_CREATE                                           \
    "Usage: rl create [OPTIONS] IMAGE [COMMAND [ARG...]]\n\n" \
    "Create a container without starting it (see rl start); prints its id.\n\n" HELP_RUN_OPTIONS

struct run_opts {
    bool interactive, tty, detach, rm, read_only, read_only_tmpfs, init, privileged, quiet;
    bool no_hosts, replace, keep_id;
    uid_t host_uid; /* the caller's ids, taken before the store's user namespace */
    gid_t host_gid;
    const char *name, *workdir, *user, *entrypoint, *hostname, *pull, *network, *stop_signal;
    const char *cidfile, *log_driver, *umask;
    const char *network_arg; /* --network as given */
    int stop_timeout;
    bool has_oom_score_adj;
    int oom_score_adj;
    int64_t shm_size;
    char **env_args, **env_files, **group_add;
    struct rl_vol *vols;
    size_t n_vols;
    struct rl_rlimit *ulimits;
    size_t n_ulimits;
    int *cap_add, *cap_drop;
    size_t n_cap_add, n_cap_drop;
    bool cap_add_all, cap_drop_all;
    struct rl_secopts sec;
    json_t *labels, *annotations;
    struct rl_pull_opts pull_opts;
    struct rl_net_opts net;
    struct rl_port_map *ports;
    size_t n_ports;
    bool publish_all;
    char **expose, **dns, **dns_search, **dns_opts, **add_hosts; /* add_hosts: "NAME\tIP" */
    json_t *sysctls;
    json_t *resources; /* rl.Resources: the limits asked for (see resources_record) */
    bool cgroups_disabled;
    char *netns; /* the network namespace joined (ns:, container:) */
    char **argv; /* IMAGE [CMD...] */
    int argc;
};

static void
run_opts_release(struct run_opts *o)
{
    rl_strv_free(o->env_args);
    rl_strv_free(o->env_files);
    rl_strv_free(o->group_add);
    for (size_t i = 0; i < o->n_vols; i++)
        rl_vol_release(&o->vols[i]);
    free(o->vols);
    free(o->ulimits);
    free(o->cap_add);
    free(o->cap_drop);
    rl_secopts_release(&o->sec);
    json_decref(o->labels);
    json_decref(o->annotations);
    rl_net_opts_release(&o->net);
    free(o->ports);
    rl_strv_free(o->expose);
    rl_strv_free(o->dns);
    rl_strv_free(o->dns_search);
    rl_strv_free(o->dns_opts);
    rl_strv_free(o->add_hosts);
    json_decref(o->sysctls);
    json_decref(o->resources);
    free(o->netns);
}

static void
add_vol(struct run_opts *o, struct rl_vol *v)
{
    o->vols = xrealloc(o->vols, (o->n_vols + 1) * sizeof(*o->vols));
    o->vols[o->n_vols++] = *v;
}

static int
add_cap(int **set, size_t *n, bool *all, const char *arg, rl_error_t *err)
{
    int cap;

    if (rl_parse_cap(arg, &cap, err) < 0)
        return -1;
    if (cap < 0) {
        *all = true;
        return 0;
    }
    *set = xrealloc(*set, (*n + 1) * sizeof(**set));
    (*set)[(*n)++] = cap;
    return 0;
}

/* The long name of option C (for -m and -c too). */
static const char *
resource_flag(int c, const struct option *opts)
{
    if (c == 'm')
        return "memory";
    if (c == 'c')
        return "cpu-shares";
    for (; opts->name; opts++)
        if (opts->val == c)
            return opts->name;
    return "?";
}

static int
parse_run_opts(const char *verb, int argc, char **argv, struct run_opts *o, rl_error_t *err)
{
    enum {
        OPT_RM = 256,
        OPT_NAME,
        OPT_ENV_FILE,
        OPT_ENTRYPOINT,
        OPT_MOUNT,
        OPT_TMPFS,
        OPT_READ_ONLY,
        OPT_READ_ONLY_TMPFS,
        OPT_INIT,
        OPT_USERNS,
        OPT_CAP_ADD,
        OPT_CAP_DROP,
        OPT_PRIVILEGED,
        OPT_SECURITY_OPT,
        OPT_ULIMIT,
        OPT_STOP_SIGNAL,
        OPT_STOP_TIMEOUT,
        OPT_LABEL_FILE,
        OPT_ANNOTATION,
        OPT_PULL,
        OPT_NETWORK,
        OPT_GROUP_ADD,
        OPT_PLATFORM,
        OPT_TLS,
        OPT_CREDS,
        OPT_AUTHFILE,
        OPT_CERTDIR,
        OPT_NO_HOSTS,
        OPT_CIDFILE,
        OPT_REPLACE,
        OPT_LOG_DRIVER,
        OPT_LOG_OPT,
        OPT_UMASK,
        OPT_OOM,
        OPT_SHM,
        OPT_PUBLISH,
        OPT_EXPOSE,
        OPT_DNS,
        OPT_DNS_SEARCH,
        OPT_DNS_OPTION,
        OPT_ADD_HOST,
        OPT_SYSCTL,
        OPT_MEMORY_SWAP,
        OPT_MEMORY_RES,
        OPT_CPUS,
        OPT_CPU_WEIGHT,
        OPT_CPU_PERIOD,
        OPT_CPU_QUOTA,
        OPT_CPUSET_CPUS,
        OPT_CPUSET_MEMS,
        OPT_PIDS_LIMIT,
        OPT_BLKIO_WEIGHT,
        OPT_CGROUPS,
        OPT_SIG_PROXY,
        OPT_HELP,
    };
    static const struct option opts[] = {
        { "interactive", optional_argument, NULL, 'i' },
        { "tty", optional_argument, NULL, 't' },
        { "detach", optional_argument, NULL, 'd' },
        { "rm", optional_argument, NULL, OPT_RM },
        { "name", required_argument, NULL, OPT_NAME },
        { "env", required_argument, NULL, 'e' },
        { "env-file", required_argument, NULL, OPT_ENV_FILE },
        { "workdir", required_argument, NULL, 'w' },
        { "user", required_argument, NULL, 'u' },
        { "entrypoint", required_argument, NULL, OPT_ENTRYPOINT },
        { "hostname", required_argument, NULL, 'h' },
        { "volume", required_argument, NULL, 'v' },
        { "mount", required_argument, NULL, OPT_MOUNT },
        { "tmpfs", required_argument, NULL, OPT_TMPFS },
        { "read-only", optional_argument, NULL, OPT_READ_ONLY },
        { "read-only-tmpfs", optional_argument, NULL, OPT_READ_ONLY_TMPFS },
        { "init", optional_argument, NULL, OPT_INIT },
        { "userns", required_argument, NULL, OPT_USERNS },
        { "cap-add", required_argument, NULL, OPT_CAP_ADD },
        { "cap-drop", required_argument, NULL, OPT_CAP_DROP },
        { "privileged", optional_argument, NULL, OPT_PRIVILEGED },
        { "security-opt", required_argument, NULL, OPT_SECURITY_OPT },
        { "ulimit", required_argument, NULL, OPT_ULIMIT },
        { "stop-signal", required_argument, NULL, OPT_STOP_SIGNAL },
        { "stop-timeout", required_argument, NULL, OPT_STOP_TIMEOUT },
        { "label", required_argument, NULL, 'l' },
        { "label-file", required_argument, NULL, OPT_LABEL_FILE },
        { "annotation", required_argument, NULL, OPT_ANNOTATION },
        { "pull", required_argument, NULL, OPT_PULL },
        { "quiet", no_argument, NULL, 'q' },
        { "network", required_argument, NULL, OPT_NETWORK },
        { "net", required_argument, NULL, OPT_NETWORK },
        { "group-add", required_argument, NULL, OPT_GROUP_ADD },
        { "platform", required_argument, NULL, OPT_PLATFORM },
        { "tls-verify", optional_argument, NULL, OPT_TLS },
        { "creds", required_argument, NULL, OPT_CREDS },
        { "authfile", required_argument, NULL, OPT_AUTHFILE },
        { "cert-dir", required_argument, NULL, OPT_CERTDIR },
        { "no-hosts", optional_argument, NULL, OPT_NO_HOSTS },
        { "cidfile", required_argument, NULL, OPT_CIDFILE },
        { "replace", optional_argument, NULL, OPT_REPLACE },
        { "log-driver", required_argument, NULL, OPT_LOG_DRIVER },
        { "log-opt", required_argument, NULL, OPT_LOG_OPT },
        { "umask", required_argument, NULL, OPT_UMASK },
        { "oom-score-adj", required_argument, NULL, OPT_OOM },
        { "shm-size", required_argument, NULL, OPT_SHM },
        { "publish", required_argument, NULL, 'p' },
        { "publish-all", optional_argument, NULL, 'P' },
        { "expose", required_argument, NULL, OPT_EXPOSE },
        { "dns", required_argument, NULL, OPT_DNS },
        { "dns-search", required_argument, NULL, OPT_DNS_SEARCH },
        { "dns-option", required_argument, NULL, OPT_DNS_OPTION },
        { "dns-opt", required_argument, NULL, OPT_DNS_OPTION },
        { "add-host", required_argument, NULL, OPT_ADD_HOST },
        { "sysctl", required_argument, NULL, OPT_SYSCTL },
        { "memory", required_argument, NULL, 'm' },
        { "memory-swap", required_argument, NULL, OPT_MEMORY_SWAP },
        { "memory-reservation", required_argument, NULL, OPT_MEMORY_RES },
        { "cpus", required_argument, NULL, OPT_CPUS },
        { "cpu-shares", required_argument, NULL, 'c' },
        { "cpu-weight", required_argument, NULL, OPT_CPU_WEIGHT },
        { "cpu-period", required_argument, NULL, OPT_CPU_PERIOD },
        { "cpu-quota", required_argument, NULL, OPT_CPU_QUOTA },
        { "cpuset-cpus", required_argument, NULL, OPT_CPUSET_CPUS },
        { "cpuset-mems", required_argument, NULL, OPT_CPUSET_MEMS },
        { "pids-limit", required_argument, NULL, OPT_PIDS_LIMIT },
        { "blkio-weight", required_argument, NULL, OPT_BLKIO_WEIGHT },
        { "cgroups", required_argument, NULL, OPT_CGROUPS },
        { "sig-proxy", optional_argument, NULL, OPT_SIG_PROXY },
        { "help", no_argument, NULL, OPT_HELP },
        { NULL, 0, NULL, 0 },
    };
    bool is_run = strcmp(verb, "run") == 0;
    long long v;
    bool b;
    int c;

    o->read_only_tmpfs = true;
    o->stop_timeout = -1;
    o->pull = "missing";
    o->network = "slirp4netns";
    if (rl_net_parse("slirp", &o->net, err) < 0)
        return -1;
    o->labels = json_object();
    o->annotations = json_object();
    o->sec.no_new_privs = -1;
    o->pull_opts.registry.tls_verify = -1;
    opterr = 0;
    /* '+': options end at the image; what follows is the container's command. */
    while ((c = getopt_long(argc, argv, "+itde:w:u:h:v:l:qp:Pm:c:", opts, NULL)) != -1) {
        switch (c) {
        case 'i':
            if (rl_cmd_parse_bool("--interactive", optarg, &o->interactive, err) < 0)
                return -1;
            break;
        case 't':
            if (rl_cmd_parse_bool("--tty", optarg, &o->tty, err) < 0)
                return -1;
            break;
        case 'd':
            if (!is_run)
                return rl_cmd_bad_option(verb, argc, argv, err);
            if (rl_cmd_parse_bool("--detach", optarg, &o->detach, err) < 0)
                return -1;
            break;
        case OPT_RM:
            if (rl_cmd_parse_bool("--rm", optarg, &o->rm, err) < 0)
                return -1;
            break;
        case OPT_NAME:
            if (rl_ctr_check_name(optarg, err) < 0)
                return -1;
            o->name = optarg;
            break;
        case 'e':
            rl_strv_push(&o->env_args, optarg);
            break;
        case OPT_ENV_FILE:
            rl_strv_push(&o->env_files, optarg);
            break;
        case 'w':
            if (optarg[0] != '/')
                return rl_make_error(err, 0, "--workdir: '%s' is not an absolute path", optarg);
            o->workdir = optarg;
            break;
        case 'u':
            if (optarg[0] == '\0')
                return rl_make_error(err, 0, "--user: an empty user name");
            o->user = optarg;
            break;
        case OPT_GROUP_ADD:
            rl_strv_push(&o->group_add, optarg);
            break;
        case OPT_ENTRYPOINT:
            o->entrypoint = optarg;
            break;
        case 'h':
            if (optarg[0] == '\0' || strlen(optarg) > 64)
                return rl_make_error(err, 0, "--hostname: '%s' is not a valid host name", optarg);
            o->hostname = optarg;
            break;
        case 'v': {
            struct rl_vol vol = { 0 };
            if (rl_parse_volume(optarg, &vol, err) < 0)
                return -1;
            add_vol(o, &vol);
            break;
        }
        case OPT_MOUNT: {
            struct rl_vol vol = { 0 };
            if (rl_parse_mount(optarg, &vol, err) < 0)
                return -1;
            add_vol(o, &vol);
            break;
        }
        case OPT_TMPFS: {
            struct rl_vol vol = { 0 };
            if (rl_parse_tmpfs(optarg, &vol, err) < 0)
                return -1;
            add_vol(o, &vol);
            break;
        }
        case OPT_READ_ONLY:
            if (rl_cmd_parse_bool("--read-only", optarg, &o->read_only, err) < 0)
                return -1;
            break;
        case OPT_READ_ONLY_TMPFS:
            if (rl_cmd_parse_bool("--read-only-tmpfs", optarg, &o->read_only_tmpfs, err) < 0)
                return -1;
            break;
        case OPT_INIT:
            if (rl_cmd_parse_bool("--init", optarg, &o->init, err) < 0)
                return -1;
            break;
        case OPT_USERNS:
            if (strcmp(optarg, "keep-id") == 0)
                o->keep_id = true;
            else if (strcmp(optarg, "") != 0 && strcmp(optarg, "host") != 0)
                return rl_make_error(err, 0,
                                     "--userns: '%s' is not supported: use keep-id, or leave it "
                                     "out (container root is your user)",
                                     optarg);
            break;
        case OPT_CAP_ADD:
            if (add_cap(&o->cap_add, &o->n_cap_add, &o->cap_add_all, optarg, err) < 0)
                return rl_error_wrap(err, "--cap-add");
            break;
        case OPT_CAP_DROP:
            if (add_cap(&o->cap_drop, &o->n_cap_drop, &o->cap_drop_all, optarg, err) < 0)
                return rl_error_wrap(err, "--cap-drop");
            break;
        case OPT_PRIVILEGED:
            if (rl_cmd_parse_bool("--privileged", optarg, &o->privileged, err) < 0)
                return -1;
            break;
        case OPT_SECURITY_OPT:
            if (rl_parse_security_opt(&o->sec, optarg, err) < 0)
                return -1;
            break;
        case OPT_ULIMIT: {
            struct rl_rlimit r;
            if (rl_parse_ulimit(optarg, &r, err) < 0)
                return -1;
            o->ulimits = xrealloc(o->ulimits, (o->n_ulimits + 1) * sizeof(r));
            o->ulimits[o->n_ulimits++] = r;
            break;
        }
        case OPT_STOP_SIGNAL: {
            cleanup_error rl_error_t tmp = NULL;
            if (rl_signal_parse(optarg, &tmp) < 0)
                return rl_make_error(err, 0, "--stop-signal: invalid signal '%s'", optarg);
            o->stop_signal = optarg;
            break;
        }
        case OPT_STOP_TIMEOUT:
            if (!rl_parse_ll(optarg, 0, 1000000000, &v))
                return rl_make_error(err, 0, "--stop-timeout: '%s' is not a number of seconds",
                                     optarg);
            o->stop_timeout = (int)v;
            break;
        case 'l':
            if (rl_parse_label(o->labels, optarg, err) < 0)
                return -1;
            break;
        case OPT_LABEL_FILE:
            if (rl_label_file(o->labels, optarg, err) < 0)
                return -1;
            break;
        case OPT_ANNOTATION:
            if (rl_parse_label(o->annotations, optarg, err) < 0)
                return rl_error_wrap(err, "--annotation");
            break;
        case OPT_PULL:
            if (strcmp(optarg, "missing") != 0 && strcmp(optarg, "always") != 0
                && strcmp(optarg, "never") != 0 && strcmp(optarg, "newer") != 0
                && strcmp(optarg, "true") != 0 && strcmp(optarg, "false") != 0)
                return rl_make_error(err, 0,
                                     "--pull: '%s' is not a pull policy: use missing, always, "
                                     "never or newer",
                                     optarg);
            o->pull = strcmp(optarg, "true") == 0    ? "always"
                      : strcmp(optarg, "false") == 0 ? "missing"
                                                     : optarg;
            break;
        case 'q':
            o->quiet = true;
            break;
        case OPT_NETWORK:
            rl_net_opts_release(&o->net);
            if (rl_net_parse(optarg, &o->net, err) < 0)
                return -1;
            o->network_arg = optarg;
            o->network = o->net.mode == RL_NET_SLIRP  ? "slirp4netns"
                         : o->net.mode == RL_NET_NONE ? "none"
                         : o->net.mode == RL_NET_HOST ? "host"
                                                      : optarg;
            break;
        case 'p':
            if (rl_port_parse(optarg, &o->ports, &o->n_ports, err) < 0)
                return -1;
            break;
        case 'P':
            if (rl_cmd_parse_bool("--publish-all", optarg, &o->publish_all, err) < 0)
                return -1;
            break;
        case OPT_EXPOSE:
            if (rl_expose_parse(optarg, &o->expose, err) < 0)
                return -1;
            break;
        case OPT_DNS:
            if (rl_dns_server_check(optarg, err) < 0)
                return -1;
            rl_strv_push(&o->dns, optarg);
            break;
        case OPT_DNS_SEARCH:
            if (rl_dns_search_check(optarg, err) < 0)
                return -1;
            rl_strv_push(&o->dns_search, optarg);
            break;
        case OPT_DNS_OPTION:
            if (!optarg[0] || strpbrk(optarg, " \t\n"))
                return rl_make_error(err, 0, "--dns-option: '%s' is not a resolv.conf option",
                                     optarg);
            rl_strv_push(&o->dns_opts, optarg);
            break;
        case 'm':
        case OPT_MEMORY_SWAP:
        case OPT_MEMORY_RES:
        case OPT_CPUS:
        case 'c':
        case OPT_CPU_WEIGHT:
        case OPT_CPU_PERIOD:
        case OPT_CPU_QUOTA:
        case OPT_CPUSET_CPUS:
        case OPT_CPUSET_MEMS:
        case OPT_PIDS_LIMIT:
        case OPT_BLKIO_WEIGHT:
            if (!o->resources)
                o->resources = json_object();
            if (rl_parse_resource(o->resources, resource_flag(c, opts), optarg, err) < 0)
                return -1;
            break;
        case OPT_CGROUPS:
            if (strcmp(optarg, "disabled") == 0)
                o->cgroups_disabled = true;
            else if (strcmp(optarg, "enabled") == 0 || strcmp(optarg, "no-conmon") == 0
                     || strcmp(optarg, "split") == 0)
                o->cgroups_disabled = false;
            else
                return rl_make_error(err, 0,
                                     "--cgroups: '%s' is not enabled, disabled, no-conmon or "
                                     "split",
                                     optarg);
            break;
        case OPT_SYSCTL: {
            const char *eq = strchr(optarg, '=');
            cleanup_free char *key = eq ? xstrndup(optarg, (size_t)(eq - optarg)) : NULL;
            if (!key || !key[0])
                return rl_make_error(err, 0, "--sysctl '%s': not KEY=VALUE", optarg);
            if (!o->sysctls)
                o->sysctls = json_object();
            json_object_set_new(o->sysctls, key, json_string(eq + 1));
            break;
        }
        case OPT_ADD_HOST: {
            cleanup_free char *hname = NULL;
            cleanup_free char *hip = NULL;
            cleanup_free char *line = NULL;
            if (rl_add_host_parse(optarg, &hname, &hip, err) < 0)
                return -1;
            line = xasprintf("%s\t%s", hname, hip);
            rl_strv_push(&o->add_hosts, line);
            break;
        }
        case OPT_PLATFORM:
            o->pull_opts.platform = optarg;
            break;
        case OPT_TLS:
            if (rl_cmd_parse_bool("--tls-verify", optarg, &b, err) < 0)
                return -1;
            o->pull_opts.registry.tls_verify = b;
            break;
        case OPT_CREDS:
            o->pull_opts.registry.creds = optarg;
            break;
        case OPT_AUTHFILE:
            o->pull_opts.registry.auth_file = optarg;
            break;
        case OPT_CERTDIR:
            o->pull_opts.registry.cert_dir = optarg;
            break;
        case OPT_NO_HOSTS:
            if (rl_cmd_parse_bool("--no-hosts", optarg, &o->no_hosts, err) < 0)
                return -1;
            break;
        case OPT_CIDFILE:
            o->cidfile = optarg;
            break;
        case OPT_REPLACE:
            if (rl_cmd_parse_bool("--replace", optarg, &o->replace, err) < 0)
                return -1;
            break;
        case OPT_LOG_DRIVER:
            if (strcmp(optarg, "k8s-file") != 0 && strcmp(optarg, "none") != 0)
                return rl_make_error(
                    err, 0, "--log-driver: '%s' is not supported: use k8s-file or none", optarg);
            o->log_driver = optarg;
            break;
        case OPT_LOG_OPT:
            return rl_make_error(err, 0, "--log-opt '%s': no log options are supported", optarg);
        case OPT_UMASK:
            if (!rl_parse_ll(optarg, 0, 0777, &v) || optarg[0] != '0')
                return rl_make_error(err, 0, "--umask: '%s' is not an octal mask like 0022",
                                     optarg);
            o->umask = optarg;
            break;
        case OPT_OOM:
            if (!rl_parse_ll(optarg, -1000, 1000, &v))
                return rl_make_error(err, 0,
                                     "--oom-score-adj: '%s' is not a number from -1000 "
                                     "to 1000",
                                     optarg);
            o->has_oom_score_adj = true;
            o->oom_score_adj = (int)v;
            break;
        case OPT_SHM:
            if (rl_parse_size(optarg, &o->shm_size, err) < 0)
                return rl_error_wrap(err, "--shm-size");
            break;
        case OPT_SIG_PROXY:
            if (rl_cmd_parse_bool("--sig-proxy", optarg, &b, err) < 0)
                return -1;
            break;
        case OPT_HELP:
            fputs(is_run ? HELP_RUN : HELP_CREATE, stdout);
            return 1;
        default:
            return rl_cmd_bad_option(verb, argc, argv, err);
        }
    }
    if (optind >= argc)
        return rl_make_error(err, 0, "%s: missing image name (see 'rl %s --help')", verb, verb);
    if (o->no_hosts && o->add_hosts)
        return rl_make_error(err, 0, "--no-hosts and --add-host cannot be set together");
    if (o->resources && rl_resources_check(o->resources, err) < 0)
        return -1;
    if (o->resources && o->cgroups_disabled)
        return rl_make_error(err, 0,
                             "--cgroups=disabled: resource limits need a cgroup (remove them or "
                             "the option)");
    {
        /* podman's rule: only sysctls of the container's own namespaces. */
        static const char *const ipc[] = { "kernel.msgmax", "kernel.msgmnb",
                                           "kernel.msgmni", "kernel.sem",
                                           "kernel.shmall", "kernel.shmmax",
                                           "kernel.shmmni", "kernel.shm_rmid_forced" };
        const char *key;
        json_t *val;
        json_object_foreach (o->sysctls, key, val) {
            bool ok = rl_str_has_prefix(key, "fs.mqueue.");
            for (size_t i = 0; i < RL_ARRAY_SIZE(ipc); i++)
                ok = ok || strcmp(key, ipc[i]) == 0;
            if (rl_str_has_prefix(key, "net.")) {
                if (o->net.mode == RL_NET_HOST)
                    return rl_make_error(err, 0,
                                         "--sysctl %s: not allowed with the host's network "
                                         "namespace",
                                         key);
                ok = true;
            }
            if (!ok)
                return rl_make_error(err, 0,
                                     "--sysctl %s: not a sysctl of the container's namespaces "
                                     "(net.*, fs.mqueue.*, kernel.msg*, kernel.sem, kernel.shm*)",
                                     key);
            if (strchr(key, '/') || strstr(key, ".."))
                return rl_make_error(err, 0, "--sysctl '%s': not a sysctl name", key);
        }
    }
    if (o->net.mode != RL_NET_SLIRP && (o->n_ports || o->publish_all)) {
        rl_warning("port mappings have been discarded: the %s network has no published ports",
                   o->net.mode == RL_NET_HOST   ? "host"
                   : o->net.mode == RL_NET_NONE ? "none"
                                                : "joined");
        free(o->ports);
        o->ports = NULL;
        o->n_ports = 0;
        o->publish_all = false;
    }
    o->argv = argv + optind;
    o->argc = argc - optind;
    return 0;
}

/* ------------------------------------------------------------------ the image */

struct image {
    char *id;
    char *name;     /* as the user will see it: the normalised reference, or the id */
    char **layers;  /* chain ids, bottom first */
    json_t *config; /* the image config's "config" object (may be empty) */
};

static void
image_release(struct image *im)
{
    free(im->id);
    free(im->name);
    rl_strv_free(im->layers);
    json_decref(im->config);
}

static int
find_image(struct rl_store *s, const char *what, json_t **ret_rec, rl_error_t *err)
{
    cleanup_json json_t *images = NULL;
    long i;

    if (rl_store_lock(s, LOCK_SH, err) < 0 || rl_store_images_load(s, &images, err) < 0)
        return -1;
    i = rl_store_image_find(images, what, err);
    rl_store_lock(s, LOCK_UN, NULL);
    if (i < 0)
        return -1;
    *ret_rec = json_incref(json_array_get(images, (size_t)i));
    return 0;
}

static int
resolve_image(struct rl_ctx *ctx, struct run_opts *o, struct image *ret, rl_error_t *err)
{
    cleanup_store struct rl_store *s = NULL;
    cleanup_json json_t *rec = NULL;
    cleanup_free char *cfg_text = NULL;
    cleanup_image_config struct rl_image_config *cfg = NULL;
    const char *what = o->argv[0];
    const char *cdigest;
    size_t len;
    bool pull = strcmp(o->pull, "always") == 0 || strcmp(o->pull, "newer") == 0;
    json_t *names, *layers, *v;
    size_t i;

    if (rl_store_open(ctx->store, &s, err) < 0)
        return -1;
    if (!pull) {
        cleanup_error rl_error_t tmp = NULL;
        if (find_image(s, what, &rec, &tmp) < 0) {
            if (tmp->status != ENOENT)
                return rl_make_error(err, tmp->status, "%s", tmp->msg);
            if (strcmp(o->pull, "never") == 0)
                return rl_make_error(err, 0, "%s: image not known (and --pull=never)", what);
            pull = true;
        }
    }
    if (pull) {
        cleanup_image_ref struct rl_image_ref *ref = NULL;
        cleanup_free char *id = NULL;
        if (rl_image_ref_parse(what, &ref, err) < 0)
            return -1;
        o->pull_opts.quiet = o->quiet;
        if (rl_cmd_store_userns(&o->pull_opts.single_id, err) < 0)
            return -1;
        if (rl_cmd_pull(s, what, &o->pull_opts, &id, err) < 0)
            return -1;
        json_decref(rec);
        rec = NULL;
        if (find_image(s, id, &rec, err) < 0)
            return -1;
    }
    ret->id = xstrdup(json_string_value(json_object_get(rec, "id")));
    names = json_object_get(rec, "names");
    ret->name = NULL;
    /* The name the user gave, normalised, when the image has it; else its first name. */
    {
        cleanup_image_ref struct rl_image_ref *ref = NULL;
        cleanup_error rl_error_t tmp = NULL;
        cleanup_free char *norm = NULL;
        if (rl_image_ref_parse(what, &ref, &tmp) == 0)
            norm = rl_image_ref_format(ref);
        json_array_foreach (names, i, v)
            if (norm && strcmp(json_string_value(v), norm) == 0)
                ret->name = xstrdup(norm);
    }
    if (ret->name == NULL && json_array_size(names) > 0)
        ret->name = xstrdup(json_string_value(json_array_get(names, 0)));
    if (ret->name == NULL)
        ret->name = xstrdup(ret->id);
    layers = json_object_get(rec, "layers");
    ret->layers = xzalloc((json_array_size(layers) + 1) * sizeof(char *));
    json_array_foreach (layers, i, v)
        ret->layers[i] = xstrdup(json_string_value(v));
    cdigest = json_string_value(json_object_get(rec, "configDigest"));
    {
        cleanup_free char *d = cdigest ? NULL : xasprintf("sha256:%s", ret->id);
        if (rl_store_blob_read(s, cdigest ? cdigest : d, 8 << 20, &cfg_text, &len, err) < 0
            || rl_image_config_parse(cfg_text, len, &cfg, err) < 0)
            return rl_error_wrap(err, "image %.12s", ret->id);
    }
    v = json_object_get(cfg->json, "config");
    ret->config = json_is_object(v) ? json_deep_copy(v) : json_object();
    return 0;
}

/* ------------------------------------------------------------------ the OCI config */

static json_t *
strv_json(char *const *v)
{
    json_t *a = json_array();
    for (size_t i = 0; v && v[i]; i++)
        json_array_append_new(a, json_string(v[i]));
    return a;
}

static char **
json_strv(json_t *a)
{
    char **v = xzalloc((json_array_size(a) + 1) * sizeof(char *));
    size_t i, n = 0;
    json_t *e;

    json_array_foreach (a, i, e)
        if (json_is_string(e))
            v[n++] = xstrdup(json_string_value(e));
    return v;
}

/* The process's argv: entrypoint + command, as podman combines them. */
static int
process_args(struct run_opts *o, json_t *icfg, char ***ret, rl_error_t *err)
{
    cleanup_strv char **ep = NULL;
    cleanup_strv char **cmd = NULL;
    char **args = NULL;

    if (o->entrypoint) {
        json_error_t je;
        cleanup_json json_t *arr = NULL;
        if (o->entrypoint[0] == '[' && (arr = json_loads(o->entrypoint, 0, &je))
            && json_is_array(arr))
            ep = json_strv(arr);
        else if (o->entrypoint[0] != '\0')
            ep = xzalloc(2 * sizeof(char *)), ep[0] = xstrdup(o->entrypoint);
        else
            ep = xzalloc(sizeof(char *));
    } else {
        ep = json_strv(json_object_get(icfg, "Entrypoint"));
    }
    if (o->argc > 1)
        cmd = rl_strv_dup(o->argv + 1);
    else if (!o->entrypoint)
        cmd = json_strv(json_object_get(icfg, "Cmd"));
    for (size_t i = 0; ep && ep[i]; i++)
        rl_strv_push(&args, ep[i]);
    for (size_t i = 0; cmd && cmd[i]; i++)
        rl_strv_push(&args, cmd[i]);
    if (args == NULL || args[0] == NULL) {
        rl_strv_free(args);
        return rl_make_error(err, 0,
                             "no command or entrypoint provided, and no CMD or ENTRYPOINT from "
                             "image");
    }
    *ret = args;
    return 0;
}

static int
process_env(struct run_opts *o, json_t *icfg, const char *hostname, char ***ret, rl_error_t *err)
{
    cleanup_strv char **env = NULL;
    size_t i;
    json_t *v;

    rl_env_set(&env, "PATH=" DEFAULT_PATH);
    rl_env_set(&env, "container=rl");
    if (o->tty)
        rl_env_set(&env, "TERM=xterm");
    json_array_foreach (json_object_get(icfg, "Env"), i, v)
        if (json_is_string(v) && strchr(json_string_value(v), '='))
            rl_env_set(&env, json_string_value(v));
    {
        cleanup_free char *h = xasprintf("HOSTNAME=%s", hostname);
        rl_env_set(&env, h);
    }
    for (i = 0; o->env_files && o->env_files[i]; i++)
        if (rl_env_file(&env, o->env_files[i], err) < 0)
            return -1;
    for (i = 0; o->env_args && o->env_args[i]; i++)
        if (rl_env_add_arg(&env, o->env_args[i], err) < 0)
            return -1;
    *ret = steal_pointer(&env);
    return 0;
}

static json_t *
caps_json(const int *caps, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++) {
        const char *name = rl_cap_name(caps[i]);
        if (name)
            json_array_append_new(a, json_string(name));
    }
    return a;
}

static bool
has_cap(const int *caps, size_t n, int cap)
{
    for (size_t i = 0; i < n; i++)
        if (caps[i] == cap)
            return true;
    return false;
}

/* podman's default set, then --cap-add and --cap-drop (ALL first, then names). */
static int *
final_caps(const struct run_opts *o, size_t *ret_n)
{
    int last = rl_cap_last_cap();
    int *caps = xzalloc(((size_t)last + 1 + rl_default_caps_n) * sizeof(int));
    size_t n = 0;

    if (o->privileged || o->cap_add_all) {
        for (int c = 0; c <= last; c++)
            caps[n++] = c;
    } else if (!o->cap_drop_all) {
        for (size_t i = 0; i < rl_default_caps_n; i++)
            caps[n++] = rl_default_caps[i];
    }
    if (o->cap_drop_all && !o->privileged && !o->cap_add_all)
        n = 0;
    for (size_t i = 0; i < o->n_cap_add; i++)
        if (!has_cap(caps, n, o->cap_add[i]) && o->cap_add[i] <= last)
            caps[n++] = o->cap_add[i];
    if (!o->privileged)
        for (size_t i = 0; i < o->n_cap_drop; i++)
            for (size_t j = 0; j < n; j++)
                if (caps[j] == o->cap_drop[i]) {
                    caps[j] = caps[--n];
                    break;
                }
    /* What we do not have ourselves we cannot give (root in a container, a host whose root
     * lacks some): --privileged means every capability there is to give, as podman. */
    for (size_t j = 0; j < n;) {
        if (prctl(PR_CAPBSET_READ, caps[j], 0, 0, 0) == 1) {
            j++;
            continue;
        }
        caps[j] = caps[--n];
    }
    *ret_n = n;
    return caps;
}

static void
add_mount(json_t *mounts, const char *dest, const char *type, const char *source, json_t *options)
{
    json_t *m = json_pack("{s:s, s:s, s:s}", "destination", dest, "type", type, "source", source);
    json_object_set_new(m, "options", options ? options : json_array());
    json_array_append_new(mounts, m);
}

/* Drop mounts of the defaults at DEST: a user's mount there wins. */
static void
drop_mount(json_t *mounts, const char *dest)
{
    for (size_t i = json_array_size(mounts); i-- > 0;) {
        const char *d =
            json_string_value(json_object_get(json_array_get(mounts, i), "destination"));
        if (d && strcmp(d, dest) == 0)
            json_array_remove(mounts, i);
    }
}

static bool
user_mounts(const struct run_opts *o, const char *dest)
{
    for (size_t i = 0; i < o->n_vols; i++)
        if (strcmp(o->vols[i].dest, dest) == 0)
            return true;
    return false;
}

static int
write_userdata(const char *dir, const char *name, const char *text, rl_error_t *err)
{
    cleanup_free char *path = xasprintf("%s/%s", dir, name);
    return rl_write_file_atomic(path, text, strlen(text), 0644, false, err);
}

/* An IPv4 address of the host that is not a loopback one (to reach the host from the
 * user-mode network without allow_host_loopback), or NULL. */
static char *
host_address(void)
{
    struct ifaddrs *ifs, *i;
    char buf[INET_ADDRSTRLEN];
    char *ret = NULL;

    if (getifaddrs(&ifs) < 0)
        return NULL;
    for (i = ifs; i && !ret; i = i->ifa_next) {
        if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET || (i->ifa_flags & IFF_LOOPBACK)
            || !(i->ifa_flags & IFF_UP))
            continue;
        if (inet_ntop(AF_INET, &((struct sockaddr_in *)i->ifa_addr)->sin_addr, buf, sizeof(buf)))
            ret = xstrdup(buf);
    }
    freeifaddrs(ifs);
    return ret;
}

/* What host.containers.internal (and --add-host NAME:host-gateway) is: the gateway of the
 * user-mode network when it leads to the host's loopback, else an address of the host. */
static char *
host_gateway(const struct run_opts *o)
{
    struct rl_net_addrs a;
    char buf[INET_ADDRSTRLEN];

    if (o->net.mode == RL_NET_SLIRP && o->net.allow_host_loopback
        && rl_net_addrs(&o->net, &a, NULL) == 0)
        return xstrdup(inet_ntop(AF_INET, &a.gw, buf, sizeof(buf)));
    if (o->net.mode == RL_NET_HOST)
        return xstrdup("127.0.0.1");
    return host_address();
}

/* podman's /etc/hosts: --add-host entries first, then the host's file (host network) or
 * localhost, the container's own name and host.containers.internal. */
static int
etc_hosts(const struct run_opts *o, const char *hostname, const char *name, char **ret,
          rl_error_t *err)
{
    cleanup_free char *gw = host_gateway(o);
    cleanup_free char *base = NULL;
    cleanup_error rl_error_t tmp = NULL;
    struct rl_net_addrs a;
    char ip[INET_ADDRSTRLEN];
    char *text = xstrdup("");

    for (char **h = o->add_hosts; h && *h; h++) {
        char *tab = strchr(*h, '\t');
        const char *addr = tab + 1;
        char *old = text;
        if (strcmp(addr, "host-gateway") == 0) {
            if (!gw) {
                free(text);
                return rl_make_error(err, 0,
                                     "--add-host %.*s:host-gateway: the host has no address "
                                     "the container can reach",
                                     (int)(tab - *h), *h);
            }
            addr = gw;
        }
        text = xasprintf("%s%s\t%.*s\n", old, addr, (int)(tab - *h), *h);
        free(old);
    }
    if (o->net.mode == RL_NET_HOST) {
        if (rl_read_file("/etc/hosts", 1 << 20, &base, NULL, &tmp) < 0)
            base = xstrdup("127.0.0.1\tlocalhost\n::1\tlocalhost\n");
    } else {
        const char *self = "127.0.1.1";
        if (o->net.mode == RL_NET_SLIRP && rl_net_addrs(&o->net, &a, NULL) == 0)
            self = inet_ntop(AF_INET, &a.ctr, ip, sizeof(ip));
        base = xasprintf("127.0.0.1\tlocalhost localhost.localdomain localhost4 "
                         "localhost4.localdomain4\n"
                         "::1\tlocalhost localhost.localdomain localhost6 "
                         "localhost6.localdomain6\n"
                         "%s\t%s %s\n",
                         self, hostname, name);
    }
    {
        char *old = text;
        text = gw && o->net.mode != RL_NET_HOST ? xasprintf(
                   "%s%s%s\thost.containers.internal host.docker.internal\n", old, base, gw)
                                                : xasprintf("%s%s", old, base);
        free(old);
    }
    *ret = text;
    return 0;
}

/* The container's /etc/resolv.conf: the host's search domains and options, and the name
 * server of the user-mode network (its DNS forwarder) or the host's own (host network);
 * --dns, --dns-search and --dns-option replace or add. */
static char *
resolv_conf(const struct run_opts *o)
{
    cleanup_free char *host = NULL;
    cleanup_strv char **servers = NULL;
    cleanup_strv char **search = NULL;
    cleanup_strv char **options = NULL;
    cleanup_error rl_error_t tmp = NULL;
    struct rl_net_addrs a;
    char ip[INET_ADDRSTRLEN];
    char *text, *save = NULL;

    if (rl_read_file("/etc/resolv.conf", 1 << 20, &host, NULL, &tmp) < 0)
        host = xstrdup("");
    for (char *line = strtok_r(host, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char *w, *s2 = NULL;
        char *key = strtok_r(line, " \t", &s2);
        if (!key)
            continue;
        while ((w = strtok_r(NULL, " \t", &s2)) != NULL) {
            if (strcmp(key, "nameserver") == 0)
                rl_strv_push(&servers, w);
            else if (strcmp(key, "search") == 0 || strcmp(key, "domain") == 0)
                rl_strv_push(&search, w);
            else if (strcmp(key, "options") == 0)
                rl_strv_push(&options, w);
        }
    }
    if (o->dns) {
        rl_strv_free(servers);
        servers = NULL;
        for (char **d = o->dns; *d; d++)
            if (strcmp(*d, "none") != 0)
                rl_strv_push(&servers, *d);
    } else if (o->net.mode == RL_NET_SLIRP && rl_net_addrs(&o->net, &a, NULL) == 0) {
        rl_strv_free(servers);
        servers = NULL;
        rl_strv_push(&servers, inet_ntop(AF_INET, &a.dns, ip, sizeof(ip)));
    }
    if (o->dns_search) {
        rl_strv_free(search);
        search = NULL;
        for (char **d = o->dns_search; *d; d++)
            if (strcmp(*d, ".") != 0)
                rl_strv_push(&search, *d);
    }
    for (char **d = o->dns_opts; d && *d; d++)
        rl_strv_push(&options, *d);
    text = xstrdup("");
    if (search) {
        cleanup_free char *j = rl_strv_join(search, " ");
        char *old = text;
        text = xasprintf("%ssearch %s\n", old, j);
        free(old);
    }
    for (char **d = servers; d && *d; d++) {
        char *old = text;
        text = xasprintf("%snameserver %s\n", old, *d);
        free(old);
    }
    if (options) {
        cleanup_free char *j = rl_strv_join(options, " ");
        char *old = text;
        text = xasprintf("%soptions %s\n", old, j);
        free(old);
    }
    return text;
}

/* /etc/hostname, /etc/hosts, /etc/resolv.conf and /run/.containerenv of the container. */
static int
userdata_files(const char *udir, const struct run_opts *o, const char *hostname, const char *name,
               const char *id, const struct image *im, rl_error_t *err)
{
    cleanup_free char *hosts = NULL;
    cleanup_free char *resolv = NULL;
    cleanup_free char *envf = NULL;
    cleanup_free char *hn = xasprintf("%s\n", hostname);
    cleanup_error rl_error_t tmp = NULL;

    if (rl_mkdir_p(udir, 0700, err) < 0)
        return -1;
    if (etc_hosts(o, hostname, name, &hosts, err) < 0)
        return -1;
    resolv = resolv_conf(o);
    envf = xasprintf("engine=\"rl-%s\"\nname=\"%s\"\nid=\"%s\"\nimage=\"%s\"\nimageid=\"%s\"\n"
                     "rootless=%d\n",
                     PACKAGE_VERSION, name, id, im->name, im->id, getuid() != 0);
    if (write_userdata(udir, "hostname", hn, err) < 0
        || write_userdata(udir, "hosts", hosts, err) < 0
        || write_userdata(udir, "resolv.conf", resolv, err) < 0
        || write_userdata(udir, ".containerenv", envf, err) < 0)
        return -1;
    return 0;
}

static json_t *
options_json(char *const *opts)
{
    return strv_json(opts);
}

/* The container's mounts: podman's defaults, /etc files, then the user's. NAMED volumes are
 * created here when missing. ANON collects the anonymous volumes made. */
static int
build_mounts(struct rl_ctx *ctx, const struct run_opts *o, const char *udir, json_t *icfg,
             json_t *mounts, json_t *rec_mounts, json_t *anon, json_t *copyup, rl_error_t *err)
{
    cleanup_free char *shm_size = NULL;
    const char *key;
    json_t *v;

    add_mount(mounts, "/proc", "proc", "proc", json_pack("[s, s, s]", "nosuid", "noexec", "nodev"));
    add_mount(mounts, "/dev", "tmpfs", "tmpfs",
              json_pack("[s, s, s, s]", "nosuid", "strictatime", "mode=755", "size=65536k"));
    add_mount(mounts, "/dev/pts", "devpts", "devpts",
              json_pack("[s, s, s, s, s, s]", "nosuid", "noexec", "newinstance", "ptmxmode=0666",
                        "mode=0620", "gid=5"));
    shm_size = xasprintf("size=%lldk", o->shm_size > 0 ? (long long)(o->shm_size / 1024) : 65536LL);
    add_mount(mounts, "/dev/shm", "tmpfs", "shm",
              json_pack("[s, s, s, s, s]", "nosuid", "noexec", "nodev", "mode=1777", shm_size));
    add_mount(mounts, "/dev/mqueue", "mqueue", "mqueue",
              json_pack("[s, s, s]", "nosuid", "noexec", "nodev"));
    if (o->net.mode == RL_NET_HOST)
        add_mount(mounts, "/sys", "bind", "/sys",
                  json_pack("[s, s, s, s, s]", "rbind", "nosuid", "noexec", "nodev", "ro"));
    else
        add_mount(
            mounts, "/sys", "sysfs", "sysfs",
            json_pack("[s, s, s, s]", "nosuid", "noexec", "nodev", o->privileged ? "rw" : "ro"));
    add_mount(mounts, "/sys/fs/cgroup", "cgroup", "cgroup",
              json_pack("[s, s, s, s, s]", "nosuid", "noexec", "nodev", "relatime", "ro"));
    {
        static const char *const files[][2] = { { "/etc/hostname", "hostname" },
                                                { "/etc/hosts", "hosts" },
                                                { "/etc/resolv.conf", "resolv.conf" },
                                                { "/run/.containerenv", ".containerenv" } };
        for (size_t i = 0; i < RL_ARRAY_SIZE(files); i++) {
            cleanup_free char *src = NULL;
            if (user_mounts(o, files[i][0]) || (o->no_hosts && i == 1))
                continue;
            src = xasprintf("%s/%s", udir, files[i][1]);
            add_mount(mounts, files[i][0], "bind", src,
                      json_pack("[s, s, s, s]", "bind", "rprivate", "nosuid", "nodev"));
        }
    }
    if (o->keep_id && !o->user && !user_mounts(o, "/etc/passwd")) {
        /* The image's /etc/passwd with an entry for the user, made at each start. */
        cleanup_free char *src = xasprintf("%s/passwd", udir);
        add_mount(mounts, "/etc/passwd", "bind", src,
                  json_pack("[s, s, s, s]", "bind", "rprivate", "nosuid", "nodev"));
    }
    if (o->read_only && o->read_only_tmpfs) {
        static const char *const dirs[] = { "/tmp", "/var/tmp", "/run" };
        for (size_t i = 0; i < RL_ARRAY_SIZE(dirs); i++)
            if (!user_mounts(o, dirs[i]))
                add_mount(
                    mounts, dirs[i], "tmpfs", "tmpfs",
                    json_pack("[s, s, s, s, s]", "rw", "rprivate", "nosuid", "nodev", "tmpcopyup"));
    }
    /* The image's VOLUMEs get anonymous volumes, unless the user mounts something there. */
    json_object_foreach (json_object_get(icfg, "Volumes"), key, v) {
        struct rl_volume *vol = NULL;
        if (key[0] != '/' || user_mounts(o, key))
            continue;
        if (rl_volume_create(ctx->store, NULL, NULL, NULL, false, &vol, err) < 0)
            return rl_error_wrap(err, "image volume '%s'", key);
        {
            cleanup_free char *src = xstrdup(vol->mountpoint);
            add_mount(mounts, key, "bind", src,
                      json_pack("[s, s, s, s]", "rbind", "rprivate", "nosuid", "nodev"));
            json_array_append_new(rec_mounts,
                                  json_pack("{s:s, s:s, s:s, s:s, s:s, s:b, s:s}", "Type", "volume",
                                            "Name", vol->name, "Source", src, "Destination", key,
                                            "Driver", "local", "RW", 1, "Propagation", ""));
            json_array_append_new(copyup, json_string(key));
            json_array_append_new(copyup, json_string(src));
        }
        json_array_append_new(anon, json_string(vol->name));
        rl_volume_free(vol);
    }
    for (size_t i = 0; i < o->n_vols; i++) {
        const struct rl_vol *vol = &o->vols[i];
        json_t *opts = options_json(vol->options);
        cleanup_free char *src = NULL;
        const char *type = "bind";
        const char *vname = NULL;
        struct rl_volume *named = NULL;

        if (vol->chown) {
            json_decref(opts);
            return rl_make_error(err, ENOTSUP,
                                 "volume '%s': the U option (chown to the container's user) is "
                                 "not supported yet",
                                 vol->dest);
        }
        drop_mount(mounts, vol->dest);
        if (vol->kind == RL_VOL_TMPFS) {
            add_mount(mounts, vol->dest, "tmpfs", "tmpfs", opts);
            json_array_append_new(rec_mounts, json_pack("{s:s, s:s, s:s, s:b}", "Type", "tmpfs",
                                                        "Source", "tmpfs", "Destination", vol->dest,
                                                        "RW", !vol->readonly));
            continue;
        }
        if (vol->kind == RL_VOL_NAMED || vol->kind == RL_VOL_ANON) {
            if (vol->kind == RL_VOL_NAMED
                && rl_volume_get(ctx->store, vol->source, &named, NULL) < 0
                && rl_volume_create(ctx->store, vol->source, NULL, NULL, true, &named, err) < 0) {
                json_decref(opts);
                return -1;
            }
            if (vol->kind == RL_VOL_ANON
                && rl_volume_create(ctx->store, NULL, NULL, NULL, false, &named, err) < 0) {
                json_decref(opts);
                return -1;
            }
            src = xstrdup(named->mountpoint);
            vname = named->name;
            if (vol->copy) {
                json_array_append_new(copyup, json_string(vol->dest));
                json_array_append_new(copyup, json_string(src));
            }
            if (vol->kind == RL_VOL_ANON)
                json_array_append_new(anon, json_string(named->name));
        } else {
            src = xstrdup(vol->source);
        }
        {
            bool bind = false;
            size_t k;
            json_t *ov;
            json_array_foreach (opts, k, ov)
                bind |= strcmp(json_string_value(ov), "bind") == 0
                        || strcmp(json_string_value(ov), "rbind") == 0;
            if (!bind)
                json_array_insert_new(opts, 0, json_string("rbind"));
        }
        if (vol->readonly)
            json_array_append_new(opts, json_string("ro"));
        add_mount(mounts, vol->dest, type, src, opts);
        {
            json_t *m = json_pack("{s:s, s:s, s:s, s:b, s:s}", "Type", vname ? "volume" : "bind",
                                  "Source", src, "Destination", vol->dest, "RW", !vol->readonly,
                                  "Propagation", "rprivate");
            if (vname) {
                json_object_set_new(m, "Name", json_string(vname));
                json_object_set_new(m, "Driver", json_string("local"));
            }
            json_array_append_new(rec_mounts, m);
        }
        rl_volume_free(named);
    }
    return 0;
}

static json_t *
rlimits_json(const struct run_opts *o)
{
    static const struct {
        int res;
        const char *name;
    } names[] = {
        { RLIMIT_CORE, "RLIMIT_CORE" },         { RLIMIT_CPU, "RLIMIT_CPU" },
        { RLIMIT_DATA, "RLIMIT_DATA" },         { RLIMIT_FSIZE, "RLIMIT_FSIZE" },
        { RLIMIT_LOCKS, "RLIMIT_LOCKS" },       { RLIMIT_MEMLOCK, "RLIMIT_MEMLOCK" },
        { RLIMIT_MSGQUEUE, "RLIMIT_MSGQUEUE" }, { RLIMIT_NICE, "RLIMIT_NICE" },
        { RLIMIT_NOFILE, "RLIMIT_NOFILE" },     { RLIMIT_NPROC, "RLIMIT_NPROC" },
        { RLIMIT_RSS, "RLIMIT_RSS" },           { RLIMIT_RTPRIO, "RLIMIT_RTPRIO" },
        { RLIMIT_RTTIME, "RLIMIT_RTTIME" },     { RLIMIT_SIGPENDING, "RLIMIT_SIGPENDING" },
        { RLIMIT_STACK, "RLIMIT_STACK" },
    };
    json_t *a = json_array();
    struct rlimit cur;
    bool nofile = false, nproc = false;

    for (size_t i = 0; i < o->n_ulimits; i++) {
        for (size_t j = 0; j < RL_ARRAY_SIZE(names); j++)
            if (names[j].res == o->ulimits[i].resource)
                json_array_append_new(a, json_pack("{s:s, s:I, s:I}", "type", names[j].name, "soft",
                                                   (json_int_t)o->ulimits[i].soft, "hard",
                                                   (json_int_t)o->ulimits[i].hard));
        nofile |= o->ulimits[i].resource == RLIMIT_NOFILE;
        nproc |= o->ulimits[i].resource == RLIMIT_NPROC;
    }
    /* As podman rootless: as many files and processes as the user may have. */
    if (!nofile && getrlimit(RLIMIT_NOFILE, &cur) == 0)
        json_array_append_new(a, json_pack("{s:s, s:I, s:I}", "type", "RLIMIT_NOFILE", "soft",
                                           (json_int_t)cur.rlim_max, "hard",
                                           (json_int_t)cur.rlim_max));
    if (!nproc && getrlimit(RLIMIT_NPROC, &cur) == 0)
        json_array_append_new(a, json_pack("{s:s, s:I, s:I}", "type", "RLIMIT_NPROC", "soft",
                                           (json_int_t)cur.rlim_max, "hard",
                                           (json_int_t)cur.rlim_max));
    return a;
}

static int
seccomp_json(const struct run_opts *o, const int *caps, size_t n_caps, json_t **ret,
             rl_error_t *err)
{
    *ret = NULL;
    if (o->privileged || o->sec.seccomp_unconfined)
        return 0;
    if (o->sec.seccomp_file) {
        cleanup_free char *text = NULL;
        json_error_t je;
        json_t *j;
        size_t len;
        if (rl_read_file(o->sec.seccomp_file, 4 << 20, &text, &len, err) < 0)
            return rl_error_wrap(err, "--security-opt seccomp");
        j = json_loadb(text, len, 0, &je);
        if (j == NULL || !json_is_object(j)) {
            json_decref(j);
            return rl_make_error(err, 0, "--security-opt seccomp: '%s': not a JSON profile: %s",
                                 o->sec.seccomp_file, je.text);
        }
        *ret = j;
        return 0;
    }
    *ret = rl_seccomp_default_profile(caps, n_caps);
    return 0;
}

static char **
masked_paths(const struct run_opts *o, bool masked)
{
    const char *const *base = masked ? rl_default_masked_paths : rl_default_readonly_paths;
    char **v = NULL;

    if (o->privileged || o->sec.unmask_all)
        return NULL;
    for (size_t i = 0; base[i]; i++) {
        bool unmasked = false;
        for (size_t j = 0; o->sec.unmask && o->sec.unmask[j]; j++)
            if (strcmp(o->sec.unmask[j], base[i]) == 0)
                unmasked = true;
        if (!unmasked)
            rl_strv_push(&v, base[i]);
    }
    if (masked)
        for (size_t j = 0; o->sec.mask && o->sec.mask[j]; j++)
            rl_strv_push(&v, o->sec.mask[j]);
    return v;
}

/* --userns=keep-id: container ids 0..ID-1 are the store namespace's 1..ID, ID is its 0 (the
 * caller), and the rest stay. */
static json_t *
keepid_map(unsigned id)
{
    return json_pack("[{s:i, s:i, s:i}, {s:i, s:i, s:i}, {s:i, s:i, s:i}]", "containerID", 0,
                     "hostID", 1, "size", (int)id, "containerID", (int)id, "hostID", 0, "size", 1,
                     "containerID", (int)id + 1, "hostID", (int)id + 1, "size", 65535 - (int)id);
}

/* --userns=keep-id as the caller: the container's /etc/passwd gets the caller's entry (name,
 * ids, home, as on the host) and HOME is that home, as podman does. */
static int
keepid_passwd(const struct run_opts *o, json_t *rec, char ***env, rl_error_t *err)
{
    struct passwd *pw = getpwuid(o->host_uid);
    const char *name = pw ? pw->pw_name : "user";
    const char *home = pw && pw->pw_dir && pw->pw_dir[0] == '/' ? pw->pw_dir : "/";
    cleanup_free char *entry = xasprintf("%s:*:%u:%u:%s:%s:/bin/sh", name, (unsigned)o->host_uid,
                                         (unsigned)o->host_gid, name, home);
    cleanup_free char *h = xasprintf("HOME=%s", home);

    bool own_home = false;

    (void)err;
    json_object_set_new(json_object_get(rec, "rl"), "PasswdEntry", json_string(entry));
    /* HOME from -e or --env-file stays; the image's gives way. */
    for (size_t i = 0; o->env_args && o->env_args[i]; i++)
        own_home |=
            strcmp(o->env_args[i], "HOME") == 0 || rl_str_has_prefix(o->env_args[i], "HOME=");
    if (!own_home && !o->env_files)
        rl_env_set(env, h);
    return 0;
}

/* "80/tcp" -> [{"HostIp": "", "HostPort": "8080"}], podman's PortBindings. */
static json_t *
port_bindings(const struct rl_port_map *maps, size_t n)
{
    json_t *pb = json_object();

    for (size_t i = 0; i < n; i++) {
        cleanup_free char *key = xasprintf("%u/%s", maps[i].ctr_port, maps[i].proto);
        cleanup_free char *hp =
            maps[i].host_port ? xasprintf("%u", maps[i].host_port) : xstrdup("");
        json_t *list = json_object_get(pb, key);
        if (!list) {
            list = json_array();
            json_object_set_new(pb, key, list);
        }
        json_array_append_new(list,
                              json_pack("{s:s, s:s}", "HostIp", maps[i].host_ip, "HostPort", hp));
    }
    return pb;
}

/* The network part of the record: rl.Network (the --network argument, parsed again at each
 * start), rl.Ports (the published ports as asked; rl.ActivePorts gets the bound ones),
 * Config.ExposedPorts and HostConfig.PortBindings. -P adds the exposed ports on random host
 * ports. */
static int
network_record(struct run_opts *o, json_t *icfg, json_t *rec, rl_error_t *err)
{
    json_t *exposed = json_object();
    json_t *iexp = json_object_get(icfg, "ExposedPorts");
    json_t *ports = json_array();
    const char *key;
    json_t *v;

    json_object_foreach (iexp, key, v)
        json_object_set_new(exposed, key, json_object());
    for (char **e = o->expose; e && *e; e++)
        json_object_set_new(exposed, *e, json_object());
    for (size_t i = 0; i < o->n_ports; i++) {
        cleanup_free char *k = xasprintf("%u/%s", o->ports[i].ctr_port, o->ports[i].proto);
        json_object_set_new(exposed, k, json_object());
    }
    if (o->publish_all) {
        json_object_foreach (exposed, key, v) {
            struct rl_port_map m = { 0 };
            bool have = false;
            if (rl_port_key_parse(key, &m.ctr_port, m.proto, err) < 0) {
                json_decref(exposed);
                json_decref(ports);
                return rl_error_wrap(err, "the image's exposed port");
            }
            for (size_t i = 0; i < o->n_ports; i++)
                if (o->ports[i].ctr_port == m.ctr_port && strcmp(o->ports[i].proto, m.proto) == 0)
                    have = true;
            if (have)
                continue;
            o->ports = xrealloc(o->ports, (o->n_ports + 1) * sizeof(*o->ports));
            o->ports[o->n_ports++] = m;
        }
    }
    for (size_t i = 0; i < o->n_ports; i++)
        json_array_append_new(ports,
                              json_pack("{s:s, s:i, s:i, s:s}", "HostIp", o->ports[i].host_ip,
                                        "HostPort", (int)o->ports[i].host_port, "ContainerPort",
                                        (int)o->ports[i].ctr_port, "Protocol", o->ports[i].proto));
    json_object_set_new(json_object_get(rec, "rl"), "Network",
                        json_string(o->network_arg ? o->network_arg : "slirp"));
    json_object_set_new(json_object_get(rec, "rl"), "Ports", ports);
    json_object_set_new(json_object_get(rec, "Config"), "ExposedPorts", exposed);
    json_object_set_new(json_object_get(rec, "HostConfig"), "PortBindings",
                        port_bindings(o->ports, o->n_ports));
    return 0;
}

/* Limits asked for must be enforceable here, before anything is made: the error says why
 * not (the same check is made at each start). */
static int
limits_check(const struct run_opts *o, rl_error_t *err)
{
    struct rl_cgroup_limits lim;
    struct rl_cgroup_base base = { 0 };
    cleanup_strv char **needed = NULL;
    int r;

    if (json_object_size(o->resources) == 0)
        return 0;
    rl_ctr_limits_of(o->resources, &lim);
    needed = rl_cgroup_limits_controllers(&lim);
    r = rl_cgroup_limits_validate(&lim, err);
    rl_cgroup_limits_release(&lim);
    if (r < 0)
        return -1;
    if (rl_ctr_cgroup_base(true, &base, err) < 0)
        return rl_error_wrap(err, "resource limits");
    r = rl_cgroup_check(&base, needed, err);
    rl_cgroup_base_release(&base);
    return r < 0 ? rl_error_wrap(err, "resource limits") : 0;
}

/* rl.Resources (the limits asked for, applied through a cgroup at each start: cmd/ctr.c),
 * rl.Cgroups ("disabled" or "enabled") and podman's HostConfig fields. */
static void
resources_record(const struct run_opts *o, json_t *rec)
{
    json_object_set_new(json_object_get(rec, "rl"), "Resources",
                        o->resources ? json_deep_copy(o->resources) : json_object());
    json_object_set_new(json_object_get(rec, "rl"), "Cgroups",
                        json_string(o->cgroups_disabled ? "disabled" : "enabled"));
    json_object_set_new(json_object_get(rec, "HostConfig"), "Cgroups",
                        json_string(o->cgroups_disabled ? "disabled" : "enabled"));
    rl_ctr_resources_hostconfig(rec);
}

/* The OCI config of a new container; REC gets podman's Config/HostConfig/Mounts. */
static int
build_spec(struct rl_ctx *ctx, struct run_opts *o, const struct image *im, const char *id,
           const char *name, const char *dir, json_t *rec, json_t **ret, rl_error_t *err)
{
    cleanup_strv char **args = NULL;
    cleanup_strv char **env = NULL;
    cleanup_strv char **masked = masked_paths(o, true);
    cleanup_strv char **ro = masked_paths(o, false);
    cleanup_free int *caps = NULL;
    cleanup_free char *hostname = xstrndup(id, 12);
    cleanup_free char *rootfs = xasprintf("%s/rootfs", dir);
    cleanup_free char *udir = xasprintf("%s/userdata", dir);
    cleanup_json json_t *spec = NULL;
    json_t *icfg = im->config;
    json_t *mounts = json_array(), *rec_mounts = json_array(), *anon = json_array();
    json_t *copyup = json_array();
    json_t *process, *lx, *capsj, *seccomp = NULL, *ns;
    const char *workdir = o->workdir;
    const char *user = o->user;
    const char *stop_signal = o->stop_signal;
    cleanup_free char *stop_name = NULL;
    cleanup_free char *keepid_user = NULL;
    size_t n_caps;
    bool root_user;

    if (o->hostname) {
        free(hostname);
        hostname = xstrdup(o->hostname);
    }
    if (process_args(o, icfg, &args, err) < 0 || process_env(o, icfg, hostname, &env, err) < 0)
        goto fail;
    if (o->keep_id && !o->user && keepid_passwd(o, rec, &env, err) < 0)
        goto fail;
    if (!workdir) {
        workdir = json_string_value(json_object_get(icfg, "WorkingDir"));
        if (!workdir || workdir[0] != '/')
            workdir = "/";
    }
    if (!user && o->keep_id) {
        keepid_user = xasprintf("%u:%u", (unsigned)o->host_uid, (unsigned)o->host_gid);
        user = keepid_user;
    }
    if (!user) {
        user = json_string_value(json_object_get(icfg, "User"));
        if (!user || !user[0])
            user = "0";
    }
    if (!stop_signal) {
        stop_signal = json_string_value(json_object_get(icfg, "StopSignal"));
        if (stop_signal) {
            cleanup_error rl_error_t tmp = NULL;
            if (rl_signal_parse(stop_signal, &tmp) < 0)
                stop_signal = NULL;
        }
        if (!stop_signal)
            stop_signal = "SIGTERM";
    }
    /* "usr1", "10" and "SIGUSR1" are all kept as podman shows them: "SIGUSR1". */
    {
        cleanup_error rl_error_t tmp = NULL;
        int sig = rl_signal_parse(stop_signal, &tmp);
        const char *abbrev = sig > 0 ? sigabbrev_np(sig) : NULL;
        if (abbrev) {
            free(stop_name);
            stop_name = xasprintf("SIG%s", abbrev);
            stop_signal = stop_name;
        }
    }
    root_user = strcmp(user, "0") == 0 || strcmp(user, "root") == 0 || rl_str_has_prefix(user, "0:")
                || rl_str_has_prefix(user, "root:");
    caps = final_caps(o, &n_caps);
    if (seccomp_json(o, caps, n_caps, &seccomp, err) < 0)
        goto fail;
    capsj =
        json_pack("{s:o, s:o, s:o, s:o}", "bounding", caps_json(caps, n_caps), "effective",
                  root_user ? caps_json(caps, n_caps) : json_array(), "permitted",
                  root_user ? caps_json(caps, n_caps) : json_array(), "inheritable", json_array());
    process = json_pack("{s:b, s:{s:i, s:i}, s:o, s:o, s:s, s:o, s:o, s:b}", "terminal", o->tty,
                        "user", "uid", 0, "gid", 0, "args", strv_json(args), "env", strv_json(env),
                        "cwd", workdir, "capabilities", capsj, "rlimits", rlimits_json(o),
                        "noNewPrivileges", o->sec.no_new_privs == 1);
    if (process == NULL)
        rl_oom();
    /* podman's default umask, whatever rl's own is. */
    json_object_set_new(json_object_get(process, "user"), "umask",
                        json_integer(o->umask ? strtol(o->umask, NULL, 8) : 022));
    if (o->has_oom_score_adj)
        json_object_set_new(process, "oomScoreAdj", json_integer(o->oom_score_adj));
    if (userdata_files(udir, o, hostname, name, id, im, err) < 0
        || build_mounts(ctx, o, udir, icfg, mounts, rec_mounts, anon, copyup, err) < 0) {
        json_decref(process);
        goto fail;
    }
    ns = json_pack("[{s:s}, {s:s}, {s:s}, {s:s}, {s:s}]", "type", "pid", "type", "ipc", "type",
                   "uts", "type", "mount", "type", "cgroup");
    if (o->netns)
        json_array_append_new(ns, json_pack("{s:s, s:s}", "type", "network", "path", o->netns));
    else if (o->net.mode != RL_NET_HOST)
        json_array_append_new(ns, json_pack("{s:s}", "type", "network"));
    lx = json_pack("{s:o, s:o, s:o}", "namespaces", ns, "maskedPaths", strv_json(masked),
                   "readonlyPaths", strv_json(ro));
    if (o->keep_id) {
        /* A user namespace inside the store's, where the caller's ids are their own: in the
         * store's namespace the caller is 0 and subordinate id k is k; the ids below the
         * caller's shift up by one to make room (fuse-overlayfs shows the image's files with
         * their own ids again: see rl_ctr_overlay_options). */
        json_array_append_new(ns, json_pack("{s:s}", "type", "user"));
        json_object_set_new(lx, "uidMappings", keepid_map(o->host_uid));
        json_object_set_new(lx, "gidMappings", keepid_map(o->host_gid));
    }
    if (seccomp)
        json_object_set_new(lx, "seccomp", seccomp);
    {
        /* podman's default: every group may ping in a network namespace of its own. */
        json_t *sc = json_object();
        if (o->net.mode != RL_NET_HOST)
            json_object_set_new(sc, "net.ipv4.ping_group_range", json_string("0 0"));
        json_object_update(sc, o->sysctls);
        json_object_set_new(lx, "sysctl", sc);
    }
    spec =
        json_pack("{s:s, s:o, s:{s:s, s:b}, s:s, s:o, s:o, s:O}", "ociVersion", "1.1.0", "process",
                  process, "root", "path", rootfs, "readonly", o->read_only, "hostname", hostname,
                  "mounts", mounts, "linux", lx, "annotations", o->annotations);
    mounts = NULL;
    if (spec == NULL)
        rl_oom();
    /* What podman's inspect shows, kept in the record. */
    {
        const char *iuser = json_string_value(json_object_get(icfg, "User"));
        json_t *icmd = json_object_get(icfg, "Cmd"), *iep = json_object_get(icfg, "Entrypoint");
        json_t *cfg = json_pack(
            "{s:s, s:s, s:o, s:o, s:o, s:s, s:O, s:s, s:I, s:b, s:b, s:s, s:b}", "Hostname",
            hostname, "User",
            o->user ? o->user
            : iuser ? iuser
                    : "",
            "Env", strv_json(env), "Cmd",
            o->argc > 1 ? strv_json(o->argv + 1)
            : icmd      ? json_deep_copy(icmd)
                        : json_null(),
            "Entrypoint",
            o->entrypoint ? json_string(o->entrypoint)
            : iep         ? json_deep_copy(iep)
                          : json_null(),
            "WorkingDir", workdir, "Labels", o->labels, "StopSignal", stop_signal, "StopTimeout",
            (json_int_t)(o->stop_timeout >= 0 ? o->stop_timeout : 10), "Tty", o->tty, "OpenStdin",
            o->interactive, "Image", im->name, "AttachStdin", o->interactive);
        json_t *ilabels = json_object_get(icfg, "Labels");
        const char *k;
        json_t *lv;
        /* Image labels, then the container's own. */
        if (json_is_object(ilabels)) {
            json_t *merged = json_deep_copy(ilabels);
            json_object_foreach (o->labels, k, lv)
                json_object_set(merged, k, lv);
            json_object_set_new(cfg, "Labels", merged);
        }
        json_object_set_new(cfg, "Annotations", json_deep_copy(o->annotations));
        json_object_set_new(rec, "Config", cfg);
    }
    json_object_set_new(rec, "Path", json_string(args[0]));
    json_object_set_new(rec, "Args", strv_json(args + 1));
    json_object_set_new(rec, "Mounts", rec_mounts);
    rec_mounts = NULL;
    {
        json_t *hc = json_pack(
            "{s:b, s:s, s:b, s:b, s:b, s:o, s:o, s:{s:s}, s:s}", "AutoRemove", o->rm, "NetworkMode",
            o->network, "ReadonlyRootfs", o->read_only, "Init", o->init, "Privileged",
            o->privileged, "CapAdd", caps_json(o->cap_add, o->n_cap_add), "CapDrop",
            caps_json(o->cap_drop, o->n_cap_drop), "LogConfig", "Type",
            o->log_driver ? o->log_driver : "k8s-file", "UsernsMode", o->keep_id ? "keep-id" : "");
        json_object_set_new(rec, "HostConfig", hc);
    }
    if (network_record(o, icfg, rec, err) < 0)
        goto fail;
    resources_record(o, rec);
    json_object_set_new(json_object_get(rec, "rl"), "User", json_string(user));
    json_object_set_new(json_object_get(rec, "rl"), "GroupAdd", strv_json(o->group_add));
    json_object_set_new(json_object_get(rec, "rl"), "CreateWorkdir", json_boolean(!o->workdir));
    json_object_set_new(json_object_get(rec, "rl"), "AnonymousVolumes", anon);
    json_object_set_new(json_object_get(rec, "rl"), "CopyUp", copyup);
    anon = copyup = NULL;
    *ret = steal_pointer(&spec);
    json_decref(mounts);
    return 0;
fail:
    json_decref(mounts);
    json_decref(rec_mounts);
    json_decref(anon);
    json_decref(copyup);
    return -1;
}

/* ------------------------------------------------------------------ create */

/* Create the container: record, directories, config.json. Returns its id. */
static int
create_container(struct rl_ctx *ctx, struct run_opts *o, char **ret_id, rl_error_t *err)
{
    struct image im = { 0 };
    cleanup_json json_t *rec = NULL;
    cleanup_json json_t *spec = NULL;
    cleanup_free char *id = NULL;
    cleanup_free char *dir = NULL;
    cleanup_free char *now = rl_now_rfc3339();
    cleanup_free char *text = NULL;
    cleanup_free char *cfgpath = NULL;
    json_t *lay;
    int ret = -1;

    if (resolve_image(ctx, o, &im, err) < 0)
        goto out;
    if (o->replace && o->name) {
        cleanup_free char *old = NULL;
        cleanup_error rl_error_t tmp = NULL;
        if (rl_ctr_lookup(ctx->store, o->name, &old, &tmp) == 0
            && rl_ctr_rm(ctx, old, true, false, err) < 0)
            goto out;
    }
    lay = strv_json(im.layers);
    rec = json_pack("{s:s, s:s, s:s, s:o, s:{s:s, s:b, s:b, s:b, s:b, s:b, s:i, s:i, s:s, s:s, "
                    "s:s}, s:{s:o, s:b, s:b, s:b, s:b, s:b}}",
                    "Created", now, "Image", im.id, "ImageName", im.name, "CreateCommand",
                    json_array(), "State", "Status", "created", "Running", 0, "Paused", 0,
                    "Restarting", 0, "OOMKilled", 0, "Dead", 0, "Pid", 0, "ExitCode", 0,
                    "StartedAt", "0001-01-01T00:00:00Z", "FinishedAt", "0001-01-01T00:00:00Z",
                    "Error", "", "rl", "Layers", lay, "Init", o->init, "Interactive",
                    o->interactive, "Tty", o->tty, "Remove", o->rm, "KeepId", o->keep_id);
    if (o->keep_id) {
        json_object_set_new(json_object_get(rec, "rl"), "KeepIdUid", json_integer(o->host_uid));
        json_object_set_new(json_object_get(rec, "rl"), "KeepIdGid", json_integer(o->host_gid));
    }
    if (rec == NULL)
        rl_oom();
    json_object_set_new(json_object_get(rec, "rl"), "LogDriver",
                        json_string(o->log_driver ? o->log_driver : "k8s-file"));
    if (rl_ctr_create(ctx->store, o->name, rec, &id, err) < 0)
        goto out;
    dir = rl_ctr_dir(ctx->store, id);
    {
        static const char *const sub[] = { "upper", "work", "rootfs" };
        for (size_t i = 0; i < RL_ARRAY_SIZE(sub); i++) {
            cleanup_free char *p = xasprintf("%s/%s", dir, sub[i]);
            if (mkdir(p, 0755) < 0) {
                rl_make_error(err, errno, "mkdir '%s'", p);
                goto fail;
            }
        }
    }
    if (build_spec(ctx, o, &im, id, json_string_value(json_object_get(rec, "Name")), dir, rec,
                   &spec, err)
        < 0)
        goto fail;
    /* Checked as rl oci would read it: a config rl cannot run is refused now. */
    text = json_dumps(spec, JSON_INDENT(1));
    {
        cleanup_spec struct rl_spec *parsed = NULL;
        if (rl_spec_parse(text, strlen(text), dir, &parsed, err) < 0)
            goto fail;
    }
    cfgpath = xasprintf("%s/config.json", dir);
    if (rl_write_file_atomic(cfgpath, text, strlen(text), 0600, false, err) < 0
        || rl_ctr_save(ctx->store, id, rec, err) < 0)
        goto fail;
    if (o->cidfile) {
        int fd = open(o->cidfile, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        if (fd < 0) {
            rl_make_error(err, errno, "--cidfile '%s'", o->cidfile);
            goto fail;
        }
        if (rl_write_all(fd, id, strlen(id), err) < 0) {
            close(fd);
            goto fail;
        }
        close(fd);
    }
    *ret_id = steal_pointer(&id);
    ret = 0;
    goto out;
fail : {
    cleanup_error rl_error_t tmp = NULL;
    if (rl_ctr_rm(ctx, id, true, true, &tmp) < 0)
        rl_error_warn_and_release(&tmp);
}
out:
    image_release(&im);
    return ret;
}

static int
run_or_create(struct rl_globals *g, const char *verb, int argc, char **argv, rl_error_t *err)
{
    struct run_opts o = { 0 };
    struct rl_ctx ctx = { 0 };
    cleanup_free char *id = NULL;
    int status = 0;
    int r;

    r = parse_run_opts(verb, argc, argv, &o, err);
    if (r != 0) {
        run_opts_release(&o);
        return r < 0 ? -1 : 0;
    }
    o.host_uid = getuid();
    o.host_gid = getgid();
    if (o.keep_id && (o.host_uid == 0 || o.host_uid > 65535 || o.host_gid > 65535)) {
        run_opts_release(&o);
        return rl_make_error(err, 0,
                             "--userns=keep-id: only for a user whose uid and gid are "
                             "between 1 and 65535");
    }
    if (rl_ctx_init(g, false, &ctx, err) < 0
        || rl_ctr_systemd_scope(&ctx, json_object_size(o.resources) > 0, err) < 0
        || rl_ctr_net_enter(&ctx, &o.net, &o.netns, err) < 0 || limits_check(&o, err) < 0
        || create_container(&ctx, &o, &id, err) < 0) {
        run_opts_release(&o);
        rl_ctx_release(&ctx);
        return -1;
    }
    if (strcmp(verb, "create") == 0) {
        printf("%s\n", id);
        r = 0;
    } else if (o.detach) {
        r = rl_ctr_start(&ctx, id, RL_START_DETACHED, true, NULL, err);
        if (r == 0)
            printf("%s\n", id);
    } else {
        fflush(stdout);
        r = rl_ctr_start(&ctx, id, RL_START_FOREGROUND, true, &status, err);
        if (r == 0)
            rl_exit_status = status;
    }
    run_opts_release(&o);
    rl_ctx_release(&ctx);
    return r;
}

int
cmd_run(struct rl_globals *g, int argc, char **argv, rl_error_t *err)
{
    return run_or_create(g, "run", argc, argv, err);
}

int
cmd_create(struct rl_globals *g, int argc, char **argv, rl_error_t *err)
{
    return run_or_create(g, "create", argc, argv, err);
}
