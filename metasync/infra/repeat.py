"""One small piece both locks and run heartbeats need: do something every few seconds while a block runs."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

Wait = Callable[[threading.Event, float], bool]


@contextmanager
def repeating(action: Callable[[], bool], every: float, name: str, wait: Wait = threading.Event.wait) -> Iterator[None]:
    """Call `action()` every `every` seconds in a daemon thread until the block ends or it returns False.

    `wait(stop, seconds)` is how the thread waits (True once stopped); tests pass one that steps instead of sleeping.
    """
    stop = threading.Event()

    def loop() -> None:
        while not wait(stop, every) and action():
            pass

    thread = threading.Thread(target=loop, name=name, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=5)
