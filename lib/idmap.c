#include "config.h"

#include <fcntl.h>
#include <pwd.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <limits.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "fs.h"
#include "idmap.h"
#include "log.h"

#define SUBID_MAX_RANGES 64

int
rl_subid_parse(const char *text, const char *name, uid_t id, struct rl_subid_range **ret,
               size_t *ret_n, rl_error_t *err)
{
    cleanup_free struct rl_subid_range *out = NULL;
    cleanup_free char *copy = xstrdup(text);
    char idstr[32], *save = NULL, *line;
    size_t n = 0;

    snprintf(idstr, sizeof(idstr), "%u", (unsigned)id);
    out = xzalloc(SUBID_MAX_RANGES * sizeof(*out));
    for (line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char *c1 = strchr(line, ':'), *c2;
        long long start, count;

        if (line[0] == '#' || c1 == NULL)
            continue;
        *c1 = '\0';
        c2 = strchr(c1 + 1, ':');
        if (c2 == NULL)
            continue;
        *c2 = '\0';
        if (!((name && strcmp(line, name) == 0) || strcmp(line, idstr) == 0))
            continue;
        if (!rl_parse_ll(c1 + 1, 0, UINT32_MAX, &start)
            || !rl_parse_ll(c2 + 1, 1, UINT32_MAX, &count) || start + count - 1 > UINT32_MAX)
            continue;
        if (n == SUBID_MAX_RANGES)
            break;
        out[n].start = (uint32_t)start;
        out[n].count = (uint32_t)count;
        n++;
    }
    *ret_n = n;
    *ret = steal_pointer(&out);
    return 0;
}

int
rl_subid_read(const char *path, const char *name, uid_t id, struct rl_subid_range **ret,
              size_t *ret_n, rl_error_t *err)
{
    cleanup_free char *text = NULL;
    cleanup_error rl_error_t tmp = NULL;

    if (rl_read_file(path, 16u << 20, &text, NULL, &tmp) < 0) {
        if (tmp->status == ENOENT) {
            *ret = NULL;
            *ret_n = 0;
            return 0;
        }
        *err = steal_pointer(&tmp);
        return -1;
    }
    return rl_subid_parse(text, name, id, ret, ret_n, err);
}

int
rl_idmap_default(uid_t host_id, const struct rl_subid_range *sub, size_t n_sub,
                 struct rl_idmap_range **ret, size_t *ret_n)
{
    struct rl_idmap_range *map = xzalloc((n_sub + 1) * sizeof(*map));
    uint64_t next = 1;
    size_t n = 1;

    map[0].container_id = 0;
    map[0].host_id = host_id;
    map[0].size = 1;
    for (size_t i = 0; i < n_sub; i++) {
        uint64_t count = sub[i].count;
        if (next > UINT32_MAX - 1)
            break;
        if (next + count - 1 > UINT32_MAX - 1)
            count = (UINT32_MAX - 1) - next + 1;
        map[n].container_id = (uint32_t)next;
        map[n].host_id = sub[i].start;
        map[n].size = (uint32_t)count;
        next += count;
        n++;
    }
    *ret = map;
    *ret_n = n;
    return 0;
}

char *
rl_idmap_format(const struct rl_idmap_range *map, size_t n)
{
    size_t cap = n * 36 + 1, len = 0;
    char *out = xzalloc(cap);
    for (size_t i = 0; i < n; i++)
        len += (size_t)snprintf(out + len, cap - len, "%u %u %u\n", map[i].container_id,
                                map[i].host_id, map[i].size);
    return out;
}

static bool
host_range_allowed(uint64_t start, uint64_t size, uid_t self, const struct rl_subid_range *sub,
                   size_t n_sub)
{
    /* Each host id of the range must be the caller's own or inside one subordinate range;
     * walk it piecewise so that a range spanning two adjacent grants is accepted. */
    uint64_t cur = start, end = start + size;

    while (cur < end) {
        bool found = false;
        if (cur == self) {
            cur++;
            continue;
        }
        for (size_t i = 0; i < n_sub; i++) {
            uint64_t s = sub[i].start, e = s + sub[i].count;
            if (cur >= s && cur < e) {
                cur = e;
                found = true;
                break;
            }
        }
        if (!found)
            return false;
    }
    return true;
}

int
rl_idmap_check(const struct rl_idmap_range *map, size_t n, uid_t self,
               const struct rl_subid_range *sub, size_t n_sub, const char *what, rl_error_t *err)
{
    for (size_t i = 0; i < n; i++) {
        if (!host_range_allowed(map[i].host_id, map[i].size, self, sub, n_sub))
            return rl_make_error(err, 0,
                                 "%s: host ids %u-%u are outside the ids allowed to you (your own "
                                 "id %u and your ranges in /etc/sub%s)",
                                 what, map[i].host_id, (unsigned)(map[i].host_id + map[i].size - 1),
                                 (unsigned)self, strstr(what, "gid") ? "gid" : "uid");
        for (size_t j = 0; j < i; j++) {
            uint64_t a = map[i].container_id, b = map[j].container_id;
            uint64_t ha = map[i].host_id, hb = map[j].host_id;
            if (a < b + map[j].size && b < a + map[i].size)
                return rl_make_error(err, 0, "%s: container ids of ranges %zu and %zu overlap",
                                     what, j, i);
            if (ha < hb + map[j].size && hb < ha + map[i].size)
                return rl_make_error(err, 0, "%s: host ids of ranges %zu and %zu overlap", what, j,
                                     i);
        }
    }
    return 0;
}

long long
rl_idmap_to_host(const struct rl_idmap_range *map, size_t n, uint32_t id)
{
    for (size_t i = 0; i < n; i++)
        if (id >= map[i].container_id && id - map[i].container_id < map[i].size)
            return (long long)map[i].host_id + (id - map[i].container_id);
    return -1;
}

static bool
only_self(const struct rl_idmap_range *map, size_t n, uid_t self)
{
    return n == 1 && map[0].size == 1 && map[0].host_id == self;
}

/* A running newuidmap or newgidmap: the setuid helpers check the ranges against
 * /etc/subuid for us. */
struct helper {
    const char *path;
    pid_t pid;
    int out; /* its stdout and stderr, for the error message */
};

static int
start_helper(struct helper *h, const char *path, pid_t pid, const struct rl_idmap_range *map,
             size_t n, rl_error_t *err)
{
    cleanup_free char **argv = xzalloc((3 + 3 * n + 1) * sizeof(char *));
    cleanup_strv char **nums = xzalloc((3 * n + 2) * sizeof(char *));
    int pipefd[2];
    size_t k = 0;

    argv[k++] = (char *)path;
    nums[0] = xasprintf("%d", (int)pid);
    argv[k++] = nums[0];
    for (size_t i = 0; i < n; i++) {
        nums[1 + 3 * i] = xasprintf("%u", map[i].container_id);
        nums[2 + 3 * i] = xasprintf("%u", map[i].host_id);
        nums[3 + 3 * i] = xasprintf("%u", map[i].size);
        argv[k++] = nums[1 + 3 * i];
        argv[k++] = nums[2 + 3 * i];
        argv[k++] = nums[3 + 3 * i];
    }
    if (pipe2(pipefd, O_CLOEXEC) < 0)
        return rl_make_error(err, errno, "pipe");
    h->path = path;
    h->pid = fork();
    if (h->pid < 0) {
        close(pipefd[0]);
        close(pipefd[1]);
        return rl_make_error(err, errno, "fork");
    }
    if (h->pid == 0) {
        dup2(pipefd[1], STDERR_FILENO);
        dup2(pipefd[1], STDOUT_FILENO);
        execv(path, argv);
        dprintf(STDERR_FILENO, "%s", strerror(errno));
        _exit(127);
    }
    close(pipefd[1]);
    h->out = pipefd[0];
    return 0;
}

static int
finish_helper(struct helper *h, rl_error_t *err)
{
    char buf[512] = "";
    ssize_t got = TEMP_FAILURE_RETRY(read(h->out, buf, sizeof(buf) - 1));
    int status;

    close(h->out);
    if (got > 0) {
        buf[got] = '\0';
        buf[strcspn(buf, "\n")] = '\0';
    }
    if (TEMP_FAILURE_RETRY(waitpid(h->pid, &status, 0)) < 0)
        return rl_make_error(err, errno, "waitpid %s", h->path);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return rl_make_error(err, 0, "%s failed: %s", h->path, buf[0] ? buf : "no message");
    return 0;
}

static int
write_map_direct(pid_t pid, const char *file, const struct rl_idmap_range *map, size_t n,
                 rl_error_t *err)
{
    cleanup_free char *path = xasprintf("/proc/%d/%s", (int)pid, file);
    cleanup_free char *text = rl_idmap_format(map, n);
    return rl_write_file(path, text, strlen(text), err);
}

int
rl_idmap_write(pid_t pid, const struct rl_idmap_range *uids, size_t n_uids,
               const struct rl_idmap_range *gids, size_t n_gids, rl_error_t *err)
{
    bool root = geteuid() == 0;
    bool gid_direct = root || only_self(gids, n_gids, getegid());
    bool uid_direct = root || only_self(uids, n_uids, geteuid());
    struct helper hg = { .pid = -1 }, hu = { .pid = -1 };
    cleanup_error rl_error_t tmp = NULL;
    int ret = 0;

    /* A direct gid_map write by an unprivileged user needs setgroups denied first. */
    if (gid_direct && !root) {
        cleanup_free char *path = xasprintf("/proc/%d/setgroups", (int)pid);
        if (rl_write_file(path, "deny", 4, err) < 0)
            return rl_error_wrap(err, "write gid map");
    }
    if (gid_direct && write_map_direct(pid, "gid_map", gids, n_gids, err) < 0)
        return rl_error_wrap(err, "write gid map");
    if (uid_direct && write_map_direct(pid, "uid_map", uids, n_uids, err) < 0)
        return rl_error_wrap(err, "write uid map");
    /* Each helper is a setuid program that takes about 2 ms to start: run both at once. */
    if (!gid_direct && start_helper(&hg, NEWGIDMAP_PATH, pid, gids, n_gids, err) < 0)
        return rl_error_wrap(err, "map gids");
    if (!uid_direct && start_helper(&hu, NEWUIDMAP_PATH, pid, uids, n_uids, err) < 0) {
        ret = rl_error_wrap(err, "map uids");
        if (hg.pid > 0 && finish_helper(&hg, &tmp) < 0)
            rl_error_release(&tmp);
        return ret;
    }
    if (hg.pid > 0 && finish_helper(&hg, err) < 0)
        ret = rl_error_wrap(err, "map gids");
    if (hu.pid > 0 && finish_helper(&hu, ret < 0 ? &tmp : err) < 0 && ret == 0)
        ret = rl_error_wrap(err, "map uids");
    return ret;
}

static bool
helper_usable(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && (st.st_mode & S_ISUID || access(path, X_OK) == 0);
}

int
rl_idmap_caller(struct rl_idmap_range **ret_uids, size_t *ret_n_uids,
                struct rl_idmap_range **ret_gids, size_t *ret_n_gids, bool *ret_single,
                rl_error_t *err)
{
    cleanup_free struct rl_subid_range *subu = NULL, *subg = NULL;
    uid_t uid = geteuid();
    gid_t gid = getegid();
    struct passwd *pw = getpwuid(uid);
    const char *name = pw ? pw->pw_name : NULL;
    size_t nu = 0, ng = 0;

    if (uid == 0) {
        /* Real root: the identity map of the first 2^32-1 ids. */
        *ret_uids = xzalloc(sizeof(**ret_uids));
        *ret_gids = xzalloc(sizeof(**ret_gids));
        **ret_uids = (struct rl_idmap_range){ 0, 0, UINT32_MAX };
        **ret_gids = (struct rl_idmap_range){ 0, 0, UINT32_MAX };
        *ret_n_uids = *ret_n_gids = 1;
        if (ret_single)
            *ret_single = false;
        return 0;
    }
    if (rl_subid_read("/etc/subuid", name, uid, &subu, &nu, err) < 0
        || rl_subid_read("/etc/subgid", name, uid, &subg, &ng, err) < 0)
        return -1;
    if (nu == 0 || ng == 0 || !helper_usable(NEWUIDMAP_PATH) || !helper_usable(NEWGIDMAP_PATH)) {
        if (nu == 0 || ng == 0)
            rl_warning("no subordinate ids for '%s' in /etc/subuid and /etc/subgid: mapping only "
                       "your own id (fix: sudo usermod --add-subuids 100000-165535 "
                       "--add-subgids 100000-165535 %s)",
                       name ? name : "you", name ? name : "$USER");
        else
            rl_warning("newuidmap/newgidmap not found: mapping only your own id (fix: sudo "
                       "apt-get install uidmap)");
        nu = ng = 0;
    }
    rl_idmap_default(uid, subu, nu, ret_uids, ret_n_uids);
    rl_idmap_default(gid, subg, ng, ret_gids, ret_n_gids);
    if (ret_single)
        *ret_single = nu == 0;
    return 0;
}

int
rl_userns_join_owner(int nsfd, const char *what, rl_error_t *err)
{
    cleanup_close int userns = ioctl(nsfd, NS_GET_USERNS);
    cleanup_close int self = -1;
    struct stat a, b;
    uid_t owner = (uid_t)-1;

    if (userns < 0)
        return rl_make_error(err, errno, "%s: its user namespace", what);
    self = open("/proc/self/ns/user", O_RDONLY | O_CLOEXEC);
    if (self >= 0 && fstat(self, &a) == 0 && fstat(userns, &b) == 0 && a.st_ino == b.st_ino
        && a.st_dev == b.st_dev) {
        if (geteuid() == 0)
            return 0; /* real root, or there already */
        return rl_make_error(err, EPERM,
                             "%s: it belongs to the host's user namespace, which a rootless "
                             "container cannot join",
                             what);
    }
    if (ioctl(userns, NS_GET_OWNER_UID, &owner) < 0)
        return rl_make_error(err, errno, "%s: the owner of its user namespace", what);
    if (owner != getuid())
        return rl_make_error(err, EPERM, "%s: it belongs to another user (uid %u)", what,
                             (unsigned)owner);
    if (setns(userns, CLONE_NEWUSER) < 0)
        return rl_make_error(err, errno,
                             "%s: enter its user namespace (a namespace created inside another "
                             "container cannot be joined)",
                             what);
    if (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0)
        return rl_make_error(err, errno, "%s: become root in its user namespace", what);
    return 0;
}

int
rl_userns_enter(bool *ret_single, rl_error_t *err)
{
    cleanup_free struct rl_idmap_range *uids = NULL, *gids = NULL;
    cleanup_close int sock0 = -1, sock1 = -1;
    size_t n_uids = 0, n_gids = 0;
    pid_t parent = getpid(), child;
    int sv[2], status, ret = 0;
    char c = 0;

    if (ret_single)
        *ret_single = false;
    if (geteuid() == 0)
        return 0;
    if (rl_idmap_caller(&uids, &n_uids, &gids, &n_gids, ret_single, err) < 0)
        return -1;
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
        return rl_make_error(err, errno, "socketpair");
    sock0 = sv[0];
    sock1 = sv[1];
    /* The maps are written from outside the new namespace: by a child that stays behind, as
     * the setuid helpers cannot work from inside a namespace that maps no one yet. */
    child = fork();
    if (child < 0)
        return rl_make_error(err, errno, "fork");
    if (child == 0) {
        rl_error_t cerr = NULL;
        close(sock0);
        if (TEMP_FAILURE_RETRY(read(sock1, &c, 1)) != 1)
            _exit(1);
        if (rl_idmap_write(parent, uids, n_uids, gids, n_gids, &cerr) < 0) {
            rl_error_send(sock1, &cerr);
            _exit(1);
        }
        _exit(TEMP_FAILURE_RETRY(write(sock1, "k", 1)) == 1 ? 0 : 1);
    }
    close(steal_fd(&sock1));
    if (unshare(CLONE_NEWUSER) < 0) {
        ret = rl_make_error(err, errno, "create a user namespace");
    } else if (TEMP_FAILURE_RETRY(write(sock0, "g", 1)) != 1) {
        ret = rl_make_error(err, errno, "start the id map helper");
    } else {
        char buf[2];
        ssize_t n = TEMP_FAILURE_RETRY(recv(sock0, buf, sizeof(buf), MSG_PEEK));
        if (n == 1 && buf[0] == 'k')
            ret = 0;
        else if (n > 0 && rl_error_recv(sock0, err) < 0)
            ret = -1;
        else
            ret = rl_make_error(err, 0, "the id map helper failed");
    }
    if (ret < 0)
        close(steal_fd(&sock0)); /* lets the child's read end */
    while (waitpid(child, &status, 0) < 0 && errno == EINTR)
        ;
    if (ret < 0)
        return rl_error_wrap(err, "enter a user namespace");
    if (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0)
        return rl_make_error(err, errno, "enter a user namespace: become root in it");
    return 0;
}
