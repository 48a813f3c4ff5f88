#include "config.h"

#include <ctype.h>
#include <pthread.h>
#include <string.h>
#include <strings.h>
#include <sys/capability.h>
#include <sys/prctl.h>

#include "caps.h"
#include "log.h"

/* The kernel's capability sets are 64 bits wide. */
#define CAPS_MAX     64
#define CAP_NAME_MAX 48

static void
cap_freep(cap_t *c)
{
    if (*c)
        (void)cap_free(*c);
}
#define cleanup_cap __attribute__((cleanup(cap_freep)))

static char cap_names[CAPS_MAX][CAP_NAME_MAX];
static pthread_once_t cap_names_once = PTHREAD_ONCE_INIT;

/* libcap spells the names it knows in lower case and the others as numbers ("45"); the spec
 * and `capsh` users expect "CAP_SYS_ADMIN", so keep an upper-case copy of the known ones. */
static void
load_cap_names(void)
{
    for (int i = 0; i < CAPS_MAX; i++) {
        char *name = cap_to_name(i);
        size_t len = name ? strlen(name) : 0;

        if (len > 0 && len < CAP_NAME_MAX && !isdigit((unsigned char)name[0]))
            for (size_t j = 0; j < len; j++)
                cap_names[i][j] = (char)toupper((unsigned char)name[j]);
        if (name)
            (void)cap_free(name);
    }
}

const char *
rl_cap_name(int cap)
{
    if (cap < 0 || cap >= CAPS_MAX)
        return NULL;
    (void)pthread_once(&cap_names_once, load_cap_names);
    return cap_names[cap][0] ? cap_names[cap] : NULL;
}

/* A name for messages, also for capabilities libcap does not know. */
static const char *
cap_label(int cap, char buf[static 32])
{
    const char *name = rl_cap_name(cap);

    if (name)
        return name;
    snprintf(buf, 32, "capability %d", cap);
    return buf;
}

/* Only letters, digits and '_' after an optional "CAP_", not starting with a digit: libcap
 * would also take "21" or "cap_chown,cap_kill", which are not capability names. */
static bool
normalise_name(const char *name, char buf[static CAP_NAME_MAX])
{
    const char *p = strncasecmp(name, "CAP_", 4) == 0 ? name + 4 : name;
    size_t len = strlen(p);

    if (len == 0 || len + 4 >= CAP_NAME_MAX || isdigit((unsigned char)p[0]))
        return false;
    memcpy(buf, "cap_", 4);
    for (size_t i = 0; i <= len; i++) {
        if (p[i] && !isalnum((unsigned char)p[i]) && p[i] != '_')
            return false;
        buf[4 + i] = (char)tolower((unsigned char)p[i]);
    }
    return true;
}

int
rl_cap_from_name(const char *name, rl_error_t *err)
{
    char buf[CAP_NAME_MAX];
    cap_value_t cap;

    if (!normalise_name(name, buf) || cap_from_name(buf, &cap) < 0 || cap < 0 || cap >= CAPS_MAX)
        return rl_make_error(err, 0, "unknown capability '%s'", name);
    return cap;
}

int
rl_cap_last_cap(void)
{
    static int cached = -1;
    cleanup_file FILE *f = NULL;
    int last = -1;

    if (cached >= 0)
        return cached;
    f = fopen("/proc/sys/kernel/cap_last_cap", "re");
    if (f == NULL || fscanf(f, "%d", &last) != 1 || last < 0 || last >= CAPS_MAX) {
        /* No /proc (yet): libcap probes the bounding set when it starts. */
        last = (int)cap_max_bits() - 1;
        if (last < 0 || last >= CAPS_MAX)
            last = CAP_LAST_CAP;
    }
    cached = last;
    return last;
}

int
rl_caps_parse_set(json_t *arr, const char *field, int **ret, size_t *ret_n, rl_error_t *err)
{
    cleanup_free int *caps = NULL;
    size_t i, n = 0;
    json_t *v;

    if (!json_is_array(arr))
        return rl_make_error(err, 0, "%s: must be an array of strings", field);
    caps = xmalloc((json_array_size(arr) + 1) * sizeof(*caps));
    json_array_foreach (arr, i, v) {
        int cap;
        size_t j;

        if (!json_is_string(v))
            return rl_make_error(err, 0, "%s[%zu]: must be a string", field, i);
        cap = rl_cap_from_name(json_string_value(v), err);
        if (cap < 0)
            return rl_error_wrap(err, "%s[%zu]", field, i);
        for (j = 0; j < n && caps[j] != cap; j++)
            ;
        if (j == n)
            caps[n++] = cap;
    }
    *ret = steal_pointer(&caps);
    *ret_n = n;
    return 0;
}

/* The size of one set; without process.capabilities (present false) every set is empty. */
static size_t
set_len(const struct rl_caps *caps, enum rl_cap_set set)
{
    return caps->present ? caps->n[set] : 0;
}

static bool
in_set(const struct rl_caps *caps, enum rl_cap_set set, int cap)
{
    for (size_t i = 0; i < set_len(caps, set); i++)
        if (caps->sets[set][i] == cap)
            return true;
    return false;
}

/* Without process.capabilities the whole bounding set goes (see set_len()). */
int
rl_caps_drop_bounding(const struct rl_caps *caps, rl_error_t *err)
{
    int last = rl_cap_last_cap();
    char buf[32];

    for (int cap = 0; cap <= last; cap++) {
        int r;

        if (in_set(caps, RL_CAP_BOUNDING, cap))
            continue;
        /* Skipping what is gone already lets a process without CAP_SETPCAP get this far. */
        r = prctl(PR_CAPBSET_READ, (unsigned long)cap, 0, 0, 0);
        if (r == 0 || (r < 0 && errno == EINVAL))
            continue;
        if (prctl(PR_CAPBSET_DROP, (unsigned long)cap, 0, 0, 0) < 0 && errno != EINVAL)
            return rl_make_error(err, errno, "drop '%s' from the bounding set",
                                 cap_label(cap, buf));
    }
    return 0;
}

static int
fill_flag(cap_t c, const struct rl_caps *caps, enum rl_cap_set set, cap_flag_t flag, int last,
          rl_error_t *err)
{
    char buf[32];

    for (size_t i = 0; i < set_len(caps, set); i++) {
        cap_value_t v = caps->sets[set][i];

        if (v > last) {
            rl_debug("skip '%s': the kernel's last capability is %d", cap_label(v, buf), last);
            continue;
        }
        if (cap_set_flag(c, flag, 1, &v, CAP_SET) < 0)
            return rl_make_error(err, errno, "add '%s' to a capability set", cap_label(v, buf));
    }
    return 0;
}

/* Ambient capabilities survive exec for a non-root uid; the kernel only raises one that is
 * both permitted and inheritable, so this runs after cap_set_proc(). */
static int
raise_ambient(const struct rl_caps *caps, int last, rl_error_t *err)
{
    char buf[32];

    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0) {
        /* Linux < 4.3 has no ambient set: fine as long as none is wanted. */
        if (errno == EINVAL && set_len(caps, RL_CAP_AMBIENT) == 0)
            return 0;
        return rl_make_error(err, errno, "clear the ambient capabilities");
    }
    for (size_t i = 0; i < set_len(caps, RL_CAP_AMBIENT); i++) {
        int cap = caps->sets[RL_CAP_AMBIENT][i];

        if (cap > last) {
            rl_debug("skip ambient '%s': the kernel's last capability is %d", cap_label(cap, buf),
                     last);
            continue;
        }
        if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, (unsigned long)cap, 0, 0) < 0)
            return rl_make_error(err, errno,
                                 "raise ambient capability '%s' (is it permitted and inheritable?)",
                                 cap_label(cap, buf));
    }
    return 0;
}

/* When caps->present is false the sets are empty: every capability is dropped. */
int
rl_caps_apply(const struct rl_caps *caps, rl_error_t *err)
{
    cleanup_cap cap_t c = cap_init();
    int last = rl_cap_last_cap();

    if (c == NULL)
        return rl_make_error(err, errno, "cap_init");
    if (fill_flag(c, caps, RL_CAP_EFFECTIVE, CAP_EFFECTIVE, last, err) < 0
        || fill_flag(c, caps, RL_CAP_PERMITTED, CAP_PERMITTED, last, err) < 0
        || fill_flag(c, caps, RL_CAP_INHERITABLE, CAP_INHERITABLE, last, err) < 0)
        return -1;
    if (cap_set_proc(c) < 0)
        return rl_make_error(err, errno,
                             "set the effective, permitted and inheritable capabilities");
    return raise_ambient(caps, last, err);
}
