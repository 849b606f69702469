"""The simulator on a socket: a threaded HTTP/1.1 server that keeps connections open between requests,
on a background thread (`SimulatorServer`) or in the foreground (`serve`)."""

from __future__ import annotations

import contextlib
import io
import socket
import socketserver
import threading
from http.server import BaseHTTPRequestHandler
from typing import Any
from wsgiref.handlers import SimpleHandler
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from werkzeug.serving import DechunkedInput

from .app import Simulator
from .config import SimConfig
from .world import World


class _Gateway(SimpleHandler):
    """wsgiref's WSGI gateway, answering in HTTP/1.1 with the process environment left out of the environ."""

    http_version = "1.1"
    os_environ: dict = {}
    server_software = "metasync-simulator"

    def __init__(self, *args: Any, closing: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.closing = closing

    def cleanup_headers(self) -> None:
        super().cleanup_headers()
        if self.closing:
            self.headers["Connection"] = "close"


class KeepAliveHandler(WSGIRequestHandler):
    """One connection: any number of requests, each read whole before the app runs.

    Not werkzeug's server: its handler sends ``Connection: close`` on every answer (since werkzeug 2.1, whatever
    the protocol version), and a client that reconnects for every call measures connection set-up rather than
    metasync. http.server's request loop keeps a connection open under HTTP/1.1; wsgiref runs the app.

    Reading the body up front is what makes reuse safe: an app that leaves the body unread would otherwise
    leave it to be parsed as the next request. A chunked body is read to its end and the connection closed.
    """

    protocol_version = "HTTP/1.1"
    wbufsize = 64 * 1024  # status, headers and body leave in one send (small writes + Nagle stall 40 ms)

    def setup(self) -> None:
        super().setup()
        with contextlib.suppress(OSError):
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.server.open_connections.add(self.connection)

    def finish(self) -> None:
        self.server.open_connections.discard(self.connection)
        try:
            super().finish()
        except OSError:  # the client left before its answer was sent: closing cannot send it either
            self.rfile.close()

    def handle(self) -> None:
        # wsgiref's handle() serves one request; BaseHTTPRequestHandler's loops until the connection closes.
        with contextlib.suppress(ConnectionError, TimeoutError):  # the client went away
            BaseHTTPRequestHandler.handle(self)

    def handle_expect_100(self) -> bool:
        answered = super().handle_expect_100()
        self.wfile.flush()  # the client waits for "100 Continue" before it sends the body
        return answered

    def __getattr__(self, name: str) -> Any:
        if name.startswith("do_"):  # every method goes to the app
            return self.run_app
        raise AttributeError(name)

    def run_app(self) -> None:
        environ = self.get_environ()
        body = self._read_body(environ)
        environ["CONTENT_LENGTH"] = str(len(body))
        gateway = _Gateway(
            io.BytesIO(body),
            self.wfile,
            self.get_stderr(),
            environ,
            multithread=True,
            multiprocess=False,
            closing=self.close_connection,
        )
        gateway.run(self.server.get_app())

    def _read_body(self, environ: dict) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            self.close_connection = True
            return DechunkedInput(self.rfile).read()
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            self.close_connection = True
            return b""
        return self.rfile.read(length) if length > 0 else b""

    def log_message(self, format: str, *args: Any) -> None:  # no access log
        pass

    def log_error(self, format: str, *args: Any) -> None:
        message = format % args
        if "timed out" not in message:
            super().log_message("%s", message)


class KeepAliveServer(socketserver.ThreadingMixIn, WSGIServer):
    """A thread per connection; `close()` also ends idle keep-alive connections (their threads are daemons)."""

    daemon_threads = True

    def __init__(self, server_address: tuple[str, int], handler: type) -> None:
        if ":" in server_address[0]:
            self.address_family = socket.AF_INET6
        self.open_connections: set[socket.socket] = set()
        super().__init__(server_address, handler)

    def close(self) -> None:
        self.shutdown()
        self.server_close()
        for conn in list(self.open_connections):
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)


def make_keep_alive_server(host: str, port: int, app: Any) -> KeepAliveServer:
    return make_server(host, port, app, server_class=KeepAliveServer, handler_class=KeepAliveHandler)


class SimulatorServer:
    """Run the simulator on a background thread (tests, benchmarks)::

    with SimulatorServer(SimConfig(campaigns=3)) as sim:
        requests.get(f"{sim.base_url}/v25.0/act_1000000001/campaigns", params={"access_token": "t"})
    """

    def __init__(
        self,
        config: SimConfig | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        world: World | None = None,
        **overrides: Any,
    ) -> None:
        if config is None:
            config = world.config if world is not None else SimConfig()
        if overrides:
            config = config.replace(**overrides)
        self.config = config
        self.host = host
        self.port = port
        self._world = world
        self.app: Simulator | None = None
        self._server: KeepAliveServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def world(self) -> World:
        assert self.app is not None, "server not started"
        return self.app.world

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def graph_url(self) -> str:
        """Base URL with the latest version, e.g. http://127.0.0.1:5555/v25.0"""
        return f"{self.base_url}/{self.config.latest_version}"

    def url(self, path: str) -> str:
        return self.base_url + "/" + path.lstrip("/")

    def start(self) -> SimulatorServer:
        world = self._world or World(self.config)
        self.app = Simulator(world)
        self._server = make_keep_alive_server(self.host, self.port, self.app)
        self.port = self._server.server_port
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"metasync-simulator:{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> SimulatorServer:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()


def serve(config: SimConfig | None = None, host: str = "127.0.0.1", port: int = 8765, quiet: bool = False) -> None:
    """Build the world and serve it until interrupted."""
    config = config or SimConfig()
    world = World(config)
    server = make_keep_alive_server(host, port, Simulator(world))
    if not quiet:
        print(_banner(world, host, server.server_port), flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


def _banner(world: World, host: str, port: int) -> str:
    config = world.config
    s = world.summary(first=1)
    a = s["accounts"][0]
    return (
        f"metasync simulator on http://{host}:{port}/{config.latest_version}  "
        f"(built in {world.build_seconds:.2f}s, seed {config.seed}, today {s['today']})\n"
        f"  accounts: {', '.join(x['id'] for x in s['accounts'])}\n"
        f"  per account: {a['counts']['campaigns']} campaigns, {a['counts']['adsets']} ad sets, "
        f"{a['counts']['ads']} ads, {config.days} days of insights\n"
        f"  control: http://{host}:{port}/__sim/world  /__sim/calls  /__sim/faults"
    )
