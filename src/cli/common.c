/* common.c: the option parser, help, errors, loading with progress, tables and
 * JSON output shared by every subcommand (see cli.h). */
#include "cli/cli.h"
#include "whyalive/select.h"
#include "whyalive/text.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* ------------------------------------------------------------------ errors */

/* One line on stderr: prefix, then the message with whatever it quotes
 * (names from a dump, file names, selectors) escaped, so a message can
 * neither break the line nor reach the terminal as a control sequence. */
static void message_line(const char *prefix, const char *fmt, va_list ap) {
    char small[1024];
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    char *text = small;
    if (n >= (int)sizeof small && (text = malloc((size_t)n + 1)) != NULL)
        vsnprintf(text, (size_t)n + 1, fmt, ap2);
    va_end(ap2);
    if (!text) text = small; /* out of memory: the first 1 KiB */
    char *esc = wa_text_escape_dup(text, WA_CLI_MESSAGE_MAX);
    fprintf(stderr, "%s%s\n", prefix, esc ? esc : "(out of memory)");
    free(esc);
    if (text != small) free(text);
}

int wa_cli_fail(int code, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    message_line("whyalive: error: ", fmt, ap);
    va_end(ap);
    return code;
}

int wa_cli_fail_err(int code, wa_error *err) {
    return wa_cli_fail(code, "%s", wa_error_string(err));
}

void wa_cli_note(const wa_cli_common *common, const char *fmt, ...) {
    if (common && common->quiet) return;
    va_list ap;
    va_start(ap, fmt);
    message_line("whyalive: note: ", fmt, ap);
    va_end(ap);
}

int wa_cli_exit_for(wa_status st, int writing) {
    switch (st) {
    case WA_OK: return WA_EXIT_OK;
    case WA_ERR_IO: return writing ? WA_EXIT_OUTPUT : WA_EXIT_INPUT;
    case WA_ERR_FORMAT:
    case WA_ERR_LIMIT:
    case WA_ERR_ARG:
    case WA_ERR_SELECTOR: return WA_EXIT_INPUT;
    case WA_ERR_NOMEM:
    case WA_ERR_RENDER:
    case WA_ERR_UNSUPPORTED: break;
    }
    return WA_EXIT_INTERNAL;
}

/* ------------------------------------------------------------------ sizes */

/* One size syntax everywhere: options take what selectors take. */
int wa_cli_parse_size(const char *s, uint64_t *out) {
    if (!s || !*s) return -1;
    return wa_select_parse_size(s, strlen(s), out);
}

const char *wa_cli_count(uint64_t n, char buf[32]) {
    char tmp[32];
    int len = snprintf(tmp, sizeof tmp, "%" PRIu64, n);
    int out = 0;
    for (int i = 0; i < len; i++) {
        if (i && (len - i) % 3 == 0) buf[out++] = ',';
        buf[out++] = tmp[i];
    }
    buf[out] = '\0';
    return buf;
}

/* ------------------------------------------------------------------ options */

static const wa_option *find_long(const wa_option *opts, const char *name, size_t len) {
    for (const wa_option *o = opts; o && o->name; o++)
        if (strlen(o->name) == len && strncmp(o->name, name, len) == 0) return o;
    return NULL;
}

static int usage_error(const wa_cli_command *cmd, const char *fmt, const char *what);

/* "unknown option '--x'", with the closest long option of either table. */
static int unknown_long(const wa_cli_command *cmd, const wa_option *opts, const wa_option *builtin,
                        const char *arg, const char *name, size_t len) {
    const char *cands[64];
    size_t n = 0;
    for (const wa_option *t = opts; t && t->name && n < 64; t++) cands[n++] = t->name;
    for (const wa_option *t = builtin; t && t->name && n < 64; t++) cands[n++] = t->name;
    char word[64];
    snprintf(word, sizeof word, "%.*s", (int)(len < 63 ? len : 63), name);
    const char *near = len < 63 ? wa_text_closest(word, cands, n) : NULL;
    char fmt[128];
    if (near)
        snprintf(fmt, sizeof fmt, "unknown option '%%s'; did you mean '--%s'?", near);
    else
        snprintf(fmt, sizeof fmt, "unknown option '%%s'");
    return usage_error(cmd, fmt, arg);
}

static const wa_option *find_short(const wa_option *opts, char c) {
    for (const wa_option *o = opts; o && o->name; o++)
        if (o->short_name && o->short_name == c) return o;
    return NULL;
}

static int set_option(const wa_cli_command *cmd, const wa_option *o, const char *arg) {
    char *end = NULL;
    switch (o->kind) {
    case WA_OPT_FLAG: *(int *)o->dest = 1; return 0;
    case WA_OPT_STRING: *(const char **)o->dest = arg; return 0;
    case WA_OPT_UINT:
        errno = 0;
        if (arg[0] == '-' || arg[0] == '\0') break;
        {
            unsigned long long v = strtoull(arg, &end, 10);
            if (errno == ERANGE && !*end) {
                wa_cli_fail(WA_EXIT_INPUT, "%s: --%s: '%s' is too large", cmd->name, o->name, arg);
                return -1;
            }
            if (errno || *end) break;
            *(uint64_t *)o->dest = v;
        }
        return 0;
    case WA_OPT_SIZE:
        if (wa_cli_parse_size(arg, (uint64_t *)o->dest) != 0) {
            wa_cli_fail(WA_EXIT_INPUT,
                        "%s: --%s expects a size such as 512, 10KB or 4MiB, got '%s'", cmd->name,
                        o->name, arg);
            return -1;
        }
        return 0;
    case WA_OPT_DOUBLE:
        errno = 0;
        {
            double v = strtod(arg, &end);
            if (errno || end == arg || *end || !isfinite(v)) break;
            *(double *)o->dest = v;
        }
        return 0;
    }
    wa_cli_fail(WA_EXIT_INPUT, "%s: --%s expects %s, got '%s'", cmd->name, o->name,
                o->kind == WA_OPT_DOUBLE ? "a number" : "a non-negative integer", arg);
    return -1;
}

static int usage_error(const wa_cli_command *cmd, const char *fmt, const char *what) {
    /* what is an argument as given: a file name from a glob can hold
     * anything a dump's name can (fix: it was printed raw) */
    char *esc = wa_text_escape_dup(what, WA_CLI_MESSAGE_MAX);
    fprintf(stderr, "whyalive: error: %s: ", cmd->name);
    fprintf(stderr, fmt, esc ? esc : "?");
    free(esc);
    fprintf(stderr, "\nusage: whyalive %s %s\n(see 'whyalive %s --help')\n", cmd->name, cmd->usage,
            cmd->name);
    return WA_EXIT_INPUT;
}

int wa_cli_parse(const wa_cli_command *cmd, const wa_option *opts, wa_cli_common *common, int argc,
                 char **argv, char **pos, int *npos) {
    wa_cli_common dummy;
    if (!common) common = &dummy;
    memset(common, 0, sizeof *common);
    wa_option builtin[] = {
        {"json", 0, WA_OPT_FLAG, &common->json, NULL, "machine-readable JSON on stdout"},
        {"quiet", 'q', WA_OPT_FLAG, &common->quiet, NULL, "no notes or progress on stderr"},
        {"progress", 0, WA_OPT_FLAG, &common->progress, NULL,
         "show the load progress line even when stderr is not a terminal"},
        {"help", 'h', WA_OPT_FLAG, &common->help, NULL, "show this help"},
        {"no-index", 0, WA_OPT_FLAG, &common->no_index, NULL, "no sidecar index"},
        {0},
    };
    if (!cmd->uses_index) builtin[4] = (wa_option){0};
    *npos = 0;
    int only_pos = 0;
    for (int i = 1; i < argc; i++) {
        char *a = argv[i];
        if (only_pos || a[0] != '-' || a[1] == '\0') {
            pos[(*npos)++] = a;
            continue;
        }
        if (strcmp(a, "--") == 0) {
            only_pos = 1;
            continue;
        }
        const wa_option *o = NULL;
        const char *arg = NULL;
        if (a[1] == '-') {
            const char *name = a + 2;
            const char *eq = strchr(name, '=');
            size_t len = eq ? (size_t)(eq - name) : strlen(name);
            o = find_long(opts, name, len);
            if (!o) o = find_long(builtin, name, len);
            if (!o) return unknown_long(cmd, opts, builtin, a, name, len);
            if (eq) {
                if (o->kind == WA_OPT_FLAG)
                    return usage_error(cmd, "option '%s' takes no value", a);
                arg = eq + 1;
            }
        } else {
            if (a[2] != '\0' &&
                !(find_short(opts, a[1]) && find_short(opts, a[1])->kind != WA_OPT_FLAG))
                return usage_error(cmd, "unknown option '%s' (long options take two dashes)", a);
            o = find_short(opts, a[1]);
            if (!o) o = find_short(builtin, a[1]);
            if (!o) return usage_error(cmd, "unknown option '%s'", a);
            if (a[2] != '\0') arg = a + 2;
        }
        if (o->kind != WA_OPT_FLAG && !arg) {
            if (i + 1 >= argc) return usage_error(cmd, "option '%s' needs a value", a);
            arg = argv[++i];
        }
        if (set_option(cmd, o, arg) != 0) return WA_EXIT_INPUT;
    }
    if (common->help) {
        wa_cli_help(cmd, opts, stdout);
        return WA_EXIT_OK;
    }
    if (*npos < cmd->min_args) return usage_error(cmd, "%s", "missing argument");
    if (cmd->max_args >= 0 && *npos > cmd->max_args)
        return usage_error(cmd, "unexpected argument '%s'", pos[cmd->max_args]);
    return WA_CLI_CONTINUE;
}

static void help_options(const wa_option *opts, FILE *f) {
    for (const wa_option *o = opts; o && o->name; o++) {
        char left[80];
        int n = 0;
        if (o->short_name)
            n = snprintf(left, sizeof left, "  -%c, --%s", o->short_name, o->name);
        else
            n = snprintf(left, sizeof left, "      --%s", o->name);
        if (o->kind != WA_OPT_FLAG && n > 0 && (size_t)n < sizeof left)
            snprintf(left + n, sizeof left - (size_t)n, " %s",
                     o->metavar ? o->metavar : (o->kind == WA_OPT_STRING ? "ARG" : "N"));
        if (strlen(left) >= 26)
            fprintf(f, "%s\n%26s%s\n", left, "", o->help ? o->help : "");
        else
            fprintf(f, "%-26s%s\n", left, o->help ? o->help : "");
    }
}

void wa_cli_help(const wa_cli_command *cmd, const wa_option *opts, FILE *f) {
    fprintf(f, "usage: whyalive %s %s\n\n%s.\n", cmd->name, cmd->usage, cmd->summary);
    if (cmd->description) fprintf(f, "\n%s\n", cmd->description);
    fprintf(f, "\noptions:\n");
    help_options(opts, f);
    wa_option common[] = {
        {"json", 0, WA_OPT_FLAG, NULL, NULL,
         "machine-readable JSON on stdout (whyalive help json)"},
        {"quiet", 'q', WA_OPT_FLAG, NULL, NULL, "no notes or progress on stderr"},
        {"progress", 0, WA_OPT_FLAG, NULL, NULL, "show the load progress line even off a terminal"},
        {"help", 'h', WA_OPT_FLAG, NULL, NULL, "show this help"},
        {"no-index", 0, WA_OPT_FLAG, NULL, NULL,
         "neither read nor write SNAP.wai, the index that keeps dominators\n"
         "                          and paths for the next command (or WHYALIVE_NO_INDEX=1)"},
        {0},
    };
    if (!cmd->uses_index) common[4] = (wa_option){0};
    help_options(common, f);
    fprintf(f, "\nexit codes: 0 ok, 1 a --fail-on check failed, 2 bad input or usage,\n"
               "3 output not written, 4 internal error. Selectors: whyalive help selectors.\n");
}

/* ------------------------------------------------------------------ loading */

typedef struct progress_state {
    const char *path;
    int enabled;
    int shown;
    struct timespec start;
} progress_state;

static double since(const struct timespec *t0) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - t0->tv_sec) + (double)(now.tv_nsec - t0->tv_nsec) / 1e9;
}

static int on_progress(void *ctx, uint64_t done, uint64_t total) {
    progress_state *p = ctx;
    if (!p->enabled) return 0;
    double t = since(&p->start);
    if (t < 1.0) return 0;
    char a[32], b[32];
    fprintf(stderr, "\rwhyalive: loading %s: %3.0f%% (%s of %s, %.1f s)", p->path,
            total ? 100.0 * (double)done / (double)total : 0.0, wa_size_text(done, 2, a),
            wa_size_text(total, 2, b), t);
    fflush(stderr);
    p->shown = 1;
    return 0;
}

wa_snapshot *wa_cli_load(const char *path, const wa_cli_common *common, int *exit_code) {
    /* standard input can be read once per command */
    static int stdin_used;
    if (strcmp(path, "-") == 0) {
        if (stdin_used) {
            *exit_code = wa_cli_fail(WA_EXIT_INPUT,
                                     "'-' (standard input) can be given only once per command");
            return NULL;
        }
        stdin_used = 1;
    }
    progress_state p = {path, 0, 0, {0, 0}};
    p.enabled = !common->quiet && (common->progress || isatty(STDERR_FILENO));
    /* the progress line names the file: escaped like everything else */
    char *shown = p.enabled ? wa_text_escape_dup(path, 200) : NULL;
    if (shown) p.path = shown;
    clock_gettime(CLOCK_MONOTONIC, &p.start);
    wa_load_options lo = {WA_FORMAT_AUTO, on_progress, &p, 0};
    wa_error err;
    wa_error_clear(&err);
    wa_snapshot *snap = wa_snapshot_load(path, &lo, &err);
    if (p.shown) fprintf(stderr, "\r\033[K");
    free(shown);
    if (!snap) {
        *exit_code = wa_cli_fail_err(wa_cli_exit_for(err.code, 0), &err);
        return NULL;
    }
    *exit_code = WA_EXIT_OK;
    return snap;
}

/* ------------------------------------------------------------------ tables */

struct wa_table {
    int ncols;
    char **headers;
    wa_align *align;
    int *maxw;
    char **cells; /* rows * ncols */
    size_t rows, cap;
};

wa_table *wa_table_new(int ncols) {
    wa_table *t = calloc(1, sizeof *t);
    if (!t) return NULL;
    t->ncols = ncols;
    t->headers = calloc((size_t)ncols, sizeof(char *));
    t->align = calloc((size_t)ncols, sizeof(wa_align));
    t->maxw = calloc((size_t)ncols, sizeof(int));
    if (!t->headers || !t->align || !t->maxw) {
        wa_table_free(t);
        return NULL;
    }
    return t;
}

void wa_table_col(wa_table *t, int col, const char *header, wa_align align, int max_width) {
    if (!t || col < 0 || col >= t->ncols) return;
    free(t->headers[col]);
    t->headers[col] = strdup(header ? header : "");
    t->align[col] = align;
    t->maxw[col] = max_width;
}

void wa_table_row(wa_table *t, const char *const *cells) {
    if (!t) return;
    if (t->rows == t->cap) {
        size_t nc = t->cap ? t->cap * 2 : 64;
        char **n = realloc(t->cells, nc * (size_t)t->ncols * sizeof(char *));
        if (!n) return;
        t->cells = n;
        t->cap = nc;
    }
    for (int c = 0; c < t->ncols; c++)
        t->cells[t->rows * (size_t)t->ncols + (size_t)c] = strdup(cells[c] ? cells[c] : "");
    t->rows++;
}

size_t wa_table_rows(const wa_table *t) { return t ? t->rows : 0; }

/* Display width of UTF-8 text: one column per code point (good enough for
 * type names and labels; wide CJK glyphs are rare in them). */
int wa_cli_width(const char *s) {
    int w = 0;
    for (; *s; s++)
        if (((unsigned char)*s & 0xC0) != 0x80) w++;
    return w;
}

/* Cut s to at most w columns, ending with "...", into out. */
static void cut(const char *s, int w, char *out, size_t cap) {
    int width = wa_cli_width(s);
    if (w <= 0 || width <= w) {
        snprintf(out, cap, "%s", s);
        return;
    }
    int keep = w > 3 ? w - 3 : 0, cols = 0;
    size_t i = 0;
    while (s[i] && cols < keep) {
        i++;
        while (((unsigned char)s[i] & 0xC0) == 0x80) i++;
        cols++;
    }
    snprintf(out, cap, "%.*s...", (int)i, s);
}

void wa_table_print(const wa_table *t, FILE *f) {
    if (!t) return;
    int *w = calloc((size_t)t->ncols, sizeof(int));
    if (!w) return;
    size_t bufcap = 4096;
    char *buf = malloc(bufcap);
    if (!buf) {
        free(w);
        return;
    }
    for (int c = 0; c < t->ncols; c++) w[c] = wa_cli_width(t->headers[c] ? t->headers[c] : "");
    for (size_t r = 0; r < t->rows; r++)
        for (int c = 0; c < t->ncols; c++) {
            int cw = wa_cli_width(t->cells[r * (size_t)t->ncols + (size_t)c]);
            if (t->maxw[c] && cw > t->maxw[c]) cw = t->maxw[c];
            if (cw > w[c]) w[c] = cw;
        }
    for (size_t r = 0; r <= t->rows; r++) {
        for (int c = 0; c < t->ncols; c++) {
            const char *cell = r == 0 ? (t->headers[c] ? t->headers[c] : "")
                                      : t->cells[(r - 1) * (size_t)t->ncols + (size_t)c];
            cut(cell, t->maxw[c], buf, bufcap);
            int pad = w[c] - wa_cli_width(buf);
            int last = c == t->ncols - 1;
            if (t->align[c] == WA_RIGHT)
                fprintf(f, "%*s%s", pad, "", buf);
            else
                fprintf(f, "%s%*s", buf, last ? 0 : pad, "");
            if (!last) fputs("  ", f);
        }
        fputc('\n', f);
    }
    free(buf);
    free(w);
}

void wa_table_free(wa_table *t) {
    if (!t) return;
    for (int c = 0; c < t->ncols; c++) free(t->headers ? t->headers[c] : NULL);
    for (size_t i = 0; i < t->rows * (size_t)t->ncols; i++) free(t->cells[i]);
    free(t->cells);
    free(t->headers);
    free(t->align);
    free(t->maxw);
    free(t);
}

void wa_cli_cut_fit(char *buf, size_t cap) {
    if (cap < 4) {
        if (cap) buf[0] = '\0';
        return;
    }
    /* buf[n] is the first byte dropped: when it continues a sequence, the
     * sequence's start goes too */
    size_t n = cap - 4;
    for (int k = 0; k < 3 && n > 0 && ((unsigned char)buf[n] & 0xC0) == 0x80; k++) n--;
    memcpy(buf + n, "...", 4);
}

/* ------------------------------------------------------------------ JSON */

int wa_cli_json_out(cJSON *doc) {
    if (!doc) return wa_cli_fail(WA_EXIT_INTERNAL, "out of memory building JSON output");
    char *text = isatty(STDOUT_FILENO) ? cJSON_Print(doc) : cJSON_PrintUnformatted(doc);
    cJSON_Delete(doc);
    if (!text) return wa_cli_fail(WA_EXIT_INTERNAL, "out of memory printing JSON output");
    fputs(text, stdout);
    fputc('\n', stdout);
    cJSON_free(text);
    return wa_cli_finish_output(WA_EXIT_OK);
}

/* Strings are escaped in place, depth first; a document nests as deep as
 * the retainers tree (WA_RETAINERS_MAX_DEPTH levels) at most, so the
 * recursion is bounded by the document's shape, not the heap's. */
static int escape_tree(cJSON *j) {
    for (cJSON *c = j; c; c = c->next) {
        /* The graph document's DOT text is printed as it is: the renderer
         * already made every label in it inert (src/render/scene.c). */
        if (c->string && strcmp(c->string, "dot") == 0) continue;
        if (cJSON_IsString(c) && c->valuestring &&
            !wa_text_is_plain(c->valuestring, strlen(c->valuestring))) {
            char *esc = wa_text_escape_dup(c->valuestring, 0);
            if (!esc || !cJSON_SetValuestring(c, esc)) {
                free(esc);
                return -1;
            }
            free(esc);
        }
        if (c->child && escape_tree(c->child) != 0) return -1;
    }
    return 0;
}

int wa_cli_escape_doc(const cJSON *doc) {
    /* The document belongs to the caller's view, made to be printed. */
    return doc ? escape_tree(((cJSON *)doc)->child) : 0;
}

int wa_cli_view_out(wa_view *view) {
    char *text = wa_view_json(view, isatty(STDOUT_FILENO));
    wa_view_free(view);
    if (!text) return wa_cli_fail(WA_EXIT_INTERNAL, "out of memory printing JSON output");
    fputs(text, stdout);
    fputc('\n', stdout);
    cJSON_free(text);
    return wa_cli_finish_output(WA_EXIT_OK);
}

const cJSON *wa_j_get(const cJSON *obj, const char *key) {
    return obj ? cJSON_GetObjectItemCaseSensitive(obj, key) : NULL;
}

uint64_t wa_j_u64(const cJSON *obj, const char *key) {
    const cJSON *v = wa_j_get(obj, key);
    if (cJSON_IsNumber(v)) return v->valuedouble > 0 ? (uint64_t)v->valuedouble : 0;
    if (cJSON_IsString(v)) return strtoull(v->valuestring, NULL, 10);
    return 0;
}

double wa_j_num(const cJSON *obj, const char *key) {
    const cJSON *v = wa_j_get(obj, key);
    return cJSON_IsNumber(v) ? v->valuedouble : 0.0;
}

const char *wa_j_str(const cJSON *obj, const char *key) {
    const cJSON *v = wa_j_get(obj, key);
    return cJSON_IsString(v) ? v->valuestring : "";
}

int wa_j_bool(const cJSON *obj, const char *key) { return cJSON_IsTrue(wa_j_get(obj, key)); }

int wa_cli_finish_output(int code) {
    if (fflush(stdout) != 0 || ferror(stdout)) {
        if (errno == EPIPE) return code;
        return wa_cli_fail(WA_EXIT_OUTPUT, "could not write to standard output: %s",
                           strerror(errno));
    }
    return code;
}
