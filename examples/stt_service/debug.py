"""Debug endpoints: heap dumps, type counts and Prometheus metrics.

The seed guide's objgraph, pympler and Prometheus endpoints, answered by
whyalive from C. A heap dump holds the whole state of the service, so:

* the router exists only when WHYALIVE_DEBUG_TOKEN is set (404 otherwise);
* every call needs ``Authorization: Bearer <token>``, compared in constant
  time; a missing or wrong token is a 403;
* calls from a non-loopback address are refused (403) even with the token,
  in case someone runs the app behind ``--host 0.0.0.0`` anyway;
* dumps go only into the configured directory, under a name the server
  chooses; files are written 0600 by whyalive, without string values.
"""

import gc
import hmac
import ipaddress
import itertools
import os
import re
import time

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import PlainTextResponse

from stt_service.settings import SDK_MODULE, WATCHED_TYPES

try:
    import whyalive
    _whyalive_error = None
except ImportError as e:  # the endpoints say so (501) instead of failing at startup
    whyalive = None
    _whyalive_error = str(e)

_LABEL_RE = re.compile(r"[A-Za-z0-9_-]{1,40}")
_FORMATS = {"wa": "wa", "binary": "wa", "jsonl": "jsonl"}
_dump_seq = itertools.count(1)


def _is_loopback(host):
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _whyalive_function(name):
    """The whyalive helper `name`, or a 501 that says what is missing."""
    if whyalive is None:
        raise HTTPException(501, f"whyalive is not importable here: {_whyalive_error}")
    fn = getattr(whyalive, name, None)
    if fn is None:
        raise HTTPException(501, f"this whyalive build has no whyalive.{name}()")
    return fn


def make_router(settings):
    expected = settings.debug_token.encode("utf-8")

    def require_token(request: Request):
        host = request.client.host if request.client else ""
        if not _is_loopback(host):
            raise HTTPException(403, "debug endpoints answer on loopback only")
        scheme, _, given = request.headers.get("authorization", "").partition(" ")
        ok = hmac.compare_digest(given.strip().encode("utf-8", "surrogateescape"), expected)
        if scheme.lower() != "bearer" or not ok:
            raise HTTPException(403, "debug token required: Authorization: Bearer <token>")

    router = APIRouter(dependencies=[Depends(require_token)])

    @router.post("/debug/heap-dump")
    async def heap_dump(format: str = Query("wa", description="wa (binary) or jsonl"),
                        label: str = Query("dump", description="[A-Za-z0-9_-]{1,40}"),
                        collect: bool = Query(True, description="gc.collect() first")):
        dump = _whyalive_function("dump")
        ext = _FORMATS.get(format)
        if ext is None:
            raise HTTPException(422, "format must be wa or jsonl")
        if not _LABEL_RE.fullmatch(label):
            raise HTTPException(422, "label must match [A-Za-z0-9_-]{1,40}")
        collected = gc.collect() if collect else 0
        stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime())
        name = f"heap-{label}-{os.getpid()}-{stamp}-{next(_dump_seq):03d}.{ext}"
        path = os.path.join(settings.dump_dir, name)
        os.makedirs(settings.dump_dir, mode=0o700, exist_ok=True)
        # Runs on the event loop thread on purpose: the dump holds the GIL
        # anyway, and no request handler is half-way through a step meanwhile.
        try:
            info = dump(path)
        except (OSError, ValueError) as e:
            raise HTTPException(500, f"dump failed: {e}") from None
        return {
            "path": path,
            "format": ext,
            "objects": info.objects,
            "edges": info.edges,
            "bytes": info.bytes,
            "seconds": info.seconds,
            "gc_collected": collected,
        }

    @router.get("/debug/memory-objects")
    async def memory_objects(limit: int = Query(20, ge=1, le=500),
                             collect: bool = Query(False, description="gc.collect() first")):
        # The seed's objgraph endpoint, counted in C: no list of the heap.
        type_counts = _whyalive_function("type_counts")
        counts = type_counts(collect=collect)
        return {
            "most_common_types": dict(itertools.islice(counts.items(), limit)),
            "watched_types": type_counts(types=list(WATCHED_TYPES)),
            "sdk_objects": sum(type_counts(module_prefix=SDK_MODULE).values()),
            "total_objects": sum(counts.values()),
        }

    @router.get("/debug/growth")
    async def growth(limit: int = Query(20, ge=1, le=500)):
        # objgraph.show_growth()'s endpoint: the types whose counts rose above
        # their peak since the previous call (the peaks live in whyalive).
        grow = _whyalive_function("growth")
        return {"growth": [{"type": name, "count": count, "increase": inc}
                           for name, count, inc in grow(limit, shortnames=False)]}

    @router.get("/metrics", response_class=PlainTextResponse)
    async def metrics():
        prometheus_text = _whyalive_function("prometheus_text")
        return PlainTextResponse(
            prometheus_text(types=list(WATCHED_TYPES), module_prefixes=[SDK_MODULE]),
            media_type="text/plain; version=0.0.4; charset=utf-8")

    return router
