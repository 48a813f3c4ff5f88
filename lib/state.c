#include "config.h"

#include <dirent.h>
#include <fcntl.h>
#include <pwd.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>

#include "fs.h"
#include "log.h"
#include "state.h"
#include "syscalls.h"

static bool
usable_private_dir(const char *path, bool create)
{
    struct stat st;

    if (create && mkdir(path, 0700) < 0 && errno != EEXIST)
        return false;
    if (lstat(path, &st) < 0)
        return false;
    return S_ISDIR(st.st_mode) && st.st_uid == geteuid() && (st.st_mode & 0022) == 0;
}

int
rl_state_root(const char *dir, char **ret, rl_error_t *err)
{
    return rl_runtime_dir(dir, "oci", ret, err);
}

int
rl_runtime_dir(const char *dir, const char *leaf, char **ret, rl_error_t *err)
{
    const char *xdg = getenv("XDG_RUNTIME_DIR");
    cleanup_free char *path = NULL;

    if (dir) {
        path = xstrdup(dir);
    } else if (xdg && xdg[0] == '/' && usable_private_dir(xdg, false)) {
        path = xasprintf("%s/rl/%s", xdg, leaf);
    } else if (geteuid() == 0) {
        path = xasprintf("/run/rl/%s", leaf);
    } else {
        /* su, sudo and CI sessions often have no XDG_RUNTIME_DIR, or one that belongs to
         * another user: use a private directory that nobody else can have planted. */
        cleanup_free char *base = xasprintf("/tmp/rl-%u", (unsigned)geteuid());
        if (!usable_private_dir(base, true))
            return rl_make_error(err, EPERM,
                                 "'%s' is not a private directory owned by you: remove it or set "
                                 "XDG_RUNTIME_DIR",
                                 base);
        path = xasprintf("%s/%s", base, leaf);
    }
    if (rl_mkdir_p(path, 0700, err) < 0)
        return rl_error_wrap(err, "state directory");
    *ret = steal_pointer(&path);
    return 0;
}

int
rl_state_check_id(const char *id, rl_error_t *err)
{
    size_t n = strlen(id);

    if (n == 0 || n > 128)
        return rl_make_error(err, EINVAL, "invalid container id '%s': 1 to 128 characters", id);
    if (id[0] == '.' || id[0] == '-')
        return rl_make_error(err, EINVAL, "invalid container id '%s': must not start with '%c'", id,
                             id[0]);
    for (size_t i = 0; i < n; i++) {
        char c = id[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'
              || c == '-' || c == '.'))
            return rl_make_error(err, EINVAL,
                                 "invalid container id '%s': only letters, digits, '_', '.' and "
                                 "'-' are allowed",
                                 id);
    }
    return 0;
}

char *
rl_state_dir(const char *root, const char *id)
{
    return xasprintf("%s/%s", root, id);
}

int
rl_state_write(const char *root, const struct rl_state *st, rl_error_t *err)
{
    cleanup_free char *path = xasprintf("%s/%s/state.json", root, st->id);
    cleanup_free char *text = NULL;
    json_t *o;

    o = json_pack("{s:s, s:I, s:I, s:s, s:s, s:s}", "id", st->id, "pid", (json_int_t)st->pid,
                  "startTime", (json_int_t)st->start_time, "bundle", st->bundle, "created",
                  st->created, "owner", st->owner ? st->owner : "");
    if (st->annotations)
        json_object_set(o, "annotations", st->annotations);
    if (st->cgroup)
        json_object_set_new(o, "cgroupPath", json_string(st->cgroup));
    if (st->cgroup_top)
        json_object_set_new(o, "cgroupTop", json_string(st->cgroup_top));
    text = json_dumps(o, JSON_INDENT(2));
    json_decref(o);
    return rl_write_file_atomic(path, text, strlen(text), 0600, false, err);
}

int
rl_state_read(const char *root, const char *id, struct rl_state **ret, rl_error_t *err)
{
    cleanup_free char *path = NULL;
    cleanup_free char *text = NULL;
    cleanup_error rl_error_t tmp = NULL;
    struct rl_state *st;
    json_error_t jerr;
    json_t *o;

    if (rl_state_check_id(id, err) < 0)
        return -1;
    path = xasprintf("%s/%s/state.json", root, id);
    if (rl_read_file(path, 1 << 20, &text, NULL, &tmp) < 0) {
        if (tmp->status == ENOENT)
            return rl_make_error(err, 0, "container '%s' does not exist", id);
        *err = steal_pointer(&tmp);
        return -1;
    }
    o = json_loads(text, 0, &jerr);
    if (o == NULL || !json_is_object(o)) {
        json_decref(o);
        return rl_make_error(err, 0, "state of container '%s' is corrupt: %s", id, jerr.text);
    }
    st = xzalloc(sizeof(*st));
    st->id = xstrdup(id);
    st->pid = (pid_t)json_integer_value(json_object_get(o, "pid"));
    st->start_time = (unsigned long long)json_integer_value(json_object_get(o, "startTime"));
    st->bundle = xstrdup(json_string_value(json_object_get(o, "bundle")) ?: "");
    st->created = xstrdup(json_string_value(json_object_get(o, "created")) ?: "");
    st->owner = xstrdup(json_string_value(json_object_get(o, "owner")) ?: "");
    st->annotations = json_incref(json_object_get(o, "annotations"));
    if (json_string_value(json_object_get(o, "cgroupPath")))
        st->cgroup = xstrdup(json_string_value(json_object_get(o, "cgroupPath")));
    if (json_string_value(json_object_get(o, "cgroupTop")))
        st->cgroup_top = xstrdup(json_string_value(json_object_get(o, "cgroupTop")));
    json_decref(o);
    *ret = st;
    return 0;
}

void
rl_state_free(struct rl_state *st)
{
    if (st == NULL)
        return;
    free(st->id);
    free(st->bundle);
    free(st->created);
    free(st->owner);
    json_decref(st->annotations);
    free(st->cgroup);
    free(st->cgroup_top);
    free(st);
}

void
rl_state_freep(struct rl_state **st)
{
    rl_state_free(*st);
}

const char *
rl_proc_stat_fields(pid_t pid, char *buf, size_t size)
{
    char path[64];
    cleanup_close int fd = -1;
    char *p;
    ssize_t n;

    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    n = TEMP_FAILURE_RETRY(read(fd, buf, size - 1));
    if (n <= 0)
        return NULL;
    buf[n] = '\0';
    /* The command name may hold spaces and parentheses: fields start after the last ')'. */
    p = strrchr(buf, ')');
    if (p == NULL || p[1] == '\0')
        return NULL;
    return p + 2;
}

unsigned long long
rl_proc_start_time(pid_t pid)
{
    char buf[1024];
    const char *p = rl_proc_stat_fields(pid, buf, sizeof(buf));
    unsigned long long start = 0;

    if (p == NULL || p[0] == 'Z' || p[0] == 'X')
        return 0;
    for (int field = 3; field < 22 && p; field++) {
        p = strchr(p, ' ');
        if (p)
            p++;
    }
    if (p == NULL || sscanf(p, "%llu", &start) != 1)
        return 0;
    return start;
}

enum rl_status
rl_state_status(const char *root, const struct rl_state *st)
{
    cleanup_free char *fifo = NULL;

    if (st->pid <= 0)
        return RL_STATUS_STOPPED;
    if (rl_proc_start_time(st->pid) != st->start_time)
        return RL_STATUS_STOPPED;
    fifo = xasprintf("%s/%s/exec.fifo", root, st->id);
    if (access(fifo, F_OK) == 0)
        return RL_STATUS_CREATED;
    return RL_STATUS_RUNNING;
}

const char *
rl_status_name(enum rl_status s)
{
    switch (s) {
    case RL_STATUS_CREATING:
        return "creating";
    case RL_STATUS_CREATED:
        return "created";
    case RL_STATUS_RUNNING:
        return "running";
    case RL_STATUS_STOPPED:
        return "stopped";
    }
    return "unknown";
}

json_t *
rl_state_to_json(const char *root, const struct rl_state *st)
{
    enum rl_status s = rl_state_status(root, st);
    json_t *o = json_pack("{s:s, s:s, s:s, s:I, s:s, s:s, s:s}", "ociVersion", "1.1.0", "id",
                          st->id, "status", rl_status_name(s), "pid",
                          (json_int_t)(s == RL_STATUS_STOPPED ? 0 : st->pid), "bundle", st->bundle,
                          "created", st->created, "owner", st->owner);
    json_object_set_new(o, "annotations",
                        st->annotations ? json_incref(st->annotations) : json_object());
    return o;
}

int
rl_state_pidfd(const struct rl_state *st, rl_error_t *err)
{
    cleanup_close int fd = -1;

    if (st->pid <= 0)
        return rl_make_error(err, ESRCH, "container '%s' is not running", st->id);
    fd = rl_pidfd_open(st->pid, 0);
    if (fd < 0) {
        if (errno == ESRCH)
            return rl_make_error(err, ESRCH, "container '%s' is not running", st->id);
        return rl_make_error(err, errno, "pidfd_open %d", (int)st->pid);
    }
    /* The pidfd now pins the process: if the start time still matches, it is ours. */
    if (rl_proc_start_time(st->pid) != st->start_time)
        return rl_make_error(err, ESRCH, "container '%s' is not running", st->id);
    return steal_fd(&fd);
}

static int
cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int
rl_state_list(const char *root, char ***ret, rl_error_t *err)
{
    cleanup_dir DIR *d = opendir(root);
    cleanup_strv char **ids = NULL;
    struct dirent *de;
    size_t n = 0;

    ids = xzalloc(sizeof(char *));
    if (d == NULL) {
        if (errno == ENOENT) {
            *ret = steal_pointer(&ids);
            return 0;
        }
        return rl_make_error(err, errno, "open '%s'", root);
    }
    while ((de = readdir(d)) != NULL) {
        cleanup_free char *p = NULL;
        if (de->d_name[0] == '.')
            continue;
        p = xasprintf("%s/%s/state.json", root, de->d_name);
        if (access(p, F_OK) < 0)
            continue;
        ids = xrealloc(ids, (n + 2) * sizeof(char *));
        ids[n++] = xstrdup(de->d_name);
        ids[n] = NULL;
    }
    qsort(ids, n, sizeof(char *), cmp_str);
    *ret = steal_pointer(&ids);
    return 0;
}

int
rl_state_lock(const char *root, const char *id, rl_error_t *err)
{
    cleanup_free char *dir = rl_state_dir(root, id);
    cleanup_close int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

    if (fd < 0) {
        if (errno == ENOENT)
            return rl_make_error(err, 0, "container '%s' does not exist", id);
        return rl_make_error(err, errno, "open '%s'", dir);
    }
    if (TEMP_FAILURE_RETRY(flock(fd, LOCK_EX)) < 0)
        return rl_make_error(err, errno, "lock '%s'", dir);
    return steal_fd(&fd);
}
