"""`fields=` parsing (with nested `a{b,c{d}}` selections) and field projection."""

from __future__ import annotations

from functools import lru_cache

from .errors import invalid_param

FieldSpec = tuple[tuple[str, "FieldSpec | None"], ...]


@lru_cache(maxsize=2048)
def parse_fields(raw: str) -> FieldSpec:
    """Parse ``"id,name,creative{id,object_story_spec{link_data}}"`` into
    ``(("id", None), ..., ("creative", ((...))))``.

    Whitespace is ignored, empty items are skipped, duplicates keep their first position.
    """
    pos = 0
    n = len(raw)

    def parse_list(depth: int) -> tuple[FieldSpec, int]:
        nonlocal pos
        items: list[tuple[str, FieldSpec | None]] = []
        seen: set[str] = set()
        name_chars: list[str] = []

        def flush(sub: FieldSpec | None) -> None:
            name = "".join(name_chars).strip()
            name_chars.clear()
            if not name:
                if sub is not None:
                    raise invalid_param("Syntax error in fields: '{' without a field name")
                return
            if name in seen:
                return
            seen.add(name)
            items.append((name, sub))

        pending_sub: FieldSpec | None = None
        while pos < n:
            ch = raw[pos]
            if ch == "{":
                pos += 1
                pending_sub, _ = parse_list(depth + 1)
                continue
            if ch == "}":
                if depth == 0:
                    raise invalid_param(
                        f'Syntax error "Expected end of string instead of "}}"." at character {pos}: {raw}'
                    )
                flush(pending_sub)
                pos += 1
                return tuple(items), pos
            if ch == ",":
                flush(pending_sub)
                pending_sub = None
                pos += 1
                continue
            if pending_sub is not None and not ch.isspace():
                raise invalid_param(f'Syntax error "Expected "," instead of "{ch}"." at character {pos}: {raw}')
            name_chars.append(ch)
            pos += 1
        if depth > 0:
            raise invalid_param(f'Syntax error "Expected "}}" instead of end of string." at character {pos}: {raw}')
        flush(pending_sub)
        return tuple(items), pos

    spec, _ = parse_list(0)
    return spec


def project(value, sub: FieldSpec | None):
    """Apply a nested selection to a plain JSON value (dicts keep the selected keys, lists map)."""
    if sub is None:
        return value
    if isinstance(value, list):
        return [project(v, sub) for v in value]
    if isinstance(value, dict):
        out = {}
        for name, subsub in sub:
            if name in value:
                out[name] = project(value[name], subsub)
        return out
    return value
