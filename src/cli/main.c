/* main.c: `whyalive COMMAND ...`: dispatch to the subcommands, top-level help. */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

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
WA_CMD(report)
#undef WA_CMD

static const wa_cli_command *const *commands(void) {
    static const wa_cli_command *table[16];
    static int filled = 0;
    if (!filled) {
        const wa_cli_command *all[] = {
            &wa_cmd_info, &wa_cmd_summary,  &wa_cmd_paths, &wa_cmd_retainers, &wa_cmd_dominators,
            &wa_cmd_diff, &wa_cmd_suspects, &wa_cmd_graph, &wa_cmd_report,    &wa_cmd_convert};
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
               "written by whyalive.dump() (JSON Lines or binary snapshots).\n\ncommands:\n");
    for (const wa_cli_command *const *c = commands(); *c; c++)
        fprintf(f, "  %-12s %s\n", (*c)->name, (*c)->summary);
    fprintf(f,
            "\nRun 'whyalive COMMAND --help' for a command's options. Every command\n"
            "takes --json; selectors (--select) are described in docs/selectors.md.\n"
            "whyalive %s, snapshot format %d.\n",
            WA_VERSION, WA_FORMAT_VERSION);
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
    wa_cli_fail(WA_EXIT_INPUT, "unknown command '%s'", name); /* escaped */
    top_help(stderr);
    return WA_EXIT_INPUT;
}
