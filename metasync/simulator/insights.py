"""Lazily generated, deterministic insights.

Each (ad, day) gets a metrics vector derived from a hash of (seed, ad id, day): nothing is stored except
runtime `add_spend` adjustments. Campaign / ad set / account rows are exact sums of their ads' vectors (money in
integer cents), except reach, which Meta de-duplicates across ads and days (so it is NOT additive here either:
``max(max reach, 82% of the summed reach)``; frequency follows from it).
"""

from __future__ import annotations

import calendar
import json
import threading
from dataclasses import dataclass, field
from datetime import date, timedelta
from hashlib import blake2b
from struct import Struct
from typing import Any

from .errors import SimulatedGraphError, invalid_param
from .fields import parse_fields
from .filters import matches, normalise_filter
from .store import ObjectStore

# ---- metrics vector layout ----
(IMPR, CLICKS, SPEND, REACH, LINK, LPV, POST_ENG, VIDEO,
 P_OMNI, P_AGG, P_PIXEL, P_ONSITE_WEB, P_SHOP, P_APP,
 V_OMNI, V_AGG, V_PIXEL, V_ONSITE_WEB, V_SHOP, V_APP,
 L_LEAD, L_OMNI, L_GROUPED, L_PIXEL) = range(24)
VECTOR_LEN = 24

# (action_type, vector index) in the order they are rendered in `actions`
ACTION_TYPES: tuple[tuple[str, int], ...] = (
    ("link_click", LINK),
    ("landing_page_view", LPV),
    ("post_engagement", POST_ENG),
    ("page_engagement", POST_ENG),
    ("video_view", VIDEO),
    ("omni_purchase", P_OMNI),
    ("purchase", P_AGG),
    ("offsite_conversion.fb_pixel_purchase", P_PIXEL),
    ("onsite_web_purchase", P_ONSITE_WEB),
    ("onsite_web_app_purchase", P_ONSITE_WEB),
    ("onsite_conversion.purchase", P_SHOP),
    ("app_custom_event.fb_mobile_purchase", P_APP),
    ("lead", L_LEAD),
    ("omni_lead", L_OMNI),
    ("onsite_conversion.lead_grouped", L_GROUPED),
    ("leadgen_grouped", L_GROUPED),
    ("offsite_conversion.fb_pixel_lead", L_PIXEL),
)
# (action_type, vector index of the value in cents) rendered in `action_values`
ACTION_VALUE_TYPES: tuple[tuple[str, int], ...] = (
    ("omni_purchase", V_OMNI),
    ("purchase", V_AGG),
    ("offsite_conversion.fb_pixel_purchase", V_PIXEL),
    ("onsite_web_purchase", V_ONSITE_WEB),
    ("onsite_web_app_purchase", V_ONSITE_WEB),
    ("onsite_conversion.purchase", V_SHOP),
    ("app_custom_event.fb_mobile_purchase", V_APP),
)

LEVELS = ("account", "campaign", "adset", "ad")
LEVEL_RANK = {"account": 0, "campaign": 1, "adset": 2, "ad": 3}
ID_FIELDS = {  # field -> minimum level rank at which Meta can fill it
    "account_id": 0, "account_name": 0, "account_currency": 0,
    "campaign_id": 1, "campaign_name": 1, "objective": 1, "buying_type": 1,
    "adset_id": 2, "adset_name": 2, "optimization_goal": 2,
    "ad_id": 3, "ad_name": 3,
}
METRIC_FIELDS = frozenset({
    "impressions", "clicks", "spend", "reach", "frequency", "ctr", "cpc", "cpm", "cpp", "inline_link_clicks",
    "inline_link_click_ctr", "cost_per_inline_link_click", "actions", "action_values", "cost_per_action_type",
    "purchase_roas", "website_purchase_roas", "conversions", "attribution_setting", "date_start", "date_stop",
})
INSIGHTS_FIELDS = frozenset(ID_FIELDS) | METRIC_FIELDS
DEFAULT_FIELDS = ("impressions", "spend")

DATE_PRESETS = ("today", "yesterday", "this_month", "last_month", "this_quarter", "maximum", "data_maximum",
                "last_3d", "last_7d", "last_14d", "last_28d", "last_30d", "last_90d", "last_week_mon_sun",
                "last_week_sun_sat", "last_quarter", "last_year", "this_week_mon_today", "this_week_sun_today",
                "this_year")
WEEKDAY_FACTOR = (100, 104, 106, 103, 98, 88, 86)  # Mon..Sun, percent
_U16 = Struct("<16H")


def money(cents: int) -> str:
    sign = "-" if cents < 0 else ""
    cents = abs(cents)
    return f"{sign}{cents // 100}.{cents % 100:02d}"


def _ratio(num: float, den: float) -> str:
    return f"{num / den:.6f}"


# --------------------------------------------------------------------- dates
def _month_start(d: date) -> date:
    return d.replace(day=1)


def _add_months(d: date, months: int) -> date:
    y, m = divmod(d.month - 1 + months, 12)
    y += d.year
    m += 1
    return date(y, m, min(d.day, calendar.monthrange(y, m)[1]))


def preset_range(preset: str, today: date, data_start: date) -> tuple[date, date]:
    """Meta's date presets, relative to `today` in the account timezone. `last_Nd` excludes today."""
    one = timedelta(days=1)
    if preset == "today":
        return today, today
    if preset == "yesterday":
        return today - one, today - one
    if preset.startswith("last_") and preset.endswith("d") and preset[5:-1].isdigit():
        n = int(preset[5:-1])
        return today - timedelta(days=n), today - one
    if preset == "this_week_mon_today":
        return today - timedelta(days=today.weekday()), today
    if preset == "this_week_sun_today":
        return today - timedelta(days=(today.weekday() + 1) % 7), today
    if preset == "last_week_mon_sun":
        start = today - timedelta(days=today.weekday() + 7)
        return start, start + timedelta(days=6)
    if preset == "last_week_sun_sat":
        start = today - timedelta(days=(today.weekday() + 1) % 7 + 7)
        return start, start + timedelta(days=6)
    if preset == "this_month":
        return _month_start(today), today
    if preset == "last_month":
        end = _month_start(today) - one
        return _month_start(end), end
    q_start = date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
    if preset == "this_quarter":
        return q_start, today
    if preset == "last_quarter":
        prev_end = q_start - one
        return _add_months(q_start, -3), prev_end
    if preset == "this_year":
        return date(today.year, 1, 1), today
    if preset == "last_year":
        return date(today.year - 1, 1, 1), date(today.year - 1, 12, 31)
    if preset in ("maximum", "data_maximum"):
        return data_start, today
    raise invalid_param("(#100) date_preset must be one of the following values: " + ", ".join(DATE_PRESETS))


# --------------------------------------------------------------------- query
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

    @property
    def positions(self) -> int:
        return len(self.buckets) * len(self.groups)


class InsightsEngine:
    def __init__(self, world: ObjectStore) -> None:
        self.world = world
        seed = world.config.seed
        self._prefix = [f"{seed}:{ad['id']}:".encode() for ad in world.ads]
        self._profiles = [ad["_profile"] for ad in world.ads]
        self.extra: dict[tuple[int, int], list[int]] = {}
        self._cell_cache: dict[tuple, list[int] | None] = {}
        self._group_cache: dict[tuple, list[Group]] = {}
        self._lock = threading.Lock()

    # ----------------------------------------------------------- generator
    def add_extra(self, ad_idx: int, ordinal: int, cents: int, impressions: int) -> None:
        with self._lock:
            cur = self.extra.setdefault((ad_idx, ordinal), [0, 0])
            cur[0] += cents
            cur[1] += impressions

    def ad_day(self, idx: int, ordinal: int) -> list[int] | None:
        """The metrics vector of one ad on one (account-local) day, or None when it had no impressions."""
        (start, stop, base, ctr_ppm, cpm_cents, conv, cvr_ppm, aov, web_pct, _shop_pct, app, form_pct, video,
         chan_pct) = self._profiles[idx]
        vec = None
        if start <= ordinal <= stop:
            u = _U16.unpack(blake2b(self._prefix[idx] + ordinal.to_bytes(4, "little"), digest_size=32).digest())
            if u[0] % 41 != 0:  # ~2.5% of (ad, day) without delivery
                impr = base * (60 + u[1] % 81) * WEEKDAY_FACTOR[(ordinal - 1) % 7] // 10_000
                if impr > 0:
                    clicks = impr * ctr_ppm * (70 + u[2] % 61) // 100_000_000
                    spend = impr * cpm_cents * (80 + u[3] % 41) // 100_000
                    reach = max(1, impr * 100 // (110 + u[4] % 60))
                    link = clicks * (60 + u[5] % 31) // 100
                    lpv = link * (50 + u[6] % 41) // 100
                    vec = [impr, clicks, spend, reach, link, lpv, clicks + impr * (u[7] % 20) // 1000,
                           impr * (10 + u[8] % 20) // 100 if video else 0,
                           0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]
                    if conv != "none":
                        basis = link if (app or conv == "lead") else lpv
                        milli = basis * cvr_ppm * (50 + u[9] % 101) // 100_000  # thousandths of a conversion
                        n = milli // 1000 + (1 if milli % 1000 > u[10] % 1000 else 0)
                        if n:
                            channel_only = u[12] % 100 < chan_pct
                            if conv == "purchase":
                                if app:
                                    a, w, s = n, 0, 0
                                else:
                                    w = (n * web_pct + 50) // 100
                                    a, s = 0, n - w
                                unit = aov * (80 + u[11] % 41) // 100
                                wv, sv, av = w * unit, s * (unit + 500), a * unit
                                if not channel_only:
                                    vec[P_OMNI] = vec[P_AGG] = n
                                    vec[V_OMNI] = vec[V_AGG] = wv + sv + av
                                vec[P_PIXEL] = vec[P_ONSITE_WEB] = w
                                vec[V_PIXEL] = vec[V_ONSITE_WEB] = wv
                                vec[P_SHOP], vec[V_SHOP] = s, sv
                                vec[P_APP], vec[V_APP] = a, av
                            else:
                                form = n * form_pct // 100
                                if not channel_only:
                                    vec[L_LEAD] = vec[L_OMNI] = n
                                vec[L_GROUPED] = form
                                vec[L_PIXEL] = n - form
        if self.extra:
            add = self.extra.get((idx, ordinal))
            if add is not None:
                if vec is None:
                    vec = [0] * VECTOR_LEN
                vec[SPEND] += add[0]
                vec[IMPR] += add[1]
                if vec[IMPR] <= 0 and vec[SPEND] > 0:
                    vec[IMPR] = 1
                if vec[REACH] <= 0 < vec[IMPR]:
                    vec[REACH] = 1
                if vec[IMPR] <= 0:
                    return None
        return vec

    @staticmethod
    def combine(vectors: list[list[int]]) -> list[int] | None:
        """Exact sums, except reach: de-duplicated as max(max reach, 82% of the summed reach)."""
        if not vectors:
            return None
        if len(vectors) == 1:
            return vectors[0]
        total = [sum(col) for col in zip(*vectors)]
        max_reach = max(v[REACH] for v in vectors)
        total[REACH] = min(total[IMPR], max(max_reach, total[REACH] * 82 // 100))
        return total

    def group_day(self, group: Group, ordinal: int) -> list[int] | None:
        if ordinal < group.first or ordinal > group.last:
            if not self.extra:
                return None
        if len(group.ads) == 1:
            return self.ad_day(group.ads[0], ordinal)
        key = (self.world.version, group.key, ordinal)
        try:
            return self._cell_cache[key]
        except KeyError:
            pass
        ad_day = self.ad_day
        vecs = [v for v in (ad_day(i, ordinal) for i in group.ads) if v is not None]
        cell = self.combine(vecs)
        with self._lock:
            if len(self._cell_cache) > 200_000:
                self._cell_cache.clear()
            self._cell_cache[key] = cell
        return cell

    def group_bucket(self, group: Group, bucket: tuple[int, int], window: tuple[int, int] | None = None
                     ) -> list[int] | None:
        lo, hi = bucket
        w_lo, w_hi = window or self.world.clock.data_window()
        lo, hi = max(lo, w_lo), min(hi, w_hi)
        if not self.extra:
            lo, hi = max(lo, group.first), min(hi, group.last)
        if lo > hi:
            return None
        if lo == hi:
            return self.group_day(group, lo)
        vecs = [v for v in (self.group_day(group, d) for d in range(lo, hi + 1)) if v is not None]
        return self.combine(vecs)

    # --------------------------------------------------------------- query
    def build_query(self, account: dict, scope: dict, params: dict[str, str]) -> InsightsQuery:
        world = self.world
        kind = scope["_kind"]
        scope_level = {"account": "account", "campaign": "campaign", "adset": "adset", "ad": "ad"}[kind]
        level = params.get("level") or scope_level
        if level not in LEVELS:
            raise invalid_param("(#100) level must be one of the following values: ad, adset, campaign, account")
        if LEVEL_RANK[level] < LEVEL_RANK[scope_level]:
            raise invalid_param(f"(#100) level {level} is not valid for a query on a {scope_level}: use level "
                                f"{scope_level} or below")
        # fields
        raw_fields = params.get("fields")
        if raw_fields:
            fields = []
            for name, sub in parse_fields(raw_fields):
                if name not in INSIGHTS_FIELDS or sub is not None:
                    raise invalid_param(f"(#100) {name} is not valid for fields param. please check "
                                        "https://developers.facebook.com/docs/marketing-api/reference/ads-insights/ "
                                        "for all valid values")
                if name not in ("date_start", "date_stop"):
                    fields.append(name)
            fields_t = tuple(fields)
        else:
            fields_t = DEFAULT_FIELDS
        for unsupported in ("breakdowns", "time_ranges", "summary_action_breakdowns"):
            if params.get(unsupported) not in (None, "", "[]"):
                raise invalid_param(f"(#100) The simulator does not support the {unsupported} parameter")
        ab = params.get("action_breakdowns")
        if ab not in (None, "", "[]", "action_type", '["action_type"]'):
            raise invalid_param("(#100) The simulator only supports action_breakdowns=[\"action_type\"]")
        # dates
        today = world.clock.today()
        w_lo, _ = world.clock.data_window()
        data_start = date.fromordinal(w_lo)
        if params.get("time_range"):
            since, until = self._parse_time_range(params["time_range"])
        else:
            preset = params.get("date_preset") or "last_30d"
            since, until = preset_range(preset, today, data_start)
        if since > until:
            raise invalid_param("(#100) The since date must be on or before the until date in time_range")
        if (today - since).days > 37 * 31 - 22:
            raise SimulatedGraphError(3018, "(#3018) The start date of the time range cannot be beyond 37 months "
                                            "from the current date")
        buckets = self._buckets(since, until, params.get("time_increment"))
        # filters (applied to the underlying ads)
        filters = self._parse_filters(level, params.get("filtering"))
        groups = self._groups(account, scope, level, filters)
        norm = {"level": level, "fields": ",".join(fields_t), "since": since.isoformat(),
                "until": until.isoformat(), "time_increment": params.get("time_increment") or "all_days",
                "filtering": params.get("filtering") or "[]"}
        return InsightsQuery(account=account, scope=scope, level=level, fields=fields_t, buckets=buckets,
                             groups=groups, filters=filters, date_start=since.isoformat(),
                             date_stop=until.isoformat(), params=norm)

    @staticmethod
    def _parse_time_range(raw: str) -> tuple[date, date]:
        try:
            tr = json.loads(raw)
            since = date.fromisoformat(str(tr["since"]))
            until = date.fromisoformat(str(tr["until"]))
        except (ValueError, TypeError, KeyError):
            raise invalid_param("(#100) time_range must be a JSON object like "
                                "{\"since\":\"YYYY-MM-DD\",\"until\":\"YYYY-MM-DD\"}") from None
        return since, until

    @staticmethod
    def _buckets(since: date, until: date, raw: str | None) -> list[tuple[int, int]]:
        lo, hi = since.toordinal(), until.toordinal()
        if raw in (None, "", "all_days"):
            return [(lo, hi)]
        if raw == "monthly":
            out = []
            cur = since
            while cur <= until:
                end = date(cur.year, cur.month, calendar.monthrange(cur.year, cur.month)[1])
                out.append((cur.toordinal(), min(end, until).toordinal()))
                cur = end + timedelta(days=1)
            return out
        try:
            step = int(raw)
        except ValueError:
            step = 0
        if not 1 <= step <= 90:
            raise invalid_param("(#100) time_increment must be all_days, monthly or an integer from 1 to 90")
        return [(d, min(hi, d + step - 1)) for d in range(lo, hi + 1, step)]

    def _parse_filters(self, level: str, raw: str | None) -> tuple:
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

    def _groups(self, account: dict, scope: dict, level: str, filters: tuple) -> list[Group]:
        world = self.world
        key = (world.version, scope["id"], level, filters)
        hit = self._group_cache.get(key)
        if hit is not None:
            return hit
        objects = world.objects
        kind = scope["_kind"]
        if kind == "account":
            ads = scope["_lists"]["ad"]
        elif kind == "ad":
            ads = [scope]
        else:
            ads = [objects[i] for i in scope["_ads"]]
        if filters:
            ads = [a for a in ads if matches(objects, a, filters)]
        groups: list[Group] = []
        fkey = hash(filters)

        def make(obj: dict, members: list[dict]) -> Group:
            profs = [m["_profile"] for m in members]
            return Group(obj, [m["_idx"] for m in members], (level, obj["id"], fkey),
                         min(p[0] for p in profs), max(p[1] for p in profs))

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
            groups = [make(objects[pid], members) for pid, members in
                      sorted(by_parent.items(), key=lambda kv: int(kv[0]))]
        with self._lock:
            if len(self._group_cache) > 64:
                self._group_cache.clear()
            self._group_cache[key] = groups
        return groups

    def estimate_rows(self, q: InsightsQuery) -> int:
        """Meta-style up-front estimate: objects x time buckets that touch the data window."""
        w_lo, w_hi = self.world.clock.data_window()
        live = sum(1 for lo, hi in q.buckets if hi >= w_lo and lo <= w_hi)
        return live * len(q.groups)

    # ---------------------------------------------------------------- rows
    def _row_at(self, q: InsightsQuery, pos: int, window: tuple[int, int]) -> dict | None:
        g = len(q.groups)
        b, gi = divmod(pos, g)
        bucket = q.buckets[b]
        vec = self.group_bucket(q.groups[gi], bucket, window)
        if vec is None or vec[IMPR] <= 0:
            return None
        return self.render_row(q, q.groups[gi], bucket, vec)

    @staticmethod
    def _bucket_live(q: InsightsQuery, b: int, window: tuple[int, int]) -> bool:
        lo, hi = q.buckets[b]
        return hi >= window[0] and lo <= window[1]

    def page(self, q: InsightsQuery, limit: int, after: int | None = None, before: int | None = None
             ) -> tuple[list[dict], int | None, int | None, bool, bool]:
        """Rows of one page: (rows, first position, last position, has_previous, has_next)."""
        total = q.positions
        g = len(q.groups)
        rows: list[dict] = []
        positions: list[int] = []
        if total == 0:
            return rows, None, None, False, False
        window = self.world.clock.data_window()
        if before is not None:
            pos = min(before, total) - 1
            while pos >= 0 and len(rows) < limit:
                b = pos // g
                if not self._bucket_live(q, b, window):
                    pos = b * g - 1
                    continue
                row = self._row_at(q, pos, window)
                if row is not None:
                    rows.append(row)
                    positions.append(pos)
                pos -= 1
            rows.reverse()
            positions.reverse()
            has_prev = self._find(q, pos, -1, window) is not None
            has_next = bool(positions) and self._find(q, positions[-1] + 1, 1, window) is not None
        else:
            pos = 0 if after is None else after + 1
            while pos < total and len(rows) < limit:
                b = pos // g
                if not self._bucket_live(q, b, window):
                    pos = (b + 1) * g
                    continue
                row = self._row_at(q, pos, window)
                if row is not None:
                    rows.append(row)
                    positions.append(pos)
                pos += 1
            has_next = bool(positions) and self._find(q, pos, 1, window) is not None
            has_prev = bool(positions) and after is not None and positions[0] > 0
        if not positions:
            return rows, None, None, False, False
        return rows, positions[0], positions[-1], has_prev, has_next

    def _find(self, q: InsightsQuery, pos: int, step: int, window: tuple[int, int]) -> int | None:
        """The next position (scanning by `step`) that has a row, or None."""
        total = q.positions
        g = len(q.groups)
        while 0 <= pos < total:
            b = pos // g
            if not self._bucket_live(q, b, window):
                pos = (b + 1) * g if step > 0 else b * g - 1
                continue
            vec = self.group_bucket(q.groups[pos % g], q.buckets[b], window)
            if vec is not None and vec[IMPR] > 0:
                return pos
            pos += step
        return None

    def all_rows(self, q: InsightsQuery) -> list[dict]:
        rows, _, _, _, _ = self.page(q, limit=10**9)
        return rows

    # ------------------------------------------------------------ rendering
    def _id_part(self, q: InsightsQuery, group: Group) -> dict[str, str]:
        """The id / name fields of a row: fixed per object, so computed once per (query, object)."""
        cached = group.ids.get(q.fields)
        if cached is not None:
            return cached
        world = self.world
        rank = LEVEL_RANK[q.level]
        obj = group.obj
        camp = adset = ad = None
        if q.level == "campaign":
            camp = obj
        elif q.level == "adset":
            adset, camp = obj, world.objects[obj["campaign_id"]]
        elif q.level == "ad":
            ad, adset, camp = obj, world.objects[obj["adset_id"]], world.objects[obj["campaign_id"]]
        account = q.account
        source = {"account_id": (account, "account_id"), "account_name": (account, "name"),
                  "account_currency": (account, "currency"), "campaign_id": (camp, "id"),
                  "campaign_name": (camp, "name"), "objective": (camp, "objective"),
                  "buying_type": (camp, "buying_type"), "adset_id": (adset, "id"), "adset_name": (adset, "name"),
                  "optimization_goal": (adset, "optimization_goal"), "ad_id": (ad, "id"), "ad_name": (ad, "name")}
        out = {}
        for f in q.fields:
            need = ID_FIELDS.get(f)
            if need is not None and need <= rank:
                o, key = source[f]
                out[f] = o[key]
        group.ids[q.fields] = out
        return out

    def render_row(self, q: InsightsQuery, group: Group, bucket: tuple[int, int], vec: list[int]) -> dict[str, Any]:
        row = dict(self._id_part(q, group))
        for f in q.fields:
            fn = METRIC_RENDERERS.get(f)
            if fn is not None:
                value = fn(vec)
                if value is not None:
                    row[f] = value
        lo, hi = bucket
        row["date_start"] = _iso(lo)
        row["date_stop"] = _iso(hi)
        return row


_ISO_CACHE: dict[int, str] = {}


def _iso(ordinal: int) -> str:
    s = _ISO_CACHE.get(ordinal)
    if s is None:
        s = _ISO_CACHE[ordinal] = date.fromordinal(ordinal).isoformat()
    return s


def _list_or_none(items: list) -> list | None:
    return items or None


METRIC_RENDERERS: dict[str, Any] = {
    "impressions": lambda v: str(v[IMPR]),
    "clicks": lambda v: str(v[CLICKS]),
    "spend": lambda v: money(v[SPEND]),
    "reach": lambda v: str(v[REACH]),
    "frequency": lambda v: _ratio(v[IMPR], v[REACH]),
    "ctr": lambda v: _ratio(v[CLICKS] * 100, v[IMPR]),
    "cpc": lambda v: _ratio(v[SPEND] / 100, v[CLICKS]) if v[CLICKS] else None,
    "cpm": lambda v: _ratio(v[SPEND] * 10, v[IMPR]),
    "cpp": lambda v: _ratio(v[SPEND] * 10, v[REACH]),
    "inline_link_clicks": lambda v: str(v[LINK]),
    "inline_link_click_ctr": lambda v: _ratio(v[LINK] * 100, v[IMPR]),
    "cost_per_inline_link_click": lambda v: _ratio(v[SPEND] / 100, v[LINK]) if v[LINK] else None,
    "actions": lambda v: _list_or_none([{"action_type": t, "value": str(v[i])} for t, i in ACTION_TYPES if v[i]]),
    "action_values": lambda v: _list_or_none(
        [{"action_type": t, "value": money(v[i])} for t, i in ACTION_VALUE_TYPES if v[i]]),
    "conversions": lambda v: _list_or_none(
        [{"action_type": t, "value": str(v[i])} for t, i in ACTION_TYPES if v[i] and i >= P_OMNI]),
    "cost_per_action_type": lambda v: _list_or_none(
        [{"action_type": t, "value": _ratio(v[SPEND] / 100, v[i])} for t, i in ACTION_TYPES if v[i]]),
    "purchase_roas": lambda v: ([{"action_type": "omni_purchase", "value": _ratio(v[V_OMNI], v[SPEND])}]
                                if v[SPEND] and v[V_OMNI] else None),
    "website_purchase_roas": lambda v: ([{"action_type": "offsite_conversion.fb_pixel_purchase",
                                          "value": _ratio(v[V_PIXEL], v[SPEND])}] if v[SPEND] and v[V_PIXEL] else None),
    "attribution_setting": lambda v: "7d_click_1d_view",
}
