#include "config.h"

#include <string.h>

#include "ref.h"
#include "tap.h"

#define D64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

struct good_case {
    const char *text;
    const char *registry;
    const char *repository;
    const char *tag;
    const char *digest;
};

static const struct good_case good[] = {
    { "alpine", "docker.io", "library/alpine", "latest", NULL },
    { "alpine:3.19", "docker.io", "library/alpine", "3.19", NULL },
    { "user/app:tag", "docker.io", "user/app", "tag", NULL },
    { "user/app", "docker.io", "user/app", "latest", NULL },
    { "docker.io/alpine", "docker.io", "library/alpine", "latest", NULL },
    { "docker.io/library/alpine:edge", "docker.io", "library/alpine", "edge", NULL },
    { "index.docker.io/library/alpine", "docker.io", "library/alpine", "latest", NULL },
    { "index.docker.io/alpine", "docker.io", "library/alpine", "latest", NULL },
    { "quay.io/a/b:1.0", "quay.io", "a/b", "1.0", NULL },
    { "quay.io/b", "quay.io", "b", "latest", NULL },
    { "localhost/x", "localhost", "x", "latest", NULL },
    { "localhost:5000/x", "localhost:5000", "x", "latest", NULL },
    { "127.0.0.1:5000/rl/busybox:latest", "127.0.0.1:5000", "rl/busybox", "latest", NULL },
    { "[::1]:5000/x", "[::1]:5000", "x", "latest", NULL },
    { "[::1]/x:t", "[::1]", "x", "t", NULL },
    { "[2001:db8::1]:443/a/b", "[2001:db8::1]:443", "a/b", "latest", NULL },
    { "host/x@sha256:" D64, "docker.io", "host/x", NULL, "sha256:" D64 },
    { "reg.io/x@sha256:" D64, "reg.io", "x", NULL, "sha256:" D64 },
    { "x:1@sha256:" D64, "docker.io", "library/x", "1", "sha256:" D64 },
    { "a.b-c__d/e", "docker.io", "a.b-c__d/e", "latest", NULL },
    { "a.b/c", "a.b", "c", "latest", NULL },
    { "a_b.c/d", "docker.io", "a_b.c/d", "latest", NULL },
    { "a---b_c/d.e", "docker.io", "a---b_c/d.e", "latest", NULL },
    { "r.io/a/b/c/d:t", "r.io", "a/b/c/d", "t", NULL },
    { "My-Registry.example.com:65535/x", "My-Registry.example.com:65535", "x", "latest", NULL },
    { "host:1/x", "host:1", "x", "latest", NULL },
    { "x:_Tag.with-Chars_", "docker.io", "library/x", "_Tag.with-Chars_", NULL },
    { "localhost", "docker.io", "library/localhost", "latest", NULL },
    { "localhost:5000", "docker.io", "library/localhost", "5000", NULL },
    { "0/1", "docker.io", "0/1", "latest", NULL },
};

struct bad_case {
    const char *text;
    const char *part; /* what the message must name */
};

static const struct bad_case bad[] = {
    { "", "empty reference" },
    { "UPPER", "repository name must be lowercase" },
    { "quay.io/Abc", "repository name must be lowercase" },
    { "a//b", "empty path component" },
    { "/a", "must not start with '/'" },
    { "a/", "must not end with '/'" },
    { "a:", "tag after ':' is empty" },
    { "a@", "digest after '@' is empty" },
    { ":tag", "name is empty" },
    { "@sha256:" D64, "name is empty" },
    { "a@sha256:short", "invalid digest 'sha256:short'" },
    { "a@sha256:" D64 "00", "invalid digest" },
    { "a@sha256:0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef", "hex digit" },
    { "a@md5:d41d8cd98f00b204e9800998ecf8427e", "unsupported digest algorithm 'md5'" },
    { "a@" D64, "invalid digest" },
    { "a:tag with space", "tag 'tag with space'" },
    { "a b", "path component 'a b'" },
    { "a:-tag", "tag '-tag' must start" },
    { "host:99999/x", "port '99999' is not in 1-65535" },
    { "host:0/x", "port '0'" },
    { "host:/x", "port after ':' is empty" },
    { "host:5a/x", "port '5a' is not a number" },
    { "-a", "path component '-a' must start" },
    { "a-", "path component 'a-' must end" },
    { "a..b", "separator '..'" },
    { "a___b", "separator '___'" },
    { "a._b", "separator '._'" },
    { "a..b/c", "empty host name component" },
    { "-bad.io/x", "host name component '-bad'" },
    { "ho_st.io:5000/x", "character '_' is not allowed in a host name" },
    { "[::1/x", "missing ']'" },
    { "[::g]:5000/x", "invalid IPv6 address" },
    { "[::1]x/y", "':port' or '/' must follow ']'" },
    { "a\nb", "byte 0x0a at offset 1" },
    { "a/b:c/d", "path component 'b:c': character ':' is not allowed" },
};

static bool
same(const char *a, const char *b)
{
    return (a == NULL && b == NULL) || (a && b && strcmp(a, b) == 0);
}

static void
test_good(void)
{
    for (size_t i = 0; i < RL_ARRAY_SIZE(good); i++) {
        const struct good_case *c = &good[i];
        cleanup_image_ref struct rl_image_ref *ref = NULL;
        cleanup_error rl_error_t err = NULL;
        int ret = rl_image_ref_parse(c->text, &ref, &err);
        bool match;

        ok(ret == 0 && ref != NULL, "'%s' parses", c->text);
        if (ret < 0) {
            printf("#   %s\n", err->msg);
            continue;
        }
        match = strcmp(ref->registry, c->registry) == 0
                && strcmp(ref->repository, c->repository) == 0 && same(ref->tag, c->tag)
                && same(ref->digest, c->digest);
        ok(match, "'%s' -> %s %s %s %s", c->text, c->registry, c->repository,
           c->tag ? c->tag : "(no tag)", c->digest ? "(digest)" : "(no digest)");
        if (!match)
            printf("#   got %s %s %s %s\n", ref->registry, ref->repository,
                   ref->tag ? ref->tag : "(null)", ref->digest ? ref->digest : "(null)");
    }
}

/* TEXT for a TAP description, which must stay on one line. */
static const char *
printable(const char *text)
{
    static char buf[128];
    size_t i;

    for (i = 0; text[i] && i < sizeof(buf) - 1; i++)
        buf[i] = (unsigned char)text[i] < 0x20 ? '?' : text[i];
    buf[i] = '\0';
    return buf;
}

static void
test_bad(void)
{
    for (size_t i = 0; i < RL_ARRAY_SIZE(bad); i++) {
        const struct bad_case *c = &bad[i];
        struct rl_image_ref *ref = (struct rl_image_ref *)&bad; /* must stay untouched */
        cleanup_error rl_error_t err = NULL;
        int ret = rl_image_ref_parse(c->text, &ref, &err);

        ok(ret < 0 && err != NULL && strstr(err->msg, "invalid image reference '") == err->msg
               && strstr(err->msg, c->part) != NULL,
           "'%s' is refused naming \"%s\"", printable(c->text), c->part);
        if (err)
            printf("#   %s\n", err->msg);
        ok(ref == (struct rl_image_ref *)&bad, "ret_ref is left alone on failure");
    }
}

static void
test_long(void)
{
    char tag[2 + 129 + 1] = "a:";
    char name[256 + 1];
    char ok_name[255 + 1];
    char ok_tag[2 + 128 + 1] = "a:";
    cleanup_image_ref struct rl_image_ref *ref = NULL;
    cleanup_error rl_error_t err = NULL;

    memset(tag + 2, 't', 129);
    tag[2 + 129] = '\0';
    ok(rl_image_ref_parse(tag, &ref, &err) < 0 && strstr(err->msg, "tag is longer than 128"),
       "a 129-character tag is refused");
    rl_error_release(&err);

    memset(ok_tag + 2, 't', 128);
    ok_tag[2 + 128] = '\0';
    ok(rl_image_ref_parse(ok_tag, &ref, &err) == 0 && strlen(ref->tag) == 128,
       "a 128-character tag is accepted");
    ref = rl_image_ref_free(ref);

    memset(name, 'n', 256);
    name[256] = '\0';
    ok(rl_image_ref_parse(name, &ref, &err) < 0 && strstr(err->msg, "name is longer than 255"),
       "a 256-character name is refused");
    ok(err && strlen(err->msg) < 400, "the message quotes a long name only in part");
    rl_error_release(&err);

    memcpy(ok_name, "r.io/", 5);
    memset(ok_name + 5, 'n', 250);
    ok_name[255] = '\0';
    ok(rl_image_ref_parse(ok_name, &ref, &err) == 0, "a 255-character name is accepted");
    ref = rl_image_ref_free(ref);

    /* docker.io/library/ + 238 = 256: the normalised name is too long, as in docker. */
    memset(ok_name, 'n', 238);
    ok_name[238] = '\0';
    ok(rl_image_ref_parse(ok_name, &ref, &err) < 0 && strstr(err->msg, "once normalised"),
       "a short name too long once normalised is refused");
    rl_error_release(&err);
    memset(ok_name, 'n', 237);
    ok_name[237] = '\0';
    ok(rl_image_ref_parse(ok_name, &ref, &err) == 0, "237 characters fit after docker.io/library/");
    ref = rl_image_ref_free(ref);
}

static void
test_local(void)
{
    static const struct {
        const char *in, *want;
    } cases[] = {
        { "mine", "localhost/mine:latest" },         { "mine:1", "localhost/mine:1" },
        { "team/app", "localhost/team/app:latest" }, { "localhost/x", "localhost/x:latest" },
        { "quay.io/a/b:2", "quay.io/a/b:2" },        { "host:5000/a", "host:5000/a:latest" },
    };
    struct rl_image_ref *ref = NULL;
    rl_error_t err = NULL;

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *full = NULL;
        ok(rl_image_ref_parse_local(cases[i].in, &ref, &err) == 0
               && strcmp(full = rl_image_ref_format(ref), cases[i].want) == 0,
           "local name '%s' is '%s'", cases[i].in, cases[i].want);
        free(full);
        ref = rl_image_ref_free(ref);
        rl_error_release(&err);
    }
    ok(rl_image_ref_parse_local("Bad/Name", &ref, &err) < 0
           && strstr(err->msg, "invalid image reference 'Bad/Name'"),
       "a bad local name is refused in the user's words");
    rl_error_release(&err);
}

static void
test_round_trip(void)
{
    static const char *const normalised[] = {
        "docker.io/library/alpine:latest",
        "docker.io/user/app:tag",
        "quay.io/a/b:1.0",
        "localhost/x:latest",
        "localhost:5000/x:latest",
        "127.0.0.1:5000/rl/busybox:latest",
        "[::1]:5000/x:latest",
        "docker.io/host/x@sha256:" D64,
        "docker.io/library/x:1@sha256:" D64,
        "r.io/a/b/c/d:t",
    };

    for (size_t i = 0; i < RL_ARRAY_SIZE(normalised); i++) {
        cleanup_image_ref struct rl_image_ref *ref = NULL;
        cleanup_error rl_error_t err = NULL;
        cleanup_free char *text = NULL;

        if (rl_image_ref_parse(normalised[i], &ref, &err) < 0) {
            ok(0, "'%s' parses: %s", normalised[i], err->msg);
            continue;
        }
        text = rl_image_ref_format(ref);
        is_str(text, normalised[i], "format(parse('%s')) is itself", normalised[i]);
    }
}

static void
test_format(void)
{
    cleanup_image_ref struct rl_image_ref *ref = NULL;
    cleanup_error rl_error_t err = NULL;
    cleanup_free char *text = NULL;

    ok(rl_image_ref_parse("alpine", &ref, &err) == 0, "'alpine' parses");
    text = rl_image_ref_format(ref);
    is_str(text, "docker.io/library/alpine:latest", "'alpine' formats in full");
    ok(rl_image_ref_free(NULL) == NULL, "rl_image_ref_free(NULL) is NULL");
    ref = rl_image_ref_free(ref);
    ok(ref == NULL, "rl_image_ref_free returns NULL");
}

int
main(void)
{
    test_good();
    test_bad();
    test_long();
    test_round_trip();
    test_format();
    test_local();
    done_testing();
}
