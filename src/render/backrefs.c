/*
 * backrefs.c: the referrer graph of a selection (objgraph's show_backrefs),
 * with the one thing objgraph's picture often lacks: the way to a root.
 *
 * Invariants:
 *  - the shortest retention path of every drawn selected object is drawn
 *    first, in full (node cap permitting), whatever --depth says: a picture of
 *    referrers that never reaches a root does not answer "why alive";
 *  - the rest is a breadth-first walk over referrers, level by level, so the
 *    nearest referrers win the node budget; within one object's referrers the
 *    ones nearest a root come first (then by address), so a fan-in collapse
 *    keeps the useful ones;
 *  - roots that explain themselves (a module, a thread's frame, the
 *    interpreter) are not expanded further: their own referrers (sys.modules,
 *    other modules' dicts) are noise. External roots are expanded, since the
 *    references the dump did see are part of the answer.
 */
#include <stdlib.h>
#include <string.h>

#include "render/scene.h"

#define ANCHOR_KINDS ((1u << WA_ROOT_MODULE) | (1u << WA_ROOT_THREAD) | (1u << WA_ROOT_INTERPRETER))

typedef struct ref_cand {
    uint32_t obj;
    uint32_t dist;
    uint64_t addr;
} ref_cand;

static int cmp_u32(const void *a, const void *b) {
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

static int cmp_cand(const void *a, const void *b) {
    const ref_cand *x = a, *y = b;
    if (x->dist != y->dist) return x->dist < y->dist ? -1 : 1;
    return x->addr < y->addr ? -1 : x->addr > y->addr;
}

typedef struct walk {
    wa_scene *sc;
    const wa_snapshot *snap;
    const wa_object *objs;
    const uint32_t *dist;
    const uint8_t *rkind;
    uint32_t *queue; /* node ids, FIFO */
    uint32_t q_head, q_tail, q_cap;
    uint8_t *queued; /* per node id, grown with the scene */
    uint32_t queued_cap;
    wa_u64map cut; /* objects counted as cut by the node cap */
    uint32_t *scratch;
    size_t scratch_cap;
    ref_cand *cands;
    size_t cands_cap;
    int failed;
} walk;

static int grow(void **p, size_t *cap, size_t need, size_t elem) {
    if (need <= *cap) return 1;
    size_t c = *cap ? *cap : 64;
    while (c < need) c *= 2;
    void *q = realloc(*p, c * elem);
    if (!q) return 0;
    *p = q;
    *cap = c;
    return 1;
}

static void enqueue(walk *w, uint32_t node) {
    if (w->failed) return;
    size_t qc = w->queued_cap;
    if (!grow((void **)&w->queued, &qc, (size_t)node + 1, 1)) {
        w->failed = 1;
        return;
    }
    if (qc != w->queued_cap) {
        memset(w->queued + w->queued_cap, 0, qc - w->queued_cap);
        w->queued_cap = (uint32_t)qc;
    }
    if (w->queued[node]) return;
    w->queued[node] = 1;
    size_t cap = w->q_cap;
    if (!grow((void **)&w->queue, &cap, (size_t)w->q_tail + 1, sizeof *w->queue)) {
        w->failed = 1;
        return;
    }
    w->q_cap = (uint32_t)cap;
    w->queue[w->q_tail++] = node;
}

static void count_cut(walk *w, uint32_t obj) {
    int inserted = 0;
    if (!wa_u64map_put(&w->cut, obj, 1, &inserted)) {
        w->failed = 1;
        return;
    }
    if (!inserted) return;
    w->sc->stats->cut_max_nodes++;
}

/* Draw every reference src -> dst as one merged edge. `mult` is how many
 * times src appears among dst's referrers: the scan stops once all are seen. */
static void add_refs(walk *w, uint32_t src, uint32_t dst, uint32_t mult) {
    uint32_t from = wa_scene_find(w->sc, src), to = wa_scene_find(w->sc, dst);
    const wa_edge *e;
    uint32_t ne = wa_snapshot_out(w->snap, src, &e);
    uint32_t found = 0;
    for (uint32_t j = 0; j < ne && found < mult; j++) {
        if (e[j].to != dst) continue;
        found++;
        int weak = WA_LABEL_KIND(e[j].label) == WA_EDGE_WEAK;
        wa_scene_edge(w->sc, from, to, weak ? WA_RE_WEAK : WA_RE_REF, e[j].label);
    }
    if (!found) wa_scene_edge(w->sc, from, to, WA_RE_REF, WA_LABEL(WA_EDGE_OTHER, 0));
}

/* Distinct referrers of obj, sorted by index, into w->scratch; multiplicity
 * is recovered by the caller from runs in the sorted copy. Returns the number
 * of in-edges copied (runs included). */
static uint32_t referrers(walk *w, uint32_t obj) {
    const uint32_t *src;
    uint32_t n = wa_snapshot_in(w->snap, obj, &src);
    if (!grow((void **)&w->scratch, &w->scratch_cap, (size_t)n + 1, sizeof *w->scratch)) {
        w->failed = 1;
        return 0;
    }
    memcpy(w->scratch, src, (size_t)n * sizeof *src);
    qsort(w->scratch, n, sizeof *w->scratch, cmp_u32);
    return n;
}

/* The "N more referrers" node: its note names the commonest types hidden. */
static void add_more(walk *w, uint32_t node, const ref_cand *hidden, size_t n) {
    wa_scene *sc = w->sc;
    uint32_t more =
        wa_scene_special(sc, WA_RN_MORE, sc->nodes[node].obj, sc->nodes[node].depth + 1, n);
    if (more == WA_SCENE_NONE) {
        for (size_t i = 0; i < n; i++) count_cut(w, hidden[i].obj);
        return;
    }
    sc->stats->collapsed += n;
    /* Count by type with a sorted copy of the type ids (n can be large). */
    uint32_t *types = malloc(n * sizeof *types);
    if (!types) {
        w->failed = 1;
        return;
    }
    for (size_t i = 0; i < n; i++) types[i] = w->objs[hidden[i].obj].type;
    qsort(types, n, sizeof *types, cmp_u32);
    uint32_t best_t[3] = {0}, best_c[3] = {0};
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j < n && types[j] == types[i]) j++;
        uint32_t c = (uint32_t)(j - i);
        /* keep the top three; ties keep the lower type id (stable) */
        for (int k = 0; k < 3; k++) {
            if (c > best_c[k]) {
                for (int m = 2; m > k; m--) {
                    best_c[m] = best_c[m - 1];
                    best_t[m] = best_t[m - 1];
                }
                best_c[k] = c;
                best_t[k] = types[i];
                break;
            }
        }
        i = j;
    }
    free(types);
    wa_buf note = {0};
    uint32_t shown = 0;
    for (int k = 0; k < 3 && best_c[k]; k++) {
        const char *tn = wa_snapshot_type_display(w->snap, best_t[k]);
        wa_buf_printf(&note, "%s%u %s", k ? ", " : "", best_c[k], tn);
        shown += best_c[k];
    }
    if (shown < n) wa_buf_printf(&note, ", %u other", (unsigned)(n - shown));
    if (note.failed)
        w->failed = 1;
    else
        sc->nodes[more].note = wa_scene_text(sc, note.data ? note.data : "");
    wa_buf_free(&note);
    wa_scene_edge(sc, more, node, WA_RE_MORE, WA_LABEL(WA_EDGE_OTHER, 0));
}

/* Look at the referrers of one node: edges to those already drawn, new nodes
 * for the nearest-to-root up to --fan-in, one collapse node for the rest. */
static void expand(walk *w, uint32_t node) {
    wa_scene *sc = w->sc;
    uint32_t obj = sc->nodes[node].obj, depth = sc->nodes[node].depth;
    if (w->rkind[obj] & ANCHOR_KINDS) return;
    uint32_t n = referrers(w, obj);
    if (w->failed || n == 0) return;
    const uint32_t *s = w->scratch;
    if (depth >= sc->opts.depth) {
        /* count distinct referrers not already connected */
        for (uint32_t i = 0; i < n;) {
            uint32_t j = i;
            while (j < n && s[j] == s[i]) j++;
            uint32_t id = wa_scene_find(sc, s[i]);
            if (id == WA_SCENE_NONE || !wa_u64map_get(&sc->edge_of, (uint64_t)id << 32 | node)) {
                sc->nodes[node].hidden++;
                sc->stats->cut_depth++;
            }
            i = j;
        }
        return;
    }
    if (!grow((void **)&w->cands, &w->cands_cap, n, sizeof *w->cands)) {
        w->failed = 1;
        return;
    }
    size_t nc = 0;
    for (uint32_t i = 0; i < n;) {
        uint32_t j = i;
        while (j < n && s[j] == s[i]) j++;
        uint32_t id = wa_scene_find(sc, s[i]);
        if (id != WA_SCENE_NONE) {
            /* already drawn: an edge costs no node */
            add_refs(w, s[i], obj, j - i);
            if (sc->nodes[id].depth > depth + 1) sc->nodes[id].depth = depth + 1;
            enqueue(w, id);
        } else {
            w->cands[nc].obj = s[i];
            w->cands[nc].dist = w->dist ? w->dist[s[i]] : 0;
            w->cands[nc].addr = w->objs[s[i]].addr;
            nc++;
        }
        i = j;
    }
    if (nc == 0) return;
    qsort(w->cands, nc, sizeof *w->cands, cmp_cand);
    size_t draw = nc;
    if (nc > sc->opts.fan_in) draw = sc->opts.fan_in;
    size_t i = 0;
    for (; i < draw; i++) {
        /* leave a slot for the collapse node when one will follow */
        int need_more = draw < nc;
        if (!wa_scene_room(sc, need_more ? 2 : 1)) break;
        uint32_t id = wa_scene_object(sc, w->cands[i].obj, depth + 1);
        if (id == WA_SCENE_NONE) break;
        /* multiplicity: count the source in the sorted referrer list */
        uint32_t mult = 0;
        for (uint32_t k = 0; k < n; k++) mult += s[k] == w->cands[i].obj;
        add_refs(w, w->cands[i].obj, obj, mult);
        enqueue(w, id);
    }
    if (i < draw) {
        /* the node cap stopped us: what is left is cut, not collapsed */
        for (size_t k = i; k < nc; k++) count_cut(w, w->cands[k].obj);
        sc->nodes[node].hidden += nc - i;
        return;
    }
    if (draw < nc) add_more(w, node, w->cands + draw, nc - draw);
}

/* Walk from a selected object up its shortest retention path (the path tree
 * the `paths` command prints from), so picture and text agree. */
static void draw_chain(walk *w, uint32_t node) {
    wa_scene *sc = w->sc;
    const wa_path_tree *tree = sc->tree;
    uint32_t v = sc->nodes[node].obj, steps = 0;
    for (;;) {
        uint32_t p = tree->parent[v];
        if (p == WA_PATH_ROOT || p == WA_NONE) break;
        steps++;
        uint32_t had = wa_scene_find(sc, p);
        uint32_t id = wa_scene_object(sc, p, steps);
        if (id == WA_SCENE_NONE) {
            count_cut(w, p);
            break;
        }
        if (sc->nodes[id].depth > steps) sc->nodes[id].depth = steps;
        const uint32_t *src;
        uint32_t n = wa_snapshot_in(w->snap, v, &src), mult = 0;
        for (uint32_t k = 0; k < n; k++) mult += src[k] == p;
        add_refs(w, p, v, mult);
        if (had != WA_SCENE_NONE) break; /* joined a chain already drawn */
        v = p;
    }
}

wa_status wa_render_backrefs(wa_scene *sc, const uint32_t *sel, size_t n_sel, wa_error *err) {
    const wa_snapshot *snap = sc->snap;
    walk w;
    memset(&w, 0, sizeof w);
    w.sc = sc;
    w.snap = snap;
    w.objs = wa_snapshot_objects(snap);
    wa_status st = WA_OK;
    uint32_t *dist_local = NULL;
    uint32_t *sorted = NULL;

    w.rkind = wa_render_root_kinds(snap, err);
    if (!w.rkind) return err ? err->code : WA_ERR_NOMEM;
    /* Root distance orders referrers under a fan-in cap (nearest first). */
    dist_local = wa_render_root_distance(snap, err);
    if (!dist_local) {
        st = err ? err->code : WA_ERR_NOMEM;
        goto done;
    }
    w.dist = dist_local;

    /* Distinct selected objects; the first ones (in the caller's order) are
     * drawn, at most half the node budget so their referrers fit too. */
    sorted = malloc((n_sel ? n_sel : 1) * sizeof *sorted);
    if (!sorted) {
        st = wa_error_set(err, WA_ERR_NOMEM, NULL, WA_POS_NONE, WA_POS_NONE, "out of memory");
        goto done;
    }
    memcpy(sorted, sel, n_sel * sizeof *sel);
    qsort(sorted, n_sel, sizeof *sorted, cmp_u32);
    uint32_t distinct = 0;
    for (size_t i = 0; i < n_sel; i++)
        if (i == 0 || sorted[i] != sorted[i - 1]) distinct++;
    sc->stats->selected = distinct;
    uint32_t sel_cap = sc->opts.max_nodes / 2 ? sc->opts.max_nodes / 2 : 1;
    for (size_t i = 0; i < n_sel && sc->stats->selected_drawn < sel_cap; i++) {
        if (wa_scene_find(sc, sel[i]) != WA_SCENE_NONE) continue;
        uint32_t id = wa_scene_object(sc, sel[i], 0);
        if (id == WA_SCENE_NONE) break;
        sc->nodes[id].selected = 1;
        sc->stats->selected_drawn++;
    }
    sc->stats->cut_max_nodes += distinct - sc->stats->selected_drawn;
    for (uint32_t i = 0; i < sc->n_nodes; i++)
        if (w.dist[sc->nodes[i].obj] == WA_NONE) sc->nodes[i].unreachable = 1;
    for (size_t i = 0; i < n_sel; i++)
        if ((i == 0 || sorted[i] != sorted[i - 1]) && w.dist[sorted[i]] == WA_NONE)
            sc->stats->unreachable++;

    uint32_t n_selected_nodes = sc->n_nodes;
    for (uint32_t i = 0; i < n_selected_nodes && !sc->failed && !w.failed; i++)
        if (!sc->nodes[i].unreachable) draw_chain(&w, i);
    for (uint32_t i = 0; i < n_selected_nodes; i++) enqueue(&w, i);
    while (w.q_head < w.q_tail && !sc->failed && !w.failed) expand(&w, w.queue[w.q_head++]);
    /* Nodes the chain drew but the walk never reached (its depth ran out
     * first) still say how many referrers they have off-picture. */
    for (uint32_t i = 0; i < sc->n_nodes && !w.failed; i++) {
        if (sc->nodes[i].kind != WA_RN_OBJECT || (i < w.queued_cap && w.queued[i])) continue;
        uint32_t obj = sc->nodes[i].obj;
        if (w.rkind[obj] & ANCHOR_KINDS) continue;
        const uint32_t *src;
        uint32_t k = wa_snapshot_in(snap, obj, &src);
        for (uint32_t j = 0; j < k; j++) {
            uint32_t id = wa_scene_find(sc, src[j]);
            if (id == WA_SCENE_NONE || !wa_u64map_get(&sc->edge_of, (uint64_t)id << 32 | i)) {
                sc->nodes[i].hidden++;
                sc->stats->cut_depth++;
            }
        }
    }
    if (sc->failed || w.failed) {
        st = wa_error_set(err, WA_ERR_NOMEM, NULL, WA_POS_NONE, WA_POS_NONE,
                          "out of memory building the referrer graph");
        goto done;
    }
    for (uint32_t i = 0; i < sc->n_nodes; i++)
        if (sc->nodes[i].kind == WA_RN_OBJECT)
            sc->nodes[i].retained = sc->dom->retained[sc->nodes[i].obj];

    wa_render_stats *s = sc->stats;
    wa_scene_caption(sc, "referrers of %u selected object%s (highlighted), to depth %u",
                     s->selected, s->selected == 1 ? "" : "s", sc->opts.depth);
    if (s->unreachable)
        wa_scene_caption(sc, "%u selected object%s unreachable from every root",
                         (unsigned)s->unreachable, s->unreachable == 1 ? " is" : "s are");
done:
    free(sorted);
    free(dist_local);
    free((void *)w.rkind);
    free(w.queue);
    free(w.queued);
    free(w.scratch);
    free(w.cands);
    wa_u64map_free(&w.cut);
    return st;
}
