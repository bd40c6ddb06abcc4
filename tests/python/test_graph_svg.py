"""whyalive graph: the SVG is well-formed XML and shows what the legend
(docs/graph.md) promises: labels on nodes and edges, the selection in amber,
roots coloured by kind, collapse nodes, and the caption saying what was cut.

Runs the CLI ($WA_BIN) on the hand-made snapshots in tests/fixtures/graph.
"""
import os
import subprocess
import tempfile
import xml.etree.ElementTree as ET

import pytest

WA_BIN = os.environ.get("WA_BIN")
GRAPH = os.path.join(os.environ.get("WA_SRC", os.path.join(os.path.dirname(__file__), "..", "..")),
                     "tests", "fixtures", "graph")
SVG = "{http://www.w3.org/2000/svg}"
TRANSCRIBER = "type=azure.cognitiveservices.speech.transcription.ConversationTranscriber"

# The legend: keep in sync with src/render/dot.c and docs/graph.md.
SELECTED = "#ffd54f"
ROOT_FILL = {"module": "#c5e1a5", "thread": "#80deea", "external": "#ef9a9a",
             "interpreter": "#d1c4e9", "other": "#e0e0e0"}
MORE_FILL = "#eeeeee"

pytestmark = pytest.mark.skipif(not WA_BIN, reason="WA_BIN not set (run through ctest)")


def render(snapshot, *args):
    """Render to a temporary SVG; return {title: (fill, texts)} for nodes,
    {title: texts} for edges, and the caption lines."""
    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, "g.svg")
        subprocess.run([WA_BIN, "graph", os.path.join(GRAPH, snapshot), "-o", out, *args],
                       check=True, capture_output=True)
        tree = ET.parse(out)  # raises if the SVG is not well-formed
    root = tree.getroot()
    assert root.tag == SVG + "svg"
    nodes, edges = {}, {}
    graph = root.find(SVG + "g")
    caption = [t.text for t in graph.findall(SVG + "text")]
    for g in graph.iter(SVG + "g"):
        cls = g.get("class")
        if cls not in ("node", "edge"):
            continue
        title = g.find(SVG + "title").text
        texts = [t.text for t in g.iter(SVG + "text")]
        if cls == "node":
            fills = [p.get("fill") for p in g.iter() if p.tag in (SVG + "path", SVG + "polygon")
                     and p.get("fill") not in (None, "none")]
            nodes[title] = (fills[0] if fills else None, texts)
        else:
            edges[title.replace("&#45;&gt;", "->")] = texts
    return nodes, edges, caption


def test_backrefs_labels_and_colours():
    nodes, edges, caption = render("stt.jsonl", "--select", "addr=0x200", "--mode", "backrefs")
    fill, texts = nodes["0x200"]
    assert fill == SELECTED
    assert texts[0] == "azure.cognitiveservices.speech.transcription.ConversationTranscriber"
    assert "56 B / 313 KiB retained" in texts
    fill, texts = nodes["0x100"]
    assert fill == ROOT_FILL["module"] and "root: module app.stt" in texts
    fill, texts = nodes["0x205"]
    assert fill == ROOT_FILL["external"]
    assert "root: external, excess 1 (refcount 2, 1 seen)" in texts
    assert "on_transcribed" in texts
    # ordinary nodes are depth-shaded, never white, never a root colour
    shade = nodes["0x130"][0]
    assert shade.startswith("#") and shade not in ROOT_FILL.values() and shade != SELECTED
    assert edges["0x100->0x110"] == [".__dict__"]
    assert edges["0x130->0x200"] == [".transcriber"]
    assert edges["0x600->0x200"] == ["[0]"]
    assert edges["0x205->0x200"] == [".__self__"]
    assert caption == ["referrers of 1 selected object (highlighted), to depth 6"]


def test_root_kinds_and_escaping():
    nodes, edges, _ = render("roots.jsonl", "--select", "addr=0x41", "--mode", "backrefs")
    kinds = {"0x10": "interpreter", "0x20": "thread", "0x30": "external", "0x35": "other"}
    for addr, kind in kinds.items():
        fill, texts = nodes[addr]
        assert fill == ROOT_FILL[kind], (addr, fill)
        assert any(t.startswith("root: " + kind) for t in texts), texts
    assert "root: thread Worker-1 (77)" in nodes["0x20"][1]
    assert edges["0x10->0x40"] == ["['cache \"quoted\" \\ back']"]
    assert edges["0x20->0x40"] == ["f_locals.item"]
    assert edges["0x38->0x40"] == ["<closure item>"]
    # a long value snippet is cut
    value = [t for t in nodes["0x41"][1] if t.startswith("'a very long")]
    assert value and value[0].endswith("...") and len(value[0]) < 50


def test_paths_clusters():
    nodes, edges, caption = render("leak.jsonl", "--select", TRANSCRIBER)
    groups = {t: v for t, v in nodes.items() if t.startswith("group:")}
    big = [v for v in groups.values()
           if v[1][0] == "12 x azure.cognitiveservices.speech.transcription.ConversationTranscriber"]
    assert big and big[0][0] == SELECTED and "3.7 MiB retained" in big[0][1]
    assert edges["0x1200->group:0x2000:0"] == ["[*]"]
    assert edges["0x1100->0x1200"] == ["['_sessions']"]
    assert caption[0].startswith("retention paths of 17 selected objects: 4 clusters")
    # the transcriber only native code holds: an external root, selected
    fill, texts = nodes["0x7000"]
    assert fill == SELECTED and "root: external, excess 2 (refcount 2, 0 seen)" in texts


def test_fan_in_collapse_and_cut_caption():
    nodes, _, caption = render("fanin.jsonl", "--select", "addr=0x3000", "--fan-in", "4")
    more = [v for t, v in nodes.items() if t.startswith("more:")]
    assert len(more) == 1 and more[0][0] == MORE_FILL
    assert more[0][1] == ["15 more referrers", "10 app.cache.Holder, 5 dict"]
    assert 'collapsed: 15 referrers into 1 "more" node (fan-in 4)' in caption

    nodes, _, caption = render("wide.jsonl", "--select", "addr=0x3000", "--fan-in", "100",
                               "--max-nodes", "20")
    assert len(nodes) <= 20
    assert any(line.startswith("not drawn: ") and "beyond max-nodes 20" in line for line in caption)


def test_dominators():
    nodes, edges, caption = render("leak.jsonl", "--select", "addr=0x1200", "--mode", "dominators")
    assert nodes["0x1200"][0] == SELECTED
    more = [v for t, v in nodes.items() if t.startswith("more:")]
    assert more and more[0][1][0] == "4 more dominated (1.2 MiB retained)"
    assert edges["0x1200->0x2000"] == ["['sess-1000']"]
    assert caption[0].startswith("dominator chain of 1 of 1 selected object")
