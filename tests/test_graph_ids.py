"""What a Meta id is: ASCII digits of bounded length; ad account ids with or without `act_`."""

from __future__ import annotations

import pytest

from metasync.graph.ids import normalize_ad_account_id


@pytest.mark.parametrize("raw,expected", [("act_123", "act_123"), ("123", "act_123"), (" act_9 ", "act_9")])
def test_ad_account_ids_are_normalised(raw, expected):
    assert normalize_ad_account_id(raw) == expected


@pytest.mark.parametrize("raw", ["act_", "act_12a", "abc", ""])
def test_bad_ad_account_ids_are_rejected(raw):
    with pytest.raises(ValueError):
        normalize_ad_account_id(raw)
