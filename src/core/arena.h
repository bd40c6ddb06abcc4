/*
 * arena.h: region allocator. A snapshot's arrays all come from one arena;
 * freeing the arena frees them all in one call.
 *
 * Invariant: memory handed out stays valid and unmoved until wa_arena_free();
 * allocations larger than the block size get a block of their own, so a load
 * is a few large allocations.
 */
#ifndef WA_ARENA_H
#define WA_ARENA_H

#include <stddef.h>
#include <stdint.h>

typedef struct wa_arena_block wa_arena_block;

typedef struct wa_arena {
    wa_arena_block *head;
    uint64_t bytes; /* total bytes obtained from the system */
} wa_arena;

void wa_arena_init(wa_arena *a);
/* Aligned to 16 bytes; returns NULL on overflow or out of memory. */
void *wa_arena_alloc(wa_arena *a, size_t size);
void *wa_arena_calloc(wa_arena *a, size_t count, size_t size);
char *wa_arena_strdup(wa_arena *a, const char *s);
void wa_arena_free(wa_arena *a);

#endif
