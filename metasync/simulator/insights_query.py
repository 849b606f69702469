"""Insights queries: request parameters validated into a level, fields, time buckets and the groups of ads to sum.
A query's rows are positions ``bucket * len(groups) + group``: sorted by date, then by object id."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from datetime import date

from metasync.graph.insights_vocabulary import InvalidInsightsRequest, check_insights_request

from .errors import SimulatedGraphError, invalid_param
from .fields import parse_fields
from .filters import matches, normalise_filter
from .insights_breakdowns import MODELLED, BreakdownSet, breakdown_set
from .insights_dates import parse_time_range, preset_range, time_buckets
from .store import ObjectStore

LEVELS = ("account", "campaign", "adset", "ad")
LEVEL_RANK = {"account": 0, "campaign": 1, "adset": 2, "ad": 3}
ID_FIELDS = {  # field -> minimum level rank at which Meta can fill it
    "account_id": 0,
    "account_name": 0,
    "account_currency": 0,
    "campaign_id": 1,
    "campaign_name": 1,
    "objective": 1,
    "buying_type": 1,
    "adset_id": 2,
    "adset_name": 2,
    "optimization_goal": 2,
    "ad_id": 3,
    "ad_name": 3,
}
DEFAULT_FIELDS = ("impressions", "spend")
UNSUPPORTED_PARAMS = ("time_ranges", "summary_action_breakdowns")
MAX_LOOKBACK_DAYS = 37 * 31 - 22  # Meta's 37 months


@dataclass
class Group:
    obj: dict  # the level object (the account dict for level=account)
    ads: list[int]  # ad indexes
    key: tuple
    first: int  # min data start ordinal over its ads
    last: int  # max data stop ordinal over its ads
    ids: dict = field(default_factory=dict)  # fields tuple -> id/name part of its rows


@dataclass
class InsightsQuery:
    account: dict
    scope: dict
    level: str
    fields: tuple[str, ...]
    buckets: list[tuple[int, int]]
    groups: list[Group]
    filters: tuple
    date_start: str
    date_stop: str
    params: dict  # normalised parameters (for report runs and debugging)
    breakdowns: BreakdownSet | None = None
    action_breakdowns: tuple[str, ...] = ("action_type",)
    windows: tuple[str, ...] = ()

    @property
    def combos(self) -> int:
        return len(self.breakdowns.combos) if self.breakdowns else 1

    @property
    def per_bucket(self) -> int:
        """Positions per time bucket: groups x breakdown combinations (sorted by group, then combination)."""
        return len(self.groups) * self.combos

    @property
    def positions(self) -> int:
        return len(self.buckets) * self.per_bucket


class QueryBuilder:
    """Builds `InsightsQuery`s over a store; the groups of a (scope, level, filters) are cached per version."""

    def __init__(self, store: ObjectStore) -> None:
        self.store = store
        self._group_cache: dict[tuple, list[Group]] = {}
        self._lock = threading.Lock()

    def build(self, account: dict, scope: dict, params: dict[str, str]) -> InsightsQuery:
        level = _level(scope["_kind"], params.get("level"))
        fields_t = _fields(params.get("fields"))
        _check_supported(params)
        breakdowns = _names(params, "breakdowns")
        action_breakdowns = _names(params, "action_breakdowns") or ("action_type",)
        windows = _names(params, "action_attribution_windows")
        try:
            check_insights_request(fields_t, breakdowns, action_breakdowns, windows)
        except InvalidInsightsRequest as exc:
            raise invalid_param(f"(#100) {exc}") from None
        for name in breakdowns:
            if name not in MODELLED:
                raise invalid_param(f"(#100) The simulator does not model the {name} breakdown")
        since, until = self._date_range(params)
        buckets = time_buckets(since, until, params.get("time_increment"))
        filters = _parse_filters(level, params.get("filtering"))  # applied to the underlying ads
        groups = self._groups(account, scope, level, filters)
        norm = {
            "level": level,
            "fields": ",".join(fields_t),
            "since": since.isoformat(),
            "until": until.isoformat(),
            "time_increment": params.get("time_increment") or "all_days",
            "filtering": params.get("filtering") or "[]",
            "breakdowns": ",".join(breakdowns),
            "action_breakdowns": ",".join(action_breakdowns),
            "action_attribution_windows": ",".join(windows),
        }
        return InsightsQuery(
            account=account,
            scope=scope,
            level=level,
            fields=fields_t,
            buckets=buckets,
            groups=groups,
            filters=filters,
            date_start=since.isoformat(),
            date_stop=until.isoformat(),
            params=norm,
            breakdowns=breakdown_set(breakdowns),
            action_breakdowns=action_breakdowns,
            windows=windows,
        )

    def _date_range(self, params: dict[str, str]) -> tuple[date, date]:
        clock = self.store.clock
        today = clock.today()
        w_lo, _ = clock.data_window()
        if params.get("time_range"):
            since, until = parse_time_range(params["time_range"])
        else:
            since, until = preset_range(params.get("date_preset") or "last_30d", today, date.fromordinal(w_lo))
        if since > until:
            raise invalid_param("(#100) The since date must be on or before the until date in time_range")
        if (today - since).days > MAX_LOOKBACK_DAYS:
            raise SimulatedGraphError(
                3018, "(#3018) The start date of the time range cannot be beyond 37 months from the current date"
            )
        return since, until

    def _groups(self, account: dict, scope: dict, level: str, filters: tuple) -> list[Group]:
        store = self.store
        key = (store.version, scope["id"], level, filters)
        hit = self._group_cache.get(key)
        if hit is not None:
            return hit
        objects = store.objects
        ads = self._scope_ads(scope)
        if filters:
            ads = [a for a in ads if matches(objects, a, filters)]
        fkey = hash(filters)

        def make(obj: dict, members: list[dict]) -> Group:
            profs = [m["_profile"] for m in members]
            return Group(
                obj,
                [m["_idx"] for m in members],
                (level, obj["id"], fkey),
                min(p[0] for p in profs),
                max(p[1] for p in profs),
            )

        groups: list[Group] = []
        if level == "ad":
            groups = [make(a, [a]) for a in ads]
        elif level == "account":
            if ads:
                groups = [make(account, ads)]
        else:
            parent_key = "campaign_id" if level == "campaign" else "adset_id"
            by_parent: dict[str, list[dict]] = {}
            for a in ads:
                by_parent.setdefault(a[parent_key], []).append(a)
            groups = [
                make(objects[pid], members) for pid, members in sorted(by_parent.items(), key=lambda kv: int(kv[0]))
            ]
        with self._lock:
            if len(self._group_cache) > 64:
                self._group_cache.clear()
            self._group_cache[key] = groups
        return groups

    def _scope_ads(self, scope: dict) -> list[dict]:
        kind = scope["_kind"]
        if kind == "account":
            return scope["_lists"]["ad"]
        if kind == "ad":
            return [scope]
        return [self.store.objects[i] for i in scope["_ads"]]


def _level(kind: str, raw: str | None) -> str:
    """The level of the rows: as asked for, else the scope's own; never above the scope."""
    scope_level = {"account": "account", "campaign": "campaign", "adset": "adset", "ad": "ad"}[kind]
    level = raw or scope_level
    if level not in LEVELS:
        raise invalid_param("(#100) level must be one of the following values: ad, adset, campaign, account")
    if LEVEL_RANK[level] < LEVEL_RANK[scope_level]:
        raise invalid_param(
            f"(#100) level {level} is not valid for a query on a {scope_level}: use level {scope_level} or below"
        )
    return level


def _fields(raw: str | None) -> tuple[str, ...]:
    """The asked-for fields without date_start / date_stop (every row has those)."""
    if not raw:
        return DEFAULT_FIELDS
    fields = []
    for name, sub in parse_fields(raw):
        if sub is not None:
            raise invalid_param(f"(#100) {name} is not valid for fields param: insights fields take no subfields")
        if name not in ("date_start", "date_stop"):
            fields.append(name)
    return tuple(fields)


def _names(params: dict[str, str], name: str) -> tuple[str, ...]:
    """A list parameter, sent as a JSON array (as the SDKs do) or comma-separated."""
    raw = (params.get(name) or "").strip()
    if raw.startswith("["):
        try:
            items = json.loads(raw)
        except ValueError:
            raise invalid_param(f"(#100) param {name} must be a JSON array of strings") from None
        if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
            raise invalid_param(f"(#100) param {name} must be a JSON array of strings")
    else:
        items = raw.split(",")
    return tuple(dict.fromkeys(i.strip() for i in items if i.strip()))


def _check_supported(params: dict[str, str]) -> None:
    for unsupported in UNSUPPORTED_PARAMS:
        if params.get(unsupported) not in (None, "", "[]"):
            raise invalid_param(f"(#100) The simulator does not support the {unsupported} parameter")


def _parse_filters(level: str, raw: str | None) -> tuple:
    """`filtering` as filters on ads; at campaign and ad set level a bare field means the level's own."""
    if not raw:
        return ()
    try:
        items = json.loads(raw)
    except ValueError:
        raise invalid_param("(#100) param filtering must be a JSON array") from None
    if not isinstance(items, list):
        raise invalid_param("(#100) param filtering must be a JSON array")
    out = []
    for f in items:
        if isinstance(f, dict) and "field" in f and "." not in str(f["field"]) and level in ("campaign", "adset"):
            f = dict(f, field=f"{level}.{f['field']}")
        if isinstance(f, dict) and str(f.get("field", "")).startswith("action_type"):
            raise invalid_param("(#100) The simulator does not support filtering on action_type")
        out.append(normalise_filter("ad", f))
    return tuple(out)
