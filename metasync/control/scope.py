"""What one API key may see: a tenant's key its own tenant's data only, an admin key everyone's. Data of another
tenant is reported as not found, never as forbidden, so a key learns nothing about what exists elsewhere."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from bson import ObjectId
from bson.errors import InvalidId

from metasync.access.keys import Principal
from metasync.infra.clock import as_utc


class NotFound(LookupError):
    """No such thing for this key (absent, or another tenant's); the message names what was asked for."""


class Refused(ValueError):
    """A request this key may not make as asked, with a one-line reason (nothing was written)."""


def tenant_query(principal: Principal, tenant: str | None = None) -> dict[str, Any] | None:
    """The `tenant_id` filter for a list: the key's own tenant, or the one asked for (admin); None: nothing visible
    (a tenant's key asking for another tenant)."""
    if tenant and not principal.sees(tenant):
        return None
    if principal.is_admin:
        return {"tenant_id": tenant} if tenant else {}
    return {"tenant_id": principal.tenant_id}


def own(principal: Principal, tenant_id: str | None, what: str):
    """Raise NotFound unless the key sees `tenant_id`'s data."""
    if not principal.sees(tenant_id):
        raise NotFound(f"no {what}")


def tenant_for_write(principal: Principal, tenant_id: str | None) -> str:
    """The tenant a new thing belongs to: a tenant key's own (naming another is refused), the one an admin names."""
    if principal.is_admin:
        if not tenant_id or not tenant_id.strip():
            raise Refused("an admin key must name the tenant_id")
        return tenant_id.strip()
    if tenant_id and tenant_id.strip() != principal.tenant_id:
        raise Refused("a tenant's key acts on its own tenant only; leave tenant_id out")
    return principal.tenant_id


def iso(value: datetime | None) -> str | None:
    value = as_utc(value)
    return value.isoformat() if value else None


def age_seconds(value: datetime | None, now: datetime) -> int | None:
    value = as_utc(value)
    return None if value is None else max(0, int((now - value).total_seconds()))


def list_query(
    principal: Principal, tenant: str | None = None, connection_id: str | None = None, **equal: Any
) -> dict[str, Any] | None:
    """The filter of a list read: the key's tenants, the connection (by `_id` form), each given field equal to its
    value; None when nothing can match (another tenant, a malformed connection id)."""
    query = tenant_query(principal, tenant)
    if query is None:
        return None
    if connection_id:
        try:
            query["connection"] = ObjectId(connection_id)
        except (InvalidId, TypeError):
            return None
    query.update({name: value for name, value in equal.items() if value})
    return query


def page(queryset, limit: int, offset: int, describe: Callable[[Any], dict[str, Any]]) -> dict[str, Any]:
    """One page of an ordered queryset: `items` and `next_offset` (None on the last page); one extra read decides."""
    found = list(queryset.skip(offset).limit(limit + 1)) if queryset is not None else []
    return {
        "items": [describe(doc) for doc in found[:limit]],
        "next_offset": offset + limit if len(found) > limit else None,
    }
