"""A small client for the demo: wait for the service, send requests, take dumps.

    python3 -m stt_service.client --port-file F wait [--timeout S] [--pid PID]
    python3 -m stt_service.client --port-file F send N [--seed S]
    python3 -m stt_service.client --port-file F dump LABEL [--format wa|jsonl] [--json]

``dump`` prints the dump's path on stdout (the endpoint's whole answer with
--json) and a one-line summary on stderr.

The debug token comes from WHYALIVE_DEBUG_TOKEN, never from the command line
(where `ps` would show it). Loopback only, standard library only.
"""

import argparse
import json
import os
import random
import sys
import time
import urllib.error
import urllib.request

HOST = "127.0.0.1"


class ClientError(Exception):
    pass


def read_port(port_file):
    with open(port_file) as f:
        return int(f.read().strip())


def request(port, method, path, body=None, token=None, timeout=60.0):
    headers = {}
    if body is not None:
        headers["Content-Type"] = "application/octet-stream"
    if token:
        headers["Authorization"] = f"Bearer {token}"
    req = urllib.request.Request(f"http://{HOST}:{port}{path}", data=body, method=method,
                                 headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def fake_audio(rng, seconds=1.0):
    """16 kHz 16-bit mono noise: a 'short audio payload' (32 KB a second)."""
    return rng.randbytes(int(32000 * seconds))


def wait(port_file, timeout, pid=None):
    deadline = time.monotonic() + timeout
    last = "no port file yet"
    while time.monotonic() < deadline:
        if pid and not _alive(pid):
            raise ClientError(f"the service (pid {pid}) exited before it was ready")
        try:
            port = read_port(port_file)
            status, _ = request(port, "GET", "/healthz", timeout=2.0)
            if status == 200:
                return port
            last = f"/healthz answered {status}"
        except (OSError, ValueError) as e:
            last = str(e)
        time.sleep(0.1)
    raise ClientError(f"the service was not ready after {timeout:g}s ({last})")


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    return True


def offline_azure():
    """STT_SDK=azure: the real SDK, offline, cancels every session with a
    connection error (the service answers 422): the expected answer."""
    return os.environ.get("STT_SDK", "fake").strip().lower() == "azure"


def send(port, n, seed):
    rng = random.Random(seed)
    for i in range(n):
        status, body = request(port, "POST", "/transcriptions", fake_audio(rng))
        if status == 422 and offline_azure() and b"Connection failed" in body:
            continue  # the real SDK offline: cancelled with a connection error, by design
        if status != 200:
            raise ClientError(f"request {i + 1}/{n}: HTTP {status}: {body[:200]!r}")
    return n


def dump(port, label, fmt, token):
    status, body = request(port, "POST", f"/debug/heap-dump?label={label}&format={fmt}",
                           body=b"", token=token, timeout=300.0)
    if status != 200:
        raise ClientError(f"heap dump: HTTP {status}: {body[:300].decode(errors='replace')}")
    return json.loads(body)


def main(argv=None):
    p = argparse.ArgumentParser(prog="python3 -m stt_service.client")
    p.add_argument("--port-file", required=True)
    sub = p.add_subparsers(dest="cmd", required=True)
    w = sub.add_parser("wait")
    w.add_argument("--timeout", type=float, default=30.0)
    w.add_argument("--pid", type=int)
    s = sub.add_parser("send")
    s.add_argument("n", type=int)
    s.add_argument("--seed", type=int, default=1)
    d = sub.add_parser("dump")
    d.add_argument("label")
    d.add_argument("--format", default="wa", choices=("wa", "jsonl"))
    d.add_argument("--json", action="store_true")
    args = p.parse_args(argv)
    try:
        if args.cmd == "wait":
            print(wait(args.port_file, args.timeout, args.pid))
        elif args.cmd == "send":
            send(read_port(args.port_file), args.n, args.seed)
        else:
            token = os.environ.get("WHYALIVE_DEBUG_TOKEN", "")
            info = dump(read_port(args.port_file), args.label, args.format, token)
            print(f"  dump {args.label:<9} {info['objects']:>9,} objects {info['edges']:>9,} edges "
                  f"{info['seconds'] * 1000:6.0f} ms  {info['path']}", file=sys.stderr)
            print(json.dumps(info) if args.json else info["path"])
    except (ClientError, OSError) as e:
        print(f"client: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
