/*
 * index_impl.h: the sidecar index file inside the library (index.c): its
 * sections as raw arrays, read and written for the analysis session, which
 * turns them into (and checks them as) a dominator tree and a path tree.
 * docs/format.md ("Index file") is the normative description.
 *
 * Invariant: a section handed out has the length its reader asked for and
 * matches its checksum; what its values mean (object indexes, a tree) is
 * the session's to validate, and any doubt there goes back through
 * wa_index_reject(), after which nothing more is read from that index.
 */
#ifndef WA_FORMAT_INDEX_IMPL_H
#define WA_FORMAT_INDEX_IMPL_H

#include <stddef.h>
#include <stdint.h>

#include "whyalive/index.h"

/* Index file version; bumped whenever the layout or the meaning of a
 * section changes (an index of another version is ignored). */
#define WA_INDEX_VERSION 1u
/* Revision of the analyses whose results an index holds: bumped when the
 * dominators or the path tree would come out differently (another child
 * order, another tie break), so that old indexes go stale. */
#define WA_INDEX_ANALYSIS_REVISION 1u

enum {
    WA_IXS_DOM_IDOM = 1,     /* u32 per object: wa_dom.idom */
    WA_IXS_DOM_PREORDER = 2, /* u32 per reachable object: wa_dom.preorder */
    WA_IXS_DOM_STATS = 3,    /* u64 weak_edges, u64 peak_temp */
    WA_IXS_TREE_PARENT = 4,  /* u32 per object: wa_path_tree.parent */
    WA_IXS_TREE_VIA = 5,     /* u32 per object: wa_path_tree.via (0 where unreachable) */
    WA_IXS_DOM_RETAINED = 6, /* u64 per object: wa_dom.retained */
    WA_IXS_MAX = 6
};

/* A dump's identity (see whyalive/index.h). */
typedef struct wa_index_dump_id {
    uint32_t kind; /* 1: binary dump (header + footer), 2: other file (head + tail + mtime) */
    uint32_t format_version;
    uint64_t size, mtime_ns, sum_a, sum_b;
} wa_index_dump_id;

/* The identity of the file at path; -1 (errno set) when it has none. */
int wa_index_identify(const char *path, wa_index_dump_id *id);

/* An index read from memory (data copied) for a dump of identity id: the
 * fuzz target's and the tests' way in. flags as wa_index_open(). */
wa_index *wa_index_open_memory(const void *data, size_t len, const wa_index_dump_id *id,
                               unsigned flags, wa_error *err);

unsigned wa_index_flags(const wa_index *ix);
/* 1 while a write may be tried (WA_INDEX_WRITE, a dump identity, no failed
 * write yet). */
int wa_index_can_write(const wa_index *ix);

/* Section id, as count elements of elem bytes (count WA_INDEX_ANY: any
 * whole number of elements up to max), in place: *out points into the index
 * (the file mapped once, read-only, or the memory of wa_index_open_memory),
 * valid until wa_index_free(), also after a rejection. Its checksum is
 * verified on the first view. Every section starts 64-byte aligned.
 * Returns 1 (*out, *n set), 0 when the index (valid) does not hold it or is
 * not valid, -1 when it is damaged (the index is then rejected, its note
 * says why). */
#define WA_INDEX_ANY UINT64_MAX
int wa_index_view_section(wa_index *ix, uint32_t id, size_t elem, uint64_t count, uint64_t max,
                          const void **out, uint64_t *n);

/* The index is unusable (a section failed the session's checks): state
 * WA_INDEX_DAMAGED with why as its note. */
void wa_index_reject(wa_index *ix, const char *why);

/* One section to write. */
typedef struct wa_index_section_out {
    uint32_t id;
    const void *data;
    uint64_t len; /* bytes */
} wa_index_section_out;

/* Write the index of snap with these sections, atomically, in place of any
 * index file there: only when the index was opened with WA_INDEX_WRITE and
 * the dump still has the identity it had when the index was opened.
 * WA_ERR_IO with err filled when it could not be written (the note says the
 * same, and no later write is tried). */
wa_status wa_index_write(wa_index *ix, const wa_snapshot *snap, const wa_index_section_out *secs,
                         uint32_t n, wa_error *err);

/* The bytes wa_index_write() would write (for tests and the fuzz corpus):
 * a malloc'd buffer in *out of *len bytes. */
wa_status wa_index_build(const wa_index_dump_id *id, const wa_snapshot *snap,
                         const wa_index_section_out *secs, uint32_t n, unsigned char **out,
                         size_t *len, wa_error *err);

#endif
