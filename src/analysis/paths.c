/*
 * analysis/paths.c: shortest retention paths.
 *
 * One BFS from the super-root (roots in snapshot order, weak edges skipped)
 * gives every reachable object a parent and the edge it was reached by; a
 * path is then the parent chain, read backwards. The k paths through
 * distinct roots come from a reverse BFS started at the target, which meets
 * the nearest roots first. Queues are arrays of n entries; nothing recurses.
 */
#include <stdio.h>

#include "analysis/internal.h"

wa_path_tree *wa_path_tree_build(const wa_snapshot *s, wa_error *err) {
    const uint32_t n = s->n_objects;
    wa_path_tree *t = wa_calloc(1, sizeof *t, err);
    if (!t) return NULL;
    t->n_objects = n;
    t->parent = wa_big_alloc(n, 4, err);
    t->via = wa_big_alloc(n, 4, err);
    uint32_t *queue = wa_big_alloc(n, 4, err);
    if (!t->parent || !t->via || !queue) {
        wa_big_free(queue);
        wa_path_tree_free(t);
        return NULL;
    }
    /* via too: the tree is saved to the index as it is, unreachable entries
     * included */
    for (uint32_t v = 0; v < n; v++) {
        t->parent[v] = WA_NONE;
        t->via[v] = 0;
    }
    uint32_t tail = 0;
    for (uint32_t r = 0; r < s->n_roots; r++) {
        uint32_t v = s->roots[r].obj;
        if (t->parent[v] != WA_NONE) continue;
        t->parent[v] = WA_PATH_ROOT;
        t->via[v] = r;
        queue[tail++] = v;
    }
    for (uint32_t head = 0; head < tail; head++) {
        uint32_t v = queue[head];
        for (uint32_t e = s->out_off[v]; e < s->out_off[v + 1]; e++) {
            const wa_edge ed = s->edges[e];
            if (wa_is_weak(ed.label) || t->parent[ed.to] != WA_NONE) continue;
            t->parent[ed.to] = v;
            t->via[ed.to] = e;
            queue[tail++] = ed.to;
        }
    }
    t->n_reachable = tail;
    wa_big_free(queue);
    return t;
}

void wa_path_tree_free(wa_path_tree *tree) {
    if (!tree) return;
    wa_big_free(tree->parent);
    wa_big_free(tree->via);
    free(tree);
}

void wa_path_list_free(wa_path_list *list) {
    if (!list) return;
    for (uint32_t i = 0; i < list->n; i++) {
        free(list->paths[i].objs);
        free(list->paths[i].labels);
    }
    free(list->paths);
    free(list);
}

static wa_status path_from_tree(const wa_snapshot *s, const wa_path_tree *t, uint32_t obj,
                                wa_path *p, wa_error *err) {
    p->target = obj;
    p->root = WA_NONE;
    p->len = 0;
    p->objs = NULL;
    p->labels = NULL;
    if (obj >= t->n_objects || t->parent[obj] == WA_NONE) return WA_OK;
    uint32_t len = 1, x = obj;
    while (t->parent[x] != WA_PATH_ROOT) {
        x = t->parent[x];
        len++;
    }
    p->objs = wa_alloc(len, 4, err);
    p->labels = wa_alloc(len, 4, err);
    if (!p->objs || !p->labels) return WA_ERR_NOMEM;
    p->len = len;
    x = obj;
    for (uint32_t i = len; i-- > 0;) {
        p->objs[i] = x;
        if (i > 0) {
            p->labels[i - 1] = s->edges[t->via[x]].label;
            x = t->parent[x];
        }
    }
    p->root = t->via[x];
    return WA_OK;
}

wa_path_list *wa_path_shortest(const wa_snapshot *s, const wa_path_tree *t, const uint32_t *objs,
                               uint32_t n, wa_error *err) {
    wa_path_list *l = wa_calloc(1, sizeof *l, err);
    if (!l) return NULL;
    l->paths = wa_calloc(n, sizeof *l->paths, err);
    if (!l->paths) {
        free(l);
        return NULL;
    }
    for (uint32_t i = 0; i < n; i++) {
        l->n = i + 1;
        if (path_from_tree(s, t, objs[i], &l->paths[i], err) != WA_OK) {
            wa_path_list_free(l);
            return NULL;
        }
    }
    return l;
}

wa_bits *wa_ana_weak_in(const wa_snapshot *s, int *none, wa_error *err) {
    *none = 1;
    for (uint32_t e = 0; e < s->n_edges; e++)
        if (wa_is_weak(s->edges[e].label)) {
            *none = 0;
            break;
        }
    if (*none) return NULL;
    wa_bits *weak = wa_bits_new(s->n_edges, err);
    uint32_t *cursor = wa_alloc((size_t)s->n_objects + 1, 4, err);
    if (!weak || !cursor) {
        free(weak);
        free(cursor);
        return NULL;
    }
    /* Fast path: the reverse CSR lists each target's referrers in forward
     * edge order, so the k-th forward edge into w is in-edge in_off[w]+k.
     * Checked on every edge; any mismatch switches to the general search,
     * where the k-th edge p->w pairs with the k-th occurrence of p among w's
     * referrers (the wa_snapshot_edge_label() contract). That one costs
     * O(out-degree) per weak edge; weak edges come from weakref objects,
     * which hold few references. */
    int stable = 1;
    for (uint32_t w = 0; w < s->n_objects; w++) cursor[w] = s->in_off[w];
    for (uint32_t p = 0; p < s->n_objects && stable; p++)
        for (uint32_t e = s->out_off[p]; e < s->out_off[p + 1]; e++) {
            uint32_t w = s->edges[e].to, pos = cursor[w]++;
            if (pos >= s->in_off[w + 1] || s->in_src[pos] != p) {
                stable = 0;
                break;
            }
            if (wa_is_weak(s->edges[e].label)) wa_bit_set(weak, pos);
        }
    free(cursor);
    if (stable) return weak;
    memset(weak, 0, ((size_t)s->n_edges + 63) / 64 * sizeof(wa_bits));
    for (uint32_t p = 0; p < s->n_objects; p++)
        for (uint32_t e = s->out_off[p]; e < s->out_off[p + 1]; e++) {
            if (!wa_is_weak(s->edges[e].label)) continue;
            uint32_t w = s->edges[e].to, k = 0;
            for (uint32_t f = s->out_off[p]; f < e; f++) k += s->edges[f].to == w;
            for (uint32_t j = s->in_off[w]; j < s->in_off[w + 1]; j++)
                if (s->in_src[j] == p && k-- == 0) {
                    wa_bit_set(weak, j);
                    break;
                }
        }
    return weak;
}

/* Label of the first strong edge src -> dst. */
static uint32_t strong_label(const wa_snapshot *s, uint32_t src, uint32_t dst) {
    for (uint32_t e = s->out_off[src]; e < s->out_off[src + 1]; e++)
        if (s->edges[e].to == dst && !wa_is_weak(s->edges[e].label)) return s->edges[e].label;
    return WA_LABEL(WA_EDGE_OTHER, 0);
}

wa_path_list *wa_path_k(const wa_snapshot *s, uint32_t obj, uint32_t k, wa_error *err) {
    int noweak = 1;
    wa_bits *weak = wa_ana_weak_in(s, &noweak, err);
    if (!noweak && !weak) return NULL;
    wa_path_list *l = wa_path_k_weak(s, obj, k, weak, err);
    free(weak);
    return l;
}

wa_path_list *wa_path_k_weak(const wa_snapshot *s, uint32_t obj, uint32_t k, const wa_bits *weak,
                             wa_error *err) {
    const uint32_t n = s->n_objects;
    if (obj >= n) {
        wa_error_set(err, WA_ERR_ARG, NULL, WA_POS_NONE, WA_POS_NONE, "no such object");
        return NULL;
    }
    if (k == 0) k = 1;
    wa_path_list *l = wa_calloc(1, sizeof *l, err);
    uint32_t *next = wa_alloc(n, 4, err), *queue = wa_alloc(n, 4, err);
    uint32_t *dist = wa_alloc(n, 4, err);
    wa_bits *isroot = wa_ana_root_bits(s, err);
    if (l) l->paths = wa_calloc(k, sizeof *l->paths, err);
    if (!l || !l->paths || !next || !queue || !dist || !isroot) goto fail;
    for (uint32_t v = 0; v < n; v++) next[v] = WA_NONE;
    /* next[x]: the neighbour one step closer to obj; obj points at itself. */
    next[obj] = obj;
    dist[obj] = 0;
    uint32_t tail = 0;
    queue[tail++] = obj;
    for (uint32_t head = 0; head < tail && l->n < k; head++) {
        uint32_t x = queue[head];
        if (wa_bit(isroot, x)) {
            wa_path *p = &l->paths[l->n++];
            p->target = obj;
            p->len = dist[x] + 1;
            p->objs = wa_alloc(p->len, 4, err);
            p->labels = wa_alloc(p->len, 4, err);
            if (!p->objs || !p->labels) goto fail;
            uint32_t y = x;
            for (uint32_t i = 0; i < p->len; i++) {
                p->objs[i] = y;
                if (i + 1 < p->len) p->labels[i] = strong_label(s, y, next[y]);
                y = next[y];
            }
            p->root = WA_NONE;
            for (uint32_t r = 0; r < s->n_roots; r++)
                if (s->roots[r].obj == x) {
                    p->root = r;
                    break;
                }
        }
        for (uint32_t j = s->in_off[x]; j < s->in_off[x + 1]; j++) {
            if (weak && wa_bit(weak, j)) continue;
            uint32_t p = s->in_src[j];
            if (next[p] != WA_NONE) continue;
            next[p] = x;
            dist[p] = dist[x] + 1;
            queue[tail++] = p;
        }
    }
    free(next);
    free(queue);
    free(dist);
    free(isroot);
    return l;
fail:
    if (err && err->code == WA_OK) wa_nomem(err);
    wa_path_list_free(l);
    free(next);
    free(queue);
    free(dist);
    free(isroot);
    return NULL;
}

size_t wa_path_root_format(const wa_snapshot *s, uint32_t root, char *buf, size_t cap) {
    if (root >= s->n_roots) return (size_t)snprintf(buf, cap, "<unreachable>");
    const wa_root *r = &s->roots[root];
    const char *label = wa_snapshot_string(s, r->label);
    int n;
    switch (r->kind) {
    case WA_ROOT_MODULE: n = snprintf(buf, cap, "sys.modules['%s']", label[0] ? label : "?"); break;
    case WA_ROOT_THREAD:
        n = label[0] ? snprintf(buf, cap, "<thread %s>", label) : snprintf(buf, cap, "<thread>");
        break;
    case WA_ROOT_EXTERNAL:
        n = label[0] ? snprintf(buf, cap, "<external %s: excess %u>", label, r->excess)
                     : snprintf(buf, cap, "<external: excess %u>", r->excess);
        break;
    case WA_ROOT_INTERPRETER:
        n = label[0] ? snprintf(buf, cap, "<interpreter %s>", label)
                     : snprintf(buf, cap, "<interpreter>");
        break;
    default:
        n = label[0] ? snprintf(buf, cap, "<root %s>", label) : snprintf(buf, cap, "<root>");
        break;
    }
    return n < 0 ? 0 : (size_t)n;
}
