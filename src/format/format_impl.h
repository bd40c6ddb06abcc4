/*
 * format_impl.h: what the two snapshot formats share inside the library: the
 * binary layout constants, the section checksum, the atomic output file and
 * the readers' entry points. docs/format.md is the normative description;
 * this header must agree with it.
 *
 * Invariant: a reader either returns a snapshot that satisfies every
 * invariant of whyalive/snapshot.h, or NULL with err filled; it never reads
 * outside its input and never allocates more than the input can justify.
 */
#ifndef WA_FORMAT_IMPL_H
#define WA_FORMAT_IMPL_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "core/text.h"
#include "whyalive/snapshot.h"
#include "whyalive/writer.h"

#if defined(__BYTE_ORDER__) && defined(__ORDER_LITTLE_ENDIAN__)
#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "whyalive's binary format is read in place and needs a little-endian host"
#endif
#endif

/* ---------------- binary layout (format 1) ---------------- */

#define WA_BIN_MAGIC "WHYALIVE"
#define WA_BIN_END_MAGIC "WHYALEND"
#define WA_BIN_VERSION 1u
#define WA_BIN_HEADER_SIZE 32u
#define WA_BIN_SECTION_HEADER 16u
#define WA_BIN_TOC_ENTRY 32u
#define WA_BIN_FOOTER_SIZE 32u
#define WA_BIN_MAX_SECTIONS 64u

enum {
    WA_SEC_META = 1,
    WA_SEC_STRINGS = 2,
    WA_SEC_TYPES = 3,
    WA_SEC_OBJECTS = 4,
    WA_SEC_OUT_OFFSETS = 5,
    WA_SEC_EDGES = 6,
    WA_SEC_ROOTS = 7,
    WA_SEC_SITES = 8,
    WA_SEC_MAX = 8
};

/* ---------------- checksum ---------------- */

/* "wa64": four multiply-rotate lanes over little-endian 64-bit words; see
 * docs/format.md for the exact definition. Streaming and one-shot agree. */
typedef struct wa_csum {
    uint64_t lane[4];
    unsigned char buf[32];
    size_t nbuf;
    uint64_t total;
} wa_csum;

void wa_csum_init(wa_csum *c);
void wa_csum_update(wa_csum *c, const void *data, size_t n);
uint64_t wa_csum_final(const wa_csum *c);
uint64_t wa_checksum(const void *data, size_t n);

/* ---------------- atomic output file ---------------- */

/* A temporary file next to the target (mode 0600) with positioned, buffered
 * streams; commit fsyncs and renames, abort unlinks. */
typedef struct wa_zout wa_zout;
typedef struct wa_outfile {
    int fd;
    char *path;     /* target */
    char *tmp_path; /* temporary */
    int failed;
    wa_zout *z;      /* compressing (zwrite.c): writes go there, commit assembles */
    uint64_t zbytes; /* compressed: the file's size after commit */
} wa_outfile;

wa_status wa_outfile_open(wa_outfile *f, const char *path, wa_error *err);
wa_status wa_outfile_pwrite(wa_outfile *f, const void *data, size_t n, uint64_t off, wa_error *err);
wa_status wa_outfile_commit(wa_outfile *f, wa_error *err);
void wa_outfile_abort(wa_outfile *f);
/* Compress what is written from now on (gzip or zstd at level, 0: the
 * default); before any write. */
wa_status wa_outfile_compress(wa_outfile *f, wa_compression c, int level, wa_error *err);

/* zwrite.c: the compressed output behind a wa_outfile. Writes at any
 * offsets, as long as they tile the file at the end; finish writes the
 * compressed file to fd (sequentially) and its size to *bytes. */
wa_zout *wa_zout_new(const char *path, wa_compression c, int level, wa_error *err);
wa_status wa_zout_write(wa_zout *z, const char *path, const void *data, size_t n, uint64_t off,
                        wa_error *err);
wa_status wa_zout_finish(wa_zout *z, int fd, const char *path, uint64_t *bytes, wa_error *err);
void wa_zout_free(wa_zout *z);

/* Buffered sequential stream at a file position, with a running checksum. */
typedef struct wa_stream {
    wa_outfile *f;
    uint64_t pos; /* file offset of buf[0] */
    unsigned char *buf;
    size_t n, cap;
    wa_csum csum;
    uint64_t written; /* total bytes through this stream */
} wa_stream;

wa_status wa_stream_init(wa_stream *s, wa_outfile *f, uint64_t pos, size_t cap, wa_error *err);
wa_status wa_stream_write(wa_stream *s, const void *data, size_t n, wa_error *err);
wa_status wa_stream_flush(wa_stream *s, wa_error *err);
void wa_stream_free(wa_stream *s);

/* ---------------- readers ---------------- */

/* Input: a file descriptor (fd >= 0) or a memory buffer. */
typedef struct wa_input {
    int fd;
    const unsigned char *mem;
    uint64_t size;    /* file size or buffer length; UINT64_MAX if unknown (pipe) */
    const char *path; /* for messages */
    const wa_load_options *opts;
    /* JSON Lines from a pipe: bytes already read from fd, to be read first */
    const unsigned char *pre;
    size_t npre;
} wa_input;

wa_snapshot *wa_jsonl_read(const wa_input *in, wa_error *err);

/* ---------------- inputs that are not plain files (input.c) ---------------- */

/* The compression the first bytes announce (gzip 1f 8b, zstd 28 b5 2f fd). */
wa_compression wa_input_compression(const unsigned char *head, size_t n);

/* Where wa_input_gather() reads: npre bytes already read (pre), then either
 * mem_len bytes at mem or descriptor fd read to its end. */
typedef struct wa_input_source {
    const unsigned char *pre;
    size_t npre;
    const unsigned char *mem;
    size_t mem_len;
    int fd;
    const char *path;
    const wa_load_options *opts; /* progress, on the bytes read from fd */
    uint64_t total;              /* fd's size if known (progress), else UINT64_MAX */
} wa_input_source;

/* All of the source in one malloc'd buffer (*out, *out_len; free() it),
 * decompressed when c says so. Errors name the source byte where it broke. */
wa_status wa_input_gather(const wa_input_source *from, wa_compression c, unsigned char **out,
                          size_t *out_len, wa_error *err);
wa_snapshot *wa_binary_read(const wa_input *in, wa_error *err);

/* JSON string escaping into a growable buffer: appends "..." with quotes;
 * 0, or -1 out of memory (the buffer's failure, core/text.h). */
int wa_json_string(wa_buf *b, const char *s, size_t n);
/* The header-line / META JSON text of a snapshot's metadata (no newline). */
int wa_meta_to_json(wa_buf *b, const wa_meta *m, uint64_t n_objects, uint64_t dangling);

/* Parse the header-line fields of a cJSON object into a builder-ready meta.
 * Strings are copied into arena. */
struct cJSON;
struct wa_arena;
wa_status wa_meta_from_json(const struct cJSON *obj, wa_meta *m, struct wa_arena *arena,
                            int64_t *objects, const char *path, uint64_t line, uint64_t offset,
                            wa_error *err);

#endif
