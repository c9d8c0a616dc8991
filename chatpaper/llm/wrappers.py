"""Backends that wrap another backend: same capabilities (``base.BackendWrapper`` forwards
every one the protocol declares), one behaviour added."""

from __future__ import annotations

import threading
from collections.abc import Iterator

from .base import Backend, BackendWrapper, Piece, StageRequest


class LimitedBackend(BackendWrapper):
    """At most N calls in flight through this backend, however many callers share it (a
    digest's papers each run their own stages concurrently)."""

    def __init__(self, inner: Backend, limit: int):
        super().__init__(inner)
        self._slots = threading.BoundedSemaphore(max(1, limit))
        self.calls = 0  # model calls made through it (what a run reports)

    def stream(self, request: StageRequest) -> Iterator[Piece]:
        with self._slots:
            self.calls += 1
            yield from self.inner.stream(request)

