"""Insights metrics: one vector per (ad, day) derived from a hash of (seed, ad id, day), and how vectors add up:
exactly (money in integer cents), except reach, which Meta de-duplicates across ads and days.

Each conversion count and value also carries its 1-day-view and 1-day-click parts (the unified `value` is
7-day click plus 1-day view), so attribution windows add up across ads, days and breakdown rows like the rest."""

from __future__ import annotations

import threading
from hashlib import blake2b
from struct import Struct

# ---- metrics vector layout ----
(
    IMPR,
    CLICKS,
    SPEND,
    REACH,
    LINK,
    LPV,
    POST_ENG,
    VIDEO,
    P_OMNI,
    P_AGG,
    P_PIXEL,
    P_ONSITE_WEB,
    P_SHOP,
    P_APP,
    V_OMNI,
    V_AGG,
    V_PIXEL,
    V_ONSITE_WEB,
    V_SHOP,
    V_APP,
    L_LEAD,
    L_OMNI,
    L_GROUPED,
    L_PIXEL,
    OUTBOUND,
    VIDEO_PLAY,
    VIDEO_P25,
    VIDEO_P50,
    VIDEO_P75,
    VIDEO_P95,
    VIDEO_P100,
    THRUPLAY,
) = range(32)
# Conversion counts and values (P_OMNI .. L_PIXEL): their 1d_view parts, then their 1d_click parts.
CONVERSION_INDEXES = tuple(range(P_OMNI, L_PIXEL + 1))
VIEW_1D = {i: 32 + k for k, i in enumerate(CONVERSION_INDEXES)}
CLICK_1D = {i: 32 + len(CONVERSION_INDEXES) + k for k, i in enumerate(CONVERSION_INDEXES)}
VECTOR_LEN = 32 + 2 * len(CONVERSION_INDEXES)
# Each purchase value and the purchase count it is the value of.
COUNT_OF_VALUE = {
    V_OMNI: P_OMNI,
    V_AGG: P_AGG,
    V_PIXEL: P_PIXEL,
    V_ONSITE_WEB: P_ONSITE_WEB,
    V_SHOP: P_SHOP,
    V_APP: P_APP,
}

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


def money(cents: int) -> str:
    """Integer cents as Meta writes money: "12.30"."""
    sign = "-" if cents < 0 else ""
    cents = abs(cents)
    return f"{sign}{cents // 100}.{cents % 100:02d}"


def ratio(num: float, den: float) -> str:
    return f"{num / den:.6f}"


WEEKDAY_FACTOR = (100, 104, 106, 103, 98, 88, 86)  # Mon..Sun, percent
_U16 = Struct("<16H")


class DailyMetrics:
    """The metrics of each ad on each day, generated on demand from the ads' profiles (see `insights_profile`).

    Nothing is stored but the spend and impressions that POST /__sim/mutate adds (`add_extra`).
    """

    def __init__(self, seed: int, ads: list[dict]) -> None:
        self._prefix = [f"{seed}:{ad['id']}:".encode() for ad in ads]
        self._profiles = [ad["_profile"] for ad in ads]
        self.extra: dict[tuple[int, int], list[int]] = {}  # (ad index, day) -> [cents, impressions] added
        # ad index -> (first day, percent of the generated delivery): what Graph writes changed from that day on
        self.scale: dict[int, tuple[int, int]] = {}
        self._lock = threading.Lock()

    def add_extra(self, ad_idx: int, ordinal: int, cents: int, impressions: int) -> None:
        with self._lock:
            cur = self.extra.setdefault((ad_idx, ordinal), [0, 0])
            cur[0] += cents
            cur[1] += impressions

    def scale_from(self, ad_idx: int, ordinal: int, pct: int) -> None:
        """From `ordinal` on, the ad delivers `pct` percent of what it was generated with (0: nothing)."""
        with self._lock:
            self.scale[ad_idx] = (ordinal, max(0, int(pct)))

    def ad_day(self, idx: int, ordinal: int) -> list[int] | None:
        """The metrics vector of one ad on one (account-local) day, or None when it had no impressions."""
        profile = self._profiles[idx]
        vec = None
        if profile[0] <= ordinal <= profile[1]:
            u = _U16.unpack(blake2b(self._prefix[idx] + ordinal.to_bytes(4, "little"), digest_size=32).digest())
            if u[0] % 41 != 0:  # ~2.5% of (ad, day) without delivery
                vec = _delivery(profile, u, WEEKDAY_FACTOR[(ordinal - 1) % 7])
            scaled = self.scale.get(idx)
            if vec is not None and scaled is not None and ordinal >= scaled[0]:
                vec = _scaled(vec, scaled[1])
        if self.extra:
            add = self.extra.get((idx, ordinal))
            if add is not None:
                return _with_extra(vec, add)
        return vec


def _delivery(profile: tuple, u: tuple[int, ...], weekday_factor: int) -> list[int] | None:
    """One day of an ad that delivered: `u` are the day's 16 pseudo-random numbers."""
    (_, _, base, ctr_ppm, cpm_cents, conv, cvr_ppm, aov, web_pct, _shop_pct, app, form_pct, video, chan_pct) = profile
    impr = base * (60 + u[1] % 81) * weekday_factor // 10_000
    if impr <= 0:
        return None
    clicks = impr * ctr_ppm * (70 + u[2] % 61) // 100_000_000
    spend = impr * cpm_cents * (80 + u[3] % 41) // 100_000
    reach = max(1, impr * 100 // (110 + u[4] % 60))
    link = clicks * (60 + u[5] % 31) // 100
    lpv = link * (50 + u[6] % 41) // 100
    plays = impr * (15 + u[8] % 20) // 100 if video else 0
    vec = [
        impr,
        clicks,
        spend,
        reach,
        link,
        lpv,
        clicks + impr * (u[7] % 20) // 1000,
        impr * (10 + u[8] % 20) // 100 if video else 0,
        0,
        0,
        0,
        0,
        0,
        0,
        0,
        0,
        0,
        0,
        0,
        0,
        0,
        0,
        0,
        0,
        link * (85 + u[5] % 11) // 100,
        *_video_funnel(plays),
        *[0] * (2 * len(CONVERSION_INDEXES)),
    ]
    if conv != "none":
        basis = link if (app or conv == "lead") else lpv
        milli = basis * cvr_ppm * (50 + u[9] % 101) // 100_000  # thousandths of a conversion
        n = milli // 1000 + (1 if milli % 1000 > u[10] % 1000 else 0)
        if n:
            channel_only = u[12] % 100 < chan_pct
            if conv == "purchase":
                _purchases(vec, n, u, app, web_pct, aov, channel_only)
            else:
                _leads(vec, n, form_pct, channel_only)
            _windows(vec, u[13] % 30, 55 + u[14] % 40, u[15] % 100)
    return vec


def _video_funnel(plays: int) -> list[int]:
    """Plays, then 25/50/75/95/100 % watched, then ThruPlays (15 s or complete): each a share of the one before."""
    p25 = plays * 62 // 100
    p50 = p25 * 71 // 100
    p75 = p50 * 78 // 100
    p95 = p75 * 83 // 100
    p100 = p95 * 91 // 100
    return [plays, p25, p50, p75, p95, p100, max(p100, p50 * 90 // 100)]


def _windows(vec: list[int], view_pct: int, click_1d_pct: int, dither: int) -> None:
    """Each conversion count's 1-day-view share and the share of its 7-day clicks that came within a day (rounded
    by `dither`, so small counts get view-throughs too); a value's windows follow its count's, so no window has
    revenue without purchases."""
    for i in CONVERSION_INDEXES:
        if vec[i] and i not in COUNT_OF_VALUE:
            view = (vec[i] * view_pct + dither) // 100
            vec[VIEW_1D[i]] = view
            vec[CLICK_1D[i]] = ((vec[i] - view) * click_1d_pct + dither) // 100
    for value, count in COUNT_OF_VALUE.items():
        if vec[value] and vec[count]:
            vec[VIEW_1D[value]] = vec[value] * vec[VIEW_1D[count]] // vec[count]
            vec[CLICK_1D[value]] = vec[value] * vec[CLICK_1D[count]] // vec[count]


def _purchases(
    vec: list[int], n: int, u: tuple[int, ...], app: bool, web_pct: int, aov: int, channel_only: bool
) -> None:
    """`n` purchases split over the app, the website (pixel) and the shop, with their values."""
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


def _leads(vec: list[int], n: int, form_pct: int, channel_only: bool) -> None:
    """`n` leads split between instant forms and the website pixel."""
    form = n * form_pct // 100
    if not channel_only:
        vec[L_LEAD] = vec[L_OMNI] = n
    vec[L_GROUPED] = form
    vec[L_PIXEL] = n - form


def _scaled(vec: list[int], pct: int) -> list[int] | None:
    """Every count and amount of a day in proportion (whole units, rounded down); no impressions, no row."""
    if pct == 100:
        return vec
    out = [value * pct // 100 for value in vec]
    return out if out[IMPR] > 0 else None


def _with_extra(vec: list[int] | None, add: list[int]) -> list[int] | None:
    """A day's vector with control-plane spend and impressions added (a day with spend has an impression)."""
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


def combine(vectors: list[list[int]]) -> list[int] | None:
    """Exact sums, except reach: de-duplicated as max(max reach, 82% of the summed reach), so it is not additive
    here either (and frequency follows from it)."""
    if not vectors:
        return None
    if len(vectors) == 1:
        return vectors[0]
    total = [sum(col) for col in zip(*vectors, strict=True)]
    max_reach = max(v[REACH] for v in vectors)
    total[REACH] = min(total[IMPR], max(max_reach, total[REACH] * 82 // 100))
    return total
