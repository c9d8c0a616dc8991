"""Backends that wrap another backend: same capabilities, one behaviour added.

A wrapper forwards every attribute it does not define itself (name, model, context size and
any capability the protocol declares: extractive, needs a key, ...), so code that reads a
capability sees the wrapped backend's answer. No wrapper lists capabilities one by one:
a capability added to the protocol later is forwarded too.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

from .base import Backend, Piece, StageRequest


class BackendWrapper:
    """Forwards everything to ``inner``; subclasses override ``stream``."""

    def __init__(self, inner: Backend):
        self.inner = inner

    def __getattr__(self, attribute: str) -> Any:
        # Only called for attributes this object lacks: every capability comes from inner.
        if attribute == "inner":  # not set yet (copy/pickle): never recurse
            raise AttributeError(attribute)
        return getattr(self.inner, attribute)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.inner!r})"

    def stream(self, request: StageRequest) -> Iterator[Piece]:
        return self.inner.stream(request)


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


def is_extractive(backend: Backend) -> bool:
    """Whether the backend quotes the paper instead of writing (the offline engine).

    Read from the backend's declared capability, never from its name.
    """
    return bool(getattr(backend, "extractive", False))  # until the protocol declares it
