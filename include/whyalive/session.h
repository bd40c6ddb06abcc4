/*
 * whyalive/session.h: one snapshot and the analyses computed on it, each
 * built once, on first use, and shared by every caller.
 *
 * Invariants:
 *  - a session borrows its snapshot: the snapshot must outlive the session
 *    (free the session first); the session owns every analysis it built and
 *    frees them in wa_session_free();
 *  - each analysis (the dominator tree with retained sizes, the BFS path
 *    tree, the weak in-edge mask) is computed at most once per session, by
 *    the first caller that asks; concurrent callers wait for that one and get
 *    the same pointer. A failed computation stores nothing: the next call
 *    tries again and reports its own error;
 *  - a returned analysis is immutable and lives as long as the session, so
 *    callers may read it from any thread without a lock;
 *  - the library never prints: a front end that wants to say "computing
 *    dominators..." registers a hook, called before and after each
 *    computation on the thread that runs it.
 *
 * This is the one place where the front ends (CLI, Python, render, views)
 * get analyses from, and so the one place the sidecar index (whyalive/
 * index.h) plugs in: with an index, the dominators and the path tree come
 * from it when it holds them and they pass its checks (byte-identical to
 * computed ones), and a part that had to be computed is written to it with
 * every other part built so far (the hook of wa_session_set_index() hears
 * of each). The weak mask is always computed (one pass over the edges).
 */
#ifndef WHYALIVE_SESSION_H
#define WHYALIVE_SESSION_H

#include "whyalive/analysis.h"
#include "whyalive/error.h"
#include "whyalive/index.h"
#include "whyalive/snapshot.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct wa_session wa_session;

typedef enum wa_session_part {
    WA_SESSION_DOM = 0,  /* dominator tree and retained sizes */
    WA_SESSION_TREE = 1, /* BFS path tree (shortest retention paths) */
    WA_SESSION_WEAK = 2  /* which reverse edges mirror weak references */
} wa_session_part;

/* Called with done = 0 before a part is computed and done = 1 (seconds set)
 * after, on the computing thread, with that part's lock held: a hook must
 * not call back into the session. */
typedef void (*wa_session_hook)(void *ctx, wa_session_part part, int done, double seconds);

/* A session over snap (borrowed). NULL and err filled when out of memory. */
wa_session *wa_session_new(const wa_snapshot *snap, wa_error *err);
/* Frees the analyses, not the snapshot. NULL is fine. */
void wa_session_free(wa_session *s);

/* Set before the first analysis is asked for (not thread-safe itself). */
void wa_session_set_hook(wa_session *s, wa_session_hook hook, void *ctx);

const wa_snapshot *wa_session_snapshot(const wa_session *s);

/* What became of the index for a part (wa_session_index_hook). */
typedef enum wa_index_event {
    WA_INDEX_EV_READ = 0,       /* the part came from the index */
    WA_INDEX_EV_IGNORED = 1,    /* the index failed a check (why): the part is computed */
    WA_INDEX_EV_WRITTEN = 2,    /* the part was computed and the index written */
    WA_INDEX_EV_NOT_WRITTEN = 3 /* it could not be written (why); no later write is tried */
} wa_index_event;

/* Called on the thread that asked for the part, with that part's lock held
 * (must not call back into the session); why is "" when there is nothing
 * to say. A front end prints from it (the library never does). */
typedef void (*wa_session_index_hook)(void *ctx, wa_session_part part, wa_index_event event,
                                      const char *why);

/* Use ix (from wa_index_open() on this snapshot's dump, before it was
 * loaded; the session owns it from now on and frees it) as the source and
 * sink of the session's parts. Checks it against the snapshot at once
 * (wa_index_check_snapshot). Set before the first analysis is asked for;
 * hook may be NULL. */
void wa_session_set_index(wa_session *s, wa_index *ix, wa_session_index_hook hook, void *ctx);
/* The session's index, NULL if none. */
const wa_index *wa_session_index(const wa_session *s);

/* The analyses, computed on first use (see the invariants). NULL with err
 * filled on failure. */
const wa_dom *wa_session_dom(wa_session *s, wa_error *err);
const wa_path_tree *wa_session_tree(wa_session *s, wa_error *err);

/* The k shortest retention paths of obj through distinct roots
 * (wa_path_k), with the session's weak-edge mask instead of one computed
 * per call. Owned by the caller (wa_path_list_free). */
wa_path_list *wa_session_path_k(wa_session *s, uint32_t obj, uint32_t k, wa_error *err);

/* The analysis if it is already built, else NULL (never computes). */
const wa_dom *wa_session_dom_if_built(wa_session *s);

/* "dominators", "path tree", "weak edges". */
const char *wa_session_part_name(wa_session_part part);

#ifdef __cplusplus
}
#endif
#endif
