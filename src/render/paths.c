/*
 * paths.c: one chain per clustered shortest retention path: "700 x
 * ConversationTranscriber, 12.3 MiB retained, via sys.modules['app.stt']
 * .__dict__['_sessions'] [*] .transcriber" as a picture.
 *
 * Invariants:
 *  - clusters come from wa_path_cluster() (largest retained first) and are
 *    drawn in that order, at most max_paths of them, each whole or not at all;
 *  - a position of a chain where every instance's path goes through the same
 *    object is drawn as that object, so chains that share a prefix (the same
 *    module, the same registry dict) merge into a tree; a position where the
 *    instances' paths differ is drawn as one group node "N x type";
 *  - hop labels are the `paths` command's (wa_path_hop_format): [*] where the
 *    cluster abstracted an index or key.
 */
#include <stdlib.h>
#include <string.h>

#include "render/scene.h"

static int cmp_u32(const void *a, const void *b) {
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

/* Objects at each position (root first) of every member's path, as columns:
 * col[pos * count + m]. Walks the path tree upward from each member. */
static uint32_t *member_columns(const wa_path_tree *tree, const wa_cluster *c) {
    size_t cells = (size_t)(c->len + 1) * c->count;
    uint32_t *col = malloc((cells ? cells : 1) * sizeof *col);
    if (!col) return NULL;
    for (uint32_t m = 0; m < c->count; m++) {
        uint32_t v = c->members[m];
        for (uint32_t pos = c->len + 1; pos-- > 0;) {
            col[(size_t)pos * c->count + m] = v;
            if (pos) v = tree->parent[v];
            if (v == WA_PATH_ROOT || v == WA_NONE)
                v = c->members[m]; /* defensive: stay in bounds */
        }
    }
    return col;
}

/* Distinct objects in one column (sorts it in place). */
static uint32_t distinct(uint32_t *col, uint32_t n) {
    qsort(col, n, sizeof *col, cmp_u32);
    uint32_t d = 0;
    for (uint32_t i = 0; i < n; i++)
        if (i == 0 || col[i] != col[i - 1]) d++;
    return d;
}

static wa_status draw_cluster(wa_scene *sc, const wa_cluster *c, int mark_last, int *drawn,
                              wa_error *err) {
    const wa_snapshot *snap = sc->snap;
    *drawn = 0;
    if (c->root == WA_NONE) {
        /* the unreachable group: no path, one node saying so */
        if (!wa_scene_room(sc, 1)) return WA_OK;
        uint32_t id = wa_scene_special(sc, WA_RN_GROUP, c->example, 0, c->count);
        if (id == WA_SCENE_NONE) return WA_OK;
        sc->nodes[id].selected = 1;
        sc->nodes[id].unreachable = 1;
        sc->nodes[id].retained = c->retained;
        sc->stats->unreachable += c->count;
        *drawn = 1;
        return WA_OK;
    }
    if ((uint64_t)c->len + 1 > sc->opts.max_nodes) {
        /* a path longer than the whole budget cannot be drawn whole: say so
         * without allocating its (len + 1) x count columns */
        sc->stats->cut_max_nodes += c->count;
        return WA_OK;
    }
    uint32_t *col = member_columns(sc->tree, c);
    uint32_t *ex = malloc(((size_t)c->len + 1) * sizeof *ex);
    uint32_t *groups = malloc(((size_t)c->len + 1) * sizeof *groups);
    if (!col || !ex || !groups) {
        free(col);
        free(ex);
        free(groups);
        return wa_error_set(err, WA_ERR_NOMEM, NULL, WA_POS_NONE, WA_POS_NONE,
                            "out of memory drawing a path cluster");
    }
    /* the example's own objects, then per position: shared (0) or how many
     * distinct objects the instances pass through */
    uint32_t m_ex = 0;
    for (uint32_t m = 0; m < c->count; m++)
        if (c->members[m] == c->example) {
            m_ex = m;
            break;
        }
    uint32_t new_nodes = 0;
    for (uint32_t pos = 0; pos <= c->len; pos++) {
        uint32_t *column = col + (size_t)pos * c->count;
        ex[pos] = column[m_ex];
        uint32_t d = distinct(column, c->count);
        groups[pos] = d > 1 ? d : 0;
        if (groups[pos] || wa_scene_find(sc, ex[pos]) == WA_SCENE_NONE) new_nodes++;
    }
    free(col);
    if (!wa_scene_room(sc, new_nodes)) {
        free(ex);
        free(groups);
        sc->stats->cut_max_nodes += c->count;
        return WA_OK;
    }
    uint32_t prev = WA_SCENE_NONE;
    for (uint32_t pos = 0; pos <= c->len; pos++) {
        uint32_t depth = c->len - pos, id;
        if (groups[pos]) {
            id = wa_scene_special(sc, WA_RN_GROUP, ex[pos], depth, groups[pos]);
            if (id != WA_SCENE_NONE && pos == 0) {
                const wa_root *r = &wa_snapshot_roots(snap)[c->root];
                sc->nodes[id].group_root = (uint8_t)(r->kind + 1);
                char text[160];
                wa_path_root_format(snap, c->root, text, sizeof text);
                sc->nodes[id].note = wa_scene_text(sc, text);
            }
        } else {
            id = wa_scene_object(sc, ex[pos], depth);
            if (id != WA_SCENE_NONE) {
                if (sc->nodes[id].depth > depth) sc->nodes[id].depth = depth;
                sc->nodes[id].retained = sc->dom->retained[ex[pos]];
            }
        }
        if (id == WA_SCENE_NONE) break; /* cannot happen: room was checked */
        if (pos == c->len && mark_last) {
            sc->nodes[id].selected = 1;
            if (groups[pos]) sc->nodes[id].retained = c->retained;
        }
        if (prev != WA_SCENE_NONE) {
            char hop[160];
            wa_path_hop_format(snap, c->labels[pos - 1], c->abstracted[pos - 1], hop, sizeof hop);
            int weak = WA_LABEL_KIND(c->labels[pos - 1]) == WA_EDGE_WEAK;
            uint32_t e =
                wa_scene_edge(sc, prev, id, weak ? WA_RE_WEAK : WA_RE_REF, c->labels[pos - 1]);
            if (e != WA_SCENE_NONE && !sc->edges[e].note)
                sc->edges[e].note = wa_scene_text(sc, hop);
        }
        prev = id;
    }
    free(ex);
    free(groups);
    *drawn = 1;
    return WA_OK;
}

/* The route to one reference holder -> obj: the holder's shortest path
 * (drawn like a cluster of one), then the reference itself. Returns the
 * edge, or WA_SCENE_NONE when it did not fit. */
static uint32_t draw_reference(wa_scene *sc, uint32_t holder, uint32_t obj, uint32_t label,
                               int abstracted, int selected, wa_status *st, wa_error *err) {
    uint32_t from = wa_scene_find(sc, holder), to = wa_scene_find(sc, obj);
    if (from == WA_SCENE_NONE) {
        wa_cluster_set *cs = wa_path_cluster(sc->snap, sc->tree, sc->dom, &holder, 1, err);
        if (!cs) {
            *st = err ? err->code : WA_ERR_NOMEM;
            return WA_SCENE_NONE;
        }
        int drawn = 0;
        if (cs->n) *st = draw_cluster(sc, &cs->clusters[0], 0, &drawn, err);
        wa_cluster_set_free(cs);
        if (*st != WA_OK || !drawn) return WA_SCENE_NONE;
        from = wa_scene_find(sc, holder);
        if (from == WA_SCENE_NONE) return WA_SCENE_NONE;
    }
    if (to == WA_SCENE_NONE) {
        if (!wa_scene_room(sc, 1)) return WA_SCENE_NONE;
        to = wa_scene_object(sc, obj, 0);
        if (to == WA_SCENE_NONE) return WA_SCENE_NONE;
        sc->nodes[to].retained = sc->dom->retained[obj];
        if (selected) sc->nodes[to].selected = 1;
    }
    uint32_t e = wa_scene_edge(sc, from, to, WA_RE_REF, label);
    if (e != WA_SCENE_NONE && !sc->edges[e].note) {
        char hop[160];
        wa_path_hop_format(sc->snap, label, abstracted, hop, sizeof hop);
        sc->edges[e].note = wa_scene_text(sc, hop);
    }
    return e;
}

/* Every holder of the selection (the shortest routes may not pass through
 * them all: a user who fixes one still leaks), then the cut: its
 * references drawn red wherever they are in the picture, and named in the
 * caption. */
/* Is holder pattern h the last hop of a drawn cluster? */
static int drawn_as_cluster(const wa_cluster_set *set, uint32_t drawn, const wa_holder *h) {
    for (uint32_t i = 0; i < set->n && i < drawn; i++) {
        const wa_cluster *c = &set->clusters[i];
        if (c->root == WA_NONE || c->len == 0 || c->types[c->len - 1] != h->holder_type) continue;
        uint32_t l = c->labels[c->len - 1];
        if (h->abstracted ? WA_LABEL_KIND(l) == WA_LABEL_KIND(h->label) : l == h->label) return 1;
    }
    return 0;
}

static wa_status draw_holders_and_cut(wa_scene *sc, const wa_cluster_set *set, uint32_t drawn,
                                      const uint32_t *uniq, uint32_t n, wa_error *err) {
    const wa_snapshot *snap = sc->snap;
    wa_status st = WA_OK;
    /* one table of in-edge labels for the holders and the cut */
    uint32_t *inlab = wa_snapshot_in_labels(snap, err);
    wa_holder_set *hs = inlab ? wa_holders_find_labeled(snap, sc->dom, uniq, n, inlab, err) : NULL;
    if (!hs) {
        free(inlab);
        return err ? err->code : WA_ERR_NOMEM;
    }
    uint32_t extra = 0;
    for (uint32_t i = 0; i < hs->n && st == WA_OK; i++) {
        const wa_holder *h = &hs->holders[i];
        if (h->holder_type == WA_NONE) continue; /* a root: its node says so */
        if (drawn_as_cluster(set, drawn, h)) continue;
        uint32_t from = wa_scene_find(sc, h->example_holder), to = wa_scene_find(sc, h->example);
        if (from != WA_SCENE_NONE && to != WA_SCENE_NONE) continue;
        if (draw_reference(sc, h->example_holder, h->example, h->label, h->abstracted, 1, &st,
                           err) != WA_SCENE_NONE)
            extra++;
    }
    wa_holder_set_free(hs);
    if (st != WA_OK) {
        free(inlab);
        return st;
    }
    if (extra)
        wa_scene_caption(sc, "and %u more holder%s of the selection (paths --holders)", extra,
                         extra == 1 ? "" : "s");
    wa_cut *cut = wa_cut_find_labeled(snap, sc->dom, uniq, n, 0, inlab, err);
    free(inlab);
    if (!cut) return err ? err->code : WA_ERR_NOMEM;
    if (cut->found && cut->n) {
        /* every reference of the cut already in the picture turns red; a
         * pattern with none there gets its example reference drawn */
        wa_u64map cut_of = {0};
        uint8_t *shown = calloc(cut->n, 1);
        if (!shown || wa_u64map_init(&cut_of, cut->n_edges) != 0) st = WA_ERR_NOMEM;
        for (uint32_t i = 0; i < cut->n_edges && st == WA_OK; i++) {
            int inserted;
            if (!wa_u64map_put(&cut_of, ((uint64_t)cut->edges[i].from << 32) | cut->edges[i].to,
                               cut->edges[i].pattern, &inserted))
                st = WA_ERR_NOMEM;
        }
        for (int pass = 0; pass < 2 && st == WA_OK; pass++) {
            for (uint32_t e = 0; e < sc->n_edges; e++) {
                const wa_rnode *a = &sc->nodes[sc->edges[e].from];
                const wa_rnode *b = &sc->nodes[sc->edges[e].to];
                if (a->kind == WA_RN_MORE || b->kind == WA_RN_MORE) continue;
                const uint32_t *pi = wa_u64map_get(&cut_of, ((uint64_t)a->obj << 32) | b->obj);
                if (!pi) continue;
                sc->edges[e].cut = 1;
                if (*pi < cut->n) shown[*pi] = 1;
            }
            for (uint32_t i = 0; pass == 0 && i < cut->n && st == WA_OK; i++) {
                const wa_cut_pattern *p = &cut->patterns[i];
                if (shown[i]) continue;
                int selected = bsearch(&p->example, uniq, n, sizeof *uniq, cmp_u32) != NULL;
                draw_reference(sc, p->example_holder, p->example, p->label, 0, selected, &st, err);
            }
        }
        free(shown);
        wa_u64map_free(&cut_of);
        if (st == WA_OK) {
            char text[1024];
            if (cut->n == 1)
                wa_scene_caption(sc, "red: the cut: remove this reference pattern to free them:");
            else
                wa_scene_caption(sc,
                                 "red: the cut: remove these %u reference patterns to free "
                                 "them:",
                                 cut->n);
            for (uint32_t i = 0; i < cut->n; i++) {
                wa_cut_pattern_format(snap, &cut->patterns[i], text, sizeof text);
                wa_scene_caption(sc, "  %s (%u reference%s)", text, cut->patterns[i].refs,
                                 cut->patterns[i].refs == 1 ? "" : "s");
            }
        }
    }
    wa_cut_free(cut);
    if (st == WA_ERR_NOMEM && err && err->code == WA_OK)
        wa_error_set(err, WA_ERR_NOMEM, NULL, WA_POS_NONE, WA_POS_NONE, "out of memory");
    return st;
}

wa_status wa_render_paths(wa_scene *sc, const uint32_t *sel, size_t n_sel, wa_error *err) {
    uint32_t *uniq = malloc((n_sel ? n_sel : 1) * sizeof *uniq);
    if (!uniq)
        return wa_error_set(err, WA_ERR_NOMEM, NULL, WA_POS_NONE, WA_POS_NONE, "out of memory");
    memcpy(uniq, sel, n_sel * sizeof *sel);
    qsort(uniq, n_sel, sizeof *uniq, cmp_u32);
    uint32_t n = 0;
    for (size_t i = 0; i < n_sel; i++)
        if (i == 0 || uniq[i] != uniq[i - 1]) uniq[n++] = uniq[i];
    sc->stats->selected = n;
    wa_cluster_set *set = wa_path_cluster(sc->snap, sc->tree, sc->dom, uniq, n, err);
    if (!set) {
        free(uniq);
        return err ? err->code : WA_ERR_NOMEM;
    }
    sc->stats->clusters = set->n;
    wa_status st = WA_OK;
    uint64_t skipped = 0, skipped_objs = 0;
    for (uint32_t i = 0; i < set->n && st == WA_OK; i++) {
        const wa_cluster *c = &set->clusters[i];
        int drawn = 0;
        if (sc->stats->clusters_drawn >= sc->opts.max_paths) {
            skipped++;
            skipped_objs += c->count;
            continue;
        }
        st = draw_cluster(sc, c, 1, &drawn, err); /* not drawn: counted in cut_max_nodes */
        if (drawn) {
            sc->stats->clusters_drawn++;
            sc->stats->selected_drawn += c->count;
        }
    }
    if (st == WA_OK) {
        wa_scene_caption(sc,
                         "retention paths of %u selected object%s: %u cluster%s (largest "
                         "retained first), %u drawn",
                         n, n == 1 ? "" : "s", set->n, set->n == 1 ? "" : "s",
                         sc->stats->clusters_drawn);
        if (skipped)
            wa_scene_caption(sc,
                             "not drawn: %llu smaller cluster%s (%llu objects) beyond "
                             "max-paths %u",
                             (unsigned long long)skipped, skipped == 1 ? "" : "s",
                             (unsigned long long)skipped_objs, sc->opts.max_paths);
        if (sc->stats->unreachable)
            wa_scene_caption(sc, "%llu selected object%s unreachable from every root",
                             (unsigned long long)sc->stats->unreachable,
                             sc->stats->unreachable == 1 ? " is" : "s are");
    }
    /* after the clusters' captions: the holders and the cut add theirs */
    if (st == WA_OK && !sc->opts.no_cut)
        st = draw_holders_and_cut(sc, set, sc->stats->clusters_drawn, uniq, n, err);
    wa_cluster_set_free(set);
    free(uniq);
    return st;
}
