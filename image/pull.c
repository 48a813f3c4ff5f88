#include "config.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "digest.h"
#include "fs.h"
#include "layer.h"
#include "log.h"
#include "manifest.h"
#include "pull.h"
#include "ref.h"
#include "unpack.h"

#define PIPE_CAP  (4 * 1024 * 1024)
#define IN_CHUNK  (256 * 1024)
#define OUT_CHUNK (512 * 1024)

uint64_t
rl_layer_size_bound(int64_t compressed)
{
    const char *env = getenv("RL_MAX_LAYER_SIZE");
    long long v;
    uint64_t bound;

    if (env && rl_parse_ll(env, 1, LLONG_MAX, &v))
        return (uint64_t)v;
    bound = compressed > 0 ? (uint64_t)compressed * 200 : 0;
    return bound < (1ULL << 30) ? 1ULL << 30 : bound;
}

/* ------------------------------------------------------------------ a bounded byte pipe */

/* From the download (the curl thread, which must never block) to a layer's extraction
 * thread. */
struct bpipe {
    pthread_mutex_t mu;
    pthread_cond_t cond;
    char *buf;
    size_t cap, head, len;
    bool eof, reader_gone, writer_waiting;
    rl_error_t werr; /* the download failed */
    int wake_fd;
};

static void
bpipe_init(struct bpipe *p, int wake_fd)
{
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cond, NULL);
    p->cap = PIPE_CAP;
    p->buf = xmalloc(p->cap);
    p->wake_fd = wake_fd;
}

static void
bpipe_destroy(struct bpipe *p)
{
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->cond);
    free(p->buf);
    rl_error_release(&p->werr);
}

static void
wake(int fd)
{
    uint64_t one = 1;
    (void)!write(fd, &one, sizeof(one));
}

/* All of DATA or nothing (0: full); (size_t)-1 when the reader is gone. */
static size_t
bpipe_write(struct bpipe *p, const void *data, size_t len)
{
    size_t ret = len;

    pthread_mutex_lock(&p->mu);
    if (p->reader_gone) {
        ret = (size_t)-1;
    } else if (p->cap - p->len < len) {
        p->writer_waiting = true;
        ret = 0;
    } else {
        size_t tail = (p->head + p->len) % p->cap;
        size_t first = p->cap - tail < len ? p->cap - tail : len;
        memcpy(p->buf + tail, data, first);
        memcpy(p->buf, (const char *)data + first, len - first);
        p->len += len;
        pthread_cond_signal(&p->cond);
    }
    pthread_mutex_unlock(&p->mu);
    return ret;
}

static void
bpipe_close(struct bpipe *p, rl_error_t *err)
{
    pthread_mutex_lock(&p->mu);
    p->eof = true;
    if (err) {
        p->werr = steal_pointer(err);
    }
    pthread_cond_signal(&p->cond);
    pthread_mutex_unlock(&p->mu);
}

/* Up to MAX bytes into OUT; 0 at the end; -1 with ERR when the download failed. */
static ssize_t
bpipe_read(struct bpipe *p, char *out, size_t max, rl_error_t *err)
{
    size_t n, first;
    bool was_waiting;

    pthread_mutex_lock(&p->mu);
    while (p->len == 0 && !p->eof)
        pthread_cond_wait(&p->cond, &p->mu);
    if (p->werr) {
        rl_make_error(err, p->werr->status, "%s", p->werr->msg);
        pthread_mutex_unlock(&p->mu);
        return -1;
    }
    n = p->len < max ? p->len : max;
    first = p->cap - p->head < n ? p->cap - p->head : n;
    memcpy(out, p->buf + p->head, first);
    memcpy(out + first, p->buf, n - first);
    p->head = (p->head + n) % p->cap;
    p->len -= n;
    was_waiting = p->writer_waiting && p->cap - p->len >= p->cap / 2;
    if (was_waiting)
        p->writer_waiting = false;
    pthread_mutex_unlock(&p->mu);
    if (was_waiting)
        wake(p->wake_fd);
    return (ssize_t)n;
}

static void
bpipe_reader_gone(struct bpipe *p)
{
    pthread_mutex_lock(&p->mu);
    p->reader_gone = true;
    pthread_mutex_unlock(&p->mu);
    wake(p->wake_fd);
}

/* ------------------------------------------------------------------ one layer */

struct pull;

struct layer_job {
    struct rl_blob_transfer t; /* first: the batch hands it back */
    struct rl_unpack_input input;
    struct pull *pull;
    const struct rl_descriptor *desc;
    const char *diff_id, *chain, *parent;
    char chain_hex[RL_DIGEST_SHA256_HEX_LEN + 1];
    struct bpipe pipe;
    pthread_t thread;
    bool started, extracted, transferred;
    rl_error_t err;
    struct rl_store_tmp tmp;
    struct rl_layer_stats stats;
    uint64_t uncompressed, bound;
};

struct pull {
    struct rl_store *store;
    const struct rl_pull_opts *opts;
    struct layer_job *jobs;
    size_t n_jobs;
    atomic_bool failed;
    bool tty;
    int lines_drawn;
};

static ssize_t
job_input(struct rl_unpack_input *in, char *buf, size_t max, rl_error_t *err)
{
    struct layer_job *j = (struct layer_job *)((char *)in - offsetof(struct layer_job, input));
    return bpipe_read(&j->pipe, buf, max, err);
}

static int
write_layer_meta(struct layer_job *j, rl_error_t *err)
{
    cleanup_free char *path = xasprintf("%s/layer.json", j->tmp.path);
    json_t *meta =
        json_pack("{s:s, s:s, s:s?, s:I, s:s, s:I}", "diffId", j->diff_id, "chainId", j->chain,
                  "parent", j->parent, "size", (json_int_t)j->uncompressed, "compressedDigest",
                  j->desc->digest, "compressedSize", (json_int_t)j->desc->size);
    cleanup_free char *text = json_dumps(meta, JSON_COMPACT);

    json_decref(meta);
    return rl_write_file_atomic(path, text, strlen(text), 0600, false, err);
}

static void *
layer_thread(void *arg)
{
    struct layer_job *j = arg;
    struct rl_unpack_opts uo = {
        .compression = j->desc->compression,
        .diff_id = j->diff_id,
        .bound = j->bound,
        .layer = { .single_id = j->pull->opts->single_id, .whiteouts = true },
    };
    struct rl_unpack_result res = { 0 };
    cleanup_close int dirfd = -1;
    cleanup_free char *diff_path = xasprintf("%s/diff", j->tmp.path);
    cleanup_free char *split_path = xasprintf("%s/tar-split", j->tmp.path);
    rl_error_t err = NULL;

    uo.split_path = split_path;
    if (mkdir(diff_path, 0755) < 0) {
        rl_make_error(&err, errno, "mkdir '%s'", diff_path);
        goto out;
    }
    dirfd = open(diff_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dirfd < 0) {
        rl_make_error(&err, errno, "open '%s'", diff_path);
        goto out;
    }
    if (rl_unpack(dirfd, &j->input, &uo, &res, &err) < 0)
        goto out;
    j->stats = res.stats;
    j->uncompressed = res.size;
    if (write_layer_meta(j, &err) < 0)
        goto out;
    j->extracted = true;
out:
    free(res.diff_id);
    if (err) {
        rl_error_wrap(&err, "layer %s", j->desc->digest);
        j->err = err;
        atomic_store(&j->pull->failed, true);
        bpipe_reader_gone(&j->pipe);
    }
    return NULL;
}

static size_t
layer_write(struct rl_blob_transfer *t, const void *buf, size_t len)
{
    struct layer_job *j = (struct layer_job *)t;

    if (atomic_load(&j->pull->failed))
        return (size_t)-1;
    return bpipe_write(&j->pipe, buf, len);
}

static void
layer_done(struct rl_blob_transfer *t, rl_error_t *err)
{
    struct layer_job *j = (struct layer_job *)t;
    rl_error_t copy = NULL;

    if (err && *err) {
        rl_make_error(&copy, (*err)->status, "%s", (*err)->msg);
        atomic_store(&j->pull->failed, true);
    } else {
        j->transferred = true;
    }
    bpipe_close(&j->pipe, copy ? &copy : NULL);
}

static void
job_release(struct layer_job *j)
{
    if (j->started)
        pthread_join(j->thread, NULL);
    bpipe_destroy(&j->pipe);
    rl_error_release(&j->err);
    rl_store_tmp_release(&j->tmp);
}

static int
job_init(struct pull *p, struct layer_job *j, int wake_fd, rl_error_t *err)
{
    j->pull = p;
    j->tmp.fd = -1;
    j->t.digest = j->desc->digest;
    j->t.size = j->desc->size;
    j->t.write = layer_write;
    j->t.done = layer_done;
    j->input.read = job_input;
    j->bound = rl_layer_size_bound(j->desc->size);
    bpipe_init(&j->pipe, wake_fd);
    if (rl_store_tmp_new(p->store, &j->tmp, err) < 0)
        return -1;
    if (pthread_create(&j->thread, NULL, layer_thread, j) != 0)
        return rl_make_error(err, errno, "start a layer thread");
    j->started = true;
    return 0;
}

/* ------------------------------------------------------------------ progress */

static void
human_size(double v, char *buf, size_t len)
{
    static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB" };
    int u = 0;

    while (v >= 1024 && u < 4) {
        v /= 1024;
        u++;
    }
    snprintf(buf, len, u ? "%.1f%s" : "%.0f%s", v, units[u]);
}

static void
progress_draw(void *data)
{
    struct pull *p = data;

    if (!p->tty)
        return;
    if (p->lines_drawn)
        fprintf(stderr, "\033[%dA", p->lines_drawn);
    for (size_t i = 0; i < p->n_jobs; i++) {
        struct layer_job *j = &p->jobs[i];
        char got[32], total[32], bar[31];
        int64_t size = j->desc->size > 0 ? j->desc->size : 1;
        int fill = (int)(30 * j->t.received / size);

        human_size((double)j->t.received, got, sizeof(got));
        human_size((double)j->desc->size, total, sizeof(total));
        for (int k = 0; k < 30; k++)
            bar[k] = k < fill ? '=' : k == fill ? '>' : ' ';
        bar[30] = '\0';
        fprintf(stderr, "\033[2KCopying blob %.12s [%s] %s / %s\n", j->desc->digest + 7,
                j->transferred ? "==============================" : bar, got, total);
    }
    p->lines_drawn = (int)p->n_jobs;
    fflush(stderr);
}

/* ------------------------------------------------------------------ the image record */

/* ------------------------------------------------------------------ pull */

static int
resolve_manifest(struct rl_registry *r, const struct rl_image_ref *ref,
                 const struct rl_pull_opts *opts, struct rl_manifest **ret, char **ret_buf,
                 size_t *ret_len, char **ret_digest, char **ret_top_digest, json_t *blobs,
                 struct rl_store *s, rl_error_t *err)
{
    cleanup_free char *buf = NULL, *type = NULL, *digest = NULL;
    cleanup_manifest struct rl_manifest *m = NULL;
    size_t len;

    if (rl_registry_get_manifest(r, ref->digest ? ref->digest : ref->tag, &buf, &len, &type,
                                 &digest, err)
            < 0
        || rl_manifest_parse(buf, len, type, &m, err) < 0)
        return -1;
    *ret_top_digest = xstrdup(digest);
    if (m->kind == RL_MANIFEST_INDEX) {
        struct rl_platform want = { 0 };
        const struct rl_descriptor *d = NULL;
        int r2 = 0;

        if (opts->platform)
            r2 = rl_platform_parse(opts->platform, &want, err);
        else
            rl_platform_host(&want);
        if (r2 == 0)
            r2 = rl_manifest_select(m, &want, &d, err);
        rl_platform_release(&want);
        if (r2 < 0)
            return -1;
        if (rl_store_blob_put(s, digest, buf, len, err) < 0)
            return -1;
        json_array_append_new(blobs, json_string(digest));
        {
            cleanup_free char *child_digest = xstrdup(d->digest);
            free(buf);
            free(type);
            free(digest);
            buf = type = digest = NULL;
            m = rl_manifest_free(m);
            if (rl_registry_get_manifest(r, child_digest, &buf, &len, &type, &digest, err) < 0
                || rl_manifest_parse(buf, len, type, &m, err) < 0)
                return -1;
        }
        if (m->kind != RL_MANIFEST_IMAGE)
            return rl_make_error(err, 0, "manifest %s: an index inside an index", digest);
    }
    *ret = steal_pointer(&m);
    *ret_buf = steal_pointer(&buf);
    *ret_len = len;
    *ret_digest = steal_pointer(&digest);
    return 0;
}

int
rl_pull(struct rl_store *s, const char *name, const struct rl_pull_opts *opts, char **ret_id,
        rl_error_t *err)
{
    cleanup_image_ref struct rl_image_ref *ref = NULL;
    cleanup_registry struct rl_registry *r = NULL;
    cleanup_manifest struct rl_manifest *m = NULL;
    cleanup_image_config struct rl_image_config *cfg = NULL;
    cleanup_free char *full = NULL, *mbuf = NULL, *mdigest = NULL, *top_digest = NULL;
    cleanup_free char *cbuf = NULL, *repo = NULL;
    cleanup_strv char **chain = NULL;
    cleanup_json json_t *blobs = json_array();
    cleanup_close int wake_fd = -1;
    struct pull p = { .store = s, .opts = opts };
    struct rl_blob_batch *batch = NULL;
    json_t *record, *layers, *repo_digests;
    size_t mlen = 0, clen = 0;
    int64_t total = 0;
    int ret = -1;

    if (rl_image_ref_parse(name, &ref, err) < 0)
        return -1;
    full = rl_image_ref_format(ref);
    repo = xasprintf("%s/%s", ref->registry, ref->repository);
    if (!opts->quiet)
        fprintf(stderr, "Trying to pull %s...\n", full);
    if (rl_store_tmp_cleanup(s, err) < 0)
        return -1;
    if (rl_registry_open(ref, &opts->registry, &r, err) < 0
        || resolve_manifest(r, ref, opts, &m, &mbuf, &mlen, &mdigest, &top_digest, blobs, s, err)
               < 0)
        goto fail;
    if (m->config.size > RL_CONFIG_MAX_SIZE) {
        rl_make_error(err, EFBIG, "image config of %lld bytes: more than %d allowed",
                      (long long)m->config.size, RL_CONFIG_MAX_SIZE);
        goto fail;
    }
    if (!opts->quiet)
        fprintf(stderr, "Getting image source signatures\n");
    if (rl_registry_get_blob(r, m->config.digest, RL_CONFIG_MAX_SIZE, &cbuf, &clen, err) < 0
        || rl_image_config_parse(cbuf, clen, &cfg, err) < 0)
        goto fail;
    if (cfg->n_diff_ids != m->n_layers) {
        rl_make_error(err, 0, "image config has %zu diff_ids for %zu layers", cfg->n_diff_ids,
                      m->n_layers);
        goto fail;
    }
    chain = rl_chain_ids(cfg->diff_ids, cfg->n_diff_ids);
    if (chain == NULL) {
        rl_make_error(err, 0, "compute chain ids");
        goto fail;
    }

    /* Only the layers the store lacks are downloaded. */
    p.jobs = xzalloc(m->n_layers * sizeof(*p.jobs));
    for (size_t i = 0; i < m->n_layers; i++)
        p.jobs[i].tmp.fd = -1;
    for (size_t i = 0; i < m->n_layers; i++) {
        const char *hex = chain[i] + 7;
        if (rl_store_layer_exists(s, hex)) {
            if (!opts->quiet)
                fprintf(stderr, "Copying blob %s skipped: already exists\n", m->layers[i].digest);
            continue;
        }
        p.jobs[p.n_jobs].desc = &m->layers[i];
        p.jobs[p.n_jobs].diff_id = cfg->diff_ids[i];
        p.jobs[p.n_jobs].chain = chain[i];
        p.jobs[p.n_jobs].parent = i > 0 ? chain[i - 1] : NULL;
        memcpy(p.jobs[p.n_jobs].chain_hex, hex, RL_DIGEST_SHA256_HEX_LEN);
        p.n_jobs++;
    }
    if (p.n_jobs > 0) {
        wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (wake_fd < 0) {
            rl_make_error(err, errno, "eventfd");
            goto fail;
        }
        p.tty = !opts->quiet && isatty(STDERR_FILENO);
        batch = rl_blob_batch_new(r, opts->jobs, wake_fd, progress_draw, &p);
        for (size_t i = 0; i < p.n_jobs; i++) {
            if (job_init(&p, &p.jobs[i], wake_fd, err) < 0) {
                atomic_store(&p.failed, true);
                for (size_t k = 0; k <= i; k++)
                    bpipe_close(&p.jobs[k].pipe, NULL);
                goto fail;
            }
            rl_blob_batch_add(batch, &p.jobs[i].t);
        }
        if (rl_blob_batch_run(batch, err) < 0) {
            atomic_store(&p.failed, true);
            for (size_t k = 0; k < p.n_jobs; k++)
                bpipe_close(&p.jobs[k].pipe, NULL);
            goto fail;
        }
        for (size_t i = 0; i < p.n_jobs; i++) {
            pthread_join(p.jobs[i].thread, NULL);
            p.jobs[i].started = false;
        }
        /* The first real error: a layer's own, else its transfer's. */
        for (size_t i = 0; i < p.n_jobs; i++) {
            struct layer_job *j = &p.jobs[i];
            if (j->err && j->err->status != ECANCELED) {
                *err = steal_pointer(&j->err);
                goto fail;
            }
            if (j->pipe.werr && j->pipe.werr->status != ECANCELED) {
                *err = steal_pointer(&j->pipe.werr);
                goto fail;
            }
        }
        for (size_t i = 0; i < p.n_jobs; i++) {
            if (!p.jobs[i].extracted || !p.jobs[i].transferred) {
                rl_make_error(err, 0, "layer %s was not stored", p.jobs[i].desc->digest);
                goto fail;
            }
            if (!opts->quiet && !p.tty)
                fprintf(stderr, "Copying blob %s\n", p.jobs[i].desc->digest);
            if (p.jobs[i].stats.devices_skipped)
                rl_warning("layer %.19s: %llu device node%s skipped (a user namespace cannot "
                           "create them)",
                           p.jobs[i].desc->digest,
                           (unsigned long long)p.jobs[i].stats.devices_skipped,
                           p.jobs[i].stats.devices_skipped == 1 ? "" : "s");
        }
        /* Into place under the lock, so that no rmi or prune sees a layer without image. */
        if (rl_store_lock(s, LOCK_EX, err) < 0)
            goto fail;
        for (size_t i = 0; i < p.n_jobs; i++) {
            if (rl_store_layer_commit(s, &p.jobs[i].tmp, p.jobs[i].chain_hex, err) < 0) {
                rl_store_lock(s, LOCK_UN, NULL);
                goto fail;
            }
        }
        rl_store_lock(s, LOCK_UN, NULL);
    }
    if (!opts->quiet)
        fprintf(stderr,
                "Copying config %s\nWriting manifest to image destination\nStoring signatures\n",
                m->config.digest);

    if (rl_store_blob_put(s, mdigest, mbuf, mlen, err) < 0
        || rl_store_blob_put(s, m->config.digest, cbuf, clen, err) < 0)
        goto fail;
    json_array_append_new(blobs, json_string(mdigest));
    json_array_append_new(blobs, json_string(m->config.digest));

    layers = json_array();
    for (size_t i = 0; i < m->n_layers; i++) {
        cleanup_json json_t *meta = NULL;
        cleanup_error rl_error_t tmp = NULL;
        json_array_append_new(layers, json_string(chain[i] + 7));
        if (rl_store_layer_meta(s, chain[i] + 7, &meta, &tmp) == 0)
            total += json_integer_value(json_object_get(meta, "size"));
    }
    repo_digests = json_array();
    {
        cleanup_free char *rd = xasprintf("%s@%s", repo, top_digest);
        json_array_append_new(repo_digests, json_string(rd));
        if (strcmp(top_digest, mdigest) != 0) {
            cleanup_free char *rd2 = xasprintf("%s@%s", repo, mdigest);
            json_array_append_new(repo_digests, json_string(rd2));
        }
    }
    {
        cleanup_free char *now = rl_now_rfc3339();
        cleanup_free char *tagged = NULL;
        json_t *names = json_array();
        if (ref->tag) {
            tagged = xasprintf("%s:%s", repo, ref->tag);
            json_array_append_new(names, json_string(tagged));
        }
        record = json_pack(
            "{s:s, s:o, s:s, s:s, s:o, s:s, s:o, s:O, s:I, s:s?, s:s, s:O}", "id",
            m->config.digest + 7, "names", names, "digest", top_digest, "manifestDigest", mdigest,
            "repoDigests", repo_digests, "manifestType", m->media_type, "layers", layers, "diffIds",
            json_object_get(json_object_get(cfg->json, "rootfs"), "diff_ids"), "size",
            (json_int_t)total, "created", cfg->created, "added", now, "blobs", blobs);
    }
    if (rl_store_image_commit(s, record, err) < 0)
        goto fail;
    if (ret_id)
        *ret_id = xstrdup(m->config.digest + 7);
    ret = 0;
fail:
    for (size_t i = 0; i < p.n_jobs; i++)
        job_release(&p.jobs[i]);
    free(p.jobs);
    rl_blob_batch_free(batch);
    if (ret < 0)
        rl_error_wrap(err, "pull %s", full);
    return ret;
}
