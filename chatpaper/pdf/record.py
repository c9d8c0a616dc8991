"""What reading a PDF yields: the raw text record an extractor returns, and the whole document.

These are the two contracts of the PDF package. ``PdfText`` is what any extractor (pypdf by
default) must return; ``PdfDocument`` is everything one bounded read produces, so later steps
take the result of that one read and never go back to the file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from ..paper import Section


@dataclass(frozen=True)
class PdfText:
    """Raw text of every page plus the few things needed to name the paper.

    ``title_lines`` are the first page's lines with the largest font size used on each, so the
    title can be told from author lines by size rather than guessed from wording.
    """

    pages: list[str]
    meta_title: str = ""
    meta_author: str = ""
    title_lines: list[tuple[float, str]] = field(default_factory=list)


class Extractor(Protocol):
    """The one signature a PDF reader satisfies to replace pypdf.

    It runs inside the bounded worker process, so it must be a module-level function (the
    worker imports it by name) and raise ``PdfError`` subclasses with one sentence for the user.
    ``first_page_only`` reads just page 1 (for the title) and skips the no-text check.
    """

    def __call__(
        self, data: bytes, max_pages: int, first_page_only: bool = False
    ) -> PdfText: ...  # pragma: no cover - a protocol


@dataclass(frozen=True)
class PdfDocument:
    """One read of a PDF: cleaned pages and what was found in them, computed in the worker."""

    pages: list[str]  # cleaned text, one entry per page
    title: str = ""
    authors: list[str] = field(default_factory=list)
    arxiv_stamp: tuple[str, str | None] | None = None  # (ID, version) from the margin stamp
    sections: list[Section] = field(default_factory=list)
