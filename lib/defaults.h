/* podman's defaults for a container that is not --privileged, in one place: the capability set,
 * the masked and read-only paths, and the seccomp profile. The sources are containers/common
 * (pkg/config/containers.conf, pkg/config/default.go, pkg/seccomp/default_linux.go) and podman
 * (pkg/specgen/generate/config_linux.go). */
#ifndef RL_DEFAULTS_H
#define RL_DEFAULTS_H

#include <stddef.h>

#include <jansson.h>

/* containers.conf's default_capabilities since podman 4.3 (CAP_ numbers): CHOWN DAC_OVERRIDE
 * FOWNER FSETID KILL NET_BIND_SERVICE SETFCAP SETGID SETPCAP SETUID SYS_CHROOT. */
extern const int rl_default_caps[];
extern const size_t rl_default_caps_n;

/* linux.maskedPaths and linux.readonlyPaths; NULL-terminated. */
extern const char *const rl_default_masked_paths[];
extern const char *const rl_default_readonly_paths[];

/* podman's default seccomp profile as the linux.seccomp object of a config.json, for CAPS (the
 * container's bounding set, N_CAPS capability numbers): the rules that podman keeps or drops
 * by capability and by architecture are resolved here, and syscall names that the linked
 * libseccomp does not know are left out, as crun does. The filter that rl_seccomp_build()
 * makes of it is the one crun makes of podman's. Unknown syscalls fail with ENOSYS, so that
 * libc falls back to older ones. New JSON; NULL when rl was built without seccomp support
 * (podman then runs the container without a filter too). */
json_t *rl_seccomp_default_profile(const int *caps, size_t n_caps);

#endif
