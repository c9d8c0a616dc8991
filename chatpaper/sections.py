"""Headings -> sections with roles, from the cleaned text of each page (pure, no I/O).

Plain text has no font sizes, so a heading is recognised by its shape (a short, title-like
line, often numbered) and, above all, by sequence: real section numbers count up 1, 2, 3 and
3.1, 3.2 in document order, while the things that merely look like headings (a figure's
labels, a table row, a numbered list, a footnote, a reference entry "2019. Title") do not fit
that count. The best-fitting chain of candidates is chosen by dynamic programming over the
numbers, which is linear in the number of candidates.

Roles come from the heading's words ("Related Work" -> related_work) and, for a method part
named after the technique ("3 Design of papermage", "3 Multi-LexSum"), from position: the
top-level sections between the introduction/related work and the experiments.
"""

from __future__ import annotations

import re
import statistics
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field

from .paper import Section
from .text import CAPTION_LINE_RE

__all__ = ["find_sections", "heading_matches", "role_for_title"]

# --- comparing headings ---------------------------------------------------------------------


def _heading_key(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).casefold()
    text = re.sub(r"[‐‑‒–—−]", "-", text)
    text = re.sub(r"[’‘`´]", "'", text)
    text = re.sub(r"^\s*([0-9ivx]+(?:\.[0-9]+)*|[a-z](?:\.[0-9]+)*)\.?\s+", r"\1 ", text)
    return " ".join(text.split()).rstrip(" .:")


def heading_matches(found: str, label: str) -> bool:
    """True when two headings read the same, ignoring case, spacing and "3." vs "3"."""
    return _heading_key(found) == _heading_key(label)


# --- roles ----------------------------------------------------------------------------------

_ROLE_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    (role, re.compile(pattern, re.I))
    for role, pattern in [
        ("abstract", r"^abstract$"),
        ("references", r"^(?:references?|bibliography|literature cited|works cited|citations)$"),
        ("appendix", r"^(?:appendix|appendices|supplementary|supplemental)\b"),
        ("introduction", r"\bintroduction\b|^motivation$"),
        (
            "conclusion",
            r"\bconclu(?:sion|sions|ding)\b|^summary$|^summary and\b|\bfinal remarks\b"
            r"|\bclosing remarks\b",
        ),
        (
            "related_work",
            r"\brelated (?:work|works|research|literature)\b|\bprior work\b|\bprevious work\b"
            r"|\bliterature review\b|^background\b|\bbackground and\b",
        ),
        (
            "experiments",
            r"\bexperiments?\b|\bexperimental\b|\bevaluations?\b|\bstud(?:y|ies)\b"
            r"|\bbenchmarks?\b|\bempirical\b|\bablations?\b|\bsetup\b",
        ),
        ("results", r"\bresults?\b|\bfindings\b|\banalysis\b|\banalyses\b"),
        (
            "discussion",
            r"\bdiscussions?\b|\blimitations?\b|\bfuture (?:work|directions?|research)\b"
            r"|\bbroader impacts?\b|\bethic",
        ),
        (
            "discussion",  # weak: only for top-level headings ("1.1 Challenges in X" is not)
            r"^(?:challenges|open (?:problems|questions))\b",
        ),
        (
            "method",
            r"\bmethods?\b|\bmethodology\b|\bapproach(?:es)?\b|\bframework\b|\barchitecture\b"
            r"|\bdesign(?:ing|s)?\b|\bimplementation\b|\bproposed\b|\balgorithms?\b"
            r"|^(?:our|the proposed) (?:model|system)\b|\bsystem overview\b"
            r"|\bproblem (?:formulation|definition|statement|setting)\b|\btask definition\b",
        ),
    ]
]
_WEAK_INDEX = next(
    i for i, (_, p) in enumerate(_ROLE_PATTERNS) if p.pattern.startswith("^(?:chall")
)
_OTHER_NAMES = re.compile(
    r"^(?:acknowledg\w*|funding|author contributions?|contributions|limitations|"
    r"ethics(?: statement)?|ethical (?:considerations|statement)|broader impacts?(?: statement)?|"
    r"impact statement|data availability(?: statement)?|code availability|"
    r"competing interests?|conflicts? of interests?|declaration of .*|reproducibility statement|"
    r"supplementary (?:material|materials|information)|checklist|.*paper checklist|"
    r"notes|footnotes|abbreviations|nomenclature|keywords)$",
    re.I,
)
_KNOWN_NAMES = re.compile(
    r"^(?:abstract|introduction|related work|related works|background|preliminaries|"
    r"background and related work|methods?|methodology|materials and methods|approach|"
    r"our approach|proposed method|experiments?|experimental (?:setup|results)|evaluation|"
    r"results|results and discussion|discussion|discussion and conclusions?|conclusions?|"
    r"conclusions? and (?:future work|outlook|perspectives?)|concluding remarks|"
    r"summary and outlook|summary|outlook|future work|limitations|references|bibliography|"
    r"appendix|appendices|" + _OTHER_NAMES.pattern[4:-2] + r")$",
    re.I,
)
_PLAIN_METHOD = re.compile(
    r"^(?:methods?|methodology|materials and methods|approach|search (?:strategy|methods?))$",
    re.I,
)
_SURVEY = re.compile(r"\b(?:survey|review|perspective|tutorial|primer)\b", re.I)
_NOT_SURVEY = re.compile(r"\b(?:under review|peer[- ]review|review(?:ed)? by)\b", re.I)


def _role_match(title: str, top_level: bool = True) -> tuple[str, int] | None:
    """(role, word position of the naming words) for a heading's title, or None.

    The naming words must lead the heading ("Human evaluation", "Evaluation setup") unless
    the heading is short: in "Survey of human evaluation practices" the topic is a survey.
    """
    title = " ".join(title.split()).strip(" .:")
    words = len(title.split())
    for index, (role, pattern) in enumerate(_ROLE_PATTERNS):
        if not top_level and index == _WEAK_INDEX:
            continue
        match = pattern.search(title)
        if match is None:
            continue
        position = len(title[: match.start()].split())
        if position <= 2 or words <= 4:
            return role, position
    return None


def role_for_title(title: str, *, top_level: bool = True) -> str | None:
    """The role a heading's words name, or None (e.g. "3 Multi-LexSum")."""
    found = _role_match(title, top_level)
    return found[0] if found else None


# --- candidates -----------------------------------------------------------------------------

_CONNECTIVE_END = re.compile(
    r"(?:\b(?:of|for|and|or|with|in|on|the|a|an|to|from|via|by|at|towards?|using|versus|"
    r"between|through|into|under|over|without|within|across|as|its|their|other|vs\.?)"
    r"|[:,&\-–—/])$",
    re.I,
)
_ARABIC = re.compile(r"^(?P<num>\d{1,2}(?:\.\d{1,2}){0,3})(?P<dot>\.?)\s+(?P<title>\S.*)$")
_ROMAN = re.compile(r"^(?P<num>[IVX]{1,7})(?P<dot>\.?)\s+(?P<title>\S.*)$")
_LETTER = re.compile(r"^(?P<num>[A-Z](?:\.\d{1,2}){0,2})(?P<dot>\.?)\s+(?P<title>\S.*)$")
_APPENDIX_LINE = re.compile(
    r"^(?:appendix|supplementary (?:material|section))\s+(?P<letter>[A-Z]|\d{1,2})\b"
    r"\s*[:.\-–—]?\s*(?P<title>.*)$",
    re.I,
)
_INLINE_ABSTRACT = re.compile(
    r"^(?P<head>abstract|a b s t r a c t)\s*[—–:.\-]\s*(?P<rest>[A-Z].*)$", re.I
)
_TRAILING_NUMBER = re.compile(r"\s+\d{1,4}$")
_CONTENTS = re.compile(r"^(?:table of )?contents$", re.I)
_DOT_LEADERS = re.compile(r"(?:\.\s?){3,}\s*\d{1,4}$")
_BAD_IN_TITLE = re.compile(r"\bet al\b|https?:|www\.|@|=|±|%|\[\d|\(\d{4}\)|\b\d+\.\d+\b")
_SENTENCE_END = re.compile(r"[.!?][\"”’')\]]*(?:\s*[\d,–\-]+)?$")
_CAPTION = CAPTION_LINE_RE
_ROMAN_VALUES = {"I": 1, "V": 5, "X": 10}
_AFFILIATION = re.compile(
    r"\b(?:universit\w*|institut\w*|department|dept\.|laborator\w*|school of|college of|"
    r"faculty of|inc\.|ltd\.|corporation|e-?mail)\b",
    re.I,
)


def _roman_value(text: str) -> int | None:
    total, previous = 0, 0
    for char in reversed(text):
        value = _ROMAN_VALUES[char]
        total = total - value if value < previous else total + value
        previous = max(previous, value)
    # Only canonical numerals up to 30 (I..XXX); "IIII" or "VX" are not section numbers.
    canonical = [
        "", "I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII", "XIII",
        "XIV", "XV", "XVI", "XVII", "XVIII", "XIX", "XX",
    ]  # fmt: skip
    return total if total < len(canonical) and canonical[total] == text else None


@dataclass
class _Line:
    page: int  # 1-based
    text: str


@dataclass
class _Candidate:
    start: int  # index of the heading's first line
    end: int  # index of its last line (a heading may wrap onto a second line)
    kind: str  # "arabic", "roman", "letter", "appendix", "name", "plain", "abstract"
    number: tuple[int, ...]
    heading: str
    title: str
    score: float = 1.0
    inline_text: str = ""  # text after "Abstract—" on the same line
    role: str | None = None
    level: int = 1
    children: list[_Candidate] = field(default_factory=list)


def _letters_ratio(text: str) -> float:
    visible = [ch for ch in text if not ch.isspace()]
    if not visible:
        return 0.0
    return sum(ch.isalpha() for ch in visible) / len(visible)


def _title_like(title: str, *, max_words: int = 14) -> bool:
    """Shape of a heading's words: short, starts with a capital, no sentence ending."""
    words = title.split()
    if not words or len(words) > max_words or len(title) > 120:
        return False
    first_alpha = next((ch for ch in title if ch.isalpha()), "")
    if (
        not first_alpha
        or not first_alpha.isupper()
        or not (title[0].isalnum() or title[0] in "\"“'‘")
    ):
        return False
    if title[-1] in ".,;" or title.endswith(("-", "–")):
        return False
    if _letters_ratio(title) < 0.6 or len(re.findall(r"\d+", title)) > 2:
        return False
    if _BAD_IN_TITLE.search(title) or title.count(",") > 2:
        return False
    if re.search(r"[a-z]{2}\. [A-Z]", title):  # two sentences
        return False
    return not _CONNECTIVE_END.search(title)


def _is_caps(text: str) -> bool:
    letters = [ch for ch in text if ch.isalpha()]
    return bool(letters) and all(ch.isupper() for ch in letters)


class _Document:
    """The flattened lines of all pages and a few statistics about them."""

    def __init__(self, pages: list[str]):
        self.lines: list[_Line] = []
        for number, text in enumerate(pages, start=1):
            for line in (text or "").split("\n"):
                line = " ".join(line.split())
                if line:
                    self.lines.append(_Line(number, line))
        lengths = [len(line.text) for line in self.lines if len(line.text) >= 25]
        self.typical = statistics.median(lengths) if lengths else 60.0
        self.texts = {line.text for line in self.lines}
        self.contents_at = [i for i, line in enumerate(self.lines) if _CONTENTS.match(line.text)]

    def in_toc(self, index: int, title: str) -> bool:
        """A table-of-contents entry: dot leaders, or a trailing page number where the same
        heading also stands without it, or a numbered line just after "Contents"."""
        if _DOT_LEADERS.search(title):
            return True
        match = _TRAILING_NUMBER.search(self.lines[index].text)
        if not match:
            return False
        if self.lines[index].text[: match.start()] in self.texts:
            return True
        return any(0 < index - at < 120 for at in self.contents_at)

    def text(self, index: int) -> str:
        return self.lines[index].text if 0 <= index < len(self.lines) else ""

    def same_page(self, a: int, b: int) -> bool:
        return 0 <= b < len(self.lines) and self.lines[a].page == self.lines[b].page


def _starts_upper(text: str) -> bool:
    return bool(text) and (text[0].isupper() or text[0] in '"“(')


def _continuation(doc: _Document, index: int, title: str) -> str | None:
    """The next line when the heading at ``index`` wraps onto it, else None."""
    nxt_index = index + 1
    if not doc.same_page(index, nxt_index):
        return None
    nxt = doc.text(nxt_index)
    words = nxt.split()
    if (
        not words
        or len(words) > 10
        or len(nxt) > 80
        or nxt.endswith((".", ";", ","))
        or _ARABIC.match(nxt)
        or re.match(r"^(?:[A-Z](?:\.\d{1,2})+|[IVX]+\.)\s", nxt)
        or _KNOWN_NAMES.match(nxt.rstrip(":."))
        or _CAPTION.match(nxt)
        or nxt[0].isdigit()
        or nxt[0] in "([{•·-–—"
        or _letters_ratio(nxt) < 0.7
    ):
        return None
    after = doc.text(nxt_index + 1) if doc.same_page(index, nxt_index + 1) else ""
    after_starts_block = not after or _starts_upper(after) or bool(_ARABIC.match(after))
    if _CONNECTIVE_END.search(title):
        return nxt
    if _is_caps(title) and _is_caps(nxt) and len(title) >= 12:
        return nxt
    if nxt[0].islower() and after_starts_block and len(nxt) < 0.85 * doc.typical:
        return nxt
    line_len = len(doc.text(index))
    if (
        nxt[0].isupper()
        and len(nxt) < 0.7 * doc.typical
        and line_len >= 0.6 * doc.typical
        and not _is_caps(nxt)
        and after
        and _starts_upper(after)
        and len(after) >= 0.6 * doc.typical
    ):
        return nxt
    return None


def _score(doc: _Document, cand: _Candidate) -> float:
    """How much a candidate looks like a real heading, beyond its shape."""
    score = 1.0
    if role_for_title(cand.title):
        score += 1.0
    nxt = doc.text(cand.end + 1)
    if nxt and nxt[0].islower():
        score -= 0.7  # a sentence goes on: list item or footnote
    if len(cand.title.split()) > 10:
        score -= 0.4
    if _AFFILIATION.search(cand.title):
        score -= 1.5  # "1 Department of Physics, University of X": an affiliation footnote
    previous = doc.text(cand.start - 1)
    if previous and previous.endswith("-") and doc.same_page(cand.start, cand.start - 1):
        score -= 0.5
    return score


def _numbered(doc: _Document, index: int, pattern: re.Pattern[str], kind: str) -> _Candidate | None:
    line = doc.text(index)
    match = pattern.match(line)
    if not match:
        return None
    title = match.group("title").strip()
    raw_number = match.group("num")
    if kind == "arabic":
        number = tuple(int(part) for part in raw_number.split("."))
        if (number[0] == 0 and len(number) == 1) or number[0] > 30 or any(n > 60 for n in number):
            return None
    elif kind == "roman":
        value = _roman_value(raw_number)
        if value is None:
            return None
        # "I think ..." is a sentence: roman headings have a dot or are set in capitals.
        if not match.group("dot") and not _is_caps(title):
            return None
        number = (value,)
    else:
        letter, *rest = raw_number.split(".")
        number = (ord(letter) - ord("A") + 1, *(int(part) for part in rest))
    if doc.in_toc(index, title):
        return None
    end = index
    wrapped = _continuation(doc, index, title)
    if wrapped is not None:
        title = f"{title} {wrapped}"
        end = index + 1
    if not _title_like(title):
        return None
    heading = line if end == index else f"{line} {doc.text(end)}"
    cand = _Candidate(index, end, kind, number, heading, title)
    cand.score = _score(doc, cand)
    return cand


def _known_name(doc: _Document, index: int) -> _Candidate | None:
    line = doc.text(index)
    bare = line.rstrip(":. ")
    if _KNOWN_NAMES.match(bare):
        kind = "abstract" if bare.lower() in ("abstract", "a b s t r a c t") else "name"
        return _Candidate(index, index, kind, (), line, bare, score=2.0)
    inline = _INLINE_ABSTRACT.match(line)
    if inline:
        head = inline.group("head")
        return _Candidate(
            index, index, "abstract", (), head, head, score=2.0, inline_text=inline.group("rest")
        )
    match = _APPENDIX_LINE.match(line)
    if match:
        letter = match.group("letter")
        title = match.group("title").strip()
        if title and not _title_like(title):
            return None
        number = (ord(letter.upper()) - ord("A") + 1,) if letter.isalpha() else (int(letter),)
        return _Candidate(index, index, "appendix", number, line, title or line, score=2.0)
    return None


def _plain(doc: _Document, index: int) -> _Candidate | None:
    """An unnumbered heading in a paper without numbers: a short title-like line standing
    between the end of one paragraph and the start of the next."""
    line = doc.text(index)
    words = line.split()
    if not 1 <= len(words) <= 8 or len(line) > min(60, 0.6 * doc.typical):
        return None
    if not line[0].isupper() or _CAPTION.match(line) or re.search(r"[\d.,;:!?=()\[\]]", line):
        return None
    if _letters_ratio(line) < 0.85 or _CONNECTIVE_END.search(line):
        return None
    previous, nxt = doc.text(index - 1), doc.text(index + 1)
    if previous and not _SENTENCE_END.search(previous):
        return None
    if not nxt or not nxt[0].isupper() or len(nxt) < 0.5 * doc.typical:
        return None
    return _Candidate(index, index, "plain", (), line, line, score=1.0)


# --- choosing the chain ---------------------------------------------------------------------


def _best_chain(cands: list[_Candidate], position: int = 0, start_at: int = 1) -> list[_Candidate]:
    """The highest-scoring subsequence whose numbers (at ``position``) count up.

    Skipped numbers and sections with no body cost points, so a stray "2" from a list cannot
    outbid the real "2"; among equals the earlier candidate wins.
    """
    if not cands:
        return []
    best_by_number: dict[int, tuple[float, int]] = {}  # number -> (chain score, cand index)
    back: list[int | None] = []
    totals: list[float] = []
    for i, cand in enumerate(cands):
        number = cand.number[position]
        total = cand.score - 0.8 * max(0, number - start_at)
        previous: int | None = None
        for prior_number, (prior_total, prior_index) in best_by_number.items():
            if prior_number >= number:
                continue
            gap = number - prior_number - 1
            value = prior_total + cand.score - 0.8 * gap
            if cand.start - cands[prior_index].end < 2:  # no body at all
                value -= 1.0
            if value > total:
                total, previous = value, prior_index
        back.append(previous)
        totals.append(total)
        if number not in best_by_number or total > best_by_number[number][0]:
            best_by_number[number] = (total, i)
    end = max(range(len(cands)), key=lambda k: (totals[k], -k))
    if totals[end] <= 0:
        return []
    chain: list[_Candidate] = []
    cursor: int | None = end
    while cursor is not None:
        chain.append(cands[cursor])
        cursor = back[cursor]
    return chain[::-1]


def _within(cands: list[_Candidate], start: int, stop: int) -> list[_Candidate]:
    return [c for c in cands if start < c.start < stop]


def _children(
    parent: _Candidate, pool: list[_Candidate], stop: int, depth: int, max_depth: int
) -> None:
    """Attach numbered subsections (parent 3 -> 3.1, 3.2; 3.1 -> 3.1.1) found before ``stop``."""
    if depth > max_depth:
        return
    size = len(parent.number) + 1
    inside = [
        c
        for c in _within(pool, parent.end, stop)
        if len(c.number) == size and c.number[:-1] == parent.number
    ]
    chain = _best_chain(inside, position=size - 1)
    for i, child in enumerate(chain):
        child.level = parent.level + 1
        child_stop = chain[i + 1].start if i + 1 < len(chain) else stop
        _children(child, pool, child_stop, depth + 1, max_depth)
    parent.children = chain


def _flatten(cands: list[_Candidate]) -> list[_Candidate]:
    out: list[_Candidate] = []
    for cand in cands:
        out.append(cand)
        out.extend(_flatten(cand.children))
    return out


# --- the whole thing -------------------------------------------------------------------------


def _is_survey(doc: _Document) -> bool:
    """A review/survey/perspective has no method part: its title area says so."""
    head = [line.text for line in doc.lines[:8] if line.page == 1]
    return any(_SURVEY.search(text) and not _NOT_SURVEY.search(text) for text in head)


def _assign_roles(top: list[_Candidate], survey: bool) -> None:
    after_references = False
    for cand in top:
        role = role_for_title(cand.title)
        if cand.kind == "appendix" or (after_references and cand.kind == "letter"):
            role = "appendix"
        if cand.kind == "abstract":
            role = "abstract"
        if role == "method" and survey and not _PLAIN_METHOD.match(cand.title):
            role = None  # "Attribution methods" in a review names a topic, not its method
        cand.role = role
        if role == "references":
            after_references = True

    # A method part named after the technique: top-level sections between the introduction
    # (and any related work right after it) and the experiments.
    body = [c for c in top if c.role not in ("abstract", "appendix", "references")]
    intro = next((i for i, c in enumerate(body) if c.role == "introduction"), None)
    if intro is not None:
        start = intro + 1
        while start < len(body) and body[start].role == "related_work":
            start += 1
        stop = next(
            (
                i
                for i in range(start, len(body))
                if body[i].role
                in ("experiments", "results", "discussion", "conclusion", "related_work")
            ),
            None,
        )
        bounded_by_experiments = stop is not None and body[stop].role in ("experiments", "results")
        if stop is not None and (bounded_by_experiments or not survey):
            for cand in body[start:stop]:
                if cand.role is None:
                    cand.role = "method"
    for cand in top:
        if cand.role is None:
            cand.role = "other"
        _inherit(cand)


_OVERRIDABLE = ("results", "discussion", "conclusion", "experiments", "related_work")


def _inherit(parent: _Candidate) -> None:
    for child in parent.children:
        found = _role_match(child.title, top_level=False)
        role = found[0] if found else None
        strong = (
            found is not None
            and role in _OVERRIDABLE
            and (found[1] == 0 or len(child.title.split()) <= 3)
        )
        child.role = (
            role if strong and parent.role not in ("appendix", "references") else parent.role
        )
        _inherit(child)


def _candidates(doc: _Document) -> dict[str, list[_Candidate]]:
    found: dict[str, list[_Candidate]] = {
        "arabic": [], "roman": [], "letter": [], "names": [], "plain": [],
    }  # fmt: skip
    for index in range(len(doc.lines)):
        line = doc.text(index)
        if len(line) > 160:
            continue
        named = _known_name(doc, index)
        if named is not None:
            found["names"].append(named)
            continue
        for kind, pattern in (("arabic", _ARABIC), ("roman", _ROMAN), ("letter", _LETTER)):
            cand = _numbered(doc, index, pattern, kind)
            if cand is not None:
                found[kind].append(cand)
                break
        else:
            plain = _plain(doc, index)
            if plain is not None:
                found["plain"].append(plain)
    return found


def _first(cands: list[_Candidate], predicate: Callable[[_Candidate], bool]) -> _Candidate | None:
    for cand in cands:
        if predicate(cand):
            return cand
    return None


def _structure(doc: _Document) -> list[_Candidate]:
    """The accepted headings, top level first, children attached."""
    found = _candidates(doc)
    names = found["names"]
    top_arabic = [c for c in found["arabic"] if len(c.number) == 1]
    top_roman = found["roman"]

    def is_refs(c: _Candidate) -> bool:
        return c.kind == "name" and role_for_title(c.title) == "references"

    # Pass 1: the chain over the whole text tells where the body starts; the references
    # heading is the first one after that; pass 2 keeps the body's numbers only.
    arabic = _best_chain(top_arabic)
    roman = _best_chain(top_roman)
    chain, pool = (arabic, found["arabic"])
    letter_children = False
    if len(roman) > len(arabic) and len(roman) >= 3:
        chain, pool, letter_children = roman, [], True
    body_start = chain[0].start if chain else 0
    refs = _first(names, lambda c: is_refs(c) and c.start > body_start)
    if refs is None and not chain:
        refs = _first(names, is_refs)
    refs_at = refs.start if refs else len(doc.lines)
    if chain and chain is arabic:
        chain = _best_chain([c for c in top_arabic if c.start < refs_at])
    elif chain:
        chain = _best_chain([c for c in top_roman if c.start < refs_at])
    numbered = len(chain) >= 3 or (len(chain) == 2 and any(role_for_title(c.title) for c in chain))
    if not numbered:
        chain = []

    accepted: list[_Candidate] = list(chain)
    first_heading = chain[0].start if chain else None

    # Abstract: the first one, before the body.
    abstract = _first(
        names,
        lambda c: (
            c.kind == "abstract"
            and (first_heading is None or c.start < first_heading)
            and doc.lines[c.start].page <= 3
        ),
    )
    if abstract is not None:
        accepted.append(abstract)

    # Unnumbered names. In a numbered paper only front/back matter goes unnumbered
    # (a stray "INTRODUCTION" there is a figure's text); in an unnumbered paper, any.
    seen: set[str] = set()
    body_from = abstract.start if abstract else -1
    for cand in names:
        key = cand.title.lower()
        if cand.kind == "abstract" or key in seen or cand.start <= body_from:
            continue
        if numbered:
            if not (
                _OTHER_NAMES.match(cand.title) or is_refs(cand) or key in ("appendix", "appendices")
            ):
                continue
            if first_heading is not None and cand.start < first_heading:
                continue
            if cand.start > refs_at and not (
                key in ("appendix", "appendices") or _OTHER_NAMES.match(cand.title)
            ):
                continue
        elif (
            refs is not None
            and cand.start > refs_at
            and not (key in ("appendix", "appendices") or _OTHER_NAMES.match(cand.title))
        ):
            continue
        seen.add(key)
        accepted.append(cand)

    # Appendix after the references (or after an "Appendix" heading): letters A, B, C.
    appendix_heading = _first(
        names,
        lambda c: any(c is a for a in accepted) and c.title.lower() in ("appendix", "appendices"),
    )
    zone = refs_at
    if appendix_heading is not None and appendix_heading.start < zone:
        zone = appendix_heading.start
    if zone < len(doc.lines):
        letters = [
            c
            for c in found["letter"] + [n for n in names if n.kind == "appendix"]
            if c.start > zone and len(c.number) == 1
        ]
        letters.sort(key=lambda c: c.start)
        appendix_chain = _best_chain(letters)
        for i, cand in enumerate(appendix_chain):
            stop = appendix_chain[i + 1].start if i + 1 < len(appendix_chain) else len(doc.lines)
            _children(cand, found["letter"], stop, 2, 3)
        accepted.extend(appendix_chain)

    # Numbered subsections under each top-level section.
    chain_sorted = sorted(chain, key=lambda c: c.start)
    for i, cand in enumerate(chain_sorted):
        stop = chain_sorted[i + 1].start if i + 1 < len(chain_sorted) else refs_at
        if letter_children:
            inside = [c for c in _within(found["letter"], cand.end, stop) if len(c.number) == 1]
            cand.children = _best_chain(inside)
            for child in cand.children:
                child.level = 2
        else:
            _children(cand, pool, stop, 2, 3)

    # An unnumbered paper: short standalone lines between paragraphs, inside the body.
    if not numbered:
        starts = [c.start for c in accepted if c.kind != "abstract"]
        begin = min(starts) if starts else (abstract.end if abstract else 0)
        taken = {c.start for c in accepted}
        for cand in found["plain"]:
            if begin < cand.start < refs_at and cand.start not in taken:
                accepted.append(cand)

    accepted.sort(key=lambda c: c.start)
    return accepted


def _text_between(doc: _Document, start: int, stop: int) -> str:
    parts: list[str] = []
    page = None
    for line in doc.lines[start:stop]:
        if page is not None and line.page != page:
            parts.append("")  # a blank line where the page turns
        parts.append(line.text)
        page = line.page
    return "\n".join(parts).strip()


def find_sections(pages: list[str]) -> list[Section]:
    """Sections of a paper from the cleaned text of its pages (1-based page numbers).

    Text before the first heading (title, authors, and the abstract when it has no heading)
    becomes a section with an empty heading. A text with no recognisable headings gives one
    "other" section per page, so callers always get the whole text.
    """
    doc = _Document(pages)
    if not doc.lines:
        return []
    try:
        top = _structure(doc)
    except RecursionError:  # pragma: no cover - depth is bounded; belt and braces
        top = []
    if not top:
        return [
            Section(heading=f"Page {number}", role="other", page=number, text=text.strip())
            for number, text in enumerate(pages, start=1)
            if text and text.strip()
        ]
    _assign_roles(top, _is_survey(doc))
    everything = sorted((c for c in _flatten(top) if c.role is not None), key=lambda c: c.start)
    sections: list[Section] = []
    first = everything[0].start
    has_abstract = any(c.role == "abstract" for c in everything)
    if first > 0:
        preamble = _text_between(doc, 0, first)
        role = "abstract" if not has_abstract and len(preamble) >= 400 else "other"
        sections.append(Section(heading="", role=role, page=doc.lines[0].page, text=preamble))
    for i, cand in enumerate(everything):
        stop = everything[i + 1].start if i + 1 < len(everything) else len(doc.lines)
        body = _text_between(doc, cand.end + 1, stop)
        if cand.inline_text:
            body = f"{cand.inline_text}\n{body}".strip()
        sections.append(
            Section(
                heading=cand.heading,
                role=cand.role or "other",
                page=doc.lines[cand.start].page,
                text=body,
                level=cand.level,
            )
        )
    return sections
