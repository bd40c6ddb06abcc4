/*
 * cli.h: the framework every `whyalive` subcommand is built on: one option
 * parser, one help layout, one table printer, one way to load a snapshot and
 * to report errors, and the exit codes.
 *
 * Invariant: a subcommand is one file defining one `const wa_cli_command
 * wa_cmd_<name>`; it parses with wa_cli_parse(), prints results to stdout
 * (with --json the view's document from the library, else a human table
 * drawn from that same document), notes
 * and progress to stderr, and returns one of the WA_EXIT_* codes. The same
 * flag means the same thing in every command (--json, --select, --limit,
 * -o/--output, --quiet).
 */
#ifndef WA_CLI_H
#define WA_CLI_H

#include <stdint.h>
#include <stdio.h>

#include <cjson/cJSON.h>

#include "whyalive/view.h"
#include "whyalive/whyalive.h"

/* Exit codes (docs/cli.md). */
enum {
    WA_EXIT_OK = 0,      /* success (also: a selection that matched nothing) */
    WA_EXIT_FOUND = 1,   /* a check asked for with --fail-on... found something */
    WA_EXIT_INPUT = 2,   /* bad usage, bad selector, unreadable or malformed input */
    WA_EXIT_OUTPUT = 3,  /* the output could not be written */
    WA_EXIT_INTERNAL = 4 /* out of memory or an internal error */
};

/* wa_cli_parse(): continue with the command. Any other value is an exit code
 * to return at once (0 after --help, 2 after a usage error). */
#define WA_CLI_CONTINUE (-1)

typedef enum wa_opt_kind {
    WA_OPT_FLAG,   /* int: set to 1 */
    WA_OPT_STRING, /* const char *: the argument */
    WA_OPT_UINT,   /* uint64_t: a non-negative integer */
    WA_OPT_SIZE,   /* uint64_t: bytes, with an optional unit (10MB, 4KiB) */
    WA_OPT_DOUBLE  /* double */
} wa_opt_kind;

typedef struct wa_option {
    const char *name; /* long name without "--" */
    char short_name;  /* 0 if none */
    wa_opt_kind kind;
    void *dest;
    const char *metavar; /* for help, e.g. "SEL" */
    const char *help;
} wa_option;

typedef struct wa_cli_command {
    const char *name;
    const char *summary;               /* one line for `whyalive --help` */
    const char *usage;                 /* e.g. "SNAP [--select SEL] [--json]" */
    const char *description;           /* paragraphs shown by --help; may be NULL */
    int min_args, max_args;            /* positional arguments; max -1 = unlimited */
    int (*run)(int argc, char **argv); /* argv[0] is the command name */
    int uses_index;                    /* loads dumps through the sidecar index: --no-index */
} wa_cli_command;

/* A document built into the binary (generated from docs/ by
 * cmake/embed_docs.cmake): `whyalive help TOPIC` prints it. The table ends
 * with a NULL topic. */
typedef struct wa_cli_doc {
    const char *topic;         /* "selectors", "json", "format" */
    const char *source;        /* its file in the source tree, e.g. "docs/json.md" */
    const char *summary;       /* one line for `whyalive --help` */
    const unsigned char *text; /* the document, UTF-8 Markdown */
    size_t len;                /* bytes in text */
} wa_cli_doc;
extern const wa_cli_doc wa_cli_docs[];

/* Options every command accepts in the same way. Commands point these at
 * their own variables through wa_cli_common_options(). */
typedef struct wa_cli_common {
    int json;
    int quiet;
    int progress; /* 1: force the progress line even when stderr is not a TTY */
    int help;
    int no_index; /* --no-index (commands with uses_index): no DUMP.wai read or written */
} wa_cli_common;

/*
 * Parse argv[1..] against opts (terminated by a zero entry) plus the common
 * options (--json, --quiet, --progress, --help). Positional arguments are
 * collected into pos (pointers into argv) and counted into *npos; pos must
 * have room for argc entries. "--" ends option parsing.
 */
int wa_cli_parse(const wa_cli_command *cmd, const wa_option *opts, wa_cli_common *common, int argc,
                 char **argv, char **pos, int *npos);

/* Print the command's --help text to f. */
void wa_cli_help(const wa_cli_command *cmd, const wa_option *opts, FILE *f);

/* "whyalive: error: ..." on stderr, one line. Returns code. */
int wa_cli_fail(int code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
/* Report a library error: one line with file and position. Returns code. */
int wa_cli_fail_err(int code, wa_error *err);
/* "whyalive: note: ..." on stderr unless quiet. */
void wa_cli_note(const wa_cli_common *common, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* The exit code for a library status, the one mapping every command uses:
 * malformed or unreadable input, bad arguments and selectors give
 * WA_EXIT_INPUT; an I/O error while writing (writing = 1) WA_EXIT_OUTPUT;
 * out of memory, Graphviz failures and anything unexpected
 * WA_EXIT_INTERNAL. */
int wa_cli_exit_for(wa_status st, int writing);

/*
 * Load a snapshot, showing a progress line on stderr when the load takes more
 * than a second (and stderr is a terminal, or --progress). On failure prints
 * the one-line error and returns NULL; *exit_code gets the code to return.
 */
wa_snapshot *wa_cli_load(const char *path, const wa_cli_common *common, int *exit_code);

/* Human sizes come from the core's one formatter, with up to two decimals
 * in text output: wa_size_text(bytes, 2, buf) ("812 B", "2.90 KiB"). */
/* 1234567 -> "1,234,567". */
const char *wa_cli_count(uint64_t n, char buf[32]);
/* Parse "10MB", "4KiB", "123" (B, KB/MB/GB/TB decimal, KiB/MiB/GiB/TiB binary). */
int wa_cli_parse_size(const char *s, uint64_t *out);

/* Columns text takes: one per UTF-8 code point (the tables' measure). */
int wa_cli_width(const char *s);

/* ---- tables: aligned columns on a terminal ---- */
typedef enum wa_align { WA_LEFT, WA_RIGHT } wa_align;

typedef struct wa_table wa_table;

wa_table *wa_table_new(int ncols);
/* Set a column's header, alignment and maximum width (0 = unlimited; longer
 * cells are cut with "..." in the middle-right). */
void wa_table_col(wa_table *t, int col, const char *header, wa_align align, int max_width);
/* Append a row; cells are copied. */
void wa_table_row(wa_table *t, const char *const *cells);
/* Convenience: a row from printf-like cell strings is built by the caller. */
size_t wa_table_rows(const wa_table *t);
void wa_table_print(const wa_table *t, FILE *f);
void wa_table_free(wa_table *t);

/* ---- JSON ---- */
/* Print a cJSON document to stdout (pretty when stdout is a TTY, else compact
 * on one line), add a newline, free it. Returns WA_EXIT_OK or WA_EXIT_OUTPUT. */
int wa_cli_json_out(cJSON *doc);

/* Make every string of a view's document safe for a terminal before a
 * human table is drawn from it (whyalive/text.h): control characters, ANSI
 * sequences and invisible format characters become visible escapes. JSON
 * output does not do this (cJSON escapes exactly). 0, or -1 when out of
 * memory. */
int wa_cli_escape_doc(const cJSON *doc);

/* After snprintf() into buf (cap bytes) returned more than fits: end the
 * cut text at a UTF-8 code point boundary with "..." instead of half a
 * character. buf holds escaped (valid UTF-8) text. */
void wa_cli_cut_fit(char *buf, size_t cap);

/* Longest message (in input bytes) wa_cli_fail() and wa_cli_note() print;
 * what a message quotes beyond that is cut with "...". */
#define WA_CLI_MESSAGE_MAX 2000

/* Print a view's document (pretty on a TTY, else one compact line), then
 * free the view. Returns WA_EXIT_OK or WA_EXIT_OUTPUT. */
int wa_cli_view_out(wa_view *view);

/* Reading a view's document back to draw the human tables (missing keys
 * read as 0, "" or false; counts above 2^53 are decimal strings). */
uint64_t wa_j_u64(const cJSON *obj, const char *key);
double wa_j_num(const cJSON *obj, const char *key);
const char *wa_j_str(const cJSON *obj, const char *key);
int wa_j_bool(const cJSON *obj, const char *key);
const cJSON *wa_j_get(const cJSON *obj, const char *key); /* NULL if absent */

/* Flush stdout and turn a write error (EPIPE is fine) into WA_EXIT_OUTPUT. */
int wa_cli_finish_output(int code);

#endif
