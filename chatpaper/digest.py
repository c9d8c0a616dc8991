"""The daily arXiv digest: a topic -> the papers of a day -> one blog post in the seed format.

The tool we replace published posts with invented links, placeholders and papers listed
twice. Here the post is built from arXiv's own metadata and the model only writes the parts
under them, through the same ``SummaryJob`` as the app, so the guard and the results cache
apply to every entry.

This module selects the papers and orchestrates their summaries (``run_digest``, a generator
of ``DigestProgress``). The post's Markdown is ``chatpaper.post``; the CLI is in
``chatpaper.__main__`` and the Gradio tab in ``chatpaper.ui``.
"""

from __future__ import annotations

import logging
import re
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import guard
from .cache import ResultsCache
from .config import Settings
from .digest_progress import (
    DigestCount,
    about_paper,
    format_finished,
    format_progress,
    part_problem,
    short_title,
)
from .errors import ChatPaperError, InvalidSourceError
from .fanout import fan_out
from .i18n import Language, get_language
from .llm.base import create_backend
from .llm.wrappers import LimitedBackend
from .paper import Page, Paper, PaperMeta, Section
from .pipeline import STAGES
from .post import (
    DigestEntry,
    _text,
    engine_note,
    post_body,
    render_details,
    render_entry,
    render_post,
    render_summary,
)
from .text import one_line

if TYPE_CHECKING:
    from .arxiv import ArxivClient
    from .llm.base import Backend

__all__ = [
    "DigestCount",
    "DigestEntry",
    "DigestProgress",
    "NoPapersError",
    "post_body",
    "run_digest",
]

log = logging.getLogger(__name__)

DEFAULT_DAYS = 2  # arXiv lists a paper a day or so after submission: today alone is often empty
DEFAULT_MAX_PAPERS = 10
MAX_PAPERS = 200
PAGE_SIZE = 50  # results per arXiv request
MAX_SEARCH_PAGES = 20  # at 3 s a request, a minute of paging at most
MAX_RANGE_RESULTS = 2000  # candidates of one topic's day: 10 requests of 200


class NoPapersError(ChatPaperError):
    """The query has no papers in the date window."""


# =========================================================================================
# Pure parts: the date window and selection
# =========================================================================================
@dataclass(frozen=True)
class DateWindow:
    """Days (UTC, both ends included) whose submissions belong in the post."""

    start: date
    end: date

    def __str__(self) -> str:
        return str(self.end) if self.start == self.end else f"{self.start} to {self.end}"


def date_window(*, day: date | None = None, days: int | None = None, today: date) -> DateWindow:
    """``--date D`` is that day; ``--days N`` the N days ending today (default DEFAULT_DAYS)."""
    if day is not None:
        return DateWindow(day, day)
    count = DEFAULT_DAYS if days is None else days
    if count < 1:
        raise InvalidSourceError(f"--days must be 1 or more (got {count}); try --days 2.")
    return DateWindow(today - timedelta(days=count - 1), today)


def parse_day(text: str) -> date:
    """A ``YYYY-MM-DD`` date, or an InvalidSourceError that shows the form."""
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidSourceError(
            f"'{text.strip()[:40]}' is not a date; give one like 2024-02-02."
        ) from None


def published_day(meta: PaperMeta) -> date | None:
    """The UTC day a paper's first version was submitted, from arXiv's ``published``."""
    if not meta.published:
        return None
    text = meta.published.strip().replace("Z", "+00:00")
    try:
        stamp = datetime.fromisoformat(text)
    except ValueError:
        try:
            return date.fromisoformat(text[:10])
        except ValueError:
            return None
    if stamp.tzinfo is not None:
        stamp = stamp.astimezone(timezone.utc)
    return stamp.date()


def _version_number(meta: PaperMeta) -> int:
    match = re.fullmatch(r"v(\d+)", meta.version or "")
    return int(match.group(1)) if match else 0


def _newest_first(meta: PaperMeta) -> tuple[str, str]:
    return (meta.published or "", meta.arxiv_id or "")


def dedupe_papers(metas: Iterable[PaperMeta]) -> list[PaperMeta]:
    """One record per arXiv ID, whatever its version: the newest version wins.

    arXiv's pages shift while we page (new submissions push results down), so the same
    paper can come back on the next page, sometimes with a newer version.
    """
    best: dict[str, PaperMeta] = {}
    for meta in metas:
        if not meta.arxiv_id:
            continue
        known = best.get(meta.arxiv_id)
        if known is None or _version_number(meta) > _version_number(known):
            best[meta.arxiv_id] = meta
    return list(best.values())


def select_papers(
    metas: Iterable[PaperMeta], window: DateWindow, limit: int | None = None
) -> list[PaperMeta]:
    """The papers of the window, one per ID (newest version), newest first, at most ``limit``."""
    inside = []
    for meta in dedupe_papers(metas):
        day = published_day(meta)
        if day is not None and window.start <= day <= window.end:
            inside.append(meta)
    inside.sort(key=_newest_first, reverse=True)
    return inside if limit is None else inside[: max(0, limit)]


def abstract_paper(meta: PaperMeta) -> Paper:
    """A Paper made of arXiv's metadata alone: enough for the tldr stage, which reads only
    the title and abstract, without downloading the PDF."""
    label = f"{meta.arxiv_id}{meta.version or ''}"
    return Paper(
        source=f"arxiv:{label}",
        meta=meta,
        pages=[Page(1, meta.abstract)],
        sections=[Section("Abstract", "abstract", 1, meta.abstract)],
        fingerprint=f"arxiv-abstract:{label}",
    )


# =========================================================================================
# I/O: searching arXiv and summarizing the papers
# =========================================================================================
@dataclass(frozen=True)
class DigestProgress:
    """One thing that happened during a digest. ``kind`` is one of:

    search    one page of arXiv results arrived
    selected  the papers of the post are known (``total``)
    status    transient news (a wait, a retry)
    stage     a stage of paper ``index`` started or finished (for programs, not people)
    warning   something the user should know about paper ``index``
    paper     paper ``index`` is finished (``entry``); papers finish in any order
    progress  how far the digest is (``count``): papers done, papers being written now
    entry     the next entry in post order is ready; ``post`` is the post so far
    done      the whole post is in ``post``; ``count`` is the final tally

    What a person reads is ``message``: the search lines, then ``progress`` lines
    ("3 of 10 papers done in 42 s · writing: A; B"), the per-paper ``status`` and
    ``warning`` lines, and ``done``. ``index`` is a paper's place in the post, not progress.
    """

    kind: str
    message: str
    index: int = 0  # 1-based paper number in the post; 0 when not about one paper
    total: int = 0
    arxiv_id: str | None = None
    stage: str | None = None
    entry: DigestEntry | None = None
    post: str | None = None
    count: DigestCount | None = None


class _Cancelled(Exception):
    pass


Emit = Callable[[DigestProgress], None]
Clock = Callable[[], float]


@dataclass
class _Run:
    """What every paper worker shares."""

    settings: Settings
    lang: Language
    cache: ResultsCache | None
    refresh: bool
    deep: bool
    figures_dir: Path | None
    backend: Backend
    total: int
    papers: dict[str, Paper] = field(default_factory=dict)  # label -> paper read already

    def report(
        self, emit: Emit, kind: str, index: int, meta: PaperMeta, message: str, **kw: Any
    ) -> None:
        emit(
            DigestProgress(
                kind,
                about_paper(short_title(meta.title, meta.arxiv_id or ""), message),
                index=index,
                total=self.total,
                arxiv_id=meta.arxiv_id,
                **kw,
            )
        )


class _Tally:
    """The count the user reads, kept on the caller's thread from the workers' events:
    papers done only ever grows, a failure counts as done, and the papers in flight are
    listed in the order they started (so the names do not shuffle)."""

    def __init__(
        self, selection: Sequence[PaperMeta], lang: Language, started: float, clock: Clock
    ):
        self.titles = [short_title(m.title, m.arxiv_id or "") for m in selection]
        self.lang = lang
        self.started = started
        self.clock = clock
        self.running: dict[int, str] = {}  # post index -> short title, in start order
        self.finished: set[int] = set()
        self.failed = 0
        self.last_shown = started

    def start(self, index: int) -> bool:
        if index in self.finished or index in self.running:
            return False
        self.running[index] = self.titles[index - 1]
        return True

    def finish(self, index: int, failed: bool) -> bool:
        self.running.pop(index, None)
        if index in self.finished:
            return False
        self.finished.add(index)
        self.failed += int(failed)
        return True

    def count(self) -> DigestCount:
        return DigestCount(
            done=len(self.finished),
            total=len(self.titles),
            in_flight=tuple(self.running.values()),
            failed=self.failed,
            elapsed=self.clock() - self.started,
        )

    def progress(self) -> DigestProgress:
        count = self.count()
        self.last_shown = self.clock()
        return DigestProgress(
            "progress", format_progress(count, self.lang), total=count.total, count=count
        )


def range_query(query: str, categories: Sequence[str], window: DateWindow) -> str:
    """arXiv's search_query for a phrase, any of the categories, and the window's days (GMT):
    ``... AND submittedDate:[202402050000 TO 202402052359]``."""
    from .arxiv import build_search_query

    built = build_search_query(query)
    checked = [build_search_query("x", c).rsplit(" AND ", 1)[1] for c in categories]
    if checked:
        built += " AND (" + " OR ".join(checked) + ")"
    start, end = window.start.strftime("%Y%m%d"), window.end.strftime("%Y%m%d")
    return f"{built} AND submittedDate:[{start}0000 TO {end}2359]"


def search_range(
    client: ArxivClient,
    query: str,
    categories: Sequence[str],
    window: DateWindow,
    *,
    page_size: int = 200,
    max_results: int = MAX_RANGE_RESULTS,
) -> list[PaperMeta]:
    """Every paper of the window on the topic, for any day however long ago: a date-range
    query paged to its end (one request per 3 s, by the client), at most ``max_results``."""
    search_query = range_query(query, categories, window)
    found: list[PaperMeta] = []
    start = 0
    while start < max_results:
        page, total = client.search(
            query, start=start, max_results=page_size, search_query=search_query
        )
        found.extend(page)
        start += len(page)
        if not page or start >= total:
            break
    return select_papers(found, window)


def _search(
    client: ArxivClient,
    query: str,
    *,
    category: str | None,
    window: DateWindow,
    max_papers: int,
    page_size: int,
    statuses: list[str],
) -> Iterator[DigestProgress | list[PaperMeta]]:
    """Page through arXiv newest first until the window is behind us; the last item yielded
    is the selection (a list)."""
    found: list[PaperMeta] = []
    start = 0
    for page_number in range(1, MAX_SEARCH_PAGES + 1):
        page, total = client.search(query, category=category, start=start, max_results=page_size)
        found.extend(page)
        start += len(page)
        inside = select_papers(found, window)
        for message in statuses:
            yield DigestProgress("status", message)
        statuses.clear()
        yield DigestProgress(
            "search",
            f"arXiv page {page_number}: {start} of {total} results read, "
            f"{len(inside)} submitted {window}",
        )
        if not page or start >= total:
            break
        days = [d for d in (published_day(m) for m in page) if d is not None]
        if days and min(days) < window.start:
            break  # newest first: everything after this is older than the window
        if len(inside) >= max_papers:
            break
    else:
        yield DigestProgress(
            "warning",
            f"Stopped after {MAX_SEARCH_PAGES} pages of arXiv results; older papers in "
            f"{window} were not checked (narrow the query or choose a category).",
        )
    yield select_papers(found, window, max_papers)


def _figure_links(run: _Run, meta: PaperMeta, data: bytes | None) -> list[str]:
    """Save the paper's figures next to the post (reusing those of an earlier run)."""
    assert run.figures_dir is not None
    stem = f"{meta.arxiv_id}{meta.version or ''}".replace("/", "_")
    existing = sorted(run.figures_dir.glob(f"{stem}_fig*")) if run.figures_dir.is_dir() else []
    if existing or data is None:
        paths = existing
    else:
        from .figures import extract_figures, save_figures

        figures = extract_figures(data, max_figures=run.settings.max_figures)
        paths = save_figures(figures, run.figures_dir, stem) if figures else []
    return [f"{run.figures_dir.name}/{urllib.parse.quote(path.name)}" for path in paths]


def _needs_pdf(run: _Run, meta: PaperMeta) -> bool:
    if run.deep:
        return True
    if run.figures_dir is None:
        return False
    stem = f"{meta.arxiv_id}{meta.version or ''}".replace("/", "_")
    return not (run.figures_dir.is_dir() and any(run.figures_dir.glob(f"{stem}_fig*")))


def _summarize(
    run: _Run, index: int, meta: PaperMeta, emit: Emit, cancel: threading.Event
) -> DigestEntry:
    """One paper, start to end; every failure becomes a note on its entry."""
    from .arxiv import ArxivClient
    from .summarize import SummaryJob

    def report(kind: str, message: str, **kw: Any) -> None:
        run.report(emit, kind, index, meta, message, **kw)

    entry = DigestEntry(meta)
    label = entry.label
    data: bytes | None = None
    paper: Paper | None = run.papers.get(label)  # read already (a batch run reads first)
    if paper is None and _needs_pdf(run, meta):
        report("stage", "pdf…", stage="pdf")
        # arXiv's pacing is process-wide: a client per paper only routes its status lines.
        client = ArxivClient(
            run.settings, on_status=lambda message: emit(DigestProgress("status", message))
        )
        try:
            data = client.fetch_pdf(meta.arxiv_id or "", meta.version)
            if run.deep:
                from .reader import read_pdf_bytes

                paper = read_pdf_bytes(
                    data, source=f"arxiv:{label}", settings=run.settings, meta=meta
                )
        except ChatPaperError as err:
            key = "pdf_failed" if run.deep else "figures_failed"
            entry.notes.append(_text(run.lang, key).format(reason=str(err)))
            report("warning", f"PDF failed: {err}")
    if cancel.is_set():
        raise _Cancelled
    if run.figures_dir is not None and (data is not None or not _needs_pdf(run, meta)):
        report("stage", "figures…", stage="figures")
        try:
            entry.figures = _figure_links(run, meta, data)
        except Exception as err:  # figures are a bonus: never lose the entry for them
            log.warning("figures of %s failed", label, exc_info=True)
            reason = str(err) if isinstance(err, ChatPaperError) else type(err).__name__
            entry.notes.append(_text(run.lang, "figures_failed").format(reason=reason))

    # One backend for the whole digest: its SDK client (slow to build) serves every paper,
    # and its limit bounds the calls in flight across papers.
    job = SummaryJob(
        paper or abstract_paper(meta),
        run.backend,
        settings=run.settings,
        language=run.lang,
        cache=run.cache,
        refresh=run.refresh,
        stages=STAGES if paper is not None else ("tldr",),
    )
    events = job.events()
    try:
        for event in events:
            if cancel.is_set():
                raise _Cancelled
            if event.kind == "stage_start":
                report("stage", f"{event.stage}…", stage=event.stage)
            elif event.kind == "stage_done":
                report("stage", f"{event.stage} done", stage=event.stage)
            elif event.kind == "status" and event.stage:
                # a stage's own news (a wait, a re-ask); the job's "Summarizing with ..." is
                # the same for every paper and the count line says it better
                report("status", event.text, stage=event.stage)
            elif event.kind in ("warning", "error"):
                failed = event.kind == "error"
                text = part_problem(event.stage, event.text, run.lang, failed=failed)
                report("warning", text, stage=event.stage)
    finally:
        events.close()  # on cancel, this stops the job's own stage workers
    entry.from_cache = job.from_cache
    state = job.state
    entry.summary = render_summary(state.stages.get("tldr"), run.lang)
    entry.failed = bool(state.stages.get("tldr") is None or state.stages["tldr"].error)
    if paper is not None:
        entry.details = render_details(paper, state, run.lang, job.grounder)  # pages checked
    return entry


def _check_entry(run: _Run, index: int, entry: DigestEntry, emit: Emit) -> None:
    """The guard over the finished entry, as ``chatpaper check`` will see it in the post."""
    defects = guard.check_document(render_entry(entry, run.lang))
    for defect in defects[:3]:
        run.report(emit, "warning", index, entry.meta, f"check: {defect.kind}: {defect.text[:80]}")


def _paper_work(run: _Run) -> Callable[[tuple[int, PaperMeta], Emit, threading.Event], None]:
    """The fan-out work for one paper: its progress, then one ``paper`` event with its entry
    (a failure is a note on that entry, never the end of the other papers)."""

    def work(item: tuple[int, PaperMeta], emit: Emit, cancel: threading.Event) -> None:
        index, meta = item
        entry = DigestEntry(meta)
        try:
            run.report(emit, "stage", index, meta, "started", stage="start")
            entry = _summarize(run, index, meta, emit, cancel)
            _check_entry(run, index, entry, emit)
        except _Cancelled:
            return
        except ChatPaperError as err:
            entry.notes.append(_text(run.lang, "paper_failed").format(reason=str(err)))
            entry.failed = True
        except Exception as err:  # a bug must not cost the other papers their entries
            log.exception("digest entry %s failed", meta.arxiv_id)
            reason = f"an unexpected error ({type(err).__name__}) stopped it."
            entry.notes.append(_text(run.lang, "paper_failed").format(reason=reason))
            entry.failed = True
        state = "failed" if entry.failed else "done"
        source = " (from the results cache)" if entry.from_cache else ""
        emit(
            DigestProgress(
                "paper",
                about_paper(short_title(meta.title, entry.label), state + source),
                index=index,
                total=run.total,
                arxiv_id=meta.arxiv_id,
                entry=entry,
            )
        )

    return work


def run_digest(
    query: str,
    *,
    settings: Settings,
    category: str | None = None,
    day: date | None = None,
    days: int | None = None,
    max_papers: int = DEFAULT_MAX_PAPERS,
    language: str | Language = "en",
    engine: str | None = None,
    model: str | None = None,
    api_key: str | None = None,
    deep: bool = False,
    figures_dir: Path | None = None,
    cache: ResultsCache | None = None,
    refresh: bool = False,
    concurrency: int | None = None,
    page_size: int = PAGE_SIZE,
    now: datetime | None = None,
    heartbeat: float | None = None,
    clock: Clock = time.monotonic,
) -> Iterator[DigestProgress]:
    """Search arXiv, summarize the papers of the window concurrently, stream the post.

    Model calls for different papers run at once, at most ``concurrency`` in flight
    (default ``settings.digest_concurrency``; the backend waits out rate limits); arXiv
    requests stay one at a time, paced by the client. Finished papers are stored in
    ``cache``, so a run that was interrupted and started again only calls the model for the
    papers it had not finished. ``figures_dir`` (a folder next to the post) turns on figure
    screenshots, linked relative to the post. Closing the generator stops the workers at
    their next step. ``heartbeat`` (seconds) adds a ``progress`` event at least that often
    while papers are being written, so a screen can show the time running.
    """
    from .arxiv import ArxivClient

    began = clock()

    lang = language if isinstance(language, Language) else get_language(language)
    if not 1 <= max_papers <= MAX_PAPERS:
        raise InvalidSourceError(
            f"The number of papers must be between 1 and {MAX_PAPERS} (got {max_papers})."
        )
    now = now or datetime.now(timezone.utc)
    window = date_window(day=day, days=days, today=now.date())
    # Fail fast on a missing key or an unknown engine, before paging arXiv for a minute.
    # The same backend then serves every paper.
    backend = create_backend(engine, settings, model=model, api_key=api_key)
    note = engine_note(backend.name, backend.model, lang, deep=deep, extractive=backend.extractive)
    when: date | datetime = day if day is not None else now.replace(microsecond=0, tzinfo=None)

    statuses: list[str] = []
    search_client = ArxivClient(settings, on_status=statuses.append)
    yield DigestProgress("status", f"Searching arXiv for '{one_line(query)}' in {window}…")
    selection: list[PaperMeta] = []
    for item in _search(
        search_client,
        query,
        category=category,
        window=window,
        max_papers=max_papers,
        page_size=max(1, page_size),
        statuses=statuses,
    ):
        if isinstance(item, list):
            selection = item
        else:
            yield item
    if not selection:
        where = f" in {category}" if category else ""
        raise NoPapersError(
            f"arXiv has no papers on '{one_line(query)}'{where} submitted {window}; "
            "widen the window (more days) or change the query."
        )
    total = len(selection)
    yield DigestProgress(
        "selected",
        f"{total} paper(s) from {window}, newest first: "
        + ", ".join(m.arxiv_id or "?" for m in selection[:5])
        + (" …" if total > 5 else ""),
        total=total,
    )

    limit = max(1, concurrency if concurrency is not None else settings.digest_concurrency)
    run = _Run(
        settings=settings,
        lang=lang,
        cache=cache,
        refresh=refresh,
        deep=deep,
        figures_dir=figures_dir,
        backend=LimitedBackend(backend, limit),
        total=total,
    )
    # More paper workers than model slots when PDFs must be fetched: the next papers'
    # downloads (paced by arXiv's rule) overlap the model calls of the current ones.
    needs_pdf = deep or figures_dir is not None
    workers = limit * 2 if needs_pdf else limit
    ready: dict[int, DigestEntry] = {}
    shown: list[DigestEntry] = []
    tally = _Tally(selection, lang, began, clock)
    yield tally.progress()
    progress = fan_out(
        list(enumerate(selection, start=1)),
        _paper_work(run),
        workers=workers,
        name="digest",
        tick=tally.progress if heartbeat else None,
        tick_every=heartbeat or 1.0,
    )
    try:
        for event in progress:
            if event.kind == "progress":  # the heartbeat, made by the tally itself
                if len(tally.finished) < total:  # "10 of 10" is said once, when it happens
                    yield event
                continue
            yield event
            if event.kind == "stage" and event.stage == "start" and tally.start(event.index):
                yield tally.progress()
            elif event.kind == "paper" and event.entry is not None:
                if tally.finish(event.index, event.entry.failed):
                    yield tally.progress()
            elif heartbeat and clock() - tally.last_shown >= heartbeat:
                yield tally.progress()
            if event.kind != "paper" or event.entry is None:
                continue
            ready[event.index] = event.entry
            while len(shown) + 1 in ready:  # the post grows in order, paper by paper
                next_entry = ready[len(shown) + 1]
                shown.append(next_entry)
                post = render_post(query, when, shown, lang, category=category, note=note)
                yield DigestProgress(
                    "entry",
                    about_paper(tally.titles[len(shown) - 1], "added to the post"),
                    index=len(shown),
                    total=total,
                    arxiv_id=next_entry.meta.arxiv_id,
                    entry=next_entry,
                    post=post,
                )
    finally:
        progress.close()
    problems = sum(1 for e in shown if e.failed or e.notes)
    final = tally.count()
    yield DigestProgress(
        "done",
        format_finished(final, problems, lang),
        total=total,
        post=render_post(query, when, shown, lang, category=category, note=note),
        count=final,
    )
