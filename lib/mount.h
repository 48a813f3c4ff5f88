/* The container's filesystem: rootfs bind, the config's mounts, /dev, pivot_root, masked and
 * read-only paths. Runs in the container process, root in its user and mount namespaces. */
#ifndef RL_MOUNT_H
#define RL_MOUNT_H

#include "spec.h"

/* Parsed mount options: flags for mount(2), attributes for mount_setattr(2), propagation,
 * and the filesystem data string. */
struct rl_mount_flags {
    unsigned long flags;       /* MS_* for mount(2) */
    unsigned long propagation; /* MS_SHARED|MS_PRIVATE|... with MS_REC */
    unsigned long long attr_set;
    unsigned long long attr_clr;
    bool bind;
    bool recursive;
    bool recursive_attrs; /* rro, rnosuid, ...: apply attrs to every submount */
    char *data;           /* unknown options, comma-joined, for the filesystem */
};

/* Split OPTIONS into flags and data. Unknown options are data for the filesystem. */
int rl_mount_parse_options(char *const *options, struct rl_mount_flags *ret, rl_error_t *err);
void rl_mount_flags_release(struct rl_mount_flags *f);

/* rl's own containers: mount an overlay with OPTIONS ("lowerdir=...", "upperdir=...",
 * "workdir=...", "userxattr", ...) on ROOT_PATH, before rl_mount_prepare() binds it. */
int rl_mount_rootfs_overlay(const char *root_path, char *const *options, rl_error_t *err);

/* The same with fuse-overlayfs, which shows the files' ids through UIDMAP and GIDMAP when
 * they are not NULL (its "uidmapping=" form: "on disk:shown:size" triples joined by ':'). Its
 * daemon stays in the calling process's pid namespace until the namespace ends. */
int rl_mount_rootfs_fuse(const char *root_path, char *const *options, const char *uidmap,
                         const char *gidmap, rl_error_t *err);

/* Bind the rootfs and mount the config's mounts and /dev under it; returns an fd of the
 * rootfs. The createContainer hooks run between this and rl_mount_finish(). */
int rl_mount_prepare(const struct rl_spec *spec, rl_error_t *err);
/* pivot_root into ROOTFD, then masked and read-only paths, root.readonly, propagation. */
int rl_mount_finish(const struct rl_spec *spec, int rootfd, rl_error_t *err);

#endif
