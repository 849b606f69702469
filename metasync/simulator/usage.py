"""`UsageMeter`: calls per sliding window, for the app and per ad account, and the usage headers they read as
(X-App-Usage, X-Ad-Account-Usage, X-Business-Use-Case-Usage, X-FB-Ads-Insights-Throttle)."""

from __future__ import annotations

import threading
import time
from collections import deque

from .call import Call
from .config import SimConfig
from .errors import SimulatedGraphError, rate_limit_error
from .responses import dumps
from .store import ObjectStore

THROTTLING_CODES = (4, 17, 32, 341, 613)  # and 80000..80014 (business use case limits)


def is_throttling(error: SimulatedGraphError | None) -> bool:
    return error is not None and (error.code in THROTTLING_CODES or 80000 <= error.code <= 80014)


class UsageMeter:
    def __init__(self, config: SimConfig, store: ObjectStore) -> None:
        self.config = config
        self.store = store
        self.lock = threading.Lock()
        self._app_window: deque[float] = deque()
        self._account_windows: dict[tuple[str, str], deque[float]] = {}

    def record(self, call: Call) -> None:
        now = time.monotonic()
        with self.lock:
            self._app_window.append(now)
            if call.account is not None:
                key = (call.account["account_id"], call.usage_type)
                dq = self._account_windows.get(key)
                if dq is None:
                    dq = self._account_windows[key] = deque()
                dq.append(now)

    def reset(self) -> None:
        with self.lock:
            self._app_window.clear()
            self._account_windows.clear()

    def enforce_limits(self, call: Call) -> None:
        """With `enforce_usage_limits`, calls at 100% usage fail as Meta throttles them."""
        if not self.config.enforce_usage_limits:
            return
        app_pct, acct_pct = self.percentages(call)
        if acct_pct >= 100:
            raise rate_limit_error(80000 if call.usage_type == "ads_insights" else 80004)
        if app_pct >= 100:
            raise rate_limit_error(4)

    def percentages(self, call: Call) -> tuple[float, float]:
        """(app, ad account) usage in percent of the capacities, over the window up to now."""
        with self.lock:
            return self._percentages_locked(call)

    def _percentages_locked(self, call: Call) -> tuple[float, float]:
        now = time.monotonic()
        self._trim(self._app_window, now)
        app_pct = 100.0 * len(self._app_window) / max(1, self.config.app_call_capacity)
        acct_pct = 0.0
        account = self._usage_account(call)
        if account is not None:
            dq = self._account_windows.get((account["account_id"], call.usage_type))
            if dq:
                self._trim(dq, now)
                acct_pct = 100.0 * len(dq) / max(1, self.config.account_call_capacity)
        return app_pct, acct_pct

    def _trim(self, dq: deque, now: float) -> None:
        horizon = now - self.config.usage_window_s
        while dq and dq[0] < horizon:
            dq.popleft()

    def _usage_account(self, call: Call) -> dict | None:
        """Calls about no account in particular count against the first one."""
        accounts = self.store.accounts
        return call.account or (accounts[0] if accounts else None)

    def _reset_seconds_locked(self, call: Call, account: dict | None) -> int:
        if account is None:
            return 0
        dq = self._account_windows.get((account["account_id"], call.usage_type))
        if not dq:
            return 0
        return max(0, int(self.config.usage_window_s - (time.monotonic() - dq[0])))

    def headers(
        self, call: Call, error: SimulatedGraphError | None, forced_pct: float | None, regain_minutes: int
    ) -> list[tuple[str, str]]:
        """The usage headers of an answer; `forced_pct` (a fault) overrides the measured usage."""
        throttled = is_throttling(error)
        account = self._usage_account(call)
        with self.lock:
            app_pct, acct_pct = self._percentages_locked(call)
            reset_s = self._reset_seconds_locked(call, account)
        if forced_pct is not None:
            app_pct = acct_pct = float(forced_pct)
        if throttled:
            acct_pct = max(acct_pct, 100.0)
            if error.code == 4:
                app_pct = max(app_pct, 100.0)
        regain = regain_minutes if throttled else 0
        app_i = int(round(app_pct))
        headers = [
            (
                "X-App-Usage",
                dumps(
                    {
                        "call_count": app_i,
                        "total_time": int(app_i * 0.6) if forced_pct is None else app_i,
                        "total_cputime": int(app_i * 0.4) if forced_pct is None else app_i,
                    }
                ),
            )
        ]
        if account is not None:
            headers += self._account_headers(
                call, account, app_pct, acct_pct, reset_s, regain, exact=forced_pct is not None or throttled
            )
        return headers

    def _account_headers(
        self, call: Call, account: dict, app_pct: float, acct_pct: float, reset_s: int, regain: int, exact: bool
    ) -> list[tuple[str, str]]:
        tier = self.config.access_tier
        acct_r = round(acct_pct, 2)
        acct_i = int(round(acct_pct))
        headers = []
        if call.segments and call.segments[0].startswith("act_"):
            headers.append(
                (
                    "X-Ad-Account-Usage",
                    dumps({"acc_id_util_pct": acct_r, "reset_time_duration": reset_s, "ads_api_access_tier": tier}),
                )
            )
        headers.append(
            (
                "X-Business-Use-Case-Usage",
                dumps(
                    {
                        account["account_id"]: [
                            {
                                "type": call.usage_type,
                                "call_count": acct_i,
                                "total_cputime": acct_i if exact else int(acct_i * 0.5),
                                "total_time": acct_i if exact else int(acct_i * 0.7),
                                "estimated_time_to_regain_access": regain,
                                "ads_api_access_tier": tier,
                            }
                        ]
                    }
                ),
            )
        )
        if call.usage_type == "ads_insights":
            headers.append(
                (
                    "X-FB-Ads-Insights-Throttle",
                    dumps(
                        {"app_id_util_pct": round(app_pct, 2), "acc_id_util_pct": acct_r, "ads_api_access_tier": tier}
                    ),
                )
            )
        return headers
