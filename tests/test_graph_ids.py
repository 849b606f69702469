"""What a Meta id is: ASCII digits of bounded length; ad account ids with or without `act_`."""

from __future__ import annotations

import pytest

from metasync.graph.ids import is_meta_id, normalize_ad_account_id


@pytest.mark.parametrize("raw,expected", [("act_123", "act_123"), ("123", "act_123"), (" act_9 ", "act_9")])
def test_ad_account_ids_are_normalised(raw, expected):
    assert normalize_ad_account_id(raw) == expected


@pytest.mark.parametrize("raw", ["act_", "act_12a", "abc", ""])
def test_bad_ad_account_ids_are_rejected(raw):
    with pytest.raises(ValueError):
        normalize_ad_account_id(raw)


@pytest.mark.parametrize(
    "value, valid",
    [
        ("123", True),
        (123, True),
        ("1" * 32, True),
        ("1" * 33, False),
        ("\u0663", False),
        (" 1", False),
        ("-1", False),
        ("1e3", False),
        ("", False),
        (True, False),
        (None, False),
        (1.0, False),
    ],
)
def test_a_meta_id_is_up_to_32_ascii_digits(value, valid):
    assert is_meta_id(value) is valid
