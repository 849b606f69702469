"""Performance data: one `PerformanceSnapshot` per campaign, ad set and ad per account-local day, from insights.

`sync_all_performance_data` pulls a preset or a date range; `sync_scheduled_performance` applies the attribution
lookback policy (see its docstring).
"""

from metasync.performance.dates import DATE_PRESETS, InvalidDateRange, parse_date_request
from metasync.performance.run import sync_all_performance_data, sync_scheduled_performance

__all__ = [
    "DATE_PRESETS",
    "InvalidDateRange",
    "parse_date_request",
    "sync_all_performance_data",
    "sync_scheduled_performance",
]
