/* Malformed input, one case per failure class: the error code, the position
 * (line for JSON Lines, byte offset for binary) and what was expected. */
#include "format/format_impl.h"
#include "wa_test.h"
#include "whyalive/whyalive.h"

#define HDR "{\"whyalive\":1}\n"
#define OBJ(a) "{\"addr\":\"" a "\",\"type\":\"m.T\",\"size\":8}\n"

static void jsonl_case(const char *text, wa_status code, uint64_t line, const char *needle) {
    wa_error err;
    wa_snapshot *s = wa_snapshot_load_memory(text, strlen(text), "bad.jsonl", NULL, &err);
    CHECK(s == NULL);
    wa_snapshot_free(s);
    if (err.code != code || err.line != line || !strstr(err.what, needle) ||
        strncmp(wa_error_string(&err), "bad.jsonl:", 10) != 0) {
        fprintf(stderr, "  for %.60s...\n  got code %d line %llu: %s\n", text, err.code,
                (unsigned long long)err.line, wa_error_string(&err));
        CHECK(0);
    }
}

static void test_jsonl_cases(void) {
    /* truncated: a cut line, and a file ending before the declared count */
    jsonl_case("{\"whyalive\":1,\"objects\":3}\n" OBJ("0x1") "{\"addr\":\"0x2\",\"ty",
               WA_ERR_FORMAT, 3, "malformed JSON");
    jsonl_case("{\"whyalive\":1,\"objects\":3}\n" OBJ("0x1") OBJ("0x2"), WA_ERR_FORMAT, 3,
               "truncated");
    jsonl_case(HDR OBJ("0x1") "{\"addr\": 1,, }\n", WA_ERR_FORMAT, 3,
               "malformed JSON near column 13");
    jsonl_case(HDR "{\"addr\":\"0x1\",\"type\":\"m.T\"}\n", WA_ERR_FORMAT, 2, "\"size\"");
    jsonl_case(HDR "{\"addr\":\"0x1\",\"size\":1}\n", WA_ERR_FORMAT, 2, "\"type\"");
    jsonl_case(HDR "{\"type\":\"m.T\",\"size\":1,\"root\":1}\n", WA_ERR_FORMAT, 2, "root kind");
    jsonl_case(HDR "{\"addr\":\"0x1\",\"type\":\"m.T\",\"size\":-1}\n", WA_ERR_FORMAT, 2,
               "non-negative integer");
    jsonl_case(HDR "{\"addr\":\"0x1\",\"type\":\"m.T\",\"size\":1.5}\n", WA_ERR_FORMAT, 2,
               "\"size\"");
    jsonl_case("{\"whyalive\":1,\"objects\":1099511627776}\n", WA_ERR_LIMIT, 1, "1099511627776");
    jsonl_case(HDR "{\"addr\":\"0x1\",\"type\":\"m.T\",\"size\":1,\"refs\":[[\"0x1\",\"attr\","
                   "\"\xc3\x28\"]]}\n",
               WA_ERR_FORMAT, 2, "UTF-8");
    jsonl_case(HDR "{\"addr\":\"0x1\",\"type\":\"m.\xff\",\"size\":1}\n", WA_ERR_FORMAT, 2,
               "UTF-8");
    /* \u0000 would cut the string short ("m.Ev" for "m.Ev\u0000il"): refused
     * in every slot, the header's too; "\\u0000" is text, not a NUL */
    jsonl_case(HDR "{\"addr\":\"0x1\",\"type\":\"m.Ev\\u0000il\",\"size\":1}\n", WA_ERR_FORMAT, 2,
               "NUL character (\\u0000) at column 27");
    jsonl_case("{\"whyalive\":1,\"host\":\"a\\u0000\"}\n", WA_ERR_FORMAT, 1, "NUL");
    jsonl_case(HDR "{\"addr\":\"0x1\",\"type\":\"m.T\",\"size\":1,\"refs\":[[\"0x1\",\"attr\","
                   "\"\\\\\\u0000\"]]}\n",
               WA_ERR_FORMAT, 2, "NUL");
    jsonl_case(HDR OBJ("0x1") "{\"root\":\"other\",\"obj\":\"0x1\",\"label\":\"\\u0000\"}\n",
               WA_ERR_FORMAT, 3, "NUL");
    jsonl_case(HDR OBJ("0x1") "{\"site\":\"x\\u0000\",\"obj\":\"0x1\"}\n", WA_ERR_FORMAT, 3, "NUL");
    jsonl_case(HDR OBJ("0x1") OBJ("0x2") "\n" OBJ("0x1"), WA_ERR_FORMAT, 5,
               "duplicate object address 0x1");
    jsonl_case("{\"whyalive\":2}\n", WA_ERR_FORMAT, 1, "version 2 is newer");
    jsonl_case("{\"whyalive\":\"1\"}\n", WA_ERR_FORMAT, 1, "format version");
    jsonl_case(OBJ("0x1"), WA_ERR_FORMAT, 1, "\"whyalive\"");
    jsonl_case(HDR "{\"hello\":1}\n", WA_ERR_FORMAT, 2, "object line");
    jsonl_case(HDR "[1,2]\n", WA_ERR_FORMAT, 2, "JSON object");
    jsonl_case(HDR OBJ("0x1") "{\"addr\":\"0x2\",\"type\":\"m.T\",\"size\":1} x\n", WA_ERR_FORMAT,
               3, "after the JSON");
    jsonl_case(HDR "{\"addr\":\"0xZZ\",\"type\":\"m.T\",\"size\":1}\n", WA_ERR_FORMAT, 2,
               "\"addr\"");
    jsonl_case(HDR "{\"addr\":\"0x12345678901234567\",\"type\":\"m.T\",\"size\":1}\n",
               WA_ERR_FORMAT, 2, "\"addr\"");
    jsonl_case(HDR "{\"addr\":18014398509481984,\"type\":\"m.T\",\"size\":1}\n", WA_ERR_FORMAT, 2,
               "\"addr\"");
    jsonl_case(HDR
               "{\"addr\":\"0x1\",\"type\":\"m.T\",\"size\":1,\"refs\":[[\"0x1\",\"pointer\"]]}\n",
               WA_ERR_FORMAT, 2, "refs[0][1]");
    jsonl_case(
        HDR "{\"addr\":\"0x1\",\"type\":\"m.T\",\"size\":1,\"refs\":[[\"0x1\",\"index\",\"a\"]]}\n",
        WA_ERR_FORMAT, 2, "refs[0][2]");
    jsonl_case(HDR "{\"addr\":\"0x1\",\"type\":\"m.T\",\"size\":1,\"refs\":[7]}\n", WA_ERR_FORMAT,
               2, "refs[0]");
    jsonl_case(HDR OBJ("0x1") "{\"root\":\"module\",\"obj\":\"0x9\"}\n", WA_ERR_FORMAT, 3, "0x9");
    jsonl_case(HDR OBJ("0x1") "{\"site\":\"a.py:1\",\"obj\":\"0x9\"}\n", WA_ERR_FORMAT, 3, "0x9");
    jsonl_case(HDR "{\"addr\":\"0x1\",\"type\":\"\",\"size\":1}\n", WA_ERR_FORMAT, 2, "type");
    jsonl_case("", WA_ERR_FORMAT, WA_POS_NONE, "empty");
    /* unknown fields and flags are ignored; edges to nowhere are counted, not fatal */
    const char *ok =
        "{\"whyalive\":1,\"new\":[1]}\n{\"addr\":\"0x1\",\"type\":\"m.T\",\"size\":1,\"x\":{},"
        "\"flags\":[\"shiny\"],\"refs\":[[\"0x2\"],[\"0x1\"],[\"0x3\",\"attr\",\"a\"]]}\n";
    wa_error err;
    /* an escaped backslash before "u0000" is text: loads, the label intact */
    const char *bs =
        HDR "{\"addr\":\"0x1\",\"type\":\"m.T\",\"size\":1,\"name\":\"a\\\\u0000b\"}\n";
    wa_snapshot *sb = wa_snapshot_load_memory(bs, strlen(bs), "ok.jsonl", NULL, &err);
    CHECK(sb != NULL);
    if (sb) CHECK_STR(wa_snapshot_string(sb, wa_snapshot_objects(sb)[0].name), "a\\u0000b");
    wa_snapshot_free(sb);
    wa_snapshot *s = wa_snapshot_load_memory(ok, strlen(ok), "ok.jsonl", NULL, &err);
    CHECK(s != NULL);
    if (s) {
        CHECK_EQ_U64(wa_snapshot_n_edges(s), 1);
        CHECK_EQ_U64(wa_snapshot_dangling(s), 2);
        CHECK_EQ_U64(wa_snapshot_objects(s)[0].flags, 0);
        wa_snapshot_free(s);
    }
    /* garbage: neither magic */
    s = wa_snapshot_load_memory("garbage", 7, "g.bin", NULL, &err);
    CHECK(s == NULL && err.code == WA_ERR_FORMAT && err.offset == 0 &&
          strstr(err.what, "WHYALIVE"));
}

/* ---------------- binary ---------------- */

static unsigned char *good;
static size_t good_len;

static void make_good(void) {
    const char *text =
        HDR "{\"addr\":\"0x1\",\"type\":\"m.T\",\"size\":1,\"name\":\"n\",\"refs\":[[\"0x2\","
            "\"attr\",\"a\"]]}\n"
            "{\"addr\":\"0x2\",\"type\":\"m.U\",\"size\":2,\"refs\":[[\"0x1\",\"index\",0]]}\n"
            "{\"root\":\"module\",\"obj\":\"0x1\",\"label\":\"m\"}\n";
    wa_error err;
    wa_snapshot *s = wa_snapshot_load_memory(text, strlen(text), "t", NULL, &err);
    char path[512];
    snprintf(path, sizeof path, "%s/malformed_good.wa", WA_TMPDIR);
    CHECK(s && wa_snapshot_save(s, path, WA_FORMAT_BINARY, &err) == WA_OK);
    wa_snapshot_free(s);
    FILE *f = fopen(path, "rb");
    good = malloc(1 << 16);
    good_len = fread(good, 1, 1 << 16, f);
    fclose(f);
    remove(path);
}

static unsigned char *toc_entry(unsigned char *b, size_t len, uint32_t id) {
    uint64_t toc;
    uint32_t nt;
    memcpy(&toc, b + len - 32, 8);
    memcpy(&nt, b + len - 24, 4);
    for (uint32_t i = 0; i < nt; i++) {
        uint32_t x;
        memcpy(&x, b + toc + i * 32, 4);
        if (x == id) return b + toc + i * 32;
    }
    return NULL;
}

static uint64_t sec_off(unsigned char *b, size_t len, uint32_t id) {
    uint64_t off;
    memcpy(&off, toc_entry(b, len, id) + 8, 8);
    return off;
}

/* Recompute section id's checksum (if id) and the TOC's, as a forger would. */
static void reseal(unsigned char *b, size_t len, uint32_t id) {
    if (id) {
        unsigned char *e = toc_entry(b, len, id);
        uint64_t off, l;
        memcpy(&off, e + 8, 8);
        memcpy(&l, e + 16, 8);
        if (off + l <= len) {
            uint64_t c = wa_checksum(b + off, l);
            memcpy(e + 24, &c, 8);
        }
    }
    uint64_t toc;
    uint32_t nt;
    memcpy(&toc, b + len - 32, 8);
    memcpy(&nt, b + len - 24, 4);
    uint64_t c = wa_checksum(b + toc, nt * 32);
    memcpy(b + len - 16, &c, 8);
}

static void bin_case(const unsigned char *b, size_t len, wa_status code, uint64_t offset,
                     const char *needle) {
    wa_error err;
    wa_load_options o = {WA_FORMAT_BINARY, NULL, NULL, 0};
    wa_snapshot *s = wa_snapshot_load_memory(b, len, "bad.wa", &o, &err);
    CHECK(s == NULL);
    wa_snapshot_free(s);
    if (err.code != code || err.offset != offset || !strstr(err.what, needle) ||
        strncmp(wa_error_string(&err), "bad.wa: byte ", 13) != 0) {
        fprintf(stderr, "  want %d at %llu '%s'; got code %d: %s\n", code,
                (unsigned long long)offset, needle, err.code, wa_error_string(&err));
        CHECK(0);
    }
}

static void test_binary_cases(void) {
    make_good();
    wa_error err;
    wa_snapshot *s = wa_snapshot_load_memory(good, good_len, "good.wa", NULL, &err);
    CHECK(s != NULL);
    wa_snapshot_free(s);
    unsigned char *b = malloc(good_len);
    size_t n = good_len;
#define FRESH() memcpy(b, good, n)
    uint64_t objs = sec_off(good, n, WA_SEC_OBJECTS), edges = sec_off(good, n, WA_SEC_EDGES);
    uint64_t strs = sec_off(good, n, WA_SEC_STRINGS), offs = sec_off(good, n, WA_SEC_OUT_OFFSETS);
    uint64_t toc;
    memcpy(&toc, good + n - 32, 8);

    FRESH();
    b[objs + 5] ^= 1;
    bin_case(b, n, WA_ERR_FORMAT, objs, "OBJECTS: checksum mismatch");
    /* The checksums are verified on a second thread while parsing goes on;
     * errors come in the order a serial check finds them: a damaged section
     * wins over the parse error it causes, over a later section's bad
     * header, and loses to an earlier one's. */
    FRESH();
    {
        uint32_t far = 99; /* also an edge to nowhere, but not resealed */
        memcpy(b + edges, &far, 4);
        bin_case(b, n, WA_ERR_FORMAT, edges, "EDGES: checksum mismatch");
        b[edges - WA_BIN_SECTION_HEADER] ^= 1; /* EDGES' own header is checked first */
        bin_case(b, n, WA_ERR_FORMAT, edges - WA_BIN_SECTION_HEADER,
                 "section header of EDGES does not match");
        FRESH();
        b[strs + 3] ^= 1;                      /* STRINGS (id 2) damaged */
        b[edges - WA_BIN_SECTION_HEADER] ^= 1; /* EDGES (id 6) header damaged */
        bin_case(b, n, WA_ERR_FORMAT, strs, "STRINGS: checksum mismatch");
        FRESH();
        b[strs - WA_BIN_SECTION_HEADER] ^= 1; /* STRINGS header damaged */
        b[edges + 1] ^= 1;                    /* EDGES payload damaged */
        bin_case(b, n, WA_ERR_FORMAT, strs - WA_BIN_SECTION_HEADER,
                 "section header of STRINGS does not match");
    }
    FRESH();
    b[toc + 3] ^= 0x40;
    bin_case(b, n, WA_ERR_FORMAT, toc, "table of contents checksum");
    FRESH();
    bin_case(b, n - 10, WA_ERR_FORMAT, n - 10 - 8, "end marker");
    bin_case(b, 40, WA_ERR_FORMAT, 40, "too short");
    bin_case(b, n / 2, WA_ERR_FORMAT, n / 2 - 8, "end marker");
    b[0] = 'X';
    bin_case(b, n, WA_ERR_FORMAT, 0, "bad magic");
    FRESH();
    b[8] = 2;
    bin_case(b, n, WA_ERR_FORMAT, 8, "version 2 is newer");
    /* a 10 GB strings section: refused from the TOC, before any allocation */
    FRESH();
    unsigned char *e = toc_entry(b, n, WA_SEC_STRINGS);
    uint64_t ten_gb = 10ull << 30;
    memcpy(e + 16, &ten_gb, 8);
    reseal(b, n, 0);
    bin_case(b, n, WA_ERR_FORMAT, (uint64_t)(e - b), "outside the file");
    /* a string offset of 10 GB inside a well-sealed section */
    FRESH();
    memcpy(b + strs + 16, &ten_gb, 8);
    reseal(b, n, WA_SEC_STRINGS);
    bin_case(b, n, WA_ERR_FORMAT, strs + 16, "outside the blob");
    /* a string count of 2^40 */
    FRESH();
    uint64_t big = 1ull << 40;
    memcpy(b + strs, &big, 8);
    reseal(b, n, WA_SEC_STRINGS);
    bin_case(b, n, WA_ERR_LIMIT, strs, "string count");
    /* invalid UTF-8 in a string (the last string's first byte) */
    FRESH();
    {
        uint64_t cnt, last;
        memcpy(&cnt, b + strs, 8);
        memcpy(&last, b + strs + 8 + (cnt - 1) * 8, 8);
        uint64_t blob = strs + 8 + (cnt + 1) * 8;
        b[blob + last] = 0xff;
        reseal(b, n, WA_SEC_STRINGS);
        bin_case(b, n, WA_ERR_FORMAT, blob + last, "UTF-8");
    }
    /* edge to nowhere (index past n) */
    FRESH();
    uint32_t far = 99;
    memcpy(b + edges, &far, 4);
    reseal(b, n, WA_SEC_EDGES);
    bin_case(b, n, WA_ERR_FORMAT, edges, "edge 0");
    /* edge kind 15 */
    FRESH();
    b[edges + 7] = 0xF0;
    reseal(b, n, WA_SEC_EDGES);
    bin_case(b, n, WA_ERR_FORMAT, edges, "kind 15");
    /* decreasing offsets */
    FRESH();
    uint32_t o2 = 5;
    memcpy(b + offs + 4, &o2, 4);
    reseal(b, n, WA_SEC_OUT_OFFSETS);
    bin_case(b, n, WA_ERR_FORMAT, offs + 8, "decrease");
    /* type id out of range */
    FRESH();
    uint32_t t = 77;
    memcpy(b + objs + 16, &t, 4);
    reseal(b, n, WA_SEC_OBJECTS);
    bin_case(b, n, WA_ERR_FORMAT, objs, "object 0");
    /* objects section not a whole number of records */
    FRESH();
    e = toc_entry(b, n, WA_SEC_OBJECTS);
    uint64_t l = 41;
    memcpy(e + 16, &l, 8);
    reseal(b, n, 0);
    bin_case(b, n, WA_ERR_FORMAT, objs, "whole number");
    free(b);
    free(good);
}

int main(void) {
    RUN(test_jsonl_cases);
    RUN(test_binary_cases);
    return wa_test_result();
}
