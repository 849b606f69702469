"""The `metasync` command group: every command is reachable from it, with its help, without any server."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from metasync.cli import main

COMMANDS = [
    "apikeys",
    "apply",
    "change",
    "changes",
    "check",
    "connections",
    "demo",
    "doctor",
    "keygen",
    "performance",
    "reports",
    "simulator",
    "status",
    "sync",
]


def test_help_lists_every_command():
    result = CliRunner().invoke(main, ["--help"])

    assert result.exit_code == 0
    listed = [line.split()[0] for line in result.output.split("Commands:")[1].splitlines() if line.strip()]
    assert listed == COMMANDS


@pytest.mark.parametrize("command", COMMANDS)
def test_each_command_answers_help_without_touching_a_server(command):
    result = CliRunner().invoke(main, [command, "--help"])

    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"Usage: main {command} ")
