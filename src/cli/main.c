/* main.c: `whyalive COMMAND ...`: dispatch to the subcommands, top-level help. */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "whyalive/text.h"

/* Each subcommand lives in its own file (src/cli/<name>.c). Declared weak so a
 * build without one of them still links; the table skips what is absent. */
#define WA_CMD(name) extern const wa_cli_command wa_cmd_##name __attribute__((weak));
WA_CMD(info)
WA_CMD(convert)
WA_CMD(summary)
WA_CMD(paths)
WA_CMD(retainers)
WA_CMD(dominators)
WA_CMD(diff)
WA_CMD(suspects)
WA_CMD(graph)
WA_CMD(dump)
WA_CMD(report)
#undef WA_CMD

static const wa_cli_command *const *commands(void) {
    static const wa_cli_command *table[16];
    static int filled = 0;
    if (!filled) {
        const wa_cli_command *all[] = {&wa_cmd_info,      &wa_cmd_summary,    &wa_cmd_paths,
                                       &wa_cmd_retainers, &wa_cmd_dominators, &wa_cmd_diff,
                                       &wa_cmd_suspects,  &wa_cmd_graph,      &wa_cmd_report,
                                       &wa_cmd_convert,   &wa_cmd_dump};
        int n = 0;
        for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
            if (all[i]) table[n++] = all[i];
        table[n] = NULL;
        filled = 1;
    }
    return table;
}

static void top_help(FILE *f) {
    fprintf(f, "usage: whyalive COMMAND [OPTIONS] SNAPSHOT...\n\n"
               "Why is this object still alive? Offline analysis of Python heap dumps\n"
               "written by whyalive.dump() (JSON Lines or binary snapshots, plain or\n"
               "gzip/zstd-compressed; '-' reads one from standard input).\n\ncommands:\n");
    for (const wa_cli_command *const *c = commands(); *c; c++)
        fprintf(f, "  %-12s %s\n", (*c)->name, (*c)->summary);
    fprintf(f, "\ndocuments ('whyalive help TOPIC'):\n");
    for (const wa_cli_doc *d = wa_cli_docs; d->topic; d++)
        fprintf(f, "  %-12s %s\n", d->topic, d->summary);
    fprintf(f,
            "\nRun 'whyalive COMMAND --help' for a command's options. Every command\n"
            "takes --json; selectors (--select) are described by 'whyalive help selectors'.\n"
            "whyalive %s, snapshot format %d.\n",
            WA_VERSION, WA_FORMAT_VERSION);
}

/* `whyalive help TOPIC` for a document: its text on stdout, as written. */
static int print_doc(const char *topic) {
    for (const wa_cli_doc *d = wa_cli_docs; d->topic; d++)
        if (strcmp(d->topic, topic) == 0) {
            if (fwrite(d->text, 1, d->len, stdout) != d->len || fflush(stdout) != 0) {
                wa_cli_fail(WA_EXIT_OUTPUT, "cannot write the document '%s' to stdout", topic);
                return WA_EXIT_OUTPUT;
            }
            return WA_EXIT_OK;
        }
    return -1;
}

int main(int argc, char **argv) {
    /* A closed pipe (whyalive ... | head) ends output quietly, not with SIGPIPE
     * half-way through a line. */
    signal(SIGPIPE, SIG_IGN);
    if (argc < 2) {
        top_help(stderr);
        return WA_EXIT_INPUT;
    }
    const char *name = argv[1];
    if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0 || strcmp(name, "help") == 0) {
        if (argc > 2 && strcmp(name, "help") == 0) {
            for (const wa_cli_command *const *c = commands(); *c; c++)
                if (strcmp((*c)->name, argv[2]) == 0) {
                    char *hargv[] = {argv[2], "--help", NULL};
                    return (*c)->run(2, hargv);
                }
            int rc = print_doc(argv[2]);
            if (rc >= 0) return rc;
            wa_cli_fail(WA_EXIT_INPUT, "no command or document '%s'", argv[2]); /* escaped */
            top_help(stderr);
            return WA_EXIT_INPUT;
        }
        top_help(stdout);
        return WA_EXIT_OK;
    }
    if (strcmp(name, "--version") == 0 || strcmp(name, "version") == 0) {
        printf("whyalive %s (snapshot format %d)\n", WA_VERSION, WA_FORMAT_VERSION);
        return WA_EXIT_OK;
    }
    for (const wa_cli_command *const *c = commands(); *c; c++)
        if (strcmp((*c)->name, name) == 0) return (*c)->run(argc - 1, argv + 1);
    const char *cands[32];
    size_t n = 0;
    for (const wa_cli_command *const *c = commands(); *c && n < 32; c++) cands[n++] = (*c)->name;
    const char *near = wa_text_closest(name, cands, n);
    if (near)
        wa_cli_fail(WA_EXIT_INPUT, "unknown command '%s'; did you mean '%s'?", name, near);
    else
        wa_cli_fail(WA_EXIT_INPUT, "unknown command '%s'", name); /* escaped */
    top_help(stderr);
    return WA_EXIT_INPUT;
}
