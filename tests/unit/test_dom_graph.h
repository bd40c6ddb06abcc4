/*
 * test_dom_graph.h: build small snapshots by hand for the analysis tests.
 * Object i gets address 0x1000 + 16*i; types are "module.qualname" split at
 * the last dot. Every call aborts the test on a builder error, because a
 * broken fixture makes every later check meaningless.
 */
#ifndef TEST_DOM_GRAPH_H
#define TEST_DOM_GRAPH_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "whyalive/analysis.h"
#include "whyalive/select.h"
#include "whyalive/whyalive.h"

typedef struct tg {
    wa_builder *b;
    wa_error err;
    uint32_t n;
} tg;

#define TG_ADDR(i) (0x1000u + 16u * (uint64_t)(i))

static inline void tg_die(tg *g, const char *what) {
    fprintf(stderr, "fixture: %s: %s\n", what, wa_error_string(&g->err));
    exit(2);
}

static inline void tg_new(tg *g) {
    wa_error_clear(&g->err);
    g->n = 0;
    g->b = wa_builder_new(&g->err);
    if (!g->b) tg_die(g, "builder");
}

static inline uint32_t tg_str(tg *g, const char *s) {
    uint32_t id = wa_builder_intern(g->b, s, strlen(s), &g->err);
    if (id == WA_NONE) tg_die(g, "intern");
    return id;
}

static inline uint32_t tg_obj_full(tg *g, const char *type, uint64_t size, uint32_t flags,
                                   uint32_t length, const char *name) {
    char module[256];
    const char *dot = strrchr(type, '.');
    if (dot) {
        size_t k = (size_t)(dot - type);
        memcpy(module, type, k);
        module[k] = '\0';
    } else {
        strcpy(module, "builtins");
    }
    uint32_t t = wa_builder_type(g->b, type, module, &g->err);
    if (t == WA_NONE) tg_die(g, "type");
    wa_object o;
    memset(&o, 0, sizeof o);
    o.addr = TG_ADDR(g->n);
    o.size = size;
    o.type = t;
    o.refcount = 1;
    o.flags = flags;
    o.length = length;
    o.name = name ? tg_str(g, name) : 0;
    uint32_t i = wa_builder_object(g->b, &o, &g->err);
    if (i == WA_NONE) tg_die(g, "object");
    g->n++;
    return i;
}

static inline uint32_t tg_obj(tg *g, const char *type, uint64_t size) {
    return tg_obj_full(g, type, size, 0, 0, NULL);
}

static inline void tg_edge(tg *g, uint32_t from, uint32_t to, wa_edge_kind kind,
                           const char *label) {
    uint32_t payload = label ? tg_str(g, label) : 0;
    if (wa_builder_edge(g->b, from, TG_ADDR(to), WA_LABEL(kind, payload), &g->err) != WA_OK)
        tg_die(g, "edge");
}

static inline void tg_attr(tg *g, uint32_t from, uint32_t to, const char *name) {
    tg_edge(g, from, to, WA_EDGE_ATTR, name);
}

static inline void tg_index(tg *g, uint32_t from, uint32_t to, uint32_t index) {
    if (wa_builder_edge(g->b, from, TG_ADDR(to), WA_LABEL(WA_EDGE_INDEX, index), &g->err) != WA_OK)
        tg_die(g, "edge");
}

static inline void tg_root(tg *g, uint32_t obj, wa_root_kind kind, const char *label,
                           uint32_t excess) {
    if (wa_builder_root(g->b, TG_ADDR(obj), kind, label ? tg_str(g, label) : 0, excess, &g->err) !=
        WA_OK)
        tg_die(g, "root");
}

static inline wa_snapshot *tg_done(tg *g) {
    wa_snapshot *s = wa_builder_finish(g->b, "test", &g->err);
    g->b = NULL;
    if (!s) tg_die(g, "finish");
    return s;
}

/* Tiny deterministic PRNG (xorshift) so random tests replay exactly. */
static inline uint32_t tg_rand(uint64_t *state) {
    uint64_t x = *state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    *state = x;
    return (uint32_t)(x >> 11);
}

#endif
