/* The OCI runtime-spec config of one container, parsed and validated. Every field that rl
 * acts on is here; parts handed whole to one module (seccomp, resources) stay JSON. */
#ifndef RL_SPEC_H
#define RL_SPEC_H

#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>

#include "error.h"

struct rl_idmap_range {
    uint32_t container_id;
    uint32_t host_id;
    uint32_t size;
};

struct rl_namespace {
    int type;   /* CLONE_NEWUSER, CLONE_NEWPID, ... */
    char *path; /* join this one instead of creating one; NULL to create */
};

struct rl_mount {
    char *destination;
    char *type;
    char *source;
    char **options;
};

struct rl_rlimit {
    int resource;
    uint64_t soft;
    uint64_t hard;
};

struct rl_caps {
    /* Capability numbers; -1 terminated is not used, counts are kept instead. */
    int *sets[5]; /* bounding, effective, inheritable, permitted, ambient */
    size_t n[5];
    bool present; /* false when process.capabilities is absent */
};

enum rl_cap_set {
    RL_CAP_BOUNDING = 0,
    RL_CAP_EFFECTIVE,
    RL_CAP_INHERITABLE,
    RL_CAP_PERMITTED,
    RL_CAP_AMBIENT,
};

struct rl_process {
    bool terminal;
    unsigned int console_height, console_width;
    uid_t uid;
    gid_t gid;
    gid_t *additional_gids;
    size_t n_additional_gids;
    bool has_umask;
    mode_t umask;
    char **args;
    char **env;
    char *cwd;
    struct rl_caps caps;
    struct rl_rlimit *rlimits;
    size_t n_rlimits;
    bool no_new_privileges;
    bool has_oom_score_adj;
    int oom_score_adj;
    char *apparmor_profile;
    char *selinux_label;
};

struct rl_spec {
    char *oci_version;
    char *root_path; /* absolute, resolved against the bundle */
    bool root_readonly;
    char *hostname;
    char *domainname;
    struct rl_process process;
    struct rl_mount *mounts;
    size_t n_mounts;
    struct rl_namespace *namespaces;
    size_t n_namespaces;
    struct rl_idmap_range *uid_mappings;
    size_t n_uid_mappings;
    struct rl_idmap_range *gid_mappings;
    size_t n_gid_mappings;
    char **masked_paths;
    char **readonly_paths;
    char *rootfs_propagation;
    char *cgroups_path;
    json_t *seccomp;   /* linux.seccomp, validated by rl_seccomp_check() */
    json_t *resources; /* linux.resources */
    json_t *sysctl;    /* linux.sysctl: object of strings */
    json_t *annotations;
    json_t *hooks;
    json_t *root; /* the whole document */
};

/* Parse a config.json document. BUNDLE resolves a relative root.path. Errors name the field:
 * "config.json: process.args: must be a non-empty array of strings". */
int rl_spec_parse(const char *text, size_t len, const char *bundle, struct rl_spec **ret_spec,
                  rl_error_t *err);
int rl_spec_load(const char *bundle, struct rl_spec **ret_spec, rl_error_t *err);
void rl_spec_free(struct rl_spec *spec);
/* The "process" object, shared by config.json and `rl oci exec --process FILE`. NEED_ARGS:
 * args must be there and non-empty. */
int rl_spec_parse_process(json_t *process, bool need_args, struct rl_process *p, rl_error_t *err);
/* Free what P holds (not P itself). */
void rl_process_release(struct rl_process *p);
#define cleanup_spec __attribute__((cleanup(rl_spec_freep)))
void rl_spec_freep(struct rl_spec **spec);

const struct rl_namespace *rl_spec_namespace(const struct rl_spec *spec, int type);
/* Namespace names as in the spec ("pid", "network", ...) <-> CLONE_NEW* flags. */
int rl_namespace_from_name(const char *name);
const char *rl_namespace_name(int type);
/* The file name under /proc/PID/ns/ for a CLONE_NEW* flag. */
const char *rl_namespace_proc_name(int type);

/* The default config.json for `rl oci spec`; ROOTLESS adds a user namespace with the given
 * maps and binds /sys instead of mounting sysfs. Returns new JSON. */
json_t *rl_spec_default(bool rootless, const struct rl_idmap_range *uids, size_t n_uids,
                        const struct rl_idmap_range *gids, size_t n_gids);

#endif
