/* test_session.c: the analysis session computes each analysis once, shares
 * it between threads, never computes what nobody asked for, and gives the
 * same results as the analyses called directly. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "wa_test.h"
#include "whyalive/session.h"

static wa_snapshot *load(const char *name) {
    char path[512];
    snprintf(path, sizeof path, "%s/%s", WA_FIXTURES, name);
    wa_error err;
    wa_snapshot *s = wa_snapshot_load(path, NULL, &err);
    if (!s) fprintf(stderr, "load %s: %s\n", path, wa_error_string(&err));
    return s;
}

typedef struct counts {
    pthread_mutex_t lock;
    int started[3], done[3];
} counts;

static void hook(void *ctx, wa_session_part part, int done, double seconds) {
    counts *c = ctx;
    pthread_mutex_lock(&c->lock);
    if (done) {
        c->done[part]++;
        CHECK(seconds >= 0.0);
    } else {
        c->started[part]++;
    }
    pthread_mutex_unlock(&c->lock);
}

static void test_once_and_lazy(void) {
    wa_snapshot *s = load("analysis/stt.jsonl");
    if (!s) return;
    wa_error err;
    wa_session *ss = wa_session_new(s, &err);
    CHECK(ss != NULL);
    counts c;
    memset(&c, 0, sizeof c);
    pthread_mutex_init(&c.lock, NULL);
    wa_session_set_hook(ss, hook, &c);
    CHECK(wa_session_snapshot(ss) == s);
    CHECK(wa_session_dom_if_built(ss) == NULL);
    const wa_path_tree *t1 = wa_session_tree(ss, &err);
    CHECK(t1 != NULL);
    /* the tree does not need the dominators */
    CHECK(wa_session_dom_if_built(ss) == NULL);
    CHECK_EQ_U64(c.started[WA_SESSION_DOM], 0);
    const wa_dom *d1 = wa_session_dom(ss, &err), *d2 = wa_session_dom(ss, &err);
    CHECK(d1 != NULL && d1 == d2);
    CHECK(wa_session_dom_if_built(ss) == d1);
    CHECK(wa_session_tree(ss, &err) == t1);
    CHECK_EQ_U64(c.started[WA_SESSION_DOM], 1);
    CHECK_EQ_U64(c.done[WA_SESSION_DOM], 1);
    CHECK_EQ_U64(c.started[WA_SESSION_TREE], 1);
    /* the weak mask: computed for the dominators, reused by k-shortest */
    CHECK_EQ_U64(c.started[WA_SESSION_WEAK], 1);
    wa_path_list *pk = wa_session_path_k(ss, 5, 2, &err);
    wa_path_list *direct_k = wa_path_k(s, 5, 2, &err);
    CHECK(pk && direct_k);
    if (pk && direct_k) {
        CHECK_EQ_U64(pk->n, direct_k->n);
        for (uint32_t i = 0; i < pk->n && i < direct_k->n; i++) {
            CHECK_EQ_U64(pk->paths[i].len, direct_k->paths[i].len);
            CHECK_EQ_U64(pk->paths[i].root, direct_k->paths[i].root);
        }
    }
    wa_path_list_free(pk);
    wa_path_list_free(direct_k);
    CHECK_EQ_U64(c.started[WA_SESSION_WEAK], 1);

    /* the same answers as the analysis called directly */
    wa_dom *direct = wa_dom_compute(s, &err);
    CHECK(direct != NULL);
    if (direct && d1) {
        CHECK_EQ_U64(direct->reachable_bytes, d1->reachable_bytes);
        CHECK(memcmp(direct->idom, d1->idom, sizeof(uint32_t) * direct->n_objects) == 0);
        CHECK(memcmp(direct->retained, d1->retained, sizeof(uint64_t) * direct->n_objects) == 0);
    }
    wa_dom_free(direct);
    CHECK(strcmp(wa_session_part_name(WA_SESSION_DOM), "dominators") == 0);
    wa_session_free(ss);
    wa_snapshot_free(s);
    pthread_mutex_destroy(&c.lock);
}

typedef struct tjob {
    wa_session *ss;
    const wa_dom *dom;
    const wa_path_tree *tree;
} tjob;

static void *thread_main(void *arg) {
    tjob *j = arg;
    wa_error err;
    j->dom = wa_session_dom(j->ss, &err);
    j->tree = wa_session_tree(j->ss, &err);
    return NULL;
}

/* Eight threads ask at once: one computation each, one pointer for all. */
static void test_threads(void) {
    wa_snapshot *s = load("graph/wide.jsonl");
    if (!s) return;
    wa_error err;
    wa_session *ss = wa_session_new(s, &err);
    counts c;
    memset(&c, 0, sizeof c);
    pthread_mutex_init(&c.lock, NULL);
    wa_session_set_hook(ss, hook, &c);
    tjob jobs[8];
    pthread_t th[8];
    for (int i = 0; i < 8; i++) {
        jobs[i].ss = ss;
        pthread_create(&th[i], NULL, thread_main, &jobs[i]);
    }
    for (int i = 0; i < 8; i++) pthread_join(th[i], NULL);
    for (int i = 0; i < 8; i++) {
        CHECK(jobs[i].dom != NULL && jobs[i].dom == jobs[0].dom);
        CHECK(jobs[i].tree != NULL && jobs[i].tree == jobs[0].tree);
    }
    CHECK_EQ_U64(c.started[WA_SESSION_DOM], 1);
    CHECK_EQ_U64(c.started[WA_SESSION_TREE], 1);
    wa_session_free(ss);
    wa_snapshot_free(s);
    pthread_mutex_destroy(&c.lock);
}

static void test_errors(void) {
    wa_error err;
    wa_error_clear(&err);
    CHECK(wa_session_new(NULL, &err) == NULL);
    CHECK(err.code == WA_ERR_ARG);
    wa_session_free(NULL);
}

int main(void) {
    RUN(test_once_and_lazy);
    RUN(test_threads);
    RUN(test_errors);
    return wa_test_result();
}
