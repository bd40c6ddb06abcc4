"""End to end on the real Azure Speech SDK (issue 13): the example service
with STT_SDK=azure, dumped three times while it runs, and what whyalive says
about the real `ConversationTranscriber`.

Offline by design: a real SpeechConfig with a placeholder key and region, a
real AudioConfig from the WAV file each request writes, a real
ConversationTranscriber with transcribed/canceled/session_stopped connected to
the handler's bound methods, start_transcribing_async(); with no network every
session is cancelled with a connection error (the service answers 422).

What the real SDK (1.53.0) does, and what whyalive must show:

* route `native` (never stop_transcribing_async(), never disconnect_all()):
  the SDK's native core holds only a weak reference to the transcriber
  (interop.py: _CallbackContext keeps weakref.ref(obj)), so nothing keeps the
  transcribers alive: each request leaves a reference cycle (transcriber ->
  EventSignal -> its callbacks list -> bound method -> handler ->
  .transcriber) that only the cyclic GC frees. Dumped without gc.collect(),
  whyalive finds the transcribers with no path from any root, and their
  referrers are that cycle; dumped after gc.collect(), none is left;
* route `python` (a module-level dict keeps every session): the true path
  sys.modules['stt_service.service'].__dict__['_active_sessions'][...]
  .transcriber, and growth of one transcriber per request that survives a
  third dump;
* route `none` (stop and disconnect): no growth. (Without gc.collect() a
  dump can still find the last requests' transcribers unreachable: the
  cancelled request raises, and the exception's traceback keeps the
  request's frame, and so its locals, in a cycle until the GC runs; that is
  the service's error path, not the SDK.)

Runs in the venv of scripts/get-azure-venv.sh (ctest py.azure_example_e2e).
"""
import os

import pytest

import example_support as ex
from example_support import wa_json

azure = pytest.importorskip("azure.cognitiveservices.speech")

TRANSCRIBER = "azure.cognitiveservices.speech.transcription.ConversationTranscriber"
HANDLER = "stt_service.service.TranscriptionHandler"
WARMUP, REQUESTS, MORE = 1, 4, 2


def test_pinned_sdk_version():
    assert azure.__version__ == "1.53.0"


def count(snapshot, type_name):
    doc = wa_json("summary", snapshot, "--select", f"type={type_name}", "--limit", "0")
    return sum(row["count"] for row in doc["rows"] if row["type"] == type_name)


def paths(snapshot):
    return wa_json("paths", snapshot, "--select", f"type={TRANSCRIBER}", "--limit", "0")


def labels(cluster):
    return [hop["label"] for hop in cluster["hops"]]


@pytest.fixture(scope="module")
def python_run(tmp_path_factory):
    return ex.run_story(tmp_path_factory.mktemp("az-python"), "python", REQUESTS, MORE, WARMUP,
                        sdk="azure")


@pytest.fixture(scope="module")
def native_run(tmp_path_factory):
    return ex.run_story(tmp_path_factory.mktemp("az-native"), "native", REQUESTS, MORE, WARMUP,
                        sdk="azure", collect=False)


@pytest.fixture(scope="module")
def fixed_run(tmp_path_factory):
    return ex.run_story(tmp_path_factory.mktemp("az-none"), "none", REQUESTS, MORE, WARMUP,
                        sdk="azure")


def test_python_route_growth_and_true_path(python_run):
    r = python_run
    a, b, c = r["a"], r["b"], r["c"]
    assert count(a, TRANSCRIBER) == WARMUP
    assert count(b, TRANSCRIBER) == WARMUP + REQUESTS
    assert count(c, TRANSCRIBER) == WARMUP + REQUESTS + MORE
    diff = wa_json("diff", a, b, "--limit", "0")
    grown = {row["type"]: row for row in diff["rows"]}
    assert grown[TRANSCRIBER]["dcount"] == REQUESTS
    survivors = wa_json("diff", a, b, c, "--select", f"type={TRANSCRIBER}")
    assert survivors["survivors"]["count"] == REQUESTS
    doc = paths(b)
    assert doc["selected"] == WARMUP + REQUESTS
    (cluster,) = doc["clusters"]
    assert cluster["count"] == WARMUP + REQUESTS
    hops = labels(cluster)
    assert any("_active_sessions" in h for h in hops) and hops[-1] == ".transcriber", hops
    assert cluster["root"]["kind"] == "module" and cluster["root"]["label"] == "stt_service.service"
    assert cluster["hops"][-1]["from"] == "stt_service.service.TranscriptionSession"


def test_native_route_leaves_unreachable_cycles_only(native_run):
    r = native_run
    c = r["c"]
    n = count(c, TRANSCRIBER)
    assert n >= 1, "without gc.collect() the cycles of the last requests are still there"
    doc = paths(c)
    assert doc["selected"] == n
    assert all(cl["reachable"] is False and cl["root"] is None for cl in doc["clusters"]), doc
    assert sum(cl["count"] for cl in doc["clusters"]) == n
    # their referrers are the cycle through the handler and the SDK's EventSignal
    text = ex.wa("retainers", c, "--select", f"type={TRANSCRIBER}", "--depth", "3",
                 "--limit", "1").stdout
    assert "transcriber" in text and "__self__" in text and "EventSignal" in text, text[:2000]
    # and none survives a gc.collect()
    workdir = os.path.dirname(os.path.dirname(r["a"])) + "-gc"
    os.makedirs(workdir)
    with ex.Service(workdir, leak="native", sdk="azure") as svc:
        svc.send(2)
        after = svc.dump("collected", collect=True)
    assert count(after["path"], TRANSCRIBER) == 0


def test_fixed_route_no_growth(fixed_run):
    r = fixed_run
    for snap in (r["a"], r["b"], r["c"]):
        assert count(snap, TRANSCRIBER) == 0
        assert count(snap, HANDLER) == 0
    diff = wa_json("diff", r["a"], r["c"], "--limit", "0")
    assert TRANSCRIBER not in {row["type"] for row in diff["rows"]}
