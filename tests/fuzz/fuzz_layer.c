/* libFuzzer entry point for layer extraction: any input, as a tar stream (compressed or
 * not), is extracted into a fresh directory; nothing may appear outside it. */
#include "config.h"

#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fs.h"
#include "layer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct mem_source {
    struct rl_layer_source src;
    const uint8_t *data;
    size_t size, pos;
};

static ssize_t
mem_read(struct rl_layer_source *src, const void **buf)
{
    struct mem_source *m = (struct mem_source *)src;
    size_t n = m->size - m->pos < 4096 ? m->size - m->pos : 4096;

    *buf = m->data + m->pos;
    m->pos += n;
    return (ssize_t)n;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char tmpl[] = "/tmp/rl-fuzz-layer.XXXXXX";
    struct mem_source m = { .src.read = mem_read, .data = data, .size = size };
    struct rl_layer_opts opts = { .max_bytes = 64 << 20, .single_id = true, .whiteouts = true };
    struct rl_layer_stats stats;
    rl_error_t err = NULL;
    int dirfd;

    if (mkdtemp(tmpl) == NULL)
        abort();
    dirfd = open(tmpl, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dirfd < 0)
        abort();
    if (rl_layer_extract(dirfd, &m.src, &opts, &stats, &err) < 0)
        rl_error_release(&err);
    close(dirfd);
    if (rl_rm_rf(tmpl, &err) < 0)
        abort();
    return 0;
}
