"""The daily arXiv digest: a topic -> the newest papers -> one blog post in the seed format.

The tool we replace published posts such as "Diffusion Models 方向最新论文已更新" with invented
links, placeholders and papers listed twice. Here the post is built from arXiv's own metadata
(title, authors, abstract, comment, the real abs link) and the model only writes the parts
under them, through the same ``SummaryJob`` as the app, so the guard and the results cache
apply to every entry.

Layout: pure parts first (date window, selection and dedupe, rendering), then the I/O in
``run_digest`` (a generator of ``DigestProgress``), then the two edges: the CLI
(``add_digest_arguments``/``run_digest_cli``) and the Gradio tab (``build_digest_tab``).
Gradio is imported only inside ``build_digest_tab`` so the CLI starts quickly.
"""

from __future__ import annotations

import argparse
import html
import json
import logging
import os
import queue
import re
import sys
import tempfile
import threading
import unicodedata
import urllib.parse
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import guard
from .cache import ResultsCache
from .config import Settings
from .errors import ChatPaperError, InvalidSourceError
from .i18n import Language, get_language
from .llm.base import BackendWrapper, create_backend
from .paper import Page, Paper, PaperMeta, Section
from .pipeline import STAGES, StageResult, SummaryState
from .render import demote_headings, escape_html, render_document, render_stage

if TYPE_CHECKING:
    from .arxiv import ArxivClient
    from .llm.base import Backend, Piece, StageRequest

log = logging.getLogger(__name__)

CONCURRENCY_ENV = "CHATPAPER_DIGEST_CONCURRENCY"
DEFAULT_CONCURRENCY = 4  # model calls in flight at once, across all papers of a digest
DEFAULT_DAYS = 2  # arXiv lists a paper a day or so after submission: today alone is often empty
DEFAULT_MAX_PAPERS = 10
MAX_PAPERS = 200
PAGE_SIZE = 50  # results per arXiv request
MAX_SEARCH_PAGES = 20  # at 3 s a request, a minute of paging at most
MAX_AUTHORS_SHOWN = 30

# Words our own code writes into a post, per language (the model writes the rest).
_POST_TEXT = {
    "en": {
        "update": "Update on {day}",
        "description": "Newest arXiv papers on {topic} ({day}), led by: {title}",
        "description_empty": "Newest arXiv papers on {topic} ({day})",
        "note": "Summaries written by {engine} from each paper's arXiv abstract{deep}; titles, "
        "authors, abstracts and links come from arXiv.",
        "note_deep": " and full text",
        "figures": "Click to view figures from the paper",
        "pdf_failed": "Summarized from the abstract only: the full text could not be used. {reason}",
        "figures_failed": "No figures: {reason}",
        "paper_failed": "This paper could not be summarized: {reason}",
        "et_al": "et al. ({count} authors)",
    },
    "zh": {
        "update": "{day} 更新",
        "description": "{topic} 方向最新论文已更新（{day}），最新一篇：{title}",
        "description_empty": "{topic} 方向最新论文（{day}）",
        "note": "以下摘要与要点由 {engine} 根据论文的 arXiv 摘要{deep}自动生成；标题、作者、"
        "摘要与链接均来自 arXiv。",
        "note_deep": "与全文",
        "figures": "点此查看论文截图",
        "pdf_failed": "未能使用论文全文，以下内容仅根据摘要生成。{reason}",
        "figures_failed": "未能提取论文截图：{reason}",
        "paper_failed": "未能总结这篇论文：{reason}",
        "et_al": "等（共 {count} 位作者）",
    },
}


def _text(lang: Language, key: str) -> str:
    return _POST_TEXT.get(lang.code, _POST_TEXT["en"])[key]


class NoPapersError(ChatPaperError):
    """The query has no papers in the date window."""


# =========================================================================================
# Pure parts: the date window, selection, rendering
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


@dataclass
class DigestEntry:
    """One paper of the post: arXiv's metadata plus what the model wrote about it."""

    meta: PaperMeta
    summary: str = ""  # Summary + Key Takeaways, rendered (always)
    details: str = ""  # the structured summary from the full text, rendered (--deep)
    figures: list[str] = field(default_factory=list)  # image links relative to the post
    notes: list[str] = field(default_factory=list)  # one-line notes: what went wrong
    failed: bool = False  # the Summary itself could not be produced
    from_cache: bool = False

    @property
    def label(self) -> str:
        return f"{self.meta.arxiv_id}{self.meta.version or ''}"


def _one_line(text: str | None) -> str:
    return " ".join((text or "").split())


def _title(meta: PaperMeta) -> str:
    return escape_html(_one_line(meta.title)) or (meta.arxiv_id or "Untitled")


_YAML_PLAIN = re.compile(r"[^\s\-?:,\[\]{}#&*!|>'\"%@`][^\n]*")


def _yaml_scalar(text: str) -> str:
    """A YAML value: plain when that is unambiguous (as the seeds write it), else quoted."""
    text = _one_line(text)
    if (
        _YAML_PLAIN.fullmatch(text)
        and ": " not in text
        and " #" not in text
        and not text.endswith(":")
        and text.lower() not in ("true", "false", "yes", "no", "null", "on", "off", "~")
        and not re.fullmatch(r"[\d.+\-eE:_ ]+", text)
    ):
        return text
    return json.dumps(text, ensure_ascii=False)


def _day_of(when: date | datetime) -> date:
    return when.date() if isinstance(when, datetime) else when


def render_front_matter(
    topic: str,
    when: date | datetime,
    entries: Sequence[DigestEntry],
    lang: Language,
    *,
    category: str | None = None,
) -> str:
    """The blog front matter in the seeds' style; the description names the newest paper."""
    day = _day_of(when)
    stamp = when.strftime("%Y-%m-%d %H:%M:%S") if isinstance(when, datetime) else str(when)
    topic = _one_line(topic)
    if entries:
        description = _text(lang, "description").format(
            topic=topic, day=day, title=_one_line(entries[0].meta.title)
        )
    else:
        description = _text(lang, "description_empty").format(topic=topic, day=day)
    tags = [topic] + ([category] if category else [])
    lines = [
        "---",
        f"title: {_yaml_scalar(topic)}",
        f"date: {stamp}",
        "categories: Paper",
        "tags:",
        *(f"    - {_yaml_scalar(tag)}" for tag in tags),
        f"description: {_yaml_scalar(description)}",
        f"keywords: {_yaml_scalar(topic)}",
        "---",
    ]
    return "\n".join(lines)


def _authors_line(meta: PaperMeta, lang: Language) -> str:
    names = [_one_line(name) for name in meta.authors if _one_line(name)]
    shown = ", ".join(names[:MAX_AUTHORS_SHOWN])
    if len(names) > MAX_AUTHORS_SHOWN:
        shown += " " + _text(lang, "et_al").format(count=len(names))
    label = lang.labels["authors"]
    return (
        f"**{label}：** {escape_html(shown)}"
        if lang.code == "zh"
        else (f"**{label}:** {escape_html(shown)}")
    )


def _figures_block(links: Sequence[str], lang: Language) -> str:
    images = "\n".join(
        f'<img src="{html.escape(link, quote=True)}" align="middle">' for link in links
    )
    return f"<details>\n  <summary>{_text(lang, 'figures')}</summary>\n{images}\n</details>"


def render_entry(entry: DigestEntry, lang: Language, *, heading: str | None = None) -> str:
    """One paper: ``## title``, authors, abstract, the real link with arXiv's comment, the
    Summary and Key Takeaways, notes, the structured summary and the figures."""
    meta = entry.meta
    parts = [f"## {heading or _title(meta)}"]
    if meta.authors:
        parts.append(_authors_line(meta, lang))
    abstract = _one_line(meta.abstract)
    if abstract:
        parts.append(escape_html(abstract))
    link = f"[PDF]({meta.abs_url})" if meta.abs_url else ""
    comment = escape_html(_one_line(meta.comment))
    if link or comment:
        parts.append(" ".join(p for p in (link, comment) if p))
    if entry.summary.strip():
        parts.append(entry.summary.strip())
    parts += [f"> ⚠️ {escape_html(_one_line(note))}" for note in entry.notes]
    if entry.details.strip():
        parts.append(entry.details.strip())
    if entry.figures:
        parts.append(_figures_block(entry.figures, lang))
    return "\n\n".join(parts)


def _title_key(title: str) -> str:
    """How the guard tells two titles apart (case, punctuation and width do not count)."""
    normalized = unicodedata.normalize("NFKC", title).casefold()
    return re.sub(r"[\W_]+", " ", normalized).strip()


def render_post(
    topic: str,
    when: date | datetime,
    entries: Sequence[DigestEntry],
    lang: Language | str,
    *,
    category: str | None = None,
    note: str | None = None,
) -> str:
    """The whole post: front matter, a one-line note, the update heading, one entry per paper.

    Pure. A post with more entries starts with the post with fewer (same topic, date and
    note), so a caller can stream it by printing only what is new.
    """
    lang = lang if isinstance(lang, Language) else get_language(lang)
    day = _day_of(when)
    head = [render_front_matter(topic, when, entries, lang, category=category), ""]
    if note:
        head += [f"> {_one_line(note)}", ""]
    head.append(f"# {_text(lang, 'update').format(day=day)}")
    blocks = ["\n".join(head)]
    seen: set[str] = set()
    for entry in entries:
        title = _title(entry.meta)
        key = _title_key(title)
        if key in seen:  # two different papers with one title: the guard would see a repeat
            title = f"{title} (arXiv:{entry.meta.arxiv_id})"
        seen.add(_title_key(title))
        blocks.append(render_entry(entry, lang, heading=title))
    return "\n\n\n".join(blocks) + "\n"


def post_body(post: str) -> str:
    """The post without its front matter (what a Markdown preview should show)."""
    if post.startswith("---\n"):
        end = post.find("\n---\n", 4)
        if end != -1:
            return post[end + 5 :].lstrip("\n")
    return post


def render_details(paper: Paper, state: SummaryState, lang: Language) -> str:
    """The structured summary (basic information, overview, methods, conclusion) of one paper,
    as the app renders it, without the header and the tldr the entry already shows."""
    rest = SummaryState(stages={k: v for k, v in state.stages.items() if k != "tldr"})
    document = render_document(paper, rest, lang)
    _, separator, body = document.partition("\n---\n")
    return demote_headings((body if separator else document).strip())


def render_summary(result: StageResult | None, lang: Language) -> str:
    """Summary and Key Takeaways as the tldr stage wrote them (with its warnings and error)."""
    return render_stage(result, lang)  # its headings are already below the entry's "##"


def engine_note(engine: str, model: str, lang: Language, *, deep: bool) -> str:
    """The one-line, neutral note before the first entry: who wrote the summaries, from what."""
    if engine == "offline":
        return lang.labels["offline_note"]
    deep_text = _text(lang, "note_deep") if deep else ""
    label = f"{engine}（{model}）" if lang.code == "zh" else f"{engine} ({model})"
    return _text(lang, "note").format(engine=label, deep=deep_text)


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


def digest_concurrency(value: int | None = None) -> int:
    """Model calls in flight at once: the argument, else CHATPAPER_DIGEST_CONCURRENCY, else 4."""
    if value is None:
        try:
            value = int(os.environ.get(CONCURRENCY_ENV, DEFAULT_CONCURRENCY))
        except ValueError:
            value = DEFAULT_CONCURRENCY
    return max(1, value)


# =========================================================================================
# I/O: searching arXiv and summarizing the papers
# =========================================================================================
@dataclass(frozen=True)
class DigestProgress:
    """One thing that happened during a digest. ``kind`` is one of:

    search    one page of arXiv results arrived
    selected  the papers of the post are known (``total``)
    status    transient news (a wait, a cache hit)
    stage     a stage of paper ``index`` started or finished
    warning   something the user should know about paper ``index``
    paper     paper ``index`` is finished (``entry``); papers finish in any order
    entry     the next entry in post order is ready; ``post`` is the post so far
    done      the whole post is in ``post``
    """

    kind: str
    message: str
    index: int = 0  # 1-based paper number in the post; 0 when not about one paper
    total: int = 0
    arxiv_id: str | None = None
    stage: str | None = None
    entry: DigestEntry | None = None
    post: str | None = None


class _SharedSlots(BackendWrapper):
    """A backend whose calls take one of the digest's slots: at most N calls in flight
    across all papers, whatever each paper's own stage concurrency."""

    def __init__(self, inner: Backend, slots: threading.Semaphore):
        super().__init__(inner)  # forwards every capability (extractive: no re-asking)
        self._slots = slots

    def stream(self, request: StageRequest) -> Iterator[Piece]:
        with self._slots:
            yield from self.inner.stream(request)


class _Cancelled(Exception):
    pass


# pdfium (behind chatpaper.figures) must never run in two threads at once, even on two
# different documents: it would crash the process.


@dataclass
class _Run:
    """What every paper worker shares."""

    settings: Settings
    lang: Language
    engine: str | None
    model: str | None
    api_key: str | None
    cache: ResultsCache | None
    refresh: bool
    deep: bool
    figures_dir: Path | None
    client: ArxivClient
    backend: _SharedSlots
    total: int
    out: queue.Queue
    cancel: threading.Event

    def report(self, kind: str, index: int, meta: PaperMeta, message: str, **kw: Any) -> None:
        label = f"{meta.arxiv_id}{meta.version or ''}"
        self.out.put(
            DigestProgress(
                kind,
                f"[{index}/{self.total}] {label} {message}",
                index=index,
                total=self.total,
                arxiv_id=meta.arxiv_id,
                **kw,
            )
        )


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


def _summarize(run: _Run, index: int, meta: PaperMeta) -> DigestEntry:
    """One paper, start to end; every failure becomes a note on its entry."""
    from .summarize import SummaryJob

    entry = DigestEntry(meta)
    label = entry.label
    data: bytes | None = None
    paper: Paper | None = None
    if _needs_pdf(run, meta):
        run.report("stage", index, meta, "pdf…", stage="pdf")
        try:
            data = run.client.fetch_pdf(meta.arxiv_id or "", meta.version)
            if run.deep:
                from .reader import read_pdf_bytes

                paper = read_pdf_bytes(
                    data, source=f"arxiv:{label}", settings=run.settings, meta=meta
                )
        except ChatPaperError as err:
            key = "pdf_failed" if run.deep else "figures_failed"
            entry.notes.append(_text(run.lang, key).format(reason=str(err)))
            run.report("warning", index, meta, f"PDF failed: {err}")
    if run.cancel.is_set():
        raise _Cancelled
    if run.figures_dir is not None and (data is not None or not _needs_pdf(run, meta)):
        run.report("stage", index, meta, "figures…", stage="figures")
        try:
            entry.figures = _figure_links(run, meta, data)
        except Exception as err:  # figures are a bonus: never lose the entry for them
            log.warning("figures of %s failed", label, exc_info=True)
            reason = str(err) if isinstance(err, ChatPaperError) else type(err).__name__
            entry.notes.append(_text(run.lang, "figures_failed").format(reason=reason))

    # One backend for the whole digest: its SDK client (slow to build) serves every paper,
    # and its slots bound the calls in flight across papers.
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
            if run.cancel.is_set():
                raise _Cancelled
            if event.kind == "stage_start":
                run.report("stage", index, meta, f"{event.stage}…", stage=event.stage)
            elif event.kind == "stage_done":
                run.report("stage", index, meta, f"{event.stage} done", stage=event.stage)
            elif event.kind == "status":
                run.report("status", index, meta, event.text, stage=event.stage)
            elif event.kind in ("warning", "error"):
                what = "failed" if event.kind == "error" else "warning"
                run.report("warning", index, meta, f"{event.stage} {what}: {event.text}")
    finally:
        events.close()  # on cancel, this stops the job's own stage workers
    entry.from_cache = job.from_cache
    state = job.state
    entry.summary = render_summary(state.stages.get("tldr"), run.lang)
    entry.failed = bool(state.stages.get("tldr") is None or state.stages["tldr"].error)
    if paper is not None:
        entry.details = render_details(paper, state, run.lang)
    return entry


def _check_entry(run: _Run, index: int, entry: DigestEntry) -> None:
    """The guard over the finished entry, as ``chatpaper check`` will see it in the post."""
    defects = guard.check_document(render_entry(entry, run.lang))
    for defect in defects[:3]:
        run.report("warning", index, entry.meta, f"check: {defect.kind}: {defect.text[:80]}")


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
) -> Iterator[DigestProgress]:
    """Search arXiv, summarize the papers of the window concurrently, stream the post.

    Model calls for different papers run at once, at most ``concurrency`` in flight (the
    backend waits out rate limits); arXiv requests stay one at a time, paced by the client.
    Finished papers are stored in ``cache``, so a run that was interrupted and started again
    only calls the model for the papers it had not finished. ``figures_dir`` (a folder next
    to the post) turns on figure screenshots, linked relative to the post. Closing the
    generator stops the workers at their next step.
    """
    from .arxiv import ArxivClient

    lang = language if isinstance(language, Language) else get_language(language)
    if not 1 <= max_papers <= MAX_PAPERS:
        raise InvalidSourceError(
            f"The number of papers must be between 1 and {MAX_PAPERS} (got {max_papers})."
        )
    now = now or datetime.now(timezone.utc)
    window = date_window(day=day, days=days, today=now.date())
    # Fail fast on a missing key or an unknown engine, before paging arXiv for a minute.
    # The same backend then serves every paper.
    probe = create_backend(engine, settings, model=model, api_key=api_key)
    note = engine_note(probe.name, probe.model, lang, deep=deep)
    when: date | datetime = day if day is not None else now.replace(microsecond=0, tzinfo=None)

    statuses: list[str] = []
    out: queue.Queue = queue.Queue()
    client = ArxivClient(
        settings, on_status=lambda message: out.put(DigestProgress("status", message))
    )
    search_client = ArxivClient(settings, on_status=statuses.append)
    yield DigestProgress("status", f"Searching arXiv for '{_one_line(query)}' in {window}…")
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
            f"arXiv has no papers on '{_one_line(query)}'{where} submitted {window}; "
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

    slots_count = digest_concurrency(concurrency)
    run = _Run(
        settings=settings,
        lang=lang,
        engine=engine,
        model=model,
        api_key=api_key,
        cache=cache,
        refresh=refresh,
        deep=deep,
        figures_dir=figures_dir,
        client=client,
        backend=_SharedSlots(probe, threading.Semaphore(slots_count)),
        total=total,
        out=out,
        cancel=threading.Event(),
    )
    done_marker = object()

    def work(index: int, meta: PaperMeta) -> None:
        entry = DigestEntry(meta)
        try:
            if run.cancel.is_set():
                return
            run.report("stage", index, meta, "started", stage="start")
            entry = _summarize(run, index, meta)
            _check_entry(run, index, entry)
        except _Cancelled:
            return
        except ChatPaperError as err:
            entry.notes.append(_text(lang, "paper_failed").format(reason=str(err)))
            entry.failed = True
        except Exception as err:  # a bug must not cost the other papers their entries
            log.exception("digest entry %s failed", meta.arxiv_id)
            reason = f"an unexpected error ({type(err).__name__}) stopped it."
            entry.notes.append(_text(lang, "paper_failed").format(reason=reason))
            entry.failed = True
        finally:
            out.put((done_marker, index, entry))

    # More paper workers than model slots when PDFs must be fetched: the next papers'
    # downloads (paced by arXiv's rule) overlap the model calls of the current ones.
    needs_pdf = deep or figures_dir is not None
    workers = min(total, slots_count * 2 if needs_pdf else slots_count)
    pool = ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="digest")
    ready: dict[int, DigestEntry] = {}
    shown: list[DigestEntry] = []
    try:
        for index, meta in enumerate(selection, start=1):
            pool.submit(work, index, meta)
        finished = 0
        while finished < total:
            item = out.get()
            if not (isinstance(item, tuple) and item and item[0] is done_marker):
                yield item
                continue
            _, index, entry = item
            finished += 1
            ready[index] = entry
            state = "failed" if entry.failed else "done"
            source = " (from the results cache)" if entry.from_cache else ""
            yield DigestProgress(
                "paper",
                f"[{index}/{total}] {entry.label} {state}{source}",
                index=index,
                total=total,
                arxiv_id=entry.meta.arxiv_id,
                entry=entry,
            )
            while len(shown) + 1 in ready:  # the post grows in order, paper by paper
                next_entry = ready[len(shown) + 1]
                shown.append(next_entry)
                post = render_post(query, when, shown, lang, category=category, note=note)
                yield DigestProgress(
                    "entry",
                    f"[{len(shown)}/{total}] {next_entry.label} added to the post",
                    index=len(shown),
                    total=total,
                    arxiv_id=next_entry.meta.arxiv_id,
                    entry=next_entry,
                    post=post,
                )
        while not out.empty():  # late status lines
            item = out.get_nowait()
            if isinstance(item, DigestProgress):
                yield item
        failed = sum(1 for e in shown if e.failed or e.notes)
        summary = f"{total} paper(s) written"
        if failed:
            summary += f"; {failed} with a problem noted in its entry"
        yield DigestProgress(
            "done",
            summary + ".",
            total=total,
            post=render_post(query, when, shown, lang, category=category, note=note),
        )
    finally:
        run.cancel.set()
        pool.shutdown(wait=False, cancel_futures=True)


# =========================================================================================
# The CLI edge
# =========================================================================================
def add_digest_arguments(parser: argparse.ArgumentParser) -> None:
    """The ``digest`` subcommand's arguments."""
    parser.add_argument("query", nargs="+", help="words to find in titles and abstracts")
    parser.add_argument("--category", default=None, help="an arXiv category, such as cs.CV")
    when = parser.add_mutually_exclusive_group()
    when.add_argument("--date", default=None, help="papers submitted on this day (YYYY-MM-DD, UTC)")
    when.add_argument(
        "--days",
        type=int,
        default=None,
        help=f"papers submitted in the last N days, today included (default {DEFAULT_DAYS})",
    )
    parser.add_argument(
        "--max",
        type=int,
        default=DEFAULT_MAX_PAPERS,
        dest="max_papers",
        help=f"at most this many papers, the newest (default {DEFAULT_MAX_PAPERS})",
    )
    parser.add_argument("--lang", default="en", help="post language: en or zh (default en)")
    parser.add_argument(
        "--engine",
        default=None,
        help="gemini, openai or offline (default: gemini with a key, else offline)",
    )
    parser.add_argument("--model", default=None, help="model name for the engine")
    parser.add_argument(
        "--deep",
        action="store_true",
        help="also read each PDF for the full structured summary (4 model calls per paper); "
        "with --out, adds the paper's figures",
    )
    parser.add_argument(
        "--figures",
        action="store_true",
        help="add each paper's figures (saved in <post>_images/ next to --out)",
    )
    parser.add_argument(
        "--out", default=None, help="write the post to this .md file (default: stdout)"
    )
    parser.add_argument(
        "--concurrency",
        type=int,
        default=None,
        help=f"model calls in flight at once (default ${CONCURRENCY_ENV} or {DEFAULT_CONCURRENCY})",
    )
    parser.add_argument("--refresh", action="store_true", help="ignore the results cache")
    parser.add_argument(
        "--no-cache", action="store_true", help="neither read nor write the cache (no resuming)"
    )


def run_digest_cli(args: argparse.Namespace, settings: Settings) -> int:
    """Run ``digest``: progress on stderr, the post to --out or stdout. Exit 0 when every
    paper was written cleanly, 3 when some entries carry a note about a failure."""
    query = " ".join(args.query).strip()
    day = parse_day(args.date) if args.date else None
    out_path = Path(args.out) if args.out else None
    figures_dir = None
    if args.figures or args.deep:
        if out_path is not None:
            figures_dir = out_path.parent / f"{out_path.stem}_images"
        elif args.figures:
            raise InvalidSourceError(
                "--figures needs --out, to know where to save the images next to the post."
            )
    progress = run_digest(
        query,
        settings=settings,
        category=args.category,
        day=day,
        days=args.days,
        max_papers=args.max_papers,
        language=args.lang,
        engine=args.engine,
        model=args.model,
        deep=args.deep,
        figures_dir=figures_dir,
        cache=None if args.no_cache else ResultsCache(settings.cache_dir),
        refresh=args.refresh,
        concurrency=args.concurrency,
    )
    printed = ""
    post = ""
    problems = 0
    try:
        for event in progress:
            if event.kind == "entry" and event.post:
                if event.entry is not None and (event.entry.failed or event.entry.notes):
                    problems += 1
                if out_path is None:  # stream the post to stdout, entry by entry
                    fresh = event.post.startswith(printed)
                    sys.stdout.write(event.post[len(printed) :] if fresh else event.post)
                    sys.stdout.flush()
                    printed = event.post
                continue
            if event.kind == "done":
                post = event.post or ""
            print(event.message, file=sys.stderr, flush=True)
    except KeyboardInterrupt:
        progress.close()
        print(
            "chatpaper: stopped; run the same command again to resume (finished papers come "
            "from the results cache).",
            file=sys.stderr,
        )
        raise
    if out_path is not None:
        out_path.parent.mkdir(parents=True, exist_ok=True)
        _write_atomically(out_path, post)
        print(f"Saved {out_path}", file=sys.stderr)
    elif post and not post.startswith(printed):
        sys.stdout.write(post)
    elif post:
        sys.stdout.write(post[len(printed) :])
    sys.stdout.flush()
    return 3 if problems else 0


def _write_atomically(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except OSError:
        Path(tmp).unlink(missing_ok=True)
        raise
