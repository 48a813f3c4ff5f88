#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#include "auth.h"
#include "fs.h"
#include "tap.h"

static char tmpdir[] = "/tmp/rl-test-auth-XXXXXX";

/* JSON text with ' for ", so that the documents below stay readable. */
static char *
json(const char *text)
{
    char *s = xstrdup(text);
    for (char *p = s; *p; p++)
        if (*p == '\'')
            *p = '"';
    return s;
}

/* Write TEXT (' for ") to DIR/NAME below tmpdir, creating the directories. */
static char *
put_file(const char *dir, const char *name, const char *text)
{
    cleanup_free char *d = xasprintf("%s/%s", tmpdir, dir);
    cleanup_free char *doc = json(text);
    cleanup_error rl_error_t err = NULL;
    char *path = xasprintf("%s/%s", d, name);

    if (rl_mkdir_p(d, 0700, &err) < 0
        || rl_write_file_atomic(path, doc, strlen(doc), 0600, false, &err) < 0)
        printf("# cannot write '%s': %s\n", path, err->msg);
    return path;
}

static char *
tmp_path(const char *rel)
{
    return xasprintf("%s/%s", tmpdir, rel);
}

/* A clean environment: HOME is an empty directory below tmpdir, nothing else is set. */
static void
reset_env(const char *case_name)
{
    cleanup_free char *home = xasprintf("%s/%s/home", tmpdir, case_name);
    cleanup_error rl_error_t err = NULL;

    unsetenv("REGISTRY_AUTH_FILE");
    unsetenv("XDG_RUNTIME_DIR");
    unsetenv("XDG_CONFIG_HOME");
    unsetenv("DOCKER_CONFIG");
    (void)rl_mkdir_p(home, 0700, &err);
    setenv("HOME", home, 1);
}

static void
setenv_tmp(const char *name, const char *rel)
{
    cleanup_free char *path = tmp_path(rel);
    setenv(name, path, 1);
}

/* Look REGISTRY up and compare with USER and PASSWORD (NULL: nothing found). */
static void
lookup_is(const char *registry, const char *user, const char *password, const char *what)
{
    cleanup_free char *u = NULL;
    cleanup_free char *p = NULL;
    cleanup_error rl_error_t err = NULL;
    int ret;

    ret = rl_auth_lookup(registry, &u, &p, &err);
    ok(ret == 0, "%s: lookup of %s succeeds", what, registry);
    if (err)
        printf("#   %s\n", err->msg);
    is_str(u, user, "%s: user", what);
    is_str(p, password, "%s: password", what);
}

/* "user:pass" as base64 for the documents below. */
#define AUTH_USER_PASS "dXNlcjpwYXNz"     /* user:pass */
#define AUTH_HUB       "aHViOmh1YnB3"     /* hub:hubpw */
#define AUTH_RUNTIME   "cnQ6cnRwdw=="     /* rt:rtpw */
#define AUTH_CONFIG    "Y2ZnOmNmZ3B3"     /* cfg:cfgpw */
#define AUTH_DOCKER    "ZGs6ZGtwdw=="     /* dk:dkpw */
#define AUTH_COLONS    "dTpwOmE6c3M="     /* u:p:a:ss */
#define AUTH_NO_COLON  "c2VjcmV0c2VjcmV0" /* secretsecret */

static void
test_lookup_order(void)
{
    cleanup_free char *f1 = NULL, *f2 = NULL, *f3 = NULL, *f4 = NULL, *f5 = NULL, *f6 = NULL;

    reset_env("order");
    lookup_is("quay.io", NULL, NULL, "no files");

    f1 = put_file("order/home/.docker", "config.json",
                  "{'auths':{'https://index.docker.io/v1/':{'auth':'" AUTH_HUB "'},"
                  "'quay.io':{'auth':'" AUTH_DOCKER "'}}}");
    lookup_is("docker.io", "hub", "hubpw", "~/.docker/config.json, https://index.docker.io/v1/");
    lookup_is("quay.io", "dk", "dkpw", "~/.docker/config.json");
    lookup_is("ghcr.io", NULL, NULL, "~/.docker/config.json without the registry");

    f2 = put_file("order/dockercfg", "config.json",
                  "{'auths':{'quay.io':{'auth':'" AUTH_USER_PASS "'}}}");
    setenv_tmp("DOCKER_CONFIG", "order/dockercfg");
    lookup_is("quay.io", "user", "pass", "$DOCKER_CONFIG replaces ~/.docker");
    lookup_is("docker.io", NULL, NULL, "$DOCKER_CONFIG: ~/.docker is not read");

    f3 = put_file("order/home/.config/containers", "auth.json",
                  "{'auths':{'quay.io':{'auth':'" AUTH_CONFIG "'}}}");
    lookup_is("quay.io", "cfg", "cfgpw", "~/.config/containers/auth.json before docker's");

    f4 = put_file("order/xdgconfig/containers", "auth.json",
                  "{'auths':{'quay.io':{'auth':'" AUTH_USER_PASS "'}}}");
    setenv_tmp("XDG_CONFIG_HOME", "order/xdgconfig");
    lookup_is("quay.io", "user", "pass", "$XDG_CONFIG_HOME replaces ~/.config");

    f5 = put_file("order/run/containers", "auth.json",
                  "{'auths':{'quay.io':{'auth':'" AUTH_RUNTIME "'}},'other':1}");
    setenv_tmp("XDG_RUNTIME_DIR", "order/run");
    lookup_is("quay.io", "rt", "rtpw", "$XDG_RUNTIME_DIR first");
    lookup_is("ghcr.io", NULL, NULL, "no file has ghcr.io");

    f6 = put_file("order", "authfile.json", "{'auths':{'ghcr.io':{'auth':'" AUTH_USER_PASS "'}}}");
    setenv_tmp("REGISTRY_AUTH_FILE", "order/authfile.json");
    lookup_is("ghcr.io", "user", "pass", "$REGISTRY_AUTH_FILE");
    lookup_is("quay.io", NULL, NULL, "$REGISTRY_AUTH_FILE is the only file read");

    setenv_tmp("REGISTRY_AUTH_FILE", "order/missing.json");
    lookup_is("quay.io", NULL, NULL, "a missing $REGISTRY_AUTH_FILE: nothing");
    setenv("REGISTRY_AUTH_FILE", "", 1);
    lookup_is("quay.io", "rt", "rtpw", "an empty $REGISTRY_AUTH_FILE counts as unset");

    /* A file that does not name the registry, or has an empty entry, falls through. */
    unsetenv("REGISTRY_AUTH_FILE");
    free(f5);
    f5 = put_file("order/run/containers", "auth.json",
                  "{'auths':{'quay.io':{'auth':''},'ghcr.io':{}}}");
    lookup_is("quay.io", "user", "pass", "an empty auth falls through to the next file");
    lookup_is("ghcr.io", NULL, NULL, "an entry without auth falls through");
    free(f5);
    f5 = put_file("order/run/containers", "auth.json", "{}");
    lookup_is("quay.io", "user", "pass", "a file without auths falls through");
}

static void
test_lookup_keys(void)
{
    cleanup_free char *f = NULL;

    reset_env("keys");
    setenv_tmp("REGISTRY_AUTH_FILE", "keys/auth.json");
    f = put_file("keys", "auth.json",
                 "{'auths':{"
                 "'r.io/ns/repo':{'auth':'" AUTH_DOCKER "'},"
                 "'r.io':{'auth':'" AUTH_USER_PASS "'},"
                 "'https://localhost:5000':{'auth':'" AUTH_CONFIG "'},"
                 "'http://insecure.local':{'auth':'" AUTH_RUNTIME "'},"
                 "'https://url.io/v1/':{'auth':'" AUTH_HUB "'},"
                 "'path.io/a/b':{'auth':'" AUTH_DOCKER "'},"
                 "'colons.io':{'auth':'" AUTH_COLONS "'},"
                 "'registry-1.docker.io':{'auth':'" AUTH_HUB "'},"
                 "'localhost':{'auth':'" AUTH_USER_PASS "'}}}");
    lookup_is("r.io", "user", "pass", "an exact key beats registry/path");
    lookup_is("localhost:5000", "cfg", "cfgpw", "https://registry");
    lookup_is("localhost", "user", "pass", "localhost does not match localhost:5000");
    lookup_is("insecure.local", "rt", "rtpw", "http://registry");
    lookup_is("url.io", "hub", "hubpw", "https://registry/v1/");
    lookup_is("path.io", "dk", "dkpw", "registry/path");
    lookup_is("colons.io", "u", "p:a:ss", "a password with ':'");
    lookup_is("docker.io", "hub", "hubpw", "docker.io matches registry-1.docker.io");
    lookup_is("index.docker.io", "hub", "hubpw", "index.docker.io matches registry-1.docker.io");
    lookup_is("r.i", NULL, NULL, "a prefix of a key does not match");
    lookup_is("io", NULL, NULL, "a suffix of a key does not match");
}

/* Lookups in a file holding TEXT fail with a message that names the file, contains PART,
 * and does not contain "secret". */
static void
lookup_fails(const char *text, const char *part)
{
    cleanup_free char *f = put_file("bad", "auth.json", text);
    cleanup_error rl_error_t err = NULL;
    char *user = (char *)"untouched", *password = (char *)"untouched";

    ok(rl_auth_lookup("quay.io", &user, &password, &err) < 0 && err != NULL
           && strstr(err->msg, f) != NULL && strstr(err->msg, part) != NULL,
       "lookup fails naming the file and \"%s\"", part);
    if (err)
        printf("#   %s\n", err->msg);
    ok(err && strstr(err->msg, "secret") == NULL && strstr(err->msg, "c2VjcmV0") == NULL,
       "the message shows no secret");
    ok(strcmp(user, "untouched") == 0 && strcmp(password, "untouched") == 0,
       "ret_user and ret_password are left alone");
}

static void
test_lookup_errors(void)
{
    cleanup_free char *dir = NULL;
    cleanup_free char *path = NULL;

    reset_env("bad");
    setenv_tmp("REGISTRY_AUTH_FILE", "bad/auth.json");
    lookup_fails("{'auths':{'quay.io':{'auth':'secretsecret' x}}}", "invalid JSON at line 1");
    lookup_fails("{'auths':{'quay.io':{'auth':'" AUTH_NO_COLON "'}}}", "not 'user:password'");
    lookup_fails("{'auths':{'quay.io':{'auth':'secret!!'}}}", "invalid base64");
    lookup_fails("{'auths':{'quay.io':{'auth':'secre'}}}", "invalid base64");
    lookup_fails("{'auths':{'quay.io':{'auth':5}}}", "auths.'quay.io'.auth: must be a string");
    lookup_fails("{'auths':{'quay.io':'secret'}}", "auths.'quay.io': must be an object");
    lookup_fails("{'auths':[]}", "auths: must be an object");
    lookup_fails("['secret']", "must be a JSON object");

    path = tmp_path("bad/auth.json");
    if (geteuid() == 0) {
        skip("root reads files of mode 0000");
        skip("root reads files of mode 0000");
    } else {
        cleanup_error rl_error_t err = NULL;
        char *user = NULL, *password = NULL;

        (void)chmod(path, 0000);
        ok(rl_auth_lookup("quay.io", &user, &password, &err) < 0 && err->status == EACCES,
           "an unreadable file is an error");
        ok(err && strstr(err->msg, path) != NULL, "naming the file");
        (void)chmod(path, 0600);
    }

    dir = tmp_path("bad/dir.json");
    (void)mkdir(dir, 0700);
    setenv("REGISTRY_AUTH_FILE", dir, 1);
    {
        cleanup_error rl_error_t err = NULL;
        char *user = NULL, *password = NULL;

        ok(rl_auth_lookup("quay.io", &user, &password, &err) < 0, "a directory is an error");
    }
}

static mode_t
file_mode(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? st.st_mode & 07777 : (mode_t)-1;
}

static json_t *
load(const char *path)
{
    json_error_t jerr;
    return json_load_file(path, 0, &jerr);
}

static void
test_store(void)
{
    cleanup_free char *path = NULL;
    cleanup_free char *dir = NULL;
    cleanup_free char *existing = NULL;
    cleanup_error rl_error_t err = NULL;
    json_t *root;

    reset_env("store");
    umask(022);
    path = tmp_path("store/new/containers/auth.json");
    dir = tmp_path("store/new/containers");
    ok(rl_auth_store(path, "quay.io", "user", "pa:ss", &err) == 0, "store in a new file");
    if (err)
        printf("#   %s\n", err->msg);
    is_int(file_mode(path), 0600, "the file has mode 0600");
    is_int(file_mode(dir), 0700, "its directory has mode 0700");
    setenv("REGISTRY_AUTH_FILE", path, 1);
    lookup_is("quay.io", "user", "pa:ss", "stored credentials");

    ok(rl_auth_store(path, "quay.io", "other", "pw2", &err) == 0, "store again replaces");
    lookup_is("quay.io", "other", "pw2", "replaced credentials");

    existing = put_file("store", "existing.json",
                        "{'auths':{'ghcr.io':{'auth':'" AUTH_USER_PASS "','email':'e'}},"
                        "'credHelpers':{'gcr.io':'gcloud'},'psFormat':'table'}");
    (void)chmod(existing, 0644);
    ok(rl_auth_store(existing, "localhost:5000", "me", "pw", &err) == 0,
       "store in an existing file");
    is_int(file_mode(existing), 0600, "the rewritten file has mode 0600");
    root = load(existing);
    ok(root != NULL, "the file is JSON");
    if (root != NULL) {
        json_t *auths = json_object_get(root, "auths");
        is_str(json_string_value(json_object_get(root, "psFormat")), "table",
               "a top-level key is kept");
        is_str(json_string_value(json_object_get(json_object_get(root, "credHelpers"), "gcr.io")),
               "gcloud", "credHelpers are kept");
        is_str(json_string_value(json_object_get(json_object_get(auths, "ghcr.io"), "email")), "e",
               "another entry is kept whole");
        is_str(json_string_value(json_object_get(json_object_get(auths, "localhost:5000"), "auth")),
               "bWU6cHc=", "the new entry is base64(\"me:pw\")");
        json_decref(root);
    }

    ok(rl_auth_store(existing, "quay.io", "a:b", "pw", &err) < 0 && strstr(err->msg, "':'"),
       "a user name with ':' is refused");
    rl_error_release(&err);
    ok(rl_auth_store(existing, "quay.io", "", "pw", &err) < 0, "an empty user name is refused");
    rl_error_release(&err);

    free(existing);
    existing = put_file("store", "broken.json", "{'auths':");
    ok(rl_auth_store(existing, "quay.io", "u", "p", &err) < 0 && strstr(err->msg, existing),
       "store into a malformed file fails naming it");
    rl_error_release(&err);
    {
        cleanup_free char *buf = NULL;
        size_t len;
        ok(rl_read_file(existing, 1024, &buf, &len, &err) == 0 && strcmp(buf, "{\"auths\":") == 0,
           "and leaves it as it was");
    }

    /* The default path. */
    reset_env("store-default");
    setenv_tmp("XDG_RUNTIME_DIR", "store-default/run");
    ok(rl_auth_store(NULL, "quay.io", "def", "pw", &err) == 0, "store in the default file");
    free(path);
    path = tmp_path("store-default/run/containers/auth.json");
    is_int(file_mode(path), 0600, "$XDG_RUNTIME_DIR/containers/auth.json was written");
    lookup_is("quay.io", "def", "pw", "lookup finds it");
}

static void
test_default_path(void)
{
    cleanup_free char *p1 = NULL, *p2 = NULL, *p3 = NULL, *p4 = NULL, *p5 = NULL;
    cleanup_free char *home = NULL;

    reset_env("defpath");
    home = xstrdup(getenv("HOME"));
    p1 = rl_auth_default_path();
    {
        cleanup_free char *want = xasprintf("%s/.config/containers/auth.json", home);
        is_str(p1, want, "default: ~/.config/containers/auth.json");
    }
    setenv("XDG_CONFIG_HOME", "/xdg/config", 1);
    p2 = rl_auth_default_path();
    is_str(p2, "/xdg/config/containers/auth.json", "$XDG_CONFIG_HOME");
    setenv("XDG_RUNTIME_DIR", "/run/user/1000", 1);
    p3 = rl_auth_default_path();
    is_str(p3, "/run/user/1000/containers/auth.json", "$XDG_RUNTIME_DIR first");
    setenv("REGISTRY_AUTH_FILE", "/some/auth.json", 1);
    p4 = rl_auth_default_path();
    is_str(p4, "/some/auth.json", "$REGISTRY_AUTH_FILE first");
    unsetenv("REGISTRY_AUTH_FILE");
    unsetenv("XDG_RUNTIME_DIR");
    unsetenv("XDG_CONFIG_HOME");
    unsetenv("HOME");
    p5 = rl_auth_default_path();
    ok(p5 == NULL, "nothing set: NULL");
    {
        cleanup_error rl_error_t err = NULL;
        ok(rl_auth_store(NULL, "quay.io", "u", "p", &err) < 0 && strstr(err->msg, "no auth file"),
           "store without any path fails");
    }
}

static void
test_remove(void)
{
    cleanup_free char *f = NULL;
    cleanup_free char *missing = NULL;
    cleanup_error rl_error_t err = NULL;
    json_t *root;

    reset_env("remove");
    f = put_file("remove", "auth.json",
                 "{'auths':{'quay.io':{'auth':'" AUTH_USER_PASS "'},"
                 "'https://index.docker.io/v1/':{'auth':'" AUTH_HUB "'},"
                 "'ghcr.io':{'auth':'" AUTH_USER_PASS "'}},'other':true}");
    setenv("REGISTRY_AUTH_FILE", f, 1);

    ok(rl_auth_remove(f, "quay.io", false, &err) == 0, "remove quay.io");
    if (err)
        printf("#   %s\n", err->msg);
    lookup_is("quay.io", NULL, NULL, "quay.io is gone");
    lookup_is("ghcr.io", "user", "pass", "ghcr.io stays");
    is_int(file_mode(f), 0600, "the file has mode 0600");

    ok(rl_auth_remove(f, "quay.io", false, &err) < 0 && err->status == ENOENT,
       "removing it again fails with ENOENT");
    is_str(err ? err->msg : NULL, "not logged into quay.io", "message");
    rl_error_release(&err);

    ok(rl_auth_remove(NULL, "docker.io", false, &err) == 0,
       "remove docker.io (default path) removes https://index.docker.io/v1/");
    lookup_is("docker.io", NULL, NULL, "docker.io is gone");

    ok(rl_auth_remove(f, NULL, true, &err) == 0, "remove all");
    root = load(f);
    ok(root && json_object_size(json_object_get(root, "auths")) == 0, "auths is empty");
    ok(root && json_is_true(json_object_get(root, "other")), "other keys stay");
    json_decref(root);

    missing = tmp_path("remove/missing.json");
    ok(rl_auth_remove(missing, "quay.io", false, &err) < 0 && err->status == ENOENT
           && strstr(err->msg, "not logged into quay.io"),
       "remove from a missing file: ENOENT");
    rl_error_release(&err);
    ok(rl_auth_remove(missing, NULL, true, &err) == 0, "remove all from a missing file is fine");
    ok(access(missing, F_OK) < 0, "and does not create it");
}

struct challenge_case {
    const char *header;
    const char *scheme, *realm, *service, *scope, *error;
};

static const struct challenge_case challenges[] = {
    { "Bearer realm=\"https://auth.docker.io/token\",service=\"registry.docker.io\","
      "scope=\"repository:library/alpine:pull\"",
      "bearer", "https://auth.docker.io/token", "registry.docker.io",
      "repository:library/alpine:pull", NULL },
    { "Basic realm=\"Registry Realm\"", "basic", "Registry Realm", NULL, NULL, NULL },
    { "basic", "basic", NULL, NULL, NULL, NULL },
    { "  BEARER   REALM = \"https://a/token\" ,\tService=a.io , scope=\"repository:x:pull,push\"  ",
      "bearer", "https://a/token", "a.io", "repository:x:pull,push", NULL },
    { "Bearer realm=\"https://a/t\",error=\"insufficient_scope\",scope=\"x\"", "bearer",
      "https://a/t", NULL, "x", "insufficient_scope" },
    { "Bearer realm=\"a\\\"b\\\\c\\d\"", "bearer", "a\"b\\cd", NULL, NULL, NULL },
    { "Bearer realm = \"r\" , service = \"s\"", "bearer", "r", "s", NULL, NULL },
    { "Basic realm=\"a\", Bearer realm=\"b\"", "basic", "a", NULL, NULL, NULL },
    { "Bearer realm=\"b\", Basic realm=\"a\"", "bearer", "b", NULL, NULL, NULL },
    { "Negotiate abc==", "negotiate", NULL, NULL, NULL, NULL },
    { "Negotiate abc==, Basic realm=\"x\"", "negotiate", NULL, NULL, NULL, NULL },
    { ", Basic realm=x", "basic", "x", NULL, NULL, NULL },
    { "Bearer realm=tok,,service=s,", "bearer", "tok", "s", NULL, NULL },
    { "Bearer realm=\"r\",foo=bar,Scope=\"s\"", "bearer", "r", NULL, "s", NULL },
    { "Bearer realm=\"caf\xc3\xa9\"", "bearer", "caf\xc3\xa9", NULL, NULL, NULL },
};

static void
test_challenges(void)
{
    for (size_t i = 0; i < RL_ARRAY_SIZE(challenges); i++) {
        const struct challenge_case *c = &challenges[i];
        struct rl_auth_challenge ch = { 0 };
        cleanup_error rl_error_t err = NULL;
        int ret = rl_auth_challenge_parse(c->header, &ch, &err);

        ok(ret == 0, "challenge %zu parses", i);
        if (err) {
            printf("#   %s\n", err->msg);
            continue;
        }
        is_str(ch.scheme, c->scheme, "challenge %zu: scheme", i);
        is_str(ch.realm, c->realm, "challenge %zu: realm", i);
        is_str(ch.service, c->service, "challenge %zu: service", i);
        is_str(ch.scope, c->scope, "challenge %zu: scope", i);
        is_str(ch.error, c->error, "challenge %zu: error", i);
        rl_auth_challenge_release(&ch);
        ok(ch.scheme == NULL && ch.realm == NULL, "challenge %zu: release clears it", i);
    }
}

static const struct {
    const char *header, *part;
} bad_challenges[] = {
    { "", "no challenge" },
    { "   ", "no challenge" },
    { "Bearer", "Bearer challenge without a realm" },
    { "Bearer service=\"x\"", "Bearer challenge without a realm" },
    { "Bearer realm=\"\"", "Bearer challenge without a realm" },
    { "Bearer realm=\"unterminated", "unterminated quoted string" },
    { "Bearer realm=\"ends in backslash\\", "unterminated quoted string" },
    { "Bearer realm=\"a\" service=\"b\"", "expected ',' after parameter 'realm'" },
    { "Bearer realm=https://a/token", "expected ',' after parameter 'realm'" },
    { "Bearer realm=\"a\",service=", "parameter 'service' has no value" },
    { "Bearer realm=\"a\",realm=\"b\"", "parameter 'realm' is repeated" },
    { "Bearer realm=\"a\nb\"", "control character 0x0a" },
    { "=x", "expected an authentication scheme" },
    { "Bearer=\"x\"", "unexpected character" },
    { "Bearer realm=\"r\", =x", "unexpected character" },
};

static void
test_bad_challenges(void)
{
    for (size_t i = 0; i < RL_ARRAY_SIZE(bad_challenges); i++) {
        struct rl_auth_challenge ch = { 0 };
        cleanup_error rl_error_t err = NULL;
        int ret = rl_auth_challenge_parse(bad_challenges[i].header, &ch, &err);

        ok(ret < 0 && err != NULL
               && strstr(err->msg, "invalid WWW-Authenticate header '") == err->msg
               && strstr(err->msg, bad_challenges[i].part) != NULL,
           "bad challenge %zu is refused naming \"%s\"", i, bad_challenges[i].part);
        if (err)
            printf("#   %s\n", err->msg);
        ok(ch.scheme == NULL && ch.realm == NULL, "bad challenge %zu: ret is left alone", i);
        ok(err == NULL || strchr(err->msg, '\n') == NULL, "bad challenge %zu: one line", i);
    }
}

static void
token_is(const char *text, const char *token, long expires_in)
{
    cleanup_free char *doc = json(text);
    cleanup_free char *t = NULL;
    cleanup_error rl_error_t err = NULL;
    long e = -1;

    ok(rl_auth_token_parse(doc, strlen(doc), &t, &e, &err) == 0, "token %s parses", doc);
    if (err)
        printf("#   %s\n", err->msg);
    is_str(t, token, "token %s: token", doc);
    is_int(e, expires_in, "token %s: expires_in", doc);
}

static void
token_bad(const char *text, const char *part)
{
    cleanup_free char *doc = json(text);
    char *t = NULL;
    cleanup_error rl_error_t err = NULL;
    long e = -1;

    ok(rl_auth_token_parse(doc, strlen(doc), &t, &e, &err) < 0 && t == NULL && e == -1
           && strncmp(err->msg, "token response: ", 16) == 0 && strstr(err->msg, part) != NULL,
       "token %s is refused naming \"%s\"", doc, part);
    if (err)
        printf("#   %s\n", err->msg);
    ok(err && strstr(err->msg, "secret") == NULL, "the message shows no secret");
}

static void
test_tokens(void)
{
    token_is("{'token':'abc','expires_in':300,'issued_at':'2024-01-01T00:00:00Z'}", "abc", 300);
    token_is("{'access_token':'xyz'}", "xyz", 60);
    token_is("{'token':'t1','access_token':'t2'}", "t1", 60);
    token_is("{'token':'','access_token':'t2'}", "t2", 60);
    token_is("{'token':null,'access_token':'t2','expires_in':null}", "t2", 60);
    token_is("{'token':'t','expires_in':10}", "t", 60);
    token_is("{'token':'t','expires_in':-5}", "t", 60);
    token_is("{'token':'t','expires_in':86400}", "t", 86400);

    token_bad("{}", "no \"token\" or \"access_token\"");
    token_bad("{'token':''}", "no \"token\" or \"access_token\"");
    token_bad("{'token':5}", "token: must be a string");
    token_bad("{'token':'t','access_token':[]}", "access_token: must be a string");
    token_bad("{'token':'t','expires_in':'300'}", "expires_in: must be an integer");
    token_bad("{'token':'t','expires_in':1.5}", "expires_in: must be an integer");
    token_bad("{'token':'secret' 'x'}", "invalid JSON at line 1");
    token_bad("secret", "invalid JSON");
    token_bad("['secret']", "must be a JSON object");
}

static void
test_base64(void)
{
    static const struct {
        const char *plain, *encoded;
    } vectors[] = {
        /* RFC 4648 section 10. */
        { "", "" },
        { "f", "Zg==" },
        { "fo", "Zm8=" },
        { "foo", "Zm9v" },
        { "foob", "Zm9vYg==" },
        { "fooba", "Zm9vYmE=" },
        { "foobar", "Zm9vYmFy" },
    };
    static const char *const bad[] = { "Zg=",  "Zg",       "Z===", "=AAA",  "Zm9v!A==",
                                       "Zm 9", "Zg==Zg==", "Zm=v", "Zm9\n", "A=B=" };
    unsigned char all[256];
    cleanup_free char *enc = NULL;
    cleanup_free char *dec = NULL;
    cleanup_error rl_error_t err = NULL;
    size_t len = 0;

    for (size_t i = 0; i < RL_ARRAY_SIZE(vectors); i++) {
        cleanup_free char *e = rl_base64_encode(vectors[i].plain, strlen(vectors[i].plain));
        cleanup_free char *d = NULL;
        size_t n = 99;

        is_str(e, vectors[i].encoded, "base64('%s')", vectors[i].plain);
        ok(rl_base64_decode(vectors[i].encoded, &d, &n, &err) == 0 && n == strlen(vectors[i].plain)
               && memcmp(d, vectors[i].plain, n) == 0 && d[n] == '\0',
           "decode('%s')", vectors[i].encoded);
        rl_error_release(&err);
    }
    for (size_t i = 0; i < sizeof(all); i++)
        all[i] = (unsigned char)(255 - i);
    enc = rl_base64_encode(all, sizeof(all));
    ok(rl_base64_decode(enc, &dec, &len, &err) == 0 && len == sizeof(all)
           && memcmp(dec, all, len) == 0,
       "all 256 byte values round-trip");
    for (size_t i = 0; i < RL_ARRAY_SIZE(bad); i++) {
        char *d = NULL;
        size_t n = 99;
        cleanup_error rl_error_t e = NULL;

        ok(rl_base64_decode(bad[i], &d, &n, &e) < 0 && d == NULL && n == 99
               && strstr(e->msg, "invalid base64") == e->msg,
           "decode of bad input %zu is refused", i);
        if (e)
            printf("#   %s\n", e->msg);
    }
}

int
main(void)
{
    cleanup_error rl_error_t err = NULL;

    if (mkdtemp(tmpdir) == NULL) {
        printf("Bail out! mkdtemp: %s\n", strerror(errno));
        return 1;
    }
    test_lookup_order();
    test_lookup_keys();
    test_lookup_errors();
    test_store();
    test_default_path();
    test_remove();
    test_challenges();
    test_bad_challenges();
    test_tokens();
    test_base64();
    if (rl_rm_rf(tmpdir, &err) < 0)
        printf("# cleanup: %s\n", err->msg);
    done_testing();
}
