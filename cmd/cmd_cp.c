/* rl cp and rl export: files between the host and a container's filesystem, running or not,
 * as tar streams (libarchive, pax).
 *
 * The container's "/" is a directory fd. For a running container it comes from a child that
 * joins the container's mount namespace (this process first joins its user namespace, so
 * that the container's ids are ours to give); for a stopped or created one, this process
 * enters the store's user namespace and mounts the container's overlay in a mount namespace
 * of its own. Paths in it are resolved one component at a time, symlinks read and followed
 * as the container would, never above that fd; the copy itself is a tar written by a child
 * into a pipe and extracted here by image/layer.c, which refuses ".." and keeps every name
 * below the destination directory. */
#include "config.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ctr.h"
#include "ctrstore.h"
#include "fs.h"
#include "json.h"
#include "layer.h"
#include "mount.h"
#include "state.h"
#include "syscalls.h"
#include "terminal.h"
#include "user.h"

#define MAX_SYMLINKS 40   /* as the kernel's path walk */
#define MAX_DEPTH    1024 /* directories below the copied one */
#define MAX_USER_DB  (4u << 20)
#define COPY_BLOCK   (128 * 1024)

/* ------------------------------------------------------------------ the container's "/" */

struct ctr_fs {
    int root;      /* its "/" (O_PATH) */
    int lock;      /* its lock, held while its rootfs is mounted here (stopped), or -1 */
    char *mounted; /* where its rootfs is mounted here (stopped), or NULL */
    char *workdir; /* where its relative paths start */
    char *user;    /* its user, "USER[:GROUP]" */
};

/* The caller has closed every other fd below the root: the rootfs is unmounted, and so
 * gone, before the lock lets anybody start the container. */
static void
ctr_fs_release(struct ctr_fs *f)
{
    if (f->root >= 0)
        close(f->root);
    if (f->mounted)
        (void)umount2(f->mounted, MNT_DETACH);
    if (f->lock >= 0)
        close(f->lock);
    free(f->mounted);
    free(f->workdir);
    free(f->user);
    f->root = f->lock = -1;
    f->mounted = f->workdir = f->user = NULL;
}

/* A pidfd of the container's process, checked against its recorded start time. */
static int
open_init_pidfd(json_t *rec, rl_error_t *err)
{
    json_t *state = json_object_get(rec, "State");
    pid_t pid = (pid_t)json_integer_value(json_object_get(state, "Pid"));
    unsigned long long t =
        (unsigned long long)json_integer_value(json_object_get(state, "StartTime"));
    cleanup_close int fd = -1;

    if (pid <= 0)
        return rl_make_error(err, ESRCH, "the container has no process");
    fd = rl_pidfd_open(pid, 0);
    if (fd < 0)
        return rl_make_error(err, errno, "pidfd_open %d", (int)pid);
    /* Taken before the check: if the start time matches now, it names the container's
     * process for good. */
    if (rl_proc_start_time(pid) != t)
        return rl_make_error(err, ESRCH, "the container's process is gone");
    return steal_fd(&fd);
}

/* The running container's "/" from a child in its mount namespace: the whole tree (volumes,
 * tmpfs) for cp, or ROOTFS_ONLY a clone of the root mount alone, without what is mounted
 * on it (/proc, /dev, volumes), for export. This process is already in its user namespace,
 * which owns that mount namespace. */
static int
running_root(int pidfd, bool rootfs_only, rl_error_t *err)
{
    cleanup_close int sock = -1;
    int sv[2];
    int status = 0, fd = -1;
    char tag;
    pid_t pid;

    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
        return rl_make_error(err, errno, "socketpair");
    fflush(stdout);
    fflush(stderr);
    pid = fork();
    if (pid < 0) {
        close(sv[0]);
        close(sv[1]);
        return rl_make_error(err, errno, "fork");
    }
    if (pid == 0) {
        rl_error_t e = NULL;
        int root;

        close(sv[0]);
        if (setns(pidfd, CLONE_NEWNS) < 0) {
            rl_make_error(&e, errno, "join the container's mount namespace");
        } else {
            root = rootfs_only ? open_tree(AT_FDCWD, "/", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC)
                               : open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
            if (root < 0)
                rl_make_error(&e, errno, "open the container's root");
            else if (rl_send_fd(sv[1], root, "R", 1, &e) == 0)
                _exit(0);
        }
        (void)rl_error_send(sv[1], &e);
        _exit(1);
    }
    close(sv[1]);
    sock = sv[0];
    (void)TEMP_FAILURE_RETRY(waitpid(pid, &status, 0));
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return rl_error_recv(sock, err);
    if (rl_recv_fd(sock, &fd, &tag, 1, err) < 0)
        return -1;
    if (fd < 0)
        return rl_make_error(err, 0, "the container's root did not arrive");
    return fd;
}

static size_t
dest_len(json_t *mounts, size_t i)
{
    const char *d = json_string_value(json_object_get(json_array_get(mounts, i), "Destination"));
    return d ? strlen(d) : 0;
}

/* A stopped container's volumes and bind mounts, on ROOTFS as they will be when it runs, so
 * that a copy into one lands there and not in the rootfs under it (podman). Shorter
 * destinations first: a volume may be mounted inside another. */
static int
mount_volumes(int rootfs, json_t *rec, rl_error_t *err)
{
    json_t *mounts = json_object_get(rec, "Mounts");
    size_t n = json_array_size(mounts);
    cleanup_free size_t *order = xzalloc((n + 1) * sizeof(*order));
    cleanup_free bool *mounted = xzalloc((n + 1) * sizeof(*mounted));

    for (size_t i = 0; i < n; i++) {
        size_t j = i;
        for (; j > 0 && dest_len(mounts, order[j - 1]) > dest_len(mounts, i); j--)
            order[j] = order[j - 1];
        order[j] = i;
    }
    /* Read-only ones become so once everything is mounted: a mount point may be in them. */
    for (int pass = 0; pass < 2; pass++) {
        for (size_t k = 0; k < n; k++) {
            json_t *m = json_array_get(mounts, order[k]);
            const char *type = json_string_value(json_object_get(m, "Type"));
            const char *src = json_string_value(json_object_get(m, "Source"));
            const char *dst = json_string_value(json_object_get(m, "Destination"));
            cleanup_error rl_error_t tmp = NULL;
            cleanup_close int target = -1;
            cleanup_free char *path = NULL;
            struct mount_attr ro = { .attr_set = MOUNT_ATTR_RDONLY };
            struct stat st;

            if (!type || !src || !dst || (strcmp(type, "volume") != 0 && strcmp(type, "bind") != 0)
                || stat(src, &st) < 0)
                continue;
            if (pass == 1) {
                if (json_is_true(json_object_get(m, "RW")) || !mounted[order[k]])
                    continue;
                target = rl_safe_openat(rootfs, dst, O_PATH, 0, err);
                if (target < 0)
                    return -1;
                if (rl_mount_setattr(target, "", AT_EMPTY_PATH, &ro) < 0)
                    return rl_make_error(err, errno, "make '%s' read-only", dst);
                continue;
            }
            /* A missing mount point is made, as the container's start makes it; one that
             * cannot be is left out. */
            if (S_ISDIR(st.st_mode))
                target = rl_safe_mkdir_p(rootfs, dst, 0755, &tmp);
            else
                target = rl_safe_openat(rootfs, dst, O_PATH, 0, &tmp);
            if (target < 0)
                continue;
            path = xasprintf("/proc/self/fd/%d", target);
            if (mount(src, path, NULL, MS_BIND | MS_REC, NULL) < 0)
                return rl_make_error(err, errno, "bind '%s' on '%s'", src, dst);
            mounted[order[k]] = true;
        }
    }
    return 0;
}

/* A stopped or created container's "/": its overlay (and, unless ROOTFS_ONLY, its volumes),
 * mounted in a mount namespace of this process's own, where nobody else sees it and from
 * which it goes away with this process. */
static int
stopped_root(struct rl_ctx *c, const char *id, json_t *rec, bool rootfs_only, rl_error_t *err)
{
    cleanup_free char *dir = rl_ctr_dir(c->store, id);
    cleanup_free char *rootfs = xasprintf("%s/rootfs", dir);
    cleanup_strv char **opts = NULL;
    int fd;

    if (rl_ctr_overlay_options(c, id, rec, &opts, err) < 0)
        return -1;
    /* The layers belong to the user's subordinate ids: only the store's user namespace can
     * mount them as they are. */
    if (rl_cmd_store_userns(NULL, err) < 0)
        return -1;
    if (unshare(CLONE_NEWNS) < 0)
        return rl_make_error(err, errno, "unshare the mount namespace");
    if (mount(NULL, "/", NULL, MS_SLAVE | MS_REC, NULL) < 0)
        return rl_make_error(err, errno, "make / a slave mount");
    if (rl_mount_rootfs_overlay(rootfs, opts, err) < 0)
        return rl_error_wrap(err, "container %.12s", id);
    fd = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return rl_make_error(err, errno, "open '%s'", rootfs);
    if (!rootfs_only && mount_volumes(fd, rec, err) < 0) {
        close(fd);
        return rl_error_wrap(err, "container %.12s", id);
    }
    return fd;
}

/* Open the filesystem of container NAME (a name or an id), whatever its state. */
static int
open_ctr_fs(struct rl_ctx *c, const char *name, bool rootfs_only, struct ctr_fs *ret,
            rl_error_t *err)
{
    cleanup_free char *id = NULL;
    cleanup_json json_t *rec = NULL;
    cleanup_close int lock = -1;
    cleanup_close int pidfd = -1;
    cleanup_free char *dir = NULL;
    json_t *cfg;
    const char *workdir, *user;

    if (rl_ctr_lookup(c->store, name, &id, err) < 0)
        return -1;
    dir = rl_ctr_dir(c->store, id);
    /* Held from here: nobody starts a stopped container while its rootfs is mounted twice. */
    lock = rl_ctr_lock(c->store, id, LOCK_EX, err);
    if (lock < 0 || rl_ctr_load(c->store, id, &rec, err) < 0)
        return -1;
    if (rl_ctr_refresh(rec))
        (void)rl_ctr_save(c->store, id, rec, NULL);
    cfg = json_object_get(rec, "Config");
    workdir = json_string_value(json_object_get(cfg, "WorkingDir"));
    user = json_string_value(json_object_get(json_object_get(rec, "rl"), "User"));
    ret->root = ret->lock = -1;
    ret->workdir = xstrdup(workdir && workdir[0] == '/' ? workdir : "/");
    ret->user = xstrdup(user && user[0] ? user : "0");
    if (!rl_ctr_is_running(rec)) {
        ret->lock = steal_fd(&lock);
        ret->mounted = xasprintf("%s/rootfs", dir);
        ret->root = stopped_root(c, id, rec, rootfs_only, err);
        if (ret->root < 0) {
            ctr_fs_release(ret);
            return -1;
        }
        return 0;
    }
    close(steal_fd(&lock));
    pidfd = open_init_pidfd(rec, err);
    /* Into the container's user namespace (made by the `rl run` or `rl start` that started
     * it, owned by this user): the container's ids become ours to give, and our own files
     * are root's. EINVAL: we are in it already (real root, no namespace of its own). */
    if (pidfd < 0 || (setns(pidfd, CLONE_NEWUSER) < 0 && errno != EINVAL)) {
        if (pidfd >= 0)
            rl_make_error(err, errno, "join the container's user namespace");
        ctr_fs_release(ret);
        return rl_error_wrap(err, "container %s", name);
    }
    ret->root = running_root(pidfd, rootfs_only, err);
    if (ret->root < 0) {
        ctr_fs_release(ret);
        return rl_error_wrap(err, "container %s", name);
    }
    return 0;
}

/* The text of FILE below ROOT, or NULL when it cannot be read. */
static char *
read_in_root(int root, const char *file)
{
    cleanup_close int fd = -1;
    rl_error_t tmp = NULL;
    char *text = NULL;

    fd = rl_safe_openat(root, file, O_RDONLY, 0, &tmp);
    if (fd < 0 || rl_read_all_fd(fd, MAX_USER_DB, &text, NULL, &tmp) < 0) {
        rl_error_release(&tmp);
        return NULL;
    }
    return text;
}

/* The uid and gid of the container's user, from its /etc/passwd and /etc/group: what files
 * copied in get (podman's --archive). */
static int
ctr_user_ids(const struct ctr_fs *f, long long *ret_uid, long long *ret_gid, rl_error_t *err)
{
    cleanup_free char *passwd = read_in_root(f->root, "etc/passwd");
    cleanup_free char *group = read_in_root(f->root, "etc/group");
    struct rl_user u = { 0 };

    if (rl_user_resolve(f->user, passwd, group, &u, err) < 0)
        return -1;
    *ret_uid = u.uid;
    *ret_gid = u.gid;
    rl_user_release(&u);
    return 0;
}

/* ------------------------------------------------------------------ paths */

/* A path resolved below a root fd. */
struct resolved {
    char *path;     /* absolute in that root, symlinks resolved */
    char *name;     /* its last component; "/" for the root */
    int parent;     /* O_PATH fd of its directory; -1 for the root */
    int fd;         /* O_PATH fd of it; -1 when it does not exist */
    struct stat st; /* when it exists */
};

static void
resolved_release(struct resolved *r)
{
    free(r->path);
    free(r->name);
    if (r->parent >= 0)
        close(r->parent);
    if (r->fd >= 0)
        close(r->fd);
    memset(r, 0, sizeof(*r));
    r->parent = r->fd = -1;
}

#define cleanup_resolved __attribute__((cleanup(resolved_release)))

/* "dir/." and ".": the directory's contents rather than the directory (podman, docker). */
static bool
means_contents(const char *path)
{
    size_t n = strlen(path);

    while (n > 1 && path[n - 1] == '/')
        n--;
    return (n == 1 && path[0] == '.') || (n >= 2 && path[n - 1] == '.' && path[n - 2] == '/');
}

static bool
ends_with_slash(const char *path)
{
    size_t n = strlen(path);
    return n > 0 && path[n - 1] == '/';
}

/* Resolve PATH (relative ones from WORKDIR) below ROOT as a path walk in a process whose root
 * is ROOT would: one component at a time, never following a symlink with the kernel (its
 * target is read and walked here, absolute ones from ROOT), ".." stopping at ROOT. When only
 * the last component is missing, RET has fd -1, its parent and its would-be path (through a
 * dangling symlink: the symlink's target); any other failure is an error with its errno. */
static int
resolve(int root, const char *workdir, const char *path, struct resolved *ret, rl_error_t *err)
{
    cleanup_free char *todo = path[0] == '/' ? xstrdup(path) : xasprintf("%s/%s", workdir, path);
    cleanup_free char *cur = xstrdup(""); /* resolved so far; "" is the root */
    cleanup_close int curfd = openat(root, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
    const char *p = todo;
    int links = 0;

    memset(ret, 0, sizeof(*ret));
    ret->parent = ret->fd = -1;
    if (curfd < 0)
        return rl_make_error(err, errno, "open the root");
    for (;;) {
        cleanup_free char *comp = NULL;
        const char *end;
        struct stat st;
        bool last;
        int fd;

        while (*p == '/')
            p++;
        if (*p == '\0')
            break;
        end = strchrnul(p, '/');
        comp = xstrndup(p, (size_t)(end - p));
        p = end;
        last = p[strspn(p, "/")] == '\0';
        if (strcmp(comp, ".") == 0)
            continue;
        if (strcmp(comp, "..") == 0) {
            char *slash = strrchr(cur, '/');
            if (slash)
                *slash = '\0';
            close(steal_fd(&curfd));
            curfd = rl_safe_openat(root, *cur ? cur : ".", O_PATH | O_DIRECTORY, 0, err);
            if (curfd < 0)
                return -1;
            continue;
        }
        fd = openat(curfd, comp, O_PATH | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0 && errno == ENOENT && last) {
            ret->path = xasprintf("%s/%s", cur, comp);
            ret->name = steal_pointer(&comp);
            ret->parent = steal_fd(&curfd);
            return 0;
        }
        if (fd < 0)
            return rl_make_error(err, errno, "'%s/%s'", cur, comp);
        if (fstat(fd, &st) < 0) {
            close(fd);
            return rl_make_error(err, errno, "stat '%s/%s'", cur, comp);
        }
        if (S_ISLNK(st.st_mode)) {
            char target[PATH_MAX];
            ssize_t n = readlinkat(fd, "", target, sizeof(target) - 1);
            char *next;

            close(fd);
            if (n < 0)
                return rl_make_error(err, errno, "readlink '%s/%s'", cur, comp);
            if (++links > MAX_SYMLINKS)
                return rl_make_error(err, ELOOP, "'%s'", path);
            target[n] = '\0';
            next = xasprintf("%s%s", target, p);
            free(todo);
            todo = next;
            p = todo;
            if (target[0] == '/') {
                cur[0] = '\0';
                close(steal_fd(&curfd));
                curfd = openat(root, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
                if (curfd < 0)
                    return rl_make_error(err, errno, "open the root");
            }
            continue;
        }
        if (!last && !S_ISDIR(st.st_mode)) {
            close(fd);
            return rl_make_error(err, ENOTDIR, "'%s/%s'", cur, comp);
        }
        close(steal_fd(&curfd));
        curfd = fd;
        {
            char *next = xasprintf("%s/%s", cur, comp);
            free(cur);
            cur = next;
        }
    }
    if (fstat(curfd, &ret->st) < 0)
        return rl_make_error(err, errno, "stat '%s'", *cur ? cur : "/");
    if (ends_with_slash(path) && !S_ISDIR(ret->st.st_mode))
        return rl_make_error(err, ENOTDIR, "'%s'", path);
    if (*cur) {
        char *slash = strrchr(cur, '/');
        cleanup_free char *dir = xstrndup(cur, (size_t)(slash - cur));
        ret->parent = rl_safe_openat(root, *dir ? dir : ".", O_PATH | O_DIRECTORY, 0, err);
        if (ret->parent < 0)
            return -1;
        ret->name = xstrdup(slash + 1);
        ret->path = steal_pointer(&cur);
    } else {
        ret->name = xstrdup("/");
        ret->path = xstrdup("/");
    }
    ret->fd = steal_fd(&curfd);
    return 0;
}

/* ------------------------------------------------------------------ writing a tar */

struct packer {
    struct archive *a;
    struct archive_entry_linkresolver *links;
    long long uid, gid; /* every entry's owner; -1: the file's own */
    char *buf;
};

static int
packer_error(struct packer *p, const char *what, rl_error_t *err)
{
    int e = archive_errno(p->a);
    return rl_make_error(err, e > 0 ? e : 0, "%s: %s", what, archive_error_string(p->a));
}

static int
packer_open(struct packer *p, int fd, long long uid, long long gid, rl_error_t *err)
{
    p->uid = uid;
    p->gid = gid;
    p->buf = xmalloc(COPY_BLOCK);
    p->a = archive_write_new();
    if (p->a == NULL)
        rl_oom();
    archive_write_set_format_pax_restricted(p->a);
    /* The stream ends with its last record, not padded to a 10 KiB block. */
    archive_write_set_bytes_in_last_block(p->a, 1);
    if (archive_write_open_fd(p->a, fd) != ARCHIVE_OK)
        return packer_error(p, "write the archive", err);
    p->links = archive_entry_linkresolver_new();
    if (p->links == NULL)
        rl_oom();
    archive_entry_linkresolver_set_strategy(p->links, archive_format(p->a));
    return 0;
}

static int
packer_finish(struct packer *p, rl_error_t *err)
{
    if (archive_write_close(p->a) != ARCHIVE_OK)
        return packer_error(p, "write the archive", err);
    return 0;
}

static void
packer_release(struct packer *p)
{
    if (p->links)
        archive_entry_linkresolver_free(p->links);
    if (p->a)
        archive_write_free(p->a);
    free(p->buf);
    memset(p, 0, sizeof(*p));
}

#define cleanup_packer __attribute__((cleanup(packer_release)))

static int
write_file_data(struct packer *p, int fd, int64_t size, const char *entry, rl_error_t *err)
{
    int64_t done = 0;

    /* A file that shrank meanwhile is padded with zeros by libarchive; one that grew is cut
     * at the size in its header. */
    while (done < size) {
        size_t want = size - done < COPY_BLOCK ? (size_t)(size - done) : COPY_BLOCK;
        ssize_t n = TEMP_FAILURE_RETRY(read(fd, p->buf, want));
        if (n < 0)
            return rl_make_error(err, errno, "read '%s'", entry);
        if (n == 0)
            break;
        if (archive_write_data(p->a, p->buf, (size_t)n) < 0)
            return packer_error(p, "write the archive", err);
        done += n;
    }
    return 0;
}

static int pack_children(struct packer *p, int dir, const char *prefix, int depth, rl_error_t *err);

/* Add NAME of DIRFD as the entry ENTRY, a directory with everything below it. Symlinks are
 * entries of their own, never followed; sockets are left out. */
static int
pack_entry(struct packer *p, int dirfd, const char *name, const char *entry, int depth,
           rl_error_t *err)
{
    struct archive_entry *e, *spare = NULL;
    cleanup_close int fd = -1;
    struct stat st;
    int ret = 0;

    if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
        if (errno == ENOENT && depth > 0)
            return 0; /* removed while we copied */
        return rl_make_error(err, errno, "stat '%s'", entry);
    }
    if (S_ISSOCK(st.st_mode))
        return 0;
    if (S_ISREG(st.st_mode) || S_ISDIR(st.st_mode)) {
        fd = openat(dirfd, name,
                    O_RDONLY | O_NOFOLLOW | O_CLOEXEC | (S_ISDIR(st.st_mode) ? O_DIRECTORY : 0));
        if (fd < 0)
            return rl_make_error(err, errno, "open '%s'", entry);
        if (fstat(fd, &st) < 0)
            return rl_make_error(err, errno, "stat '%s'", entry);
    }
    e = archive_entry_new();
    if (e == NULL)
        rl_oom();
    archive_entry_copy_stat(e, &st);
    archive_entry_copy_pathname(e, entry);
    if (p->uid >= 0)
        archive_entry_set_uid(e, p->uid);
    if (p->gid >= 0)
        archive_entry_set_gid(e, p->gid);
    if (S_ISLNK(st.st_mode)) {
        char target[PATH_MAX];
        ssize_t n = readlinkat(dirfd, name, target, sizeof(target) - 1);
        if (n < 0) {
            archive_entry_free(e);
            return rl_make_error(err, errno, "readlink '%s'", entry);
        }
        target[n] = '\0';
        archive_entry_copy_symlink(e, target);
    }
    if (!S_ISREG(st.st_mode))
        archive_entry_set_size(e, 0);
    /* The second and later names of a file are hardlinks to its first. */
    if (!S_ISDIR(st.st_mode) && st.st_nlink > 1)
        archive_entry_linkify(p->links, &e, &spare);
    if (archive_write_header(p->a, e) != ARCHIVE_OK)
        ret = packer_error(p, "write the archive", err);
    else if (S_ISREG(st.st_mode) && archive_entry_size(e) > 0)
        ret = write_file_data(p, fd, archive_entry_size(e), entry, err);
    archive_entry_free(e);
    if (spare)
        archive_entry_free(spare);
    if (ret == 0 && S_ISDIR(st.st_mode))
        ret = pack_children(p, fd, entry, depth + 1, err);
    return ret;
}

static int
cmp_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The entries of directory DIR, named PREFIX/NAME ("" PREFIX: NAME), in name order. */
static int
pack_children(struct packer *p, int dir, const char *prefix, int depth, rl_error_t *err)
{
    cleanup_strv char **names = NULL;
    cleanup_dir DIR *d = NULL;
    struct dirent *de;
    int fd;

    if (depth > MAX_DEPTH)
        return rl_make_error(err, ELOOP, "'%s': directories nested too deep", prefix);
    fd = openat(dir, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return rl_make_error(err, errno, "open '%s'", *prefix ? prefix : "/");
    d = fdopendir(fd);
    if (d == NULL) {
        close(fd);
        return rl_make_error(err, errno, "open '%s'", *prefix ? prefix : "/");
    }
    errno = 0;
    while ((de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
            rl_strv_push(&names, de->d_name);
        errno = 0;
    }
    if (errno != 0)
        return rl_make_error(err, errno, "read '%s'", *prefix ? prefix : "/");
    if (names == NULL)
        return 0;
    qsort(names, rl_strv_len(names), sizeof(*names), cmp_name);
    for (size_t i = 0; names[i]; i++) {
        cleanup_free char *entry =
            *prefix ? xasprintf("%s/%s", prefix, names[i]) : xstrdup(names[i]);
        if (pack_entry(p, dirfd(d), names[i], entry, depth, err) < 0)
            return -1;
    }
    return 0;
}

/* What a copy packs: SRC as the entry TOP, or (TOP NULL) the directory SRC's contents. */
static int
pack_resolved(struct packer *p, const struct resolved *src, const char *top, rl_error_t *err)
{
    if (top == NULL)
        return pack_children(p, src->fd, "", 0, err);
    if (src->parent < 0) /* the root itself, renamed */
        return pack_entry(p, src->fd, ".", top, 0, err);
    return pack_entry(p, src->parent, src->name, top, 0, err);
}

/* The tar read from IN (compressed or not) again, with the packer's owners. */
static int
relay_archive(struct packer *p, int in, rl_error_t *err)
{
    struct archive *r = archive_read_new();
    struct archive_entry *e;
    bool first = true;
    int ret = 0;

    if (r == NULL)
        rl_oom();
    archive_read_support_format_tar(r);
    archive_read_support_format_gnutar(r);
    archive_read_support_filter_all(r);
    if (archive_read_open_fd(r, in, COPY_BLOCK) != ARCHIVE_OK) {
        ret = rl_make_error(err, 0,
                            "source must be a (compressed) tar archive when copying from stdin");
        goto out;
    }
    for (;;) {
        int rc = archive_read_next_header(r, &e);
        if (rc == ARCHIVE_EOF)
            break;
        if (rc != ARCHIVE_OK && rc != ARCHIVE_WARN) {
            if (first)
                ret = rl_make_error(err, 0,
                                    "source must be a (compressed) tar archive when "
                                    "copying from stdin");
            else
                ret = rl_make_error(err, archive_errno(r) > 0 ? archive_errno(r) : 0,
                                    "read the archive from stdin: %s", archive_error_string(r));
            goto out;
        }
        first = false;
        if (p->uid >= 0)
            archive_entry_set_uid(e, p->uid);
        if (p->gid >= 0)
            archive_entry_set_gid(e, p->gid);
        if (archive_write_header(p->a, e) != ARCHIVE_OK) {
            ret = packer_error(p, "write the archive", err);
            goto out;
        }
        for (;;) {
            la_ssize_t n = archive_read_data(r, p->buf, COPY_BLOCK);
            if (n == 0)
                break;
            if (n < 0) {
                ret = rl_make_error(err, 0, "read the archive from stdin: %s",
                                    archive_error_string(r));
                goto out;
            }
            if (archive_write_data(p->a, p->buf, (size_t)n) < 0) {
                ret = packer_error(p, "write the archive", err);
                goto out;
            }
        }
    }
out:
    archive_read_free(r);
    return ret;
}

/* ------------------------------------------------------------------ copying */

/* What the producer child packs. */
struct source {
    const struct resolved *src; /* NULL: relay standard input */
    const char *top;
    long long uid, gid;
};

static int
produce(const struct source *s, int out, rl_error_t *err)
{
    cleanup_packer struct packer p = { 0 };

    if (packer_open(&p, out, s->uid, s->gid, err) < 0)
        return -1;
    if (s->src ? pack_resolved(&p, s->src, s->top, err) < 0
               : relay_archive(&p, STDIN_FILENO, err) < 0)
        return -1;
    return packer_finish(&p, err);
}

/* Pack S in a child, writing into a pipe, and extract the stream here into DIRFD (with the
 * entries' owners when SET_OWNERS). The child's error wins over the extraction's, which only
 * saw the stream cut short, unless the child only found the pipe closed. */
static int
transfer(const struct source *s, int dirfd, bool set_owners, rl_error_t *err)
{
    struct rl_layer_opts lo = { .single_id = !set_owners };
    struct rl_layer_stats stats;
    cleanup_error rl_error_t xerr = NULL;
    cleanup_close int rd = -1;
    cleanup_close int sock = -1;
    int pfd[2], sv[2];
    int status = 0, r;
    pid_t pid;

    if (pipe2(pfd, O_CLOEXEC) < 0)
        return rl_make_error(err, errno, "pipe");
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
        close(pfd[0]);
        close(pfd[1]);
        return rl_make_error(err, errno, "socketpair");
    }
    fflush(stdout);
    fflush(stderr);
    pid = fork();
    if (pid < 0) {
        close(pfd[0]);
        close(pfd[1]);
        close(sv[0]);
        close(sv[1]);
        return rl_make_error(err, errno, "fork");
    }
    if (pid == 0) {
        rl_error_t e = NULL;

        close(pfd[0]);
        close(sv[0]);
        (void)prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
        /* A reader that gives up makes writes fail with EPIPE, reported as an error. */
        signal(SIGPIPE, SIG_IGN);
        if (produce(s, pfd[1], &e) < 0) {
            (void)rl_error_send(sv[1], &e);
            _exit(1);
        }
        _exit(0);
    }
    close(pfd[1]);
    close(sv[1]);
    rd = pfd[0];
    sock = sv[0];
    r = rl_layer_extract_fd(dirfd, rd, &lo, &stats, &xerr);
    close(steal_fd(&rd));
    (void)TEMP_FAILURE_RETRY(waitpid(pid, &status, 0));
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        rl_error_t perr = NULL;
        (void)rl_error_recv(sock, &perr);
        if (r < 0 && perr->status == EPIPE) {
            rl_error_release(&perr);
            *err = steal_pointer(&xerr);
        } else {
            *err = perr;
        }
        return -1;
    }
    if (r < 0) {
        *err = steal_pointer(&xerr);
        return -1;
    }
    return 0;
}

/* Where a copy of SRC (CONTENTS: its contents) to DST goes: *RET_DIRFD gets the entries,
 * *RET_TOP names SRC there (NULL: the contents of the directory SRC, without itself). podman's
 * rules: into an existing directory under SRC's name; onto an existing file; as a missing
 * DST, in its parent. */
static int
plan(const struct resolved *src, bool contents, const struct resolved *dst, int *ret_dirfd,
     const char **ret_top, rl_error_t *err)
{
    bool src_dir = S_ISDIR(src->st.st_mode);
    const char *top;
    struct stat st;
    int dirfd;

    if (dst->fd >= 0 && S_ISDIR(dst->st.st_mode)) {
        dirfd = dst->fd;
        top = src_dir && (contents || src->parent < 0) ? NULL : src->name;
    } else if (dst->fd >= 0 && src_dir) {
        return rl_make_error(err, 0, "destination must be a directory when copying a directory");
    } else {
        dirfd = dst->parent;
        top = dst->name;
    }
    /* A directory is not replaced by a file, nor a file or a symlink by a directory
     * (podman's default, without --overwrite). */
    if (top && fstatat(dirfd, top, &st, AT_SYMLINK_NOFOLLOW) == 0) {
        if (S_ISDIR(st.st_mode) && !src_dir)
            return rl_make_error(err, 0,
                                 "cannot overwrite directory \"%s\" with "
                                 "non-directory",
                                 top);
        if (!S_ISDIR(st.st_mode) && src_dir)
            return rl_make_error(err, 0,
                                 "cannot overwrite non-directory \"%s\" with "
                                 "directory",
                                 top);
    }
    *ret_dirfd = dirfd;
    *ret_top = top;
    return 0;
}

/* Replace ERR's message by podman's "PATH could not be found on WHERE", keeping its cause. */
static int
not_found(rl_error_t *err, const char *path, const char *ctr)
{
    int status = *err ? (*err)->status : ENOENT;

    rl_error_release(err);
    if (ctr)
        return rl_make_error(err, status ? status : ENOENT,
                             "\"%s\" could not be found on container %s", path, ctr);
    return rl_make_error(err, status ? status : ENOENT, "\"%s\" could not be found on the host",
                         path);
}

struct host {
    int root;
    char *cwd;
};

static int
host_open(struct host *h, rl_error_t *err)
{
    h->root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (h->root < 0)
        return rl_make_error(err, errno, "open /");
    h->cwd = getcwd(NULL, 0);
    if (h->cwd == NULL)
        return rl_make_error(err, errno, "getcwd");
    return 0;
}

static void
host_release(struct host *h)
{
    if (h->root >= 0)
        close(h->root);
    free(h->cwd);
}

/* rl cp HOST_PATH CTR:CTR_PATH ("-": a tar on standard input). */
static int
copy_in(struct rl_ctx *c, const char *ctr, const char *ctr_path, const char *host_path,
        bool chown_to_user, rl_error_t *err)
{
    bool from_stdin = strcmp(host_path, "-") == 0;
    cleanup_resolved struct resolved src = { .parent = -1, .fd = -1 };
    cleanup_resolved struct resolved dst = { .parent = -1, .fd = -1 };
    struct ctr_fs f = { .root = -1, .lock = -1 };
    struct host h = { .root = -1 };
    struct source s = { .uid = -1, .gid = -1 };
    int dirfd = -1;
    int ret = -1;

    if (from_stdin && isatty(STDIN_FILENO))
        return rl_make_error(err, 0,
                             "cp: '-' reads a tar archive from standard input, which is "
                             "a terminal");
    if (open_ctr_fs(c, ctr, false, &f, err) < 0)
        return -1;
    if (host_open(&h, err) < 0)
        goto out;
    if (!from_stdin) {
        if (resolve(h.root, h.cwd, host_path, &src, err) < 0 || src.fd < 0) {
            not_found(err, host_path, NULL);
            goto out;
        }
        s.src = &src;
    }
    if (resolve(f.root, f.workdir, ctr_path, &dst, err) < 0
        || (dst.fd < 0 && ends_with_slash(ctr_path))) {
        not_found(err, ctr_path, ctr);
        goto out;
    }
    if (from_stdin) {
        if (dst.fd < 0 || !S_ISDIR(dst.st.st_mode)) {
            rl_make_error(err, 0, "destination must be a directory when copying from stdin");
            goto out;
        }
        dirfd = dst.fd;
    } else if (plan(&src, means_contents(host_path), &dst, &dirfd, &s.top, err) < 0) {
        goto out;
    }
    if (chown_to_user && ctr_user_ids(&f, &s.uid, &s.gid, err) < 0)
        goto out;
    ret = transfer(&s, dirfd, true, err);
out:
    resolved_release(&src);
    resolved_release(&dst);
    host_release(&h);
    ctr_fs_release(&f);
    return ret;
}

/* rl cp CTR:CTR_PATH HOST_PATH ("-": a tar on standard output). */
static int
copy_out(struct rl_ctx *c, const char *ctr, const char *ctr_path, const char *host_path,
         rl_error_t *err)
{
    cleanup_resolved struct resolved src = { .parent = -1, .fd = -1 };
    cleanup_resolved struct resolved dst = { .parent = -1, .fd = -1 };
    struct ctr_fs f = { .root = -1, .lock = -1 };
    struct host h = { .root = -1 };
    struct source s = { .src = &src, .uid = -1, .gid = -1 };
    bool contents = means_contents(ctr_path);
    int dirfd = -1;
    int ret = -1;

    if (open_ctr_fs(c, ctr, false, &f, err) < 0)
        return -1;
    if (resolve(f.root, f.workdir, ctr_path, &src, err) < 0 || src.fd < 0) {
        not_found(err, ctr_path, ctr);
        goto out;
    }
    if (strcmp(host_path, "-") == 0) {
        cleanup_packer struct packer p = { 0 };
        const char *top = S_ISDIR(src.st.st_mode) && (contents || src.parent < 0) ? NULL : src.name;
        fflush(stdout);
        if (packer_open(&p, STDOUT_FILENO, -1, -1, err) < 0 || pack_resolved(&p, &src, top, err) < 0
            || packer_finish(&p, err) < 0)
            goto out;
        ret = 0;
        goto out;
    }
    if (host_open(&h, err) < 0)
        goto out;
    if (resolve(h.root, h.cwd, host_path, &dst, err) < 0
        || (dst.fd < 0 && ends_with_slash(host_path))) {
        not_found(err, host_path, NULL);
        goto out;
    }
    if (dst.fd >= 0 && !S_ISDIR(dst.st.st_mode) && !S_ISREG(dst.st.st_mode)) {
        rl_make_error(err, 0, "invalid destination: \"%s\" must be a directory or a regular file",
                      dst.path);
        goto out;
    }
    if (plan(&src, contents, &dst, &dirfd, &s.top, err) < 0)
        goto out;
    /* On the host, what is copied belongs to the user. */
    ret = transfer(&s, dirfd, false, err);
out:
    resolved_release(&src);
    resolved_release(&dst);
    host_release(&h);
    ctr_fs_release(&f);
    return ret;
}

/* podman: CONTAINER:PATH unless it starts with "." or "/" (a host path with a colon). */
static void
split_arg(const char *arg, char **ret_ctr, const char **ret_path)
{
    const char *colon = strchr(arg, ':');

    *ret_ctr = NULL;
    *ret_path = arg;
    if (arg[0] == '.' || arg[0] == '/' || colon == NULL)
        return;
    *ret_ctr = xstrndup(arg, (size_t)(colon - arg));
    *ret_path = colon + 1;
}

#define HELP_CP                                                                                \
    "Usage: rl cp [OPTIONS] CONTAINER:SRC_PATH DEST_PATH|-\n"                                  \
    "       rl cp [OPTIONS] SRC_PATH|- CONTAINER:DEST_PATH\n\n"                                \
    "Copy files and directories between a container and the host. The container may be\n"      \
    "running or not; its paths are resolved inside it (symlinks too), relative ones from\n"    \
    "its working directory. A directory is copied with everything below it; DIR/. copies\n"    \
    "only what is in it. Into an existing directory, SRC keeps its name; an existing file\n"   \
    "is replaced; a missing DEST_PATH is created (its parent must exist). '-' is a tar\n"      \
    "archive on standard input (into a directory of the container) or standard output.\n\n"    \
    "Options:\n"                                                                               \
    "  -a, --archive[=BOOL]  files copied in belong to the container's user (default true);\n" \
    "                        false: they keep the owners of the source\n"                      \
    "  -h, --help            show this help\n"

int
cmd_cp(struct rl_globals *g, int argc, char **argv, rl_error_t *err)
{
    enum { OPT_PAUSE = 256, OPT_EXTRACT };
    static const struct option opts[] = {
        { "archive", optional_argument, NULL, 'a' },
        { "pause", optional_argument, NULL, OPT_PAUSE },
        { "extract", optional_argument, NULL, OPT_EXTRACT },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    cleanup_free char *src_ctr = NULL;
    cleanup_free char *dst_ctr = NULL;
    const char *src_path, *dst_path;
    struct rl_ctx c = { 0 };
    bool chown_to_user = true;
    int ch, r;

    opterr = 0;
    while ((ch = getopt_long(argc, argv, "a::h", opts, NULL)) != -1) {
        switch (ch) {
        case 'a': {
            const char *v = optarg ? optarg + (optarg[0] == '=') : "true";
            if (strcmp(v, "true") == 0)
                chown_to_user = true;
            else if (strcmp(v, "false") == 0)
                chown_to_user = false;
            else
                return rl_make_error(err, 0, "cp: --archive: '%s' is not true or false", v);
            break;
        }
        case OPT_PAUSE:
        case OPT_EXTRACT:
            break;
        case 'h':
            fputs(HELP_CP, stdout);
            return 0;
        default:
            return rl_cmd_bad_option("cp", argc, argv, err);
        }
    }
    if (argc - optind != 2)
        return rl_make_error(err, 0, "cp: takes a source and a destination (see 'rl cp --help')");
    split_arg(argv[optind], &src_ctr, &src_path);
    split_arg(argv[optind + 1], &dst_ctr, &dst_path);
    if (src_ctr && dst_ctr)
        return rl_make_error(err, 0,
                             "cp: copying between containers is not supported: copy "
                             "through the host");
    if (!src_ctr && !dst_ctr)
        return rl_make_error(err, 0,
                             "cp: invalid arguments \"%s\", \"%s\": one of them must be "
                             "CONTAINER:PATH",
                             argv[optind], argv[optind + 1]);
    if ((src_ctr && !*src_ctr) || (dst_ctr && !*dst_ctr) || !*src_path || !*dst_path)
        return rl_make_error(err, 0,
                             "cp: invalid arguments \"%s\", \"%s\": you must specify "
                             "paths",
                             argv[optind], argv[optind + 1]);
    if (rl_ctx_init(g, false, &c, err) < 0)
        return -1;
    if (src_ctr)
        r = copy_out(&c, src_ctr, src_path, dst_path, err);
    else
        r = copy_in(&c, dst_ctr, dst_path, src_path, chown_to_user, err);
    rl_ctx_release(&c);
    return r;
}

/* ------------------------------------------------------------------ export */

#define HELP_EXPORT                                                                         \
    "Usage: rl export [OPTIONS] CONTAINER\n\n"                                              \
    "Write a container's root filesystem (its image and its changes, without volumes and\n" \
    "other mounts) as a tar archive, with the owners it has inside the container. The\n"    \
    "container may be running or not. 'rl import' makes an image of it again.\n\n"          \
    "Options:\n"                                                                            \
    "  -o, --output FILE  write to FILE (default: standard output, not a terminal)\n"       \
    "  -h, --help         show this help\n"

int
cmd_export(struct rl_globals *g, int argc, char **argv, rl_error_t *err)
{
    static const struct option opts[] = {
        { "output", required_argument, NULL, 'o' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    cleanup_packer struct packer p = { 0 };
    cleanup_free char *tmp = NULL;
    cleanup_close int out = -1;
    struct ctr_fs f = { .root = -1, .lock = -1 };
    struct rl_ctx c = { 0 };
    const char *output = NULL;
    int ch, ret = -1;

    opterr = 0;
    while ((ch = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
        switch (ch) {
        case 'o':
            output = optarg;
            break;
        case 'h':
            fputs(HELP_EXPORT, stdout);
            return 0;
        default:
            return rl_cmd_bad_option("export", argc, argv, err);
        }
    }
    if (argc - optind != 1)
        return rl_make_error(err, 0, "export: takes one container (see 'rl export --help')");
    if (output == NULL && isatty(STDOUT_FILENO))
        return rl_make_error(err, 0, "refusing to export to terminal. Use -o flag or redirect");
    if (rl_ctx_init(g, false, &c, err) < 0)
        return -1;
    if (open_ctr_fs(&c, argv[optind], true, &f, err) < 0)
        goto out;
    if (output) {
        /* Written beside the destination and renamed: a failed export leaves no half file. */
        tmp = xasprintf("%s.rl-tmp-%d", output, (int)getpid());
        out = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        if (out < 0) {
            rl_make_error(err, errno, "export: create '%s'", tmp);
            goto out;
        }
    } else {
        fflush(stdout);
    }
    if (packer_open(&p, output ? out : STDOUT_FILENO, -1, -1, err) < 0
        || pack_children(&p, f.root, "", 0, err) < 0 || packer_finish(&p, err) < 0)
        goto out_unlink;
    if (output && fsync(out) < 0) {
        rl_make_error(err, errno, "export: write '%s'", output);
        goto out_unlink;
    }
    if (output && rename(tmp, output) < 0) {
        rl_make_error(err, errno, "export: rename to '%s'", output);
        goto out_unlink;
    }
    ret = 0;
    goto out;
out_unlink:
    if (tmp)
        (void)unlink(tmp);
out:
    ctr_fs_release(&f);
    rl_ctx_release(&c);
    return ret;
}
