/* scene.c: the picture model (see scene.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "render/scene.h"

/* ---- the scene ---- */

/* Keys of node_of: objects by index; special nodes by kind and a sequence so
 * they never collide with an object. */
#define KEY_SPECIAL(kind, n) ((uint64_t)(kind) << 40 | (uint64_t)(n))

void wa_scene_init(wa_scene *sc, const wa_snapshot *snap, const wa_render_options *opts,
                   wa_render_stats *stats) {
    memset(sc, 0, sizeof *sc);
    sc->snap = snap;
    sc->opts = *opts;
    sc->stats = stats;
    /* offset 0 of the pool means "no note": put one byte there */
    wa_buf_put(&sc->pool, "", 1);
}

void wa_scene_free(wa_scene *sc) {
    free(sc->nodes);
    free(sc->edges);
    free(sc->node_roots);
    wa_buf_free(&sc->pool);
    wa_buf_free(&sc->caption);
    wa_u64map_free(&sc->node_of);
    wa_u64map_free(&sc->edge_of);
    memset(sc, 0, sizeof *sc);
}

uint32_t wa_scene_find(const wa_scene *sc, uint32_t obj) {
    return wa_u64map_value(&sc->node_of, obj, WA_SCENE_NONE);
}

int wa_scene_room(const wa_scene *sc, uint32_t extra) {
    return (uint64_t)sc->n_nodes + extra <= sc->opts.max_nodes;
}

static uint32_t add_node(wa_scene *sc, wa_rnode_kind kind, uint32_t obj, uint32_t depth,
                         uint64_t key) {
    if (sc->failed) return WA_SCENE_NONE;
    if (!wa_scene_room(sc, 1)) return WA_SCENE_NONE;
    if (sc->n_nodes == sc->cap_nodes) {
        uint32_t cap = sc->cap_nodes ? sc->cap_nodes * 2 : 64;
        wa_rnode *n = realloc(sc->nodes, (size_t)cap * sizeof *n);
        if (!n) {
            sc->failed = 1;
            return WA_SCENE_NONE;
        }
        sc->nodes = n;
        sc->cap_nodes = cap;
    }
    uint32_t id = sc->n_nodes;
    if (!wa_u64map_put(&sc->node_of, key, id, NULL)) {
        sc->failed = 1;
        return WA_SCENE_NONE;
    }
    wa_rnode *n = &sc->nodes[sc->n_nodes++];
    memset(n, 0, sizeof *n);
    n->kind = (uint8_t)kind;
    n->obj = obj;
    n->depth = depth;
    n->retained = WA_RETAINED_UNKNOWN;
    if (depth > sc->max_depth) sc->max_depth = depth;
    return id;
}

uint32_t wa_scene_object(wa_scene *sc, uint32_t obj, uint32_t depth) {
    uint32_t id = wa_u64map_value(&sc->node_of, obj, WA_SCENE_NONE);
    if (id != WA_SCENE_NONE) return id;
    return add_node(sc, WA_RN_OBJECT, obj, depth, obj);
}

uint32_t wa_scene_special(wa_scene *sc, wa_rnode_kind kind, uint32_t obj, uint32_t depth,
                          uint64_t count) {
    /* sequence over all special nodes: unique key and a stable id suffix */
    uint32_t seq = 0;
    for (uint32_t i = sc->n_nodes; i-- > 0;)
        if (sc->nodes[i].kind == kind && sc->nodes[i].obj == obj) {
            seq = sc->nodes[i].seq + 1;
            break;
        }
    uint32_t id = add_node(sc, kind, obj, depth, KEY_SPECIAL(kind, (uint64_t)sc->n_nodes));
    if (id == WA_SCENE_NONE) return id;
    sc->nodes[id].count = count;
    sc->nodes[id].seq = seq;
    return id;
}

uint32_t wa_scene_edge(wa_scene *sc, uint32_t from, uint32_t to, wa_redge_style style,
                       uint32_t label) {
    if (sc->failed) return WA_SCENE_NONE;
    uint64_t key = (uint64_t)from << 32 | to;
    uint32_t id = wa_u64map_value(&sc->edge_of, key, WA_SCENE_NONE);
    if (id != WA_SCENE_NONE) {
        wa_redge *e = &sc->edges[id];
        /* the same hop drawn twice (paths sharing a prefix) is one reference */
        for (uint32_t k = 0; k < e->n_labels; k++)
            if (e->labels[k] == label) return id;
        e->total++;
        if (e->n_labels < WA_SCENE_EDGE_LABELS) e->labels[e->n_labels++] = label;
        /* a strong reference beside a weak one: the pair retains */
        if (e->style == WA_RE_WEAK && style == WA_RE_REF) e->style = WA_RE_REF;
        return id;
    }
    if (sc->n_edges == sc->cap_edges) {
        uint32_t cap = sc->cap_edges ? sc->cap_edges * 2 : 64;
        wa_redge *e = realloc(sc->edges, (size_t)cap * sizeof *e);
        if (!e) {
            sc->failed = 1;
            return WA_SCENE_NONE;
        }
        sc->edges = e;
        sc->cap_edges = cap;
    }
    id = sc->n_edges;
    if (!wa_u64map_put(&sc->edge_of, key, id, NULL)) {
        sc->failed = 1;
        return WA_SCENE_NONE;
    }
    wa_redge *e = &sc->edges[sc->n_edges++];
    memset(e, 0, sizeof *e);
    e->from = from;
    e->to = to;
    e->style = (uint8_t)style;
    e->total = 1;
    e->labels[0] = label;
    e->n_labels = 1;
    return id;
}

uint32_t wa_scene_text(wa_scene *sc, const char *text) {
    size_t off = sc->pool.len;
    wa_buf_put(&sc->pool, text, strlen(text) + 1);
    if (sc->pool.failed || off >= UINT32_MAX) {
        sc->failed = 1;
        return 0;
    }
    return (uint32_t)off + 1;
}

const char *wa_scene_note(const wa_scene *sc, uint32_t note) {
    return note ? sc->pool.data + note - 1 : "";
}

void wa_scene_caption(wa_scene *sc, const char *fmt, ...) {
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (sc->caption.len) wa_buf_put(&sc->caption, "\n", 1);
    wa_buf_puts(&sc->caption, line);
    if (sc->caption.failed) sc->failed = 1;
}

int wa_scene_finish(wa_scene *sc) {
    if (sc->failed) return 0;
    /* Roots per node, in snapshot root order, as one array sliced per node:
     * count, prefix-sum, fill. */
    uint32_t nr = wa_snapshot_n_roots(sc->snap);
    const wa_root *roots = wa_snapshot_roots(sc->snap);
    uint32_t total = 0;
    for (uint32_t i = 0; i < nr; i++) {
        uint32_t id = wa_u64map_value(&sc->node_of, roots[i].obj, WA_SCENE_NONE);
        if (id == WA_SCENE_NONE) continue;
        sc->nodes[id].root_n++;
        total++;
    }
    if (total) {
        sc->node_roots = malloc((size_t)total * sizeof *sc->node_roots);
        if (!sc->node_roots) {
            sc->failed = 1;
            return 0;
        }
        uint32_t off = 0;
        for (uint32_t i = 0; i < sc->n_nodes; i++) {
            sc->nodes[i].root_first = off;
            off += sc->nodes[i].root_n;
            sc->nodes[i].root_n = 0;
        }
        for (uint32_t i = 0; i < nr; i++) {
            uint32_t id = wa_u64map_value(&sc->node_of, roots[i].obj, WA_SCENE_NONE);
            if (id == WA_SCENE_NONE) continue;
            wa_rnode *n = &sc->nodes[id];
            sc->node_roots[n->root_first + n->root_n++] = i;
        }
    }
    wa_render_stats *st = sc->stats;
    st->nodes = sc->n_nodes;
    st->edges = sc->n_edges;
    for (uint32_t i = 0; i < sc->n_nodes; i++) {
        const wa_rnode *n = &sc->nodes[i];
        if (n->kind == WA_RN_MORE) st->collapsed_nodes++;
        /* paths mode draws the several root objects of a cluster as one
         * group node at the path's start: a root node all the same. */
        if (n->kind == WA_RN_GROUP && n->group_root) st->roots_drawn++;
        if (n->kind != WA_RN_OBJECT) continue;
        st->objects++;
        if (n->root_n) st->roots_drawn++;
    }
    return 1;
}

/* ---- helpers shared by the modes ---- */

uint32_t *wa_render_root_distance(const wa_snapshot *snap, wa_error *err) {
    uint32_t n = wa_snapshot_n_objects(snap);
    uint32_t *dist = malloc(((size_t)n + 1) * sizeof *dist);
    uint32_t *queue = malloc(((size_t)n + 1) * sizeof *queue);
    if (!dist || !queue) {
        free(dist);
        free(queue);
        wa_error_set(err, WA_ERR_NOMEM, NULL, WA_POS_NONE, WA_POS_NONE,
                     "out of memory computing root distances");
        return NULL;
    }
    memset(dist, 0xFF, (size_t)n * sizeof *dist);
    uint32_t head = 0, tail = 0;
    uint32_t nr = wa_snapshot_n_roots(snap);
    const wa_root *roots = wa_snapshot_roots(snap);
    for (uint32_t i = 0; i < nr; i++) {
        uint32_t o = roots[i].obj;
        if (o < n && dist[o] == WA_NONE) {
            dist[o] = 0;
            queue[tail++] = o;
        }
    }
    /* Plain BFS: every object enters the queue at most once. */
    while (head < tail) {
        uint32_t v = queue[head++];
        const wa_edge *e;
        uint32_t ne = wa_snapshot_out(snap, v, &e);
        for (uint32_t j = 0; j < ne; j++) {
            if (WA_LABEL_KIND(e[j].label) == WA_EDGE_WEAK) continue; /* never retains */
            uint32_t t = e[j].to;
            if (dist[t] != WA_NONE) continue;
            dist[t] = dist[v] + 1;
            queue[tail++] = t;
        }
    }
    free(queue);
    return dist;
}

uint8_t *wa_render_root_kinds(const wa_snapshot *snap, wa_error *err) {
    uint32_t n = wa_snapshot_n_objects(snap);
    uint8_t *k = calloc((size_t)n + 1, 1);
    if (!k) {
        wa_error_set(err, WA_ERR_NOMEM, NULL, WA_POS_NONE, WA_POS_NONE,
                     "out of memory marking roots");
        return NULL;
    }
    uint32_t nr = wa_snapshot_n_roots(snap);
    const wa_root *roots = wa_snapshot_roots(snap);
    for (uint32_t i = 0; i < nr; i++)
        if (roots[i].obj < n && roots[i].kind < 8)
            k[roots[i].obj] |= (uint8_t)(1u << roots[i].kind);
    return k;
}
