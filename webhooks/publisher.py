"""Publishing Celery tasks from the web process with a bounded wait, so a dead broker means a fast 503.

Celery's defaults retry a lost broker connection for a long time; a webhook must answer well within Meta's
timeout instead, and say 503 so Meta redelivers later. Each publish gets one retry and socket timeouts of
`timeout_seconds`: the worst case is about twice that.
"""

from __future__ import annotations

import os
import threading
from typing import Any

import kombu
import redis
from kombu.exceptions import KombuError

# One quick reconnect covers a broker restart or a connection closed while idle; more would only delay the 503.
_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.2}
BROKER_ERRORS = (KombuError, redis.RedisError, OSError)


class BrokerUnavailable(Exception):
    """The task could not be handed to the broker; nothing was enqueued."""


class TaskPublisher:
    """One broker connection per process (re-made after fork or failure), used under a lock."""

    def __init__(self, broker_url: str, timeout_seconds: float):
        self.broker_url = broker_url
        self.timeout_seconds = timeout_seconds
        self._lock = threading.Lock()
        self._connection: kombu.Connection | None = None
        self._pid: int | None = None

    def _connect(self) -> kombu.Connection:
        if self._connection is None or self._pid != os.getpid():
            self._connection = kombu.Connection(
                self.broker_url,
                connect_timeout=self.timeout_seconds,
                transport_options={
                    **_RETRY_POLICY,
                    "socket_connect_timeout": self.timeout_seconds,
                    "socket_timeout": self.timeout_seconds,
                },
            )
            self._pid = os.getpid()
        return self._connection

    def publish(
        self,
        task_name: str,
        args: tuple[Any, ...] | list[Any],
        kwargs: dict[str, Any] | None = None,
        task_id: str | None = None,
    ) -> None:
        """Hand one message for the task named `task_name` to the broker, or raise BrokerUnavailable; `task_id`
        gives the message a known id (a run enqueued on request, metasync.control.triggers)."""
        from metasync.celery import app

        with self._lock:
            try:
                app.send_task(
                    task_name,
                    args,
                    kwargs,
                    task_id=task_id,
                    connection=self._connect(),
                    retry=True,
                    retry_policy=_RETRY_POLICY,
                )
            except BROKER_ERRORS as exc:
                self._discard()
                raise BrokerUnavailable(f"broker unavailable: {exc.__class__.__name__}") from exc

    def send(self, task_name: str, args: list, kwargs: dict, task_id: str) -> None:
        """`metasync.control.triggers.Sender`: runs started from the web app are enqueued with the bounded wait."""
        self.publish(task_name, tuple(args), kwargs, task_id)

    def _discard(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            try:
                connection.release()
            except BROKER_ERRORS:
                pass

    def close(self) -> None:
        with self._lock:
            self._discard()
