"""pypdf: PDF bytes -> raw text of every page, the metadata and page 1's font sizes.

This is the default ``Extractor`` (see record.py). It runs inside the bounded worker process
(worker.py): it parses someone else's file with a complex parser, so it must never run in the
app's own process on untrusted bytes.
"""

from __future__ import annotations

import contextlib
import io
import logging
import math
import warnings
from collections.abc import Iterator
from typing import Any

from ..errors import ChatPaperError, EncryptedPdfError, NoTextError, PdfError, PdfTooLargeError
from .record import PdfText

MIN_LETTERS_PER_PAGE = 40  # below this on average, the PDF is taken for a scan

_BROKEN = (
    "This PDF is damaged or incomplete and cannot be read; download it again or export a "
    "fresh copy."
)
_ENCRYPTED = "This PDF is password-protected; remove the password or upload an unprotected copy."
_NO_TEXT = "This PDF has no text layer (it looks like a scan); upload a PDF with selectable text."
_NO_PAGES = "This PDF has no pages; choose the paper's PDF file."


def _too_many_pages(pages: int, max_pages: int) -> str:
    return (
        f"This PDF has {pages} pages, over the limit of {max_pages}; upload a shorter file or "
        "raise CHATPAPER_MAX_PAGES."
    )


@contextlib.contextmanager
def _quiet_pypdf() -> Iterator[None]:
    """pypdf logs and warns freely ("fontTools is required ..."); none of it is for users."""
    logger = logging.getLogger("pypdf")
    previous = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        logger.setLevel(previous)


def _open_reader(data: bytes) -> Any:
    from pypdf import PdfReader
    from pypdf.errors import DependencyError, PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        # An empty user password is common ("no password to open, restrictions only").
        if reader.is_encrypted and not reader.decrypt(""):
            raise EncryptedPdfError(_ENCRYPTED)
    except ChatPaperError:
        raise
    except DependencyError as err:
        raise PdfError(
            "This PDF uses an encryption the reader cannot open here; upload an unprotected copy."
        ) from err
    except (PdfReadError, ValueError, KeyError, TypeError, IndexError, AttributeError) as err:
        raise PdfError(_BROKEN) from err
    except RecursionError as err:
        raise PdfError(_BROKEN) from err
    return reader


def _font_size(cm: list[float], tm: list[float], font_size: float) -> tuple[float, bool]:
    """Rendered size in points of text drawn with matrices cm, tm; and whether it is rotated."""
    a, b, c, d = tm[0], tm[1], tm[2], tm[3]
    ca, cb, cc, cd = cm[0], cm[1], cm[2], cm[3]
    m00, m01 = a * ca + b * cc, a * cb + b * cd
    m10, m11 = c * ca + d * cc, c * cb + d * cd
    size = abs(font_size) * math.hypot(m10, m11)
    rotated = abs(m01) > 0.1 * abs(m00)
    return size, rotated


def _extract_first_page(page: Any) -> tuple[str, list[tuple[float, str]]]:
    """The first page's text (same as plain extract_text) and its lines with font sizes."""
    lines: list[list[tuple[float, str]]] = [[]]

    def visit(text: str, cm: Any, tm: Any, font_dict: Any, font_size: Any) -> None:
        try:
            size, rotated = _font_size(list(cm), list(tm), float(font_size or 0))
        except (TypeError, ValueError, IndexError):
            size, rotated = 0.0, False
        for index, part in enumerate(text.split("\n")):
            if index:
                lines.append([])
            if part and not rotated:
                lines[-1].append((size, part))

    text = page.extract_text(visitor_text=visit)
    sized: list[tuple[float, str]] = []
    for spans in lines:
        line = "".join(part for _, part in spans).strip()
        if not line:
            continue
        sizes = [size for size, part in spans if any(ch.isalpha() for ch in part)]
        sized.append((round(max(sizes), 1) if sizes else 0.0, line))
    return text, sized


def extract_text(data: bytes, max_pages: int, first_page_only: bool = False) -> PdfText:
    """Parse and extract in this process. Raises PdfError subclasses with user messages.

    ``first_page_only`` reads just page 1 (for the title) and skips the no-text check.
    """
    from pypdf.errors import FileNotDecryptedError, PdfReadError

    with _quiet_pypdf():
        reader = _open_reader(data)
        try:
            count = len(reader.pages)
        except FileNotDecryptedError as err:
            raise EncryptedPdfError(_ENCRYPTED) from err
        except (PdfReadError, ValueError, KeyError, TypeError, AttributeError) as err:
            raise PdfError(_BROKEN) from err
        if count == 0:
            raise PdfError(_NO_PAGES)
        if count > max_pages:
            raise PdfTooLargeError(_too_many_pages(count, max_pages))
        meta_title = meta_author = ""
        try:
            meta = reader.metadata
            if meta is not None:
                meta_title = str(meta.title or "")
                meta_author = str(meta.author or "")
        except Exception:  # broken info dictionaries are common and harmless
            pass
        pages: list[str] = []
        title_lines: list[tuple[float, str]] = []
        failures = 0
        for number in range(1 if first_page_only else count):
            try:
                page = reader.pages[number]
                if number == 0:
                    text, title_lines = _extract_first_page(page)
                else:
                    text = page.extract_text()
            except FileNotDecryptedError as err:
                raise EncryptedPdfError(_ENCRYPTED) from err
            except MemoryError:
                raise
            except Exception:  # one unreadable page should not cost the whole paper
                text = ""
                failures += 1
            pages.append(text or "")
        if failures == len(pages):
            raise PdfError(_BROKEN)
    if first_page_only:
        return PdfText(pages, meta_title, meta_author, title_lines)
    letters = sum(sum(ch.isalpha() for ch in page) for page in pages)
    if letters < MIN_LETTERS_PER_PAGE * count:
        raise NoTextError(_NO_TEXT)
    return PdfText(pages, meta_title, meta_author, title_lines)


def first_page_of_reader(reader: Any) -> PdfText | None:
    """Metadata and page 1 of a pypdf ``PdfReader`` the caller already holds (trusted input)."""
    try:
        with _quiet_pypdf():
            meta = reader.metadata
            text, lines = _extract_first_page(reader.pages[0])
        return PdfText(
            [text],
            str(getattr(meta, "title", "") or "") if meta else "",
            str(getattr(meta, "author", "") or "") if meta else "",
            lines,
        )
    except Exception:
        return None
