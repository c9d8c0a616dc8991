"""Digest progress as a researcher reads it: "3 of 10 papers done in 42 s · writing: A; B".

Issue 12, item 15: with four papers written at once, the old lines counted a paper's place in
the post ("[4/10]" -> "[3/10]" -> "[8/10]"), named one paper by an internal stage name
("tldr…"), and the Digest tab had no way to ignore the results cache. These tests run the real
digest against the fake arXiv and the fake Gemini (real HTTP, the real SDK) with answers that
take different times, so papers finish out of order.
"""

from __future__ import annotations

import re
import time
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path

import pytest

from chatpaper.__main__ import main
from chatpaper.cache import ResultsCache
from chatpaper.digest import DigestProgress, run_digest
from chatpaper.digest_progress import (
    DigestCount,
    format_elapsed,
    format_finished,
    format_progress,
    short_title,
)
from chatpaper.i18n import get_language
from tests.fakes.gemini_server import FakeGemini, permission_denied, serve_fake_gemini
from tests.fakes.stage_replies import gemini_stage_reply, title_of

NOW = datetime(2024, 2, 5, 20, 0, tzinfo=timezone.utc)
EN, ZH = get_language("en"), get_language("zh")
TOTAL = 8
# Answer times per paper: the first papers to start are not the first to finish.
DELAYS = [0.45, 0.05, 0.3, 0.1, 0.4, 0.05, 0.2, 0.1]
PROGRESS_LINE = re.compile(r"^(\d+) of (\d+) papers done( \((\d+) failed\))? in \d+ s")


def title(i: int) -> str:
    return f"Sampler {i}: Diffusion Sampling Study Number {i}"


def add_papers(arxiv, count: int = TOTAL) -> None:
    for i in range(count):
        arxiv.add_paper(
            f"2402.050{i:02d}",
            title=title(i),
            abstract=(
                f"Diffusion models for case {i} generate samples by reversing a noising process. "
                f"We propose a sampler for case {i} that needs only four steps at equal quality. "
                f"On the standard benchmark the method for case {i} improves FID by 2.1 points."
            ),
            published=f"2024-02-05T{10 + i:02d}:00:00Z",
            categories=["cs.CV"],
        )


def varied_delays(request):
    """Well-formed stage answers, each paper's after its own delay."""
    number = int(re.search(r"Number (\d+)", title_of(request.prompt)).group(1))
    return replace(gemini_stage_reply(request), time_to_first_token=DELAYS[number])


@pytest.fixture
def gemini(monkeypatch):
    yield from serve_fake_gemini(monkeypatch, reply_generator=varied_delays)


def settings_for(arxiv, tmp_path: Path):
    return arxiv.settings(cache_dir=tmp_path / "cache", max_retry_wait=2.0)


def digest(settings, **kw):
    options = dict(days=3, engine="gemini", now=NOW, concurrency=4)
    options.update(kw)
    return run_digest("diffusion", settings=settings, **options)


def counts(events: list[DigestProgress]) -> list[DigestCount]:
    return [e.count for e in events if e.kind == "progress" and e.count is not None]


# --- the pure line --------------------------------------------------------------------------
def test_the_line_counts_papers_done_and_names_those_being_written():
    count = DigestCount(3, 10, ("ViCA-NeRF", "Sampler 4"), failed=1, elapsed=42.7)
    assert format_progress(count, EN) == (
        "3 of 10 papers done (1 failed) in 42 s · writing: ViCA-NeRF; Sampler 4"
    )
    assert format_progress(count, ZH) == (
        "已完成 3/10 篇（1 篇失败），用时 42 秒 · 正在撰写：ViCA-NeRF；Sampler 4"
    )
    many = DigestCount(0, 10, tuple(f"P{i}" for i in range(7)), elapsed=125)
    assert format_progress(many, EN) == (
        "0 of 10 papers done in 2 min 05 s · writing: P0; P1; P2; P3 +3 more"
    )
    assert format_progress(DigestCount(10, 10, elapsed=3), EN) == "10 of 10 papers done in 3 s"
    assert format_finished(DigestCount(10, 10, failed=1, elapsed=3), 2, EN) == (
        "Digest ready: 10 papers in 3 s (1 failed); 2 with a problem noted in its entry."
    )
    assert format_elapsed(3725, EN) == "1 h 02 min"


def test_a_short_title_is_the_name_before_the_colon_or_the_start_cut_at_a_word():
    assert short_title("ViCA-NeRF: View-Consistency-Aware 3D Editing of NeRFs") == "ViCA-NeRF"
    long = "Learning to Sample Faster with Adaptive Step Schedules for Latent Diffusion Models"
    assert short_title(long) == "Learning to Sample Faster with Adaptive…"
    assert len(short_title(long)) <= 40
    sentence = "What Six Words Before a Colon Say: not a name, so the start is kept"
    assert short_title(sentence) == "What Six Words Before a Colon Say: not…"
    assert short_title("  ", fallback="2402.00864") == "2402.00864"
    assert len(short_title("A" * 100_000)) <= 40  # hostile input stays one short line


# --- the whole run --------------------------------------------------------------------------
def test_four_papers_at_once_the_count_only_grows_names_them_and_ends_once_at_n_of_n(
    arxiv, gemini: FakeGemini, tmp_path
):
    add_papers(arxiv)
    gemini.enqueue(permission_denied(), match="Title: Sampler 5:")
    began = time.monotonic()

    events = list(digest(settings_for(arxiv, tmp_path)))

    wall = time.monotonic() - began
    seen = counts(events)
    done = [c.done for c in seen]
    assert done == sorted(done), "papers done must never go down"
    assert done[-1] == TOTAL
    lines = [e.message for e in events if e.kind == "progress"]
    assert sum(line.startswith(f"{TOTAL} of {TOTAL} ") for line in lines) == 1
    assert all(PROGRESS_LINE.match(line) for line in lines)
    # four in flight at once, each named by its short title, never more than the bound
    assert max(len(c.in_flight) for c in seen) == 4
    assert all(len(c.in_flight) <= 4 for c in seen)
    assert any(
        re.search(r"writing: Sampler \d; Sampler \d; Sampler \d; Sampler \d$", line)
        for line in lines
    )
    # papers finish out of order (the delays differ), yet the count never jumps back
    finish_order = [int(e.message.split(":")[0].split()[1]) for e in events if e.kind == "paper"]
    assert finish_order != sorted(finish_order, reverse=True)
    assert finish_order != list(range(TOTAL))
    # the failure counts as done, with a note, and is named in words
    assert seen[-1].failed == 1 and "(1 failed)" in lines[-1]
    assert any(
        e.kind == "warning" and e.message.startswith("Sampler 5: the summary failed: ")
        for e in events
    )
    # true elapsed time since the digest began, and the clock never runs backwards
    elapsed = [c.elapsed for c in seen]
    assert elapsed == sorted(elapsed)
    assert max(DELAYS) <= events[-1].count.elapsed <= wall
    assert events[-1].kind == "done"
    assert events[-1].message.startswith(f"Digest ready: {TOTAL} papers in ")
    shown = [e.message for e in events if e.kind not in ("stage", "paper", "entry")]
    assert not any("tldr" in line or re.search(r"\[\d+/\d+\]", line) for line in shown)


def test_the_heartbeat_keeps_the_clock_running_while_every_paper_waits(
    arxiv, gemini: FakeGemini, tmp_path
):
    add_papers(arxiv, 1)
    gemini.time_to_first_token = 0.8
    gemini.reply_generator = gemini_stage_reply  # the one paper waits 0.8 s

    events = list(digest(settings_for(arxiv, tmp_path), heartbeat=0.2))

    waiting = [c for c in counts(events) if c.done == 0 and c.in_flight == ("Sampler 0",)]
    assert len(waiting) >= 3  # the same count, shown again as time passes
    assert waiting[-1].elapsed - waiting[0].elapsed >= 0.4


def test_a_chinese_digest_says_its_progress_in_chinese_on_stderr(arxiv_env, capsys):
    add_papers(arxiv_env, 3)

    code = main(
        [
            "digest",
            "diffusion",
            "--date",
            "2024-02-05",
            "--lang",
            "zh",
            "--engine",
            "offline",
            "--max",
            "3",
        ]
    )

    assert code == 0
    err = capsys.readouterr().err.splitlines()
    progress = [line for line in err if line.startswith("已完成 ")]
    assert progress[0].startswith("已完成 0/3 篇，用时 ")
    assert sum(line.startswith("已完成 3/3 篇") for line in progress) == 1
    assert any("正在撰写：Sampler" in line for line in progress)
    assert err[-1].startswith("摘要合集已完成：共 3 篇，用时 ")
    assert not any("tldr" in line for line in err)


# --- the app's Digest tab -------------------------------------------------------------------
def statuses_of(handler, *args) -> list[str]:
    return [status for status, _, _ in handler(*args)]


def test_the_tab_streams_the_same_progress_lines_and_a_fresh_run_asks_the_model_again(
    arxiv, gemini: FakeGemini, tmp_path
):
    pytest.importorskip("gradio")
    from chatpaper.ui import make_digest_handler

    add_papers(arxiv, 4)
    settings = settings_for(arxiv, tmp_path)
    handler = make_digest_handler(settings, ResultsCache(settings.cache_dir))
    form = ("diffusion", "", "2024-02-05", 4, "en", "gemini", "")

    first = statuses_of(handler, *form, False, False)
    asked = len(gemini.generate_requests)
    again = statuses_of(handler, *form, False, False)
    cached = len(gemini.generate_requests) - asked
    gemini.enqueue(permission_denied(), match="Title: Sampler 2:")
    fresh = statuses_of(handler, *form, False, True)
    refreshed = len(gemini.generate_requests) - asked - cached

    assert asked == 4 and cached == 0  # the second run came from the results cache
    assert refreshed == 4  # "Fresh run" asked the model again for every paper
    for run in (first, again, fresh):
        lines = [s.split("\n\n")[0] for s in run]
        progress = [line for line in lines if PROGRESS_LINE.match(line)]
        done = [int(PROGRESS_LINE.match(line).group(1)) for line in progress]
        assert done == sorted(done) and done[-1] == 4
        assert run[-1].startswith("Digest ready: 4 papers in ")
    assert any(" · writing: Sampler " in s for s in first + fresh)
    # the failure shows under the count, in words, and stays there to the end
    assert "(1 failed)" in fresh[-1]
    assert fresh[-1].split("\n\n")[1].startswith("Sampler 2: the summary failed: ")


def test_a_title_that_looks_like_markup_shows_as_text_in_the_tab(arxiv, tmp_path):
    pytest.importorskip("gradio")
    from chatpaper.ui import make_digest_handler

    arxiv.add_paper(
        "2402.05001",
        title="<b>Bold</b> Claims Need Evidence",
        abstract="We show that bold claims need evidence. Evidence comes from experiments here.",
        published="2024-02-05T10:00:00Z",
    )
    handler = make_digest_handler(settings_for(arxiv, tmp_path), None)

    statuses = statuses_of(handler, "claims", "", "2024-02-05", 1, "en", "offline", "", False)

    assert any("writing: &lt;b&gt;Bold&lt;/b&gt; Claims Need Evidence" in s for s in statuses)
    assert not any("<b>" in s for s in statuses)
