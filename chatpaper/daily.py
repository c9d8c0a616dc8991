"""The digest as a daily service: many topics -> one post each per day, a feed and an index.

``run_daily`` searches each topic's day with a date-range query, ranks the candidates (BM25,
``chatpaper.rank``), summarizes each paper once however many topics list it, and writes
``posts/``, ``feed.xml`` and ``index.html`` (``chatpaper.site``). A post already written for
that day is left as it is: a rerun makes no model call and changes no file. With
``batch=True`` every model call of the run goes to Gemini as one batch job
(``chatpaper.llm.gemini_batch``) and the posts are written when its answers arrive.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from .cache import ResultsCache
from .config import Settings, resolve_gemini_key
from .digest import (
    DateWindow,
    DigestEntry,
    _paper_work,
    _Run,
    abstract_paper,
    search_range,
)
from .errors import InvalidSourceError, MissingKeyError
from .fanout import fan_out
from .i18n import get_language
from .llm.base import Backend, create_backend
from .llm.wrappers import LimitedBackend
from .paper import Paper, PaperMeta
from .pipeline import STAGES, build_request
from .post import engine_note, render_post
from .rank import rank_papers
from .site import write_atomically, write_site
from .topics import Topic

Status = Callable[[str], None]


@dataclass
class DailyReport:
    written: list[Path] = field(default_factory=list)
    kept: list[Path] = field(default_factory=list)  # already written for that day
    papers: int = 0  # unique summaries the run needed
    batch_requests: int = 0
    model_calls: int = 0  # streaming calls (all of them without --batch; retries with it)


@dataclass
class _Group:
    """Topics that share language, engine and depth share their summaries."""

    lang: str
    engine: str | None
    model: str | None
    deep: bool
    metas: dict[str, PaperMeta] = field(default_factory=dict)
    papers: dict[str, Paper] = field(default_factory=dict)
    entries: dict[str, DigestEntry] = field(default_factory=dict)
    backend: LimitedBackend | None = None


def _label(meta: PaperMeta) -> str:
    return f"{meta.arxiv_id}{meta.version or ''}"


def post_path(out_dir: Path, topic: Topic, day: date) -> Path:
    return out_dir / "posts" / f"{day.isoformat()}-{topic.slug}.md"


def run_daily(
    topics: Sequence[Topic],
    *,
    settings: Settings,
    day: date,
    out_dir: Path,
    cache: ResultsCache | None,
    batch: bool = False,
    refresh: bool = False,
    site_url: str = "",
    on_status: Status = lambda message: None,
) -> DailyReport:
    from .arxiv import ArxivClient

    report = DailyReport()
    window = DateWindow(day, day)
    client = ArxivClient(settings, on_status=on_status)
    todo: list[tuple[Topic, list[PaperMeta], _Group]] = []
    groups: dict[tuple, _Group] = {}
    for topic in topics:
        path = post_path(out_dir, topic, day)
        if path.exists() and not refresh:
            on_status(f"{topic.name}: {path.name} is written already; kept as it is.")
            report.kept.append(path)
            continue
        on_status(f"{topic.name}: searching arXiv for {day}…")
        candidates = search_range(client, topic.query, topic.categories, window)
        ranked = rank_papers(
            candidates, topic.query, must=topic.must, exclude=topic.exclude, authors=topic.authors
        )[: topic.max]
        on_status(f"{topic.name}: {len(candidates)} candidates, {len(ranked)} kept.")
        engine = "gemini" if batch else topic.engine
        if batch and topic.engine not in (None, "gemini"):
            raise InvalidSourceError(
                f"Topic '{topic.name}' asks for the {topic.engine} engine; --batch sends "
                "every call to Gemini. Drop --batch or the topic's engine."
            )
        group = groups.setdefault(
            (topic.lang, engine, topic.model, topic.deep),
            _Group(topic.lang, engine, topic.model, topic.deep),
        )
        for meta in ranked:  # a paper in two topics of one group is summarized once
            group.metas.setdefault(_label(meta), meta)
        todo.append((topic, ranked, group))

    for group in groups.values():
        backend = create_backend(group.engine, settings, model=group.model)
        group.backend = LimitedBackend(backend, settings.digest_concurrency)
        report.papers += len(group.metas)

    answered = (
        _run_batch(groups, settings, cache, refresh, out_dir, day, on_status, report)
        if (batch and any(g.metas for g in groups.values()))
        else None
    )

    for group in groups.values():
        _summarize_group(group, settings, cache, refresh, on_status, answered)
        assert group.backend is not None
        report.model_calls += group.backend.calls

    for topic, ranked, group in todo:
        assert group.backend is not None
        lang = get_language(topic.lang)
        entries = [group.entries[_label(m)] for m in ranked if _label(m) in group.entries]
        note = engine_note(
            group.backend.name,
            group.backend.model,
            lang,
            deep=topic.deep,
            extractive=group.backend.extractive,
        )
        category = topic.categories[0] if topic.categories else None
        post = render_post(topic.name, day, entries, lang, category=category, note=note)
        path = post_path(out_dir, topic, day)
        write_atomically(path, post)
        report.written.append(path)
        on_status(f"{topic.name}: wrote {path}")
    write_site(out_dir, site_url=site_url)
    return report


def _summarize_group(
    group: _Group,
    settings: Settings,
    cache: ResultsCache | None,
    refresh: bool,
    on_status: Status,
    answered: dict | None,
) -> None:
    if not group.metas:
        return
    assert group.backend is not None
    backend: Backend = group.backend
    if answered is not None:
        from .llm.gemini_batch import AnsweredBackend

        backend = AnsweredBackend(group.backend, answered)
    run = _Run(
        settings=settings,
        lang=get_language(group.lang),
        cache=cache,
        refresh=refresh,
        deep=group.deep,
        figures_dir=None,
        backend=backend,
        total=len(group.metas),
        papers=group.papers,
    )
    items = list(enumerate(group.metas.values(), start=1))
    workers = settings.digest_concurrency * (2 if group.deep else 1)
    for event in fan_out(items, _paper_work(run), workers=workers, name="daily"):
        if event.kind in ("paper", "warning"):
            on_status(event.message)
        if event.kind == "paper" and event.entry is not None:
            group.entries[event.entry.label] = event.entry


def _run_batch(
    groups: dict[tuple, _Group],
    settings: Settings,
    cache: ResultsCache | None,
    refresh: bool,
    out_dir: Path,
    day: date,
    on_status: Status,
    report: DailyReport,
) -> dict:
    """Collect the run's model requests (papers not in the cache), send them as one job."""
    from .arxiv import ArxivClient
    from .llm.gemini import _shared_client
    from .llm.gemini_batch import GeminiBatch, JobState, request_key
    from .summarize import SummaryJob

    requests = {}
    model = ""
    for group in groups.values():
        assert group.backend is not None
        model = group.backend.model
        lang = get_language(group.lang)
        stages = STAGES if group.deep else ("tldr",)
        for label, meta in group.metas.items():
            paper = abstract_paper(meta)
            if group.deep:
                from .reader import read_pdf_bytes

                data = ArxivClient(settings, on_status=on_status).fetch_pdf(
                    meta.arxiv_id or "", meta.version
                )
                paper = read_pdf_bytes(data, source=f"arxiv:{label}", settings=settings, meta=meta)
                group.papers[label] = paper
            job = SummaryJob(paper, group.backend, settings=settings, language=lang, stages=stages)
            key = job.cache_key
            if cache is not None and key and not refresh and cache.get(key) is not None:
                continue
            for stage in stages:
                request, _ = build_request(paper, stage, lang, group.backend)
                requests[request_key(request, group.backend.model)] = request
    report.batch_requests = len(requests)
    if not requests:
        return {}
    api_key = resolve_gemini_key()
    if api_key is None:
        raise MissingKeyError("--batch needs a Gemini key: set GEMINI_API_KEY.")
    batch = GeminiBatch(
        _shared_client(api_key, max(settings.http_timeout * 10, 60.0)),
        model,
        on_status=on_status,
        poll_seconds=settings.batch_poll_seconds,
    )
    return batch.run(requests, JobState(out_dir / f".batch-{day.isoformat()}.json"))
