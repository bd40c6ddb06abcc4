/*
 * zwrite.c: compressed output under wa_outfile (gzip or zstd), for writers
 * that write at positions rather than in file order.
 *
 * The binary writer streams three regions at once (objects, edge offsets,
 * edges) and patches headers, so its bytes do not arrive in file order. A
 * compressed file is one stream, but both formats decode a concatenation of
 * streams (zstd frames, gzip members) as the concatenation of their
 * contents. So every contiguous run of writes (a "channel": a write that
 * starts where a channel ends extends it, any other starts a new one) is
 * compressed as its own frame, into memory and then, past ZOUT_CAP, into an
 * unlinked temporary file next to the output; at commit the channels, in
 * file order, must tile the file from offset 0 without gap or overlap, and
 * their frames are copied one after the other into the output. Memory
 * stays bounded: per channel a compressor and ZOUT_CAP bytes, and ZJOBS
 * buffers of ZJOB_CAP.
 *
 * Compression runs on a second thread while the caller goes on writing
 * (the dumper walks the heap on the first); a write waits only when ZJOBS
 * buffers are queued. Without a thread (pthread_create failed, or
 * WA_COMPRESS_THREADS=0 in the environment) it runs inline.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include "format/format_impl.h"

#define ZCHAN_MAX 16
#define ZJOB_CAP (256u << 10)
#define ZJOBS 8 /* 4 made the dumping thread wait under load (bench/results/compress.md) */
#define ZOUT_CAP (256u << 10)

typedef struct zchan {
    uint64_t start, end; /* uncompressed bytes [start, end) (the writing thread) */
    ZSTD_CCtx *zc;
    z_stream gz;
    int gz_ready;
    unsigned char *out; /* compressed bytes not yet spilled */
    size_t out_n;
    int spill; /* unlinked temporary file, -1 until needed */
    uint64_t spilled;
} zchan;

typedef struct zjob {
    zchan *ch;
    size_t n;
    int end; /* finish the channel's frame */
} zjob;

struct wa_zout {
    wa_compression c;
    int level;
    char *dir;
    zchan ch[ZCHAN_MAX];
    int nch;
    int threaded, quit, have_sync;
    pthread_t th;
    pthread_mutex_t mu;
    pthread_cond_t can_put, can_take;
    zjob jobs[ZJOBS];
    unsigned char *bufs[ZJOBS];
    unsigned head, count;
    /* the first failure on either thread (msg under mu) */
    atomic_int failed;
    char msg[300];
};

static void zfail(wa_zout *z, const char *what, const char *detail) {
    if (z->have_sync) pthread_mutex_lock(&z->mu);
    if (!atomic_load(&z->failed)) {
        snprintf(z->msg, sizeof z->msg, "%s%s%s", what, detail ? ": " : "", detail ? detail : "");
        atomic_store(&z->failed, 1);
    }
    if (z->have_sync) pthread_mutex_unlock(&z->mu);
}

static int spill_open(wa_zout *z) {
    int fd = -1;
#ifdef O_TMPFILE
    fd = open(z->dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
#endif
    if (fd < 0) {
        size_t n = strlen(z->dir) + 32;
        char *t = malloc(n);
        if (!t) return -1;
        snprintf(t, n, "%s/.whyalive-z.XXXXXX", z->dir);
        fd = mkstemp(t);
        if (fd >= 0) unlink(t);
        free(t);
    }
    return fd;
}

static int write_all(int fd, const unsigned char *p, size_t n) {
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR) continue;
        if (w < 0) return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* The channel's compressed bytes in memory, to its temporary file. */
static int spill(wa_zout *z, zchan *ch) {
    if (!ch->out_n) return 0;
    if (ch->spill < 0 && (ch->spill = spill_open(z)) < 0) {
        zfail(z, "cannot create a temporary file next to the output", strerror(errno));
        return -1;
    }
    if (write_all(ch->spill, ch->out, ch->out_n) != 0) {
        zfail(z, "write failed", strerror(errno));
        return -1;
    }
    ch->spilled += ch->out_n;
    ch->out_n = 0;
    return 0;
}

/* Compress n bytes into the channel (end: and finish its frame). */
static int compress_into(wa_zout *z, zchan *ch, const unsigned char *p, size_t n, int end) {
    if (z->c == WA_COMPRESSION_ZSTD) {
        ZSTD_inBuffer in = {p, n, 0};
        for (;;) {
            if (ch->out_n == ZOUT_CAP && spill(z, ch) != 0) return -1;
            ZSTD_outBuffer o = {ch->out + ch->out_n, ZOUT_CAP - ch->out_n, 0};
            size_t r = ZSTD_compressStream2(ch->zc, &o, &in, end ? ZSTD_e_end : ZSTD_e_continue);
            ch->out_n += o.pos;
            if (ZSTD_isError(r)) {
                zfail(z, "zstd compression failed", ZSTD_getErrorName(r));
                return -1;
            }
            if (end ? r == 0 : in.pos == in.size) return 0;
        }
    }
    ch->gz.next_in = (Bytef *)p;
    ch->gz.avail_in = (uInt)n;
    for (;;) {
        if (ch->out_n == ZOUT_CAP && spill(z, ch) != 0) return -1;
        ch->gz.next_out = ch->out + ch->out_n;
        ch->gz.avail_out = (uInt)(ZOUT_CAP - ch->out_n);
        int r = deflate(&ch->gz, end ? Z_FINISH : Z_NO_FLUSH);
        ch->out_n = ZOUT_CAP - ch->gz.avail_out;
        if (r == Z_STREAM_ERROR) {
            zfail(z, "gzip compression failed", ch->gz.msg);
            return -1;
        }
        if (end ? r == Z_STREAM_END : ch->gz.avail_in == 0) return 0;
    }
}

static void *worker(void *arg) {
    wa_zout *z = arg;
    pthread_mutex_lock(&z->mu);
    for (;;) {
        while (!z->count && !z->quit) pthread_cond_wait(&z->can_take, &z->mu);
        if (!z->count) break;
        unsigned slot = z->head;
        zjob j = z->jobs[slot];
        pthread_mutex_unlock(&z->mu);
        /* after a failure the queue only drains */
        if (!atomic_load(&z->failed)) compress_into(z, j.ch, z->bufs[slot], j.n, j.end);
        pthread_mutex_lock(&z->mu);
        z->head = (z->head + 1) % ZJOBS;
        z->count--;
        pthread_cond_broadcast(&z->can_put);
    }
    pthread_mutex_unlock(&z->mu);
    return NULL;
}

/* Hand n <= ZJOB_CAP bytes of the channel to the compressing thread (or
 * compress them here). */
static int put(wa_zout *z, zchan *ch, const void *p, size_t n, int end) {
    if (!z->threaded) return atomic_load(&z->failed) ? -1 : compress_into(z, ch, p, n, end);
    pthread_mutex_lock(&z->mu);
    while (z->count == ZJOBS) pthread_cond_wait(&z->can_put, &z->mu);
    unsigned slot = (z->head + z->count) % ZJOBS;
    pthread_mutex_unlock(&z->mu);
    if (atomic_load(&z->failed)) return -1;
    if (n) memcpy(z->bufs[slot], p, n);
    z->jobs[slot] = (zjob){ch, n, end};
    pthread_mutex_lock(&z->mu);
    z->count++;
    pthread_cond_signal(&z->can_take);
    pthread_mutex_unlock(&z->mu);
    return 0;
}

/* Every job done and the thread gone. */
static void stop(wa_zout *z) {
    if (!z->threaded) return;
    pthread_mutex_lock(&z->mu);
    z->quit = 1;
    pthread_cond_signal(&z->can_take);
    pthread_mutex_unlock(&z->mu);
    pthread_join(z->th, NULL);
    z->threaded = 0;
}

wa_zout *wa_zout_new(const char *path, wa_compression c, int level, wa_error *err) {
    if (c != WA_COMPRESSION_GZIP && c != WA_COMPRESSION_ZSTD) {
        wa_error_set(err, WA_ERR_ARG, path, WA_POS_NONE, WA_POS_NONE, "unknown compression");
        return NULL;
    }
    wa_zout *z = calloc(1, sizeof *z);
    const char *slash = path ? strrchr(path, '/') : NULL;
    char *dir = slash ? strndup(path, (size_t)(slash - path)) : strdup(".");
    if (!z || !dir) {
        free(z);
        free(dir);
        wa_error_set(err, WA_ERR_NOMEM, path, WA_POS_NONE, WA_POS_NONE, "out of memory");
        return NULL;
    }
    if (!*dir) {
        free(dir);
        dir = strdup("/");
    }
    z->dir = dir;
    z->c = c;
    z->level = level > 0 ? level : 1;
    if (c == WA_COMPRESSION_GZIP && z->level > 9) z->level = 9;
    if (c == WA_COMPRESSION_ZSTD && z->level > ZSTD_maxCLevel()) z->level = ZSTD_maxCLevel();
    const char *env = getenv("WA_COMPRESS_THREADS");
    int want_thread = !(env && strcmp(env, "0") == 0);
    if (want_thread) {
        int ok = 1;
        for (int i = 0; i < ZJOBS; i++)
            if (!(z->bufs[i] = malloc(ZJOB_CAP))) ok = 0;
        if (ok && pthread_mutex_init(&z->mu, NULL) == 0) {
            pthread_cond_init(&z->can_put, NULL);
            pthread_cond_init(&z->can_take, NULL);
            z->have_sync = 1;
            if (pthread_create(&z->th, NULL, worker, z) == 0) z->threaded = 1;
        }
        if (!z->threaded)
            for (int i = 0; i < ZJOBS; i++) {
                free(z->bufs[i]);
                z->bufs[i] = NULL;
            }
    }
    return z;
}

void wa_zout_free(wa_zout *z) {
    if (!z) return;
    stop(z);
    if (z->have_sync) {
        pthread_cond_destroy(&z->can_put);
        pthread_cond_destroy(&z->can_take);
        pthread_mutex_destroy(&z->mu);
    }
    for (int i = 0; i < ZJOBS; i++) free(z->bufs[i]);
    for (int i = 0; i < z->nch; i++) {
        zchan *ch = &z->ch[i];
        ZSTD_freeCCtx(ch->zc);
        if (ch->gz_ready) deflateEnd(&ch->gz);
        free(ch->out);
        if (ch->spill >= 0) close(ch->spill);
    }
    free(z->dir);
    free(z);
}

static wa_status zerr(wa_zout *z, const char *path, wa_error *err) {
    return wa_error_set(err, WA_ERR_IO, path, WA_POS_NONE, WA_POS_NONE, "%s",
                        z->msg[0] ? z->msg : "compression failed");
}

static zchan *channel_new(wa_zout *z, uint64_t off) {
    if (z->nch == ZCHAN_MAX) {
        zfail(z, "internal: too many separate output regions to compress", NULL);
        return NULL;
    }
    zchan *ch = &z->ch[z->nch];
    memset(ch, 0, sizeof *ch);
    ch->start = ch->end = off;
    ch->spill = -1;
    ch->out = malloc(ZOUT_CAP);
    if (!ch->out) {
        zfail(z, "out of memory", NULL);
        return NULL;
    }
    if (z->c == WA_COMPRESSION_ZSTD) {
        ch->zc = ZSTD_createCCtx();
        if (!ch->zc ||
            ZSTD_isError(ZSTD_CCtx_setParameter(ch->zc, ZSTD_c_compressionLevel, z->level)) ||
            ZSTD_isError(ZSTD_CCtx_setParameter(ch->zc, ZSTD_c_checksumFlag, 1))) {
            ZSTD_freeCCtx(ch->zc);
            free(ch->out);
            zfail(z, "cannot start the zstd encoder", NULL);
            return NULL;
        }
    } else {
        if (deflateInit2(&ch->gz, z->level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
            free(ch->out);
            zfail(z, "cannot start the gzip encoder", NULL);
            return NULL;
        }
        ch->gz_ready = 1;
    }
    z->nch++;
    return ch;
}

wa_status wa_zout_write(wa_zout *z, const char *path, const void *data, size_t n, uint64_t off,
                        wa_error *err) {
    if (atomic_load(&z->failed)) return zerr(z, path, err);
    if (!n) return WA_OK;
    zchan *ch = NULL;
    for (int i = 0; i < z->nch && !ch; i++)
        if (z->ch[i].end == off) ch = &z->ch[i];
    if (!ch && !(ch = channel_new(z, off))) return zerr(z, path, err);
    const unsigned char *p = data;
    ch->end += n;
    while (n) {
        size_t k = n < ZJOB_CAP ? n : ZJOB_CAP;
        if (put(z, ch, p, k, 0) != 0) return zerr(z, path, err);
        p += k;
        n -= k;
    }
    return WA_OK;
}

static int by_start(const void *a, const void *b) {
    const zchan *x = *(const zchan *const *)a, *y = *(const zchan *const *)b;
    return x->start < y->start ? -1 : x->start > y->start;
}

wa_status wa_zout_finish(wa_zout *z, int fd, const char *path, uint64_t *bytes, wa_error *err) {
    for (int i = 0; i < z->nch; i++)
        if (put(z, &z->ch[i], NULL, 0, 1) != 0) break;
    stop(z);
    if (atomic_load(&z->failed)) return zerr(z, path, err);
    /* in file order (pointers: a z_stream must not move) */
    zchan *order[ZCHAN_MAX];
    for (int i = 0; i < z->nch; i++) order[i] = &z->ch[i];
    qsort(order, (size_t)z->nch, sizeof *order, by_start);
    uint64_t at = 0, total = 0;
    for (int i = 0; i < z->nch; i++) {
        if (order[i]->start != at) {
            zfail(z, "internal: the compressed output's regions do not follow each other", NULL);
            return zerr(z, path, err);
        }
        at = order[i]->end;
    }
    for (int i = 0; i < z->nch; i++) {
        zchan *ch = order[i];
        /* what is still in memory goes after what was spilled */
        if (ch->spill >= 0 && spill(z, ch) != 0) return zerr(z, path, err);
        if (ch->spill >= 0) {
            unsigned char *buf = ch->out; /* empty now: the copy's buffer */
            uint64_t done = 0;
            while (done < ch->spilled) {
                size_t want =
                    ch->spilled - done < ZOUT_CAP ? (size_t)(ch->spilled - done) : ZOUT_CAP;
                ssize_t r = pread(ch->spill, buf, want, (off_t)done);
                if (r < 0 && errno == EINTR) continue;
                if (r <= 0) {
                    zfail(z, "cannot read back a temporary file",
                          r < 0 ? strerror(errno) : "short");
                    return zerr(z, path, err);
                }
                if (write_all(fd, buf, (size_t)r) != 0) {
                    zfail(z, "write failed", strerror(errno));
                    return zerr(z, path, err);
                }
                done += (uint64_t)r;
            }
            total += ch->spilled;
        } else {
            if (write_all(fd, ch->out, ch->out_n) != 0) {
                zfail(z, "write failed", strerror(errno));
                return zerr(z, path, err);
            }
            total += ch->out_n;
        }
    }
    *bytes = total;
    return WA_OK;
}
