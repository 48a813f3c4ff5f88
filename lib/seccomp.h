/* linux.seccomp of the runtime spec through libseccomp: every action, argument operator,
 * architecture and flag of the spec. */
#ifndef RL_SECCOMP_H
#define RL_SECCOMP_H

#include <jansson.h>

#include "error.h"

struct rl_seccomp;

/* Validate linux.seccomp without building anything: names the bad field or value
 * ("linux.seccomp.syscalls[3].names[0]: unknown syscall 'foo'"). */
int rl_seccomp_check(json_t *seccomp, rl_error_t *err);
/* Build the filter in the parent, before the container process exists. */
int rl_seccomp_build(json_t *seccomp, struct rl_seccomp **ret, rl_error_t *err);
/* The same, reusing the BPF program compiled for the same profile earlier: CACHE_DIR (NULL:
 * no cache) holds one file per profile, named by the sha256 of its JSON. Compiling the default
 * profile costs more than the rest of a container's start. */
int rl_seccomp_build_cached(json_t *seccomp, const char *cache_dir, struct rl_seccomp **ret,
                            rl_error_t *err);
/* Load it into the calling process (the container init, just before exec). */
int rl_seccomp_load(struct rl_seccomp *filter, rl_error_t *err);
void rl_seccomp_free(struct rl_seccomp *filter);

#endif
