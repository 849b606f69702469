"""API keys of the HTTP API and the dashboard: stored hashed, found by the hash (the `_id`), never shown again."""

from __future__ import annotations

from mongoengine import DateTimeField, Document, StringField

SCOPES = ("read", "write")


class ApiKey(Document):
    """One key: a tenant's (read or write) or an admin's (every tenant). `_id` is the SHA-256 of the key itself."""

    meta = {"collection": "api_keys", "indexes": []}

    id = StringField(primary_key=True)  # hex SHA-256 of the key: a lookup by `_id`, the key never stored
    key_id = StringField(required=True)  # the key's first characters, shown in lists and logs to tell keys apart
    tenant_id = StringField(null=True)  # None: an admin key, for every tenant
    scope = StringField(required=True, choices=SCOPES)
    label = StringField(default="")
    created_at = DateTimeField(required=True)
    revoked_at = DateTimeField(null=True)
    last_used_at = DateTimeField(null=True)

    @property
    def is_admin(self) -> bool:
        return self.tenant_id is None

    def __repr__(self) -> str:
        return f"<ApiKey {self.key_id} tenant={self.tenant_id or '*'} {self.scope}>"
