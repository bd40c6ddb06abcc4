/*
 * gv.c: the only file that talks to Graphviz (cgraph + gvc).
 *
 * Invariants:
 *  - one GVC context per process, created on first use and kept: creating one
 *    loads every plugin (and fontconfig) and Graphviz keeps global state
 *    (parser, error handler, plugin caches) that is not thread-safe, so every
 *    call below runs under gv_lock, one at a time;
 *  - Graphviz never prints on our behalf: its error handler is pointed at a
 *    buffer for the duration of a call and restored after, and warnings are
 *    muted; what it said becomes the wa_error message;
 *  - the graph is read from our DOT text (agmemread), so the laid-out graph
 *    is exactly the DOT a golden test sees.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <graphviz/cgraph.h>
#include <graphviz/gvc.h>

#include "render/scene.h"

/*
 * LeakSanitizer reads this hook from any binary that links the renderer. The
 * context above lives until exit on purpose, and Graphviz and fontconfig keep
 * caches they never free (the same groups tests/valgrind/graphviz.supp
 * documents); their stacks are too shallow under LSan's fast unwinder to
 * match more precisely than by library. Leaks of ours are still reported:
 * our allocations go through our own frames, and the valgrind tests check
 * the Graphviz path with full stacks.
 */
#if defined(__SANITIZE_ADDRESS__)
#define WA_GV_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define WA_GV_ASAN 1
#endif
#endif
#ifdef WA_GV_ASAN
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void) {
    return "leak:libfontconfig.so\nleak:gmalloc\nleak:libpango\nleak:libglib\nleak:libgobject\n";
}
#endif

static pthread_mutex_t gv_lock = PTHREAD_MUTEX_INITIALIZER;
static GVC_t *gv_ctx;
static char gv_msg[512];
static size_t gv_msg_len;

/* Graphviz hands its message over in pieces ("Error", ": ", text). */
static int gv_capture(char *msg) {
    size_t n = strlen(msg);
    if (n > sizeof gv_msg - 1 - gv_msg_len) n = sizeof gv_msg - 1 - gv_msg_len;
    memcpy(gv_msg + gv_msg_len, msg, n);
    gv_msg_len += n;
    gv_msg[gv_msg_len] = '\0';
    return 0;
}

/* The captured message as one clean line: no "Error: " prefix, no newlines. */
static const char *gv_message(void) {
    char *m = gv_msg;
    if (strncmp(m, "Error: ", 7) == 0) m += 7;
    for (char *p = m; *p; p++)
        if (*p == '\n' || *p == '\r') *p = ' ';
    size_t n = strlen(m);
    while (n && m[n - 1] == ' ') m[--n] = '\0';
    return n ? m : "no message from Graphviz";
}

/*
 * gvRenderData's length is `unsigned int *` up to Graphviz 2.x and `size_t *`
 * from 3.0 on. Pick the branch from the declaration itself rather than a
 * version number: _Generic matches the function's type, and passing the
 * length through a void pointer lets both branches compile against either
 * declaration (only the matching one ever runs).
 */
#define WA_GV_LEN_IS_UINT                                                                          \
    _Generic(&gvRenderData,                                                                        \
             int (*)(GVC_t *, graph_t *, const char *, char **, unsigned int *) : 1, default : 0)

static int render_data(GVC_t *ctx, graph_t *g, const char *format, char **data, size_t *len) {
    if (WA_GV_LEN_IS_UINT) {
        unsigned int n = 0;
        void *p = &n;
        int rc = gvRenderData(ctx, g, format, data, p);
        *len = n;
        return rc;
    }
    size_t n = 0;
    void *p = &n;
    int rc = gvRenderData(ctx, g, format, data, p);
    *len = n;
    return rc;
}

wa_status wa_render_gv(const char *dot, const char *engine, const char *format, char **out,
                       size_t *out_len, wa_error *err) {
    wa_status st = WA_OK;
    *out = NULL;
    *out_len = 0;
    pthread_mutex_lock(&gv_lock);
    gv_msg[0] = '\0';
    gv_msg_len = 0;
    agerrlevel_t old_level = agseterr(AGERR);
    agusererrf old_fn = agseterrf(gv_capture);
    if (!gv_ctx) gv_ctx = gvContext();
    Agraph_t *g = NULL;
    char *data = NULL;
    size_t len = 0;
    int laid_out = 0;
    if (!gv_ctx) {
        st = wa_error_set(err, WA_ERR_RENDER, NULL, WA_POS_NONE, WA_POS_NONE,
                          "Graphviz could not create its context");
        goto done;
    }
    g = agmemread(dot);
    if (!g) {
        st = wa_error_set(err, WA_ERR_RENDER, NULL, WA_POS_NONE, WA_POS_NONE,
                          "Graphviz could not read the graph: %s", gv_message());
        goto done;
    }
    if (gvLayout(gv_ctx, g, engine) != 0) {
        st = wa_error_set(err, WA_ERR_RENDER, NULL, WA_POS_NONE, WA_POS_NONE,
                          "Graphviz layout '%s' failed: %s", engine, gv_message());
        goto done;
    }
    laid_out = 1;
    if (render_data(gv_ctx, g, format, &data, &len) != 0 || !data) {
        st = wa_error_set(err, WA_ERR_RENDER, NULL, WA_POS_NONE, WA_POS_NONE,
                          "Graphviz could not render %s: %s", format, gv_message());
        goto done;
    }
    /* Our own copy, so callers free with free() whatever Graphviz's allocator. */
    *out = malloc(len + 1);
    if (!*out) {
        st = wa_error_set(err, WA_ERR_NOMEM, NULL, WA_POS_NONE, WA_POS_NONE,
                          "out of memory copying a %zu-byte image", len);
        goto done;
    }
    memcpy(*out, data, len);
    (*out)[len] = '\0';
    *out_len = len;
done:
    if (data) gvFreeRenderData(data);
    if (g) {
        if (laid_out) gvFreeLayout(gv_ctx, g);
        agclose(g);
    }
    agseterrf(old_fn);
    agseterr(old_level);
    pthread_mutex_unlock(&gv_lock);
    return st;
}

void wa_render_shutdown(void) {
    pthread_mutex_lock(&gv_lock);
    if (gv_ctx) gvFreeContext(gv_ctx);
    gv_ctx = NULL;
    pthread_mutex_unlock(&gv_lock);
}
