"""The simulator on a socket: a threaded werkzeug server with HTTP/1.1 keep-alive, on a thread or in the foreground."""

from __future__ import annotations

import io
import socket
import threading
from typing import Any, Callable

from werkzeug.serving import WSGIRequestHandler, make_server

from .app import Simulator
from .config import SimConfig
from .world import World


class _KeepAliveHandler(WSGIRequestHandler):
    """werkzeug's handler, but with HTTP/1.1 keep-alive (werkzeug >= 2.1 closes every connection).

    Safe here because the request body is read completely before the app runs (chunked request bodies
    fall back to closing the connection) and the app always answers with a Content-Length.
    """

    protocol_version = "HTTP/1.1"

    def setup(self) -> None:
        super().setup()
        try:
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:
            pass
        conns = getattr(self.server, "sim_connections", None)
        if conns is not None:
            conns.add(self.connection)

    def finish(self) -> None:
        conns = getattr(self.server, "sim_connections", None)
        if conns is not None:
            conns.discard(self.connection)
        super().finish()

    def run_wsgi(self) -> None:
        environ = self.make_environ()
        if environ.get("wsgi.input_terminated"):  # chunked request body: read it all, then close
            body = environ["wsgi.input"].read()
            self.close_connection = True
        else:
            try:
                length = int(environ.get("CONTENT_LENGTH") or 0)
            except ValueError:
                length = 0
                self.close_connection = True
            body = self.rfile.read(length) if length > 0 else b""
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        environ.pop("wsgi.input_terminated", None)
        started: list = []

        def start_response(status: str, headers: list, exc_info: Any = None) -> Callable:
            started[:] = [status, headers]
            return lambda data: None

        try:
            result = self.server.app(environ, start_response)
            try:
                data = b"".join(result)
            finally:
                if hasattr(result, "close"):
                    result.close()
            status, headers = started
            code, _, msg = status.partition(" ")
            self.send_response(int(code), msg)
            has_length = False
            for key, value in headers:
                if key.lower() == "content-length":
                    has_length = True
                    value = str(len(data))
                if key.lower() == "connection":
                    continue
                self.send_header(key, value)
            if not has_length:
                self.send_header("Content-Length", str(len(data)))
            if self.close_connection:
                self.send_header("Connection", "close")
            # headers and body in one write (two small writes + Nagle + delayed ACK = 40 ms stalls)
            self._headers_buffer.append(b"\r\n")
            if environ["REQUEST_METHOD"] != "HEAD":
                self._headers_buffer.append(data)
            self.flush_headers()
            self.wfile.flush()
        except (ConnectionError, TimeoutError, OSError):
            self.close_connection = True

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass

    def log(self, type: str, message: str, *args: Any) -> None:
        if type == "error" and "timed out" not in message:
            super().log(type, message, *args)


def _make_server(host: str, port: int, app: Any):
    server = make_server(host, port, app, threaded=True, request_handler=_KeepAliveHandler)
    server.sim_connections = set()  # type: ignore[attr-defined]
    return server


def _close_server(server) -> None:
    server.shutdown()
    server.server_close()
    for conn in list(getattr(server, "sim_connections", ())):  # idle keep-alive connections
        try:
            conn.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


class SimulatorServer:
    """Run the simulator on a background thread (tests, benchmarks)::

        with SimulatorServer(SimConfig(campaigns=3)) as sim:
            requests.get(f"{sim.base_url}/v25.0/act_1000000001/campaigns", params={"access_token": "t"})
    """

    def __init__(self, config: SimConfig | None = None, host: str = "127.0.0.1", port: int = 0,
                 world: World | None = None, **overrides: Any) -> None:
        if config is None:
            config = world.config if world is not None else SimConfig()
        if overrides:
            config = config.replace(**overrides)
        self.config = config
        self.host = host
        self.port = port
        self._world = world
        self.app: Simulator | None = None
        self._server = None
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

    def start(self) -> "SimulatorServer":
        world = self._world or World(self.config)
        self.app = Simulator(world)
        self._server = _make_server(self.host, self.port, self.app)
        self.port = self._server.port
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name=f"metasync-simulator:{self.port}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            _close_server(self._server)
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> "SimulatorServer":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()


def serve(config: SimConfig | None = None, host: str = "127.0.0.1", port: int = 8765, quiet: bool = False) -> None:
    """Build the world and serve it until interrupted (threaded werkzeug server)."""
    config = config or SimConfig()
    world = World(config)
    app = Simulator(world)
    server = _make_server(host, port, app)
    if not quiet:
        s = world.summary(first=1)
        a = s["accounts"][0]
        print(f"metasync simulator on http://{host}:{server.port}/{config.latest_version}  "
              f"(built in {world.build_seconds:.2f}s, seed {config.seed}, today {s['today']})\n"
              f"  accounts: {', '.join(x['id'] for x in s['accounts'])}\n"
              f"  per account: {a['counts']['campaigns']} campaigns, {a['counts']['adsets']} ad sets, "
              f"{a['counts']['ads']} ads, {config.days} days of insights\n"
              f"  control: http://{host}:{server.port}/__sim/world  /__sim/calls  /__sim/faults",
              flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
