#include "config.h"

#include <fcntl.h>
#include <sched.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/sysmacros.h>

#include "fs.h"
#include "log.h"
#include "mount.h"
#include "syscalls.h"

static const struct {
    const char *name;
    bool clear;
    unsigned long flag;
    unsigned long long attr;
} mount_options[] = {
    { "ro", false, MS_RDONLY, MOUNT_ATTR_RDONLY },
    { "rw", true, MS_RDONLY, MOUNT_ATTR_RDONLY },
    { "nosuid", false, MS_NOSUID, MOUNT_ATTR_NOSUID },
    { "suid", true, MS_NOSUID, MOUNT_ATTR_NOSUID },
    { "nodev", false, MS_NODEV, MOUNT_ATTR_NODEV },
    { "dev", true, MS_NODEV, MOUNT_ATTR_NODEV },
    { "noexec", false, MS_NOEXEC, MOUNT_ATTR_NOEXEC },
    { "exec", true, MS_NOEXEC, MOUNT_ATTR_NOEXEC },
    { "noatime", false, MS_NOATIME, MOUNT_ATTR_NOATIME },
    { "atime", true, MS_NOATIME, MOUNT_ATTR_NOATIME },
    { "nodiratime", false, MS_NODIRATIME, MOUNT_ATTR_NODIRATIME },
    { "diratime", true, MS_NODIRATIME, MOUNT_ATTR_NODIRATIME },
    { "relatime", false, MS_RELATIME, MOUNT_ATTR_RELATIME },
    { "norelatime", true, MS_RELATIME, 0 },
    { "strictatime", false, MS_STRICTATIME, MOUNT_ATTR_STRICTATIME },
    { "nostrictatime", true, MS_STRICTATIME, 0 },
    { "sync", false, MS_SYNCHRONOUS, 0 },
    { "async", true, MS_SYNCHRONOUS, 0 },
    { "dirsync", false, MS_DIRSYNC, 0 },
    { "mand", false, MS_MANDLOCK, 0 },
    { "nomand", true, MS_MANDLOCK, 0 },
    { "lazytime", false, MS_LAZYTIME, 0 },
    { "nolazytime", true, MS_LAZYTIME, 0 },
    { "silent", false, MS_SILENT, 0 },
    { "loud", true, MS_SILENT, 0 },
};

static const struct {
    const char *name;
    unsigned long flag;
} propagation_options[] = {
    { "shared", MS_SHARED },         { "rshared", MS_SHARED | MS_REC },
    { "private", MS_PRIVATE },       { "rprivate", MS_PRIVATE | MS_REC },
    { "slave", MS_SLAVE },           { "rslave", MS_SLAVE | MS_REC },
    { "unbindable", MS_UNBINDABLE }, { "runbindable", MS_UNBINDABLE | MS_REC },
};

/* Options that only make sense to other tools (fstab, podman) and must not reach the
 * filesystem as data. */
static const char *const ignored_options[] = { "defaults", "auto", "noauto", "nofail",
                                               "_netdev",  "z",    "Z",      "U",
                                               "idmap",    "copy", "nocopy", "notmpcopyup",
                                               "tmpcopyup" };

static bool
is_atime_option(const char *name)
{
    static const char *const names[] = { "atime",      "noatime",     "relatime",
                                         "norelatime", "strictatime", "nostrictatime" };
    for (size_t i = 0; i < RL_ARRAY_SIZE(names); i++)
        if (strcmp(name, names[i]) == 0)
            return true;
    return false;
}

static void
append_data(char **data, const char *opt)
{
    char *n = *data ? xasprintf("%s,%s", *data, opt) : xstrdup(opt);
    free(*data);
    *data = n;
}

int
rl_mount_parse_options(char *const *options, struct rl_mount_flags *ret, rl_error_t *err)
{
    struct rl_mount_flags f = { 0 };
    bool atime_seen = false;

    for (size_t i = 0; options && options[i]; i++) {
        const char *o = options[i];
        bool done = false;
        bool rec = false;

        if (strcmp(o, "bind") == 0 || strcmp(o, "rbind") == 0) {
            f.bind = true;
            f.recursive = f.recursive || o[0] == 'r';
            continue;
        }
        for (size_t k = 0; k < RL_ARRAY_SIZE(propagation_options); k++) {
            if (strcmp(o, propagation_options[k].name) == 0) {
                f.propagation = propagation_options[k].flag;
                done = true;
            }
        }
        for (size_t k = 0; k < RL_ARRAY_SIZE(ignored_options) && !done; k++)
            if (strcmp(o, ignored_options[k]) == 0)
                done = true;
        if (done)
            continue;
        /* "rro", "rnosuid", ...: the attribute for the mount and all its submounts. */
        if (o[0] == 'r' && strcmp(o, "relatime") != 0 && strcmp(o, "rw") != 0
            && strcmp(o, "ro") != 0) {
            for (size_t k = 0; k < RL_ARRAY_SIZE(mount_options); k++)
                if (strcmp(o + 1, mount_options[k].name) == 0 && mount_options[k].attr)
                    rec = true;
        }
        for (size_t k = 0; k < RL_ARRAY_SIZE(mount_options); k++) {
            const char *name = rec ? o + 1 : o;
            if (strcmp(name, mount_options[k].name) != 0)
                continue;
            if (is_atime_option(name)) {
                /* One atime mode at a time: the last one given wins. */
                atime_seen = true;
                f.attr_set &= ~(unsigned long long)MOUNT_ATTR__ATIME;
            }
            if (mount_options[k].clear) {
                f.flags &= ~mount_options[k].flag;
                f.attr_set &= ~mount_options[k].attr;
                f.attr_clr |= mount_options[k].attr;
            } else {
                f.flags |= mount_options[k].flag;
                f.attr_set |= mount_options[k].attr;
                f.attr_clr &= ~mount_options[k].attr;
            }
            if (rec)
                f.recursive_attrs = true;
            done = true;
            break;
        }
        if (!done) {
            /* An overlay's lowerdir of many layers is long; it is given to the kernel one
             * layer at a time (mount_overlay), so only absurd lengths are refused here. */
            if (strlen(o) > 65536) {
                free(f.data);
                return rl_make_error(err, EINVAL, "mount option '%.32s...' longer than 64 KiB", o);
            }
            append_data(&f.data, o);
        }
    }
    /* The atime mode is a field, not a set of flags: mount_setattr() changes it only with the
     * whole MOUNT_ATTR__ATIME in attr_clr, and refuses single atime bits there. */
    if (atime_seen) {
        f.attr_clr &= ~(unsigned long long)MOUNT_ATTR__ATIME;
        f.attr_clr |= MOUNT_ATTR__ATIME;
    }
    *ret = f;
    return 0;
}

void
rl_mount_flags_release(struct rl_mount_flags *f)
{
    free(f->data);
    f->data = NULL;
}

static char *
fd_path(int fd)
{
    return xasprintf("/proc/self/fd/%d", fd);
}

/* The mount target, created if missing: a directory, or an empty file when SRC_IS_FILE. */
static int
open_target(int rootfd, const char *dest, bool is_file, rl_error_t *err)
{
    cleanup_free char *parent = xstrdup(dest);
    cleanup_close int dirfd = -1;
    char *slash = strrchr(parent, '/');
    const char *name;
    int fd;

    if (!is_file)
        return rl_safe_mkdir_p(rootfd, dest, 0755, err);
    *slash = '\0';
    name = slash + 1;
    dirfd = rl_safe_mkdir_p(rootfd, parent, 0755, err);
    if (dirfd < 0)
        return dirfd;
    fd = rl_safe_openat(rootfd, dest, O_PATH, 0, NULL);
    if (fd >= 0)
        return fd;
    {
        cleanup_close int dfd =
            rl_safe_openat(rootfd, parent[0] ? parent : "/", O_RDONLY | O_DIRECTORY, 0, err);
        cleanup_close int f = -1;
        if (dfd < 0)
            return dfd;
        f = openat(dfd, name, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644);
        if (f < 0 && errno != EEXIST)
            return rl_make_error(err, errno, "create mount target '%s'", dest);
    }
    return rl_safe_openat(rootfd, dest, O_PATH, 0, err);
}

static int
apply_attrs(int rootfd, const char *dest, const struct rl_mount_flags *f, bool recursive,
            rl_error_t *err)
{
    struct mount_attr attr = { 0 };
    cleanup_close int fd = -1;

    if (f->attr_set == 0 && f->attr_clr == 0)
        return 0;
    attr.attr_set = f->attr_set;
    attr.attr_clr = f->attr_clr;
    /* Reopen: the earlier fd names the directory under the new mount, not the mount. */
    fd = rl_safe_openat(rootfd, dest, O_PATH, 0, err);
    if (fd < 0)
        return fd;
    if (rl_mount_setattr(fd, "", AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0), &attr) < 0)
        return rl_make_error(err, errno, "set attributes of mount '%s'", dest);
    return 0;
}

static int
bind_mount(int rootfd, const char *src, const char *dest, const struct rl_mount_flags *f,
           rl_error_t *err)
{
    cleanup_close int target = -1;
    cleanup_free char *tpath = NULL;
    struct stat st;

    if (stat(src, &st) < 0)
        return rl_make_error(err, errno, "bind mount source '%s'", src);
    target = open_target(rootfd, dest, !S_ISDIR(st.st_mode), err);
    if (target < 0)
        return target;
    tpath = fd_path(target);
    if (mount(src, tpath, NULL, MS_BIND | (f->recursive ? MS_REC : 0), NULL) < 0)
        return rl_make_error(err, errno, "bind mount '%s' on '%s'", src, dest);
    return apply_attrs(rootfd, dest, f, f->recursive || f->recursive_attrs, err);
}

static int
set_propagation(int rootfd, const char *dest, unsigned long propagation, rl_error_t *err)
{
    cleanup_close int fd = -1;
    cleanup_free char *p = NULL;

    if (propagation == 0)
        return 0;
    fd = rl_safe_openat(rootfd, dest, O_PATH, 0, err);
    if (fd < 0)
        return fd;
    p = fd_path(fd);
    if (mount(NULL, p, NULL, propagation, NULL) < 0)
        return rl_make_error(err, errno, "set propagation of '%s'", dest);
    return 0;
}

/* Mount one entry of config.json's mounts. Rootless, some filesystems cannot be mounted
 * (sysfs without an own network namespace, mqueue without an own ipc namespace, devpts with
 * an unmapped gid=): fall back to what the user can do, as crun does. */
/* The message the kernel left in a filesystem context ("e overlay: ..."), if any. */
static void
fs_context_message(int fsfd, char *buf, size_t len)
{
    ssize_t n;

    buf[0] = '\0';
    n = read(fsfd, buf, len - 1);
    if (n <= 0) {
        buf[0] = '\0';
        return;
    }
    buf[n] = '\0';
    if (n > 0 && buf[n - 1] == '\n')
        buf[n - 1] = '\0';
}

/* overlay through the new mount API: "lowerdir=a:b:..." is given one layer at a time
 * ("lowerdir+", Linux 6.8) so that an image of many layers is not limited by mount(2)'s one
 * page of options; older kernels get the whole string. */
static int
mount_overlay(int target, const char *dest, const struct rl_mount_flags *f, rl_error_t *err)
{
    cleanup_close int fsfd = rl_fsopen("overlay", FSOPEN_CLOEXEC);
    cleanup_close int mfd = -1;
    cleanup_free char *copy = f->data ? xstrdup(f->data) : NULL;
    unsigned int attrs = 0;
    bool plus = false; /* lowerdir+ was given */
    char msg[512];
    char *save = NULL;

    if (fsfd < 0)
        return rl_make_error(err, errno, "mount overlay on '%s'", dest);
    for (char *opt = copy ? strtok_r(copy, ",", &save) : NULL; opt;
         opt = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(opt, '=');
        int r;

        if (eq == NULL) {
            r = rl_fsconfig(fsfd, FSCONFIG_SET_FLAG, opt, NULL, 0);
        } else {
            *eq = '\0';
            r = -1;
            if (strcmp(opt, "lowerdir") == 0 && strstr(eq + 1, "\\:") == NULL) {
                /* One layer at a time, when the kernel knows lowerdir+. */
                cleanup_free char *layers = xstrdup(eq + 1);
                char *lsave = NULL;
                r = 0;
                plus = true;
                for (char *l = strtok_r(layers, ":", &lsave); l && r == 0;
                     l = strtok_r(NULL, ":", &lsave))
                    r = rl_fsconfig(fsfd, FSCONFIG_SET_STRING, "lowerdir+", l, 0);
                if (r < 0 && errno == EINVAL
                    && rl_fsconfig(fsfd, FSCONFIG_SET_STRING, "lowerdir+", "/", 0) < 0) {
                    /* A kernel before 6.8 has no lowerdir+: mount(2) takes the string. */
                    return rl_make_error(err, EOPNOTSUPP, "mount overlay on '%s': lowerdir+", dest);
                }
            } else {
                r = rl_fsconfig(fsfd, FSCONFIG_SET_STRING, opt, eq + 1, 0);
            }
        }
        if (r < 0)
            goto fail;
    }
    if (rl_fsconfig(fsfd, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0) {
        /* Before Linux 6.5 overlayfs took its options through the legacy parser, which
         * accepts any key and fails only here ("unrecognized mount option lowerdir+"):
         * mount(2) with the option string then. */
        if (plus && errno == EINVAL)
            return rl_make_error(err, EOPNOTSUPP, "mount overlay on '%s': lowerdir+", dest);
        goto fail;
    }
    if (f->flags & MS_RDONLY)
        attrs |= MOUNT_ATTR_RDONLY;
    if (f->flags & MS_NOSUID)
        attrs |= MOUNT_ATTR_NOSUID;
    if (f->flags & MS_NODEV)
        attrs |= MOUNT_ATTR_NODEV;
    if (f->flags & MS_NOEXEC)
        attrs |= MOUNT_ATTR_NOEXEC;
    mfd = rl_fsmount(fsfd, FSMOUNT_CLOEXEC, attrs);
    if (mfd < 0)
        goto fail;
    if (rl_move_mount(mfd, "", target, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
        return rl_make_error(err, errno, "mount overlay on '%s'", dest);
    return 0;
fail : {
    int e = errno;
    fs_context_message(fsfd, msg, sizeof(msg));
    if (msg[0])
        return rl_make_error(err, e, "mount overlay on '%s': %s", dest, msg);
    return rl_make_error(err, e, "mount overlay on '%s'", dest);
}
}

static int
do_mount(int rootfd, const struct rl_mount *m, rl_error_t *err)
{
    struct rl_mount_flags f = { 0 };
    const char *type = m->type ? m->type : "none";
    cleanup_close int target = -1;
    cleanup_free char *tpath = NULL;
    int ret;

    if (rl_mount_parse_options(m->options, &f, err) < 0)
        return -1;
    if (f.bind || strcmp(type, "bind") == 0) {
        if (m->source == NULL) {
            rl_mount_flags_release(&f);
            return rl_make_error(err, EINVAL, "mount '%s': bind mount without a source",
                                 m->destination);
        }
        ret = bind_mount(rootfd, m->source, m->destination, &f, err);
        if (ret == 0)
            ret = set_propagation(rootfd, m->destination, f.propagation, err);
        rl_mount_flags_release(&f);
        return ret;
    }
    target = open_target(rootfd, m->destination, false, err);
    if (target < 0) {
        rl_mount_flags_release(&f);
        return target;
    }
    tpath = fd_path(target);
    if (strcmp(type, "cgroup") == 0)
        type = "cgroup2";
    if (strcmp(type, "overlay") == 0) {
        cleanup_error rl_error_t tmp = NULL;
        ret = mount_overlay(target, m->destination, &f, &tmp);
        if (ret == 0 || tmp->status != EOPNOTSUPP) {
            if (ret < 0)
                *err = steal_pointer(&tmp);
            else
                ret = set_propagation(rootfd, m->destination, f.propagation, err);
            rl_mount_flags_release(&f);
            return ret;
        }
        /* No lowerdir+: mount(2) with the option string below. */
    }
    ret = mount(m->source ? m->source : type, tpath, type, f.flags, f.data);
    if (ret < 0 && strcmp(type, "devpts") == 0 && f.data && strstr(f.data, "gid=")) {
        /* gid 5 is not mapped in a single-id user namespace: mount without it. */
        cleanup_free char *data = NULL;
        char *save = NULL, *tok, *copy = xstrdup(f.data);
        for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
            if (!rl_str_has_prefix(tok, "gid="))
                append_data(&data, tok);
        free(copy);
        ret = mount(m->source ? m->source : type, tpath, type, f.flags, data);
    }
    if (ret < 0 && (errno == EPERM || errno == EBUSY || errno == EINVAL)
        && (strcmp(type, "sysfs") == 0 || strcmp(type, "mqueue") == 0
            || strcmp(type, "cgroup2") == 0)) {
        const char *host = strcmp(type, "sysfs") == 0    ? "/sys"
                           : strcmp(type, "mqueue") == 0 ? "/dev/mqueue"
                                                         : "/sys/fs/cgroup";
        rl_debug("mount %s on '%s': %s; binding the host's '%s' instead", type, m->destination,
                 strerror(errno), host);
        ret = mount(host, tpath, NULL, MS_BIND | MS_REC, NULL);
        if (ret == 0) {
            f.attr_set |= MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC;
            ret = apply_attrs(rootfd, m->destination, &f, true, err);
            rl_mount_flags_release(&f);
            return ret;
        }
        if (strcmp(type, "cgroup2") == 0) {
            rl_warning("cannot mount a cgroup filesystem on '%s': %s, continuing", m->destination,
                       strerror(errno));
            rl_mount_flags_release(&f);
            return 0;
        }
    }
    if (ret < 0) {
        ret = rl_make_error(err, errno, "mount %s on '%s'", type, m->destination);
        rl_mount_flags_release(&f);
        return ret;
    }
    ret = set_propagation(rootfd, m->destination, f.propagation, err);
    rl_mount_flags_release(&f);
    return ret;
}

/* Device nodes cannot be created in a user namespace: bind the host's. */
static int
setup_dev(int rootfd, rl_error_t *err)
{
    static const char *const devices[] = { "null", "zero", "full", "random", "urandom", "tty" };
    static const char *const links[][2] = {
        { "/proc/self/fd", "fd" },       { "/proc/self/fd/0", "stdin" },
        { "/proc/self/fd/1", "stdout" }, { "/proc/self/fd/2", "stderr" },
        { "pts/ptmx", "ptmx" },
    };
    cleanup_close int devfd = rl_safe_openat(rootfd, "/dev", O_RDONLY | O_DIRECTORY, 0, err);

    if (devfd < 0)
        return devfd;
    for (size_t i = 0; i < RL_ARRAY_SIZE(devices); i++) {
        cleanup_free char *src = xasprintf("/dev/%s", devices[i]);
        cleanup_free char *dst = xasprintf("/dev/%s", devices[i]);
        struct rl_mount_flags f = { .attr_set = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC };
        struct stat st;

        if (fstatat(devfd, devices[i], &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISCHR(st.st_mode))
            continue;
        if (bind_mount(rootfd, src, dst, &f, err) < 0)
            return -1;
    }
    for (size_t i = 0; i < RL_ARRAY_SIZE(links); i++) {
        if (symlinkat(links[i][0], devfd, links[i][1]) < 0 && errno != EEXIST)
            return rl_make_error(err, errno, "symlink '/dev/%s'", links[i][1]);
    }
    return 0;
}

static bool
mounts_dev(const struct rl_spec *spec)
{
    for (size_t i = 0; i < spec->n_mounts; i++)
        if (strcmp(spec->mounts[i].destination, "/dev") == 0)
            return true;
    return false;
}

static int
pivot(int rootfd, rl_error_t *err)
{
    if (fchdir(rootfd) < 0)
        return rl_make_error(err, errno, "chdir to the rootfs");
    if (rl_pivot_root(".", ".") < 0)
        return rl_make_error(err, errno, "pivot_root");
    /* The old root is stacked under the new one at "."; detach it. */
    if (umount2(".", MNT_DETACH) < 0)
        return rl_make_error(err, errno, "detach the old root");
    if (chdir("/") < 0)
        return rl_make_error(err, errno, "chdir /");
    return 0;
}

static int
mask_paths(int rootfd, char *const *paths, rl_error_t *err)
{
    for (size_t i = 0; paths && paths[i]; i++) {
        cleanup_close int fd = rl_safe_openat(rootfd, paths[i], O_PATH, 0, NULL);
        cleanup_free char *p = NULL;
        struct stat st;

        if (fd < 0 || fstat(fd, &st) < 0)
            continue; /* nothing to mask */
        p = fd_path(fd);
        if (S_ISDIR(st.st_mode)) {
            if (mount("tmpfs", p, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=0k")
                < 0)
                return rl_make_error(err, errno, "mask '%s'", paths[i]);
        } else if (mount("/dev/null", p, NULL, MS_BIND, NULL) < 0) {
            return rl_make_error(err, errno, "mask '%s'", paths[i]);
        }
    }
    return 0;
}

static int
readonly_paths(int rootfd, char *const *paths, rl_error_t *err)
{
    struct rl_mount_flags f = { .attr_set = MOUNT_ATTR_RDONLY };

    for (size_t i = 0; paths && paths[i]; i++) {
        cleanup_close int fd = rl_safe_openat(rootfd, paths[i], O_PATH, 0, NULL);
        cleanup_free char *p = NULL;

        if (fd < 0)
            continue;
        p = fd_path(fd);
        if (mount(p, p, NULL, MS_BIND | MS_REC, NULL) < 0)
            return rl_make_error(err, errno, "bind '%s' read-only", paths[i]);
        if (apply_attrs(rootfd, paths[i], &f, true, err) < 0)
            return rl_error_wrap(err, "make '%s' read-only", paths[i]);
    }
    return 0;
}

int
rl_mount_rootfs_overlay(const char *root_path, char *const *options, rl_error_t *err)
{
    cleanup_close int target = open(root_path, O_PATH | O_DIRECTORY | O_CLOEXEC);
    cleanup_error rl_error_t tmp = NULL;
    cleanup_free char *tpath = NULL;
    struct rl_mount_flags f = { 0 };
    int ret;

    if (target < 0)
        return rl_make_error(err, errno, "open the rootfs '%s'", root_path);
    if (rl_mount_parse_options(options, &f, err) < 0)
        return -1;
    ret = mount_overlay(target, "/", &f, &tmp);
    if (ret < 0 && tmp->status == EOPNOTSUPP) {
        tpath = fd_path(target);
        ret = mount("overlay", tpath, "overlay", f.flags, f.data);
        if (ret < 0)
            ret = rl_make_error(err, errno, "mount the overlay rootfs");
    } else if (ret < 0) {
        *err = steal_pointer(&tmp);
    }
    rl_mount_flags_release(&f);
    return ret;
}

int
rl_mount_rootfs_fuse(const char *root_path, char *const *options, const char *uidmap,
                     const char *gidmap, rl_error_t *err)
{
    cleanup_free char *opts = NULL;
    char buf[1024];
    int p[2], status = 0;
    ssize_t n = 0, got = 0;
    pid_t pid;

    for (size_t i = 0; options && options[i]; i++) {
        char *next;
        if (strcmp(options[i], "userxattr") == 0)
            continue; /* the kernel overlay's; fuse-overlayfs reads user.* by itself */
        next = opts ? xasprintf("%s,%s", opts, options[i]) : xstrdup(options[i]);
        free(opts);
        opts = next;
    }
    {
        char *next = uidmap ? xasprintf("%s%suidmapping=%s,gidmapping=%s,allow_other",
                                        opts ? opts : "", opts ? "," : "", uidmap, gidmap)
                            : xasprintf("%s%sallow_other", opts ? opts : "", opts ? "," : "");
        free(opts);
        opts = next;
    }
    /* The daemon must not live in the container's mount namespace: pivot_root would make
     * the file system it serves its own root, and its next path lookup would wait for
     * itself. It mounts from a namespace of its own onto a shared mount point, whose peer
     * here receives the mount. */
    if (mount(root_path, root_path, NULL, MS_BIND, NULL) < 0
        || mount(NULL, root_path, NULL, MS_SHARED, NULL) < 0)
        return rl_make_error(err, errno, "make '%s' a shared mount point", root_path);
    if (pipe2(p, O_CLOEXEC) < 0)
        return rl_make_error(err, errno, "pipe");
    pid = fork();
    if (pid < 0) {
        close(p[0]);
        close(p[1]);
        return rl_make_error(err, errno, "fork");
    }
    if (pid == 0) {
        int null = open("/dev/null", O_RDWR);
        if (unshare(CLONE_NEWNS) < 0) {
            dprintf(p[1], "unshare a mount namespace: %s", strerror(errno));
            _exit(125);
        }
        if (null >= 0) {
            dup2(null, STDIN_FILENO);
            dup2(null, STDOUT_FILENO);
        }
        dup2(p[1], STDERR_FILENO);
        execlp("fuse-overlayfs", "fuse-overlayfs", "-o", opts, root_path, (char *)NULL);
        dprintf(STDERR_FILENO, "exec fuse-overlayfs: %s", strerror(errno));
        _exit(127);
    }
    close(p[1]);
    /* It forks its daemon and exits once the file system is mounted; the daemon keeps the
     * pipe, so what it said is read without waiting for EOF. */
    if (TEMP_FAILURE_RETRY(waitpid(pid, &status, 0)) < 0) {
        close(p[0]);
        return rl_make_error(err, errno, "wait for fuse-overlayfs");
    }
    (void)fcntl(p[0], F_SETFL, O_NONBLOCK);
    while (got < (ssize_t)sizeof(buf) - 1
           && (n = TEMP_FAILURE_RETRY(read(p[0], buf + got, sizeof(buf) - 1 - (size_t)got))) > 0)
        got += n;
    close(p[0]);
    buf[got] = '\0';
    if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
        return rl_make_error(err, 0,
                             "mount the rootfs with fuse-overlayfs: it is not installed "
                             "(apt-get install fuse-overlayfs)");
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        char *nl = strchr(buf, '\n');
        if (nl)
            *nl = '\0';
        return rl_make_error(err, 0, "mount the rootfs with fuse-overlayfs: %s",
                             got ? buf : "it failed");
    }
    return 0;
}

int
rl_mount_prepare(const struct rl_spec *spec, rl_error_t *err)
{
    cleanup_close int rootfd = -1;

    /* Nothing mounted here may propagate back to the host. */
    if (mount(NULL, "/", NULL, MS_SLAVE | MS_REC, NULL) < 0)
        return rl_make_error(err, errno, "make / a slave mount");
    if (mount(spec->root_path, spec->root_path, NULL, MS_BIND | MS_REC, NULL) < 0)
        return rl_make_error(err, errno, "bind the rootfs '%s'", spec->root_path);
    rootfd = open(spec->root_path, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (rootfd < 0)
        return rl_make_error(err, errno, "open the rootfs '%s'", spec->root_path);
    for (size_t i = 0; i < spec->n_mounts; i++)
        if (do_mount(rootfd, &spec->mounts[i], err) < 0)
            return -1;
    if (mounts_dev(spec) && setup_dev(rootfd, err) < 0)
        return rl_error_wrap(err, "set up /dev");
    /* Before pivot_root, the host's /proc/self/fd reaches the targets: a config without a
     * /proc mount can still mask paths. Each path is resolved in the rootfs. */
    if (readonly_paths(rootfd, spec->readonly_paths, err) < 0
        || mask_paths(rootfd, spec->masked_paths, err) < 0)
        return -1;
    return steal_fd(&rootfd);
}

int
rl_mount_finish(const struct rl_spec *spec, int rootfd, rl_error_t *err)
{
    if (pivot(rootfd, err) < 0)
        return -1;
    if (spec->root_readonly) {
        struct mount_attr attr = { .attr_set = MOUNT_ATTR_RDONLY };
        if (rl_mount_setattr(AT_FDCWD, "/", 0, &attr) < 0)
            return rl_make_error(err, errno, "make the root read-only");
    }
    if (spec->rootfs_propagation) {
        char *const opts[] = { spec->rootfs_propagation, NULL };
        struct rl_mount_flags f = { 0 };
        unsigned long prop;
        if (rl_mount_parse_options(opts, &f, err) < 0)
            return -1;
        prop = f.propagation;
        rl_mount_flags_release(&f);
        if (mount(NULL, "/", NULL, prop, NULL) < 0)
            return rl_make_error(err, errno, "set rootfs propagation '%s'",
                                 spec->rootfs_propagation);
    }
    return 0;
}
