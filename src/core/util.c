#include "core/util.h"

#include <stdlib.h>

size_t wa_utf8_check(const char *str, size_t n) {
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0;
    while (i < n) {
        /* ASCII fast path, eight bytes at a time. */
        while (i + 8 <= n && (wa_load64(s + i) & 0x8080808080808080ull) == 0) i += 8;
        if (i >= n) break;
        unsigned c = s[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t need;
        unsigned lo = 0x80, hi = 0xBF;
        if (c >= 0xC2 && c <= 0xDF) {
            need = 1;
        } else if (c >= 0xE0 && c <= 0xEF) {
            need = 2;
            if (c == 0xE0) lo = 0xA0;
            if (c == 0xED) hi = 0x9F; /* no UTF-16 surrogates */
        } else if (c >= 0xF0 && c <= 0xF4) {
            need = 3;
            if (c == 0xF0) lo = 0x90;
            if (c == 0xF4) hi = 0x8F;
        } else {
            return i;
        }
        if (n - i - 1 < need) return i;
        if (s[i + 1] < lo || s[i + 1] > hi) return i;
        for (size_t k = 2; k <= need; k++)
            if ((s[i + k] & 0xC0) != 0x80) return i;
        i += need + 1;
    }
    return n;
}

uint64_t wa_fnv_str(uint64_t h, const char *s) {
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 0x100000001B3ull;
    }
    h ^= 0xFF; /* terminator, so "ab"+"c" and "a"+"bc" differ */
    h *= 0x100000001B3ull;
    return h;
}

uint64_t wa_fnv_u64(uint64_t h, uint64_t x) {
    for (int i = 0; i < 8; i++) {
        h ^= (x >> (8 * i)) & 0xFF;
        h *= 0x100000001B3ull;
    }
    return h;
}

int wa_grow(void **arr, uint64_t *cap, uint64_t need, size_t elem, uint64_t max_elems) {
    if (need <= *cap) return 0;
    if (need > max_elems) return -1;
    uint64_t nc = *cap ? *cap : 16;
    while (nc < need) nc = nc > max_elems / 2 ? max_elems : nc * 2;
    if (nc > SIZE_MAX / elem) return -1;
    void *p = realloc(*arr, (size_t)(nc * elem));
    if (!p) return -1;
    *arr = p;
    *cap = nc;
    return 0;
}

/* ---------------- string table ---------------- */

static int strtab_rehash(wa_strtab *t, uint32_t new_cap) {
    uint32_t *slots = malloc((size_t)new_cap * sizeof *slots);
    if (!slots) return -1;
    memset(slots, 0xFF, (size_t)new_cap * sizeof *slots);
    uint32_t mask = new_cap - 1;
    for (uint32_t id = 0; id < t->n; id++) {
        uint64_t len = t->off[id + 1] - t->off[id] - 1;
        uint64_t h = wa_hash_bytes(t->blob + t->off[id], (size_t)len);
        uint32_t i = (uint32_t)h & mask;
        while (slots[i] != WA_NONE) i = (i + 1) & mask;
        slots[i] = id;
    }
    free(t->slots);
    t->slots = slots;
    t->mask = mask;
    return 0;
}

wa_status wa_strtab_init(wa_strtab *t, int sanitize, wa_error *err) {
    memset(t, 0, sizeof *t);
    t->sanitize = sanitize;
    t->cap = 1 << 16;
    t->blob = malloc(t->cap);
    t->off_cap = 1024;
    t->off = malloc(t->off_cap * sizeof *t->off);
    if (!t->blob || !t->off || strtab_rehash(t, 1024) != 0) {
        wa_strtab_free(t);
        return wa_error_set(err, WA_ERR_NOMEM, NULL, WA_POS_NONE, WA_POS_NONE,
                            "out of memory creating a string table");
    }
    t->blob[0] = '\0';
    t->len = 1;
    t->off[0] = 0;
    t->off[1] = 1;
    t->n = 1;
    uint64_t h = wa_hash_bytes("", 0);
    t->slots[(uint32_t)h & t->mask] = 0;
    return WA_OK;
}

void wa_strtab_free(wa_strtab *t) {
    free(t->blob);
    free(t->off);
    free(t->slots);
    memset(t, 0, sizeof *t);
}

/* Copy s into dst replacing invalid UTF-8 and NUL bytes by U+FFFD; dst must
 * hold 3 * len bytes. Returns the bytes written. */
static size_t sanitize_copy(char *dst, const char *s, size_t len) {
    size_t o = 0, i = 0;
    while (i < len) {
        size_t ok = wa_utf8_check(s + i, len - i);
        const char *nul = memchr(s + i, 0, ok);
        if (nul) ok = (size_t)(nul - (s + i));
        memcpy(dst + o, s + i, ok);
        o += ok;
        i += ok;
        if (i < len) {
            memcpy(dst + o, "\xEF\xBF\xBD", 3);
            o += 3;
            i++;
        }
    }
    return o;
}

static uint32_t strtab_find_or_add(wa_strtab *t, const char *s, size_t len, uint64_t h,
                                   wa_error *err) {
    uint32_t i = (uint32_t)h & t->mask;
    for (;;) {
        uint32_t id = t->slots[i];
        if (id == WA_NONE) break;
        if (t->off[id + 1] - t->off[id] - 1 == len && memcmp(t->blob + t->off[id], s, len) == 0)
            return id;
        i = (i + 1) & t->mask;
    }
    if (t->n >= WA_MAX_STRINGS)
        return wa_error_set(err, WA_ERR_LIMIT, NULL, WA_POS_NONE, WA_POS_NONE,
                            "more than %u distinct strings", WA_MAX_STRINGS),
               WA_NONE;
    uint64_t cap64 = t->off_cap;
    if (wa_grow((void **)&t->off, &cap64, (uint64_t)t->n + 2, sizeof *t->off,
                (uint64_t)WA_MAX_STRINGS + 2) != 0 ||
        wa_grow((void **)&t->blob, &t->cap, t->len + len + 1, 1, UINT64_MAX / 2) != 0) {
        t->off_cap = (uint32_t)(cap64 < t->off_cap ? t->off_cap : cap64);
        return wa_error_set(err, WA_ERR_NOMEM, NULL, WA_POS_NONE, WA_POS_NONE,
                            "out of memory interning a string"),
               WA_NONE;
    }
    t->off_cap = (uint32_t)cap64;
    uint32_t id = t->n;
    memcpy(t->blob + t->len, s, len);
    t->blob[t->len + len] = '\0';
    t->len += len + 1;
    t->off[id + 1] = t->len;
    t->n++;
    t->slots[i] = id;
    if ((uint64_t)t->n * 2 > (uint64_t)t->mask + 1) {
        if (strtab_rehash(t, (t->mask + 1) * 2) != 0)
            return wa_error_set(err, WA_ERR_NOMEM, NULL, WA_POS_NONE, WA_POS_NONE,
                                "out of memory interning a string"),
                   WA_NONE;
    }
    return id;
}

uint32_t wa_strtab_intern(wa_strtab *t, const char *s, size_t len, wa_error *err) {
    if (len == 0) return 0;
    if (len > WA_MAX_STRING_BYTES) {
        wa_error_set(err, WA_ERR_LIMIT, NULL, WA_POS_NONE, WA_POS_NONE,
                     "string of %zu bytes is longer than the limit of %u bytes", len,
                     WA_MAX_STRING_BYTES);
        return WA_NONE;
    }
    uint64_t h = wa_hash_bytes(s, len);
    /* Quick hit on an existing string before validating: only new strings
     * need the UTF-8 check (existing ones were valid when added). */
    uint32_t i = (uint32_t)h & t->mask;
    for (;;) {
        uint32_t id = t->slots[i];
        if (id == WA_NONE) break;
        if (t->off[id + 1] - t->off[id] - 1 == len && memcmp(t->blob + t->off[id], s, len) == 0)
            return id;
        i = (i + 1) & t->mask;
    }
    size_t bad = wa_utf8_check(s, len);
    const char *nul = memchr(s, 0, bad);
    if (bad == len && !nul) return strtab_find_or_add(t, s, len, h, err);
    if (!t->sanitize) {
        if (nul && (size_t)(nul - s) < bad)
            wa_error_set(err, WA_ERR_FORMAT, NULL, WA_POS_NONE, WA_POS_NONE,
                         "string contains a NUL character at byte %zu", (size_t)(nul - s));
        else
            wa_error_set(err, WA_ERR_FORMAT, NULL, WA_POS_NONE, WA_POS_NONE,
                         "string is not valid UTF-8 (byte %zu)", bad);
        return WA_NONE;
    }
    char *tmp = malloc(len * 3);
    if (!tmp) {
        wa_error_set(err, WA_ERR_NOMEM, NULL, WA_POS_NONE, WA_POS_NONE, "out of memory");
        return WA_NONE;
    }
    size_t n2 = sanitize_copy(tmp, s, len);
    uint32_t id = n2 > WA_MAX_STRING_BYTES
                      ? (wa_error_set(err, WA_ERR_LIMIT, NULL, WA_POS_NONE, WA_POS_NONE,
                                      "string too long after replacing invalid UTF-8"),
                         WA_NONE)
                      : strtab_find_or_add(t, tmp, n2, wa_hash_bytes(tmp, n2), err);
    free(tmp);
    return id;
}

/* ---------------- type table ---------------- */

void wa_typetab_init(wa_typetab *t) { memset(t, 0, sizeof *t); }

void wa_typetab_free(wa_typetab *t) {
    free(t->types);
    free(t->slots);
    memset(t, 0, sizeof *t);
}

static uint32_t type_hash(uint32_t name, uint32_t module) {
    return (uint32_t)wa_hash_u64(((uint64_t)name << 32) | module);
}

uint32_t wa_typetab_add(wa_typetab *t, uint32_t name, uint32_t module, wa_error *err) {
    if (t->slots) {
        uint32_t i = type_hash(name, module) & t->mask;
        for (;;) {
            uint32_t id = t->slots[i];
            if (id == WA_NONE) break;
            if (t->types[id].name == name && t->types[id].module == module) return id;
            i = (i + 1) & t->mask;
        }
    }
    if (t->n >= WA_MAX_STRINGS) {
        wa_error_set(err, WA_ERR_LIMIT, NULL, WA_POS_NONE, WA_POS_NONE, "too many types");
        return WA_NONE;
    }
    uint64_t cap = t->cap;
    if (wa_grow((void **)&t->types, &cap, (uint64_t)t->n + 1, sizeof *t->types, WA_MAX_STRINGS) !=
        0) {
        wa_error_set(err, WA_ERR_NOMEM, NULL, WA_POS_NONE, WA_POS_NONE, "out of memory");
        return WA_NONE;
    }
    t->cap = (uint32_t)cap;
    uint32_t id = t->n++;
    t->types[id].name = name;
    t->types[id].module = module;
    if (!t->slots || (uint64_t)t->n * 2 > (uint64_t)t->mask + 1) {
        uint32_t nc = t->slots ? (t->mask + 1) * 2 : 64;
        uint32_t *slots = malloc((size_t)nc * sizeof *slots);
        if (!slots) {
            t->n--;
            wa_error_set(err, WA_ERR_NOMEM, NULL, WA_POS_NONE, WA_POS_NONE, "out of memory");
            return WA_NONE;
        }
        memset(slots, 0xFF, (size_t)nc * sizeof *slots);
        free(t->slots);
        t->slots = slots;
        t->mask = nc - 1;
        for (uint32_t k = 0; k < t->n; k++) {
            uint32_t i = type_hash(t->types[k].name, t->types[k].module) & t->mask;
            while (t->slots[i] != WA_NONE) i = (i + 1) & t->mask;
            t->slots[i] = k;
        }
    } else {
        uint32_t i = type_hash(name, module) & t->mask;
        while (t->slots[i] != WA_NONE) i = (i + 1) & t->mask;
        t->slots[i] = id;
    }
    return id;
}

wa_status wa_type_split_intern(wa_strtab *t, const char *s, size_t len, uint32_t *name,
                               uint32_t *module, wa_error *err) {
    const char *colon = memchr(s, ':', len);
    if (colon) {
        size_t ml = (size_t)(colon - s), ql = len - ml - 1;
        if (ml == 0 || ql == 0)
            return wa_error_set(err, WA_ERR_FORMAT, NULL, WA_POS_NONE, WA_POS_NONE,
                                "type \"module:qualname\" has an empty part");
        char stack[256];
        char *buf = len + 1 <= sizeof stack ? stack : malloc(len + 1);
        if (!buf)
            return wa_error_set(err, WA_ERR_NOMEM, NULL, WA_POS_NONE, WA_POS_NONE, "out of memory");
        memcpy(buf, s, len);
        buf[ml] = '.';
        *name = wa_strtab_intern(t, buf, len, err);
        *module = *name == WA_NONE ? WA_NONE : wa_strtab_intern(t, s, ml, err);
        if (buf != stack) free(buf);
        return *module == WA_NONE ? (err ? err->code : WA_ERR_FORMAT) : WA_OK;
    }
    const char *dot = NULL;
    for (size_t i = len; i > 0; i--)
        if (s[i - 1] == '.') {
            dot = s + i - 1;
            break;
        }
    if (dot) {
        *name = wa_strtab_intern(t, s, len, err);
        *module = *name == WA_NONE ? WA_NONE : wa_strtab_intern(t, s, (size_t)(dot - s), err);
        return *module == WA_NONE ? (err ? err->code : WA_ERR_FORMAT) : WA_OK;
    }
    char stack[256];
    size_t full = len + 9;
    char *buf = full <= sizeof stack ? stack : malloc(full);
    if (!buf)
        return wa_error_set(err, WA_ERR_NOMEM, NULL, WA_POS_NONE, WA_POS_NONE, "out of memory");
    memcpy(buf, "builtins.", 9);
    memcpy(buf + 9, s, len);
    *name = wa_strtab_intern(t, buf, full, err);
    *module = *name == WA_NONE ? WA_NONE : wa_strtab_intern(t, "builtins", 8, err);
    if (buf != stack) free(buf);
    return *module == WA_NONE ? (err ? err->code : WA_ERR_FORMAT) : WA_OK;
}
