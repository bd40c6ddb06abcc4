"""Turn whyalive's --json answers into the few lines an engineer acts on.

    python3 -m stt_service.diagnose --route ROUTE --requests N --more M [--sdk fake|azure] DIR

DIR holds what scripts/demo.sh saved from the CLI (docs/json.md):
  growth.json     whyalive diff A B --limit 0 --json
  survivors.json  whyalive diff A B C --select type=ConversationTranscriber --json
  paths.json      whyalive paths B --select type=ConversationTranscriber --json
  suspects.json   whyalive suspects B --baseline A --limit 0 --json

The diagnosis is read from the data only. --route says what the demo ran, so
that the last line can check the diagnosis against it (exit 1 on mismatch):
a leak with an external root for "native", a leak held from a module for
"python", nothing for "none".
"""

import argparse
import json
import os
import sys

TARGET = "ConversationTranscriber"
OUR_MODULES = ("fakesdk.", "stt_service.")


def short(type_name):
    return type_name.rsplit(".", 1)[-1]


def human(n):
    for unit in ("B", "KiB", "MiB", "GiB"):
        if abs(n) < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return str(n)


def load(directory, name):
    with open(os.path.join(directory, name)) as f:
        return json.load(f)


def chain(cluster):
    """root → type .label → type ...: the path with the types on it."""
    hops = cluster["hops"]
    text = f"{cluster['root']['text']} → {short(hops[0]['from'] if hops else cluster['type'])}"
    for h in hops:
        text += f" {h['label']} → {short(h['to'])}"
    return text


def interpret(cluster):
    """(what it means, what to change), from the root kind and the hops."""
    root = cluster["root"]
    hops = cluster["hops"]
    first = hops[0]["from"] if hops else cluster["type"]
    if root["kind"] == "external":
        held = (f"held by native code:\n            refcount {root['excess']} above the "
                "references the dump saw, and no Python referrer")
        if first == "builtins.method" and hops and hops[0]["label"] == ".__self__":
            meaning = (f"{short(hops[0]['to'])}'s bound methods are {held}: the SDK's\n"
                       "            core keeps the callbacks connected to the transcriber's signals")
            fix = ("when a request ends, transcriber.stop_transcribing_async().get() and\n"
                   "            disconnect_all() on every connected signal")
        else:
            meaning = f"the first object on the path ({short(first)}) is {held}"
            fix = "find the native call that took that reference and release it"
        return meaning, fix
    if root["kind"] == "module":
        container = next((h["label"] for h in hops if h["abstracted"] is False
                          and h["label"] not in (".__dict__",)), "?")
        per_key = next((i for i, h in enumerate(hops) if h["abstracted"]), None)
        meaning = (f"module {root['label']} keeps them in {container.lstrip('.')}"
                   + (", one entry per request" if per_key is not None else ""))
        fix = f"remove the entry from {container.lstrip('.')} when the request ends (or bound it)"
        return meaning, fix
    return (f"held from a {root['kind']} root", "follow the path above")


def main(argv=None):
    p = argparse.ArgumentParser(prog="python3 -m stt_service.diagnose")
    p.add_argument("--route", required=True, choices=("native", "python", "none"))
    p.add_argument("--requests", type=int, required=True)
    p.add_argument("--more", type=int, required=True)
    p.add_argument("--sdk", choices=("fake", "azure"),
                   default=os.environ.get("STT_SDK", "fake").strip().lower() or "fake",
                   help="the SDK the service ran on (default: $STT_SDK, else fake)")
    p.add_argument("dir")
    a = p.parse_args(argv)
    our_modules = OUR_MODULES + (("azure.cognitiveservices.speech.",) if a.sdk == "azure" else ())

    growth = load(a.dir, "growth.json")
    survivors = load(a.dir, "survivors.json")
    paths = load(a.dir, "paths.json")
    suspects = load(a.dir, "suspects.json")

    rows = {r["type"]: r for r in growth["rows"]}
    target = next((t for t in rows if short(t) == TARGET), None)
    grew = rows[target]["dcount"] if target else 0
    total_a, total_b = growth["totals"][0]["bytes"], growth["totals"][1]["bytes"]
    surv = survivors["survivors"] or {"count": 0, "clusters": []}
    clusters = paths["clusters"]
    top = clusters[0] if clusters else None
    ours = [s for s in suspects["suspects"]
            if any(m in f"{s.get('type', '')} {s.get('path', '')}" for m in our_modules)
            or TARGET in s.get("type", "")]
    # A per-request leak grows with the requests; a connection still open at
    # dump time adds a few objects. Half the request count tells them apart.
    growth_suspects = [s for s in suspects["suspects"] if s["kind"] == "growth"
                       and s["count"] - s.get("baseline_count", 0) >= max(1, a.requests // 2)]

    sdk = " on the real Azure Speech SDK" if a.sdk == "azure" else ""
    print(f"diagnosis (STT_LEAK={a.route}{sdk}, {a.requests} requests between the first two dumps):")
    if grew == 0 and not top:
        print(f"  grew      no {TARGET} grew, none is alive; heap {human(total_a)} → "
              f"{human(total_b)}")
        print(f"  suspects  {len(ours)} involve {' or '.join(m.rstrip('.') for m in our_modules)}; "
              f"{len(growth_suspects)} path clusters grew by {max(1, a.requests // 2)} or more")
        leak, root_kind = False, None
        if a.sdk == "azure" and a.route == "native":
            print("  means     the real SDK gives its native core a weak reference to the transcriber\n"
                  "            (azure/cognitiveservices/speech/interop.py, _CallbackContext): one that is\n"
                  "            never stopped is left in a reference cycle that gc.collect() frees\n"
                  "            (the dumps ran it first); examples/README.md shows the cycle")
    else:
        per = f" ({grew / a.requests:g} per request)" if a.requests else ""
        print(f"  grew      +{grew} {TARGET}{per}; heap {human(total_a)} → {human(total_b)}")
        print(f"  survive   {surv['count']} created before the second dump are still alive "
              f"{a.more} requests later (3-dump diff)")
        if top:
            print(f"  held by   {chain(top)}")
            print(f"            {top['count']} of {paths['selected']} instances on this path, "
                  f"{human(top['retained'])} retained")
            meaning, fix = interpret(top)
            print(f"  means     {meaning}")
            print(f"  fix       {fix}")
        if not ours and a.sdk == "azure":
            print("  suspect   none: a few small objects per request stay under the thresholds of\n"
                  "            `whyalive suspects` (the fake SDK's transcribers hold 256 KiB each)")
        if ours:
            s = ours[0]
            print(f"  suspect   #{suspects['suspects'].index(s) + 1} of {len(suspects['suspects'])}: "
                  f"{s['kind']}, {s.get('count', '?')} {short(s.get('type', '?'))} retain "
                  f"{human(s['retained'])} ({s['share']:.0%} of the heap)")
        leak, root_kind = True, top["root"]["kind"] if top else None

    expected = {"native": (True, "external"), "python": (True, "module"), "none": (False, None)}
    if a.sdk == "azure":  # the real SDK keeps no strong reference (examples/README.md)
        expected["native"] = (False, None)
    want_leak, want_root = expected[a.route]
    ok = leak == want_leak and root_kind == want_root
    if want_leak:
        # The real SDK's transcribers are small (no 256 KiB decoder buffer as in
        # the fake) and the azure demo sends few requests: under the suspects'
        # thresholds, so only the fake's run must have a suspect.
        ok = ok and grew == a.requests and (bool(ours) or a.sdk == "azure")
    else:
        ok = ok and not ours and not growth_suspects
    print(f"  check     {'as expected' if ok else 'NOT as expected'} for STT_LEAK={a.route}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
