/*
 * session.c: a snapshot and its analyses, each built once on first use
 * (whyalive/session.h).
 *
 * Each part has its own mutex and an atomic pointer: a reader that finds
 * the pointer set takes no lock (acquire load, published by a release store
 * after the part is complete); a reader that finds it unset takes the
 * part's mutex, checks again, and computes. Parts that need another part
 * (the dominators and the k shortest paths need the weak mask) ask for it
 * through the same path; the weak part needs no other, so the only order in
 * which two locks are held is dominators -> weak.
 *
 * With an index (wa_session_set_index), the dominators and the path tree
 * are first asked of it (session_index.c checks them), and a part that had
 * to be computed is saved to it with every other part built so far, under
 * the index's own lock (taken last: part -> index). The weak mask is not
 * stored: one pass over the edges, cheaper than reading it back.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "analysis/internal.h"
#include "analysis/session_index.h"
#include "format/index_impl.h"
#include "whyalive/session.h"

typedef struct part {
    pthread_mutex_t lock;
    _Atomic(void *) value;
} part;

/* The weak in-edge mask; bits NULL when the snapshot has no weak edge (the
 * struct itself is what marks the part as computed). */
typedef struct weak_mask {
    wa_bits *bits;
} weak_mask;

struct wa_session {
    const wa_snapshot *snap;
    wa_session_hook hook;
    void *hook_ctx;
    part dom, tree, weak;
    wa_index *ix;                  /* owned; NULL: none */
    int dom_from_ix, tree_from_ix; /* those parts' arrays are the index's */
    wa_session_index_hook ix_hook;
    void *ix_ctx;
    pthread_mutex_t ix_lock;
};

static double now_s(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

wa_session *wa_session_new(const wa_snapshot *snap, wa_error *err) {
    if (!snap) {
        wa_error_set(err, WA_ERR_ARG, NULL, WA_POS_NONE, WA_POS_NONE, "no snapshot");
        return NULL;
    }
    wa_session *s = wa_calloc(1, sizeof *s, err);
    if (!s) return NULL;
    s->snap = snap;
    pthread_mutex_init(&s->dom.lock, NULL);
    pthread_mutex_init(&s->tree.lock, NULL);
    pthread_mutex_init(&s->weak.lock, NULL);
    pthread_mutex_init(&s->ix_lock, NULL);
    atomic_init(&s->dom.value, NULL);
    atomic_init(&s->tree.value, NULL);
    atomic_init(&s->weak.value, NULL);
    return s;
}

void wa_session_free(wa_session *s) {
    if (!s) return;
    /* parts read from the index first: their arrays are the index's */
    if (s->dom_from_ix)
        wa_ana_index_part_free(atomic_load(&s->dom.value));
    else
        wa_dom_free(atomic_load(&s->dom.value));
    if (s->tree_from_ix)
        wa_ana_index_part_free(atomic_load(&s->tree.value));
    else
        wa_path_tree_free(atomic_load(&s->tree.value));
    weak_mask *w = atomic_load(&s->weak.value);
    if (w) free(w->bits);
    free(w);
    pthread_mutex_destroy(&s->dom.lock);
    pthread_mutex_destroy(&s->tree.lock);
    pthread_mutex_destroy(&s->weak.lock);
    pthread_mutex_destroy(&s->ix_lock);
    wa_index_free(s->ix);
    free(s);
}

void wa_session_set_hook(wa_session *s, wa_session_hook hook, void *ctx) {
    s->hook = hook;
    s->hook_ctx = ctx;
}

void wa_session_set_index(wa_session *s, wa_index *ix, wa_session_index_hook hook, void *ctx) {
    wa_index_free(s->ix);
    s->ix = ix;
    s->ix_hook = hook;
    s->ix_ctx = ctx;
    wa_index_check_snapshot(ix, s->snap);
}

const wa_index *wa_session_index(const wa_session *s) { return s->ix; }

const wa_snapshot *wa_session_snapshot(const wa_session *s) { return s->snap; }

const char *wa_session_part_name(wa_session_part p) {
    switch (p) {
    case WA_SESSION_DOM: return "dominators";
    case WA_SESSION_TREE: return "path tree";
    case WA_SESSION_WEAK: return "weak edges";
    }
    return "?";
}

typedef void *(*compute_fn)(wa_session *s, wa_error *err);

static void *weak_compute(wa_session *s, wa_error *err) {
    weak_mask *w = wa_calloc(1, sizeof *w, err);
    if (!w) return NULL;
    int none = 1;
    w->bits = wa_ana_weak_in(s->snap, &none, err);
    if (!none && !w->bits) {
        free(w);
        return NULL;
    }
    return w;
}

static void *get(wa_session *s, part *p, wa_session_part which, compute_fn compute, wa_error *err);

/* The weak mask (NULL bits: none), or NULL with err filled. */
static const weak_mask *weak_of(wa_session *s, wa_error *err) {
    return get(s, &s->weak, WA_SESSION_WEAK, weak_compute, err);
}

static void *dom_compute(wa_session *s, wa_error *err) {
    const weak_mask *w = weak_of(s, err);
    return w ? wa_dom_compute_weak(s->snap, w->bits, err) : NULL;
}

static void *tree_compute(wa_session *s, wa_error *err) { return wa_path_tree_build(s->snap, err); }

static void ix_event(wa_session *s, wa_session_part which, wa_index_event ev, const char *why) {
    if (s->ix_hook) s->ix_hook(s->ix_ctx, which, ev, why);
}

/* The part from the index, or NULL (then computed). A part the index holds
 * but that fails its checks is reported; anything else is silent. */
static void *from_index(wa_session *s, wa_session_part which) {
    if (!s->ix || which == WA_SESSION_WEAK) return NULL;
    wa_error e;
    wa_error_clear(&e);
    void *v = NULL;
    pthread_mutex_lock(&s->ix_lock);
    int rc = which == WA_SESSION_DOM
                 ? wa_ana_dom_from_index(s->snap, s->ix, (wa_dom **)&v, &e)
                 : wa_ana_tree_from_index(s->snap, s->ix, (wa_path_tree **)&v, &e);
    char why[512];
    snprintf(why, sizeof why, "%s", rc == -1 ? wa_index_note(s->ix) : "");
    pthread_mutex_unlock(&s->ix_lock);
    if (rc == 1) ix_event(s, which, WA_INDEX_EV_READ, "");
    if (rc == -1) ix_event(s, which, WA_INDEX_EV_IGNORED, why);
    return rc == 1 ? v : NULL;
}

/* After which was computed: the index with every part built. */
static void to_index(wa_session *s, wa_session_part which) {
    if (!s->ix || which == WA_SESSION_WEAK) return;
    pthread_mutex_lock(&s->ix_lock);
    if (!wa_index_can_write(s->ix)) {
        pthread_mutex_unlock(&s->ix_lock);
        return;
    }
    wa_error e;
    wa_error_clear(&e);
    wa_status st = wa_ana_index_save(s->snap, s->ix, atomic_load(&s->dom.value),
                                     atomic_load(&s->tree.value), &e);
    pthread_mutex_unlock(&s->ix_lock);
    ix_event(s, which, st == WA_OK ? WA_INDEX_EV_WRITTEN : WA_INDEX_EV_NOT_WRITTEN,
             st == WA_OK ? "" : e.what);
}

/* The part's value, computed once under its lock. The weak part is taken
 * from inside the dominators' computation (its lock held): the weak part
 * itself takes no other lock, so the order is always dom -> weak. */
static void *get(wa_session *s, part *p, wa_session_part which, compute_fn compute, wa_error *err) {
    void *v = atomic_load_explicit(&p->value, memory_order_acquire);
    if (v) return v;
    pthread_mutex_lock(&p->lock);
    v = atomic_load_explicit(&p->value, memory_order_relaxed);
    if (!v && (v = from_index(s, which)) != NULL) {
        *(which == WA_SESSION_DOM ? &s->dom_from_ix : &s->tree_from_ix) = 1;
        atomic_store_explicit(&p->value, v, memory_order_release);
    } else if (!v) {
        double t0 = now_s();
        if (s->hook) s->hook(s->hook_ctx, which, 0, 0.0);
        v = compute(s, err);
        if (s->hook) s->hook(s->hook_ctx, which, 1, now_s() - t0);
        if (v) {
            atomic_store_explicit(&p->value, v, memory_order_release);
            to_index(s, which);
        }
    }
    pthread_mutex_unlock(&p->lock);
    return v;
}

const wa_dom *wa_session_dom(wa_session *s, wa_error *err) {
    return get(s, &s->dom, WA_SESSION_DOM, dom_compute, err);
}

const wa_path_tree *wa_session_tree(wa_session *s, wa_error *err) {
    return get(s, &s->tree, WA_SESSION_TREE, tree_compute, err);
}

wa_path_list *wa_session_path_k(wa_session *s, uint32_t obj, uint32_t k, wa_error *err) {
    const weak_mask *w = weak_of(s, err);
    return w ? wa_path_k_weak(s->snap, obj, k, w->bits, err) : NULL;
}

const wa_dom *wa_session_dom_if_built(wa_session *s) {
    return atomic_load_explicit(&s->dom.value, memory_order_acquire);
}
