#include "config.h"

#include <sched.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>

#include <linux/capability.h>

#include "mount.h"
#include "spec.h"
#include "syscalls.h"
#include "tap.h"

static const char minimal_text[] =
    "{ \"ociVersion\": \"1.0.2\", \"root\": { \"path\": \"rootfs\" },"
    "  \"process\": { \"args\": [ \"/bin/sh\" ] } }";

static json_t *
minimal(void)
{
    json_t *o = json_loads(minimal_text, 0, NULL);
    if (o == NULL)
        abort();
    return o;
}

/* Walk a dotted path ("process.user.uid") from O, creating objects on the way; the last
 * component is returned in *ret_key and its parent object is returned. */
static json_t *
walk(json_t *o, const char *path, char **ret_key)
{
    char *copy = xstrdup(path), *dot, *cur = copy;

    while ((dot = strchr(cur, '.')) != NULL) {
        json_t *next;
        *dot = '\0';
        next = json_object_get(o, cur);
        if (next == NULL) {
            next = json_object();
            json_object_set_new(o, cur, next);
        }
        o = next;
        cur = dot + 1;
    }
    *ret_key = xstrdup(cur);
    free(copy);
    return o;
}

/* Set PATH to the JSON value VALUE (any JSON text). */
static void
set(json_t *o, const char *path, const char *value)
{
    cleanup_free char *key = NULL;
    json_t *parent = walk(o, path, &key);
    json_t *v = json_loads(value, JSON_DECODE_ANY, NULL);

    if (v == NULL)
        abort();
    json_object_set_new(parent, key, v);
}

static void
del(json_t *o, const char *path)
{
    cleanup_free char *key = NULL;
    json_t *parent = walk(o, path, &key);
    json_object_del(parent, key);
}

static int
parse_json(json_t *o, const char *bundle, struct rl_spec **ret, rl_error_t *err)
{
    cleanup_free char *text = json_dumps(o, 0);
    return rl_spec_parse(text, strlen(text), bundle, ret, err);
}

/* Parse TEXT; expect failure with a message that contains WANT. Returns the message. */
static bool
fails_text(const char *text, const char *want, const char *what)
{
    struct rl_spec *spec = NULL;
    rl_error_t err = NULL;
    cleanup_free char *msg = NULL;
    int r = rl_spec_parse(text, strlen(text), "/bundle", &spec, &err);
    bool good;

    msg = err ? rl_error_format(err) : NULL;
    good = r < 0 && spec == NULL && msg && strstr(msg, want) != NULL;
    ok(good, "%s: error names '%s'", what, want);
    if (!good)
        printf("#   r=%d, message: %s\n", r, msg ? msg : "(none)");
    rl_error_release(&err);
    rl_spec_free(spec);
    return good;
}

/* Apply one change to the minimal config, which must then fail naming WANT. Frees O. */
static bool
fails(json_t *o, const char *want, const char *what)
{
    cleanup_free char *text = json_dumps(o, 0);
    json_decref(o);
    return fails_text(text, want, what);
}

static json_t *
with(const char *path, const char *value)
{
    json_t *o = minimal();
    set(o, path, value);
    return o;
}

static json_t *
without(const char *path)
{
    json_t *o = minimal();
    del(o, path);
    return o;
}

static void
test_minimal(void)
{
    cleanup_spec struct rl_spec *spec = NULL;
    struct rl_spec *other = NULL;
    rl_error_t err = NULL;

    is_int(rl_spec_parse(minimal_text, strlen(minimal_text), "/b", &spec, &err), 0,
           "minimal config parses");
    ok(err == NULL, "no error");
    if (spec == NULL)
        return;
    is_str(spec->oci_version, "1.0.2", "ociVersion");
    is_str(spec->root_path, "/b/rootfs", "relative root.path joined to the bundle");
    ok(!spec->root_readonly, "root.readonly defaults to false");
    is_int(rl_strv_len(spec->process.args), 1, "one arg");
    is_str(spec->process.args[0], "/bin/sh", "args[0]");
    is_str(spec->process.cwd, "/", "cwd defaults to /");
    is_int(spec->process.uid, 0, "uid defaults to 0");
    is_int(spec->process.gid, 0, "gid defaults to 0");
    ok(spec->process.env == NULL, "no env");
    ok(!spec->process.terminal, "no terminal");
    ok(!spec->process.caps.present, "capabilities absent");
    ok(!spec->process.has_umask && !spec->process.has_oom_score_adj, "no umask, no oomScoreAdj");
    is_int(spec->process.n_rlimits, 0, "no rlimits");
    is_int(spec->n_namespaces, 0, "no namespaces");
    is_int(spec->n_mounts, 0, "no mounts");
    is_int(spec->n_uid_mappings + spec->n_gid_mappings, 0, "no mappings");
    ok(spec->hostname == NULL && spec->seccomp == NULL && spec->annotations == NULL,
       "no hostname, seccomp or annotations");
    ok(rl_spec_namespace(spec, CLONE_NEWPID) == NULL, "rl_spec_namespace finds none");
    ok(json_is_object(spec->root), "the whole document is kept");

    is_int(rl_spec_parse(minimal_text, strlen(minimal_text), NULL, &other, &err), 0,
           "parse without a bundle");
    is_str(other ? other->root_path : NULL, "rootfs", "without a bundle root.path stays relative");
    rl_spec_free(other);
    other = NULL;

    {
        json_t *o = with("root.path", "\"/abs/rootfs\"");
        is_int(parse_json(o, "/b", &other, &err), 0, "absolute root.path");
        is_str(other ? other->root_path : NULL, "/abs/rootfs", "absolute root.path kept");
        rl_spec_free(other);
        other = NULL;
        json_decref(o);
    }
    {
        /* Only the given length is parsed. */
        char text[sizeof(minimal_text) + 8];
        snprintf(text, sizeof(text), "%sGARBAGE", minimal_text);
        is_int(rl_spec_parse(text, strlen(minimal_text), "/b", &other, &err), 0,
               "the length bounds the text");
        rl_spec_free(other);
    }
    rl_error_release(&err);
    rl_spec_free(NULL);
    ok(1, "rl_spec_free(NULL)");
}

static const char full_text[] =
    "{"
    "  \"ociVersion\": \"1.1.0\","
    "  \"root\": { \"path\": \"rootfs\", \"readonly\": true },"
    "  \"hostname\": \"box\","
    "  \"domainname\": \"example.org\","
    "  \"process\": {"
    "    \"terminal\": true,"
    "    \"consoleSize\": { \"height\": 25, \"width\": 80 },"
    "    \"user\": { \"uid\": 1000, \"gid\": 100, \"umask\": 18, \"additionalGids\": [ 5, 6 ] },"
    "    \"args\": [ \"sh\", \"-c\", \"echo hi\" ],"
    "    \"env\": [ \"PATH=/bin\", \"TERM=xterm\" ],"
    "    \"cwd\": \"/work\","
    "    \"capabilities\": {"
    "      \"bounding\": [ \"CAP_CHOWN\", \"CAP_KILL\", \"cap_kill\" ],"
    "      \"effective\": [ \"NET_BIND_SERVICE\" ],"
    "      \"permitted\": [ \"CAP_CHOWN\", \"CAP_NET_BIND_SERVICE\" ],"
    "      \"ambient\": []"
    "    },"
    "    \"rlimits\": ["
    "      { \"type\": \"RLIMIT_NOFILE\", \"soft\": 1024, \"hard\": 2048 },"
    "      { \"type\": \"RLIMIT_CORE\", \"soft\": 0, \"hard\": 0 }"
    "    ],"
    "    \"noNewPrivileges\": true,"
    "    \"oomScoreAdj\": -500"
    "  },"
    "  \"mounts\": ["
    "    { \"destination\": \"/proc\", \"type\": \"proc\", \"source\": \"proc\" },"
    "    { \"destination\": \"/data\", \"type\": \"bind\", \"source\": \"/srv/data\","
    "      \"options\": [ \"rbind\", \"ro\", \"nosuid\" ] }"
    "  ],"
    "  \"annotations\": { \"org.example.key\": \"value\" },"
    "  \"linux\": {"
    "    \"namespaces\": ["
    "      { \"type\": \"pid\" },"
    "      { \"type\": \"network\", \"path\": \"/var/run/netns/x\" },"
    "      { \"type\": \"mount\" },"
    "      { \"type\": \"user\" }"
    "    ],"
    "    \"uidMappings\": [ { \"containerID\": 0, \"hostID\": 1000, \"size\": 1 },"
    "                       { \"containerID\": 1, \"hostID\": 100000, \"size\": 65536 } ],"
    "    \"gidMappings\": [ { \"containerID\": 0, \"hostID\": 100, \"size\": 1 } ],"
    "    \"maskedPaths\": [ \"/proc/kcore\", \"/proc/keys\" ],"
    "    \"readonlyPaths\": [ \"/proc/sys\" ],"
    "    \"rootfsPropagation\": \"rslave\","
    "    \"cgroupsPath\": \"/rl/c1\","
    "    \"sysctl\": { \"net.ipv4.ip_forward\": \"1\" },"
    "    \"resources\": { \"pids\": { \"limit\": 100 } }"
    "  }"
    "}";

static bool
has_cap(const struct rl_caps *c, enum rl_cap_set set, int cap)
{
    for (size_t i = 0; i < c->n[set]; i++)
        if (c->sets[set][i] == cap)
            return true;
    return false;
}

static void
test_full(void)
{
    cleanup_spec struct rl_spec *spec = NULL;
    rl_error_t err = NULL;
    const struct rl_namespace *ns;
    const struct rl_process *p;

    is_int(rl_spec_parse(full_text, strlen(full_text), "/bundle", &spec, &err), 0,
           "full config parses");
    if (err) {
        cleanup_free char *m = rl_error_format(err);
        printf("#   %s\n", m);
        rl_error_release(&err);
    }
    if (spec == NULL)
        return;
    p = &spec->process;
    is_str(spec->root_path, "/bundle/rootfs", "root.path joined");
    ok(spec->root_readonly, "root.readonly");
    is_str(spec->hostname, "box", "hostname");
    is_str(spec->domainname, "example.org", "domainname");

    ok(p->terminal, "terminal");
    ok(p->console_height == 25 && p->console_width == 80, "consoleSize");
    is_int(p->uid, 1000, "uid");
    is_int(p->gid, 100, "gid");
    ok(p->has_umask && p->umask == 022, "umask 18 = 022");
    ok(p->n_additional_gids == 2 && p->additional_gids[0] == 5 && p->additional_gids[1] == 6,
       "additionalGids");
    is_int(rl_strv_len(p->args), 3, "three args");
    is_str(p->args[2], "echo hi", "args[2]");
    is_int(rl_strv_len(p->env), 2, "two env entries");
    is_str(p->env[1], "TERM=xterm", "env[1]");
    is_str(p->cwd, "/work", "cwd");
    ok(p->no_new_privileges, "noNewPrivileges");
    ok(p->has_oom_score_adj && p->oom_score_adj == -500, "oomScoreAdj");

    ok(p->caps.present, "capabilities present");
    is_int(p->caps.n[RL_CAP_BOUNDING], 2, "bounding: duplicates dropped");
    ok(has_cap(&p->caps, RL_CAP_BOUNDING, CAP_CHOWN)
           && has_cap(&p->caps, RL_CAP_BOUNDING, CAP_KILL),
       "bounding = CHOWN, KILL");
    is_int(p->caps.n[RL_CAP_EFFECTIVE], 1, "effective: one");
    ok(has_cap(&p->caps, RL_CAP_EFFECTIVE, CAP_NET_BIND_SERVICE),
       "NET_BIND_SERVICE without the prefix -> 10");
    is_int(p->caps.n[RL_CAP_PERMITTED], 2, "permitted: two");
    is_int(p->caps.n[RL_CAP_INHERITABLE], 0, "inheritable absent: empty");
    is_int(p->caps.n[RL_CAP_AMBIENT], 0, "ambient []: empty");

    is_int(p->n_rlimits, 2, "two rlimits");
    ok(p->rlimits[0].resource == RLIMIT_NOFILE && p->rlimits[0].soft == 1024
           && p->rlimits[0].hard == 2048,
       "RLIMIT_NOFILE 1024/2048");
    ok(p->rlimits[1].resource == RLIMIT_CORE && p->rlimits[1].hard == 0, "RLIMIT_CORE 0/0");

    is_int(spec->n_mounts, 2, "two mounts");
    is_str(spec->mounts[0].destination, "/proc", "mounts[0].destination");
    is_str(spec->mounts[0].type, "proc", "mounts[0].type");
    ok(spec->mounts[0].options == NULL, "mounts[0] has no options");
    is_str(spec->mounts[1].source, "/srv/data", "mounts[1].source");
    is_int(rl_strv_len(spec->mounts[1].options), 3, "mounts[1] options");
    is_str(spec->mounts[1].options[0], "rbind", "mounts[1].options[0]");

    is_int(spec->n_namespaces, 4, "four namespaces");
    ns = rl_spec_namespace(spec, CLONE_NEWPID);
    ok(ns && ns->path == NULL, "pid: created (no path)");
    ns = rl_spec_namespace(spec, CLONE_NEWNET);
    ok(ns && ns->path && strcmp(ns->path, "/var/run/netns/x") == 0, "network: joined by path");
    ok(rl_spec_namespace(spec, CLONE_NEWUSER) != NULL, "user namespace");
    ok(rl_spec_namespace(spec, CLONE_NEWNS) != NULL, "mount namespace");
    ok(rl_spec_namespace(spec, CLONE_NEWUTS) == NULL, "no uts namespace");

    is_int(spec->n_uid_mappings, 2, "two uid ranges");
    ok(spec->uid_mappings[1].container_id == 1 && spec->uid_mappings[1].host_id == 100000
           && spec->uid_mappings[1].size == 65536,
       "uidMappings[1]");
    is_int(spec->n_gid_mappings, 1, "one gid range");
    ok(spec->gid_mappings[0].host_id == 100, "gidMappings[0].hostID");

    is_int(rl_strv_len(spec->masked_paths), 2, "maskedPaths");
    is_str(spec->masked_paths[1], "/proc/keys", "maskedPaths[1]");
    is_int(rl_strv_len(spec->readonly_paths), 1, "readonlyPaths");
    is_str(spec->rootfs_propagation, "rslave", "rootfsPropagation");
    is_str(spec->cgroups_path, "/rl/c1", "cgroupsPath");
    is_str(json_string_value(json_object_get(spec->sysctl, "net.ipv4.ip_forward")), "1", "sysctl");
    ok(json_is_object(json_object_get(spec->resources, "pids")), "resources kept as JSON");
    is_str(json_string_value(json_object_get(spec->annotations, "org.example.key")), "value",
           "annotations");
    ok(spec->seccomp == NULL, "seccomp absent");
    ok(spec->hooks == NULL, "hooks absent");
}

static void
test_bad(void)
{
    char name65[80], name64[80];

    fails_text("{ \"ociVersion\": ", "config.json: line 1 column", "truncated JSON");
    fails_text("{\n  \"ociVersion\": \"1.0.0\",\n  oops\n}", "line 3", "junk on line 3");
    fails_text("", "config.json: line", "empty text");
    fails_text("[]", "config.json: must be a JSON object", "an array");
    fails_text("\"x\"", "config.json: line 1", "a string (not even a JSON document to jansson)");
    fails_text("{ \"ociVersion\": \"1.0.0\", \"ociVersion\": \"1.0.0\", \"root\": { \"path\": "
               "\"r\" }, \"process\": { \"args\": [ \"x\" ] } }",
               "duplicate", "duplicate JSON keys");
    fails_text("{ \"ociVersion\": \"1.0.0\", \"root\": { \"path\": \"r\", \"path\": \"s\" }, "
               "\"process\": { \"args\": [ \"x\" ] } }",
               "duplicate", "duplicate nested JSON keys");

    fails(without("ociVersion"), "ociVersion: missing", "missing ociVersion");
    fails(with("ociVersion", "\"2.0.0\""), "ociVersion: unsupported version '2.0.0'",
          "ociVersion 2.0.0");
    fails(with("ociVersion", "\"\""), "ociVersion: unsupported version", "empty ociVersion");
    fails(with("ociVersion", "1"), "ociVersion: must be a string", "numeric ociVersion");

    fails(without("root"), "root: missing", "missing root");
    fails(with("root", "\"rootfs\""), "root: must be an object", "root a string");
    fails(with("root.path", "5"), "root.path: must be a string", "root.path a number");
    fails(without("root.path"), "root.path: missing", "root.path missing");
    fails(with("root.readonly", "\"yes\""), "root.readonly: must be true or false",
          "root.readonly a string");

    fails(without("process"), "process: missing", "missing process");
    fails(with("process", "[]"), "process: must be an object", "process an array");
    fails(with("process.args", "[]"), "process.args: must not be empty", "process.args empty");
    fails(with("process.args", "\"sh\""), "process.args: must be an array",
          "process.args a string");
    fails(with("process.args", "[\"sh\", 1]"), "process.args[1]: must be a string",
          "process.args with a number");
    fails(without("process.args"), "process.args: missing", "process.args missing");
    fails(with("process.env", "[\"A=1\", null]"), "process.env[1]", "process.env with null");
    fails(with("process.cwd", "\"work\""), "process.cwd: 'work' must be an absolute path",
          "process.cwd relative");
    fails(with("process.cwd", "7"), "process.cwd: must be a string", "process.cwd a number");
    fails(with("process.terminal", "1"), "process.terminal: must be true or false",
          "terminal a number");

    fails(with("process.user", "{ \"uid\": -1, \"gid\": 0 }"), "process.user.uid",
          "process.user.uid negative");
    fails(with("process.user", "{ \"uid\": -1, \"gid\": 0 }"), "out of range", "negative: range");
    fails(with("process.user", "{ \"uid\": \"0\", \"gid\": 0 }"),
          "process.user.uid: must be a non-negative integer", "process.user.uid a string");
    fails(with("process.user", "{ \"uid\": 4294967296, \"gid\": 0 }"), "process.user.uid",
          "process.user.uid > 2^32");
    fails(with("process.user", "{ \"uid\": 4294967295, \"gid\": 0 }"), "process.user.uid",
          "process.user.uid (uid_t)-1");
    fails(with("process.user", "{ \"uid\": 1.5, \"gid\": 0 }"), "process.user.uid",
          "process.user.uid a fraction");
    fails(with("process.user", "{ \"uid\": 0 }"), "process.user.gid: missing",
          "process.user.gid missing");
    fails(with("process.user", "{ \"uid\": 0, \"gid\": 0, \"umask\": 512 }"), "process.user.umask",
          "umask 01000");
    fails(with("process.user", "{ \"uid\": 0, \"gid\": 0, \"additionalGids\": [ 1, -1 ] }"),
          "process.user.additionalGids[1]", "additionalGids negative");
    fails(with("process.consoleSize", "{ \"height\": 1, \"width\": 70000 }"),
          "process.consoleSize.width", "consoleSize.width too big");

    fails(with("linux", "[]"), "linux: must be an object", "linux an array");
    fails(with("linux.namespaces", "{}"), "linux.namespaces: must be an array",
          "namespaces an object");
    fails(with("linux.namespaces", "[ { \"type\": \"pid\" }, { \"type\": \"foo\" } ]"),
          "linux.namespaces[1].type: unknown namespace 'foo'", "unknown namespace type");
    fails(with("linux.namespaces", "[ { \"type\": \"pid\" }, { \"type\": \"pid\" } ]"),
          "linux.namespaces[1].type: namespace 'pid' given twice", "duplicate namespace");
    fails(with("linux.namespaces", "[ { \"type\": \"network\", \"path\": \"proc/1/ns/net\" } ]"),
          "linux.namespaces[0]: path must be absolute", "relative namespace path");
    {
        /* An empty path means "create one" to runc; spec.c means to accept it too (it turns ""
         * into NULL), but tests for '/' first. */
        json_t *o = with("linux.namespaces", "[ { \"type\": \"network\", \"path\": \"\" } ]");
        struct rl_spec *spec = NULL;
        rl_error_t err = NULL;
        int r = parse_json(o, "/b", &spec, &err);
        ok(r == 0 && spec->n_namespaces == 1 && spec->namespaces[0].path == NULL,
           "an empty namespace path creates a namespace");
        json_decref(o);
        rl_error_release(&err);
        rl_spec_free(spec);
    }
    fails(with("linux.namespaces", "[ { \"path\": \"/proc/1/ns/net\" } ]"),
          "linux.namespaces[0].type: missing", "namespace without a type");
    fails(with("linux.namespaces", "[ \"pid\" ]"), "linux.namespaces[0]: must be an object",
          "namespace a string");

    fails(with("mounts", "{}"), "mounts: must be an array", "mounts not an array");
    fails(with("mounts", "[ { \"destination\": \"tmp\", \"type\": \"tmpfs\" } ]"),
          "mounts[0].destination: 'tmp' must be an absolute path",
          "mounts[0].destination relative");
    fails(with("mounts", "[ { \"destination\": \"/a\" }, { \"type\": \"tmpfs\" } ]"),
          "mounts[1].destination: missing", "mounts[1].destination missing");
    fails(with("mounts", "[ { \"destination\": \"/a\", \"options\": [ \"ro\", 3 ] } ]"),
          "mounts[0].options[1]: must be a string", "mount option a number");
    fails(with("mounts", "[ 1 ]"), "mounts[0]: must be an object", "mount a number");

    fails(with("linux.uidMappings", "[ { \"containerID\": 0, \"hostID\": 1000, \"size\": 0 } ]"),
          "linux.uidMappings[0]: size must be at least 1", "uidMappings[0].size 0");
    fails(with("linux.uidMappings",
               "[ { \"containerID\": 4294967295, \"hostID\": 1000, \"size\": 2 } ]"),
          "linux.uidMappings[0]: range wraps", "container range wrapping");
    fails(with("linux.gidMappings",
               "[ { \"containerID\": 0, \"hostID\": 0, \"size\": 1 }, "
               "{ \"containerID\": 1, \"hostID\": 4294967295, \"size\": 2 } ]"),
          "linux.gidMappings[1]: range wraps", "host range wrapping");
    fails(with("linux.uidMappings", "[ { \"containerID\": 0, \"size\": 1 } ]"),
          "linux.uidMappings[0].hostID: missing", "hostID missing");
    fails(with("linux.uidMappings", "[ { \"containerID\": -1, \"hostID\": 0, \"size\": 1 } ]"),
          "linux.uidMappings[0].containerID", "containerID negative");
    fails(with("linux.uidMappings", "{}"), "linux.uidMappings: must be an array",
          "uidMappings an object");

    fails(with("process.rlimits", "[ { \"type\": \"RLIMIT_FOO\", \"soft\": 1, \"hard\": 1 } ]"),
          "process.rlimits[0].type: unknown rlimit 'RLIMIT_FOO'", "unknown rlimit type");
    fails(with("process.rlimits", "[ { \"type\": \"RLIMIT_NOFILE\", \"soft\": 10, \"hard\": 5 } ]"),
          "process.rlimits[0]", "rlimit soft > hard");
    fails(with("process.rlimits", "[ { \"type\": \"RLIMIT_NOFILE\", \"soft\": 10, \"hard\": 5 } ]"),
          "soft limit 10 above hard limit 5", "soft > hard says so");
    fails(with("process.rlimits", "[ { \"type\": \"RLIMIT_NOFILE\", \"soft\": 1 } ]"),
          "process.rlimits[0].hard: missing", "rlimit hard missing");
    fails(with("process.rlimits", "[ { \"type\": \"RLIMIT_NOFILE\", \"soft\": -2, \"hard\": 1 } ]"),
          "process.rlimits[0].soft", "rlimit soft negative");
    {
        /* RLIM_INFINITY is 2^64-1, the largest value of the spec's uint64. */
        static const char text[] =
            "{ \"ociVersion\": \"1.0.2\", \"root\": { \"path\": \"rootfs\" }, \"process\": {"
            "  \"args\": [ \"/bin/sh\" ], \"rlimits\": [ { \"type\": \"RLIMIT_CORE\","
            "  \"soft\": 18446744073709551615, \"hard\": 18446744073709551615 } ] } }";
        struct rl_spec *spec = NULL;
        rl_error_t err = NULL;

        ok(rl_spec_parse(text, strlen(text), "/b", &spec, &err) == 0
               && spec->process.rlimits[0].hard == UINT64_MAX,
           "rlimit 18446744073709551615 (RLIM_INFINITY) parses");
        rl_error_release(&err);
        rl_spec_free(spec);
    }

    fails(with("process.capabilities", "{ \"bounding\": [ \"CAP_FOO\" ] }"),
          "process.capabilities.bounding[0]", "unknown capability");
    fails(with("process.capabilities", "{ \"bounding\": [ \"CAP_FOO\" ] }"),
          "unknown capability 'CAP_FOO'", "unknown capability named");
    fails(with("process.capabilities", "{ \"effective\": [ \"CAP_KILL\", 3 ] }"),
          "process.capabilities.effective[1]", "capability a number");
    fails(with("process.capabilities", "{ \"ambient\": \"CAP_KILL\" }"),
          "process.capabilities.ambient: must be an array", "capability set a string");
    fails(with("process.capabilities", "[]"), "process.capabilities: must be an object",
          "capabilities an array");

    memset(name65, 'h', 65);
    name65[65] = '\0';
    memset(name64, 'h', 64);
    name64[64] = '\0';
    {
        json_t *o = minimal();
        struct rl_spec *spec = NULL;
        rl_error_t err = NULL;
        json_object_set_new(o, "hostname", json_string(name64));
        is_int(parse_json(o, "/b", &spec, &err), 0, "hostname of 64 characters is fine");
        rl_spec_free(spec);
        rl_error_release(&err);
        json_object_set_new(o, "hostname", json_string(name65));
        fails(o, "hostname: longer than 64", "hostname of 65 characters");
    }
    fails(with("hostname", "3"), "hostname: must be a string", "hostname a number");

    fails(with("process.oomScoreAdj", "1001"), "process.oomScoreAdj", "oomScoreAdj 1001");
    fails(with("process.oomScoreAdj", "-1001"), "process.oomScoreAdj", "oomScoreAdj -1001");
    fails(with("process.oomScoreAdj", "\"5\""), "process.oomScoreAdj", "oomScoreAdj a string");
    {
        json_t *o = with("process.oomScoreAdj", "1000");
        struct rl_spec *spec = NULL;
        rl_error_t err = NULL;
        is_int(parse_json(o, "/b", &spec, &err), 0, "oomScoreAdj 1000 is fine");
        rl_spec_free(spec);
        rl_error_release(&err);
        json_decref(o);
    }

    fails(with("linux.rootfsPropagation", "\"bogus\""), "unknown mode 'bogus'",
          "rootfsPropagation unknown");
    {
        json_t *o = with("linux.rootfsPropagation", "\"bogus\"");
        cleanup_free char *text = json_dumps(o, 0);
        struct rl_spec *spec = NULL;
        rl_error_t err = NULL;
        json_decref(o);
        rl_spec_parse(text, strlen(text), "/b", &spec, &err);
        ok(err && strstr(err->msg, "linux.rootfsPropagation"),
           "rootfsPropagation error names linux.rootfsPropagation: %s", err ? err->msg : "");
        rl_error_release(&err);
        rl_spec_free(spec);
    }
    fails(with("linux.sysctl", "{ \"a/b\": \"1\" }"), "bad name 'a/b'", "sysctl with a slash");
    {
        json_t *o = with("linux.sysctl", "{ \"net.x\": 1 }");
        cleanup_free char *text = json_dumps(o, 0);
        struct rl_spec *spec = NULL;
        rl_error_t err = NULL;
        json_decref(o);
        ok(rl_spec_parse(text, strlen(text), "/b", &spec, &err) < 0, "sysctl value a number");
        ok(err && strstr(err->msg, "linux.sysctl.net.x"), "sysctl error names linux.sysctl: %s",
           err ? err->msg : "");
        rl_error_release(&err);
        rl_spec_free(spec);
    }
    fails(with("annotations", "[]"), "annotations: must be an object", "annotations an array");
    fails(with("linux.resources", "1"), "linux.resources: must be an object", "resources a number");
}

static void
test_default(void)
{
    struct rl_idmap_range uids[] = { { 0, 1000, 1 }, { 1, 100000, 65536 } };
    struct rl_idmap_range gids[] = { { 0, 1000, 1 } };
    cleanup_free char *text = NULL;
    struct rl_spec *spec = NULL;
    rl_error_t err = NULL;
    json_t *o;
    bool sys_bind = false, gid5 = false;

    o = rl_spec_default(true, uids, 2, gids, 1);
    ok(o != NULL, "rl_spec_default(true) gives JSON");
    text = json_dumps(o, JSON_INDENT(2));
    json_decref(o);
    is_int(rl_spec_parse(text, strlen(text), "/bundle", &spec, &err), 0,
           "the rootless default re-parses");
    if (err) {
        cleanup_free char *m = rl_error_format(err);
        printf("#   %s\n", m);
        rl_error_release(&err);
    }
    if (spec) {
        ok(rl_spec_namespace(spec, CLONE_NEWUSER) != NULL, "rootless: a user namespace");
        ok(rl_spec_namespace(spec, CLONE_NEWPID) && rl_spec_namespace(spec, CLONE_NEWNS),
           "pid and mount namespaces");
        is_int(spec->n_uid_mappings, 2, "uid mappings copied");
        ok(spec->n_uid_mappings == 2 && spec->uid_mappings[1].host_id == 100000
               && spec->uid_mappings[1].size == 65536 && spec->uid_mappings[1].container_id == 1,
           "uidMappings[1]");
        is_int(spec->n_gid_mappings, 1, "gid mappings copied");
        ok(spec->n_gid_mappings == 1 && spec->gid_mappings[0].host_id == 1000, "gidMappings[0]");
        is_str(spec->root_path, "/bundle/rootfs", "root.path rootfs in the bundle");
        ok(spec->root_readonly, "root read-only");
        ok(spec->process.caps.present && spec->process.caps.n[RL_CAP_BOUNDING] == 3,
           "three capabilities");
        ok(spec->process.no_new_privileges, "noNewPrivileges");
        ok(rl_strv_len(spec->masked_paths) > 0 && rl_strv_len(spec->readonly_paths) > 0,
           "masked and read-only paths");
        for (size_t i = 0; i < spec->n_mounts; i++) {
            struct rl_mount *m = &spec->mounts[i];
            if (strcmp(m->destination, "/sys") == 0)
                sys_bind = m->options && strcmp(m->options[0], "rbind") == 0;
            for (size_t k = 0; m->options && m->options[k]; k++)
                gid5 = gid5 || strcmp(m->options[k], "gid=5") == 0;
        }
        ok(sys_bind, "rootless: /sys is a bind mount");
        ok(!gid5, "rootless: devpts has no gid=5");
    }
    rl_spec_free(spec);
    spec = NULL;
    free(text);

    o = rl_spec_default(false, NULL, 0, NULL, 0);
    text = json_dumps(o, 0);
    json_decref(o);
    is_int(rl_spec_parse(text, strlen(text), "/bundle", &spec, &err), 0,
           "the root default re-parses");
    rl_error_release(&err);
    if (spec) {
        ok(rl_spec_namespace(spec, CLONE_NEWUSER) == NULL, "root: no user namespace");
        is_int(spec->n_uid_mappings + spec->n_gid_mappings, 0, "root: no mappings");
        sys_bind = gid5 = false;
        for (size_t i = 0; i < spec->n_mounts; i++) {
            struct rl_mount *m = &spec->mounts[i];
            if (strcmp(m->destination, "/sys") == 0)
                sys_bind = strcmp(m->type, "sysfs") == 0;
            for (size_t k = 0; m->options && m->options[k]; k++)
                gid5 = gid5 || strcmp(m->options[k], "gid=5") == 0;
        }
        ok(sys_bind, "root: /sys is sysfs");
        ok(gid5, "root: devpts has gid=5");
    }
    rl_spec_free(spec);
}

static void
test_namespace_names(void)
{
    static const struct {
        const char *name;
        int flag;
        const char *proc;
    } t[] = {
        { "user", CLONE_NEWUSER, "user" },       { "pid", CLONE_NEWPID, "pid" },
        { "mount", CLONE_NEWNS, "mnt" },         { "uts", CLONE_NEWUTS, "uts" },
        { "ipc", CLONE_NEWIPC, "ipc" },          { "network", CLONE_NEWNET, "net" },
        { "cgroup", CLONE_NEWCGROUP, "cgroup" }, { "time", CLONE_NEWTIME, "time" },
    };

    for (size_t i = 0; i < RL_ARRAY_SIZE(t); i++) {
        is_int(rl_namespace_from_name(t[i].name), t[i].flag, "'%s' -> flag", t[i].name);
        is_str(rl_namespace_name(t[i].flag), t[i].name, "flag -> '%s'", t[i].name);
        is_str(rl_namespace_proc_name(t[i].flag), t[i].proc, "'%s' is /proc/PID/ns/%s", t[i].name,
               t[i].proc);
    }
    is_int(rl_namespace_from_name("net"), -1, "'net' is not a spec name");
    is_int(rl_namespace_from_name("mnt"), -1, "'mnt' is not a spec name");
    is_int(rl_namespace_from_name("PID"), -1, "names are case-sensitive");
    is_int(rl_namespace_from_name(""), -1, "'' is unknown");
    is_str(rl_namespace_name(0), NULL, "0 has no name");
    is_str(rl_namespace_name(CLONE_NEWPID | CLONE_NEWNET), NULL, "two flags have no name");
    is_str(rl_namespace_proc_name(CLONE_VM), NULL, "CLONE_VM has no proc name");
}

/* Parse a NULL-terminated list of options. */
static int
parse_opts(struct rl_mount_flags *f, rl_error_t *err, ...)
{
    char *opts[32];
    size_t n = 0;
    va_list ap;

    va_start(ap, err);
    while (n < RL_ARRAY_SIZE(opts) - 1 && (opts[n] = va_arg(ap, char *)) != NULL)
        n++;
    va_end(ap);
    opts[n] = NULL;
    return rl_mount_parse_options(opts, f, err);
}

static bool
atime_clr_valid(const struct rl_mount_flags *f)
{
    /* mount_setattr(2) takes MOUNT_ATTR__ATIME in attr_clr as all or nothing (EINVAL). */
    unsigned long long c = f->attr_clr & MOUNT_ATTR__ATIME;
    return c == 0 || c == MOUNT_ATTR__ATIME;
}

static void
test_mount_options(void)
{
    struct rl_mount_flags f;
    rl_error_t err = NULL;
    cleanup_free char *huge = NULL;

    is_int(rl_mount_parse_options(NULL, &f, &err), 0, "no options");
    ok(f.flags == 0 && f.attr_set == 0 && f.attr_clr == 0 && !f.bind && f.data == NULL
           && f.propagation == 0,
       "no options: all zero");

    is_int(parse_opts(&f, &err, "ro", "nosuid", "nodev", NULL), 0, "ro,nosuid,nodev");
    is_int(f.flags, MS_RDONLY | MS_NOSUID | MS_NODEV, "ro,nosuid,nodev: mount(2) flags");
    is_int(f.attr_set, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV,
           "ro,nosuid,nodev: attributes to set");
    is_int(f.attr_clr, 0, "nothing to clear");
    ok(!f.bind && !f.recursive && !f.recursive_attrs, "not a bind, not recursive");
    ok(f.data == NULL, "no data");
    rl_mount_flags_release(&f);

    parse_opts(&f, &err, "rbind", NULL);
    ok(f.bind && f.recursive, "rbind: recursive bind");
    ok(f.data == NULL && f.flags == 0, "rbind: nothing else");
    parse_opts(&f, &err, "bind", NULL);
    ok(f.bind && !f.recursive, "bind: not recursive");
    parse_opts(&f, &err, "rbind", "bind", NULL);
    ok(f.bind && f.recursive, "rbind then bind stays recursive");

    parse_opts(&f, &err, "rro", NULL);
    ok(f.recursive_attrs, "rro: recursive attribute");
    ok((f.flags & MS_RDONLY) && (f.attr_set & MOUNT_ATTR_RDONLY), "rro: read-only");
    ok(f.data == NULL, "rro is not data");
    parse_opts(&f, &err, "rnosuid", "rnodev", NULL);
    ok(f.recursive_attrs && (f.attr_set & MOUNT_ATTR_NOSUID) && (f.attr_set & MOUNT_ATTR_NODEV),
       "rnosuid,rnodev");
    parse_opts(&f, &err, "ro", NULL);
    ok(!f.recursive_attrs, "plain ro is not recursive");
    parse_opts(&f, &err, "relatime", NULL);
    ok((f.flags & MS_RELATIME) && !f.recursive_attrs && f.data == NULL,
       "relatime is not r+elatime");

    parse_opts(&f, &err, "rprivate", NULL);
    is_int(f.propagation, MS_PRIVATE | MS_REC, "rprivate: MS_PRIVATE|MS_REC");
    parse_opts(&f, &err, "shared", NULL);
    is_int(f.propagation, MS_SHARED, "shared: MS_SHARED");
    parse_opts(&f, &err, "rslave", NULL);
    is_int(f.propagation, MS_SLAVE | MS_REC, "rslave");
    parse_opts(&f, &err, "runbindable", NULL);
    is_int(f.propagation, MS_UNBINDABLE | MS_REC, "runbindable");
    ok(f.flags == 0 && f.data == NULL, "propagation is not a flag or data");

    parse_opts(&f, &err, "mode=755", "size=1k", NULL);
    is_str(f.data, "mode=755,size=1k", "mode=755,size=1k become data");
    is_int(f.flags, 0, "and no flags");
    rl_mount_flags_release(&f);
    ok(f.data == NULL, "release clears data");
    rl_mount_flags_release(&f);

    parse_opts(&f, &err, "nosuid", "mode=1777", "strictatime", "size=65536k", NULL);
    is_str(f.data, "mode=1777,size=65536k", "flags and data mixed: data in order");
    is_int(f.flags, MS_NOSUID | MS_STRICTATIME, "flags and data mixed: flags");
    ok((f.attr_clr & MOUNT_ATTR__ATIME) == MOUNT_ATTR__ATIME, "strictatime clears the atime field");
    rl_mount_flags_release(&f);

    parse_opts(&f, &err, "ro", "rw", NULL);
    ok(!(f.flags & MS_RDONLY), "ro,rw: not read-only");
    ok(!(f.attr_set & MOUNT_ATTR_RDONLY) && (f.attr_clr & MOUNT_ATTR_RDONLY),
       "ro,rw: RDONLY cleared");
    parse_opts(&f, &err, "rw", "ro", NULL);
    ok((f.flags & MS_RDONLY) && (f.attr_set & MOUNT_ATTR_RDONLY)
           && !(f.attr_clr & MOUNT_ATTR_RDONLY),
       "rw,ro: read-only, the last wins");
    parse_opts(&f, &err, "nosuid", "suid", "exec", NULL);
    ok(!(f.flags & MS_NOSUID) && (f.attr_clr & MOUNT_ATTR_NOSUID)
           && (f.attr_clr & MOUNT_ATTR_NOEXEC),
       "suid and exec clear");

    parse_opts(&f, &err, "z", "Z", "U", "idmap", "defaults", "nofail", NULL);
    ok(f.data == NULL && f.flags == 0 && f.attr_set == 0 && f.attr_clr == 0,
       "z, Z, U, idmap, defaults, nofail are ignored");

    parse_opts(&f, &err, "noatime", NULL);
    ok((f.attr_set & MOUNT_ATTR_NOATIME) && (f.attr_clr & MOUNT_ATTR__ATIME) == MOUNT_ATTR__ATIME,
       "noatime: set NOATIME, clear the whole atime field");
    ok(atime_clr_valid(&f), "noatime: a valid mount_setattr atime change");
    parse_opts(&f, &err, "atime", NULL);
    ok(atime_clr_valid(&f), "atime: a valid mount_setattr atime change");
    parse_opts(&f, &err, "noatime", "atime", NULL);
    ok(atime_clr_valid(&f), "noatime,atime: a valid mount_setattr atime change");

    /* An overlay's lowerdir of many layers takes more than a page: accepted. */
    huge = xmalloc(70000);
    memset(huge, 'x', 69999);
    huge[69999] = '\0';
    memcpy(huge, "lowerdir=", 9);
    huge[8000] = '\0';
    ok(parse_opts(&f, &err, "mode=1", huge, NULL) == 0, "an option of 8000 bytes is accepted");
    rl_mount_flags_release(&f);
    huge[8000] = 'x';
    ok(parse_opts(&f, &err, "mode=1", huge, NULL) < 0, "an option of 69999 bytes is refused");
    ok(err && err->status == EINVAL && strstr(err->msg, "longer than 64 KiB"),
       "EINVAL 'longer than 64 KiB'");
    rl_error_release(&err);
}

int
main(void)
{
    test_minimal();
    test_full();
    test_bad();
    test_default();
    test_namespace_names();
    test_mount_options();
    done_testing();
}
