#include "core/arena.h"

#include <stdlib.h>
#include <string.h>

#include "core/containers.h"

#define WA_ARENA_BLOCK (1u << 20)

/* Blocks from this size on are mapped (wa_map_big: 2 MiB-aligned, huge
 * pages): the file image and the edge and index arrays of a load. */
#define WA_ARENA_MAP_MIN ((size_t)2 << 20)

struct wa_arena_block {
    wa_arena_block *next;
    size_t used, cap, mapped; /* mapped: the mapping's length, 0 if malloc'd */
    /* data follows, 16-byte aligned */
};

#define HDR ((sizeof(wa_arena_block) + 15u) & ~(size_t)15u)

void wa_arena_init(wa_arena *a) {
    a->head = NULL;
    a->bytes = 0;
}

static wa_arena_block *new_block(wa_arena *a, size_t cap) {
    if (cap > SIZE_MAX - HDR) return NULL;
    size_t bytes = HDR + cap;
    wa_arena_block *b = bytes >= WA_ARENA_MAP_MIN ? wa_map_big(bytes) : malloc(bytes);
    if (!b) return NULL;
    b->mapped = bytes >= WA_ARENA_MAP_MIN ? bytes : 0;
    b->used = 0;
    b->cap = cap;
    a->bytes += HDR + cap;
    return b;
}

void *wa_arena_alloc(wa_arena *a, size_t size) {
    if (size > SIZE_MAX - 15u) return NULL;
    size = (size + 15u) & ~(size_t)15u;
    if (size == 0) size = 16;
    wa_arena_block *b = a->head;
    if (b && b->cap - b->used >= size) {
        void *p = (char *)b + HDR + b->used;
        b->used += size;
        return p;
    }
    if (size >= WA_ARENA_BLOCK / 4) {
        /* A big array gets its own block, linked behind the current one so
         * the current block keeps serving small requests. */
        wa_arena_block *big = new_block(a, size);
        if (!big) return NULL;
        big->used = size;
        if (b) {
            big->next = b->next;
            b->next = big;
        } else {
            big->next = NULL;
            a->head = big;
        }
        return (char *)big + HDR;
    }
    wa_arena_block *nb = new_block(a, WA_ARENA_BLOCK);
    if (!nb) return NULL;
    nb->next = a->head;
    a->head = nb;
    nb->used = size;
    return (char *)nb + HDR;
}

void *wa_arena_calloc(wa_arena *a, size_t count, size_t size) {
    if (size && count > SIZE_MAX / size) return NULL;
    void *p = wa_arena_alloc(a, count * size);
    if (p) memset(p, 0, count * size);
    return p;
}

char *wa_arena_strdup(wa_arena *a, const char *s) {
    size_t n = strlen(s);
    char *p = wa_arena_alloc(a, n + 1);
    if (p) memcpy(p, s, n + 1);
    return p;
}

void wa_arena_free(wa_arena *a) {
    wa_arena_block *b = a->head;
    while (b) {
        wa_arena_block *n = b->next;
        if (b->mapped)
            wa_unmap_big(b, b->mapped);
        else
            free(b);
        b = n;
    }
    a->head = NULL;
    a->bytes = 0;
}
