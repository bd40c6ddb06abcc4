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
    "Loads SNAP (JSON Lines or binary, plain or gzip/zstd-compressed, detected\n"
    "from its first bytes; '-' is standard input) and prints\n"
    "who wrote it and when, the process it came from, object, edge, type and\n"
    "root counts, total shallow bytes, and edges whose target was not in the\n"
    "dump (dropped at load and counted), and the state of its sidecar index\n"
    "SNAP.wai (see --no-index).",
    1,
    1,
    run,
    1};

/* The human report, drawn from the view's document. */
static void print_doc(const cJSON *doc) {
    char a[32], b[32], c[32];
    const cJSON *m = wa_j_get(doc, "meta"), *r = wa_j_get(doc, "roots");
    const cJSON *bk = wa_j_get(r, "by_kind"), *v;
    const char *tool = wa_j_str(m, "tool_version"), *time_s = wa_j_str(m, "time");
    const char *impl = wa_j_str(m, "implementation"), *py = wa_j_str(m, "python");
    const char *host = wa_j_str(m, "host");
    double seconds = wa_j_num(m, "seconds");
    uint64_t rss = wa_j_u64(m, "rss"), n = wa_j_u64(doc, "objects");
    uint64_t mem = wa_j_u64(doc, "memory_bytes"), dangling = wa_j_u64(doc, "dangling_edges");
    double load_s = wa_j_num(doc, "load_seconds");
    const cJSON *ix = wa_j_get(doc, "index");
    const char *file = wa_j_str(doc, "file"), *comp = wa_j_str(doc, "compression");
    printf("snapshot     %s (%s%s%s, format %u, ", strcmp(file, "-") ? file : "<stdin>",
           wa_j_str(doc, "format"), comp[0] ? ", " : "", comp[0] ? comp : "",
           (unsigned)wa_j_num(doc, "format_version"));
    if (strcmp(file, "-") == 0)
        printf("from standard input)\n");
    else
        printf("%s on disk)\n", wa_size_text(wa_j_u64(doc, "file_bytes"), 2, a));
    if (tool[0]) printf("written by   whyalive %s%s%s\n", tool, time_s[0] ? " at " : "", time_s);
    if (seconds > 0) printf("dump took    %.2f s\n", seconds);
    if (impl[0] || py[0])
        printf("process      %s %s, pid %" PRId64 "%s%s, RSS %s\n", impl, py,
               (int64_t)wa_j_num(m, "pid"), host[0] ? " on " : "", host,
               rss ? wa_size_text(rss, 2, a) : "unknown");
    if (cJSON_GetArraySize(wa_j_get(m, "argv"))) {
        printf("argv        ");
        cJSON_ArrayForEach(v, wa_j_get(m, "argv")) printf(" %s", v->valuestring);
        printf("\n");
    }
    printf("objects      %s (%s shallow)\n", wa_cli_count(n, a),
           wa_size_text(wa_j_u64(doc, "shallow_bytes"), 2, b));
    printf("edges        %s\n", wa_cli_count(wa_j_u64(doc, "edges"), a));
    printf("types        %s\n", wa_cli_count(wa_j_u64(doc, "types"), a));
    printf("roots        %s:", wa_cli_count(wa_j_u64(r, "total"), a));
    int k = 0;
    cJSON_ArrayForEach(v, bk)
        printf("%s %s %s", k++ ? "," : "", v->string, wa_cli_count(wa_j_u64(bk, v->string), b));
    printf("\n");
    uint64_t ext = wa_j_u64(bk, "external");
    if (ext)
        printf("external     %s objects held from outside the visible graph "
               "(%s references the dump could not see)\n",
               wa_cli_count(ext, a), wa_cli_count(wa_j_u64(r, "external_excess"), b));
    printf("dangling     %s edge%s to addresses not in the dump (dropped)\n",
           wa_cli_count(dangling, a), dangling == 1 ? "" : "s");
    const char *ixs = wa_j_str(ix, "state"), *ixf = wa_j_str(ix, "file");
    const char *ixn = wa_j_str(ix, "note");
    if (strcmp(ixs, "valid") == 0) {
        const cJSON *h = wa_j_get(ix, "holds"), *e;
        printf("index        %s: valid, holds", ixf);
        int nh = 0;
        cJSON_ArrayForEach(e, h) printf("%s %s", nh++ ? "," : "", e->valuestring);
        printf("%s\n", nh ? "" : " nothing");
    } else if (strcmp(ixs, "absent") == 0) {
        printf("index        none yet (the first analysis writes %s)\n", ixf);
    } else if (strcmp(ixs, "stale") == 0 || strcmp(ixs, "damaged") == 0) {
        printf("index        %s: %s, ignored (%s); the next analysis writes it again\n", ixf, ixs,
               ixn);
    } else if (strcmp(ixs, "no dump identity") == 0) {
        printf("index        none (standard input has no index)\n");
    } else {
        printf("index        not used (--no-index or WHYALIVE_NO_INDEX)\n");
    }
    /* Per-object cost is only meaningful once the arena's first block is
     * amortized. */
    if (n >= 10000)
        printf("loaded       in %.2f s, %s in memory (%.1f B/object incl. edges)\n", load_s,
               wa_size_text(mem, 2, c), (double)mem / (double)n);
    else
        printf("loaded       in %.2f s, %s in memory\n", load_s, wa_size_text(mem, 2, c));
}

static int run(int argc, char **argv) {
    wa_cli_common common;
    char *pos[argc > 0 ? argc : 1];
    int npos = 0;
    const wa_option opts[] = {{0}};
    int rc = wa_cli_parse(&wa_cmd_info, opts, &common, argc, argv, pos, &npos);
    if (rc != WA_CLI_CONTINUE) return rc;
    const char *path = pos[0];

    /* the index is only looked at (never written): its state is shown */
    wa_error err;
    wa_error_clear(&err);
    wa_index *ix = common.no_index ? NULL : wa_index_open(path, WA_INDEX_READ, &err);
    double t0 = now();
    wa_snapshot *snap = wa_cli_load(path, &common, &rc);
    if (!snap) {
        wa_index_free(ix);
        return rc;
    }
    double load_s = now() - t0;

    struct stat st;
    wa_view_info_extra x = {wa_format_name((wa_format)wa_snapshot_meta(snap)->source_format),
                            stat(path, &st) == 0 ? (uint64_t)st.st_size : 0, load_s};
    wa_session *session = wa_session_new(snap, &err);
    if (session)
        wa_session_set_index(session, ix, NULL, NULL);
    else
        wa_index_free(ix);
    wa_view_source src = {session, path};
    wa_view *view = session ? wa_view_info(&src, &x, &err) : NULL;
    wa_session_free(session);
    wa_snapshot_free(snap);
    if (!view) return wa_cli_fail_err(wa_cli_exit_for(err.code, 0), &err);
    if (common.json) return wa_cli_view_out(view);
    if (wa_cli_escape_doc(wa_view_doc(view)) != 0) {
        wa_view_free(view);
        return wa_cli_fail(WA_EXIT_INTERNAL, "out of memory escaping the output");
    }
    print_doc(wa_view_doc(view));
    wa_view_free(view);
    return wa_cli_finish_output(WA_EXIT_OK);
}
