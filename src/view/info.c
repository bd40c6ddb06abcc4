/*
 * view/info.c: the `info` document: a snapshot's metadata, counts, roots
 * by kind and dangling edges. No analysis.
 */
#include "view/view_impl.h"

wa_view *wa_view_info(const wa_view_source *src, const wa_view_info_extra *x, wa_error *err) {
    const wa_snapshot *snap = wa_vw_snap(src);
    const wa_meta *m = wa_snapshot_meta(snap);
    uint32_t nroots = wa_snapshot_n_roots(snap);
    const wa_root *roots = wa_snapshot_roots(snap);
    uint64_t by_kind[WA_ROOT_KIND_COUNT] = {0}, excess = 0;
    for (uint32_t i = 0; i < nroots; i++) {
        if (roots[i].kind < WA_ROOT_KIND_COUNT) by_kind[roots[i].kind]++;
        excess += roots[i].excess;
    }
    cJSON *doc = cJSON_CreateObject();
    cJSON_AddStringToObject(doc, "file", src->name ? src->name : "");
    cJSON_AddStringToObject(doc, "format", x->format ? x->format : "");
    cJSON_AddNumberToObject(doc, "format_version", m->format_version);
    wa_vj_u64(doc, "file_bytes", x->file_bytes);
    if (m->source_compression != WA_COMPRESSION_NONE)
        cJSON_AddStringToObject(doc, "compression",
                                wa_compression_name((wa_compression)m->source_compression));
    cJSON *meta = cJSON_AddObjectToObject(doc, "meta");
    cJSON_AddStringToObject(meta, "tool_version", m->tool_version ? m->tool_version : "");
    cJSON_AddStringToObject(meta, "python", m->python_version ? m->python_version : "");
    cJSON_AddStringToObject(meta, "implementation", m->implementation ? m->implementation : "");
    cJSON_AddStringToObject(meta, "host", m->host ? m->host : "");
    cJSON_AddStringToObject(meta, "time", m->time ? m->time : "");
    cJSON_AddNumberToObject(meta, "pid", (double)m->pid);
    wa_vj_u64(meta, "rss", m->rss);
    cJSON_AddNumberToObject(meta, "seconds", m->seconds);
    cJSON *av = cJSON_AddArrayToObject(meta, "argv");
    for (uint32_t i = 0; i < m->argc; i++) cJSON_AddItemToArray(av, cJSON_CreateString(m->argv[i]));
    wa_vj_u64(doc, "objects", wa_snapshot_n_objects(snap));
    wa_vj_u64(doc, "edges", wa_snapshot_n_edges(snap));
    wa_vj_u64(doc, "types", wa_snapshot_n_types(snap));
    wa_vj_u64(doc, "strings", wa_snapshot_n_strings(snap));
    wa_vj_u64(doc, "shallow_bytes", wa_snapshot_total_size(snap));
    wa_vj_u64(doc, "dangling_edges", wa_snapshot_dangling(snap));
    cJSON *r = cJSON_AddObjectToObject(doc, "roots");
    wa_vj_u64(r, "total", nroots);
    cJSON *bk = cJSON_AddObjectToObject(r, "by_kind");
    for (int k = 0; k < WA_ROOT_KIND_COUNT; k++)
        wa_vj_u64(bk, wa_root_kind_name((wa_root_kind)k), by_kind[k]);
    wa_vj_u64(r, "external_excess", excess);
    /* the sidecar index, as the session was given it (whyalive/index.h) */
    const wa_index *ix = src->session ? wa_session_index(src->session) : NULL;
    cJSON *ij = cJSON_AddObjectToObject(doc, "index");
    if (wa_index_path(ix))
        cJSON_AddStringToObject(ij, "file", wa_index_path(ix));
    else
        cJSON_AddNullToObject(ij, "file");
    cJSON_AddStringToObject(ij, "state", wa_index_state_name(wa_index_state_of(ix)));
    cJSON *holds = cJSON_AddArrayToObject(ij, "holds");
    if (wa_index_holds(ix, WA_INDEX_HAS_DOM))
        cJSON_AddItemToArray(holds, cJSON_CreateString("dominators"));
    if (wa_index_holds(ix, WA_INDEX_HAS_TREE))
        cJSON_AddItemToArray(holds, cJSON_CreateString("paths"));
    cJSON_AddStringToObject(ij, "note", wa_index_note(ix));
    cJSON_AddNumberToObject(doc, "load_seconds", x->load_seconds);
    wa_vj_u64(doc, "memory_bytes", wa_snapshot_memory(snap));
    return wa_view_wrap(doc, err);
}
