"""What every command shares: a bad setting stops it with exit 2 and one line naming the variable."""

from __future__ import annotations

import os
import subprocess
import sys


def test_bad_configuration_exits_2_naming_the_variable():
    env = {**os.environ, "META_RATE_LIMIT_PER_HOUR": "plenty"}
    proc = subprocess.run(
        [sys.executable, "-m", "metasync.cli", "connections", "list"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2
    assert "META_RATE_LIMIT_PER_HOUR" in proc.stderr and "Traceback" not in proc.stderr
