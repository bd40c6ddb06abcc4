"""Snapshot.holders() (issue 14, item 1): every holder of a selection, the
same document as `whyalive paths --holders --json`."""
import json
import os
import subprocess

import whyalive
from api_support import BIN, FIXTURES

LEAK = os.path.join(FIXTURES, "graph", "leak.jsonl")


def test_holders_matches_the_cli():
    with whyalive.load(LEAK) as snap:
        doc = snap.holders("type=ConversationTranscriber")
    assert doc["mode"] == "holders" and [h["count"] for h in doc["holders"]] == [12, 3, 1]
    cli = subprocess.run([BIN, "paths", LEAK, "--select", "type=ConversationTranscriber",
                          "--holders", "--json"], capture_output=True, text=True, timeout=60)
    assert cli.returncode == 0, cli.stderr
    want = json.loads(cli.stdout)
    for d in (doc, want):
        d.pop("snapshot", None)
    assert doc == want


def test_holders_limit():
    with whyalive.load(LEAK) as snap:
        doc = snap.holders("type=ConversationTranscriber", limit=1)
    assert len(doc["holders"]) == 1 and doc["holders_total"] == 3 and doc["truncated"]
