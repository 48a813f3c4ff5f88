/* rl save, rl load, rl import: images to and from tar archives. */
#include "config.h"

#include <ctype.h>
#include <fcntl.h>
#include <getopt.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "archive.h"
#include "fs.h"
#include "ref.h"
#include "rl.h"
#include "store.h"

#define HELP_SAVE                                                                           \
    "Usage: rl save [OPTIONS] IMAGE [IMAGE...]\n\n"                                         \
    "Write images to a tar archive that podman load, docker load or rl load read.\n\n"      \
    "Options:\n"                                                                            \
    "  -o, --output FILE        write to FILE (default: standard output, not a terminal)\n" \
    "      --format FORMAT      docker-archive (default) or oci-archive\n"                  \
    "  -m, --multi-image-archive  accepted; several images always go into one archive\n"    \
    "  -q, --quiet              accepted for podman compatibility\n"                        \
    "  -h, --help               show this help\n"

#define HELP_LOAD                                                                             \
    "Usage: rl load [OPTIONS]\n\n"                                                            \
    "Load images from a docker-archive or oci-archive tarball (gzip or zstd compressed, or\n" \
    "not).\n\n"                                                                               \
    "Options:\n"                                                                              \
    "  -i, --input FILE         read FILE (default: standard input, not a terminal)\n"        \
    "  -q, --quiet              print nothing but errors\n"                                   \
    "  -h, --help               show this help\n"

#define HELP_IMPORT                                                                             \
    "Usage: rl import [OPTIONS] FILE|- [REFERENCE]\n\n"                                         \
    "Create an image of one layer from a root filesystem tarball (- reads standard input).\n\n" \
    "Options:\n"                                                                                \
    "  -c, --change INSTRUCTION  apply a Dockerfile instruction: CMD, ENTRYPOINT, ENV,\n"       \
    "                           EXPOSE, LABEL, STOPSIGNAL, USER, VOLUME, WORKDIR\n"             \
    "  -m, --message TEXT       the history comment\n"                                          \
    "  -q, --quiet              print only the image id\n"                                      \
    "  -h, --help               show this help\n"

int
cmd_save(struct rl_globals *g, int argc, char **argv, rl_error_t *err)
{
    enum { OPT_FORMAT = 256 };
    static const struct option opts[] = {
        { "output", required_argument, NULL, 'o' },
        { "format", required_argument, NULL, OPT_FORMAT },
        { "multi-image-archive", no_argument, NULL, 'm' },
        { "quiet", no_argument, NULL, 'q' },
        { "compress", no_argument, NULL, 'C' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    enum rl_archive_format format = RL_ARCHIVE_DOCKER;
    cleanup_store struct rl_store *s = NULL;
    cleanup_json json_t *images = NULL;
    cleanup_free size_t *idx = NULL;
    cleanup_free char *tmp = NULL;
    const char *output = NULL;
    cleanup_close int fd = -1;
    size_t n = 0;
    int c, ret;

    opterr = 0;
    while ((c = getopt_long(argc, argv, "o:mqh", opts, NULL)) != -1) {
        switch (c) {
        case 'o':
            output = optarg;
            break;
        case OPT_FORMAT:
            if (rl_archive_format_parse(optarg, &format, err) < 0)
                return rl_error_wrap(err, "save: --format");
            break;
        case 'm':
        case 'q':
        case 'C':
            break;
        case 'h':
            fputs(HELP_SAVE, stdout);
            return 0;
        default:
            return rl_cmd_bad_option("save", argc, argv, err);
        }
    }
    if (optind >= argc)
        return rl_make_error(err, 0, "save: missing image name (see 'rl save --help')");
    if (output == NULL && isatty(STDOUT_FILENO))
        return rl_make_error(err, 0,
                             "save: refusing to write an archive to a terminal: use -o "
                             "FILE or redirect the output");
    if (rl_store_open(g->root, &s, err) < 0 || rl_cmd_store_userns(NULL, err) < 0
        || rl_store_lock(s, LOCK_SH, err) < 0 || rl_store_images_load(s, &images, err) < 0)
        return -1;
    idx = xzalloc((size_t)(argc - optind) * sizeof(size_t));
    for (int i = optind; i < argc; i++) {
        long k = rl_store_image_find(images, argv[i], err);
        if (k < 0) {
            cleanup_free char *msg = steal_pointer(&(*err)->msg);
            rl_error_release(err);
            return rl_make_error(err, 0, "save: %s", msg);
        }
        idx[n++] = (size_t)k;
    }
    if (output) {
        /* Written beside the destination and renamed: a failed save leaves no half file. */
        tmp = xasprintf("%s.rl-tmp-%d", output, (int)getpid());
        fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        if (fd < 0)
            return rl_make_error(err, errno, "save: create '%s'", tmp);
    }
    ret = rl_archive_save(s, images, idx, n, format, output ? fd : STDOUT_FILENO, err);
    if (ret == 0 && output && fsync(fd) < 0)
        ret = rl_make_error(err, errno, "save: write '%s'", output);
    if (ret == 0 && output && rename(tmp, output) < 0)
        ret = rl_make_error(err, errno, "save: rename to '%s'", output);
    if (ret < 0 && tmp)
        unlink(tmp);
    rl_store_lock(s, LOCK_UN, NULL);
    return ret < 0 ? rl_error_wrap(err, "save") : 0;
}

int
cmd_load(struct rl_globals *g, int argc, char **argv, rl_error_t *err)
{
    static const struct option opts[] = {
        { "input", required_argument, NULL, 'i' },
        { "quiet", no_argument, NULL, 'q' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    cleanup_store struct rl_store *s = NULL;
    cleanup_strv char **loaded = NULL;
    const char *input = NULL;
    cleanup_close int fd = -1;
    bool quiet = false, single = false;
    int c;

    opterr = 0;
    while ((c = getopt_long(argc, argv, "i:qh", opts, NULL)) != -1) {
        switch (c) {
        case 'i':
            input = optarg;
            break;
        case 'q':
            quiet = true;
            break;
        case 'h':
            fputs(HELP_LOAD, stdout);
            return 0;
        default:
            return rl_cmd_bad_option("load", argc, argv, err);
        }
    }
    if (optind < argc)
        return rl_make_error(err, 0, "load: unexpected argument '%s' (use -i FILE)", argv[optind]);
    if (input) {
        fd = open(input, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            return rl_make_error(err, errno, "load: open '%s'", input);
    } else if (isatty(STDIN_FILENO)) {
        return rl_make_error(err, 0, "load: no archive: use -i FILE or redirect standard input");
    }
    if (rl_store_open(g->root, &s, err) < 0 || rl_cmd_store_userns(&single, err) < 0)
        return -1;
    if (rl_archive_load(s, input ? fd : STDIN_FILENO, single, &loaded, err) < 0)
        return rl_error_wrap(err, "load");
    if (!quiet) {
        for (char **p = loaded; p && *p; p++)
            printf("Loaded image: %s\n", *p);
    }
    return 0;
}

/* ------------------------------------------------------------------ import --change */

/* The words of a Dockerfile instruction's argument: a JSON array, or shell words split on
 * spaces. */
static json_t *
instruction_args(const char *rest, bool shell_form_wraps, rl_error_t *err)
{
    json_t *arr;

    while (isspace((unsigned char)*rest))
        rest++;
    if (*rest == '[') {
        json_error_t jerr;
        size_t i;
        json_t *v;
        arr = json_loads(rest, 0, &jerr);
        if (!json_is_array(arr)) {
            json_decref(arr);
            rl_make_error(err, 0, "'%s': not a JSON array of strings", rest);
            return NULL;
        }
        json_array_foreach (arr, i, v) {
            if (!json_is_string(v)) {
                json_decref(arr);
                rl_make_error(err, 0, "'%s': not a JSON array of strings", rest);
                return NULL;
            }
        }
        return arr;
    }
    if (shell_form_wraps)
        return json_pack("[s, s, s]", "/bin/sh", "-c", rest);
    arr = json_array();
    {
        cleanup_free char *copy = xstrdup(rest);
        char *save = NULL;
        for (char *w = strtok_r(copy, " \t", &save); w; w = strtok_r(NULL, " \t", &save))
            json_array_append_new(arr, json_string(w));
    }
    return arr;
}

static int
apply_change(json_t *config, const char *change, rl_error_t *err)
{
    cleanup_free char *inst = NULL;
    const char *rest = change;
    json_t *v;
    size_t n;

    while (*rest && !isspace((unsigned char)*rest) && *rest != '=')
        rest++;
    inst = xstrndup(change, (size_t)(rest - change));
    for (char *p = inst; *p; p++)
        *p = (char)toupper((unsigned char)*p);
    while (*rest == ' ' || *rest == '\t' || *rest == '=')
        rest++;
    if (*rest == '\0')
        return rl_make_error(err, 0, "--change '%s': missing argument", change);
    if (strcmp(inst, "CMD") == 0 || strcmp(inst, "ENTRYPOINT") == 0) {
        v = instruction_args(rest, true, err);
        if (v == NULL)
            return rl_error_wrap(err, "--change %s", inst);
        json_object_set_new(config, strcmp(inst, "CMD") == 0 ? "Cmd" : "Entrypoint", v);
    } else if (strcmp(inst, "ENV") == 0) {
        json_t *env = json_object_get(config, "Env");
        const char *eq = strchr(rest, '=');
        cleanup_free char *kv = NULL;
        if (eq == NULL) {
            const char *sp = strpbrk(rest, " \t");
            if (sp == NULL)
                return rl_make_error(err, 0, "--change '%s': ENV needs KEY=VALUE", change);
            kv = xasprintf("%.*s=%s", (int)(sp - rest), rest, sp + strspn(sp, " \t"));
        } else {
            kv = xstrdup(rest);
        }
        if (!json_is_array(env)) {
            env = json_array();
            json_object_set_new(config, "Env", env);
        }
        json_array_append_new(env, json_string(kv));
    } else if (strcmp(inst, "WORKDIR") == 0) {
        json_object_set_new(config, "WorkingDir", json_string(rest));
    } else if (strcmp(inst, "USER") == 0) {
        json_object_set_new(config, "User", json_string(rest));
    } else if (strcmp(inst, "STOPSIGNAL") == 0) {
        json_object_set_new(config, "StopSignal", json_string(rest));
    } else if (strcmp(inst, "LABEL") == 0 || strcmp(inst, "EXPOSE") == 0
               || strcmp(inst, "VOLUME") == 0) {
        const char *key = strcmp(inst, "LABEL") == 0    ? "Labels"
                          : strcmp(inst, "EXPOSE") == 0 ? "ExposedPorts"
                                                        : "Volumes";
        json_t *obj = json_object_get(config, key);
        json_t *words = instruction_args(rest, false, err);
        if (words == NULL)
            return rl_error_wrap(err, "--change %s", inst);
        if (!json_is_object(obj)) {
            obj = json_object();
            json_object_set_new(config, key, obj);
        }
        json_array_foreach (words, n, v) {
            const char *w = json_string_value(v);
            if (strcmp(inst, "LABEL") == 0) {
                const char *eq = strchr(w, '=');
                cleanup_free char *k = eq ? xstrndup(w, (size_t)(eq - w)) : xstrdup(w);
                json_object_set_new(obj, k, json_string(eq ? eq + 1 : ""));
            } else if (strcmp(inst, "EXPOSE") == 0) {
                cleanup_free char *port = strchr(w, '/') ? xstrdup(w) : xasprintf("%s/tcp", w);
                json_object_set_new(obj, port, json_object());
            } else {
                json_object_set_new(obj, w, json_object());
            }
        }
        json_decref(words);
    } else {
        return rl_make_error(err, 0,
                             "--change '%s': unsupported instruction '%s' (use CMD, ENTRYPOINT, "
                             "ENV, EXPOSE, LABEL, STOPSIGNAL, USER, VOLUME or WORKDIR)",
                             change, inst);
    }
    return 0;
}

int
cmd_import(struct rl_globals *g, int argc, char **argv, rl_error_t *err)
{
    static const struct option opts[] = {
        { "change", required_argument, NULL, 'c' },
        { "message", required_argument, NULL, 'm' },
        { "quiet", no_argument, NULL, 'q' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    cleanup_store struct rl_store *s = NULL;
    cleanup_json json_t *config = json_pack("{s:[s]}", "Env",
                                            "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/"
                                            "bin:/sbin:/bin");
    cleanup_free char *id = NULL;
    const char *message = NULL, *file, *name = NULL;
    cleanup_close int fd = -1;
    bool quiet = false, single = false;
    int c;

    opterr = 0;
    while ((c = getopt_long(argc, argv, "c:m:qh", opts, NULL)) != -1) {
        switch (c) {
        case 'c':
            if (apply_change(config, optarg, err) < 0)
                return rl_error_wrap(err, "import");
            break;
        case 'm':
            message = optarg;
            break;
        case 'q':
            quiet = true;
            break;
        case 'h':
            fputs(HELP_IMPORT, stdout);
            return 0;
        default:
            return rl_cmd_bad_option("import", argc, argv, err);
        }
    }
    if (argc - optind < 1 || argc - optind > 2)
        return rl_make_error(err, 0,
                             "import: need a tarball and at most one name (see 'rl "
                             "import --help')");
    file = argv[optind];
    if (argc - optind == 2) {
        cleanup_image_ref struct rl_image_ref *ref = NULL;
        name = argv[optind + 1];
        if (rl_image_ref_parse_local(name, &ref, err) < 0)
            return rl_error_wrap(err, "import");
        if (ref->digest)
            return rl_make_error(err, 0, "import: '%s': a new name cannot have a digest", name);
    }
    if (rl_str_has_prefix(file, "http://") || rl_str_has_prefix(file, "https://"))
        return rl_make_error(err, 0,
                             "import: URLs are not supported: download the tarball "
                             "first (curl -L URL | rl import - NAME)");
    if (strcmp(file, "-") == 0) {
        if (isatty(STDIN_FILENO))
            return rl_make_error(err, 0, "import: '-' reads standard input, which is a terminal");
        fd = dup(STDIN_FILENO);
    } else {
        fd = open(file, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            return rl_make_error(err, errno, "import: open '%s'", file);
    }
    if (rl_store_open(g->root, &s, err) < 0 || rl_cmd_store_userns(&single, err) < 0)
        return -1;
    if (rl_archive_import(s, fd, name, config, message, single, &id, err) < 0)
        return -1;
    if (!quiet)
        fprintf(stderr, "Writing manifest to image destination\n");
    printf("%s\n", id);
    return 0;
}
