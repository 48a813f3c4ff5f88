#ifndef RL_TERMINAL_H
#define RL_TERMINAL_H
#endif
