"""The digest as a daily service: topics file -> posts, feed and index; the Gemini Batch API;
the shared cache. Against the fake arXiv (date-range search) and the fake Gemini (batch
endpoints), both real HTTP servers that the real clients talk to."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from datetime import date
from pathlib import Path

import pytest

from chatpaper.__main__ import main
from chatpaper.digest import DateWindow, range_query
from chatpaper.paper import PaperMeta
from chatpaper.rank import rank_papers
from chatpaper.topics import parse_topics
from tests.fakes.arxiv_server import FakeArxiv
from tests.fakes.gemini_server import serve_fake_gemini
from tests.fakes.stage_replies import gemini_stage_reply

ATOM = "{http://www.w3.org/2005/Atom}"
DAY = "2024-02-05"

TOPICS = """
[[topic]]
name = "Diffusion Models"
query = "diffusion"
categories = ["cs.CV"]
exclude = ["survey"]
authors = ["Grace Hopper"]
max = 4

[[topic]]
name = "Graph Learning"
query = "graph"
categories = ["cs.LG", "cs.CV"]
max = 3
"""


def abstract(words: str) -> str:
    return (
        f"We study {words} in depth and propose a simple method for it. "
        f"Experiments on three benchmarks show that our {words} approach improves results. "
        "Ablations show which parts of the method matter most for the final quality."
    )


PAPERS = [  # id, title, published, categories, authors
    ("2402.05001", "Fast Diffusion Sampling", "2024-02-05T09:00:00Z", ["cs.CV"], ["Ann Lee"]),
    ("2402.05002", "Diffusion for Video Diffusion", "2024-02-05T10:00:00Z", ["cs.CV"], ["Bo Li"]),
    (
        "2402.05003",
        "Diffusion Priors for Graph Generation",
        "2024-02-05T11:00:00Z",
        ["cs.CV"],
        ["Cy Wu"],
    ),
    (
        "2402.05004",
        "Noise Schedules for Diffusion",
        "2024-02-05T12:00:00Z",
        ["cs.CV"],
        ["Grace Hopper"],
    ),
    ("2402.05005", "A Survey of Diffusion", "2024-02-05T13:00:00Z", ["cs.CV"], ["Di Ng"]),
    ("2402.05006", "Graph Neural Operators", "2024-02-05T14:00:00Z", ["cs.LG"], ["Ed Po"]),
    ("2402.04001", "Yesterday's Diffusion", "2024-02-04T14:00:00Z", ["cs.CV"], ["Fa Qi"]),
]


@pytest.fixture
def arxiv(monkeypatch, tmp_path):
    with FakeArxiv() as server:
        for arxiv_id, title, published, categories, authors in PAPERS:
            server.add_paper(
                arxiv_id,
                title=title,
                abstract=abstract(title.lower()),
                published=published,
                categories=categories,
                authors=authors,
            )
        monkeypatch.setenv("CHATPAPER_ARXIV_API_URL", server.api_url)
        monkeypatch.setenv("CHATPAPER_ARXIV_PDF_URL", server.pdf_url)
        monkeypatch.setenv("CHATPAPER_ARXIV_INTERVAL", "0")
        monkeypatch.setenv("CHATPAPER_CACHE_DIR", str(tmp_path / "cache"))
        monkeypatch.setenv("CHATPAPER_BATCH_POLL", "0.01")
        yield server


@pytest.fixture
def gemini(monkeypatch):
    yield from serve_fake_gemini(monkeypatch, reply_generator=gemini_stage_reply)


@pytest.fixture
def config(tmp_path) -> Path:
    path = tmp_path / "digest.toml"
    path.write_text(TOPICS, encoding="utf-8")
    return path


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def titles(post: str) -> list[str]:
    return [line[3:] for line in post.splitlines() if line.startswith("## ")]


# --- pure parts ---------------------------------------------------------------------------
def test_the_range_query_names_the_day_in_gmt_and_any_of_the_categories():
    query = range_query(
        "diffusion", ["cs.CV", "cs.LG"], DateWindow(date(2024, 2, 5), date(2024, 2, 5))
    )
    assert query == (
        '(ti:"diffusion" OR abs:"diffusion") AND (cat:cs.CV OR cat:cs.LG) '
        "AND submittedDate:[202402050000 TO 202402052359]"
    )


def meta(arxiv_id: str, title: str, authors=("X Y",)) -> PaperMeta:
    return PaperMeta(
        title=title, abstract=abstract(title.lower()), arxiv_id=arxiv_id, authors=list(authors)
    )


def test_ranking_puts_the_most_relevant_first_applies_must_and_exclude_and_favours_authors():
    papers = [
        meta("1", "Graphs and trees"),
        meta("2", "Diffusion diffusion diffusion sampling"),
        meta("3", "Diffusion for sampling"),
        meta("4", "A survey of diffusion"),
        meta("5", "Diffusion once", authors=("Grace Hopper",)),
    ]
    ranked = [m.arxiv_id for m in rank_papers(papers, "diffusion", exclude=["survey"])]
    assert ranked[0] == "2" and "4" not in ranked  # most mentions first; the survey dropped
    assert ranked[-1] == "1"  # no query word: last
    ranked = rank_papers(papers, "diffusion", must=["sampling"], authors=["grace hopper"])
    assert [m.arxiv_id for m in ranked] == ["2", "3"]  # "must" keeps only the sampling papers
    ranked = rank_papers(papers, "diffusion", authors=["Grace Hopper"])
    assert ranked[0].arxiv_id == "5"


def test_a_topics_file_mistake_is_one_sentence_naming_the_topic_and_field():
    with pytest.raises(Exception, match="topic 1: 'max' must be"):
        parse_topics('[[topic]]\nname = "A"\nmax = 0\n')
    with pytest.raises(Exception, match="no \\[\\[topic\\]\\] table"):
        parse_topics('name = "A"\n')


# --- a whole day --------------------------------------------------------------------------
def test_two_topics_in_one_batch_give_two_posts_a_feed_and_an_index_and_a_rerun_calls_nothing(
    arxiv, gemini, config, tmp_path, capsys
):
    gemini.batch_fail_keys = {0}  # one request fails inside the batch: retried as a normal call
    site = tmp_path / "site"
    args = ["digest", "--config", str(config), "--date", DAY, "--out-dir", str(site), "--batch"]
    assert main(args) == 0
    err = capsys.readouterr().err
    assert "pending" in err and "running" in err and "succeeded" in err  # progress on stderr

    posts = sorted((site / "posts").glob("*.md"))
    assert [p.name for p in posts] == [f"{DAY}-diffusion-models.md", f"{DAY}-graph-learning.md"]
    diffusion = posts[0].read_text(encoding="utf-8")
    assert diffusion.startswith("---\ntitle: Diffusion Models\ndate: 2024-02-05\n")
    # favoured author first, then BM25; the survey excluded, yesterday's paper not in the day
    assert titles(diffusion)[0] == "Noise Schedules for Diffusion"
    assert "A Survey of Diffusion" not in diffusion and "Yesterday" not in diffusion
    graphs = posts[1].read_text(encoding="utf-8")
    assert (
        "Diffusion Priors for Graph Generation" in graphs
        and "Diffusion Priors for Graph Generation" in diffusion
    )
    for post in (diffusion, graphs):
        assert "**Summary**" in post and "Key Takeaways" in post
    assert main(["check", str(posts[0])]) == 0

    # one job; each unique paper asked once (the shared one too); the failed one streamed
    assert [kind for kind, _ in gemini.batch_log].count("create") == 1
    unique = {"2402.05001", "2402.05002", "2402.05003", "2402.05004", "2402.05006"}
    assert len(gemini.batch_requests) == len(unique) - 1
    assert len(gemini.generate_requests) == 1

    feed = ET.parse(site / "feed.xml").getroot()
    entries = feed.findall(f"{ATOM}entry")
    assert len(entries) == 2
    ids = [e.findtext(f"{ATOM}id") for e in entries]
    assert len(set(ids)) == 2 and all(i.startswith("urn:uuid:") for i in ids)
    index = (site / "index.html").read_text(encoding="utf-8")
    assert f'href="posts/{DAY}-diffusion-models.md"' in index
    assert f'href="posts/{DAY}-graph-learning.md"' in index

    before = snapshot(site)
    calls = len(gemini.requests)
    assert main(args) == 0
    assert len(gemini.requests) == calls  # no model call, no batch call
    assert snapshot(site) == before  # nothing that was written changed


def test_a_run_killed_while_its_batch_is_pending_resumes_the_same_job(
    arxiv, gemini, config, tmp_path
):
    gemini.batch_states = ("BATCH_STATE_PENDING",) * 10_000  # never finishes
    gemini.batch_results_as_file = True  # the results come back as a JSONL file
    site = tmp_path / "site"
    args = ["digest", "--config", str(config), "--date", DAY, "--out-dir", str(site), "--batch"]
    env = {**os.environ, "CHATPAPER_BATCH_POLL": "0.05"}
    process = subprocess.Popen(
        [sys.executable, "-m", "chatpaper", *args],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while not list(site.glob(".batch-*.json")) and time.monotonic() < deadline:
            time.sleep(0.05)
        while [k for k, _ in gemini.batch_log].count("get") < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        process.kill()
        process.wait()
    assert not (site / "posts").exists()  # nothing written while pending

    gemini.batch_states = ("BATCH_STATE_PENDING", "BATCH_STATE_RUNNING", "BATCH_STATE_SUCCEEDED")
    assert main(args) == 0
    assert [kind for kind, _ in gemini.batch_log].count("create") == 1  # resumed, not resent
    assert len(list((site / "posts").glob("*.md"))) == 2
    assert gemini.generate_requests == []  # every answer came from the job's result file


def test_a_memory_cache_is_shared_by_two_runs(arxiv, gemini, config, tmp_path, monkeypatch):
    monkeypatch.setenv("CHATPAPER_CACHE_URL", f"memory://chatpaper-{tmp_path.name}")
    first = ["digest", "--config", str(config), "--date", DAY, "--out-dir", str(tmp_path / "a")]
    assert main(first) == 0
    calls = len(gemini.generate_requests)
    assert calls == 5  # streaming mode: one tldr per unique paper
    second = [*first[:-1], str(tmp_path / "b")]  # another replica: no posts of its own yet
    assert main(second) == 0
    assert len(gemini.generate_requests) == calls
    assert not (tmp_path / "cache").exists()  # the disk cache was not used
    a, b = (sorted((tmp_path / d / "posts").glob("*.md")) for d in ("a", "b"))
    assert [p.read_text() for p in a] == [p.read_text() for p in b]


def test_requests_over_the_inline_limit_go_as_a_jsonl_file_and_come_back_as_one(gemini, tmp_path):
    from google import genai
    from google.genai import types

    from chatpaper.llm.base import StageRequest
    from chatpaper.llm.gemini_batch import GeminiBatch, JobState, request_key

    gemini.batch_fail_keys = {1}
    client = genai.Client(http_options=types.HttpOptions(api_version="v1beta"))
    requests = {
        request_key(r, "gemini-flash-latest"): r
        for r in (
            StageRequest("tldr", "system", f"Task: write the tldr of paper {n}.") for n in range(3)
        )
    }
    batch = GeminiBatch(client, "gemini-flash-latest", poll_seconds=0.01, inline_limit=1)
    answers = batch.run(requests, JobState(tmp_path / "job.json"))

    assert [kind for kind, _ in gemini.batch_log][:2] == ["upload", "create"]
    assert set(answers) == set(requests)
    failed = [key for key, answer in answers.items() if answer.text is None]
    assert len(failed) == 1 and answers[failed[0]].error
    assert all(a.text for k, a in answers.items() if k not in failed)
    assert not (tmp_path / "job.json").exists()  # done: nothing left to resume
