/*
 * whyalive/writer.h: streaming snapshot writer (the dumper writes through it;
 * wa_snapshot_save() uses it too).
 *
 * Invariants:
 *  - objects are written once each, in index order 0..n-1, after
 *    wa_writer_begin() announced n; an object's edges are written with it;
 *  - edge targets are given both as the target's index (binary CSR) and its
 *    address (JSON Lines); both must name an object of this dump;
 *  - an object's allocation site is given right after its object:
 *    wa_writer_site(w, i, ...) is valid only while object i is the object
 *    just written (only wa_writer_intern / wa_writer_type calls in between;
 *    several sites for it: the last wins); any other index fails with
 *    WA_ERR_ARG and leaves the writer failed (commit then refuses and removes
 *    the temporary file);
 *  - memory held by the writer is independent of the object and edge counts:
 *    the string table, types, roots, sites (binary: 8 bytes per object that
 *    has one), fixed stream buffers, and the largest edge list given to one
 *    wa_writer_object call. Object records, edge offsets and edges stream to
 *    disk (binary: header | OBJECTS | OUT_OFFSETS | EDGES, sized from n at
 *    begin; JSON Lines: one line per object);
 *  - output goes to a temporary file in the target's directory, created with
 *    mode 0600; wa_writer_commit() fsyncs and renames it into place, and on
 *    any failure (or wa_writer_abort()) the temporary file is removed, so the
 *    target path holds either the complete previous file or the complete new
 *    one, never a partial one.
 */
#ifndef WHYALIVE_WRITER_H
#define WHYALIVE_WRITER_H

#include <stddef.h>
#include <stdint.h>

#include "whyalive/error.h"
#include "whyalive/snapshot.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct wa_writer wa_writer;

/* One outgoing edge as the writer takes it. */
typedef struct wa_writer_edge {
    uint64_t to_addr; /* target address */
    uint32_t to;      /* target index */
    uint32_t label;   /* WA_LABEL(kind, payload); string payloads from wa_writer_intern */
} wa_writer_edge;

/* Open a writer. format WA_FORMAT_AUTO picks by path extension. */
wa_writer *wa_writer_open(const char *path, wa_format format, wa_error *err);

/* Compress the output (gzip or zstd; WA_COMPRESSION_NONE: plain, the
 * default) at level (0: the fastest, 1 for both). Call before
 * wa_writer_begin(). The file is compressed as it is written, on a second
 * thread, with memory bounded as without compression; the stats' bytes are
 * then the compressed size. Readers decompress it transparently. */
wa_status wa_writer_compress(wa_writer *w, wa_compression c, int level, wa_error *err);

/* Metadata: call before wa_writer_begin(). Strings are copied. */
wa_status wa_writer_meta(wa_writer *w, const wa_meta *meta, wa_error *err);

/* The dump's duration, known only at its end: callable any time after
 * wa_writer_meta() and before wa_writer_commit() (also after begin, objects
 * and roots); the committed file's metadata carries the last value given
 * (without a call: meta->seconds). seconds must be finite and >= 0, else
 * WA_ERR_ARG (and the writer is failed, like any other misuse, including a
 * call before wa_writer_meta()). JSON Lines keeps a fixed-width "seconds" field in its header
 * line and overwrites it at commit. */
wa_status wa_writer_set_seconds(wa_writer *w, double seconds, wa_error *err);

/* Intern a string; returns its id (0 for ""), or WA_NONE on failure. */
uint32_t wa_writer_intern(wa_writer *w, const char *s, size_t len, wa_error *err);
/* Intern a type (full dotted name and module); returns its index or WA_NONE. */
uint32_t wa_writer_type(wa_writer *w, const char *name, const char *module, wa_error *err);

/* Announce the object count; nothing else may be written before this. */
wa_status wa_writer_begin(wa_writer *w, uint32_t n_objects, wa_error *err);

/* An object whose edges are many: announce it with its edge count, then
 * give the edges in one or more wa_writer_edges() calls, in order. The
 * writer's memory stays bounded whatever the count (a list of a million
 * items needs no million-entry buffer on either side). Nothing else may be
 * written until all announced edges are given. */
wa_status wa_writer_object_begin(wa_writer *w, const wa_object *obj, uint64_t n_edges,
                                 wa_error *err);
wa_status wa_writer_edges(wa_writer *w, const wa_writer_edge *edges, uint32_t n, wa_error *err);

/* Write object number `index` (must be the next one) with its edges
 * (wa_writer_object_begin + wa_writer_edges). */
wa_status wa_writer_object(wa_writer *w, const wa_object *obj, const wa_writer_edge *edges,
                           uint32_t n_edges, wa_error *err);
/* Allocation site (an interned "file:line;file:line" string; 0: none, ignored)
 * of the object just written: index must be that of the last
 * wa_writer_object call, with no wa_writer_root since (see the invariants
 * above). */
wa_status wa_writer_site(wa_writer *w, uint32_t index, uint32_t site, wa_error *err);

/* Roots: after all objects. */
wa_status wa_writer_root(wa_writer *w, uint32_t index, uint64_t addr, wa_root_kind kind,
                         uint32_t label, uint32_t excess, wa_error *err);

typedef struct wa_writer_stats {
    uint64_t objects, edges, roots, bytes;
} wa_writer_stats;

/* Finish, fsync and rename into place. The writer is freed in all cases. */
wa_status wa_writer_commit(wa_writer *w, wa_writer_stats *stats, wa_error *err);
/* Discard everything written; the writer is freed. Safe on NULL. */
void wa_writer_abort(wa_writer *w);

#ifdef __cplusplus
}
#endif
#endif
