/* libFuzzer entry point for image reference parsing: whatever parses must format back to a
 * reference that parses to the same thing. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ref.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cleanup_free char *buf = xmalloc(size + 1);
    cleanup_image_ref struct rl_image_ref *ref = NULL, *again = NULL;
    cleanup_free char *text = NULL, *text2 = NULL;
    rl_error_t err = NULL;

    memcpy(buf, data, size);
    buf[size] = '\0';
    if (rl_image_ref_parse(buf, &ref, &err) < 0) {
        rl_error_release(&err);
        return 0;
    }
    text = rl_image_ref_format(ref);
    if (rl_image_ref_parse(text, &again, &err) < 0)
        abort(); /* a formatted reference must parse */
    text2 = rl_image_ref_format(again);
    if (strcmp(text, text2) != 0)
        abort(); /* and be stable */
    return 0;
}
