#include "config.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fs.h"
#include "log.h"
#include "volume.h"

#define VOLUME_JSON_MAX (1024 * 1024)
#define VOLUMES_MAX     100000

bool
rl_volume_name_valid(const char *name)
{
    size_t n;

    if (name == NULL
        || !((name[0] >= 'a' && name[0] <= 'z') || (name[0] >= 'A' && name[0] <= 'Z')
             || (name[0] >= '0' && name[0] <= '9')))
        return false;
    n = strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-");
    return name[n] == '\0' && n <= RL_VOLUME_NAME_MAX;
}

/* "no such volume NAME", with NAME shown safely (it may be anything a user typed). */
static int
no_such_volume(const char *name, rl_error_t *err)
{
    cleanup_free char *shown = rl_str_shown(name, 300);
    return rl_make_error(err, ENOENT, "no such volume %s", shown);
}

static int
not_supported(const char *key, const char *value, rl_error_t *err)
{
    cleanup_free char *shown = rl_str_shown(key, 100);
    cleanup_free char *shown_value = value ? rl_str_shown(value, 100) : NULL;
    return rl_make_error(err, EINVAL,
                         "volume option '%s%s%s' is not supported (the local driver takes only "
                         "o=uid=N,gid=N)",
                         shown, value ? "=" : "", value ? shown_value : "");
}

int
rl_volume_options_check(json_t *options, long long *ret_uid, long long *ret_gid, rl_error_t *err)
{
    long long uid = -1, gid = -1;
    const char *key;
    json_t *v;

    if (options != NULL && !json_is_object(options))
        return rl_make_error(err, EINVAL, "volume options must be an object");
    json_object_foreach (options, key, v) {
        cleanup_free char *copy = NULL;
        char *save = NULL;

        if (!json_is_string(v))
            return rl_make_error(err, EINVAL, "volume option '%s' must be a string", key);
        if (strcmp(key, "o") != 0)
            return not_supported(key, json_string_value(v), err);
        copy = xstrdup(json_string_value(v));
        for (char *part = strtok_r(copy, ",", &save); part; part = strtok_r(NULL, ",", &save)) {
            long long *which = rl_str_has_prefix(part, "uid=")   ? &uid
                               : rl_str_has_prefix(part, "gid=") ? &gid
                                                                 : NULL;
            if (which == NULL) {
                cleanup_free char *o = xasprintf("o=%s", part);
                return not_supported(o, NULL, err);
            }
            /* (uid_t)-1 means "unchanged" to chown(2): it is not an id. */
            if (!rl_parse_ll(part + 4, 0, 4294967294LL, which)) {
                cleanup_free char *shown = rl_str_shown(part + 4, 100);
                return rl_make_error(err, EINVAL, "volume option 'o=%.3s': '%s' is not an id", part,
                                     shown);
            }
        }
    }
    if (ret_uid)
        *ret_uid = uid;
    if (ret_gid)
        *ret_gid = gid;
    return 0;
}

void
rl_volume_free(struct rl_volume *v)
{
    if (v == NULL)
        return;
    free(v->name);
    free(v->driver);
    free(v->mountpoint);
    free(v->created);
    json_decref(v->labels);
    json_decref(v->options);
    free(v);
}

void
rl_volume_list_free(struct rl_volume **v, size_t n)
{
    if (v == NULL)
        return;
    for (size_t i = 0; i < n; i++)
        rl_volume_free(v[i]);
    free(v);
}

json_t *
rl_volume_to_json(const struct rl_volume *v)
{
    json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:O, s:s, s:O}", "Name", v->name, "Driver",
                          v->driver, "Mountpoint", v->mountpoint, "CreatedAt", v->created, "Labels",
                          v->labels, "Scope", "local", "Options", v->options);

    if (o == NULL)
        rl_oom();
    if (v->uid >= 0)
        json_object_set_new(o, "UID", json_integer(v->uid));
    if (v->gid >= 0)
        json_object_set_new(o, "GID", json_integer(v->gid));
    /* Mounts of the volume itself (podman's for volumes with mount options): rl has none. */
    json_object_set_new(o, "MountCount", json_integer(0));
    return o;
}

/* ------------------------------------------------------------------ the volumes directory */

/* STORE/volumes, open and locked. */
struct voldir {
    char *path;
    int fd;
    int lock_fd;
};

static void
voldir_close(struct voldir *d)
{
    free(d->path);
    if (d->fd >= 0)
        close(d->fd);
    if (d->lock_fd >= 0)
        close(d->lock_fd); /* releases the flock */
    d->path = NULL;
    d->fd = d->lock_fd = -1;
}

#define cleanup_voldir __attribute__((cleanup(voldir_close)))

/* Open STORE/volumes (creating it when CREATE) and flock its lock file with HOW. Without
 * CREATE, a store without volumes/ leaves D->fd at -1 and succeeds. The path is made
 * absolute: mount points are used from other working directories. */
static int
voldir_open(const char *store, bool create, int how, struct voldir *d, rl_error_t *err)
{
    cleanup_free char *abs = NULL;

    d->path = NULL;
    d->fd = d->lock_fd = -1;
    if (store[0] != '/') {
        cleanup_free char *cwd = getcwd(NULL, 0);
        if (cwd == NULL)
            return rl_make_error(err, errno, "getcwd");
        abs = xasprintf("%s/%s", cwd, store);
    }
    d->path = xasprintf("%s/volumes", abs ? abs : store);
    /* "STORE//volumes" from "STORE/": the mount points are shown to users. */
    for (char *p = strstr(d->path, "//"); p; p = strstr(p, "//"))
        memmove(p, p + 1, strlen(p + 1) + 1);
    if (create && rl_mkdir_p(d->path, 0700, err) < 0)
        return rl_error_wrap(err, "volumes");
    d->fd = open(d->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (d->fd < 0) {
        if (errno == ENOENT && !create)
            return 0;
        return rl_make_error(err, errno, "open '%s'", d->path);
    }
    d->lock_fd = openat(d->fd, ".lock", O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (d->lock_fd < 0 && how == LOCK_SH)
        d->lock_fd = openat(d->fd, ".lock", O_RDONLY | O_CLOEXEC);
    if (d->lock_fd < 0)
        return rl_make_error(err, errno, "open '%s/.lock'", d->path);
    if (TEMP_FAILURE_RETRY(flock(d->lock_fd, how)) < 0)
        return rl_make_error(err, errno, "lock '%s/.lock'", d->path);
    return 0;
}

/* Leftovers of a create or a remove that died: under the exclusive lock no one else is at
 * work, so every .tmp-* and .rm-* is one. Best effort: a failure only leaves them for later. */
static void
remove_stale(struct voldir *d)
{
    cleanup_dir DIR *dir = NULL;
    struct dirent *de;
    int fd = openat(d->fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

    if (fd < 0)
        return;
    dir = fdopendir(fd);
    if (dir == NULL) {
        close(fd);
        return;
    }
    while ((de = readdir(dir)) != NULL) {
        cleanup_error rl_error_t tmp = NULL;
        cleanup_free char *path = NULL;

        if (!rl_str_has_prefix(de->d_name, ".tmp-") && !rl_str_has_prefix(de->d_name, ".rm-"))
            continue;
        path = xasprintf("%s/%s", d->path, de->d_name);
        if (rl_rm_rf(path, &tmp) < 0)
            rl_debug("volumes: cannot remove leftover '%s': %s", path, tmp->msg);
    }
}

/* LEN (at most 64) random hex digits in *RET. */
static int
random_hex(size_t len, char **ret, rl_error_t *err)
{
    static const char digits[] = "0123456789abcdef";
    unsigned char bytes[32];
    size_t got = 0, want = (len + 1) / 2;
    char *out;

    while (got < want) {
        ssize_t n = getrandom(bytes + got, want - got, 0);
        if (n < 0 && errno != EINTR)
            return rl_make_error(err, errno, "getrandom");
        if (n > 0)
            got += (size_t)n;
    }
    out = xmalloc(len + 1);
    for (size_t i = 0; i < len; i++)
        out[i] = digits[(bytes[i / 2] >> (i % 2 ? 0 : 4)) & 0xf];
    out[len] = '\0';
    *ret = out;
    return 0;
}

/* "2026-11-23T10:40:25.123456789Z" for TS. */
static char *
format_time(const struct timespec *ts)
{
    struct tm tm;
    char buf[64];

    gmtime_r(&ts->tv_sec, &tm);
    strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
    return xasprintf("%s.%09ldZ", buf, ts->tv_nsec);
}

static int
labels_check(json_t *labels, rl_error_t *err)
{
    const char *key;
    json_t *v;

    if (labels == NULL)
        return 0;
    if (!json_is_object(labels))
        return rl_make_error(err, EINVAL, "volume labels must be an object");
    json_object_foreach (labels, key, v) {
        if (*key == '\0')
            return rl_make_error(err, EINVAL, "a volume label needs a name");
        if (!json_is_string(v))
            return rl_make_error(err, EINVAL, "volume label '%s' must be a string", key);
    }
    return 0;
}

/* A volume from its volume.json, META. */
static int
from_json(const struct voldir *d, const char *name, json_t *meta, struct rl_volume **ret,
          rl_error_t *err)
{
    struct rl_volume *v;
    json_t *labels = json_object_get(meta, "Labels");
    json_t *options = json_object_get(meta, "Options");
    json_t *created = json_object_get(meta, "CreatedAt");
    json_t *driver = json_object_get(meta, "Driver");
    rl_error_t tmp = NULL;
    long long uid, gid;

    if (!json_is_object(meta))
        return rl_make_error(err, 0, "not an object");
    if (!json_is_string(created) || !json_is_string(driver))
        return rl_make_error(err, 0, "CreatedAt and Driver must be strings");
    if (strcmp(json_string_value(driver), "local") != 0)
        return rl_make_error(err, 0, "unknown driver '%s'", json_string_value(driver));
    if ((labels && labels_check(labels, &tmp) < 0)
        || rl_volume_options_check(options, &uid, &gid, &tmp) < 0) {
        /* EINVAL is for what a caller passes; here the file is wrong. */
        int r = rl_make_error(err, 0, "%s", tmp->msg);
        rl_error_release(&tmp);
        return r;
    }
    v = xzalloc(sizeof(*v));
    v->name = xstrdup(name);
    v->driver = xstrdup("local");
    v->mountpoint = xasprintf("%s/%s/_data", d->path, name);
    v->created = xstrdup(json_string_value(created));
    v->labels = labels ? json_incref(labels) : json_object();
    v->options = options ? json_incref(options) : json_object();
    v->uid = uid;
    v->gid = gid;
    *ret = v;
    return 0;
}

/* Read NAME/volume.json; errors are "volume 'NAME' is damaged: ...", without a status (an
 * ENOENT would say that the volume is not there, and it is). */
static int
load(const struct voldir *d, const char *name, struct rl_volume **ret, rl_error_t *err)
{
    cleanup_free char *rel = xasprintf("%s/volume.json", name);
    cleanup_free char *buf = NULL;
    cleanup_json json_t *meta = NULL;
    cleanup_close int fd = openat(d->fd, rel, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    rl_error_t tmp = NULL;
    json_error_t jerr;
    size_t len;

    if (fd < 0)
        rl_make_error(&tmp, errno, "open '%s/%s'", d->path, rel);
    else if (rl_read_all_fd(fd, VOLUME_JSON_MAX, &buf, &len, &tmp) < 0)
        rl_error_wrap(&tmp, "read '%s/%s'", d->path, rel);
    else if ((meta = json_loadb(buf, len, 0, &jerr)) == NULL)
        rl_make_error(&tmp, 0, "'%s/%s': line %d: %s", d->path, rel, jerr.line, jerr.text);
    else if (from_json(d, name, meta, ret, &tmp) < 0)
        rl_error_wrap(&tmp, "'%s/%s'", d->path, rel);
    if (tmp == NULL)
        return 0;
    {
        cleanup_free char *cause = rl_error_format(tmp);
        rl_error_release(&tmp);
        return rl_make_error(err, 0, "volume '%s' is damaged: %s", name, cause);
    }
}

/* 0 when NAME is a directory below D, ENOENT "no such volume" when not. */
static int
check_present(const struct voldir *d, const char *name, rl_error_t *err)
{
    struct stat st;

    if (d->fd < 0)
        return no_such_volume(name, err);
    if (fstatat(d->fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
        if (errno == ENOENT)
            return no_such_volume(name, err);
        return rl_make_error(err, errno, "stat '%s/%s'", d->path, name);
    }
    if (!S_ISDIR(st.st_mode))
        return no_such_volume(name, err);
    return 0;
}

/* rename(2) that fails with EEXIST rather than replace an empty directory. */
static int
rename_noreplace(int olddirfd, const char *oldpath, int newdirfd, const char *newpath)
{
    struct stat st;

    if (renameat2(olddirfd, oldpath, newdirfd, newpath, RENAME_NOREPLACE) == 0)
        return 0;
    if (errno != EINVAL && errno != ENOSYS)
        return -1;
    /* A filesystem without RENAME_NOREPLACE: the exclusive lock keeps others out anyway. */
    if (fstatat(newdirfd, newpath, &st, AT_SYMLINK_NOFOLLOW) == 0) {
        errno = EEXIST;
        return -1;
    }
    return renameat(olddirfd, oldpath, newdirfd, newpath);
}

/* ------------------------------------------------------------------ the API */

int
rl_volume_create(const char *store, const char *name, json_t *labels, json_t *options,
                 bool ignore_existing, struct rl_volume **ret, rl_error_t *err)
{
    cleanup_voldir struct voldir d = { .fd = -1, .lock_fd = -1 };
    cleanup_free char *random = NULL, *tmp = NULL, *data = NULL, *mountpoint = NULL;
    cleanup_free char *text = NULL, *created = rl_now_rfc3339();
    cleanup_error rl_error_t tmp_err = NULL;
    cleanup_json json_t *meta = NULL;
    struct rl_volume *v = NULL;
    long long uid, gid;
    struct stat st;

    if (name == NULL || *name == '\0') {
        if (random_hex(64, &random, err) < 0)
            return rl_error_wrap(err, "create volume");
        name = random;
    }
    if (!rl_volume_name_valid(name)) {
        cleanup_free char *shown = rl_str_shown(name, 300);
        return rl_make_error(err, EINVAL,
                             "invalid volume name '%s': names must match "
                             "[a-zA-Z0-9][a-zA-Z0-9_.-]* and have at most %d characters",
                             shown, RL_VOLUME_NAME_MAX);
    }
    if (labels_check(labels, err) < 0 || rl_volume_options_check(options, &uid, &gid, err) < 0)
        return -1;
    if (voldir_open(store, true, LOCK_EX, &d, err) < 0)
        return rl_error_wrap(err, "create volume '%s'", name);
    remove_stale(&d);
    if (fstatat(d.fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
        if (!ignore_existing)
            return rl_make_error(err, EEXIST,
                                 "volume with name %s already exists: volume already exists", name);
        if (load(&d, name, &v, err) < 0)
            return -1;
        if (ret)
            *ret = v;
        else
            rl_volume_free(v);
        return 0;
    }
    if (errno != ENOENT)
        return rl_make_error(err, errno, "create volume '%s': stat '%s/%s'", name, d.path, name);

    mountpoint = xasprintf("%s/%s/_data", d.path, name);
    meta = json_pack("{s:s, s:s, s:s, s:s, s:o, s:o, s:s}", "Name", name, "Driver", "local",
                     "Mountpoint", mountpoint, "CreatedAt", created, "Labels",
                     labels ? json_deep_copy(labels) : json_object(), "Options",
                     options ? json_deep_copy(options) : json_object(), "Scope", "local");
    if (meta == NULL)
        rl_oom();
    text = json_dumps(meta, JSON_INDENT(1));
    if (text == NULL)
        rl_oom();

    /* Everything is made in a private directory, which becomes the volume in one rename: a
     * reader sees a whole volume or none. */
    tmp = xasprintf("%s/.tmp-XXXXXX", d.path);
    if (mkdtemp(tmp) == NULL)
        return rl_make_error(err, errno, "create volume '%s': mkdtemp '%s'", name, tmp);
    data = xasprintf("%s/_data", tmp);
    /* 0755 whatever the umask: a container's non-root users must be able to enter it. */
    if (mkdir(data, 0755) < 0 || chmod(data, 0755) < 0) {
        rl_make_error(err, errno, "mkdir '%s'", data);
        goto out_remove_tmp;
    }
    if ((uid >= 0 || gid >= 0) && chown(data, (uid_t)uid, (gid_t)gid) < 0) {
        rl_make_error(err, errno, "chown '%s' to %lld:%lld", data, uid, gid);
        goto out_remove_tmp;
    }
    {
        cleanup_free char *json_path = xasprintf("%s/volume.json", tmp);
        if (rl_write_file_atomic(json_path, text, strlen(text), 0600, true, err) < 0)
            goto out_remove_tmp;
    }
    if (rename_noreplace(AT_FDCWD, tmp, d.fd, name) < 0) {
        rl_make_error(err, errno, "rename '%s' to '%s/%s'", tmp, d.path, name);
        goto out_remove_tmp;
    }
    (void)fsync(d.fd);
    if (ret && from_json(&d, name, meta, ret, err) < 0)
        return rl_error_wrap(err, "create volume '%s'", name);
    return 0;

out_remove_tmp:
    if (rl_rm_rf(tmp, &tmp_err) < 0)
        rl_debug("create volume: cannot remove '%s': %s", tmp, tmp_err->msg);
    return rl_error_wrap(err, "create volume '%s'", name);
}

int
rl_volume_get(const char *store, const char *name, struct rl_volume **ret, rl_error_t *err)
{
    cleanup_voldir struct voldir d = { .fd = -1, .lock_fd = -1 };

    if (!rl_volume_name_valid(name))
        return no_such_volume(name, err);
    if (voldir_open(store, false, LOCK_SH, &d, err) < 0 || check_present(&d, name, err) < 0)
        return -1;
    return load(&d, name, ret, err);
}

static int
volume_cmp(const void *a, const void *b)
{
    const struct rl_volume *x = *(struct rl_volume *const *)a;
    const struct rl_volume *y = *(struct rl_volume *const *)b;
    return strcmp(x->name, y->name);
}

int
rl_volume_list(const char *store, struct rl_volume ***ret, size_t *ret_n, rl_error_t *err)
{
    cleanup_voldir struct voldir d = { .fd = -1, .lock_fd = -1 };
    cleanup_dir DIR *dir = NULL;
    struct rl_volume **list = NULL;
    struct dirent *de;
    size_t n = 0;
    int fd;

    if (voldir_open(store, false, LOCK_SH, &d, err) < 0)
        return -1;
    if (d.fd < 0) {
        *ret = xzalloc(sizeof(struct rl_volume *));
        *ret_n = 0;
        return 0;
    }
    fd = openat(d.fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return rl_make_error(err, errno, "open '%s'", d.path);
    dir = fdopendir(fd);
    if (dir == NULL) {
        close(fd);
        return rl_make_error(err, errno, "opendir '%s'", d.path);
    }
    while ((errno = 0, de = readdir(dir)) != NULL) {
        cleanup_error rl_error_t tmp = NULL;
        struct rl_volume *v = NULL;
        struct stat st;

        if (!rl_volume_name_valid(de->d_name)
            || fstatat(d.fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISDIR(st.st_mode))
            continue;
        if (n >= VOLUMES_MAX) {
            rl_volume_list_free(list, n);
            return rl_make_error(err, E2BIG, "'%s': more than %d volumes", d.path, VOLUMES_MAX);
        }
        if (load(&d, de->d_name, &v, &tmp) < 0) {
            rl_warning("%s; listed without it", tmp->msg);
            v = xzalloc(sizeof(*v));
            v->name = xstrdup(de->d_name);
            v->driver = xstrdup("local");
            v->mountpoint = xasprintf("%s/%s/_data", d.path, de->d_name);
            v->created = format_time(&st.st_mtim);
            v->labels = json_object();
            v->options = json_object();
            v->uid = v->gid = -1;
        }
        list = xrealloc(list, (n + 2) * sizeof(*list));
        list[n++] = v;
        list[n] = NULL;
    }
    if (errno != 0) {
        int e = errno;
        rl_volume_list_free(list, n);
        return rl_make_error(err, e, "readdir '%s'", d.path);
    }
    if (list == NULL)
        list = xzalloc(sizeof(*list));
    qsort(list, n, sizeof(*list), volume_cmp);
    *ret = list;
    *ret_n = n;
    return 0;
}

int
rl_volume_remove(const char *store, const char *name, rl_error_t *err)
{
    cleanup_voldir struct voldir d = { .fd = -1, .lock_fd = -1 };
    cleanup_free char *suffix = NULL, *rm_name = NULL, *rm_path = NULL;

    if (!rl_volume_name_valid(name))
        return no_such_volume(name, err);
    if (voldir_open(store, false, LOCK_EX, &d, err) < 0 || check_present(&d, name, err) < 0)
        return -1;
    remove_stale(&d);
    if (random_hex(16, &suffix, err) < 0)
        return rl_error_wrap(err, "remove volume '%s'", name);
    /* Out of the way in one rename, so that a remove that dies half-way leaves a leftover for
     * remove_stale, not half a volume. */
    rm_name = xasprintf(".rm-%s", suffix);
    rm_path = xasprintf("%s/%s", d.path, rm_name);
    if (rename_noreplace(d.fd, name, d.fd, rm_name) < 0)
        return rl_make_error(err, errno, "remove volume '%s': rename to '%s'", name, rm_path);
    if (rl_rm_rf(rm_path, err) < 0)
        goto out_restore;
    return 0;

out_restore:
    /* Back under its name, whatever is left of it, for the user to see and to try again
     * (from the user's namespace, when the files are a container's). */
    if (rename_noreplace(d.fd, rm_name, d.fd, name) < 0)
        rl_debug("remove volume: cannot rename '%s' back to '%s'", rm_path, name);
    return rl_error_wrap(err, "remove volume '%s'", name);
}
