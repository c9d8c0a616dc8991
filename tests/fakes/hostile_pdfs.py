"""Hand-built hostile PDFs: a flate bomb and two kinds of nesting far deeper than any paper's."""

from __future__ import annotations

import zlib

_FONT = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"
_PAGES = b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>"


def _stream(body: bytes, extra: bytes = b"") -> bytes:
    return b"<< /Length %d %s>>\nstream\n" % (len(body), extra) + body + b"\nendstream"


def _page(resources: bytes) -> bytes:
    return (
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources "
        + resources
        + b" /Contents 4 0 R >>"
    )


def _build(objects: list[bytes]) -> bytes:
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def flate_bomb(megabytes: int = 80) -> bytes:
    """A page whose content stream inflates to ``megabytes`` MB (pypdf stops at 75 MB)."""
    packer = zlib.compressobj(9)
    body = packer.compress(b"BT /F1 12 Tf 72 700 Td (Hello world) Tj ET\n")
    blank = b" " * (1024 * 1024)
    for _ in range(megabytes):
        body += packer.compress(blank)
    body += packer.flush()
    return _build(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            _PAGES,
            _page(b"<< /Font << /F1 5 0 R >> >>"),
            _stream(body, b"/Filter /FlateDecode "),
            _FONT,
        ]
    )


def nested_forms(depth: int = 3000) -> bytes:
    """A page that draws a form that draws a form ... ``depth`` deep, text at the bottom."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        _PAGES,
        _page(b"<< /XObject << /X 6 0 R >> /Font << /F1 5 0 R >> >>"),
        _stream(b"/X Do\n"),
        _FONT,
    ]
    for level in range(depth):
        last = level == depth - 1
        body = b"BT /F1 12 Tf 72 700 Td (Deep text) Tj ET\n" if last else b"/X Do\n"
        resources = (
            b"<< /Font << /F1 5 0 R >> >>"
            if last
            else b"<< /XObject << /X %d 0 R >> /Font << /F1 5 0 R >> >>" % (7 + level)
        )
        form = b"/Type /XObject /Subtype /Form /BBox [0 0 612 792] /Resources %s " % resources
        objects.append(_stream(body, form))
    return _build(objects)


def nested_arrays(depth: int = 100_000) -> bytes:
    """A catalog holding an array nested ``depth`` deep: parsing it overflows the stack."""
    text = b"BT /F1 12 Tf 72 700 Td (A page of ordinary text about nothing much) Tj ET\n"
    return _build(
        [
            b"<< /Type /Catalog /Pages 2 0 R /Junk " + b"[" * depth + b"]" * depth + b" >>",
            _PAGES,
            _page(b"<< /Font << /F1 5 0 R >> >>"),
            _stream(text),
            _FONT,
        ]
    )
