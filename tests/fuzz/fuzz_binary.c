/* libFuzzer target: the binary reader on arbitrary bytes. Most random bytes
 * fail the checksums, so the target also loads each input with every
 * checksum fixed up, to reach the structural validation behind them. */
#include <stddef.h>
#include <stdint.h>

#include "format/format_impl.h"
#include "fuzz_common.h"

static void reseal(uint8_t *b, size_t n) {
    if (n < 64) return;
    uint64_t toc;
    uint32_t nt;
    memcpy(&toc, b + n - 32, 8);
    memcpy(&nt, b + n - 24, 4);
    if (nt > 64 || toc > n - 32 || (uint64_t)nt * 32 > n - 32 - toc) return;
    for (uint32_t i = 0; i < nt; i++) {
        uint8_t *e = b + toc + i * 32;
        uint64_t off, len;
        memcpy(&off, e + 8, 8);
        memcpy(&len, e + 16, 8);
        if (off <= n && len <= n - off) {
            uint64_t c = wa_checksum(b + off, (size_t)len);
            memcpy(e + 24, &c, 8);
        }
    }
    uint64_t c = wa_checksum(b + toc, (size_t)nt * 32);
    memcpy(b + n - 16, &c, 8);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    wa_fuzz_load(data, size, WA_FORMAT_BINARY);
    uint8_t *copy = malloc(size ? size : 1);
    if (!copy) return 0;
    memcpy(copy, data, size);
    reseal(copy, size);
    wa_fuzz_load(copy, size, WA_FORMAT_BINARY);
    free(copy);
    return 0;
}
