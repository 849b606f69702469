"""The simulator's HTTP server: keep-alive connections, request bodies, stopping."""

from __future__ import annotations

import http.client
import json
import socket
import struct
import time

import pytest
import requests
import urllib3.util.connection

from metasync.simulator import SimulatorServer
from tests.simulator_helpers import ACT, BASE_CONFIG, TOKEN, V, ok


def test_keep_alive_and_stop_closes_connections():
    server = SimulatorServer(BASE_CONFIG.replace(campaigns=1)).start()
    with requests.Session() as session:
        first = session.get(f"{server.graph_url}/{ACT}", params={"access_token": TOKEN})
        assert first.status_code == 200 and "close" not in first.headers.get("Connection", "")
        server.stop()
        with pytest.raises(requests.ConnectionError):
            session.get(f"{server.graph_url}/{ACT}", params={"access_token": TOKEN}, timeout=2)


def test_one_session_reuses_one_connection(monkeypatch):
    """Calls on one requests.Session share one TCP connection, whatever their bodies (the benchmarks rely on it)."""
    opened = []
    connect = urllib3.util.connection.create_connection

    def counting_connect(address, *args, **kwargs):
        opened.append(address)
        return connect(address, *args, **kwargs)

    monkeypatch.setattr(urllib3.util.connection, "create_connection", counting_connect)
    with SimulatorServer(BASE_CONFIG.replace(campaigns=1)) as server, requests.Session() as session:
        ok(session.get(f"{server.graph_url}/{ACT}", params={"access_token": TOKEN}))
        ok(session.post(f"{server.graph_url}/{ACT}/insights", data={"access_token": TOKEN}))
        ok(session.get(server.url("/__sim/health"), data="a body nobody reads " * 20))
        assert ok(session.post(server.url("/__sim/faults"), json={"usage_pct": 5}))["usage_pct"] == 5
        assert ok(session.get(server.url("/__sim/calls")))["http_requests"] == 2
    assert len(opened) == 1


def test_chunked_request_body_closes_the_connection():
    """A chunked body is read to its end (never parsed as a next request); then the connection closes."""
    with SimulatorServer(BASE_CONFIG.replace(campaigns=1)) as server, requests.Session() as session:
        resp = session.post(server.url("/__sim/faults"), data=iter([b'{"usage_pct"', b": 7}"]))
        assert resp.status_code == 200 and resp.headers["Connection"] == "close"
        assert ok(session.get(server.url("/__sim/calls")))["http_requests"] == 0


def test_expect_100_continue_is_answered_before_the_body():
    with (
        SimulatorServer(BASE_CONFIG.replace(campaigns=1)) as server,
        socket.create_connection((server.host, server.port), timeout=5) as sock,
    ):
        body = b'{"usage_pct": 9}'
        sock.sendall(
            b"POST /__sim/faults HTTP/1.1\r\nHost: sim\r\nExpect: 100-continue\r\n"
            b"Content-Length: %d\r\n\r\n" % len(body)
        )
        assert sock.recv(64) == b"HTTP/1.1 100 Continue\r\n\r\n"
        sock.sendall(body)
        answer = http.client.HTTPResponse(sock)
        answer.begin()
        assert answer.status == 200 and json.loads(answer.read())["usage_pct"] == 9


def test_a_client_that_leaves_before_its_answer_leaves_no_traceback(capfd):
    with SimulatorServer(BASE_CONFIG.replace(campaigns=1, latency_ms=200)) as server:
        with socket.create_connection((server.host, server.port), timeout=5) as sock:
            sock.sendall(f"GET /{V}/{ACT}?access_token={TOKEN} HTTP/1.1\r\nHost: sim\r\n\r\n".encode())
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # reset, not FIN
        time.sleep(0.5)  # the answer is written, and fails, after the latency
    assert "Traceback" not in capfd.readouterr().err
