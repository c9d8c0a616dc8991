"""A summary as the user gets it: the panels, the whole Markdown, its figures and the file.

The one place that turns a ``SummaryState`` into the document, for the app, the CLI and the
download alike: headings and their numbers come from stages.py, each stage's text from
render.py, the figures from figures.py.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from .config import Settings
from .export import write_summary, zip_files
from .grounding import Grounder
from .i18n import Language
from .mdstream import complete_markdown
from .paper import Figure, Paper
from .pipeline import SummaryState
from .render import render_document, render_part
from .stages import STAGE_NAMES

log = logging.getLogger(__name__)


def figures_of(paper: Paper, settings: Settings) -> list[Figure]:
    """The paper's figures, at most ``settings.max_figures``; [] when there are none or when
    extraction fails: figures are a bonus, never a reason to fail a summary."""
    if not paper.pdf_bytes or settings.max_figures <= 0:
        return []
    try:
        from .figures import extract_figures
    except ImportError:
        return []
    try:
        return extract_figures(paper.pdf_bytes, max_figures=settings.max_figures)
    except Exception:
        log.warning("figure extraction failed", exc_info=True)
        return []


def stage_panels(
    state: SummaryState,
    lang: Language,
    stages: Sequence[str] = STAGE_NAMES,
    grounder: Grounder | None = None,
) -> dict[str, str]:
    """Each stage's panel as the app shows it: the numbered heading and text exactly as in
    the download, with its warnings and error; "" for a stage with nothing yet."""
    panels: dict[str, str] = {}
    for stage in stages:
        result = state.stages.get(stage)
        if result is not None and not result.done:  # streaming: no half-open ``**`` shown
            result = replace(result, text=complete_markdown(result.text))
        panels[stage] = render_part(stage, result, lang, grounder)
    return panels


@dataclass(frozen=True)
class SummaryDocument:
    """The finished summary: its Markdown and the figures that go with it."""

    markdown: str
    lang: Language
    figures: list[Figure] = field(default_factory=list)

    def write(self, md_path: Path) -> list[Path]:
        """``md_path`` (plus ``<stem>_images/`` with the figures); every file written."""
        return write_summary(self.markdown, md_path, self.figures, self.lang)

    def download(self, folder: Path, stem: str) -> Path:
        """The file to offer: ``<stem>.md``, or ``<stem>.zip`` with the .md and its figures."""
        files = self.write(folder / f"{stem}.md")
        if len(files) == 1:
            return files[0]
        return zip_files(files, folder / f"{stem}.zip", folder)


def build_document(
    paper: Paper,
    state: SummaryState,
    lang: Language,
    *,
    engine_note: str | None = None,
    figures: Sequence[Figure] = (),
    grounder: Grounder | None = None,
) -> SummaryDocument:
    markdown = render_document(paper, state, lang, engine_note=engine_note, grounder=grounder)
    return SummaryDocument(markdown, lang, list(figures))
