#include "config.h"

#include <fcntl.h>
#include <string.h>

#include "fs.h"
#include "user.h"

/* (uid_t)-1 means "unchanged" to setresuid(2), so it is no user. */
#define ID_MAX       4294967294LL
#define ETC_FILE_MAX (4 << 20)
/* NGROUPS_MAX of the kernel. */
#define GROUPS_MAX 65536

/* An entry of passwd. */
struct pw_entry {
    char *name;
    uid_t uid;
    gid_t gid;
    char *home;
};

/* A whole decimal id: digits only (no sign, no space), at most ID_MAX. */
static bool
parse_id(const char *s, long long *ret)
{
    return s[0] >= '0' && s[0] <= '9' && rl_parse_ll(s, 0, ID_MAX, ret);
}

static bool
all_digits(const char *s)
{
    return s[0] != '\0' && strspn(s, "0123456789") == strlen(s);
}

/* Cut the next line off *P, in place, and split it into at most MAX ':'-separated fields (the
 * last one keeps any further ':'). Returns the number of fields, 0 for a line to skip (blank,
 * a '#' comment, a NIS "+" or "-" entry), -1 at the end of the text. A '\r' before the '\n' is
 * dropped. */
static int
next_entry(char **p, char **fields, int max)
{
    char *line = *p, *nl;
    size_t len;
    int n = 0;

    if (line == NULL || *line == '\0')
        return -1;
    nl = strchr(line, '\n');
    if (nl) {
        *nl = '\0';
        *p = nl + 1;
    } else {
        *p = NULL;
    }
    len = strlen(line);
    if (len > 0 && line[len - 1] == '\r')
        line[len - 1] = '\0';
    if (line[0] == '\0' || line[0] == '#' || line[0] == '+' || line[0] == '-')
        return 0;
    while (n < max) {
        fields[n++] = line;
        line = strchr(line, ':');
        if (line == NULL)
            break;
        *line++ = '\0';
    }
    return n;
}

/* The first passwd entry with name NAME, or with uid *UID when UID is not NULL. Entries
 * without valid uid and gid fields are skipped. */
static bool
passwd_find(const char *passwd, const char *name, const long long *uid, struct pw_entry *ret)
{
    cleanup_free char *text = passwd ? xstrdup(passwd) : NULL;
    char *p = text, *f[7];
    int n;

    while ((n = next_entry(&p, f, 7)) >= 0) {
        long long u, g;

        if (n < 4 || !parse_id(f[2], &u) || !parse_id(f[3], &g))
            continue;
        if (uid ? u != *uid : strcmp(f[0], name) != 0)
            continue;
        ret->name = xstrdup(f[0]);
        ret->uid = (uid_t)u;
        ret->gid = (gid_t)g;
        ret->home = xstrdup(n > 5 && f[5][0] ? f[5] : "/");
        return true;
    }
    return false;
}

/* The gid of the first group named NAME. */
static bool
group_find(const char *group, const char *name, gid_t *ret)
{
    cleanup_free char *text = group ? xstrdup(group) : NULL;
    char *p = text, *f[4];
    int n;

    while ((n = next_entry(&p, f, 4)) >= 0) {
        long long g;

        if (n >= 3 && strcmp(f[0], name) == 0 && parse_id(f[2], &g)) {
            *ret = (gid_t)g;
            return true;
        }
    }
    return false;
}

/* Every group of GROUP whose member list names USER, once each, PRIMARY left out. */
static int
member_groups(const char *group, const char *user, gid_t primary, gid_t **ret, size_t *ret_n,
              rl_error_t *err)
{
    cleanup_free char *text = group ? xstrdup(group) : NULL;
    cleanup_free gid_t *gids = NULL;
    char *p = text, *f[4];
    size_t count = 0;
    int n;

    while ((n = next_entry(&p, f, 4)) >= 0) {
        bool member = false, dup = false;
        char *m = n == 4 ? f[3] : NULL, *save = NULL;
        long long g;

        if (n < 4 || !parse_id(f[2], &g) || (gid_t)g == primary)
            continue;
        for (char *tok = strtok_r(m, ",", &save); tok && !member; tok = strtok_r(NULL, ",", &save))
            member = strcmp(tok, user) == 0;
        for (size_t i = 0; i < count && !dup; i++)
            dup = gids[i] == (gid_t)g;
        if (!member || dup)
            continue;
        if (count == GROUPS_MAX)
            return rl_make_error(err, 0, "user %s is in more than %d groups", user, GROUPS_MAX);
        gids = xrealloc(gids, (count + 1) * sizeof(*gids));
        gids[count++] = (gid_t)g;
    }
    *ret = steal_pointer(&gids);
    *ret_n = count;
    return 0;
}

int
rl_group_resolve(const char *name, const char *group, gid_t *ret, rl_error_t *err)
{
    long long g;

    if (name[0] == '\0')
        return rl_make_error(err, 0, "invalid group '': empty name");
    if (all_digits(name)) {
        if (!parse_id(name, &g))
            return rl_make_error(err, 0, "invalid group '%s': gid out of range", name);
        *ret = (gid_t)g;
        return 0;
    }
    if (!group_find(group, name, ret))
        return rl_make_error(err, 0, "unable to find group %s: no matching entries in group file",
                             name);
    return 0;
}

int
rl_user_resolve(const char *spec, const char *passwd, const char *group, struct rl_user *ret,
                rl_error_t *err)
{
    const char *colon = strchr(spec, ':');
    cleanup_free char *user = colon ? xstrndup(spec, (size_t)(colon - spec)) : xstrdup(spec);
    cleanup_free gid_t *groups = NULL;
    struct pw_entry pw = { 0 };
    cleanup_free char *pw_name = NULL, *pw_home = NULL;
    size_t n_groups = 0;
    bool numeric = all_digits(user), found;
    long long uid = 0;
    gid_t gid;

    if (user[0] == '\0')
        return rl_make_error(err, 0, "invalid user '%s': empty user name", spec);
    if (colon && colon[1] == '\0')
        return rl_make_error(err, 0, "invalid user '%s': empty group name", spec);
    if (numeric && !parse_id(user, &uid))
        return rl_make_error(err, 0, "invalid user '%s': uid out of range", spec);
    found = passwd_find(passwd, user, numeric ? &uid : NULL, &pw);
    pw_name = pw.name;
    pw_home = pw.home;
    if (!found && !numeric)
        return rl_make_error(err, 0, "unable to find user %s: no matching entries in passwd file",
                             user);
    gid = found ? pw.gid : 0;
    if (colon) {
        if (rl_group_resolve(colon + 1, group, &gid, err) < 0)
            return -1;
    } else if (found && member_groups(group, pw_name, gid, &groups, &n_groups, err) < 0) {
        return -1;
    }
    ret->uid = found ? pw.uid : (uid_t)uid;
    ret->gid = gid;
    ret->groups = steal_pointer(&groups);
    ret->n_groups = n_groups;
    ret->home = found ? steal_pointer(&pw_home) : xstrdup("/");
    ret->name = steal_pointer(&pw_name);
    return 0;
}

/* FILE under the current root into *RET, NULL when it is not there. */
static int
read_etc(const char *path, char **ret, rl_error_t *err)
{
    cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC);

    if (fd < 0 && (errno == ENOENT || errno == ENOTDIR)) {
        *ret = NULL;
        return 0;
    }
    if (fd < 0)
        return rl_make_error(err, errno, "open '%s'", path);
    if (rl_read_all_fd(fd, ETC_FILE_MAX, ret, NULL, err) < 0)
        return rl_error_wrap(err, "read '%s'", path);
    return 0;
}

int
rl_user_lookup(const char *spec, struct rl_user *ret, rl_error_t *err)
{
    cleanup_free char *passwd = NULL, *group = NULL;

    if (read_etc("/etc/passwd", &passwd, err) < 0 || read_etc("/etc/group", &group, err) < 0)
        return -1;
    return rl_user_resolve(spec, passwd, group, ret, err);
}

void
rl_user_release(struct rl_user *u)
{
    free(u->groups);
    free(u->home);
    free(u->name);
    memset(u, 0, sizeof(*u));
}
