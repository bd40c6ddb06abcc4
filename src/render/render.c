/*
 * render.c: the public entry points of whyalive/render.h: resolve options,
 * make sure the analyses exist, run a mode into a scene, turn the scene into
 * DOT, and DOT into an image written atomically.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "render/scene.h"

static const char *const mode_names[] = {"auto", "backrefs", "paths", "dominators"};
static const char *const format_names[] = {"auto", "dot", "svg", "png", "pdf"};
/* Engines Graphviz ships; anything else is a typo, caught before a layout. */
static const char *const engines[] = {"dot",   "neato", "fdp",   "sfdp",
                                      "twopi", "circo", "osage", "patchwork"};

void wa_render_options_init(wa_render_options *o) {
    memset(o, 0, sizeof *o);
    o->mode = WA_RENDER_AUTO;
    o->max_nodes = WA_RENDER_DEFAULT_MAX_NODES;
    o->depth = WA_RENDER_DEFAULT_DEPTH;
    o->fan_in = WA_RENDER_DEFAULT_FAN_IN;
    o->max_paths = WA_RENDER_DEFAULT_PATHS;
    o->children = WA_RENDER_DEFAULT_CHILDREN;
    o->sfdp_above = WA_RENDER_DEFAULT_SFDP_ABOVE;
}

static void resolve(const wa_render_options *in, wa_render_options *out) {
    wa_render_options d;
    wa_render_options_init(&d);
    *out = in ? *in : d;
    if (!out->max_nodes) out->max_nodes = d.max_nodes;
    if (!out->depth) out->depth = d.depth;
    if (!out->fan_in) out->fan_in = d.fan_in;
    if (!out->max_paths) out->max_paths = d.max_paths;
    if (!out->children) out->children = d.children;
    if (!out->sfdp_above) out->sfdp_above = d.sfdp_above;
    if (out->engine && !out->engine[0]) out->engine = NULL;
}

static int ends_with(const char *s, const char *suffix) {
    size_t n = strlen(s), m = strlen(suffix);
    if (n < m) return 0;
    for (size_t i = 0; i < m; i++) {
        char c = s[n - m + i];
        if (c >= 'A' && c <= 'Z') c = (char)(c - 'A' + 'a');
        if (c != suffix[i]) return 0;
    }
    return 1;
}

wa_render_format wa_render_format_from_path(const char *path) {
    if (!path) return WA_RENDER_FMT_AUTO;
    if (ends_with(path, ".dot") || ends_with(path, ".gv")) return WA_RENDER_FMT_DOT;
    if (ends_with(path, ".svg")) return WA_RENDER_FMT_SVG;
    if (ends_with(path, ".png")) return WA_RENDER_FMT_PNG;
    if (ends_with(path, ".pdf")) return WA_RENDER_FMT_PDF;
    return WA_RENDER_FMT_AUTO;
}

const char *wa_render_format_name(wa_render_format f) {
    return (unsigned)f <= WA_RENDER_FMT_PDF ? format_names[f] : "auto";
}

wa_render_format wa_render_format_parse(const char *name) {
    for (int i = 1; name && i <= WA_RENDER_FMT_PDF; i++)
        if (strcmp(name, format_names[i]) == 0) return (wa_render_format)i;
    if (name && strcmp(name, "gv") == 0) return WA_RENDER_FMT_DOT;
    return WA_RENDER_FMT_AUTO;
}

const char *wa_render_mode_name(wa_render_mode m) {
    return (unsigned)m <= WA_RENDER_DOMINATORS ? mode_names[m] : "auto";
}

int wa_render_mode_parse(const char *name) {
    for (int i = 0; name && i <= WA_RENDER_DOMINATORS; i++)
        if (strcmp(name, mode_names[i]) == 0) return i;
    return -1;
}

void wa_render_free(void *p) { free(p); }

/* Caption lines every mode shares: what the caps left out. */
static void caption_cuts(wa_scene *sc) {
    const wa_render_stats *s = sc->stats;
    const char *what = s->mode == WA_RENDER_DOMINATORS ? "dominated objects" : "referrers";
    if (s->cut_max_nodes)
        wa_scene_caption(sc, "not drawn: %llu object%s beyond max-nodes %u",
                         (unsigned long long)s->cut_max_nodes, s->cut_max_nodes == 1 ? "" : "s",
                         sc->opts.max_nodes);
    if (s->cut_depth)
        wa_scene_caption(sc, "not followed: %llu referrer%s beyond depth %u",
                         (unsigned long long)s->cut_depth, s->cut_depth == 1 ? "" : "s",
                         sc->opts.depth);
    if (s->collapsed_nodes)
        wa_scene_caption(sc, "collapsed: %llu %s into %u \"more\" node%s (%s %u)",
                         (unsigned long long)s->collapsed, what, s->collapsed_nodes,
                         s->collapsed_nodes == 1 ? "" : "s",
                         s->mode == WA_RENDER_DOMINATORS ? "children" : "fan-in",
                         s->mode == WA_RENDER_DOMINATORS ? sc->opts.children : sc->opts.fan_in);
}

typedef struct job {
    wa_scene sc;
    const char *engine;
    wa_render_stats stats;
} job;

static void job_free(job *j) { wa_scene_free(&j->sc); }

static wa_status build(job *j, wa_session *session, const uint32_t *sel, size_t n_sel,
                       const wa_render_options *opts_in, wa_error *err) {
    memset(j, 0, sizeof *j);
    wa_render_options opts;
    resolve(opts_in, &opts);
    if (!session)
        return wa_error_set(err, WA_ERR_ARG, NULL, WA_POS_NONE, WA_POS_NONE, "no snapshot");
    const wa_snapshot *snap = wa_session_snapshot(session);
    if (n_sel == 0 || !sel)
        return wa_error_set(err, WA_ERR_ARG, NULL, WA_POS_NONE, WA_POS_NONE,
                            "nothing selected to draw");
    uint32_t n = wa_snapshot_n_objects(snap);
    for (size_t i = 0; i < n_sel; i++)
        if (sel[i] >= n)
            return wa_error_set(err, WA_ERR_ARG, NULL, WA_POS_NONE, WA_POS_NONE,
                                "selected object index %u is out of range (%u objects)", sel[i], n);
    if ((unsigned)opts.mode > WA_RENDER_DOMINATORS)
        return wa_error_set(err, WA_ERR_ARG, NULL, WA_POS_NONE, WA_POS_NONE,
                            "unknown graph mode %d", (int)opts.mode);
    if ((unsigned)opts.format > WA_RENDER_FMT_PDF)
        return wa_error_set(err, WA_ERR_ARG, NULL, WA_POS_NONE, WA_POS_NONE,
                            "unknown output format %d", (int)opts.format);
    if (opts.engine) {
        int ok = 0;
        for (size_t i = 0; i < sizeof engines / sizeof engines[0]; i++)
            ok |= strcmp(opts.engine, engines[i]) == 0;
        if (!ok)
            return wa_error_set(err, WA_ERR_ARG, NULL, WA_POS_NONE, WA_POS_NONE,
                                "unknown layout engine '%s' (expected dot, sfdp, neato, fdp, "
                                "twopi, circo, osage or patchwork)",
                                opts.engine);
    }
    if (opts.mode == WA_RENDER_AUTO)
        opts.mode = n_sel > WA_RENDER_AUTO_PATHS_ABOVE ? WA_RENDER_PATHS : WA_RENDER_BACKREFS;

    const wa_dom *dom = wa_session_dom(session, err);
    if (!dom) return err ? err->code : WA_ERR_NOMEM;
    const wa_path_tree *tree = wa_session_tree(session, err);
    if (!tree) return err ? err->code : WA_ERR_NOMEM;

    wa_scene_init(&j->sc, snap, &opts, &j->stats);
    j->sc.dom = dom;
    j->sc.tree = tree;
    j->stats.mode = opts.mode;
    wa_status st;
    switch (opts.mode) {
    case WA_RENDER_PATHS: st = wa_render_paths(&j->sc, sel, n_sel, err); break;
    case WA_RENDER_DOMINATORS: st = wa_render_dominators(&j->sc, sel, n_sel, err); break;
    default: st = wa_render_backrefs(&j->sc, sel, n_sel, err); break;
    }
    if (st != WA_OK) return st;
    if (!wa_scene_finish(&j->sc))
        return wa_error_set(err, WA_ERR_NOMEM, NULL, WA_POS_NONE, WA_POS_NONE,
                            "out of memory finishing the picture");
    caption_cuts(&j->sc);
    j->engine = opts.engine ? opts.engine : (j->sc.n_nodes > opts.sfdp_above ? "sfdp" : "dot");
    snprintf(j->stats.engine, sizeof j->stats.engine, "%s", j->engine);
    return WA_OK;
}

static char *dot_text(job *j, size_t *len, wa_error *err) {
    wa_buf out = {0};
    wa_render_write_dot(&j->sc, j->engine, &out);
    if (out.failed || j->sc.failed) {
        wa_buf_free(&out);
        wa_error_set(err, WA_ERR_NOMEM, NULL, WA_POS_NONE, WA_POS_NONE,
                     "out of memory writing DOT");
        return NULL;
    }
    if (len) *len = out.len;
    return out.data;
}

char *wa_render_dot(wa_session *session, const uint32_t *sel, size_t n_sel,
                    const wa_render_options *opts, size_t *len, wa_render_stats *stats,
                    wa_error *err) {
    job j;
    char *text = NULL;
    if (build(&j, session, sel, n_sel, opts, err) == WA_OK) {
        text = dot_text(&j, len, err);
        j.stats.format = WA_RENDER_FMT_DOT;
        if (text && len) j.stats.bytes = *len;
        if (stats) *stats = j.stats;
    }
    job_free(&j);
    return text;
}

wa_status wa_render_data(wa_session *session, const uint32_t *sel, size_t n_sel,
                         const wa_render_options *opts, char **data, size_t *len,
                         wa_render_stats *stats, wa_error *err) {
    *data = NULL;
    *len = 0;
    wa_render_format fmt = opts ? opts->format : WA_RENDER_FMT_AUTO;
    if (fmt == WA_RENDER_FMT_AUTO || (unsigned)fmt > WA_RENDER_FMT_PDF)
        return wa_error_set(err, WA_ERR_ARG, NULL, WA_POS_NONE, WA_POS_NONE,
                            "an output format is needed (dot, svg, png or pdf)");
    job j;
    wa_status st = build(&j, session, sel, n_sel, opts, err);
    size_t dlen = 0;
    char *dot = st == WA_OK ? dot_text(&j, &dlen, err) : NULL;
    if (st == WA_OK && !dot) st = err ? err->code : WA_ERR_NOMEM;
    if (st == WA_OK && fmt == WA_RENDER_FMT_DOT) {
        *data = dot;
        *len = dlen;
        dot = NULL;
    } else if (st == WA_OK) {
        st = wa_render_gv(dot, j.engine, wa_render_format_name(fmt), data, len, err);
    }
    j.stats.format = fmt;
    j.stats.bytes = *len;
    if (st == WA_OK && stats) *stats = j.stats;
    free(dot);
    job_free(&j);
    return st;
}

/* Write data to path whole or not at all: a temporary file next to it, then
 * rename. The temporary file is created before the (slow) layout so that an
 * unwritable directory fails at once. */
typedef struct atomic_out {
    char *tmp;
    int fd;
} atomic_out;

static wa_status atomic_open(atomic_out *a, const char *path, wa_error *err) {
    a->fd = -1;
    a->tmp = NULL;
    struct stat st;
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
        return wa_error_set(err, WA_ERR_IO, path, WA_POS_NONE, WA_POS_NONE,
                            "is a directory, not an output file");
    const char *slash = strrchr(path, '/');
    size_t dir_len = slash ? (size_t)(slash - path) + 1 : 0;
    const char *base = slash ? slash + 1 : path;
    if (!base[0])
        return wa_error_set(err, WA_ERR_ARG, path, WA_POS_NONE, WA_POS_NONE,
                            "output path names a directory, not a file");
    size_t cap = strlen(path) + 16;
    a->tmp = malloc(cap);
    if (!a->tmp)
        return wa_error_set(err, WA_ERR_NOMEM, path, WA_POS_NONE, WA_POS_NONE, "out of memory");
    /* hidden, next to the target: same file system, so rename is atomic */
    snprintf(a->tmp, cap, "%.*s.%s.XXXXXX", (int)dir_len, path, base);
    a->fd = mkstemp(a->tmp);
    if (a->fd < 0) {
        int e = errno;
        free(a->tmp);
        a->tmp = NULL;
        return wa_error_set(err, WA_ERR_IO, path, WA_POS_NONE, WA_POS_NONE, "cannot create: %s",
                            strerror(e));
    }
    return WA_OK;
}

static void atomic_abort(atomic_out *a) {
    if (a->fd >= 0) close(a->fd);
    if (a->tmp) unlink(a->tmp);
    free(a->tmp);
    a->fd = -1;
    a->tmp = NULL;
}

static wa_status atomic_commit(atomic_out *a, const char *path, const char *data, size_t len,
                               wa_error *err) {
    size_t done = 0;
    while (done < len) {
        ssize_t w = write(a->fd, data + done, len - done);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) {
            int e = w < 0 ? errno : EIO;
            atomic_abort(a);
            return wa_error_set(err, WA_ERR_IO, path, WA_POS_NONE, WA_POS_NONE, "cannot write: %s",
                                strerror(e));
        }
        done += (size_t)w;
    }
    if (fsync(a->fd) != 0 && errno != EINVAL) {
        int e = errno;
        atomic_abort(a);
        return wa_error_set(err, WA_ERR_IO, path, WA_POS_NONE, WA_POS_NONE, "cannot sync: %s",
                            strerror(e));
    }
    int fd = a->fd;
    a->fd = -1;
    if (close(fd) != 0 || rename(a->tmp, path) != 0) {
        int e = errno;
        atomic_abort(a);
        return wa_error_set(err, WA_ERR_IO, path, WA_POS_NONE, WA_POS_NONE, "cannot write: %s",
                            strerror(e));
    }
    free(a->tmp);
    a->tmp = NULL;
    return WA_OK;
}

wa_status wa_render_graph(wa_session *session, const uint32_t *sel, size_t n_sel,
                          const wa_render_options *opts, const char *out_path,
                          wa_render_stats *stats, wa_error *err) {
    if (!out_path || !out_path[0])
        return wa_error_set(err, WA_ERR_ARG, NULL, WA_POS_NONE, WA_POS_NONE,
                            "no output path given");
    wa_render_options o;
    resolve(opts, &o);
    if ((unsigned)o.format > WA_RENDER_FMT_PDF)
        return wa_error_set(err, WA_ERR_ARG, out_path, WA_POS_NONE, WA_POS_NONE,
                            "unknown output format %d", (int)o.format);
    if (o.format == WA_RENDER_FMT_AUTO) o.format = wa_render_format_from_path(out_path);
    if (o.format == WA_RENDER_FMT_AUTO)
        return wa_error_set(err, WA_ERR_ARG, out_path, WA_POS_NONE, WA_POS_NONE,
                            "unknown output format: name the file .dot, .svg, .png or .pdf, "
                            "or give a format");
    atomic_out a;
    wa_status st = atomic_open(&a, out_path, err);
    if (st != WA_OK) return st;
    char *data = NULL;
    size_t len = 0;
    wa_render_stats s;
    st = wa_render_data(session, sel, n_sel, &o, &data, &len, &s, err);
    if (st == WA_OK)
        st = atomic_commit(&a, out_path, data, len, err);
    else
        atomic_abort(&a);
    free(data);
    if (st == WA_OK && stats) *stats = s;
    return st;
}
