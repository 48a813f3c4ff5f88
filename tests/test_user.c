#include "config.h"

#include <string.h>

#include "user.h"
#include "tap.h"

static const char passwd[] = "root:x:0:0:root:/root:/bin/sh\n"
                             "# a comment\n"
                             "\n"
                             "+nisuser::::::\n"
                             "-excluded\n"
                             "daemon:x:1:1\n"
                             "short:x\n"
                             "baduid:x:abc:1::/bad:\n"
                             "bigid:x:4294967295:1::/big:\n"
                             "nohome:x:1001:1001:::/bin/sh\n"
                             "alice:x:1000:1000:Alice:/home/alice:/bin/sh\r\n"
                             "dupuid:x:1000:50::/dup:\n"
                             "max:x:4294967294:4294967294::/max:\n"
                             "bob:x:1002:1002::/home/bob";

static const char group[] = "root:x:0:\n"
                            "wheel:x:10:alice,bob\n"
                            "alice:x:1000:\n"
                            "audio:x:29:bob,alice\r\n"
                            "video:x:44:carol\n"
                            "# comment:x:77:alice\n"
                            "+:::\n"
                            "dupe:x:10:alice\n"
                            "self:x:1000:alice\n"
                            "big:x:4294967294:alice\n"
                            "bad:x:notnum:alice\n"
                            "empty:x:45\n"
                            "prefix:x:46:alicex,xalice\n"
                            "users:x:100:bob,alice,dave";

/* The message of a failed call, or "(no error)"; releases the error. */
static const char *
msg(rl_error_t *err)
{
    static char buf[512];

    if (*err == NULL)
        return "(no error)";
    snprintf(buf, sizeof(buf), "%s", (*err)->msg);
    rl_error_release(err);
    return buf;
}

/* GROUPS as "a,b,c", in a static buffer. */
static const char *
gids(const struct rl_user *u)
{
    static char buf[256];
    size_t n = 0;

    buf[0] = '\0';
    for (size_t i = 0; i < u->n_groups; i++)
        n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s%u", i ? "," : "", u->groups[i]);
    return buf;
}

static void
user_is(const char *spec, const char *pw, const char *gr, long long uid, long long gid,
        const char *groups, const char *home, const char *name)
{
    rl_error_t err = NULL;
    struct rl_user u = { 0 };

    if (rl_user_resolve(spec, pw, gr, &u, &err) < 0) {
        ok(0, "--user %s resolves", spec);
        printf("#   %s\n", msg(&err));
        return;
    }
    ok(u.uid == (uid_t)uid && u.gid == (gid_t)gid, "--user %s is %lld:%lld", spec, uid, gid);
    is_str(gids(&u), groups, "--user %s: supplementary groups '%s'", spec, groups);
    is_str(u.home, home, "--user %s: home %s", spec, home);
    is_str(u.name, name, "--user %s: name %s", spec, name ? name : "(none)");
    rl_user_release(&u);
}

static void
user_bad(const char *spec, const char *pw, const char *gr, const char *want)
{
    rl_error_t err = NULL;
    struct rl_user u = { .uid = 4242 };

    ok(rl_user_resolve(spec, pw, gr, &u, &err) < 0 && u.uid == 4242 && u.home == NULL,
       "--user '%s' is refused, the result untouched", spec);
    is_str(msg(&err), want, "--user '%s' message", spec);
}

static void
test_resolve(void)
{
    user_is("root", passwd, group, 0, 0, "", "/root", "root");
    user_is("0", passwd, group, 0, 0, "", "/root", "root");
    user_is("alice", passwd, group, 1000, 1000, "10,29,4294967294,100", "/home/alice", "alice");
    user_is("1000", passwd, group, 1000, 1000, "10,29,4294967294,100", "/home/alice", "alice");
    user_is("bob", passwd, group, 1002, 1002, "10,29,100", "/home/bob", "bob");
    user_is("daemon", passwd, group, 1, 1, "", "/", "daemon");
    user_is("nohome", passwd, group, 1001, 1001, "", "/", "nohome");
    user_is("dupuid", passwd, group, 1000, 50, "", "/dup", "dupuid");
    user_is("max", passwd, group, 4294967294LL, 4294967294LL, "", "/max", "max");
    user_is("4294967294", passwd, group, 4294967294LL, 4294967294LL, "", "/max", "max");
    user_is("5000", passwd, group, 5000, 0, "", "/", NULL);
    user_is("5000:5001", passwd, group, 5000, 5001, "", "/", NULL);
    user_is("5000:audio", passwd, group, 5000, 29, "", "/", NULL);
    user_is("alice:audio", passwd, group, 1000, 29, "", "/home/alice", "alice");
    user_is("alice:44", passwd, group, 1000, 44, "", "/home/alice", "alice");
    user_is("alice:12345", passwd, group, 1000, 12345, "", "/home/alice", "alice");
    user_is("alice:empty", passwd, group, 1000, 45, "", "/home/alice", "alice");
    user_is("1000:wheel", passwd, group, 1000, 10, "", "/home/alice", "alice");
    user_is("root:root", passwd, group, 0, 0, "", "/root", "root");
    user_is("007", passwd, group, 7, 0, "", "/", NULL);

    /* Missing files. */
    user_is("0", NULL, group, 0, 0, "", "/", NULL);
    user_is("123:456", NULL, NULL, 123, 456, "", "/", NULL);
    user_is("alice", passwd, NULL, 1000, 1000, "", "/home/alice", "alice");
    user_is("alice:10", passwd, NULL, 1000, 10, "", "/home/alice", "alice");
    user_is("alice", passwd, "", 1000, 1000, "", "/home/alice", "alice");
    user_is("0", "", "", 0, 0, "", "/", NULL);

    user_bad("nobody", passwd, group,
             "unable to find user nobody: no matching entries in passwd file");
    user_bad("root", NULL, group, "unable to find user root: no matching entries in passwd file");
    user_bad("short", passwd, group,
             "unable to find user short: no matching entries in passwd file");
    user_bad("baduid", passwd, group,
             "unable to find user baduid: no matching entries in passwd file");
    user_bad("bigid", passwd, group,
             "unable to find user bigid: no matching entries in passwd file");
    user_bad("+nisuser", passwd, group,
             "unable to find user +nisuser: no matching entries in passwd file");
    user_bad("nisuser", passwd, group,
             "unable to find user nisuser: no matching entries in passwd file");
    user_bad("excluded", passwd, group,
             "unable to find user excluded: no matching entries in passwd file");
    user_bad("-1", passwd, group, "unable to find user -1: no matching entries in passwd file");
    user_bad("12abc", passwd, group,
             "unable to find user 12abc: no matching entries in passwd file");
    user_bad("4294967295", passwd, group, "invalid user '4294967295': uid out of range");
    user_bad("99999999999999999999", passwd, group,
             "invalid user '99999999999999999999': uid out of range");
    user_bad("alice:nogroup", passwd, group,
             "unable to find group nogroup: no matching entries in group file");
    user_bad("alice:wheel", passwd, NULL,
             "unable to find group wheel: no matching entries in group file");
    user_bad("alice:4294967295", passwd, group, "invalid group '4294967295': gid out of range");
    user_bad("alice:x:1", passwd, group,
             "unable to find group x:1: no matching entries in group file");
    user_bad("", passwd, group, "invalid user '': empty user name");
    user_bad(":100", passwd, group, "invalid user ':100': empty user name");
    user_bad("alice:", passwd, group, "invalid user 'alice:': empty group name");
}

static void
test_group(void)
{
    rl_error_t err = NULL;
    gid_t g = 4242;

    ok(rl_group_resolve("wheel", group, &g, &err) == 0 && g == 10, "group wheel is 10");
    ok(rl_group_resolve("users", group, &g, &err) == 0 && g == 100,
       "the last line, without newline");
    ok(rl_group_resolve("audio", group, &g, &err) == 0 && g == 29, "a CRLF line");
    ok(rl_group_resolve("44", group, &g, &err) == 0 && g == 44, "a gid");
    ok(rl_group_resolve("99999", NULL, &g, &err) == 0 && g == 99999, "a gid needs no group file");
    ok(err == NULL, "no error on success");

    g = 4242;
    ok(rl_group_resolve("nogroup", group, &g, &err) < 0 && g == 4242, "an unknown group fails");
    is_str(msg(&err), "unable to find group nogroup: no matching entries in group file",
           "unknown group message");
    ok(rl_group_resolve("bad", group, &g, &err) < 0, "a group with a junk gid is skipped");
    rl_error_release(&err);
    ok(rl_group_resolve("# comment", group, &g, &err) < 0, "comment lines are no groups");
    rl_error_release(&err);
    ok(rl_group_resolve("+", group, &g, &err) < 0, "NIS lines are no groups");
    rl_error_release(&err);
    ok(rl_group_resolve("", group, &g, &err) < 0, "an empty name fails");
    is_str(msg(&err), "invalid group '': empty name", "empty group message");
    ok(rl_group_resolve("4294967295", group, &g, &err) < 0 && g == 4242, "gid 2^32-1 fails");
    rl_error_release(&err);
}

static void
test_lookup(void)
{
    rl_error_t err = NULL;
    struct rl_user u = { 0 };

    /* The host's files stand in for a container's. */
    ok(rl_user_lookup("0:0", &u, &err) == 0 && u.uid == 0 && u.gid == 0, "lookup 0:0");
    ok(u.home != NULL && u.home[0] == '/', "lookup gives an absolute home");
    rl_user_release(&u);
    ok(u.home == NULL && u.groups == NULL, "release empties the user");
    ok(rl_user_lookup("12345678", &u, &err) == 0 && u.uid == 12345678, "lookup of a bare uid");
    rl_user_release(&u);
    ok(rl_user_lookup("no-such-user-rl", &u, &err) < 0, "lookup of an unknown name fails");
    is_str(msg(&err), "unable to find user no-such-user-rl: no matching entries in passwd file",
           "lookup message");
}

int
main(void)
{
    test_resolve();
    test_group();
    test_lookup();
    done_testing();
}
