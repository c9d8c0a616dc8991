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
_TOO_MUCH_DATA = (
    "This PDF expands to more data than can be read safely (a compressed part is far too "
    "large); export a fresh copy of the paper or upload another one."
)
_TOO_COMPLEX = (
    "This PDF is nested too deeply to read (its structure is far more complex than a paper's); "
    "export a fresh copy of the paper or upload another one."
)


def _too_many_pages(pages: int, max_pages: int) -> str:
    return (
        f"This PDF has {pages} pages, over the limit of {max_pages}; upload a shorter file or "
        "raise CHATPAPER_MAX_PAGES."
    )


class _Recorder(logging.Handler):
    """Keeps what pypdf logged, so a silent give-up (nesting too deep) can be told apart."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        with contextlib.suppress(Exception):
            if len(self.messages) < 100:
                self.messages.append(record.getMessage()[:200])


@contextlib.contextmanager
def _quiet_pypdf() -> Iterator[_Recorder]:
    """pypdf logs and warns freely ("fontTools is required ..."); none of it is for users,
    but what it logged is recorded for our own messages."""
    logger = logging.getLogger("pypdf")
    previous, propagate = logger.level, logger.propagate
    recorder = _Recorder()
    logger.setLevel(logging.WARNING)
    logger.propagate = False
    logger.addHandler(recorder)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield recorder
    finally:
        logger.removeHandler(recorder)
        logger.setLevel(previous)
        logger.propagate = propagate


def _caused_by(err: BaseException | None, kind: type[BaseException]) -> bool:
    seen = 0
    while err is not None and seen < 20:
        if isinstance(err, kind):
            return True
        err = err.__cause__ or err.__context__
        seen += 1
    return False


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
        raise PdfError(_TOO_COMPLEX if _caused_by(err, RecursionError) else _BROKEN) from err
    except RecursionError as err:
        raise PdfError(_TOO_COMPLEX) from err
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
    from pypdf.errors import FileNotDecryptedError, LimitReachedError, PdfReadError

    with _quiet_pypdf() as logged:
        reader = _open_reader(data)
        try:
            count = len(reader.pages)
        except FileNotDecryptedError as err:
            raise EncryptedPdfError(_ENCRYPTED) from err
        except (PdfReadError, ValueError, KeyError, TypeError, AttributeError) as err:
            raise PdfError(_TOO_COMPLEX if _caused_by(err, RecursionError) else _BROKEN) from err
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
        too_much_data = too_deep = False
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
            except Exception as err:  # one unreadable page should not cost the whole paper
                text = ""
                failures += 1
                too_much_data = too_much_data or _caused_by(err, LimitReachedError)
                too_deep = too_deep or _caused_by(err, RecursionError)
            pages.append(text or "")
        # pypdf gives up on a form nested too deeply with a log line and no text.
        too_deep = too_deep or any("recursion" in m.lower() for m in logged.messages)
        if failures == len(pages):
            if too_much_data:
                raise PdfTooLargeError(_TOO_MUCH_DATA)
            raise PdfError(_TOO_COMPLEX if too_deep else _BROKEN)
    if first_page_only:
        return PdfText(pages, meta_title, meta_author, title_lines)
    letters = sum(sum(ch.isalpha() for ch in page) for page in pages)
    if letters < MIN_LETTERS_PER_PAGE * count:
        if too_much_data:
            raise PdfTooLargeError(_TOO_MUCH_DATA)
        if too_deep:
            raise PdfError(_TOO_COMPLEX)
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
