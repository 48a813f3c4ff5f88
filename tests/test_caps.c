#include "config.h"

#include <signal.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include "caps.h"
#include "tap.h"

/* The message of a failed call, or NULL; releases the error. */
static char *
take_msg(rl_error_t *err)
{
    char *msg = *err ? xstrdup((*err)->msg) : NULL;

    rl_error_release(err);
    return msg;
}

static void
test_names(void)
{
    rl_error_t err = NULL;
    cleanup_free char *msg = NULL;

    is_int(rl_cap_from_name("CAP_SYS_ADMIN", &err), CAP_SYS_ADMIN, "CAP_SYS_ADMIN");
    is_int(rl_cap_from_name("cap_sys_admin", &err), CAP_SYS_ADMIN, "cap_sys_admin");
    is_int(rl_cap_from_name("SYS_ADMIN", &err), CAP_SYS_ADMIN, "SYS_ADMIN without the prefix");
    is_int(rl_cap_from_name("Cap_Net_Bind_Service", &err), CAP_NET_BIND_SERVICE, "mixed case");
    is_int(rl_cap_from_name("chown", &err), CAP_CHOWN, "capability 0 by name");
    ok(err == NULL, "no error set on success");

    is_int(rl_cap_from_name("CAP_FOO", &err), -1, "CAP_FOO is unknown");
    msg = take_msg(&err);
    is_str(msg, "unknown capability 'CAP_FOO'", "unknown name message");
    free(msg);
    is_int(rl_cap_from_name("21", &err), -1, "a number is not a name");
    msg = take_msg(&err);
    is_str(msg, "unknown capability '21'", "number message");
    free(msg);
    msg = NULL;
    ok(rl_cap_from_name("", &err) < 0, "empty name");
    rl_error_release(&err);
    ok(rl_cap_from_name("CAP_", &err) < 0, "bare prefix");
    rl_error_release(&err);
    ok(rl_cap_from_name("cap_chown,cap_kill", &err) < 0, "a list is not a name");
    rl_error_release(&err);
    ok(rl_cap_from_name("cap_chown=ep", &err) < 0, "a text capability is not a name");
    rl_error_release(&err);
    ok(rl_cap_from_name("all", &err) < 0, "'all' is not a name");
    rl_error_release(&err);

    is_str(rl_cap_name(CAP_SYS_ADMIN), "CAP_SYS_ADMIN", "21 -> CAP_SYS_ADMIN");
    is_str(rl_cap_name(CAP_CHOWN), "CAP_CHOWN", "0 -> CAP_CHOWN");
    is_str(rl_cap_name(CAP_NET_BIND_SERVICE), "CAP_NET_BIND_SERVICE", "10 -> CAP_NET_BIND_SERVICE");
    is_str(rl_cap_name(-1), NULL, "-1 has no name");
    is_str(rl_cap_name(63), NULL, "63 has no name");
    is_str(rl_cap_name(1000), NULL, "1000 has no name");
    ok(rl_cap_name(CAP_SYS_ADMIN) == rl_cap_name(CAP_SYS_ADMIN), "names are static strings");

    for (int i = 0; i <= CAP_LAST_CAP; i++) {
        const char *name = rl_cap_name(i);
        if (name == NULL || rl_cap_from_name(name, &err) != i) {
            ok(0, "round trip of capability %d (%s)", i, name ? name : "no name");
            rl_error_release(&err);
            return;
        }
    }
    ok(1, "every capability up to %d round-trips through its name", CAP_LAST_CAP);
}

static void
test_last_cap(void)
{
    int last = rl_cap_last_cap();
    cleanup_file FILE *f = fopen("/proc/sys/kernel/cap_last_cap", "re");
    int want = -1;

    ok(last >= CAP_AUDIT_READ && last < 64, "cap_last_cap %d is plausible", last);
    if (f && fscanf(f, "%d", &want) == 1)
        is_int(last, want, "cap_last_cap matches /proc");
    else
        skip("no /proc/sys/kernel/cap_last_cap");
}

/* Parse TEXT as a JSON array with rl_caps_parse_set; returns its result, the message in
 * *RET_MSG on failure. */
static int
parse_set(const char *text, int **ret, size_t *ret_n, char **ret_msg)
{
    json_t *arr = json_loads(text, JSON_DECODE_ANY, NULL);
    rl_error_t err = NULL;
    int r;

    r = rl_caps_parse_set(arr, "process.capabilities.bounding", ret, ret_n, &err);
    json_decref(arr);
    *ret_msg = take_msg(&err);
    return r;
}

static void
test_parse_set(void)
{
    cleanup_free int *caps = NULL;
    cleanup_free char *msg = NULL;
    size_t n = 99;

    is_int(parse_set("[\"CAP_CHOWN\", \"kill\", \"CAP_CHOWN\", \"cap_chown\", \"SYS_ADMIN\"]",
                     &caps, &n, &msg),
           0, "parse a set with duplicates");
    is_int(n, 3, "duplicates are dropped");
    if (n == 3) {
        is_int(caps[0], CAP_CHOWN, "first is CAP_CHOWN");
        is_int(caps[1], CAP_KILL, "second is CAP_KILL");
        is_int(caps[2], CAP_SYS_ADMIN, "third is CAP_SYS_ADMIN");
    }
    free(caps);
    caps = NULL;

    is_int(parse_set("[]", &caps, &n, &msg), 0, "parse an empty set");
    is_int(n, 0, "empty set has no capabilities");
    ok(caps != NULL, "empty set is still allocated");
    free(caps);
    caps = NULL;

    n = 42;
    ok(parse_set("[\"CAP_CHOWN\", \"CAP_KILL\", \"CAP_FOO\"]", &caps, &n, &msg) < 0,
       "unknown capability in a set");
    is_str(msg, "process.capabilities.bounding[2]: unknown capability 'CAP_FOO'",
           "unknown capability names the field and index");
    ok(caps == NULL && n == 42, "outputs untouched on failure");
    free(msg);

    ok(parse_set("[\"CAP_CHOWN\", \"CAP_KILL\", 7]", &caps, &n, &msg) < 0, "number in a set");
    is_str(msg, "process.capabilities.bounding[2]: must be a string", "non-string entry");
    free(msg);

    ok(parse_set("[null]", &caps, &n, &msg) < 0, "null in a set");
    is_str(msg, "process.capabilities.bounding[0]: must be a string", "null entry");
    free(msg);

    ok(parse_set("\"CAP_CHOWN\"", &caps, &n, &msg) < 0, "a string is not a set");
    is_str(msg, "process.capabilities.bounding: must be an array of strings", "not an array");
}

static bool
have_cap(cap_value_t cap, cap_flag_t flag)
{
    cap_t c = cap_get_proc();
    cap_flag_value_t v = CAP_CLEAR;

    if (c) {
        (void)cap_get_flag(c, cap, flag, &v);
        cap_free(c);
    }
    return v == CAP_SET;
}

/* Child checks, one bit each, reported through the exit status. */
enum {
    APPLY_DROP = 1 << 0,
    APPLY_BOUNDING_KEPT = 1 << 1,
    APPLY_BOUNDING_GONE = 1 << 2,
    APPLY_APPLY = 1 << 3,
    APPLY_SETS = 1 << 4,
    APPLY_AMBIENT = 1 << 5,
    APPLY_DROPPED = 1 << 6,
};

static int
apply_child(void)
{
    int bounding[] = { CAP_CHOWN, CAP_KILL, CAP_NET_BIND_SERVICE, CAP_SETPCAP, 63 };
    int kept[] = { CAP_CHOWN, CAP_KILL, CAP_NET_BIND_SERVICE, 63 };
    int ambient[] = { CAP_NET_BIND_SERVICE, 63 };
    struct rl_caps caps = { .present = true };
    rl_error_t err = NULL;
    int fail = 0;

    caps.sets[RL_CAP_BOUNDING] = bounding;
    caps.n[RL_CAP_BOUNDING] = RL_ARRAY_SIZE(bounding);
    if (rl_caps_drop_bounding(&caps, &err) < 0)
        fail |= APPLY_DROP;
    if (prctl(PR_CAPBSET_READ, CAP_CHOWN, 0, 0, 0) != 1
        || prctl(PR_CAPBSET_READ, CAP_NET_BIND_SERVICE, 0, 0, 0) != 1)
        fail |= APPLY_BOUNDING_KEPT;
    if (prctl(PR_CAPBSET_READ, CAP_SYS_ADMIN, 0, 0, 0) != 0
        || prctl(PR_CAPBSET_READ, CAP_DAC_OVERRIDE, 0, 0, 0) != 0)
        fail |= APPLY_BOUNDING_GONE;

    for (int s = RL_CAP_EFFECTIVE; s <= RL_CAP_PERMITTED; s++) {
        caps.sets[s] = kept;
        caps.n[s] = RL_ARRAY_SIZE(kept);
    }
    caps.sets[RL_CAP_AMBIENT] = ambient;
    caps.n[RL_CAP_AMBIENT] = RL_ARRAY_SIZE(ambient);
    if (rl_caps_apply(&caps, &err) < 0)
        fail |= APPLY_APPLY;
    if (!have_cap(CAP_KILL, CAP_EFFECTIVE) || !have_cap(CAP_KILL, CAP_PERMITTED)
        || !have_cap(CAP_KILL, CAP_INHERITABLE))
        fail |= APPLY_SETS;
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, CAP_NET_BIND_SERVICE, 0, 0) != 1
        || prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, CAP_KILL, 0, 0) != 0)
        fail |= APPLY_AMBIENT;
    if (have_cap(CAP_SETPCAP, CAP_EFFECTIVE) || have_cap(CAP_SYS_ADMIN, CAP_PERMITTED))
        fail |= APPLY_DROPPED;
    rl_error_release(&err);
    return fail;
}

/* Without process.capabilities nothing is left, whatever the sets hold. */
static int
absent_child(void)
{
    int all[] = { CAP_CHOWN, CAP_KILL };
    struct rl_caps caps = { .present = false };
    rl_error_t err = NULL;
    cap_t c, empty;
    int fail = 0;

    for (int s = 0; s < 5; s++) {
        caps.sets[s] = all;
        caps.n[s] = RL_ARRAY_SIZE(all);
    }
    if (rl_caps_drop_bounding(&caps, &err) < 0 || rl_caps_apply(&caps, &err) < 0)
        fail |= 1;
    if (prctl(PR_CAPBSET_READ, CAP_CHOWN, 0, 0, 0) != 0)
        fail |= 2;
    c = cap_get_proc();
    empty = cap_init();
    if (c == NULL || empty == NULL || cap_compare(c, empty) != 0)
        fail |= 4;
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, CAP_CHOWN, 0, 0) != 0)
        fail |= 8;
    cap_free(empty);
    cap_free(c);
    rl_error_release(&err);
    return fail;
}

static int
run_child(int (*fn)(void))
{
    int status;
    pid_t pid = fork();

    if (pid == 0)
        _exit(fn());
    if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
        return 255;
    return WEXITSTATUS(status);
}

static void
test_apply(void)
{
    int fail;

    if (!have_cap(CAP_SETPCAP, CAP_EFFECTIVE) || !have_cap(CAP_NET_BIND_SERVICE, CAP_PERMITTED)
        || prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, CAP_CHOWN, 0, 0) < 0) {
        for (int i = 0; i < 9; i++)
            skip("needs CAP_SETPCAP and ambient capabilities");
        return;
    }
    fail = run_child(apply_child);
    ok(fail != 255, "apply child exited normally");
    is_int(fail & APPLY_DROP, 0, "drop the bounding set");
    is_int(fail & APPLY_BOUNDING_KEPT, 0, "listed capabilities stay in the bounding set");
    is_int(fail & APPLY_BOUNDING_GONE, 0, "other capabilities leave the bounding set");
    is_int(fail & APPLY_APPLY, 0, "apply the sets (63 above the kernel's last is skipped)");
    is_int(fail & APPLY_SETS, 0, "effective, permitted and inheritable are set");
    is_int(fail & APPLY_AMBIENT, 0, "ambient capability raised, others not");
    is_int(fail & APPLY_DROPPED, 0, "unlisted capabilities are dropped");

    is_int(run_child(absent_child), 0, "no process.capabilities: every set ends up empty");
}

int
main(void)
{
    test_names();
    test_last_cap();
    test_parse_set();
    test_apply();
    done_testing();
}
