#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fs.h"
#include "regconf.h"
#include "tap.h"

static char tmpdir[] = "/tmp/rl-test-regconf-XXXXXX";

/* Write TEXT to REL below tmpdir, creating the directories; returns the path. */
static char *
put_file(const char *rel, const char *text)
{
    char *path = xasprintf("%s/%s", tmpdir, rel);
    cleanup_free char *dir = xstrdup(path);
    cleanup_error rl_error_t err = NULL;

    *strrchr(dir, '/') = '\0';
    if (rl_mkdir_p(dir, 0700, &err) < 0
        || rl_write_file_atomic(path, text, strlen(text), 0600, false, &err) < 0)
        printf("# cannot write '%s': %s\n", path, err->msg);
    return path;
}

/* Parse TEXT as "test.conf" into a new configuration; NULL (and *ERR) on failure. */
static struct rl_regconf *
parse(const char *text, rl_error_t *err)
{
    struct rl_regconf *c = rl_regconf_new();

    if (rl_regconf_parse(c, "test.conf", text, strlen(text), err) < 0) {
        rl_regconf_free(c);
        return NULL;
    }
    return c;
}

/* The prefix of the entry for REF's registry and repository, or NULL. */
static const char *
found(const struct rl_regconf *c, const char *registry, const char *repository)
{
    const struct rl_regconf_registry *r = rl_regconf_find(c, registry, repository);
    return r ? r->prefix : NULL;
}

static void
test_parse(void)
{
    static const char text[] =
        "# registries.conf\n"
        "unqualified-search-registries = [\"docker.io\", 'quay.io', # a comment\n"
        "   \"registry.fedoraproject.org\",\n"
        "]\n"
        "short-name-mode = \"enforcing\"\n"
        "credential-helpers = [ \"containers-auth.json\" ]\n"
        "some.dotted.key = 12\n"
        "date = 1979-05-27 07:32:00Z\n"
        "pi = +3.14\n"
        "inline = { a = 1, b = [ \"x\", { c = 'd' } ] }\n"
        "\n"
        "[[registry]]  # the test registry\n"
        "location = \"127.0.0.1:5115\"\n"
        "insecure = true\n"
        "mirror-by-digest-only = false\n"
        "\n"
        "[[registry.mirror]]\n"
        "location = \"mirror.example.com\"\n"
        "insecure = false\n"
        "blocked = true\n"
        "\n"
        "[[registry]]\n"
        "  prefix = \"example.com/foo\"\n"
        "  location = \"internal.example.com/bar/\"\n"
        "  blocked = true\n"
        "\n"
        "[[registry]]\n"
        "prefix = \"*.wild.example.com\"\n"
        "insecure = true\n"
        "\n"
        "[[ registry ]]\n"
        "location = \"es\\u00e7aped\\tname\"\n"
        "\n"
        "[aliases]\n"
        "  \"fedora\" = \"registry.fedoraproject.org/fedora\"\n"
        "  \"opensuse/leap\" = \"registry.opensuse.org/opensuse/leap\"\n"
        "[other.table]\n"
        "location = \"not.a.registry\"\n"
        "multi = \"\"\"\n"
        "two\n"
        "lines\"\"\"\n"
        "lit = '''raw \\ text'''\n";
    cleanup_error rl_error_t err = NULL;
    struct rl_regconf *c = parse(text, &err);

    ok(c != NULL, "a full file parses");
    if (err)
        printf("#   %s\n", err->msg);
    if (c == NULL)
        return;
    is_int(c->n_registries, 4, "four [[registry]] entries; mirrors and other tables ignored");
    is_str(c->registries[0].prefix, "127.0.0.1:5115", "prefix defaults to the location");
    ok(c->registries[0].insecure && !c->registries[0].blocked,
       "insecure, and the mirror's keys do not leak into the registry");
    is_int(c->registries[0].line, 12, "the line of the [[registry]] header");
    is_str(c->registries[0].file, "test.conf", "the file is kept");
    is_str(c->registries[1].location, "internal.example.com/bar", "trailing '/' trimmed");
    ok(c->registries[1].blocked, "blocked = true");
    is_str(c->registries[2].location, "", "a wildcard prefix needs no location");
    is_str(c->registries[3].prefix,
           "es\xc3\xa7"
           "aped\tname",
           "escapes in basic strings");
    is_str(c->files[0], "test.conf", "files lists the file");
    ok(c->files[1] == NULL, "files is NULL-terminated");
    rl_regconf_free(c);
}

static void
test_match(void)
{
    static const char text[] = "[[registry]]\nlocation = \"quay.io\"\n"
                               "[[registry]]\nlocation = \"quay.io/ns\"\ninsecure = true\n"
                               "[[registry]]\nlocation = \"quay.io/ns/one\"\nblocked = true\n"
                               "[[registry]]\nprefix = \"*.example.com\"\nlocation = \"x.io\"\n"
                               "[[registry]]\nprefix = \"a.b.example.com/deep\"\n"
                               "location = \"y.io\"\n"
                               "[[registry]]\nlocation = \"localhost\"\n"
                               "[[registry]]\nlocation = \"docker.io/library\"\n";
    cleanup_error rl_error_t err = NULL;
    struct rl_regconf *c = parse(text, &err);

    ok(c != NULL, "matching config parses");
    if (c == NULL)
        return;
    is_str(found(c, "quay.io", "other/x"), "quay.io", "registry prefix");
    is_str(found(c, "quay.io", "ns/x"), "quay.io/ns", "longest prefix wins");
    is_str(found(c, "quay.io", "ns/one"), "quay.io/ns/one", "exact repository");
    is_str(found(c, "quay.io", "ns/one/two"), "quay.io/ns/one", "below the repository");
    is_str(found(c, "quay.io", "ns/oneother"), "quay.io/ns", "only at a '/' boundary");
    is_str(found(c, "quay.io", "nsx/y"), "quay.io", "quay.io/ns does not match quay.io/nsx");
    is_str(found(c, "quay.io", ""), "quay.io", "registry only (login)");
    is_str(found(c, "quay.iox", "a"), NULL, "no match for a longer host");
    is_str(found(c, "a.example.com", "r"), "*.example.com", "wildcard: a subdomain");
    is_str(found(c, "a.b.example.com", "r"), "*.example.com", "wildcard: a deeper subdomain");
    is_str(found(c, "a.b.example.com", "deep/r"), "a.b.example.com/deep",
           "a longer plain prefix beats a wildcard");
    is_str(found(c, "example.com", "r"), NULL, "wildcard: not the domain itself");
    is_str(found(c, "badexample.com", "r"), NULL, "wildcard: not a suffix of a label");
    is_str(found(c, "example.com.evil", "r"), NULL, "wildcard: not in the middle");
    is_str(found(c, "localhost:5000", "r"), NULL,
           "a prefix without a port does not match one with a port");
    is_str(found(c, "docker.io", "library/alpine"), "docker.io/library", "docker.io/library");
    is_str(found(c, "docker.io", "user/alpine"), NULL, "docker.io/user: no entry");
    rl_regconf_free(c);
}

/* TEXT must fail to parse with a message starting with WANT. */
static void
bad(const char *text, const char *want)
{
    cleanup_error rl_error_t err = NULL;
    struct rl_regconf *c = parse(text, &err);

    ok(c == NULL && err && strncmp(err->msg, want, strlen(want)) == 0, "refused: %s", want);
    if (err && strncmp(err->msg, want, strlen(want)) != 0)
        printf("#   got: %s\n", err->msg);
    rl_regconf_free(c);
}

static void
test_errors(void)
{
    bad("[[registry]]\nlocation = quay.io\n",
        "test.conf:2: invalid value 'quay.io' (strings need quotes)");
    bad("# c\n\n[[registry]]\nlocation = \"quay.io\"\ninsecure = \"yes\"\n",
        "test.conf:5: 'insecure' must be true or false");
    bad("[[registry]]\nlocation = true\n", "test.conf:2: 'location' must be a string");
    bad("[[registry]]\nlocation \"quay.io\"\n", "test.conf:2: expected '=' after the key");
    bad("[[registry]\nlocation = \"quay.io\"\n", "test.conf:1: expected ']]'");
    bad("[registry\n", "test.conf:1: expected ']'");
    bad("a = \"open\n", "test.conf:1: unterminated string");
    bad("x = 1\na = [\"a\",\n \"b\"\n\n", "test.conf:2: unterminated array");
    bad("a = [\"a\" \"b\"]\n", "test.conf:1: expected ',' or ']'");
    bad("a = \"x\" b\n", "test.conf:1: unexpected 'b' after the value");
    bad("a =\n", "test.conf:1: missing value");
    bad("= 1\n", "test.conf:1: expected a key");
    bad("a = \"\\q\"\n", "test.conf:1: bad escape '\\q'");
    bad("\n[[registry]]\ninsecure = true\n", "test.conf:2: [[registry]] needs a location");
    bad("[[registry]]\nprefix = \"quay.io/x\"\n", "test.conf:1: [[registry]] with prefix");
    bad("[[registry]]\nprefix = \"*example.com\"\n", "test.conf:1: invalid prefix '*example.com'");
    bad("[[registry]]\nlocation = \"https://quay.io\"\n",
        "test.conf:1: invalid location 'https://quay.io': URI schemes");
    bad("[registries.insecure]\nregistries = [\"a.io\"]\n[[registry]]\nlocation = \"b.io\"\n",
        "test.conf:2: mixing the v1");
    {
        char deep[200] = "a = ";
        for (int i = 0; i < 40; i++)
            strcat(deep, "[");
        bad(deep, "test.conf:1: values nested too deeply");
    }
}

static void
test_v1(void)
{
    static const char text[] = "[registries.search]\nregistries = ['docker.io']\n"
                               "[registries.insecure]\nregistries = ['a.io', 'b.io']\n"
                               "[registries.block]\nregistries = ['b.io', 'c.io']\n";
    cleanup_error rl_error_t err = NULL;
    struct rl_regconf *c = parse(text, &err);
    const struct rl_regconf_registry *r;

    ok(c != NULL, "v1 format parses");
    if (c == NULL)
        return;
    is_int(c->n_registries, 3, "three registries");
    r = rl_regconf_find(c, "a.io", "x");
    ok(r && r->insecure && !r->blocked, "v1 insecure");
    r = rl_regconf_find(c, "b.io", "x");
    ok(r && r->insecure && r->blocked, "v1: in both tables, both flags");
    r = rl_regconf_find(c, "c.io", "x");
    ok(r && !r->insecure && r->blocked, "v1 blocked");
    ok(rl_regconf_find(c, "docker.io", "x") == NULL, "search registries are no entries");
    rl_regconf_free(c);
}

static void
lookup_is(const char *registry, const char *repo, bool insecure, bool blocked, const char *file,
          const char *what)
{
    cleanup_error rl_error_t err = NULL;
    cleanup_free char *f = NULL;
    bool i = !insecure, b = !blocked;
    int ret = rl_regconf_lookup(registry, repo, &i, &b, &f, &err);

    ok(ret == 0, "%s: lookup succeeds", what);
    if (err)
        printf("#   %s\n", err->msg);
    ok(i == insecure && b == blocked, "%s: insecure %d blocked %d", what, insecure, blocked);
    is_str(f, file, "%s: file", what);
}

static void
test_files(void)
{
    cleanup_free char *etc = xasprintf("%s/etc", tmpdir);
    cleanup_free char *home = xasprintf("%s/home", tmpdir);
    cleanup_free char *sys = NULL, *user = NULL, *d1 = NULL, *d2 = NULL, *d3 = NULL;
    cleanup_free char *env = NULL, *bad_file = NULL, *m = NULL;
    cleanup_strv char **dropins = NULL;
    cleanup_error rl_error_t err = NULL;
    bool i, b;

    rl_regconf_system_dir = etc;
    unsetenv("CONTAINERS_REGISTRIES_CONF");
    unsetenv("XDG_CONFIG_HOME");
    setenv("HOME", home, 1);

    rl_regconf_files(&m, &dropins);
    ok(m == NULL && dropins && dropins[0] == NULL, "no files at all");
    rl_strv_free(steal_pointer(&dropins));
    lookup_is("quay.io", "x", false, false, NULL, "no files");

    sys = put_file("etc/registries.conf", "[[registry]]\nlocation = \"quay.io\"\ninsecure = true\n"
                                          "[[registry]]\nlocation = \"b.io\"\nblocked = true\n");
    lookup_is("quay.io", "x", true, false, sys, "system file");

    user = put_file("home/.config/containers/registries.conf",
                    "[[registry]]\nlocation = \"ghcr.io\"\ninsecure = true\n");
    lookup_is("quay.io", "x", false, false, NULL, "a user file replaces the system file");
    lookup_is("ghcr.io", "x", true, false, user, "user file");

    setenv("XDG_CONFIG_HOME", home, 1);
    lookup_is("ghcr.io", "x", false, false, NULL, "XDG_CONFIG_HOME: no user file there");
    lookup_is("quay.io", "x", true, false, sys, "XDG_CONFIG_HOME: the system file again");
    unsetenv("XDG_CONFIG_HOME");

    d2 = put_file("etc/registries.conf.d/20-b.conf",
                  "[[registry]]\nlocation = \"ghcr.io\"\nblocked = true\n");
    d1 = put_file("etc/registries.conf.d/10-a.conf",
                  "[[registry]]\nlocation = \"ghcr.io\"\ninsecure = false\n"
                  "[[registry]]\nlocation = \"d.io\"\ninsecure = true\n");
    free(put_file("etc/registries.conf.d/README", "not toml"));
    d3 = put_file("home/.config/containers/registries.conf.d/30-c.conf",
                  "[[registry]]\nlocation = \"e.io\"\ninsecure = true\n");
    rl_regconf_files(&m, &dropins);
    is_str(m, user, "main: the user file");
    ok(rl_strv_len(dropins) == 3 && strcmp(dropins[0], d1) == 0 && strcmp(dropins[1], d2) == 0
           && strcmp(dropins[2], d3) == 0,
       "drop-ins: *.conf only, sorted");
    rl_strv_free(steal_pointer(&dropins));
    free(steal_pointer(&m));
    lookup_is("ghcr.io", "x", false, true, d2, "the last drop-in with a prefix wins");
    lookup_is("d.io", "x", true, false, d1, "drop-ins add entries");
    lookup_is("e.io", "x", true, false, d3, "user drop-ins");

    env = put_file("env.conf", "[[registry]]\nlocation = \"quay.io\"\nblocked = true\n");
    setenv("CONTAINERS_REGISTRIES_CONF", env, 1);
    lookup_is("quay.io", "x", false, true, env, "CONTAINERS_REGISTRIES_CONF");
    lookup_is("d.io", "x", false, false, NULL, "CONTAINERS_REGISTRIES_CONF: no drop-ins");

    bad_file = put_file("bad.conf", "[[registry]]\nlocation = \"quay.io\"\ninsecure = yes\n");
    setenv("CONTAINERS_REGISTRIES_CONF", bad_file, 1);
    i = b = false;
    ok(rl_regconf_lookup("quay.io", "x", &i, &b, NULL, &err) < 0 && err
           && strstr(err->msg, ":3: invalid value 'yes'") && strstr(err->msg, bad_file),
       "a bad file fails with FILE:LINE");
    if (err)
        printf("#   %s\n", err->msg);
    rl_error_release(&err);

    setenv("CONTAINERS_REGISTRIES_CONF", "/nonexistent/registries.conf", 1);
    lookup_is("quay.io", "x", false, false, NULL, "a missing CONTAINERS_REGISTRIES_CONF is empty");
    unsetenv("CONTAINERS_REGISTRIES_CONF");
    rl_regconf_system_dir = "/etc/containers";
}

int
main(void)
{
    cleanup_error rl_error_t err = NULL;

    if (mkdtemp(tmpdir) == NULL) {
        printf("Bail out! mkdtemp: %s\n", strerror(errno));
        return 1;
    }
    test_parse();
    test_match();
    test_errors();
    test_v1();
    test_files();
    if (rl_rm_rf(tmpdir, &err) < 0)
        printf("# cleanup: %s\n", err->msg);
    done_testing();
}
