#include "config.h"

#include <string.h>

#include "manifest.h"
#include "tap.h"

#define DA "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define DB "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
#define DC "sha256:cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc"
#define DD "sha256:dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd"
/* printf '%s %s' DA DB | sha256sum, and then that with DC. */
#define CHAIN_AB  "sha256:ccd722928bd92476ba1745586fed6e45a102504185ad88cd89e01ff116fd146c"
#define CHAIN_ABC "sha256:c1377126441fb2f5ec2c21ae2a60255331d639e830f0ee1b40a36e52d4c40588"

/* JSON text with ' for ", so that the documents below stay readable. */
static char *
json(const char *text)
{
    char *s = xstrdup(text);
    for (char *p = s; *p; p++)
        if (*p == '\'')
            *p = '"';
    return s;
}

/* Parse TEXT (with ' for ") and expect success. */
static struct rl_manifest *
parse_ok(const char *text, const char *content_type, const char *what)
{
    cleanup_free char *doc = json(text);
    cleanup_error rl_error_t err = NULL;
    struct rl_manifest *m = NULL;
    int ret = rl_manifest_parse(doc, strlen(doc), content_type, &m, &err);

    ok(ret == 0 && m != NULL, "%s parses", what);
    if (err)
        printf("#   %s\n", err->msg);
    return m;
}

/* Parse TEXT and expect an error that starts with "manifest: " and contains PART. */
static void
parse_bad(const char *text, const char *content_type, const char *part)
{
    cleanup_free char *doc = json(text);
    cleanup_error rl_error_t err = NULL;
    struct rl_manifest *m = (struct rl_manifest *)&parse_bad; /* must stay untouched */
    int ret = rl_manifest_parse(doc, strlen(doc), content_type, &m, &err);

    ok(ret < 0 && err != NULL && strncmp(err->msg, "manifest: ", 10) == 0
           && strstr(err->msg, part) != NULL,
       "refused naming \"%s\"", part);
    if (err)
        printf("#   %s\n", err->msg);
    ok(m == (struct rl_manifest *)&parse_bad, "ret is left alone on failure");
}

#define OCI_INDEX                                                                   \
    "{'schemaVersion':2,'mediaType':'" RL_MT_OCI_INDEX "','manifests':["            \
    "{'mediaType':'" RL_MT_OCI_MANIFEST "','digest':'" DA "','size':100,"           \
    "'platform':{'os':'linux','architecture':'amd64'}},"                            \
    "{'mediaType':'" RL_MT_OCI_MANIFEST "','digest':'" DB "','size':101,"           \
    "'platform':{'os':'linux','architecture':'arm','variant':'v6'}},"               \
    "{'mediaType':'" RL_MT_OCI_MANIFEST "','digest':'" DC "','size':102,"           \
    "'platform':{'os':'linux','architecture':'arm','variant':'v7'}},"               \
    "{'mediaType':'" RL_MT_OCI_MANIFEST "','digest':'" DD "','size':103,"           \
    "'platform':{'os':'linux','architecture':'arm64'}},"                            \
    "{'mediaType':'" RL_MT_OCI_MANIFEST "','digest':'" DA "','size':5,"             \
    "'platform':{'os':'unknown','architecture':'unknown'},'annotations':{'a':'b'}}" \
    "]}"

static void
test_oci_index(void)
{
    cleanup_manifest struct rl_manifest *m = parse_ok(OCI_INDEX, NULL, "OCI index");

    if (m == NULL)
        return;
    is_int(m->kind, RL_MANIFEST_INDEX, "kind is index");
    is_str(m->media_type, RL_MT_OCI_INDEX, "media type");
    is_int(m->n_manifests, 5, "5 entries");
    is_str(m->manifests[1].digest, DB, "entry 1 digest");
    is_int(m->manifests[1].size, 101, "entry 1 size");
    is_str(m->manifests[1].platform.architecture, "arm", "entry 1 architecture");
    is_str(m->manifests[1].platform.variant, "v6", "entry 1 variant");
    ok(m->manifests[0].platform.variant == NULL, "entry 0 has no variant");
    ok(m->layers == NULL && m->n_layers == 0, "no layers");
}

static void
test_docker_list(void)
{
    cleanup_manifest struct rl_manifest *m =
        parse_ok("{'schemaVersion':2,'mediaType':'" RL_MT_DOCKER_LIST "','manifests':["
                 "{'mediaType':'" RL_MT_DOCKER_MANIFEST "','digest':'" DA "','size':528,"
                 "'platform':{'architecture':'amd64','os':'linux'}},"
                 "{'mediaType':'" RL_MT_DOCKER_MANIFEST "','digest':'" DB "','size':528,"
                 "'platform':{'architecture':'arm64','os':'linux','variant':'v8'}},"
                 "{'mediaType':'" RL_MT_DOCKER_MANIFEST "','digest':'" DC "','size':528,"
                 "'platform':{'architecture':'s390x','os':'linux','os.features':[]}}]}",
                 RL_MT_DOCKER_LIST, "Docker manifest list");

    if (m == NULL)
        return;
    is_int(m->kind, RL_MANIFEST_INDEX, "a list is an index");
    is_str(m->media_type, RL_MT_DOCKER_LIST, "media type");
    is_int(m->n_manifests, 3, "3 entries");
    is_str(m->manifests[1].platform.variant, "v8", "arm64 entry has variant v8");
}

#define V2S2                                                                                  \
    "{'schemaVersion':2,'mediaType':'" RL_MT_DOCKER_MANIFEST "',"                             \
    "'config':{'mediaType':'" RL_MT_DOCKER_CONFIG "','size':1469,'digest':'" DA "'},"         \
    "'layers':[{'mediaType':'" RL_MT_DOCKER_LAYER_GZIP "','size':2811321,'digest':'" DB "'}," \
    "{'mediaType':'" RL_MT_DOCKER_FOREIGN_GZIP "','size':0,'digest':'" DC "',"                \
    "'urls':['https://example.com/x']}]}"

static void
test_v2s2(void)
{
    cleanup_manifest struct rl_manifest *m =
        parse_ok(V2S2, RL_MT_DOCKER_MANIFEST, "Docker v2 schema 2 manifest");

    if (m == NULL)
        return;
    is_int(m->kind, RL_MANIFEST_IMAGE, "kind is image");
    is_str(m->media_type, RL_MT_DOCKER_MANIFEST, "media type");
    is_str(m->config.digest, DA, "config digest");
    is_int(m->config.size, 1469, "config size");
    is_str(m->config.media_type, RL_MT_DOCKER_CONFIG, "config media type");
    is_int(m->n_layers, 2, "2 layers");
    is_str(m->layers[0].digest, DB, "layer 0 digest");
    is_int(m->layers[0].size, 2811321, "layer 0 size");
    is_int(m->layers[0].compression, RL_COMPRESSION_GZIP, "docker layer is gzip");
    is_int(m->layers[1].compression, RL_COMPRESSION_GZIP, "foreign layer is gzip");
    is_int(m->layers[1].size, 0, "a size of 0 is fine");
    ok(m->n_manifests == 0 && m->manifests == NULL, "no manifests");
}

#define OCI_MANIFEST_LAYERS(layers)                                                \
    "{'schemaVersion':2,'mediaType':'" RL_MT_OCI_MANIFEST "',"                     \
    "'config':{'mediaType':'" RL_MT_OCI_CONFIG "','size':7023,'digest':'" DA "'}," \
    "'layers':[" layers "]}"
#define LAYER(mt, digest, size) "{'mediaType':'" mt "','digest':'" digest "','size':" size "}"

static void
test_oci_manifest(void)
{
    cleanup_manifest struct rl_manifest *m =
        parse_ok(OCI_MANIFEST_LAYERS(LAYER(RL_MT_OCI_LAYER_GZIP, DB, "32654") "," LAYER(
                     RL_MT_OCI_LAYER_ZSTD, DC, "16724") "," LAYER(RL_MT_OCI_LAYER, DD, "73109")),
                 "application/vnd.oci.image.manifest.v1+json; charset=utf-8", "OCI manifest");
    cleanup_manifest struct rl_manifest *guessed = NULL;

    if (m != NULL) {
        is_int(m->kind, RL_MANIFEST_IMAGE, "kind is image");
        is_str(m->media_type, RL_MT_OCI_MANIFEST, "media type");
        is_int(m->n_layers, 3, "3 layers");
        is_int(m->layers[0].compression, RL_COMPRESSION_GZIP, "tar+gzip is gzip");
        is_int(m->layers[1].compression, RL_COMPRESSION_ZSTD, "tar+zstd is zstd");
        is_int(m->layers[2].compression, RL_COMPRESSION_NONE, "tar is uncompressed");
        is_str(m->layers[2].media_type, RL_MT_OCI_LAYER, "layer 2 media type");
    }

    guessed = parse_ok("{'schemaVersion':2,"
                       "'config':{'mediaType':'" RL_MT_OCI_CONFIG "','size':1,'digest':'" DA "'},"
                       "'layers':[" LAYER(RL_MT_OCI_LAYER_GZIP, DB, "2") "]}",
                       NULL, "OCI manifest without mediaType or Content-Type");
    if (guessed != NULL)
        is_str(guessed->media_type, RL_MT_OCI_MANIFEST, "guessed: OCI manifest");
    guessed = rl_manifest_free(guessed);

    guessed = parse_ok("{'schemaVersion':2,"
                       "'config':{'mediaType':'" RL_MT_DOCKER_CONFIG "','size':1,'digest':'" DA
                       "'},'layers':[" LAYER(RL_MT_DOCKER_LAYER_GZIP, DB, "2") "]}",
                       RL_MT_DOCKER_MANIFEST, "manifest without mediaType, with Content-Type");
    if (guessed != NULL)
        is_str(guessed->media_type, RL_MT_DOCKER_MANIFEST, "media type from Content-Type");
    guessed = rl_manifest_free(guessed);

    guessed = parse_ok("{'schemaVersion':2,'manifests':[]}", "application/json",
                       "index without mediaType, generic Content-Type");
    if (guessed != NULL) {
        is_str(guessed->media_type, RL_MT_OCI_INDEX, "guessed: OCI index");
        is_int(guessed->n_manifests, 0, "an empty index");
    }
    ok(rl_manifest_free(NULL) == NULL, "rl_manifest_free(NULL) is NULL");
}

static void
test_bad_manifests(void)
{
    parse_bad("", NULL, "line 1");
    parse_bad("{'schemaVersion':2,", NULL, "line 1");
    parse_bad("[1,2]", NULL, "must be a JSON object, not an array");
    parse_bad("{'schemaVersion':2,'schemaVersion':2,'manifests':[]}", NULL, "duplicate");
    parse_bad("{'schemaVersion':1,'name':'x','tag':'y','fsLayers':[]}", NULL,
              "Docker schema 1 manifests are not supported");
    parse_bad("{'schemaVersion':2,'manifests':[]}",
              "application/vnd.docker.distribution.manifest.v1+prettyjws",
              "Docker schema 1 manifests are not supported");
    parse_bad("{'manifests':[]}", NULL, "schemaVersion: missing");
    parse_bad("{'schemaVersion':'2','manifests':[]}", NULL,
              "schemaVersion: must be an integer, not a string");
    parse_bad("{'schemaVersion':3,'manifests':[]}", NULL, "schemaVersion: unsupported version 3");
    parse_bad(V2S2, RL_MT_OCI_MANIFEST,
              "mediaType '" RL_MT_DOCKER_MANIFEST
              "' does not match the Content-Type '" RL_MT_OCI_MANIFEST "'");
    parse_bad(OCI_INDEX, RL_MT_DOCKER_LIST, "does not match the Content-Type");
    parse_bad("{'schemaVersion':2,'mediaType':5,'manifests':[]}", NULL,
              "mediaType: must be a string, not an integer");
    parse_bad("{'schemaVersion':2,'mediaType':'" RL_MT_OCI_CONFIG "','manifests':[]}", NULL,
              "mediaType: unsupported manifest type '" RL_MT_OCI_CONFIG "'");
    parse_bad("{'schemaVersion':2}", NULL, "no manifests, config or layers");
    parse_bad("{'schemaVersion':2}", "application/x-thing",
              "Content-Type: unsupported manifest type 'application/x-thing'");
    parse_bad("{'schemaVersion':2,'mediaType':'" RL_MT_OCI_INDEX "'}", NULL, "manifests: missing");
    parse_bad("{'schemaVersion':2,'mediaType':'" RL_MT_OCI_INDEX "','manifests':{}}", NULL,
              "manifests: must be an array, not an object");
    parse_bad("{'schemaVersion':2,'mediaType':'" RL_MT_OCI_INDEX "','manifests':[],'layers':[]}",
              NULL, "must not have config or layers");
    parse_bad("{'schemaVersion':2,'mediaType':'" RL_MT_OCI_MANIFEST "','manifests':[]}", NULL,
              "must not have manifests");
    parse_bad("{'schemaVersion':2,'manifests':[],'layers':[]}", NULL,
              "has both manifests and config or layers");
    parse_bad("{'schemaVersion':2,'manifests':[5]}", NULL,
              "manifests[0]: must be an object, not an integer");
    parse_bad("{'schemaVersion':2,'manifests':[{'mediaType':'" RL_MT_OCI_MANIFEST "','digest':'" DA
              "','size':1,'platform':{'os':'linux'}}]}",
              NULL, "manifests[0].platform.architecture: missing");
    parse_bad("{'schemaVersion':2,'manifests':[{'mediaType':'" RL_MT_OCI_MANIFEST "','digest':'" DA
              "','size':1,'platform':{'os':'','architecture':'amd64'}}]}",
              NULL, "manifests[0].platform.os: must not be empty");
    parse_bad("{'schemaVersion':2,'manifests':[{'mediaType':'" RL_MT_OCI_MANIFEST "','digest':'" DA
              "','size':1,'platform':'linux/amd64'}]}",
              NULL, "manifests[0].platform: must be an object, not a string");
    parse_bad("{'schemaVersion':2,'manifests':[{'mediaType':'" RL_MT_OCI_MANIFEST "','digest':'" DA
              "'}]}",
              NULL, "manifests[0].size: missing");

    /* Image manifests. */
    parse_bad("{'schemaVersion':2,'mediaType':'" RL_MT_OCI_MANIFEST
              "','layers':[" LAYER(RL_MT_OCI_LAYER, DB, "1") "]}",
              NULL, "config: missing");
    parse_bad("{'schemaVersion':2,'mediaType':'" RL_MT_OCI_MANIFEST
              "','config':{'mediaType':'" RL_MT_OCI_CONFIG "','size':1,'digest':'" DA "'}}",
              NULL, "layers: missing");
    parse_bad(OCI_MANIFEST_LAYERS(""), NULL, "layers: an image needs at least one layer");
    parse_bad("{'schemaVersion':2,'mediaType':'" RL_MT_OCI_MANIFEST
              "','config':{'mediaType':'" RL_MT_OCI_CONFIG "','size':1,'digest':'" DA "'},"
              "'layers':{}}",
              NULL, "layers: must be an array, not an object");
    parse_bad("{'schemaVersion':2,'mediaType':'" RL_MT_OCI_MANIFEST
              "','config':{'mediaType':'application/vnd.cncf.helm.config.v1+json','size':1,"
              "'digest':'" DA "'},'layers':[" LAYER(RL_MT_OCI_LAYER, DB, "1") "]}",
              NULL, "config.mediaType: unsupported config type 'application/vnd.cncf.helm");
    parse_bad("{'schemaVersion':2,'mediaType':'" RL_MT_OCI_MANIFEST
              "','config':{'size':1,'digest':'" DA
              "'},'layers':[" LAYER(RL_MT_OCI_LAYER, DB, "1") "]}",
              NULL, "config.mediaType: missing");
    parse_bad(OCI_MANIFEST_LAYERS(LAYER(RL_MT_OCI_LAYER, DB, "1") "," LAYER(
                  RL_MT_OCI_LAYER, DB, "1") "," LAYER(RL_MT_OCI_LAYER, "x", "1")),
              NULL, "manifest: layers[2].digest: invalid digest 'x'");
    parse_bad(OCI_MANIFEST_LAYERS(LAYER(RL_MT_OCI_LAYER, "sha512:abc", "1")), NULL,
              "layers[0].digest: unsupported digest algorithm 'sha512'");
    parse_bad(
        OCI_MANIFEST_LAYERS(LAYER(RL_MT_OCI_LAYER,
                                  "sha256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
                                  "AAAAAAAAAAA",
                                  "1")),
        NULL, "layers[0].digest: invalid digest");
    parse_bad(OCI_MANIFEST_LAYERS("{'mediaType':'" RL_MT_OCI_LAYER "','digest':5,'size':1}"), NULL,
              "layers[0].digest: must be a string, not an integer");
    parse_bad(OCI_MANIFEST_LAYERS(LAYER(RL_MT_OCI_LAYER, DB, "-1")), NULL,
              "layers[0].size: must be >= 0, not -1");
    parse_bad(OCI_MANIFEST_LAYERS(LAYER(RL_MT_OCI_LAYER, DB, "1.5")), NULL,
              "layers[0].size: must be an integer, not a real number");
    parse_bad(OCI_MANIFEST_LAYERS(LAYER(RL_MT_OCI_LAYER, DB, "'1'")), NULL,
              "layers[0].size: must be an integer, not a string");
    parse_bad(OCI_MANIFEST_LAYERS("{'mediaType':'" RL_MT_OCI_LAYER "','digest':'" DB "'}"), NULL,
              "layers[0].size: missing");
    parse_bad(OCI_MANIFEST_LAYERS(LAYER(RL_MT_OCI_LAYER, DB, "1") "," LAYER(
                  "application/vnd.oci.image.layer.v1.tar+bzip2", DB, "1")),
              NULL,
              "layers[1].mediaType: unsupported layer type "
              "'application/vnd.oci.image.layer.v1.tar+bzip2'");
    parse_bad(OCI_MANIFEST_LAYERS(LAYER("application/octet-stream", DB, "1")), NULL,
              "layers[0].mediaType: unsupported layer type 'application/octet-stream'");
    parse_bad(OCI_MANIFEST_LAYERS("'x'"), NULL, "layers[0]: must be an object, not a string");
    parse_bad(OCI_MANIFEST_LAYERS("{'digest':'" DB "','size':1}"), NULL,
              "layers[0].mediaType: missing");
}

static void
test_bad_sizes(void)
{
    size_t big = RL_MANIFEST_MAX_SIZE + 1;
    cleanup_free char *buf = xmalloc(big);
    cleanup_free char *many = NULL;
    cleanup_error rl_error_t err = NULL;
    struct rl_manifest *m = NULL;
    size_t len = 0, cap = 2000 * 200;

    memset(buf, ' ', big);
    ok(rl_manifest_parse(buf, big, NULL, &m, &err) < 0 && strstr(err->msg, "more than the limit"),
       "a manifest over %d bytes is refused", RL_MANIFEST_MAX_SIZE);
    rl_error_release(&err);

    many = xmalloc(cap);
    len += (size_t)snprintf(many + len, cap - len,
                            "{\"schemaVersion\":2,\"config\":{\"mediaType\":\"%s\",\"size\":1,"
                            "\"digest\":\"%s\"},\"layers\":[",
                            RL_MT_OCI_CONFIG, DA);
    for (int i = 0; i < 1001; i++)
        len += (size_t)snprintf(many + len, cap - len,
                                "%s{\"mediaType\":\"%s\",\"size\":1,\"digest\":\"%s\"}",
                                i ? "," : "", RL_MT_OCI_LAYER, DB);
    len += (size_t)snprintf(many + len, cap - len, "]}");
    ok(rl_manifest_parse(many, len, NULL, &m, &err) < 0
           && strstr(err->msg, "layers: 1001 entries, more than the limit"),
       "1001 layers are refused");
    if (err)
        printf("#   %s\n", err->msg);
    rl_error_release(&err);

    static const char nul[] = "{\"schemaVersion\":2,\"manifests\":[]}\0x";
    ok(rl_manifest_parse(nul, sizeof(nul) - 1, NULL, &m, &err) < 0,
       "a NUL byte after the document is refused");
    rl_error_release(&err);
}

static void
test_platform_parse(void)
{
    static const struct {
        const char *text, *os, *arch, *variant;
    } good[] = {
        { "linux/amd64", "linux", "amd64", NULL },
        { "linux/arm64/v8", "linux", "arm64", "v8" },
        { "windows/arm/v7", "windows", "arm", "v7" },
    };
    static const char *const bad[] = { "",           "linux",   "linux/", "/amd64", "linux//v8",
                                       "linux/arm/", "a/b/c/d", "/",      "//" };

    for (size_t i = 0; i < RL_ARRAY_SIZE(good); i++) {
        struct rl_platform p = { 0 };
        cleanup_error rl_error_t err = NULL;
        cleanup_free char *text = NULL;

        ok(rl_platform_parse(good[i].text, &p, &err) == 0, "platform '%s' parses", good[i].text);
        is_str(p.os, good[i].os, "'%s' os", good[i].text);
        is_str(p.architecture, good[i].arch, "'%s' architecture", good[i].text);
        is_str(p.variant, good[i].variant, "'%s' variant", good[i].text);
        text = rl_platform_format(&p);
        is_str(text, good[i].text, "'%s' formats back", good[i].text);
        rl_platform_release(&p);
        ok(p.os == NULL && p.architecture == NULL && p.variant == NULL, "release clears it");
    }
    for (size_t i = 0; i < RL_ARRAY_SIZE(bad); i++) {
        struct rl_platform p = { 0 };
        cleanup_error rl_error_t err = NULL;
        cleanup_free char *want = xasprintf("invalid platform '%s': use OS/ARCH[/VARIANT]", bad[i]);

        ok(rl_platform_parse(bad[i], &p, &err) < 0 && strcmp(err->msg, want) == 0,
           "platform '%s' is refused", bad[i]);
        if (err)
            printf("#   %s\n", err->msg);
        ok(p.os == NULL, "ret is left alone");
    }
}

static void
test_platform_host(void)
{
    struct rl_platform p = { 0 };
    cleanup_free char *text = NULL;

    rl_platform_host(&p);
    is_str(p.os, "linux", "host os is linux");
    ok(p.architecture != NULL && *p.architecture, "host architecture is set");
    text = rl_platform_format(&p);
    printf("# host platform: %s\n", text);
#if defined(__x86_64__)
    is_str(p.architecture, "amd64", "x86_64 is amd64");
    ok(p.variant == NULL, "amd64 has no variant");
#elif defined(__aarch64__)
    is_str(p.architecture, "arm64", "aarch64 is arm64");
    is_str(p.variant, "v8", "arm64 is v8");
#else
    skip("no known machine name to compare");
    skip("no known machine name to compare");
#endif
    rl_platform_release(&p);
}

static void
select_case(const struct rl_manifest *index, const char *want, const char *digest,
            const char *variant)
{
    struct rl_platform p = { 0 };
    cleanup_error rl_error_t err = NULL;
    const struct rl_descriptor *d = NULL;

    if (rl_platform_parse(want, &p, &err) < 0) {
        ok(0, "'%s' parses: %s", want, err->msg);
        return;
    }
    ok(rl_manifest_select(index, &p, &d, &err) == 0 && d != NULL, "select %s", want);
    if (err)
        printf("#   %s\n", err->msg);
    if (d != NULL) {
        is_str(d->digest, digest, "select %s: digest", want);
        is_str(d->platform.variant, variant, "select %s: variant", want);
    }
    rl_platform_release(&p);
}

static void
select_fails(const struct rl_manifest *index, const char *want, const char *msg)
{
    struct rl_platform p = { 0 };
    cleanup_error rl_error_t err = NULL;
    const struct rl_descriptor *d = NULL;

    if (rl_platform_parse(want, &p, &err) < 0) {
        ok(0, "'%s' parses: %s", want, err->msg);
        return;
    }
    ok(rl_manifest_select(index, &p, &d, &err) < 0 && d == NULL, "select %s fails", want);
    is_str(err ? err->msg : NULL, msg, "select %s: the message lists the platforms", want);
    rl_platform_release(&p);
}

static void
test_select(void)
{
    cleanup_manifest struct rl_manifest *m = parse_ok(OCI_INDEX, NULL, "OCI index");
    cleanup_manifest struct rl_manifest *v8 =
        parse_ok("{'schemaVersion':2,'manifests':["
                 "{'mediaType':'" RL_MT_OCI_MANIFEST "','digest':'" DA "','size':1,"
                 "'platform':{'os':'linux','architecture':'arm64'}},"
                 "{'mediaType':'" RL_MT_OCI_MANIFEST "','digest':'" DB "','size':1,"
                 "'platform':{'os':'linux','architecture':'arm64','variant':'v8'}},"
                 "{'mediaType':'" RL_MT_OCI_INDEX "','digest':'" DC "','size':1,"
                 "'platform':{'os':'linux','architecture':'riscv64'}}]}",
                 NULL, "index with arm64 and arm64/v8");
    cleanup_manifest struct rl_manifest *image = parse_ok(V2S2, NULL, "v2s2");
    cleanup_error rl_error_t err = NULL;
    const struct rl_descriptor *d = NULL;
    struct rl_platform p = { 0 };

    if (m == NULL || v8 == NULL || image == NULL)
        return;
    select_case(m, "linux/amd64", DA, NULL);
    select_case(m, "linux/arm", DB, "v6");
    select_case(m, "linux/arm/v7", DC, "v7");
    select_case(m, "linux/arm/v6", DB, "v6");
    select_case(m, "linux/arm64", DD, NULL);
    select_case(m, "linux/arm64/v8", DD, NULL);
    select_fails(m, "linux/s390x",
                 "no image for linux/s390x in the index (it has: linux/amd64, linux/arm/v6, "
                 "linux/arm/v7, linux/arm64, unknown/unknown)");
    select_fails(m, "linux/arm/v5",
                 "no image for linux/arm/v5 in the index (it has: linux/amd64, linux/arm/v6, "
                 "linux/arm/v7, linux/arm64, unknown/unknown)");
    select_fails(m, "linux/amd64/v3",
                 "no image for linux/amd64/v3 in the index (it has: linux/amd64, linux/arm/v6, "
                 "linux/arm/v7, linux/arm64, unknown/unknown)");
    select_fails(m, "windows/amd64",
                 "no image for windows/amd64 in the index (it has: linux/amd64, linux/arm/v6, "
                 "linux/arm/v7, linux/arm64, unknown/unknown)");

    select_case(v8, "linux/arm64/v8", DB, "v8");
    select_case(v8, "linux/arm64", DA, NULL);
    select_fails(v8, "linux/riscv64",
                 "no image for linux/riscv64 in the index (it has: linux/arm64, linux/arm64/v8, "
                 "linux/riscv64)");
    select_fails(v8, "linux/arm64/v9",
                 "no image for linux/arm64/v9 in the index (it has: linux/arm64, linux/arm64/v8, "
                 "linux/riscv64)");

    ok(rl_platform_parse("linux/amd64", &p, &err) == 0, "linux/amd64 parses");
    ok(rl_manifest_select(image, &p, &d, &err) < 0 && strstr(err->msg, "not an index"),
       "select on an image manifest fails");
    rl_platform_release(&p);
}

static void
test_empty_index_select(void)
{
    cleanup_manifest struct rl_manifest *m =
        parse_ok("{'schemaVersion':2,'manifests':[]}", NULL, "empty index");
    if (m != NULL)
        select_fails(m, "linux/amd64",
                     "no image for linux/amd64 in the index (it has: no platforms)");
}

/* Parse an image config and expect an error containing PART. */
static void
config_bad(const char *text, const char *part)
{
    cleanup_free char *doc = json(text);
    cleanup_error rl_error_t err = NULL;
    struct rl_image_config *c = NULL;

    ok(rl_image_config_parse(doc, strlen(doc), &c, &err) < 0 && c == NULL
           && strncmp(err->msg, "image config: ", 14) == 0 && strstr(err->msg, part) != NULL,
       "config refused naming \"%s\"", part);
    if (err)
        printf("#   %s\n", err->msg);
}

#define ROOTFS(ids) "'rootfs':{'type':'layers','diff_ids':[" ids "]}"

static void
test_config(void)
{
    cleanup_free char *doc =
        json("{'created':'2024-01-02T03:04:05Z','architecture':'arm64','variant':'v8',"
             "'os':'linux','config':{'Env':['PATH=/bin'],'Cmd':['/bin/sh']},"
             "'history':[{'created_by':'x'}]," ROOTFS("'" DA "','" DB "'") "}");
    cleanup_image_config struct rl_image_config *c = NULL;
    cleanup_error rl_error_t err = NULL;

    ok(rl_image_config_parse(doc, strlen(doc), &c, &err) == 0, "config parses");
    if (err)
        printf("#   %s\n", err->msg);
    if (c != NULL) {
        is_str(c->platform.os, "linux", "config os");
        is_str(c->platform.architecture, "arm64", "config architecture");
        is_str(c->platform.variant, "v8", "config variant");
        is_str(c->created, "2024-01-02T03:04:05Z", "config created");
        is_int(c->n_diff_ids, 2, "2 diff ids");
        is_str(c->diff_ids[0], DA, "diff id 0");
        is_str(c->diff_ids[1], DB, "diff id 1");
        ok(c->diff_ids[2] == NULL, "diff ids are NULL-terminated");
        ok(json_is_object(json_object_get(c->json, "config")), "the whole document is kept");
    }
    c = rl_image_config_free(c);
    ok(c == NULL, "rl_image_config_free returns NULL");

    free(doc);
    doc = json("{'architecture':'amd64','os':'linux','config':null," ROOTFS("") "}");
    ok(rl_image_config_parse(doc, strlen(doc), &c, &err) == 0, "minimal config parses");
    if (c != NULL) {
        ok(c->created == NULL && c->platform.variant == NULL, "no created, no variant");
        is_int(c->n_diff_ids, 0, "no diff ids");
    }

    config_bad("", "line 1");
    config_bad("['x']", "must be a JSON object, not an array");
    config_bad("{'os':'linux'," ROOTFS("") "}", "architecture: missing");
    config_bad("{'architecture':'amd64'," ROOTFS("") "}", "os: missing");
    config_bad("{'architecture':7,'os':'linux'," ROOTFS("") "}",
               "architecture: must be a string, not an integer");
    config_bad("{'architecture':'amd64','os':'linux'}", "rootfs: missing");
    config_bad("{'architecture':'amd64','os':'linux','rootfs':[]}",
               "rootfs: must be an object, not an array");
    config_bad("{'architecture':'amd64','os':'linux','rootfs':{'diff_ids':[]}}",
               "rootfs.type: missing");
    config_bad("{'architecture':'amd64','os':'linux','rootfs':{'type':'tar','diff_ids':[]}}",
               "rootfs.type: must be \"layers\"");
    config_bad("{'architecture':'amd64','os':'linux','rootfs':{'type':'layers'}}",
               "rootfs.diff_ids: missing");
    config_bad("{'architecture':'amd64','os':'linux','rootfs':{'type':'layers','diff_ids':{}}}",
               "rootfs.diff_ids: must be an array, not an object");
    config_bad("{'architecture':'amd64','os':'linux'," ROOTFS("'" DA "','nope'") "}",
               "rootfs.diff_ids[1]: invalid digest 'nope'");
    config_bad("{'architecture':'amd64','os':'linux'," ROOTFS("'" DA "',5") "}",
               "rootfs.diff_ids[1]: must be a string, not an integer");
    config_bad("{'architecture':'amd64','os':'linux','created':5," ROOTFS("") "}",
               "created: must be a string");
    config_bad("{'architecture':'amd64','os':'linux','config':[]," ROOTFS("") "}",
               "config: must be an object, not an array");
    config_bad("{'architecture':'amd64','os':'linux','history':{}," ROOTFS("") "}",
               "history: must be an array, not an object");
}

static void
test_chain_ids(void)
{
    char *one[] = { DA };
    char *two[] = { DA, DB };
    char *three[] = { DA, DB, DC };
    cleanup_strv char **c1 = rl_chain_ids(one, 1);
    cleanup_strv char **c2 = rl_chain_ids(two, 2);
    cleanup_strv char **c3 = rl_chain_ids(three, 3);
    cleanup_strv char **c0 = rl_chain_ids(NULL, 0);

    ok(c1 != NULL && rl_strv_len(c1) == 1, "one diff id: one chain id");
    is_str(c1 ? c1[0] : NULL, DA, "the first chain id is the first diff id");
    ok(c2 != NULL && rl_strv_len(c2) == 2, "two diff ids: two chain ids");
    is_str(c2 ? c2[1] : NULL, CHAIN_AB, "chain id 1 is sha256(\"DA DB\")");
    ok(c3 != NULL && rl_strv_len(c3) == 3, "three diff ids: three chain ids");
    is_str(c3 ? c3[2] : NULL, CHAIN_ABC, "chain id 2 is sha256(\"chain1 DC\")");
    ok(c0 != NULL && c0[0] == NULL, "no diff ids: an empty strv");
}

int
main(void)
{
    test_oci_index();
    test_docker_list();
    test_v2s2();
    test_oci_manifest();
    test_bad_manifests();
    test_bad_sizes();
    test_platform_parse();
    test_platform_host();
    test_select();
    test_empty_index_select();
    test_config();
    test_chain_ids();
    done_testing();
}
