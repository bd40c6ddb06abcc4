/* convert.c: `whyalive convert IN OUT`: JSON Lines <-> binary, lossless. */
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "whyalive/text.h"

static int run(int argc, char **argv);

const wa_cli_command wa_cmd_convert = {
    "convert",
    "convert a snapshot between JSON Lines and binary",
    "IN OUT [--format jsonl|binary] [--compress none|gzip|zstd]",
    "Reads IN (either format) and writes OUT in the format named by --format or,\n"
    "by default, by OUT's extension (.jsonl/.json: JSON Lines; anything else:\n"
    "binary; a .gz or .zst after it compresses OUT, as --compress does). IN may\n"
    "be compressed. The conversion is lossless: JSON Lines -> binary -> JSON Lines\n"
    "gives the same snapshot. OUT is written atomically with mode 0600: on any\n"
    "error nothing is left at OUT. Edges whose targets were not in IN are\n"
    "dropped and their count is carried in OUT's metadata.",
    2,
    2,
    run,
    0};

static int run(int argc, char **argv) {
    wa_cli_common common;
    char *pos[argc > 0 ? argc : 1];
    int npos = 0;
    const char *format = NULL, *compress = NULL;
    const wa_option opts[] = {
        {"format", 'f', WA_OPT_STRING, &format, "FMT", "output format: jsonl or binary"},
        {"compress", 'z', WA_OPT_STRING, &compress, "ALG",
         "none, gzip or zstd (default: from OUT's name: .gz, .zst)"},
        {0},
    };
    int rc = wa_cli_parse(&wa_cmd_convert, opts, &common, argc, argv, pos, &npos);
    if (rc != WA_CLI_CONTINUE) return rc;
    wa_format fmt = WA_FORMAT_AUTO;
    if (format) {
        if (strcmp(format, "jsonl") == 0)
            fmt = WA_FORMAT_JSONL;
        else if (strcmp(format, "binary") == 0 || strcmp(format, "wa") == 0)
            fmt = WA_FORMAT_BINARY;
        else
            return wa_cli_fail(WA_EXIT_INPUT,
                               "convert: unknown --format '%s' (expected jsonl or binary)", format);
    }
    if (fmt == WA_FORMAT_AUTO) fmt = wa_format_from_path(pos[1]);
    wa_compression zc = wa_compression_from_path(pos[1]);
    if (compress) {
        if (strcmp(compress, "none") == 0)
            zc = WA_COMPRESSION_NONE;
        else if (strcmp(compress, "gzip") == 0)
            zc = WA_COMPRESSION_GZIP;
        else if (strcmp(compress, "zstd") == 0)
            zc = WA_COMPRESSION_ZSTD;
        else
            return wa_cli_fail(WA_EXIT_INPUT,
                               "convert: unknown --compress '%s' (expected none, gzip or zstd)",
                               compress);
    }

    wa_snapshot *snap = wa_cli_load(pos[0], &common, &rc);
    if (!snap) return rc;
    wa_error err;
    wa_error_clear(&err);
    wa_status st = wa_snapshot_save_compressed(snap, pos[1], fmt, zc, &err);
    uint64_t n = wa_snapshot_n_objects(snap), e = wa_snapshot_n_edges(snap);
    uint64_t r = wa_snapshot_n_roots(snap);
    wa_snapshot_free(snap);
    if (st != WA_OK) return wa_cli_fail_err(wa_cli_exit_for(st, 1), &err);
    if (common.json) {
        cJSON *doc = cJSON_CreateObject();
        cJSON_AddStringToObject(doc, "input", pos[0]);
        cJSON_AddStringToObject(doc, "output", pos[1]);
        cJSON_AddStringToObject(doc, "format", wa_format_name(fmt));
        cJSON_AddStringToObject(doc, "compression", wa_compression_name(zc));
        cJSON_AddNumberToObject(doc, "objects", (double)n); /* uint32 counts: exact */
        cJSON_AddNumberToObject(doc, "edges", (double)e);
        cJSON_AddNumberToObject(doc, "roots", (double)r);
        return wa_cli_json_out(doc);
    }
    char a[32], b[32], c[32];
    /* the output's name, as given, escaped (fix: printed raw) */
    char *out = wa_text_escape_dup(pos[1], 0);
    if (!out) return wa_cli_fail(WA_EXIT_INTERNAL, "out of memory");
    printf("wrote %s (%s%s%s: %s objects, %s edges, %s roots)\n", out, wa_format_name(fmt),
           zc != WA_COMPRESSION_NONE ? ", " : "",
           zc != WA_COMPRESSION_NONE ? wa_compression_name(zc) : "", wa_cli_count(n, a),
           wa_cli_count(e, b), wa_cli_count(r, c));
    free(out);
    return wa_cli_finish_output(WA_EXIT_OK);
}
