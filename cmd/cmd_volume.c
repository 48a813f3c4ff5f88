/* Volume verbs: rl volume create, ls, inspect, rm, prune, exists (podman's `podman volume`). */
#include "config.h"

#include <getopt.h>
#include <regex.h>
#include <string.h>
#include <time.h>

#include "ctr.h"
#include "ctrstore.h"
#include "format.h"
#include "rl.h"
#include "store.h"
#include "volume.h"

#define HELP_VOLUME                                                                \
    "Usage: rl volume COMMAND [OPTIONS] [ARG...]\n\n"                              \
    "Manage volumes: directories that containers share and that outlive them.\n\n" \
    "Commands:\n"                                                                  \
    "  create       create a volume\n"                                             \
    "  exists       exit 0 when a volume exists, 1 when not\n"                     \
    "  inspect      show volumes' details\n"                                       \
    "  ls, list     list volumes\n"                                                \
    "  prune        remove the volumes no container uses\n"                        \
    "  rm, remove   remove volumes\n"

#define HELP_CREATE                                                                         \
    "Usage: rl volume create [OPTIONS] [NAME]\n\n"                                          \
    "Create a volume and print its name (64 random hex digits when NAME is not given).\n\n" \
    "Options:\n"                                                                            \
    "  -l, --label KEY[=VALUE]  set a label (repeatable)\n"                                 \
    "  -o, --opt o=uid=N,gid=N  owner and group of the volume's directory; the local\n"     \
    "                           driver takes no other option\n"                             \
    "      --driver local       the volume driver: local is the only one\n"                 \
    "      --ignore             no error when the volume exists: print its name\n"          \
    "  -h, --help               show this help\n"

#define HELP_LS                                                                          \
    "Usage: rl volume ls [OPTIONS]\n\n"                                                  \
    "List volumes.\n\n"                                                                  \
    "Options:\n"                                                                         \
    "  -f, --filter KEY=VALUE   only the volumes that match (repeatable): name=REGEX,\n" \
    "                           label=KEY[=VALUE], driver=local, dangling=true|false\n"  \
    "      --format FORMAT      table (default), json, or a Go template such as\n"       \
    "                           '{{.Name}} {{.Mountpoint}}'\n"                           \
    "  -n, --noheading          no header line\n"                                        \
    "  -q, --quiet              only the names\n"                                        \
    "  -h, --help               show this help\n"

#define HELP_INSPECT                                                                   \
    "Usage: rl volume inspect [OPTIONS] VOLUME [VOLUME...]\n\n"                        \
    "Show volumes' details as a JSON array, or through a Go template.\n\n"             \
    "Options:\n"                                                                       \
    "  -a, --all                every volume\n"                                        \
    "  -f, --format FORMAT      json (default) or a Go template ('{{.Mountpoint}}')\n" \
    "  -h, --help               show this help\n"

#define HELP_RM                                                                         \
    "Usage: rl volume rm [OPTIONS] VOLUME [VOLUME...]\n\n"                              \
    "Remove volumes and their data, and print their names. A volume that a container\n" \
    "uses is kept.\n\n"                                                                 \
    "Options:\n"                                                                        \
    "  -a, --all                remove every volume\n"                                  \
    "  -f, --force              also a volume that a container uses\n"                  \
    "  -t, --time SECONDS       how long a container using the volume has to stop\n"    \
    "  -h, --help               show this help\n"

#define HELP_PRUNE                                                                       \
    "Usage: rl volume prune [OPTIONS]\n\n"                                               \
    "Remove every volume that no container uses, and print their names. Asks first.\n\n" \
    "Options:\n"                                                                         \
    "  -f, --force              do not ask for confirmation\n"                           \
    "      --filter KEY=VALUE   only the volumes that match (repeatable; the keys of\n"  \
    "                           'rl volume ls')\n"                                       \
    "  -h, --help               show this help\n"

#define HELP_EXISTS                      \
    "Usage: rl volume exists VOLUME\n\n" \
    "Exit 0 when VOLUME exists, 1 when it does not.\n"

#define FILTERS_MAX 64
#define LABELS_MAX  256

/* The ids of the containers that use volume NAME (a NULL-terminated vector): their records
 * list it in Mounts. */
static int
volume_users(const char *store, const char *name, char ***ret_ids, rl_error_t *err)
{
    cleanup_strv char **ids = NULL;
    char **users = xzalloc(sizeof(char *));

    if (rl_ctr_list(store, &ids, err) < 0) {
        free(users);
        return -1;
    }
    for (size_t i = 0; ids[i]; i++) {
        cleanup_json json_t *rec = NULL;
        cleanup_error rl_error_t tmp = NULL;
        size_t k;
        json_t *m;
        if (rl_ctr_load(store, ids[i], &rec, &tmp) < 0)
            continue;
        json_array_foreach (json_object_get(rec, "Mounts"), k, m) {
            const char *n = json_string_value(json_object_get(m, "Name"));
            if (n && strcmp(n, name) == 0) {
                rl_strv_push(&users, ids[i]);
                break;
            }
        }
    }
    *ret_ids = users;
    return 0;
}

/* The store: --root, else the default, decided before any user namespace changes who we
 * are (root in it would mean /var/lib/rl). */
static char *
volume_store(struct rl_globals *g)
{
    return g->root ? xstrdup(g->root) : rl_store_default_root();
}

/* Drop the status of *ERR: its message says it all, podman's way ("no such volume X"). */
static int
plain_error(rl_error_t *err)
{
    char *msg = steal_pointer(&(*err)->msg);
    rl_error_release(err);
    rl_make_error(err, 0, "%s", msg);
    free(msg);
    return -1;
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

static char *
strv_join(char **v, const char *sep)
{
    size_t len = 1;
    char *out;

    for (size_t i = 0; v[i]; i++)
        len += strlen(v[i]) + strlen(sep);
    out = xzalloc(len);
    for (size_t i = 0; v[i]; i++) {
        if (i)
            strcat(out, sep);
        strcat(out, v[i]);
    }
    return out;
}

/* ------------------------------------------------------------------ output */

/* Go's time.String() of an RFC 3339 UTC time, as podman's templates print CreatedAt:
 * "2026-11-23 14:08:33.619708954 +0000 UTC" (trailing zeros of the fraction dropped). */
static char *
go_time(const char *rfc3339)
{
    time_t t = rl_parse_rfc3339(rfc3339);
    const char *frac = strchr(rfc3339, '.');
    char buf[64], digits[16] = "";
    struct tm tm;
    size_t n = 0;

    if (t < 0)
        return xstrdup(rfc3339);
    gmtime_r(&t, &tm);
    strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S", &tm);
    if (frac) {
        for (frac++; frac[n] >= '0' && frac[n] <= '9' && n < 9; n++)
            digits[n] = frac[n];
        while (n > 0 && digits[n - 1] == '0')
            digits[--n] = '\0';
    }
    return xasprintf("%s%s%s +0000 UTC", buf, n ? "." : "", digits);
}

/* What a template sees: podman's VolumeListReport fields. */
static json_t *
template_object(const struct rl_volume *v)
{
    json_t *o = rl_volume_to_json(v);
    cleanup_free char *created = go_time(v->created);

    json_object_set_new(o, "CreatedAt", json_string(created));
    json_object_set_new(o, "UID", json_integer(v->uid >= 0 ? v->uid : 0));
    json_object_set_new(o, "GID", json_integer(v->gid >= 0 ? v->gid : 0));
    return o;
}

/* The header line of a table template: the template applied to podman's column names. */
static json_t *
header_object(void)
{
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "Name", "VOLUME NAME",
                     "Driver", "DRIVER", "Mountpoint", "MOUNTPOINT", "CreatedAt", "CREATED AT",
                     "Labels", "LABELS", "Scope", "SCOPE", "Options", "OPTIONS", "UID", "UID",
                     "GID", "GID", "MountCount", "MOUNT COUNT");
}

/* A table template with its blanks (outside actions) turned into column breaks, as podman
 * does: 'table {{.Name}} {{.Driver}}' has two columns. */
static char *
table_template(const char *format)
{
    char *out = xstrdup(format);
    int depth = 0;

    if (!rl_str_has_prefix(out, "table "))
        return out;
    for (char *p = out + 6; *p; p++) {
        if (p[0] == '{' && p[1] == '{')
            depth++;
        else if (p[0] == '}' && p[1] == '}' && depth > 0)
            depth--;
        else if (*p == ' ' && depth == 0)
            *p = '\t';
    }
    return out;
}

/* Render T for OBJ into a string without its final newline. */
static int
render(const struct rl_template *t, json_t *obj, char **ret, rl_error_t *err)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    int r;

    if (f == NULL)
        rl_oom();
    r = rl_template_render(t, obj, f, err);
    if (fclose(f) != 0)
        rl_oom();
    if (r < 0) {
        free(buf);
        return -1;
    }
    if (len && buf[len - 1] == '\n')
        buf[len - 1] = '\0';
    *ret = buf;
    return 0;
}

/* Print LINES of tab-separated cells in columns, as podman's tabwriter (minimum width 12,
 * padding 2): "DRIVER      VOLUME NAME". The last cell of a line is not padded. */
static void
print_columns(char **lines, size_t n)
{
    cleanup_free size_t *w = NULL;
    size_t n_cols = 0;

    for (size_t i = 0; i < n; i++) {
        size_t col = 0;
        for (const char *p = lines[i]; (p = strchr(p, '\t')) != NULL; p++)
            col++;
        if (col > n_cols)
            n_cols = col;
    }
    w = xzalloc((n_cols + 1) * sizeof(size_t));
    for (size_t i = 0; i < n; i++) {
        size_t col = 0;
        for (const char *p = lines[i], *tab; (tab = strchr(p, '\t')) != NULL; p = tab + 1) {
            size_t cw = (size_t)(tab - p) + 2;
            if (cw < 12)
                cw = 12;
            if (cw > w[col])
                w[col] = cw;
            col++;
        }
    }
    for (size_t i = 0; i < n; i++) {
        size_t col = 0;
        const char *p = lines[i], *tab;
        for (; (tab = strchr(p, '\t')) != NULL; p = tab + 1)
            printf("%-*.*s", (int)w[col++], (int)(tab - p), p);
        printf("%s\n", p);
    }
}

/* ------------------------------------------------------------------ filters */

static const char *const filter_keys[] = { "name", "label", "driver", "dangling" };

struct volume_filter {
    const char *key; /* one of filter_keys */
    const char *value;
    bool dangling;
    bool has_regex;
    regex_t regex; /* name= */
};

static void
filters_free(struct volume_filter *f, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (f[i].has_regex)
            regfree(&f[i].regex);
}

/* "KEY=VALUE", in podman's words when it is wrong. */
static int
parse_filter(const char *arg, struct volume_filter *f, rl_error_t *err)
{
    const char *eq = strchr(arg, '=');
    size_t klen = eq ? (size_t)(eq - arg) : strlen(arg);

    memset(f, 0, sizeof(*f));
    if (eq == NULL)
        return rl_make_error(
            err, 0, "filter input must be in the form of filter=value: %s is invalid", arg);
    for (size_t i = 0; i < RL_ARRAY_SIZE(filter_keys); i++)
        if (strlen(filter_keys[i]) == klen && strncmp(arg, filter_keys[i], klen) == 0)
            f->key = filter_keys[i];
    if (f->key == NULL)
        return rl_make_error(err, 0, "\"%.*s\" is an invalid volume filter", (int)klen, arg);
    f->value = eq + 1;
    if (strcmp(f->key, "dangling") == 0) {
        if (strcmp(f->value, "true") != 0 && strcmp(f->value, "false") != 0)
            return rl_make_error(err, 0,
                                 "\"%s\" is not a valid value for the \"dangling\" filter - must "
                                 "be true or false",
                                 f->value);
        f->dangling = strcmp(f->value, "true") == 0;
    } else if (strcmp(f->key, "name") == 0) {
        int r = regcomp(&f->regex, f->value, REG_EXTENDED | REG_NOSUB);
        if (r != 0) {
            char msg[256];
            regerror(r, &f->regex, msg, sizeof(msg));
            return rl_make_error(err, 0, "filter '%s': %s", arg, msg);
        }
        f->has_regex = true;
    }
    return 0;
}

static bool
match_label(const struct rl_volume *v, const char *want)
{
    const char *eq = strchr(want, '=');
    cleanup_free char *key = eq ? xstrndup(want, (size_t)(eq - want)) : xstrdup(want);
    json_t *val = json_object_get(v->labels, key);

    if (!json_is_string(val))
        return false;
    return eq == NULL || strcmp(json_string_value(val), eq + 1) == 0;
}

static int
match_filter(const char *store, const struct rl_volume *v, const struct volume_filter *f, bool *ret,
             rl_error_t *err)
{
    if (strcmp(f->key, "name") == 0) {
        *ret = regexec(&f->regex, v->name, 0, NULL, 0) == 0;
    } else if (strcmp(f->key, "label") == 0) {
        *ret = match_label(v, f->value);
    } else if (strcmp(f->key, "driver") == 0) {
        *ret = strcmp(v->driver, f->value) == 0;
    } else {
        cleanup_strv char **users = NULL;
        if (volume_users(store, v->name, &users, err) < 0)
            return -1;
        *ret = (users[0] == NULL) == f->dangling;
    }
    return 0;
}

/* Keep the volumes of *LIST that pass the filters, podman's way: filters with the same key
 * are alternatives, except label (all must match); different keys must all match. */
static int
filter_volumes(const char *store, struct rl_volume **list, size_t *n,
               const struct volume_filter *filters, size_t n_filters, rl_error_t *err)
{
    size_t kept = 0;

    for (size_t i = 0; i < *n; i++) {
        bool keep = true;

        for (size_t k = 0; k < RL_ARRAY_SIZE(filter_keys) && keep; k++) {
            bool all = strcmp(filter_keys[k], "label") == 0, seen = false, any = false;
            bool every = true;
            for (size_t f = 0; f < n_filters; f++) {
                bool m;
                if (filters[f].key != filter_keys[k])
                    continue;
                if (match_filter(store, list[i], &filters[f], &m, err) < 0)
                    return -1;
                seen = true;
                any = any || m;
                every = every && m;
            }
            if (seen)
                keep = all ? every : any;
        }
        if (keep)
            list[kept++] = list[i];
        else
            rl_volume_free(list[i]);
    }
    *n = kept;
    list[kept] = NULL;
    return 0;
}

/* ------------------------------------------------------------------ create */

static int
volume_create(struct rl_globals *g, int argc, char **argv, rl_error_t *err)
{
    enum { OPT_DRIVER = 256, OPT_IGNORE };
    static const struct option opts[] = {
        { "label", required_argument, NULL, 'l' },
        { "opt", required_argument, NULL, 'o' },
        { "driver", required_argument, NULL, OPT_DRIVER },
        { "ignore", no_argument, NULL, OPT_IGNORE },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    cleanup_json json_t *labels = json_object(), *options = json_object();
    cleanup_free char *store = NULL;
    struct rl_volume *v = NULL;
    const char *name = NULL;
    bool ignore = false;
    long long uid, gid;
    int c;

    opterr = 0;
    optind = 0;
    while ((c = getopt_long(argc, argv, "+l:o:h", opts, NULL)) != -1) {
        const char *eq = optarg ? strchr(optarg, '=') : NULL;
        cleanup_free char *key = NULL;

        switch (c) {
        case 'l':
        case 'o':
            key = eq ? xstrndup(optarg, (size_t)(eq - optarg)) : xstrdup(optarg);
            if (*key == '\0')
                return rl_make_error(err, 0, "volume create: %s '%s': the name is empty",
                                     c == 'l' ? "--label" : "--opt", optarg);
            if (json_object_size(c == 'l' ? labels : options) >= LABELS_MAX)
                return rl_make_error(err, 0, "volume create: more than %d %s", LABELS_MAX,
                                     c == 'l' ? "labels" : "options");
            json_object_set_new(c == 'l' ? labels : options, key, json_string(eq ? eq + 1 : ""));
            break;
        case OPT_DRIVER:
            if (strcmp(optarg, "local") != 0)
                return rl_make_error(err, 0,
                                     "volume create: driver '%s' is not supported: rl has only "
                                     "the local driver",
                                     optarg);
            break;
        case OPT_IGNORE:
            ignore = true;
            break;
        case 'h':
            fputs(HELP_CREATE, stdout);
            return 0;
        default:
            return rl_cmd_bad_option("volume create", argc, argv, err);
        }
    }
    if (argc - optind > 1)
        return rl_make_error(err, 0, "volume create: accepts at most 1 arg(s), received %d",
                             argc - optind);
    name = optind < argc ? argv[optind] : NULL;
    if (rl_volume_options_check(options, &uid, &gid, err) < 0)
        return plain_error(err);
    store = volume_store(g);
    /* An owner from o=uid=N is an id of the user's namespace, as the container sees it. */
    if ((uid >= 0 || gid >= 0) && rl_cmd_store_userns(NULL, err) < 0)
        return -1;
    if (rl_volume_create(store, name, labels, options, ignore, &v, err) < 0) {
        /* These messages say it all; a system error keeps its cause. */
        if ((*err)->status == EEXIST || (name && *name && !rl_volume_name_valid(name)))
            return plain_error(err);
        return -1;
    }
    printf("%s\n", v->name);
    rl_volume_free(v);
    return 0;
}

/* ------------------------------------------------------------------ ls */

static int
volume_ls(struct rl_globals *g, int argc, char **argv, rl_error_t *err)
{
    enum { OPT_FORMAT = 256 };
    static const struct option opts[] = {
        { "filter", required_argument, NULL, 'f' },
        { "format", required_argument, NULL, OPT_FORMAT },
        { "noheading", no_argument, NULL, 'n' },
        { "quiet", no_argument, NULL, 'q' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    struct volume_filter filters[FILTERS_MAX];
    size_t n_filters = 0, n = 0;
    struct rl_volume **list = NULL;
    cleanup_free char *store = NULL, *text = NULL;
    struct rl_template *t = NULL;
    const char *format = NULL;
    bool quiet = false, noheading = false;
    int c, ret = -1;

    opterr = 0;
    optind = 0;
    while ((c = getopt_long(argc, argv, "+f:nqh", opts, NULL)) != -1) {
        switch (c) {
        case 'f':
            if (n_filters >= FILTERS_MAX) {
                rl_make_error(err, 0, "volume ls: more than %d filters", FILTERS_MAX);
                goto out;
            }
            if (parse_filter(optarg, &filters[n_filters], err) < 0)
                goto out;
            n_filters++;
            break;
        case OPT_FORMAT:
            format = optarg;
            break;
        case 'n':
            noheading = true;
            break;
        case 'q':
            quiet = true;
            break;
        case 'h':
            fputs(HELP_LS, stdout);
            ret = 0;
            goto out;
        default:
            rl_cmd_bad_option("volume ls", argc, argv, err);
            goto out;
        }
    }
    if (optind < argc) {
        rl_make_error(err, 0, "volume ls: takes no arguments (see 'rl volume ls --help')");
        goto out;
    }
    if (quiet && format) {
        rl_make_error(err, 0, "quiet and format flags cannot be used together");
        goto out;
    }
    if (format && strcmp(format, "table") == 0)
        format = NULL;
    if (format && strcmp(format, "json") != 0) {
        text = table_template(format);
        if (rl_template_parse(text, &t, err) < 0) {
            rl_error_wrap(err, "volume ls: --format");
            goto out;
        }
    }
    store = volume_store(g);
    if (rl_volume_list(store, &list, &n, err) < 0
        || filter_volumes(store, list, &n, filters, n_filters, err) < 0)
        goto out;

    if (format && strcmp(format, "json") == 0) {
        cleanup_json json_t *out = json_array();
        for (size_t i = 0; i < n; i++)
            json_array_append_new(out, rl_volume_to_json(list[i]));
        ret = print_json(out, err);
    } else if (quiet) {
        for (size_t i = 0; i < n; i++)
            printf("%s\n", list[i]->name);
        ret = 0;
    } else if (t && !rl_template_is_table(t)) {
        ret = 0;
        for (size_t i = 0; i < n && ret == 0; i++) {
            cleanup_json json_t *o = template_object(list[i]);
            ret = rl_template_render(t, o, stdout, err);
        }
    } else {
        /* A table: the default one, or a template's. Like podman, nothing at all when there
         * is no volume. */
        char **lines = xzalloc((n + 2) * sizeof(char *));
        size_t k = 0;

        ret = 0;
        if (n > 0 && !noheading) {
            if (t == NULL) {
                lines[k++] = xstrdup("DRIVER\tVOLUME NAME");
            } else {
                cleanup_json json_t *h = header_object();
                cleanup_error rl_error_t tmp = NULL;
                if (render(t, h, &lines[k], &tmp) < 0) {
                    /* A field below a label, {{.Labels.app}}: its name, upper-cased. */
                    char *buf = NULL;
                    size_t len = 0;
                    FILE *f = open_memstream(&buf, &len);
                    if (f == NULL)
                        rl_oom();
                    rl_template_header(t, f);
                    fclose(f);
                    if (len && buf[len - 1] == '\n')
                        buf[len - 1] = '\0';
                    lines[k] = buf;
                }
                k++;
            }
        }
        for (size_t i = 0; i < n && ret == 0; i++) {
            if (t == NULL) {
                lines[k++] = xasprintf("%s\t%s", list[i]->driver, list[i]->name);
            } else {
                cleanup_json json_t *o = template_object(list[i]);
                ret = render(t, o, &lines[k], err);
                if (ret == 0)
                    k++;
            }
        }
        if (ret == 0)
            print_columns(lines, k);
        rl_strv_free(lines);
    }
    if (ret < 0 && t)
        rl_error_wrap(err, "volume ls: --format");
out:
    filters_free(filters, n_filters);
    rl_volume_list_free(list, n);
    rl_template_free(t);
    return ret;
}

/* ------------------------------------------------------------------ inspect */

static int
volume_inspect(struct rl_globals *g, int argc, char **argv, rl_error_t *err)
{
    static const struct option opts[] = {
        { "all", no_argument, NULL, 'a' },
        { "format", required_argument, NULL, 'f' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    cleanup_json json_t *out = json_array();
    cleanup_free char *store = NULL;
    struct rl_volume **list = NULL;
    struct rl_template *t = NULL;
    const char *format = NULL;
    rl_error_t first = NULL;
    bool all = false;
    size_t n = 0;
    int c, ret = 0;

    opterr = 0;
    optind = 0;
    while ((c = getopt_long(argc, argv, "+af:h", opts, NULL)) != -1) {
        switch (c) {
        case 'a':
            all = true;
            break;
        case 'f':
            format = optarg;
            break;
        case 'h':
            fputs(HELP_INSPECT, stdout);
            return 0;
        default:
            return rl_cmd_bad_option("volume inspect", argc, argv, err);
        }
    }
    if (all == (optind < argc))
        return rl_make_error(err, 0, "provide one or more volume names or use --all");
    if (format && strcmp(format, "json") != 0 && rl_template_parse(format, &t, err) < 0)
        return rl_error_wrap(err, "volume inspect: --format");
    store = volume_store(g);
    if (all) {
        if (rl_volume_list(store, &list, &n, err) < 0) {
            rl_template_free(t);
            return -1;
        }
    } else {
        list = xzalloc((size_t)(argc - optind + 1) * sizeof(*list));
        for (int i = optind; i < argc; i++) {
            cleanup_error rl_error_t tmp = NULL;
            if (rl_volume_get(store, argv[i], &list[n], &tmp) < 0) {
                if (first == NULL)
                    first = steal_pointer(&tmp);
                continue;
            }
            n++;
        }
    }
    for (size_t i = 0; i < n; i++) {
        if (t) {
            cleanup_json json_t *o = template_object(list[i]);
            if (rl_template_render(t, o, stdout, err) < 0) {
                ret = rl_error_wrap(err, "volume inspect: --format");
                break;
            }
        } else {
            json_array_append_new(out, rl_volume_to_json(list[i]));
        }
    }
    if (t == NULL)
        ret = print_json(out, err);
    rl_volume_list_free(list, n);
    rl_template_free(t);
    if (ret == 0 && first) {
        *err = first;
        plain_error(err);
        return rl_error_wrap(err, "inspecting object");
    }
    rl_error_release(&first);
    return ret;
}

/* ------------------------------------------------------------------ rm, prune */

/* Remove volume NAME unless a container uses it (with FORCE, podman removes those containers
 * first). The error's status says why: ENOENT, EBUSY (in use) or another. */
static int
remove_volume(const char *store, const char *name, bool force, rl_error_t *err)
{
    cleanup_strv char **users = NULL;

    if (volume_users(store, name, &users, err) < 0)
        return -1;
    if (users[0]) {
        cleanup_free char *ids = strv_join(users, ", ");
        struct rl_ctx ctx = { .store = (char *)store };
        if (!force)
            return rl_make_error(err, EBUSY,
                                 "volume %s is being used by the following container(s): %s: "
                                 "volume is being used",
                                 name, ids);
        /* podman: -f removes the containers that use it first. */
        for (size_t i = 0; users[i]; i++)
            if (rl_ctr_rm(&ctx, users[i], true, false, err) < 0)
                return -1;
    }
    if (rl_volume_remove(store, name, err) < 0) {
        if ((*err)->status == ENOENT) {
            rl_error_release(err);
            return rl_make_error(err, ENOENT, "no volume with name \"%s\" found: no such volume",
                                 name);
        }
        return -1;
    }
    return 0;
}

static int
volume_rm(struct rl_globals *g, int argc, char **argv, rl_error_t *err)
{
    static const struct option opts[] = {
        { "all", no_argument, NULL, 'a' },
        { "force", no_argument, NULL, 'f' },
        { "time", required_argument, NULL, 't' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    cleanup_free char *store = NULL;
    struct rl_volume **list = NULL;
    cleanup_strv char **names = NULL;
    bool all = false, force = false, missing = false, busy = false, other = false;
    rl_error_t last = NULL;
    long long secs;
    size_t n = 0;
    int c;

    opterr = 0;
    optind = 0;
    while ((c = getopt_long(argc, argv, "+aft:h", opts, NULL)) != -1) {
        switch (c) {
        case 'a':
            all = true;
            break;
        case 'f':
            force = true;
            break;
        case 't':
            /* For the containers that -f stops, once containers record their volumes. */
            if (!rl_parse_ll(optarg, 0, 1000000000, &secs))
                return rl_make_error(err, 0, "volume rm: --time: '%s' is not a number of seconds",
                                     optarg);
            break;
        case 'h':
            fputs(HELP_RM, stdout);
            return 0;
        default:
            return rl_cmd_bad_option("volume rm", argc, argv, err);
        }
    }
    if (all == (optind < argc))
        return rl_make_error(err, 0, "choose either one or more volumes or all");
    store = volume_store(g);
    if (all) {
        if (rl_volume_list(store, &list, &n, err) < 0)
            return -1;
        for (size_t i = 0; i < n; i++)
            rl_strv_push(&names, list[i]->name);
        rl_volume_list_free(list, n);
    } else {
        for (int i = optind; i < argc; i++)
            rl_strv_push(&names, argv[i]);
    }
    /* Files that containers wrote belong to the ids of the user's namespace. */
    if (names && rl_cmd_store_userns(NULL, err) < 0)
        return -1;
    for (size_t i = 0; names && names[i]; i++) {
        rl_error_t tmp = NULL;

        if (remove_volume(store, names[i], force, &tmp) == 0) {
            printf("%s\n", names[i]);
            continue;
        }
        missing = missing || tmp->status == ENOENT;
        busy = busy || tmp->status == EBUSY;
        other = other || (tmp->status != ENOENT && tmp->status != EBUSY);
        if (tmp->status == ENOENT || tmp->status == EBUSY)
            plain_error(&tmp);
        /* Every failure is told; the last one reaches main(). */
        if (last) {
            cleanup_free char *msg = rl_error_format(last);
            rl_error("%s", msg);
            rl_error_release(&last);
        }
        last = tmp;
    }
    if (last == NULL)
        return 0;
    /* podman's exit status: 1 when a volume was not there, 2 when one is in use. */
    rl_exit_status = other ? 0 : busy ? 2 : missing ? 1 : 0;
    *err = last;
    return -1;
}

static int
volume_prune(struct rl_globals *g, int argc, char **argv, rl_error_t *err)
{
    enum { OPT_FILTER = 256 };
    static const struct option opts[] = {
        { "force", no_argument, NULL, 'f' },
        { "filter", required_argument, NULL, OPT_FILTER },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    struct volume_filter filters[FILTERS_MAX];
    size_t n_filters = 0, n = 0;
    struct rl_volume **list = NULL;
    cleanup_free char *store = NULL;
    bool force = false;
    int c, ret = -1;

    opterr = 0;
    optind = 0;
    while ((c = getopt_long(argc, argv, "+fh", opts, NULL)) != -1) {
        switch (c) {
        case 'f':
            force = true;
            break;
        case OPT_FILTER:
            if (n_filters >= FILTERS_MAX) {
                rl_make_error(err, 0, "volume prune: more than %d filters", FILTERS_MAX);
                goto out;
            }
            if (parse_filter(optarg, &filters[n_filters], err) < 0)
                goto out;
            n_filters++;
            break;
        case 'h':
            fputs(HELP_PRUNE, stdout);
            ret = 0;
            goto out;
        default:
            rl_cmd_bad_option("volume prune", argc, argv, err);
            goto out;
        }
    }
    if (optind < argc) {
        rl_make_error(err, 0, "volume prune: takes no arguments (see 'rl volume prune --help')");
        goto out;
    }
    store = volume_store(g);
    if (rl_volume_list(store, &list, &n, err) < 0
        || filter_volumes(store, list, &n, filters, n_filters, err) < 0)
        goto out;
    /* Only the volumes no container uses, whatever the filters say (even dangling=false). */
    {
        struct volume_filter unused;
        parse_filter("dangling=true", &unused, NULL);
        if (filter_volumes(store, list, &n, &unused, 1, err) < 0)
            goto out;
    }
    if (!force) {
        char answer[64] = "";
        printf("WARNING! This will remove all volumes not used by at least one container. The "
               "following volumes will be removed:\n");
        for (size_t i = 0; i < n; i++)
            printf("%s\n", list[i]->name);
        if (n == 0) {
            printf("No dangling volumes found\n");
            ret = 0;
            goto out;
        }
        printf("Are you sure you want to continue? [y/N] ");
        fflush(stdout);
        if (fgets(answer, sizeof(answer), stdin) == NULL) {
            rl_make_error(err, 0, "volume prune: no answer on standard input (use -f)");
            goto out;
        }
        if (answer[0] != 'y' && answer[0] != 'Y') {
            ret = 0;
            goto out;
        }
    }
    if (n > 0 && rl_cmd_store_userns(NULL, err) < 0)
        goto out;
    ret = 0;
    for (size_t i = 0; i < n; i++) {
        cleanup_error rl_error_t tmp = NULL;
        /* Gone meanwhile: another prune or rm was quicker. */
        if (remove_volume(store, list[i]->name, false, &tmp) < 0) {
            if (tmp->status == ENOENT)
                continue;
            *err = steal_pointer(&tmp);
            ret = -1;
            break;
        }
        printf("%s\n", list[i]->name);
    }
out:
    filters_free(filters, n_filters);
    rl_volume_list_free(list, n);
    return ret;
}

/* ------------------------------------------------------------------ exists */

static int
volume_exists(struct rl_globals *g, int argc, char **argv, rl_error_t *err)
{
    cleanup_free char *store = NULL;
    cleanup_error rl_error_t tmp = NULL;
    struct rl_volume *v = NULL;

    if (argc == 2 && rl_is_help(argv[1])) {
        fputs(HELP_EXISTS, stdout);
        return 0;
    }
    if (argc != 2)
        return rl_make_error(err, 0, "volume exists: accepts 1 arg(s), received %d", argc - 1);
    store = volume_store(g);
    if (rl_volume_get(store, argv[1], &v, &tmp) < 0) {
        if (tmp->status == ENOENT) {
            rl_exit_status = 1;
            return -1;
        }
        /* A damaged volume (no status) is there all the same. */
        if (tmp->status != 0) {
            *err = steal_pointer(&tmp);
            return -1;
        }
    }
    rl_volume_free(v);
    return 0;
}

int
cmd_volume(struct rl_globals *g, int argc, char **argv, rl_error_t *err)
{
    static const struct rl_subcommand subs[] = {
        { "create", volume_create },   { "ls", volume_ls },         { "list", volume_ls },
        { "inspect", volume_inspect }, { "rm", volume_rm },         { "remove", volume_rm },
        { "prune", volume_prune },     { "exists", volume_exists }, { NULL, NULL },
    };
    return rl_cmd_dispatch(g, "volume", HELP_VOLUME, subs, argc, argv, err);
}
