/*
 * snapshot.c: accessors of the in-memory graph, the reverse CSR and the lazy
 * address index. Readers fill a wa_snapshot from wa_snapshot_alloc(); after
 * that nothing here mutates it except the address index, built once under
 * addr_once.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/snapshot_impl.h"
#include "core/util.h"

static const char empty_blob[1] = "";
static const uint64_t empty_str_off[2] = {0, 1};
static const uint32_t zero_off[1] = {0};

struct wa_snapshot *wa_snapshot_alloc(wa_error *err) {
    struct wa_snapshot *s = calloc(1, sizeof *s);
    if (!s) {
        wa_error_set(err, WA_ERR_NOMEM, NULL, WA_POS_NONE, WA_POS_NONE,
                     "out of memory allocating a snapshot");
        return NULL;
    }
    wa_arena_init(&s->arena);
    pthread_once_t once = PTHREAD_ONCE_INIT;
    s->addr_once = once;
    s->n_strings = 1;
    s->str_off = empty_str_off;
    s->str_blob = empty_blob;
    s->out_off = zero_off;
    s->in_off = zero_off;
    s->meta.format_version = 1;
    s->meta.tool_version = s->meta.python_version = s->meta.implementation = "";
    s->meta.host = s->meta.time = "";
    s->meta.pid = -1;
    return s;
}

void wa_snapshot_free(wa_snapshot *snap) {
    if (!snap) return;
    free(snap->addr_slots);
    wa_arena_free(&snap->arena);
    free(snap);
}

uint32_t wa_snapshot_n_objects(const wa_snapshot *s) { return s->n_objects; }
uint32_t wa_snapshot_n_edges(const wa_snapshot *s) { return s->n_edges; }
uint32_t wa_snapshot_n_roots(const wa_snapshot *s) { return s->n_roots; }
uint32_t wa_snapshot_n_types(const wa_snapshot *s) { return s->n_types; }
uint32_t wa_snapshot_n_strings(const wa_snapshot *s) { return s->n_strings; }
uint64_t wa_snapshot_dangling(const wa_snapshot *s) { return s->dangling; }
uint64_t wa_snapshot_total_size(const wa_snapshot *s) { return s->total_size; }
uint64_t wa_snapshot_memory(const wa_snapshot *s) { return s->arena.bytes; }
const wa_object *wa_snapshot_objects(const wa_snapshot *s) { return s->objects; }
const wa_type *wa_snapshot_types(const wa_snapshot *s) { return s->types; }
const wa_root *wa_snapshot_roots(const wa_snapshot *s) { return s->roots; }
const uint32_t *wa_snapshot_out_offsets(const wa_snapshot *s) { return s->out_off; }
const wa_edge *wa_snapshot_edges(const wa_snapshot *s) { return s->edges; }
const uint32_t *wa_snapshot_in_offsets(const wa_snapshot *s) { return s->in_off; }
const uint32_t *wa_snapshot_in_sources(const wa_snapshot *s) { return s->in_src; }
const wa_meta *wa_snapshot_meta(const wa_snapshot *s) { return &s->meta; }

const char *wa_snapshot_string(const wa_snapshot *s, uint32_t id) {
    if (id >= s->n_strings) return "";
    return s->str_blob + s->str_off[id];
}

const char *wa_snapshot_type_name(const wa_snapshot *s, uint32_t type) {
    return type < s->n_types ? wa_snapshot_string(s, s->types[type].name) : "";
}

const char *wa_snapshot_type_module(const wa_snapshot *s, uint32_t type) {
    return type < s->n_types ? wa_snapshot_string(s, s->types[type].module) : "";
}

const char *wa_type_display(const char *full) {
    return strncmp(full, "builtins.", 9) == 0 ? full + 9 : full;
}

const char *wa_snapshot_type_display(const wa_snapshot *s, uint32_t type) {
    return wa_type_display(wa_snapshot_type_name(s, type));
}

const char *wa_snapshot_type_qualname(const wa_snapshot *s, uint32_t type) {
    const char *full = wa_snapshot_type_name(s, type), *mod = wa_snapshot_type_module(s, type);
    size_t ml = strlen(mod);
    if (ml && strncmp(full, mod, ml) == 0 && full[ml] == '.') return full + ml + 1;
    return full;
}

const char *wa_snapshot_site(const wa_snapshot *s, uint32_t obj) {
    uint32_t lo = 0, hi = s->n_sites;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        uint32_t o = s->site_pairs[2 * (size_t)mid];
        if (o == obj) return wa_snapshot_string(s, s->site_pairs[2 * (size_t)mid + 1]);
        if (o < obj)
            lo = mid + 1;
        else
            hi = mid;
    }
    return "";
}

uint32_t wa_snapshot_out(const wa_snapshot *s, uint32_t obj, const wa_edge **edges) {
    if (obj >= s->n_objects) {
        if (edges) *edges = s->edges;
        return 0;
    }
    if (edges) *edges = s->edges + s->out_off[obj];
    return s->out_off[obj + 1] - s->out_off[obj];
}

uint32_t wa_snapshot_in(const wa_snapshot *s, uint32_t obj, const uint32_t **sources) {
    if (obj >= s->n_objects) {
        if (sources) *sources = s->in_src;
        return 0;
    }
    if (sources) *sources = s->in_src + s->in_off[obj];
    return s->in_off[obj + 1] - s->in_off[obj];
}

uint32_t wa_snapshot_edge_label(const wa_snapshot *s, uint32_t src, uint32_t dst,
                                uint32_t occurrence) {
    const wa_edge *e;
    uint32_t n = wa_snapshot_out(s, src, &e);
    for (uint32_t i = 0; i < n; i++)
        if (e[i].to == dst && occurrence-- == 0) return e[i].label;
    return WA_LABEL(WA_EDGE_OTHER, 0);
}

uint32_t *wa_snapshot_in_labels(const wa_snapshot *s, wa_error *err) {
    uint32_t n = s->n_objects;
    uint32_t *lab = malloc((size_t)(s->n_edges ? s->n_edges : 1) * sizeof *lab);
    uint32_t *at = malloc((size_t)(n ? n : 1) * sizeof *at);
    if (!lab || !at) {
        free(lab);
        free(at);
        wa_error_set(err, WA_ERR_NOMEM, NULL, WA_POS_NONE, WA_POS_NONE,
                     "out of memory listing the labels of the reverse edges");
        return NULL;
    }
    /* the reverse index lists each object's referrers in source order
     * (wa_snapshot_reverse_from_counts), the order of this walk */
    if (n) memcpy(at, s->in_off, (size_t)n * sizeof *at);
    for (uint32_t u = 0; u < n; u++)
        for (uint32_t e = s->out_off[u]; e < s->out_off[u + 1]; e++)
            lab[at[s->edges[e].to]++] = s->edges[e].label;
    free(at);
    return lab;
}

/* ---------------- address index ---------------- */

/* pthread_once takes no argument: the snapshot travels in a thread-local. The
 * thread that runs the init routine is the one that set it. */
static _Thread_local struct wa_snapshot *tls_index_target;

uint32_t *wa_addr_index_build(const wa_object *objs, uint32_t n, uint64_t *mask_out,
                              uint32_t *dup_a, uint32_t *dup_b) {
    uint64_t cap = 16;
    while (cap < (uint64_t)n * 2) cap *= 2;
    uint32_t *slots = malloc((size_t)cap * sizeof *slots);
    if (!slots) return NULL;
    memset(slots, 0xFF, (size_t)cap * sizeof *slots);
    uint64_t mask = cap - 1;
    for (uint32_t i = 0; i < n; i++) {
        uint64_t a = objs[i].addr;
        uint64_t h = wa_hash_u64(a) & mask;
        for (;;) {
            uint32_t j = slots[h];
            if (j == WA_NONE) {
                slots[h] = i;
                break;
            }
            if (objs[j].addr == a) {
                if (dup_a) {
                    *dup_a = j;
                    *dup_b = i;
                    free(slots);
                    return NULL;
                }
                break; /* keep the first */
            }
            h = (h + 1) & mask;
        }
    }
    *mask_out = mask;
    return slots;
}

static void build_addr_index(void) {
    struct wa_snapshot *s = tls_index_target;
    if (s->addr_slots) return; /* handed over by the builder */
    uint64_t mask = 0;
    uint32_t *slots = wa_addr_index_build(s->objects, s->n_objects, &mask, NULL, NULL);
    if (slots) {
        s->addr_mask = mask;
        s->addr_slots = slots;
    }
}

uint32_t wa_snapshot_find(const wa_snapshot *snap, uint64_t addr) {
    struct wa_snapshot *s = (struct wa_snapshot *)snap; /* only the lazy index mutates */
    tls_index_target = s;
    pthread_once(&s->addr_once, build_addr_index);
    if (!s->addr_slots) { /* out of memory: fall back to a scan */
        for (uint32_t i = 0; i < s->n_objects; i++)
            if (s->objects[i].addr == addr) return i;
        return WA_NONE;
    }
    uint64_t h = wa_hash_u64(addr) & s->addr_mask;
    for (;;) {
        uint32_t j = s->addr_slots[h];
        if (j == WA_NONE) return WA_NONE;
        if (s->objects[j].addr == addr) return j;
        h = (h + 1) & s->addr_mask;
    }
}

/* ---------------- reverse CSR ---------------- */

wa_status wa_snapshot_reverse_from_counts(struct wa_snapshot *s, uint32_t *in_off, wa_error *err) {
    uint32_t n = s->n_objects;
    uint32_t *in_src = wa_arena_alloc(&s->arena, (size_t)(s->n_edges ? s->n_edges : 1) * 4);
    if (!in_src)
        return wa_error_set(err, WA_ERR_NOMEM, NULL, WA_POS_NONE, WA_POS_NONE,
                            "out of memory building the reverse edges");
    wa_offsets_from_counts(in_off, n);
    /* place, advancing each start to its end */
    const uint32_t *out_off = s->out_off;
    const wa_edge *edges = s->edges;
    for (uint32_t src = 0; src < n; src++)
        for (uint32_t e = out_off[src]; e < out_off[src + 1]; e++)
            in_src[in_off[edges[e].to]++] = src;
    /* ends -> starts */
    if (n) memmove(in_off + 1, in_off, (size_t)n * 4);
    in_off[0] = 0;
    s->in_off = in_off;
    s->in_src = in_src;
    return WA_OK;
}

wa_status wa_snapshot_build_reverse(struct wa_snapshot *s, wa_error *err) {
    uint32_t n = s->n_objects;
    uint32_t *in_off = wa_arena_calloc(&s->arena, (size_t)n + 1, 4);
    if (!in_off)
        return wa_error_set(err, WA_ERR_NOMEM, NULL, WA_POS_NONE, WA_POS_NONE,
                            "out of memory building the reverse edges");
    for (uint32_t e = 0; e < s->n_edges; e++) in_off[s->edges[e].to]++;
    return wa_snapshot_reverse_from_counts(s, in_off, err);
}

/* ---------------- names ---------------- */

size_t wa_label_format(const wa_snapshot *s, uint32_t label, char *buf, size_t cap) {
    wa_edge_kind kind = WA_LABEL_KIND(label);
    uint32_t p = WA_LABEL_PAYLOAD(label);
    const char *t = kind == WA_EDGE_INDEX ? "" : wa_snapshot_string(s, p);
    int n;
    /* No empty label reaches output: a reference the dump could not name
     * (a C field tp_traverse reported without a name) reads "<referent>". */
    if (!t[0] && (kind == WA_EDGE_OTHER || kind == WA_EDGE_ATTR || kind == WA_EDGE_DICT_KEY ||
                  kind == WA_EDGE_DICT_VALUE || kind == WA_EDGE_FRAME_LOCAL)) {
        n = snprintf(buf, cap, kind == WA_EDGE_FRAME_LOCAL ? "f_locals.<referent>" : "<referent>");
        return n < 0 ? 0 : (size_t)n;
    }
    switch (kind) {
    case WA_EDGE_ATTR: n = snprintf(buf, cap, ".%s", t); break;
    case WA_EDGE_DICT_KEY: n = snprintf(buf, cap, "<key %s>", t); break;
    case WA_EDGE_DICT_VALUE: n = snprintf(buf, cap, "[%s]", t); break;
    case WA_EDGE_INDEX: n = snprintf(buf, cap, "[%u]", p); break;
    case WA_EDGE_SET_MEMBER: n = snprintf(buf, cap, "{member}"); break;
    case WA_EDGE_CLOSURE:
        n = t[0] ? snprintf(buf, cap, "<closure %s>", t) : snprintf(buf, cap, "<closure>");
        break;
    case WA_EDGE_FRAME_LOCAL: n = snprintf(buf, cap, "f_locals.%s", t); break;
    case WA_EDGE_WEAK:
        n = t[0] ? snprintf(buf, cap, "<weak %s>", t) : snprintf(buf, cap, "<weak>");
        break;
    default: n = snprintf(buf, cap, "%s", t); break;
    }
    return n < 0 ? 0 : (size_t)n;
}

size_t wa_snapshot_dict_owner(const wa_snapshot *s, uint32_t obj, char *buf, size_t cap) {
    if (cap) buf[0] = '\0';
    if (obj >= s->n_objects ||
        strcmp(wa_snapshot_type_name(s, s->objects[obj].type), "builtins.dict") != 0)
        return 0;
    const uint32_t *src;
    uint32_t n = wa_snapshot_in(s, obj, &src);
    for (uint32_t i = 0; i < n; i++) { /* all: a module dict has a referrer per function */
        uint32_t lab = wa_snapshot_edge_label(s, src[i], obj, 0);
        if (WA_LABEL_KIND(lab) != WA_EDGE_ATTR ||
            strcmp(wa_snapshot_string(s, WA_LABEL_PAYLOAD(lab)), "__dict__") != 0)
            continue;
        const wa_object *r = &s->objects[src[i]];
        const char *rt = wa_snapshot_type_name(s, r->type);
        const char *rn = wa_snapshot_string(s, r->name);
        int k;
        if (strcmp(rt, "builtins.module") == 0 && rn[0])
            k = snprintf(buf, cap, "module '%s'", rn);
        else if (strcmp(rt, "builtins.type") == 0 && rn[0])
            k = snprintf(buf, cap, "class '%s'", rn);
        else
            k = snprintf(buf, cap, "%s instance", wa_snapshot_type_qualname(s, r->type));
        return k < 0 ? 0 : (size_t)k;
    }
    return 0;
}

static const char *const edge_kind_names[WA_EDGE_KIND_COUNT] = {
    "other",      "attr",    "dict_key",    "dict_value", "index",
    "set_member", "closure", "frame_local", "weak"};
static const char *const root_kind_names[WA_ROOT_KIND_COUNT] = {"module", "thread", "external",
                                                                "interpreter", "other"};

const char *wa_edge_kind_name(wa_edge_kind kind) {
    return (unsigned)kind < WA_EDGE_KIND_COUNT ? edge_kind_names[kind] : "other";
}

static int parse_name(const char *const *names, int count, const char *name, size_t len) {
    if (!name) return -1;
    for (int i = 0; i < count; i++)
        if (strlen(names[i]) == len && memcmp(names[i], name, len) == 0) return i;
    return -1;
}

int wa_edge_kind_parse(const char *name, size_t len) {
    return parse_name(edge_kind_names, WA_EDGE_KIND_COUNT, name, len);
}

const char *wa_root_kind_name(wa_root_kind kind) {
    return (unsigned)kind < WA_ROOT_KIND_COUNT ? root_kind_names[kind] : "other";
}

int wa_root_kind_parse(const char *name, size_t len) {
    return parse_name(root_kind_names, WA_ROOT_KIND_COUNT, name, len);
}

static size_t compression_suffix(const char *path, size_t n, wa_compression *c) {
    *c = WA_COMPRESSION_NONE;
    if (n >= 3 && strcmp(path + n - 3, ".gz") == 0) {
        *c = WA_COMPRESSION_GZIP;
        return 3;
    }
    if (n >= 4 && strcmp(path + n - 4, ".zst") == 0) {
        *c = WA_COMPRESSION_ZSTD;
        return 4;
    }
    if (n >= 5 && strcmp(path + n - 5, ".zstd") == 0) {
        *c = WA_COMPRESSION_ZSTD;
        return 5;
    }
    return 0;
}

wa_compression wa_compression_from_path(const char *path) {
    wa_compression c;
    (void)compression_suffix(path, path ? strlen(path) : 0, &c);
    return c;
}

wa_format wa_format_from_path(const char *path) {
    size_t n = path ? strlen(path) : 0;
    wa_compression c;
    n -= compression_suffix(path, n, &c);
    if ((n >= 6 && strncmp(path + n - 6, ".jsonl", 6) == 0) ||
        (n >= 5 && strncmp(path + n - 5, ".json", 5) == 0))
        return WA_FORMAT_JSONL;
    return WA_FORMAT_BINARY;
}

const char *wa_format_name(wa_format f) {
    switch (f) {
    case WA_FORMAT_JSONL: return "jsonl";
    case WA_FORMAT_BINARY: return "binary";
    default: return "auto";
    }
}
