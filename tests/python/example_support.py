"""Helpers for test_example_e2e.py: run the example service, dump it, ask the CLI.

The service runs as a real subprocess (``python3 -m stt_service``) on
127.0.0.1 with a random port and a random debug token, exactly as
scripts/demo.sh runs it; the CLI is the built ``whyalive`` binary (WA_BIN).
"""

import json
import os
import secrets
import signal
import subprocess
import sys
import time

import httpx

WA_BIN = os.environ.get("WA_BIN", "")
WA_BUILD = os.environ.get("WA_BUILD", "")
WA_SRC = os.environ.get("WA_SRC", "")
# The whyalive package and the example tree for this interpreter: the build
# tree's python/ and examples/ for the main one, python-3.X/ and examples-3.X/
# for the others (tests/python/CMakeLists.txt sets these).
WA_PY_PACKAGE = os.environ.get("WA_PY_PACKAGE") or os.path.join(WA_BUILD, "python")
WA_EXAMPLES = os.environ.get("WA_EXAMPLES") or os.path.join(WA_BUILD, "examples")

TRANSCRIBER = "fakesdk.transcription.ConversationTranscriber"
SPEECH_CONFIG = "fakesdk.speech.SpeechConfig"
HANDLER = "stt_service.service.TranscriptionHandler"
SESSION = "stt_service.service.TranscriptionSession"
OUR_MODULES = ("fakesdk.", "stt_service.")

# A value planted in the service's environment (os.environ holds it as a str
# object): default dumps carry no string values, so it must not be in a file.
PLANTED_SECRET = "sk-whyalive-planted-" + secrets.token_hex(8)


def service_env(**extra):
    env = dict(os.environ)
    paths = [WA_PY_PACKAGE, WA_EXAMPLES]
    if env.get("PYTHONPATH"):
        paths.append(env["PYTHONPATH"])
    env["PYTHONPATH"] = os.pathsep.join(paths)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env.pop("WHYALIVE_DEBUG_TOKEN", None)
    env.update({k: v for k, v in extra.items() if v is not None})
    return env


class Service:
    """The example service in a subprocess; a context manager that always
    stops it (and only it: the process it started, by pid)."""

    def __init__(self, workdir, leak="native", token=True, startup_timeout=60.0, sdk="fake"):
        self.sdk = sdk
        self.workdir = str(workdir)
        self.dump_dir = os.path.join(self.workdir, "dumps")
        self.port_file = os.path.join(self.workdir, "port")
        self.log_path = os.path.join(self.workdir, "service.log")
        self.token = secrets.token_hex(16) if token else None
        self.leak = leak
        self.startup_timeout = startup_timeout
        self.proc = None
        self.port = None

    def __enter__(self):
        os.makedirs(self.dump_dir, mode=0o700, exist_ok=True)
        env = service_env(STT_LEAK=self.leak, STT_SDK=self.sdk, WHYALIVE_DEBUG_TOKEN=self.token,
                          WHYALIVE_DUMP_DIR=self.dump_dir, SPEECH_KEY=PLANTED_SECRET)
        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "stt_service", "--port", "0", "--port-file", self.port_file],
            env=env, stdout=self._log, stderr=subprocess.STDOUT, cwd=self.workdir)
        try:
            self._wait_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc):
        self.stop()

    def _wait_ready(self):
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"service exited with {self.proc.returncode}:\n{self.log()}")
            if os.path.exists(self.port_file):
                with open(self.port_file) as f:
                    self.port = int(f.read())
                try:
                    if self.get("/healthz").status_code == 200:
                        return
                except httpx.TransportError:
                    pass
            time.sleep(0.05)
        raise RuntimeError(f"service not ready after {self.startup_timeout}s:\n{self.log()}")

    def log(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode(errors="replace")
        except OSError:
            return ""

    def stop(self):
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def auth(self, token=None):
        token = self.token if token is None else token
        return {"Authorization": f"Bearer {token}"}

    def get(self, path, **kw):
        return httpx.get(self.url + path, timeout=60, **kw)

    def post(self, path, **kw):
        return httpx.post(self.url + path, timeout=300, **kw)

    def send(self, n, seed=1):
        # "Connection: close", as the demo's urllib client sends it. With
        # keep-alive, uvicorn arms a 5 s keep-alive timer per connection whose
        # callback holds the connection's protocol object (scope, headers,
        # ...) until it fires: real but transient growth that whyalive rightly
        # reports as a suspect, and not what these tests are about.
        import random
        rng = random.Random(seed)
        for i in range(n):
            r = httpx.post(self.url + "/transcriptions", content=rng.randbytes(32000),
                           headers={"Content-Type": "application/octet-stream",
                                    "Connection": "close"}, timeout=60)
            if self.sdk == "azure":
                # the real SDK offline: cancelled with a connection error
                assert r.status_code == 422 and "Connection failed" in r.text, r.text
                continue
            assert r.status_code == 200, f"request {i}: {r.status_code} {r.text}"
            assert r.json()["text"]

    def dump(self, label, collect=True):
        r = self.post(f"/debug/heap-dump?label={label}&collect={'true' if collect else 'false'}",
                      headers={**self.auth(), "Connection": "close"})
        assert r.status_code == 200, f"heap dump: {r.status_code} {r.text}"
        info = r.json()
        assert os.path.dirname(info["path"]) == self.dump_dir
        return info


def wa(*args, check=True):
    """Run the CLI; returns the CompletedProcess (text)."""
    p = subprocess.run([WA_BIN, *map(str, args)], capture_output=True, text=True, timeout=600)
    if check and p.returncode != 0:
        raise AssertionError(f"whyalive {' '.join(map(str, args))} exited {p.returncode}:\n"
                             f"{p.stderr}")
    return p


def wa_json(*args):
    return json.loads(wa(*args, "--json").stdout)


def has_command(name):
    return subprocess.run([WA_BIN, name, "--help"], capture_output=True).returncode == 0


def run_story(workdir, leak, requests, more=10, warmup=3, sdk="fake", collect=True):
    """The demo's flow: warm up, baseline dump, `requests` requests, dump,
    `more` requests, dump, stop. Returns a dict of the three dump paths and
    what was sent."""
    with Service(workdir, leak=leak, sdk=sdk) as svc:
        svc.send(warmup, seed=7)
        a = svc.dump("baseline", collect)
        svc.send(requests, seed=1)
        b = svc.dump("after", collect)
        svc.send(more, seed=2)
        c = svc.dump("later", collect)
        pid = svc.proc.pid
    return {"a": a["path"], "b": b["path"], "c": c["path"], "infos": (a, b, c),
            "requests": requests, "more": more, "warmup": warmup, "pid": pid, "leak": leak}
