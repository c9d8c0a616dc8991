"""PDF bytes -> a ``PdfDocument``: cleaned page text, title, authors, arXiv stamp, sections.

One home per concern:

- ``pypdf_reader.py``: pypdf reading (the default ``Extractor``; another reader can replace it
  behind the signature in ``record.py``);
- ``worker.py``: the bounded worker processes everything below runs in;
- ``cleanup.py``: ligatures, running heads, page numbers, hyphenation;
- ``titles.py``: title and author detection.

``read_document`` is the one call the rest of the package makes: it reads the file once, in a
worker with a memory cap and a deadline, and returns everything later steps need, so nothing
that grows with an upload runs in the caller's process (where it would hold the GIL and stall
every other visitor of the app).
"""

from __future__ import annotations

import unicodedata
from typing import Any

from .. import sections
from ..arxiv import find_arxiv_id_in_text
from ..errors import PdfError, PdfTooLargeError
from .cleanup import clean_pages
from .pypdf_reader import extract_text, first_page_of_reader
from .record import Extractor, PdfDocument, PdfText
from .titles import title_and_authors
from .worker import run_bounded, shutdown_workers

__all__ = [
    "Extractor",
    "PdfDocument",
    "PdfText",
    "clean_pages",
    "extract_pages",
    "find_arxiv_id",
    "read_document",
    "read_pdf",
    "read_title_authors",
    "shutdown_workers",
]

FIRST_PAGE_TIMEOUT = 60.0  # seconds for reading page 1 alone (read_title_authors on bytes)

_EMPTY = "The file is empty; choose the paper's PDF again."
_NOT_PDF = "This file is not a PDF; choose the paper's PDF file."


def _too_big(size: int, max_bytes: int) -> str:
    return (
        f"This PDF is {size / 1024 / 1024:.1f} MB, over the {max_bytes / 1024 / 1024:.0f} MB "
        "limit; upload a smaller file or raise CHATPAPER_MAX_PDF_MB."
    )


def _check_bytes(data: bytes, max_bytes: int | None) -> None:
    """The checks that need no parser: they run before any worker is involved."""
    if not data:
        raise PdfError(_EMPTY)
    if max_bytes is not None and len(data) > max_bytes:
        raise PdfTooLargeError(_too_big(len(data), max_bytes))
    if b"%PDF-" not in data[:1024]:
        raise PdfError(_NOT_PDF)


def read_document(
    data: bytes,
    *,
    max_pages: int,
    timeout: float,
    max_bytes: int | None = None,
    extractor: Extractor = extract_text,
) -> PdfDocument:
    """Read a PDF once: text, clean-up, title, authors, arXiv stamp and sections.

    All of it runs in a worker process bounded by ``timeout`` seconds and a memory cap; every
    failure is a ``PdfError`` (or subclass) with one sentence.
    """
    _check_bytes(data, max_bytes)
    return run_bounded(_analyse, extractor, data, max_pages, timeout=timeout)


def _analyse(extractor: Extractor, data: bytes, max_pages: int) -> PdfDocument:
    """What ``read_document`` runs inside the worker."""
    raw = extractor(data, max_pages)
    pages = clean_pages(raw.pages)
    title, authors = title_and_authors(raw, pages[0] if pages else "")
    return PdfDocument(
        pages=pages,
        title=title,
        authors=authors,
        arxiv_stamp=find_arxiv_id(" ".join(pages[:2])),
        sections=sections.find_sections(pages),
    )


def read_pdf(
    data: bytes,
    *,
    max_pages: int,
    timeout: float,
    max_bytes: int | None = None,
    extractor: Extractor = extract_text,
) -> PdfText:
    """Raw text of every page, the PDF's metadata and the first page's font sizes (bounded)."""
    _check_bytes(data, max_bytes)
    return run_bounded(extractor, data, max_pages, timeout=timeout)


def extract_pages(
    data: bytes, *, max_pages: int, timeout: float, max_bytes: int | None = None
) -> list[str]:
    """Plain-mode ``extract_text()`` of every page (reading order kept for two columns)."""
    return read_pdf(data, max_pages=max_pages, timeout=timeout, max_bytes=max_bytes).pages


def read_title_authors(source: Any, first_page_text: str) -> tuple[str, list[str]]:
    """Title and authors from a ``PdfText``, a PDF's bytes, a pypdf ``PdfReader`` or None.

    Bytes are read again (page 1 only, in the bounded worker); ``read_document`` already
    returns the title and authors of the read it did, so the app never needs this.
    """
    return title_and_authors(_page_one(source), first_page_text)


def _page_one(source: Any) -> PdfText | None:
    if source is None or isinstance(source, PdfText):
        return source
    if isinstance(source, (bytes, bytearray, memoryview)):
        try:
            return run_bounded(
                extract_text, bytes(source), 1_000_000, True, timeout=FIRST_PAGE_TIMEOUT
            )
        except PdfError:
            return None
    return first_page_of_reader(source)  # a pypdf PdfReader the caller holds (trusted input)


def find_arxiv_id(text: str) -> tuple[str, str | None] | None:
    """(ID, version) from arXiv's margin stamp ("arXiv:2203.00130v1 [cs.HC] 1 Mar 2022").

    Only the stamp counts, never an arXiv ID cited in the references.
    """
    return find_arxiv_id_in_text(unicodedata.normalize("NFKC", text or ""))
