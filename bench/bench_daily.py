"""A 3-topic, 60-paper day against the fakes: streaming mode vs --batch, and the rerun.

For each mode it reports the model requests made (streaming calls; batch requests and the
one batch job), the wall time against the rate limit's lower bound for the same number of
streaming calls (``ceil(calls / limit - 1) x window``: the fake allows ``--limit`` calls per
``--window`` seconds), and the model calls of a rerun of the same day (goal: 0). Each reply
takes ``--latency`` seconds; the fake's batch job runs pending -> running -> succeeded, one
state per poll (the poll interval is shortened to 0.2 s).

    .venv/bin/python bench/bench_daily.py [--per-topic 20 --limit 10 --window 2]
"""

from __future__ import annotations

import argparse
import math
import os
import tempfile
import time
from datetime import date
from pathlib import Path

from _common import fake_gemini_env

from chatpaper.cache import ResultsCache
from chatpaper.daily import run_daily
from chatpaper.topics import Topic
from tests.fakes.arxiv_server import FakeArxiv
from tests.fakes.stage_replies import gemini_stage_reply

DAY = date(2024, 2, 5)
TOPICS = [
    ("Diffusion Models", "diffusion", "cs.CV"),
    ("Graph Learning", "graph", "cs.LG"),
    ("Speech", "speech", "cs.SD"),
]


def add_day(arxiv: FakeArxiv, per_topic: int) -> None:
    for t, (_, word, category) in enumerate(TOPICS):
        for n in range(per_topic):
            arxiv.add_paper(
                f"2402.{t + 1}{n:04d}",
                title=f"{word.title()} study number {n}",
                abstract=f"We study {word} with method {n}. Our {word} method improves results "
                "on three benchmarks. Ablations show what matters.",
                published=f"2024-02-05T{(n % 23):02d}:00:00Z",
                categories=[category],
            )


def run_mode(arxiv: FakeArxiv, topics: list[Topic], batch: bool, args) -> dict:
    options = {
        "requests_per_minute": args.limit,
        "rate_window": args.window,
        "time_to_first_token": args.latency,
    }
    with fake_gemini_env(reply_generator=gemini_stage_reply, **options) as gemini:
        settings = arxiv.settings(
            cache_dir=Path(tempfile.mkdtemp(prefix="bench-daily-cache-")),
            max_retries=50,
            max_retry_wait=args.window + 2,
            batch_poll_seconds=0.2,
        )
        out = Path(tempfile.mkdtemp(prefix="bench-daily-site-"))
        cache = ResultsCache(settings.cache_dir)
        started = time.monotonic()
        report = run_daily(
            topics, settings=settings, day=DAY, out_dir=out, cache=cache, batch=batch
        )
        wall = time.monotonic() - started
        calls = sum(1 for r in gemini.generate_requests if r.status == 200)
        attempts = len(gemini.generate_requests)  # with the ones the rate limit turned away
        batch_requests = len(gemini.batch_requests)
        jobs = [k for k, _ in gemini.batch_log].count("create")
        polls = [k for k, _ in gemini.batch_log].count("get")
        run_daily(topics, settings=settings, day=DAY, out_dir=out, cache=cache, batch=batch)
        rerun_calls = (
            len(gemini.generate_requests) - attempts + len(gemini.batch_requests) - batch_requests
        )
    return {
        "wall": wall,
        "calls": calls,
        "attempts": attempts,
        "batch_requests": batch_requests,
        "jobs": jobs,
        "polls": polls,
        "posts": len(report.written),
        "rerun_calls": rerun_calls,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--per-topic", type=int, default=20)
    parser.add_argument("--limit", type=int, default=10, help="calls allowed per window")
    parser.add_argument("--window", type=float, default=2.0, help="the rate limit's 'minute'")
    parser.add_argument("--latency", type=float, default=0.2)
    args = parser.parse_args()
    topics = [
        Topic(name=name, query=word, categories=(cat,), max=args.per_topic)
        for name, word, cat in TOPICS
    ]
    os.environ.pop("CHATPAPER_CACHE_URL", None)
    with FakeArxiv() as arxiv:
        add_day(arxiv, args.per_topic)
        stream = run_mode(arxiv, topics, False, args)
        batch = run_mode(arxiv, topics, True, args)
    papers = args.per_topic * len(TOPICS)
    bound = max(0, math.ceil(stream["calls"] / args.limit - 1)) * args.window
    print(f"{len(TOPICS)} topics, {papers} papers, limit {args.limit} calls / {args.window} s")
    for name, r in (("streaming", stream), ("batch", batch)):
        print(
            f"{name:9} posts {r['posts']}  streaming calls {r['calls']:3} ({r['attempts']} sent)  batch "
            f"requests {r['batch_requests']:3} in {r['jobs']} job(s), {r['polls']} polls  wall "
            f"{r['wall']:.2f} s  ({r['wall'] / bound:.2f}x the {bound:.1f} s lower bound of "
            f"{stream['calls']} streaming calls)  rerun model calls {r['rerun_calls']}"
        )


if __name__ == "__main__":
    main()
