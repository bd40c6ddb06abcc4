/*
 * replay_main.c: a main() for fuzz targets when libFuzzer is not available
 * (gcc builds): feeds every file of the corpus directories to
 * LLVMFuzzerTestOneInput, then a fixed number of deterministic mutations of
 * each (bit flips, byte sets, truncations, splices), so the suite exercises
 * the target even without clang. scripts/fuzz.sh runs real libFuzzer.
 *
 * usage: NAME_replay [-mutations=N] DIR|FILE...
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint64_t rng = 0x5EED;
static uint64_t next(void) {
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static unsigned char *slurp(const char *path, size_t *n) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long sz = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *p = malloc(sz > 0 ? (size_t)sz : 1);
    *n = p ? fread(p, 1, (size_t)(sz > 0 ? sz : 0), f) : 0;
    fclose(f);
    return p;
}

static long runs;

static void one(const char *path, long mutations) {
    size_t n = 0;
    unsigned char *orig = slurp(path, &n);
    if (!orig) return;
    LLVMFuzzerTestOneInput(orig, n);
    runs++;
    unsigned char *m = malloc(n + 64);
    static const unsigned char interesting[] = {0,   0xff, 0x7f, 0x80, '"',  '{', '}', '[',
                                                ']', ',',  ':',  '\n', '\\', '0', '9'};
    for (long i = 0; i < mutations; i++) {
        size_t len = n;
        memcpy(m, orig, n);
        int edits = 1 + (int)(next() % 4);
        for (int k = 0; k < edits && len; k++) {
            size_t at = (size_t)(next() % len);
            switch (next() % 5) {
            case 0: m[at] ^= (unsigned char)(1u << (next() % 8)); break;
            case 1: m[at] = interesting[next() % sizeof interesting]; break;
            case 2: len = at; break; /* truncate */
            case 3: {                /* duplicate a chunk */
                size_t span = 1 + (size_t)(next() % 16);
                if (at + span <= len && len + span <= n + 64) {
                    memmove(m + at + span, m + at, len - at);
                    len += span;
                }
                break;
            }
            default: m[at] = (unsigned char)next(); break;
            }
        }
        LLVMFuzzerTestOneInput(m, len);
        runs++;
    }
    free(m);
    free(orig);
}

int main(int argc, char **argv) {
    long mutations = 500;
    for (int i = 1; i < argc; i++) {
        if (strncmp(argv[i], "-mutations=", 11) == 0) {
            mutations = atol(argv[i] + 11);
            continue;
        }
        struct stat st;
        if (stat(argv[i], &st) != 0) {
            fprintf(stderr, "cannot read %s\n", argv[i]);
            return 1;
        }
        if (!S_ISDIR(st.st_mode)) {
            one(argv[i], mutations);
            continue;
        }
        DIR *d = opendir(argv[i]);
        struct dirent *e;
        while (d && (e = readdir(d))) {
            if (e->d_name[0] == '.') continue;
            char path[4096];
            snprintf(path, sizeof path, "%s/%s", argv[i], e->d_name);
            one(path, mutations);
        }
        if (d) closedir(d);
    }
    fprintf(stderr, "%ld inputs run\n", runs);
    return 0;
}
