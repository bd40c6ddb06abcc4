/*
 * load_bench.c: load a snapshot and report load time, objects/s and the
 * in-memory footprint per object and per edge.
 *
 * usage: wa_loadbench FILE [REPEAT]    (best of REPEAT loads, default 1)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "whyalive/whyalive.h"

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: wa_loadbench FILE [REPEAT]\n");
        return 2;
    }
    int repeat = argc > 2 ? atoi(argv[2]) : 1;
    double best = 1e30;
    wa_snapshot *s = NULL;
    for (int i = 0; i < (repeat < 1 ? 1 : repeat); i++) {
        wa_error err;
        wa_snapshot_free(s);
        double t0 = now();
        s = wa_snapshot_load(argv[1], NULL, &err);
        double t = now() - t0;
        if (!s) {
            fprintf(stderr, "wa_loadbench: %s\n", wa_error_string(&err));
            return 2;
        }
        if (t < best) best = t;
    }
    uint64_t n = wa_snapshot_n_objects(s), e = wa_snapshot_n_edges(s);
    uint64_t mem = wa_snapshot_memory(s), str = 0;
    for (uint32_t i = 0; i < wa_snapshot_n_strings(s); i++)
        str += strlen(wa_snapshot_string(s, i)) + 1 + 8;
    uint64_t graph = mem > str ? mem - str : mem;
    /* per-object arrays: objects (40) + out and in offsets (4 + 4); per edge: edge (8) + in_src (4) */
    double per_obj = n ? (double)(graph - e * 12) / (double)n : 0;
    printf("file          %s\n", argv[1]);
    printf("objects       %llu\nedges         %llu (%.2f per object)\n", (unsigned long long)n,
           (unsigned long long)e, n ? (double)e / (double)n : 0);
    printf("load          %.3f s (best of %d)\n", best, repeat < 1 ? 1 : repeat);
    printf("rate          %.2f M objects/s\n", best > 0 ? (double)n / best / 1e6 : 0);
    printf("memory        %.1f MiB arena, %.1f MiB strings\n", mem / 1048576.0, str / 1048576.0);
    printf("per object    %.1f B (all, excl. strings, edges at 12 B each)\n", per_obj);
    printf("per edge      12.0 B (8 forward + 4 reverse)\n");
    printf("bytes/object  %.1f B incl. edges, excl. strings\n", n ? (double)graph / (double)n : 0);
    wa_snapshot_free(s);
    return 0;
}
