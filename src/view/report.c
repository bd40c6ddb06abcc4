/*
 * view/report.c: the one-file HTML report (whyalive/report.h).
 *
 * The page is a fixed shell (markup, src/view/report.css, report.js compiled
 * in through generated/report_assets.h) plus one JSON data block built here
 * from the views' documents (suspects, summary, diff) and a bounded slice
 * of the dominator tree. The script builds every section from the data with
 * text nodes only, so a name from the dump never becomes markup; the shell
 * holds no dump string but the escaped title.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "report_assets.h"
#include "view/view_impl.h"
#include "whyalive/version.h"
#include "whyalive/report.h"

void wa_report_options_init(wa_report_options *o) {
    memset(o, 0, sizeof *o);
    o->suspects = 10;
    o->routes = 5;
    o->types = 300;
    o->diff_rows = 50;
    o->tree_top = 50;
    o->tree_children = 20;
    o->tree_depth = 8;
    o->tree_nodes = 4000;
    o->referrers = 5;
    o->route_hops = 16;
    o->svg = 1;
    wa_suspect_options_init(&o->suspect);
}

/* ------------------------------------------------------------ SHA-256 */

/* For the Content-Security-Policy hashes of the page's script and style
 * (FIPS 180-4). */
static const uint32_t K256[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

#define ROR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

static void sha256_block(uint32_t h[8], const unsigned char *p) {
    uint32_t w[64];
    for (int i = 0; i < 16; i++)
        w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
               (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
    for (int i = 16; i < 64; i++) {
        uint32_t s0 = ROR(w[i - 15], 7) ^ ROR(w[i - 15], 18) ^ (w[i - 15] >> 3);
        uint32_t s1 = ROR(w[i - 2], 17) ^ ROR(w[i - 2], 19) ^ (w[i - 2] >> 10);
        w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], k = h[7];
    for (int i = 0; i < 64; i++) {
        uint32_t t1 =
            k + (ROR(e, 6) ^ ROR(e, 11) ^ ROR(e, 25)) + ((e & f) ^ (~e & g)) + K256[i] + w[i];
        uint32_t t2 = (ROR(a, 2) ^ ROR(a, 13) ^ ROR(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
        k = g;
        g = f;
        f = e;
        e = d + t1;
        d = c;
        c = b;
        b = a;
        a = t1 + t2;
    }
    h[0] += a, h[1] += b, h[2] += c, h[3] += d, h[4] += e, h[5] += f, h[6] += g, h[7] += k;
}

/* "sha256-<base64>" of s[0..n) into out (at least 52 bytes). */
static void csp_hash(const char *s, size_t n, char *out) {
    uint32_t h[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                     0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
    const unsigned char *p = (const unsigned char *)s;
    size_t left = n;
    for (; left >= 64; left -= 64, p += 64) sha256_block(h, p);
    unsigned char tail[128] = {0};
    memcpy(tail, p, left);
    tail[left] = 0x80;
    size_t tl = left + 9 <= 64 ? 64 : 128;
    uint64_t bits = (uint64_t)n * 8;
    for (int i = 0; i < 8; i++) tail[tl - 1 - i] = (unsigned char)(bits >> (8 * i));
    for (size_t off = 0; off < tl; off += 64) sha256_block(h, tail + off);
    unsigned char dg[33];
    for (int i = 0; i < 8; i++)
        for (int j = 0; j < 4; j++) dg[4 * i + j] = (unsigned char)(h[i] >> (24 - 8 * j));
    dg[32] = 0;
    static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    char *o = out + sprintf(out, "sha256-");
    for (int i = 0; i < 33; i += 3) {
        uint32_t v =
            (uint32_t)dg[i] << 16 | (uint32_t)dg[i + 1] << 8 | (i + 2 < 33 ? dg[i + 2] : 0);
        *o++ = b64[v >> 18 & 63];
        *o++ = b64[v >> 12 & 63];
        *o++ = i + 1 < 32 ? b64[v >> 6 & 63] : '=';
        *o++ = i + 2 < 32 ? b64[v & 63] : '=';
    }
    *o = '\0';
}

/* ------------------------------------------------------------ buffer */

typedef struct buf {
    char *p;
    size_t n, cap;
    int oom;
} buf;

static void put(buf *b, const char *s, size_t n) {
    if (b->oom) return;
    if (b->n + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 1 << 16;
        while (cap < b->n + n + 1) cap *= 2;
        char *q = realloc(b->p, cap);
        if (!q) {
            b->oom = 1;
            return;
        }
        b->p = q;
        b->cap = cap;
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = '\0';
}

static void puts_(buf *b, const char *s) { put(b, s, strlen(s)); }

/* Text for an HTML element or a quoted attribute. */
static void put_html(buf *b, const char *s) {
    for (; *s; s++) {
        switch (*s) {
        case '<': puts_(b, "&lt;"); break;
        case '>': puts_(b, "&gt;"); break;
        case '&': puts_(b, "&amp;"); break;
        case '"': puts_(b, "&quot;"); break;
        case '\'': puts_(b, "&#39;"); break;
        default:
            /* controls become U+FFFD: a title must stay one visible line */
            if ((unsigned char)*s < 0x20 || *s == 0x7f)
                puts_(b, "\xef\xbf\xbd");
            else
                put(b, s, 1);
        }
    }
}

/* JSON text inside <script type="application/json">: nothing in it may
 * end the element ("</script"), open a comment ("<!--") or break a line
 * in a JavaScript string (U+2028/9): "<", ">", "&" and those two are \u
 * escapes, and so are DEL and the C1 controls (cJSON escapes C0). They only occur inside JSON strings, where the escape reads the
 * same. */
static void put_json_script(buf *b, const char *s) {
    const char *run = s;
    char c1[8];
    for (; *s; s++) {
        const char *rep = NULL;
        size_t skip = 1;
        unsigned char c = (unsigned char)*s;
        if (c == '<')
            rep = "\\u003c";
        else if (c == '>')
            rep = "\\u003e";
        else if (c == '&')
            rep = "\\u0026";
        else if (c == 0x7f)
            rep = "\\u007f";
        else if (c == 0xc2 && (unsigned char)s[1] >= 0x80 && (unsigned char)s[1] <= 0x9f) {
            /* C1 controls: escaped too, so the page's source has none raw */
            snprintf(c1, sizeof c1, "\\u00%02x", (unsigned char)s[1]);
            rep = c1;
            skip = 2;
        } else if (c == 0xe2 && (unsigned char)s[1] == 0x80 &&
                   ((unsigned char)s[2] == 0xa8 || (unsigned char)s[2] == 0xa9)) {
            rep = (unsigned char)s[2] == 0xa8 ? "\\u2028" : "\\u2029";
            skip = 3;
        }
        if (!rep) continue;
        put(b, run, (size_t)(s - run));
        puts_(b, rep);
        s += skip - 1;
        run = s + 1;
    }
    put(b, run, (size_t)(s - run));
}

/* ------------------------------------------------------------ data */

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Every string of a page is at most REPORT_STR_MAX bytes (cut_strings);
 * the tree explorer's objects and their type names stop at
 * REPORT_TREE_BUDGET bytes of JSON. */
#define REPORT_STR_MAX 400u
/* The tree explorer's objects stop at this many bytes of JSON. */
#define REPORT_TREE_BUDGET (4u << 20)

/* A type's index in the page's type table (types are named once). */
typedef struct type_tab {
    uint32_t *slot; /* per snapshot type: index + 1, 0 = not yet */
    cJSON *names;
    uint32_t n;
    size_t bytes; /* JSON bytes of the names, about (for the tree's budget) */
} type_tab;

static uint32_t type_ix(type_tab *t, const wa_snapshot *snap, uint32_t type) {
    if (!t->slot[type]) {
        const char *name = wa_snapshot_type_name(snap, type);
        size_t len = strlen(name);
        t->bytes += (len < REPORT_STR_MAX ? len : REPORT_STR_MAX + 3) + 3;
        cJSON_AddItemToArray(t->names, cJSON_CreateString(name));
        t->slot[type] = ++t->n;
    }
    return t->slot[type] - 1;
}

static void add_num(cJSON *arr, double v) { cJSON_AddItemToArray(arr, cJSON_CreateNumber(v)); }
static void add_str(cJSON *arr, const char *s) { cJSON_AddItemToArray(arr, cJSON_CreateString(s)); }
static void add_addr(cJSON *arr, uint64_t a) {
    char t[32];
    snprintf(t, sizeof t, "0x%" PRIx64, a);
    add_str(arr, t);
}

/* The route of obj in the BFS tree: [root text, [[label, type], ...], cut]
 * where the hops run root object first and cut counts the hops left out of
 * the middle (at most max_hops are kept: the first quarter and the rest
 * nearest the object). Walks at most 100,000 parents. */
#define ROUTE_WALK_MAX 100000u
static cJSON *route_json(const wa_snapshot *snap, const wa_path_tree *tree, type_tab *tt,
                         uint32_t obj, uint32_t max_hops, uint32_t *scratch) {
    cJSON *r = cJSON_CreateArray();
    if (tree->parent[obj] == WA_NONE) {
        cJSON_AddItemToArray(r, cJSON_CreateNull());
        return r;
    }
    /* scratch holds the chain, object first, up to ROUTE_WALK_MAX */
    uint32_t n = 0, v = obj;
    while (n < ROUTE_WALK_MAX) {
        scratch[n++] = v;
        if (tree->parent[v] == WA_PATH_ROOT || tree->parent[v] == WA_NONE) break;
        v = tree->parent[v];
    }
    int whole = tree->parent[scratch[n - 1]] == WA_PATH_ROOT;
    char text[512];
    if (whole) {
        wa_path_root_format(snap, tree->via[scratch[n - 1]], text, sizeof text);
        add_str(r, text);
    } else {
        cJSON_AddItemToArray(r, cJSON_CreateNull());
    }
    const wa_edge *edges = wa_snapshot_edges(snap);
    const wa_object *objs = wa_snapshot_objects(snap);
    cJSON *hops = cJSON_CreateArray();
    uint32_t head = max_hops / 4, keep_tail = max_hops - head, cut = 0;
    /* hop i (0 = root object) is scratch[n - 1 - i] */
    for (uint32_t i = 0; i < n; i++) {
        if (n > max_hops && i >= head && i < n - keep_tail) {
            cut++;
            continue;
        }
        uint32_t o = scratch[n - 1 - i];
        cJSON *h = cJSON_CreateArray();
        if (i == 0)
            add_str(h, "");
        else {
            wa_label_format(snap, edges[tree->via[o]].label, text, sizeof text);
            add_str(h, text);
        }
        add_num(h, type_ix(tt, snap, objs[o].type));
        cJSON_AddItemToArray(hops, h);
    }
    cJSON_AddItemToArray(r, hops);
    add_num(r, whole ? cut : cut + (n >= ROUTE_WALK_MAX ? 1 : 0));
    return r;
}

/* Referrers of obj: [[addr, type, label], ...] (up to max, distinct). */
static cJSON *referrers_json(const wa_snapshot *snap, type_tab *tt, uint32_t obj, uint32_t max,
                             uint32_t *total) {
    const uint32_t *src;
    uint32_t n = wa_snapshot_in(snap, obj, &src);
    const wa_object *objs = wa_snapshot_objects(snap);
    cJSON *arr = cJSON_CreateArray();
    uint32_t shown = 0;
    char text[512];
    uint32_t *seen = malloc(sizeof *seen * (max ? max : 1));
    for (uint32_t i = 0; seen && i < n && shown < max; i++) {
        /* a referrer holding obj many times is listed once: compared with
         * those listed only, so a million-fold holder costs n * max */
        int dup = 0;
        for (uint32_t j = 0; j < shown && !dup; j++) dup = seen[j] == src[i];
        if (dup) continue;
        seen[shown] = src[i];
        cJSON *r = cJSON_CreateArray();
        add_addr(r, objs[src[i]].addr);
        add_num(r, type_ix(tt, snap, objs[src[i]].type));
        wa_label_format(snap, wa_snapshot_edge_label(snap, src[i], obj, 0), text, sizeof text);
        add_str(r, text);
        cJSON_AddItemToArray(arr, r);
        shown++;
    }
    free(seen);
    *total = n;
    return arr;
}

/* Cut every string longer than REPORT_STR_MAX at a character, "..."
 * appended, but the pictures: a dump's names have no length limit, the page
 * has. Walks the tree with an explicit stack. */
static void cut_strings(cJSON *root) {
    cJSON *stack[64];
    int n = 0;
    stack[n++] = root;
    while (n) {
        cJSON *c = stack[--n];
        for (cJSON *x = c->child; x; x = x->next) {
            if (cJSON_IsString(x) && !(x->string && !strcmp(x->string, "svg"))) {
                size_t len = strlen(x->valuestring);
                if (len <= REPORT_STR_MAX) continue;
                size_t k = REPORT_STR_MAX;
                while (k > 0 && ((unsigned char)x->valuestring[k] & 0xc0) == 0x80) k--;
                memcpy(x->valuestring + k, "...", 4); /* fits: k + 4 <= len + 1 */
            } else if ((cJSON_IsArray(x) || cJSON_IsObject(x)) && x->child) {
                if (n < (int)(sizeof stack / sizeof stack[0]))
                    stack[n++] = x;
                else
                    cut_strings(x); /* deeper than any document here: rare */
            }
        }
    }
}

/* A cluster's hops: at most max, the first quarter and the last ones, with
 * "hops_cut" saying how many were left out of the middle. */
static void trim_hops(cJSON *cluster, uint32_t max) {
    cJSON *hops = cJSON_GetObjectItem(cluster, "hops");
    int n = cJSON_GetArraySize(hops);
    if (!hops || n <= (int)max) return;
    int head = (int)max / 4, cut = n - (int)max;
    for (int i = 0; i < cut; i++) cJSON_DeleteItemFromArray(hops, head);
    cJSON_AddNumberToObject(cluster, "hops_cut", cut);
}

static void trim_all_hops(cJSON *clusters, uint32_t max) {
    cJSON *c;
    cJSON_ArrayForEach(c, clusters) trim_hops(c, max);
}

/* A candidate child during the tree walk. */
typedef struct kid {
    uint64_t retained;
    uint32_t obj;
} kid;

static int kid_cmp(const void *a, const void *b) {
    const kid *x = a, *y = b;
    if (x->retained != y->retained) return x->retained < y->retained ? 1 : -1;
    return x->obj < y->obj ? -1 : x->obj > y->obj;
}

/* Keep the k largest in a min-heap h[0..*n). */
static void heap_push(kid *h, uint32_t *n, uint32_t k, kid c) {
    if (*n < k) {
        uint32_t i = (*n)++;
        h[i] = c;
        while (i && kid_cmp(&h[(i - 1) / 2], &h[i]) < 0) {
            kid t = h[i];
            h[i] = h[(i - 1) / 2];
            h[(i - 1) / 2] = t;
            i = (i - 1) / 2;
        }
        return;
    }
    if (kid_cmp(&c, &h[0]) >= 0) return; /* not larger than the smallest kept */
    h[0] = c;
    for (uint32_t i = 0;;) {
        uint32_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < *n && kid_cmp(&h[l], &h[m]) > 0) m = l;
        if (r < *n && kid_cmp(&h[r], &h[m]) > 0) m = r;
        if (m == i) break;
        kid t = h[i];
        h[i] = h[m];
        h[m] = t;
        i = m;
    }
}

/* The tree explorer's slice: level by level from the super-root, the
 * largest children of each embedded object, within the caps. One pass over
 * idom per level. Nodes: [addr, type, size, retained, parent, children
 * total, name, value, referrers, referrers total, route]. */
static cJSON *tree_json(const wa_snapshot *snap, const wa_dom *dom, const wa_path_tree *tree,
                        type_tab *tt, const wa_report_options *o, int with_values,
                        uint32_t *n_nodes, wa_error *err) {
    uint32_t n = dom->n_objects;
    const wa_object *objs = wa_snapshot_objects(snap);
    uint32_t cap = o->tree_nodes ? o->tree_nodes : 1;
    uint32_t per = o->tree_children ? o->tree_children : 1;
    uint32_t top = o->tree_top ? o->tree_top : 1;
    uint32_t *node_obj = malloc(sizeof *node_obj * cap);
    uint32_t *node_parent = malloc(sizeof *node_parent * cap);
    uint32_t *node_kids = calloc(cap, sizeof *node_kids);
    uint32_t *slot = malloc(sizeof *slot * (n ? n : 1)); /* object -> frontier index */
    uint32_t *frontier = malloc(sizeof *frontier * cap);
    uint32_t *hn = calloc(cap, sizeof *hn), *scratch = NULL;
    size_t *off = malloc(sizeof *off * ((size_t)cap + 1));
    /* heaps: the top level's, then per level one heap per frontier object
     * sized min(children, per): never more than the children there are */
    size_t heaps_cap = top < n ? top : (n ? n : 1);
    kid *heaps = malloc(sizeof *heaps * heaps_cap);
    if (!node_obj || !node_parent || !node_kids || !slot || !frontier || !hn || !off || !heaps)
        goto oom;
    memset(slot, 0xff, sizeof *slot * n);
    uint32_t count = 0, nf = 0, top_total = 0;
    /* level 0: the objects only the super-root dominates */
    uint32_t h0 = 0;
    for (uint32_t v = 0; v < n; v++)
        if (dom->idom[v] == WA_DOM_SUPER) {
            top_total++;
            heap_push(heaps, &h0, (uint32_t)heaps_cap, (kid){dom->retained[v], v});
        }
    qsort(heaps, h0, sizeof *heaps, kid_cmp);
    for (uint32_t i = 0; i < h0 && count < cap; i++) {
        node_obj[count] = heaps[i].obj;
        node_parent[count] = WA_NONE;
        frontier[nf++] = count++;
    }
    for (uint32_t depth = 1; depth < o->tree_depth && nf && count < cap; depth++) {
        for (uint32_t i = 0; i < nf; i++) slot[node_obj[frontier[i]]] = i;
        /* pass 1: how many children each frontier object has */
        for (uint32_t v = 0; v < n; v++) {
            uint32_t p = dom->idom[v];
            if (p < n && slot[p] != WA_NONE) node_kids[frontier[slot[p]]]++;
        }
        off[0] = 0;
        for (uint32_t i = 0; i < nf; i++) {
            uint32_t k = node_kids[frontier[i]];
            off[i + 1] = off[i] + (k < per ? k : per);
            hn[i] = 0;
        }
        if (off[nf] > heaps_cap) {
            kid *bigger = realloc(heaps, sizeof *heaps * off[nf]);
            if (!bigger) goto oom;
            heaps = bigger;
            heaps_cap = off[nf];
        }
        /* pass 2: the largest of them */
        for (uint32_t v = 0; v < n; v++) {
            uint32_t p = dom->idom[v];
            if (p >= n || slot[p] == WA_NONE) continue;
            uint32_t f = slot[p];
            heap_push(heaps + off[f], &hn[f], (uint32_t)(off[f + 1] - off[f]),
                      (kid){dom->retained[v], v});
        }
        for (uint32_t i = 0; i < nf; i++) slot[node_obj[frontier[i]]] = WA_NONE;
        /* the next level, parents in order, each one's children largest first */
        uint32_t next_start = count;
        for (uint32_t i = 0; i < nf && count < cap; i++) {
            kid *h = heaps + off[i];
            qsort(h, hn[i], sizeof *h, kid_cmp);
            for (uint32_t j = 0; j < hn[i] && count < cap; j++) {
                node_obj[count] = h[j].obj;
                node_parent[count++] = frontier[i];
            }
        }
        nf = 0;
        for (uint32_t i = next_start; i < count; i++) frontier[nf++] = i;
    }
    /* the last level's children are counted, not embedded */
    if (nf) {
        for (uint32_t i = 0; i < nf; i++) slot[node_obj[frontier[i]]] = i;
        for (uint32_t v = 0; v < n; v++) {
            uint32_t p = dom->idom[v];
            if (p < n && slot[p] != WA_NONE) node_kids[frontier[slot[p]]]++;
        }
    }
    scratch = malloc(sizeof *scratch * (n < ROUTE_WALK_MAX ? (n ? n : 1) : ROUTE_WALK_MAX));
    if (!scratch) goto oom;
    cJSON *t = cJSON_CreateObject();
    wa_vj_u64(t, "top_total", top_total);
    cJSON *nodes = cJSON_AddArrayToObject(t, "nodes");
    size_t bytes = 0;
    uint32_t i = 0;
    /* the type names the tree adds count too */
    for (; i < count && bytes + tt->bytes < REPORT_TREE_BUDGET; i++) {
        uint32_t v = node_obj[i], rtotal = 0;
        const wa_object *ob = &objs[v];
        cJSON *a = cJSON_CreateArray();
        add_addr(a, ob->addr);
        add_num(a, type_ix(tt, snap, ob->type));
        add_num(a, (double)ob->size);
        add_num(a, (double)dom->retained[v]);
        add_num(a, node_parent[i] == WA_NONE ? -1 : (double)node_parent[i]);
        add_num(a, node_kids[i]);
        add_str(a, wa_snapshot_string(snap, ob->name));
        add_str(a, with_values ? wa_snapshot_string(snap, ob->value) : "");
        cJSON_AddItemToArray(a, referrers_json(snap, tt, v, o->referrers, &rtotal));
        add_num(a, rtotal);
        cJSON_AddItemToArray(a, route_json(snap, tree, tt, v, o->route_hops, scratch));
        cut_strings(a);
        char *text = cJSON_PrintUnformatted(a);
        bytes += text ? strlen(text) + 1 : 0;
        free(text);
        cJSON_AddItemToArray(nodes, a);
    }
    /* nodes come parents first: a prefix keeps every parent of what it holds */
    cJSON_AddBoolToObject(t, "budget_cut", i < count);
    *n_nodes = count = i;
    free(node_obj), free(node_parent), free(node_kids), free(slot), free(frontier), free(hn);
    free(heaps), free(scratch), free(off);
    return t;
oom:
    free(node_obj), free(node_parent), free(node_kids), free(slot), free(frontier), free(hn);
    free(heaps), free(scratch), free(off);
    wa_error_set(err, WA_ERR_NOMEM, NULL, WA_POS_NONE, WA_POS_NONE,
                 "out of memory building the report's tree");
    return NULL;
}

/* Up to 5 allocation sites among objs, most frequent first: [[site, n]]. */
static int site_cmp(const void *a, const void *b) {
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}
static cJSON *sites_json(const wa_snapshot *snap, const uint32_t *objs, uint32_t n) {
    uint32_t m = n < 100000 ? n : 100000, k = 0;
    const char **s = malloc(sizeof *s * (m ? m : 1));
    cJSON *arr = cJSON_CreateArray();
    if (!s) return arr;
    for (uint32_t i = 0; i < m; i++) {
        const char *site = wa_snapshot_site(snap, objs[i]);
        if (site && site[0]) s[k++] = site;
    }
    qsort(s, k, sizeof *s, site_cmp);
    const char *best[5] = {0};
    uint32_t bn[5] = {0};
    for (uint32_t i = 0; i < k;) {
        uint32_t j = i;
        while (j < k && !strcmp(s[j], s[i])) j++;
        uint32_t c = j - i;
        for (int b = 0; b < 5; b++)
            if (c > bn[b]) {
                memmove(best + b + 1, best + b, sizeof *best * (size_t)(4 - b));
                memmove(bn + b + 1, bn + b, sizeof *bn * (size_t)(4 - b));
                best[b] = s[i], bn[b] = c;
                break;
            }
        i = j;
    }
    for (int b = 0; b < 5 && best[b]; b++) {
        cJSON *e = cJSON_CreateArray();
        add_str(e, best[b]);
        add_num(e, bn[b]);
        cJSON_AddItemToArray(arr, e);
    }
    free(s);
    return arr;
}

/* The objects a suspect stands for: an accumulation point's children of the
 * dominant type, the instances of a type, or the one object. */
static uint32_t *suspect_members(const wa_snapshot *snap, const wa_dom *dom, const wa_suspect *x,
                                 uint32_t *n_out) {
    uint32_t n = wa_snapshot_n_objects(snap), k = 0, cap = 1024;
    const wa_object *objs = wa_snapshot_objects(snap);
    uint32_t *m = malloc(sizeof *m * cap);
    if (!m) return NULL;
    if (x->type == WA_NONE) {
        if (x->obj != WA_NONE) m[k++] = x->obj;
        *n_out = k;
        return m;
    }
    for (uint32_t v = 0; v < n; v++) {
        if (objs[v].type != x->type) continue;
        if (x->kind == WA_SUSPECT_ACCUMULATION && dom->idom[v] != x->accumulation) continue;
        if (k == cap) {
            uint32_t *q = realloc(m, sizeof *m * (cap *= 2));
            if (!q) return free(m), NULL;
            m = q;
        }
        m[k++] = v;
    }
    if (!k && x->obj != WA_NONE) m[k++] = x->obj;
    *n_out = k;
    return m;
}

static cJSON *suspects_json(const wa_view_source *src, const wa_snapshot *baseline,
                            const char *baseline_name, const wa_report_options *o,
                            uint32_t *pictures, wa_error *err) {
    wa_view_options vo;
    wa_view_options_init(&vo);
    vo.suspect = o->suspect;
    vo.suspect.baseline = baseline;
    vo.baseline_name = baseline_name;
    vo.limit = o->suspects;
    /* the list is found once: the document (the `suspects` view's) and the
     * routes, pictures and sites of each suspect shown come from it */
    const wa_snapshot *snap = wa_vw_snap(src);
    const wa_dom *dom = wa_session_dom(src->session, err);
    const wa_path_tree *tree = dom ? wa_session_tree(src->session, err) : NULL;
    wa_suspect_list *l = tree ? wa_suspect_find(snap, dom, tree, &vo.suspect, err) : NULL;
    if (!l) return NULL;
    cJSON *doc = wa_vw_suspects_doc(src, &vo, dom, l);
    cJSON *arr = cJSON_GetObjectItem(doc, "suspects"), *s;
    uint32_t i = 0;
    cJSON_ArrayForEach(s, arr) {
        if (i >= l->n) break;
        const wa_suspect *x = &l->items[i++];
        uint32_t nm = 0;
        uint32_t *m = suspect_members(snap, dom, x, &nm);
        if (!m) continue;
        wa_vj_u64(s, "members", nm);
        cJSON_AddStringToObject(s, "members_are",
                                x->kind == WA_SUSPECT_ACCUMULATION
                                    ? "children of the accumulation point of this type"
                                : x->type == WA_NONE ? "the object"
                                                     : "every instance of this type");
        wa_cluster_set *cs = nm ? wa_path_cluster(snap, tree, dom, m, nm, err) : NULL;
        cJSON *routes = cJSON_AddArrayToObject(s, "routes");
        if (cs) {
            for (uint32_t c = 0; c < cs->n && c < o->routes; c++)
                cJSON_AddItemToArray(routes, wa_vj_cluster(snap, &cs->clusters[c], 0));
            wa_vj_u64(s, "routes_total", cs->n);
            trim_all_hops(routes, o->route_hops);
            wa_cluster_set_free(cs);
        }
        cJSON_AddItemToObject(s, "sites", sites_json(snap, m, nm));
        if (o->svg && nm) {
            wa_render_options ro;
            wa_render_options_init(&ro);
            ro.mode = WA_RENDER_PATHS;
            ro.format = WA_RENDER_FMT_SVG;
            ro.max_paths = o->routes ? o->routes : 1;
            ro.max_nodes = 80;
            char *svg = NULL;
            size_t len = 0;
            wa_error e2;
            wa_error_clear(&e2);
            if (wa_render_data(src->session, m, nm, &ro, &svg, &len, NULL, &e2) == WA_OK) {
                cJSON_AddItemToObject(s, "svg", cJSON_CreateString(svg));
                (*pictures)++;
            } else {
                cJSON_AddStringToObject(s, "svg_error", e2.what);
            }
            wa_render_free(svg);
        }
        free(m);
    }
    wa_suspect_list_free(l);
    return doc;
}

static cJSON *header_json(const wa_view_source *src, double analysis_seconds,
                          uint64_t *with_values) {
    const wa_snapshot *snap = wa_vw_snap(src);
    const wa_meta *m = wa_snapshot_meta(snap);
    const wa_dom *dom = wa_session_dom_if_built(src->session);
    cJSON *h = cJSON_CreateObject();
    cJSON_AddStringToObject(h, "file", src->name ? src->name : "");
    /* absent values are left out, not shown as 0 or "" */
    if (m->implementation && m->implementation[0])
        cJSON_AddStringToObject(h, "implementation", m->implementation);
    if (m->python_version && m->python_version[0])
        cJSON_AddStringToObject(h, "python", m->python_version);
    if (m->tool_version && m->tool_version[0])
        cJSON_AddStringToObject(h, "tool_version", m->tool_version);
    if (m->host && m->host[0]) cJSON_AddStringToObject(h, "host", m->host);
    if (m->pid >= 0) cJSON_AddNumberToObject(h, "pid", (double)m->pid);
    if (m->argc) {
        cJSON *av = cJSON_AddArrayToObject(h, "argv");
        for (uint32_t i = 0; i < m->argc; i++) add_str(av, m->argv[i]);
    }
    if (m->time && m->time[0]) cJSON_AddStringToObject(h, "time", m->time);
    if (m->rss) wa_vj_u64(h, "rss", m->rss);
    if (m->seconds > 0) cJSON_AddNumberToObject(h, "dump_seconds", m->seconds);
    wa_vj_u64(h, "objects", wa_snapshot_n_objects(snap));
    wa_vj_u64(h, "edges", wa_snapshot_n_edges(snap));
    wa_vj_u64(h, "shallow_bytes", wa_snapshot_total_size(snap));
    if (dom) {
        wa_vj_u64(h, "reachable_bytes", dom->reachable_bytes);
        wa_vj_u64(h, "reachable", dom->n_reachable);
        cJSON_AddItemToObject(h, "unreachable", wa_vj_unreachable(dom));
    }
    /* to the hundredth: the one clock reading in the page */
    if (analysis_seconds >= 0)
        cJSON_AddNumberToObject(h, "analysis_seconds",
                                (double)(int64_t)(analysis_seconds * 100 + 0.5) / 100);
    uint64_t nv = 0;
    const wa_object *objs = wa_snapshot_objects(snap);
    for (uint32_t i = 0, n = wa_snapshot_n_objects(snap); i < n; i++) nv += objs[i].value != 0;
    *with_values = nv;
    return h;
}

static cJSON *data_json(const wa_view_source *src, uint32_t ns, const wa_report_options *o,
                        wa_report_stats *st, wa_error *err) {
    const wa_view_source *main_src = &src[ns - 1];
    const wa_snapshot *snap = wa_vw_snap(main_src);
    /* the analyses first, timed (0 when a caller's session already had them) */
    double t0 = now_seconds();
    const wa_dom *dom = wa_session_dom(main_src->session, err);
    const wa_path_tree *tree = dom ? wa_session_tree(main_src->session, err) : NULL;
    if (!tree) return NULL;
    double analysis = now_seconds() - t0;
    type_tab tt = {calloc(wa_snapshot_n_types(snap) + 1u, sizeof(uint32_t)), cJSON_CreateArray(), 0,
                   0};
    cJSON *d = cJSON_CreateObject();
    if (!tt.slot || !d || !tt.names) {
        free(tt.slot);
        cJSON_Delete(tt.names);
        cJSON_Delete(d);
        wa_error_set(err, WA_ERR_NOMEM, NULL, WA_POS_NONE, WA_POS_NONE, "out of memory");
        return NULL;
    }
    cJSON_AddStringToObject(d, "tool", "whyalive " WA_VERSION);
    cJSON *files = cJSON_AddArrayToObject(d, "snapshots");
    for (uint32_t i = 0; i < ns; i++) add_str(files, src[i].name ? src[i].name : "");
    uint64_t nv = 0;
    cJSON_AddItemToObject(d, "header", header_json(main_src, analysis, &nv));
    wa_vj_u64(d, "objects_with_values", nv);
    cJSON *caps = cJSON_AddObjectToObject(d, "caps");
    wa_vj_u64(caps, "suspects", o->suspects);
    wa_vj_u64(caps, "routes", o->routes);
    wa_vj_u64(caps, "types", o->types);
    wa_vj_u64(caps, "diff_rows", o->diff_rows);
    wa_vj_u64(caps, "tree_top", o->tree_top);
    wa_vj_u64(caps, "tree_children", o->tree_children);
    wa_vj_u64(caps, "tree_depth", o->tree_depth);
    wa_vj_u64(caps, "tree_nodes", o->tree_nodes);
    wa_vj_u64(caps, "referrers", o->referrers);
    wa_vj_u64(caps, "route_hops", o->route_hops);
    wa_vj_u64(caps, "string_bytes", REPORT_STR_MAX);
    wa_vj_u64(caps, "tree_bytes", REPORT_TREE_BUDGET);

    if (o->no_suspects) {
        cJSON_AddNullToObject(d, "suspects");
    } else {
        cJSON *sus = suspects_json(main_src, ns > 1 ? wa_vw_snap(&src[0]) : NULL,
                                   ns > 1 ? src[0].name : NULL, o, &st->pictures, err);
        if (!sus) goto fail;
        st->suspects = (uint32_t)cJSON_GetArraySize(cJSON_GetObjectItem(sus, "suspects"));
        cJSON_AddItemToObject(d, "suspects", sus);
    }

    if (ns > 1) {
        wa_view_options vo;
        wa_view_options_init(&vo);
        vo.limit = o->diff_rows;
        vo.clusters = o->routes;
        vo.members = 0;
        wa_view *v = wa_view_diff(src, ns, &vo, err);
        if (!v) goto fail;
        trim_all_hops(cJSON_GetObjectItem(cJSON_GetObjectItem(v->doc, "survivors"), "clusters"),
                      o->route_hops);
        cJSON_AddItemToObject(d, "diff", v->doc);
        v->doc = NULL;
        wa_view_free(v);
    } else {
        cJSON_AddNullToObject(d, "diff");
    }

    wa_view_options vo;
    wa_view_options_init(&vo);
    vo.limit = o->types;
    wa_view *v = wa_view_summary(main_src, &vo, err);
    if (!v) goto fail;
    st->types = (uint32_t)cJSON_GetArraySize(cJSON_GetObjectItem(v->doc, "rows"));
    cJSON_AddItemToObject(d, "summary", v->doc);
    v->doc = NULL;
    wa_view_free(v);

    cJSON *t = tree_json(snap, dom, tree, &tt, o, nv > 0, &st->tree_nodes, err);
    if (!t) goto fail;
    cJSON_AddItemToObject(d, "tree", t);
    cJSON_AddItemToObject(d, "types", tt.names);
    free(tt.slot);
    return d;
fail:
    free(tt.slot);
    cJSON_Delete(tt.names);
    cJSON_Delete(d);
    return NULL;
}

/* ------------------------------------------------------------ page */

char *wa_report_html(const wa_view_source *src, uint32_t ns, const wa_report_options *opts,
                     size_t *len, wa_report_stats *stats, wa_error *err) {
    if (ns < 1 || ns > 3) {
        wa_error_set(err, WA_ERR_ARG, NULL, WA_POS_NONE, WA_POS_NONE,
                     "report: needs one, two or three snapshots");
        return NULL;
    }
    wa_report_options o, dflt;
    wa_report_options_init(&dflt);
    o = opts ? *opts : dflt;
    /* 0 is the default: no cap means "unbounded" here, the page stays bounded */
    uint32_t *f[] = {&o.suspects,      &o.routes,     &o.types,      &o.diff_rows, &o.tree_top,
                     &o.tree_children, &o.tree_depth, &o.tree_nodes, &o.referrers, &o.route_hops};
    const uint32_t *dv[] = {
        &dflt.suspects,      &dflt.routes,     &dflt.types,      &dflt.diff_rows, &dflt.tree_top,
        &dflt.tree_children, &dflt.tree_depth, &dflt.tree_nodes, &dflt.referrers, &dflt.route_hops};
    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++)
        if (!*f[i]) *f[i] = *dv[i];
    if (o.route_hops < 4) o.route_hops = 4;
    /* and no cap so big that the page or the walk's memory explodes */
    if (o.tree_nodes > 1000000) o.tree_nodes = 1000000;
    if (o.tree_top > 100000) o.tree_top = 100000;
    if (o.tree_children > 100000) o.tree_children = 100000;
    if (o.route_hops > 10000) o.route_hops = 10000;
    wa_report_stats st;
    memset(&st, 0, sizeof st);
    cJSON *d = data_json(src, ns, &o, &st, err);
    if (!d) return NULL;
    cut_strings(d);
    char *json = cJSON_PrintUnformatted(d);
    cJSON_Delete(d);
    if (!json) {
        wa_error_set(err, WA_ERR_NOMEM, NULL, WA_POS_NONE, WA_POS_NONE, "out of memory");
        return NULL;
    }
    char css_hash[64], js_hash[64];
    csp_hash(wa_report_css, strlen(wa_report_css), css_hash);
    csp_hash(wa_report_js, strlen(wa_report_js), js_hash);
    buf b = {0};
    puts_(&b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
              "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
              "script-src '");
    puts_(&b, js_hash);
    puts_(&b, "'; style-src '");
    puts_(&b, css_hash);
    puts_(&b, "'; img-src data:; base-uri 'none'; form-action 'none'\">\n"
              "<meta name=\"referrer\" content=\"no-referrer\">\n"
              "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
              "<link rel=\"icon\" href=\"data:,\">\n<title>whyalive report: ");
    put_html(&b, src[ns - 1].name ? src[ns - 1].name : "");
    puts_(&b, "</title>\n<style>");
    puts_(&b, wa_report_css);
    puts_(&b, "</style>\n</head>\n<body>\n<header><h1>whyalive report</h1>"
              "<p class=\"files\">");
    for (uint32_t i = 0; i < ns; i++) {
        if (i) puts_(&b, " \xe2\x86\x92 ");
        put_html(&b, src[i].name ? src[i].name : "");
    }
    puts_(&b, "</p></header>\n<noscript><p>This report builds its sections with JavaScript; "
              "enable it to read them.</p></noscript>\n<main id=\"app\"></main>\n"
              "<script type=\"application/json\" id=\"wa-data\">");
    put_json_script(&b, json);
    free(json);
    puts_(&b, "</script>\n<script>");
    puts_(&b, wa_report_js);
    puts_(&b, "</script>\n</body>\n</html>\n");
    if (b.oom) {
        free(b.p);
        wa_error_set(err, WA_ERR_NOMEM, NULL, WA_POS_NONE, WA_POS_NONE, "out of memory");
        return NULL;
    }
    st.bytes = b.n;
    if (stats) *stats = st;
    if (len) *len = b.n;
    return b.p;
}

wa_status wa_report_write(const wa_view_source *src, uint32_t ns, const wa_report_options *opts,
                          const char *path, wa_report_stats *stats, wa_error *err) {
    if (!path || !path[0])
        return wa_error_set(err, WA_ERR_ARG, NULL, WA_POS_NONE, WA_POS_NONE,
                            "no output path given");
    const char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    if (!base[0] || !strcmp(base, ".") || !strcmp(base, ".."))
        return wa_error_set(err, WA_ERR_ARG, path, WA_POS_NONE, WA_POS_NONE,
                            "output path names a directory, not a file");
    size_t dir_len = slash ? (size_t)(slash - path) + 1 : 0;
    size_t cap = strlen(path) + 16;
    char *tmp = malloc(cap);
    if (!tmp)
        return wa_error_set(err, WA_ERR_NOMEM, path, WA_POS_NONE, WA_POS_NONE, "out of memory");
    /* hidden, next to the target: same file system, so rename is atomic;
     * created before the analysis so a bad path fails at once */
    snprintf(tmp, cap, "%.*s.%s.XXXXXX", (int)dir_len, path, base);
    int fd = mkstemp(tmp);
    if (fd < 0) {
        int e = errno;
        free(tmp);
        return wa_error_set(err, WA_ERR_IO, path, WA_POS_NONE, WA_POS_NONE, "cannot create: %s",
                            strerror(e));
    }
    size_t len = 0;
    char *page = wa_report_html(src, ns, opts, &len, stats, err);
    wa_status st = page ? WA_OK : err->code;
    for (size_t done = 0; page && done < len;) {
        ssize_t w = write(fd, page + done, len - done);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) {
            st = wa_error_set(err, WA_ERR_IO, path, WA_POS_NONE, WA_POS_NONE, "cannot write: %s",
                              strerror(w < 0 ? errno : EIO));
            break;
        }
        done += (size_t)w;
    }
    free(page);
    if (st == WA_OK && fsync(fd) != 0 && errno != EINVAL)
        st = wa_error_set(err, WA_ERR_IO, path, WA_POS_NONE, WA_POS_NONE, "cannot sync: %s",
                          strerror(errno));
    if (close(fd) != 0 && st == WA_OK)
        st = wa_error_set(err, WA_ERR_IO, path, WA_POS_NONE, WA_POS_NONE, "cannot write: %s",
                          strerror(errno));
    /* the page stays 0600 as mkstemp made it, like the dumps and the
     * pictures: it holds the dump's names (and values, if the dump has them) */
    if (st == WA_OK && rename(tmp, path) != 0)
        st = wa_error_set(err, WA_ERR_IO, path, WA_POS_NONE, WA_POS_NONE, "cannot write: %s",
                          strerror(errno));
    if (st != WA_OK) unlink(tmp);
    free(tmp);
    return st;
}
