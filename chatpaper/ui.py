"""The Gradio app: paste an arXiv link or drop a PDF, watch the summary stream in.

This is the only module that knows about Gradio. It turns ChatPaperError into gr.Error and
pipeline events into cumulative Markdown per panel. A visitor's API key is a plain argument of
one request: it is never stored in module state, logged, cached or shown back.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime, timezone
from pathlib import Path

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")

import contextlib

import gradio as gr

from . import digest as digest_mod
from .cache import ResultsCache
from .config import Settings
from .errors import ChatPaperError, InvalidSourceError
from .export import write_summary, zip_files
from .i18n import Language, get_language
from .llm.base import available_engines, default_engine, engines
from .mdstream import complete_markdown
from .paper import Figure, Paper
from .pipeline import STAGES, StageResult
from .reader import read_arxiv, read_pdf_file
from .render import render_stage
from .summarize import SummaryJob

log = logging.getLogger(__name__)

LANGUAGE_CHOICES = [("English", "en"), ("中文", "zh")]
EXAMPLES = [["2402.00864"], ["https://arxiv.org/abs/1706.03762"]]
PANEL_HEADINGS = {"overview": 6, "methods": 7, "conclusion": 8}  # numbering as in the download
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


def _engine_choices(settings: Settings) -> list[tuple[str, str]]:
    names = available_engines(settings)
    if "gemini" in engines() and "gemini" not in names:
        names.append("gemini")  # a visitor can bring a key in the API key field
    registry = engines()
    return [(registry[n].label if n in registry else n, n) for n in names]


def _read_paper(arxiv_text: str | None, pdf_path: str | None, settings: Settings, status) -> Paper:
    """The uploaded PDF, else the arXiv text. The text box never reads local files."""
    if pdf_path:
        status(f"Reading {Path(pdf_path).name}…")
        return read_pdf_file(pdf_path, settings=settings, on_status=status)
    if arxiv_text and arxiv_text.strip():
        return read_arxiv(arxiv_text, settings=settings, on_status=status)
    raise ChatPaperError("Paste an arXiv link or ID (such as 2402.00864) or upload a PDF first.")


def _extract_figures(paper: Paper, settings: Settings) -> list[Figure]:
    if not paper.pdf_bytes or settings.max_figures <= 0:
        return []
    try:
        from .figures import extract_figures
    except ImportError:
        return []
    try:
        return extract_figures(paper.pdf_bytes, max_figures=settings.max_figures)
    except Exception:  # figures are a bonus: never fail the summary for them
        log.warning("figure extraction failed", exc_info=True)
        return []


def _gallery(figures: list[Figure], folder: Path) -> list[tuple[str, str]]:
    from .figures import save_figures

    paths = save_figures(figures, folder, "figure")
    items = []
    for figure, path in zip(figures, paths, strict=False):
        caption = figure.caption or ""
        items.append((str(path), f"p. {figure.page}: {caption}".strip(": ")))
    return items


def _write_download(
    markdown: str, folder: Path, stem: str, figures: list[Figure], lang: Language
) -> str:
    """The .md file, or a .zip with the .md and its figures when there are any."""
    files = write_summary(markdown, folder / f"{stem}.md", figures, lang)
    if len(files) == 1:
        return str(files[0])
    return str(zip_files(files, folder / f"{stem}.zip", folder))


def _stem(paper: Paper) -> str:
    if paper.arxiv_id:
        return f"summary_{paper.arxiv_id.replace('/', '_')}"
    return "summary_" + (paper.fingerprint.split(":")[-1][:10] or "paper")


def _shown(result: StageResult | None) -> StageResult | None:
    """While a part streams, show only its complete Markdown (no half-open ``**``)."""
    if result is None or result.done:
        return result
    return StageResult(complete_markdown(result.text), False, result.warnings, result.error)


def make_summarize_handler(settings: Settings, cache: ResultsCache):
    def summarize(
        arxiv_text: str | None,
        pdf_file: str | None,
        language: str,
        engine: str | None,
        model: str | None,
        api_key: str | None,
        fresh_run: bool,
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

        try:
            paper = _read_paper(arxiv_text, pdf_file, settings, on_status)
            job = SummaryJob(
                paper,
                settings=settings,
                language=lang,
                engine=engine or None,
                model=(model or "").strip() or None,
                api_key=(api_key or "").strip() or None,
                cache=cache,
                refresh=bool(fresh_run),
            )
        except ChatPaperError as err:
            raise gr.Error(str(err), print_exception=False) from None

        started = time.monotonic()
        header = job.header()
        status = f"Read {len(paper.pages)} pages. " + " ".join(notes[-1:])
        yield outputs()

        folder = Path(tempfile.mkdtemp(prefix="chatpaper-"))
        try:  # Gradio copies what we yield into its own cache: our folder is scratch
            figures_future: Future[list[Figure]] = _figure_pool.submit(
                _extract_figures, paper, settings
            )
            figures: list[Figure] = []

            def panels() -> None:
                nonlocal tldr, overview, methods, conclusion
                values = {s: render_stage(_shown(job.state.stages.get(s)), lang) for s in STAGES}
                for stage, number in PANEL_HEADINGS.items():
                    if values[stage]:
                        values[stage] = f"### {number}. {lang.labels[stage]}\n\n{values[stage]}"
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
                    running = [s for s, r in job.state.stages.items() if not r.done]
                    status = "Writing: " + ", ".join(running) + "…"
                elif event.kind == "stage_done":
                    done = [s for s, r in job.state.stages.items() if r.done]
                    status = f"Done: {', '.join(done)}."
                elif event.kind == "warning" and event.text not in warned:
                    warned.add(event.text)
                    gr.Warning(event.text)
                elif event.kind == "error":
                    gr.Warning(f"{event.stage}: {event.text}")
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
            markdown = job.markdown()
            download = _write_download(markdown, folder, _stem(paper), figures, lang)
            elapsed = time.monotonic() - started
            errors = job.state.errors
            source = " (from the results cache)" if job.from_cache else ""
            if errors and len(errors) == len(job.stages):
                status = "The summary failed."
                yield outputs()
                first = next(iter(errors.values()))
                raise gr.Error(first, print_exception=False)
            status = f"Finished in {elapsed:.1f} s with {job.engine}{source}."
            if errors:
                status += f" {len(errors)} part(s) failed; see the panels."
            yield outputs()
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    return summarize


def build_ui(settings: Settings | None = None) -> gr.Blocks:
    settings = settings or Settings.from_env()
    cache = ResultsCache(settings.cache_dir)
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
                run_button = gr.Button("Summarize", variant="primary", elem_id="summarize")
                gr.Examples(EXAMPLES, inputs=[arxiv_box], label="Examples")
                with gr.Accordion("How it works", open=False):
                    gr.Markdown(HOW_IT_WORKS)
            with gr.Column(scale=2):
                status_box = gr.Markdown("Ready.", elem_id="status")
                header_box = gr.Markdown(elem_id="paper-header", buttons=["copy"], latex_delimiters=LATEX
                )
                tldr_box = gr.Markdown(elem_id="stage-tldr", buttons=["copy"], latex_delimiters=LATEX
                )
                gallery_box = gr.Gallery(
                    label="Figures", columns=4, height="auto", elem_id="figures", visible=False
                )
                overview_box = gr.Markdown(elem_id="stage-overview", buttons=["copy"], latex_delimiters=LATEX
                )
                methods_box = gr.Markdown(elem_id="stage-methods", buttons=["copy"], latex_delimiters=LATEX
                )
                conclusion_box = gr.Markdown(elem_id="stage-conclusion", buttons=["copy"], latex_delimiters=LATEX
                )
                download_box = gr.File(
                    label="Download the summary", interactive=False, elem_id="download"
                )

        summarize_inputs = [
            arxiv_box, pdf_box, language_box, engine_box, model_box, key_box, fresh_box
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
            raise gr.Error(str(err), print_exception=False) from None
        folder = Path(tempfile.mkdtemp(prefix="chatpaper-digest-"))
        stamp = str(day) if day else datetime.now(timezone.utc).date().isoformat()
        path = folder / f"{_digest_stem(topic, stamp)}.md"
        path.write_text(post, encoding="utf-8")
        yield status, digest_mod.post_body(post), str(path)

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
        make_digest_handler(settings, cache or ResultsCache(settings.cache_dir)),
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
