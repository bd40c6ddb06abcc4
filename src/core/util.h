/*
 * util.h: small helpers shared by the core and the layers above: a
 * word-at-a-time hash for hash tables, FNV-style hashes for keys that must
 * agree across snapshots, UTF-8 validation, and the string table used by the
 * builder and the writer.
 *
 * Invariant: a wa_strtab holds each distinct string once; id 0 is "" and ids
 * are dense in insertion order; every stored string is NUL-terminated, holds
 * no interior NUL and is valid UTF-8 (invalid input is rejected, or replaced
 * by U+FFFD when the table was created with sanitize set).
 */
#ifndef WA_UTIL_H
#define WA_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "whyalive/error.h"
#include "whyalive/snapshot.h"

#define WA_K1 0x9E3779B97F4A7C15ull
#define WA_K2 0xBF58476D1CE4E5B9ull
#define WA_K3 0x94D049BB133111EBull

static inline uint64_t wa_rotl64(uint64_t x, unsigned r) { return (x << r) | (x >> (64 - r)); }

static inline uint64_t wa_load64(const void *p) {
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

static inline uint64_t wa_mix64(uint64_t h) {
    h ^= h >> 31;
    h *= WA_K2;
    h ^= h >> 29;
    h *= WA_K3;
    h ^= h >> 32;
    return h;
}

/* Hash for hash tables (not the file checksum: that is the format layer's
 * wa_checksum). */
static inline uint64_t wa_hash_bytes(const void *data, size_t n) {
    const unsigned char *p = data;
    uint64_t h = WA_K1 ^ (n * WA_K3);
    while (n >= 8) {
        h = wa_rotl64(h ^ (wa_load64(p) * WA_K2), 29) * WA_K1;
        p += 8;
        n -= 8;
    }
    if (n) {
        uint64_t w = 0;
        memcpy(&w, p, n);
        h = wa_rotl64(h ^ (w * WA_K2), 29) * WA_K1;
    }
    return wa_mix64(h);
}

static inline uint64_t wa_hash_u64(uint64_t x) {
    x *= WA_K1;
    return x ^ (x >> 32);
}

/* FNV-1a style hashes that continue from h, for keys that must agree across
 * snapshots and runs (type names, path shapes): a string with its
 * terminator, and the 8 bytes of x. */
uint64_t wa_fnv_str(uint64_t h, const char *s);
uint64_t wa_fnv_u64(uint64_t h, uint64_t x);

/* Index of the first byte that breaks UTF-8 (overlongs, surrogates and code
 * points above U+10FFFF are invalid), or n when all of s is valid. */
size_t wa_utf8_check(const char *s, size_t n);

typedef struct wa_strtab {
    char *blob;
    uint64_t len, cap;   /* blob bytes used / allocated */
    uint64_t *off;       /* off[id] = start of string id; off[n] = len */
    uint32_t n, off_cap; /* strings */
    uint32_t *slots;     /* open addressing over ids, WA_NONE = empty */
    uint32_t mask;
    int sanitize; /* replace invalid UTF-8 / NUL by U+FFFD instead of failing */
} wa_strtab;

wa_status wa_strtab_init(wa_strtab *t, int sanitize, wa_error *err);
void wa_strtab_free(wa_strtab *t);
/* Id of s[0..len), adding it if new; WA_NONE and err filled on failure
 * (WA_ERR_FORMAT for bad UTF-8 or NUL, WA_ERR_LIMIT, WA_ERR_NOMEM). */
uint32_t wa_strtab_intern(wa_strtab *t, const char *s, size_t len, wa_error *err);
static inline const char *wa_strtab_get(const wa_strtab *t, uint32_t id) {
    return t->blob + t->off[id];
}

/* Types keyed by (name id, module id). */
typedef struct wa_typetab {
    wa_type *types;
    uint32_t n, cap;
    uint32_t *slots;
    uint32_t mask;
} wa_typetab;

void wa_typetab_init(wa_typetab *t);
void wa_typetab_free(wa_typetab *t);
uint32_t wa_typetab_add(wa_typetab *t, uint32_t name, uint32_t module, wa_error *err);

/* Split a type given as "module.qual" (module = before the last dot,
 * "builtins" when there is none) or "module:qual.name" into the full dotted
 * name and the module, interned in t. Returns WA_OK or an error. */
wa_status wa_type_split_intern(wa_strtab *t, const char *s, size_t len, uint32_t *name,
                               uint32_t *module, wa_error *err);

/* Grow a malloc'd array to hold at least need elements; 0 on success. */
int wa_grow(void **arr, uint64_t *cap, uint64_t need, size_t elem, uint64_t max_elems);

#endif
