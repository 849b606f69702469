"""Signed webhook delivery and the verification handshake, to a real receiver."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

from metasync.simulator import SimulatorServer
from tests.simulator_helpers import SECRET_CONFIG, ok, session_fixture

http = session_fixture()


class _Receiver(BaseHTTPRequestHandler):
    captured: list = []

    def do_POST(self):  # noqa: N802
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.captured.append((dict(self.headers), body))
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def do_GET(self):  # noqa: N802 - verification handshake
        from urllib.parse import parse_qs, urlsplit

        q = parse_qs(urlsplit(self.path).query)
        good = q.get("hub.verify_token") == ["metasync-sim"] and q.get("hub.mode") == ["subscribe"]
        out = q["hub.challenge"][0].encode() if good else b"no"
        self.send_response(200 if good else 403)
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)

    def log_message(self, *args):
        pass


def test_signed_webhook_delivery(http):
    _Receiver.captured = []
    receiver = HTTPServer(("127.0.0.1", 0), _Receiver)
    thread = threading.Thread(target=receiver.serve_forever, daemon=True)
    thread.start()
    try:
        with SimulatorServer(SECRET_CONFIG.replace()) as server:  # a copy: its webhook_url is set below
            hook_url = f"http://127.0.0.1:{receiver.server_port}/webhooks/meta"
            ok(http.post(server.url("/__sim/config"), json={"webhook_url": hook_url}))
            ad = server.world.accounts[0]["_lists"]["ad"][0]
            res = ok(http.post(server.url("/__sim/webhook"), json={"id": ad["id"]}))
            assert res["status_code"] == 200
            headers, body = _Receiver.captured[-1]
            expected = hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()
            assert headers["X-Hub-Signature-256"] == "sha256=" + expected
            assert headers["X-Hub-Signature"] == "sha1=" + hmac.new(b"s3cret", body, hashlib.sha1).hexdigest()
            payload = json.loads(body)
            assert payload["object"] == "ad_account"
            entry = payload["entry"][0]
            assert entry["id"] == "1000000001" and isinstance(entry["time"], int)
            change = entry["changes"][0]
            assert change["field"] == "in_process_ad_objects"
            assert change["value"] == {"id": ad["id"], "level": "AD", "status_name": ad["effective_status"]}
            # mutate + notify delivers too
            camp = server.world.accounts[0]["_lists"]["campaign"][0]
            res = ok(http.post(server.url("/__sim/mutate"), json={"action": "pause", "id": camp["id"], "notify": True}))
            assert res["results"][0]["webhook"]["status_code"] == 200
            value = json.loads(_Receiver.captured[-1][1])["entry"][0]["changes"][0]["value"]
            assert value == {"id": camp["id"], "level": "CAMPAIGN", "status_name": "PAUSED"}
            assert ok(http.post(server.url("/__sim/webhook/verify"), json={}))["verified"] is True
    finally:
        receiver.shutdown()
        receiver.server_close()
        thread.join(5)
