/*
 * libFuzzer target: the selector parser and evaluator on arbitrary bytes.
 * Checks, aborting on violation: a failed parse reports WA_ERR_SELECTOR with
 * a column inside the text (or just past it); a parsed selector's canonical
 * form parses again to the same canonical form; wa_select_run and
 * wa_select_match agree on every object of a small fixed snapshot.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "whyalive/analysis.h"
#include "whyalive/select.h"
#include "whyalive/whyalive.h"

static wa_snapshot *snap;
static wa_dom *dom;

static void add(wa_builder *b, uint64_t addr, const char *type, const char *mod, uint64_t size,
                uint32_t flags, uint32_t len, const char *name) {
    wa_error err;
    wa_object o;
    memset(&o, 0, sizeof o);
    o.addr = addr;
    o.size = size;
    o.type = wa_builder_type(b, type, mod, &err);
    o.refcount = (uint32_t)(addr & 7);
    o.flags = flags;
    o.length = len;
    o.name = name ? wa_builder_intern(b, name, strlen(name), &err) : 0;
    wa_builder_object(b, &o, &err);
}

static void setup(void) {
    wa_error err;
    wa_builder *b = wa_builder_new(&err);
    add(b, 0x10, "builtins.module", "builtins", 72, WA_OBJ_IS_MODULE, 0, "app.stt");
    add(b, 0x20, "builtins.dict", "builtins", 1200, WA_OBJ_HAS_LEN, 3, NULL);
    add(b, 0x30, "app.stt.ConversationTranscriber", "app.stt", 64, 0, 0, NULL);
    add(b, 0x40, "app.stt.Session", "app.stt", 56, 0, 0, "s");
    add(b, 0x50, "other.Orphan", "other", 9, 0, 0, NULL);
    wa_builder_edge(b, 0, 0x20, WA_LABEL(WA_EDGE_ATTR, wa_builder_intern(b, "__dict__", 8, &err)),
                    &err);
    wa_builder_edge(b, 1, 0x40, WA_LABEL(WA_EDGE_DICT_VALUE, 0), &err);
    wa_builder_edge(b, 3, 0x30, WA_LABEL(WA_EDGE_ATTR, 0), &err);
    wa_builder_root(b, 0x10, WA_ROOT_MODULE, 0, 0, &err);
    wa_builder_root(b, 0x30, WA_ROOT_EXTERNAL, 0, 2, &err);
    snap = wa_builder_finish(b, "fuzz", &err);
    if (!snap) {
        fprintf(stderr, "fuzz_selector: fixture: %s\n", wa_error_string(&err));
        abort();
    }
    dom = wa_dom_compute(snap, &err);
    if (!dom) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (!snap) setup();
    char *text = malloc(size + 1);
    if (!text) return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    size_t len = strlen(text); /* the C API takes NUL-terminated text */
    wa_error err;
    wa_error_clear(&err);
    wa_selector *sel = wa_select_parse(text, &err);
    if (!sel) {
        if (err.code == WA_ERR_SELECTOR) {
            if (err.offset == WA_POS_NONE || err.offset < 1 || err.offset > len + 1) abort();
        } else if (err.code != WA_ERR_NOMEM) {
            abort();
        }
        free(text);
        return 0;
    }
    size_t need = wa_select_format(sel, NULL, 0) + 1;
    char *canon = malloc(need), *again = malloc(need + 16);
    /* the canonical form adds quotes and parentheses: it may outgrow the
     * length limit, and then it is not expected to parse */
    if (canon && again && need - 1 <= WA_SELECT_MAX_LENGTH) {
        wa_select_format(sel, canon, need);
        wa_selector *sel2 = wa_select_parse(canon, &err);
        if (!sel2) abort();
        size_t n2 = wa_select_format(sel2, again, need + 16);
        if (n2 != need - 1 || strcmp(canon, again) != 0) abort();
        wa_select_free(sel2);
    }
    free(canon);
    free(again);
    wa_objlist *l = wa_select_run(sel, snap, dom, 0, &err);
    if (l) {
        for (uint32_t v = 0, k = 0; v < wa_snapshot_n_objects(snap); v++) {
            int in = k < l->n && l->objs[k] == v;
            if (in) k++;
            if (in != wa_select_match(sel, snap, dom, v)) abort();
        }
        wa_objlist_free(l);
    }
    wa_select_free(sel);
    free(text);
    return 0;
}
