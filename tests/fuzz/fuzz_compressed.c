/* libFuzzer target: gzip- and zstd-compressed input, through the loader's
 * own entry (wa_snapshot_load_memory: compression by magic, bounded
 * decompression into memory, then the reader the content announces).
 *
 * Each input is loaded twice:
 *  - as it is: the decoders' glue on arbitrary compressed bytes (truncated
 *    streams, concatenated gzip members and zstd frames, skippable frames,
 *    corrupt blocks), with a small decompression limit so that bombs are
 *    refused quickly and the limit itself is exercised;
 *  - compressed here (gzip or zstd, by the first byte) after the first byte:
 *    mutated dumps behind a valid compressed stream reach both readers,
 *    where random bytes would mostly fail the streams' checksums. */
#include <stddef.h>
#include <stdint.h>
#include <zlib.h>
#include <zstd.h>

#include "fuzz_common.h"

#define FUZZ_LIMIT ((uint64_t)1 << 20)

static void load(const uint8_t *data, size_t size, uint64_t limit) {
    wa_load_options opts = {WA_FORMAT_AUTO, NULL, NULL, limit};
    wa_error err;
    wa_snapshot *s = wa_snapshot_load_memory(data, size, "fuzz", &opts, &err);
    if (s) {
        wa_fuzz_check(s);
        wa_snapshot_free(s);
    } else if (err.code == WA_OK || !wa_error_string(&err)[0]) {
        abort();
    }
}

/* One compressor of each kind for the whole run: setting them up per input
 * would cost more than the rest of an execution. */
static size_t gzip_into(const uint8_t *in, size_t n, uint8_t *out, size_t cap) {
    static z_stream z;
    static int ready;
    if (!ready) {
        if (deflateInit2(&z, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) return 0;
        ready = 1;
    } else if (deflateReset(&z) != Z_OK) {
        return 0;
    }
    z.next_in = (Bytef *)in;
    z.avail_in = (uInt)n;
    z.next_out = out;
    z.avail_out = (uInt)cap;
    int r = deflate(&z, Z_FINISH);
    return r == Z_STREAM_END ? cap - z.avail_out : 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    load(data, size, FUZZ_LIMIT);
    if (size < 1) return 0;
    const uint8_t *body = data + 1;
    size_t n = size - 1;
    size_t cap = ZSTD_compressBound(n) + 64;
    if (cap < compressBound((uLong)n) + 64) cap = compressBound((uLong)n) + 64;
    uint8_t *c = malloc(cap);
    if (!c) return 0;
    size_t len;
    if (data[0] & 1) {
        static ZSTD_CCtx *zc;
        if (!zc) zc = ZSTD_createCCtx();
        len = zc ? ZSTD_compressCCtx(zc, c, cap, body, n, 1) : 0;
        if (ZSTD_isError(len)) len = 0;
    } else {
        len = gzip_into(body, n, c, cap);
    }
    if (len) load(c, len, 0);
    free(c);
    return 0;
}
