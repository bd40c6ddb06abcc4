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
 * get analyses from, so a cache of them (an index file next to the dump)
 * plugs in here and nowhere else.
 */
#ifndef WHYALIVE_SESSION_H
#define WHYALIVE_SESSION_H

#include "whyalive/analysis.h"
#include "whyalive/error.h"
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
