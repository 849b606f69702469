"""`api_audit`: one document per write call of the HTTP API (who, what, on which tenant's data, and how it ended)."""

from __future__ import annotations

from mongoengine import DateTimeField, DictField, Document, IntField, StringField

from metasync.infra.clock import utcnow


class ApiAudit(Document):
    """A write call: the key's id (never the key), method and route, tenant and target, HTTP status and outcome."""

    key_id = StringField(required=True)
    tenant_id = StringField(null=True)  # the data's tenant when known; None for an admin call with no tenant yet
    method = StringField(required=True)
    route = StringField(required=True)  # the route's template, e.g. /api/v1/connections/<connection_id>/disable
    path = StringField()
    target = DictField()  # the path's ids (connection_id, change_set_id, ...)
    status = IntField()
    outcome = StringField()  # ok, or the error code
    at = DateTimeField(default=utcnow)

    meta = {"collection": "api_audit", "indexes": [("tenant_id", "-at")], "ordering": ["-at"]}
