#ifndef RL_MOUNT_H
#define RL_MOUNT_H
#endif
