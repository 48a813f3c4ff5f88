#include "config.h"

#include <stdint.h>
#include <string.h>

#include "fs.h"
#include "idmap.h"
#include "tap.h"

static const char subuid[] = "# comment: alice:1:1\n"
                             "alice:100000:65536\n"
                             "bob:200000:65536\n"
                             "1000:300000:1000\n"
                             "alice:400000:10\n"
                             "alice:bad:5\n"
                             "alice:5\n"
                             "alice\n"
                             "alice:500000:0\n"
                             "alice:4294967295:2\n"
                             "alice:-1:5\n"
                             "alice:600000:10:extra\n"
                             "alice:99999999999999999999:1\n"
                             "alicex:1:1\n"
                             "alic:2:2\n"
                             ":3:3\n"
                             "\n"
                             "#alice:4:4\n"
                             "alice:4294967295:1\n"
                             "alice:700000:5";

static bool
range_is(const struct rl_subid_range *r, uint32_t start, uint32_t count)
{
    return r->start == start && r->count == count;
}

static void
test_subid_parse(void)
{
    struct rl_subid_range *r = NULL;
    rl_error_t err = NULL;
    size_t n = 99;

    is_int(rl_subid_parse(subuid, "alice", 1001, &r, &n, &err), 0, "parse for alice");
    is_int(n, 4, "alice has four good ranges");
    ok(n >= 4 && range_is(&r[0], 100000, 65536), "first range");
    ok(n >= 4 && range_is(&r[1], 400000, 10), "second range, file order");
    ok(n >= 4 && range_is(&r[2], 4294967295u, 1), "the last id with count 1 fits");
    ok(n >= 4 && range_is(&r[3], 700000, 5), "last line without a newline");
    free(r);
    r = NULL;

    is_int(rl_subid_parse(subuid, "carol", 1000, &r, &n, &err), 0, "parse by numeric id");
    is_int(n, 1, "one range for uid 1000");
    ok(n == 1 && range_is(&r[0], 300000, 1000), "the numeric line");
    free(r);
    r = NULL;

    is_int(rl_subid_parse(subuid, NULL, 1000, &r, &n, &err), 0, "no name: by id only");
    is_int(n, 1, "one range for uid 1000 without a name");
    free(r);
    r = NULL;

    is_int(rl_subid_parse(subuid, "alice", 1000, &r, &n, &err), 0, "by name and id");
    is_int(n, 5, "lines for the name and for the id, together");
    ok(n == 5 && range_is(&r[1], 300000, 1000), "in file order");
    free(r);
    r = NULL;

    is_int(rl_subid_parse(subuid, "bob", 1002, &r, &n, &err), 0, "bob");
    ok(n == 1 && range_is(&r[0], 200000, 65536), "other users ignored");
    free(r);
    r = NULL;

    is_int(rl_subid_parse(subuid, "nobody", 65534, &r, &n, &err), 0, "a user without ranges");
    is_int(n, 0, "no ranges");
    free(r);
    r = NULL;

    is_int(rl_subid_parse("", "alice", 1, &r, &n, &err), 0, "empty text");
    is_int(n, 0, "no ranges in empty text");
    free(r);
    r = NULL;
    ok(err == NULL, "no error set");

    {
        /* More lines than the table holds: the first 64 are kept. */
        cleanup_free char *many = xstrdup("");
        for (int i = 0; i < 70; i++) {
            char *next = xasprintf("%su:%d:10\n", many, 100000 + i * 10);
            free(many);
            many = next;
        }
        is_int(rl_subid_parse(many, "u", 5, &r, &n, &err), 0, "70 ranges");
        is_int(n, 64, "at most 64 are kept");
        ok(n == 64 && range_is(&r[63], 100630, 10), "the first 64, in order");
        free(r);
        r = NULL;
    }
}

static void
test_subid_read(void)
{
    char dir[] = "/tmp/rl-test-idmap-XXXXXX";
    cleanup_free char *path = NULL;
    cleanup_free char *missing = NULL;
    struct rl_subid_range *r = (struct rl_subid_range *)&r;
    rl_error_t err = NULL;
    size_t n = 99;

    if (mkdtemp(dir) == NULL) {
        skip("mkdtemp: %s", strerror(errno));
        return;
    }
    path = xasprintf("%s/subuid", dir);
    missing = xasprintf("%s/missing", dir);
    is_int(rl_subid_read(missing, "alice", 1000, &r, &n, &err), 0, "a missing file is no ranges");
    ok(r == NULL && n == 0, "NULL, 0");
    rl_write_file_atomic(path, subuid, strlen(subuid), 0644, true, &err);
    is_int(rl_subid_read(path, "alice", 1001, &r, &n, &err), 0, "read a file");
    is_int(n, 4, "the same four ranges");
    free(r);
    r = NULL;
    ok(rl_subid_read(dir, "alice", 1001, &r, &n, &err) < 0, "a directory is an error");
    ok(err && err->status == EISDIR, "EISDIR");
    rl_error_release(&err);
    unlink(path);
    rmdir(dir);
}

static void
test_default(void)
{
    struct rl_subid_range sub[] = { { 100000, 65536 }, { 200000, 10 } };
    struct rl_subid_range huge[] = { { 1000000, UINT32_MAX }, { 5, 5 } };
    struct rl_idmap_range *map = NULL;
    size_t n = 0;

    is_int(rl_idmap_default(1000, sub, 2, &map, &n), 0, "default map");
    is_int(n, 3, "self plus two ranges");
    ok(map[0].container_id == 0 && map[0].host_id == 1000 && map[0].size == 1, "0 -> self");
    ok(map[1].container_id == 1 && map[1].host_id == 100000 && map[1].size == 65536,
       "1.. -> first range");
    ok(map[2].container_id == 65537 && map[2].host_id == 200000 && map[2].size == 10,
       "the second range follows contiguously");
    free(map);
    map = NULL;

    is_int(rl_idmap_default(1000, NULL, 0, &map, &n), 0, "no subordinate ranges");
    ok(n == 1 && map[0].container_id == 0 && map[0].host_id == 1000 && map[0].size == 1,
       "only 0 -> self");
    free(map);
    map = NULL;

    rl_idmap_default(0, huge, 2, &map, &n);
    is_int(n, 2, "a range that fills the id space leaves no room for more");
    ok(n >= 2 && map[1].size == UINT32_MAX - 1, "clipped so the last id is 4294967294");
    ok(n >= 2 && (uint64_t)map[1].container_id + map[1].size - 1 == UINT32_MAX - 1,
       "(uid_t)-1 is never mapped");
    free(map);
}

static void
test_format(void)
{
    struct rl_idmap_range map[] = { { 0, 1000, 1 }, { 1, 100000, 65536 } };
    struct rl_idmap_range max[] = { { UINT32_MAX, UINT32_MAX, UINT32_MAX },
                                    { UINT32_MAX, UINT32_MAX, UINT32_MAX } };
    cleanup_free char *text = rl_idmap_format(map, 2);
    cleanup_free char *empty = rl_idmap_format(map, 0);
    cleanup_free char *big = rl_idmap_format(max, 2);

    is_str(text, "0 1000 1\n1 100000 65536\n", "two lines");
    is_str(empty, "", "no ranges: empty text");
    is_str(big, "4294967295 4294967295 4294967295\n4294967295 4294967295 4294967295\n",
           "widest numbers fit");
}

static bool
check_fails(const struct rl_idmap_range *map, size_t n, uid_t self,
            const struct rl_subid_range *sub, size_t n_sub, const char *what, const char *want1,
            const char *want2, const char *desc)
{
    rl_error_t err = NULL;
    int r = rl_idmap_check(map, n, self, sub, n_sub, what, &err);
    bool good =
        r < 0 && err && strstr(err->msg, want1) && (want2 == NULL || strstr(err->msg, want2));

    ok(good, "%s", desc);
    if (!good)
        printf("#   r=%d, message: %s\n", r, err ? err->msg : "(none)");
    rl_error_release(&err);
    return good;
}

static void
test_check(void)
{
    struct rl_subid_range sub[] = { { 100000, 65536 }, { 165536, 1000 }, { 300000, 10 } };
    rl_error_t err = NULL;

#define MAP(...) ((struct rl_idmap_range[]){ __VA_ARGS__ })
    is_int(rl_idmap_check(MAP({ 0, 1000, 1 }), 1, 1000, sub, 3, "linux.uidMappings", &err), 0,
           "own id");
    is_int(rl_idmap_check(MAP({ 0, 1000, 1 }), 1, 1000, NULL, 0, "linux.uidMappings", &err), 0,
           "own id without any subordinate ranges");
    is_int(rl_idmap_check(MAP({ 0, 1000, 1 }, { 1, 100000, 65536 }), 2, 1000, sub, 3,
                          "linux.uidMappings", &err),
           0, "own id and a whole range");
    is_int(rl_idmap_check(MAP({ 5, 100100, 100 }), 1, 1000, sub, 3, "linux.uidMappings", &err), 0,
           "inside a range");
    is_int(rl_idmap_check(MAP({ 1, 100000, 66536 }), 1, 1000, sub, 3, "linux.uidMappings", &err), 0,
           "spanning two adjacent ranges");
    is_int(rl_idmap_check(MAP({ 0, 99999, 65537 }), 1, 99999, sub, 3, "linux.uidMappings", &err), 0,
           "own id followed by an adjacent range");
    is_int(rl_idmap_check(MAP({ 0, 166535, 1 }), 1, 1000, sub, 3, "linux.uidMappings", &err), 0,
           "the last id of a range");
    is_int(rl_idmap_check(MAP({ 0, 1000, 1 }, { 1, 1000, 1 }), 0, 1000, sub, 3, "x", &err), 0,
           "an empty map");
    ok(err == NULL, "no error so far");
    rl_error_release(&err);

    check_fails(MAP({ 1, 99999, 2 }), 1, 1000, sub, 3, "linux.uidMappings", "host ids 99999-100000",
                "/etc/subuid", "starting before a range");
    check_fails(MAP({ 1, 166000, 1000 }), 1, 1000, sub, 3, "linux.uidMappings",
                "host ids 166000-166999", "your own id 1000", "running past the end");
    check_fails(MAP({ 0, 0, 1 }), 1, 1000, sub, 3, "linux.uidMappings", "host ids 0-0", NULL,
                "host root");
    check_fails(MAP({ 0, 1000, 1 }, { 1, 300000, 11 }), 2, 1000, sub, 3, "linux.gidMappings",
                "linux.gidMappings: host ids 300000-300010", "/etc/subgid",
                "gid maps name /etc/subgid");
    check_fails(MAP({ 0, 1000, 2 }), 1, 1000, NULL, 0, "linux.uidMappings", "host ids 1000-1001",
                NULL, "own id and the next without ranges");
    check_fails(MAP({ 0, 4294967295u, 1 }), 1, 1000, sub, 3, "linux.uidMappings",
                "host ids 4294967295-4294967295", NULL, "the last host id");

    check_fails(MAP({ 0, 1000, 1 }, { 0, 100000, 10 }), 2, 1000, sub, 3, "linux.uidMappings",
                "container ids of ranges 0 and 1 overlap", NULL, "two ranges for container id 0");
    check_fails(MAP({ 0, 100000, 10 }, { 20, 100020, 5 }, { 5, 100010, 10 }), 3, 1000, sub, 3,
                "linux.uidMappings", "ranges 0 and 2 overlap", NULL,
                "overlap found with an earlier range");
    is_int(rl_idmap_check(MAP({ 0, 100000, 10 }, { 10, 100010, 10 }), 2, 1000, sub, 3,
                          "linux.uidMappings", &err),
           0, "adjacent container ranges are fine");
    rl_error_release(&err);
    {
        /* The kernel refuses a uid_map whose host ranges overlap (mappings_overlap()), and
         * newuidmap fails with a vague message: the check could say so first. */
        int r = rl_idmap_check(MAP({ 0, 100000, 10 }, { 10, 100005, 10 }), 2, 1000, sub, 3,
                               "linux.uidMappings", &err);
        ok(r < 0, "overlapping host ranges are refused");
        rl_error_release(&err);
    }
#undef MAP
}

static void
test_to_host(void)
{
    struct rl_idmap_range map[] = { { 0, 1000, 1 }, { 1, 100000, 65536 }, { 65537, 200000, 10 } };
    struct rl_idmap_range top[] = { { 4294967290u, 10, 5 } };

    is_int(rl_idmap_to_host(map, 3, 0), 1000, "0 -> 1000");
    is_int(rl_idmap_to_host(map, 3, 1), 100000, "1 -> 100000");
    is_int(rl_idmap_to_host(map, 3, 65536), 165535, "65536 -> 165535");
    is_int(rl_idmap_to_host(map, 3, 65537), 200000, "65537 -> 200000");
    is_int(rl_idmap_to_host(map, 3, 65546), 200009, "the last mapped id");
    is_int(rl_idmap_to_host(map, 3, 65547), -1, "past the end -> -1");
    is_int(rl_idmap_to_host(map, 3, UINT32_MAX), -1, "4294967295 -> -1");
    is_int(rl_idmap_to_host(map, 0, 0), -1, "empty map -> -1");
    is_int(rl_idmap_to_host(top, 1, 4294967294u), 14, "near the top of the id space");
    is_int(rl_idmap_to_host(top, 1, 4294967289u), -1, "just below a range");
}

int
main(void)
{
    test_subid_parse();
    test_subid_read();
    test_default();
    test_format();
    test_check();
    test_to_host();
    done_testing();
}
