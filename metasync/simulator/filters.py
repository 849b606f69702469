"""Graph `filtering` / `effective_status` parameters as hashable filter tuples, and matching objects against them.
Edges and insights share them: insights filter the ads under their scope."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .errors import invalid_param
from .schema import AD, ADSET, ALL_EFFECTIVE, CAMPAIGN, CREATIVE, EFFECTIVE_BY_KIND, HIDDEN_BY_DEFAULT

_EQUALITY = ("IN", "NOT_IN", "EQUAL", "NOT_EQUAL")
_ORDERING = ("GREATER_THAN", "LESS_THAN", "GREATER_THAN_OR_EQUAL", "LESS_THAN_OR_EQUAL")
OPERATORS_BY_FIELD = {
    "effective_status": _EQUALITY,
    "configured_status": _EQUALITY,
    "status": _EQUALITY,
    "id": _EQUALITY,
    "objective": _EQUALITY,
    "name": ("CONTAIN", "NOT_CONTAIN", "EQUAL", "NOT_EQUAL"),
    "updated_time": _ORDERING,
    "created_time": _ORDERING,
}
OPERATORS: dict[str, Callable[[Any, Any], bool]] = {
    "IN": lambda v, value: v in value,
    "NOT_IN": lambda v, value: v not in value,
    "EQUAL": lambda v, value: v == value,
    "NOT_EQUAL": lambda v, value: v != value,
    "GREATER_THAN": lambda v, value: v > value,
    "LESS_THAN": lambda v, value: v < value,
    "GREATER_THAN_OR_EQUAL": lambda v, value: v >= value,
    "LESS_THAN_OR_EQUAL": lambda v, value: v <= value,
    "CONTAIN": lambda v, value: value.lower() in str(v).lower(),
    "NOT_CONTAIN": lambda v, value: value.lower() not in str(v).lower(),
}
# Times are compared as the unix timestamps the objects keep next to their formatted strings.
_TIMESTAMP_KEYS = {"updated_time": "_updated_ts", "created_time": "_created_ts"}
_PREFIX_KIND = {"campaign": CAMPAIGN, "adset": ADSET, "ad": AD, "adcreative": CREATIVE}
_LEVEL = {CAMPAIGN: 0, ADSET: 1, AD: 2}


def parse_edge_filters(kind: str, filtering: list | None, effective_status: list | None) -> tuple:
    """Normalise `filtering` + `effective_status` into a hashable filter tuple; raises code 100 when invalid.

    Without a filter on the objects' own effective_status, archived and deleted ones are left out (as Meta does).
    """
    filters: list[tuple] = []
    own_status_filter = False
    if effective_status is not None:
        allowed = EFFECTIVE_BY_KIND.get(kind, ALL_EFFECTIVE)
        for i, v in enumerate(effective_status):
            if v not in ALL_EFFECTIVE:
                raise invalid_param(f"(#100) Param effective_status[{i}] must be one of {{{', '.join(ALL_EFFECTIVE)}}}")
        filters.append(("self", "effective_status", "IN", tuple(v for v in effective_status if v in allowed)))
        own_status_filter = True
    for f in filtering or []:
        target, fname, op, value = normalise_filter(kind, f)
        if target == "self" and fname == "effective_status" and op in ("IN", "EQUAL"):
            own_status_filter = True
        filters.append((target, fname, op, value))
    if not own_status_filter and kind in (CAMPAIGN, ADSET, AD):
        filters.insert(0, ("self", "effective_status", "NOT_IN", tuple(sorted(HIDDEN_BY_DEFAULT))))
    return tuple(filters)


def normalise_filter(kind: str, f: Any) -> tuple:
    """One `filtering` item on objects of `kind` as ``(target, field, operator, value)``; target is "self" or a
    parent kind ("campaign", "adset")."""
    if not isinstance(f, dict) or "field" not in f or "operator" not in f:
        raise invalid_param("(#100) filtering[] must be an array of objects with field, operator and value")
    raw_field = str(f["field"])
    op = str(f["operator"]).upper()
    target, fname = _filter_target(kind, raw_field)
    allowed_ops = OPERATORS_BY_FIELD.get(fname)
    if allowed_ops is None:
        raise invalid_param(f"(#100) Filtering field {raw_field} is invalid.")
    if op not in allowed_ops:
        raise invalid_param(f"(#100) Filtering field {raw_field} with operation {op.lower()} is not supported")
    return target, fname, op, _filter_value(raw_field, fname, op, f.get("value"))


def _filter_target(kind: str, raw_field: str) -> tuple[str, str]:
    """Which object a field names ("self" or a parent kind) and the field on it: `campaign.name`, `adset_id`."""
    prefix, _, fname = raw_field.rpartition(".")
    target = "self"
    if prefix:
        pk = _PREFIX_KIND.get(prefix)
        if pk is None or not _is_self_or_parent(kind, pk):
            raise invalid_param(f"(#100) Filtering field {raw_field} is invalid.")
        target = "self" if pk == kind else pk
    if fname in ("campaign_id", "adset_id") and not prefix:  # e.g. ads filtered by campaign_id
        pk = CAMPAIGN if fname == "campaign_id" else ADSET
        if not _is_self_or_parent(kind, pk) or pk == kind:
            raise invalid_param(f"(#100) Filtering field {raw_field} is invalid.")
        target, fname = pk, "id"
    return target, fname


def _filter_value(raw_field: str, fname: str, op: str, value: Any) -> Any:
    if op in ("IN", "NOT_IN"):
        if not isinstance(value, list):
            raise invalid_param(f"(#100) Filtering value for {raw_field} with operation {op.lower()} must be an array")
        value = tuple(str(v) for v in value)
        if fname == "effective_status":
            for v in value:
                if v not in ALL_EFFECTIVE:
                    raise invalid_param(
                        f"(#100) Filtering field {raw_field} with operation {op.lower()} and value {v} is not supported"
                    )
        return value
    if fname in _TIMESTAMP_KEYS:
        try:
            return int(float(value))
        except (TypeError, ValueError):
            raise invalid_param(f"(#100) Filtering value for {raw_field} must be a unix timestamp") from None
    return str(value)


def _is_self_or_parent(kind: str, other: str) -> bool:
    if kind not in _LEVEL or other not in _LEVEL:  # creatives, images and videos have no parents to filter on
        return kind == other
    return _LEVEL[other] <= _LEVEL[kind]


def matches(objects: dict[str, dict], obj: dict, filters: tuple) -> bool:
    """Whether `obj` passes every filter; parent targets are looked up in `objects` by the obj's parent ids."""
    for target, fname, op, value in filters:
        o = obj if target == "self" else objects[obj[f"{target}_id"]]
        key = _TIMESTAMP_KEYS.get(fname)
        v = o[key] if key is not None else o.get(fname)
        if not OPERATORS[op](v, value):
            return False
    return True
