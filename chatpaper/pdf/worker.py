"""Bounded worker processes: run PDF work on someone else's file without risking this process.

A crafted or damaged PDF can make a parser loop or allocate without bound, and heuristics over
its text can be slow on adversarial input. So every piece of PDF work whose cost grows with the
file runs here: in a separate process with a memory cap (``RLIMIT_AS``) and a wall-clock
deadline; a worker that overruns is killed. Being another process, it never holds this one's
GIL, so one visitor's upload cannot stall another visitor's request.

Workers are plain ``python -c`` subprocesses (not multiprocessing's fork or spawn, which would
re-import the caller's ``__main__``, e.g. the Gradio app) and stay warm between files, so the
cost per file is a pipe round trip, not an interpreter start. A job is a module-level function
and its arguments, pickled by reference: the worker imports the function by name.
"""

from __future__ import annotations

import atexit
import contextlib
import math
import os
import pickle
import selectors
import signal
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .. import errors
from ..errors import ChatPaperError, PdfError

MEMORY_LIMIT_MB = 2048  # address-space cap of one worker; a PDF needing more is refused
MAX_WORKERS = max(2, min(4, os.cpu_count() or 2))  # files read at the same time
MAX_IDLE_WORKERS = 2  # warm workers kept between files
JOBS_PER_WORKER = 200  # a worker is replaced after this many files (bounds fragmentation)

_BROKEN = (
    "This PDF is damaged or incomplete and cannot be read; download it again or export a "
    "fresh copy."
)
_TOO_MUCH_MEMORY = (
    "Reading this PDF needed more than {mb} MB of memory, so it was stopped; "
    "try another copy of the paper."
)
_TOO_COMPLEX = (
    "This PDF is nested too deeply to read (its structure is far more complex than a paper's); "
    "export a fresh copy of the paper or upload another one."
)
_CRASHED = "The PDF reader stopped unexpectedly on this file; try another copy of the paper."


def _too_slow(timeout: float) -> str:
    return (
        f"Reading this PDF took longer than {timeout:g} s, so it was stopped; try another copy "
        "or raise CHATPAPER_PDF_TIMEOUT."
    )


_HEADER = struct.Struct("!Q")
# ("ok", result, retire) or ("error", (error class name, message), retire): after "retire"
# (a MemoryError) the worker exits, so the parent must not reuse it.
_Answer = tuple[str, Any, bool]
Job = tuple[Callable[..., Any], tuple[Any, ...], dict[str, Any]]


# --- the child ----------------------------------------------------------------------------


def serve() -> None:
    """Serve jobs over stdin/stdout until stdin closes. Runs in the child."""
    requests_in = sys.stdin.buffer
    answers_out = sys.stdout.buffer
    sys.stdout = sys.stderr  # nothing but framed answers may reach the real stdout
    memory_mb = int(sys.argv[1]) if len(sys.argv) > 1 else MEMORY_LIMIT_MB
    try:
        import resource

        limit = memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    except (ImportError, ValueError, OSError):
        pass  # not on this platform: the deadline still bounds the work
    import pypdf  # noqa: F401  (warm the import before the first file arrives)

    while True:
        header = requests_in.read(_HEADER.size)
        if len(header) < _HEADER.size:
            return
        (size,) = _HEADER.unpack(header)
        (func, args, kwargs), timeout = pickle.loads(requests_in.read(size))
        retire = False
        # If the parent dies mid-job nobody will kill us: a stuck job ends itself (SIGALRM's
        # default action terminates the process) a little after the parent's own deadline.
        _set_alarm(math.ceil(timeout) + 5)
        try:
            answer: _Answer = ("ok", func(*args, **kwargs), False)
        except ChatPaperError as err:
            answer = ("error", (type(err).__name__, err.message), False)
        except MemoryError:
            retire = True
            answer = ("error", ("PdfError", _TOO_MUCH_MEMORY.format(mb=memory_mb)), True)
        except RecursionError:
            answer = ("error", ("PdfError", _TOO_COMPLEX), False)
        except Exception:
            answer = ("error", ("PdfError", _BROKEN), False)
        _set_alarm(0)
        del args, kwargs
        try:
            payload = pickle.dumps(answer, protocol=pickle.HIGHEST_PROTOCOL)
        except MemoryError:
            retire = True
            answer = ("error", ("PdfError", _TOO_MUCH_MEMORY.format(mb=memory_mb)), True)
            payload = pickle.dumps(answer)
        answers_out.write(_HEADER.pack(len(payload)) + payload)
        answers_out.flush()
        if retire:
            return


def _set_alarm(seconds: int) -> None:
    alarm = getattr(signal, "alarm", None)
    if alarm is not None:
        alarm(seconds)


# --- the parent ---------------------------------------------------------------------------


class _WorkerGone(Exception):
    """The worker died or closed its pipe."""


class _WorkerTimeout(Exception):
    pass


class _Worker:
    """One warm child process running one job at a time."""

    def __init__(self, memory_mb: int):
        # The child imports exactly what this process would: our package root first, then
        # this process's own sys.path (virtualenv, user site, an unpacked checkout).
        paths = [str(Path(__file__).resolve().parents[2])] + [p for p in sys.path if p]
        code = (
            f"import sys; sys.path[:0] = {paths!r}; from chatpaper.pdf.worker import serve; serve()"
        )
        self.process = subprocess.Popen(
            [sys.executable, "-c", code, str(memory_mb)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            close_fds=True,
        )
        self.jobs = 0
        self.healthy = True

    def run(self, job: Job, timeout: float) -> _Answer:
        deadline = time.monotonic() + timeout
        request = pickle.dumps((job, timeout), protocol=pickle.HIGHEST_PROTOCOL)
        self.jobs += 1
        stdin, stdout = self.process.stdin, self.process.stdout
        assert stdin is not None and stdout is not None
        try:
            stdin.write(_HEADER.pack(len(request)) + request)
            stdin.flush()
        except (BrokenPipeError, OSError, ValueError) as err:
            self.healthy = False
            raise _WorkerGone from err
        header = self._read_exactly(_HEADER.size, deadline)
        (size,) = _HEADER.unpack(header)
        answer: _Answer = pickle.loads(self._read_exactly(size, deadline))
        if answer[2]:
            self.healthy = False
        return answer

    def _read_exactly(self, size: int, deadline: float) -> bytes:
        stdout = self.process.stdout
        assert stdout is not None
        fd = stdout.fileno()
        chunks: list[bytes] = []
        remaining = size
        with selectors.DefaultSelector() as selector:
            selector.register(fd, selectors.EVENT_READ)
            while remaining:
                left = deadline - time.monotonic()
                if left <= 0 or not selector.select(left):
                    self.healthy = False
                    raise _WorkerTimeout
                chunk = os.read(fd, min(remaining, 1 << 20))
                if not chunk:
                    self.healthy = False
                    raise _WorkerGone
                chunks.append(chunk)
                remaining -= len(chunk)
        return b"".join(chunks)

    def close(self) -> None:
        with contextlib.suppress(Exception):
            if self.process.stdin:
                self.process.stdin.close()
        with contextlib.suppress(Exception):
            self.process.wait(timeout=1)
        self.kill()

    def kill(self) -> None:
        if self.process.poll() is None:
            with contextlib.suppress(Exception):
                self.process.kill()
        with contextlib.suppress(Exception):
            self.process.wait(timeout=5)
        for pipe in (self.process.stdin, self.process.stdout):
            with contextlib.suppress(Exception):
                if pipe:
                    pipe.close()


class WorkerPool:
    """Hands each call its own worker: concurrent callers never share a process."""

    def __init__(self, max_workers: int, max_idle: int, memory_mb: int):
        self._slots = threading.BoundedSemaphore(max_workers)
        self._lock = threading.Lock()
        self._idle: list[_Worker] = []
        self._max_idle = max_idle
        self._memory_mb = memory_mb

    def _take(self) -> tuple[_Worker, bool]:
        with self._lock:
            while self._idle:
                worker = self._idle.pop()
                if worker.process.poll() is None:
                    return worker, True
                worker.kill()
        return _Worker(self._memory_mb), False

    def _give_back(self, worker: _Worker) -> None:
        if worker.healthy and worker.jobs < JOBS_PER_WORKER and worker.process.poll() is None:
            with self._lock:
                if len(self._idle) < self._max_idle:
                    self._idle.append(worker)
                    return
        worker.close()

    def run(self, job: Job, timeout: float) -> _Answer:
        with self._slots:
            worker, reused = self._take()
            try:
                try:
                    answer = worker.run(job, timeout)
                except _WorkerGone:
                    if not reused:
                        raise
                    # A warm worker may have died while idle (e.g. the OS reclaimed it): retry
                    # once on a fresh one before blaming the file.
                    worker.kill()
                    worker = _Worker(self._memory_mb)
                    answer = worker.run(job, timeout)
            except BaseException:
                worker.kill()
                raise
            self._give_back(worker)
            return answer

    def shutdown(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for worker in idle:
            worker.close()


_pool: WorkerPool | None = None
_pool_lock = threading.Lock()
_pool_pid = 0


def _get_pool() -> WorkerPool:
    global _pool, _pool_pid
    with _pool_lock:
        if _pool is None or _pool_pid != os.getpid():  # a forked child needs its own workers
            _pool = WorkerPool(MAX_WORKERS, MAX_IDLE_WORKERS, MEMORY_LIMIT_MB)
            _pool_pid = os.getpid()
            atexit.register(_pool.shutdown)
        return _pool


def shutdown_workers() -> None:
    """Stop the warm workers (they also stop by themselves when this process exits)."""
    with _pool_lock:
        pool = _pool
    if pool is not None:
        pool.shutdown()


def _error_class(name: str) -> type[ChatPaperError]:
    cls = getattr(errors, name, None)
    if isinstance(cls, type) and issubclass(cls, ChatPaperError):
        return cls
    return PdfError


def run_bounded(func: Callable[..., Any], *args: Any, timeout: float, **kwargs: Any) -> Any:
    """``func(*args, **kwargs)`` in a worker, within ``timeout`` s and the memory cap.

    ``func`` must be a module-level function (the worker imports it by name). Its
    ``ChatPaperError`` comes back as the same class and sentence; an overrun, a crash or any
    other failure is a ``PdfError`` with one sentence.
    """
    if os.name != "posix":  # pipes cannot be polled with a deadline here: run in-process
        return func(*args, **kwargs)
    try:
        status, value, _ = _get_pool().run((func, args, kwargs), max(timeout, 0.001))
    except _WorkerTimeout:
        raise PdfError(_too_slow(timeout)) from None
    except _WorkerGone:
        raise PdfError(_CRASHED) from None
    if status == "error":
        name, message = value
        raise _error_class(name)(message)
    return value
