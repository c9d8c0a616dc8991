"""Screenshots of a paper's figures, for the "点此查看论文截图" part of a post.

Most arXiv figures are vector drawings, not embedded images, so we do not look for images first:
we find the figure *captions* in the text layer ("Figure 1:", "Fig. 2.", "图 3：" at the start of
a line), and render the page region above each caption with pdfium. Embedded raster images only
fill the remaining slots of a paper whose figures have no captions we can read.

The geometry is plain arithmetic on boxes (``figure_region``) so it can be tested without a PDF;
pdfium is touched only by the small readers around it. Figures are optional: a PDF that pdfium
cannot open gives ``[]`` (the text reader is the one that reports a broken PDF).
"""

from __future__ import annotations

import ctypes
import hashlib
import io
import math
import re
import statistics
import threading
import time
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from PIL import Image, ImageChops, ImageOps, ImageStat

from chatpaper.paper import Figure

# A box in PDF points, y growing upwards, as pdfium reports it: (left, bottom, right, top).
Box = tuple[float, float, float, float]

# How big a screenshot is rendered (see ``render_scale``). The app shows an opened figure at
# most DISPLAY_WIDTH_PX CSS pixels wide and a gallery tile about TILE_PX wide; every figure gets
# PIXEL_DENSITY rendered pixels per displayed pixel, so it stays sharp on a 2x screen.
DISPLAY_WIDTH_PX = 900
TILE_PX = 350
PIXEL_DENSITY = 2
MIN_SIDE_PX = PIXEL_DENSITY * TILE_PX  # a small figure still fills a tile sharply
# Bounds the work, a poster-sized page included: no figure is wider than the full width
# (PIXEL_DENSITY x DISPLAY_WIDTH_PX), none taller than this: at most 7.2 MP per render.
MAX_SIDE_PX = 4000
CAPTION_CHARS = 1200  # a whole caption paragraph; longer ones end at a sentence end
_CAPTION_SCAN = CAPTION_CHARS * 3 // 2  # page text looked at for one caption (line breaks...)
MAX_OBJECTS_PER_PAGE = 20_000  # plots with huge scatter clouds: the first objects are enough
MAX_FORM_DEPTH = 4

# "Figure 1:", "Fig. 2.", "FIGURE 3 |", "Fig. 4 The ..." at the start of a line. The punctuation
# (or a capitalised word) after the number is what tells a caption from a sentence that happens to
# begin with "Figure 1 shows ..." after a line break.
_EN_CAPTION = (
    r"(?P<en>(?:Figure|FIGURE|Fig\.|FIG\.|Fig)\s*(?P<num>\d{1,3}))"
    r"(?:\s*[:|]|\.(?=\s)|\s*\.\s|\s+(?=[A-Z][a-z]))"
)
# "图1", "图 2：", "图3." — or a space then CJK text, except words that continue a sentence
# ("图1所示", "图 1 中").
_ZH_CAPTION = (
    r"(?P<zh>图\s*(?P<znum>\d{1,3}))"
    r"(?:\s*[:：.．、|]|\s+(?=[\u4e00-\u9fff])(?![所中的和与可为是给展显]))"
)
_CAPTION_START = re.compile(rf"(?m)^[ \t]*(?:{_EN_CAPTION}|{_ZH_CAPTION})")
# Any caption, of a figure or a table: the figure region stops at another caption.
_ANY_CAPTION = re.compile(
    r"^\s*(?:Figure|FIGURE|Fig\.|FIG\.|Table|TABLE|Tab\.|图|表)\s*\d{1,3}\s*[:.|：．]"
)
_LIGATURE = re.compile("[\ufb00-\ufb06]")
_HYPHEN_BREAK = re.compile(r"[\ufffe\x02\u00ad]\s*")
_SENTENCE_END = re.compile(
    r"(?<!\bFig)(?<!\bFigs)(?<!\be\.g)(?<!\bi\.e)(?<!\bal)(?<!\bvs)(?<!\bcf)(?<!\bEq)"
    r"(?<!\bSec)(?<!\bresp)(?<!\bapprox)(?<!\bNo)(?<!\b[A-Z])"
    r"[.!?](?=\s+[A-Z(\[\"“]|\s*$)|[。！？]"
)

_ENDS_A_SENTENCE = re.compile(r"[.!?。！？][\"”’)\]]{0,3}$")


@dataclass(frozen=True)
class CaptionStart:
    """A caption found in a page's text: where it starts and which figure it names."""

    number: int
    index: int  # index of its first character in the page text
    label: str  # "Figure 1", "Fig. 2", "图 3"


@dataclass(frozen=True)
class TextLine:
    box: Box
    text: str = ""


def find_caption_starts(text: str) -> list[CaptionStart]:
    """Figure captions that open a line of ``text``, in reading order (pure)."""
    found = []
    for match in _CAPTION_START.finditer(text):
        number = int(match.group("num") or match.group("znum"))
        if number == 0:
            continue
        label = match.group("en") or match.group("zh")
        found.append(CaptionStart(number, match.start("en" if match.group("en") else "zh"), label))
    return found


def clean_caption(text: str, limit: int = CAPTION_CHARS, *, whole: bool = True) -> str:
    """The caption on one line (pure).

    ``whole``: ``text`` is the caption's own block, as the page layout bounds it, and all of it
    is kept; otherwise ``text`` may run on into the body, and only its first sentence is kept.
    A caption longer than ``limit`` characters ends at the last sentence end that fits, or, for
    one sentence that long, at a word followed by "…": never in the middle of a word.

    pdfium marks a line-end hyphenation with U+FFFE (or \\x02 in bounded text); that joins the
    word back. The label ("Figure 1:") stays, so a reader sees which figure it is.
    """
    text = _HYPHEN_BREAK.sub("", text.replace("\r\n", "\n"))
    # Ligatures ("ﬁ") become letters; full-width CJK punctuation stays as the paper wrote it.
    text = _LIGATURE.sub(lambda m: unicodedata.normalize("NFKC", m.group()), text)
    text = re.sub(r"\s+", " ", text).strip()
    label = _CAPTION_START.match(text)
    body_from = label.end() if label else 0
    ends = [m.end() for m in _SENTENCE_END.finditer(text, body_from + 1)]
    if not whole and ends:
        return _bounded(text[: ends[0]].strip(), limit)
    if ends and not _ENDS_A_SENTENCE.search(text):
        text = text[: ends[-1]].strip()  # the block stopped mid-sentence: end at a sentence
    return _bounded(text, limit, ends)


def _bounded(text: str, limit: int, ends: list[int] | None = None) -> str:
    if len(text) <= limit:
        return text
    ends = [end for end in (ends or []) if end <= limit]
    if ends and ends[-1] > limit // 2:
        return text[: ends[-1]].strip()
    cut = text.rfind(" ", 0, limit - 1)
    return text[: cut if cut > limit // 2 else limit - 1].rstrip(" ,;:") + "…"


# --- geometry (pure) -----------------------------------------------------------------------------
def _width(box: Box) -> float:
    return box[2] - box[0]


def _height(box: Box) -> float:
    return box[3] - box[1]


def _union(a: Box, b: Box) -> Box:
    return (min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3]))


def _x_overlap(box: Box, left: float, right: float) -> float:
    return max(0.0, min(box[2], right) - max(box[0], left))


def _contains_point(box: Box, x: float, y: float, tolerance: float = 1.0) -> bool:
    return (
        box[0] - tolerance <= x <= box[2] + tolerance
        and box[1] - tolerance <= y <= box[3] + tolerance
    )


def group_lines(rects: list[Box]) -> list[Box]:
    """Merge pdfium's text rectangles (words, runs) into line boxes, top to bottom (pure).

    Two rectangles join when they share most of their height and the gap between them is below
    a line height, so the two columns of a page stay two separate lines. Vertical text (a rotated
    axis label, the arXiv stamp in the margin) stays a line of its own.
    """
    lines: list[list[float]] = []  # mutable [left, bottom, right, top]
    buckets: dict[int, list[int]] = {}  # line indexes by the height of their middle, in 3 pt
    for rect in sorted(rects, key=lambda r: r[0]):  # left to right, so a line grows rightwards
        height = _height(rect)
        if height <= 0 or _width(rect) <= 0:
            continue
        if _is_vertical(rect):
            lines.append(list(rect))
            continue
        key = round((rect[1] + rect[3]) / 6)
        for n in (i for k in range(key - 4, key + 5) for i in buckets.get(k, ())):
            line = lines[n]
            line_height = line[3] - line[1]
            overlap = min(line[3], rect[3]) - max(line[1], rect[1])
            gap = rect[0] - line[2]
            if overlap >= 0.5 * min(height, line_height) and gap <= max(height, line_height):
                line[0], line[1] = min(line[0], rect[0]), min(line[1], rect[1])
                line[2], line[3] = max(line[2], rect[2]), max(line[3], rect[3])
                break
        else:
            buckets.setdefault(key, []).append(len(lines))
            lines.append(list(rect))
    boxes: list[Box] = [(x0, y0, x1, y1) for x0, y0, x1, y1 in lines]
    boxes.sort(key=lambda box: (-box[3], box[0]))
    return boxes


def _is_vertical(box: Box) -> bool:
    return _height(box) > 2 * _width(box) and _height(box) > 12


@dataclass(frozen=True)
class _Layout:
    """What the page looks like around a caption: its columns and its body text."""

    middle: float
    two_columns: bool
    column_width: float
    body_height: float


def _layout(lines: list[TextLine], page: Box) -> _Layout:
    wide = [ln for ln in lines if _width(ln.box) >= 20 and not _is_vertical(ln.box)]
    if not wide:
        return _Layout((page[0] + page[2]) / 2, False, _width(page), 10.0)
    left = min(ln.box[0] for ln in wide)
    right = max(ln.box[2] for ln in wide)
    middle = (left + right) / 2
    content = right - left
    in_left = sum(1 for ln in wide if ln.box[2] <= middle + 2 and _width(ln.box) > 0.3 * content)
    in_right = sum(1 for ln in wide if ln.box[0] >= middle - 2 and _width(ln.box) > 0.3 * content)
    two_columns = in_left >= 4 and in_right >= 4
    column_width = content * 0.48 if two_columns else content
    heights = [_height(ln.box) for ln in wide if _width(ln.box) >= 0.5 * column_width]
    body_height = statistics.median(heights) if heights else 10.0
    return _Layout(middle, two_columns, column_width, body_height)


_PAGE_NUMBER = re.compile(r"^\s*(?:\d{1,4}|[ivxlc]{1,6})\s*$", re.IGNORECASE)


@dataclass
class _Scene:
    """The lines and drawings that matter for one caption, classified once."""

    layout: _Layout
    span: tuple[float, float]
    lines: list[TextLine]  # in the caption's column, caption line excluded, top to bottom
    barriers: set[Box]  # body text, other captions: a figure never crosses them
    drawings: list[Box]


def _scene(caption: Box, lines: list[TextLine], graphics: list[Box], page: Box) -> _Scene:
    layout = _layout(lines, page)
    if layout.two_columns and caption[2] <= layout.middle + 5:
        span = (page[0], layout.middle)
    elif layout.two_columns and caption[0] >= layout.middle - 5:
        span = (layout.middle, page[2])
    else:
        span = (page[0], page[2])
    page_area = _width(page) * _height(page)
    drawings = []
    for g in graphics:
        g = (max(g[0], page[0]), max(g[1], page[1]), min(g[2], page[2]), min(g[3], page[3]))
        if _width(g) < 0 or _height(g) < 0 or (_width(g) < 0.5 and _height(g) < 0.5):
            continue
        if _width(g) * _height(g) < 0.6 * page_area and _x_overlap(g, *span) > 0:
            drawings.append(g)
    containers = [g for g in drawings if _width(g) * _height(g) >= 400]
    margin = 0.1 * _height(page)
    in_span = [
        ln
        for ln in lines
        if _x_overlap(ln.box, *span) >= 0.5 * _width(ln.box)
        and ln.box != caption
        # a line reaching into the other column (a centred author line) is not in this one
        and (span == (page[0], page[2]) or (ln.box[0] >= span[0] - 5 and ln.box[2] <= span[1] + 5))
        # page numbers in the top or bottom margin are not part of any figure
        and not (
            _PAGE_NUMBER.match(ln.text)
            and (ln.box[3] > page[3] - margin or ln.box[1] < page[1] + margin)
        )
    ]
    body = layout.body_height

    def is_figure_text(line: TextLine) -> bool:
        x, y = (line.box[0] + line.box[2]) / 2, (line.box[1] + line.box[3]) / 2
        return any(_contains_point(g, x, y) for g in containers)

    def body_like(line: TextLine) -> bool:
        return 0.75 * body <= _height(line.box) <= 1.6 * body and not is_figure_text(line)

    barriers: set[Box] = set()
    previous: TextLine | None = None
    for line in in_span:  # top to bottom
        if _is_vertical(line.box):
            continue
        if (_ANY_CAPTION.match(line.text) and not is_figure_text(line)) or (
            _width(line.box) >= 0.55 * layout.column_width and body_like(line)
        ):
            barriers.add(line.box)
        elif (
            previous is not None
            and previous.box in barriers
            and abs(previous.box[0] - line.box[0]) <= 3
            and previous.box[1] - line.box[3] <= 0.8 * body
            and body_like(line)
        ):
            barriers.add(line.box)  # the short last line of a paragraph
        previous = line
    return _Scene(layout, span, in_span, barriers, drawings)


def caption_block(caption: Box, lines: list[TextLine], body_height: float) -> list[TextLine]:
    """The lines that continue a caption below its first line (pure): evenly spaced, same column.

    A line continues it when its middle lies below the block so far (tall boxes of stray
    glyphs overlap the line above) and it shares most of the narrower one's width (a short
    first line, "Figure 1. Title.", is followed by wider ones).
    """
    block: list[TextLine] = []
    bottom = caption[1]
    for line in sorted(lines, key=lambda ln: -ln.box[3]):
        if (line.box[1] + line.box[3]) / 2 > bottom or _is_vertical(line.box):
            continue
        if bottom - line.box[3] > 0.9 * body_height:
            break
        narrower = min(_width(line.box), _width(caption))
        if _x_overlap(line.box, caption[0] - 2, caption[2] + 2) < 0.5 * narrower:
            continue
        if _ANY_CAPTION.match(line.text):
            break
        block.append(line)
        bottom = line.box[1]
    return block


def figure_region(
    caption: Box, lines: list[TextLine], graphics: list[Box], page: Box
) -> Box | None:
    """The region of the figure that ``caption`` (its first line) belongs to, or None (pure).

    The figure sits above its caption, in the caption's column (or across the page when the
    caption crosses the middle of a two-column page). Going up from the caption, we take drawings
    and short text lines (labels, legends) that follow each other without a large gap, and stop
    at body text (a line as wide as a column, not inside a drawing) or another caption. When
    nothing is found above, the same is tried below the caption's last line (captions set above
    their figure).
    """
    scene = _scene(caption, lines, graphics, page)
    region = _grow(caption[3], 1, scene, page)
    if region is None:
        block = caption_block(caption, scene.lines, scene.layout.body_height)
        below = min([caption[1]] + [ln.box[1] for ln in block])
        region = _grow(below, -1, scene, page)
    return region


def _grow(start: float, direction: int, scene: _Scene, page: Box) -> Box | None:
    """Collect the figure's pieces going up (direction 1) or down (-1) from ``start``."""

    def distance(box: Box) -> float:  # from start to the box's near edge
        return box[1] - start if direction == 1 else start - box[3]

    def far(box: Box) -> float:  # from start to the box's far edge
        return box[3] - start if direction == 1 else start - box[1]

    # The nearest barrier on this side bounds the search.
    limit = min(
        (distance(ln.box) for ln in scene.lines if ln.box in scene.barriers and far(ln.box) > 0),
        default=float("inf"),
    )
    limit = min(limit, page[3] - start if direction == 1 else start - page[1])
    items = [(box, True) for box in scene.drawings if far(box) > 0 and distance(box) < limit - 1]
    items += [
        (ln.box, False)
        for ln in scene.lines
        if ln.box not in scene.barriers and distance(ln.box) >= -1 and far(ln.box) <= limit + 1
    ]
    # Drawings join across a gap (white space between panels); text only when it nearly touches
    # what we have (tick labels, legends, panel titles) and lies over the drawings, so an author
    # block or the end of a paragraph above the figure stays out.
    body = scene.layout.body_height
    drawing_gap = max(22.0, 2.5 * body)
    text_gap = max(6.0, 0.9 * body)
    reach = 0.0
    region: Box | None = None
    drawn_x: tuple[float, float] | None = None
    drawn = texts = 0
    pending = sorted(items, key=lambda item: distance(item[0]))
    grew = True
    while grew:  # again while it grows: a drawing reached late can bring a label in reach
        grew = False
        left_over = []
        for item in pending:
            box, is_drawing = item
            if region is None:
                allowed = 45.0 if is_drawing else 24.0
            else:
                allowed = drawing_gap if is_drawing else text_gap
            if distance(box) > reach + allowed or (
                not is_drawing
                and drawn_x is not None
                and _x_overlap(box, drawn_x[0] - 20, drawn_x[1] + 20) < 0.5 * _width(box)
            ):
                left_over.append(item)
                continue
            grew = True
            reach = max(reach, min(far(box), limit))
            clipped = (max(box[0], scene.span[0]), box[1], min(box[2], scene.span[1]), box[3])
            region = clipped if region is None else _union(region, clipped)
            if is_drawing:
                drawn += 1
                drawn_x = (
                    (clipped[0], clipped[2])
                    if drawn_x is None
                    else (min(drawn_x[0], clipped[0]), max(drawn_x[1], clipped[2]))
                )
            else:
                texts += 1
        pending = left_over
    if region is None or (drawn == 0 and texts < 3):
        return None
    pad = 3.0  # on every side but the caption's: its first line would show at the edge
    low, high = region[1] - pad, region[3] + pad
    if direction == 1:
        low, high = max(low, start), min(high, start + limit)
    else:
        low, high = max(low, start - limit), min(high, start)
    region = (
        max(page[0], region[0] - pad),
        max(page[1], low),
        min(page[2], region[2] + pad),
        min(page[3], high),
    )
    if _width(region) < 30 or _height(region) < 20:
        return None
    return region


# --- pdfium readers ----------------------------------------------------------------------------
def _text_lines(textpage: pdfium.PdfTextPage) -> list[TextLine]:
    count = textpage.count_rects()
    rects: list[Box] = [tuple(textpage.get_rect(i)) for i in range(count)]  # type: ignore[misc]
    return [TextLine(box, textpage.get_text_bounded(*box)) for box in group_lines(rects)]


def _transform(matrix: tuple[float, ...], box: Box) -> Box:
    a, b, c, d, e, f = matrix
    xs, ys = [], []
    for x, y in ((box[0], box[1]), (box[0], box[3]), (box[2], box[1]), (box[2], box[3])):
        xs.append(a * x + c * y + e)
        ys.append(b * x + d * y + f)
    return (min(xs), min(ys), max(xs), max(ys))


def _compose(outer: tuple[float, ...], inner: tuple[float, ...]) -> tuple[float, ...]:
    """The matrix applying ``inner`` first, then ``outer``."""
    a1, b1, c1, d1, e1, f1 = inner
    a2, b2, c2, d2, e2, f2 = outer
    return (
        a1 * a2 + b1 * c2,
        a1 * b2 + b1 * d2,
        c1 * a2 + d1 * c2,
        c1 * b2 + d1 * d2,
        e1 * a2 + f1 * c2 + e2,
        e1 * b2 + f1 * d2 + f2,
    )


@dataclass(frozen=True)
class _Graphic:
    kind: int  # FPDF_PAGEOBJ_*
    box: Box  # in page space
    handle: int = 0  # raw FPDF_PAGEOBJECT address, for images only
    children: tuple[_Graphic, ...] = ()  # what a Form XObject draws


_IDENTITY = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)


def _graphics(page: pdfium.PdfPage, *, images_only: bool = False) -> list[_Graphic]:
    """Non-text objects of the page with their page-space bounds, forms with their children.

    Objects inside a Form XObject report bounds in the form's own space: we apply the form
    matrices on the way down. Objects beyond ``MAX_OBJECTS_PER_PAGE`` are not looked at.
    """
    left, bottom, right, top = (ctypes.c_float() for _ in range(4))
    width, height = page.get_size()
    page_area = max(width * height, 1.0)
    budget = [MAX_OBJECTS_PER_PAGE]
    wanted = (
        (pdfium_c.FPDF_PAGEOBJ_IMAGE, pdfium_c.FPDF_PAGEOBJ_FORM)
        if images_only
        else (
            pdfium_c.FPDF_PAGEOBJ_IMAGE,
            pdfium_c.FPDF_PAGEOBJ_FORM,
            pdfium_c.FPDF_PAGEOBJ_PATH,
            pdfium_c.FPDF_PAGEOBJ_SHADING,
        )
    )

    def bounds(obj) -> Box | None:
        if not pdfium_c.FPDFPageObj_GetBounds(obj, left, bottom, right, top):
            return None
        return (left.value, bottom.value, right.value, top.value)

    def walk(count: int, get, matrix: tuple[float, ...], depth: int) -> list[_Graphic]:
        found: list[_Graphic] = []
        for i in range(count):
            if budget[0] <= 0:
                break
            budget[0] -= 1
            obj = get(i)
            kind = pdfium_c.FPDFPageObj_GetType(obj)
            if kind not in wanted:
                continue
            box = bounds(obj)
            if box is None:
                continue
            box = _transform(matrix, box)
            if _width(box) * _height(box) > 0.02 * page_area:
                # Big objects are where bounds mislead: a white background sheet, or an image
                # shown through a clip path. Small ones are not worth the extra calls.
                if kind == pdfium_c.FPDF_PAGEOBJ_PATH and _invisible(obj):
                    continue
                clip = _clip_box(obj)
                if clip is not None:
                    clip = _transform(matrix, clip)
                    box = (
                        max(box[0], clip[0]),
                        max(box[1], clip[1]),
                        min(box[2], clip[2]),
                        min(box[3], clip[3]),
                    )
                    if _width(box) <= 0 or _height(box) <= 0:
                        continue
            children: list[_Graphic] = []
            if kind == pdfium_c.FPDF_PAGEOBJ_FORM and depth < MAX_FORM_DEPTH:
                fs = pdfium_c.FS_MATRIX()
                pdfium_c.FPDFPageObj_GetMatrix(obj, fs)
                children = walk(
                    max(0, pdfium_c.FPDFFormObj_CountObjects(obj)),
                    lambda j, o=obj: pdfium_c.FPDFFormObj_GetObject(o, j),
                    _compose(matrix, (fs.a, fs.b, fs.c, fs.d, fs.e, fs.f)),
                    depth + 1,
                )
            handle = 0
            if kind == pdfium_c.FPDF_PAGEOBJ_IMAGE:
                handle = ctypes.cast(obj, ctypes.c_void_p).value or 0
            found.append(_Graphic(kind, box, handle, tuple(children)))
        return found

    return walk(
        pdfium_c.FPDFPage_CountObjects(page.raw),
        lambda i: pdfium_c.FPDFPage_GetObject(page.raw, i),
        _IDENTITY,
        0,
    )


def _drawing_boxes(graphics: list[_Graphic], caption: Box, page: Box) -> list[Box]:
    """The boxes to look for a figure in, for one caption.

    An included figure (a Form XObject) counts as one box, so its inner text reads as part
    of it. A form is opened when it holds the caption itself, or most of the page: some
    producers wrap whole pages (or slides, with a white background) in one form.
    """
    x, y = (caption[0] + caption[2]) / 2, (caption[1] + caption[3]) / 2
    page_area = _width(page) * _height(page)
    boxes: list[Box] = []
    for graphic in graphics:
        box = graphic.box
        if graphic.children and (
            _contains_point(box, x, y, 0) or _width(box) * _height(box) > 0.25 * page_area
        ):
            boxes += _drawing_boxes(list(graphic.children), caption, page)
        else:
            boxes.append(box)
    return boxes


def _images(graphics: list[_Graphic] | tuple[_Graphic, ...]) -> Iterator[_Graphic]:
    for graphic in graphics:
        if graphic.kind == pdfium_c.FPDF_PAGEOBJ_IMAGE:
            yield graphic
        yield from _images(graphic.children)


def _invisible(path) -> bool:
    """A path that paints only white (a slide's background): nothing a reader sees on paper."""
    fill_mode, stroke = ctypes.c_int(), ctypes.c_int()
    if not pdfium_c.FPDFPath_GetDrawMode(path, fill_mode, stroke):
        return False
    r, g, b, a = (ctypes.c_uint() for _ in range(4))

    def white(getter) -> bool:
        if not getter(path, r, g, b, a):
            return False
        return a.value == 0 or min(r.value, g.value, b.value) >= 250

    filled_white = fill_mode.value == 0 or white(pdfium_c.FPDFPageObj_GetFillColor)
    stroked_white = not stroke.value or white(pdfium_c.FPDFPageObj_GetStrokeColor)
    return filled_white and stroked_white


def _clip_box(obj) -> Box | None:
    """The bounding box of the object's clip path, in the same space as its bounds."""
    clip = pdfium_c.FPDFPageObj_GetClipPath(obj)
    if not clip:
        return None
    x, y = ctypes.c_float(), ctypes.c_float()
    xs: list[float] = []
    ys: list[float] = []
    for path in range(max(0, pdfium_c.FPDFClipPath_CountPaths(clip))):
        for index in range(max(0, pdfium_c.FPDFClipPath_CountPathSegments(clip, path))):
            segment = pdfium_c.FPDFClipPath_GetPathSegment(clip, path, index)
            if segment and pdfium_c.FPDFPathSegment_GetPoint(segment, x, y):
                xs.append(x.value)
                ys.append(y.value)
    if not xs:
        return None
    return (min(xs), min(ys), max(xs), max(ys))


def _image_key(handle: int) -> tuple[int, int, int] | None:
    """(pixel width, pixel height, stream length): the same logo on several pages matches."""
    obj = ctypes.cast(handle, pdfium_c.FPDF_PAGEOBJECT)
    px_w, px_h = ctypes.c_uint(), ctypes.c_uint()
    if not pdfium_c.FPDFImageObj_GetImagePixelSize(obj, px_w, px_h):
        return None
    size = pdfium_c.FPDFImageObj_GetImageDataRaw(obj, None, 0)
    return (px_w.value, px_h.value, int(size))


def _char_box(textpage: pdfium.PdfTextPage, text_index: int) -> Box | None:
    char_index = pdfium_c.FPDFText_GetCharIndexFromTextIndex(textpage.raw, text_index)
    if char_index < 0:
        return None
    box = textpage.get_charbox(char_index)
    return None if box[2] <= box[0] else tuple(box)  # type: ignore[return-value]


# --- rendering ---------------------------------------------------------------------------------
def render_scale(width: float, height: float, text_width: float) -> float:
    """Pixels per PDF point for a figure of ``width`` x ``height`` points on a page whose text
    block is ``text_width`` points wide (pure).

    The app shows a figure as wide as the text block at DISPLAY_WIDTH_PX, a narrower one in
    proportion (so its lettering looks the size of any other figure's) and none wider than
    DISPLAY_WIDTH_PX; each displayed pixel gets PIXEL_DENSITY rendered ones, and no more. A small
    figure still gets MIN_SIDE_PX on its longest side, for a sharp tile. MAX_SIDE_PX bounds a
    very tall one.
    """
    longest = max(width, height, 1.0)
    scale = PIXEL_DENSITY * DISPLAY_WIDTH_PX / max(text_width, width, 1.0)
    return min(max(scale, MIN_SIDE_PX / longest), MAX_SIDE_PX / longest)


def text_width(lines: list[TextLine], page: Box) -> float:
    """How wide the page's text block is, in points (pure): the span of its body lines (those
    of at least 30 characters; labels inside a figure are shorter), else three quarters of the
    page (a typical text block)."""
    body = [
        ln.box
        for ln in lines
        if len(ln.text) - ln.text.count(" ") >= 30 and not _is_vertical(ln.box)
    ]
    if not body:
        return 0.75 * _width(page)
    content = max(box[2] for box in body) - min(box[0] for box in body)
    return min(max(content, 0.5 * _width(page)), _width(page))


def _render(
    page: pdfium.PdfPage, region: Box | None, text_block: float
) -> tuple[Image.Image, Box] | None:
    """Render ``region`` (or the whole page) at ``render_scale``, white margins cut, with the
    area the image shows on the page (in points). None for a blank region.

    The scale is chosen for the region; when the ink turns out much smaller (a whole page
    whose margins are cut, a tiny figure), the ink is rendered again at its own scale rather
    than scaled up from pixels.
    """
    view = page.get_bbox()  # what pdfium renders: the crop box within the media box
    if region is None:
        region = view
    region = (
        max(region[0], view[0]),
        max(region[1], view[1]),
        min(region[2], view[2]),
        min(region[3], view[3]),
    )
    if _width(region) <= 0 or _height(region) <= 0:
        return None
    scale = render_scale(_width(region), _height(region), text_block)
    result = None
    for _attempt in range(3):
        crop = (region[0] - view[0], region[1] - view[1], view[2] - region[2], view[3] - region[3])
        bitmap = page.render(scale=scale, crop=crop, may_draw_forms=False)
        try:
            full = bitmap.to_pil().convert("RGB")  # convert copies the buffer
        finally:
            bitmap.close()
        trimmed = _trim(full, max(4, round(_TRIM_PAD_PT * scale)))
        if trimmed is None:
            return None
        image, (x0, y0, x1, y1) = trimmed
        per_x, per_y = full.width / _width(region), full.height / _height(region)
        box = (
            region[0] + x0 / per_x,
            region[3] - y1 / per_y,
            region[0] + x1 / per_x,
            region[3] - y0 / per_y,
        )
        result = (image, box)
        wanted = render_scale(_width(box), _height(box), text_block)
        if wanted <= scale * 1.02 and max(image.size) >= MIN_SIDE_PX:
            break
        # Only the ink again, so the bounds hold for what is rendered; 1% for rounding.
        region = box
        scale = min(max(wanted, scale) * 1.01, MAX_SIDE_PX / max(_width(box), _height(box)))
    return result


_TRIM_PAD_PT = 1.5  # white kept around the ink, in points


def _trim(image: Image.Image, pad: int) -> tuple[Image.Image, Box] | None:
    """Cut white margins, keeping ``pad`` pixels of them: the image and its pixel box in
    ``image`` (left, top, right, bottom). None for a blank image."""
    ink = ImageOps.invert(image.convert("L")).point(lambda v: 255 if v > 10 else 0)
    bbox = ink.getbbox()
    if bbox is None:
        return None
    bbox = (
        max(0, bbox[0] - pad),
        max(0, bbox[1] - pad),
        min(image.width, bbox[2] + pad),
        min(image.height, bbox[3] + pad),
    )
    image = image.crop(bbox)
    if max(image.size) < 40 or ImageStat.Stat(image.convert("L")).var[0] <= 0:
        return None
    return image, bbox


# Line art renders in a few thousand colours (anti-aliased edges between flat fills); photos
# and gradients in far more. Up to this many, 256 colours are tried (a PNG about 4x smaller).
_LINE_ART_COLOURS = 65_536
_PALETTE_TOLERANCE = 24  # a pixel this many levels off is a visible change ...
_PALETTE_CHANGED_SHARE = 0.001  # ... and this share of such pixels is too many


def _encode(image: Image.Image) -> tuple[bytes, str]:
    """A PNG, in 256 colours when that shows no visible change (line art); a photo-like image
    as JPEG when that is much smaller."""
    octree = image.quantize(256, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE)
    index = Image.frombytes("L", octree.size, octree.tobytes())
    # Each colour falls in one octree slot: one (r, g, b, slot) per colour of the image.
    colours = Image.merge("RGBA", (*image.split(), index)).getcolors(_LINE_ART_COLOURS)
    if colours is not None:
        paletted = _paletted(image, octree, colours)
        if paletted is not None:
            return _png(paletted), "image/png"
    data = _png(image)
    if colours is None and len(data) > 200_000:
        jpeg = io.BytesIO()
        image.save(jpeg, format="JPEG", quality=85, optimize=True)
        if jpeg.tell() < len(data) // 2:
            return jpeg.getvalue(), "image/jpeg"
    return data, "image/png"


def _png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, format="PNG", compress_level=6)  # optimize=True: 4x the time, 2% smaller
    return out.getvalue()


def _paletted(
    image: Image.Image, octree: Image.Image, colours: list[tuple[int, tuple[int, ...]]]
) -> Image.Image | None:
    """``image`` in 256 colours: exactly, when it has no more; else the octree palette with
    each slot set to its most frequent original colour, so flat fills and the white background
    stay exact and only anti-aliasing shades move. None when too many pixels would change."""
    if len(colours) <= 256:
        palette = Image.new("P", (1, 1))
        palette.putpalette([channel for _count, rgbi in colours for channel in rgbi[:3]])
        return image.quantize(palette=palette, dither=Image.Dither.NONE)
    most: dict[int, tuple[int, tuple[int, ...]]] = {}
    for count, (r, g, b, slot) in colours:
        if count > most.get(slot, (0, ()))[0]:
            most[slot] = (count, (r, g, b))
    table = octree.getpalette() or []
    for slot, (_count, rgb) in most.items():
        table[3 * slot : 3 * slot + 3] = rgb
    octree.putpalette(table)
    changed = ImageChops.difference(image, octree.convert("RGB")).convert("L").histogram()
    if sum(changed[_PALETTE_TOLERANCE + 1 :]) > _PALETTE_CHANGED_SHARE * image.width * image.height:
        return None
    return octree


def _figure(rendered: tuple[Image.Image, Box], page: int, caption: str | None, kind: str) -> Figure:
    image, box = rendered
    data, mime = _encode(image)
    return Figure(page, data, mime, image.width, image.height, caption, kind, box)


# --- the whole document ------------------------------------------------------------------------
@dataclass(frozen=True)
class _Captioned:
    number: int  # the figure's number, which orders the result
    figure: Figure
    region: Box | None  # None for a whole-page screenshot


@dataclass(frozen=True)
class _ImageSpot:
    """An embedded raster image, remembered for later: rendering waits until we need it."""

    page: int
    box: Box
    key: tuple[int, int, int]


def extract_figures(data: bytes, *, max_figures: int = 4, timeout: float = 30.0) -> list[Figure]:
    """Screenshots of the paper's first figures, Figure 1 (the teaser) first.

    Captioned figures come in the order of their numbers (kind "render"; "page" for the whole
    page when the figure could not be located around its caption). Embedded images (kind
    "embedded") fill the slots a paper leaves with fewer captioned figures. Stops after
    ``timeout`` seconds with what it has; returns [] for a PDF pdfium cannot open. Each is
    rendered at ``render_scale``: sharp at the size the app shows it, and no larger.
    """
    if max_figures <= 0:
        return []
    # PDFium is not thread-safe, even across documents: one extraction at a time per process.
    with _PDFIUM_LOCK:
        return _extract_figures_locked(data, max_figures, timeout)


_PDFIUM_LOCK = threading.Lock()


def _extract_figures_locked(data: bytes, max_figures: int, timeout: float) -> list[Figure]:
    deadline = time.monotonic() + timeout
    try:
        document = pdfium.PdfDocument(data)
    except Exception:  # PdfiumError mostly; figures are optional, whatever the damage
        return []
    try:
        captioned, spots = _captioned_figures(document, max_figures, deadline)
        figures = [item.figure for item in sorted(captioned, key=lambda item: item.number)]
        slots = max_figures - len(figures)
        if slots > 0:
            figures += _embedded_figures(document, spots, slots, deadline)
        return figures
    except pdfium.PdfiumError:
        return []  # damage found late, e.g. a page whose content cannot be loaded
    finally:
        document.close()


def _captioned_figures(
    document: pdfium.PdfDocument, max_figures: int, deadline: float
) -> tuple[list[_Captioned], list[_ImageSpot]]:
    """Walk the pages once, one page open at a time, until ``max_figures`` captions are found.

    Embedded images of the pages without a caption are noted on the way, in case they are
    needed to fill the remaining slots.
    """
    found: list[_Captioned] = []
    spots: list[_ImageSpot] = []
    for index in range(len(document)):
        if time.monotonic() > deadline or len(found) >= max_figures:
            break
        try:
            _read_page(document, index, found, spots, max_figures, deadline)
        except pdfium.PdfiumError:
            continue  # a damaged page: the others may still have figures
    return found, spots


def _read_page(
    document: pdfium.PdfDocument,
    index: int,
    found: list[_Captioned],
    spots: list[_ImageSpot],
    max_figures: int,
    deadline: float,
) -> None:
    """Add the page's new captioned figures to ``found``, or its images to ``spots``."""
    number = index + 1
    page = document[index]
    try:
        textpage = page.get_textpage()
        try:
            text = textpage.get_text_range()
            captions = list(_page_captions(page, textpage, text, {f.number for f in found}))
            for start, region, caption, text_block in captions:
                if len(found) >= max_figures or time.monotonic() > deadline:
                    break
                if start.number in {item.number for item in found}:
                    continue  # the same number twice on one page: the first one wins
                figure = _caption_figure(page, number, region, caption, found, text_block)
                if figure is not None:
                    found.append(_Captioned(start.number, figure, region))
            if not captions:
                spots += _image_spots(page, number)
        finally:
            textpage.close()
    finally:
        page.close()


def _page_captions(
    page: pdfium.PdfPage, textpage: pdfium.PdfTextPage, text: str, seen: set[int]
) -> Iterator[tuple[CaptionStart, Box | None, str, float]]:
    """Each new caption on the page, its figure's region (None: not located), its text, and
    the width of the page's text block."""
    starts = [s for s in find_caption_starts(text) if s.number not in seen]
    if not starts:
        return
    lines = _text_lines(textpage)
    graphics = _graphics(page)
    view = page.get_bbox()
    layout = _layout(lines, view)
    body_height = layout.body_height
    text_block = text_width(lines, view)
    for start in starts:
        fallback = clean_caption(text[start.index : start.index + _CAPTION_SCAN], whole=False)
        char = _char_box(textpage, start.index)
        if char is None:
            yield start, None, fallback, text_block
            continue
        cx, cy = (char[0] + char[2]) / 2, (char[1] + char[3]) / 2
        line = next((ln for ln in lines if _contains_point(ln.box, cx, cy, 0.5)), None)
        if line is None:
            yield start, None, fallback, text_block
            continue
        # The label must open its line: text to its left means an in-text mention.
        if line.box[0] < char[0] - 2 * max(_height(char), 1.0):
            continue
        first = _caption_row(line.box, lines, layout)
        block = [first, *(b.box for b in caption_block(first, lines, body_height))]
        caption = clean_caption(_text_within(textpage, text, start.index, block, body_height))
        region = figure_region(line.box, lines, _drawing_boxes(graphics, line.box, view), view)
        if region is None and _inside_paragraph(line.box, lines, body_height):
            continue  # "... as shown in\nFigure 2. Then ...": a mention wrapped to a line start
        yield start, region, caption, text_block


def _inside_paragraph(line: Box, lines: list[TextLine], body_height: float) -> bool:
    """Whether the line directly above starts at the same left edge, at body line spacing."""
    return any(
        -1 <= other.box[1] - line[3] <= 0.8 * body_height
        and abs(other.box[0] - line[0]) <= 3
        and other.box != line
        for other in lines
    )


def _caption_row(line: Box, lines: list[TextLine], layout: _Layout) -> Box:
    """The caption's first line with the pieces set on the same row just right of it: a bold
    label ("Figure 1.") and its title are often two runs with a wide space between them. A
    caption in the left column stays there (the right column's line on the same row is not
    its continuation)."""
    body_height = layout.body_height
    limit = layout.middle if layout.two_columns and line[2] <= layout.middle + 5 else math.inf
    row = line
    grew = True
    while grew:
        grew = False
        for other in lines:
            box = other.box
            overlap = min(row[3], box[3]) - max(row[1], box[1])
            if (
                box[0] >= row[2] - 1
                and box[0] - row[2] <= 2 * body_height
                and box[0] < limit
                and overlap >= 0.5 * min(_height(row), _height(box))
                and not _is_vertical(box)
            ):
                row, grew = _union(row, box), True
    return row


def _text_within(
    textpage: pdfium.PdfTextPage, text: str, index: int, boxes: list[Box], body_height: float
) -> str:
    """The page text from ``index`` on, up to the first character outside ``boxes``.

    This ends a caption where its block ends, even when it has no final period and the page
    text runs on into a heading or the body. Sub- and superscripts ("K_ATP") may stick out of
    their line's box by less than half a body line.
    """
    reach = 0.4 * body_height
    end = min(len(text), index + _CAPTION_SCAN)
    for position in range(index, end):
        if text[position].isspace() or text[position] in "\ufffe\x02":
            continue
        char = _char_box(textpage, position)
        if char is None:
            continue
        x, y = (char[0] + char[2]) / 2, (char[1] + char[3]) / 2
        if not any(
            box[0] - 1 <= x <= box[2] + 1 and box[1] - reach <= y <= box[3] + reach for box in boxes
        ):
            return text[index:position]
    return text[index:end]


def _same_region(a: Box, b: Box) -> bool:
    inter_w = min(a[2], b[2]) - max(a[0], b[0])
    inter_h = min(a[3], b[3]) - max(a[1], b[1])
    if inter_w <= 0 or inter_h <= 0:
        return False
    smaller = min(_width(a) * _height(a), _width(b) * _height(b))
    return inter_w * inter_h >= 0.8 * smaller


def _caption_figure(
    page: pdfium.PdfPage,
    number: int,
    region: Box | None,
    caption: str,
    found: list[_Captioned],
    text_block: float,
) -> Figure | None:
    """Render a located figure, or its whole page when it was not located (or came out blank).

    None when it would repeat what we have: two captions under one drawing, or a second
    whole-page screenshot of the same page.
    """
    on_page = [item for item in found if item.figure.page == number]
    if page.get_rotation() % 360:
        region = None  # text boxes are in unrotated space: show the whole page instead
    if region is not None:
        if any(item.region and _same_region(item.region, region) for item in on_page):
            return None
        rendered = _render(page, region, text_block)
        if rendered is not None:
            return _figure(rendered, number, caption, "render")
    if any(item.region is None for item in on_page):
        return None
    rendered = _render(page, None, text_block)
    return None if rendered is None else _figure(rendered, number, caption, "page")


def _image_spots(page: pdfium.PdfPage, number: int) -> list[_ImageSpot]:
    """Raster images big enough to be a figure (not a logo, an icon or a rule)."""
    width, height = page.get_size()
    spots = []
    for graphic in _images(_graphics(page, images_only=True)):
        box = graphic.box
        if (
            _width(box) < 72
            or _height(box) < 50
            or _width(box) * _height(box) < 0.03 * width * height
        ):
            continue
        key = _image_key(graphic.handle)
        if key is None or key[0] < 100 or key[1] < 100:
            continue
        spots.append(_ImageSpot(number, box, key))
    return spots


def _embedded_figures(
    document: pdfium.PdfDocument, spots: list[_ImageSpot], slots: int, deadline: float
) -> list[Figure]:
    """Render embedded images that appear on one page only (a logo repeats on every page)."""
    pages_by_key: dict[tuple[int, int, int], set[int]] = {}
    for spot in spots:
        pages_by_key.setdefault(spot.key, set()).add(spot.page)
    figures: list[Figure] = []
    digests: set[str] = set()
    for spot in spots:
        if len(figures) >= slots or time.monotonic() > deadline:
            break
        if len(pages_by_key[spot.key]) > 1:
            continue
        page = document[spot.page - 1]
        try:
            textpage = page.get_textpage()
            try:
                text_block = text_width(_text_lines(textpage), page.get_bbox())
            finally:
                textpage.close()
            rendered = _render(page, None if page.get_rotation() % 360 else spot.box, text_block)
        finally:
            page.close()
        if rendered is None:
            continue
        digest = hashlib.sha1(rendered[0].tobytes()).hexdigest()
        if digest not in digests:
            digests.add(digest)
            figures.append(_figure(rendered, spot.page, None, "embedded"))
    return figures


def save_figures(figures: list[Figure], folder: Path, stem: str) -> list[Path]:
    """Write each figure as ``{stem}_fig{n}_p{page}.png`` (or .jpg); returns the paths."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for n, figure in enumerate(figures, start=1):
        suffix = ".jpg" if figure.mime == "image/jpeg" else ".png"
        path = folder / f"{stem}_fig{n}_p{figure.page}{suffix}"
        path.write_bytes(figure.image)
        paths.append(path)
    return paths
