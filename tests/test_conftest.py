"""The session starts the servers exactly when its -m expression can select a `services` test."""

from __future__ import annotations

import pytest

from tests.conftest import selects_services


@pytest.mark.parametrize(
    "markexpr, starts",
    [
        ("", True),
        ("services", True),
        ("not services", False),
        ("not (services or slow)", False),
        ("services and slow", True),  # a test marked both still needs them
        ("not services or slow", True),
        ("slow", True),
        ("not slow", True),
        ("services(kind='redis')", True),  # keyword arguments: not guessed, servers started
    ],
)
def test_servers_start_only_when_a_services_test_can_be_selected(markexpr, starts):
    assert selects_services(markexpr) is starts
