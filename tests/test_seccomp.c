#include "config.h"

#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "seccomp.h"
#include "tap.h"

/* rl_seccomp_check() on TEXT; returns its result and the message (or NULL) in *RET_MSG. */
static int
check(const char *text, char **ret_msg)
{
    json_error_t jerr;
    json_t *v = json_loads(text, JSON_DECODE_ANY, &jerr);
    rl_error_t err = NULL;
    int r;

    if (v == NULL) {
        printf("# bad test JSON: %s: %s\n", jerr.text, text);
        *ret_msg = xstrdup("bad test JSON");
        return -1;
    }
    r = rl_seccomp_check(v, &err);
    *ret_msg = err ? xstrdup(err->msg) : NULL;
    rl_error_release(&err);
    json_decref(v);
    return r;
}

/* rl_seccomp_build() on TEXT, the filter freed again; 0 on success. */
static int
build(const char *text, char **ret_msg)
{
    json_t *v = json_loads(text, JSON_DECODE_ANY, NULL);
    struct rl_seccomp *filter = NULL;
    rl_error_t err = NULL;
    int r;

    r = rl_seccomp_build(v, &filter, &err);
    *ret_msg = err ? xstrdup(err->msg) : NULL;
    rl_error_release(&err);
    rl_seccomp_free(filter);
    json_decref(v);
    return r;
}

static void
accepts(const char *text, const char *what)
{
    cleanup_free char *msg = NULL;
    cleanup_free char *bmsg = NULL;

    is_int(check(text, &msg), 0, "check accepts %s", what);
    if (msg)
        printf("#   %s\n", msg);
    is_int(build(text, &bmsg), 0, "build accepts %s", what);
    if (bmsg)
        printf("#   %s\n", bmsg);
}

static void
rejects(const char *text, const char *want, const char *what)
{
    cleanup_free char *msg = NULL;
    int r = check(text, &msg);

    ok(r < 0 && msg && strstr(msg, want), "check rejects %s", what);
    if (r >= 0 || msg == NULL || strstr(msg, want) == NULL)
        printf("#   got '%s', want '%s'\n", msg ? msg : "(no error)", want);
}

#ifdef HAVE_SECCOMP

static void
test_absent(void)
{
    struct rl_seccomp *filter = (struct rl_seccomp *)&filter;
    json_t *null = json_null();
    rl_error_t err = NULL;

    is_int(rl_seccomp_check(NULL, &err), 0, "no linux.seccomp is fine");
    is_int(rl_seccomp_check(null, &err), 0, "null linux.seccomp is fine");
    is_int(rl_seccomp_build(NULL, &filter, &err), 0, "build without linux.seccomp");
    ok(filter == NULL, "no filter without linux.seccomp");
    filter = (struct rl_seccomp *)&filter;
    is_int(rl_seccomp_build(null, &filter, &err), 0, "build with null linux.seccomp");
    ok(filter == NULL, "no filter with null linux.seccomp");
    is_int(rl_seccomp_load(NULL, &err), 0, "loading no filter does nothing");
    ok(err == NULL, "no error set");
    json_decref(null);
}

static const char *const action_names[] = {
    "SCMP_ACT_KILL",  "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_TRAP",
    "SCMP_ACT_ERRNO", "SCMP_ACT_TRACE",        "SCMP_ACT_ALLOW",       "SCMP_ACT_LOG",
};

static void
test_actions(void)
{
    for (size_t i = 0; i < RL_ARRAY_SIZE(action_names); i++) {
        cleanup_free char *rule = xasprintf(
            "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"getppid\"], "
            "\"action\": \"%s\", \"errnoRet\": 12}]}",
            action_names[i]);
        cleanup_free char *def = xasprintf(
            "{\"defaultAction\": \"%s\", \"defaultErrnoRet\": 5, \"syscalls\": [{\"names\": "
            "[\"read\", \"write\"], \"action\": \"SCMP_ACT_ALLOW\"}]}",
            action_names[i]);

        accepts(rule, action_names[i]);
        accepts(def, action_names[i]);
    }
    accepts("{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": [{\"names\": [\"getppid\"], "
            "\"action\": \"SCMP_ACT_ERRNO\"}]}",
            "a rule with the default action (skipped)");
    accepts("{\"defaultAction\": \"SCMP_ACT_KILL\", \"syscalls\": [{\"names\": [\"getppid\"], "
            "\"action\": \"SCMP_ACT_KILL_THREAD\"}]}",
            "SCMP_ACT_KILL_THREAD under SCMP_ACT_KILL (the same action, skipped)");
    accepts("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"getppid\", "
            "\"socketcall\", \"arm_fadvise64_64\"], \"action\": \"SCMP_ACT_ERRNO\"}]}",
            "syscalls of other architectures");
    accepts("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"listenerPath\": \"/run/l.sock\", "
            "\"listenerMetadata\": \"x\", \"unknownKey\": 1, \"syscalls\": null}",
            "listenerPath without notify and unknown keys");
    rejects("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"listenerPath\": \"/run/l.sock\", "
            "\"syscalls\": [{\"names\": [\"getppid\"], \"action\": \"SCMP_ACT_NOTIFY\"}]}",
            "linux.seccomp.syscalls[0].action: SCMP_ACT_NOTIFY is not supported",
            "SCMP_ACT_NOTIFY in a rule");
    rejects("{\"defaultAction\": \"SCMP_ACT_NOTIFY\"}",
            "linux.seccomp.defaultAction: SCMP_ACT_NOTIFY is not supported",
            "SCMP_ACT_NOTIFY as the default");
}

static const char *const op_names[] = {
    "SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE",        "SCMP_CMP_EQ",
    "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_MASKED_EQ",
};

static void
test_ops(void)
{
    for (size_t i = 0; i < RL_ARRAY_SIZE(op_names); i++) {
        cleanup_free char *text = xasprintf(
            "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"personality\"], "
            "\"action\": \"SCMP_ACT_ERRNO\", \"args\": [{\"index\": 0, \"value\": 8, "
            "\"valueTwo\": 8, \"op\": \"%s\"}]}]}",
            op_names[i]);

        accepts(text, op_names[i]);
    }
    accepts("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"clone\"], "
            "\"action\": \"SCMP_ACT_ERRNO\", \"args\": [{\"index\": 0, \"value\": 2114060288, "
            "\"op\": \"SCMP_CMP_MASKED_EQ\"}, {\"index\": 0, \"value\": 1, \"op\": "
            "\"SCMP_CMP_EQ\"}, {\"index\": 5, \"value\": -1, \"op\": \"SCMP_CMP_NE\"}]}]}",
            "several conditions on one argument, negative value");
}

static void
test_arches_and_flags(void)
{
    static const char *const arches[] = {
        "SCMP_ARCH_X86",     "SCMP_ARCH_X86_64",   "SCMP_ARCH_X32",         "SCMP_ARCH_ARM",
        "SCMP_ARCH_AARCH64", "SCMP_ARCH_MIPS",     "SCMP_ARCH_MIPS64",      "SCMP_ARCH_MIPS64N32",
        "SCMP_ARCH_MIPSEL",  "SCMP_ARCH_MIPSEL64", "SCMP_ARCH_MIPSEL64N32", "SCMP_ARCH_PPC",
        "SCMP_ARCH_PPC64",   "SCMP_ARCH_PPC64LE",  "SCMP_ARCH_S390",        "SCMP_ARCH_S390X",
        "SCMP_ARCH_PARISC",  "SCMP_ARCH_PARISC64", "SCMP_ARCH_RISCV64",
    };
    cleanup_free char *msg = NULL;
    int bad = 0;

    for (size_t i = 0; i < RL_ARRAY_SIZE(arches); i++) {
        cleanup_free char *text = xasprintf(
            "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"architectures\": [\"%s\"]}", arches[i]);
        if (check(text, &msg) < 0) {
            printf("#   %s: %s\n", arches[i], msg);
            bad++;
        }
        free(msg);
        msg = NULL;
    }
    is_int(bad, 0, "check accepts all %zu architectures", RL_ARRAY_SIZE(arches));
    accepts("{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"architectures\": [\"SCMP_ARCH_X86_64\", "
            "\"SCMP_ARCH_X86\", \"SCMP_ARCH_X32\", \"SCMP_ARCH_AARCH64\", \"SCMP_ARCH_ARM\"], "
            "\"syscalls\": [{\"names\": [\"read\", \"socketcall\"], \"action\": "
            "\"SCMP_ACT_ALLOW\"}]}",
            "several little-endian architectures, the native one included");
    accepts("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"flags\": [\"SECCOMP_FILTER_FLAG_TSYNC\", "
            "\"SECCOMP_FILTER_FLAG_LOG\", \"SECCOMP_FILTER_FLAG_SPEC_ALLOW\", "
            "\"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV\"]}",
            "every flag");
    accepts("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"flags\": []}", "no flags");
}

static void
test_errors(void)
{
    static const struct {
        const char *json, *want, *what;
    } cases[] = {
        { "[]", "linux.seccomp: must be an object", "not an object" },
        { "{}", "linux.seccomp.defaultAction: missing", "no defaultAction" },
        { "{\"defaultAction\": 1}", "linux.seccomp.defaultAction: must be a string",
          "defaultAction a number" },
        { "{\"defaultAction\": \"SCMP_ACT_FOO\"}",
          "linux.seccomp.defaultAction: unknown action 'SCMP_ACT_FOO'", "unknown defaultAction" },
        { "{\"defaultAction\": \"scmp_act_allow\"}",
          "linux.seccomp.defaultAction: unknown action 'scmp_act_allow'",
          "actions are case-sensitive" },
        { "{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"defaultErrnoRet\": \"1\"}",
          "linux.seccomp.defaultErrnoRet: must be an integer between 0 and 65535",
          "defaultErrnoRet a string" },
        { "{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"defaultErrnoRet\": -1}",
          "linux.seccomp.defaultErrnoRet: must be an integer between 0 and 65535",
          "defaultErrnoRet negative" },
        { "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"architectures\": \"SCMP_ARCH_X86\"}",
          "linux.seccomp.architectures: must be an array", "architectures a string" },
        { "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"architectures\": [\"SCMP_ARCH_X86\", 3]}",
          "linux.seccomp.architectures[1]: must be a string", "architecture a number" },
        { "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"architectures\": [\"SCMP_ARCH_VAX\"]}",
          "linux.seccomp.architectures[0]: unknown architecture 'SCMP_ARCH_VAX'",
          "unknown architecture" },
        { "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"architectures\": [\"x86_64\"]}",
          "linux.seccomp.architectures[0]: unknown architecture 'x86_64'",
          "architecture without SCMP_ARCH_" },
        { "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"architectures\": [\"SCMP_ARCH_NATIVE\"]}",
          "linux.seccomp.architectures[0]: unknown architecture 'SCMP_ARCH_NATIVE'",
          "SCMP_ARCH_NATIVE is not a spec name" },
        { "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"flags\": [\"SECCOMP_FILTER_FLAG_LOG\", "
          "\"SECCOMP_FILTER_FLAG_FOO\"]}",
          "linux.seccomp.flags[1]: unknown flag 'SECCOMP_FILTER_FLAG_FOO'", "unknown flag" },
        { "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"flags\": [true]}",
          "linux.seccomp.flags[0]: must be a string", "flag a boolean" },
        { "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"flags\": {}}",
          "linux.seccomp.flags: must be an array", "flags an object" },
        { "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"listenerPath\": 1}",
          "linux.seccomp.listenerPath: must be a string", "listenerPath a number" },
        { "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"listenerMetadata\": []}",
          "linux.seccomp.listenerMetadata: must be a string", "listenerMetadata an array" },
        { "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": {}}",
          "linux.seccomp.syscalls: must be an array", "syscalls an object" },
        { "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [\"read\"]}",
          "linux.seccomp.syscalls[0]: must be an object", "syscall a string" },
        { "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"action\": "
          "\"SCMP_ACT_ERRNO\"}]}",
          "linux.seccomp.syscalls[0].names: missing", "no names" },
        { "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": \"read\", "
          "\"action\": \"SCMP_ACT_ERRNO\"}]}",
          "linux.seccomp.syscalls[0].names: must be an array", "names a string" },
        { "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"read\"], "
          "\"action\": \"SCMP_ACT_ERRNO\"}, {\"names\": [\"read\", 1], \"action\": "
          "\"SCMP_ACT_ERRNO\"}]}",
          "linux.seccomp.syscalls[1].names[1]: must be a string", "name a number" },
        { "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"read\"], "
          "\"action\": \"SCMP_ACT_ERRNO\"}, {}, {}, {\"names\": [\"read\", \"foo\"], "
          "\"action\": \"SCMP_ACT_ERRNO\"}]}",
          "linux.seccomp.syscalls[1].names: missing", "the first bad entry is reported" },
        { "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"read\"], "
          "\"action\": \"SCMP_ACT_ERRNO\"}, {\"names\": [\"read\"], \"action\": "
          "\"SCMP_ACT_ERRNO\"}, {\"names\": [\"read\"], \"action\": \"SCMP_ACT_ERRNO\"}, "
          "{\"names\": [\"read\", \"foo\"], \"action\": \"SCMP_ACT_ERRNO\"}]}",
          "linux.seccomp.syscalls[3].names[1]: unknown syscall 'foo'", "unknown syscall" },
        { "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"read\"]}]}",
          "linux.seccomp.syscalls[0].action: missing", "no action" },
        { "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"read\"], "
          "\"action\": \"SCMP_ACT_BAR\"}]}",
          "linux.seccomp.syscalls[0].action: unknown action 'SCMP_ACT_BAR'", "unknown action" },
        { "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"read\"], "
          "\"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 1.5}]}",
          "linux.seccomp.syscalls[0].errnoRet: must be an integer between 0 and 65535",
          "errnoRet a real" },
        { "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"read\"], "
          "\"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 65536}]}",
          "linux.seccomp.syscalls[0].errnoRet: must be an integer between 0 and 65535",
          "errnoRet too big" },
        { "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"read\"], "
          "\"action\": \"SCMP_ACT_ERRNO\", \"args\": {}}]}",
          "linux.seccomp.syscalls[0].args: must be an array", "args an object" },
        { "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"read\"], "
          "\"action\": \"SCMP_ACT_ERRNO\", \"args\": [1]}]}",
          "linux.seccomp.syscalls[0].args[0]: must be an object", "arg a number" },
        { "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"read\"], "
          "\"action\": \"SCMP_ACT_ERRNO\", \"args\": [{\"index\": 0, \"value\": 1, \"op\": "
          "\"SCMP_CMP_EQ\"}, {\"index\": 6, \"value\": 1, \"op\": \"SCMP_CMP_EQ\"}]}]}",
          "linux.seccomp.syscalls[0].args[1].index: must be an integer between 0 and 5",
          "args index 6" },
        { "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"read\"], "
          "\"action\": \"SCMP_ACT_ERRNO\", \"args\": [{\"index\": -1, \"value\": 1, \"op\": "
          "\"SCMP_CMP_EQ\"}]}]}",
          "linux.seccomp.syscalls[0].args[0].index: must be an integer between 0 and 5",
          "args index -1" },
        { "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"read\"], "
          "\"action\": \"SCMP_ACT_ERRNO\", \"args\": [{\"index\": \"0\", \"value\": 1, "
          "\"op\": \"SCMP_CMP_EQ\"}]}]}",
          "linux.seccomp.syscalls[0].args[0].index: must be an integer between 0 and 5",
          "args index a string" },
        { "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"read\"], "
          "\"action\": \"SCMP_ACT_ERRNO\", \"args\": [{\"value\": 1, \"op\": "
          "\"SCMP_CMP_EQ\"}]}]}",
          "linux.seccomp.syscalls[0].args[0].index: missing", "args without index" },
        { "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"read\"], "
          "\"action\": \"SCMP_ACT_ERRNO\", \"args\": [{\"index\": 1, \"op\": "
          "\"SCMP_CMP_EQ\"}]}]}",
          "linux.seccomp.syscalls[0].args[0].value: missing", "args without value" },
        { "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"read\"], "
          "\"action\": \"SCMP_ACT_ERRNO\", \"args\": [{\"index\": 1, \"value\": \"1\", \"op\": "
          "\"SCMP_CMP_EQ\"}]}]}",
          "linux.seccomp.syscalls[0].args[0].value: must be an integer", "args value a string" },
        { "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"read\"], "
          "\"action\": \"SCMP_ACT_ERRNO\", \"args\": [{\"index\": 1, \"value\": 1, "
          "\"valueTwo\": false, \"op\": \"SCMP_CMP_EQ\"}]}]}",
          "linux.seccomp.syscalls[0].args[0].valueTwo: must be an integer",
          "args valueTwo a boolean" },
        { "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"read\"], "
          "\"action\": \"SCMP_ACT_ERRNO\", \"args\": [{\"index\": 1, \"value\": 1}]}]}",
          "linux.seccomp.syscalls[0].args[0].op: missing", "args without op" },
        { "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"read\"], "
          "\"action\": \"SCMP_ACT_ERRNO\", \"args\": [{\"index\": 1, \"value\": 1, \"op\": "
          "7}]}]}",
          "linux.seccomp.syscalls[0].args[0].op: must be a string", "args op a number" },
        { "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"read\"], "
          "\"action\": \"SCMP_ACT_ERRNO\", \"args\": [{\"index\": 1, \"value\": 1, \"op\": "
          "\"SCMP_CMP_FOO\"}]}]}",
          "linux.seccomp.syscalls[0].args[0].op: unknown operator 'SCMP_CMP_FOO'", "unknown op" },
    };

    for (size_t i = 0; i < RL_ARRAY_SIZE(cases); i++)
        rejects(cases[i].json, cases[i].want, cases[i].what);
}

/* Load TEXT's filter in the calling process, after no_new_privs; exits 100 when that fails. */
static void
load_or_exit(const char *text)
{
    json_t *v = json_loads(text, 0, NULL);
    struct rl_seccomp *filter = NULL;
    rl_error_t err = NULL;

    if (v == NULL || rl_seccomp_build(v, &filter, &err) < 0)
        _exit(100);
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || rl_seccomp_load(filter, &err) < 0)
        _exit(101);
}

enum {
    EFFECT_BEFORE = 1 << 0,
    EFFECT_GETPPID = 1 << 1,
    EFFECT_PERSONALITY = 1 << 2,
    EFFECT_PERSONALITY_OTHER = 1 << 3,
    EFFECT_OR = 1 << 4,
    EFFECT_AND = 1 << 5,
    EFFECT_OTHERS = 1 << 6,
};

static const char effect_json[] =
    "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": ["
    "{\"names\": [\"getppid\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 38},"
    "{\"names\": [\"personality\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 1, \"args\": "
    "[{\"index\": 0, \"value\": 4294967295, \"op\": \"SCMP_CMP_EQ\"}]},"
    "{\"names\": [\"getpriority\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 40, \"args\": "
    "[{\"index\": 0, \"value\": 5, \"op\": \"SCMP_CMP_EQ\"},"
    " {\"index\": 0, \"value\": 6, \"op\": \"SCMP_CMP_EQ\"}]},"
    "{\"names\": [\"fcntl\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 41, \"args\": "
    "[{\"index\": 0, \"value\": 1, \"op\": \"SCMP_CMP_EQ\"},"
    " {\"index\": 1, \"value\": 1, \"op\": \"SCMP_CMP_EQ\"}]}]}";

static bool
fails_with(long r, int want)
{
    return r == -1 && errno == want;
}

/* The checks of the effect test, one bit each, as the child's exit status. */
static int
effect_child(void)
{
    int fail = 0;

    if (personality(0xffffffff) < 0)
        fail |= EFFECT_BEFORE;
    load_or_exit(effect_json);
    /* glibc's getppid() cannot fail, so it hands back -38 without setting errno: ask the
     * kernel directly to see the -1/errno pair. */
    errno = 0;
    if (!fails_with(syscall(SYS_getppid), 38))
        fail |= EFFECT_GETPPID;
    if (!fails_with(personality(0xffffffff), EPERM))
        fail |= EFFECT_PERSONALITY;
    if (personality(PER_LINUX) < 0)
        fail |= EFFECT_PERSONALITY_OTHER;
    /* Two conditions on argument 0: either one matches (OR). */
    if (!fails_with(getpriority(5, 0), 40) || !fails_with(getpriority(6, 0), 40))
        fail |= EFFECT_OR;
    errno = 0;
    if (getpriority(PRIO_PROCESS, 0) == -1 && errno != 0)
        fail |= EFFECT_OR;
    /* Conditions on arguments 0 and 1: both must match (AND). */
    if (!fails_with(fcntl(1, F_GETFD), 41) || fails_with(fcntl(1, F_GETFL), 41)
        || fails_with(fcntl(2, F_GETFD), 41))
        fail |= EFFECT_AND;
    if (getpid() <= 0)
        fail |= EFFECT_OTHERS;
    return fail;
}

static int
wait_child(pid_t pid)
{
    int status;

    if (pid < 0 || waitpid(pid, &status, 0) != pid)
        return -1;
    return status;
}

static void
test_effect(void)
{
    pid_t pid = fork();
    int status;

    if (pid == 0)
        _exit(effect_child());
    status = wait_child(pid);
    ok(status != -1 && WIFEXITED(status), "effect child exited");
    if (WIFEXITED(status) && WEXITSTATUS(status) >= 100)
        printf("#   the child could not build or load the filter (%d)\n", WEXITSTATUS(status));
    status = WIFEXITED(status) ? WEXITSTATUS(status) : 0xff;
    is_int(status & EFFECT_BEFORE, 0, "personality(0xffffffff) works before the filter");
    is_int(status & EFFECT_GETPPID, 0, "getppid() fails with errno 38 under the filter");
    is_int(status & EFFECT_PERSONALITY, 0, "personality(0xffffffff) fails with EPERM");
    is_int(status & EFFECT_PERSONALITY_OTHER, 0, "personality(PER_LINUX) still works");
    is_int(status & EFFECT_OR, 0, "two conditions on one argument: either matches");
    is_int(status & EFFECT_AND, 0, "conditions on two arguments: both must match");
    is_int(status & EFFECT_OTHERS, 0, "other syscalls are allowed");
}

static void
test_kill_process(void)
{
    static const char text[] =
        "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"getppid\"], "
        "\"action\": \"SCMP_ACT_KILL_PROCESS\"}]}";
    pid_t pid = fork();
    int status;

    if (pid == 0) {
        struct rlimit no_core = { 0, 0 };

        (void)setrlimit(RLIMIT_CORE, &no_core);
        load_or_exit(text);
        (void)getppid();
        _exit(0);
    }
    status = wait_child(pid);
    ok(status != -1 && WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS,
       "SCMP_ACT_KILL_PROCESS kills the process with SIGSYS");
    if (status != -1 && WIFEXITED(status))
        printf("#   exited with %d\n", WEXITSTATUS(status));
}

int
main(void)
{
    test_absent();
    test_actions();
    test_ops();
    test_arches_and_flags();
    test_errors();
    test_effect();
    test_kill_process();
    done_testing();
}

#else /* !HAVE_SECCOMP */

int
main(void)
{
    struct rl_seccomp *filter = NULL;
    rl_error_t err = NULL;

    rejects("{\"defaultAction\": \"SCMP_ACT_ALLOW\"}", "rl was built without seccomp support",
            "any filter without seccomp support");
    is_int(rl_seccomp_check(NULL, &err), 0, "no linux.seccomp is fine without seccomp support");
    is_int(rl_seccomp_build(NULL, &filter, &err), 0, "no filter to build");
    ok(filter == NULL, "no filter");
    (void)accepts;
    done_testing();
}

#endif
