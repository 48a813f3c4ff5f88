/* jansson helpers shared by lib/, image/ and cmd/. */
#ifndef RL_JSON_H
#define RL_JSON_H

#include <jansson.h>

/* Release a reference at the end of the scope (jansson's json_decrefp, 2.11 and later). */
#define cleanup_json __attribute__((cleanup(json_decrefp)))

#endif
