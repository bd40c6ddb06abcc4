/* info.c: `whyalive info SNAP`: metadata, counts, bytes, roots by kind,
 * dangling edges. The cheapest command: load and report, no analysis. */
#include <inttypes.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cli/cli.h"

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int run(int argc, char **argv);

const wa_cli_command wa_cmd_info = {
    "info",
    "show a snapshot's metadata, counts, roots by kind and dangling edges",
    "SNAP [--json]",
    "Loads SNAP (JSON Lines or binary, detected from its first bytes) and prints\n"
    "who wrote it and when, the process it came from, object, edge, type and\n"
    "root counts, total shallow bytes, and edges whose target was not in the\n"
    "dump (dropped at load and counted).",
    1, 1, run};

static const char *fmt_name(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return "?";
    char magic[8] = {0};
    size_t n = fread(magic, 1, sizeof magic, f);
    fclose(f);
    return n == 8 && memcmp(magic, "WHYALIVE", 8) == 0 ? "binary" : "jsonl";
}

static int run(int argc, char **argv) {
    wa_cli_common common;
    char *pos[argc > 0 ? argc : 1];
    int npos = 0;
    const wa_option opts[] = {{0}};
    int rc = wa_cli_parse(&wa_cmd_info, opts, &common, argc, argv, pos, &npos);
    if (rc != WA_CLI_CONTINUE) return rc;
    const char *path = pos[0];

    double t0 = now();
    wa_snapshot *snap = wa_cli_load(path, &common, &rc);
    if (!snap) return rc;
    double load_s = now() - t0;

    struct stat st;
    uint64_t file_bytes = stat(path, &st) == 0 ? (uint64_t)st.st_size : 0;
    const wa_meta *m = wa_snapshot_meta(snap);
    uint32_t nroots = wa_snapshot_n_roots(snap);
    const wa_root *roots = wa_snapshot_roots(snap);
    uint64_t by_kind[WA_ROOT_KIND_COUNT] = {0}, excess = 0;
    for (uint32_t i = 0; i < nroots; i++) {
        if (roots[i].kind < WA_ROOT_KIND_COUNT) by_kind[roots[i].kind]++;
        excess += roots[i].excess;
    }
    uint64_t n = wa_snapshot_n_objects(snap), e = wa_snapshot_n_edges(snap);
    uint64_t mem = wa_snapshot_memory(snap);
    const char *format = fmt_name(path);

    if (common.json) {
        cJSON *doc = cJSON_CreateObject();
        cJSON_AddStringToObject(doc, "file", path);
        cJSON_AddStringToObject(doc, "format", format);
        cJSON_AddNumberToObject(doc, "format_version", m->format_version);
        wa_json_add_u64(doc, "file_bytes", file_bytes);
        cJSON *meta = cJSON_AddObjectToObject(doc, "meta");
        cJSON_AddStringToObject(meta, "tool_version", m->tool_version ? m->tool_version : "");
        cJSON_AddStringToObject(meta, "python", m->python_version ? m->python_version : "");
        cJSON_AddStringToObject(meta, "implementation", m->implementation ? m->implementation : "");
        cJSON_AddStringToObject(meta, "host", m->host ? m->host : "");
        cJSON_AddStringToObject(meta, "time", m->time ? m->time : "");
        cJSON_AddNumberToObject(meta, "pid", (double)m->pid);
        wa_json_add_u64(meta, "rss", m->rss);
        cJSON_AddNumberToObject(meta, "seconds", m->seconds);
        cJSON *av = cJSON_AddArrayToObject(meta, "argv");
        for (uint32_t i = 0; i < m->argc; i++)
            cJSON_AddItemToArray(av, cJSON_CreateString(m->argv[i]));
        wa_json_add_u64(doc, "objects", n);
        wa_json_add_u64(doc, "edges", e);
        wa_json_add_u64(doc, "types", wa_snapshot_n_types(snap));
        wa_json_add_u64(doc, "strings", wa_snapshot_n_strings(snap));
        wa_json_add_u64(doc, "shallow_bytes", wa_snapshot_total_size(snap));
        wa_json_add_u64(doc, "dangling_edges", wa_snapshot_dangling(snap));
        cJSON *r = cJSON_AddObjectToObject(doc, "roots");
        wa_json_add_u64(r, "total", nroots);
        cJSON *bk = cJSON_AddObjectToObject(r, "by_kind");
        for (int k = 0; k < WA_ROOT_KIND_COUNT; k++)
            wa_json_add_u64(bk, wa_root_kind_name((wa_root_kind)k), by_kind[k]);
        wa_json_add_u64(r, "external_excess", excess);
        cJSON_AddNumberToObject(doc, "load_seconds", load_s);
        wa_json_add_u64(doc, "memory_bytes", mem);
        wa_snapshot_free(snap);
        return wa_cli_json_out(doc);
    }

    char a[32], b[32], c[32];
    printf("snapshot     %s (%s, format %u, %s on disk)\n", path, format, m->format_version,
           wa_cli_size(file_bytes, a));
    if (m->tool_version && m->tool_version[0])
        printf("written by   whyalive %s%s%s%s\n", m->tool_version,
               m->time && m->time[0] ? " at " : "", m->time ? m->time : "",
               m->seconds > 0 ? "" : "");
    if (m->seconds > 0) printf("dump took    %.2f s\n", m->seconds);
    if ((m->implementation && m->implementation[0]) || (m->python_version && m->python_version[0]))
        printf("process      %s %s, pid %" PRId64 "%s%s, RSS %s\n",
               m->implementation ? m->implementation : "", m->python_version ? m->python_version : "",
               m->pid, m->host && m->host[0] ? " on " : "", m->host ? m->host : "",
               m->rss ? wa_cli_size(m->rss, a) : "unknown");
    if (m->argc) {
        printf("argv        ");
        for (uint32_t i = 0; i < m->argc; i++) printf(" %s", m->argv[i]);
        printf("\n");
    }
    printf("objects      %s (%s shallow)\n", wa_cli_count(n, a),
           wa_cli_size(wa_snapshot_total_size(snap), b));
    printf("edges        %s\n", wa_cli_count(e, a));
    printf("types        %s\n", wa_cli_count(wa_snapshot_n_types(snap), a));
    printf("roots        %s:", wa_cli_count(nroots, a));
    for (int k = 0; k < WA_ROOT_KIND_COUNT; k++)
        printf("%s %s %s", k ? "," : "", wa_root_kind_name((wa_root_kind)k),
               wa_cli_count(by_kind[k], b));
    printf("\n");
    if (by_kind[WA_ROOT_EXTERNAL])
        printf("external     %s objects held from outside the visible graph "
               "(%s references the dump could not see)\n",
               wa_cli_count(by_kind[WA_ROOT_EXTERNAL], a), wa_cli_count(excess, b));
    uint64_t dangling = wa_snapshot_dangling(snap);
    printf("dangling     %s edge%s to addresses not in the dump (dropped)\n",
           wa_cli_count(dangling, a), dangling == 1 ? "" : "s");
    /* Per-object cost is only meaningful once the arena's first block is
     * amortized. */
    if (n >= 10000)
        printf("loaded       in %.2f s, %s in memory (%.1f B/object incl. edges)\n", load_s,
               wa_cli_size(mem, c), (double)mem / (double)n);
    else
        printf("loaded       in %.2f s, %s in memory\n", load_s, wa_cli_size(mem, c));
    wa_snapshot_free(snap);
    return wa_cli_finish_output(WA_EXIT_OK);
}
