"""Run the service: ``python3 -m stt_service [--port N] [--port-file FILE]``.

Binds 127.0.0.1 and nothing else: the debug endpoints can dump the heap, and
an example service has no business on a public interface. ``--port 0`` takes
a free port; ``--port-file`` receives the port once the server accepts
requests (written atomically), which is how scripts/demo.sh and the
end-to-end test find it without a race.
"""

import argparse
import os
import socket
import sys

import uvicorn

from stt_service.app import create_app
from stt_service.settings import SettingsError, from_env

HOST = "127.0.0.1"


class _Server(uvicorn.Server):
    def __init__(self, config, port_file, port):
        super().__init__(config)
        self._port_file = port_file
        self._port = port

    async def startup(self, sockets=None):
        await super().startup(sockets=sockets)
        if self._port_file and not self.should_exit:
            tmp = f"{self._port_file}.tmp"
            with open(tmp, "w") as f:
                f.write(f"{self._port}\n")
            os.replace(tmp, self._port_file)


def main(argv=None):
    p = argparse.ArgumentParser(prog="python3 -m stt_service", description=__doc__.split("\n")[0])
    p.add_argument("--port", type=int, default=8000, help="TCP port on 127.0.0.1 (0: any free one)")
    p.add_argument("--port-file", help="write the port here once the server is up")
    p.add_argument("--log-level", default="warning")
    args = p.parse_args(argv)
    try:
        settings = from_env()
    except SettingsError as e:
        print(f"stt_service: {e}", file=sys.stderr)
        return 2
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((HOST, args.port))
    except OSError as e:
        print(f"stt_service: cannot bind {HOST}:{args.port}: {e.strerror}", file=sys.stderr)
        return 1
    port = sock.getsockname()[1]
    config = uvicorn.Config(create_app(settings), log_level=args.log_level, access_log=False)
    server = _Server(config, args.port_file, port)
    print(f"stt_service: http://{HOST}:{port} leak route {settings.leak!r}, debug endpoints "
          f"{'on, dumps in ' + settings.dump_dir if settings.debug_enabled else 'off'}",
          file=sys.stderr, flush=True)
    server.run(sockets=[sock])
    return 0


if __name__ == "__main__":
    sys.exit(main())
