"""The Gradio app: paste an arXiv link or drop a PDF, watch the summary stream in.

This is the only module that knows about Gradio. It turns ChatPaperError into gr.Error and
pipeline events into cumulative Markdown per panel. A visitor's API key is a plain argument of
one request: it is never stored in module state, logged, cached or shown back.
"""

from __future__ import annotations

import html
import logging
import os
import re
import shutil
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import wait as wait_for
from datetime import datetime, timezone
from pathlib import Path

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")

import contextlib

import gradio as gr

from . import digest as digest_mod
from .cache import ResultsCache, open_cache
from .config import Settings
from .document import figures_of
from .errors import ChatPaperError, InvalidSourceError
from .i18n import get_language
from .llm.base import available_engines, create_backend, default_engine, engines
from .paper import Figure, Paper
from .prompts import load_prompts
from .reader import read_arxiv, read_pdf_file
from .summarize import SummaryJob

log = logging.getLogger(__name__)

LANGUAGE_CHOICES = [("English", "en"), ("中文", "zh")]
EXAMPLES = [["2402.00864"], ["https://arxiv.org/abs/1706.03762"]]
# inline $...$ as well as display $$...$$ (Gradio renders only $$ by default)
LATEX = [
    {"left": "$$", "right": "$$", "display": True},
    {"left": "$", "right": "$", "display": False},
]
UPDATE_INTERVAL = 0.1  # seconds between two streamed UI updates (chunks arrive faster)

HOW_IT_WORKS = """
**How it works.** chatpaper reads the whole paper (arXiv metadata and PDF, or your upload) with
pypdf, then asks the engine four questions at once: a one-sentence summary with key takeaways,
an overview (background, past methods, proposed method, results), the method step by step, and
the conclusion. Each part streams into its own panel. Title, authors and links come from arXiv
or the PDF, never from the model. A guard checks every answer for template slots, chatter and
missing parts and asks again once if needed. With no API key the **offline** engine quotes the
paper's own sentences, with page numbers. Your API key is used for your request only.
"""

_figure_pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="figures")
# Reading a paper (download, PDF worker) runs beside the handler so its status streams.
_reader_pool = ThreadPoolExecutor(max_workers=32, thread_name_prefix="reader")


EMPTY_SUMMARY = (
    "Every part of the summary came back empty; try again, or choose another engine or model."
)


def _plain(message: str) -> str:
    """Toasts and the status line render HTML: show a message, and the visitor's input quoted
    in it, as text (a pasted ``<https://...>`` would otherwise vanish as a tag)."""
    return html.escape(message, quote=False)


def _engine_choices(settings: Settings) -> list[tuple[str, str]]:
    names = available_engines(settings)
    registry = engines()
    # An engine that only lacks a key is offered: a visitor can bring one in the API key field.
    names += [n for n, info in registry.items() if info.needs_key and n not in names]
    return [(registry[n].label if n in registry else n, n) for n in names]


def _read_paper(arxiv_text: str | None, pdf_path: str | None, settings: Settings, status) -> Paper:
    """The uploaded PDF, else the arXiv text. The text box never reads local files."""
    if pdf_path:
        status(f"Reading {Path(pdf_path).name}…")
        return read_pdf_file(pdf_path, settings=settings, on_status=status)
    if arxiv_text and arxiv_text.strip():
        return read_arxiv(arxiv_text, settings=settings, on_status=status)
    raise ChatPaperError("Paste an arXiv link or ID (such as 2402.00864) or upload a PDF first.")


def _gallery(figures: list[Figure], folder: Path) -> list[tuple[str, str]]:
    from .figures import save_figures

    paths = save_figures(figures, folder, "figure")
    items = []
    for figure, path in zip(figures, paths, strict=False):
        caption = figure.caption or ""
        items.append((str(path), f"p. {figure.page}: {caption}".strip(": ")))
    return items


def _stem(paper: Paper) -> str:
    if paper.arxiv_id:
        return f"summary_{paper.arxiv_id.replace('/', '_')}"
    return "summary_" + (paper.fingerprint.split(":")[-1][:10] or "paper")


def make_summarize_handler(settings: Settings, cache: ResultsCache):
    def summarize(
        arxiv_text: str | None,
        pdf_file: str | None,
        language: str,
        engine: str | None,
        model: str | None,
        api_key: str | None,
        fresh_run: bool,
        show_pages: bool = True,
    ) -> Iterator[tuple]:
        """Summarize one paper; yields (status, header, tldr, overview, methods, conclusion,
        figures, download) as the text arrives."""
        lang = get_language(language)
        status = "Starting…"
        header = tldr = overview = methods = conclusion = ""
        gallery: list | None = None
        download = None

        def outputs():
            return (status, header, tldr, overview, methods, conclusion, gallery, download)

        notes: list[str] = []

        def on_status(message: str) -> None:
            notes.append(message)

        reading = _reader_pool.submit(_read_paper, arxiv_text, pdf_file, settings, on_status)
        shown = 0
        while True:  # show the reader's progress ("Downloading the PDF, 1.2 of 3.4 MB…")
            wait_for([reading], timeout=0.25)
            if len(notes) > shown:
                shown = len(notes)
                status = _plain(notes[-1])
                yield outputs()
            if reading.done():
                break
        try:
            paper = reading.result()
            backend = create_backend(
                engine or None,
                settings,
                model=(model or "").strip() or None,
                api_key=(api_key or "").strip() or None,
            )
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
            raise gr.Error(_plain(str(err)), print_exception=False) from None

        started = time.monotonic()
        header = job.header()
        status = _plain(notes[-1]) if notes else f"Read {len(paper.pages)} pages."
        yield outputs()

        folder = Path(tempfile.mkdtemp(prefix="chatpaper-"))
        try:  # Gradio copies what we yield into its own cache: our folder is scratch
            figures_future: Future[list[Figure]] = _figure_pool.submit(figures_of, paper, settings)
            figures: list[Figure] = []

            def panels() -> None:
                nonlocal tldr, overview, methods, conclusion
                values = job.panels()
                tldr, overview = values["tldr"], values["overview"]
                methods, conclusion = values["methods"], values["conclusion"]

            gallery_items: list[tuple[str, str]] | None = None

            def take_figures() -> None:
                """Show the gallery once the figures are ready. Any component update (even
                gr.skip()) makes Gradio rebuild the session config and API schema, which
                costs more than the whole stream: send it once, then only the plain value."""
                nonlocal gallery, figures, gallery_items
                if gallery_items is not None:
                    gallery = gallery_items or None
                elif figures_future.done():
                    figures = figures_future.result()
                    gallery_items = _gallery(figures, folder / "gallery") if figures else []
                    gallery = gr.Gallery(value=gallery_items, visible=bool(gallery_items))

            last = 0.0
            warned: set[str] = set()
            for event in job.events():
                if event.kind == "status":
                    status = event.text
                elif event.kind == "stage_start":
                    status = "Writing: " + ", ".join(job.stages_where(done=False)) + "…"
                elif event.kind == "stage_done":
                    status = f"Done: {', '.join(job.stages_where(done=True))}."
                elif event.kind == "warning" and event.text not in warned:
                    warned.add(event.text)
                    gr.Warning(_plain(event.text))
                elif event.kind == "error":
                    gr.Warning(_plain(f"{event.stage}: {event.text}"))
                now = time.monotonic()
                if event.kind != "chunk" or now - last >= UPDATE_INTERVAL:
                    panels()
                    take_figures()
                    last = now
                    yield outputs()

            panels()
            with contextlib.suppress(Exception):
                figures_future.result(timeout=60)
            take_figures()
            download = str(job.document(figures).download(folder, _stem(paper)))
            elapsed = time.monotonic() - started
            errors = job.state.errors
            source = " (from the results cache)" if job.from_cache else ""
            if errors and len(errors) == len(job.stages):
                status = "The summary failed."
                yield outputs()
                first = next(iter(errors.values()))
                raise gr.Error(_plain(first), print_exception=False)
            if not errors and not any(r.text.strip() for r in job.state.stages.values()):
                status = EMPTY_SUMMARY
                yield outputs()
                raise gr.Error(EMPTY_SUMMARY, print_exception=False)
            status = f"Finished in {elapsed:.1f} s with {job.engine}{source}."
            if errors:
                status += f" {len(errors)} part(s) failed; see the panels."
            checked = job.grounding_summary()
            if checked:
                status += f" {checked}"
            yield outputs()
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    return summarize


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


def build_ui(settings: Settings | None = None) -> gr.Blocks:
    settings = settings or Settings.from_env()
    load_prompts()  # a broken CHATPAPER_PROMPTS_DIR copy stops the start with one sentence
    sweep_scratch_folders()
    cache = open_cache(settings)
    engine_choices = _engine_choices(settings)
    default = default_engine(settings)

    # Gradio keeps copies of downloads and figures: drop those older than a day, hourly.
    with gr.Blocks(title="chatpaper", delete_cache=(3600, 86400)) as demo:
        gr.Markdown(
            "# chatpaper\nPaste an arXiv link or upload a PDF: a structured summary "
            "streams in, part by part."
        )
        with gr.Tab("Summarize"), gr.Row():
            with gr.Column(scale=1, min_width=300):
                arxiv_box = gr.Textbox(
                    label="arXiv ID or link",
                    placeholder="2402.00864 or https://arxiv.org/abs/2402.00864",
                    elem_id="arxiv-input",
                )
                pdf_box = gr.File(
                    label="…or upload a PDF",
                    file_types=[".pdf"],
                    type="filepath",
                    elem_id="pdf-input",
                )
                language_box = gr.Dropdown(LANGUAGE_CHOICES, value="en", label="Output language")
                engine_box = gr.Dropdown(engine_choices, value=default, label="Engine")
                model_box = gr.Textbox(
                    label="Model (optional)", placeholder=f"default: {settings.model} for Gemini"
                )
                key_box = gr.Textbox(
                    label="Your Gemini API key (optional, used for this request only)",
                    type="password",
                    placeholder="leave empty to use the server's key",
                )
                fresh_box = gr.Checkbox(label="Fresh run (ignore the results cache)", value=False)
                pages_box = gr.Checkbox(
                    label="Show page references (claims are checked either way)",
                    value=True,
                    elem_id="show-pages",
                )
                run_button = gr.Button("Summarize", variant="primary", elem_id="summarize")
                gr.Examples(EXAMPLES, inputs=[arxiv_box], label="Examples")
                with gr.Accordion("How it works", open=False):
                    gr.Markdown(HOW_IT_WORKS)
            with gr.Column(scale=2):
                status_box = gr.Markdown("Ready.", elem_id="status")
                header_box = gr.Markdown(
                    elem_id="paper-header", buttons=["copy"], latex_delimiters=LATEX
                )
                tldr_box = gr.Markdown(
                    elem_id="stage-tldr", buttons=["copy"], latex_delimiters=LATEX
                )
                gallery_box = gr.Gallery(
                    label="Figures", columns=4, height="auto", elem_id="figures", visible=False
                )
                overview_box = gr.Markdown(
                    elem_id="stage-overview", buttons=["copy"], latex_delimiters=LATEX
                )
                methods_box = gr.Markdown(
                    elem_id="stage-methods", buttons=["copy"], latex_delimiters=LATEX
                )
                conclusion_box = gr.Markdown(
                    elem_id="stage-conclusion", buttons=["copy"], latex_delimiters=LATEX
                )
                download_box = gr.File(
                    label="Download the summary", interactive=False, elem_id="download"
                )
                build_ask_panel(
                    settings,
                    arxiv_box=arxiv_box,
                    pdf_box=pdf_box,
                    language_box=language_box,
                    engine_box=engine_box,
                    model_box=model_box,
                    key_box=key_box,
                )

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
            overview_box,
            methods_box,
            conclusion_box,
            gallery_box,
            download_box,
        ]
        handler = make_summarize_handler(settings, cache)
        run_button.click(
            handler,
            inputs=summarize_inputs,
            outputs=summarize_outputs,
            api_name="summarize",
            concurrency_limit=settings.app_concurrency,
            concurrency_id="summarize",
        )
        arxiv_box.submit(  # Enter in the arXiv box runs the same job
            handler,
            inputs=summarize_inputs,
            outputs=summarize_outputs,
            api_visibility="private",
            concurrency_limit=settings.app_concurrency,
            concurrency_id="summarize",
        )
        build_digest_tab(settings, cache)
    demo.queue(max_size=settings.app_queue_size, default_concurrency_limit=settings.app_concurrency)
    return demo


# --- the Digest tab --------------------------------------------------------------------
DIGEST_MAX_PAPERS = 30


def _digest_stem(topic: str, day: str) -> str:
    slug = re.sub(r"[^\w.-]+", "-", topic.strip().lower()).strip("-")[:40] or "digest"
    return f"{slug}-{day}"


def make_digest_handler(settings: Settings, cache: ResultsCache | None):
    """The tab's generator: (status, post preview, download) as papers are written."""

    def digest(
        topic: str | None,
        category: str | None,
        day_text: str | None,
        count: float | None,
        language: str | None,
        engine: str | None,
        api_key: str | None,
        deep: bool | None,
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
            )
            status, post = "Searching arXiv…", ""
            yield status, "", None
            for event in progress:
                if event.post is not None:
                    post = event.post
                status = event.message
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


def build_digest_tab(settings: Settings, cache: ResultsCache | None = None) -> None:
    """The "Digest" tab: a topic in, a blog post out, paper by paper (call inside gr.Blocks)."""
    with gr.Tab("Digest"), gr.Row():
        with gr.Column(scale=1, min_width=300):
            topic = gr.Textbox(
                label="Topic", placeholder="diffusion models", elem_id="digest-topic"
            )
            category = gr.Textbox(label="arXiv category (optional)", placeholder="cs.CV")
            day = gr.Textbox(
                label="Date (YYYY-MM-DD, UTC)",
                placeholder=f"empty: the last {digest_mod.DEFAULT_DAYS} days",
                elem_id="digest-date",
            )
            count = gr.Slider(
                1,
                DIGEST_MAX_PAPERS,
                value=digest_mod.DEFAULT_MAX_PAPERS,
                step=1,
                label="Papers (newest first)",
            )
            language = gr.Dropdown(LANGUAGE_CHOICES, value="en", label="Language")
            engine = gr.Dropdown(
                _engine_choices(settings), value=default_engine(settings), label="Engine"
            )
            api_key = gr.Textbox(
                label="Your Gemini API key (optional, used for this request only)",
                type="password",
                placeholder="leave empty to use the server's key",
            )
            deep = gr.Checkbox(
                label="Full structured summaries from the PDFs (4 model calls per paper)",
                value=False,
            )
            button = gr.Button("Write the digest", variant="primary", elem_id="digest-run")
        with gr.Column(scale=2):
            status = gr.Markdown("Ready.", elem_id="digest-status")
            post = gr.Markdown(elem_id="digest-post", buttons=["copy"])
            download = gr.File(
                label="Download the post (.md)", interactive=False, elem_id="digest-download"
            )
    button.click(
        make_digest_handler(settings, cache or open_cache(settings)),
        inputs=[topic, category, day, count, language, engine, api_key, deep],
        outputs=[status, post, download],
        api_name="digest",
        concurrency_limit=2,  # each digest already runs several model calls at once
    )


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
    from .llm.base import create_backend

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
            backend = create_backend(
                engine or None,
                settings,
                model=(model or "").strip() or None,
                api_key=(api_key or "").strip() or None,
            )
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
        gr.Markdown("### Ask about this paper", elem_id="ask-heading")
        chat = gr.Chatbot(
            label="Ask about this paper",
            show_label=False,  # the heading above says it
            elem_id="ask-chat",
            height=420,
            buttons=["copy"],
            latex_delimiters=[{"left": "$$", "right": "$$", "display": True}],
            placeholder="Ask a follow-up question once the paper is read: answers quote the "
            "paper with its pages.",
        )
        with gr.Row():
            question = gr.Textbox(
                show_label=False,
                placeholder="e.g. Which datasets do they evaluate on?",
                elem_id="ask-question",
                scale=5,
                max_lines=4,
            )
            send = gr.Button("Ask", elem_id="ask-send", scale=1, min_width=80)
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
