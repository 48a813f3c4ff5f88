#include "config.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "fs.h"
#include "layer.h"
#include "log.h"
#include "json.h"

#define WHITEOUT_PREFIX ".wh."
#define OPAQUE_NAME     ".wh..wh..opq"
#define READ_BLOCK      (128 * 1024)

char *
rl_layer_clean_path(const char *name)
{
    char *out = xzalloc(strlen(name) + 1);
    const char *p = name;
    size_t len = 0;

    for (;;) {
        const char *end;
        size_t n;

        while (*p == '/')
            p++;
        if (*p == '\0')
            break;
        end = strchrnul(p, '/');
        n = (size_t)(end - p);
        if (n == 2 && p[0] == '.' && p[1] == '.') {
            free(out);
            return NULL;
        }
        if (!(n == 1 && p[0] == '.')) {
            if (len > 0)
                out[len++] = '/';
            memcpy(out + len, p, n);
            len += n;
        }
        p = end;
    }
    out[len] = '\0';
    return out;
}

/* A directory whose times are set once everything below it has been written. */
struct dir_time {
    char *path;
    struct timespec times[2];
};

struct extractor {
    int dirfd;
    const struct rl_layer_opts *opts;
    struct rl_layer_stats *stats;
    struct archive *a;
    struct rl_layer_source *src;
    /* The parent directory of the previous entry, kept open: tar streams list a
     * directory's entries together. */
    char *parent_path;
    int parent_fd;
    struct dir_time *dirs;
    size_t n_dirs, cap_dirs;
    char *buf;
};

static void
forget_parent(struct extractor *x)
{
    free(x->parent_path);
    x->parent_path = NULL;
    if (x->parent_fd >= 0)
        close(x->parent_fd);
    x->parent_fd = -1;
}

/* An fd for the directory PATH ("" is the root), created if missing, resolved in the root. */
static int
open_parent(struct extractor *x, const char *path, rl_error_t *err)
{
    int fd;

    if (x->parent_path && strcmp(x->parent_path, path) == 0)
        return x->parent_fd;
    forget_parent(x);
    if (*path == '\0')
        fd = rl_safe_openat(x->dirfd, ".", O_PATH | O_DIRECTORY, 0, err);
    else
        fd = rl_safe_mkdir_p(x->dirfd, path, 0755, err);
    if (fd < 0)
        return -1;
    x->parent_path = xstrdup(path);
    x->parent_fd = fd;
    return fd;
}

/* rm -rf NAME in PARENT, not following symlinks. */
static int
remove_at(int parent, const char *name, int depth, rl_error_t *err)
{
    cleanup_dir DIR *d = NULL;
    struct dirent *de;
    int fd;

    if (unlinkat(parent, name, 0) == 0 || errno == ENOENT)
        return 0;
    if (errno != EISDIR && errno != EPERM)
        return rl_make_error(err, errno, "remove '%s'", name);
    if (depth > 256)
        return rl_make_error(err, ELOOP, "remove '%s'", name);
    fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return rl_make_error(err, errno, "remove '%s'", name);
    d = fdopendir(fd);
    if (d == NULL) {
        close(fd);
        return rl_make_error(err, errno, "remove '%s'", name);
    }
    while ((de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        if (remove_at(dirfd(d), de->d_name, depth + 1, err) < 0)
            return -1;
    }
    if (unlinkat(parent, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
        return rl_make_error(err, errno, "remove '%s'", name);
    return 0;
}

/* Make room for NAME: what a previous entry (of this layer) put there goes, except a
 * directory that a directory entry only updates. Returns 1 when that directory stays. */
static int
clear_name(int parent, const char *name, bool want_dir, rl_error_t *err)
{
    struct stat st;

    if (fstatat(parent, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        return errno == ENOENT ? 0 : rl_make_error(err, errno, "stat '%s'", name);
    if (want_dir && S_ISDIR(st.st_mode))
        return 1;
    /* The cached parent is PARENT itself, never below NAME: it stays valid. */
    if (S_ISDIR(st.st_mode))
        return remove_at(parent, name, 0, err);
    if (unlinkat(parent, name, 0) < 0)
        return rl_make_error(err, errno, "replace '%s'", name);
    return 0;
}

static void
set_owner(struct extractor *x, int fd, const char *name, struct archive_entry *e)
{
    uid_t uid = (uid_t)archive_entry_uid(e);
    gid_t gid = (gid_t)archive_entry_gid(e);
    int r;

    if (x->opts->single_id) {
        if (uid != 0 || gid != 0)
            x->stats->owners_collapsed++;
        return;
    }
    if (name)
        r = fchownat(fd, name, uid, gid, AT_SYMLINK_NOFOLLOW);
    else
        r = fchown(fd, uid, gid);
    if (r < 0)
        x->stats->owners_collapsed++;
}

static bool
xattr_allowed(const char *name)
{
    if (rl_str_has_prefix(name, "user.overlay.") || rl_str_has_prefix(name, "user.fuseoverlayfs."))
        return false; /* overlay's own metadata: only rl writes it */
    return rl_str_has_prefix(name, "user.") || strcmp(name, "security.capability") == 0;
}

static int
set_xattrs(struct extractor *x, int fd, struct archive_entry *e, const char *path, rl_error_t *err)
{
    const char *name;
    const void *value;
    size_t size;

    if (archive_entry_xattr_reset(e) == 0)
        return 0;
    while (archive_entry_xattr_next(e, &name, &value, &size) == ARCHIVE_OK) {
        if (!xattr_allowed(name)) {
            x->stats->xattrs_skipped++;
            continue;
        }
        if (fsetxattr(fd, name, value, size, 0) < 0) {
            /* A filesystem without user xattrs, or a capability this namespace cannot
             * grant: the file is still usable without it. */
            if (errno == ENOTSUP || errno == EPERM || errno == EINVAL) {
                x->stats->xattrs_skipped++;
                continue;
            }
            return rl_make_error(err, errno, "set xattr '%s' on '%s'", name, path);
        }
    }
    return 0;
}

static void
entry_times(struct archive_entry *e, struct timespec times[2])
{
    times[1].tv_sec = archive_entry_mtime(e);
    times[1].tv_nsec = archive_entry_mtime_nsec(e);
    if (archive_entry_atime_is_set(e)) {
        times[0].tv_sec = archive_entry_atime(e);
        times[0].tv_nsec = archive_entry_atime_nsec(e);
    } else {
        times[0] = times[1];
    }
}

static int
write_data(struct extractor *x, int fd, const char *path, int64_t size, rl_error_t *err)
{
    int64_t pos = 0;

    for (;;) {
        const void *block;
        size_t len;
        la_int64_t offset;
        int r = archive_read_data_block(x->a, &block, &len, &offset);

        if (r == ARCHIVE_EOF)
            break;
        if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
            if (x->src->err) /* the stream's own failure, not libarchive's view of it */
                return rl_make_error(err, x->src->err->status, "%s", x->src->err->msg);
            return rl_make_error(err, 0, "read '%s': %s", path, archive_error_string(x->a));
        }
        if (offset != pos && lseek(fd, offset, SEEK_SET) < 0)
            return rl_make_error(err, errno, "seek in '%s'", path);
        x->stats->bytes += len;
        if (x->opts->max_bytes && x->stats->bytes > x->opts->max_bytes)
            return rl_make_error(err, EFBIG,
                                 "layer expands to more than %llu bytes (a decompression bomb?)",
                                 (unsigned long long)x->opts->max_bytes);
        if (rl_write_all(fd, block, len, err) < 0)
            return rl_error_wrap(err, "write '%s'", path);
        pos = offset + (int64_t)len;
    }
    /* Sparse files end in a hole. */
    if (pos < size && ftruncate(fd, size) < 0)
        return rl_make_error(err, errno, "truncate '%s'", path);
    return 0;
}

static int
extract_hardlink(struct extractor *x, int parent, const char *name, const char *path,
                 const char *target_name, rl_error_t *err)
{
    cleanup_free char *target = rl_layer_clean_path(target_name);
    cleanup_free char *proc = NULL;
    cleanup_close int fd = -1;
    cleanup_error rl_error_t tmp = NULL;
    struct stat st;

    if (target == NULL || *target == '\0')
        return rl_make_error(err, 0, "hardlink '%s' to '%s': target leaves the layer", path,
                             target_name);
    fd = rl_safe_openat(x->dirfd, target, O_PATH | O_NOFOLLOW, 0, &tmp);
    if (fd < 0)
        return rl_make_error(err, 0, "hardlink '%s' to '%s': no such file in this layer", path,
                             target_name);
    if (fstat(fd, &st) < 0)
        return rl_make_error(err, errno, "hardlink '%s'", path);
    if (S_ISDIR(st.st_mode))
        return rl_make_error(err, 0, "hardlink '%s' to directory '%s'", path, target_name);
    if (clear_name(parent, name, false, err) < 0)
        return -1;
    proc = xasprintf("/proc/self/fd/%d", fd);
    if (linkat(AT_FDCWD, proc, parent, name, AT_SYMLINK_FOLLOW) < 0)
        return rl_make_error(err, errno, "hardlink '%s' to '%s'", path, target_name);
    return 0;
}

static int
extract_entry(struct extractor *x, struct archive_entry *e, rl_error_t *err)
{
    const char *raw = archive_entry_pathname(e);
    cleanup_free char *path = NULL;
    cleanup_close int fd = -1;
    struct timespec times[2];
    const char *name, *hardlink;
    mode_t type = archive_entry_filetype(e);
    mode_t mode = archive_entry_perm(e) & 07777;
    int parent, r;
    char *slash;

    if (raw == NULL)
        return rl_make_error(err, 0, "entry without a name");
    path = rl_layer_clean_path(raw);
    if (path == NULL)
        return rl_make_error(err, 0, "entry '%s': path leaves the layer", raw);
    x->stats->entries++;
    entry_times(e, times);

    if (*path == '\0') { /* the root itself: metadata only */
        fd = rl_safe_openat(x->dirfd, ".", O_RDONLY | O_DIRECTORY, 0, err);
        if (fd < 0)
            return -1;
        set_owner(x, fd, NULL, e);
        if (fchmod(fd, mode) < 0)
            return rl_make_error(err, errno, "chmod '/'");
        goto dir_time;
    }

    slash = strrchr(path, '/');
    if (slash) {
        *slash = '\0';
        name = slash + 1;
        parent = open_parent(x, path, err);
        *slash = '/';
    } else {
        name = path;
        parent = open_parent(x, "", err);
    }
    if (parent < 0)
        return rl_error_wrap(err, "entry '%s'", raw);

    if (x->opts->whiteouts && rl_str_has_prefix(name, WHITEOUT_PREFIX)) {
        const char *victim = name + strlen(WHITEOUT_PREFIX);

        if (strcmp(name, OPAQUE_NAME) == 0) {
            cleanup_free char *dir = xstrndup(path, (size_t)(name - path));
            fd = rl_safe_openat(x->dirfd, dir, O_RDONLY | O_DIRECTORY, 0, err);
            if (fd < 0)
                return rl_error_wrap(err, "opaque directory '%s'", dir);
            if (fsetxattr(fd, RL_OVERLAY_OPAQUE_XATTR, "y", 1, 0) < 0)
                return rl_make_error(err, errno, "mark '%s' opaque", dir);
            return 0;
        }
        if (rl_str_has_prefix(victim, WHITEOUT_PREFIX) || *victim == '\0')
            return 0; /* aufs metadata (.wh..wh.plnk, ...): nothing for overlay */
        if (clear_name(parent, victim, false, err) < 0)
            return rl_error_wrap(err, "whiteout '%s'", raw);
        if (mknodat(parent, victim, S_IFCHR | 0, makedev(0, 0)) < 0)
            return rl_make_error(err, errno, "whiteout '%s'", raw);
        return 0;
    }

    hardlink = archive_entry_hardlink(e);
    if (hardlink)
        return extract_hardlink(x, parent, name, path, hardlink, err);

    switch (type) {
    case AE_IFDIR:
        r = clear_name(parent, name, true, err);
        if (r < 0)
            return rl_error_wrap(err, "entry '%s'", raw);
        if (r == 0 && mkdirat(parent, name, 0700) < 0)
            return rl_make_error(err, errno, "mkdir '%s'", path);
        fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
            return rl_make_error(err, errno, "open '%s'", path);
        set_owner(x, fd, NULL, e);
        if (fchmod(fd, mode) < 0)
            return rl_make_error(err, errno, "chmod '%s'", path);
        if (set_xattrs(x, fd, e, path, err) < 0)
            return -1;
        goto dir_time;
    case AE_IFREG:
        if (clear_name(parent, name, false, err) < 0)
            return rl_error_wrap(err, "entry '%s'", raw);
        fd = openat(parent, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0)
            return rl_make_error(err, errno, "create '%s'", path);
        if (write_data(x, fd, path, archive_entry_size(e), err) < 0)
            return -1;
        /* chown clears set-id bits, and so does a write: owner, then mode, then caps. */
        set_owner(x, fd, NULL, e);
        if (fchmod(fd, mode) < 0)
            return rl_make_error(err, errno, "chmod '%s'", path);
        if (set_xattrs(x, fd, e, path, err) < 0)
            return -1;
        if (futimens(fd, times) < 0)
            return rl_make_error(err, errno, "set times of '%s'", path);
        return 0;
    case AE_IFLNK: {
        const char *target = archive_entry_symlink(e);
        if (target == NULL)
            return rl_make_error(err, 0, "symlink '%s' without a target", path);
        if (clear_name(parent, name, false, err) < 0)
            return rl_error_wrap(err, "entry '%s'", raw);
        if (symlinkat(target, parent, name) < 0)
            return rl_make_error(err, errno, "symlink '%s'", path);
        set_owner(x, parent, name, e);
        if (utimensat(parent, name, times, AT_SYMLINK_NOFOLLOW) < 0)
            return rl_make_error(err, errno, "set times of '%s'", path);
        return 0;
    }
    case AE_IFIFO:
        if (clear_name(parent, name, false, err) < 0)
            return rl_error_wrap(err, "entry '%s'", raw);
        if (mknodat(parent, name, S_IFIFO | 0600, 0) < 0)
            return rl_make_error(err, errno, "mkfifo '%s'", path);
        fd = openat(parent, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
            return rl_make_error(err, errno, "open '%s'", path);
        set_owner(x, parent, name, e);
        if (fchmodat(parent, name, mode, 0) < 0)
            return rl_make_error(err, errno, "chmod '%s'", path);
        if (utimensat(parent, name, times, AT_SYMLINK_NOFOLLOW) < 0)
            return rl_make_error(err, errno, "set times of '%s'", path);
        return 0;
    default: /* character and block devices, sockets */
        x->stats->devices_skipped++;
        return 0;
    }

dir_time:
    if (x->n_dirs == x->cap_dirs) {
        x->cap_dirs = x->cap_dirs ? x->cap_dirs * 2 : 64;
        x->dirs = xrealloc(x->dirs, x->cap_dirs * sizeof(*x->dirs));
    }
    x->dirs[x->n_dirs].path = steal_pointer(&path);
    memcpy(x->dirs[x->n_dirs].times, times, sizeof(times[0]) * 2);
    x->n_dirs++;
    return 0;
}

/* Directory times last, deepest first: writing into a directory changes its mtime. A
 * directory listed twice gets the times of its last entry, as tar gives it. */
static int
apply_dir_times(struct extractor *x, rl_error_t *err)
{
    cleanup_json json_t *done = json_object();

    for (size_t i = x->n_dirs; i-- > 0;) {
        const char *path = *x->dirs[i].path ? x->dirs[i].path : ".";
        cleanup_error rl_error_t tmp = NULL;
        cleanup_close int fd = rl_safe_openat(x->dirfd, path, O_RDONLY | O_DIRECTORY, 0, &tmp);

        if (fd < 0 && (tmp->status == ENOENT || tmp->status == ENOTDIR))
            continue; /* replaced by a later entry */
        if (fd < 0) {
            *err = steal_pointer(&tmp);
            return rl_error_wrap(err, "set times of '%s'", path);
        }
        if (json_object_get(done, path))
            continue;
        json_object_set_new(done, path, json_true());
        if (futimens(fd, x->dirs[i].times) < 0)
            return rl_make_error(err, errno, "set times of '%s'", x->dirs[i].path);
    }
    return 0;
}

static la_ssize_t
source_read(struct archive *a, void *data, const void **buf)
{
    struct rl_layer_source *src = data;
    ssize_t n = src->read(src, buf);

    if (n < 0) {
        archive_set_error(a, src->err ? src->err->status : EIO, "%s",
                          src->err ? src->err->msg : "read error");
        return -1;
    }
    return n;
}

struct fd_source {
    struct rl_layer_source src;
    int fd;
    char buf[READ_BLOCK];
};

static ssize_t
fd_source_read(struct rl_layer_source *src, const void **buf)
{
    struct fd_source *s = (struct fd_source *)src;
    ssize_t n = TEMP_FAILURE_RETRY(read(s->fd, s->buf, sizeof(s->buf)));

    if (n < 0)
        return rl_make_error(&src->err, errno, "read");
    *buf = s->buf;
    return n;
}

int
rl_layer_extract(int dirfd, struct rl_layer_source *src, const struct rl_layer_opts *opts,
                 struct rl_layer_stats *stats, rl_error_t *err)
{
    struct extractor x = {
        .dirfd = dirfd, .opts = opts, .stats = stats, .parent_fd = -1, .src = src
    };
    struct archive_entry *e;
    int ret = 0, r;

    memset(stats, 0, sizeof(*stats));
    x.a = archive_read_new();
    archive_read_support_format_tar(x.a);
    archive_read_support_format_gnutar(x.a);
    archive_read_support_filter_all(x.a);
    if (archive_read_open(x.a, src, NULL, source_read, NULL) != ARCHIVE_OK) {
        ret = src->err ? rl_make_error(err, src->err->status, "%s", src->err->msg)
                       : rl_make_error(err, 0, "not a tar archive: %s", archive_error_string(x.a));
        goto out;
    }
    for (;;) {
        r = archive_read_next_header(x.a, &e);
        if (r == ARCHIVE_EOF)
            break;
        if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
            if (src->err)
                ret = rl_make_error(err, src->err->status, "%s", src->err->msg);
            else
                ret = rl_make_error(err, 0, "bad tar stream: %s", archive_error_string(x.a));
            goto out;
        }
        if (extract_entry(&x, e, err) < 0) {
            ret = -1;
            goto out;
        }
    }
    /* Bytes after the end-of-archive blocks are read too, so that a digest over the whole
     * stream sees them. */
    for (;;) {
        const void *buf;
        ssize_t n = src->read(src, &buf);
        if (n == 0)
            break;
        if (n < 0) {
            ret = rl_make_error(err, src->err->status, "%s", src->err->msg);
            goto out;
        }
    }
    ret = apply_dir_times(&x, err);
out:
    rl_error_release(&src->err);
    archive_read_free(x.a);
    forget_parent(&x);
    for (size_t i = 0; i < x.n_dirs; i++)
        free(x.dirs[i].path);
    free(x.dirs);
    return ret;
}

int
rl_layer_extract_fd(int dirfd, int fd, const struct rl_layer_opts *opts,
                    struct rl_layer_stats *stats, rl_error_t *err)
{
    cleanup_free struct fd_source *s = xzalloc(sizeof(*s));

    s->src.read = fd_source_read;
    s->fd = fd;
    return rl_layer_extract(dirfd, &s->src, opts, stats, err);
}
