/*
 * whyalive/index.h: the sidecar index of a dump: the expensive analyses of
 * a session (the dominator tree, from which the retained sizes follow, and
 * the BFS path tree) kept in DUMP.wai next to DUMP, so that the next command
 * on the same dump reads them instead of computing them again.
 *
 * Invariants:
 *  - an index is never required: a missing, stale (another dump, or another
 *    version of this one), damaged, truncated or unreadable index, or one of
 *    another index version, is ignored and its parts are computed again;
 *    nothing about it is an error of the command;
 *  - an index is tied to its dump by the dump's identity, taken when the
 *    index is opened (before the dump is loaded) and again before it is
 *    written (nothing is written when the dump changed in between): a binary
 *    dump is identified by its size and its checksummed header and footer
 *    (the footer holds the checksum of the table of contents, which holds
 *    every section's checksum), any other file (JSON Lines, compressed) by
 *    its size, modification time and a checksum of its first and last
 *    64 KiB. Standard input and anything that is not a regular file have no
 *    identity and no index;
 *  - the index file is untrusted input: every length, count and object index
 *    in it is validated before use (docs/format.md, "Index file");
 *  - it is written atomically (a temporary file in the dump's directory,
 *    fsync, rename); when that fails (a read-only directory), the command
 *    goes on and the session reports it through its index hook;
 *  - WHYALIVE_NO_INDEX=1 in the environment turns the index off for every
 *    front end (wa_index_open() then gives WA_INDEX_OFF);
 *  - the library never prints.
 *
 * A session uses an index through wa_session_set_index() (whyalive/
 * session.h): that is the only place the index's parts go in and out.
 */
#ifndef WHYALIVE_INDEX_H
#define WHYALIVE_INDEX_H

#include <stdint.h>

#include "whyalive/error.h"
#include "whyalive/snapshot.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The index of DUMP is DUMP followed by this suffix ("heap.wa.wai"). */
#define WA_INDEX_SUFFIX ".wai"

typedef enum wa_index_state {
    WA_INDEX_OFF = 0,     /* not used (--no-index, WHYALIVE_NO_INDEX=1, index=False) */
    WA_INDEX_NO_ID = 1,   /* the dump has no identity (standard input, not a regular file) */
    WA_INDEX_ABSENT = 2,  /* no index file (yet) */
    WA_INDEX_VALID = 3,   /* an index of this dump: its parts are used */
    WA_INDEX_STALE = 4,   /* an index of another dump, or of an older version of this one */
    WA_INDEX_DAMAGED = 5, /* unreadable, truncated, corrupt, or of another index version */
} wa_index_state;

/* Flags of wa_index_open(). */
#define WA_INDEX_READ 1u  /* use the parts an index holds */
#define WA_INDEX_WRITE 2u /* save the parts the session computes */

/* What a valid index holds (wa_index_holds). */
typedef enum wa_index_content {
    WA_INDEX_HAS_DOM = 0, /* the dominator tree (and so the retained sizes) */
    WA_INDEX_HAS_TREE = 1 /* the BFS path tree */
} wa_index_content;

typedef struct wa_index wa_index;

/* Identify the dump at dump_path and open its index, if any: call it before
 * loading the dump. A missing or unusable index is no failure (see
 * wa_index_state_of); NULL with err filled only when out of memory. flags 0
 * (or WHYALIVE_NO_INDEX=1) gives an index in state WA_INDEX_OFF, which
 * neither reads nor writes anything. */
wa_index *wa_index_open(const char *dump_path, unsigned flags, wa_error *err);
void wa_index_free(wa_index *ix);

/* Check the index against the loaded snapshot (object, edge and root
 * counts): a valid index of another shape becomes stale. The session does
 * this when it is given the index. */
void wa_index_check_snapshot(wa_index *ix, const wa_snapshot *snap);

wa_index_state wa_index_state_of(const wa_index *ix);
/* "off", "no dump identity", "absent", "valid", "stale", "damaged". */
const char *wa_index_state_name(wa_index_state state);
/* The index file's path (DUMP.wai); NULL when the dump has none. */
const char *wa_index_path(const wa_index *ix);
/* Why the index was ignored or not written ("" if nothing went wrong). */
const char *wa_index_note(const wa_index *ix);
/* 1 when a valid index holds that part. */
int wa_index_holds(const wa_index *ix, wa_index_content what);
/* 1 when WHYALIVE_NO_INDEX is set to anything but "" or "0". */
int wa_index_disabled_by_env(void);

#ifdef __cplusplus
}
#endif
#endif
