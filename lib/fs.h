/* Files: reads and writes with limits, and path resolution confined to a directory fd. */
#ifndef RL_FS_H
#define RL_FS_H

#include <sys/types.h>

#include "error.h"

/* Open PATH below DIRFD as if DIRFD were "/": symlinks and ".." cannot leave it
 * (openat2 RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS). */
int rl_safe_openat(int dirfd, const char *path, int flags, mode_t mode, rl_error_t *err);
/* Like mkdir -p below DIRFD, each component resolved in root; returns an O_PATH fd to it. */
int rl_safe_mkdir_p(int dirfd, const char *path, mode_t mode, rl_error_t *err);

int rl_read_all_fd(int fd, size_t max, char **ret_buf, size_t *ret_len, rl_error_t *err);
int rl_read_file(const char *path, size_t max, char **ret_buf, size_t *ret_len, rl_error_t *err);
int rl_write_all(int fd, const void *buf, size_t len, rl_error_t *err);
/* Write a file whole: a temporary name in the same directory, then rename. DURABLE adds an
 * fsync first, for files that must survive a crash (not runtime state, gone at reboot). */
int rl_write_file_atomic(const char *path, const void *buf, size_t len, mode_t mode, bool durable,
                         rl_error_t *err);
/* Write to an existing file, such as /proc/PID/uid_map. */
int rl_write_file(const char *path, const void *buf, size_t len, rl_error_t *err);
int rl_mkdir_p(const char *path, mode_t mode, rl_error_t *err);
/* cp -a of what is in SRC_DIRFD into DST_DIRFD: directories, files, symlinks and fifos with
 * their modes, owners and times (owners as far as the caller may give them). */
int rl_copy_tree(int src_dirfd, int dst_dirfd, rl_error_t *err);
/* rm -rf, not following symlinks, staying on one filesystem. */
int rl_rm_rf(const char *path, rl_error_t *err);

#endif
