#ifndef RL_CONTAINER_H
#define RL_CONTAINER_H
#endif
