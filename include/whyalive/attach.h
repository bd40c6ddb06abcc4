/*
 * whyalive/attach.h: dump the heap of a running CPython process that never
 * imported whyalive (`whyalive dump --pid`, whyalive.dump_pid()).
 *
 * The route is gdb (ptrace): src/attach/attach.c checks the target, finds
 * the whyalive extension built for the target's Python, runs gdb with the
 * script src/attach/attach_gdb.py, which loads the extension into the
 * target and starts one thread there (src/dumper/attach_entry.c); that
 * thread takes the GIL, writes the dump (forking by default) and reports
 * through a status file. docs/python-dumper.md describes each step and its
 * limits.
 *
 * Invariant: every refusal happens before the target is touched; the
 * library never prints; a route other than gdb (PEP 768's
 * sys.remote_exec() on 3.14+) would be one more wa_attach_route value that
 * delivers the same request to the same entry point.
 */
#ifndef WHYALIVE_ATTACH_H
#define WHYALIVE_ATTACH_H

#include <stdint.h>

#include "whyalive/error.h"
#include "whyalive/snapshot.h"

#ifdef __cplusplus
extern "C" {
#endif

/* How the request reaches the target. Only gdb exists today. */
typedef enum wa_attach_route { WA_ATTACH_GDB = 0 } wa_attach_route;

typedef struct wa_attach_options {
    int pid;
    const char *output;    /* the dump's path for the caller; NULL: whyalive-PID-TIME.EXT in cwd */
    wa_format format;      /* AUTO: from output's name (binary unless .jsonl/.json) */
    const char *compress;  /* "none", "gzip", "zstd"; NULL: from output's name (.gz, .zst;
                              the default name gets .zst or .gz when compress asks) */
    uint32_t values;       /* as whyalive.dump(values=) */
    int tracemalloc;       /* -1 when tracing, 0 never, 1 required */
    int foreground;        /* 1: dump in the target itself (paused for the whole dump) */
    double timeout;        /* seconds to reach a safe point and the GIL; <= 0: 30 */
    const char *extension; /* the extension (file, or a directory to search); NULL:
                              $WHYALIVE_EXTENSION, then search_dirs, then the target's
                              site-packages */
    const char *const *search_dirs; /* NULL-terminated build trees / package parents */
    const char *gdb;                /* NULL: $WHYALIVE_GDB, else "gdb" on PATH */
    wa_attach_route route;
} wa_attach_options;

typedef struct wa_attach_result {
    char path[4096];      /* where the dump is, for the caller */
    char python[16];      /* the target's version, "3.12" */
    char extension[4096]; /* the extension loaded (the caller's path) */
    uint64_t objects, edges, roots, bytes;
    double seconds;    /* the dump's walk and write */
    double pause;      /* the target's pause in its dump thread (the fork for background) */
    double total;      /* wall time of the whole attach */
    double stopped;    /* time the target was stopped by gdb (ptrace) */
    long child;        /* background: the dump child's pid in the target's namespace */
    int copied;        /* the extension was copied into the target's /tmp */
    char detail[2048]; /* on error: more lines (the places searched, gdb's output) */
} wa_attach_result;

/* Dump the heap of process o->pid into a file. WA_OK, or an error with
 * err->what one sentence saying what failed and how to fix it:
 * WA_ERR_ARG (no such process, not Python, unsupported version, ptrace not
 * permitted, another tracer, gdb missing, no extension, timeout),
 * WA_ERR_IO (the dump could not be written), WA_ERR_NOMEM. */
wa_status wa_attach_dump(const wa_attach_options *o, wa_attach_result *r, wa_error *err);

#ifdef __cplusplus
}
#endif
#endif
