"""What one API key may see: a tenant's key its own tenant's data only, an admin key everyone's. Data of another
tenant is reported as not found, never as forbidden, so a key learns nothing about what exists elsewhere."""

from __future__ import annotations

from datetime import datetime
from typing import Any

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
