#include "config.h"

#include "rl.h"

int
cmd_info(struct rl_globals *g, int argc, char **argv, rl_error_t *err)
{
    return rl_make_error(err, 0, "info: not built yet");
}

int
cmd_doctor(struct rl_globals *g, int argc, char **argv, rl_error_t *err)
{
    return rl_make_error(err, 0, "doctor: not built yet");
}
