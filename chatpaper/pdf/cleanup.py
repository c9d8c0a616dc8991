"""Raw page text -> readable page text: ligatures, running heads, page numbers, hyphenation.

Pure functions on strings. Every pattern here is bounded per line (no nested repetition that
can backtrack across a long token), so the cost grows linearly with the text; the whole
clean-up still runs inside the bounded PDF worker with the rest of the reading.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from itertools import pairwise

__all__ = ["clean_pages", "strip_line_numbers"]

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\u200b\u200c\u200d\u2060\ufeff\ufffe]")
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000]+")
_DIGITS = re.compile(r"\d+")
_WORD = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*")
_PAGE_NUMBER = re.compile(
    r"^(?:[-–—]\s*)?(?:page\s+)?(\d{1,5})(?:\s*[-–—])?(?:\s*(?:/|of)\s*\d{1,5})?$", re.I
)
_EDGE_LINES = 3  # running heads and page numbers sit within this many lines of an edge


def _normalise_page(text: str) -> list[str]:
    text = unicodedata.normalize("NFKC", text)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _CONTROL.sub("", text)
    return [_SPACES.sub(" ", line).strip() for line in text.split("\n")]


def _edge_indexes(lines: list[str]) -> list[int]:
    """Indexes of the first and last few non-empty lines of a page."""
    filled = [i for i, line in enumerate(lines) if line]
    head = filled[:_EDGE_LINES]
    tail = filled[-_EDGE_LINES:]
    return sorted(set(head) | set(tail))


def _running_keys(pages: list[list[str]]) -> set[str]:
    """Lines that recur at the top or bottom of many pages (digits ignored): headers/footers.

    The outermost line of a page needs fewer repeats than the next ones in, where a figure
    caption or a table row is likelier to repeat by chance.
    """
    if len(pages) < 3:
        return set()
    outer: Counter[str] = Counter()
    inner: Counter[str] = Counter()
    for lines in pages:
        edges = _edge_indexes(lines)
        ends = {edges[0], edges[-1]} if edges else set()
        outer.update({_DIGITS.sub("#", lines[i].lower()) for i in ends})
        inner.update({_DIGITS.sub("#", lines[i].lower()) for i in edges})
    n = len(pages)
    outer_needed = max(2, math.ceil(0.25 * n))
    inner_needed = max(3, math.ceil(0.3 * n))
    keys = {key for key, count in outer.items() if count >= outer_needed}
    keys |= {key for key, count in inner.items() if count >= inner_needed}
    return {key for key in keys if any(ch.isalpha() for ch in key)}


def _page_number_lines(pages: list[list[str]]) -> set[tuple[int, int]]:
    """(page, line) of bare page numbers: numbers at an edge that count up with the pages."""
    found: list[tuple[int, int, int]] = []  # page index, line index, offset
    for p, lines in enumerate(pages):
        for i in _edge_indexes(lines):
            match = _PAGE_NUMBER.match(lines[i])
            if match:
                found.append((p, i, int(match.group(1)) - p))
    if not found:
        return set()
    offsets = Counter(offset for _, _, offset in found)
    best, count = offsets.most_common(1)[0]
    if count < 2 and not (len(pages) == 1 and best in (0, 1)):
        return set()
    return {(p, i) for p, i, offset in found if offset == best}


_TRAILING_INT = re.compile(r"(?:^|\s)(\d{1,5})$")
_LEADING_INT = re.compile(r"^(\d{1,5})(?:\s|$)")


def _line_numbers(lines: list[str], pattern: re.Pattern[str]) -> list[int] | None:
    """The line number each line carries, when the page is a line-numbered manuscript: most
    lines end (or start) with a number and those numbers count up one by one."""
    found = [(i, int(m.group(1))) for i, line in enumerate(lines) if (m := pattern.search(line))]
    filled = sum(1 for line in lines if line)
    if filled < 8 or len(found) < 0.6 * filled:
        return None
    steps = sum(1 for (_, a), (_, b) in pairwise(found) if 0 < b - a <= 3)
    if steps < 0.8 * (len(found) - 1):
        return None
    return [i for i, _ in found]


def strip_line_numbers(lines: list[str]) -> list[str]:
    """Drop a manuscript's line numbers ("growth transition in 6"; a line of just "7"), which
    would otherwise end every heading and sentence; other pages are left alone."""
    for pattern, at_end in ((_TRAILING_INT, True), (_LEADING_INT, False)):
        numbered = _line_numbers(lines, pattern)
        if numbered is None:
            continue
        out = list(lines)
        for i in numbered:
            match = pattern.search(out[i])
            if match:
                out[i] = (out[i][: match.start()] if at_end else out[i][match.end() :]).strip()
        return out
    return lines


def _dehyphenate(lines: list[str], words: Counter[str]) -> list[str]:
    """Join words split at a line end ("adip-" + "iscing"); keep real hyphens.

    A lowercase-lowercase split is joined unless the document spells the hyphenated form more
    often, both halves are words the document uses on their own or in other compounds
    ("token-" + "level" beside "high-level"), or either part is itself a compound
    ("state-of-the-" + "art", "state-" + "of-the-art"). Anything else
    ("GPT-" + "4", "Multi-" + "LexSum") keeps its hyphen. Either way the second part moves up
    to the first line, so line structure (one heading per line) is preserved.
    """
    out = list(lines)
    for i in range(len(out) - 1):
        line = out[i]
        if len(line) < 2 or line[-1] != "-" or not line[-2].isalpha():
            continue
        following = out[i + 1]
        if not following or not following[0].isalnum():
            continue
        piece, _, rest = following.partition(" ")
        head_match = re.search(r"([^\W\d_]+(?:-[^\W\d_]+)*)-$", line)
        if not head_match:
            continue
        head = head_match.group(1)
        last = head.rsplit("-", 1)[-1]
        tail_match = re.match(r"[^\W\d_]+", piece)
        tail = tail_match.group(0) if tail_match else ""
        join = False
        if tail and last[-1].islower() and tail[0].islower():
            joined, hyphened = (last + tail).lower(), f"{last}-{tail}".lower()
            if words[hyphened] > words[joined] or piece[len(tail) : len(tail) + 1] == "-":
                join = False  # spelled so elsewhere, or "state-" + "of-the-art"
            elif words[joined]:
                join = True
            elif (
                len(last) > 2
                and len(tail) > 3
                and (min(words[last], words[tail]) or words[f"-{tail}"])
            ):
                join = False  # words or compound parts elsewhere: "token-" + "level"
            else:
                join = "-" not in head
        out[i] = (line[:-1] if join else line) + piece
        out[i + 1] = rest
    return out


def clean_pages(raw_pages: list[str]) -> list[str]:
    """Readable page texts: NFKC (ligatures), no running heads or page numbers, words rejoined.

    Line breaks are kept (headings stay on their own lines); runs of spaces become one space
    and blank lines at most one. Text is otherwise left as the PDF has it, so a sentence quoted
    from the paper can still be found in it.
    """
    pages = [strip_line_numbers(_normalise_page(text or "")) for text in raw_pages]
    running = _running_keys(pages)
    numbers = _page_number_lines(pages)
    words: Counter[str] = Counter()
    for p, lines in enumerate(pages):
        edges = set(_edge_indexes(lines))
        kept: list[str] = []
        for i, line in enumerate(lines):
            if i in edges and ((p, i) in numbers or _DIGITS.sub("#", line.lower()) in running):
                continue
            kept.append(line)
        pages[p] = kept
        after_split = False
        for line in kept:
            found = _WORD.findall(line)
            # The halves of a word split at a line end ("experi-" / "ment") are not words.
            split_here = line.endswith("-") and bool(found)
            found = found[1 if after_split else 0 : len(found) - (1 if split_here else 0)]
            after_split = split_here
            for word in found:
                word = word.lower()
                words[word] += 1
                if "-" in word:  # "high-level" is evidence that "-level" makes compounds
                    words["-" + word.rsplit("-", 1)[1]] += 1
    cleaned: list[str] = []
    for lines in pages:
        text = "\n".join(_dehyphenate(lines, words))
        text = re.sub(r"\n{3,}", "\n\n", text)
        cleaned.append(text.strip())
    return cleaned
