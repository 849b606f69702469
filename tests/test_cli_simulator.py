"""`metasync simulator` serves the Graph API stand-in from the command line."""

from __future__ import annotations

import socket
import subprocess
import sys
import time

import requests


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_simulator_command_serves_the_configured_world():
    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "metasync.cli",
            "simulator",
            "--port",
            str(port),
            "--quiet",
            "--campaigns",
            "3",
            "--ad-sets-per-campaign",
            "1",
            "--ads-per-ad-set",
            "1",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 20
        while True:
            try:
                requests.get(f"{base}/__sim/world", timeout=2).raise_for_status()
                break
            except requests.ConnectionError:
                assert time.monotonic() < deadline and proc.poll() is None
                time.sleep(0.2)
        page = requests.get(
            f"{base}/v25.0/act_1000000001/campaigns",
            params={
                "access_token": "EAAx",
                "effective_status": '["ACTIVE","PAUSED","ARCHIVED","DELETED","IN_PROCESS","WITH_ISSUES"]',
            },
            timeout=5,
        )
        assert page.status_code == 200, page.text
        assert len(page.json()["data"]) == 3
    finally:
        proc.terminate()
        proc.wait(timeout=10)
