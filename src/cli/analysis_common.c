/* analysis_common.c: helpers shared by the analysis subcommands (see
 * analysis_common.h). */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cli/analysis_common.h"
#include "whyalive/text.h"

/* Big snapshots take a while: say what is happening, on stderr only. */
#define SLOW_OBJECTS 2000000u

static void on_compute(void *ctx, wa_session_part part, int done, double seconds) {
    (void)ctx;
    if (part != WA_SESSION_DOM) return;
    if (!done)
        fprintf(stderr, "whyalive: computing dominators...");
    else
        fprintf(stderr, " %.1f s\n", seconds);
}

/* What became of the sidecar index: said once per dump, and only when
 * something went wrong (reading it or writing it is the normal case). */
static void on_index(void *ctx, wa_session_part part, wa_index_event ev, const char *why) {
    const wa_cli_common *common = ctx;
    (void)part;
    if (ev == WA_INDEX_EV_IGNORED)
        wa_cli_note(common, "the index was ignored (%s): computing again", why);
    else if (ev == WA_INDEX_EV_NOT_WRITTEN)
        wa_cli_note(common,
                    "the index was not written (%s): the next command computes again "
                    "(--no-index skips it)",
                    why);
}

wa_session *wa_ana_cli_open(const char *path, const wa_cli_common *common, int *rc) {
    wa_error err;
    wa_error_clear(&err);
    /* The dump's identity is taken before it is loaded (whyalive/index.h);
     * standard input has none and no index. */
    wa_index *ix = common->no_index || strcmp(path, "-") == 0
                       ? NULL
                       : wa_index_open(path, WA_INDEX_READ | WA_INDEX_WRITE, &err);
    wa_snapshot *snap = wa_cli_load(path, common, rc);
    if (!snap) {
        wa_index_free(ix);
        return NULL;
    }
    wa_session *s = wa_session_new(snap, &err);
    if (!s) {
        wa_index_free(ix);
        wa_snapshot_free(snap);
        *rc = wa_cli_fail_err(wa_cli_exit_for(err.code, 0), &err);
        return NULL;
    }
    wa_session_set_index(s, ix, on_index, (void *)common);
    if (!common->quiet && wa_snapshot_n_objects(snap) >= SLOW_OBJECTS)
        wa_session_set_hook(s, on_compute, NULL);
    return s;
}

void wa_ana_cli_close(wa_session *s) {
    if (!s) return;
    /* The session borrows its snapshot: analyses go first. */
    wa_snapshot *snap = (wa_snapshot *)wa_session_snapshot(s);
    wa_session_free(s);
    wa_snapshot_free(snap);
}

/* The --fail-on verdict after a command's own output. */
static void print_check(const cJSON *chk) {
    char a[32], b[48];
    const char *mode = wa_j_str(chk, "mode"), *sel = wa_j_str(chk, "fail_on");
    int failed = wa_j_bool(chk, "failed");
    double value = wa_j_num(chk, "value");
    uint64_t max = wa_j_u64(chk, "max");
    printf("\ncheck %s: ", failed ? "FAILED" : "passed");
    if (strcmp(mode, "growth") == 0) {
        const cJSON *cn = wa_j_get(chk, "counts");
        int n = cJSON_GetArraySize(cn);
        printf("'%s' %s by %s%s from the first dump to the last (", sel,
               value < 0 ? "shrank" : "grew", value > 0 ? "+" : "",
               wa_cli_count((uint64_t)(value < 0 ? -value : value), a));
        for (int i = 0; i < n; i++)
            printf("%s%s", i ? " -> " : "",
                   wa_cli_count((uint64_t)cJSON_GetArrayItem(cn, i)->valuedouble, b));
        printf("), %s --max-growth %s\n", failed ? "more than" : "within", wa_cli_count(max, b));
    } else if (strcmp(mode, "count") == 0) {
        printf("'%s' matches %s objects, %s --max-count %s\n", sel,
               wa_cli_count((uint64_t)value, a), failed ? "more than" : "within",
               wa_cli_count(max, b));
    } else {
        printf("%s suspects of a type '%s' matches, %s --max-count %s\n",
               wa_cli_count((uint64_t)value, a), sel, failed ? "more than" : "within",
               wa_cli_count(max, b));
    }
    if (!failed) return;
    const cJSON *cl = wa_j_get(chk, "clusters"), *e;
    printf("%s objects%s, kept alive by:\n", wa_cli_count(wa_j_u64(chk, "offending"), a),
           strcmp(mode, "growth") == 0 ? " new since the first dump" : "");
    cJSON_ArrayForEach(e, cl) {
        printf("  ");
        wa_ana_print_cluster(e);
    }
    uint64_t shown = (uint64_t)cJSON_GetArraySize(cl), total = wa_j_u64(chk, "clusters_total");
    if (shown < total) printf("  ... %s more routes\n", wa_cli_count(total - shown, a));
}

int wa_ana_cli_show(wa_view *view, wa_error *err, const wa_cli_common *common,
                    const wa_snapshot *snap, wa_ana_print_fn print, const void *ctx) {
    if (!view) return wa_cli_fail_err(wa_cli_exit_for(err->code, 1), err);
    const cJSON *chk = wa_j_get(wa_view_doc(view), "check");
    int failed = chk && wa_j_bool(chk, "failed");
    int rc;
    if (common->json) {
        rc = wa_cli_view_out(view);
        return rc == WA_EXIT_OK && failed ? WA_EXIT_FOUND : rc;
    }
    if (wa_cli_escape_doc(wa_view_doc(view)) != 0) {
        wa_view_free(view);
        return wa_cli_fail(WA_EXIT_INTERNAL, "out of memory escaping the output");
    }
    rc = print(wa_view_doc(view), snap, ctx);
    if (chk && rc == WA_EXIT_OK) {
        print_check(chk);
        rc = wa_cli_finish_output(WA_EXIT_OK);
    }
    wa_view_free(view);
    return rc == WA_EXIT_OK && failed ? WA_EXIT_FOUND : rc;
}

int wa_ana_cli_check(wa_view *view, const wa_view_source *src, uint32_t ns,
                     const wa_check_options *check, int *rc) {
    if (!view || !check) return 0;
    wa_error err;
    wa_error_clear(&err);
    if (wa_view_check(view, src, ns, check, &err) < 0) {
        wa_view_free(view);
        *rc = wa_cli_fail_err(wa_cli_exit_for(err.code, 0), &err);
        return -1;
    }
    return 0;
}

int wa_ana_cli_parse_select(const char *text, wa_selector **out) {
    return wa_ana_cli_parse_selector("--select", text, out);
}

int wa_ana_cli_fail_on(const char *text, wa_check_mode mode, uint64_t max, wa_check_options *c,
                       wa_selector **sel) {
    memset(c, 0, sizeof *c);
    *sel = NULL;
    if (!text) return WA_EXIT_OK;
    int rc = wa_ana_cli_parse_selector("--fail-on", text, sel);
    if (rc != WA_EXIT_OK) return rc;
    c->fail_on = text;
    c->selector = *sel;
    c->mode = mode;
    c->max = max;
    c->clusters = 10;
    return WA_EXIT_OK;
}

int wa_ana_cli_parse_selector(const char *option, const char *text, wa_selector **out) {
    *out = NULL;
    if (!text) return WA_EXIT_OK;
    wa_error err;
    wa_error_clear(&err);
    *out = wa_select_parse(text, &err);
    if (*out) return WA_EXIT_OK;
    if (err.code != WA_ERR_SELECTOR) return wa_cli_fail_err(wa_cli_exit_for(err.code, 0), &err);
    uint64_t col = err.offset == WA_POS_NONE ? 1 : err.offset;
    wa_cli_fail(WA_EXIT_INPUT, "%s: column %" PRIu64 ": %s", option, col, err.what);
    /* The caret line only helps when the selector fits on one line and
     * shows as typed (nothing in it needs escaping). */
    if (strlen(text) <= 200 && wa_text_is_plain(text, strlen(text))) {
        fprintf(stderr, "  %s\n  %*s^\n", text, (int)(col - 1), "");
    }
    return WA_EXIT_INPUT;
}

/* Run the job's selector into vo (the dominators first when it tests
 * retained sizes or reachability). */
static wa_objlist *run_select(const wa_ana_job *job, wa_session *s, const wa_cli_common *common,
                              int *rc) {
    wa_error err;
    wa_error_clear(&err);
    const wa_dom *dom = NULL;
    if (wa_select_needs_dom(job->sel) && !(dom = wa_session_dom(s, &err))) {
        *rc = wa_cli_fail_err(wa_cli_exit_for(err.code, 0), &err);
        return NULL;
    }
    wa_objlist *l = wa_select_run(job->sel, wa_session_snapshot(s), dom, job->select_limit, &err);
    if (!l) {
        *rc = wa_cli_fail_err(wa_cli_exit_for(err.code, 0), &err);
        return NULL;
    }
    if (l->total == 0) {
        char why[1024];
        wa_select_suggest(job->sel, wa_session_snapshot(s), why, sizeof why);
        wa_cli_note(common, "%s%s%s%s",
                    job->empty_note ? job->empty_note : "the selection matched no object",
                    why[0] ? " (" : "", why, why[0] ? ")" : "");
    }
    wa_view_options *vo = job->vo;
    vo->has_selection = 1;
    vo->objs = l->objs;
    vo->n = l->n;
    vo->total = l->total;
    return l;
}

int wa_ana_cli_run(const wa_ana_job *job, const wa_cli_common *common) {
    int rc = WA_EXIT_OK;
    wa_snapshot *base = NULL;
    wa_objlist *objs = NULL;
    wa_session *s = wa_ana_cli_open(job->path, common, &rc);
    if (!s) return rc;
    if (job->baseline) {
        if (!(base = wa_cli_load(job->baseline, common, &rc))) goto done;
        job->vo->suspect.baseline = base;
    }
    if (job->sel && !job->no_select_run && !(objs = run_select(job, s, common, &rc))) goto done;
    wa_view_source src = {s, job->path};
    wa_error err;
    wa_error_clear(&err);
    wa_view *view = job->view(&src, job->vo, &err);
    if (wa_ana_cli_check(view, &src, 1, job->check, &rc) != 0) goto done;
    rc = wa_ana_cli_show(view, &err, common, wa_session_snapshot(s), job->print, job->print_ctx);
done:
    wa_objlist_free(objs);
    wa_ana_cli_close(s);
    wa_snapshot_free(base);
    return rc;
}

/* The tail of an object's text after n bytes of buf (cap) are used: its
 * name or length; a text that does not fit is cut at a character. */
static const char *obj_tail(char *buf, size_t cap, int n, const char *name, int has_len,
                            uint64_t len) {
    if (n < 0) return buf[0] = '\0', buf;
    if ((size_t)n >= cap) return wa_cli_cut_fit(buf, cap), buf;
    int m = 0;
    if (name[0])
        m = snprintf(buf + n, cap - (size_t)n, " '%s'", name);
    else if (has_len)
        m = snprintf(buf + n, cap - (size_t)n, " (len %" PRIu64 ")", len);
    if (m > 0 && (size_t)m >= cap - (size_t)n) wa_cli_cut_fit(buf, cap);
    return buf;
}

const char *wa_ana_obj_text(const cJSON *o, char *buf, size_t cap) {
    const char *dict_of = wa_j_str(o, "dict_of");
    int n = dict_of[0] ? snprintf(buf, cap, "%s %s __dict__", wa_j_str(o, "addr"), dict_of)
                       : snprintf(buf, cap, "%s %s", wa_j_str(o, "addr"),
                                  wa_type_display(wa_j_str(o, "type")));
    return obj_tail(buf, cap, n, wa_j_str(o, "name"), wa_j_get(o, "len") != NULL,
                    wa_j_u64(o, "len"));
}

const char *wa_ana_addr_text(const wa_snapshot *snap, const char *addr, char *buf, size_t cap) {
    uint32_t i = wa_snapshot_find(snap, strtoull(addr, NULL, 16));
    if (i == WA_NONE) {
        snprintf(buf, cap, "%s", addr);
        return buf;
    }
    /* Straight from the snapshot, not from the (escaped) document: escaped
     * here. */
    const wa_object *o = &wa_snapshot_objects(snap)[i];
    const char *name = wa_snapshot_string(snap, o->name);
    const char *type = wa_snapshot_type_display(snap, o->type);
    char t[512], nm[512], owner[600];
    if (!wa_snapshot_string(snap, o->name)[0] &&
        wa_snapshot_dict_owner(snap, i, owner, sizeof owner) > 0) {
        char esc[512];
        wa_text_escape(owner, strlen(owner), esc, sizeof esc);
        snprintf(t, sizeof t, "%.490s __dict__", esc);
        type = NULL;
    }
    if (type) wa_text_escape(type, strlen(type), t, sizeof t);
    wa_text_escape(name, strlen(name), nm, sizeof nm);
    int n = snprintf(buf, cap, "%s %s", addr, t);
    return obj_tail(buf, cap, n, name[0] ? nm : "", (o->flags & WA_OBJ_HAS_LEN) != 0, o->length);
}

void wa_ana_print_site(const char *indent, const cJSON *obj) {
    const char *site = wa_j_str(obj, "site");
    if (!site[0]) return;
    /* innermost frame, then at most two callers */
    const char *semi = strchr(site, ';');
    printf("%sallocated at %.*s", indent, semi ? (int)(semi - site) : (int)strlen(site), site);
    for (int k = 0; semi && k < 2; k++) {
        const char *from = semi + 1, *next = strchr(from, ';');
        printf("%s%.*s", k ? ", " : " (from ", next ? (int)(next - from) : (int)strlen(from), from);
        semi = next;
        if (!semi || k == 1) printf("%s)", semi ? ", ..." : "");
    }
    printf("\n");
}

static void print_cluster_sites(const cJSON *c) {
    const cJSON *sites = wa_j_get(c, "sites"), *s;
    if (!cJSON_IsArray(sites)) return;
    char a[32];
    printf("    allocated at");
    int first = 1;
    cJSON_ArrayForEach(s, sites) {
        printf("%s %s (%s)", first ? "" : ",", wa_j_str(s, "site"),
               wa_cli_count(wa_j_u64(s, "count"), a));
        first = 0;
    }
    printf("\n");
}

void wa_ana_print_cluster(const cJSON *c) {
    char a[32], b[32];
    const char *type = wa_j_str(c, "qualname");
    uint64_t count = wa_j_u64(c, "count");
    if (!wa_j_bool(c, "reachable")) {
        printf("%s %s (%s shallow) unreachable: no root reaches them (garbage awaiting "
               "collection, or referrers the dump could not see)\n",
               wa_cli_count(count, a), type, wa_size_text(wa_j_u64(c, "shallow"), 2, b));
        return;
    }
    printf("%s %s (%s retained) via %s\n", wa_cli_count(count, a), type,
           wa_size_text(wa_j_u64(c, "retained"), 2, b), wa_j_str(c, "path"));
    print_cluster_sites(c);
}
