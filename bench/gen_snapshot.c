/*
 * gen_snapshot.c: writes a synthetic snapshot with a heap-like shape through
 * wa_writer: mostly local edges (to nearby indexes, as allocation order
 * makes them in a real heap), a few hub objects with huge fan-in (type
 * objects, module dicts), about 3 edges per object, a few hundred types,
 * module roots and some external roots. Deterministic for a seed.
 *
 * usage: wa_gen N OUT [--seed S]      (OUT: .wa binary, .jsonl JSON Lines)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "whyalive/whyalive.h"

static uint64_t rng_state;
static uint64_t rnd(void) { /* splitmix64 */
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

#define N_TYPES 300
#define N_ATTRS 200
#define N_KEYS 500
#define N_HUBS 64

static int die(wa_error *err) {
    fprintf(stderr, "wa_gen: %s\n", wa_error_string(err));
    return 2;
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: wa_gen N OUT [--seed S]\n");
        return 2;
    }
    uint64_t n64 = strtoull(argv[1], NULL, 10);
    const char *out = argv[2];
    rng_state = 42;
    for (int i = 3; i + 1 < argc; i++)
        if (strcmp(argv[i], "--seed") == 0) rng_state = strtoull(argv[++i], NULL, 10);
    if (n64 < N_HUBS + 2 || n64 > WA_MAX_OBJECTS) {
        fprintf(stderr, "wa_gen: N must be between %d and %u\n", N_HUBS + 2, WA_MAX_OBJECTS);
        return 2;
    }
    uint32_t n = (uint32_t)n64;
    wa_error err;
    wa_writer *w = wa_writer_open(out, WA_FORMAT_AUTO, &err);
    if (!w) return die(&err);
    wa_meta m;
    memset(&m, 0, sizeof m);
    const char *av[] = {"wa_gen", argv[1]};
    m.tool_version = WA_VERSION;
    m.python_version = "3.11.2";
    m.implementation = "CPython";
    m.host = "bench";
    m.time = "2026-01-01T00:00:00Z";
    m.pid = 1;
    m.argc = 2;
    m.argv = av;
    wa_writer_meta(w, &m, &err);
    uint32_t types[N_TYPES], attrs[N_ATTRS], keys[N_KEYS];
    static const char *const builtin[] = {"dict",  "list",     "str",  "int",
                                          "tuple", "function", "cell", "set"};
    char buf[128];
    for (int i = 0; i < N_TYPES; i++) {
        if (i < 8) {
            snprintf(buf, sizeof buf, "builtins.%s", builtin[i]);
            types[i] = wa_writer_type(w, buf, "builtins", &err);
        } else {
            char mod[64];
            snprintf(mod, sizeof mod, "app.mod%d", i % 37);
            snprintf(buf, sizeof buf, "%s.Class%d", mod, i);
            types[i] = wa_writer_type(w, buf, mod, &err);
        }
    }
    for (int i = 0; i < N_ATTRS; i++) {
        snprintf(buf, sizeof buf, "attr_%d", i);
        attrs[i] = wa_writer_intern(w, buf, strlen(buf), &err);
    }
    for (int i = 0; i < N_KEYS; i++) {
        snprintf(buf, sizeof buf, "'key_%d'", i);
        keys[i] = wa_writer_intern(w, buf, strlen(buf), &err);
    }
    if (wa_writer_begin(w, n, &err) != WA_OK) return die(&err);
    const uint64_t base = 0x7f0000000000ull;
    wa_writer_edge e[8];
    for (uint32_t i = 0; i < n; i++) {
        uint64_t r = rnd();
        wa_object o;
        memset(&o, 0, sizeof o);
        o.addr = base + (uint64_t)i * 48;
        /* a skewed type mix: builtins dominate */
        uint32_t t = (r & 3) ? (uint32_t)(r >> 8) % 8 : 8 + (uint32_t)(r >> 8) % (N_TYPES - 8);
        o.type = types[t];
        o.size = 16 + (r >> 20) % 200;
        o.refcount = 1 + (uint32_t)((r >> 28) % 4);
        o.flags = WA_OBJ_GC_TRACKED;
        if (t < 2) {
            o.flags |= WA_OBJ_HAS_LEN;
            o.length = (uint32_t)((r >> 32) % 16);
        }
        uint32_t ne = (uint32_t)((r >> 36) % 7); /* 0..6, mean 3 */
        for (uint32_t k = 0; k < ne; k++) {
            uint64_t q = rnd();
            uint32_t to;
            uint32_t p = (uint32_t)(q % 100);
            if (p < 85) { /* local */
                int64_t d = (int64_t)((q >> 8) % 129) - 64;
                int64_t j = (int64_t)i + d;
                to = (uint32_t)(j < 0 ? 0 : j >= n ? n - 1 : j);
            } else if (p < 95) { /* hub */
                to = (uint32_t)((q >> 8) % N_HUBS);
            } else {
                to = (uint32_t)((q >> 8) % n);
            }
            uint32_t label;
            if (t == 0)
                label = WA_LABEL(WA_EDGE_DICT_VALUE, keys[(q >> 40) % N_KEYS]);
            else if (t == 1 || t == 4)
                label = WA_LABEL(WA_EDGE_INDEX, k);
            else if (t == 6)
                label = WA_LABEL(WA_EDGE_CLOSURE, attrs[(q >> 40) % N_ATTRS]);
            else
                label = WA_LABEL(WA_EDGE_ATTR, attrs[(q >> 40) % N_ATTRS]);
            e[k].to = to;
            e[k].to_addr = base + (uint64_t)to * 48;
            e[k].label = label;
        }
        if (wa_writer_object(w, &o, e, ne, &err) != WA_OK) return die(&err);
    }
    for (uint32_t i = 0; i < 200 && i < n; i++) {
        snprintf(buf, sizeof buf, "app.mod%u", i);
        uint32_t lab = wa_writer_intern(w, buf, strlen(buf), &err);
        if (wa_writer_root(w, i, base + (uint64_t)i * 48, WA_ROOT_MODULE, lab, 0, &err) != WA_OK)
            return die(&err);
    }
    for (uint32_t i = 997; i < n; i += 10007)
        if (wa_writer_root(w, i, base + (uint64_t)i * 48, WA_ROOT_EXTERNAL, 0, 1, &err) != WA_OK)
            return die(&err);
    wa_writer_stats st;
    if (wa_writer_commit(w, &st, &err) != WA_OK) return die(&err);
    printf("wrote %s: %llu objects, %llu edges, %llu roots, %llu bytes\n", out,
           (unsigned long long)st.objects, (unsigned long long)st.edges,
           (unsigned long long)st.roots, (unsigned long long)st.bytes);
    return 0;
}
