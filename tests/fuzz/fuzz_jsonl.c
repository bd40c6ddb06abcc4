/* libFuzzer target: the JSON Lines reader on arbitrary bytes. */
#include <stddef.h>
#include <stdint.h>

#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    return wa_fuzz_load(data, size, WA_FORMAT_JSONL);
}
