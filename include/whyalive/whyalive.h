/*
 * whyalive/whyalive.h: the public C API of libwhyalive, in one include: every
 * public header, lowest layer first (errors, snapshots and their files,
 * analyses, selectors, graph rendering, views).
 *
 * Ownership, the one rule: a wa_snapshot owns everything reachable from it
 * (objects, strings, metadata) and frees it all in wa_snapshot_free(); every
 * result a library call returns is owned by the caller and freed with the
 * _free function of its own type. Nothing in the library prints; failing calls
 * return a wa_status and fill a wa_error (see error.h).
 */
#ifndef WHYALIVE_WHYALIVE_H
#define WHYALIVE_WHYALIVE_H

#include "whyalive/version.h" /* WA_VERSION, generated from CMakeLists.txt */
#define WA_FORMAT_VERSION 1

#include "whyalive/error.h"
#include "whyalive/snapshot.h"
#include "whyalive/writer.h"
#include "whyalive/index.h"
#include "whyalive/analysis.h"
#include "whyalive/select.h"
#include "whyalive/render.h"
#include "whyalive/view.h"

#endif
