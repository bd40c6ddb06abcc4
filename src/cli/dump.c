/* dump.c: `whyalive dump --pid PID`: dump the heap of a running Python
 * process that never imported whyalive (through gdb; src/attach/attach.c). */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "whyalive/attach.h"
#include "whyalive/text.h"

static int run(int argc, char **argv);

const wa_cli_command wa_cmd_dump = {
    "dump",
    "dump the heap of a running Python process (attaches with gdb)",
    "--pid PID [-o FILE] [--format wa|jsonl] [--compress none|gzip|zstd] [--values N] "
    "[--tracemalloc] [--foreground] [--timeout S] [--extension PATH] [--gdb PATH] [--json]",
    "Writes a snapshot of process PID's heap, a CPython 3.9 or later process\n"
    "that need not have imported whyalive. gdb attaches (ptrace), waits until a\n"
    "thread is stopped at a safe point, loads whyalive's extension built for the\n"
    "target's Python and starts one thread there, then detaches: the target is\n"
    "stopped only for that. The thread takes the GIL like any C thread and\n"
    "forks; the child writes the dump while the target goes on (--foreground:\n"
    "the target writes it itself, paused for the whole dump).\n\n"
    "The file is written by the target's user, mode 0600, atomically; -o\n"
    "defaults to whyalive-PID-YYYYmmdd-HHMMSS.wa (.jsonl with --format jsonl)\n"
    "in the current directory. --compress zstd (or gzip) compresses it as it is\n"
    "written (default: as FILE's name ends, .zst or .gz; the default name then\n"
    "ends so); every command reads compressed dumps. Afterwards the target is as it was: its\n"
    "sys.modules, threads, signal handlers and files; only the extension stays\n"
    "mapped (never imported). If no thread reaches a safe point, or the GIL is\n"
    "not free, within --timeout seconds (default 30), nothing is dumped.\n\n"
    "The extension is found, in order: --extension PATH (a file or a directory),\n"
    "$WHYALIVE_EXTENSION, the build tree next to this program\n"
    "(python-3.X/whyalive/), the target interpreter's site-packages. Needs gdb\n"
    "(Debian package `gdb`) and the right to ptrace the target. Exit status 2\n"
    "when the target cannot be dumped (it is left running), 3 when the dump\n"
    "could not be written. What attaching does, step by step, and its limits:\n"
    "python-dumper.md in the documentation (section Attaching to a running process).",
    0,
    0,
    run,
    0};

static int run(int argc, char **argv) {
    wa_cli_common common;
    char *pos[argc > 0 ? argc : 1];
    int npos = 0;
    uint64_t pid = 0, values = 0;
    const char *output = NULL, *format = NULL, *extension = NULL, *gdb = NULL, *compress = NULL;
    int tracemalloc = 0, foreground = 0;
    double timeout = 30.0;
    const wa_option opts[] = {
        {"pid", 'p', WA_OPT_UINT, &pid, "PID", "the process to dump (required)"},
        {"output", 'o', WA_OPT_STRING, &output, "FILE",
         "the dump (default whyalive-PID-TIME.wa in the current directory)"},
        {"format", 'f', WA_OPT_STRING, &format, "FMT",
         "wa (binary) or jsonl (default: from FILE's name)"},
        {"compress", 'z', WA_OPT_STRING, &compress, "ALG",
         "none, gzip or zstd (default: from FILE's name: .gz, .zst)"},
        {"values", 0, WA_OPT_UINT, &values, "N",
         "keep the first N characters of str/bytes and numbers (default 0: no values)"},
        {"tracemalloc", 0, WA_OPT_FLAG, &tracemalloc, NULL,
         "require allocation sites (the target must be tracing with tracemalloc)"},
        {"foreground", 0, WA_OPT_FLAG, &foreground, NULL,
         "dump in the target itself, no fork (it pauses for the whole dump)"},
        {"timeout", 0, WA_OPT_DOUBLE, &timeout, "S",
         "seconds to reach a safe point and take the GIL (default 30)"},
        {"extension", 0, WA_OPT_STRING, &extension, "PATH",
         "the whyalive extension for the target's Python (file or directory)"},
        {"gdb", 0, WA_OPT_STRING, &gdb, "PATH", "the gdb to run (default: gdb on PATH)"},
        {0},
    };
    int rc = wa_cli_parse(&wa_cmd_dump, opts, &common, argc, argv, pos, &npos);
    if (rc != WA_CLI_CONTINUE) return rc;
    if (pid == 0 || pid > INT_MAX) return wa_cli_fail(WA_EXIT_INPUT, "dump: --pid PID is required");
    wa_format fmt = WA_FORMAT_AUTO;
    if (format) {
        if (strcmp(format, "jsonl") == 0)
            fmt = WA_FORMAT_JSONL;
        else if (strcmp(format, "wa") == 0 || strcmp(format, "binary") == 0)
            fmt = WA_FORMAT_BINARY;
        else
            return wa_cli_fail(WA_EXIT_INPUT, "dump: unknown --format '%s' (expected wa or jsonl)",
                               format); /* escaped */
    }
    if (compress && strcmp(compress, "none") != 0 && strcmp(compress, "gzip") != 0 &&
        strcmp(compress, "zstd") != 0)
        return wa_cli_fail(WA_EXIT_INPUT,
                           "dump: unknown --compress '%s' (expected none, gzip or zstd)", compress);
    if (values > 1000000)
        return wa_cli_fail(WA_EXIT_INPUT, "dump: --values must be from 0 to 1000000");
    if (!(timeout > 0) || timeout > 86400)
        return wa_cli_fail(WA_EXIT_INPUT, "dump: --timeout must be a number of seconds > 0");

    /* the build tree next to this program holds python-3.X/whyalive/ */
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    const char *dirs[2] = {NULL, NULL};
    if (n > 0) {
        self[n] = '\0';
        char *slash = strrchr(self, '/');
        if (slash) *slash = '\0';
        dirs[0] = self;
    }
    wa_attach_options o = {0};
    o.pid = (int)pid;
    o.output = output;
    o.format = fmt;
    o.compress = compress;
    o.values = (uint32_t)values;
    o.tracemalloc = tracemalloc ? 1 : -1;
    o.foreground = foreground;
    o.timeout = timeout;
    o.extension = extension;
    o.search_dirs = dirs;
    o.gdb = gdb;
    o.route = WA_ATTACH_GDB;
    static wa_attach_result r;
    wa_error err;
    wa_status st = wa_attach_dump(&o, &r, &err);
    if (st != WA_OK) {
        int code = st == WA_ERR_NOMEM ? WA_EXIT_INTERNAL
                   : st == WA_ERR_IO  ? WA_EXIT_OUTPUT
                                      : WA_EXIT_INPUT;
        wa_cli_fail_err(code, &err);
        if (r.detail[0] && !common.quiet) {
            /* one escaped line each (gdb's output is the target's text) */
            for (char *line = r.detail, *nl; *line; line = nl ? nl + 1 : line + strlen(line)) {
                nl = strchr(line, '\n');
                if (nl) *nl = '\0';
                char *d = wa_text_escape_dup(line, 0);
                if (d && *d) fprintf(stderr, "%s\n", d);
                free(d);
                if (!nl) break;
            }
        }
        return code;
    }
    if (common.json) {
        cJSON *doc = cJSON_CreateObject();
        cJSON_AddNumberToObject(doc, "pid", (double)pid);
        cJSON_AddStringToObject(doc, "output", r.path);
        cJSON_AddStringToObject(doc, "format", wa_format_name(wa_format_from_path(r.path)));
        cJSON_AddStringToObject(
            doc, "compression",
            wa_compression_name(compress && !strcmp(compress, "zstd")   ? WA_COMPRESSION_ZSTD
                                : compress && !strcmp(compress, "gzip") ? WA_COMPRESSION_GZIP
                                : compress                              ? WA_COMPRESSION_NONE
                                           : wa_compression_from_path(r.path)));
        cJSON_AddStringToObject(doc, "python", r.python);
        cJSON_AddStringToObject(doc, "extension", r.extension);
        cJSON_AddBoolToObject(doc, "extension_copied", r.copied);
        cJSON_AddStringToObject(doc, "mode", foreground ? "foreground" : "background");
        cJSON_AddNumberToObject(doc, "objects", (double)r.objects);
        cJSON_AddNumberToObject(doc, "edges", (double)r.edges);
        cJSON_AddNumberToObject(doc, "roots", (double)r.roots);
        cJSON_AddNumberToObject(doc, "bytes", (double)r.bytes);
        cJSON_AddNumberToObject(doc, "dump_seconds", r.seconds);
        cJSON_AddNumberToObject(doc, "pause_seconds", r.pause);
        cJSON_AddNumberToObject(doc, "stopped_seconds", r.stopped);
        cJSON_AddNumberToObject(doc, "total_seconds", r.total);
        if (r.child > 0) cJSON_AddNumberToObject(doc, "child", (double)r.child);
        cJSON_AddStringToObject(doc, "left_in_target",
                                "the whyalive extension stays mapped (dlopen), not imported");
        return wa_cli_json_out(doc);
    }
    char a[32], b[32], c[32];
    char *out = wa_text_escape_dup(r.path, 0);
    if (!out) return wa_cli_fail(WA_EXIT_INTERNAL, "out of memory");
    printf("wrote %s (%s objects, %s edges, %s roots) from process %d (Python %s)\n", out,
           wa_cli_count(r.objects, a), wa_cli_count(r.edges, b), wa_cli_count(r.roots, c), (int)pid,
           r.python);
    printf("target stopped %.1f ms by gdb, paused %.1f ms (%s); dump %.2f s, total %.2f s\n",
           r.stopped * 1e3, r.pause * 1e3, foreground ? "foreground dump" : "fork", r.seconds,
           r.total);
    free(out);
    wa_cli_note(&common,
                "the whyalive extension stays mapped in process %d (loaded with dlopen, never "
                "imported: sys.modules is unchanged)",
                (int)pid);
    return wa_cli_finish_output(WA_EXIT_OK);
}
