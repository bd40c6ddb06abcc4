/*
 * builder_impl.h: hooks the readers use so that errors found only in
 * wa_builder_finish() (duplicate addresses, roots at unknown addresses) can
 * name the input line they came from. Not public API.
 */
#ifndef WA_BUILDER_IMPL_H
#define WA_BUILDER_IMPL_H

#include "whyalive/snapshot.h"

/* Maps an object index to its input position (1-based line), or WA_POS_NONE. */
typedef uint64_t (*wa_builder_locate_fn)(void *ctx, uint32_t obj);
void wa_builder_set_locator(wa_builder *b, wa_builder_locate_fn fn, void *ctx);

/* wa_builder_root() remembering the input line for error messages. */
wa_status wa_builder_root_at(wa_builder *b, uint64_t addr, wa_root_kind kind, uint32_t label,
                             uint32_t excess, uint64_t line, wa_error *err);

/* Allocation site of the object at addr (resolved in finish; unknown address
 * is an error naming line). */
wa_status wa_builder_site_addr(wa_builder *b, uint64_t addr, uint32_t site, uint64_t line,
                               wa_error *err);

/* The builder's string table (readers intern types through it). */
struct wa_strtab *wa_builder_strtab(wa_builder *b);
/* Type by already interned ids. */
uint32_t wa_builder_type_ids(wa_builder *b, uint32_t name, uint32_t module, wa_error *err);
/* Add dropped edges counted elsewhere (e.g. a reader's own checks). */
void wa_builder_add_dangling(wa_builder *b, uint64_t n);

/*
 * Move everything src holds behind what dst holds, as if src's calls had
 * been made on dst after dst's own: src's strings and types are interned into
 * dst in src's order (so ids come out as a single builder would give them),
 * src's object indexes shift by dst's object count, and the input lines of
 * src's roots and sites by line_offset. src's metadata and locator are
 * dropped. src is freed whatever the outcome; on failure dst is only fit to
 * be freed. Lets a reader parse parts of one input in parallel.
 */
wa_status wa_builder_append(wa_builder *dst, wa_builder *src, uint64_t line_offset, wa_error *err);

#endif
