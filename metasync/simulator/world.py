"""`World`: a deterministic simulated ad world built from a `SimConfig`, with its lazily computed insights;
the same config on the same day (in the account timezone) gives the same world."""

from __future__ import annotations

import gc
import time

from .clock import WorldClock
from .config import SimConfig
from .generation import WorldBuilder
from .insights import InsightsEngine
from .store import ObjectStore


class World(ObjectStore):
    """Accounts, campaigns, ad sets, ads and creatives (see `ObjectStore`), plus `insights`."""

    def __init__(self, config: SimConfig | None = None) -> None:
        config = config or SimConfig()
        super().__init__(config, WorldClock(config.timezone, config.days, config.today))
        started = time.perf_counter()
        gc_was_enabled = gc.isenabled()
        gc.disable()  # building creates ~10 dicts per ad: cyclic GC passes would dominate
        try:
            WorldBuilder(self).build()
            self.insights = InsightsEngine(self)
        finally:
            if gc_was_enabled:
                gc.enable()
        if len(self.ads) >= 5_000:
            # Keep the (large, long-lived) world out of future GC passes: otherwise every generation-2
            # collection walks millions of objects and insights pages get 2-3x slower.
            gc.freeze()
        self.build_seconds = time.perf_counter() - started
