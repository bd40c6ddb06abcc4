/*
 * whyalive/snapshot.h: the in-memory heap graph of one dump.
 *
 * Invariants:
 *  - objects are dense indexes 0..n_objects-1; an object's address is its id
 *    within the dump and is unique in a snapshot;
 *  - forward edges are CSR: out_off[i] <= out_off[i+1], out_off[n] == n_edges,
 *    and every edge target is an object index < n_objects (edges whose target
 *    address is not in the dump are dropped at load and counted in
 *    wa_snapshot_dangling());
 *  - reverse edges are CSR too (in_off / in_src), built from the forward ones;
 *  - string id 0 is the empty string and means "none"; every other string id
 *    is < n_strings and names a NUL-terminated UTF-8 string;
 *  - everything reachable from a wa_snapshot is owned by it, lives in its
 *    arena and is freed by the one call wa_snapshot_free(). Pointers returned
 *    by accessors stay valid until then. A snapshot is immutable after load,
 *    so concurrent readers are safe (the lazy address index is built under a
 *    once-guard).
 */
#ifndef WHYALIVE_SNAPSHOT_H
#define WHYALIVE_SNAPSHOT_H

#include <stddef.h>
#include <stdint.h>

#include "whyalive/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Limits enforced by every reader before allocating. */
#define WA_MAX_OBJECTS 0xFFFFFFF0u                /* indexes are uint32_t */
#define WA_MAX_EDGES 0xFFFFFFF0u                  /* edge offsets are uint32_t */
#define WA_MAX_STRINGS 0x0FFFFFFFu                /* label payload is 28 bits */
#define WA_MAX_STRING_BYTES (64u * 1024u * 1024u) /* one string */
#define WA_NONE 0xFFFFFFFFu                       /* "no object" where an index is expected */

/* Object flags. */
enum {
    WA_OBJ_GC_TRACKED = 1u << 0, /* tracked by the cyclic GC */
    WA_OBJ_IMMORTAL = 1u << 1,   /* immortal (CPython >= 3.12) */
    WA_OBJ_HAS_LEN = 1u << 2,    /* length field is meaningful */
    WA_OBJ_IS_TYPE = 1u << 3,    /* the object is a class */
    WA_OBJ_IS_MODULE = 1u << 4,  /* the object is a module */
    WA_OBJ_TRUNCATED = 1u << 5   /* the dumper stopped listing this object's refs */
};

/*
 * One object: 40 bytes, identical in memory and in the binary format's
 * OBJECTS section (little-endian). Do not reorder.
 */
typedef struct wa_object {
    uint64_t addr;     /* address in the dumped process (id within the dump) */
    uint64_t size;     /* shallow size in bytes, sys.getsizeof semantics */
    uint32_t type;     /* index into the type table */
    uint32_t refcount; /* reference count, saturated at UINT32_MAX */
    uint32_t flags;    /* WA_OBJ_* */
    uint32_t length;   /* container length if WA_OBJ_HAS_LEN, saturated */
    uint32_t name;     /* string id: module/class/function/code name, 0 = none */
    uint32_t value;    /* string id: value snippet (values=N dumps), 0 = none */
} wa_object;

/* A type: module-qualified name ("builtins.dict", "app.stt:Outer.Inner" shown
 * as "app.stt.Outer.Inner") and its module. */
typedef struct wa_type {
    uint32_t name;   /* string id of the full dotted name "module.qualname" */
    uint32_t module; /* string id of the module ("builtins" for built-ins) */
} wa_type;

/* Edge kinds: the top 4 bits of an edge's label word. */
typedef enum wa_edge_kind {
    WA_EDGE_OTHER = 0,       /* label: free text (e.g. "__globals__"), or none */
    WA_EDGE_ATTR = 1,        /* label: attribute name, shown ".name" */
    WA_EDGE_DICT_KEY = 2,    /* dict -> key object; label: key repr */
    WA_EDGE_DICT_VALUE = 3,  /* dict -> value; label: key repr, shown "['k']" */
    WA_EDGE_INDEX = 4,       /* list/tuple slot; payload is the index itself */
    WA_EDGE_SET_MEMBER = 5,  /* set/frozenset member, no label */
    WA_EDGE_CLOSURE = 6,     /* closure cell; label: free variable name */
    WA_EDGE_FRAME_LOCAL = 7, /* frame local; label: variable name */
    WA_EDGE_WEAK = 8,        /* weak reference: never retains */
    WA_EDGE_KIND_COUNT = 9
} wa_edge_kind;

/*
 * An edge label word: kind << 28 | payload. For WA_EDGE_INDEX the payload is
 * the index (indexes >= 2^28 are stored as WA_EDGE_OTHER with the text
 * "[N]"); for every other kind it is a string id (0 = unlabeled).
 */
#define WA_LABEL(kind, payload) (((uint32_t)(kind) << 28) | ((uint32_t)(payload)&0x0FFFFFFFu))
#define WA_LABEL_KIND(label) ((wa_edge_kind)((label) >> 28))
#define WA_LABEL_PAYLOAD(label) ((label)&0x0FFFFFFFu)
#define WA_INDEX_MAX 0x0FFFFFFFu

/* One forward edge: 8 bytes, identical in memory and in the EDGES section. */
typedef struct wa_edge {
    uint32_t to;    /* target object index */
    uint32_t label; /* WA_LABEL(kind, payload) */
} wa_edge;

typedef enum wa_root_kind {
    WA_ROOT_MODULE = 0,      /* a sys.modules entry; label: module name */
    WA_ROOT_THREAD = 1,      /* a thread's frame; label: "name (tid)" */
    WA_ROOT_EXTERNAL = 2,    /* refcount exceeds seen references; excess set */
    WA_ROOT_INTERPRETER = 3, /* interpreter state (builtins, sys, ...) */
    WA_ROOT_OTHER = 4,
    WA_ROOT_KIND_COUNT = 5
} wa_root_kind;

/* One root: 16 bytes, identical in memory and in the ROOTS section. */
typedef struct wa_root {
    uint32_t obj;    /* object index */
    uint32_t kind;   /* wa_root_kind */
    uint32_t label;  /* string id, 0 = none */
    uint32_t excess; /* WA_ROOT_EXTERNAL: refcount - references seen; else 0 */
} wa_root;

/* Dump metadata. Strings are "" when unknown, numbers 0 / -1. */
typedef struct wa_meta {
    uint32_t format_version;    /* version of the file this was read from */
    const char *tool_version;   /* whyalive version that wrote the dump */
    const char *python_version; /* e.g. "3.11.2" */
    const char *implementation; /* e.g. "CPython" */
    const char *host;
    const char *time; /* ISO 8601 UTC, e.g. "2026-11-26T01:02:03Z" */
    int64_t pid;      /* -1 if unknown */
    uint64_t rss;     /* process RSS in bytes at dump time, 0 if unknown */
    double seconds;   /* time the dump took, 0 if unknown */
    uint32_t argc;
    const char *const *argv;
    uint64_t dangling_edges; /* edges dropped by an earlier conversion */
    int source_format;       /* wa_format the snapshot was read from (0 if built) */
    int source_compression;  /* wa_compression of the input it was read from */
} wa_meta;

typedef struct wa_snapshot wa_snapshot; /* opaque */

typedef enum wa_format {
    WA_FORMAT_AUTO = 0,  /* by magic when reading, by extension when writing */
    WA_FORMAT_JSONL = 1, /* ".jsonl" (also ".json", and either with ".gz"/".zst") */
    WA_FORMAT_BINARY = 2 /* ".wa" (any other extension when writing: binary) */
} wa_format;

/* Progress callback for long loads: done/total in bytes; return non-zero to
 * cancel (the load then fails with WA_ERR_ARG "cancelled"). */
typedef int (*wa_progress_fn)(void *ctx, uint64_t done, uint64_t total);

typedef struct wa_load_options {
    wa_format format;        /* WA_FORMAT_AUTO: sniff the first bytes */
    wa_progress_fn progress; /* may be NULL */
    void *progress_ctx;
    /* Most bytes a gzip- or zstd-compressed input may decompress to; 0: the
     * default, WA_DECOMPRESS_FLOOR or WA_DECOMPRESS_RATIO times the
     * compressed size, whichever is larger (a few KiB that expand to
     * gigabytes are refused with an error, not held in memory). */
    uint64_t max_decompressed;
} wa_load_options;

#define WA_DECOMPRESS_FLOOR ((uint64_t)256 << 20)
#define WA_DECOMPRESS_RATIO 1024u

/* Load a snapshot file. opts may be NULL. Returns NULL and fills err on failure. */
wa_snapshot *wa_snapshot_load(const char *path, const wa_load_options *opts, wa_error *err);
void wa_snapshot_free(wa_snapshot *snap);
/* Load a snapshot held in memory (len bytes; copied where needed, so data
 * may be freed afterwards). name is used in error messages ("<memory>" if
 * NULL). Used by the fuzzers and by tests. */
wa_snapshot *wa_snapshot_load_memory(const void *data, size_t len, const char *name,
                                     const wa_load_options *opts, wa_error *err);

/* Compression of a dump as read: the loader recognises gzip and zstd by
 * their first bytes and decompresses them into memory. */
typedef enum wa_compression {
    WA_COMPRESSION_NONE = 0,
    WA_COMPRESSION_GZIP = 1,
    WA_COMPRESSION_ZSTD = 2
} wa_compression;
/* "none", "gzip" or "zstd". */
const char *wa_compression_name(wa_compression c);

/* Compression from a file name's last extension: ".gz" -> gzip, ".zst" or
 * ".zstd" -> zstd, else none. */
wa_compression wa_compression_from_path(const char *path);

/* Format from a file name's extension, after a compression extension
 * (".jsonl"/".json", also ".jsonl.gz", ".jsonl.zst" -> JSONL, else binary). */
wa_format wa_format_from_path(const char *path);
const char *wa_format_name(wa_format f);

/*
 * Write snap to path atomically (temporary file in the same directory, fsync,
 * rename; mode 0600). On failure nothing is left at path. Compressed as the
 * path's extension says (wa_compression_from_path).
 */
wa_status wa_snapshot_save(const wa_snapshot *snap, const char *path, wa_format format,
                           wa_error *err);
/* The same, compressed as asked (WA_COMPRESSION_NONE: not compressed). */
wa_status wa_snapshot_save_compressed(const wa_snapshot *snap, const char *path, wa_format format,
                                      wa_compression compression, wa_error *err);

/* Counts. */
uint32_t wa_snapshot_n_objects(const wa_snapshot *snap);
uint32_t wa_snapshot_n_edges(const wa_snapshot *snap);
uint32_t wa_snapshot_n_roots(const wa_snapshot *snap);
uint32_t wa_snapshot_n_types(const wa_snapshot *snap);
uint32_t wa_snapshot_n_strings(const wa_snapshot *snap);
uint64_t wa_snapshot_dangling(const wa_snapshot *snap);   /* dropped edges, incl. meta */
uint64_t wa_snapshot_total_size(const wa_snapshot *snap); /* sum of shallow sizes */
/* Bytes held by the snapshot's arena (the in-memory footprint). */
uint64_t wa_snapshot_memory(const wa_snapshot *snap);

/* Array views (valid until wa_snapshot_free). */
const wa_object *wa_snapshot_objects(const wa_snapshot *snap);
const wa_type *wa_snapshot_types(const wa_snapshot *snap);
const wa_root *wa_snapshot_roots(const wa_snapshot *snap);
const uint32_t *wa_snapshot_out_offsets(const wa_snapshot *snap); /* n_objects + 1 */
const wa_edge *wa_snapshot_edges(const wa_snapshot *snap);        /* n_edges */
const uint32_t *wa_snapshot_in_offsets(const wa_snapshot *snap);  /* n_objects + 1 */
const uint32_t *wa_snapshot_in_sources(const wa_snapshot *snap);  /* n_edges */
const wa_meta *wa_snapshot_meta(const wa_snapshot *snap);

/* Strings. id must be < n_strings; 0 gives "". */
const char *wa_snapshot_string(const wa_snapshot *snap, uint32_t id);
const char *wa_snapshot_type_name(const wa_snapshot *snap, uint32_t type);
const char *wa_snapshot_type_module(const wa_snapshot *snap, uint32_t type);
/* How a type is shown to people, decided here once for every front end:
 * display drops the "builtins." of builtin types ("dict"), qualname drops
 * the type's own module ("ConversationTranscriber" for
 * "app.stt.ConversationTranscriber"; "dict" for "builtins.dict"). Both point
 * into the full name. */
const char *wa_snapshot_type_display(const wa_snapshot *snap, uint32_t type);
const char *wa_snapshot_type_qualname(const wa_snapshot *snap, uint32_t type);
/* The display rule for a full type name given as text. */
const char *wa_type_display(const char *full_name);
/* Allocation site of an object ("file:line;file:line"), "" if none. */
const char *wa_snapshot_site(const wa_snapshot *snap, uint32_t obj);

/* Object index for an address, or WA_NONE. O(1) after a lazy O(n) index build. */
uint32_t wa_snapshot_find(const wa_snapshot *snap, uint64_t addr);

/* Whose namespace obj is, when it is a dict some object holds as its
 * __dict__: "module 'app.stt'", "class 'Session'" or "Session instance"
 * (like snprintf: the length wanted, 0 and "" when obj is no such dict). */
size_t wa_snapshot_dict_owner(const wa_snapshot *snap, uint32_t obj, char *buf, size_t cap);

/* Out-edges of obj: *edges points at the first, returns the count. */
uint32_t wa_snapshot_out(const wa_snapshot *snap, uint32_t obj, const wa_edge **edges);
/* In-edges of obj: *sources points at the referrer indexes, returns the count.
 * A referrer that holds obj twice appears twice. */
uint32_t wa_snapshot_in(const wa_snapshot *snap, uint32_t obj, const uint32_t **sources);
/* The label of every in-edge, in wa_snapshot_in_sources() order: the label
 * of in-edge j of obj is labels[(sources - wa_snapshot_in_sources(snap)) +
 * j], in O(1) (wa_snapshot_edge_label scans the referrer's references).
 * O(edges) time, 4 bytes per edge; caller frees. NULL when out of memory. */
uint32_t *wa_snapshot_in_labels(const wa_snapshot *snap, wa_error *err);

/*
 * Label of the n-th edge from src to dst (occurrence counts from 0), i.e. the
 * label for in-edge j of dst when in_src[j] == src. Returns the label word, or
 * WA_LABEL(WA_EDGE_OTHER, 0) if there is no such edge.
 */
uint32_t wa_snapshot_edge_label(const wa_snapshot *snap, uint32_t src, uint32_t dst,
                                uint32_t occurrence);

/*
 * Human form of an edge label: ".x", "['key']", "[3]", "{member}",
 * "<closure x>", "f_locals.x", "<weak>", or the raw text for OTHER ("" when
 * unlabeled). Writes at most cap bytes (always NUL-terminated when cap > 0)
 * and returns the length it wanted, like snprintf.
 */
size_t wa_label_format(const wa_snapshot *snap, uint32_t label, char *buf, size_t cap);

/*
 * A byte count for people, in binary units: "812 B", then "2.90 KiB",
 * "12.3 MiB", "512 GiB": about three significant digits, with at most
 * max_decimals decimals (2: "2.90 KiB", 1: "2.9 KiB", 0: "3 KiB"). Returns buf.
 */
const char *wa_size_text(uint64_t bytes, int max_decimals, char buf[32]);

const char *wa_edge_kind_name(wa_edge_kind kind);     /* "attr", "dict_value", ... */
int wa_edge_kind_parse(const char *name, size_t len); /* -1 if unknown */
const char *wa_root_kind_name(wa_root_kind kind);     /* "module", "thread", ... */
int wa_root_kind_parse(const char *name, size_t len); /* -1 if unknown */

/* ------------------------------------------------------------------------
 * Builder: construct a snapshot from objects and edges given by address.
 * Used by the JSON Lines reader, by tests and by generators. Objects may be
 * added in any order; edges reference target addresses that may be added
 * later. wa_builder_finish() resolves addresses, counts and drops dangling
 * edges, builds both CSRs and hands over a snapshot; the builder is then
 * freed whatever the outcome.
 * ------------------------------------------------------------------------ */
typedef struct wa_builder wa_builder;

wa_builder *wa_builder_new(wa_error *err);
void wa_builder_free(wa_builder *b); /* only if never finished */

/* Intern a string (len bytes, need not be NUL-terminated); returns its id,
 * 0 for the empty string, or WA_NONE on failure (err filled). */
uint32_t wa_builder_intern(wa_builder *b, const char *s, size_t len, wa_error *err);
/* Intern a type by full name and module; returns the type index or WA_NONE. */
uint32_t wa_builder_type(wa_builder *b, const char *name, const char *module, wa_error *err);

/* Add an object (its type/name/value ids come from this builder); returns its
 * index or WA_NONE. Duplicate addresses are detected in finish (WA_ERR_FORMAT). */
uint32_t wa_builder_object(wa_builder *b, const wa_object *obj, wa_error *err);
/* Add an edge from object index `from` to the object at address to_addr. */
wa_status wa_builder_edge(wa_builder *b, uint32_t from, uint64_t to_addr, uint32_t label,
                          wa_error *err);
/* Add a root by address (resolved in finish; a root at an unknown address is
 * an error). */
wa_status wa_builder_root(wa_builder *b, uint64_t addr, wa_root_kind kind, uint32_t label,
                          uint32_t excess, wa_error *err);
/* Allocation site string for object `obj`. */
wa_status wa_builder_site(wa_builder *b, uint32_t obj, uint32_t site, wa_error *err);
/* Metadata (strings are copied). argv may be NULL. */
wa_status wa_builder_meta(wa_builder *b, const wa_meta *meta, wa_error *err);
/* Expected counts, to pre-size arrays (optional). */
wa_status wa_builder_reserve(wa_builder *b, uint64_t objects, uint64_t edges, wa_error *err);

wa_snapshot *wa_builder_finish(wa_builder *b, const char *path_for_errors, wa_error *err);

#ifdef __cplusplus
}
#endif
#endif
