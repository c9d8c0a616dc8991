"""The Gradio app: paste an arXiv link or drop a PDF, watch the summary stream in.

This is the only module that knows about Gradio. It turns ChatPaperError into gr.Error and
pipeline events into cumulative Markdown per panel. A visitor's API key is a plain argument of
one request: it is never stored in module state, logged, cached or shown back.
"""

from __future__ import annotations

import html
import logging
import os
import queue
import re
import shutil
import tempfile
import threading
import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import wait as wait_for
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")

import contextlib

import gradio as gr

from . import digest as digest_mod
from .arxiv import format_arxiv_id, parse_arxiv_id
from .cache import ResultsCache, open_cache
from .config import Settings
from .document import figures_of, stage_panels
from .errors import ChatPaperError, InvalidSourceError
from .i18n import get_language
from .llm.base import available_engines, create_backend, default_engine, engines
from .paper import Figure, Paper
from .pipeline import SummaryState
from .prompts import load_prompts
from .reader import read_arxiv, read_pdf_file
from .render import render_basic_info
from .summarize import SummaryJob
from .ui_words import (
    LABELS,
    part_name,
    seconds,
    status_text,
    ui_language,
    writing_status,
)

log = logging.getLogger(__name__)

LANGUAGE_CHOICES = [("English", "en"), ("中文", "zh")]
ARXIV_EXAMPLES = ["2402.00864", "https://arxiv.org/abs/1706.03762"]
# inline $...$ as well as display $$...$$ (Gradio renders only $$ by default)
LATEX = [
    {"left": "$$", "right": "$$", "display": True},
    {"left": "$", "right": "$", "display": False},
]
UPDATE_INTERVAL = 0.1  # seconds between two streamed UI updates (chunks arrive faster)
TICK = 0.5  # seconds: the status's elapsed time moves even while the model is silent
PARTS = ("tldr", "overview", "methods", "conclusion")  # the stages, in page order

HOW_IT_WORKS = {
    "en": """
**How it works.** chatpaper reads the whole paper (arXiv metadata and PDF, or your upload) with
pypdf, then asks the engine four questions at once: a one-sentence summary with key takeaways,
an overview (background, past methods, proposed method, results), the method step by step, and
the conclusion. Each part streams into its own panel, with page references that are checked
against the paper. Title, authors and links come from arXiv or the PDF, never from the model.
A guard checks every answer for template slots, chatter and missing parts and asks again once
if needed. With no API key the **offline** engine quotes the paper's own sentences, with page
numbers. Your API key is used for your request only.
""",
    "zh": """
**工作原理。** chatpaper 用 pypdf 读取整篇论文（arXiv 元数据与 PDF，或你上传的文件），然后同时向引擎提出
四个问题：一句话摘要与要点、概述（背景、以往方法、本文方法、结果）、逐步的方法，以及结论。每一部分流式写入
自己的面板，所附页码会与论文核对。标题、作者和链接来自 arXiv 或 PDF，绝不来自模型。守卫会检查每个回答中的
模板占位符、客套话和缺失部分，必要时重问一次。没有 API 密钥时，**离线**引擎直接引用论文原句并标注页码。
你的 API 密钥只用于你的这次请求。
""",
}
LABELS["en"]["how_it_works_text"] = HOW_IT_WORKS["en"]
LABELS["zh"]["how_it_works_text"] = HOW_IT_WORKS["zh"]
LABELS["en"]["digest_date_placeholder"] = f"empty: the last {digest_mod.DEFAULT_DAYS} days"
LABELS["zh"]["digest_date_placeholder"] = f"留空：最近 {digest_mod.DEFAULT_DAYS} 天"
I18N = gr.I18n(**LABELS)
T = I18N  # T("summarize"): a label the browser shows in its own language

# The page's own look: a compact input column, the result as the page, figures at their own
# aspect ratio with whole captions, small part tools that appear only once a part has text.
CSS = """
#inputs { position: sticky; top: 8px; align-self: flex-start; }
#pdf-input { min-height: 0; }
#status { min-height: 1.6em; }
#ask-heading p { font-weight: 600; font-size: 1.15em; margin: 4px 0; }
#status p { margin: 0; }
.cp-tools { justify-content: flex-end; gap: 6px; margin-top: -6px; }
.cp-tools button { flex: 0 0 auto !important; width: auto !important; min-width: 0 !important; }
.cp-part:has(.cp-panel .prose:empty) .cp-tools { display: none; }
#result-tools { gap: 8px; align-items: center; }
#result:has(#paper-header span.md:empty) #copy-all { display: none; }
#digest-download:not(:has(a)) { display: none; }  /* no empty box before the post exists */
#result-tools > * { flex: 0 0 auto !important; width: auto !important; min-width: 0 !important; }
#figures .caption-label { white-space: normal !important; overflow: visible !important;
  text-overflow: clip !important; max-width: none !important; }
#figures img { object-fit: contain !important; }
#figures .thumbnail-item { aspect-ratio: auto !important; height: auto !important;
  display: flex; flex-direction: column; }
#figures .thumbnail-item img { height: auto !important; min-height: 120px; max-height: 560px;
  width: 100%; }
#figures .caption-label { position: static !important; transform: none !important;
  text-align: left; padding: 6px 8px; opacity: 1 !important; }
#figures .preview .caption { white-space: normal !important; text-align: left !important;
  font-weight: normal !important; overflow: auto !important; max-height: 12em;
  margin-bottom: 64px; }
#ask-chat { border-width: 1px !important; }
#figures .grid-container { padding-top: 2.4rem !important; align-items: start; }
#figures .grid-wrap { height: auto !important; max-height: none !important;
  overflow: visible !important; }
@media (max-width: 768px) {
  #inputs { position: static; }
  #figures .grid-container { grid-template-columns: 1fr !important; }
}
"""

# Copy the readable text of some panels (what a reader sees, not Markdown source). The
# clipboard API needs a secure context; a plain-http page falls back to a hidden textarea.
COPY_JS = """
(selectors) => {
  const text = selectors
    .map(s => document.querySelector(s + ' .prose'))
    .filter(el => el && el.innerText.trim())
    .map(el => el.innerText.trim())
    .join('\\n\\n');
  if (!text) return;
  window.__chatpaper_copied = text;
  if (navigator.clipboard && window.isSecureContext) {
    navigator.clipboard.writeText(text).catch(() => {});
  } else {
    const area = document.createElement('textarea');
    area.value = text; area.style.position = 'fixed'; area.style.opacity = '0';
    document.body.appendChild(area); area.select();
    try { document.execCommand('copy'); } catch (e) {}
    area.remove();
  }
}
"""
# The click's first answer comes from the browser itself, before any request: the status
# names the step (in the browser's language), the previous result is cleared, and on a phone
# the result comes into view. The server's first update follows with the same words.
START_RUN_JS = """
(text, file) => {
  const zh = (navigator.language || '').toLowerCase().startsWith('zh');
  const esc = s => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  let status;
  if (file && (file.orig_name || file.path)) {
    const name = esc(file.orig_name || String(file.path).split('/').pop());
    status = zh ? `正在读取 ${name}…` : `Reading ${name}…`;
  } else if (text && text.trim()) {
    const shown = esc(text.trim().slice(0, 80));
    status = zh ? `正在从 arXiv 获取 ${shown}…` : `Fetching ${shown} from arXiv…`;
  } else {
    status = zh ? '正在开始…' : 'Starting…';
  }
  if (window.innerWidth < 768) {
    const el = document.querySelector('#status');
    if (el) el.scrollIntoView({behavior: 'smooth', block: 'start'});
  }
  return [status, '', '', '', '', '', ''];
}
"""

_figure_pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="figures")
# Reading a paper (download, PDF worker) runs beside the handler so its status streams.
_reader_pool = ThreadPoolExecutor(max_workers=32, thread_name_prefix="reader")
# A job's events are pulled here so the handler can move the status clock between them.
_stream_pool = ThreadPoolExecutor(max_workers=64, thread_name_prefix="summary-stream")


EMPTY_SUMMARY = (
    "Every part of the summary came back empty; try again, or choose another engine or model."
)


def _plain(message: str) -> str:
    """Toasts and the status line render HTML: show a message, and the visitor's input quoted
    in it, as text (a pasted ``<https://...>`` would otherwise vanish as a tag)."""
    return html.escape(message, quote=False)


def _ui_lang(request: gr.Request | None) -> str:
    headers = getattr(request, "headers", None) or {}
    try:
        return ui_language(headers.get("accept-language"))
    except Exception:  # a request without headers (a direct call in a test)
        return "en"


def _engine_choices(settings: Settings) -> list[tuple[str, str]]:
    names = available_engines(settings)
    registry = engines()
    # An engine that only lacks a key is offered: a visitor can bring one in the API key field.
    names += [n for n, info in registry.items() if info.needs_key and n not in names]
    return [(registry[n].label if n in registry else n, n) for n in names]


def _backend(settings: Settings, engine: str | None, model: str | None, api_key: str | None):
    """The engine the form asks for; empty fields mean the defaults (the key: the server's)."""
    return create_backend(
        engine or None,
        settings,
        model=(model or "").strip() or None,
        api_key=(api_key or "").strip() or None,
    )


def _read_paper(arxiv_text: str | None, pdf_path: str | None, settings: Settings, status) -> Paper:
    """The uploaded PDF, else the arXiv text. The text box never reads local files."""
    if pdf_path:
        if not Path(pdf_path).is_file():  # Gradio's copy of the upload was cleaned away
            raise InvalidSourceError(
                f"The uploaded {Path(pdf_path).name} is no longer on the server; upload it again."
            )
        status(f"Reading {Path(pdf_path).name}…")
        return read_pdf_file(pdf_path, settings=settings, on_status=status)
    if arxiv_text and arxiv_text.strip():
        return read_arxiv(arxiv_text, settings=settings, on_status=status)
    raise ChatPaperError("Paste an arXiv link or ID (such as 2402.00864) or upload a PDF first.")


def _first_status(arxiv_text: str | None, pdf_path: str | None, lang: str) -> str:
    """What the status says the moment the click arrives, before any I/O."""
    if pdf_path:
        return status_text(lang, "reading_file", name=_plain(Path(pdf_path).name))
    if arxiv_text and arxiv_text.strip():
        try:
            shown = format_arxiv_id(*parse_arxiv_id(arxiv_text))
        except ChatPaperError:
            return status_text(lang, "starting")
        return status_text(lang, "fetching", id=shown)
    return status_text(lang, "starting")


def _gallery(figures: list[Figure], folder: Path, language: str) -> list[tuple[str, str]]:
    """The gallery's items, captioned as the download captions them (in the output language)."""
    from .export import caption_line
    from .figures import save_figures

    lang = get_language(language)
    paths = save_figures(figures, folder, "figure")
    return [
        (str(path), caption_line(figure, lang))
        for figure, path in zip(figures, paths, strict=False)
    ]


def _stem(paper: Paper) -> str:
    """The download's name: the arXiv ID, or for an upload the title's first words."""
    if paper.arxiv_id:
        return f"summary_{paper.arxiv_id.replace('/', '_')}"
    words = re.findall(r"[A-Za-z0-9]+", paper.title or "")[:8]
    slug = "-".join(words).lower()[:60].strip("-")
    return "summary_" + (slug or paper.fingerprint.split(":")[-1][:10] or "paper")


def _events_with_ticks(events: Iterator, stop: threading.Event) -> Iterator:
    """The job's events, with None every TICK seconds of silence so the clock moves. The job
    runs in a worker; a closed handler (the visitor left) stops it at its next event."""
    box: queue.Queue = queue.Queue()
    done = object()

    def pull() -> None:
        try:
            for event in events:
                if stop.is_set():
                    break
                box.put(event)
        except BaseException as err:  # handed to the handler, raised there
            box.put(err)
        finally:
            with contextlib.suppress(Exception):
                events.close()
            box.put(done)

    _stream_pool.submit(pull)
    while True:
        try:
            item = box.get(timeout=TICK)
        except queue.Empty:
            yield None
            continue
        if item is done:
            return
        if isinstance(item, BaseException):
            raise item
        yield item


class _RunView:
    """What one run shows: the status line and each part's Markdown, as one tuple per
    update. Text panels get plain values only: any component update makes Gradio rebuild
    the session's config, which costs more than the stream."""

    def __init__(self, lang: str):
        self.lang = lang
        self.status = ""
        self.header = ""
        self.basic = ""
        self.parts = dict.fromkeys(PARTS, "")
        self.download: str | None = None

    def outputs(self, session: dict, signal: str) -> tuple:
        return (
            self.status,
            self.header,
            self.parts["tldr"],
            self.basic,
            self.parts["overview"],
            self.parts["methods"],
            self.parts["conclusion"],
            self.download,
            session,
            signal,
        )


def _job_session(job: SummaryJob, lang: str, ui: str, engine: str | None, model: str | None):
    """What a later "retry this part", the figures and the downloads need of this run; the
    PDF's bytes and the key are not kept."""
    return {
        "run": time.monotonic_ns(),
        "paper": replace(job.paper, pdf_bytes=None),
        "state": job.state,
        "lang": lang,
        "ui": ui,
        "engine": engine,
        "model": model,
        "show_pages": job.show_pages,
        "extractive": bool(job.backend.extractive),
        "figures": [],
    }


def make_summarize_handler(settings: Settings, cache: ResultsCache, *, raise_errors: bool = True):
    """The summary job as a Gradio generator. The page's own listener passes
    ``raise_errors=False``: a failure is the status line's one sentence, and nothing marks
    every panel "Error"; the API's listener raises it, so a client gets an ``AppError``."""

    def fail(message: str):
        if raise_errors:
            raise gr.Error(message, print_exception=False)

    def summarize(
        arxiv_text: str | None,
        pdf_file: str | None,
        language: str,
        engine: str | None,
        model: str | None,
        api_key: str | None,
        fresh_run: bool,
        show_pages: bool = True,
        request: gr.Request = None,
    ) -> Iterator[tuple]:
        """Summarize one paper; yields (status, header, tldr, basic information, overview,
        methods, conclusion, download, session, figures signal) as the text arrives."""
        started = time.monotonic()
        ui = _ui_lang(request)
        lang = get_language(language)
        view = _RunView(ui)
        session = {}
        signal = ""
        # The first update clears the previous run's result, before any I/O.
        view.status = _first_status(arxiv_text, pdf_file, ui)
        yield view.outputs(session, signal)
        if not pdf_file and not (arxiv_text or "").strip():
            view.status = "❌ " + status_text(ui, "need_source")
            yield view.outputs(session, signal)
            fail(status_text(ui, "need_source"))
            return

        notes: list[str] = []
        reading = _reader_pool.submit(_read_paper, arxiv_text, pdf_file, settings, notes.append)
        shown = 0
        while True:  # show the reader's progress ("Downloading the PDF, 1.2 of 3.4 MB…")
            wait_for([reading], timeout=0.25)
            if len(notes) > shown:
                shown = len(notes)
                view.status = f"{_plain(notes[-1])} · {seconds(time.monotonic() - started)}"
                yield view.outputs(session, signal)
            if reading.done():
                break
        try:
            paper = reading.result()
            backend = _backend(settings, engine, model, api_key)
            job = SummaryJob(
                paper,
                backend,
                settings=settings,
                language=lang,
                cache=cache,
                refresh=bool(fresh_run),
                show_pages=show_pages is not False,
            )
        except ChatPaperError as err:
            view.status = "❌ " + _plain(str(err))
            yield view.outputs(session, signal)
            fail(_plain(str(err)))
            return

        session = _job_session(job, lang.code, ui, engine, model)
        view.header = job.header()
        view.status = status_text(ui, "read", pages=len(paper.pages))
        yield view.outputs(session, signal)

        folder = Path(tempfile.mkdtemp(prefix="chatpaper-"))
        stop = threading.Event()
        try:  # Gradio copies what we yield into its own cache: our folder is scratch
            figures_future: Future[list[Figure]] = _figure_pool.submit(figures_of, paper, settings)

            def refresh() -> None:
                nonlocal signal
                values = job.panels()
                view.parts.update({name: values.get(name, "") for name in PARTS})
                # Basic information comes under the summary: shown once the summary has
                # begun, so nothing is pushed down under the reader's eyes.
                if view.parts["tldr"] or "tldr" not in job.stages or job.state.complete:
                    view.basic = render_basic_info(paper, job.state, lang)
                running = [s for s in job.stages_where(done=False)]
                done = len(job.stages_where(done=True))
                if job.from_cache:
                    view.status = status_text(ui, "from_cache")
                elif running or done:
                    view.status = writing_status(
                        ui, running, done, len(job.stages), time.monotonic() - started
                    )
                if not signal and figures_future.done():
                    session["figures"] = _figures_or_none(figures_future)
                    signal = f"{session['run']}:{len(session['figures'])}"

            last = 0.0
            for event in _events_with_ticks(job.events(), stop):
                now = time.monotonic()
                if event is None or event.kind != "chunk" or now - last >= UPDATE_INTERVAL:
                    refresh()
                    last = now
                    yield view.outputs(session, signal)

            with contextlib.suppress(Exception):
                figures_future.result(timeout=60)
            refresh()
            document = job.document()  # the .md alone: no links to images it does not carry
            view.download = str(document.write(folder / f"{_stem(paper)}.md")[0])
            failure = yield from _finish(job, view, session, signal, ui, started)
            if failure:
                fail(failure)
        finally:
            stop.set()
            shutil.rmtree(folder, ignore_errors=True)

    return summarize


def _figures_or_none(future: Future) -> list[Figure]:
    try:
        return list(future.result(timeout=0))
    except Exception:
        return []


def _finish(job: SummaryJob, view: _RunView, session: dict, signal: str, ui: str, started: float):
    """The last update: "Finished in 12.4 s with gemini." and what the check found; returns
    the one sentence that says why nothing came back, if so (shown once, in the status)."""
    elapsed = seconds(time.monotonic() - started)
    errors = job.state.errors
    if errors and len(errors) == len(job.stages):
        first = next(iter(errors.values()))
        view.status = "❌ " + status_text(ui, "all_failed", reason=_plain(first))
        view.parts = dict.fromkeys(PARTS, "")  # one message, where the visitor looks
        yield view.outputs(session, signal)
        return _plain(first)
    if not errors and not any(r.text.strip() for r in job.state.stages.values()):
        view.status = "❌ " + EMPTY_SUMMARY
        yield view.outputs(session, signal)
        return EMPTY_SUMMARY
    key = "finished_cached" if job.from_cache else "finished"
    view.status = status_text(ui, key, seconds=elapsed, engine=job.engine)
    if errors:
        view.status += " " + status_text(ui, "parts_failed", count=len(errors))
    checked = job.grounding_summary()
    if checked:
        view.status += f" {checked}"
    yield view.outputs(session, signal)
    return None


def _document_of(session: dict, *, with_figures: bool = True):
    from .summarize import document_from_state

    return document_from_state(
        session["paper"],
        session["state"],
        session["lang"],
        figures=(session.get("figures") or []) if with_figures else [],
        extractive=session.get("extractive", False),
        show_pages=session.get("show_pages", True),
    )


def make_finish_handler():
    """After a run (or a retry): the .md and .zip buttons near the top, and "retry this
    part" under each part that failed; nothing when the whole summary failed."""

    def finish(session: dict | None) -> Iterator[tuple]:
        hidden = gr.update(visible=False)
        state = (session or {}).get("state")
        if state is None or not state.stages:
            yield (hidden, hidden, *([hidden] * len(PARTS)))
            return
        errors = state.errors
        all_failed = len(errors) == len(state.stages)
        retry = [gr.update(visible=bool(errors) and not all_failed and p in errors) for p in PARTS]
        if all_failed:
            yield (hidden, hidden, *retry)
            return
        folder = Path(tempfile.mkdtemp(prefix="chatpaper-"))
        try:
            document = _document_of(session)
            stem = _stem(session["paper"])
            # The .md alone links no image it does not carry; the .zip has them all.
            md = _document_of(session, with_figures=False).write(folder / "md" / f"{stem}.md")[0]
            zipped = document.download(folder / "zip", stem) if document.figures else None
            yield (
                gr.update(value=str(md), visible=True),
                gr.update(value=str(zipped), visible=True) if zipped else hidden,
                *retry,
            )
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    return finish


FIGURE_FILES_LIFETIME = 120.0  # seconds: Gradio has copied them into its cache long before


def make_figures_handler(*, for_api: bool = False):
    """The figures, in their own event: the text stream never re-sends them, and an API
    client fetches each figure once (``/figures`` after ``/summarize``). A plain function,
    not a generator: a generator's last value reaches a client twice, and so would every
    figure. Gradio copies the files after we return, so their folder goes a little later."""

    def show_figures(session: dict | None):
        session = session or {}
        figures = session.get("figures") or []
        if not figures:
            return [] if for_api else gr.update(value=None, visible=False)
        folder = Path(tempfile.mkdtemp(prefix="chatpaper-"))
        timer = threading.Timer(FIGURE_FILES_LIFETIME, shutil.rmtree, (folder, True))
        timer.daemon = True
        timer.start()
        items = _gallery(figures, folder, session.get("lang", "en"))
        return items if for_api else gr.update(value=items, visible=True)

    return show_figures


def make_retry_handler(settings: Settings, cache: ResultsCache, stage: str):
    """Write one part again with the run's paper, engine and language (the key comes from
    the key box again: it is never kept). The other parts stay as they are."""

    def retry(
        api_key: str | None, session: dict | None, request: gr.Request = None
    ) -> Iterator[tuple]:
        started = time.monotonic()
        session = dict(session or {})
        ui = session.get("ui") or _ui_lang(request)
        if "paper" not in session:
            yield "❌ Summarize a paper first; then a part that failed can be retried.", "", "", {}
            return
        paper, state = session["paper"], session["state"]
        lang = get_language(session["lang"])
        try:
            backend = _backend(settings, session.get("engine"), session.get("model"), api_key)
        except ChatPaperError as err:
            yield "❌ " + _plain(str(err)), gr.skip(), gr.skip(), session
            return
        job = SummaryJob(
            paper,
            backend,
            settings=settings,
            language=lang,
            cache=cache,
            refresh=True,
            stages=(stage,),
            show_pages=session.get("show_pages", True),
        )
        name = part_name(ui, stage)
        status = status_text(ui, "retrying", part=name)
        basic = render_basic_info(paper, state, lang)
        yield status, "", basic, session
        last = 0.0
        for event in job.events():
            now = time.monotonic()
            if event.kind != "chunk" or now - last >= UPDATE_INTERVAL:
                last = now
                yield status, job.panels()[stage], basic, session
        merged = SummaryState(stages={**state.stages, stage: job.state.stages[stage]})
        session["state"] = merged
        panel = stage_panels(merged, lang, (stage,), job.grounder)[stage]
        result = merged.stages[stage]
        if result.error:
            status = "❌ " + _plain(result.error)
        else:
            name = name[:1].upper() + name[1:]
            elapsed = seconds(time.monotonic() - started)
            status = status_text(ui, "retried", part=name, seconds=elapsed)
        yield status, panel, render_basic_info(paper, merged, lang), session

    return retry


SCRATCH_MAX_AGE = 6 * 3600  # seconds; a job's scratch folder lives for seconds, not hours


def sweep_scratch_folders(max_age: float = SCRATCH_MAX_AGE) -> int:
    """Remove ``chatpaper-*`` scratch folders a killed or interrupted job left in the temp
    folder (its own ``finally`` never ran); returns how many were removed."""
    removed = 0
    cutoff = time.time() - max_age
    for folder in Path(tempfile.gettempdir()).glob("chatpaper-*"):
        with contextlib.suppress(OSError):
            if folder.is_dir() and not folder.is_symlink() and folder.stat().st_mtime < cutoff:
                shutil.rmtree(folder, ignore_errors=True)
                removed += 1
    return removed


def _examples() -> tuple[list[list], list[str]]:
    """The examples and their button labels: the bundled example paper first (a newcomer
    with no key and no network can click it), then two arXiv papers."""
    rows: list[list] = [[text, None] for text in ARXIV_EXAMPLES]
    labels = [f"arXiv {text.rsplit('/', 1)[-1]}" for text in ARXIV_EXAMPLES]
    try:
        from .examples import example_pdf

        path = example_pdf()
    except ImportError:
        return rows, labels
    if path.is_file():
        rows.insert(0, ["", str(path)])
        labels.insert(0, f"PDF: {path.name}")
    return rows, labels


def _part(name: str) -> tuple[gr.Markdown, gr.Button, gr.Button | None]:
    """One part of the result: its Markdown, a copy button, and (for a stage) a retry button
    that shows only when the part failed."""
    with gr.Column(elem_classes=["cp-part"], elem_id=f"part-{name}"):
        panel = gr.Markdown(
            elem_id=f"stage-{name}", latex_delimiters=LATEX, elem_classes=["cp-panel"]
        )
        with gr.Row(elem_classes=["cp-tools"]):
            retry = None
            if name in PARTS:
                retry = gr.Button(
                    T("retry_part"),
                    size="sm",
                    visible=False,
                    variant="secondary",
                    elem_id=f"retry-{name}",
                )
            copy = gr.Button(
                T("copy_part"), size="sm", variant="secondary", elem_classes=["cp-copy"]
            )
    copy.click(None, js=f"() => ({COPY_JS})(['#stage-{name}'])")
    return panel, copy, retry


def build_ui(settings: Settings | None = None) -> gr.Blocks:
    settings = settings or Settings.from_env()
    load_prompts()  # a broken CHATPAPER_PROMPTS_DIR copy stops the start with one sentence
    sweep_scratch_folders()
    cache = open_cache(settings)
    engine_choices = _engine_choices(settings)
    default = default_engine(settings)

    # Gradio keeps copies of downloads and figures: drop those older than a day, hourly.
    with gr.Blocks(title="chatpaper", delete_cache=(3600, 86400)) as demo:
        gr.Markdown("# chatpaper", elem_id="app-title")
        gr.Markdown(T("tagline"), elem_id="tagline")
        with gr.Tab(T("tab_summarize"), elem_id="tab-summarize"), gr.Row(equal_height=False):
            with gr.Column(scale=1, min_width=300, elem_id="inputs"):
                arxiv_box = gr.Textbox(
                    label=T("arxiv_label"),
                    placeholder=T("arxiv_placeholder"),
                    elem_id="arxiv-input",
                )
                pdf_box = gr.File(
                    label=T("pdf_label"),
                    file_types=[".pdf"],
                    type="filepath",
                    elem_id="pdf-input",
                    height=110,
                )
                language_box = gr.Dropdown(
                    LANGUAGE_CHOICES, value="en", label=T("language_label"), elem_id="language"
                )
                run_button = gr.Button(T("summarize"), variant="primary", elem_id="summarize")
                with gr.Accordion(T("options"), open=False, elem_id="options"):
                    engine_box = gr.Dropdown(engine_choices, value=default, label=T("engine_label"))
                    model_box = gr.Textbox(
                        label=T("model_label"), placeholder=f"default: {settings.model} for Gemini"
                    )
                    key_box = gr.Textbox(
                        label=T("key_label"),
                        type="password",
                        placeholder=T("key_placeholder"),
                        elem_id="api-key",
                    )
                    fresh_box = gr.Checkbox(label=T("fresh_label"), value=False)
                    pages_box = gr.Checkbox(
                        label=T("pages_label"), value=True, elem_id="show-pages"
                    )
                example_rows, example_labels = _examples()
                gr.Examples(
                    example_rows,
                    inputs=[arxiv_box, pdf_box],
                    label=T("examples"),
                    example_labels=example_labels,
                    elem_id="examples",
                )
                with gr.Accordion(T("how_it_works"), open=False):
                    gr.Markdown(T("how_it_works_text"))
            with gr.Column(scale=3, elem_id="result"):
                status_box = gr.Markdown(T("ready"), elem_id="status")
                with gr.Row(elem_id="result-tools"):
                    md_button = gr.DownloadButton(
                        T("download_md"), visible=False, variant="primary", elem_id="download-md"
                    )
                    zip_button = gr.DownloadButton(
                        T("download_zip"), visible=False, elem_id="download-zip"
                    )
                    copy_all = gr.Button(T("copy_all"), elem_id="copy-all", size="md")
                header_box = gr.Markdown(elem_id="paper-header", latex_delimiters=LATEX)
                tldr_box, _c, retry_tldr = _part("tldr")
                basic_box, _c, _r = _part("basic")
                overview_box, _c, retry_overview = _part("overview")
                methods_box, _c, retry_methods = _part("methods")
                conclusion_box, _c, retry_conclusion = _part("conclusion")
                gallery_box = gr.Gallery(
                    label=T("figures"),
                    columns=2,
                    height="auto",
                    object_fit="contain",
                    elem_id="figures",
                    visible=False,
                    allow_preview=True,
                    preview=False,  # tiles first; a click opens one large
                )
                # The API's copy of the .md (the buttons above are the page's own), and the
                # never-shown trigger of the API's own listeners. Inside the tab: a component
                # between two tabs would split them into two tab bars.
                download_box = gr.File(visible=False, elem_id="download")
                api_trigger = gr.Button(visible=False, elem_id="summarize-api")
                session = gr.State({}, time_to_live=6 * 3600)
                figures_signal = gr.State("")
                build_ask_panel(
                    settings,
                    arxiv_box=arxiv_box,
                    pdf_box=pdf_box,
                    language_box=language_box,
                    engine_box=engine_box,
                    model_box=model_box,
                    key_box=key_box,
                )
        copy_all.click(
            None,
            js=f"() => ({COPY_JS})(['#paper-header', '#stage-tldr', '#stage-basic', "
            "'#stage-overview', '#stage-methods', '#stage-conclusion'])",
        )
        retry_buttons = [retry_tldr, retry_overview, retry_methods, retry_conclusion]
        summarize_inputs = [
            arxiv_box,
            pdf_box,
            language_box,
            engine_box,
            model_box,
            key_box,
            fresh_box,
            pages_box,
        ]
        summarize_outputs = [
            status_box,
            header_box,
            tldr_box,
            basic_box,
            overview_box,
            methods_box,
            conclusion_box,
            download_box,
            session,
            figures_signal,
        ]
        handler = make_summarize_handler(settings, cache, raise_errors=False)
        finish = make_finish_handler()
        hidden = [md_button, zip_button, *retry_buttons, gallery_box]

        def clear_tools():
            return tuple(gr.update(visible=False) for _ in hidden)

        # Enter in the arXiv box runs the same job as the button.
        for trigger, name in ((run_button.click, "page_run"), (arxiv_box.submit, "page_enter")):
            trigger(
                None,
                js=START_RUN_JS,
                inputs=[arxiv_box, pdf_box],
                outputs=summarize_outputs[:7],  # the status and the parts, in the browser
                api_visibility="private",
            )
            trigger(clear_tools, outputs=hidden, queue=False, api_visibility="private").then(
                handler,
                inputs=summarize_inputs,
                outputs=summarize_outputs,
                api_name=name,  # named, so the API's own listener keeps "/summarize"
                api_visibility="private",
                concurrency_limit=settings.app_concurrency,
                concurrency_id="summarize",
                show_progress="hidden",  # the status line is the progress; no "Error" pills
            ).then(
                finish,
                inputs=[session],
                outputs=[md_button, zip_button, *retry_buttons],
                api_visibility="private",
                queue=False,
            )
        # The API's /summarize: the same job, its failure raised as an AppError for the client.
        api_trigger.click(
            make_summarize_handler(settings, cache, raise_errors=True),
            inputs=summarize_inputs,
            outputs=summarize_outputs,
            api_name="summarize",
            concurrency_limit=settings.app_concurrency,
            concurrency_id="summarize",
        )
        figures_signal.change(
            make_figures_handler(),
            inputs=[session],
            outputs=[gallery_box],
            api_name="page_figures",
            api_visibility="private",
            show_progress="hidden",
        )
        # The API's /figures: the last /summarize's figures of this client's session.
        api_trigger.click(
            make_figures_handler(for_api=True),
            inputs=[session],
            outputs=[gallery_box],
            api_name="figures",
        )
        retry_outputs = {
            "tldr": tldr_box,
            "overview": overview_box,
            "methods": methods_box,
            "conclusion": conclusion_box,
        }
        for stage, button in zip(PARTS, retry_buttons, strict=True):
            button.click(
                lambda: gr.update(visible=False),
                outputs=[button],
                queue=False,
                api_visibility="private",
            ).then(
                make_retry_handler(settings, cache, stage),
                inputs=[key_box, session],
                outputs=[status_box, retry_outputs[stage], basic_box, session],
                api_visibility="private",
                concurrency_limit=settings.app_concurrency,
                concurrency_id="summarize",
                show_progress="hidden",
            ).then(
                finish,
                inputs=[session],
                outputs=[md_button, zip_button, *retry_buttons],
                api_visibility="private",
                queue=False,
            )
        digest_language = build_digest_tab(settings, cache)

        def browser_defaults(request: gr.Request):
            """A browser that prefers Chinese gets Chinese output by default."""
            if _ui_lang(request) == "zh":
                return "zh", "zh"
            return gr.skip(), gr.skip()

        demo.load(
            browser_defaults,
            outputs=[language_box, digest_language],
            queue=False,
            api_visibility="private",
        )
    demo.queue(max_size=settings.app_queue_size, default_concurrency_limit=settings.app_concurrency)
    return demo


# --- the Digest tab --------------------------------------------------------------------
DIGEST_MAX_PAPERS = 30


def _digest_stem(topic: str, day: str) -> str:
    slug = re.sub(r"[^\w.-]+", "-", topic.strip().lower()).strip("-")[:40] or "digest"
    return f"{slug}-{day}"


def make_digest_handler(settings: Settings, cache: ResultsCache | None):
    """The tab's generator: (status, post preview, download) as papers are written. The
    status is the digest's own progress line (what the CLI prints), ticking every second,
    with the latest news about one paper (a wait, a failure) under it."""

    def digest(
        topic: str | None,
        category: str | None,
        day_text: str | None,
        count: float | None,
        language: str | None,
        engine: str | None,
        api_key: str | None,
        deep: bool | None,
        fresh: bool | None = False,
    ) -> Iterator[tuple[str, str, str | None]]:
        try:
            topic = (topic or "").strip()
            if not topic:
                raise InvalidSourceError("Give a topic first, such as 'diffusion models'.")
            day = digest_mod.parse_day(day_text) if (day_text or "").strip() else None
            max_papers = int(count or digest_mod.DEFAULT_MAX_PAPERS)
            progress = digest_mod.run_digest(
                topic,
                settings=settings,
                category=(category or "").strip() or None,
                day=day,
                max_papers=max(1, min(DIGEST_MAX_PAPERS, max_papers)),
                language=language or "en",
                engine=engine or None,
                api_key=(api_key or "").strip() or None,
                deep=bool(deep),
                cache=cache,
                refresh=bool(fresh),
                heartbeat=1.0,
            )
            status, post = "Searching arXiv…", ""
            line, note, counted, lasting = status, "", None, False
            yield status, "", None
            for event in progress:
                if event.post is not None:
                    post = event.post
                if event.kind in ("stage", "paper"):  # the progress line says it in words
                    continue
                if event.count is not None:
                    moved = (event.count.done, event.count.in_flight)
                    if moved != counted and not lasting:  # a wait is news until the count moves
                        note = ""
                    counted, line = moved, event.message
                elif event.index and event.kind in ("status", "warning"):
                    note, lasting = event.message, event.kind == "warning"  # a failure stays
                elif event.kind != "entry":
                    line = event.message
                status = html.escape(f"{line}\n\n{note}" if note else line, quote=False)
                yield status, digest_mod.post_body(post), None
        except ChatPaperError as err:
            raise gr.Error(_plain(str(err)), print_exception=False) from None
        folder = Path(tempfile.mkdtemp(prefix="chatpaper-digest-"))
        try:  # Gradio copies the file it is given into its own cache: our folder is scratch
            stamp = str(day) if day else datetime.now(timezone.utc).date().isoformat()
            path = folder / f"{_digest_stem(topic, stamp)}.md"
            path.write_text(post, encoding="utf-8")
            yield status, digest_mod.post_body(post), str(path)
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    return digest


def build_digest_tab(settings: Settings, cache: ResultsCache | None = None) -> gr.Dropdown:
    """The "Digest" tab: a topic in, a blog post out, paper by paper (call inside gr.Blocks).
    Returns its language box, which follows the browser's language as the summary's does."""
    with gr.Tab(T("tab_digest"), elem_id="tab-digest"), gr.Row():
        with gr.Column(scale=1, min_width=300):
            topic = gr.Textbox(
                label=T("digest_topic"), placeholder="diffusion models", elem_id="digest-topic"
            )
            category = gr.Textbox(label=T("digest_category"), placeholder="cs.CV")
            day = gr.Textbox(
                label=T("digest_date"),
                placeholder=T("digest_date_placeholder"),
                elem_id="digest-date",
            )
            count = gr.Slider(
                1,
                DIGEST_MAX_PAPERS,
                value=digest_mod.DEFAULT_MAX_PAPERS,
                step=1,
                label=T("digest_count"),
            )
            language = gr.Dropdown(
                LANGUAGE_CHOICES, value="en", label=T("digest_language"), elem_id="digest-language"
            )
            button = gr.Button(T("digest_run"), variant="primary", elem_id="digest-run")
            with gr.Accordion(T("options"), open=False, elem_id="digest-options"):
                engine = gr.Dropdown(
                    _engine_choices(settings),
                    value=default_engine(settings),
                    label=T("engine_label"),
                )
                api_key = gr.Textbox(
                    label=T("key_label"),
                    type="password",
                    placeholder=T("key_placeholder"),
                )
                deep = gr.Checkbox(label=T("digest_deep"), value=False)
                fresh = gr.Checkbox(label=T("fresh_label"), value=False, elem_id="digest-fresh")
        with gr.Column(scale=2):
            status = gr.Markdown(T("digest_ready"), elem_id="digest-status")
            post = gr.Markdown(elem_id="digest-post", buttons=["copy"])
            download = gr.File(
                label=T("digest_download"), interactive=False, elem_id="digest-download"
            )
    button.click(
        make_digest_handler(settings, cache or open_cache(settings)),
        inputs=[topic, category, day, count, language, engine, api_key, deep, fresh],
        outputs=[status, post, download],
        api_name="digest",
        concurrency_limit=2,  # each digest already runs several model calls at once
    )
    return language


THEME_FONTS = dict(
    font=["ui-sans-serif", "system-ui", "sans-serif"],
    font_mono=["ui-monospace", "SFMono-Regular", "monospace"],
)


def launch(demo: gr.Blocks, settings: Settings | None = None, **kwargs) -> None:
    settings = settings or Settings.from_env()
    kwargs.setdefault("max_file_size", settings.max_upload)
    # Gradio's run history saves every input, a visitor's API key included, in the browser
    # (and optionally a Hugging Face bucket): keys must never be kept, so it stays off.
    kwargs.setdefault("run_history", False)
    kwargs.setdefault("theme", gr.themes.Soft(**THEME_FONTS))
    kwargs.setdefault("css", CSS)
    kwargs.setdefault("i18n", I18N)  # labels in the browser's language (English, Chinese)
    # The bundled example paper lives in the package (site-packages once installed): Gradio
    # serves example files only from folders it is told about.
    kwargs.setdefault("allowed_paths", [str(Path(__file__).parent / "examples")])
    demo.launch(**kwargs)


# --- the "Ask about this paper" chat ---------------------------------------------------
ASK_UPDATE_INTERVAL = 0.05


def _paper_key(arxiv_text: str | None, pdf_path: str | None) -> str:
    if pdf_path:
        return "file:" + Path(pdf_path).name + ":" + str(Path(pdf_path).stat().st_size)
    return "arxiv:" + (arxiv_text or "").strip()


def make_ask_handler(settings: Settings):
    from dataclasses import replace as _replace

    from .ask import AskCache, NoPaperError, Turn, annotate, ask, check_question, page_link

    cache = AskCache(settings.cache_dir)

    def ask_paper(
        arxiv_text: str | None,
        pdf_file: str | None,
        question: str | None,
        language: str,
        engine: str | None,
        model: str | None,
        api_key: str | None,
        session: dict | None,
    ) -> Iterator[tuple]:
        """Answer one question about the paper in the boxes above; earlier turns of this
        browser session are context. Yields (chat messages, question box, session)."""
        session = dict(session or {})
        messages = list(session.get("messages", []))
        try:
            if not (pdf_file or (arxiv_text or "").strip()):
                raise NoPaperError("Read a paper first: paste an arXiv link or upload a PDF above.")
            question = check_question(question)
            key = _paper_key(arxiv_text, pdf_file)
            if session.get("key") != key:  # a new paper starts a new chat
                paper = _read_paper(arxiv_text, pdf_file, settings, lambda _m: None)
                session = {"key": key, "paper": _replace(paper, pdf_bytes=None), "turns": []}
                messages = []
            paper = session["paper"]
            backend = _backend(settings, engine, model, api_key)
        except ChatPaperError as err:
            raise gr.Error(str(err), print_exception=False) from None
        lang = get_language(language)
        turns = list(session.get("turns", []))
        messages.append({"role": "user", "content": question})
        answer = ""
        yield [*messages, {"role": "assistant", "content": "…"}], "", session
        last = 0.0
        result = None
        try:
            for event in ask(
                paper, question, backend=backend, language=lang, history=turns, cache=cache
            ):
                if event.kind == "chunk":
                    answer += event.text
                elif event.kind == "restart":
                    answer = ""
                elif event.kind == "done":
                    result = event.result
                    continue
                now = time.monotonic()
                if now - last >= ASK_UPDATE_INTERVAL:
                    last = now
                    yield [*messages, {"role": "assistant", "content": answer}], "", session
        except ChatPaperError as err:
            kept = messages + ([{"role": "assistant", "content": answer}] if answer else [])
            session["messages"] = kept
            yield kept, question, session
            raise gr.Error(str(err), print_exception=False) from None
        assert result is not None
        shown = annotate(result.answer, result.citations, lang, page_link(paper))
        if result.citations and result.mode != "extract":
            good = sum(c.verified for c in result.citations)
            shown += f"\n\n*{good} of {len(result.citations)} quotes found on their pages.*"
        for warning in result.warnings:
            shown += f"\n\n⚠️ {warning}"
        messages.append({"role": "assistant", "content": shown})
        turns.append(Turn(question, result.answer))
        session.update(messages=messages, turns=turns)
        yield messages, "", session

    return ask_paper


def build_ask_panel(
    settings: Settings, *, arxiv_box, pdf_box, language_box, engine_box, model_box, key_box
) -> None:
    """The "Ask about this paper" chat (call inside the summary column). The paper and the
    chat live in this browser session's gr.State only; the key is an argument of each
    request and is never kept in it."""
    session = gr.State({})
    with gr.Group(elem_id="ask-panel"):
        gr.Markdown(T("ask_heading"), elem_id="ask-heading")
        chat = gr.Chatbot(
            label=T("ask_heading"),
            show_label=False,  # the heading above says it
            elem_id="ask-chat",
            height=360,
            buttons=["copy"],
            latex_delimiters=LATEX,
            placeholder=T("ask_chat_placeholder"),
        )
        with gr.Row():
            question = gr.Textbox(
                label=T("ask_heading"),  # read out by screen readers; the heading shows it
                show_label=False,
                placeholder=T("ask_placeholder"),
                elem_id="ask-question",
                scale=5,
                max_lines=4,
            )
            send = gr.Button(T("ask_send"), elem_id="ask-send", scale=1, min_width=80)
    inputs = [arxiv_box, pdf_box, question, language_box, engine_box, model_box, key_box, session]
    handler = make_ask_handler(settings)
    for trigger in (send.click, question.submit):
        trigger(
            handler,
            inputs=inputs,
            outputs=[chat, question, session],
            api_name="ask" if trigger == send.click else False,
            api_visibility="public" if trigger == send.click else "private",
            concurrency_limit=settings.app_concurrency,
            show_progress_on=[chat],  # not the question box: an error would cover the question
        )

    def new_chat() -> tuple[list, dict]:
        return [], {}

    for box in (arxiv_box, pdf_box):
        box.change(new_chat, outputs=[chat, session], api_visibility="private", queue=False)
