r"""Title and author names, read off page 1 (its font sizes when known) and the PDF's metadata.

Pure functions: ``title_and_authors`` takes what the extractor returned (``PdfText``) and the
cleaned text of page 1. Python's ``re`` has no linear-time guarantee, and patterns such as
``\S+@\S+`` are quadratic on one long run of non-space characters (a base64 blob on page 1),
so every line and metadata string is bounded first (``_bounded``): tokens and lines longer
than any real title, name or e-mail address are cut. Nothing a real paper prints is changed.
"""

from __future__ import annotations

import re
import unicodedata

from .cleanup import strip_line_numbers
from .record import PdfText

__all__ = ["title_and_authors"]

MAX_TOKEN_CHARS = 200  # longer than any name, e-mail address or word of a title
MAX_LINE_CHARS = 500  # longer than any line of a title or an author block

_JUNK_TITLE = re.compile(
    r"^(?:untitled|title|paper|document|manuscript|preprint|article|main|draft|layout\s*\d*|"
    r"microsoft (?:word|powerpoint) - .*|.*\.(?:docx?|pdf|tex|dvi|rtf|odt|indd|ps|txt)|"
    r"(?:doi:?\s*)?10\.\d{4,9}/\S+|arxiv:\S+|[\w\-.]+_[\w\-.]+|\S+[\\/]\S+|"
    r"(?:instructions|formatting instructions|author guidelines|paper title)\b.*)$",
    re.I,
)
_JUNK_AUTHOR = re.compile(
    r"^(?:|author|authors|user|admin|administrator|owner|unknown|anonymous|"
    r"anonymous authors?|.*@.*|\W+)$",
    re.I,
)
_SKIP_LINE = re.compile(
    r"(?:^proceedings of|^in proceedings|^published (?:as|in|at)|^accepted (?:at|to|for|as)|"
    r"^to appear|^under review|^preprint|^a preprint$|^arxiv:|^journal of|^vol(?:ume)?\.?\s*\d|"
    r"©|\(c\)\s*\d{4}|\bcopyright\b|\blicen[cs]e\b|^doi\b|^https?://|^www\.|"
    r"conference on|workshop on|^\d+(?:st|nd|rd|th) (?:annual|international|conference)|"
    r"^(?:january|february|march|april|may|june|july|august|september|october|november|"
    r"december)\b.*\d{4}|^\d{1,2} (?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)\w* \d{4}|"
    r"^page \d+|^\d+$|^research article$|^original article$|^review article$|^article$|"
    r"^letter$|^perspective$|^communication$|^open access$|^technical report$|"
    r"^running (?:title|head)\b|^key words\b)",
    re.I,
)
_STOP_LINE = re.compile(
    r"^(?:abstract|a b s t r a c t|summary|keywords?|index terms|introduction|"
    r"1\.?\s+introduction|i\.\s+introduction|contents|table of contents)(?:\s*[:.—–-]|\s*$)",
    re.I,
)
_EMAIL = re.compile(r"\S+@\S+|\{[^}]*\}\s*@\S*")
_URL = re.compile(r"https?://\S+|www\.\S+")
_AFFILIATION = re.compile(
    r"\b(?:universit\w*|univ\.|institut\w*|college|school|department|dept\.?|faculty|"
    r"laborator\w*|lab|labs|centre|center|research|sciences|inc\.?|ltd\.?|llc|corp\w*|company|gmbh|"
    r"hospital|academy|foundation|google|microsoft|meta|deepmind|openai|ibm|amazon|"
    r"nvidia|bytedance|alibaba|tencent|baidu|huawei|allen|ai2|usa|u\.s\.a|uk|china|germany|"
    r"france|canada|japan|korea|india|italy|spain|switzerland|netherlands|australia|"
    r"singapore|israel|street|avenue|road|campus|cedex|equal contribution|corresponding)\b",
    re.I,
)
_NAME_PARTICLES = {
    "van", "von", "der", "den", "de", "da", "del", "della", "di", "du", "la", "le", "bin",
    "al", "el", "dos", "das", "ter", "zu", "y", "st.",
}  # fmt: skip
_MARKERS = re.compile(r"[^\w\s.'’\-,&]|[\d_]|[\u0370-\u03ff]")


def _collapse(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).split())


def _norm_key(text: str) -> str:
    return re.sub(r"[\W_]+", " ", _collapse(text).casefold()).strip()


def _title_ok(title: str, page_text: str) -> bool:
    title = _collapse(title)
    if len(title) < 6 or len(re.findall(r"[^\W\d_]{2,}", title)) < 2:
        return False
    if _JUNK_TITLE.match(title):
        return False
    if not page_text.strip():
        return True
    # When the first page has text, the title should be on it (most of its words, anyway).
    page_words = set(_norm_key(page_text[:6000]).split())
    words = _norm_key(title).split()
    return sum(word in page_words for word in words) >= 0.7 * len(words)


def _proper_case(name: str) -> str:
    """'TAL AUGUST' -> 'Tal August'; names already in mixed case are left alone."""
    if not name.isupper():
        return name
    return re.sub(r"[^\W\d_]+", lambda m: m.group(0).capitalize(), name.lower())


def _clean_name(name: str) -> str:
    name = _MARKERS.sub(" ", name)
    name = re.sub(r"\s+", " ", name).strip(" ,.-&'’")
    return _proper_case(name)


def _name_ok(name: str) -> bool:
    tokens = name.split()
    if not 1 <= len(tokens) <= 6 or len(name) > 60:
        return False
    if _AFFILIATION.search(name):
        return False
    capitalised = 0
    for token in tokens:
        if token.lower() in _NAME_PARTICLES:
            continue
        if not token[0].isupper():
            return False
        capitalised += 1
    # Initials alone ("J. K.", "JK") are not a name: one token must be a written-out word.
    return capitalised >= 1 and any(
        len(t.strip(".-")) > 1 and any(ch.islower() for ch in t) for t in tokens
    )


def _split_meta_authors(author: str) -> list[str]:
    """'Lo, Kyle and Wang, Lucy' (BibTeX), 'Kyle Lo ; Lucy Wang', 'Kyle Lo, Lucy Wang'."""
    author = _collapse(author)
    if not author:
        return []
    if ";" in author:
        parts = author.split(";")
    elif re.search(r"\band\b", author) and "," in author and " and " in author:
        parts = re.split(r"\s+and\s+", author)
        if all(part.count(",") == 1 for part in parts):  # BibTeX "Last, First and Last, First"
            parts = [" ".join(reversed([p.strip() for p in part.split(",")])) for part in parts]
        else:
            parts = re.split(r",|\band\b", author)
    else:
        parts = re.split(r",|\s+and\s+|&", author)
    names = [_clean_name(part) for part in parts]
    return [name for name in names if name and _name_ok(name)]


def _meta_authors_ok(names: list[str], page_text: str) -> bool:
    if not names or any(_JUNK_AUTHOR.match(name) for name in names):
        return False
    if not page_text.strip():
        return True
    return _surname(names[0]) in _compact(page_text[:6000])


def _is_people(text: str) -> bool:
    """Author or affiliation text: e-mails, institutions, footnote marks, "He1 Huang1"."""
    return bool(
        _EMAIL.search(text)
        or _AFFILIATION.search(text)
        or re.search(r"[∗*†‡§¶♠♢♡♣♦□⋄]", text)
        or len(re.findall(r"[a-z][\d\u0370-\u03ff]\b", text)) >= 2  # "He1 Huang1", "Loα"
    )


def _starts_author_block(line: str) -> bool:
    """A line of names with marks ("Natsuko Izumi1,†, Keisuke Shoji1,2,3,†"), not prose."""
    words = [w for w in line.split() if any(ch.isalpha() for ch in w)]
    capitalised = sum(w[0].isupper() for w in words)
    return bool(words) and capitalised >= 0.6 * len(words) and _looks_like_author_line(line)


def _title_block(lines: list[tuple[float, str]]) -> tuple[int, int] | None:
    """(start, end) of the title among sized first-page lines.

    The title is the largest-font run of lines above the author block (a logo set in huge
    type further down, as on PaSa's first page, does not count); a run of at least three
    words wins over a bigger one- or two-word banner unless that is much bigger.
    """
    top: list[tuple[float, str]] = []
    for size, line in lines[:60]:
        if _STOP_LINE.match(line) and top:
            break
        top.append((size, line))
    runs: list[tuple[int, int, float]] = []
    i = 0
    while i < len(top):
        size = top[i][0]
        j = i + 1
        # A run of one size is the title, unless the author line is set in that size too.
        while (
            j < len(top)
            and abs(top[j][0] - size) < 0.6
            and j - i < 4
            and (
                _is_people(top[i][1])
                or _ENDS_WITH_CONNECTIVE.search(top[j - 1][1])
                or not _starts_author_block(top[j][1])
            )
        ):
            j += 1
        runs.append((i, j, size))
        i = j
    eligible: list[tuple[int, int, float, int]] = []
    for start, end, size in runs:
        text = " ".join(line for _, line in top[start:end])
        people = _is_people(text)
        if people and eligible:
            break  # the author block has begun
        if size <= 0 or people or _SKIP_LINE.search(top[start][1]) or len(text) < 4:
            continue
        eligible.append((start, end, size, len(re.findall(r"[^\W\d_]{2,}", text))))
    if not eligible:
        return None
    biggest = max(size for _, _, size, _ in eligible)
    wordy = [run for run in eligible if run[3] >= 3 and run[2] >= 0.7 * biggest]
    pool = wordy or eligible
    start, end, size, _ = max(pool, key=lambda run: (run[2], -run[0]))
    # Drop trailing lines of the run that are plainly not title (a date, a venue line).
    while end - start > 1 and _SKIP_LINE.search(top[end - 1][1]):
        end -= 1
    return start, end


_AUTHOR_MARK = re.compile(r"[∗*†‡§¶♠♢♡♣♦□⋄]|[a-z]\d\b|[a-z][\u0370-\u03ff]")


def _looks_like_author_line(line: str) -> bool:
    if _EMAIL.search(line) or _SKIP_LINE.search(line):
        return False
    if _AUTHOR_MARK.search(line):
        return True
    stripped = _MARKERS.sub(" ", line)
    names = [n.strip() for n in re.split(r",|\band\b|&", stripped) if n.strip()]
    return len(names) >= 2 and all(_name_ok(_clean_name(n)) for n in names)


_ENDS_WITH_CONNECTIVE = re.compile(
    r"(?:\b(?:of|for|and|with|in|on|the|a|an|to|from|via|by|at|towards?|using|versus|vs\.?)"
    r"|[:,\-–—])$"
)
_FUNCTION_WORD = re.compile(
    r"\s(?:of|for|with|in|on|the|a|an|to|from|via|by|at|towards?|using|through|into)\s"
)


def _text_title(lines: list[str]) -> tuple[int, int] | None:
    """Without font sizes: the first real line, plus up to two more that are not authors."""
    start = None
    for i, line in enumerate(lines[:30]):
        if _STOP_LINE.match(line):
            return None
        if _SKIP_LINE.search(line) or len(re.findall(r"[^\W\d_]{2,}", line)) < 2:
            continue
        start = i
        break
    if start is None:
        return None
    end = start + 1
    while end < len(lines) and end - start < 3:
        line = lines[end]
        if (
            _STOP_LINE.match(line)
            or _AFFILIATION.search(line)
            or _EMAIL.search(line)
            or _SKIP_LINE.search(line)
            or _AUTHOR_MARK.search(line)
        ):
            break
        previous = lines[end - 1]
        if not _ENDS_WITH_CONNECTIVE.search(previous) and _looks_like_author_line(line):
            break
        # A title continues after a line ending in a connective or a colon, when both lines
        # are set in capitals, or when the new line has lowercase function words (names do
        # not); otherwise a new line is more likely the author list.
        if not (
            _ENDS_WITH_CONNECTIVE.search(previous)
            or (previous.isupper() and line.isupper())
            or _FUNCTION_WORD.search(line)
        ):
            break
        end += 1
    return start, end


_LETTER_MARK = re.compile(r"(?<=[a-z]),([a-z])(?=[,\s]|$)")


def _without_letter_marks(line: str) -> str:
    """PNAS marks affiliations with letters run into the names: "Yamin Gonga,b,1, Zhifeng
    Wanga,1". Where a lone letter follows a comma, letters mark affiliations, so each name's
    last letter before a comma or a number (a to h, or higher if seen) is its mark."""
    seen = _LETTER_MARK.findall(line)
    if not seen:
        return line
    highest = max(*seen, "h")  # a name's own letter may be one no lone letter shows
    return re.sub(
        rf"(?<=[A-Z][a-z])([a-z]*?)[a-{highest}](?=\s*(?:,|\d|$))",
        r"\1",
        line,
    )


def _names_from_lines(lines: list[str]) -> list[str]:
    """Split author lines into names, dropping markers, emails, affiliations."""
    names: list[str] = []
    dangling = ""
    for raw in lines:
        line = _without_letter_marks(_URL.sub(" ", _EMAIL.sub(" ", raw)))
        if not line.strip():
            continue
        if _AFFILIATION.search(line):
            # "TAL AUGUST, University of Washington, USA": a name before the affiliation.
            head = line.split(",")[0]
            if (
                "," in line
                and len(head.split()) >= 2
                and not _AFFILIATION.search(head)
                and _name_ok(_clean_name(head))
            ):
                names.append(_clean_name(head))
            continue
        pieces = re.split(
            r"\s*(?:,|;|\band\b|&|[∗*†‡§¶♠♢♡♣♦□⋄]|(?<=[a-z])[\d\u0370-\u03ff]+)\s*", line
        )
        pieces = [piece for piece in pieces if piece and piece.strip(" .")]
        for index, piece in enumerate(pieces):
            name = _clean_name(piece)
            if not name:
                continue
            if dangling and index == 0:
                name = f"{dangling} {name}"
                dangling = ""
            tokens = name.split()
            if len(tokens) == 1 and index == len(pieces) - 1 and len(name) > 1:
                dangling = name  # "Andrew" at a line end, "D. White" on the next line
                continue
            if len(tokens) > 4 and not any(t.endswith(".") for t in tokens):
                # "Zejiang Shen Kyle Lo": names without separators; pair the words up.
                for k in range(0, len(tokens) - 1, 2):
                    pair = " ".join(tokens[k : k + 2])
                    if _name_ok(pair):
                        names.append(pair)
                continue
            if _name_ok(name):
                names.append(name)
    seen: dict[str, None] = {}
    for name in names:
        seen.setdefault(name, None)
    return list(seen)


def _author_lines(lines: list[str], after: int, sizes: list[float] | None) -> list[str]:
    """The lines between the title and the abstract that can hold author names.

    With font sizes, the names are the lines set in the size of the first line that holds
    a name (affiliations and emails around them are usually smaller).
    """
    picked: list[str] = []
    name_size: float | None = None
    for index in range(after, min(len(lines), after + 40)):
        line = lines[index]
        if _STOP_LINE.match(line):
            break
        if _SKIP_LINE.search(line):
            continue
        words = line.split()
        # A long line of lowercase words is body text: the author block is over.
        if len(words) > 12 and sum(w[:1].islower() for w in words) > len(words) / 3:
            break
        if sizes is not None:
            size = sizes[index]
            if name_size is None:
                if not _names_from_lines([line]):
                    continue
                name_size = size
            elif abs(size - name_size) > 0.6:
                continue
        picked.append(line)
    return picked


def _bounded(text: str, max_chars: int = MAX_LINE_CHARS) -> str:
    """``text`` on one line, with over-long tokens and the line itself cut: linear-time input
    for the patterns below (a run of 150,000 non-space characters becomes 200)."""
    text = _collapse(text)
    if len(text) > MAX_TOKEN_CHARS:
        text = " ".join(token[:MAX_TOKEN_CHARS] for token in text.split(" "))
    return text[:max_chars].strip()


def title_and_authors(info: PdfText | None, first_page_text: str) -> tuple[str, list[str]]:
    """The paper's title and author names, best effort ("" and [] when nothing fits).

    ``info`` is what the extractor returned (metadata and page 1's font sizes), or None;
    ``first_page_text`` is page 1 after clean-up.
    The PDF's /Title and /Author win when they look real and agree with the first page;
    otherwise the title is the largest-font block at the top of page 1 (or, without font
    sizes, the first line that is not a venue, date or licence line), and the authors are
    the name-like lines that follow it.
    """
    page_text = unicodedata.normalize("NFKC", first_page_text or "")
    lines = [_bounded(line) for line in page_text.split("\n")]
    lines = [line for line in lines if line]

    sized: list[tuple[float, str]] = []
    if info is not None and info.title_lines:
        sized = [(size, _bounded(line)) for size, line in info.title_lines if line.strip()]
        # A line-numbered manuscript: "... transition in 6" / "the moss Physcomitrium patens 7"
        texts = strip_line_numbers([line for _, line in sized])
        sized = [(size if t else 0.0, t) for (size, _), t in zip(sized, texts, strict=True)]

    title = ""
    author_lines: list[str] = []
    if sized:
        block = _title_block(sized)
        if block:
            start, end = block
            title = " ".join(line for _, line in sized[start:end])
            author_lines = _author_lines(
                [line for _, line in sized], end, [size for size, _ in sized]
            )
    if not title:
        block = _text_title(lines)
        if block:
            start, end = block
            title = " ".join(lines[start:end])
            author_lines = _author_lines(lines, end, None)
    title = _collapse(title)

    meta_title = _bounded(info.meta_title) if info else ""
    if meta_title and _title_ok(meta_title, page_text) and not _cut_short(meta_title, title):
        if _compact(meta_title) != _compact(title):
            # The largest type was not the title (PNAS sets a "Significance" box first): the
            # names follow the title where it is printed.
            sized_texts = [line for _, line in sized]
            end = _end_of(meta_title, sized_texts)
            if end is not None:
                author_lines = _author_lines(sized_texts, end, [size for size, _ in sized])
            elif (end := _end_of(meta_title, lines)) is not None:
                author_lines = _author_lines(lines, end, None)
        title = meta_title

    authors = _names_from_lines(author_lines)
    # An author list can be long (hundreds of names): only its tokens are bounded.
    meta_names = _split_meta_authors(_bounded(info.meta_author, 1_000_000)) if info else []
    meta_names = _in_printed_order(meta_names, page_text)
    if _meta_authors_ok(meta_names, page_text) and not _printed_names_are_fuller(
        authors, meta_names
    ):
        authors = meta_names
    return title, authors


def _compact(text: str) -> str:
    """Letters and digits only: pypdf may split words ("Da vid Mas-Pont e") or join them."""
    return re.sub(r"[\W_]+", "", _collapse(text).casefold())


def _cut_short(meta_title: str, printed: str) -> bool:
    """Metadata holding only the start of the printed title ("A loss-of-function mutation in")."""
    meta, full = _compact(meta_title), _compact(printed)
    return len(full) > len(meta) + 3 and full.startswith(meta)


def _end_of(title: str, lines: list[str]) -> int | None:
    """The index after the last line of ``title`` printed over up to four lines of ``lines``."""
    target = _compact(title)
    for start in range(min(len(lines), 80)):
        joined = ""
        for end in range(start, min(start + 4, len(lines))):
            joined += _compact(lines[end])
            if not joined or not target.startswith(joined):
                break
            if joined == target:
                return end + 1
    return None


def _surname(name: str) -> str:
    return _compact(name.split()[-1]) if name.split() else ""


def _in_printed_order(names: list[str], page_text: str) -> list[str]:
    """Metadata names as the page prints them: "Mas-Ponte David" -> "David Mas-Ponte" when
    only the reversed form is on the page."""
    if not names or not page_text:
        return names
    page = _compact(page_text[:6000])
    first = names[0].split()
    if len(first) == 2 and _compact(names[0]) not in page:
        flipped = f"{first[1]} {first[0]}"
        if _compact(flipped) in page:
            return [" ".join(reversed(n.split())) if len(n.split()) == 2 else n for n in names]
    return names


def _printed_names_are_fuller(printed: list[str], meta: list[str]) -> bool:
    """The names under the title beat the metadata when the metadata's first name is someone
    the page lists later (an uploader's name) or a shorter form of the same person ("Greg
    Matera" for "A. Gregory Matera")."""
    if not printed or not meta:
        return False
    if _surname(meta[0]) in {_surname(name) for name in printed[1:]}:
        return _surname(meta[0]) != _surname(printed[0])
    return _surname(meta[0]) == _surname(printed[0]) and len(printed[0]) > len(meta[0])
