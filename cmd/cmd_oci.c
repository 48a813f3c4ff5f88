#include "config.h"

#include "rl.h"

int
cmd_oci(struct rl_globals *g, int argc, char **argv, rl_error_t *err)
{
    return rl_make_error(err, 0, "oci: not built yet");
}
