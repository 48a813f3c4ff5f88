/* `rl top`: podman top's table of a container's processes (the AIX format descriptors of
 * containers/psgo), made from the host's /proc. */
#ifndef RL_CMD_TOP_H
#define RL_CMD_TOP_H

#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "error.h"

/* Print podman top's table for PIDS (the container's processes as host pids, in this order) to
 * OUT. Each of DESCRIPTORS (NULL-terminated; NULL or empty for podman's default, "user pid ppid
 * pcpu etime tty time args") holds descriptors separated by commas, in the code ("%C") or the
 * normal form ("pcpu"); an unknown one fails with "'X': unknown descriptor" before anything is
 * printed (podman would run ps(1) in the container instead). PID, PPID and PGID are those inside
 * the container's pid namespace; users and groups are the container's, named from PASSWD and
 * GROUP (the texts of its /etc/passwd and /etc/group; NULL: numbers), and huser, hgroup and
 * hgroups are named from the host's user database. A process that is gone is left out. */
int rl_top_print(const pid_t *pids, size_t n, char *const *descriptors, const char *passwd,
                 const char *group, FILE *out, rl_error_t *err);

/* Go's time.Duration.String() of NS nanoseconds, as psgo prints ELAPSED and TIME: "0s",
 * "1.5ms", "4.299125437s", "2m0s", "1h2m3s". Caller frees. */
char *rl_top_duration(uint64_t ns);

/* The descriptors' normal forms, sorted, one a line (podman top --list-descriptors). */
void rl_top_list_descriptors(FILE *out);

#endif
