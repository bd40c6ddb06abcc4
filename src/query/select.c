/*
 * query/select.c: the selector language: lexer, parser, evaluator.
 *
 *   expr  := and ("or" and)*
 *   and   := unary ("and" unary)*
 *   unary := "not" unary | "(" expr ")" | pred
 *   pred  := FIELD OP VALUE | PATTERN          (a bare pattern means type=PATTERN)
 *
 * and/or are n-ary nodes, so evaluation depth is the parenthesis / `not`
 * nesting of the text, which the parser caps at WA_SELECT_MAX_DEPTH: no input
 * can make the parser or the evaluator recurse deeply. Values are read in
 * context (after an operator, up to whitespace or a parenthesis), so a type
 * like f.<locals>.Inner needs no quoting there.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/containers.h"
#include "whyalive/select.h"
#include "whyalive/text.h"

typedef enum field {
    F_TYPE,
    F_MODULE,
    F_ADDR,
    F_SIZE,
    F_RETAINED,
    F_REFCOUNT,
    F_LEN,
    F_ROOT,
    F_EXCESS,
    F_NAME,
    F_REACHABLE,
    F_SITE,
    F_COUNT
} field;

static const struct {
    const char *name;
    field f;
} field_names[] = {
    {"type", F_TYPE},         {"module", F_MODULE}, {"mod", F_MODULE},   {"addr", F_ADDR},
    {"address", F_ADDR},      {"size", F_SIZE},     {"shallow", F_SIZE}, {"retained", F_RETAINED},
    {"refcount", F_REFCOUNT}, {"rc", F_REFCOUNT},   {"len", F_LEN},      {"length", F_LEN},
    {"root", F_ROOT},         {"excess", F_EXCESS}, {"name", F_NAME},    {"reachable", F_REACHABLE},
    {"site", F_SITE},
};
static const char *const canonical[F_COUNT] = {"type",     "module",   "addr",      "size",
                                               "retained", "refcount", "len",       "root",
                                               "excess",   "name",     "reachable", "site"};

typedef enum op { OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE } op;
static const char *const op_text[] = {"=", "!=", "<", "<=", ">", ">="};

typedef enum nkind { N_AND, N_OR, N_NOT, N_PRED } nkind;

typedef struct node {
    nkind kind;
    uint32_t first, next; /* children list (index + 1; 0 = none) */
    field f;
    op o;
    char *text;   /* string value (type/module/name patterns) */
    uint64_t num; /* numeric value; root: kind, or WA_ROOT_KIND_COUNT for "any" */
    int glob;     /* text holds * or ? */
} node;

struct wa_selector {
    node *nodes;
    uint32_t n, cap;
    uint32_t root; /* index + 1 */
    int needs_dom, needs_roots;
};

typedef struct parser {
    const char *s;
    size_t pos, len;
    wa_selector *sel;
    wa_error *err;
    int failed;
    int depth;
} parser;

static int fail_at(parser *p, size_t pos, const char *fmt, const char *arg) {
    if (p->failed) return -1;
    p->failed = 1;
    char what[400];
    snprintf(what, sizeof what, fmt, arg ? arg : "");
    wa_error_set(p->err, WA_ERR_SELECTOR, NULL, WA_POS_NONE, (uint64_t)pos + 1, "%s", what);
    return -1;
}

static uint32_t new_node(parser *p, nkind kind) {
    wa_selector *sel = p->sel;
    if (sel->n == sel->cap) {
        uint32_t cap = sel->cap ? sel->cap * 2 : 16;
        node *nn = realloc(sel->nodes, (size_t)cap * sizeof *nn);
        if (!nn) {
            p->failed = 1;
            wa_nomem(p->err);
            return 0;
        }
        sel->nodes = nn;
        sel->cap = cap;
    }
    node *x = &sel->nodes[sel->n];
    memset(x, 0, sizeof *x);
    x->kind = kind;
    return ++sel->n;
}
#define NODE(p, i) (&(p)->sel->nodes[(i)-1])

static void skip_ws(parser *p) {
    while (p->pos < p->len && isspace((unsigned char)p->s[p->pos])) p->pos++;
}

static int is_opchar(char c) { return c == '=' || c == '!' || c == '<' || c == '>'; }
static int is_stop(char c) {
    return isspace((unsigned char)c) || c == '(' || c == ')' || c == '\'' || c == '"';
}

/* A keyword (and/or/not) at pos, followed by a boundary. */
static int keyword_at(const parser *p, size_t pos, const char *kw) {
    size_t k = strlen(kw);
    if (pos + k > p->len) return 0;
    for (size_t i = 0; i < k; i++)
        if (tolower((unsigned char)p->s[pos + i]) != kw[i]) return 0;
    return pos + k == p->len || is_stop(p->s[pos + k]);
}

static uint32_t parse_or(parser *p);

/* Read a quoted string at p->pos into a fresh buffer (backslash escapes the
 * quote and itself). */
static char *read_quoted(parser *p) {
    char q = p->s[p->pos];
    size_t start = p->pos++;
    char *out = malloc(p->len - start + 1);
    if (!out) {
        p->failed = 1;
        wa_nomem(p->err);
        return NULL;
    }
    size_t k = 0;
    while (p->pos < p->len && p->s[p->pos] != q) {
        if (p->s[p->pos] == '\\' && p->pos + 1 < p->len) p->pos++;
        out[k++] = p->s[p->pos++];
    }
    if (p->pos >= p->len) {
        free(out);
        fail_at(p, start, "unterminated string starting here", NULL);
        return NULL;
    }
    p->pos++;
    out[k] = '\0';
    return out;
}

static char *dup_range(parser *p, size_t a, size_t b) {
    char *out = malloc(b - a + 1);
    if (!out) {
        p->failed = 1;
        wa_nomem(p->err);
        return NULL;
    }
    memcpy(out, p->s + a, b - a);
    out[b - a] = '\0';
    return out;
}

int wa_select_parse_size(const char *s, size_t len, uint64_t *out) {
    size_t i = 0;
    uint64_t whole = 0;
    uint64_t frac = 0, frac_div = 1;
    int digits = 0;
    while (i < len && s[i] >= '0' && s[i] <= '9') {
        if (whole > (UINT64_MAX - 9) / 10) return -1;
        whole = whole * 10 + (uint64_t)(s[i++] - '0');
        digits++;
    }
    if (i < len && s[i] == '.') {
        i++;
        while (i < len && s[i] >= '0' && s[i] <= '9') {
            if (frac_div < 1000000000000ull) {
                frac = frac * 10 + (uint64_t)(s[i] - '0');
                frac_div *= 10;
            }
            i++;
            digits++;
        }
    }
    if (!digits) return -1;
    char unit[4] = {0};
    size_t ul = len - i;
    if (ul > 3) return -1;
    for (size_t k = 0; k < ul; k++) unit[k] = (char)tolower((unsigned char)s[i + k]);
    uint64_t mult;
    if (ul == 0 || strcmp(unit, "b") == 0)
        mult = 1;
    else if (!strcmp(unit, "k") || !strcmp(unit, "kb"))
        mult = 1000ull;
    else if (!strcmp(unit, "m") || !strcmp(unit, "mb"))
        mult = 1000000ull;
    else if (!strcmp(unit, "g") || !strcmp(unit, "gb"))
        mult = 1000000000ull;
    else if (!strcmp(unit, "t") || !strcmp(unit, "tb"))
        mult = 1000000000000ull;
    else if (!strcmp(unit, "kib"))
        mult = 1ull << 10;
    else if (!strcmp(unit, "mib"))
        mult = 1ull << 20;
    else if (!strcmp(unit, "gib"))
        mult = 1ull << 30;
    else if (!strcmp(unit, "tib"))
        mult = 1ull << 40;
    else
        return -1;
    if (whole > UINT64_MAX / mult) return -1;
    uint64_t v = whole * mult;
    /* fraction: frac/frac_div * mult, rounded down; both < 2^40 * 10^12 fits
     * only after dividing, so scale in two steps. */
    uint64_t f = (mult / frac_div) * frac + ((mult % frac_div) * frac) / frac_div;
    if (v > UINT64_MAX - f) return -1;
    *out = v + f;
    return 0;
}

static int parse_uint(const char *s, uint64_t *out) {
    if (!*s) return -1;
    int base = 10;
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        base = 16;
        s += 2;
        if (!*s) return -1;
    }
    uint64_t v = 0;
    for (; *s; s++) {
        int d;
        if (*s >= '0' && *s <= '9')
            d = *s - '0';
        else if (base == 16 && *s >= 'a' && *s <= 'f')
            d = *s - 'a' + 10;
        else if (base == 16 && *s >= 'A' && *s <= 'F')
            d = *s - 'A' + 10;
        else if (*s == '_')
            continue;
        else
            return -1;
        if (v > (UINT64_MAX - (uint64_t)d) / (uint64_t)base) return -1;
        v = v * (uint64_t)base + (uint64_t)d;
    }
    *out = v;
    return 0;
}

/* fail_at for the parse functions that return a node: 0, "no node". */
static uint32_t fail_node(parser *p, size_t pos, const char *fmt, const char *arg) {
    fail_at(p, pos, fmt, arg);
    return 0;
}

/* Node id becomes the test type=t (t owned by the node). */
static uint32_t type_test(parser *p, uint32_t id, char *t) {
    node *x = NODE(p, id);
    x->f = F_TYPE;
    x->o = OP_EQ;
    x->text = t;
    x->glob = strpbrk(t, "*?") != NULL;
    return id;
}

/* The field named by s[a..b), or F_COUNT with the error reported. */
static field parse_field(parser *p, size_t a, size_t b) {
    char fname[32];
    size_t fl = b - a;
    field f = F_COUNT;
    if (fl < sizeof fname) {
        for (size_t i = 0; i < fl; i++) fname[i] = (char)tolower((unsigned char)p->s[a + i]);
        fname[fl] = '\0';
        for (size_t i = 0; i < sizeof field_names / sizeof field_names[0]; i++)
            if (strcmp(fname, field_names[i].name) == 0) f = field_names[i].f;
    }
    if (f == F_COUNT) {
        char *bad = dup_range(p, a, fl < 40 ? b : a + 40);
        if (!bad) return F_COUNT;
        const char *near = wa_text_closest(bad, canonical, F_COUNT);
        char fmt[200];
        snprintf(fmt, sizeof fmt,
                 "unknown field '%%s'%s%s%s (fields: type, module, addr, size, "
                 "retained, refcount, len, root, excess, name, reachable, site)",
                 near ? "; did you mean '" : "", near ? near : "", near ? "'?" : "");
        fail_at(p, a, fmt, bad);
        free(bad);
    }
    return f;
}

/* The operator at p->pos, one that applies to field f; 0, or -1 failed. */
static int parse_op(parser *p, field f, op *out) {
    size_t opos = p->pos;
    op o;
    const char *s = p->s + p->pos;
    size_t rest = p->len - p->pos;
    if (rest >= 2 && s[0] == '=' && s[1] == '=')
        o = OP_EQ, p->pos += 2;
    else if (rest >= 2 && s[0] == '!' && s[1] == '=')
        o = OP_NE, p->pos += 2;
    else if (rest >= 2 && s[0] == '<' && s[1] == '=')
        o = OP_LE, p->pos += 2;
    else if (rest >= 2 && s[0] == '>' && s[1] == '=')
        o = OP_GE, p->pos += 2;
    else if (s[0] == '=')
        o = OP_EQ, p->pos += 1;
    else if (s[0] == '<')
        o = OP_LT, p->pos += 1;
    else if (s[0] == '>')
        o = OP_GT, p->pos += 1;
    else
        return fail_at(p, opos, "expected an operator (=, !=, <, <=, >, >=)", NULL);
    int stringy = f == F_TYPE || f == F_MODULE || f == F_NAME || f == F_ROOT || f == F_REACHABLE ||
                  f == F_SITE;
    if (stringy && o != OP_EQ && o != OP_NE)
        return fail_at(p, opos, "this operator does not apply to %s (use = or !=)", canonical[f]);
    *out = o;
    return 0;
}

/* The value after operator o: quoted, or up to whitespace or a parenthesis.
 * *vpos: where it starts. NULL on failure. */
static char *parse_value(parser *p, op o, size_t *vpos) {
    skip_ws(p);
    *vpos = p->pos;
    if (p->pos < p->len && (p->s[p->pos] == '\'' || p->s[p->pos] == '"')) return read_quoted(p);
    while (p->pos < p->len && !isspace((unsigned char)p->s[p->pos]) && p->s[p->pos] != '(' &&
           p->s[p->pos] != ')')
        p->pos++;
    if (p->pos == *vpos) {
        fail_at(p, *vpos, "expected a value after '%s'", op_text[o]);
        return NULL;
    }
    return dup_range(p, *vpos, p->pos);
}

/* x->text read as the value of x->f (a size, a number, a root kind, yes or
 * no); 0, or -1 failed. */
static int read_value(parser *p, node *x, size_t vpos) {
    const char *val = x->text;
    switch (x->f) {
    case F_TYPE:
    case F_MODULE:
    case F_NAME:
    case F_SITE: x->glob = strpbrk(val, "*?") != NULL; return 0;
    case F_SIZE:
    case F_RETAINED:
        if (wa_select_parse_size(val, strlen(val), &x->num) != 0)
            return fail_at(p, vpos,
                           "bad size '%s': expected a number with an optional unit "
                           "(B, KB, MB, GB, KiB, MiB, GiB)",
                           val);
        return 0;
    case F_ADDR:
    case F_REFCOUNT:
    case F_LEN:
    case F_EXCESS:
        if (parse_uint(val, &x->num) != 0) return fail_at(p, vpos, "bad number '%s'", val);
        return 0;
    case F_ROOT: {
        if (!strcmp(val, "any") || !strcmp(val, "*")) {
            x->num = WA_ROOT_KIND_COUNT;
            return 0;
        }
        int k = wa_root_kind_parse(val, strlen(val));
        if (k < 0)
            return fail_at(p, vpos,
                           "unknown root kind '%s' (module, thread, external, interpreter, "
                           "other, any)",
                           val);
        x->num = (uint64_t)k;
        return 0;
    }
    case F_REACHABLE:
        if (!strcmp(val, "yes") || !strcmp(val, "true") || !strcmp(val, "1"))
            x->num = 1;
        else if (!strcmp(val, "no") || !strcmp(val, "false") || !strcmp(val, "0"))
            x->num = 0;
        else
            return fail_at(p, vpos, "expected yes or no, got '%s'", val);
        return 0;
    default: return 0;
    }
}

/* pred := FIELD OP VALUE | PATTERN (a bare or quoted pattern is a type test) */
static uint32_t parse_pred(parser *p) {
    uint32_t id = new_node(p, N_PRED);
    if (!id) return 0;
    if (p->s[p->pos] == '\'' || p->s[p->pos] == '"') {
        char *t = read_quoted(p);
        return t ? type_test(p, id, t) : 0;
    }
    size_t a = p->pos;
    while (p->pos < p->len && !is_stop(p->s[p->pos]) && !is_opchar(p->s[p->pos])) p->pos++;
    size_t b = p->pos;
    if (a == b) {
        if (p->pos < p->len && is_opchar(p->s[p->pos]))
            return fail_node(p, a, "expected a field name before the operator", NULL);
        return fail_node(p, a, "expected a field=value test or a type name", NULL);
    }
    size_t save = p->pos;
    skip_ws(p);
    if (p->pos >= p->len || !is_opchar(p->s[p->pos])) {
        p->pos = save;
        char *t = dup_range(p, a, b);
        return t ? type_test(p, id, t) : 0;
    }
    field f = parse_field(p, a, b);
    op o;
    if (f == F_COUNT || parse_op(p, f, &o) != 0) return 0;
    NODE(p, id)->f = f;
    NODE(p, id)->o = o;
    size_t vpos;
    char *val = parse_value(p, o, &vpos);
    if (!val) return 0;
    NODE(p, id)->text = val;
    if (read_value(p, NODE(p, id), vpos) != 0) return 0;
    if (f == F_RETAINED || f == F_REACHABLE) p->sel->needs_dom = 1;
    if (f == F_ROOT || f == F_EXCESS) p->sel->needs_roots = 1;
    return id;
}

static uint32_t parse_unary(parser *p) {
    skip_ws(p);
    if (p->pos >= p->len) {
        fail_at(p, p->pos, p->pos == 0 ? "empty selector" : "expected a test after this point",
                NULL);
        return 0;
    }
    if (++p->depth > WA_SELECT_MAX_DEPTH) {
        fail_at(p, p->pos, "selector nested too deeply", NULL);
        return 0;
    }
    uint32_t r;
    if (keyword_at(p, p->pos, "not")) {
        p->pos += 3;
        uint32_t id = new_node(p, N_NOT);
        uint32_t c = id ? parse_unary(p) : 0;
        if (!c) return 0;
        NODE(p, id)->first = c;
        r = id;
    } else if (p->s[p->pos] == '(') {
        size_t open = p->pos++;
        r = parse_or(p);
        if (!r) return 0;
        skip_ws(p);
        if (p->pos >= p->len || p->s[p->pos] != ')') {
            char where[32];
            snprintf(where, sizeof where, "%zu", open + 1);
            fail_at(p, p->pos, "expected ')' to close the '(' at column %s", where);
            return 0;
        }
        p->pos++;
    } else if (p->s[p->pos] == ')') {
        fail_at(p, p->pos, "unexpected ')'", NULL);
        return 0;
    } else if (keyword_at(p, p->pos, "and") || keyword_at(p, p->pos, "or")) {
        fail_at(p, p->pos, "expected a test before 'and' / 'or'", NULL);
        return 0;
    } else {
        r = parse_pred(p);
    }
    p->depth--;
    return p->failed ? 0 : r;
}

/* One level of n-ary operator: and (kw "and") or or (kw "or"). */
static uint32_t parse_nary(parser *p, nkind kind) {
    const char *kw = kind == N_AND ? "and" : "or";
    uint32_t first = kind == N_AND ? parse_unary(p) : parse_nary(p, N_AND);
    if (!first) return 0;
    skip_ws(p);
    if (!keyword_at(p, p->pos, kw)) return first;
    uint32_t id = new_node(p, kind);
    if (!id) return 0;
    NODE(p, id)->first = first;
    uint32_t last = first;
    while (keyword_at(p, p->pos, kw)) {
        p->pos += strlen(kw);
        uint32_t c = kind == N_AND ? parse_unary(p) : parse_nary(p, N_AND);
        if (!c) return 0;
        NODE(p, last)->next = c;
        last = c;
        skip_ws(p);
    }
    return id;
}

static uint32_t parse_or(parser *p) { return parse_nary(p, N_OR); }

wa_selector *wa_select_parse(const char *text, wa_error *err) {
    if (!text) {
        wa_error_set(err, WA_ERR_SELECTOR, NULL, WA_POS_NONE, 1, "empty selector");
        return NULL;
    }
    size_t len = strlen(text);
    if (len > WA_SELECT_MAX_LENGTH) {
        wa_error_set(err, WA_ERR_SELECTOR, NULL, WA_POS_NONE, WA_SELECT_MAX_LENGTH + 1,
                     "selector longer than %d bytes", WA_SELECT_MAX_LENGTH);
        return NULL;
    }
    wa_selector *sel = wa_calloc(1, sizeof *sel, err);
    if (!sel) return NULL;
    parser p = {text, 0, len, sel, err, 0, 0};
    uint32_t r = parse_or(&p);
    if (r && !p.failed) {
        skip_ws(&p);
        if (p.pos < p.len) {
            if (p.s[p.pos] == ')')
                fail_at(&p, p.pos, "unexpected ')'", NULL);
            else
                fail_at(&p, p.pos, "expected 'and', 'or' or the end of the selector", NULL);
        }
    }
    if (!r || p.failed) {
        if (err && err->code == WA_OK) fail_at(&p, p.pos, "invalid selector", NULL);
        wa_select_free(sel);
        return NULL;
    }
    sel->root = r;
    return sel;
}

void wa_select_free(wa_selector *sel) {
    if (!sel) return;
    for (uint32_t i = 0; i < sel->n; i++) free(sel->nodes[i].text);
    free(sel->nodes);
    free(sel);
}

int wa_select_needs_dom(const wa_selector *sel) { return sel && sel->needs_dom; }

/* ---------------- formatting ---------------- */

typedef struct sbuf {
    char *buf;
    size_t cap, len;
} sbuf;

static void sb_put(sbuf *b, const char *s) {
    size_t k = strlen(s);
    if (b->len < b->cap) {
        size_t room = b->cap - b->len - 1, c = k < room ? k : room;
        memcpy(b->buf + b->len, s, c);
        b->buf[b->len + c] = '\0';
    }
    b->len += k;
}

/* Parentheses only where the grammar needs them (an `or` under an `and`,
 * an `and`/`or` under a `not`): the form then nests no deeper than any text
 * that parses to it, so it always parses back under WA_SELECT_MAX_DEPTH. */
static void format_node(const wa_selector *sel, uint32_t id, nkind parent, sbuf *b) {
    const node *x = &sel->nodes[id - 1];
    if (x->kind == N_PRED) {
        sb_put(b, canonical[x->f]);
        sb_put(b, op_text[x->o]);
        if (x->f == F_TYPE || x->f == F_MODULE || x->f == F_NAME || x->f == F_SITE) {
            /* quoted, with \ and ' escaped, so the form always parses back */
            sb_put(b, "'");
            for (const char *c = x->text; *c; c++) {
                char one[3] = {'\\', *c, '\0'};
                sb_put(b, (*c == '\\' || *c == '\'') ? one : one + 1);
            }
            sb_put(b, "'");
        } else {
            sb_put(b, x->text);
        }
        return;
    }
    if (x->kind == N_NOT) {
        sb_put(b, "not ");
        format_node(sel, x->first, N_NOT, b);
        return;
    }
    int paren = parent == N_NOT || (parent == N_AND && x->kind == N_OR);
    if (paren) sb_put(b, "(");
    for (uint32_t c = x->first; c; c = sel->nodes[c - 1].next) {
        if (c != x->first) sb_put(b, x->kind == N_AND ? " and " : " or ");
        format_node(sel, c, x->kind, b);
    }
    if (paren) sb_put(b, ")");
}

size_t wa_select_format(const wa_selector *sel, char *buf, size_t cap) {
    sbuf b = {buf, cap, 0};
    if (cap) buf[0] = '\0';
    if (sel && sel->root) format_node(sel, sel->root, N_PRED, &b);
    return b.len;
}

/* ---------------- matching ---------------- */

/* Glob with * and ?; iterative, remembering only the last star, so the cost
 * is O(len(pattern) * len(text)) at worst, never exponential. */
static int glob_match(const char *pat, const char *txt) {
    const char *star = NULL, *resume = NULL;
    while (*txt) {
        if (*pat == '*') {
            star = pat++;
            resume = txt;
        } else if (*pat == '?' || *pat == *txt) {
            pat++;
            txt++;
        } else if (star) {
            pat = star + 1;
            txt = ++resume;
        } else {
            return 0;
        }
    }
    while (*pat == '*') pat++;
    return *pat == '\0';
}

/* A type pattern matches the full name or the qualname (module dropped). */
static int match_type_name(const node *x, const wa_snapshot *snap, uint32_t type) {
    const char *full = wa_snapshot_type_name(snap, type);
    const char *qual = wa_snapshot_type_qualname(snap, type);
    if (x->glob) return glob_match(x->text, full) || glob_match(x->text, qual);
    return strcmp(x->text, full) == 0 || strcmp(x->text, qual) == 0;
}

/* A site test against an object's allocation site ("file:line;...",
 * innermost first): its innermost frame, "file:line". A glob is matched
 * against that text; otherwise "file" or "file:line", where file may be
 * the end of the path after a '/' ("stt.py" matches "/srv/app/stt.py"). */
static int match_site(const node *x, const char *site) {
    if (!site[0]) return 0;
    size_t n = strcspn(site, ";");
    char frame[1024];
    if (n >= sizeof frame) n = sizeof frame - 1;
    memcpy(frame, site, n);
    frame[n] = '\0';
    if (x->glob) return glob_match(x->text, frame);
    const char *colon = strrchr(frame, ':');
    size_t file_len = colon ? (size_t)(colon - frame) : n;
    size_t k = strlen(x->text);
    /* with a line: compare with the whole frame, else with the file part */
    int has_line = 0;
    const char *tc = strrchr(x->text, ':');
    if (tc && tc[1]) {
        has_line = 1;
        for (const char *d = tc + 1; *d; d++)
            if (*d < '0' || *d > '9') has_line = 0;
    }
    size_t len = has_line ? n : file_len;
    if (k > len) return 0;
    if (strncmp(frame + len - k, x->text, k) != 0) return 0;
    return k == len || frame[len - k - 1] == '/';
}

static int match_module(const node *x, const char *module) {
    if (x->glob) return glob_match(x->text, module);
    size_t k = strlen(x->text);
    return strncmp(module, x->text, k) == 0 && (module[k] == '\0' || module[k] == '.');
}

static int cmp_num(op o, uint64_t a, uint64_t b) {
    switch (o) {
    case OP_EQ: return a == b;
    case OP_NE: return a != b;
    case OP_LT: return a < b;
    case OP_LE: return a <= b;
    case OP_GT: return a > b;
    default: return a >= b;
    }
}

/* A selector ready to run on one snapshot. Prepared (ctx_prepare), it
 * decides type and module tests once per type and knows each object's roots
 * from a mask; bare (ctx_bare), it looks both up per object. */
typedef struct ctx {
    const wa_selector *sel;
    const wa_snapshot *snap;
    const wa_dom *dom;
    wa_bits **type_bits; /* per node: types that match (type/module tests), or NULL */
    uint8_t *rootmask;   /* per object: bit k set if it is a root of kind k; or NULL */
    wa_u64map excess;    /* object -> excess sum (external roots), with rootmask */
} ctx;

static void object_roots(const ctx *c, uint32_t obj, uint32_t *mask, uint64_t *excess) {
    *mask = 0;
    *excess = 0;
    if (c->rootmask) {
        *mask = c->rootmask[obj];
        if (*mask & (1u << WA_ROOT_EXTERNAL)) *excess = wa_u64map_value(&c->excess, obj, 0);
        return;
    }
    const wa_root *roots = wa_snapshot_roots(c->snap);
    for (uint32_t r = 0; r < wa_snapshot_n_roots(c->snap); r++)
        if (roots[r].obj == obj) {
            *mask |= 1u << roots[r].kind;
            if (roots[r].kind == WA_ROOT_EXTERNAL) *excess += roots[r].excess;
        }
}

static int pred_match(const ctx *c, uint32_t id, uint32_t obj) {
    const node *x = &c->sel->nodes[id - 1];
    const wa_object *o = &wa_snapshot_objects(c->snap)[obj];
    int r;
    switch (x->f) {
    case F_TYPE:
    case F_MODULE:
        if (c->type_bits && c->type_bits[id - 1])
            r = wa_bit(c->type_bits[id - 1], o->type);
        else if (x->f == F_TYPE)
            r = match_type_name(x, c->snap, o->type);
        else
            r = match_module(x, wa_snapshot_type_module(c->snap, o->type));
        return x->o == OP_EQ ? r : !r;
    case F_NAME: {
        const char *name = wa_snapshot_string(c->snap, o->name);
        r = x->glob ? glob_match(x->text, name) : strcmp(x->text, name) == 0;
        return x->o == OP_EQ ? r : !r;
    }
    case F_SITE: r = match_site(x, wa_snapshot_site(c->snap, obj)); return x->o == OP_EQ ? r : !r;
    case F_ADDR: return cmp_num(x->o, o->addr, x->num);
    case F_SIZE: return cmp_num(x->o, o->size, x->num);
    case F_RETAINED: return c->dom ? cmp_num(x->o, c->dom->retained[obj], x->num) : 0;
    case F_REFCOUNT: return cmp_num(x->o, o->refcount, x->num);
    case F_LEN: return (o->flags & WA_OBJ_HAS_LEN) ? cmp_num(x->o, o->length, x->num) : 0;
    case F_REACHABLE:
        r = c->dom ? c->dom->idom[obj] != WA_NONE : 0;
        return x->o == OP_EQ ? r == (int)x->num : r != (int)x->num;
    case F_ROOT:
    case F_EXCESS: {
        uint32_t mask;
        uint64_t excess;
        object_roots(c, obj, &mask, &excess);
        if (x->f == F_EXCESS) return cmp_num(x->o, excess, x->num);
        r = x->num == WA_ROOT_KIND_COUNT ? mask != 0 : (mask >> x->num) & 1u;
        return x->o == OP_EQ ? r : !r;
    }
    default: return 0;
    }
}

static int eval_node(const ctx *c, uint32_t id, uint32_t obj) {
    const node *x = &c->sel->nodes[id - 1];
    switch (x->kind) {
    case N_PRED: return pred_match(c, id, obj);
    case N_NOT: return !eval_node(c, x->first, obj);
    case N_AND:
        for (uint32_t k = x->first; k; k = c->sel->nodes[k - 1].next)
            if (!eval_node(c, k, obj)) return 0;
        return 1;
    default:
        for (uint32_t k = x->first; k; k = c->sel->nodes[k - 1].next)
            if (eval_node(c, k, obj)) return 1;
        return 0;
    }
}

static ctx ctx_bare(const wa_selector *sel, const wa_snapshot *snap, const wa_dom *dom) {
    ctx c;
    memset(&c, 0, sizeof c);
    c.sel = sel;
    c.snap = snap;
    c.dom = dom;
    return c;
}

static void ctx_release(ctx *c) {
    if (c->type_bits)
        for (uint32_t i = 0; i < c->sel->n; i++) free(c->type_bits[i]);
    free(c->type_bits);
    free(c->rootmask);
    wa_u64map_free(&c->excess);
    *c = ctx_bare(c->sel, c->snap, c->dom);
}

/* Type and module tests: decide once per type, not once per object. */
static wa_status prepare_type_bits(ctx *c, wa_error *err) {
    const wa_selector *sel = c->sel;
    const wa_snapshot *snap = c->snap;
    c->type_bits = wa_calloc(sel->n, sizeof *c->type_bits, err);
    if (!c->type_bits) return WA_ERR_NOMEM;
    for (uint32_t i = 0; i < sel->n; i++) {
        const node *x = &sel->nodes[i];
        if (x->kind != N_PRED || (x->f != F_TYPE && x->f != F_MODULE)) continue;
        wa_bits *b = wa_bits_new(wa_snapshot_n_types(snap), err);
        if (!b) return WA_ERR_NOMEM;
        for (uint32_t t = 0; t < wa_snapshot_n_types(snap); t++) {
            int m = x->f == F_TYPE ? match_type_name(x, snap, t)
                                   : match_module(x, wa_snapshot_type_module(snap, t));
            if (m) wa_bit_set(b, t);
        }
        c->type_bits[i] = b;
    }
    return WA_OK;
}

/* Root kinds of every object as a mask, excess per external root. */
static wa_status prepare_roots(ctx *c, wa_error *err) {
    const wa_snapshot *snap = c->snap;
    c->rootmask = wa_calloc(wa_snapshot_n_objects(snap), 1, err);
    if (!c->rootmask || wa_u64map_init(&c->excess, 16) != 0) return WA_ERR_NOMEM;
    const wa_root *roots = wa_snapshot_roots(snap);
    for (uint32_t r = 0; r < wa_snapshot_n_roots(snap); r++) {
        c->rootmask[roots[r].obj] |= (uint8_t)(1u << roots[r].kind);
        if (roots[r].kind == WA_ROOT_EXTERNAL) {
            uint32_t *v = wa_u64map_put(&c->excess, roots[r].obj, 0, NULL);
            if (!v) return WA_ERR_NOMEM;
            *v += roots[r].excess;
        }
    }
    return WA_OK;
}

/* The prepared ctx of sel on snap (sel not NULL). On failure c is bare
 * again, err is filled and nothing is left allocated. */
static wa_status ctx_prepare(ctx *c, const wa_selector *sel, const wa_snapshot *snap,
                             const wa_dom *dom, wa_error *err) {
    *c = ctx_bare(sel, snap, dom);
    wa_status st = prepare_type_bits(c, err);
    if (st == WA_OK && sel->needs_roots) st = prepare_roots(c, err);
    if (st != WA_OK) {
        if (err && err->code == WA_OK) wa_nomem(err);
        ctx_release(c);
    }
    return st;
}

int wa_select_match(const wa_selector *sel, const wa_snapshot *snap, const wa_dom *dom,
                    uint32_t obj) {
    if (!sel) return 1;
    if (obj >= wa_snapshot_n_objects(snap)) return 0;
    ctx c = ctx_bare(sel, snap, dom);
    return eval_node(&c, sel->root, obj);
}

wa_objlist *wa_select_run(const wa_selector *sel, const wa_snapshot *snap, const wa_dom *dom,
                          uint32_t limit, wa_error *err) {
    const uint32_t n = wa_snapshot_n_objects(snap);
    if (sel && sel->needs_dom && !dom) {
        wa_error_set(err, WA_ERR_ARG, NULL, WA_POS_NONE, WA_POS_NONE,
                     "this selector needs retained sizes (compute dominators first)");
        return NULL;
    }
    wa_objlist *l = wa_calloc(1, sizeof *l, err);
    if (!l) return NULL;
    ctx c = ctx_bare(sel, snap, dom);
    if (sel && ctx_prepare(&c, sel, snap, dom, err) != WA_OK) {
        wa_objlist_free(l);
        return NULL;
    }
    int ok = 1;
    size_t cap = 0;
    for (uint32_t v = 0; v < n; v++) {
        if (sel && !eval_node(&c, sel->root, v)) continue;
        l->total++;
        if (limit && l->n >= limit) continue;
        if (l->n == cap) {
            size_t ncap = cap ? cap * 2 : 64;
            uint32_t *o = realloc(l->objs, ncap * sizeof *o);
            if (!o) {
                ok = 0;
                break;
            }
            l->objs = o;
            cap = ncap;
        }
        l->objs[l->n++] = v;
    }
    ctx_release(&c);
    if (!ok) {
        if (err && err->code == WA_OK) wa_nomem(err);
        wa_objlist_free(l);
        return NULL;
    }
    return l;
}

/* ---------------- diffs ---------------- */

/* The diff's keep predicate: the diff asks snapshot by snapshot, so the
 * ctx is prepared once per snapshot, as wa_select_run would. Out of memory
 * while preparing, it answers from a bare ctx: the same answers, slower. */
static int diff_keep(const wa_snapshot *snap, uint32_t obj, void *arg) {
    ctx *c = arg;
    if (c->snap != snap) {
        wa_error scratch;
        wa_error_clear(&scratch);
        ctx_release(c);
        ctx_prepare(c, c->sel, snap, NULL, &scratch); /* failed: bare on snap */
    }
    return eval_node(c, c->sel->root, obj);
}

wa_diff *wa_select_diff(const wa_snapshot *a, const wa_snapshot *b, const wa_snapshot *c,
                        const wa_selector *sel, wa_error *err) {
    if (!sel) return wa_diff_compute(a, b, c, NULL, err);
    if (a && b && sel->needs_dom) {
        wa_error_set(err, WA_ERR_ARG, NULL, WA_POS_NONE, WA_POS_NONE,
                     "a diff selector cannot test retained sizes or reachability");
        return NULL;
    }
    ctx k = ctx_bare(sel, NULL, NULL);
    wa_diff_options o = {diff_keep, &k};
    wa_diff *d = wa_diff_compute(a, b, c, &o, err);
    ctx_release(&k);
    return d;
}

/* ---------------- when nothing matched: did you mean ---------------- */

static const char *last_dot(const char *s) {
    const char *d = strrchr(s, '.');
    return d ? d + 1 : s;
}

/* How a type is best named in a suggestion: its qualname when no other type
 * has the same one, else its full name. */
static const char *type_display(const wa_snapshot *snap, uint32_t t) {
    const char *q = wa_snapshot_type_qualname(snap, t);
    for (uint32_t u = 0; u < wa_snapshot_n_types(snap); u++)
        if (u != t && strcmp(wa_snapshot_type_qualname(snap, u), q) == 0)
            return wa_snapshot_type_name(snap, t);
    return q;
}

/* The type closest to a type name that matched none: equal but for case,
 * the same last dotted part (a module left out or mistyped), then the
 * smallest edit distance of the qualname or the full name. WA_NONE: none. */
static uint32_t closest_type(const wa_snapshot *snap, const char *text) {
    uint32_t nt = wa_snapshot_n_types(snap), best = WA_NONE;
    size_t cap = wa_text_close_enough(strlen(text)), best_d = cap + 1;
    const char *tail = last_dot(text);
    for (uint32_t t = 0; t < nt; t++) {
        const char *full = wa_snapshot_type_name(snap, t), *q = wa_snapshot_type_qualname(snap, t);
        if (wa_text_distance(text, q, 1, 0) == 0 || wa_text_distance(text, full, 1, 0) == 0)
            return t;
        if (tail != text && strcmp(tail, last_dot(q)) == 0) {
            best_d = 0;
            best = t;
            continue;
        }
        size_t d = wa_text_distance(text, q, 1, best_d ? best_d - 1 : 0);
        size_t d2 = wa_text_distance(text, full, 1, best_d ? best_d - 1 : 0);
        if (d2 < d) d = d2;
        if (d < best_d) {
            best_d = d;
            best = t;
        }
    }
    return best;
}

/* The module or package closest to a module name that matched none (every
 * dotted prefix of the dump's module names is a candidate), into out;
 * 0 when none is close. */
static int closest_module(const wa_snapshot *snap, const char *text, char *out, size_t cap) {
    uint32_t nt = wa_snapshot_n_types(snap);
    size_t best_d = wa_text_close_enough(strlen(text)) + 1;
    char cand[256];
    for (uint32_t t = 0; t < nt; t++) {
        const char *m = wa_snapshot_type_module(snap, t);
        for (const char *e = m;; e++) {
            if (*e != '.' && *e != '\0') continue;
            size_t k = (size_t)(e - m);
            if (k > 0 && k < sizeof cand) {
                memcpy(cand, m, k);
                cand[k] = '\0';
                size_t d = wa_text_distance(text, cand, 1, best_d - 1);
                if (d < best_d) {
                    best_d = d;
                    snprintf(out, cap, "%s", cand);
                }
            }
            if (*e == '\0') break;
        }
    }
    return best_d <= wa_text_close_enough(strlen(text));
}

size_t wa_select_suggest(const wa_selector *sel, const wa_snapshot *snap, char *buf, size_t cap) {
    sbuf b = {buf, cap, 0};
    if (cap) buf[0] = '\0';
    if (!sel || !snap) return 0;
    uint32_t nt = wa_snapshot_n_types(snap);
    for (uint32_t i = 0; i < sel->n; i++) {
        const node *x = &sel->nodes[i];
        if (x->kind != N_PRED || (x->f != F_TYPE && x->f != F_MODULE) || x->o != OP_EQ) continue;
        int any = 0;
        for (uint32_t t = 0; t < nt && !any; t++)
            any = x->f == F_TYPE ? match_type_name(x, snap, t)
                                 : match_module(x, wa_snapshot_type_module(snap, t));
        if (any) continue;
        if (b.len) sb_put(&b, "; ");
        sb_put(&b, x->f == F_TYPE ? "no type " : "no module ");
        sb_put(&b, x->glob ? "matches '" : "is named '");
        sb_put(&b, x->text);
        sb_put(&b, "'");
        /* "type:X" is the bare pattern "type:X", not the test type=X */
        const char *colon = strchr(x->text, ':');
        if (x->f == F_TYPE && colon) {
            size_t k = (size_t)(colon - x->text);
            for (size_t f = 0; f < sizeof field_names / sizeof field_names[0]; f++)
                if (strlen(field_names[f].name) == k &&
                    strncmp(field_names[f].name, x->text, k) == 0) {
                    sb_put(&b, "; did you mean '");
                    sb_put(&b, field_names[f].name);
                    sb_put(&b, "=");
                    sb_put(&b, colon + 1);
                    sb_put(&b, "'?");
                    colon = NULL;
                    break;
                }
            if (!colon) continue;
        }
        if (x->glob) continue;
        char mod[256];
        const char *near = NULL;
        if (x->f == F_TYPE) {
            uint32_t t = closest_type(snap, x->text);
            if (t != WA_NONE) near = type_display(snap, t);
        } else if (closest_module(snap, x->text, mod, sizeof mod)) {
            near = mod;
        }
        if (!near) continue;
        sb_put(&b, "; did you mean '");
        sb_put(&b, near);
        sb_put(&b, "'?");
    }
    return b.len;
}
