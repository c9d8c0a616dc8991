"""From what the user gave (a PDF path, PDF bytes or any arXiv form) to a Paper.

I/O lives here: reading files, calling the arXiv client. Parsing is in pdf/ (which reads a PDF
once, in a bounded worker, sections included), sections.py and arxiv.py. Every failure is a
ChatPaperError with one sentence the user can act on.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

from . import pdf
from .arxiv import ArxivClient, parse_arxiv_id
from .config import Settings
from .errors import InvalidSourceError, PdfError, PdfTooLargeError
from .paper import Page, Paper, PaperMeta

StatusHook = Callable[[str], None]


def _noop(_: str) -> None:
    pass


def _mb(size: int) -> str:
    """Sizes as CHATPAPER_MAX_PDF_MB and the README count them (MB of 1024 x 1024 bytes)."""
    return f"{size / 1024 / 1024:.1f}".removesuffix(".0")


def read_pdf_bytes(
    data: bytes,
    *,
    source: str,
    settings: Settings,
    meta: PaperMeta | None = None,
    on_status: StatusHook = _noop,
) -> Paper:
    """Read a PDF into a Paper. ``meta`` (from arXiv) wins over what the PDF says."""
    if len(data) > settings.max_pdf_bytes:
        raise PdfTooLargeError(
            f"This PDF is {_mb(len(data))} MB, over the {_mb(settings.max_pdf_bytes)} MB "
            "limit; upload a smaller file or raise CHATPAPER_MAX_PDF_MB."
        )
    document = pdf.read_document(data, max_pages=settings.max_pages, timeout=settings.pdf_timeout)
    on_status(f"Read {len(document.pages)} pages.")
    pages = [Page(number=i + 1, text=text) for i, text in enumerate(document.pages)]
    if meta is None:
        meta = PaperMeta(title=document.title, authors=document.authors)
        if document.arxiv_stamp:
            meta.arxiv_id, meta.version = document.arxiv_stamp
    fingerprint = (
        f"arxiv:{meta.arxiv_id}{meta.version or ''}"
        if meta.arxiv_id and source.startswith("arxiv:")
        else "sha256:" + hashlib.sha256(data).hexdigest()
    )
    return Paper(
        source=source,
        meta=meta,
        pages=pages,
        sections=document.sections,
        fingerprint=fingerprint,
        pdf_bytes=data,
    )


def read_pdf_file(path: str | Path, *, settings: Settings, on_status: StatusHook = _noop) -> Paper:
    path = Path(path)
    try:
        size = path.stat().st_size
    except OSError as err:
        raise InvalidSourceError(
            f"Cannot open {path.name}: {err.strerror or 'no such file'}; check the path."
        ) from err
    if size > settings.max_pdf_bytes:
        raise PdfTooLargeError(
            f"{path.name} is {_mb(size)} MB, over the {_mb(settings.max_pdf_bytes)} MB "
            "limit; use a smaller file or raise CHATPAPER_MAX_PDF_MB."
        )
    if path.suffix.lower() != ".pdf":
        head = path.read_bytes()[:5]
        if head != b"%PDF-":
            raise PdfError(f"{path.name} is not a PDF; choose the paper's PDF file.")
    return read_pdf_bytes(
        path.read_bytes(), source=str(path), settings=settings, on_status=on_status
    )


def read_arxiv(
    text: str,
    *,
    settings: Settings,
    client: ArxivClient | None = None,
    on_status: StatusHook = _noop,
) -> Paper:
    arxiv_id, version = parse_arxiv_id(text)
    client = client or ArxivClient(settings, on_status=on_status)
    on_status(f"Fetching arXiv:{arxiv_id}{version or ''} metadata from arXiv…")
    meta = client.fetch_metadata(arxiv_id, version)
    on_status(f"Downloading the PDF of arXiv:{arxiv_id}{meta.version or version or ''}…")
    data = client.fetch_pdf(arxiv_id, meta.version or version)
    return read_pdf_bytes(
        data,
        source=f"arxiv:{arxiv_id}{meta.version or version or ''}",
        settings=settings,
        meta=meta,
        on_status=on_status,
    )


def read_source(
    source: str,
    *,
    settings: Settings,
    client: ArxivClient | None = None,
    on_status: StatusHook = _noop,
) -> Paper:
    """A local PDF path, or any arXiv form (ID, abs/pdf/html link, DOI...)."""
    source = source.strip()
    if not source:
        raise InvalidSourceError(
            "Nothing to read; paste an arXiv link such as 2402.00864 or choose a PDF."
        )
    path = Path(source).expanduser()
    try:
        is_file = path.is_file()
    except (OSError, ValueError):  # a name too long for the file system, a NUL byte: not a file
        is_file = False
    if is_file:
        return read_pdf_file(path, settings=settings, on_status=on_status)
    try:
        parse_arxiv_id(source)
    except InvalidSourceError:
        if source.lower().endswith(".pdf") and "://" not in source:
            shown = source if len(source) <= 80 else source[:40] + "…" + source[-30:]
            raise InvalidSourceError(f"There is no file {shown}; check the path.") from None
        raise
    return read_arxiv(source, settings=settings, client=client, on_status=on_status)
