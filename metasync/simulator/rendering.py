"""Graph nodes as JSON: the fields a `fields=` selection asks for, checked against what each node type has."""

from __future__ import annotations

from .clock import WorldClock
from .errors import nonexisting_field
from .fields import FieldSpec, parse_fields, project
from .schema import ACCOUNT, NODE_TYPE, REF_FIELDS, REF_KIND, VALID_FIELDS


class NodeRenderer:
    """Renders world objects; fields that reference another object (campaign, adset, creative) nest it."""

    def __init__(self, objects: dict[str, dict], clock: WorldClock) -> None:
        self.objects = objects
        self.clock = clock

    def render(self, obj: dict, spec: FieldSpec | None) -> dict:
        """The node as Graph returns it: the requested fields that have a value, then `id`."""
        kind = obj["_kind"]
        if not spec:
            if kind == ACCOUNT:
                return {"account_id": obj["account_id"], "id": obj["id"]}
            return {"id": obj["id"]}
        valid = VALID_FIELDS[kind]
        out = {}
        for name, sub in spec:
            if name not in valid:
                raise nonexisting_field(name, NODE_TYPE[kind])
            if name == "timezone_offset_hours_utc":
                out[name] = self.clock.utc_offset_hours()
                continue
            ref = REF_FIELDS.get(name)
            if ref is not None:
                target = self.objects.get(obj.get(ref, ""))
                if target is not None:
                    out[name] = self.render(target, sub) if sub else {"id": target["id"]}
                continue
            if name in obj:
                value = obj[name]
                out[name] = project(value, sub) if sub else value
        if "id" not in out:
            out["id"] = obj["id"]
        return out


def check_fields(kind: str, spec: FieldSpec | None) -> None:
    """Validate a field selection up front (so an empty page still errors on a bad field)."""
    if not spec:
        return
    valid = VALID_FIELDS[kind]
    for name, sub in spec:
        if name not in valid:
            raise nonexisting_field(name, NODE_TYPE[kind])
        if sub and name in REF_FIELDS:
            check_fields(REF_KIND[name], sub)


def select_fields(node: dict, raw_fields: str, node_type: str, valid) -> dict:
    """A flat node (no references) with a `fields=` selection applied: all of it when nothing is asked for."""
    spec = parse_fields(raw_fields)
    if not spec:
        return dict(node)
    out = {}
    for name, _ in spec:
        if name not in valid:
            raise nonexisting_field(name, node_type)
        out[name] = node[name]
    out.setdefault("id", node["id"])
    return out
