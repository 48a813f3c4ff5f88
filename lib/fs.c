#include "config.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fs.h"
#include "syscalls.h"

int
rl_safe_openat(int dirfd, const char *path, int flags, mode_t mode, rl_error_t *err)
{
    struct open_how how = { 0 };
    int fd;

    how.flags = (unsigned long long)(flags | O_CLOEXEC);
    if (flags & (O_CREAT | O_TMPFILE))
        how.mode = mode;
    how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
    while (*path == '/')
        path++;
    if (*path == '\0')
        path = ".";
    fd = TEMP_FAILURE_RETRY(rl_openat2(dirfd, path, &how));
    if (fd < 0)
        return rl_make_error(err, errno, "open '%s'", path);
    return fd;
}

static int mkdir_p_in_root(int dirfd, const char *path, mode_t mode, int depth, rl_error_t *err);

/* A dangling symlink met as NAME in PARENT (at PREFIX): create what it points to, in the root
 * of DIRFD, so that the path can go on through it. */
static int
mkdir_link_target(int dirfd, int parent, const char *name, const char *prefix, mode_t mode,
                  int depth, rl_error_t *err)
{
    char target[4096];
    cleanup_free char *path = NULL;
    cleanup_close int fd = -1;
    ssize_t n = readlinkat(parent, name, target, sizeof(target) - 1);

    if (n < 0)
        return 0; /* not a symlink: the caller's open reports the real error */
    target[n] = '\0';
    if (target[0] == '/') {
        path = xstrdup(target);
    } else {
        /* Relative to the link's directory; ".." cannot climb above the root anyway, as
         * every step is resolved in it, but the path must be normalised for mkdir. */
        size_t dirlen = (size_t)(strrchr(prefix, '/') - prefix);
        path = xasprintf("%.*s/%s", (int)dirlen, prefix, target);
    }
    fd = mkdir_p_in_root(dirfd, path, mode, depth + 1, err);
    return fd < 0 ? -1 : 0;
}

static int
mkdir_p_in_root(int dirfd, const char *path, mode_t mode, int depth, rl_error_t *err)
{
    cleanup_free char *prefix = xzalloc(strlen(path) + 2);
    const char *p = path;
    size_t len = 0;

    if (depth > 40)
        return rl_make_error(err, ELOOP, "mkdir '%s'", path);
    /* Each component is created in its parent, and the parent is resolved afresh in the root
     * of DIRFD: a symlink met on the way is followed as if DIRFD were "/". */
    for (;;) {
        cleanup_close int parent = -1;
        const char *end;
        char *name;

        while (*p == '/')
            p++;
        if (*p == '\0')
            break;
        end = strchrnul(p, '/');
        /* A path asked for may not climb; a symlink's target may (it stays in the root). */
        if (depth == 0 && end - p == 2 && strncmp(p, "..", 2) == 0)
            return rl_make_error(err, EINVAL, "path '%s' contains '..'", path);
        parent = rl_safe_openat(dirfd, len ? prefix : "/", O_PATH | O_DIRECTORY, 0, err);
        if (parent < 0)
            return parent;
        prefix[len++] = '/';
        memcpy(prefix + len, p, (size_t)(end - p));
        len += (size_t)(end - p);
        prefix[len] = '\0';
        name = strrchr(prefix, '/') + 1;
        if (strcmp(name, "..") != 0 && strcmp(name, ".") != 0 && mkdirat(parent, name, mode) < 0) {
            if (errno != EEXIST)
                return rl_make_error(err, errno, "mkdir '%s'", prefix);
            if (mkdir_link_target(dirfd, parent, name, prefix, mode, depth, err) < 0)
                return -1;
        }
        p = end;
    }
    return rl_safe_openat(dirfd, len ? prefix : "/", O_PATH | O_DIRECTORY, 0, err);
}

int
rl_safe_mkdir_p(int dirfd, const char *path, mode_t mode, rl_error_t *err)
{
    return mkdir_p_in_root(dirfd, path, mode, 0, err);
}

int
rl_read_all_fd(int fd, size_t max, char **ret_buf, size_t *ret_len, rl_error_t *err)
{
    cleanup_free char *buf = NULL;
    size_t len = 0, cap = 0;

    for (;;) {
        ssize_t n;
        if (len + 4096 + 1 > cap) {
            cap = cap ? cap * 2 : 8192;
            buf = xrealloc(buf, cap);
        }
        n = TEMP_FAILURE_RETRY(read(fd, buf + len, cap - len - 1));
        if (n < 0)
            return rl_make_error(err, errno, "read");
        if (n == 0)
            break;
        len += (size_t)n;
        if (len > max)
            return rl_make_error(err, EFBIG, "file larger than %zu bytes", max);
    }
    buf[len] = '\0';
    if (ret_len)
        *ret_len = len;
    *ret_buf = steal_pointer(&buf);
    return 0;
}

int
rl_read_file(const char *path, size_t max, char **ret_buf, size_t *ret_len, rl_error_t *err)
{
    cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return rl_make_error(err, errno, "open '%s'", path);
    if (rl_read_all_fd(fd, max, ret_buf, ret_len, err) < 0)
        return rl_error_wrap(err, "read '%s'", path);
    return 0;
}

int
rl_write_all(int fd, const void *buf, size_t len, rl_error_t *err)
{
    const char *p = buf;
    while (len > 0) {
        ssize_t n = TEMP_FAILURE_RETRY(write(fd, p, len));
        if (n < 0)
            return rl_make_error(err, errno, "write");
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

int
rl_write_file(const char *path, const void *buf, size_t len, rl_error_t *err)
{
    cleanup_close int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return rl_make_error(err, errno, "open '%s'", path);
    if (rl_write_all(fd, buf, len, err) < 0)
        return rl_error_wrap(err, "write '%s'", path);
    return 0;
}

int
rl_write_file_atomic(const char *path, const void *buf, size_t len, mode_t mode, bool durable,
                     rl_error_t *err)
{
    cleanup_free char *tmp = xasprintf("%s.tmp-%d", path, (int)getpid());
    cleanup_close int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);

    if (fd < 0)
        return rl_make_error(err, errno, "create '%s'", tmp);
    if (rl_write_all(fd, buf, len, err) < 0 || (durable && fsync(fd) < 0)) {
        if (*err == NULL)
            rl_make_error(err, errno, "fsync");
        (void)unlink(tmp);
        return rl_error_wrap(err, "write '%s'", tmp);
    }
    if (rename(tmp, path) < 0) {
        int e = errno;
        (void)unlink(tmp);
        return rl_make_error(err, e, "rename '%s' to '%s'", tmp, path);
    }
    return 0;
}

int
rl_mkdir_p(const char *path, mode_t mode, rl_error_t *err)
{
    cleanup_free char *copy = NULL;

    if (path[0] == '\0')
        return rl_make_error(err, ENOENT, "mkdir: empty path");
    copy = xstrdup(path);
    for (char *p = copy + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(copy, mode) < 0 && errno != EEXIST)
            return rl_make_error(err, errno, "mkdir '%s'", copy);
        *p = '/';
    }
    if (mkdir(copy, mode) < 0 && errno != EEXIST)
        return rl_make_error(err, errno, "mkdir '%s'", copy);
    return 0;
}

static int
rm_rf_at(int parent, const char *name, dev_t dev, rl_error_t *err)
{
    cleanup_dir DIR *d = NULL;
    struct dirent *de;
    struct stat st;
    int fd;

    if (fstatat(parent, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
        if (errno == ENOENT)
            return 0;
        return rl_make_error(err, errno, "stat '%s'", name);
    }
    if (!S_ISDIR(st.st_mode)) {
        if (unlinkat(parent, name, 0) < 0 && errno != ENOENT)
            return rl_make_error(err, errno, "unlink '%s'", name);
        return 0;
    }
    if (st.st_dev != dev)
        return rl_make_error(err, EXDEV, "'%s' is a mount point", name);
    fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return rl_make_error(err, errno, "open '%s'", name);
    d = fdopendir(fd);
    if (d == NULL) {
        close(fd);
        return rl_make_error(err, errno, "opendir '%s'", name);
    }
    while ((de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        if (rm_rf_at(dirfd(d), de->d_name, dev, err) < 0)
            return rl_error_wrap(err, "%s", name);
    }
    if (unlinkat(parent, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
        return rl_make_error(err, errno, "rmdir '%s'", name);
    return 0;
}

int
rl_rm_rf(const char *path, rl_error_t *err)
{
    struct stat st;
    if (lstat(path, &st) < 0) {
        if (errno == ENOENT)
            return 0;
        return rl_make_error(err, errno, "stat '%s'", path);
    }
    return rm_rf_at(AT_FDCWD, path, st.st_dev, err);
}

static int copy_entry(int sfd, int dfd, const char *name, int depth, rl_error_t *err);

static int
copy_regular(int sfd, int dfd, const char *name, const struct stat *st, rl_error_t *err)
{
    cleanup_close int in = openat(sfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    cleanup_close int out = -1;

    if (in < 0)
        return rl_make_error(err, errno, "open '%s'", name);
    out = openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                 st->st_mode & 07777);
    if (out < 0)
        return rl_make_error(err, errno, "create '%s'", name);
    for (;;) {
        ssize_t n = copy_file_range(in, NULL, out, NULL, 1 << 30, 0);
        if (n == 0)
            break;
        if (n < 0) {
            char buf[65536];
            ssize_t r;
            if (errno != EXDEV && errno != EINVAL && errno != ENOSYS && errno != EOPNOTSUPP)
                return rl_make_error(err, errno, "copy '%s'", name);
            while ((r = TEMP_FAILURE_RETRY(read(in, buf, sizeof(buf)))) > 0)
                if (rl_write_all(out, buf, (size_t)r, err) < 0)
                    return -1;
            if (r < 0)
                return rl_make_error(err, errno, "read '%s'", name);
            break;
        }
    }
    return 0;
}

static int
copy_entry(int sfd, int dfd, const char *name, int depth, rl_error_t *err)
{
    struct stat st;
    struct timespec times[2];

    if (fstatat(sfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        return rl_make_error(err, errno, "stat '%s'", name);
    if (S_ISDIR(st.st_mode)) {
        cleanup_close int sub = -1, dsub = -1;
        cleanup_dir DIR *d = NULL;
        struct dirent *de;
        if (depth > 256)
            return rl_make_error(err, ELOOP, "'%s': too deep", name);
        if (mkdirat(dfd, name, 0700) < 0 && errno != EEXIST)
            return rl_make_error(err, errno, "mkdir '%s'", name);
        sub = openat(sfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        dsub = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (sub < 0 || dsub < 0)
            return rl_make_error(err, errno, "open '%s'", name);
        d = fdopendir(steal_fd(&sub));
        if (d == NULL)
            return rl_make_error(err, errno, "opendir '%s'", name);
        while ((de = readdir(d)) != NULL) {
            if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
                continue;
            if (copy_entry(dirfd(d), dsub, de->d_name, depth + 1, err) < 0)
                return rl_error_wrap(err, "%s", name);
        }
        if (fchmod(dsub, st.st_mode & 07777) < 0)
            return rl_make_error(err, errno, "chmod '%s'", name);
    } else if (S_ISREG(st.st_mode)) {
        if (copy_regular(sfd, dfd, name, &st, err) < 0)
            return -1;
    } else if (S_ISLNK(st.st_mode)) {
        char target[PATH_MAX];
        ssize_t n = readlinkat(sfd, name, target, sizeof(target) - 1);
        if (n < 0)
            return rl_make_error(err, errno, "readlink '%s'", name);
        target[n] = '\0';
        if (symlinkat(target, dfd, name) < 0)
            return rl_make_error(err, errno, "symlink '%s'", name);
    } else if (S_ISFIFO(st.st_mode)) {
        if (mkfifoat(dfd, name, st.st_mode & 07777) < 0)
            return rl_make_error(err, errno, "mkfifo '%s'", name);
    } else {
        return 0; /* sockets and devices are not copied */
    }
    if (fchownat(dfd, name, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) < 0 && errno != EPERM
        && errno != EINVAL)
        return rl_make_error(err, errno, "chown '%s'", name);
    if (!S_ISLNK(st.st_mode) && (st.st_mode & 07000)
        && fchmodat(dfd, name, st.st_mode & 07777, 0) < 0)
        return rl_make_error(err, errno, "chmod '%s'", name);
    times[0] = st.st_atim;
    times[1] = st.st_mtim;
    (void)utimensat(dfd, name, times, AT_SYMLINK_NOFOLLOW);
    return 0;
}

int
rl_copy_tree(int src_dirfd, int dst_dirfd, rl_error_t *err)
{
    cleanup_dir DIR *d = NULL;
    struct dirent *de;
    int fd = dup(src_dirfd);

    if (fd < 0)
        return rl_make_error(err, errno, "dup");
    d = fdopendir(fd);
    if (d == NULL) {
        close(fd);
        return rl_make_error(err, errno, "opendir");
    }
    rewinddir(d);
    while ((de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        if (copy_entry(dirfd(d), dst_dirfd, de->d_name, 0, err) < 0)
            return -1;
    }
    return 0;
}
