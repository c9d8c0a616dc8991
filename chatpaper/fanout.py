"""Run one piece of work per item on a few threads and yield what they report, as it arrives.

The pipeline (one worker per stage) and the digest (one worker per paper) both need the same
thing: bounded concurrency, events in arrival order on the caller's thread, and a way to
stop every worker when the caller stops listening. This is that, once.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")
E = TypeVar("E")

_DONE = object()


def fan_out(
    items: Iterable[T],
    work: Callable[[T, Callable[[E], None], threading.Event], None],
    *,
    workers: int,
    name: str = "fanout",
    tick: Callable[[], E] | None = None,
    tick_every: float = 1.0,
) -> Iterator[E]:
    """Call ``work(item, emit, cancel)`` for every item, at most ``workers`` at a time, and
    yield each value a worker passes to ``emit``, in the order they arrive.

    ``work`` must not raise (it owns its error handling: a failure of one item is one of its
    events, never the end of the others). Closing the generator sets ``cancel``, which the
    workers check between steps, and drops the items that had not started. With ``tick``,
    a value it makes is yielded whenever ``tick_every`` seconds pass without news (a clock
    the caller can show while every worker waits on a slow call).
    """
    pending = list(items)
    if not pending:
        return
    out: queue.Queue = queue.Queue()
    cancel = threading.Event()

    def run(item: T) -> None:
        try:
            if not cancel.is_set():
                work(item, out.put, cancel)
        finally:
            out.put(_DONE)

    pool = ThreadPoolExecutor(
        max_workers=max(1, min(workers, len(pending))), thread_name_prefix=name
    )
    try:
        for item in pending:
            pool.submit(run, item)
        running = len(pending)
        while running:
            try:
                value = out.get(timeout=tick_every if tick is not None else None)
            except queue.Empty:
                assert tick is not None
                yield tick()
                continue
            if value is _DONE:
                running -= 1
                continue
            yield value
    finally:
        cancel.set()
        pool.shutdown(wait=False, cancel_futures=True)
