/*
 * dominators.c: who must go for the selection to go, and what goes with it.
 * For each drawn selected object: its dominator chain up to the top of the
 * dominator tree, and its largest immediately dominated children.
 *
 * Invariants:
 *  - edges point from dominator to dominated; an edge is solid and carries the
 *    reference's label when the dominator holds the object directly, dashed
 *    violet ("dominates") when the domination goes through other objects;
 *  - the selected objects drawn are the largest by retained size (then by
 *    index), at most max_paths of them; chains that meet merge, since an
 *    object is one node;
 *  - a "N more dominated" node carries the exact bytes its hidden children
 *    retain: retained(parent) - shallow(parent) - retained(children shown).
 */
#include <stdlib.h>
#include <string.h>

#include "render/scene.h"

typedef struct by_retained {
    uint32_t obj;
    uint64_t retained;
} by_retained;

static int cmp_retained(const void *a, const void *b) {
    const by_retained *x = a, *y = b;
    if (x->retained != y->retained) return x->retained > y->retained ? -1 : 1;
    return x->obj < y->obj ? -1 : x->obj > y->obj;
}

/* Edge dominator -> dominated: the direct references when there are any. */
static void dom_edge(wa_scene *sc, uint32_t dom_obj, uint32_t obj) {
    uint32_t from = wa_scene_find(sc, dom_obj), to = wa_scene_find(sc, obj);
    const wa_edge *e;
    uint32_t ne = wa_snapshot_out(sc->snap, dom_obj, &e), found = 0;
    for (uint32_t j = 0; j < ne; j++) {
        if (e[j].to != obj || WA_LABEL_KIND(e[j].label) == WA_EDGE_WEAK) continue;
        wa_scene_edge(sc, from, to, WA_RE_REF, e[j].label);
        found++;
    }
    if (!found) {
        uint32_t id = wa_scene_edge(sc, from, to, WA_RE_DOMINATES, WA_LABEL(WA_EDGE_OTHER, 0));
        if (id != WA_SCENE_NONE && !sc->edges[id].note)
            sc->edges[id].note = wa_scene_text(sc, "dominates");
    }
}

static uint32_t object(wa_scene *sc, uint32_t obj, uint32_t depth) {
    uint32_t id = wa_scene_object(sc, obj, depth);
    if (id == WA_SCENE_NONE) {
        sc->stats->cut_max_nodes++;
        return id;
    }
    if (sc->nodes[id].depth > depth) sc->nodes[id].depth = depth;
    sc->nodes[id].retained = sc->dom->retained[obj];
    return id;
}

static wa_status draw_one(wa_scene *sc, uint32_t obj, wa_error *err) {
    const wa_dom *dom = sc->dom;
    uint32_t node = object(sc, obj, 0);
    if (node == WA_SCENE_NONE) return WA_OK;
    sc->nodes[node].selected = 1;
    sc->stats->selected_drawn++;
    if (dom->idom[obj] == WA_NONE) {
        sc->nodes[node].unreachable = 1;
        sc->stats->unreachable++;
        return WA_OK;
    }

    /* the chain, nearest dominator first */
    uint32_t total = wa_dom_chain(dom, obj, NULL, 0);
    uint32_t *chain = malloc(((size_t)total + 1) * sizeof *chain);
    if (!chain)
        return wa_error_set(err, WA_ERR_NOMEM, NULL, WA_POS_NONE, WA_POS_NONE, "out of memory");
    wa_dom_chain(dom, obj, chain, total);
    sc->stats->clusters += total;
    uint32_t below = obj;
    for (uint32_t i = 0; i < total; i++) {
        uint32_t had = wa_scene_find(sc, chain[i]);
        if (object(sc, chain[i], i + 1) == WA_SCENE_NONE) break;
        dom_edge(sc, chain[i], below);
        if (had != WA_SCENE_NONE) break; /* joined a chain already drawn */
        below = chain[i];
    }
    uint32_t top = total ? chain[total - 1] : obj;
    free(chain);
    /* An object only the super-root dominates, that is no root itself, is held
     * by two roots through disjoint paths: worth saying, it has no one owner. */
    uint32_t top_id = wa_scene_find(sc, top);
    if (top_id != WA_SCENE_NONE && dom->idom[top] == WA_DOM_SUPER && !sc->nodes[top_id].note) {
        int is_root = 0;
        uint32_t nr = wa_snapshot_n_roots(sc->snap);
        const wa_root *roots = wa_snapshot_roots(sc->snap);
        for (uint32_t r = 0; r < nr && !is_root; r++) is_root = roots[r].obj == top;
        if (!is_root)
            sc->nodes[top_id].note =
                wa_scene_text(sc, "no single owner: reached from several roots");
    }

    /* the largest children, then one node for the rest */
    wa_objlist *kids = wa_dom_children(dom, obj, sc->opts.children, err);
    if (!kids) return err ? err->code : WA_ERR_NOMEM;
    uint64_t shown = 0;
    uint32_t i = 0;
    int more = kids->total > kids->n;
    for (; i < kids->n; i++) {
        if (!wa_scene_room(sc, more ? 2 : 1)) break;
        uint32_t id = object(sc, kids->objs[i], 1);
        if (id == WA_SCENE_NONE) break;
        dom_edge(sc, obj, kids->objs[i]);
        shown += dom->retained[kids->objs[i]];
    }
    uint64_t hidden = (uint64_t)kids->total - i;
    if (i < kids->n) {
        sc->stats->cut_max_nodes += hidden;
    } else if (hidden) {
        uint32_t m = wa_scene_special(sc, WA_RN_MORE, obj, 1, hidden);
        if (m == WA_SCENE_NONE) {
            sc->stats->cut_max_nodes += hidden;
        } else {
            uint64_t own = wa_snapshot_objects(sc->snap)[obj].size;
            uint64_t rest = dom->retained[obj];
            rest = rest > own ? rest - own : 0;
            sc->nodes[m].retained = rest > shown ? rest - shown : 0;
            sc->stats->collapsed += hidden;
            wa_scene_edge(sc, node, m, WA_RE_MORE, WA_LABEL(WA_EDGE_OTHER, 0));
        }
    }
    wa_objlist_free(kids);
    return WA_OK;
}

wa_status wa_render_dominators(wa_scene *sc, const uint32_t *sel, size_t n_sel, wa_error *err) {
    by_retained *order = malloc((n_sel ? n_sel : 1) * sizeof *order);
    if (!order)
        return wa_error_set(err, WA_ERR_NOMEM, NULL, WA_POS_NONE, WA_POS_NONE, "out of memory");
    for (size_t i = 0; i < n_sel; i++) {
        order[i].obj = sel[i];
        order[i].retained = sc->dom->retained[sel[i]];
    }
    qsort(order, n_sel, sizeof *order, cmp_retained);
    uint32_t n = 0;
    for (size_t i = 0; i < n_sel; i++)
        if (i == 0 || order[i].obj != order[i - 1].obj) order[n++] = order[i];
    sc->stats->selected = n;
    wa_status st = WA_OK;
    uint32_t todo = n < sc->opts.max_paths ? n : sc->opts.max_paths;
    for (uint32_t i = 0; i < todo && st == WA_OK; i++) st = draw_one(sc, order[i].obj, err);
    free(order);
    if (st != WA_OK) return st;
    if (sc->failed)
        return wa_error_set(err, WA_ERR_NOMEM, NULL, WA_POS_NONE, WA_POS_NONE,
                            "out of memory building the dominator picture");
    wa_scene_caption(sc,
                     "dominator chain%s of %u of %u selected object%s (largest retained first), "
                     "with up to %u largest dominated children each",
                     sc->stats->selected_drawn == 1 ? "" : "s", sc->stats->selected_drawn, n,
                     n == 1 ? "" : "s", sc->opts.children);
    if (n > sc->stats->selected_drawn)
        wa_scene_caption(sc, "not drawn: %u smaller selected objects beyond max-paths %u",
                         n - sc->stats->selected_drawn, sc->opts.max_paths);
    if (sc->stats->unreachable)
        wa_scene_caption(sc, "%llu selected object%s unreachable from every root",
                         (unsigned long long)sc->stats->unreachable,
                         sc->stats->unreachable == 1 ? " is" : "s are");
    return WA_OK;
}
