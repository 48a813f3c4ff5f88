/* Image verbs: pull, images, rmi, tag, image inspect/prune/exists, login, logout. */
#include "config.h"

#include <curl/curl.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <getopt.h>
#include <linux/nsfs.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "auth.h"
#include "ctr.h"
#include "ctrstore.h"
#include "format.h"
#include "fs.h"
#include "idmap.h"
#include "manifest.h"
#include "pull.h"
#include "ref.h"
#include "rl.h"
#include "store.h"

#define HELP_PULL                                                                        \
    "Usage: rl pull [OPTIONS] IMAGE [IMAGE...]\n\n"                                      \
    "Pull images from a registry into the local store.\n\n"                              \
    "Options:\n"                                                                         \
    "  -q, --quiet              no progress output; print only the image id\n"           \
    "      --platform OS/ARCH[/VARIANT]  the image to take from a multi-arch index\n"    \
    "      --arch ARCH, --os OS, --variant V  the same, one part at a time\n"            \
    "      --tls-verify[=BOOL]  check TLS certificates (default true, or false for an\n" \
    "                           insecure registry of registries.conf); false also\n"     \
    "                           allows plain http\n"                                     \
    "      --creds USER[:PASS]  credentials for the registry\n"                          \
    "      --authfile FILE      credentials file (default: podman's auth.json)\n"        \
    "      --cert-dir DIR       extra CA certificates (*.crt) for the registry\n"        \
    "  -j, --jobs N             parallel layer downloads (default 6)\n"                  \
    "  -h, --help               show this help\n"

#define HELP_IMAGES                                                                     \
    "Usage: rl images [OPTIONS] [REPOSITORY[:TAG]]\n\n"                                 \
    "List the images in the local store.\n\n"                                           \
    "Options:\n"                                                                        \
    "  -a, --all                all images (rl has no intermediate images to hide,\n"   \
    "                           so every image is listed with or without it)\n"         \
    "      --sort KEY           created (newest first, the default), id, repository,\n" \
    "                           size or tag\n"                                          \
    "  -f, --filter KEY=VALUE   only the images that match (repeatable):\n"             \
    "                           dangling=true|false, reference=PATTERN,\n"              \
    "                           label=KEY[=VALUE], before=IMAGE, since=IMAGE,\n"        \
    "                           id=PREFIX\n"                                            \
    "  -q, --quiet              only image ids\n"                                       \
    "      --no-trunc           full image ids\n"                                       \
    "      --digests            show digests\n"                                         \
    "  -n, --noheading          no header line\n"                                       \
    "      --format FORMAT      table (default), json, or a Go template such as\n"      \
    "                           '{{.Repository}}:{{.Tag}}'\n"                           \
    "  -h, --help               show this help\n"

#define HELP_RMI                                                                  \
    "Usage: rl rmi [OPTIONS] IMAGE [IMAGE...]\n\n"                                \
    "Remove images from the local store, and the layers no other image uses.\n\n" \
    "Options:\n"                                                                  \
    "  -a, --all                remove every image\n"                             \
    "  -f, --force              remove an image with several names, or in use\n"  \
    "  -i, --ignore             no error for images that are not there\n"         \
    "  -h, --help               show this help\n"

#define HELP_TAG                             \
    "Usage: rl tag IMAGE NAME [NAME...]\n\n" \
    "Give an image more names.\n"

#define HELP_INSPECT                                                 \
    "Usage: rl image inspect [--format FORMAT] IMAGE [IMAGE...]\n\n" \
    "Show an image's details as JSON, or through a Go template (--format '{{.Id}}').\n"

#define HELP_PRUNE                                                                \
    "Usage: rl image prune [OPTIONS]\n\n"                                         \
    "Remove images without a name (dangling), and the layers only they used.\n\n" \
    "Options:\n"                                                                  \
    "  -a, --all                remove every image not used by a container\n"     \
    "  -f, --force              do not ask for confirmation\n"                    \
    "  -h, --help               show this help\n"

#define HELP_IMAGE                                                    \
    "Usage: rl image COMMAND [OPTIONS] [ARG...]\n\n"                  \
    "Manage images.\n\n"                                              \
    "Commands:\n"                                                     \
    "  exists     exit 0 when an image is in the store, 1 when not\n" \
    "  history    show how an image was built\n"                      \
    "  inspect    show an image's details\n"                          \
    "  ls, list   list images (rl images)\n"                          \
    "  prune      remove images without a name\n"                     \
    "  pull       pull an image (rl pull)\n"                          \
    "  rm         remove images (rl rmi)\n"                           \
    "  tag        name an image (rl tag)\n"

#define HELP_LOGIN                                                                       \
    "Usage: rl login [OPTIONS] REGISTRY\n\n"                                             \
    "Check credentials against a registry and store them in auth.json.\n\n"              \
    "Options:\n"                                                                         \
    "  -u, --username USER      user name (asked for on a terminal when missing)\n"      \
    "  -p, --password PASS      password (asked for on a terminal when missing)\n"       \
    "      --password-stdin     read the password from standard input\n"                 \
    "      --authfile FILE      where to store them (default\n"                          \
    "                           $XDG_RUNTIME_DIR/containers/auth.json)\n"                \
    "      --tls-verify[=BOOL]  check TLS certificates (default true, or false for an\n" \
    "                           insecure registry of registries.conf)\n"                 \
    "      --cert-dir DIR       extra CA certificates (*.crt)\n"                         \
    "      --get-login          print the user name stored for REGISTRY\n"               \
    "  -h, --help               show this help\n"

#define HELP_LOGOUT                                                    \
    "Usage: rl logout [OPTIONS] REGISTRY\n\n"                          \
    "Remove stored credentials.\n\n"                                   \
    "Options:\n"                                                       \
    "  -a, --all                remove every registry's credentials\n" \
    "      --authfile FILE      the credentials file\n"                \
    "  -h, --help               show this help\n"

int
rl_cmd_bad_option(const char *verb, int argc, char **argv, rl_error_t *err)
{
    const char *arg = optind > 0 && optind <= argc ? argv[optind - 1] : "?";
    return rl_make_error(err, 0, "%s: unknown option or missing value '%s' (see 'rl %s --help')",
                         verb, arg, verb);
}

int
rl_cmd_parse_bool(const char *opt, const char *v, bool *ret, rl_error_t *err)
{
    if (v == NULL || strcmp(v, "true") == 0 || strcmp(v, "1") == 0)
        *ret = true;
    else if (strcmp(v, "false") == 0 || strcmp(v, "0") == 0)
        *ret = false;
    else
        return rl_make_error(err, 0, "%s: '%s' is not a boolean: use true or false", opt, v);
    return 0;
}

/* "X: image not known" carries ENOENT for the exit status; it needs no strerror. */
static int
plain_error(rl_error_t *err)
{
    char *msg = steal_pointer(&(*err)->msg);
    rl_error_release(err);
    rl_make_error(err, 0, "%s", msg);
    free(msg);
    return -1;
}

static bool entered;

int
rl_cmd_store_userns_join(int nsfd, const char *what, rl_error_t *err)
{
    if (entered) {
        /* Only when the namespace is ours already: a user namespace cannot be left. */
        cleanup_close int owner = ioctl(nsfd, NS_GET_USERNS);
        cleanup_close int self = open("/proc/self/ns/user", O_RDONLY | O_CLOEXEC);
        struct stat a, b;
        if (owner >= 0 && self >= 0 && fstat(owner, &a) == 0 && fstat(self, &b) == 0
            && a.st_ino == b.st_ino && a.st_dev == b.st_dev)
            return 0;
        return rl_make_error(err, EBUSY,
                             "%s: it belongs to another container's user namespace, which this "
                             "command cannot join once it acted on other containers: start "
                             "the container alone (rl start NAME)",
                             what);
    }
    if (rl_userns_join_owner(nsfd, what, err) < 0)
        return -1;
    entered = true;
    return 0;
}

int
rl_cmd_store_userns(bool *single, rl_error_t *err)
{
    static bool was_single;

    if (!entered) {
        if (rl_userns_enter(&was_single, err) < 0)
            return -1;
        entered = true;
    }
    if (single)
        *single = was_single;
    return 0;
}

/* ------------------------------------------------------------------ pull */

#ifndef RL_LITE /* rl has no registry client: rl-full pulls (cmd/lite.c) */
int
rl_cmd_pull(struct rl_store *s, const char *name, const struct rl_pull_opts *opts, char **ret_id,
            rl_error_t *err)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    return rl_pull(s, name, opts, ret_id, err);
}

int
cmd_pull(struct rl_globals *g, int argc, char **argv, rl_error_t *err)
{
    enum {
        OPT_PLATFORM = 256,
        OPT_TLS,
        OPT_CREDS,
        OPT_AUTHFILE,
        OPT_CERTDIR,
        OPT_ARCH,
        OPT_OS,
        OPT_VARIANT
    };
    static const struct option opts[] = {
        { "quiet", no_argument, NULL, 'q' },
        { "platform", required_argument, NULL, OPT_PLATFORM },
        { "arch", required_argument, NULL, OPT_ARCH },
        { "os", required_argument, NULL, OPT_OS },
        { "variant", required_argument, NULL, OPT_VARIANT },
        { "tls-verify", optional_argument, NULL, OPT_TLS },
        { "creds", required_argument, NULL, OPT_CREDS },
        { "authfile", required_argument, NULL, OPT_AUTHFILE },
        { "cert-dir", required_argument, NULL, OPT_CERTDIR },
        { "jobs", required_argument, NULL, 'j' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    struct rl_pull_opts po = { .registry = { .tls_verify = -1 } };
    cleanup_store struct rl_store *s = NULL;
    cleanup_free char *platform = NULL;
    const char *arch = NULL, *os = NULL, *variant = NULL;
    long long v;
    bool b;
    int c;

    opterr = 0;
    while ((c = getopt_long(argc, argv, "qj:h", opts, NULL)) != -1) {
        switch (c) {
        case 'q':
            po.quiet = true;
            break;
        case OPT_PLATFORM:
            po.platform = optarg;
            break;
        case OPT_ARCH:
            arch = optarg;
            break;
        case OPT_OS:
            os = optarg;
            break;
        case OPT_VARIANT:
            variant = optarg;
            break;
        case OPT_TLS:
            if (rl_cmd_parse_bool("--tls-verify", optarg, &b, err) < 0)
                return -1;
            po.registry.tls_verify = b;
            break;
        case OPT_CREDS:
            po.registry.creds = optarg;
            break;
        case OPT_AUTHFILE:
            po.registry.auth_file = optarg;
            break;
        case OPT_CERTDIR:
            po.registry.cert_dir = optarg;
            break;
        case 'j':
            if (!rl_parse_ll(optarg, 1, 64, &v))
                return rl_make_error(err, 0, "--jobs: '%s' is not a number from 1 to 64", optarg);
            po.jobs = (int)v;
            break;
        case 'h':
            fputs(HELP_PULL, stdout);
            return 0;
        default:
            return rl_cmd_bad_option("pull", argc, argv, err);
        }
    }
    if (optind >= argc)
        return rl_make_error(err, 0, "pull: missing image name (see 'rl pull --help')");
    if (!po.platform && (arch || os || variant)) {
        struct rl_platform host = { 0 };
        rl_platform_host(&host);
        platform = xasprintf("%s/%s%s%s", os ? os : host.os, arch ? arch : host.architecture,
                             variant ? "/" : "", variant ? variant : "");
        rl_platform_release(&host);
        po.platform = platform;
    }
    if (po.platform) {
        struct rl_platform p = { 0 };
        if (rl_platform_parse(po.platform, &p, err) < 0)
            return rl_error_wrap(err, "pull");
        rl_platform_release(&p);
    }
    /* Names are checked before anything is fetched. */
    for (int i = optind; i < argc; i++) {
        cleanup_image_ref struct rl_image_ref *ref = NULL;
        if (rl_image_ref_parse(argv[i], &ref, err) < 0)
            return rl_error_wrap(err, "pull");
    }
    if (rl_store_open(g->root, &s, err) < 0 || rl_cmd_store_userns(&po.single_id, err) < 0)
        return -1;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    for (int i = optind; i < argc; i++) {
        cleanup_free char *id = NULL;
        if (rl_pull(s, argv[i], &po, &id, err) < 0)
            return -1;
        printf("%s\n", id);
        fflush(stdout);
    }
    return 0;
}
#endif

/* ------------------------------------------------------------------ images */

static void
split_name(const char *name, char **repo, char **tag)
{
    const char *at = strchr(name, '@');
    const char *slash = strrchr(name, '/');
    const char *colon = strrchr(name, ':');

    if (at) {
        *repo = xstrndup(name, (size_t)(at - name));
        *tag = xstrdup("<none>");
    } else if (colon && (!slash || colon > slash)) {
        *repo = xstrndup(name, (size_t)(colon - name));
        *tag = xstrdup(colon + 1);
    } else {
        *repo = xstrdup(name);
        *tag = xstrdup("<none>");
    }
}

static json_t *
load_config(struct rl_store *s, json_t *img)
{
    const char *id = json_string_value(json_object_get(img, "id"));
    cleanup_free char *digest = xasprintf("sha256:%s", id ? id : "");
    cleanup_free char *buf = NULL;
    cleanup_error rl_error_t tmp = NULL;
    size_t len;

    if (rl_store_blob_read(s, digest, RL_CONFIG_MAX_SIZE, &buf, &len, &tmp) < 0)
        return json_object();
    json_t *j = json_loadb(buf, len, 0, NULL);
    return j ? j : json_object();
}

/* One row per name (podman lists an image once per repository:tag). */
static json_t *
image_rows(struct rl_store *s, json_t *images, bool all, bool no_trunc, const char *filter)
{
    json_t *rows = json_array(), *img;
    size_t i;

    json_array_foreach (images, i, img) {
        const char *id = json_string_value(json_object_get(img, "id"));
        json_t *names = json_object_get(img, "names");
        const char *digest = json_string_value(json_object_get(img, "digest"));
        const char *created = json_string_value(json_object_get(img, "created"));
        time_t ct = rl_parse_rfc3339(created);
        char size[32], since[64];
        cleanup_free char *fullid = xasprintf("sha256:%s", id);
        size_t n = json_array_size(names);
        cleanup_json json_t *labels = NULL;

        rl_human_size(json_integer_value(json_object_get(img, "size")), size, sizeof(size));
        if (ct >= 0)
            rl_human_ago(ct, since, sizeof(since));
        else
            snprintf(since, sizeof(since), "Unknown");
        for (size_t k = 0; k < (n ? n : 1); k++) {
            cleanup_free char *repo = NULL, *tag = NULL;
            const char *name = n ? json_string_value(json_array_get(names, k)) : NULL;
            json_t *row;

            if (name)
                split_name(name, &repo, &tag);
            else
                repo = xstrdup("<none>"), tag = xstrdup("<none>");
            if (filter) {
                cleanup_free char *full = NULL;
                cleanup_image_ref struct rl_image_ref *ref = NULL;
                cleanup_error rl_error_t tmp = NULL;
                bool match = name && (strcmp(filter, name) == 0 || strcmp(filter, repo) == 0);
                if (!match && rl_image_ref_parse(filter, &ref, &tmp) == 0) {
                    full = rl_image_ref_format(ref);
                    match = name
                            && (strcmp(full, name) == 0
                                || (strchr(filter, ':') == NULL && rl_str_has_prefix(full, repo)
                                    && strlen(full) > strlen(repo) && full[strlen(repo)] == ':'));
                }
                if (!match)
                    continue;
            }
            row =
                json_pack("{s:s%, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:I}", "ID",
                          no_trunc ? fullid : id, no_trunc ? strlen(fullid) : (size_t)12,
                          "Repository", repo, "Tag", tag, "Digest", digest ? digest : "",
                          "CreatedSince", since, "CreatedAt", created ? created : "", "Size", size,
                          "Id", id, "SizeBytes", json_integer_value(json_object_get(img, "size")),
                          "Created", (json_int_t)(ct >= 0 ? ct : 0));
            /* The other fields podman's templates know. */
            json_object_set_new(row, "Dangling", json_boolean(n == 0));
            json_object_set_new(row, "Containers", json_integer(0));
            json_object_set_new(row, "ReadOnly", json_false());
            json_object_set(row, "Names", json_object_get(img, "names"));
            json_object_set(row, "History", json_object_get(img, "names"));
            if (labels == NULL) {
                cleanup_json json_t *cfg = load_config(s, img);
                json_t *l = json_object_get(json_object_get(cfg, "config"), "Labels");
                labels = json_is_object(l) ? json_incref(l) : json_object();
            }
            json_object_set(row, "Labels", labels);
            json_array_append_new(rows, row);
        }
    }
    return rows;
}

/* ------------------------------------------------------------------ images --sort */

static const char *sort_key;

static int
row_cmp(const void *a, const void *b)
{
    json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
    int r;

    if (strcmp(sort_key, "created") == 0) { /* newest first, as podman */
        json_int_t cx = json_integer_value(json_object_get(x, "Created"));
        json_int_t cy = json_integer_value(json_object_get(y, "Created"));
        r = cx < cy ? 1 : cx > cy ? -1 : 0;
    } else if (strcmp(sort_key, "size") == 0) {
        json_int_t sx = json_integer_value(json_object_get(x, "SizeBytes"));
        json_int_t sy = json_integer_value(json_object_get(y, "SizeBytes"));
        r = sx < sy ? -1 : sx > sy ? 1 : 0;
    } else {
        const char *f = strcmp(sort_key, "id") == 0           ? "Id"
                        : strcmp(sort_key, "repository") == 0 ? "Repository"
                                                              : "Tag";
        r = strcmp(json_string_value(json_object_get(x, f)) ?: "",
                   json_string_value(json_object_get(y, f)) ?: "");
    }
    if (r == 0) /* stable: then by name */
        r = strcmp(json_string_value(json_object_get(x, "Repository")) ?: "",
                   json_string_value(json_object_get(y, "Repository")) ?: "");
    return r;
}

/* --sort created (newest first, the default), id, repository, size or tag. */
static void
sort_rows(json_t *rows, const char *key)
{
    size_t n = json_array_size(rows);
    cleanup_free json_t **v = xzalloc((n ? n : 1) * sizeof(json_t *));

    for (size_t i = 0; i < n; i++)
        v[i] = json_incref(json_array_get(rows, i));
    sort_key = key;
    qsort(v, n, sizeof(json_t *), row_cmp);
    json_array_clear(rows);
    for (size_t i = 0; i < n; i++)
        json_array_append_new(rows, v[i]);
}

/* ------------------------------------------------------------------ images --filter */

#define FILTERS_MAX 64

static const char *const filter_keys[] = {
    "dangling", "reference", "label", "before", "since", "after", "id",
};

struct image_filter {
    const char *key; /* one of filter_keys; "after" is stored as "since" */
    const char *value;
    bool dangling;   /* dangling= */
    int64_t time_ns; /* before=, since=: the named image's time */
};

/* When IMG came into the store ("added"; "created" for records without it), in ns. */
static int64_t
image_time_ns(json_t *img)
{
    const char *t = json_string_value(json_object_get(img, "added"));
    const char *frac;
    time_t sec;
    int64_t ns = 0, scale = 100000000;

    if (t == NULL)
        t = json_string_value(json_object_get(img, "created"));
    sec = rl_parse_rfc3339(t);
    if (sec < 0)
        return -1;
    frac = strchr(t, '.');
    if (frac && frac > strchr(t, 'T')) {
        for (frac++; *frac >= '0' && *frac <= '9' && scale > 0; frac++, scale /= 10)
            ns += (*frac - '0') * scale;
    }
    return (int64_t)sec * 1000000000 + ns;
}

/* Check "KEY=VALUE" and resolve what it names (before=, since= need an image of IMAGES). */
static int
parse_filter(const char *arg, json_t *images, struct image_filter *f, rl_error_t *err)
{
    const char *eq = strchr(arg, '=');
    size_t klen = eq ? (size_t)(eq - arg) : strlen(arg);
    long idx;

    f->key = NULL;
    for (size_t i = 0; i < RL_ARRAY_SIZE(filter_keys); i++)
        if (strlen(filter_keys[i]) == klen && strncmp(arg, filter_keys[i], klen) == 0)
            f->key = strcmp(filter_keys[i], "after") == 0 ? "since" : filter_keys[i];
    if (f->key == NULL)
        return rl_make_error(err, 0, "invalid filter '%.*s'", (int)klen, arg);
    if (eq == NULL || eq[1] == '\0')
        return rl_make_error(err, 0, "invalid filter '%s': expected %.*s=VALUE", arg, (int)klen,
                             arg);
    f->value = eq + 1;
    if (strcmp(f->key, "dangling") == 0) {
        if (strcmp(f->value, "true") != 0 && strcmp(f->value, "false") != 0)
            return rl_make_error(err, 0, "invalid filter '%s': use dangling=true or false", arg);
        f->dangling = strcmp(f->value, "true") == 0;
    } else if (strcmp(f->key, "before") == 0 || strcmp(f->key, "since") == 0) {
        idx = rl_store_image_find(images, f->value, err);
        if (idx < 0) {
            plain_error(err);
            return rl_error_wrap(err, "filter '%s'", arg);
        }
        f->time_ns = image_time_ns(json_array_get(images, (size_t)idx));
        if (f->time_ns < 0)
            return rl_make_error(err, 0, "filter '%s': the image has no time", arg);
    }
    return 0;
}

/* PATTERN (a glob, '*' stops at '/') against each name of IMG: the whole name, and the
 * repository with and without its tag from each '/' on ("127.0.0.1:5115/rl-test/busybox",
 * "rl-test/busybox", "busybox", each also with ":latest"). */
static bool
match_reference(json_t *img, const char *pattern)
{
    json_t *names = json_object_get(img, "names"), *v;
    size_t i;

    json_array_foreach (names, i, v) {
        const char *name = json_string_value(v);
        cleanup_free char *repo = NULL, *tag = NULL;

        if (name == NULL)
            continue;
        if (fnmatch(pattern, name, FNM_PATHNAME) == 0)
            return true;
        split_name(name, &repo, &tag);
        for (const char *p = repo; p; p = strchr(p, '/') ? strchr(p, '/') + 1 : NULL) {
            cleanup_free char *tagged = xasprintf("%s:%s", p, tag);
            if (fnmatch(pattern, p, FNM_PATHNAME) == 0
                || (strcmp(tag, "<none>") != 0 && fnmatch(pattern, tagged, FNM_PATHNAME) == 0))
                return true;
        }
    }
    return false;
}

static bool
match_label(json_t *cfg, const char *want)
{
    json_t *labels = json_object_get(json_object_get(cfg, "config"), "Labels");
    const char *eq = strchr(want, '=');
    cleanup_free char *key = eq ? xstrndup(want, (size_t)(eq - want)) : xstrdup(want);
    json_t *v = json_object_get(labels, key);

    if (!json_is_string(v))
        return false;
    return eq == NULL || strcmp(json_string_value(v), eq + 1) == 0;
}

static bool
match_filter(struct rl_store *s, json_t *img, json_t **cfg, const struct image_filter *f)
{
    const char *id = json_string_value(json_object_get(img, "id"));
    const char *key = f->key;

    if (strcmp(key, "dangling") == 0)
        return (json_array_size(json_object_get(img, "names")) == 0) == f->dangling;
    if (strcmp(key, "reference") == 0)
        return match_reference(img, f->value);
    if (strcmp(key, "label") == 0) {
        if (*cfg == NULL)
            *cfg = load_config(s, img);
        return match_label(*cfg, f->value);
    }
    if (strcmp(key, "before") == 0)
        return image_time_ns(img) >= 0 && image_time_ns(img) < f->time_ns;
    if (strcmp(key, "since") == 0)
        return image_time_ns(img) > f->time_ns;
    if (strcmp(key, "id") == 0) {
        const char *want = f->value;
        if (rl_str_has_prefix(want, "sha256:"))
            want += 7;
        return id && rl_str_has_prefix(id, want);
    }
    return false;
}

/* The images that pass the filters, podman's way: filters with the same key are alternatives
 * (one must match), except label (all must); filters with different keys must all match. */
static json_t *
filter_images(struct rl_store *s, json_t *images, const struct image_filter *filters, size_t n)
{
    json_t *out = json_array(), *img;
    size_t i;

    json_array_foreach (images, i, img) {
        cleanup_json json_t *cfg = NULL;
        bool keep = true;

        for (size_t k = 0; k < RL_ARRAY_SIZE(filter_keys) && keep; k++) {
            const char *key = filter_keys[k];
            bool all = strcmp(key, "label") == 0, seen = false, any = false, every = true;

            for (size_t f = 0; f < n; f++) {
                bool m;
                if (strcmp(filters[f].key, key) != 0)
                    continue;
                m = match_filter(s, img, &cfg, &filters[f]);
                seen = true;
                any = any || m;
                every = every && m;
            }
            if (seen)
                keep = all ? every : any;
        }
        if (keep)
            json_array_append(out, img);
    }
    return out;
}

static json_t *
images_json(struct rl_store *s, json_t *images)
{
    json_t *out = json_array(), *img;
    size_t i;

    json_array_foreach (images, i, img) {
        cleanup_json json_t *cfg = load_config(s, img);
        const char *created = json_string_value(json_object_get(img, "created"));
        time_t ct = rl_parse_rfc3339(created);
        json_t *labels = json_object_get(json_object_get(cfg, "config"), "Labels");
        json_t *o = json_pack(
            "{s:s, s:s, s:O, s:O, s:O, s:I, s:I, s:I, s:O, s:i, s:O, s:s, s:I, s:s}", "Id",
            json_string_value(json_object_get(img, "id")), "ParentId", "", "RepoTags",
            json_object_get(img, "names"), "RepoDigests", json_object_get(img, "repoDigests"),
            "Names", json_object_get(img, "names"), "Size",
            json_object_get(img, "size") ? json_integer_value(json_object_get(img, "size")) : 0,
            "SharedSize", (json_int_t)0, "VirtualSize",
            json_integer_value(json_object_get(img, "size")), "Labels",
            json_is_object(labels) ? labels : json_null(), "Containers", 0, "History",
            json_object_get(img, "names"), "Digest",
            json_string_value(json_object_get(img, "digest"))
                ? json_string_value(json_object_get(img, "digest"))
                : "",
            "Created", (json_int_t)(ct >= 0 ? ct : 0), "CreatedAt", created ? created : "");
        if (o)
            json_array_append_new(out, o);
    }
    return out;
}

static int
print_json(json_t *j, rl_error_t *err)
{
    char *s = json_dumps(j, JSON_INDENT(4) | JSON_ENCODE_ANY);
    if (s == NULL)
        return rl_make_error(err, ENOMEM, "format JSON");
    puts(s);
    free(s);
    return 0;
}

int
cmd_images(struct rl_globals *g, int argc, char **argv, rl_error_t *err)
{
    enum { OPT_NOTRUNC = 256, OPT_DIGESTS, OPT_FORMAT, OPT_SORT };
    static const struct option opts[] = {
        { "all", no_argument, NULL, 'a' },
        { "filter", required_argument, NULL, 'f' },
        { "sort", required_argument, NULL, OPT_SORT },
        { "quiet", no_argument, NULL, 'q' },
        { "no-trunc", no_argument, NULL, OPT_NOTRUNC },
        { "digests", no_argument, NULL, OPT_DIGESTS },
        { "noheading", no_argument, NULL, 'n' },
        { "format", required_argument, NULL, OPT_FORMAT },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    cleanup_store struct rl_store *s = NULL;
    cleanup_json json_t *images = NULL, *rows = NULL;
    bool all = false, quiet = false, no_trunc = false, digests = false, noheading = false;
    const char *format = NULL, *filter = NULL, *sort = "created";
    const char *filter_args[FILTERS_MAX];
    struct image_filter filters[FILTERS_MAX];
    size_t n_filters = 0;
    struct rl_template *t = NULL;
    size_t i;
    json_t *row;
    int c, ret = 0;

    opterr = 0;
    while ((c = getopt_long(argc, argv, "af:qnh", opts, NULL)) != -1) {
        switch (c) {
        case 'a':
            all = true;
            break;
        case 'f':
            if (n_filters >= FILTERS_MAX)
                return rl_make_error(err, 0, "images: more than %d filters", FILTERS_MAX);
            filter_args[n_filters++] = optarg;
            break;
        case 'q':
            quiet = true;
            break;
        case OPT_NOTRUNC:
            no_trunc = true;
            break;
        case OPT_DIGESTS:
            digests = true;
            break;
        case 'n':
            noheading = true;
            break;
        case OPT_FORMAT:
            format = optarg;
            break;
        case OPT_SORT:
            if (strcmp(optarg, "created") != 0 && strcmp(optarg, "id") != 0
                && strcmp(optarg, "repository") != 0 && strcmp(optarg, "size") != 0
                && strcmp(optarg, "tag") != 0)
                return rl_make_error(err, 0,
                                     "images: --sort: unknown key '%s': use created, id, "
                                     "repository, size or tag",
                                     optarg);
            sort = optarg;
            break;
        case 'h':
            fputs(HELP_IMAGES, stdout);
            return 0;
        default:
            return rl_cmd_bad_option("images", argc, argv, err);
        }
    }
    if (argc - optind > 1)
        return rl_make_error(err, 0, "images: too many arguments (see 'rl images --help')");
    if (optind < argc)
        filter = argv[optind];
    /* Keys and values are checked before the store is opened. */
    for (i = 0; i < n_filters; i++) {
        cleanup_json json_t *none = json_array();
        const char *key = filter_args[i];
        if (strncmp(key, "before=", 7) == 0 || strncmp(key, "since=", 6) == 0
            || strncmp(key, "after=", 6) == 0)
            continue;
        if (parse_filter(filter_args[i], none, &filters[i], err) < 0)
            return rl_error_wrap(err, "images");
    }
    if (format && strcmp(format, "json") != 0 && strcmp(format, "table") != 0
        && rl_template_parse(format, &t, err) < 0)
        return rl_error_wrap(err, "images: --format");
    if (rl_store_open(g->root, &s, err) < 0 || rl_store_lock(s, LOCK_SH, err) < 0
        || rl_store_images_load(s, &images, err) < 0) {
        rl_template_free(t);
        return -1;
    }
    rl_store_lock(s, LOCK_UN, NULL);
    if (n_filters) {
        json_t *sel;
        for (i = 0; i < n_filters; i++) {
            if (parse_filter(filter_args[i], images, &filters[i], err) < 0) {
                rl_template_free(t);
                return rl_error_wrap(err, "images");
            }
        }
        sel = filter_images(s, images, filters, n_filters);
        json_decref(images);
        images = sel;
    }

    if (format && strcmp(format, "json") == 0) {
        cleanup_json json_t *out = NULL;
        if (filter) {
            cleanup_json json_t *sel = json_array();
            json_t *img;
            json_array_foreach (images, i, img) {
                cleanup_json json_t *single = json_array();
                cleanup_json json_t *r = NULL;
                json_array_append(single, img);
                r = image_rows(s, single, all, no_trunc, filter);
                if (json_array_size(r))
                    json_array_append(sel, img);
            }
            out = images_json(s, sel);
        } else {
            out = images_json(s, images);
        }
        return print_json(out, err);
    }
    rows = image_rows(s, images, all, no_trunc, filter);
    sort_rows(rows, sort);
    if (quiet) {
        cleanup_json json_t *seen = json_object();
        json_array_foreach (rows, i, row) {
            const char *id = json_string_value(json_object_get(row, "ID"));
            if (json_object_get(seen, id))
                continue;
            json_object_set_new(seen, id, json_true());
            printf("%s\n", id);
        }
        return 0;
    }
    if (t) {
        if (rl_template_is_table(t) && !noheading)
            rl_template_header(t, stdout);
        json_array_foreach (rows, i, row) {
            if (rl_template_render(t, row, stdout, err) < 0) {
                ret = -1;
                break;
            }
        }
        rl_template_free(t);
        return ret < 0 ? rl_error_wrap(err, "images: --format") : 0;
    }
    {
        struct rl_table *tab = rl_table_new(digests ? 6 : 5);
        if (!noheading) {
            const char *h5[] = { "REPOSITORY", "TAG", "IMAGE ID", "CREATED", "SIZE" };
            const char *h6[] = { "REPOSITORY", "TAG", "DIGEST", "IMAGE ID", "CREATED", "SIZE" };
            rl_table_add(tab, digests ? h6 : h5);
        }
        json_array_foreach (rows, i, row) {
            const char *cells[6];
            size_t k = 0;
            cells[k++] = json_string_value(json_object_get(row, "Repository"));
            cells[k++] = json_string_value(json_object_get(row, "Tag"));
            if (digests)
                cells[k++] = json_string_value(json_object_get(row, "Digest"));
            cells[k++] = json_string_value(json_object_get(row, "ID"));
            cells[k++] = json_string_value(json_object_get(row, "CreatedSince"));
            cells[k++] = json_string_value(json_object_get(row, "Size"));
            rl_table_add(tab, cells);
        }
        rl_table_print(tab, stdout);
        rl_table_free(tab);
    }
    return 0;
}

/* ------------------------------------------------------------------ rmi */

/* Containers made from image ID (their ids appended to USERS). */
static size_t
image_users(const char *store, const char *id, json_t *users)
{
    cleanup_strv char **ids = NULL;
    cleanup_error rl_error_t tmp = NULL;
    size_t n = 0;

    if (rl_ctr_list(store, &ids, &tmp) < 0)
        return 0;
    for (size_t i = 0; ids[i]; i++) {
        cleanup_json json_t *rec = NULL;
        cleanup_error rl_error_t t2 = NULL;
        const char *img;
        if (rl_ctr_load(store, ids[i], &rec, &t2) < 0)
            continue;
        img = json_string_value(json_object_get(rec, "Image"));
        if (img && strcmp(img, id) == 0) {
            json_array_append_new(users, json_string(ids[i]));
            n++;
        }
    }
    return n;
}

/* An image that containers use is removed only with -f, which removes them first. */
static bool
in_use(struct rl_store *s, json_t *img, bool force, json_t *doomed, rl_error_t *first)
{
    const char *id = json_string_value(json_object_get(img, "id"));
    cleanup_json json_t *users = json_array();

    if (id == NULL || image_users(s->root, id, users) == 0)
        return false;
    if (force) {
        json_array_extend(doomed, users);
        return false;
    }
    if (*first == NULL)
        rl_make_error(first, EBUSY,
                      "image used by %s: image is in use by a container: consider listing "
                      "external containers and force-removing image",
                      json_string_value(json_array_get(users, 0)));
    return true;
}

static int
remove_images(struct rl_ctx *ctx, struct rl_store *s, char **names, int n, bool all, bool force,
              bool ignore, rl_error_t *err)
{
    cleanup_json json_t *doomed = json_array();
    cleanup_json json_t *images = NULL;
    cleanup_json json_t *untagged = json_array(), *deleted = json_array();
    size_t removed_layers = 0, i;
    json_t *v;
    int ret = 0;
    rl_error_t first = NULL;

    if (rl_store_lock(s, LOCK_EX, err) < 0)
        return -1;
    if (rl_store_images_load(s, &images, err) < 0)
        goto out_unlock;
    if (all) {
        json_t *img;
        for (i = json_array_size(images); i-- > 0;) {
            size_t k;
            img = json_array_get(images, i);
            if (in_use(s, img, force, doomed, &first))
                continue;
            json_array_foreach (json_object_get(img, "names"), k, v)
                json_array_append(untagged, v);
            json_array_append(deleted, json_object_get(img, "id"));
            json_array_remove(images, i);
        }
    }
    for (int k = 0; k < n && !all; k++) {
        cleanup_error rl_error_t tmp = NULL;
        long idx = rl_store_image_find(images, names[k], &tmp);
        json_t *img, *inames;
        bool by_name;

        if (idx < 0) {
            if (ignore && tmp->status == ENOENT)
                continue;
            if (first == NULL)
                first = steal_pointer(&tmp);
            continue;
        }
        img = json_array_get(images, (size_t)idx);
        inames = json_object_get(img, "names");
        /* A name removes that name; the image goes with its last one. An id removes the
         * image, which needs -f when it has several names. */
        by_name = false;
        {
            cleanup_image_ref struct rl_image_ref *ref = NULL;
            cleanup_error rl_error_t t2 = NULL;
            cleanup_free char *full = NULL;
            cleanup_image_ref struct rl_image_ref *lref = NULL;
            cleanup_free char *lfull = NULL;
            if (rl_image_ref_parse(names[k], &ref, &t2) == 0)
                full = rl_image_ref_format(ref);
            if (rl_image_ref_parse_local(names[k], &lref, NULL) == 0)
                lfull = rl_image_ref_format(lref);
            json_array_foreach (inames, i, v) {
                const char *nm = json_string_value(v);
                if (strcmp(nm, names[k]) == 0 || (full && strcmp(nm, full) == 0)
                    || (lfull && strcmp(nm, lfull) == 0)) {
                    json_array_append(untagged, v);
                    json_array_remove(inames, i);
                    by_name = true;
                    break;
                }
            }
        }
        if (by_name && json_array_size(inames) > 0)
            continue;
        if (!by_name && json_array_size(inames) > 1 && !force) {
            if (first == NULL)
                rl_make_error(&first, 0,
                              "unable to delete image %.12s by id: it has several names (use "
                              "-f, or remove the names)",
                              json_string_value(json_object_get(img, "id")));
            continue;
        }
        if (in_use(s, img, force, doomed, &first)) {
            if (by_name) {
                /* The name stays with the image that cannot go. */
                json_array_append(inames, json_array_get(untagged, json_array_size(untagged) - 1));
                json_array_remove(untagged, json_array_size(untagged) - 1);
            }
            continue;
        }
        json_array_foreach (inames, i, v)
            json_array_append(untagged, v);
        json_array_append(deleted, json_object_get(img, "id"));
        json_array_remove(images, (size_t)idx);
    }
    /* rmi -f: the containers of the images go first. */
    json_array_foreach (doomed, i, v) {
        cleanup_error rl_error_t tmp = NULL;
        if (rl_ctr_rm(ctx, json_string_value(v), true, true, &tmp) < 0)
            rl_error_warn_and_release(&tmp);
    }
    if (json_array_size(untagged) || json_array_size(deleted)) {
        if (rl_store_images_save(s, images, err) < 0)
            goto out_unlock;
        if (rl_store_gc(s, images, &removed_layers, err) < 0)
            goto out_unlock;
    }
    json_array_foreach (untagged, i, v)
        printf("Untagged: %s\n", json_string_value(v));
    json_array_foreach (deleted, i, v)
        printf("Deleted: %s\n", json_string_value(v));
    rl_store_lock(s, LOCK_UN, NULL);
    /* The layers are out of the store already: removing their files can wait. */
    {
        cleanup_error rl_error_t tmp = NULL;
        if (rl_store_tmp_cleanup(s, &tmp) < 0)
            rl_error_warn_and_release(&tmp);
    }
    if (first) {
        *err = first;
        return -1;
    }
    return ret;
out_unlock:
    rl_store_lock(s, LOCK_UN, NULL);
    rl_error_release(&first);
    return -1;
}

int
cmd_rmi(struct rl_globals *g, int argc, char **argv, rl_error_t *err)
{
    static const struct option opts[] = {
        { "all", no_argument, NULL, 'a' },
        { "force", no_argument, NULL, 'f' },
        { "ignore", no_argument, NULL, 'i' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    cleanup_store struct rl_store *s = NULL;
    struct rl_ctx ctx = { 0 };
    bool all = false, force = false, ignore = false;
    int c, r;

    opterr = 0;
    while ((c = getopt_long(argc, argv, "afih", opts, NULL)) != -1) {
        switch (c) {
        case 'a':
            all = true;
            break;
        case 'f':
            force = true;
            break;
        case 'i':
            ignore = true;
            break;
        case 'h':
            fputs(HELP_RMI, stdout);
            return 0;
        default:
            return rl_cmd_bad_option("rmi", argc, argv, err);
        }
    }
    if (!all && optind >= argc)
        return rl_make_error(err, 0, "rmi: missing image name (see 'rl rmi --help')");
    if (all && optind < argc)
        return rl_make_error(err, 0, "rmi: --all and image names are mutually exclusive");
    if (rl_ctx_init(g, false, &ctx, err) < 0)
        return -1;
    if (rl_store_open(g->root, &s, err) < 0 || rl_cmd_store_userns(NULL, err) < 0) {
        rl_ctx_release(&ctx);
        return -1;
    }
    r = remove_images(&ctx, s, argv + optind, argc - optind, all, force, ignore, err);
    rl_ctx_release(&ctx);
    if (r < 0) {
        if ((*err)->status == ENOENT) {
            rl_exit_status = 1;
            return plain_error(err);
        }
        if ((*err)->status == EBUSY) {
            rl_exit_status = 2; /* podman's status for an image in use */
            return plain_error(err);
        }
        return -1;
    }
    return 0;
}

/* ------------------------------------------------------------------ tag */

int
cmd_tag(struct rl_globals *g, int argc, char **argv, rl_error_t *err)
{
    cleanup_store struct rl_store *s = NULL;
    cleanup_json json_t *images = NULL;
    json_t *img, *names;
    long idx;
    int ret = -1;

    if (argc >= 2 && rl_is_help(argv[1])) {
        fputs(HELP_TAG, stdout);
        return 0;
    }
    if (argc < 3)
        return rl_make_error(err, 0,
                             "tag: need an image and at least one new name (see 'rl "
                             "tag --help')");
    for (int i = 2; i < argc; i++) {
        cleanup_image_ref struct rl_image_ref *ref = NULL;
        if (rl_image_ref_parse_local(argv[i], &ref, err) < 0)
            return rl_error_wrap(err, "tag");
        if (ref->digest)
            return rl_make_error(err, 0, "tag: '%s': a new name cannot have a digest", argv[i]);
    }
    if (rl_store_open(g->root, &s, err) < 0 || rl_store_lock(s, LOCK_EX, err) < 0)
        return -1;
    if (rl_store_images_load(s, &images, err) < 0)
        goto out;
    idx = rl_store_image_find(images, argv[1], err);
    if (idx < 0) {
        plain_error(err);
        goto out;
    }
    img = json_array_get(images, (size_t)idx);
    for (int i = 2; i < argc; i++) {
        cleanup_image_ref struct rl_image_ref *ref = NULL;
        cleanup_free char *full = NULL;
        rl_image_ref_parse_local(argv[i], &ref, NULL);
        full = rl_image_ref_format(ref);
        rl_store_image_untag(images, full);
        names = json_object_get(img, "names");
        if (!json_is_array(names)) {
            names = json_array();
            json_object_set_new(img, "names", names);
        }
        json_array_append_new(names, json_string(full));
    }
    ret = rl_store_images_save(s, images, err);
out:
    rl_store_lock(s, LOCK_UN, NULL);
    return ret < 0 ? rl_error_wrap(err, "tag") : 0;
}

/* ------------------------------------------------------------------ inspect */

/* A new reference to V, or a new value from MAKE when V is missing. */
static json_t *
or_new(json_t *v, json_t *(*make)(void))
{
    return v ? json_incref(v) : make();
}

static json_t *
inspect_image(struct rl_store *s, json_t *img)
{
    cleanup_json json_t *cfg = load_config(s, img);
    json_t *layers = json_object_get(img, "layers"), *v;
    cleanup_free char *lower = NULL;
    const char *id = json_string_value(json_object_get(img, "id"));
    json_t *config = json_object_get(cfg, "config");
    json_t *o;
    size_t i;

    /* Top layer first, as overlay's lowerdir lists them. */
    for (i = json_array_size(layers); i-- > 0;) {
        cleanup_free char *p = rl_store_layer_path(s, json_string_value(json_array_get(layers, i)));
        char *n = lower ? xasprintf("%s:%s", lower, p) : xstrdup(p);
        free(lower);
        lower = n;
    }
    (void)v;
    /* Each value is a new reference ("o"), so that a default made here is not leaked. */
    o = json_pack(
        "{s:s, s:s, s:O, s:O, s:s, s:s, s:s?, s:o, s:s, s:s?, s:s?, s:s?, s:I, s:I, "
        "s:{s:s, s:{s:s}}, s:{s:s, s:o}, s:o, s:o, s:s, s:s, s:o, s:O}",
        "Id", id, "Digest", json_string_value(json_object_get(img, "digest")) ?: "", "RepoTags",
        json_object_get(img, "names"), "RepoDigests", json_object_get(img, "repoDigests"), "Parent",
        "", "Comment", json_string_value(json_object_get(cfg, "comment")) ?: "", "Created",
        json_string_value(json_object_get(cfg, "created")), "Config",
        json_is_object(config) ? json_incref(config) : json_object(), "Version",
        json_string_value(json_object_get(cfg, "docker_version")) ?: "", "Author",
        json_string_value(json_object_get(cfg, "author")), "Architecture",
        json_string_value(json_object_get(cfg, "architecture")), "Os",
        json_string_value(json_object_get(cfg, "os")), "Size",
        json_integer_value(json_object_get(img, "size")), "VirtualSize",
        json_integer_value(json_object_get(img, "size")), "GraphDriver", "Name", "overlay", "Data",
        "LowerDir", lower ? lower : "", "RootFS", "Type", "layers", "Layers",
        or_new(json_object_get(img, "diffIds"), json_array), "Labels",
        or_new(json_object_get(config, "Labels"), json_null), "Annotations", json_object(),
        "ManifestType", json_string_value(json_object_get(img, "manifestType")) ?: "", "User",
        json_string_value(json_object_get(config, "User")) ?: "", "History",
        or_new(json_object_get(cfg, "history"), json_array), "NamesHistory",
        json_object_get(img, "names"));
    return o;
}

json_t *
rl_cmd_image_inspect_json(const char *root, const char *name, rl_error_t *err)
{
    cleanup_store struct rl_store *s = NULL;
    cleanup_json json_t *images = NULL;
    json_t *o;
    long idx;

    if (rl_store_open(root, &s, err) < 0 || rl_store_lock(s, LOCK_SH, err) < 0
        || rl_store_images_load(s, &images, err) < 0)
        return NULL;
    idx = rl_store_image_find(images, name, err);
    o = idx < 0 ? NULL : inspect_image(s, json_array_get(images, (size_t)idx));
    rl_store_lock(s, LOCK_UN, NULL);
    return o;
}

static int
image_inspect(struct rl_globals *g, int argc, char **argv, rl_error_t *err)
{
    static const struct option opts[] = {
        { "format", required_argument, NULL, 'f' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    cleanup_store struct rl_store *s = NULL;
    cleanup_json json_t *images = NULL, *out = json_array();
    struct rl_template *t = NULL;
    const char *format = NULL;
    rl_error_t first = NULL;
    int c, ret = 0;

    opterr = 0;
    optind = 0;
    while ((c = getopt_long(argc, argv, "f:h", opts, NULL)) != -1) {
        switch (c) {
        case 'f':
            format = optarg;
            break;
        case 'h':
            fputs(HELP_INSPECT, stdout);
            return 0;
        default:
            return rl_cmd_bad_option("image inspect", argc, argv, err);
        }
    }
    if (optind >= argc)
        return rl_make_error(err, 0, "image inspect: missing image name");
    if (format && strcmp(format, "json") != 0 && rl_template_parse(format, &t, err) < 0)
        return rl_error_wrap(err, "image inspect: --format");
    if (rl_store_open(g->root, &s, err) < 0 || rl_store_lock(s, LOCK_SH, err) < 0
        || rl_store_images_load(s, &images, err) < 0) {
        rl_template_free(t);
        return -1;
    }
    for (int i = optind; i < argc; i++) {
        cleanup_error rl_error_t tmp = NULL;
        long idx = rl_store_image_find(images, argv[i], &tmp);
        if (idx < 0) {
            if (first == NULL)
                first = steal_pointer(&tmp);
            continue;
        }
        json_array_append_new(out, inspect_image(s, json_array_get(images, (size_t)idx)));
    }
    rl_store_lock(s, LOCK_UN, NULL);
    if (t) {
        size_t i;
        json_t *o;
        json_array_foreach (out, i, o) {
            if (rl_template_render(t, o, stdout, err) < 0) {
                ret = -1;
                break;
            }
        }
        rl_template_free(t);
    } else {
        ret = print_json(out, err);
    }
    if (ret == 0 && first) {
        *err = first;
        return plain_error(err);
    }
    rl_error_release(&first);
    return ret;
}

static int
image_exists(struct rl_globals *g, int argc, char **argv, rl_error_t *err)
{
    cleanup_store struct rl_store *s = NULL;
    cleanup_json json_t *images = NULL;
    cleanup_error rl_error_t tmp = NULL;

    if (argc != 2 || rl_is_help(argv[1])) {
        if (argc == 2) {
            printf("Usage: rl image exists IMAGE\n\nExit 0 when IMAGE is in the store, 1 when "
                   "not.\n");
            return 0;
        }
        return rl_make_error(err, 0, "image exists: need exactly one image name");
    }
    if (rl_store_open(g->root, &s, err) < 0 || rl_store_lock(s, LOCK_SH, err) < 0
        || rl_store_images_load(s, &images, err) < 0)
        return -1;
    if (rl_store_image_find(images, argv[1], &tmp) < 0) {
        rl_exit_status = 1;
        return 1;
    }
    return 0;
}

static int
image_prune(struct rl_globals *g, int argc, char **argv, rl_error_t *err)
{
    static const struct option opts[] = {
        { "all", no_argument, NULL, 'a' },
        { "force", no_argument, NULL, 'f' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    cleanup_store struct rl_store *s = NULL;
    cleanup_json json_t *images = NULL;
    bool all = false, force = false;
    size_t removed = 0, i;
    json_t *img;
    int c;

    opterr = 0;
    optind = 0;
    while ((c = getopt_long(argc, argv, "afh", opts, NULL)) != -1) {
        switch (c) {
        case 'a':
            all = true;
            break;
        case 'f':
            force = true;
            break;
        case 'h':
            fputs(HELP_PRUNE, stdout);
            return 0;
        default:
            return rl_cmd_bad_option("image prune", argc, argv, err);
        }
    }
    if (optind < argc)
        return rl_make_error(err, 0, "image prune: takes no arguments");
    if (!force && isatty(STDIN_FILENO)) {
        char answer[16] = "";
        fprintf(stderr,
                "WARNING! This command removes %s.\nAre you sure you want to continue? "
                "[y/N] ",
                all ? "all images without at least one container associated with them"
                    : "all dangling images");
        if (fgets(answer, sizeof(answer), stdin) == NULL || (answer[0] != 'y' && answer[0] != 'Y'))
            return 0;
    }
    if (rl_store_open(g->root, &s, err) < 0 || rl_cmd_store_userns(NULL, err) < 0
        || rl_store_lock(s, LOCK_EX, err) < 0)
        return -1;
    if (rl_store_images_load(s, &images, err) < 0) {
        rl_store_lock(s, LOCK_UN, NULL);
        return -1;
    }
    for (i = 0; i < json_array_size(images);) {
        cleanup_json json_t *users = json_array();
        img = json_array_get(images, i);
        /* Images of containers stay (podman). */
        if ((all || json_array_size(json_object_get(img, "names")) == 0)
            && image_users(s->root, json_string_value(json_object_get(img, "id")), users) == 0) {
            printf("%s\n", json_string_value(json_object_get(img, "id")));
            json_array_remove(images, i);
            continue;
        }
        i++;
    }
    if (rl_store_images_save(s, images, err) < 0 || rl_store_gc(s, images, &removed, err) < 0) {
        rl_store_lock(s, LOCK_UN, NULL);
        return -1;
    }
    rl_store_lock(s, LOCK_UN, NULL);
    if (rl_store_tmp_cleanup(s, err) < 0)
        return -1;
    return 0;
}

/* ------------------------------------------------------------------ history */

#define HELP_HISTORY                                                                          \
    "Usage: rl history [OPTIONS] IMAGE\n\n"                                                   \
    "Show how an image was built: its config's history, newest first (rl image history is\n"  \
    "the same).\n\n"                                                                          \
    "Options:\n"                                                                              \
    "      --no-trunc           do not shorten ids and commands\n"                            \
    "  -H, --human[=BOOL]       human sizes and times (default true)\n"                       \
    "  -q, --quiet              only the ids\n"                                               \
    "      --format FORMAT      json or a Go template ({{.ID}} {{.Created}} {{.CreatedBy}}\n" \
    "                           {{.Size}} {{.Comment}})\n"                                    \
    "  -h, --help               show this help\n"

int
cmd_history(struct rl_globals *g, int argc, char **argv, rl_error_t *err)
{
    enum { OPT_NOTRUNC = 256, OPT_FORMAT, OPT_HUMAN };
    static const struct option opts[] = {
        { "no-trunc", no_argument, NULL, OPT_NOTRUNC },
        { "human", optional_argument, NULL, OPT_HUMAN },
        { "quiet", no_argument, NULL, 'q' },
        { "format", required_argument, NULL, OPT_FORMAT },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    cleanup_store struct rl_store *s = NULL;
    cleanup_json json_t *images = NULL, *rows = json_array(), *cfg = NULL, *metas = json_array();
    bool no_trunc = false, human = true, quiet = false;
    const char *format = NULL;
    struct rl_template *t = NULL;
    json_t *img, *hist, *h, *layers;
    size_t i, layer;
    long idx;
    int c, ret = 0;

    opterr = 0;
    optind = 0;
    while ((c = getopt_long(argc, argv, "Hqh", opts, NULL)) != -1) {
        switch (c) {
        case OPT_NOTRUNC:
            no_trunc = true;
            break;
        case 'H':
            human = true;
            break;
        case OPT_HUMAN:
            if (rl_cmd_parse_bool("--human", optarg, &human, err) < 0)
                return -1;
            break;
        case 'q':
            quiet = true;
            break;
        case OPT_FORMAT:
            format = optarg;
            break;
        case 'h':
            fputs(HELP_HISTORY, stdout);
            return 0;
        default:
            return rl_cmd_bad_option("history", argc, argv, err);
        }
    }
    if (argc - optind != 1)
        return rl_make_error(err, 0, "history: need exactly one image (see 'rl history --help')");
    if (format && strcmp(format, "json") != 0 && rl_template_parse(format, &t, err) < 0)
        return rl_error_wrap(err, "history: --format");
    if (rl_store_open(g->root, &s, err) < 0 || rl_store_lock(s, LOCK_SH, err) < 0
        || rl_store_images_load(s, &images, err) < 0)
        goto fail;
    idx = rl_store_image_find(images, argv[optind], err);
    if (idx < 0) {
        plain_error(err);
        goto fail;
    }
    img = json_array_get(images, (size_t)idx);
    cfg = load_config(s, img);
    layers = json_object_get(img, "layers");
    json_array_foreach (layers, i, h) {
        cleanup_error rl_error_t tmp = NULL;
        json_t *meta = NULL;
        if (rl_store_layer_meta(s, json_string_value(h), &meta, &tmp) < 0)
            meta = json_object();
        json_array_append_new(metas, meta);
    }
    rl_store_lock(s, LOCK_UN, NULL);
    hist = json_object_get(cfg, "history");
    /* Entries that made a layer take the layers in order; the last one is the image. */
    layer = 0;
    json_array_foreach (hist, i, h) {
        bool empty = json_is_true(json_object_get(h, "empty_layer"));
        const char *created = json_string_value(json_object_get(h, "created"));
        const char *by = json_string_value(json_object_get(h, "created_by"));
        const char *comment = json_string_value(json_object_get(h, "comment"));
        json_int_t size = 0;
        char since[64] = "", hsize[32];
        time_t ct = rl_parse_rfc3339(created);

        if (!empty) {
            size = json_integer_value(json_object_get(json_array_get(metas, layer), "size"));
            layer++;
        }
        if (ct >= 0)
            rl_human_ago(ct, since, sizeof(since));
        rl_human_size(size, hsize, sizeof(hsize));
        json_array_insert_new(
            rows, 0,
            json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:s, s:I}", "ID", "<missing>", "Created",
                      human ? since : (created ? created : ""), "CreatedAt", created ? created : "",
                      "CreatedBy", by ? by : "", "Size", human ? hsize : "", "SizeBytes", size,
                      "Comment", comment ? comment : "", "CreatedSince", (json_int_t)ct));
        if (!human) {
            char num[32];
            snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT, size);
            json_object_set_new(json_array_get(rows, 0), "Size", json_string(num));
        }
    }
    if (json_array_size(rows) == 0)
        json_array_append_new(rows,
                              json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:s}", "ID", "", "Created",
                                        "", "CreatedAt", "", "CreatedBy", "", "Size", "0 B",
                                        "SizeBytes", (json_int_t)0, "Comment", ""));
    {
        const char *id = json_string_value(json_object_get(img, "id"));
        json_object_set_new(json_array_get(rows, 0), "ID",
                            no_trunc ? json_string(id) : json_stringn(id, 12));
    }
    if (quiet) {
        json_array_foreach (rows, i, h)
            printf("%s\n", json_string_value(json_object_get(h, "ID")));
    } else if (format && strcmp(format, "json") == 0) {
        ret = print_json(rows, err);
    } else if (t) {
        json_array_foreach (rows, i, h) {
            if (rl_template_render(t, h, stdout, err) < 0) {
                ret = -1;
                break;
            }
        }
    } else {
        struct rl_table *tab = rl_table_new(5);
        const char *head[] = { "ID", "CREATED", "CREATED BY", "SIZE", "COMMENT" };
        rl_table_add(tab, head);
        json_array_foreach (rows, i, h) {
            const char *by = json_string_value(json_object_get(h, "CreatedBy"));
            cleanup_free char *shortby = NULL;
            const char *cells[5];
            if (!no_trunc && strlen(by) > 45)
                shortby = xasprintf("%.42s...", by);
            cells[0] = json_string_value(json_object_get(h, "ID"));
            cells[1] = json_string_value(json_object_get(h, "Created"));
            cells[2] = shortby ? shortby : by;
            cells[3] = json_string_value(json_object_get(h, "Size"));
            cells[4] = json_string_value(json_object_get(h, "Comment"));
            rl_table_add(tab, cells);
        }
        rl_table_print(tab, stdout);
        rl_table_free(tab);
    }
    rl_template_free(t);
    return ret;
fail:
    rl_template_free(t);
    return -1;
}

int
cmd_image(struct rl_globals *g, int argc, char **argv, rl_error_t *err)
{
    static const struct rl_subcommand subs[] = {
        { "inspect", image_inspect }, { "ls", cmd_images },
        { "list", cmd_images },       { "rm", cmd_rmi },
        { "pull", cmd_pull },         { "tag", cmd_tag },
        { "prune", image_prune },     { "history", cmd_history },
        { "exists", image_exists },   { NULL, NULL },
    };
    return rl_cmd_dispatch(g, "image", HELP_IMAGE, subs, argc, argv, err);
}

/* `rl inspect --type image`: cmd_ctr.c's inspect hands images here. */
int
cmd_inspect_image(struct rl_globals *g, int argc, char **argv, rl_error_t *err)
{
    cleanup_free char **args = xzalloc((size_t)(argc + 1) * sizeof(char *));
    int n = 0;

    for (int i = 0; i < argc; i++) {
        const char *type = NULL;
        if (i > 0 && rl_is_help(argv[i])) {
            printf("Usage: rl inspect [--type image] [--format FORMAT] IMAGE [IMAGE...]\n\n"
                   "Show an image's details as JSON, or through a Go template (--format "
                   "'{{.Id}}').\nThe same as 'rl image inspect'.\n");
            return 0;
        }
        /* --type: images are all rl knows yet; containers come with rl run. */
        if (i > 0 && (strcmp(argv[i], "--type") == 0 || strcmp(argv[i], "-t") == 0)) {
            if (i + 1 >= argc)
                return rl_make_error(err, 0, "inspect: --type needs a value");
            type = argv[++i];
        } else if (i > 0 && rl_str_has_prefix(argv[i], "--type=")) {
            type = argv[i] + 7;
        }
        if (type) {
            if (strcmp(type, "image") != 0 && strcmp(type, "all") != 0)
                return rl_make_error(err, 0,
                                     "inspect: --type '%s': only images can be inspected here "
                                     "(use image or all)",
                                     type);
            continue;
        }
        args[n++] = argv[i];
    }
    optind = 0;
    return image_inspect(g, n, args, err);
}

/* ------------------------------------------------------------------ login / logout */

static char *
registry_of(const char *arg)
{
    /* "https://quay.io/v1/" and "quay.io/ns" both name quay.io. */
    const char *p = arg;
    if (rl_str_has_prefix(p, "https://"))
        p += 8;
    else if (rl_str_has_prefix(p, "http://"))
        p += 7;
    return xstrndup(p, strcspn(p, "/"));
}

#ifndef RL_LITE /* rl has no registry client: rl-full logs in (cmd/lite.c) */
static char *
prompt(const char *what, bool echo)
{
    struct termios old, t;
    char buf[1024];
    bool restore = false;
    size_t n;

    fprintf(stderr, "%s: ", what);
    fflush(stderr);
    if (!echo && tcgetattr(STDIN_FILENO, &old) == 0) {
        t = old;
        t.c_lflag &= ~(tcflag_t)ECHO;
        restore = tcsetattr(STDIN_FILENO, TCSAFLUSH, &t) == 0;
    }
    if (fgets(buf, sizeof(buf), stdin) == NULL)
        buf[0] = '\0';
    if (restore) {
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
        fputc('\n', stderr);
    }
    n = strcspn(buf, "\r\n");
    buf[n] = '\0';
    return xstrdup(buf);
}

int
cmd_login(struct rl_globals *g, int argc, char **argv, rl_error_t *err)
{
    enum { OPT_STDIN = 256, OPT_AUTHFILE, OPT_TLS, OPT_CERTDIR, OPT_GETLOGIN };
    static const struct option opts[] = {
        { "username", required_argument, NULL, 'u' },
        { "password", required_argument, NULL, 'p' },
        { "password-stdin", no_argument, NULL, OPT_STDIN },
        { "authfile", required_argument, NULL, OPT_AUTHFILE },
        { "tls-verify", optional_argument, NULL, OPT_TLS },
        { "cert-dir", required_argument, NULL, OPT_CERTDIR },
        { "get-login", no_argument, NULL, OPT_GETLOGIN },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    struct rl_registry_opts ro = { .tls_verify = -1 };
    cleanup_free char *user = NULL, *password = NULL, *registry = NULL;
    const char *authfile = NULL;
    bool from_stdin = false, get_login = false, b;
    int c;

    opterr = 0;
    while ((c = getopt_long(argc, argv, "u:p:h", opts, NULL)) != -1) {
        switch (c) {
        case 'u':
            free(user);
            user = xstrdup(optarg);
            break;
        case 'p':
            free(password);
            password = xstrdup(optarg);
            break;
        case OPT_STDIN:
            from_stdin = true;
            break;
        case OPT_AUTHFILE:
            authfile = optarg;
            break;
        case OPT_TLS:
            if (rl_cmd_parse_bool("--tls-verify", optarg, &b, err) < 0)
                return -1;
            ro.tls_verify = b;
            break;
        case OPT_CERTDIR:
            ro.cert_dir = optarg;
            break;
        case OPT_GETLOGIN:
            get_login = true;
            break;
        case 'h':
            fputs(HELP_LOGIN, stdout);
            return 0;
        default:
            return rl_cmd_bad_option("login", argc, argv, err);
        }
    }
    if (argc - optind != 1)
        return rl_make_error(err, 0, "login: need exactly one registry (see 'rl login --help')");
    registry = registry_of(argv[optind]);
    if (*registry == '\0')
        return rl_make_error(err, 0, "login: '%s' is not a registry", argv[optind]);
    if (get_login) {
        cleanup_free char *u = NULL, *p = NULL;
        if ((authfile ? rl_auth_lookup_file(authfile, registry, &u, &p, err)
                      : rl_auth_lookup(registry, &u, &p, err))
            < 0)
            return -1;
        if (p)
            explicit_bzero(p, strlen(p));
        if (u == NULL)
            return rl_make_error(err, 0, "not logged into %s", registry);
        printf("%s\n", u);
        return 0;
    }
    if (from_stdin && password)
        return rl_make_error(err, 0,
                             "login: --password and --password-stdin are mutually exclusive");
    if (from_stdin) {
        char *buf = NULL;
        size_t len = 0;
        if (rl_read_all_fd(STDIN_FILENO, 64 * 1024, &buf, &len, err) < 0)
            return rl_error_wrap(err, "login: read the password");
        while (len && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
            buf[--len] = '\0';
        password = buf;
    }
    if (user == NULL) {
        if (!isatty(STDIN_FILENO) || from_stdin)
            return rl_make_error(err, 0, "login: missing --username");
        user = prompt("Username", true);
    }
    if (password == NULL) {
        if (!isatty(STDIN_FILENO))
            return rl_make_error(err, 0, "login: missing --password or --password-stdin");
        password = prompt("Password", false);
    }
    if (*user == '\0')
        return rl_make_error(err, 0, "login: the user name is empty");
    curl_global_init(CURL_GLOBAL_DEFAULT);
    if (rl_registry_login(registry, user, password, &ro, err) < 0)
        return rl_error_wrap(err, "login to %s", registry);
    if (rl_auth_store(authfile, registry, user, password, err) < 0)
        return rl_error_wrap(err, "login: store the credentials");
    explicit_bzero(password, strlen(password));
    printf("Login Succeeded!\n");
    return 0;
}
#endif

int
cmd_logout(struct rl_globals *g, int argc, char **argv, rl_error_t *err)
{
    enum { OPT_AUTHFILE = 256 };
    static const struct option opts[] = {
        { "all", no_argument, NULL, 'a' },
        { "authfile", required_argument, NULL, OPT_AUTHFILE },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    cleanup_free char *registry = NULL;
    const char *authfile = NULL;
    bool all = false;
    int c;

    opterr = 0;
    while ((c = getopt_long(argc, argv, "ah", opts, NULL)) != -1) {
        switch (c) {
        case 'a':
            all = true;
            break;
        case OPT_AUTHFILE:
            authfile = optarg;
            break;
        case 'h':
            fputs(HELP_LOGOUT, stdout);
            return 0;
        default:
            return rl_cmd_bad_option("logout", argc, argv, err);
        }
    }
    if (all && optind < argc)
        return rl_make_error(err, 0, "logout: --all and a registry are mutually exclusive");
    if (!all && argc - optind != 1)
        return rl_make_error(err, 0, "logout: need exactly one registry (see 'rl logout --help')");
    if (!all)
        registry = registry_of(argv[optind]);
    if (rl_auth_remove(authfile, registry, all, err) < 0) {
        if ((*err)->status == ENOENT) /* the message says it all */
            plain_error(err);
        return rl_error_wrap(err, "logout");
    }
    if (all)
        printf("Removed login credentials for all registries\n");
    else
        printf("Removed login credentials for %s\n", registry);
    return 0;
}
