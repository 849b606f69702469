"""`SimConfig`: everything that shapes a simulated world and its server."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any


@dataclass
class SimConfig:
    """Everything that shapes a simulated world and its server. All fields have working defaults."""

    campaigns: int = 5
    ad_sets_per_campaign: int = 2
    ads_per_ad_set: int = 2
    days: int = 30
    seed: int = 1
    latency_ms: int = 0
    error_rate: float = 0.0
    accounts: int = 1
    account_id: str = "act_1000000001"  # first account; further accounts count up from it
    account_name: str = "Simulated Ad Account"
    currency: str = "USD"
    timezone: str = "America/Los_Angeles"
    app_id: str = "111"
    app_secret: str | None = None  # when set: appsecret_proof required, client_secret checked, webhooks signed
    expired_tokens: tuple[str, ...] = ()  # any other non-empty token is valid
    today: str | None = None  # "YYYY-MM-DD" pins "today" in the account timezone (default: the real date)
    webhook_url: str | None = None
    webhook_verify_token: str = "metasync-sim"
    max_sync_insights_rows: int = 200_000  # estimated rows (objects x time buckets) above which sync insights fail
    report_polls: int = 3  # polls of a report run until "Job Completed"
    default_limit: int = 25
    max_limit: int = 500
    min_version: str = "v22.0"  # older versions answer error 2635
    latest_version: str = "v25.0"
    usage_window_s: int = 300  # sliding window for the usage headers
    app_call_capacity: int = 20_000  # calls per window that read as 100% in X-App-Usage
    account_call_capacity: int = 9_000  # calls per window and account that read as 100% (standard tier score)
    access_tier: str = "standard_access"
    enforce_usage_limits: bool = False  # when True, calls beyond 100% usage fail with error 17 / 80004 / 80000
    account_mutations_per_hour: int | None = None  # writes per ad account and hour before error 613 (None: no limit)

    def replace(self, **changes: Any) -> SimConfig:
        return dataclasses.replace(self, **changes)

    def as_dict(self) -> dict:
        d = dataclasses.asdict(self)
        d["expired_tokens"] = list(self.expired_tokens)
        return d
