"""Helpers shared by the benchmarks: repo on sys.path, timing, a fake Gemini in-process."""

from __future__ import annotations

import os
import socket
import statistics
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED_PAPERS = REPO.parent / "shared" / "papers"
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))


def median_time(fn, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


@contextmanager
def fake_gemini_env(**options):
    """A FakeGemini on 127.0.0.1 with the real SDK pointed at it (env vars restored after)."""
    from tests.fakes.gemini_server import FakeGemini

    saved = {
        k: os.environ.get(k) for k in ("GOOGLE_GEMINI_BASE_URL", "GEMINI_API_KEY", "GOOGLE_API_KEY")
    }
    with FakeGemini(**options) as server:
        os.environ["GOOGLE_GEMINI_BASE_URL"] = server.base_url
        os.environ["GEMINI_API_KEY"] = "bench-key"
        os.environ.pop("GOOGLE_API_KEY", None)
        try:
            yield server
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_app(env: dict[str, str], port: int, repo: Path = REPO) -> subprocess.Popen:
    """``python app.py`` of ``repo`` as its own process, once its port answers."""
    process = subprocess.Popen(
        [sys.executable, "app.py"],
        cwd=repo,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return process
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit("app.py did not start")
