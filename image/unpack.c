#include "config.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include "digest.h"
#include "fs.h"
#include "unpack.h"

#define IN_CHUNK  (256 * 1024)
#define OUT_CHUNK (512 * 1024)
#define META_MAX  (1024 * 1024)

/* ------------------------------------------------------------------ tar-split
 *
 * The uncompressed tar stream is recorded as a sequence of records:
 *   'R' u32 LEN BYTES         bytes of the stream as they were (headers, padding, ...)
 *   'F' u64 SIZE u32 LEN PATH the content of the regular file PATH (cleaned, as extracted)
 *   'E'                       the end
 * Contents of regular files are left out: they are in the extracted layer. */

enum split_state { SP_HEADER, SP_META, SP_RAW, SP_FILE, SP_PAD };

struct splitter {
    FILE *f;
    enum split_state state;
    unsigned char hdr[512];
    size_t hdr_len;
    uint64_t remaining, pad;
    char meta_type;
    char *meta;
    size_t meta_len;
    char *pax_path, *long_name;
    bool pax_sparse;
    long long pax_size;
    char *raw;
    size_t raw_len, raw_cap;
    bool failed;
};

static void
put_u32(FILE *f, uint32_t v)
{
    unsigned char b[4] = { (unsigned char)v, (unsigned char)(v >> 8), (unsigned char)(v >> 16),
                           (unsigned char)(v >> 24) };
    fwrite(b, 1, 4, f);
}

static void
put_u64(FILE *f, uint64_t v)
{
    put_u32(f, (uint32_t)v);
    put_u32(f, (uint32_t)(v >> 32));
}

static void
split_flush_raw(struct splitter *s)
{
    if (s->raw_len == 0)
        return;
    fputc('R', s->f);
    put_u32(s->f, (uint32_t)s->raw_len);
    fwrite(s->raw, 1, s->raw_len, s->f);
    s->raw_len = 0;
}

static void
split_raw(struct splitter *s, const void *buf, size_t len)
{
    if (s->raw_len + len > s->raw_cap) {
        if (s->raw_len > 0 && s->raw_len + len > 1024 * 1024)
            split_flush_raw(s);
        if (len > s->raw_cap) {
            s->raw_cap = len > 65536 ? len : 65536;
            s->raw = xrealloc(s->raw, s->raw_cap);
        }
    }
    if (s->raw_len + len > s->raw_cap) {
        s->raw_cap = s->raw_len + len;
        s->raw = xrealloc(s->raw, s->raw_cap);
    }
    memcpy(s->raw + s->raw_len, buf, len);
    s->raw_len += len;
}

static uint64_t
tar_number(const unsigned char *p, size_t n)
{
    uint64_t v = 0;

    if (p[0] & 0x80) { /* base-256 */
        for (size_t i = 1; i < n; i++)
            v = (v << 8) | p[i];
        return v;
    }
    for (size_t i = 0; i < n && p[i]; i++) {
        if (p[i] == ' ')
            continue;
        if (p[i] < '0' || p[i] > '7')
            break;
        v = (v << 3) | (uint64_t)(p[i] - '0');
    }
    return v;
}

/* "LEN key=value\n" records of a pax header. */
static void
parse_pax(struct splitter *s)
{
    const char *p = s->meta, *end = s->meta + s->meta_len;

    while (p < end) {
        char *sp;
        long long len = strtoll(p, &sp, 10);
        const char *kv, *eq, *rec_end;

        if (len <= 0 || sp >= end || *sp != ' ' || p + len > end)
            return;
        kv = sp + 1;
        rec_end = p + len - 1; /* the '\n' */
        eq = memchr(kv, '=', (size_t)(rec_end - kv));
        if (eq) {
            size_t klen = (size_t)(eq - kv);
            if (klen == 4 && strncmp(kv, "path", 4) == 0) {
                free(s->pax_path);
                s->pax_path = xstrndup(eq + 1, (size_t)(rec_end - eq - 1));
            } else if (klen == 4 && strncmp(kv, "size", 4) == 0) {
                s->pax_size = strtoll(eq + 1, NULL, 10);
            } else if (klen > 10 && strncmp(kv, "GNU.sparse", 10) == 0) {
                s->pax_sparse = true;
            }
        }
        p += len;
    }
}

static void
entry_done(struct splitter *s)
{
    free(s->pax_path);
    free(s->long_name);
    s->pax_path = s->long_name = NULL;
    s->pax_sparse = false;
    s->pax_size = -1;
}

static void
split_header(struct splitter *s)
{
    const unsigned char *h = s->hdr;
    char type = (char)h[156];
    uint64_t size = tar_number(h + 124, 12);
    bool zero = true;

    split_raw(s, h, 512);
    for (size_t i = 0; i < 512 && zero; i++)
        zero = h[i] == 0;
    if (zero)
        return; /* end-of-archive blocks */
    if (s->pax_size >= 0 && type != 'x' && type != 'g')
        size = (uint64_t)s->pax_size;
    s->remaining = size;
    s->pad = (512 - size % 512) % 512;
    if (type == 'x' || type == 'g' || type == 'L' || type == 'K') {
        s->meta_type = type;
        s->meta_len = 0;
        s->state = size ? SP_META : (s->pad ? SP_PAD : SP_HEADER);
        return;
    }
    if ((type == '0' || type == '\0' || type == '7') && size > 0 && !s->pax_sparse) {
        char name[257];
        const char *path;
        cleanup_free char *clean = NULL;

        if (memcmp(h + 257, "ustar", 5) == 0 && h[345])
            snprintf(name, sizeof(name), "%.155s/%.100s", h + 345, h);
        else
            snprintf(name, sizeof(name), "%.100s", h);
        path = s->pax_path ? s->pax_path : s->long_name ? s->long_name : name;
        clean = rl_layer_clean_path(path);
        if (clean && *clean) {
            split_flush_raw(s);
            fputc('F', s->f);
            put_u64(s->f, size);
            put_u32(s->f, (uint32_t)strlen(clean));
            fputs(clean, s->f);
            s->state = SP_FILE;
            entry_done(s);
            return;
        }
    }
    entry_done(s);
    s->state = size ? SP_RAW : (s->pad ? SP_PAD : SP_HEADER);
}

static void
split_feed(struct splitter *s, const char *buf, size_t len)
{
    while (len > 0 && !s->failed) {
        size_t n = 0;
        switch (s->state) {
        case SP_HEADER:
            n = 512 - s->hdr_len < len ? 512 - s->hdr_len : len;
            memcpy(s->hdr + s->hdr_len, buf, n);
            s->hdr_len += n;
            if (s->hdr_len == 512) {
                s->hdr_len = 0;
                split_header(s);
            }
            break;
        case SP_META:
            n = s->remaining < len ? (size_t)s->remaining : len;
            split_raw(s, buf, n);
            if (s->meta_len + n <= META_MAX) {
                s->meta = xrealloc(s->meta, s->meta_len + n + 1);
                memcpy(s->meta + s->meta_len, buf, n);
            }
            s->meta_len += n;
            s->remaining -= n;
            if (s->remaining == 0) {
                if (s->meta_len <= META_MAX) {
                    s->meta[s->meta_len] = '\0';
                    if (s->meta_type == 'x')
                        parse_pax(s);
                    else if (s->meta_type == 'L') {
                        free(s->long_name);
                        s->long_name = xstrndup(s->meta, s->meta_len);
                    }
                }
                s->state = s->pad ? SP_PAD : SP_HEADER;
            }
            break;
        case SP_RAW:
        case SP_FILE:
            n = s->remaining < len ? (size_t)s->remaining : len;
            if (s->state == SP_RAW)
                split_raw(s, buf, n);
            s->remaining -= n;
            if (s->remaining == 0)
                s->state = s->pad ? SP_PAD : SP_HEADER;
            break;
        case SP_PAD:
            n = s->pad < len ? (size_t)s->pad : len;
            split_raw(s, buf, n);
            s->pad -= n;
            if (s->pad == 0)
                s->state = SP_HEADER;
            break;
        }
        buf += n;
        len -= n;
    }
}

/* Bytes of a partial header at the end (a stream that does not end on a block) are kept. */
static int
split_finish(struct splitter *s, rl_error_t *err)
{
    if (s->hdr_len)
        split_raw(s, s->hdr, s->hdr_len);
    split_flush_raw(s);
    fputc('E', s->f);
    if (fflush(s->f) != 0 || ferror(s->f))
        return rl_make_error(err, errno, "write the tar-split");
    return 0;
}

static void
split_release(struct splitter *s)
{
    if (s->f)
        fclose(s->f);
    free(s->meta);
    free(s->raw);
    entry_done(s);
}

/* ------------------------------------------------------------------ decompression */

struct unpacker {
    struct rl_layer_source src;
    struct rl_unpack_input *in;
    enum rl_compression comp;
    z_stream z;
    bool z_init, z_end;
    ZSTD_DStream *zs;
    size_t zs_last;
    char *inbuf, *out;
    size_t in_len, in_pos;
    bool in_eof;
    struct rl_digester *diff;
    uint64_t size, bound;
    struct splitter *split;
};

static ssize_t
fill_input(struct unpacker *u)
{
    ssize_t n;

    if (u->in_pos < u->in_len || u->in_eof)
        return (ssize_t)(u->in_len - u->in_pos);
    n = u->in->read(u->in, u->inbuf, IN_CHUNK, &u->src.err);
    if (n < 0)
        return -1;
    if (n == 0)
        u->in_eof = true;
    u->in_len = (size_t)n;
    u->in_pos = 0;
    return n;
}

static int
start_decompression(struct unpacker *u, rl_error_t *err)
{
    if (u->comp == RL_COMPRESSION_DETECT) {
        const unsigned char *b = (const unsigned char *)u->inbuf;
        ssize_t n = fill_input(u);
        if (n < 0) {
            *err = steal_pointer(&u->src.err);
            return -1;
        }
        if (n >= 2 && b[0] == 0x1f && b[1] == 0x8b)
            u->comp = RL_COMPRESSION_GZIP;
        else if (n >= 4 && b[0] == 0x28 && b[1] == 0xb5 && b[2] == 0x2f && b[3] == 0xfd)
            u->comp = RL_COMPRESSION_ZSTD;
        else
            u->comp = RL_COMPRESSION_NONE;
    }
    if (u->comp == RL_COMPRESSION_GZIP) {
        /* 16 + MAX_WBITS: gzip framing only. */
        if (inflateInit2(&u->z, 16 + MAX_WBITS) != Z_OK)
            return rl_make_error(err, ENOMEM, "inflateInit2");
        u->z_init = true;
    } else if (u->comp == RL_COMPRESSION_ZSTD) {
        u->zs = ZSTD_createDStream();
        if (u->zs == NULL)
            rl_oom();
        ZSTD_initDStream(u->zs);
        u->zs_last = 1;
    }
    return 0;
}

/* The next piece of the uncompressed tar stream. */
static ssize_t
unpacker_read(struct rl_layer_source *src, const void **buf)
{
    struct unpacker *u = (struct unpacker *)src;
    size_t produced = 0;

    for (;;) {
        ssize_t avail = fill_input(u);
        if (avail < 0)
            return -1;
        if (u->comp == RL_COMPRESSION_NONE) {
            if (avail == 0)
                return 0;
            memcpy(u->out, u->inbuf + u->in_pos, (size_t)avail);
            u->in_pos += (size_t)avail;
            produced = (size_t)avail;
        } else if (u->comp == RL_COMPRESSION_GZIP) {
            int zr;
            if (avail == 0) {
                if (!u->z_end)
                    return rl_make_error(&u->src.err, 0,
                                         "gzip stream ends early (truncated layer)");
                return 0;
            }
            if (u->z_end) {
                /* Another gzip member follows (pigz, concatenated streams). */
                inflateReset(&u->z);
                u->z_end = false;
            }
            u->z.next_in = (Bytef *)u->inbuf + u->in_pos;
            u->z.avail_in = (uInt)avail;
            u->z.next_out = (Bytef *)u->out;
            u->z.avail_out = OUT_CHUNK;
            zr = inflate(&u->z, Z_NO_FLUSH);
            if (zr != Z_OK && zr != Z_STREAM_END && zr != Z_BUF_ERROR)
                return rl_make_error(&u->src.err, 0, "gzip: %s",
                                     u->z.msg ? u->z.msg : "corrupt data");
            if (zr == Z_STREAM_END)
                u->z_end = true;
            u->in_pos = (size_t)((char *)u->z.next_in - u->inbuf);
            produced = OUT_CHUNK - u->z.avail_out;
        } else {
            ZSTD_inBuffer zin = { u->inbuf + u->in_pos, (size_t)avail, 0 };
            ZSTD_outBuffer zout = { u->out, OUT_CHUNK, 0 };
            if (avail == 0) {
                if (u->zs_last != 0)
                    return rl_make_error(&u->src.err, 0,
                                         "zstd stream ends early (truncated layer)");
                return 0;
            }
            u->zs_last = ZSTD_decompressStream(u->zs, &zout, &zin);
            if (ZSTD_isError(u->zs_last))
                return rl_make_error(&u->src.err, 0, "zstd: %s", ZSTD_getErrorName(u->zs_last));
            u->in_pos += zin.pos;
            produced = zout.pos;
        }
        if (produced == 0)
            continue;
        u->size += produced;
        if (u->size > u->bound)
            return rl_make_error(&u->src.err, EFBIG,
                                 "layer expands to more than %llu bytes (a decompression bomb?)",
                                 (unsigned long long)u->bound);
        if (rl_digester_update(u->diff, u->out, produced, &u->src.err) < 0)
            return -1;
        if (u->split)
            split_feed(u->split, u->out, produced);
        *buf = u->out;
        return (ssize_t)produced;
    }
}

int
rl_unpack(int dirfd, struct rl_unpack_input *in, const struct rl_unpack_opts *opts,
          struct rl_unpack_result *ret, rl_error_t *err)
{
    struct unpacker u = { .src.read = unpacker_read, .in = in, .comp = opts->compression };
    struct splitter split = { .pax_size = -1 };
    struct rl_layer_opts lo = opts->layer;
    int r = -1;

    memset(ret, 0, sizeof(*ret));
    u.bound = opts->bound ? opts->bound : UINT64_MAX;
    u.inbuf = xmalloc(IN_CHUNK);
    u.out = xmalloc(OUT_CHUNK);
    if (lo.max_bytes == 0 || lo.max_bytes > u.bound)
        lo.max_bytes = u.bound;
    if (opts->split_path) {
        split.f = fopen(opts->split_path, "wxe");
        if (split.f == NULL) {
            rl_make_error(err, errno, "create '%s'", opts->split_path);
            goto out;
        }
        u.split = &split;
    }
    u.diff = rl_digester_new(opts->diff_id, err);
    if (u.diff == NULL || start_decompression(&u, err) < 0)
        goto out;
    if (rl_layer_extract(dirfd, &u.src, &lo, &ret->stats, err) < 0)
        goto out;
    if (rl_digester_finish(u.diff, &ret->diff_id, err) < 0) {
        rl_error_wrap(err, "uncompressed layer (diff_id)");
        goto out;
    }
    if (u.split && split_finish(&split, err) < 0)
        goto out;
    ret->size = u.size;
    r = 0;
out:
    if (u.z_init)
        inflateEnd(&u.z);
    ZSTD_freeDStream(u.zs);
    free(u.inbuf);
    free(u.out);
    rl_digester_free(u.diff);
    rl_error_release(&u.src.err);
    split_release(&split);
    return r;
}

/* ------------------------------------------------------------------ reassembly */

static int
get_bytes(FILE *f, void *buf, size_t n, rl_error_t *err)
{
    if (fread(buf, 1, n, f) != n)
        return rl_make_error(err, 0, "tar-split: truncated");
    return 0;
}

static int
get_u32(FILE *f, uint32_t *v, rl_error_t *err)
{
    unsigned char b[4];
    if (get_bytes(f, b, 4, err) < 0)
        return -1;
    *v = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
    return 0;
}

int
rl_unpack_reassemble(int dirfd, const char *split_path, const char *diff_id,
                     int (*write)(void *data, const void *buf, size_t len, rl_error_t *err),
                     void *data, rl_error_t *err)
{
    cleanup_file FILE *f = fopen(split_path, "re");
    cleanup_digester struct rl_digester *d = NULL;
    cleanup_free char *buf = xmalloc(OUT_CHUNK);

    if (f == NULL)
        return rl_make_error(err, errno, "open '%s'", split_path);
    d = rl_digester_new(diff_id, err);
    if (d == NULL)
        return -1;
    for (;;) {
        int c = fgetc(f);
        uint32_t len, lo, hi;

        if (c == 'E')
            break;
        if (c == 'R') {
            if (get_u32(f, &len, err) < 0)
                return -1;
            while (len > 0) {
                size_t n = len < OUT_CHUNK ? len : OUT_CHUNK;
                if (get_bytes(f, buf, n, err) < 0 || rl_digester_update(d, buf, n, err) < 0
                    || write(data, buf, n, err) < 0)
                    return -1;
                len -= (uint32_t)n;
            }
        } else if (c == 'F') {
            cleanup_free char *path = NULL;
            cleanup_close int fd = -1;
            uint64_t size;

            if (get_u32(f, &lo, err) < 0 || get_u32(f, &hi, err) < 0 || get_u32(f, &len, err) < 0)
                return -1;
            if (len > 65536)
                return rl_make_error(err, 0, "tar-split: bad record");
            size = (uint64_t)hi << 32 | lo;
            path = xzalloc(len + 1);
            if (get_bytes(f, path, len, err) < 0)
                return -1;
            fd = rl_safe_openat(dirfd, path, O_RDONLY | O_NOFOLLOW, 0, err);
            if (fd < 0)
                return rl_error_wrap(err, "layer file '%s'", path);
            while (size > 0) {
                size_t want = size < OUT_CHUNK ? (size_t)size : OUT_CHUNK;
                ssize_t n = TEMP_FAILURE_RETRY(read(fd, buf, want));
                if (n < 0)
                    return rl_make_error(err, errno, "read '%s'", path);
                if (n == 0)
                    return rl_make_error(err, 0, "layer file '%s' is shorter than recorded", path);
                if (rl_digester_update(d, buf, (size_t)n, err) < 0
                    || write(data, buf, (size_t)n, err) < 0)
                    return -1;
                size -= (uint64_t)n;
            }
        } else {
            return rl_make_error(err, 0, "tar-split '%s': bad record", split_path);
        }
    }
    if (rl_digester_finish(d, NULL, err) < 0)
        return rl_error_wrap(err, "the layer changed since it was stored");
    return 0;
}
