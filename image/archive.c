#include "config.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "archive.h"
#include "digest.h"
#include "fs.h"
#include "log.h"
#include "manifest.h"
#include "pull.h"
#include "ref.h"
#include "unpack.h"

#define INDEX_MAX (4 * 1024 * 1024)

int
rl_archive_format_parse(const char *text, enum rl_archive_format *ret, rl_error_t *err)
{
    if (strcmp(text, "docker-archive") == 0)
        *ret = RL_ARCHIVE_DOCKER;
    else if (strcmp(text, "oci-archive") == 0)
        *ret = RL_ARCHIVE_OCI;
    else
        return rl_make_error(err, 0, "unknown format '%s': use docker-archive or oci-archive",
                             text);
    return 0;
}

/* ------------------------------------------------------------------ one layer from a file */

struct file_input {
    struct rl_unpack_input in;
    int fd;
    struct rl_digester *d; /* the blob's own digest, when it is known */
};

static ssize_t
file_input_read(struct rl_unpack_input *in, char *buf, size_t max, rl_error_t *err)
{
    struct file_input *f = (struct file_input *)in;
    ssize_t n = TEMP_FAILURE_RETRY(read(f->fd, buf, max));

    if (n < 0)
        return rl_make_error(err, errno, "read");
    if (n > 0 && f->d && rl_digester_update(f->d, buf, (size_t)n, err) < 0)
        return -1;
    return n;
}

struct layer_work {
    struct rl_store_tmp tmp;
    char *chain;
    bool fresh; /* unpacked here, to be committed */
};

static void
layer_work_release(struct layer_work *w)
{
    rl_store_tmp_release(&w->tmp);
    free(w->chain);
}

/* Unpack the layer from FD into a new work directory of S, checked against DIFF_ID (NULL:
 * computed, returned in *RET_DIFF_ID) and BLOB_DIGEST (may be NULL). */
static int
unpack_layer(struct rl_store *s, int fd, const char *diff_id, const char *blob_digest,
             const char *parent, bool single_id, bool whiteouts, struct layer_work *w,
             char **ret_diff_id, rl_error_t *err)
{
    struct file_input fi = { .in.read = file_input_read, .fd = fd };
    struct rl_unpack_opts uo = {
        .compression = RL_COMPRESSION_DETECT,
        .diff_id = diff_id,
        .layer = { .single_id = single_id, .whiteouts = whiteouts },
    };
    struct rl_unpack_result res = { 0 };
    struct stat st;
    cleanup_free char *diff_path = NULL, *split_path = NULL, *meta_path = NULL;
    cleanup_free char *text = NULL, *chain = NULL;
    cleanup_close int dirfd = -1;
    json_t *meta;
    int ret = -1;

    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode))
        uo.bound = rl_layer_size_bound(st.st_size);
    else
        uo.bound = rl_layer_size_bound(0) > (64ULL << 30) ? rl_layer_size_bound(0) : 64ULL << 30;
    if (blob_digest) {
        fi.d = rl_digester_new(blob_digest, err);
        if (fi.d == NULL)
            return -1;
    }
    if (rl_store_tmp_new(s, &w->tmp, err) < 0)
        goto out;
    diff_path = xasprintf("%s/diff", w->tmp.path);
    split_path = xasprintf("%s/tar-split", w->tmp.path);
    meta_path = xasprintf("%s/layer.json", w->tmp.path);
    uo.split_path = split_path;
    if (mkdir(diff_path, 0755) < 0) {
        rl_make_error(err, errno, "mkdir '%s'", diff_path);
        goto out;
    }
    dirfd = open(diff_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dirfd < 0) {
        rl_make_error(err, errno, "open '%s'", diff_path);
        goto out;
    }
    if (rl_unpack(dirfd, &fi.in, &uo, &res, err) < 0)
        goto out;
    if (fi.d && rl_digester_finish(fi.d, NULL, err) < 0)
        goto out;
    if (res.stats.devices_skipped)
        rl_warning("layer %.19s: %llu device node%s skipped (a user namespace cannot create "
                   "them)",
                   res.diff_id, (unsigned long long)res.stats.devices_skipped,
                   res.stats.devices_skipped == 1 ? "" : "s");
    if (parent) {
        cleanup_free char *joined = xasprintf("%s %s", parent, res.diff_id);
        if (rl_digest_of(joined, strlen(joined), &chain, err) < 0)
            goto out;
    } else {
        chain = xstrdup(res.diff_id);
    }
    meta =
        json_pack("{s:s, s:s, s:s?, s:I, s:s?}", "diffId", res.diff_id, "chainId", chain, "parent",
                  parent, "size", (json_int_t)res.size, "compressedDigest", blob_digest);
    text = json_dumps(meta, JSON_COMPACT);
    json_decref(meta);
    if (rl_write_file_atomic(meta_path, text, strlen(text), 0600, false, err) < 0)
        goto out;
    w->chain = steal_pointer(&chain);
    w->fresh = true;
    if (ret_diff_id)
        *ret_diff_id = steal_pointer(&res.diff_id);
    ret = 0;
out:
    free(res.diff_id);
    rl_digester_free(fi.d);
    return ret;
}

/* Rename the fresh layers into the store, under its lock. */
static int
commit_layers(struct rl_store *s, struct layer_work *w, size_t n, rl_error_t *err)
{
    int ret = 0;

    if (rl_store_lock(s, LOCK_EX, err) < 0)
        return -1;
    for (size_t i = 0; i < n && ret == 0; i++) {
        if (w[i].fresh)
            ret = rl_store_layer_commit(s, &w[i].tmp, w[i].chain + 7, err);
    }
    rl_store_lock(s, LOCK_UN, NULL);
    return ret;
}

/* An OCI manifest of uncompressed layers for an image that came without one (load of a
 * docker-archive, import). */
static json_t *
synth_manifest(const char *config_digest, size_t config_size, char **diff_ids, size_t n,
               struct rl_store *s, char **chains)
{
    json_t *layers = json_array();

    for (size_t i = 0; i < n; i++) {
        cleanup_json json_t *meta = NULL;
        cleanup_error rl_error_t tmp = NULL;
        json_int_t size = 0;
        if (rl_store_layer_meta(s, chains[i] + 7, &meta, &tmp) == 0)
            size = json_integer_value(json_object_get(meta, "size"));
        json_array_append_new(layers, json_pack("{s:s, s:s, s:I}", "mediaType", RL_MT_OCI_LAYER,
                                                "digest", diff_ids[i], "size", size));
    }
    return json_pack("{s:i, s:s, s:{s:s, s:s, s:I}, s:o}", "schemaVersion", 2, "mediaType",
                     RL_MT_OCI_MANIFEST, "config", "mediaType", RL_MT_OCI_CONFIG, "digest",
                     config_digest, "size", (json_int_t)config_size, "layers", layers);
}

/* Store the image whose config is CFGBUF (and layers are in the store): blobs and record.
 * MANIFEST (may be NULL: made up) is the manifest as it came. */
static int
record_image(struct rl_store *s, const char *cfgbuf, size_t cfglen, const char *mbuf, size_t mlen,
             json_t *names, char **ret_id, rl_error_t *err)
{
    cleanup_image_config struct rl_image_config *cfg = NULL;
    cleanup_free char *config_digest = NULL, *manifest_text = NULL, *manifest_digest = NULL;
    cleanup_free char *now = rl_now_rfc3339();
    cleanup_strv char **chain = NULL;
    cleanup_json json_t *manifest = NULL;
    json_t *layers, *record, *blobs, *repo_digests = json_array();
    const char *mtype = RL_MT_OCI_MANIFEST;
    int64_t total = 0;

    if (rl_image_config_parse(cfgbuf, cfglen, &cfg, err) < 0
        || rl_digest_of(cfgbuf, cfglen, &config_digest, err) < 0)
        goto fail;
    chain = rl_chain_ids(cfg->diff_ids, cfg->n_diff_ids);
    if (chain == NULL) {
        rl_make_error(err, 0, "compute chain ids");
        goto fail;
    }
    if (mbuf == NULL) {
        manifest = synth_manifest(config_digest, cfglen, cfg->diff_ids, cfg->n_diff_ids, s, chain);
        manifest_text = json_dumps(manifest, JSON_COMPACT);
        mbuf = manifest_text;
        mlen = strlen(manifest_text);
    } else {
        cleanup_manifest struct rl_manifest *m = NULL;
        if (rl_manifest_parse(mbuf, mlen, NULL, &m, err) < 0)
            goto fail;
        mtype = m->media_type;
        mtype =
            strcmp(mtype, RL_MT_DOCKER_MANIFEST) == 0 ? RL_MT_DOCKER_MANIFEST : RL_MT_OCI_MANIFEST;
    }
    if (rl_digest_of(mbuf, mlen, &manifest_digest, err) < 0
        || rl_store_blob_put(s, manifest_digest, mbuf, mlen, err) < 0
        || rl_store_blob_put(s, config_digest, cfgbuf, cfglen, err) < 0)
        goto fail;
    layers = json_array();
    for (size_t i = 0; i < cfg->n_diff_ids; i++) {
        cleanup_json json_t *meta = NULL;
        cleanup_error rl_error_t tmp = NULL;
        json_array_append_new(layers, json_string(chain[i] + 7));
        if (rl_store_layer_meta(s, chain[i] + 7, &meta, &tmp) == 0)
            total += json_integer_value(json_object_get(meta, "size"));
    }
    blobs = json_pack("[s, s]", manifest_digest, config_digest);
    record = json_pack("{s:s, s:O, s:s, s:s, s:o, s:s, s:o, s:O, s:I, s:s?, s:s, s:o}", "id",
                       config_digest + 7, "names", names, "digest", manifest_digest,
                       "manifestDigest", manifest_digest, "repoDigests", repo_digests,
                       "manifestType", mtype, "layers", layers, "diffIds",
                       json_object_get(json_object_get(cfg->json, "rootfs"), "diff_ids"), "size",
                       (json_int_t)total, "created", cfg->created, "added", now, "blobs", blobs);
    repo_digests = NULL;
    if (rl_store_image_commit(s, record, err) < 0)
        goto fail;
    if (ret_id)
        *ret_id = xstrdup(config_digest + 7);
    return 0;
fail:
    json_decref(repo_digests);
    return -1;
}

/* ------------------------------------------------------------------ load */

static int
open_in(int dirfd, const char *path, rl_error_t *err)
{
    int fd = rl_safe_openat(dirfd, path, O_RDONLY, 0, err);
    if (fd < 0)
        return rl_error_wrap(err, "archive");
    return fd;
}

static int
read_in(int dirfd, const char *path, size_t max, char **buf, size_t *len, rl_error_t *err)
{
    cleanup_close int fd = open_in(dirfd, path, err);
    if (fd < 0 || rl_read_all_fd(fd, max, buf, len, err) < 0)
        return rl_error_wrap(err, "archive: %s", path);
    return 0;
}

static char *
blob_name(const char *digest)
{
    return xasprintf("blobs/sha256/%s", digest + 7);
}

/* The names an image gets from the archive: full references, normalised. */
static void
add_name_how(json_t *names, const char *text, bool local)
{
    cleanup_image_ref struct rl_image_ref *ref = NULL;
    cleanup_error rl_error_t tmp = NULL;
    cleanup_free char *full = NULL;

    if (text == NULL
        || (local ? rl_image_ref_parse_local(text, &ref, &tmp)
                  : rl_image_ref_parse(text, &ref, &tmp))
               < 0
        || ref->digest)
        return;
    full = rl_image_ref_format(ref);
    json_array_append_new(names, json_string(full));
}

static void
add_name(json_t *names, const char *text)
{
    add_name_how(names, text, false);
}

/* What rl load prints for an image: its names, or its id when it has none. */
static void
report_loaded(char ***loaded, json_t *names, const char *id)
{
    size_t i;
    json_t *v;

    if (json_array_size(names) == 0) {
        cleanup_free char *line = xasprintf("sha256:%s", id);
        rl_strv_push(loaded, line);
    }
    json_array_foreach (names, i, v)
        rl_strv_push(loaded, json_string_value(v));
}

/* Unpack the layers DIFF_IDS of an image from the files LAYER_PATHS in DIRFD. */
static int
load_layers(struct rl_store *s, int dirfd, char **diff_ids, size_t n, char **layer_paths,
            char **blob_digests, bool single_id, rl_error_t *err)
{
    cleanup_strv char **chain = rl_chain_ids(diff_ids, n);
    struct layer_work *w = xzalloc((n ? n : 1) * sizeof(*w));
    int ret = -1;

    for (size_t i = 0; i < n; i++)
        w[i].tmp.fd = -1;
    if (chain == NULL) {
        rl_make_error(err, 0, "compute chain ids");
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        cleanup_close int fd = -1;
        if (rl_store_layer_exists(s, chain[i] + 7))
            continue;
        fd = open_in(dirfd, layer_paths[i], err);
        if (fd < 0)
            goto out;
        if (unpack_layer(s, fd, diff_ids[i], blob_digests ? blob_digests[i] : NULL,
                         i ? chain[i - 1] : NULL, single_id, true, &w[i], NULL, err)
            < 0) {
            rl_error_wrap(err, "layer %s", layer_paths[i]);
            goto out;
        }
    }
    ret = commit_layers(s, w, n, err);
out:
    for (size_t i = 0; i < n; i++)
        layer_work_release(&w[i]);
    free(w);
    return ret;
}

static int
load_docker(struct rl_store *s, int dirfd, bool single_id, char ***loaded, rl_error_t *err)
{
    cleanup_free char *buf = NULL;
    cleanup_json json_t *manifest = NULL;
    json_error_t jerr;
    size_t len, i;
    json_t *entry;

    if (read_in(dirfd, "manifest.json", INDEX_MAX, &buf, &len, err) < 0)
        return -1;
    manifest = json_loadb(buf, len, 0, &jerr);
    if (!json_is_array(manifest) || json_array_size(manifest) == 0)
        return rl_make_error(err, 0, "archive: manifest.json: %s",
                             manifest ? "must be a non-empty array" : jerr.text);
    json_array_foreach (manifest, i, entry) {
        const char *config = json_string_value(json_object_get(entry, "Config"));
        json_t *layers = json_object_get(entry, "Layers"), *v;
        cleanup_free char *cfgbuf = NULL, *id = NULL;
        cleanup_image_config struct rl_image_config *cfg = NULL;
        cleanup_strv char **paths = NULL;
        cleanup_json json_t *names = json_array();
        size_t cfglen, k;

        if (config == NULL || !json_is_array(layers))
            return rl_make_error(err, 0, "archive: manifest.json[%zu]: needs Config and Layers", i);
        if (read_in(dirfd, config, RL_CONFIG_MAX_SIZE, &cfgbuf, &cfglen, err) < 0
            || rl_image_config_parse(cfgbuf, cfglen, &cfg, err) < 0)
            return rl_error_wrap(err, "archive: %s", config);
        if (cfg->n_diff_ids != json_array_size(layers))
            return rl_make_error(err, 0, "archive: %s has %zu diff_ids for %zu layers", config,
                                 cfg->n_diff_ids, json_array_size(layers));
        paths = xzalloc((json_array_size(layers) + 1) * sizeof(char *));
        json_array_foreach (layers, k, v) {
            if (!json_is_string(v))
                return rl_make_error(err, 0,
                                     "archive: manifest.json[%zu].Layers[%zu]: must be a "
                                     "string",
                                     i, k);
            paths[k] = xstrdup(json_string_value(v));
        }
        if (load_layers(s, dirfd, cfg->diff_ids, cfg->n_diff_ids, paths, NULL, single_id, err) < 0)
            return -1;
        json_array_foreach (json_object_get(entry, "RepoTags"), k, v)
            add_name(names, json_string_value(v));
        if (record_image(s, cfgbuf, cfglen, NULL, 0, names, &id, err) < 0)
            return -1;
        report_loaded(loaded, names, id);
    }
    return 0;
}

static int
load_oci_manifest(struct rl_store *s, int dirfd, const struct rl_descriptor *d, json_t *names,
                  bool single_id, char ***loaded, rl_error_t *err)
{
    cleanup_free char *path = blob_name(d->digest), *mbuf = NULL, *cfgbuf = NULL, *got = NULL;
    cleanup_free char *cpath = NULL, *id = NULL;
    cleanup_manifest struct rl_manifest *m = NULL;
    cleanup_image_config struct rl_image_config *cfg = NULL;
    cleanup_strv char **paths = NULL, **digests = NULL;
    size_t mlen, cfglen, k;

    if (read_in(dirfd, path, RL_MANIFEST_MAX_SIZE, &mbuf, &mlen, err) < 0
        || rl_digest_of(mbuf, mlen, &got, err) < 0)
        return -1;
    if (strcmp(got, d->digest) != 0)
        return rl_make_error(err, 0, "archive: %s: digest mismatch: got %s", path, got);
    if (rl_manifest_parse(mbuf, mlen, d->media_type, &m, err) < 0)
        return rl_error_wrap(err, "archive: %s", path);
    if (m->kind == RL_MANIFEST_INDEX) {
        struct rl_platform host = { 0 };
        const struct rl_descriptor *child;
        int r;
        rl_platform_host(&host);
        r = rl_manifest_select(m, &host, &child, err);
        rl_platform_release(&host);
        if (r < 0)
            return rl_error_wrap(err, "archive: %s", path);
        return load_oci_manifest(s, dirfd, child, names, single_id, loaded, err);
    }
    cpath = blob_name(m->config.digest);
    free(got);
    got = NULL;
    if (read_in(dirfd, cpath, RL_CONFIG_MAX_SIZE, &cfgbuf, &cfglen, err) < 0
        || rl_digest_of(cfgbuf, cfglen, &got, err) < 0)
        return -1;
    if (strcmp(got, m->config.digest) != 0)
        return rl_make_error(err, 0, "archive: %s: digest mismatch: got %s", cpath, got);
    if (rl_image_config_parse(cfgbuf, cfglen, &cfg, err) < 0)
        return rl_error_wrap(err, "archive: %s", cpath);
    if (cfg->n_diff_ids != m->n_layers)
        return rl_make_error(err, 0, "archive: image config has %zu diff_ids for %zu layers",
                             cfg->n_diff_ids, m->n_layers);
    paths = xzalloc((m->n_layers + 1) * sizeof(char *));
    digests = xzalloc((m->n_layers + 1) * sizeof(char *));
    for (k = 0; k < m->n_layers; k++) {
        paths[k] = blob_name(m->layers[k].digest);
        digests[k] = xstrdup(m->layers[k].digest);
    }
    if (load_layers(s, dirfd, cfg->diff_ids, cfg->n_diff_ids, paths, digests, single_id, err) < 0
        || record_image(s, cfgbuf, cfglen, mbuf, mlen, names, &id, err) < 0)
        return -1;
    report_loaded(loaded, names, id);
    return 0;
}

static int
load_oci(struct rl_store *s, int dirfd, bool single_id, char ***loaded, rl_error_t *err)
{
    cleanup_free char *buf = NULL;
    cleanup_manifest struct rl_manifest *index = NULL;
    cleanup_json json_t *raw = NULL;
    size_t len, i;
    json_t *entry;

    if (read_in(dirfd, "index.json", INDEX_MAX, &buf, &len, err) < 0)
        return -1;
    if (rl_manifest_parse(buf, len, RL_MT_OCI_INDEX, &index, err) < 0)
        return rl_error_wrap(err, "archive: index.json");
    if (index->kind != RL_MANIFEST_INDEX || index->n_manifests == 0)
        return rl_make_error(err, 0, "archive: index.json: no manifests");
    raw = json_loadb(buf, len, 0, NULL);
    json_array_foreach (json_object_get(raw, "manifests"), i, entry) {
        json_t *ann = json_object_get(entry, "annotations");
        const char *full = json_string_value(json_object_get(ann, "io.containerd.image.name"));
        const char *ref =
            json_string_value(json_object_get(ann, "org.opencontainers.image.ref.name"));
        cleanup_json json_t *names = json_array();

        if (i >= index->n_manifests)
            break;
        /* A ref.name that is a whole reference names the image; a bare tag does not. */
        if (full)
            add_name(names, full);
        else if (ref && (strchr(ref, '/') || strchr(ref, ':')))
            add_name(names, ref);
        if (load_oci_manifest(s, dirfd, &index->manifests[i], names, single_id, loaded, err) < 0)
            return -1;
    }
    return 0;
}

int
rl_archive_load(struct rl_store *s, int fd, bool single_id, char ***ret_loaded, rl_error_t *err)
{
    struct rl_store_tmp t = { .fd = -1 };
    struct rl_layer_opts lo = { .single_id = true, .whiteouts = false };
    struct rl_layer_stats st;
    cleanup_close int dirfd = -1;
    cleanup_free char *x = NULL;
    char **loaded = xzalloc(sizeof(char *));
    struct stat sb;
    int ret = -1;

    if (rl_store_tmp_cleanup(s, err) < 0 || rl_store_tmp_new(s, &t, err) < 0)
        goto out;
    /* The archive is spread out first (its parts may come in any order); every name in it
     * stays inside the work directory. */
    x = xasprintf("%s/archive", t.path);
    if (mkdir(x, 0700) < 0) {
        rl_make_error(err, errno, "mkdir '%s'", x);
        goto out;
    }
    dirfd = open(x, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dirfd < 0) {
        rl_make_error(err, errno, "open '%s'", x);
        goto out;
    }
    if (rl_layer_extract_fd(dirfd, fd, &lo, &st, err) < 0) {
        rl_error_wrap(err, "read the archive");
        goto out;
    }
    if (fstatat(dirfd, "index.json", &sb, 0) == 0 && fstatat(dirfd, "manifest.json", &sb, 0) != 0)
        ret = load_oci(s, dirfd, single_id, &loaded, err);
    else if (fstatat(dirfd, "manifest.json", &sb, 0) == 0)
        ret = load_docker(s, dirfd, single_id, &loaded, err);
    else
        ret = rl_make_error(err, 0,
                            "not an image archive: no manifest.json (docker-archive) or "
                            "index.json (oci-archive)");
out:
    rl_store_tmp_release(&t);
    if (ret < 0) {
        rl_strv_free(loaded);
        return ret;
    }
    *ret_loaded = loaded;
    return 0;
}

/* ------------------------------------------------------------------ import */

int
rl_archive_import(struct rl_store *s, int fd, const char *name, json_t *config, const char *message,
                  bool single_id, char **ret_id, rl_error_t *err)
{
    struct layer_work w = { .tmp.fd = -1 };
    struct rl_platform host = { 0 };
    cleanup_free char *diff_id = NULL, *now = rl_now_rfc3339(), *cfgtext = NULL;
    cleanup_json json_t *names = json_array();
    json_t *cfg;
    int ret = -1;

    if (name)
        add_name_how(names, name, true);
    if (rl_store_tmp_cleanup(s, err) < 0)
        return -1;
    if (unpack_layer(s, fd, NULL, NULL, NULL, single_id, true, &w, &diff_id, err) < 0) {
        rl_error_wrap(err, "import");
        goto out;
    }
    if (rl_store_layer_exists(s, w.chain + 7))
        w.fresh = false;
    if (commit_layers(s, &w, 1, err) < 0)
        goto out;
    rl_platform_host(&host);
    cfg =
        json_pack("{s:s, s:s, s:s, s:O, s:{s:s, s:[s]}, s:[{s:s, s:s, s:s?}]}", "created", now,
                  "architecture", host.architecture, "os", host.os, "config",
                  config ? config : json_object(), "rootfs", "type", "layers", "diff_ids", diff_id,
                  "history", "created", now, "created_by", "rl import", "comment", message);
    if (host.variant)
        json_object_set_new(cfg, "variant", json_string(host.variant));
    rl_platform_release(&host);
    cfgtext = json_dumps(cfg, JSON_COMPACT);
    json_decref(cfg);
    ret = record_image(s, cfgtext, strlen(cfgtext), NULL, 0, names, ret_id, err);
out:
    layer_work_release(&w);
    return ret;
}

/* ------------------------------------------------------------------ save */

struct writer {
    struct archive *a;
};

static int
aw_check(struct writer *w, int r, const char *what, rl_error_t *err)
{
    if (r < ARCHIVE_WARN)
        return rl_make_error(err, 0, "write %s: %s", what, archive_error_string(w->a));
    return 0;
}

static int
aw_entry(struct writer *w, const char *path, int64_t size, rl_error_t *err)
{
    struct archive_entry *e = archive_entry_new();
    int r;

    archive_entry_set_pathname(e, path);
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_perm(e, 0644);
    archive_entry_set_size(e, size);
    archive_entry_set_mtime(e, 0, 0);
    r = archive_write_header(w->a, e);
    archive_entry_free(e);
    return aw_check(w, r, path, err);
}

static int
aw_dir(struct writer *w, const char *path, rl_error_t *err)
{
    struct archive_entry *e = archive_entry_new();
    int r;

    archive_entry_set_pathname(e, path);
    archive_entry_set_filetype(e, AE_IFDIR);
    archive_entry_set_perm(e, 0755);
    archive_entry_set_mtime(e, 0, 0);
    r = archive_write_header(w->a, e);
    archive_entry_free(e);
    return aw_check(w, r, path, err);
}

static int
aw_data(void *data, const void *buf, size_t len, rl_error_t *err)
{
    struct writer *w = data;
    la_ssize_t n = archive_write_data(w->a, buf, len);

    if (n < 0 || (size_t)n != len)
        return rl_make_error(err, 0, "write the archive: %s", archive_error_string(w->a));
    return 0;
}

static int
aw_file(struct writer *w, const char *path, const void *buf, size_t len, rl_error_t *err)
{
    if (aw_entry(w, path, (int64_t)len, err) < 0 || aw_data(w, buf, len, err) < 0)
        return -1;
    return 0;
}

/* The layer CHAIN_HEX as its original tar stream, into the archive under PATH. */
static int
aw_layer(struct rl_store *s, struct writer *w, const char *chain_hex, const char *path,
         rl_error_t *err)
{
    cleanup_json json_t *meta = NULL;
    cleanup_free char *dir = rl_store_layer_path(s, chain_hex);
    cleanup_free char *split = xasprintf("%s/layers/%s/tar-split", s->root, chain_hex);
    cleanup_close int dirfd = -1;
    const char *diff_id;

    if (rl_store_layer_meta(s, chain_hex, &meta, err) < 0)
        return -1;
    diff_id = json_string_value(json_object_get(meta, "diffId"));
    if (diff_id == NULL || access(split, R_OK) < 0)
        return rl_make_error(err, 0, "layer %s has no tar-split: it cannot be saved", chain_hex);
    dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dirfd < 0)
        return rl_make_error(err, errno, "open '%s'", dir);
    if (aw_entry(w, path, json_integer_value(json_object_get(meta, "size")), err) < 0
        || rl_unpack_reassemble(dirfd, split, diff_id, aw_data, w, err) < 0)
        return rl_error_wrap(err, "layer %.19s", diff_id);
    return 0;
}

static int
image_parts(struct rl_store *s, json_t *img, char **cfgbuf, size_t *cfglen, char **config_digest,
            rl_error_t *err)
{
    const char *id = json_string_value(json_object_get(img, "id"));

    *config_digest = xasprintf("sha256:%s", id ? id : "");
    return rl_store_blob_read(s, *config_digest, RL_CONFIG_MAX_SIZE, cfgbuf, cfglen, err);
}

static int
save_docker(struct rl_store *s, struct writer *w, json_t *images, const size_t *idx, size_t n,
            rl_error_t *err)
{
    cleanup_json json_t *manifest = json_array(), *written = json_object();
    cleanup_free char *text = NULL;

    for (size_t i = 0; i < n; i++) {
        json_t *img = json_array_get(images, idx[i]);
        json_t *layers = json_object_get(img, "layers");
        json_t *diff_ids = json_object_get(img, "diffIds");
        json_t *paths = json_array(), *v;
        cleanup_free char *cfgbuf = NULL, *cdigest = NULL, *cpath = NULL;
        size_t cfglen, k;

        if (image_parts(s, img, &cfgbuf, &cfglen, &cdigest, err) < 0) {
            json_decref(paths);
            return -1;
        }
        cpath = xasprintf("%s.json", cdigest + 7);
        if (!json_object_get(written, cpath)) {
            if (aw_file(w, cpath, cfgbuf, cfglen, err) < 0) {
                json_decref(paths);
                return -1;
            }
            json_object_set_new(written, cpath, json_true());
        }
        json_array_foreach (layers, k, v) {
            const char *d = json_string_value(json_array_get(diff_ids, k));
            cleanup_free char *dir = xasprintf("%s", d ? d + 7 : json_string_value(v));
            cleanup_free char *path = xasprintf("%s/layer.tar", dir);
            if (!json_object_get(written, path)) {
                if (aw_dir(w, dir, err) < 0
                    || aw_layer(s, w, json_string_value(v), path, err) < 0) {
                    json_decref(paths);
                    return -1;
                }
                json_object_set_new(written, path, json_true());
            }
            json_array_append_new(paths, json_string(path));
        }
        json_array_append_new(manifest, json_pack("{s:s, s:O, s:o}", "Config", cpath, "RepoTags",
                                                  json_object_get(img, "names"), "Layers", paths));
    }
    text = json_dumps(manifest, JSON_COMPACT);
    return aw_file(w, "manifest.json", text, strlen(text), err);
}

static int
save_oci(struct rl_store *s, struct writer *w, json_t *images, const size_t *idx, size_t n,
         rl_error_t *err)
{
    static const char layout[] = "{\"imageLayoutVersion\":\"1.0.0\"}";
    cleanup_json json_t *index = json_pack("{s:i, s:s, s:[]}", "schemaVersion", 2, "mediaType",
                                           RL_MT_OCI_INDEX, "manifests");
    cleanup_json json_t *written = json_object();
    cleanup_free char *text = NULL;

    if (aw_file(w, "oci-layout", layout, strlen(layout), err) < 0 || aw_dir(w, "blobs", err) < 0
        || aw_dir(w, "blobs/sha256", err) < 0)
        return -1;
    for (size_t i = 0; i < n; i++) {
        json_t *img = json_array_get(images, idx[i]);
        json_t *layers = json_object_get(img, "layers");
        json_t *diff_ids = json_object_get(img, "diffIds");
        json_t *mlayers = json_array(), *v, *m;
        cleanup_free char *cfgbuf = NULL, *cdigest = NULL, *cpath = NULL, *mtext = NULL;
        cleanup_free char *mdigest = NULL, *mpath = NULL;
        size_t cfglen, k;

        if (image_parts(s, img, &cfgbuf, &cfglen, &cdigest, err) < 0) {
            json_decref(mlayers);
            return -1;
        }
        cpath = blob_name(cdigest);
        if (!json_object_get(written, cpath)) {
            if (aw_file(w, cpath, cfgbuf, cfglen, err) < 0) {
                json_decref(mlayers);
                return -1;
            }
            json_object_set_new(written, cpath, json_true());
        }
        json_array_foreach (layers, k, v) {
            const char *d = json_string_value(json_array_get(diff_ids, k));
            cleanup_json json_t *meta = NULL;
            cleanup_free char *path = NULL;
            if (d == NULL || rl_store_layer_meta(s, json_string_value(v), &meta, err) < 0) {
                json_decref(mlayers);
                return rl_make_error(err, 0, "image %.12s: layer %zu unknown",
                                     json_string_value(json_object_get(img, "id")), k);
            }
            path = blob_name(d);
            if (!json_object_get(written, path)) {
                if (aw_layer(s, w, json_string_value(v), path, err) < 0) {
                    json_decref(mlayers);
                    return -1;
                }
                json_object_set_new(written, path, json_true());
            }
            json_array_append_new(mlayers,
                                  json_pack("{s:s, s:s, s:O}", "mediaType", RL_MT_OCI_LAYER,
                                            "digest", d, "size", json_object_get(meta, "size")));
        }
        m = json_pack("{s:i, s:s, s:{s:s, s:s, s:I}, s:o}", "schemaVersion", 2, "mediaType",
                      RL_MT_OCI_MANIFEST, "config", "mediaType", RL_MT_OCI_CONFIG, "digest",
                      cdigest, "size", (json_int_t)cfglen, "layers", mlayers);
        mtext = json_dumps(m, JSON_COMPACT);
        json_decref(m);
        if (rl_digest_of(mtext, strlen(mtext), &mdigest, err) < 0)
            return -1;
        mpath = blob_name(mdigest);
        if (aw_file(w, mpath, mtext, strlen(mtext), err) < 0)
            return -1;
        {
            json_t *names = json_object_get(img, "names");
            size_t nn = json_array_size(names);
            for (size_t k2 = 0; k2 < (nn ? nn : 1); k2++) {
                json_t *desc = json_pack("{s:s, s:s, s:I}", "mediaType", RL_MT_OCI_MANIFEST,
                                         "digest", mdigest, "size", (json_int_t)strlen(mtext));
                if (nn) {
                    const char *name = json_string_value(json_array_get(names, k2));
                    json_object_set_new(desc, "annotations",
                                        json_pack("{s:s, s:s}", "org.opencontainers.image.ref.name",
                                                  name, "io.containerd.image.name", name));
                }
                json_array_append_new(json_object_get(index, "manifests"), desc);
            }
        }
    }
    text = json_dumps(index, JSON_COMPACT);
    return aw_file(w, "index.json", text, strlen(text), err);
}

int
rl_archive_save(struct rl_store *s, json_t *images, const size_t *idx, size_t n,
                enum rl_archive_format format, int fd, rl_error_t *err)
{
    struct writer w = { .a = archive_write_new() };
    int ret;

    archive_write_set_format_pax_restricted(w.a);
    archive_write_set_bytes_in_last_block(w.a, 1);
    if (archive_write_open_fd(w.a, fd) != ARCHIVE_OK) {
        ret = rl_make_error(err, 0, "write the archive: %s", archive_error_string(w.a));
        archive_write_free(w.a);
        return ret;
    }
    if (format == RL_ARCHIVE_DOCKER)
        ret = save_docker(s, &w, images, idx, n, err);
    else
        ret = save_oci(s, &w, images, idx, n, err);
    if (archive_write_close(w.a) != ARCHIVE_OK && ret == 0)
        ret = rl_make_error(err, 0, "write the archive: %s", archive_error_string(w.a));
    archive_write_free(w.a);
    return ret;
}
