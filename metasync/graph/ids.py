"""What a Meta object id is: ASCII digits of bounded length (`isdigit` and `\\d` would accept any Unicode digit)."""

from __future__ import annotations

import re
from typing import Any

# Meta's ids are 64-bit numbers today (at most 20 digits); the bound leaves room and refuses absurd input.
MAX_ID_LENGTH = 32
_META_ID = re.compile(rf"[0-9]{{1,{MAX_ID_LENGTH}}}")


def is_meta_id(value: Any) -> bool:
    """True for `"123"` or `123`; False for anything else (bools, Unicode digits, 33+ digits, signs, spaces)."""
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        return False
    return bool(_META_ID.fullmatch(str(value)))


def normalize_ad_account_id(value: str) -> str:
    """`act_<digits>` from `act_123`, `123` or ` act_123 `; anything else is an error."""
    text = str(value).strip()
    digits = text[4:] if text.startswith("act_") else text
    if not is_meta_id(digits):
        raise ValueError(f"ad account id must be act_<digits> or <digits>, got {value!r}")
    return f"act_{digits}"
