"""Measure the grounding checks on real papers: take the offline engine's answers (exact
quotes with their pages: correct citations by construction), then make variants with each
citation moved to a far page and with one number in a cited claim changed, and count what
the checks find. Shared by the benchmark and the real-paper test."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from pathlib import Path

from chatpaper import grounding as g
from chatpaper.config import Settings
from chatpaper.llm.offline import OfflineBackend
from chatpaper.reader import read_pdf_file
from chatpaper.summarize import SummaryJob

_CITE = re.compile(r"\(p\. (\d{1,4})\)")
# A figure of the claim, not a reference marker: "(31)", "( 45 )" and "[14-16, 27]" point to
# the bibliography (changing them changes no result), so they are not varied.
_NUMBER = re.compile(r"(?<![\w.,\[(–-])(?<!\( )(\d{2,4})(?![\w.,\])–-])(?! \))")


@dataclass
class Tally:
    citations: int = 0
    false_alarms: list[str] = field(default_factory=list)
    moved: int = 0
    moved_found: int = 0
    moved_also_there: int = 0  # the sentence also stands on the page it was moved to
    numbers_changed: int = 0
    numbers_found: int = 0
    numbers_on_page: int = 0  # the changed value is printed on the cited page too
    read_seconds: float = 0.0
    check_seconds: float = 0.0

    def add(self, other: Tally) -> None:
        for name, value in vars(other).items():
            setattr(self, name, getattr(self, name) + value)


def measure_paper(path: Path, settings: Settings) -> Tally:
    tally = Tally()
    started = time.perf_counter()
    paper = read_pdf_file(str(path), settings=settings)
    tally.read_seconds = time.perf_counter() - started
    job = SummaryJob(paper, OfflineBackend(settings), settings=settings, language="en")
    list(job.events())
    answers = [r.text for name, r in job.state.stages.items() if name != "tldr"]
    started = time.perf_counter()
    index = g.PaperIndex.build([p.text for p in paper.pages])
    reports = [g.check_citations(a, index, lang="en") for a in answers]
    tally.check_seconds = time.perf_counter() - started
    count = len(paper.pages)
    for answer, report in zip(answers, reports, strict=True):
        for c in report.citations:
            tally.citations += 1
            if c.status != g.VERIFIED:
                tally.false_alarms.append(f"{path.name}: {c.status} {c.sentence[:80]}")
        if report.numbers:
            tally.false_alarms += [f"{path.name}: number {n.text}" for n in report.numbers]
        if count < 3:
            continue

        def far(m: re.Match[str]) -> str:
            page = int(m.group(1))
            return f"(p. {(page - 1 + count // 2) % count + 1})"

        moved = g.check_citations(_CITE.sub(far, answer), index, lang="en")
        for before, after in zip(report.citations, moved.citations, strict=True):
            tally.moved += 1
            if after.status == g.WRONG_PAGE and after.found_pages == before.cited_pages:
                tally.moved_found += 1
            elif _stands_on(index, before.sentence, after.cited_pages[0]):
                tally.moved_also_there += 1
        for c in report.citations:
            # a claim's own figure, not a reference number such as "[14-16]" or "( 45 )"
            masked = re.sub(r"\(\s\d{1,3}\s\)", "     ", g.blank_non_claims(c.sentence))
            m = _NUMBER.search(masked)
            if not m:
                continue
            new = str(int(m.group(1)) + 7)
            claim = c.sentence[: m.start()] + new + c.sentence[m.end() :]
            tally.numbers_changed += 1
            if any(new in index.pages[p - 1].numbers for p in c.cited_pages):
                tally.numbers_on_page += 1
                continue
            checked = g.check_citations(f"{claim} (p. {c.cited_pages[0]}).", index, lang="en")
            if new in {re.sub(r"[^\d.]", "", n) for n in checked.numbers_not_found}:
                tally.numbers_found += 1
    return tally


def _stands_on(index: g.PaperIndex, sentence: str, page: int) -> bool:
    """The paper restates the sentence on ``page``: most of its words of four or more letters
    stand there too (then a citation of that page is not wrong)."""
    if not 1 <= page <= len(index.pages):
        return False
    words = {w.lower() for w in re.findall(r"[A-Za-z]{4,}", sentence)}
    text = index.pages[page - 1].lower
    return bool(words) and sum(w in text for w in words) >= 0.8 * len(words)
