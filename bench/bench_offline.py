"""The offline engine's cost next to reading the PDF, on every paper in ../shared/papers.

For each paper: the time to read it (pypdf in the worker pool, clean-up, sections), then the
time to write all four stages with the offline engine (a fresh backend each run, so the
sentence split is paid every time), and their ratio. The engine should add a small fraction
of the reading time: well under a second per paper.

    .venv/bin/python bench/bench_offline.py
"""

from __future__ import annotations

import time

from _common import SHARED_PAPERS, median_time

from chatpaper.config import Settings
from chatpaper.llm.base import StageRequest
from chatpaper.llm.offline import STAGES, OfflineBackend
from chatpaper.reader import read_pdf_bytes


def all_stages(paper) -> None:
    backend = OfflineBackend(Settings())
    for stage in STAGES:
        request = StageRequest(stage=stage, system="", prompt="", paper=paper)
        for _ in backend.stream(request):
            pass


def main() -> None:
    if not SHARED_PAPERS.is_dir():
        raise SystemExit(f"no papers at {SHARED_PAPERS}")
    settings = Settings()
    files = sorted(SHARED_PAPERS.glob("*.pdf"))
    # Warm the PDF worker pool on altered bytes (trailing comment: another cache key), so the
    # timed reads below are each paper's first read without the pool's start-up.
    read_pdf_bytes(files[0].read_bytes() + b"\n%warm-up\n", source="warm-up", settings=settings)
    print(f"{'paper':26} {'pages':>5} {'read ms':>8} {'offline ms':>10} {'ratio':>6}")
    ratios, offline_times = [], []
    for path in files:
        data = path.read_bytes()
        start = time.perf_counter()
        paper = read_pdf_bytes(data, source=path.name, settings=settings)
        read = time.perf_counter() - start
        offline = median_time(lambda paper=paper: all_stages(paper), repeat=3)
        ratios.append(offline / read)
        offline_times.append(offline)
        print(
            f"{path.name:26} {len(paper.pages):5d} {read * 1000:8.0f} {offline * 1000:10.0f} "
            f"{offline / read:6.2f}"
        )
    print(
        f"offline / read: median {sorted(ratios)[len(ratios) // 2]:.2f}, max {max(ratios):.2f}; "
        f"offline ms: max {max(offline_times) * 1000:.0f}"
    )


if __name__ == "__main__":
    main()
