"""Ask the paper: how often the offline engine cites the key passage, and time to first text.

1. Retrieval, on ../shared/litqa (31 real questions on 30 papers, each with the paper's key
   passage): the share of questions whose key passage is among the offline engine's top 3
   citations, next to a plain baseline measured in the same run (BM25 over 3-sentence windows
   of pypdf text, question words as the query) and to the share whose key passage can be
   found in the extracted text at all. A citation "holds" the key passage when they share a
   run of 8 consecutive words (or the whole passage, if shorter). Each half of the questions
   is reported too: a choice made on one half (the weights in chatpaper/retrieval.py were
   chosen on questions 1, 3, 5, ...) is checked on the other.
2. Speed, with a fake Gemini that waits before its first token: the time from the question
   to the first answer text, once the paper is read, minus the fake's own delay.

    .venv/bin/python bench/bench_ask.py [--only-retrieval]
"""

from __future__ import annotations

import json
import re
import sys
import time
import unicodedata
from dataclasses import replace

from _common import REPO, fake_gemini_env

from chatpaper.config import Settings
from chatpaper.reader import read_pdf_bytes

LITQA = REPO.parent / "shared" / "litqa"
RUN = 8  # consecutive words a citation must share with the key passage


def words(text: str) -> list[str]:
    text = unicodedata.normalize("NFKC", text).lower()
    return re.findall(r"[a-z0-9]+", text)


def shares_run(key: str, text: str, run: int = RUN) -> bool:
    k, t = words(key), words(text)
    n = min(run, len(k))
    if n == 0:
        return False
    grams = {tuple(t[i : i + n]) for i in range(len(t) - n + 1)}
    return any(tuple(k[i : i + n]) in grams for i in range(len(k) - n + 1))


def baseline_top3(paper, question: str) -> list[str]:
    """Plain BM25 over 3-sentence windows of the raw text, question words as the query."""
    import bm25s

    text = " ".join(" ".join(p.text.split()) for p in paper.pages)
    sentences = re.split(r"(?<=[.!?])\s+", text)
    windows = [" ".join(sentences[i : i + 3]) for i in range(0, len(sentences), 3)]
    retriever = bm25s.BM25()
    retriever.index(bm25s.tokenize(windows, show_progress=False), show_progress=False)
    query = bm25s.tokenize([question], show_progress=False)
    ids, _ = retriever.retrieve(query, k=min(3, len(windows)), show_progress=False)
    return [windows[i] for i in ids[0].tolist()]


def offline_citations(paper, question: str) -> list[str]:
    from chatpaper.ask import ask_once

    result = ask_once(paper, question, engine="offline", settings=Settings())
    return [c.quote for c in result.citations][:3]


def retrieval() -> None:
    settings = replace(Settings(), max_figures=0)
    rows = [json.loads(line) for line in (LITQA / "questions.jsonl").read_text().splitlines()]
    papers: dict[str, object] = {}
    found = base = ours = 0
    ours_time = 0.0
    halves = [[0, 0], [0, 0]]  # [hits, questions] for the 1st, 3rd, ... and the 2nd, 4th, ...
    for position, row in enumerate(rows):
        name = row["pdf"]
        if name not in papers:
            data = (LITQA / "pdfs" / name).read_bytes()
            papers[name] = read_pdf_bytes(data, source=name, settings=settings)
        paper = papers[name]
        key = row["key-passage"]
        findable = shares_run(key, " ".join(p.text for p in paper.pages))
        hit_base = any(shares_run(key, w) for w in baseline_top3(paper, row["question"]))
        start = time.perf_counter()
        cited = offline_citations(paper, row["question"])
        ours_time += time.perf_counter() - start
        hit = any(shares_run(key, c) for c in cited)
        found, base, ours = found + findable, base + hit_base, ours + hit
        halves[position % 2][0] += hit
        halves[position % 2][1] += 1
        mark = "+" if hit else ("." if findable else " ")
        print(f"{mark} {row['question'][:90]}", flush=True)
    n = len(rows)
    print(f"\nquestions: {n}")
    print(f"key passage findable in the extracted text: {found}/{n} = {found / n:.0%}")
    print(f"baseline (BM25, 3-sentence windows) top 3:  {base}/{n} = {base / n:.0%}")
    print(f"offline engine top 3 citations:            {ours}/{n} = {ours / n:.0%}")
    print(f"  ratio to baseline: {ours / max(base, 1):.2f}x; of the findable: {ours / found:.0%}")
    (a, na), (b, nb) = halves
    print(f"  by half: questions 1, 3, 5, ... {a}/{na}; questions 2, 4, 6, ... {b}/{nb}")
    print(f"  answer time per question (index cached per paper): {ours_time / n * 1000:.0f} ms")


def first_text() -> None:
    from chatpaper.ask import ask
    from chatpaper.llm.base import create_backend
    from tests.fakes.gemini_server import text_reply

    paper_pdf = sorted((LITQA / "pdfs").glob("*.pdf"))[0]
    paper = read_pdf_bytes(paper_pdf.read_bytes(), source="bench", settings=Settings())
    delay = 0.4
    with fake_gemini_env(time_to_first_token=delay) as server:
        backend = create_backend("gemini", Settings())
        times = []
        for i in range(5):
            server.enqueue(text_reply("The paper studies this (p. 1).", chunks=3))
            start = time.perf_counter()
            for event in ask(paper, f"What is studied here, question {i}?", backend=backend):
                if event.kind == "chunk" and times_len(times, i):
                    times.append(time.perf_counter() - start)
        times.sort()
        median = times[len(times) // 2]
        print(f"\nfake Gemini time to first token: {delay:.2f} s")
        print(f"question -> first answer text (median of {len(times)}): {median:.2f} s")
        print(f"  overhead over the fake's delay: {median - delay:.2f} s (goal <= 0.5 s)")


def times_len(times: list, i: int) -> bool:
    return len(times) == i


if __name__ == "__main__":
    retrieval()
    if "--only-retrieval" not in sys.argv:
        first_text()
