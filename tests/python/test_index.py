"""whyalive.load(path, index=True): the sidecar index PATH.wai (issue 15).

The suite runs with WHYALIVE_NO_INDEX=1 (nothing next to the fixtures);
these tests lift it and work on copies in tmp_path."""
import json
import os
import shutil

import pytest

import whyalive
from api_support import STT_LEAK

T = "azure.cognitiveservices.speech.transcription.ConversationTranscriber"


@pytest.fixture
def dump(tmp_path, monkeypatch):
    monkeypatch.delenv("WHYALIVE_NO_INDEX", raising=False)
    p = tmp_path / "stt.jsonl"
    shutil.copy(STT_LEAK, p)
    return p


def results(s):
    """Everything that comes from the dominators and the path tree."""
    sel = s.select(f"type={T}")
    return json.dumps([s.dominators(limit=0), s.paths(sel), s.summary(),
                       list(s.column("retained")), [o.reachable for o in sel]], sort_keys=True)


def test_written_then_read_same_results(dump):
    wai = str(dump) + ".wai"
    with whyalive.load(dump) as s:
        assert s.index["state"] == "absent" and s.index["file"] == wai
        first = results(s)
    assert os.path.exists(wai)
    with whyalive.load(dump) as s:
        assert s.index["state"] == "valid"
        assert s.index["holds"] == ["dominators", "paths"]
        second = results(s)
    with whyalive.load(dump, index=False) as s:
        assert s.index["state"] == "off" and s.index["file"] is None
        third = results(s)
    assert first == second == third


def test_off(dump, monkeypatch):
    with whyalive.load(dump, index=False) as s:
        results(s)
    monkeypatch.setenv("WHYALIVE_NO_INDEX", "1")
    with whyalive.load(dump) as s:
        assert s.index["state"] == "off"
        results(s)
    assert not os.path.exists(str(dump) + ".wai")


def test_damaged_index_is_ignored(dump):
    with whyalive.load(dump) as s:
        want = results(s)
    wai = str(dump) + ".wai"
    with open(wai, "r+b") as f:
        f.truncate(200)
    with whyalive.load(dump) as s:
        assert s.index["state"] == "damaged" and s.index["note"]
        assert results(s) == want
    with whyalive.load(dump) as s:
        assert s.index["state"] == "valid"


def test_unwritable_is_silent(dump):
    os.mkdir(str(dump) + ".wai")  # where the index would go: not writable
    with whyalive.load(dump) as s:
        results(s)
        assert s.index["note"]
    assert os.path.isdir(str(dump) + ".wai")
