#include "config.h"

#include <dirent.h>
#include <fcntl.h>
#include <getopt.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "format.h"
#include "hostcheck.h"
#include "regconf.h"
#include "rl.h"
#include "ctrstore.h"
#include "fs.h"
#include "net.h"
#include "state.h"
#include "store.h"
#include "volume.h"

enum format {
    FORMAT_TEXT = 0,
    FORMAT_JSON,
};

static const char doctor_help[] =
    "Usage: rl doctor [--format text|json]\n"
    "\n"
    "Check that this host and user can run rootless containers.\n"
    "\n"
    "Each check prints ok, warning or error, what it found and, when something is\n"
    "missing, the command that fixes it. With warnings rl still runs containers, with\n"
    "less (a single-id map, no resource limits, no network, ...); an error stops it.\n"
    "\n"
    "Options:\n"
    "  -f, --format FORMAT  text (default) or json: an array of {name, status, message, fix}\n"
    "  -h, --help           show this help\n"
    "\n"
    "Exit status: 0 when rl can run containers, 1 when a check failed, 125 on usage errors.\n";

static const char info_help[] =
    "Usage: rl info [--format text|json]\n"
    "\n"
    "Show the host's facts and rl's build features: rl's version and features, the kernel,\n"
    "the user, the id maps containers get, where rl keeps runtime state, the overlay\n"
    "backend, cgroup version and delegation, the image store (path, driver, images,\n"
    "layers, their size, the registries.conf in use) and the results of 'rl doctor'.\n"
    "\n"
    "Options:\n"
    "  -f, --format FORMAT  text (default) or json: {\"host\": {...}, \"rl\": {...},\n"
    "                       \"store\": {...}, \"checks\": [...]}\n"
    "  -h, --help           show this help\n";

/* Parse "[-f|--format text|json] [-h|--help]". Returns 1 when help was printed. */
static int
parse_args(int argc, char **argv, const char *help, enum format *ret, rl_error_t *err)
{
    static const struct option long_options[] = {
        { "format", required_argument, NULL, 'f' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    enum format format = FORMAT_TEXT;
    const char *verb = argv[0];
    int c;

    opterr = 0;
    while ((c = getopt_long(argc, argv, "+:f:h", long_options, NULL)) != -1) {
        switch (c) {
        case 'f':
            if (strcmp(optarg, "json") == 0)
                format = FORMAT_JSON;
            else if (strcmp(optarg, "text") == 0)
                format = FORMAT_TEXT;
            else
                return rl_make_error(err, 0, "%s: unknown format '%s': use text or json", verb,
                                     optarg);
            break;
        case 'h':
            fputs(help, stdout);
            return 1;
        case ':':
            return rl_make_error(err, 0, "%s: option '%s' needs an argument", verb,
                                 argv[optind - 1]);
        default:
            if (optopt)
                return rl_make_error(err, 0, "%s: unknown option '-%c'", verb, optopt);
            return rl_make_error(err, 0, "%s: unknown option '%.*s'", verb,
                                 (int)strcspn(argv[optind - 1], "="), argv[optind - 1]);
        }
    }
    if (optind < argc)
        return rl_make_error(err, 0, "%s: unexpected argument '%s'", verb, argv[optind]);
    *ret = format;
    return 0;
}

static void
print_checks(const char *indent, const struct rl_check *checks, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const struct rl_check *c = &checks[i];

        printf("%s%-8s %-19s %s\n", indent, rl_check_status_name(c->status), c->name, c->message);
        if (c->fix && c->status != RL_CHECK_OK)
            printf("%s         fix: %s\n", indent, c->fix);
    }
}

static void
print_summary(const char *indent, const struct rl_check *checks, size_t n)
{
    size_t count[3] = { 0 };

    for (size_t i = 0; i < n; i++)
        count[checks[i].status]++;
    printf("%s%s: %zu ok, %zu warning%s, %zu error%s\n", indent,
           count[RL_CHECK_ERROR] ? "rl cannot run containers here"
                                 : "rl can run rootless containers here",
           count[RL_CHECK_OK], count[RL_CHECK_WARNING], count[RL_CHECK_WARNING] == 1 ? "" : "s",
           count[RL_CHECK_ERROR], count[RL_CHECK_ERROR] == 1 ? "" : "s");
}

static int
print_json(json_t *o, rl_error_t *err)
{
    int ret = json_dumpf(o, stdout, JSON_INDENT(2));

    json_decref(o);
    if (ret < 0)
        return rl_make_error(err, errno, "write JSON");
    putchar('\n');
    return 0;
}

int
cmd_doctor(struct rl_globals *g RL_UNUSED, int argc, char **argv, rl_error_t *err)
{
    struct rl_check *checks = NULL;
    enum format format;
    size_t n = 0;
    int ret;

    ret = parse_args(argc, argv, doctor_help, &format, err);
    if (ret != 0)
        return ret < 0 ? ret : 0;
    if (rl_hostcheck_run(&checks, &n, err) < 0)
        return rl_error_wrap(err, "doctor");
    if (format == FORMAT_JSON) {
        ret = print_json(rl_hostcheck_to_json(checks, n), err);
    } else {
        print_checks("", checks, n);
        print_summary("", checks, n);
    }
    /* Not rl's own failure: the answer is "no", so 1 rather than 125. */
    if (ret == 0 && rl_hostcheck_worst(checks, n) == RL_CHECK_ERROR)
        rl_exit_status = 1;
    rl_hostcheck_free(checks, n);
    return ret;
}

static char *
map_text(const struct rl_idmap_range *map, size_t n)
{
    char *out = xstrdup("");

    for (size_t i = 0; i < n; i++) {
        char *next = xasprintf("%s%s%u %u %u", out, i ? ", " : "", map[i].container_id,
                               map[i].host_id, map[i].size);
        free(out);
        out = next;
    }
    return out;
}

/* The image store as it is on disk, read without creating or changing anything. */
struct store_info {
    char *path;
    bool exists;
    size_t images, layers;
    size_t containers, running, volumes;
    char *runtime; /* the runtime state directory of running containers */
    char *driver;  /* "overlay" or "fuse-overlayfs": chosen at the first start, else guessed */
    int64_t layers_bytes;
    char *regconf;  /* the main registries.conf, or NULL */
    char **dropins; /* its drop-ins, NULL-terminated */
};

static void
store_info_release(struct store_info *si)
{
    free(si->path);
    free(si->runtime);
    free(si->driver);
    free(si->regconf);
    rl_strv_free(si->dropins);
}

/* Count the images and the layers, and the bytes below layers/ that this process can see (in
 * a rootless store, directories that belong to subordinate ids and deny others are not
 * entered). Problems are warnings: info shows what it can. */
static void
store_info_gather(const char *root, struct store_info *si)
{
    struct rl_store s = { .root_fd = -1, .lock_fd = -1 };
    cleanup_json json_t *images = NULL;
    cleanup_error rl_error_t err = NULL;
    cleanup_close int layers_fd = -1;
    cleanup_dir DIR *d = NULL;
    struct dirent *de;

    si->path = root ? xstrdup(root) : rl_store_default_root();
    rl_regconf_files(&si->regconf, &si->dropins);
    if (rl_runtime_dir(NULL, "containers", &si->runtime, &err) < 0)
        rl_error_warn_and_release(&err);
    {
        cleanup_strv char **ids = NULL;
        struct rl_volume **vols = NULL;
        size_t nv = 0;
        if (rl_ctr_list(si->path, &ids, &err) < 0)
            rl_error_warn_and_release(&err);
        for (size_t i = 0; ids && ids[i]; i++) {
            cleanup_json json_t *rec = NULL;
            cleanup_error rl_error_t tmp = NULL;
            si->containers++;
            if (rl_ctr_load(si->path, ids[i], &rec, &tmp) == 0) {
                rl_ctr_refresh(rec);
                si->running += rl_ctr_is_running(rec);
            }
        }
        if (rl_volume_list(si->path, &vols, &nv, &err) < 0)
            rl_error_warn_and_release(&err);
        si->volumes = nv;
        rl_volume_list_free(vols, nv);
    }
    s.root = si->path;
    s.root_fd = open(si->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (s.root_fd < 0) {
        if (errno != ENOENT)
            rl_warning("info: open the image store '%s': %s", si->path, strerror(errno));
        return;
    }
    si->exists = true;
    /* A shared lock, as the image verbs take to read; without the lock file, no store yet. */
    s.lock_fd = openat(s.root_fd, "storage.lock", O_RDONLY | O_CLOEXEC);
    if (s.lock_fd >= 0 && rl_store_lock(&s, LOCK_SH, &err) < 0)
        rl_error_warn_and_release(&err);
    if (rl_store_images_load(&s, &images, &err) < 0)
        rl_error_warn_and_release(&err);
    else
        si->images = json_array_size(images);
    layers_fd = openat(s.root_fd, "layers", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (layers_fd >= 0 && (d = fdopendir(layers_fd)) != NULL) {
        layers_fd = -1;
        while ((de = readdir(d)) != NULL) {
            struct stat st;

            if (de->d_name[0] == '.' || fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0
                || !S_ISDIR(st.st_mode))
                continue;
            si->layers++;
            si->layers_bytes += rl_store_layer_disk_usage(&s, de->d_name);
        }
    }
    if (s.lock_fd >= 0)
        close(s.lock_fd);
    close(s.root_fd);
}

static json_t *
store_info_json(const struct store_info *si)
{
    json_t *dropins = json_array();
    json_t *o;

    for (size_t i = 0; si->dropins && si->dropins[i]; i++)
        json_array_append_new(dropins, json_string(si->dropins[i]));
    o = json_pack("{s:s, s:b, s:{s:s, s:[s]}, s:I, s:I, s:I, s:s?, s:o, s:I, s:I, s:I, s:s?}",
                  "path", si->path, "exists", si->exists, "graphDriver", "name", si->driver,
                  "options", strcmp(si->driver, "overlay") == 0 ? "userxattr" : "allow_other",
                  "images", (json_int_t)si->images, "layers", (json_int_t)si->layers, "layersBytes",
                  (json_int_t)si->layers_bytes, "registriesConf", si->regconf,
                  "registriesConfDropIns", dropins, "containers", (json_int_t)si->containers,
                  "containersRunning", (json_int_t)si->running, "volumes", (json_int_t)si->volumes,
                  "runtimeDir", si->runtime);
    if (o == NULL)
        abort();
    return o;
}

static void
print_store_text(const struct store_info *si)
{
    char size[32];

    rl_human_size(si->layers_bytes, size, sizeof(size));
    printf("store:\n");
    printf("  path:         %s%s\n", si->path, si->exists ? "" : " (not created yet)");
    printf("  driver:       %s\n",
           strcmp(si->driver, "overlay") == 0 ? "overlay (userxattr)" : si->driver);
    printf("  images:       %zu\n", si->images);
    printf("  layers:       %zu, %s\n", si->layers, size);
    printf("  containers:   %zu (%zu running)\n", si->containers, si->running);
    printf("  volumes:      %zu\n", si->volumes);
    printf("  runtime dir:  %s\n", si->runtime ? si->runtime : "(none usable)");
    printf("  registries:   %s\n", si->regconf ? si->regconf : "no registries.conf");
    for (size_t i = 0; si->dropins && si->dropins[i]; i++)
        printf("                + %s\n", si->dropins[i]);
}

/* rl-full, which runs pull, login, save, load, import, cp and export for rl (cmd/lite.c):
 * its path, or "not found"; NULL in rl-full itself. Caller frees. */
static char *
full_info(void)
{
#ifdef RL_LITE
    char *path = rl_full_path();
    return path ? path : xstrdup("not found: reinstall rl");
#else
    return NULL;
#endif
}

static void
print_info_text(const struct rl_hostinfo *h, const struct store_info *si, const char *full)
{
    cleanup_free char *uids = map_text(h->uid_map, h->n_uid_map);
    cleanup_free char *gids = map_text(h->gid_map, h->n_gid_map);
    const char *overlay = strcmp(h->overlay, "overlay") == 0 ? "kernel overlay" : h->overlay;

    printf("rl:\n");
    printf("  version:      %s\n", PACKAGE_VERSION);
    printf("  features:     %s\n", RL_FEATURES);
    printf("  network:      user-mode (libslirp %s) in each container's monitor\n",
           rl_net_libslirp_version());
    if (full)
        printf("  rl-full:      %s\n", full);
    printf("host:\n");
    printf("  kernel:       %s %s %s\n", h->kernel_name, h->kernel_release, h->machine);
    if (h->os)
        printf("  os:           %s\n", h->os);
    printf("  user:         %s (uid %u, gid %u)\n", h->user, (unsigned)h->uid, (unsigned)h->gid);
    printf("  id mapping:   %s\n", h->id_mapping);
    printf("  uid map:      %s\n", uids);
    printf("  gid map:      %s\n", gids);
    printf("  newuidmap:    %s\n", h->newuidmap ? h->newuidmap : "not found");
    printf("  newgidmap:    %s\n", h->newgidmap ? h->newgidmap : "not found");
    printf("  runtime dir:  %s%s\n", h->runtime_dir,
           h->runtime_dir_fallback ? " (not under XDG_RUNTIME_DIR)" : "");
    printf("  userns:       %s\n", h->userns ? "yes" : "no");
    printf("  overlay:      %s\n", overlay);
    printf("  cgroup:       %s", h->cgroup_mode);
    if (h->cgroup_mount)
        printf(", v2 at %s", h->cgroup_mount);
    if (h->cgroup_path)
        printf(", cgroup %s", h->cgroup_path);
    if (h->cgroup_dir)
        printf(", %s, controllers: %s", h->cgroup_delegated ? "delegated" : "not delegated",
               h->cgroup_controllers && h->cgroup_controllers[0] ? h->cgroup_controllers : "none");
    printf("\n");
    print_store_text(si);
    printf("checks:\n");
    print_checks("  ", h->checks, h->n_checks);
    print_summary("  ", h->checks, h->n_checks);
}

int
cmd_info(struct rl_globals *g, int argc, char **argv, rl_error_t *err)
{
    struct rl_hostinfo *h = NULL;
    struct store_info si = { 0 };
    cleanup_free char *full = NULL;
    enum format format;
    int ret;

    ret = parse_args(argc, argv, info_help, &format, err);
    if (ret != 0)
        return ret < 0 ? ret : 0;
    if (rl_hostinfo_gather(&h, err) < 0)
        return rl_error_wrap(err, "info");
    store_info_gather(g->root, &si);
    {
        /* What the first container start chose, else what the checks found; with an
         * override (RL_ROOTFS_DRIVER), that. */
        cleanup_free char *path = xasprintf("%s/cache/rootfs-driver", si.path);
        cleanup_free char *text = NULL;
        cleanup_error rl_error_t tmp = NULL;
        const char *env = getenv("RL_ROOTFS_DRIVER");
        if (env && (strcmp(env, "overlay") == 0 || strcmp(env, "fuse-overlayfs") == 0))
            si.driver = xstrdup(env);
        else if (rl_read_file(path, 64, &text, NULL, &tmp) == 0 && text[0])
            si.driver = xstrndup(text, strcspn(text, "\n"));
        else
            si.driver =
                xstrdup(h->overlay && strcmp(h->overlay, "none") != 0 ? h->overlay : "overlay");
    }
    full = full_info();
    if (format == FORMAT_JSON) {
        json_t *o =
            json_pack("{s:o, s:{s:s, s:s, s:s, s:s?}, s:o, s:o}", "host", rl_hostinfo_to_json(h),
                      "rl", "version", PACKAGE_VERSION, "features", RL_FEATURES, "libslirp",
                      rl_net_libslirp_version(), "full", full, "store", store_info_json(&si),
                      "checks", rl_hostcheck_to_json(h->checks, h->n_checks));
        if (o == NULL)
            abort();
        ret = print_json(o, err);
    } else {
        print_info_text(h, &si, full);
    }
    store_info_release(&si);
    rl_hostinfo_free(h);
    return ret;
}
