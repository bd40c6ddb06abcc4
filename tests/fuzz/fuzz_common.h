/*
 * fuzz_common.h: what every reader fuzz target does with a snapshot that
 * loaded: walk it through the public accessors and check the invariants of
 * whyalive/snapshot.h, aborting (a crash libFuzzer reports) if one fails.
 */
#ifndef WA_FUZZ_COMMON_H
#define WA_FUZZ_COMMON_H

#include <stdlib.h>
#include <string.h>

#include "whyalive/whyalive.h"

static inline void wa_fuzz_check(const wa_snapshot *s) {
    uint32_t n = wa_snapshot_n_objects(s), ne = wa_snapshot_n_edges(s);
    const uint32_t *out = wa_snapshot_out_offsets(s), *in = wa_snapshot_in_offsets(s);
    const wa_object *o = wa_snapshot_objects(s);
    if (out[0] != 0 || out[n] != ne || in[0] != 0 || in[n] != ne) abort();
    char buf[64];
    for (uint32_t i = 0; i < n; i++) {
        if (out[i] > out[i + 1] || in[i] > in[i + 1]) abort();
        const wa_edge *e;
        uint32_t k = wa_snapshot_out(s, i, &e);
        for (uint32_t j = 0; j < k; j++) {
            if (e[j].to >= n) abort();
            wa_label_format(s, e[j].label, buf, sizeof buf);
        }
        const uint32_t *src;
        k = wa_snapshot_in(s, i, &src);
        for (uint32_t j = 0; j < k; j++)
            if (src[j] >= n) abort();
        (void)strlen(wa_snapshot_type_name(s, o[i].type));
        (void)strlen(wa_snapshot_string(s, o[i].name));
        (void)strlen(wa_snapshot_site(s, i));
        if (wa_snapshot_find(s, o[i].addr) >= n) abort();
    }
    for (uint32_t i = 0; i < wa_snapshot_n_roots(s); i++)
        if (wa_snapshot_roots(s)[i].obj >= n) abort();
}

static inline int wa_fuzz_load(const uint8_t *data, size_t size, wa_format format) {
    wa_load_options opts = {format, NULL, NULL, 0};
    wa_error err;
    wa_snapshot *s = wa_snapshot_load_memory(data, size, "fuzz", &opts, &err);
    if (s) {
        wa_fuzz_check(s);
        wa_snapshot_free(s);
    } else {
        /* every failure carries a code and a one-line message */
        if (err.code == WA_OK || !wa_error_string(&err)[0]) abort();
    }
    return 0;
}

#endif
