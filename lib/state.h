#ifndef RL_STATE_H
#define RL_STATE_H
#endif
