#include "config.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>

#include "ctrstore.h"
#include "fs.h"
#include "json.h"
#include "state.h"

#define RECORD_MAX (16 << 20)

char *
rl_ctr_root(const char *store)
{
    return xasprintf("%s/containers", store);
}

char *
rl_ctr_dir(const char *store, const char *id)
{
    return xasprintf("%s/containers/%s", store, id);
}

static int
lock_file(const char *path, int how, rl_error_t *err)
{
    cleanup_close int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);

    if (fd < 0)
        return rl_make_error(err, errno, "open '%s'", path);
    if (TEMP_FAILURE_RETRY(flock(fd, how)) < 0)
        return rl_make_error(err, errno, "lock '%s'", path);
    return steal_fd(&fd);
}

static int
names_lock(const char *store, rl_error_t *err)
{
    cleanup_free char *root = rl_ctr_root(store);
    cleanup_free char *path = NULL;

    if (rl_mkdir_p(root, 0700, err) < 0)
        return -1;
    path = xasprintf("%s/containers.lock", root);
    return lock_file(path, LOCK_EX, err);
}

int
rl_ctr_lock(const char *store, const char *id, int how, rl_error_t *err)
{
    cleanup_free char *path = xasprintf("%s/containers/%s/lock", store, id);
    int fd = open(path, O_RDWR | O_CLOEXEC);

    if (fd < 0)
        return rl_make_error(err, errno == ENOENT ? ENOENT : errno, "lock container %.12s", id);
    if (TEMP_FAILURE_RETRY(flock(fd, how)) < 0) {
        close(fd);
        return rl_make_error(err, errno, "lock container %.12s", id);
    }
    return fd;
}

int
rl_ctr_check_name(const char *name, rl_error_t *err)
{
    size_t n = strlen(name);

    if (n == 0 || n > 253
        || !((name[0] >= 'a' && name[0] <= 'z') || (name[0] >= 'A' && name[0] <= 'Z')
             || (name[0] >= '0' && name[0] <= '9')))
        goto bad;
    for (size_t i = 1; i < n; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'
              || c == '.' || c == '-'))
            goto bad;
    }
    return 0;
bad : {
    cleanup_free char *shown = rl_str_shown(name, 64);
    return rl_make_error(err, EINVAL,
                         "container name %s: names must match [a-zA-Z0-9][a-zA-Z0-9_.-]*", shown);
}
}

int
rl_ctr_load(const char *store, const char *id, json_t **ret, rl_error_t *err)
{
    cleanup_free char *path = xasprintf("%s/containers/%s/container.json", store, id);
    cleanup_free char *text = NULL;
    json_error_t je;
    size_t len;
    json_t *rec;

    if (rl_read_file(path, RECORD_MAX, &text, &len, err) < 0) {
        if ((*err)->status == ENOENT) {
            rl_error_release(err);
            return rl_make_plain_error(err, ENOENT, "no container with ID %s found", id);
        }
        return -1;
    }
    rec = json_loadb(text, len, 0, &je);
    if (rec == NULL || !json_is_object(rec)) {
        json_decref(rec);
        return rl_make_error(err, EINVAL, "container %.12s: corrupt record '%s': %s", id, path,
                             je.text);
    }
    *ret = rec;
    return 0;
}

int
rl_ctr_save(const char *store, const char *id, json_t *rec, rl_error_t *err)
{
    cleanup_free char *path = xasprintf("%s/containers/%s/container.json", store, id);
    cleanup_free char *text = json_dumps(rec, JSON_INDENT(1) | JSON_SORT_KEYS);

    if (text == NULL)
        rl_oom();
    return rl_write_file_atomic(path, text, strlen(text), 0600, false, err);
}

static int
cmp_created(const void *a, const void *b)
{
    const char *const *x = a, *const *y = b;
    return strcmp(*x, *y);
}

/* Every id with the record's "Created" in front, so that sorting orders by age. */
int
rl_ctr_list(const char *store, char ***ret, rl_error_t *err)
{
    cleanup_free char *root = rl_ctr_root(store);
    cleanup_dir DIR *d = opendir(root);
    cleanup_strv char **keyed = NULL;
    char **ids = NULL;
    struct dirent *e;
    size_t n = 0;

    if (d == NULL) {
        if (errno == ENOENT) {
            *ret = xzalloc(sizeof(char *));
            return 0;
        }
        return rl_make_error(err, errno, "open '%s'", root);
    }
    while ((e = readdir(d))) {
        cleanup_json json_t *rec = NULL;
        cleanup_error rl_error_t tmp = NULL;
        const char *created;

        if (e->d_name[0] == '.' || strlen(e->d_name) != 64)
            continue;
        if (rl_ctr_load(store, e->d_name, &rec, &tmp) < 0)
            continue; /* being created or removed */
        created = json_string_value(json_object_get(rec, "Created"));
        {
            cleanup_free char *k = xasprintf("%s %s", created ? created : "", e->d_name);
            rl_strv_push(&keyed, k);
        }
        n++;
    }
    if (n)
        qsort(keyed, n, sizeof(*keyed), cmp_created);
    ids = xzalloc((n + 1) * sizeof(*ids));
    for (size_t i = 0; i < n; i++)
        ids[i] = xstrdup(strrchr(keyed[i], ' ') + 1);
    *ret = ids;
    return 0;
}

static bool
name_taken(const char *store, const char *name, const char *except)
{
    cleanup_strv char **ids = NULL;
    cleanup_error rl_error_t tmp = NULL;

    if (rl_ctr_list(store, &ids, &tmp) < 0)
        return false;
    for (size_t i = 0; ids[i]; i++) {
        cleanup_json json_t *rec = NULL;
        cleanup_error rl_error_t t2 = NULL;
        const char *n;
        if (except && strcmp(ids[i], except) == 0)
            continue;
        if (rl_ctr_load(store, ids[i], &rec, &t2) < 0)
            continue;
        n = json_string_value(json_object_get(rec, "Name"));
        if (n && strcmp(n, name) == 0)
            return true;
    }
    return false;
}

static char *
random_hex(size_t bytes)
{
    unsigned char buf[64];
    char *s = xmalloc(bytes * 2 + 1);

    if (getrandom(buf, bytes, 0) != (ssize_t)bytes)
        for (size_t i = 0; i < bytes; i++)
            buf[i] = (unsigned char)rand();
    for (size_t i = 0; i < bytes; i++)
        sprintf(s + 2 * i, "%02x", buf[i]);
    return s;
}

static char *
random_name(void)
{
    static const char *const left[] = {
        "admiring",  "adoring",    "affectionate", "amazing",  "angry",     "awesome",
        "blissful",  "bold",       "brave",        "busy",     "charming",  "clever",
        "cool",      "dazzling",   "determined",   "eager",    "ecstatic",  "elastic",
        "elegant",   "epic",       "exciting",     "fervent",  "focused",   "friendly",
        "funny",     "gallant",    "gifted",       "gracious", "happy",     "hopeful",
        "hungry",    "jolly",      "keen",         "kind",     "laughing",  "loving",
        "lucid",     "magical",    "modest",       "nervous",  "nice",      "nifty",
        "objective", "optimistic", "peaceful",     "pensive",  "practical", "priceless",
        "quirky",    "relaxed",    "reverent",     "romantic", "serene",    "sharp",
        "silly",     "sleepy",     "stoic",        "strange",  "sweet",     "tender",
        "trusting",  "upbeat",     "vibrant",      "vigilant", "wizardly",  "zealous",
    };
    static const char *const right[] = {
        "agnesi",        "albattani", "allen",       "archimedes", "babbage",  "banach",
        "bardeen",       "bartik",    "bell",        "blackwell",  "bohr",     "booth",
        "borg",          "bose",      "brahmagupta", "brown",      "carson",   "cerf",
        "chandrasekhar", "curie",     "darwin",      "dijkstra",   "einstein", "elion",
        "euclid",        "euler",     "fermat",      "feynman",    "franklin", "galileo",
        "gauss",         "goldberg",  "goodall",     "hamilton",   "hawking",  "heisenberg",
        "hopper",        "hypatia",   "jennings",    "kepler",     "knuth",    "lamport",
        "leakey",        "lovelace",  "mayer",       "mccarthy",   "meitner",  "mendel",
        "morse",         "napier",    "newton",      "noether",    "pascal",   "payne",
        "perlman",       "pike",      "poincare",    "ptolemy",    "ritchie",  "shannon",
        "shaw",          "tesla",     "thompson",    "torvalds",   "turing",   "wiles",
    };
    uint32_t r[2];

    if (getrandom(r, sizeof(r), 0) != sizeof(r)) {
        r[0] = (uint32_t)rand();
        r[1] = (uint32_t)rand();
    }
    return xasprintf("%s_%s", left[r[0] % RL_ARRAY_SIZE(left)], right[r[1] % RL_ARRAY_SIZE(right)]);
}

int
rl_ctr_create(const char *store, const char *name, json_t *rec, char **ret_id, rl_error_t *err)
{
    cleanup_close int lock = -1;
    cleanup_free char *id = NULL;
    cleanup_free char *dir = NULL;
    cleanup_free char *gen = NULL;
    cleanup_free char *lockpath = NULL;
    int fd;

    if (name && rl_ctr_check_name(name, err) < 0)
        return -1;
    lock = names_lock(store, err);
    if (lock < 0)
        return -1;
    if (name && name_taken(store, name, NULL))
        return rl_make_error(err, EEXIST,
                             "the container name \"%s\" is already in use by another container; "
                             "remove or rename it, or choose another name",
                             name);
    if (name == NULL) {
        for (int i = 0; i < 20 && (gen == NULL || name_taken(store, gen, NULL)); i++) {
            free(gen);
            gen = random_name();
        }
        name = gen;
    }
    for (;;) {
        id = random_hex(32);
        dir = rl_ctr_dir(store, id);
        if (mkdir(dir, 0700) == 0)
            break;
        if (errno != EEXIST)
            return rl_make_error(err, errno, "mkdir '%s'", dir);
        free(id);
        free(dir);
    }
    json_object_set_new(rec, "Id", json_string(id));
    json_object_set_new(rec, "Name", json_string(name));
    lockpath = xasprintf("%s/lock", dir);
    fd = open(lockpath, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0 || rl_ctr_save(store, id, rec, err) < 0) {
        if (fd < 0)
            rl_make_error(err, errno, "create '%s'", lockpath);
        else
            close(fd);
        rl_rm_rf(dir, NULL);
        return -1;
    }
    close(fd);
    *ret_id = steal_pointer(&id);
    return 0;
}

int
rl_ctr_lookup(const char *store, const char *name_or_id, char **ret_id, rl_error_t *err)
{
    cleanup_strv char **ids = NULL;
    const char *found = NULL;
    size_t len = strlen(name_or_id);
    bool hex = len > 0 && len <= 64;

    if (len == 0)
        return rl_make_error(err, EINVAL, "a container name or ID is required");
    if (rl_ctr_list(store, &ids, err) < 0)
        return -1;
    for (const char *c = name_or_id; *c && hex; c++)
        hex = (*c >= '0' && *c <= '9') || (*c >= 'a' && *c <= 'f');
    /* Exact id, then name, then a unique id prefix (podman's order). */
    for (size_t i = 0; ids[i]; i++)
        if (strcmp(ids[i], name_or_id) == 0)
            found = ids[i];
    for (size_t i = 0; ids[i] && !found; i++) {
        cleanup_json json_t *rec = NULL;
        cleanup_error rl_error_t tmp = NULL;
        const char *n;
        if (rl_ctr_load(store, ids[i], &rec, &tmp) < 0)
            continue;
        n = json_string_value(json_object_get(rec, "Name"));
        if (n && strcmp(n, name_or_id) == 0)
            found = ids[i];
    }
    if (!found && hex) {
        for (size_t i = 0; ids[i]; i++) {
            if (strncmp(ids[i], name_or_id, len) != 0)
                continue;
            if (found)
                return rl_make_error(err, EINVAL,
                                     "more than one result for container ID %s: use more "
                                     "characters",
                                     name_or_id);
            found = ids[i];
        }
    }
    if (!found)
        return rl_make_plain_error(err, ENOENT,
                                   "no container with name or ID \"%s\" found: no such container",
                                   name_or_id);
    *ret_id = xstrdup(found);
    return 0;
}

int
rl_ctr_rename(const char *store, const char *id, const char *name, rl_error_t *err)
{
    cleanup_close int lock = -1;
    cleanup_json json_t *rec = NULL;

    if (rl_ctr_check_name(name, err) < 0)
        return -1;
    lock = names_lock(store, err);
    if (lock < 0)
        return -1;
    if (name_taken(store, name, id))
        return rl_make_error(
            err, EEXIST, "the container name \"%s\" is already in use by another container", name);
    if (rl_ctr_load(store, id, &rec, err) < 0)
        return -1;
    json_object_set_new(rec, "Name", json_string(name));
    return rl_ctr_save(store, id, rec, err);
}

int
rl_ctr_remove(const char *store, const char *id, rl_error_t *err)
{
    cleanup_free char *dir = rl_ctr_dir(store, id);
    cleanup_free char *gone = xasprintf("%s/containers/.removing-%s", store, id);

    /* Renamed first: listing skips it at once, and a crash leaves only a dot-dir. */
    if (rename(dir, gone) < 0)
        return rl_make_error(err, errno, "remove container %.12s", id);
    return rl_rm_rf(gone, err);
}

const char *
rl_ctr_status(json_t *rec)
{
    const char *s = json_string_value(json_object_get(json_object_get(rec, "State"), "Status"));
    return s ? s : "unknown";
}

bool
rl_ctr_is_running(json_t *rec)
{
    const char *s = rl_ctr_status(rec);
    return strcmp(s, "running") == 0 || strcmp(s, "stopping") == 0 || strcmp(s, "paused") == 0;
}

static bool
process_alive(json_t *obj, const char *pid_key, const char *time_key)
{
    json_int_t pid = json_integer_value(json_object_get(obj, pid_key));
    json_int_t t = json_integer_value(json_object_get(obj, time_key));

    char buf[512];
    const char *fields;

    if (pid <= 0 || t <= 0 || rl_proc_start_time((pid_t)pid) != (unsigned long long)t)
        return false;
    /* A zombie has exited: its parent (a killed monitor's init) has not reaped it yet. */
    fields = rl_proc_stat_fields((pid_t)pid, buf, sizeof(buf));
    return fields && fields[0] != 'Z' && fields[0] != 'X';
}

bool
rl_ctr_refresh(json_t *rec)
{
    json_t *state = json_object_get(rec, "State");
    json_t *rl = json_object_get(rec, "rl");
    cleanup_free char *now = NULL;

    if (!rl_ctr_is_running(rec) || state == NULL)
        return false;
    if (process_alive(state, "Pid", "StartTime"))
        return false;
    /* A live monitor records the exit itself in a moment. */
    if (rl && process_alive(rl, "MonitorPid", "MonitorStartTime"))
        return false;
    now = rl_now_rfc3339();
    json_object_set_new(state, "Status", json_string("exited"));
    json_object_set_new(state, "Running", json_false());
    json_object_set_new(state, "Pid", json_integer(0));
    /* The container died with its monitor: SIGKILL, its parent-death signal. */
    json_object_set_new(state, "ExitCode", json_integer(137));
    json_object_set_new(state, "FinishedAt", json_string(now));
    json_object_set_new(state, "Error",
                        json_string("the container's monitor is gone (killed, or the machine "
                                    "restarted)"));
    return true;
}
