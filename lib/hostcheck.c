#include "config.h"

#include <endian.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <sched.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <sys/xattr.h>

#include "fs.h"
#include "hostcheck.h"
#include "idmap.h"
#include "log.h"

#define RECOMMENDED_SUBIDS 65536u
#define SMALL_FILE_MAX     (64u << 10)
#define MOUNTINFO_MAX      (16u << 20)
#define SUBID_FILE_MAX     (16u << 20)
#define MOUNTINFO_FIELDS   64
#define CAP_SETGID_BIT     6
#define CAP_SETUID_BIT     7

/* The one command that moves a hybrid or v1-only host to cgroup v2 on Debian and Ubuntu. */
#define FIX_UNIFIED_CGROUP                                                          \
    "sudo sed -i 's/^GRUB_CMDLINE_LINUX=\"/&systemd.unified_cgroup_hierarchy=1 /' " \
    "/etc/default/grub && sudo update-grub  # then reboot"
#define FIX_DELEGATE_CPU                                                                      \
    "sudo mkdir -p /etc/systemd/system/user@.service.d && printf '[Service]\\nDelegate=cpu "  \
    "cpuset io memory pids\\n' | sudo tee /etc/systemd/system/user@.service.d/delegate.conf " \
    "&& sudo systemctl daemon-reload"

/* What the checks learn on the way, beyond what struct rl_hostinfo shows. */
struct probe {
    struct rl_hostinfo *h;
    size_t cap_checks;
    const char *name; /* the user's login name, NULL when it has none */
    struct rl_subid_range *subuids, *subgids;
    size_t n_subuids, n_subgids;
    bool newuidmap_ok, newgidmap_ok;
    bool kernel_overlay;
    bool dev_fuse;
    char *fuse_overlayfs;
    struct rl_cgroup_mounts cg;
};

const char *
rl_check_status_name(enum rl_check_status s)
{
    switch (s) {
    case RL_CHECK_OK:
        return "ok";
    case RL_CHECK_WARNING:
        return "warning";
    case RL_CHECK_ERROR:
        return "error";
    }
    return "unknown";
}

enum rl_check_status
rl_hostcheck_worst(const struct rl_check *checks, size_t n)
{
    enum rl_check_status worst = RL_CHECK_OK;

    for (size_t i = 0; i < n; i++)
        if (checks[i].status > worst)
            worst = checks[i].status;
    return worst;
}

void
rl_hostcheck_free(struct rl_check *checks, size_t n)
{
    if (checks == NULL)
        return;
    for (size_t i = 0; i < n; i++) {
        free(checks[i].name);
        free(checks[i].message);
        free(checks[i].fix);
    }
    free(checks);
}

json_t *
rl_hostcheck_to_json(const struct rl_check *checks, size_t n)
{
    json_t *arr = json_array();

    for (size_t i = 0; i < n; i++) {
        json_t *o = json_pack("{s:s, s:s, s:s, s:o}", "name", checks[i].name, "status",
                              rl_check_status_name(checks[i].status), "message",
                              checks[i].message ? checks[i].message : "", "fix",
                              checks[i].fix ? json_string(checks[i].fix) : json_null());
        if (o == NULL || json_array_append_new(arr, o) < 0)
            abort();
    }
    return arr;
}

/* Append a check; FIX (may be NULL) is taken over. */
static void RL_PRINTF(5, 6) add_check(struct probe *p, const char *name,
                                      enum rl_check_status status, char *fix, const char *fmt, ...)
{
    struct rl_hostinfo *h = p->h;
    struct rl_check *c;
    va_list ap;

    if (h->n_checks == p->cap_checks) {
        p->cap_checks = p->cap_checks ? p->cap_checks * 2 : 16;
        h->checks = xrealloc(h->checks, p->cap_checks * sizeof(*h->checks));
    }
    c = &h->checks[h->n_checks++];
    c->name = xstrdup(name);
    c->status = status;
    c->fix = fix;
    va_start(ap, fmt);
    if (vasprintf(&c->message, fmt, ap) < 0)
        abort();
    va_end(ap);
}

/* Helpers over small /proc files. */

static void
trim_end(char *s)
{
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == ' ' || s[n - 1] == '\t'))
        s[--n] = '\0';
}

/* The whole file, or NULL when it cannot be read; *ret_errno says why. */
static char *
read_text(const char *path, size_t max, int *ret_errno)
{
    cleanup_error rl_error_t tmp = NULL;
    char *text = NULL;

    if (rl_read_file(path, max, &text, NULL, &tmp) < 0) {
        if (ret_errno)
            *ret_errno = tmp->status;
        rl_debug("hostcheck: %s: %s", path, tmp->msg);
        return NULL;
    }
    return text;
}

/* A sysctl below /proc/sys ("kernel/unprivileged_userns_clone"), trimmed; NULL if absent. */
static char *
read_sysctl(const char *name)
{
    cleanup_free char *path = xasprintf("/proc/sys/%s", name);
    char *text = read_text(path, SMALL_FILE_MAX, NULL);

    if (text)
        trim_end(text);
    return text;
}

static bool
read_sysctl_ll(const char *name, long long *ret)
{
    cleanup_free char *text = read_sysctl(name);
    return text && rl_parse_ll(text, LLONG_MIN, LLONG_MAX, ret);
}

/* The first executable NAME in $PATH, then in /usr/bin and /usr/sbin; NULL if none. */
static char *
find_program(const char *name)
{
    const char *env = getenv("PATH");
    cleanup_free char *path =
        xasprintf("%s:/usr/bin:/usr/sbin", env && env[0] ? env : "/usr/local/bin:/bin");
    char *save = NULL;

    for (char *dir = strtok_r(path, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
        cleanup_free char *cand = NULL;
        struct stat st;

        if (dir[0] != '/')
            continue;
        cand = xasprintf("%s/%s", dir, name);
        if (stat(cand, &st) == 0 && S_ISREG(st.st_mode) && access(cand, X_OK) == 0)
            return steal_pointer(&cand);
    }
    return NULL;
}

/* Parsers. */

/* Undo the octal escapes of /proc/PID/mountinfo (\040 space, \011 tab, \012 newline, \134
 * backslash). */
static char *
unescape_octal(const char *s)
{
    char *out = xmalloc(strlen(s) + 1), *o = out;

    while (*s) {
        if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' && s[3] >= '0'
            && s[3] <= '7') {
            *o++ = (char)(((s[1] - '0') << 6) | ((s[2] - '0') << 3) | (s[3] - '0'));
            s += 4;
        } else {
            *o++ = *s++;
        }
    }
    *o = '\0';
    return out;
}

void
rl_mountinfo_release(struct rl_mountinfo *m)
{
    free(m->root);
    free(m->mount_point);
    free(m->fstype);
    free(m->source);
    free(m->super_options);
    memset(m, 0, sizeof(*m));
}

/* "36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue": six
 * fixed fields, optional fields up to "-", then type, source and super options. */
int
rl_mountinfo_parse_line(const char *line, struct rl_mountinfo *ret, rl_error_t *err)
{
    cleanup_free char *copy = xstrdup(line);
    char *fields[MOUNTINFO_FIELDS], *save = NULL;
    size_t n = 0, sep = 0;

    trim_end(copy);
    for (char *f = strtok_r(copy, " ", &save); f; f = strtok_r(NULL, " ", &save)) {
        if (n == MOUNTINFO_FIELDS)
            return rl_make_error(err, EINVAL, "mountinfo line has too many fields");
        fields[n++] = f;
    }
    for (size_t i = 6; i < n; i++) {
        if (strcmp(fields[i], "-") == 0) {
            sep = i;
            break;
        }
    }
    if (sep == 0 || sep + 2 >= n)
        return rl_make_error(err, EINVAL, "malformed mountinfo line '%s'", line);
    ret->root = unescape_octal(fields[3]);
    ret->mount_point = unescape_octal(fields[4]);
    ret->fstype = unescape_octal(fields[sep + 1]);
    ret->source = unescape_octal(fields[sep + 2]);
    ret->super_options = xstrdup(sep + 3 < n ? fields[sep + 3] : "");
    return 0;
}

void
rl_cgroup_mounts_release(struct rl_cgroup_mounts *m)
{
    free(m->v2_mount_point);
    free(m->v2_root);
    memset(m, 0, sizeof(*m));
}

int
rl_hostcheck_parse_cgroup_mounts(const char *mountinfo, struct rl_cgroup_mounts *ret,
                                 rl_error_t *err)
{
    cleanup_free char *copy = xstrdup(mountinfo);
    struct rl_cgroup_mounts out = { 0 };
    char *save = NULL;
    unsigned lineno = 0;

    for (char *l = strtok_r(copy, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
        struct rl_mountinfo m = { 0 };

        lineno++;
        if (rl_mountinfo_parse_line(l, &m, err) < 0) {
            rl_cgroup_mounts_release(&out);
            return rl_error_wrap(err, "mountinfo line %u", lineno);
        }
        if (strcmp(m.fstype, "cgroup2") == 0 && out.v2_mount_point == NULL) {
            out.v2_mount_point = steal_pointer(&m.mount_point);
            out.v2_root = steal_pointer(&m.root);
        } else if (strcmp(m.fstype, "cgroup") == 0) {
            out.v1 = true;
        }
        rl_mountinfo_release(&m);
    }
    *ret = out;
    return 0;
}

const char *
rl_cgroup_mounts_mode(const struct rl_cgroup_mounts *m)
{
    if (m->v2_mount_point)
        return m->v1 ? "hybrid" : "unified";
    return m->v1 ? "legacy" : "none";
}

int
rl_hostcheck_parse_proc_cgroup(const char *text, char **ret)
{
    const char *l = text;

    while (l && *l) {
        const char *end = strchrnul(l, '\n');
        if (rl_str_has_prefix(l, "0::")) {
            *ret = xstrndup(l + 3, (size_t)(end - l - 3));
            return 1;
        }
        l = *end ? end + 1 : end;
    }
    return 0;
}

char *
rl_hostcheck_cgroup_dir(const char *mount_point, const char *root, const char *path)
{
    size_t rlen = strlen(root);
    const char *rest;

    while (rlen > 0 && root[rlen - 1] == '/')
        rlen--;
    if (strncmp(path, root, rlen) != 0 || (path[rlen] != '\0' && path[rlen] != '/'))
        return NULL;
    rest = path + rlen;
    while (*rest == '/')
        rest++;
    if (*rest == '\0')
        return xstrdup(mount_point);
    return xasprintf("%s/%s", mount_point, rest);
}

int
rl_hostcheck_parse_ping_range(const char *text, uint32_t *ret_min, uint32_t *ret_max,
                              rl_error_t *err)
{
    cleanup_free char *copy = xstrdup(text);
    char *save = NULL, *a, *b;
    long long lo, hi;

    a = strtok_r(copy, " \t\n", &save);
    b = a ? strtok_r(NULL, " \t\n", &save) : NULL;
    if (a == NULL || b == NULL || strtok_r(NULL, " \t\n", &save) != NULL
        || !rl_parse_ll(a, 0, UINT32_MAX, &lo) || !rl_parse_ll(b, 0, UINT32_MAX, &hi))
        return rl_make_error(err, EINVAL, "malformed ping_group_range '%s'", text);
    *ret_min = (uint32_t)lo;
    *ret_max = (uint32_t)hi;
    return 0;
}

int
rl_hostcheck_parse_kernel_version(const char *release, unsigned *ret_major, unsigned *ret_minor)
{
    unsigned long major, minor;
    char *end;

    if (release[0] < '0' || release[0] > '9')
        return -1;
    errno = 0;
    major = strtoul(release, &end, 10);
    if (errno || *end != '.' || end[1] < '0' || end[1] > '9' || major > UINT_MAX)
        return -1;
    minor = strtoul(end + 1, &end, 10);
    if (errno || minor > UINT_MAX)
        return -1;
    *ret_major = (unsigned)major;
    *ret_minor = (unsigned)minor;
    return 0;
}

/* struct vfs_cap_data (linux/capability.h): le32 magic_etc, then {permitted, inheritable}
 * pairs of le32, one pair for revision 1, two for revisions 2 and 3 (which adds rootid). */
bool
rl_hostcheck_filecap_has(const void *value, size_t len, unsigned cap)
{
    const unsigned char *b = value;
    uint32_t magic, permitted;
    size_t pairs, want;

    if (len < 4)
        return false;
    memcpy(&magic, b, 4);
    magic = le32toh(magic);
    switch (magic & 0xFF000000u) {
    case 0x01000000u:
        pairs = 1;
        want = 4 + 8;
        break;
    case 0x02000000u:
        pairs = 2;
        want = 4 + 16;
        break;
    case 0x03000000u:
        pairs = 2;
        want = 4 + 16 + 4;
        break;
    default:
        return false;
    }
    if (len < want || cap / 32 >= pairs)
        return false;
    memcpy(&permitted, b + 4 + 8 * (cap / 32), 4);
    return (le32toh(permitted) >> (cap % 32)) & 1u;
}

/* Checks. */

static char *
ranges_text(const struct rl_subid_range *r, size_t n)
{
    char *out = xstrdup("");

    for (size_t i = 0; i < n; i++) {
        char *next = xasprintf("%s%s%u:%u", out, i ? ", " : "", r[i].start, r[i].count);
        free(out);
        out = next;
    }
    return out;
}

/* "--del-subuids 1000-1999 --del-subuids ..." for every range, to replace them. */
static char *
del_ranges_args(const char *kind, const struct rl_subid_range *r, size_t n)
{
    char *out = xstrdup("");

    for (size_t i = 0; i < n; i++) {
        char *next = xasprintf("%s--del-sub%ss %u-%u ", out, kind, r[i].start,
                               (unsigned)(r[i].start + r[i].count - 1));
        free(out);
        out = next;
    }
    return out;
}

int
rl_hostcheck_subid(const char *what, const char *text, const char *name, uid_t id,
                   struct rl_check *ret, rl_error_t *err)
{
    cleanup_free struct rl_subid_range *r = NULL;
    cleanup_free char *list = NULL, *who = NULL;
    const char *kind = strstr(what, "gid") ? "gid" : "uid";
    struct rl_check c = { 0 };
    unsigned long long total = 0;
    size_t n = 0, own = SIZE_MAX;

    if (text && rl_subid_parse(text, name, id, &r, &n, err) < 0)
        return rl_error_wrap(err, "/etc/%s", what);
    who = name ? xstrdup(name) : xasprintf("%u", (unsigned)id);
    for (size_t i = 0; i < n; i++) {
        total += r[i].count;
        if (own == SIZE_MAX && id >= r[i].start && id - r[i].start < r[i].count)
            own = i;
    }
    list = ranges_text(r, n);
    c.name = xstrdup(what);
    if (n == 0 && id == 0) {
        c.message =
            xasprintf("none for root in /etc/%s: not needed, root writes id maps itself", what);
    } else if (n == 0) {
        c.status = RL_CHECK_WARNING;
        c.message = xasprintf("no ranges for %s in /etc/%s: rl will map only your own %s "
                              "(single-id mode)",
                              who, what, kind);
        c.fix = xasprintf("sudo usermod --add-subuids 100000-165535 --add-subgids 100000-165535 %s",
                          who);
    } else if (own != SIZE_MAX && id != 0) {
        cleanup_free char *del = del_ranges_args(kind, r, n);
        c.status = RL_CHECK_WARNING;
        c.message = xasprintf("%s for %s: the range %u:%u contains your own %s %u", list, who,
                              r[own].start, r[own].count, kind, (unsigned)id);
        c.fix = xasprintf("sudo usermod %s--add-sub%ss 100000-165535 %s", del, kind, who);
    } else if (total < RECOMMENDED_SUBIDS) {
        cleanup_free char *del = del_ranges_args(kind, r, n);
        c.status = RL_CHECK_WARNING;
        c.message = xasprintf("%s for %s: %llu id%s, %u recommended: images with higher ids "
                              "cannot be used",
                              list, who, total, total == 1 ? "" : "s", RECOMMENDED_SUBIDS);
        c.fix = xasprintf("sudo usermod %s--add-sub%ss 100000-165535 %s", del, kind, who);
    } else if (n > 1) {
        c.message = xasprintf("%s for %s (%llu ids)", list, who, total);
    } else {
        c.message = xasprintf("%s for %s", list, who);
    }
    *ret = c;
    return 0;
}

static void
check_subids(struct probe *p, const char *what, struct rl_subid_range **ret_r, size_t *ret_n)
{
    struct rl_hostinfo *h = p->h;
    cleanup_free char *path = xasprintf("/etc/%s", what);
    cleanup_free char *text = NULL;
    cleanup_error rl_error_t e = NULL;
    struct rl_check c;
    int errnum = 0;

    text = read_text(path, SUBID_FILE_MAX, &errnum);
    if (text == NULL && errnum != ENOENT) {
        add_check(p, what, RL_CHECK_WARNING, NULL, "cannot read %s: %s", path, strerror(errnum));
        return;
    }
    /* Both files name the user by login name or by uid (subgid(5)). */
    if (rl_hostcheck_subid(what, text, p->name, h->uid, &c, &e) < 0) {
        add_check(p, what, RL_CHECK_WARNING, NULL, "%s", e->msg);
        return;
    }
    if (text)
        (void)rl_subid_parse(text, p->name, h->uid, ret_r, ret_n, &e);
    add_check(p, c.name, c.status, c.fix, "%s", c.message);
    free(c.name);
    free(c.message);
}

/* newuidmap and newgidmap: present where rl runs them (NEWUIDMAP_PATH), and able to act
 * (setuid root, or the capability in their file capabilities, on a mount without nosuid). */
static bool
check_idmap_helper(struct probe *p, const char *name, const char *built_path, unsigned cap,
                   char **ret_path)
{
    struct rl_hostinfo *h = p->h;
    bool root = h->uid == 0;
    enum rl_check_status bad = root ? RL_CHECK_OK : RL_CHECK_WARNING;
    const char *note = root ? " (not needed as root)" : ": rl falls back to a single-id map";
    cleanup_free char *path = NULL;
    unsigned char caps[64];
    struct statvfs sv;
    struct stat st;
    ssize_t n;

    if (access(built_path, X_OK) == 0) {
        path = xstrdup(built_path);
    } else {
        path = find_program(name);
        if (path == NULL) {
            add_check(p, name, bad, xstrdup("sudo apt-get install uidmap"), "%s not found%s", name,
                      note);
            return false;
        }
        add_check(p, name, bad, xasprintf("sudo ln -s %s %s", path, built_path),
                  "rl runs %s, which is missing; %s exists%s", built_path, path, note);
        *ret_path = steal_pointer(&path);
        return false;
    }
    if (stat(path, &st) < 0) {
        add_check(p, name, bad, NULL, "stat %s: %s", path, strerror(errno));
        return false;
    }
    if (statvfs(path, &sv) == 0 && (sv.f_flag & ST_NOSUID)) {
        add_check(p, name, bad, NULL,
                  "%s is on a nosuid mount, which ignores setuid and file capabilities%s", path,
                  note);
        *ret_path = steal_pointer(&path);
        return false;
    }
    if (st.st_uid == 0 && (st.st_mode & S_ISUID)) {
        add_check(p, name, RL_CHECK_OK, NULL, "%s: setuid root", path);
        *ret_path = steal_pointer(&path);
        return true;
    }
    n = getxattr(path, "security.capability", caps, sizeof(caps));
    if (n > 0 && rl_hostcheck_filecap_has(caps, (size_t)n, cap)) {
        add_check(p, name, RL_CHECK_OK, NULL, "%s: file capability cap_set%cid", path,
                  cap == CAP_SETUID_BIT ? 'u' : 'g');
        *ret_path = steal_pointer(&path);
        return true;
    }
    add_check(p, name, bad, xasprintf("sudo chmod u+s %s", path),
              "%s is neither setuid root nor has the cap_set%cid file capability%s", path,
              cap == CAP_SETUID_BIT ? 'u' : 'g', note);
    *ret_path = steal_pointer(&path);
    return false;
}

/* Run FN in a forked child, so that the namespaces it enters and what it mounts there die
 * with it. Its error comes back over a socket. */
static int
run_probe(int (*fn)(void *arg, rl_error_t *err), void *arg, rl_error_t *err)
{
    cleanup_close int parent_fd = -1;
    int sv[2], status;
    pid_t pid;

    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
        return rl_make_error(err, errno, "socketpair");
    parent_fd = sv[0];
    pid = fork();
    if (pid < 0) {
        (void)close(sv[1]);
        return rl_make_error(err, errno, "fork");
    }
    if (pid == 0) {
        rl_error_t child_err = NULL;

        (void)close(sv[0]);
        if (fn(arg, &child_err) < 0) {
            (void)rl_error_send(sv[1], &child_err);
            _exit(1);
        }
        _exit(0);
    }
    (void)close(sv[1]);
    if (TEMP_FAILURE_RETRY(waitpid(pid, &status, 0)) < 0)
        return rl_make_error(err, errno, "waitpid");
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return 0;
    if (WIFSIGNALED(status))
        return rl_make_error(err, 0, "probe killed by signal %d", WTERMSIG(status));
    return rl_error_recv(parent_fd, err);
}

/* In the child: a new user namespace where our own uid and gid are root, then a mount
 * namespace, which needs that root's capabilities: AppArmor's userns restriction lets the
 * first unshare through and denies the second. */
static int
enter_namespaces(rl_error_t *err)
{
    char map[64];
    uid_t uid = geteuid();
    gid_t gid = getegid();
    cleanup_error rl_error_t tmp = NULL;

    if (unshare(CLONE_NEWUSER) < 0)
        return rl_make_error(err, errno, "unshare(CLONE_NEWUSER)");
    if (rl_write_file("/proc/self/setgroups", "deny", 4, &tmp) < 0 && tmp->status != ENOENT)
        return rl_make_error(err, tmp->status, "write /proc/self/setgroups");
    snprintf(map, sizeof(map), "0 %u 1\n", (unsigned)uid);
    if (rl_write_file("/proc/self/uid_map", map, strlen(map), err) < 0)
        return rl_error_wrap(err, "map own uid");
    snprintf(map, sizeof(map), "0 %u 1\n", (unsigned)gid);
    if (rl_write_file("/proc/self/gid_map", map, strlen(map), err) < 0)
        return rl_error_wrap(err, "map own gid");
    if (unshare(CLONE_NEWNS) < 0)
        return rl_make_error(err, errno, "unshare(CLONE_NEWNS) in the new user namespace");
    /* Nothing mounted from here on may propagate back to the host's mount namespace. */
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
        return rl_make_error(err, errno, "make / private in the new mount namespace");
    return 0;
}

static int
probe_userns(void *arg RL_UNUSED, rl_error_t *err)
{
    return enter_namespaces(err);
}

/* Mount a kernel overlay as rl does (userxattr, Linux 5.11), on a tmpfs that hides /tmp in
 * the child's mount namespace only, then write and delete through it. */
static int
probe_overlay(void *arg RL_UNUSED, rl_error_t *err)
{
    static const char *const dirs[] = { "/tmp/l", "/tmp/u", "/tmp/w", "/tmp/m" };
    cleanup_close int fd = -1;

    if (enter_namespaces(err) < 0)
        return -1;
    if (mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755,size=4m") < 0)
        return rl_make_error(err, errno, "mount tmpfs on /tmp in the probe's namespace");
    for (size_t i = 0; i < RL_ARRAY_SIZE(dirs); i++)
        if (mkdir(dirs[i], 0755) < 0)
            return rl_make_error(err, errno, "mkdir '%s'", dirs[i]);
    fd = open("/tmp/l/old", O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0)
        return rl_make_error(err, errno, "create '/tmp/l/old'");
    if (mount("overlay", "/tmp/m", "overlay", 0,
              "lowerdir=/tmp/l,upperdir=/tmp/u,workdir=/tmp/w,userxattr")
        < 0)
        return rl_make_error(err, errno, "mount overlay with userxattr");
    (void)close(steal_fd(&fd));
    fd = open("/tmp/m/new", O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0)
        return rl_make_error(err, errno, "create a file in the overlay");
    if (unlink("/tmp/m/old") < 0)
        return rl_make_error(err, errno, "delete a lower file in the overlay (whiteout)");
    return 0;
}

static void
check_userns(struct probe *p)
{
    struct rl_hostinfo *h = p->h;
    cleanup_error rl_error_t e = NULL;
    cleanup_free char *msg = NULL;
    long long clone = -1, max = -1, apparmor = -1;
    char *fix = NULL;

    (void)read_sysctl_ll("kernel/unprivileged_userns_clone", &clone);
    (void)read_sysctl_ll("user/max_user_namespaces", &max);
    (void)read_sysctl_ll("kernel/apparmor_restrict_unprivileged_userns", &apparmor);
    if (run_probe(probe_userns, NULL, &e) == 0) {
        cleanup_free char *limit =
            max >= 0 ? xasprintf(" (user.max_user_namespaces=%lld)", max) : xstrdup("");
        h->userns = true;
        add_check(p, "userns", RL_CHECK_OK, NULL, "user namespaces work%s%s", limit,
                  apparmor == 1 ? "; AppArmor restricts them, but not for rl" : "");
        return;
    }
    msg = rl_error_format(e);
    if (clone == 0) {
        fix = xstrdup("sudo sysctl -w kernel.unprivileged_userns_clone=1");
        add_check(p, "userns", RL_CHECK_ERROR, fix, "%s: kernel.unprivileged_userns_clone=0", msg);
    } else if (max == 0) {
        fix = xstrdup("sudo sysctl -w user.max_user_namespaces=28633");
        add_check(p, "userns", RL_CHECK_ERROR, fix, "%s: user.max_user_namespaces=0", msg);
    } else if (apparmor == 1) {
        fix = xstrdup("sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0");
        add_check(p, "userns", RL_CHECK_ERROR, fix,
                  "%s: kernel.apparmor_restrict_unprivileged_userns=1 (or install an AppArmor "
                  "profile for rl that allows userns)",
                  msg);
    } else {
        add_check(p, "userns", RL_CHECK_ERROR, NULL,
                  "%s: user namespaces are blocked (seccomp or a security module; inside a "
                  "container, allow unshare and mount)",
                  msg);
    }
}

int
rl_hostcheck_kernel_overlay(rl_error_t *err)
{
    return run_probe(probe_overlay, NULL, err);
}

static void
check_overlay(struct probe *p)
{
    struct rl_hostinfo *h = p->h;
    cleanup_error rl_error_t e = NULL;
    cleanup_free char *msg = NULL, *fuse = NULL;
    unsigned major = 0, minor = 0;
    bool new_enough;

    new_enough = rl_hostcheck_parse_kernel_version(h->kernel_release, &major, &minor) == 0
                 && (major > 5 || (major == 5 && minor >= 11));
    if (!h->userns) {
        add_check(p, "overlay", RL_CHECK_WARNING, NULL,
                  "not tried: user namespaces do not work (see userns)");
        return;
    }
    if (run_probe(probe_overlay, NULL, &e) == 0) {
        p->kernel_overlay = true;
        add_check(p, "overlay", RL_CHECK_OK, NULL,
                  "kernel overlay mounts in a user namespace (userxattr, Linux %u.%u)", major,
                  minor);
        return;
    }
    msg = rl_error_format(e);
    fuse = find_program("fuse-overlayfs");
    add_check(p, "overlay", RL_CHECK_WARNING,
              fuse ? NULL : xstrdup("sudo apt-get install fuse-overlayfs"),
              "%s%s: rl uses %s instead", msg, new_enough ? "" : " (Linux 5.11 or later is needed)",
              fuse ? "fuse-overlayfs" : "fuse-overlayfs, once installed, or copies layers");
}

static void
check_dev_fuse(struct probe *p)
{
    cleanup_close int fd = open("/dev/fuse", O_RDWR | O_CLOEXEC);

    if (fd >= 0) {
        p->dev_fuse = true;
        add_check(p, "dev-fuse", RL_CHECK_OK, NULL, "/dev/fuse can be opened");
    } else if (errno == ENOENT) {
        add_check(p, "dev-fuse", RL_CHECK_WARNING, xstrdup("sudo modprobe fuse"),
                  "/dev/fuse: %s: fuse-overlayfs cannot be used", strerror(errno));
    } else {
        add_check(p, "dev-fuse", RL_CHECK_WARNING, xstrdup("sudo chmod 0666 /dev/fuse"),
                  "/dev/fuse: %s: fuse-overlayfs cannot be used", strerror(errno));
    }
}

static void
check_fuse_overlayfs(struct probe *p)
{
    p->fuse_overlayfs = find_program("fuse-overlayfs");
    if (p->fuse_overlayfs)
        add_check(p, "fuse-overlayfs", RL_CHECK_OK, NULL, "%s", p->fuse_overlayfs);
    else
        add_check(p, "fuse-overlayfs", RL_CHECK_WARNING,
                  xstrdup("sudo apt-get install fuse-overlayfs"),
                  "not found in PATH: no fallback when kernel overlay cannot be used, and no "
                  "id-shifting without a copy");
}

static void
check_dev_tun(struct probe *p)
{
    cleanup_close int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);

    if (fd >= 0)
        add_check(p, "dev-tun", RL_CHECK_OK, NULL, "/dev/net/tun can be opened");
    else if (errno == ENOENT)
        add_check(p, "dev-tun", RL_CHECK_WARNING, xstrdup("sudo modprobe tun"),
                  "/dev/net/tun: %s: containers get no user-mode network", strerror(errno));
    else
        add_check(p, "dev-tun", RL_CHECK_WARNING, xstrdup("sudo chmod 0666 /dev/net/tun"),
                  "/dev/net/tun: %s: containers get no user-mode network", strerror(errno));
}

/* Mirrors rl_state_root(): $XDG_RUNTIME_DIR when it is a directory owned by the user and not
 * writable by others; otherwise /run/rl for root, or /tmp/rl-UID, which must be private. It
 * creates nothing. */
static bool
private_dir(const char *path, uid_t uid)
{
    struct stat st;

    return lstat(path, &st) == 0 && S_ISDIR(st.st_mode) && st.st_uid == uid
           && (st.st_mode & 0022) == 0;
}

static void
check_runtime_dir(struct probe *p)
{
    struct rl_hostinfo *h = p->h;
    const char *xdg = getenv("XDG_RUNTIME_DIR");
    cleanup_free char *why = NULL, *fix = NULL, *fallback = NULL, *login_dir = NULL;
    struct stat st;

    if (xdg == NULL || xdg[0] == '\0') {
        why = xstrdup("XDG_RUNTIME_DIR is not set");
    } else if (xdg[0] != '/') {
        why = xasprintf("XDG_RUNTIME_DIR=%s is not an absolute path", xdg);
    } else if (lstat(xdg, &st) < 0) {
        why = xasprintf("XDG_RUNTIME_DIR=%s: %s", xdg, strerror(errno));
    } else if (!S_ISDIR(st.st_mode)) {
        why = xasprintf("XDG_RUNTIME_DIR=%s is not a directory", xdg);
    } else if (st.st_uid != h->uid) {
        why = xasprintf("XDG_RUNTIME_DIR=%s is owned by uid %u, not by %s", xdg,
                        (unsigned)st.st_uid, h->user);
    } else if (st.st_mode & 0022) {
        why = xasprintf("XDG_RUNTIME_DIR=%s has mode %04o: others can write to it", xdg,
                        (unsigned)(st.st_mode & 07777));
        fix = xasprintf("chmod 0700 %s", xdg);
    } else {
        h->runtime_dir = xasprintf("%s/rl", xdg);
        if (st.st_mode & 0077)
            add_check(p, "runtime-dir", RL_CHECK_WARNING, xasprintf("chmod 0700 %s", xdg),
                      "XDG_RUNTIME_DIR=%s has mode %04o, expected 0700: others can read rl's "
                      "state in %s",
                      xdg, (unsigned)(st.st_mode & 07777), h->runtime_dir);
        else
            add_check(p, "runtime-dir", RL_CHECK_OK, NULL, "%s (XDG_RUNTIME_DIR)", h->runtime_dir);
        return;
    }

    h->runtime_dir_fallback = true;
    if (h->uid == 0) {
        h->runtime_dir = xstrdup("/run/rl");
        if (xdg == NULL || xdg[0] == '\0')
            add_check(p, "runtime-dir", RL_CHECK_OK, NULL, "/run/rl (root)");
        else
            add_check(p, "runtime-dir", RL_CHECK_WARNING, xstrdup("unset XDG_RUNTIME_DIR"),
                      "%s: rl uses /run/rl", why);
        return;
    }
    fallback = xasprintf("/tmp/rl-%u", (unsigned)h->uid);
    h->runtime_dir = xstrdup(fallback);
    if (lstat(fallback, &st) == 0 && !private_dir(fallback, h->uid)) {
        char *rm = S_ISDIR(st.st_mode) && st.st_uid == h->uid
                       ? xasprintf("chmod 0700 %s", fallback)
                       : xasprintf("sudo rm -rf %s", fallback);
        add_check(p, "runtime-dir", RL_CHECK_ERROR, rm,
                  "%s, and the fallback %s is not a private directory owned by %s: rl cannot "
                  "keep its state",
                  why, fallback, h->user);
        return;
    }
    /* logind's directory for the user, when it exists, is the usual cure after su or sudo. */
    login_dir = xasprintf("/run/user/%u", (unsigned)h->uid);
    if (fix == NULL && private_dir(login_dir, h->uid))
        fix = xasprintf("export XDG_RUNTIME_DIR=%s", login_dir);
    else if (fix == NULL)
        fix = xasprintf("sudo loginctl enable-linger %s && export XDG_RUNTIME_DIR=%s", h->user,
                        login_dir);
    add_check(p, "runtime-dir", RL_CHECK_WARNING, steal_pointer(&fix),
              "%s: rl falls back to the private directory %s", why, fallback);
}

static void
check_cgroup2(struct probe *p)
{
    struct rl_hostinfo *h = p->h;
    const char *mode = h->cgroup_mode;

    if (strcmp(mode, "unified") == 0 && h->cgroup_path)
        add_check(p, "cgroup2", RL_CHECK_OK, NULL, "cgroup v2 at %s, cgroup %s", h->cgroup_mount,
                  h->cgroup_path);
    else if (strcmp(mode, "unified") == 0 || strcmp(mode, "hybrid") == 0)
        add_check(p, "cgroup2", RL_CHECK_WARNING, xstrdup(FIX_UNIFIED_CGROUP),
                  "hybrid: cgroup v2 at %s%s, beside cgroup v1 hierarchies that hold the "
                  "controllers: resource limits will be refused",
                  h->cgroup_mount, h->cgroup_path ? "" : " (this process is not in it)");
    else if (strcmp(mode, "legacy") == 0)
        add_check(p, "cgroup2", RL_CHECK_WARNING, xstrdup(FIX_UNIFIED_CGROUP),
                  "cgroup v1 only: rl uses cgroup v2, resource limits will be refused");
    else
        add_check(p, "cgroup2", RL_CHECK_WARNING,
                  xstrdup("sudo mount -t cgroup2 none /sys/fs/cgroup"),
                  "no cgroup filesystem is mounted: resource limits will be refused");
}

static bool
has_word(const char *list, const char *word)
{
    size_t n = strlen(word);

    for (const char *s = list; s && (s = strstr(s, word)) != NULL; s += n)
        if ((s == list || s[-1] == ' ') && (s[n] == '\0' || s[n] == ' '))
            return true;
    return false;
}

static const char *
controllers_text(const struct rl_hostinfo *h)
{
    return h->cgroup_controllers && h->cgroup_controllers[0] ? h->cgroup_controllers : "none";
}

/* Delegated: the user may create child cgroups and move processes (the directory,
 * cgroup.procs and cgroup.subtree_control are writable). Only access(2): never a write. */
static void
check_cgroup_delegation(struct probe *p)
{
    static const char *const wanted[] = { "cpu", "memory", "pids" };
    struct rl_hostinfo *h = p->h;
    cleanup_free char *procs = NULL, *subtree = NULL, *ctl = NULL, *missing = xstrdup("");
    bool unified = strcmp(h->cgroup_mode, "unified") == 0;

    if (h->cgroup_dir == NULL) {
        add_check(p, "cgroup-delegation", RL_CHECK_WARNING, NULL,
                  "no cgroup v2 directory for this process: resource limits will be refused");
        return;
    }
    procs = xasprintf("%s/cgroup.procs", h->cgroup_dir);
    subtree = xasprintf("%s/cgroup.subtree_control", h->cgroup_dir);
    h->cgroup_delegated =
        access(h->cgroup_dir, W_OK) == 0 && access(procs, W_OK) == 0 && access(subtree, W_OK) == 0;
    ctl = xasprintf("%s/cgroup.controllers", h->cgroup_dir);
    h->cgroup_controllers = read_text(ctl, SMALL_FILE_MAX, NULL);
    if (h->cgroup_controllers)
        trim_end(h->cgroup_controllers);
    for (size_t i = 0; i < RL_ARRAY_SIZE(wanted); i++) {
        if (!has_word(h->cgroup_controllers, wanted[i])) {
            char *next = xasprintf("%s%s%s", missing, missing[0] ? ", " : "", wanted[i]);
            free(missing);
            missing = next;
        }
    }
    if (!unified) {
        add_check(p, "cgroup-delegation", RL_CHECK_WARNING, NULL,
                  "%s is %swritable by %s, controllers: %s: on a %s host the controllers stay "
                  "on cgroup v1 (see cgroup2)",
                  h->cgroup_dir, h->cgroup_delegated ? "" : "not ", h->user, controllers_text(h),
                  h->cgroup_mode);
        return;
    }
    if (!h->cgroup_delegated)
        add_check(p, "cgroup-delegation", RL_CHECK_WARNING,
                  xasprintf("sudo loginctl enable-linger %s, then run rl under 'systemd-run "
                            "--user --scope -p Delegate=yes'",
                            h->user),
                  "%s is not writable by %s (not delegated), controllers: %s: resource limits "
                  "will be refused",
                  h->cgroup_dir, h->user, controllers_text(h));
    else if (missing[0])
        add_check(p, "cgroup-delegation", RL_CHECK_WARNING, xstrdup(FIX_DELEGATE_CPU),
                  "%s is writable by %s, but lacks the controllers %s (has: %s): those limits "
                  "will be refused",
                  h->cgroup_dir, h->user, missing, controllers_text(h));
    else
        add_check(p, "cgroup-delegation", RL_CHECK_OK, NULL,
                  "%s is writable by %s (delegated), controllers: %s", h->cgroup_dir, h->user,
                  controllers_text(h));
}

static void
check_unprivileged_ports(struct probe *p)
{
    long long start;

    if (!read_sysctl_ll("net/ipv4/ip_unprivileged_port_start", &start)) {
        add_check(p, "unprivileged-ports", p->h->uid == 0 ? RL_CHECK_OK : RL_CHECK_WARNING, NULL,
                  "net.ipv4.ip_unprivileged_port_start cannot be read");
        return;
    }
    if (p->h->uid == 0)
        add_check(p, "unprivileged-ports", RL_CHECK_OK, NULL,
                  "root may publish any port (net.ipv4.ip_unprivileged_port_start=%lld)", start);
    else if (start > 1024)
        add_check(p, "unprivileged-ports", RL_CHECK_WARNING,
                  xstrdup("sudo sysctl -w net.ipv4.ip_unprivileged_port_start=80"),
                  "net.ipv4.ip_unprivileged_port_start=%lld: only ports %lld and up can be "
                  "published",
                  start, start);
    else if (start > 0)
        add_check(p, "unprivileged-ports", RL_CHECK_OK,
                  xstrdup("sudo sysctl -w net.ipv4.ip_unprivileged_port_start=80"),
                  "net.ipv4.ip_unprivileged_port_start=%lld: ports below %lld need a remap "
                  "such as -p 8080:80",
                  start, start);
    else
        add_check(p, "unprivileged-ports", RL_CHECK_OK, NULL,
                  "net.ipv4.ip_unprivileged_port_start=0: any port can be published");
}

static void
check_ping(struct probe *p)
{
    struct rl_hostinfo *h = p->h;
    cleanup_free char *text = read_sysctl("net/ipv4/ping_group_range");
    cleanup_free gid_t *groups = NULL;
    cleanup_error rl_error_t e = NULL;
    uint32_t lo, hi;
    int n;

    if (text == NULL || rl_hostcheck_parse_ping_range(text, &lo, &hi, &e) < 0) {
        add_check(p, "ping", RL_CHECK_WARNING, NULL, "net.ipv4.ping_group_range: %s",
                  e ? e->msg : "cannot be read");
        return;
    }
    if (h->uid == 0) {
        add_check(p, "ping", RL_CHECK_OK, NULL, "root may ping with raw sockets (range %u %u)", lo,
                  hi);
        return;
    }
    n = getgroups(0, NULL);
    groups = xzalloc(((size_t)(n > 0 ? n : 0) + 1) * sizeof(gid_t));
    n = getgroups(n > 0 ? n : 0, groups);
    groups[n > 0 ? n : 0] = getegid();
    for (int i = 0; i <= (n > 0 ? n : 0); i++) {
        if (groups[i] >= lo && groups[i] <= hi) {
            add_check(p, "ping", RL_CHECK_OK, NULL,
                      "gid %u may open ping sockets (net.ipv4.ping_group_range=%u %u)",
                      (unsigned)groups[i], lo, hi);
            return;
        }
    }
    add_check(p, "ping", RL_CHECK_WARNING,
              xstrdup("sudo sysctl -w net.ipv4.ping_group_range='0 2147483647'"),
              "net.ipv4.ping_group_range=%u %u does not include gid %u: ping fails in containers "
              "that share the host's network",
              lo, hi, (unsigned)getegid());
}

/* Facts that are not checks. */

static char *
os_pretty_name(void)
{
    cleanup_free char *text = read_text("/etc/os-release", SMALL_FILE_MAX, NULL);
    char *l, *save = NULL;

    if (text == NULL)
        return NULL;
    for (l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
        char *v;
        size_t n;

        if (!rl_str_has_prefix(l, "PRETTY_NAME="))
            continue;
        v = l + strlen("PRETTY_NAME=");
        n = strlen(v);
        if (n >= 2 && (v[0] == '"' || v[0] == '\'') && v[n - 1] == v[0])
            return xstrndup(v + 1, n - 2);
        return xstrdup(v);
    }
    return NULL;
}

static void
gather_cgroup(struct probe *p)
{
    struct rl_hostinfo *h = p->h;
    cleanup_free char *mountinfo = read_text("/proc/self/mountinfo", MOUNTINFO_MAX, NULL);
    cleanup_free char *self = read_text("/proc/self/cgroup", SMALL_FILE_MAX, NULL);
    cleanup_error rl_error_t e = NULL;

    if (mountinfo && rl_hostcheck_parse_cgroup_mounts(mountinfo, &p->cg, &e) < 0)
        rl_debug("hostcheck: %s", e->msg);
    h->cgroup_mode = rl_cgroup_mounts_mode(&p->cg);
    if (p->cg.v2_mount_point)
        h->cgroup_mount = xstrdup(p->cg.v2_mount_point);
    if (self && rl_hostcheck_parse_proc_cgroup(self, &h->cgroup_path) == 1 && h->cgroup_mount)
        h->cgroup_dir = rl_hostcheck_cgroup_dir(h->cgroup_mount, p->cg.v2_root, h->cgroup_path);
}

/* The maps a container gets by default: the user as root, then its subordinate ranges, when
 * the helpers can write them; otherwise only the user's own ids. Root maps the host's ids
 * one to one unless it has ranges of its own. */
static void
choose_maps(struct probe *p)
{
    struct rl_hostinfo *h = p->h;
    bool root = h->uid == 0;

    if (p->n_subuids && p->n_subgids && (root || (p->newuidmap_ok && p->newgidmap_ok))) {
        (void)rl_idmap_default(h->uid, p->subuids, p->n_subuids, &h->uid_map, &h->n_uid_map);
        (void)rl_idmap_default(h->gid, p->subgids, p->n_subgids, &h->gid_map, &h->n_gid_map);
        h->id_mapping = "subordinate ids";
        return;
    }
    h->uid_map = xzalloc(sizeof(*h->uid_map));
    h->gid_map = xzalloc(sizeof(*h->gid_map));
    h->n_uid_map = h->n_gid_map = 1;
    h->uid_map->host_id = h->uid;
    h->gid_map->host_id = h->gid;
    h->uid_map->size = h->gid_map->size = root ? UINT32_MAX : 1;
    h->id_mapping = root ? "identity" : "single id";
}

int
rl_hostinfo_gather(struct rl_hostinfo **ret, rl_error_t *err)
{
    struct rl_hostinfo *h = xzalloc(sizeof(*h));
    struct probe p = { .h = h };
    struct passwd *pw;
    struct utsname u;

    if (uname(&u) < 0) {
        rl_hostinfo_free(h);
        return rl_make_error(err, errno, "uname");
    }
    h->kernel_name = xstrdup(u.sysname);
    h->kernel_release = xstrdup(u.release);
    h->kernel_version = xstrdup(u.version);
    h->machine = xstrdup(u.machine);
    h->os = os_pretty_name();
    h->uid = geteuid();
    h->gid = getegid();
    pw = getpwuid(h->uid);
    h->user = pw ? xstrdup(pw->pw_name) : xasprintf("%u", (unsigned)h->uid);
    p.name = pw ? h->user : NULL;
    gather_cgroup(&p);

    check_subids(&p, "subuid", &p.subuids, &p.n_subuids);
    check_subids(&p, "subgid", &p.subgids, &p.n_subgids);
    p.newuidmap_ok =
        check_idmap_helper(&p, "newuidmap", NEWUIDMAP_PATH, CAP_SETUID_BIT, &h->newuidmap);
    p.newgidmap_ok =
        check_idmap_helper(&p, "newgidmap", NEWGIDMAP_PATH, CAP_SETGID_BIT, &h->newgidmap);
    check_userns(&p);
    check_overlay(&p);
    check_dev_fuse(&p);
    check_fuse_overlayfs(&p);
    check_dev_tun(&p);
    check_runtime_dir(&p);
    check_cgroup2(&p);
    check_cgroup_delegation(&p);
    check_unprivileged_ports(&p);
    check_ping(&p);

    choose_maps(&p);
    if (p.kernel_overlay)
        h->overlay = "overlay";
    else if (p.fuse_overlayfs && p.dev_fuse && h->userns)
        h->overlay = "fuse-overlayfs";
    else
        h->overlay = "none";

    free(p.subuids);
    free(p.subgids);
    free(p.fuse_overlayfs);
    rl_cgroup_mounts_release(&p.cg);
    *ret = h;
    return 0;
}

struct rl_hostinfo *
rl_hostinfo_free(struct rl_hostinfo *h)
{
    if (h == NULL)
        return NULL;
    free(h->kernel_name);
    free(h->kernel_release);
    free(h->kernel_version);
    free(h->machine);
    free(h->os);
    free(h->user);
    free(h->uid_map);
    free(h->gid_map);
    free(h->newuidmap);
    free(h->newgidmap);
    free(h->runtime_dir);
    free(h->cgroup_mount);
    free(h->cgroup_path);
    free(h->cgroup_dir);
    free(h->cgroup_controllers);
    rl_hostcheck_free(h->checks, h->n_checks);
    free(h);
    return NULL;
}

int
rl_hostcheck_run(struct rl_check **ret, size_t *ret_n, rl_error_t *err)
{
    struct rl_hostinfo *h = NULL;

    if (rl_hostinfo_gather(&h, err) < 0)
        return -1;
    *ret = steal_pointer(&h->checks);
    *ret_n = h->n_checks;
    h->n_checks = 0;
    rl_hostinfo_free(h);
    return 0;
}

static json_t *
map_to_json(const struct rl_idmap_range *map, size_t n)
{
    json_t *arr = json_array();

    for (size_t i = 0; i < n; i++)
        json_array_append_new(
            arr, json_pack("{s:I, s:I, s:I}", "container_id", (json_int_t)map[i].container_id,
                           "host_id", (json_int_t)map[i].host_id, "size", (json_int_t)map[i].size));
    return arr;
}

static json_t *
string_or_null(const char *s)
{
    return s ? json_string(s) : json_null();
}

static json_t *
words_to_json(const char *list)
{
    cleanup_free char *copy = list ? xstrdup(list) : NULL;
    json_t *arr = json_array();
    char *save = NULL;

    if (copy == NULL)
        return arr;
    for (char *w = strtok_r(copy, " ", &save); w; w = strtok_r(NULL, " ", &save))
        json_array_append_new(arr, json_string(w));
    return arr;
}

json_t *
rl_hostinfo_to_json(const struct rl_hostinfo *h)
{
    json_t *o = json_pack(
        "{s:{s:s, s:s, s:s, s:s}, s:o, s:{s:s, s:I, s:I}, s:{s:s, s:o, s:o, s:o, s:o}, "
        "s:{s:s, s:b}, s:s, s:b, s:{s:s, s:o, s:o, s:o, s:b, s:o}}",
        "kernel", "name", h->kernel_name, "release", h->kernel_release, "version",
        h->kernel_version, "machine", h->machine, "os", string_or_null(h->os), "user", "name",
        h->user, "uid", (json_int_t)h->uid, "gid", (json_int_t)h->gid, "idmap", "mode",
        h->id_mapping, "uid_map", map_to_json(h->uid_map, h->n_uid_map), "gid_map",
        map_to_json(h->gid_map, h->n_gid_map), "newuidmap", string_or_null(h->newuidmap),
        "newgidmap", string_or_null(h->newgidmap), "runtime_dir", "path", h->runtime_dir,
        "fallback", h->runtime_dir_fallback, "overlay", h->overlay, "userns", h->userns, "cgroup",
        "mode", h->cgroup_mode, "mount", string_or_null(h->cgroup_mount), "path",
        string_or_null(h->cgroup_path), "dir", string_or_null(h->cgroup_dir), "delegated",
        h->cgroup_delegated, "controllers", words_to_json(h->cgroup_controllers));

    if (o == NULL)
        abort();
    return o;
}
