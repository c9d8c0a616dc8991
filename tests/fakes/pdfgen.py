"""A tiny hand-written PDF writer for tests.

Real papers are big and carry other people's licences; tests need small PDFs whose text we
know exactly. This writes one Helvetica text object per line with a correct cross-reference
table, so pypdf reads it without warnings and ``extract_text()`` gives the lines back in order.

Text is encoded with WinAnsiEncoding (cp1252): characters outside it become "?".
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Union

Line = Union[str, tuple[str, float]]  # noqa: UP007  (readable on 3.10): text, or (text, font size)
PageSpec = Union[str, Sequence[Line]]  # noqa: UP007  a page: "line\nline" or a list of lines

PAGE_WIDTH = 612  # US Letter, in points
PAGE_HEIGHT = 792
MARGIN = 72


def _pdf_string(text: str) -> bytes:
    """A literal string for a content stream, in WinAnsiEncoding."""
    raw = text.encode("cp1252", errors="replace")
    escaped = raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")
    return b"(" + escaped + b")"


def _info_string(text: str) -> bytes:
    """A text string for the info dictionary: ASCII literal, else UTF-16BE hex with BOM."""
    if text.isascii():
        return _pdf_string(text)
    return b"<FEFF" + text.encode("utf-16-be").hex().upper().encode("ascii") + b">"


def _page_lines(page: PageSpec) -> list[tuple[str, float | None]]:
    if isinstance(page, str):
        return [(line, None) for line in page.split("\n")]
    lines: list[tuple[str, float | None]] = []
    for item in page:
        if isinstance(item, tuple):
            lines.append((item[0], float(item[1])))
        else:
            lines.extend((line, None) for line in item.split("\n"))
    return lines


def _content_stream(page: PageSpec, font_size: float) -> bytes:
    """One BT/ET block per line, each placed absolutely, so extractors see clean line breaks."""
    out: list[bytes] = []
    y = PAGE_HEIGHT - MARGIN
    for text, size in _page_lines(page):
        size = size or font_size
        y -= size * 1.35
        if text.strip():
            out.append(
                b"BT /F1 %s Tf %d %.2f Td %s Tj ET"
                % (f"{size:g}".encode(), MARGIN, y, _pdf_string(text))
            )
    return b"\n".join(out) + b"\n"


def make_pdf(
    pages: Sequence[PageSpec],
    *,
    title: str | None = None,
    author: str | None = None,
    font_size: float = 11,
) -> bytes:
    """A valid PDF with one page per item of ``pages``.

    A page is a string (lines split on "\\n") or a list of lines, where a line is a string or
    ``(text, font_size)`` for a heading in a bigger font. ``title``/``author`` fill the
    document information dictionary (what pypdf reports as ``metadata.title``/``.author``).
    Lines are not wrapped: keep them under ~90 characters to stay on the page.
    """
    if not pages:
        raise ValueError("a PDF needs at least one page")

    objects: list[bytes] = []  # objects[i] is object number i + 1

    def add(body: bytes) -> int:
        objects.append(body)
        return len(objects)

    catalog = add(b"")  # filled in once the page tree's number is known
    page_tree = add(b"")
    font = add(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
    kids: list[int] = []
    for page in pages:
        stream = _content_stream(page, font_size)
        content = add(b"<< /Length %d >>\nstream\n%sendstream" % (len(stream), stream))
        kids.append(
            add(
                b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 %d %d] "
                b"/Resources << /Font << /F1 %d 0 R >> >> /Contents %d 0 R >>"
                % (page_tree, PAGE_WIDTH, PAGE_HEIGHT, font, content)
            )
        )
    objects[catalog - 1] = b"<< /Type /Catalog /Pages %d 0 R >>" % page_tree
    objects[page_tree - 1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (
        b" ".join(b"%d 0 R" % kid for kid in kids),
        len(kids),
    )
    info = None
    if title is not None or author is not None:
        entries = b""
        if title is not None:
            entries += b" /Title " + _info_string(title)
        if author is not None:
            entries += b" /Author " + _info_string(author)
        info = add(b"<<" + entries + b" /Producer (chatpaper tests) >>")

    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets: list[int] = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref_at = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    trailer = b"<< /Size %d /Root %d 0 R" % (len(objects) + 1, catalog)
    if info is not None:
        trailer += b" /Info %d 0 R" % info
    out += b"trailer\n" + trailer + b" >>\nstartxref\n%d\n%%%%EOF\n" % xref_at
    return bytes(out)
