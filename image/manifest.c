#include "config.h"

#include <string.h>
#include <sys/utsname.h>

#include "digest.h"
#include "json.h"
#include "manifest.h"

/* Bounds on what one document may list (STYLE §4: every size a user controls has a limit).
 * Docker caps an image at 127 layers and overlayfs at about 500 lower directories. */
#define MAX_LAYERS        1000
#define MAX_INDEX_ENTRIES 4096
#define DIGEST_MAX_LEN    256
/* How much of a bad value an error message quotes. */
#define SHOWN_MAX_LEN 128
/* How many platforms rl_manifest_select's error lists. */
#define SELECT_SHOWN_MAX 16

static char *
shown(const char *text)
{
    return rl_str_shown(text, SHOWN_MAX_LEN);
}

static const char *
json_type_name(json_type type)
{
    switch (type) {
    case JSON_OBJECT:
        return "an object";
    case JSON_ARRAY:
        return "an array";
    case JSON_STRING:
        return "a string";
    case JSON_INTEGER:
        return "an integer";
    case JSON_REAL:
        return "a real number";
    case JSON_TRUE:
    case JSON_FALSE:
        return "a boolean";
    case JSON_NULL:
        return "null";
    }
    return "unknown";
}

/* Member KEY of OBJ, of TYPE. When it is absent (or null) and not REQUIRED, *RET is NULL.
 * Errors name the field as PREFIX.KEY. */
static int
get_member(json_t *obj, const char *prefix, const char *key, json_type type, bool required,
           json_t **ret, rl_error_t *err)
{
    const char *dot = *prefix ? "." : "";
    json_t *v = json_object_get(obj, key);

    if (v == NULL || (json_is_null(v) && !required)) {
        if (required)
            return rl_make_error(err, 0, "%s%s%s: missing", prefix, dot, key);
        *ret = NULL;
        return 0;
    }
    if (json_typeof(v) != type)
        return rl_make_error(err, 0, "%s%s%s: must be %s, not %s", prefix, dot, key,
                             json_type_name(type), json_type_name(json_typeof(v)));
    *ret = v;
    return 0;
}

/* A string member; NON_EMPTY refuses "". *RET is NULL when it is optional and absent. */
static int
get_string(json_t *obj, const char *prefix, const char *key, bool required, bool non_empty,
           const char **ret, rl_error_t *err)
{
    json_t *v;

    if (get_member(obj, prefix, key, JSON_STRING, required, &v, err) < 0)
        return -1;
    if (v != NULL && non_empty && json_string_length(v) == 0)
        return rl_make_error(err, 0, "%s%s%s: must not be empty", prefix, *prefix ? "." : "", key);
    *ret = v ? json_string_value(v) : NULL;
    return 0;
}

/* DIGEST, the value of field PATH: rl_digest_check_syntax, after refusing what it would
 * quote whole (long or unprintable text). */
static int
check_digest(const char *path, const char *digest, rl_error_t *err)
{
    bool printable = true;

    for (const char *p = digest; *p; p++)
        if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f)
            printable = false;
    if (!printable || strlen(digest) > DIGEST_MAX_LEN) {
        cleanup_free char *s = shown(digest);
        return rl_make_error(err, 0, "%s: invalid digest '%s'", path, s);
    }
    if (rl_digest_check_syntax(digest, err) < 0)
        return rl_error_wrap(err, "%s", path);
    return 0;
}

static bool
is_layer_type(const char *mt, enum rl_compression *ret)
{
    static const struct {
        const char *media_type;
        enum rl_compression compression;
    } types[] = {
        { RL_MT_OCI_LAYER, RL_COMPRESSION_NONE },
        { RL_MT_OCI_LAYER_GZIP, RL_COMPRESSION_GZIP },
        { RL_MT_OCI_LAYER_ZSTD, RL_COMPRESSION_ZSTD },
        { RL_MT_DOCKER_LAYER_GZIP, RL_COMPRESSION_GZIP },
        { RL_MT_DOCKER_FOREIGN_GZIP, RL_COMPRESSION_GZIP },
    };

    for (size_t i = 0; i < RL_ARRAY_SIZE(types); i++)
        if (strcmp(mt, types[i].media_type) == 0) {
            *ret = types[i].compression;
            return true;
        }
    return false;
}

static bool
is_index_type(const char *mt)
{
    return strcmp(mt, RL_MT_OCI_INDEX) == 0 || strcmp(mt, RL_MT_DOCKER_LIST) == 0;
}

static bool
is_image_type(const char *mt)
{
    return strcmp(mt, RL_MT_OCI_MANIFEST) == 0 || strcmp(mt, RL_MT_DOCKER_MANIFEST) == 0;
}

static bool
is_schema1_type(const char *mt)
{
    return rl_str_has_prefix(mt, "application/vnd.docker.distribution.manifest.v1+");
}

static int
parse_platform(json_t *obj, const char *prefix, struct rl_platform *ret, rl_error_t *err)
{
    const char *os, *arch, *variant;

    if (get_string(obj, prefix, "os", true, true, &os, err) < 0
        || get_string(obj, prefix, "architecture", true, true, &arch, err) < 0
        || get_string(obj, prefix, "variant", false, false, &variant, err) < 0)
        return -1;
    ret->os = xstrdup(os);
    ret->architecture = xstrdup(arch);
    ret->variant = variant && *variant ? xstrdup(variant) : NULL;
    return 0;
}

enum descriptor_kind {
    DESCRIPTOR_ENTRY, /* an index's manifests[i] */
    DESCRIPTOR_CONFIG,
    DESCRIPTOR_LAYER,
};

/* The descriptor J, named PATH in errors ("layers[2]"), into D. D is released by the caller
 * even when this fails. */
static int
parse_descriptor(json_t *j, const char *path, enum descriptor_kind kind, struct rl_descriptor *d,
                 rl_error_t *err)
{
    const char *mt, *digest;
    json_t *size, *platform;
    char field[64];

    if (!json_is_object(j))
        return rl_make_error(err, 0, "%s: must be an object, not %s", path,
                             json_type_name(json_typeof(j)));
    if (get_string(j, path, "mediaType", true, true, &mt, err) < 0)
        return -1;
    d->media_type = xstrdup(mt);
    if (kind == DESCRIPTOR_LAYER && !is_layer_type(mt, &d->compression)) {
        cleanup_free char *s = shown(mt);
        return rl_make_error(err, 0, "%s.mediaType: unsupported layer type '%s'", path, s);
    }
    if (kind == DESCRIPTOR_CONFIG && strcmp(mt, RL_MT_OCI_CONFIG) != 0
        && strcmp(mt, RL_MT_DOCKER_CONFIG) != 0) {
        cleanup_free char *s = shown(mt);
        return rl_make_error(
            err, 0, "%s.mediaType: unsupported config type '%s' (not a container image)", path, s);
    }

    if (get_string(j, path, "digest", true, false, &digest, err) < 0)
        return -1;
    snprintf(field, sizeof(field), "%s.digest", path);
    if (check_digest(field, digest, err) < 0)
        return -1;
    d->digest = xstrdup(digest);

    if (get_member(j, path, "size", JSON_INTEGER, true, &size, err) < 0)
        return -1;
    if (json_integer_value(size) < 0)
        return rl_make_error(err, 0, "%s.size: must be >= 0, not %lld", path,
                             (long long)json_integer_value(size));
    d->size = (int64_t)json_integer_value(size);

    if (kind != DESCRIPTOR_ENTRY)
        return 0;
    if (get_member(j, path, "platform", JSON_OBJECT, false, &platform, err) < 0)
        return -1;
    if (platform == NULL)
        return 0;
    snprintf(field, sizeof(field), "%s.platform", path);
    return parse_platform(platform, field, &d->platform, err);
}

static void
descriptor_release(struct rl_descriptor *d)
{
    free(d->media_type);
    free(d->digest);
    rl_platform_release(&d->platform);
}

/* The array member KEY of ROOT, each element a descriptor of KIND, at most MAX of them. */
static int
parse_descriptors(json_t *root, const char *key, enum descriptor_kind kind, size_t max,
                  struct rl_descriptor **ret, size_t *ret_n, rl_error_t *err)
{
    json_t *arr, *v;
    size_t i, n;

    if (get_member(root, "", key, JSON_ARRAY, true, &arr, err) < 0)
        return -1;
    n = json_array_size(arr);
    if (n > max)
        return rl_make_error(err, 0, "%s: %zu entries, more than the limit of %zu", key, n, max);
    *ret = xzalloc((n ? n : 1) * sizeof(**ret));
    *ret_n = n;
    json_array_foreach (arr, i, v) {
        char path[64];

        snprintf(path, sizeof(path), "%s[%zu]", key, i);
        if (parse_descriptor(v, path, kind, &(*ret)[i], err) < 0)
            return -1;
    }
    return 0;
}

/* The Content-Type header's media type, lower-cased and without parameters; NULL when it
 * says nothing about the document ("application/json", "text/plain", empty). */
static char *
content_media_type(const char *content_type)
{
    static const char *const generic[] = { "", "application/json", "text/plain",
                                           "application/octet-stream" };
    const char *start = content_type, *end;
    char *mt;

    while (*start == ' ' || *start == '\t')
        start++;
    end = start + strcspn(start, ";");
    while (end > start && (end[-1] == ' ' || end[-1] == '\t'))
        end--;
    mt = xstrndup(start, (size_t)(end - start));
    for (char *p = mt; *p; p++)
        if (*p >= 'A' && *p <= 'Z')
            *p = (char)(*p - 'A' + 'a');
    for (size_t i = 0; i < RL_ARRAY_SIZE(generic); i++)
        if (strcmp(mt, generic[i]) == 0) {
            free(mt);
            return NULL;
        }
    return mt;
}

static int
parse_manifest(const char *buf, size_t len, const char *content_type, struct rl_manifest *m,
               rl_error_t *err)
{
    cleanup_free char *ct = NULL;
    cleanup_json json_t *root = NULL;
    const char *doc_mt;
    bool has_manifests, has_image;
    json_error_t jerr;
    json_t *version, *config;

    if (len > RL_MANIFEST_MAX_SIZE)
        return rl_make_error(err, 0, "%zu bytes, more than the limit of %d", len,
                             RL_MANIFEST_MAX_SIZE);
    if (content_type != NULL)
        ct = content_media_type(content_type);
    if (ct != NULL && is_schema1_type(ct))
        return rl_make_error(err, 0, "Docker schema 1 manifests are not supported");

    root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
    if (root == NULL)
        return rl_make_error(err, 0, "line %d column %d: %s", jerr.line, jerr.column, jerr.text);
    if (!json_is_object(root))
        return rl_make_error(err, 0, "must be a JSON object, not %s",
                             json_type_name(json_typeof(root)));

    if (get_member(root, "", "schemaVersion", JSON_INTEGER, true, &version, err) < 0)
        return -1;
    if (json_integer_value(version) == 1)
        return rl_make_error(err, 0, "Docker schema 1 manifests are not supported");
    if (json_integer_value(version) != 2)
        return rl_make_error(err, 0, "schemaVersion: unsupported version %lld (want 2)",
                             (long long)json_integer_value(version));

    if (get_string(root, "", "mediaType", false, true, &doc_mt, err) < 0)
        return -1;
    if (doc_mt != NULL && ct != NULL && strcmp(doc_mt, ct) != 0) {
        cleanup_free char *s1 = shown(doc_mt);
        cleanup_free char *s2 = shown(ct);
        return rl_make_error(err, 0, "mediaType '%s' does not match the Content-Type '%s'", s1, s2);
    }

    has_manifests = json_object_get(root, "manifests") != NULL;
    has_image = json_object_get(root, "config") != NULL || json_object_get(root, "layers") != NULL;
    if (doc_mt != NULL)
        m->media_type = xstrdup(doc_mt);
    else if (ct != NULL)
        m->media_type = xstrdup(ct);
    else if (has_manifests && !has_image)
        m->media_type = xstrdup(RL_MT_OCI_INDEX);
    else if (has_image && !has_manifests)
        m->media_type = xstrdup(RL_MT_OCI_MANIFEST);
    else if (has_image)
        return rl_make_error(err, 0, "has both manifests and config or layers, and no mediaType");
    else
        return rl_make_error(err, 0,
                             "no manifests, config or layers: not an image manifest or index");

    if (is_schema1_type(m->media_type))
        return rl_make_error(err, 0, "Docker schema 1 manifests are not supported");
    if (is_index_type(m->media_type)) {
        m->kind = RL_MANIFEST_INDEX;
        if (has_image)
            return rl_make_error(err, 0, "an index (%s) must not have config or layers",
                                 m->media_type);
        return parse_descriptors(root, "manifests", DESCRIPTOR_ENTRY, MAX_INDEX_ENTRIES,
                                 &m->manifests, &m->n_manifests, err);
    }
    if (!is_image_type(m->media_type)) {
        cleanup_free char *s = shown(m->media_type);
        return rl_make_error(err, 0, "%s: unsupported manifest type '%s'",
                             doc_mt ? "mediaType" : "Content-Type", s);
    }

    m->kind = RL_MANIFEST_IMAGE;
    if (has_manifests)
        return rl_make_error(err, 0, "an image manifest (%s) must not have manifests",
                             m->media_type);
    if (get_member(root, "", "config", JSON_OBJECT, true, &config, err) < 0
        || parse_descriptor(config, "config", DESCRIPTOR_CONFIG, &m->config, err) < 0)
        return -1;
    if (parse_descriptors(root, "layers", DESCRIPTOR_LAYER, MAX_LAYERS, &m->layers, &m->n_layers,
                          err)
        < 0)
        return -1;
    if (m->n_layers == 0)
        return rl_make_error(err, 0, "layers: an image needs at least one layer");
    return 0;
}

int
rl_manifest_parse(const char *buf, size_t len, const char *content_type, struct rl_manifest **ret,
                  rl_error_t *err)
{
    cleanup_manifest struct rl_manifest *m = xzalloc(sizeof(*m));

    if (parse_manifest(buf, len, content_type, m, err) < 0)
        return rl_error_wrap(err, "manifest");
    *ret = steal_pointer(&m);
    return 0;
}

struct rl_manifest *
rl_manifest_free(struct rl_manifest *m)
{
    if (m == NULL)
        return NULL;
    free(m->media_type);
    descriptor_release(&m->config);
    for (size_t i = 0; i < m->n_layers; i++)
        descriptor_release(&m->layers[i]);
    free(m->layers);
    for (size_t i = 0; i < m->n_manifests; i++)
        descriptor_release(&m->manifests[i]);
    free(m->manifests);
    free(m);
    return NULL;
}

void
rl_manifest_freep(struct rl_manifest **m)
{
    *m = rl_manifest_free(*m);
}

int
rl_platform_parse(const char *text, struct rl_platform *ret, rl_error_t *err)
{
    const char *slash1 = strchr(text, '/');
    const char *slash2 = slash1 ? strchr(slash1 + 1, '/') : NULL;
    const char *arch_end = slash2 ? slash2 : text + strlen(text);

    if (slash1 == NULL || slash1 == text || arch_end == slash1 + 1
        || (slash2 != NULL && (slash2[1] == '\0' || strchr(slash2 + 1, '/') != NULL))) {
        cleanup_free char *s = shown(text);
        return rl_make_error(err, 0, "invalid platform '%s': use OS/ARCH[/VARIANT]", s);
    }
    ret->os = xstrndup(text, (size_t)(slash1 - text));
    ret->architecture = xstrndup(slash1 + 1, (size_t)(arch_end - slash1 - 1));
    ret->variant = slash2 ? xstrdup(slash2 + 1) : NULL;
    return 0;
}

void
rl_platform_host(struct rl_platform *ret)
{
    static const struct {
        const char *machine, *arch, *variant;
    } arches[] = {
        { "x86_64", "amd64", NULL },    { "amd64", "amd64", NULL },
        { "aarch64", "arm64", "v8" },   { "arm64", "arm64", "v8" },
        { "armv7l", "arm", "v7" },      { "armv7", "arm", "v7" },
        { "armv6l", "arm", "v6" },      { "armv5tel", "arm", "v5" },
        { "armv5tejl", "arm", "v5" },   { "i386", "386", NULL },
        { "i486", "386", NULL },        { "i586", "386", NULL },
        { "i686", "386", NULL },        { "ppc64le", "ppc64le", NULL },
        { "ppc64", "ppc64", NULL },     { "s390x", "s390x", NULL },
        { "riscv64", "riscv64", NULL }, { "loongarch64", "loong64", NULL },
    };
    struct utsname u;
    const char *machine = "unknown";

    if (uname(&u) == 0)
        machine = u.machine;
    ret->os = xstrdup("linux");
    ret->architecture = NULL;
    ret->variant = NULL;
    for (size_t i = 0; i < RL_ARRAY_SIZE(arches); i++)
        if (strcmp(machine, arches[i].machine) == 0) {
            ret->architecture = xstrdup(arches[i].arch);
            ret->variant = arches[i].variant ? xstrdup(arches[i].variant) : NULL;
            return;
        }
    ret->architecture = xstrdup(machine);
}

void
rl_platform_release(struct rl_platform *p)
{
    free(p->os);
    free(p->architecture);
    free(p->variant);
    p->os = p->architecture = p->variant = NULL;
}

char *
rl_platform_format(const struct rl_platform *p)
{
    const char *os = p->os ? p->os : "unknown";
    const char *arch = p->architecture ? p->architecture : "unknown";

    if (p->variant != NULL && *p->variant)
        return xasprintf("%s/%s/%s", os, arch, p->variant);
    return xasprintf("%s/%s", os, arch);
}

static bool
same_str(const char *a, const char *b)
{
    return a != NULL && b != NULL && strcmp(a, b) == 0;
}

/* Whether index entry D is an image for WANT; LOOSE lets an arm64 entry without a variant
 * stand for arm64/v8, as every arm64 CPU is v8 or later. */
static bool
platform_matches(const struct rl_descriptor *d, const struct rl_platform *want, bool loose)
{
    const struct rl_platform *have = &d->platform;

    if (!is_image_type(d->media_type) || !same_str(have->os, want->os)
        || !same_str(have->architecture, want->architecture))
        return false;
    if (want->variant == NULL)
        return true;
    if (same_str(have->variant, want->variant))
        return true;
    return loose && have->variant == NULL && strcmp(want->architecture, "arm64") == 0
           && strcmp(want->variant, "v8") == 0;
}

int
rl_manifest_select(const struct rl_manifest *index, const struct rl_platform *want,
                   const struct rl_descriptor **ret, rl_error_t *err)
{
    cleanup_free char *wanted = NULL;
    cleanup_free char *list = NULL;
    size_t listed = 0;

    if (index->kind != RL_MANIFEST_INDEX)
        return rl_make_error(err, 0, "manifest: not an index");
    if (want->os == NULL || want->architecture == NULL)
        return rl_make_error(err, 0, "platform without os or architecture");
    for (int loose = 0; loose <= 1; loose++)
        for (size_t i = 0; i < index->n_manifests; i++)
            if (platform_matches(&index->manifests[i], want, loose)) {
                *ret = &index->manifests[i];
                return 0;
            }

    list = xstrdup("");
    for (size_t i = 0; i < index->n_manifests; i++) {
        const struct rl_descriptor *d = &index->manifests[i];
        cleanup_free char *p = NULL;
        cleanup_free char *s = NULL;
        char *next;

        if (d->platform.os == NULL)
            continue;
        if (listed == SELECT_SHOWN_MAX) {
            next = xasprintf("%s, ...", list);
            free(list);
            list = next;
            break;
        }
        p = rl_platform_format(&d->platform);
        s = shown(p);
        next = xasprintf("%s%s%s", list, listed ? ", " : "", s);
        free(list);
        list = next;
        listed++;
    }
    wanted = rl_platform_format(want);
    return rl_make_error(err, 0, "no image for %s in the index (it has: %s)", wanted,
                         listed ? list : "no platforms");
}

static int
parse_config(const char *buf, size_t len, struct rl_image_config *c, rl_error_t *err)
{
    json_error_t jerr;
    json_t *rootfs, *diff_ids, *v;
    const char *type, *created;
    size_t i, n;

    if (len > RL_CONFIG_MAX_SIZE)
        return rl_make_error(err, 0, "%zu bytes, more than the limit of %d", len,
                             RL_CONFIG_MAX_SIZE);
    c->json = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
    if (c->json == NULL)
        return rl_make_error(err, 0, "line %d column %d: %s", jerr.line, jerr.column, jerr.text);
    if (!json_is_object(c->json))
        return rl_make_error(err, 0, "must be a JSON object, not %s",
                             json_type_name(json_typeof(c->json)));
    if (parse_platform(c->json, "", &c->platform, err) < 0)
        return -1;
    if (get_string(c->json, "", "created", false, false, &created, err) < 0)
        return -1;
    if (created != NULL)
        c->created = xstrdup(created);
    if (get_member(c->json, "", "config", JSON_OBJECT, false, &v, err) < 0
        || get_member(c->json, "", "history", JSON_ARRAY, false, &v, err) < 0)
        return -1;

    if (get_member(c->json, "", "rootfs", JSON_OBJECT, true, &rootfs, err) < 0
        || get_string(rootfs, "rootfs", "type", true, false, &type, err) < 0)
        return -1;
    if (strcmp(type, "layers") != 0) {
        cleanup_free char *s = shown(type);
        return rl_make_error(err, 0, "rootfs.type: must be \"layers\", not '%s'", s);
    }
    if (get_member(rootfs, "rootfs", "diff_ids", JSON_ARRAY, true, &diff_ids, err) < 0)
        return -1;
    n = json_array_size(diff_ids);
    if (n > MAX_LAYERS)
        return rl_make_error(err, 0, "rootfs.diff_ids: %zu entries, more than the limit of %d", n,
                             MAX_LAYERS);
    c->diff_ids = xzalloc((n + 1) * sizeof(char *));
    json_array_foreach (diff_ids, i, v) {
        char path[64];

        snprintf(path, sizeof(path), "rootfs.diff_ids[%zu]", i);
        if (!json_is_string(v))
            return rl_make_error(err, 0, "%s: must be a string, not %s", path,
                                 json_type_name(json_typeof(v)));
        if (check_digest(path, json_string_value(v), err) < 0)
            return -1;
        c->diff_ids[i] = xstrdup(json_string_value(v));
        c->n_diff_ids = i + 1;
    }
    return 0;
}

int
rl_image_config_parse(const char *buf, size_t len, struct rl_image_config **ret, rl_error_t *err)
{
    cleanup_image_config struct rl_image_config *c = xzalloc(sizeof(*c));

    if (parse_config(buf, len, c, err) < 0)
        return rl_error_wrap(err, "image config");
    *ret = steal_pointer(&c);
    return 0;
}

struct rl_image_config *
rl_image_config_free(struct rl_image_config *c)
{
    if (c == NULL)
        return NULL;
    json_decref(c->json);
    rl_platform_release(&c->platform);
    rl_strv_free(c->diff_ids);
    free(c->created);
    free(c);
    return NULL;
}

void
rl_image_config_freep(struct rl_image_config **c)
{
    *c = rl_image_config_free(*c);
}
