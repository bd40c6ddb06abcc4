/*
 * wa_test.h: the few macros the C unit tests share. A failed CHECK prints the
 * file, line and expression and marks the test failed; main returns
 * wa_test_result().
 */
#ifndef WA_TEST_H
#define WA_TEST_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int wa_test_failures = 0;

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);               \
            wa_test_failures++;                                                                    \
        }                                                                                          \
    } while (0)

#define CHECK_EQ_U64(a, b)                                                                         \
    do {                                                                                           \
        uint64_t wa_a_ = (uint64_t)(a), wa_b_ = (uint64_t)(b);                                     \
        if (wa_a_ != wa_b_) {                                                                      \
            fprintf(stderr, "%s:%d: CHECK_EQ failed: %s == %" PRIu64 ", %s == %" PRIu64 "\n",      \
                    __FILE__, __LINE__, #a, wa_a_, #b, wa_b_);                                     \
            wa_test_failures++;                                                                    \
        }                                                                                          \
    } while (0)

#define CHECK_STR(a, b)                                                                            \
    do {                                                                                           \
        const char *wa_a_ = (a), *wa_b_ = (b);                                                     \
        if (!wa_a_ || !wa_b_ || strcmp(wa_a_, wa_b_) != 0) {                                       \
            fprintf(stderr, "%s:%d: CHECK_STR failed: %s == \"%s\", expected \"%s\"\n", __FILE__,  \
                    __LINE__, #a, wa_a_ ? wa_a_ : "(null)", wa_b_ ? wa_b_ : "(null)");             \
            wa_test_failures++;                                                                    \
        }                                                                                          \
    } while (0)

#define RUN(fn)                                                                                    \
    do {                                                                                           \
        int before_ = wa_test_failures;                                                            \
        fn();                                                                                      \
        fprintf(stderr, "%s %s\n", wa_test_failures == before_ ? "ok  " : "FAIL", #fn);            \
    } while (0)

#ifdef WA_TMPDIR
#include <dirent.h>
/* Writer temporary files ("*.tmp.*") left in the test directory. */
static inline int temp_files_left(void) {
    DIR *d = opendir(WA_TMPDIR);
    int n = 0;
    struct dirent *e;
    while (d && (e = readdir(d)))
        if (strstr(e->d_name, ".tmp.")) n++;
    if (d) closedir(d);
    return n;
}
#endif

static inline int wa_test_result(void) {
    if (wa_test_failures) fprintf(stderr, "%d check(s) failed\n", wa_test_failures);
    return wa_test_failures ? 1 : 0;
}

#endif
