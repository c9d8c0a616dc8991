"""The offline engine: fills the four stages with the paper's own sentences, no model at all.

Why our own code and not a summarisation library: the ones that work offline in Python
(sumy, TextRank ports) need NLTK's punkt data downloaded at run time, and none knows what
a paper's parts are for. What we need is small: split the cleaned page text into sentences
(keeping each sentence's page, so every quote is checkable), label each with the role of the
section it stands in, and pick sentences per part with a cue-word score. Everything here is
deterministic: same paper, same answer.

Every quoted sentence is an exact substring of its page's cleaned text with whitespace
collapsed (``" ".join(page.text.split())``); that invariant is what the tests check.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from ..config import Settings
from ..errors import BackendError
from ..i18n import Language, get_language, page_ref
from ..paper import Paper
from ..sections import role_for_title
from ..text import CAPTION_LINE_RE, HAN_RE
from ..text import one_line as normalize_space
from .base import EngineInfo, Piece, StageRequest, register

MIN_CHARS, MAX_CHARS, MIN_CJK_CHARS = 40, 400, 15

# Our own few sentences (the labels around quotes come from i18n).
_PHRASES = {
    "en": {
        "no_method": "The paper has no method section (as in a survey or a perspective); "
        "its main sections are:",
        "no_headings": "No section headings were found in the paper; these sentences describe "
        "what it does:",
        "no_method_sentences": "The paper has no method section; these sentences describe "
        "what it does:",
        "step": "Step {n}",
    },
    "zh": {
        "no_method": "论文没有方法章节（如综述或观点类文章）；其主要章节如下：",
        "no_headings": "论文中未识别出章节标题；以下原句描述了论文所做的工作：",
        "no_method_sentences": "论文没有方法章节；以下原句描述了论文所做的工作：",
        "step": "步骤{n}",
    },
}


def resolve_language(value: str | Language | None) -> Language:
    """Our labels for a language given as a code, a name ("Simplified Chinese") or a Language.

    get_language() knows codes and aliases; the request carries the language's *name*.
    """
    return value if isinstance(value, Language) else get_language(value)


def _phrase(lang: Language, key: str) -> str:
    return _PHRASES.get(lang.code, _PHRASES["en"])[key]


# =========================================================================================
# Sentences
# =========================================================================================
@dataclass(frozen=True)
class Sentence:
    text: str  # exact substring of the page's whitespace-collapsed text
    page: int  # 1-based
    role: str  # a Section role, or "front" (before the first heading)
    section: int  # index into paper.sections; -1 before the first heading or when none known
    heading: str  # the heading it stands under ("" before the first one)
    order: int  # position in the paper


def _word_set(words: str) -> frozenset[str]:
    return frozenset(words.split())


_ABBREVIATIONS = _word_set(
    "al e.g i.e eg ie fig figs eq eqs sec secs tab tabs ref refs vs cf etc approx resp no nos "
    "vol pp ch chap dr mr mrs ms prof inc ltd jr sr st viz ca ed eds incl avg std thm lem def "
    "prop alg app appx equ ex est mt sect cor conf proc approx fn"
)
# End of a sentence: terminal punctuation, closing quotes/brackets, space, an optional
# superscript citation ("1-3", "11,12") and then a letter or an opening quote/bracket. A
# lowercase letter after a full stop is a boundary too (text lost in extraction, e.g. a drop
# cap): the fragment after it is then not quotable, rather than glued to a good sentence.
_BOUNDARY = re.compile(
    r"[.!?][\"'”’)\]]*\s+(?:\d{1,3}(?:\s?[,–-]\s?\d{1,3})*\s+)?"
    r"(?=[A-Za-z\"“‘(\[]|\d+(?:[.,]\d+)?\s?%)"
    # a run-in heading without a full stop: "Improving comprehension While our results..."
    r"|(?<=[a-z] )(?=(?:We|Our|While|However|Here we|In this) [a-z])"
    r"|[。！？][”’」』]?\s*"
)
_WORD_BEFORE = re.compile(r"([A-Za-z][A-Za-z.]*)\.$")


def split_sentences(block: str) -> list[tuple[int, int]]:
    """(start, end) spans of the sentences in ``block``; each ends with its punctuation.

    Knows "et al.", "e.g.", "Fig. 3", "i.e.", initials ("J. Smith"), decimals and
    superscript citation numbers after a full stop ("... relationships. 1-3 Applications").
    """
    spans = []
    start = 0
    for match in _BOUNDARY.finditer(block):
        punct = match.start()
        if match.end() == punct:  # the run-in heading case: cut before the capital
            spans.append((start, punct))
            start = punct
            continue
        if block[punct] == ".":
            word = _WORD_BEFORE.search(block[max(0, punct - 40) : punct + 1])
            if word:
                token = word.group(1)
                if (
                    token.lower().rstrip(".") in _ABBREVIATIONS
                    or "." in token.rstrip(".")  # U.S., e.g written with inner dots
                    or (len(token) == 1 and token.isupper())  # an initial
                ):
                    continue
        end = punct + 1
        while end < len(block) and block[end] in "\"'”’)]」』":
            end += 1
        spans.append((start, end))
        start = match.end()
    if start < len(block):
        spans.append((start, len(block)))
    return spans


_CAPTION = CAPTION_LINE_RE
# A caption's first line: "Figure 1:", "Fig. 2.", "Table 3 |". No sentence runs into it, though
# a chart's labels above it (lines without a full stop) would otherwise be glued to its front.
_CAPTION_OPENING = re.compile(r"^(?:Figure|Fig\.?|Table|Tab\.)\s?\d{1,3}\s?[:.|]\s", re.I)
_URL_OR_EMAIL = re.compile(r"https?://|www\.|\b[\w.+-]+@[\w-]+\.[\w.]+")
_JUNK = re.compile(
    r"[\ufffd\ue000-\uf8ff]"  # unmapped glyphs, private-use characters
    r"|(?:\b\w ){5,}"  # s p a c e d   o u t letters
    r"|\S{45,}"  # words glued together
    r"|\)[A-Za-z]"  # "(270 words)Summary": text from inside a figure
)
# references and program code
_JUNK_TEXT = ("(cid:", "arXiv:", "doi:", "In Proceedings", "preprint", "pp. ", " () ", " . ")
_CODE_IMPORT = re.compile(r"\bfrom \w+ import\b")
_BROKEN_HYPHEN = re.compile(r"\b[a-z]{2,}- (?!and\b|or\b|to\b)[a-z]{2,}")
_MARKDOWN = re.compile(r"[*_`<>|\\]|\$\$")
_WORDY = re.compile(r"(?<!\S)[A-Za-z][a-z'’-]*[a-z][,.;:!?)\"”’]*(?!\S)")
_YEAR = re.compile(r"\b(?:19|20)\d{2}[a-z]?\b")
_PERCENT_START = re.compile(r"\d+(?:[.,]\d+)?\s?%")
_SECTION_GLUE = re.compile(r"^\d+(?:\.\d+)*\.?\s+[A-Z]")
_LEADING_JUNK = re.compile(
    r"^(?:(?:Abstract|ABSTRACT|Summary|SUMMARY)\s*[—–:.-]?\s+"
    r"|[•◦▪●‣∙·–-]\s*|\((?:\d{1,2}|[ivx]{1,4}|[a-h])\)\s+|(?:\d{1,2}|[ivx]{1,4})[.)]\s+)"
)


def trim_sentence(text: str) -> int:
    """How many leading characters to drop: a glued "Abstract" label, a bullet, "(1)"."""
    dropped = 0
    while True:
        match = _LEADING_JUNK.match(text[dropped:])
        if not match or not match.group(0):
            return dropped
        dropped += match.end()


def is_quotable(text: str) -> bool:
    """A whole, readable prose sentence (not a caption, equation, reference or fragment)."""
    cjk = len(HAN_RE.findall(text))
    if len(text) > MAX_CHARS or len(text) < (MIN_CJK_CHARS if cjk > 5 else MIN_CHARS):
        return False
    if not cjk:
        if not (text[0].isupper() or text[0] in '"“‘(' or _PERCENT_START.match(text)):
            return False  # a fragment continued from the previous page or line
        if text[-1] not in ".!?\"'”’)]":
            return False
        if _SECTION_GLUE.match(text):
            return False  # a section number glued to the sentence
    if _CAPTION.match(text) or any(junk in text for junk in _JUNK_TEXT) or text.endswith(" ."):
        return False
    if _URL_OR_EMAIL.search(text) or _JUNK.search(text) or _CODE_IMPORT.search(text):
        return False
    if _BROKEN_HYPHEN.search(text) or _MARKDOWN.search(text):
        return False
    tokens = text.split()
    if not cjk:
        wordy = len(_WORDY.findall(text))
        if wordy < 0.6 * len(tokens):
            return False  # numbers, symbols, table cells, equations
        if len(_YEAR.findall(text)) >= 4:
            return False  # a run of citations, or a reference-list entry
    letters = sum(map(str.isalpha, text))
    return letters >= 0.65 * len(text.replace(" ", ""))


_HEADING_WORDS = re.compile(
    r"^(?:[A-Z]|\d+(?:\.\d+)*|[IVX]+)?\.?\s*(?:Abstract|Introduction|Related Work|Background|"
    r"Methods?|Methodology|Approach|Experiments?|Evaluation|Results|Discussion|Conclusions?|"
    r"Conclusion and Outlook|Limitations|Future Work|References|Bibliography|"
    r"Acknowledge?ments?|Appendix|Appendices|Keywords|Index Terms|CCS Concepts)\s*[:.]?$",
    re.IGNORECASE,
)
_NUMBERED_HEADING = re.compile(r"^(?:\d+(?:\.\d+)*|[IVX]+)\.?\s+[A-Z][^.!?]{0,80}$")
_FOOTNOTE_LINE = re.compile(r"^\d{1,2}(?:https?://|www\.|[A-Z][a-z])")


def _is_break_line(line: str) -> bool:
    """Lines that no prose sentence runs through: table rows, page numbers, headings..."""
    chars = line.replace(" ", "")
    if not chars:
        return True
    letters = sum(map(str.isalpha, chars))
    if letters < 0.5 * len(chars) and not HAN_RE.search(line):
        return True
    if _HEADING_WORDS.match(line) or _FOOTNOTE_LINE.match(line):
        return True
    words = line.split()
    if _NUMBERED_HEADING.match(line) and len(words) <= 10:
        capitalised = sum(1 for w in words[1:] if w[:1].isupper())
        if len(words) <= 3 or capitalised >= 0.5 * (len(words) - 1):
            return True
    # an all-capitals heading ("1 INTRODUCTION", "CCS CONCEPTS")
    return bool(len(words) <= 8 and not any(c.islower() for c in line) and line[-1:] not in ".!?")


@dataclass(frozen=True)
class _PageText:
    text: str  # whitespace-collapsed: what quotes are cut from
    lines: list[tuple[int, str]]  # (offset in text, collapsed line)


def _page_text(raw: str) -> _PageText:
    text = normalize_space(raw)
    lines, offset = [], 0
    for line in raw.splitlines():
        line = normalize_space(line)
        if not line:
            continue
        at = text.find(line, offset)
        if at >= 0:
            lines.append((at, line))
            offset = at + len(line)
    return _PageText(text, lines)


@dataclass(frozen=True)
class _Anchor:
    page: int
    offset: int  # in the page's collapsed text, where the section's body starts
    heading_start: int
    section: int  # index into paper.sections, -1 for a heading we spotted ourselves
    role: str
    heading: str


def _find_heading(page: _PageText, heading: str, begin: int) -> int:
    """Where ``heading`` starts a line (it may wrap onto the next), else -1."""
    if not heading:
        return -1
    lower, wanted = page.text.lower(), heading.lower()
    for at, _ in page.lines:
        if at >= begin and lower.startswith(wanted, at):
            return at
    if len(heading) >= 20:  # long enough not to be a word of the prose
        return lower.find(wanted, begin)
    return -1


def _locate_sections(paper: Paper, pages: list[_PageText]) -> list[_Anchor]:
    """Where each section's heading stands in the collapsed page texts, in reading order."""
    anchors: list[_Anchor] = []
    last_page, last_offset = 1, 0
    for index, section in enumerate(paper.sections):
        if not pages:
            break
        page = min(max(section.page, last_page), len(pages))
        begin = last_offset if page == last_page else 0
        heading = normalize_space(section.heading)
        found = _find_heading(pages[page - 1], heading, begin)
        if found >= 0:
            start, end = found, found + len(heading)
        else:
            body = normalize_space(section.text)[:60]
            at = pages[page - 1].text.find(body, begin) if body else -1
            start = end = at if at >= 0 else begin
        anchors.append(_Anchor(page, end, start, index, section.role, heading))
        last_page, last_offset = page, end
    return anchors


_HEADING_NUMBER = re.compile(r"^(?:\d+(?:\.\d+)*|[IVX]+|[A-Z])(?=[.\s])\.?\s*")


def _spot_headings(pages: list[_PageText]) -> list[_Anchor]:
    """Canonical heading lines ("Abstract", "1 Introduction", "References"), when the paper
    came without sections: enough to tell the abstract, the conclusion and the references."""
    anchors = []
    for number, page in enumerate(pages, start=1):
        for at, line in page.lines:
            if not _HEADING_WORDS.match(line) or line.lower().startswith(("keywords", "index")):
                continue
            role = role_for_title(_HEADING_NUMBER.sub("", line)) or "other"  # as sections.py
            anchors.append(_Anchor(number, at + len(line), at, -1, role, line))
    return anchors


def paper_sentences(paper: Paper) -> list[Sentence]:
    """Every quotable sentence of the paper, with its page, role and section."""
    pages = [_page_text(p.text) for p in paper.pages]
    anchors = _locate_sections(paper, pages) if paper.sections else _spot_headings(pages)
    title = normalize_space(paper.meta.title).lower()
    title = title if len(title) >= 20 else ""
    sentences: list[Sentence] = []
    current: _Anchor | None = None
    upcoming = iter(anchors)
    following = next(upcoming, None)
    for number, page in enumerate(pages, start=1):
        text = page.text
        # Cuts: spans no sentence may cross (break lines, section headings).
        cuts = [(a.heading_start, a.offset) for a in anchors if a.page == number]
        cuts += [(at, at + len(line)) for at, line in page.lines if _is_break_line(line)]
        cuts += [(at, at) for at, line in page.lines if _CAPTION_OPENING.match(line)]
        cuts.sort()
        blocks, position = [], 0
        for cut_start, cut_end in cuts:
            if cut_start > position:
                blocks.append((position, cut_start))
            position = max(position, cut_end)
        if position < len(text):
            blocks.append((position, len(text)))
        for block_start, block_end in blocks:
            block = text[block_start:block_end]
            for start, end in split_sentences(block):
                piece = block[start:end].strip()
                piece = piece[trim_sentence(piece) :]
                if title and piece.lower().startswith(title):  # a running header
                    piece = piece[len(title) :].lstrip()
                if not piece or not is_quotable(piece) or (title and title in piece.lower()):
                    continue
                absolute = block_start + block.find(piece, start)
                while following and (following.page, following.offset) <= (number, absolute):
                    current, following = following, next(upcoming, None)
                role = current.role if current else "front"
                if role == "references":
                    continue  # never quoted
                sentences.append(
                    Sentence(
                        text=piece,
                        page=number,
                        role=role,
                        section=current.section if current else -1,
                        heading=current.heading if current else "",
                        order=len(sentences),
                    )
                )
    return sentences


# =========================================================================================
# Scoring: one cue table per part
# =========================================================================================
Cues = list[tuple[re.Pattern[str], float]]


def _cues(*pairs: tuple[str, float]) -> Cues:
    return [(re.compile(pattern, re.IGNORECASE), weight) for pattern, weight in pairs]


_NUMBER = r"\d+(?:\.\d+)?\s?%|\b\d+(?:\.\d+)?\s?(?:x|×|times|points?|pp)\b|\b\d+(?:\.\d+)?[kKM]\b"
_CITATIONS = re.compile(r"et al\.|\[\d+(?:[,–-]\s?\d+)*\]|\b(?:19|20)\d{2}[a-z]?\)")

_THIS_PAPER = (
    r"\b(?:this|the present|our)(?: \w+)? (?:paper|work|study|article|review|perspective|survey)\b"
)
SUMMARY_CUES = _cues(
    (_THIS_PAPER, 3),
    (
        r"\bwe (?:propose|present|introduce|develop|describe|design|build|release|review|study|"
        r"argue|advocate|outline)",
        3,
    ),
    (r"\b(?:novel|new)\b", 1),
    (r"\bhere,? we\b", 2),
)
TAKEAWAY_CUES = _cues(
    (r"\bour (?:main )?contributions?\b", 3),
    (r"\bwe (?:show|find|found|demonstrate|observe|release|introduce|propose|present)\b", 2),
    (
        r"\b(?:results?|experiments?|evaluations?|analys[ie]s|stud(?:y|ies)) (?:show|indicate|"
        r"suggest|reveal|demonstrate)",
        2,
    ),
    (r"\b(?:outperform\w*|surpass\w*|improv\w*|achiev\w*|state[- ]of[- ]the[- ]art)", 2),
    (_NUMBER, 2),
    (r"\b(?:first|novel|publicly available|open[- ]source)\b", 1),
    (r"\b(?:[Ff]inally|[Ff]urthermore|[Mm]oreover|[Ww]e also)\b", 0.5),
)
BACKGROUND_CUES = _cues(
    (r"\b(?:is|are|has been|have been|has become|remains?)\b", 0.5),
    (
        r"\b(?:important|crucial|critical|essential|key|central|fundamental|challenging|challenge)",
        1.5,
    ),
    (r"\b(?:increasingly|growing|widely|rapid\w*|recent\w*|emerg\w*|popular)", 1),
    (r"\b(?:need|demand|difficult|hard)\w*", 1),
)
PAST_CUES = _cues(  # a problem word is needed: "prior work" alone is not a problem
    (r"\b(?:however|yet|although|despite|unfortunately|nevertheless)\b", 2),
    (
        r"\b(?:limitation|limited|fail|fall short|suffer|lack|struggle|insufficient|costly|"
        r"expensive|ignore|overlook|cannot|can ?not|unable|inadequate|bottleneck|poor|"
        r"understudied|unexplored|impractical)\w*",
        2.5,
    ),
    (r"\b(?:difficult|challenging|problem|hard|slow|time-consuming|labor-intensive)\w*", 1.5),
    (
        r"\b(?:existing|previous|prior|current|traditional|conventional|earlier|state-of-the-art)"
        r"\b",
        1,
    ),
    (r"\b(?:methods?|approaches|systems|work|models|techniques|tools)\b", 0.5),
)
PROPOSED_CUES = _cues(
    (r"\bwe (?:propose|present|introduce|develop|design|build|describe|construct|create)", 3),
    (
        r"\bour (?:approach|method|model|system|framework|tool|toolkit|agent|pipeline|dataset|"
        r"algorithm|technique|interface)\b",
        2.5,
    ),
    (_THIS_PAPER, 1.5),
    (r"\bwe (?:argue|advocate|outline|sketch|envision|call for)", 2),
    (r"\b(?:novel|new|called|named)\b", 1),
    (r"\b(?:consists? of|composed of|based on|uses?|leverag\w*|combin\w*)\b", 0.5),
)
PERFORMANCE_CUES = _cues(
    (_NUMBER, 2.5),
    (r"\b(?:outperform\w*|surpass\w*|exceed\w*|beat\w*|state[- ]of[- ]the[- ]art|SOTA)\b", 3),
    (r"\b(?:accuracy|precision|recall|F1|BLEU|ROUGE|AUC|score|error|speed\w*|faster)\b", 1.5),
    (r"\b(?:achiev|improv|increas|reduc|gain|better)\w*", 1.5),
    (r"\b(?:results?|experiments?|evaluat\w*|benchmark\w*|participants|user study)\b", 1),
    (r"\b(?:significantly|substantially|consistently)\b", 1),
    (r"\b(?:we|results?|experiments?) (?:demonstrate|show|find|confirm)\w* that\b", 1.5),
    (r"\beffective\w*", 1),
)
METHOD_CUES = _cues(
    (
        r"\bwe (?:use|train|build|collect|design|implement|extract|define|compute|apply|adopt|"
        r"fine-tune|annotate|construct|represent|model|generate|propose)",
        2,
    ),
    (
        r"\b(?:consists? of|composed of|takes as input|outputs?|pipeline|architecture|module|"
        r"component|algorithm|procedure|step|stage)\b",
        1.5,
    ),
    (r"\b(?:first|then|next|finally|given)\b", 0.5),
)
SIGNIFICANCE_CUES = _cues(
    (
        r"\b(?:significan\w*|impact\w*|important|implications?|valuable|useful|benefit\w*|help\w*|"
        r"enabl\w*|support\w*|facilitat\w*|advanc\w*|practical|pave|open\w* (?:up|new)|promis\w*)",
        2,
    ),
    (r"\b(?:we hope|future|community|researchers|practitioners|users|readers|broad\w*)\b", 1),
)
INNOVATION_CUES = _cues(
    (r"\b(?:novel|first|new|unlike|unique\w*|original)\b", 2.5),
    (r"\bwe (?:propose|present|introduce|develop|design|built|build|release|describe)", 2.5),
    (r"\b(?:this|our) (?:paper|work|approach|method|system|framework|toolkit|dataset)\b", 1),
)
WORKLOAD_CUES = _cues(
    (
        r"\bwe (?:collect|annotat|build|built|construct|release|conduct|train|implement|develop|"
        r"recruit|evaluat|gather|curat|survey|review|analy[sz])\w*",
        2.5,
    ),
    (
        r"\b(?:dataset|corpus|benchmark|annotations?|participants|user study|experiments?|"
        r"interviews?|papers|documents|queries|hours|examples)\b",
        1,
    ),
    (
        r"\b\d[\d,.]*\s?(?:k|K|M|million|thousand)?\s+(?:\w+\s)?(?:papers|documents|queries|"
        r"participants|examples|pairs|annotations|samples|articles|summaries|users)\b",
        2,
    ),
)
STOP_CUES = _cues(
    (r"\b(?:future work|acknowledg\w*|funded|grant)\b", -3),
    # footnotes and pointers, not content
    (
        r"\b(?:can be found|(?:is|are) available|see (?:the )?appendix|corresponding author|"
        r"equal contribution|contributed equally)\b",
        -3,
    ),
    (r"\?[\"'”’)]*$", -2),  # a question is rarely a finding
)


# A sentence opening with a pronoun leans on the one before it: a weaker quote on its own.
_LEANS_BACK = re.compile(
    r"^(?:It|They|This|These|Those|Such|That|He|She|Its|Their|Both|Here)\b"
    r"(?! (?:paper|work|study|article|review|survey|perspective)\b)"
)


def score(sentence: Sentence, cues: Cues) -> float:
    text = sentence.text
    total = sum(weight for pattern, weight in cues if pattern.search(text))
    total += sum(weight for pattern, weight in STOP_CUES if pattern.search(text))
    if _LEANS_BACK.match(text):
        total -= 1.0
    return total


def pick(
    pool: list[Sentence],
    cues: Cues,
    *,
    count: int,
    used: dict[str, None],
    minimum: float = 0.1,
    bonus: Callable[[Sentence], float] | None = None,
) -> list[Sentence]:
    """The ``count`` best-scoring unused sentences of ``pool``, back in paper order."""
    ranked = []
    for sentence in pool:
        if sentence.text in used:
            continue
        value = score(sentence, cues) + (bonus(sentence) if bonus else 0.0)
        if value >= minimum:
            ranked.append((-value, sentence.order, sentence))
    ranked.sort(key=lambda item: (item[0], item[1]))
    chosen: list[Sentence] = []
    for _, _, sentence in ranked:
        if len(chosen) == count:
            break
        if sentence.text not in used:  # the same sentence may stand twice in a paper
            used[sentence.text] = None
            chosen.append(sentence)
    return sorted(chosen, key=lambda s: s.order)


def _early(pool: list[Sentence], weight: float, span: int = 4) -> Callable[[Sentence], float]:
    """A bonus for the first sentences of a part (where papers state their point)."""
    first = {s.order: i for i, s in enumerate(pool[:span])}
    return lambda s: weight * (span - first[s.order]) / span if s.order in first else 0.0


def _citation_penalty(sentence: Sentence) -> float:
    return -1.0 * min(len(_CITATIONS.findall(sentence.text)), 3)


# =========================================================================================
# Parts of the paper, with fallbacks for papers whose headings were not found
# =========================================================================================
class PaperParts:
    """The paper's sentences grouped into the parts each stage reads."""

    def __init__(self, paper: Paper):
        self.paper = paper
        self.sentences = paper_sentences(paper)

    def role(self, *roles: str) -> list[Sentence]:
        return [s for s in self.sentences if s.role in roles]

    @property
    def body(self) -> list[Sentence]:
        return [s for s in self.sentences if s.role not in ("references", "appendix")]

    @property
    def abstract(self) -> list[Sentence]:
        found = self.role("abstract")
        if found:
            return found
        front = self.role("front")
        given = normalize_space(self.paper.meta.abstract)
        if given:
            inside = [s for s in front if s.text in given]
            if inside:
                return inside
        # No abstract heading: a paper opens with its abstract.
        return [s for s in (front or self.body) if s.page <= 2][:8]

    @property
    def introduction(self) -> list[Sentence]:
        found = self.role("introduction")
        if found:
            return found
        abstract = {s.order for s in self.abstract}
        return [s for s in self.body if s.page <= 3 and s.order not in abstract][:25]

    @property
    def related(self) -> list[Sentence]:
        return self.role("related_work")

    @property
    def method(self) -> list[Sentence]:
        return self.role("method")

    @property
    def experiments(self) -> list[Sentence]:
        return self.role("experiments", "results")

    @property
    def conclusion(self) -> list[Sentence]:
        found = self.role("conclusion", "discussion")
        taken = {s.order for s in found}
        limits = [
            s
            for s in self.sentences
            if s.order not in taken and re.search(r"limitation", s.heading, re.I)
        ]
        if found or limits:
            return sorted(found + limits, key=lambda s: s.order)
        body = self.body
        tail = body[int(len(body) * 0.8) :]
        cued = [
            s
            for s in body
            if re.search(
                r"\b(?:in conclusion|to conclude|in summary|to summari[sz]e|we (?:have )?"
                r"(?:presented|introduced|shown))\b",
                s.text,
                re.I,
            )
        ]
        return sorted({s.order: s for s in cued + tail}.values(), key=lambda s: s.order)


# =========================================================================================
# Stages
# =========================================================================================
def _quote(sentences: list[Sentence], lang: Language) -> str:
    joiner = "" if lang.code == "zh" else " "
    return " ".join(f"{s.text}{joiner}{page_ref(lang, s.page)}" for s in sentences)


def _quote_or_not_stated(sentences: list[Sentence], lang: Language) -> str:
    return _quote(sentences, lang) if sentences else lang.labels["not_stated"]


def answer_tldr(parts: PaperParts, lang: Language) -> str:
    L = lang.labels
    used: dict[str, None] = {}
    abstract = parts.abstract
    summary = pick(abstract, SUMMARY_CUES, count=1, used=used, bonus=_early(abstract, 1.0))
    if not summary:
        pool = abstract or parts.introduction or parts.body
        summary = pool[:1]
        used.update({s.text: None for s in summary})
    pool = abstract + parts.introduction
    takeaways = pick(pool, TAKEAWAY_CUES, count=7, used=used, minimum=1.5, bonus=_citation_penalty)
    # Top up with the remaining abstract, then introduction, then body sentences.
    for sentence in pool + parts.body:
        if len(takeaways) >= 5:
            break
        if sentence.text not in used:
            used[sentence.text] = None
            takeaways.append(sentence)
    takeaways.sort(key=lambda s: s.order)
    lines = [
        f"**{L['summary']}**: {_quote_or_not_stated(summary, lang)}",
        "",
        f"**{L['key_takeaways']}**",
    ]
    lines += [f"- {_quote([s], lang)}" for s in takeaways]
    if not takeaways:
        lines.append(f"- {L['not_stated']}")
    return "\n".join(lines) + "\n"


def find_keywords(paper: Paper, parts: PaperParts, limit: int = 6) -> list[str]:
    """The paper's own keyword line if it has one, else its most repeated technical phrases."""
    own = _keyword_line(paper)
    if own:
        return own[:8]
    return _frequent_phrases(paper, parts, limit)


_KEYWORD_LABEL = re.compile(
    r"(?:Additional Key Words and Phrases|Key ?words|KEYWORDS|Index Terms|关键词|关键字)"
    r"\s*[:：—–.-]?\s*",
    re.IGNORECASE,
)
_KEYWORD_END = re.compile(
    r"ACM Reference Format|\b1\.?\s+Introduction|\bI\.\s+INTRODUCTION|\bIntroduction\b|"
    r"\b1 INTRODUCTION|\bCCS Concepts|(?<=[a-z])\.\s|\n\n",
)


def _keyword_text(after_label: str) -> str:
    """The keyword list after its label: its line, and the next ones while the list goes on
    (the line ends in a comma, or the next one starts in lower case or holds a comma)."""
    lines = after_label.split("\n")
    if not lines[0].strip() and len(lines) > 1:  # the label stood on its own line
        lines = lines[1:]
    kept = [lines[0]]
    for line in lines[1:]:
        if not line.strip():
            break
        if (
            kept[-1].rstrip().endswith((",", ";", "-", "·", "•"))
            or line.lstrip()[:1].islower()
            or re.search(r"[,;，；]", line)
        ):
            kept.append(line)
        else:
            break
    return "\n".join(kept)


def _keyword_line(paper: Paper) -> list[str]:
    for page in paper.pages[:2]:
        text = page.text
        match = _KEYWORD_LABEL.search(text)
        if not match:
            continue
        rest = _keyword_text(text[match.end() : match.end() + 300])
        end = _KEYWORD_END.search(rest)
        rest = normalize_space(rest[: end.start()] if end else rest)
        items = [k.strip(" .;·•") for k in re.split(r"[,;·•、；，]", rest)]
        items = [k for k in items if 2 <= len(k) <= 60 and not re.search(r"\d{3,}", k)]
        if len(items) >= 2:
            return items
    for page in paper.pages[:2]:  # only ACM CCS concepts: their leaf terms
        match = re.search(
            r"CCS Concepts\s*[:：]?\s*(.{10,300}?)(?:\.\s|\n\n|$)",
            page.text,
            re.IGNORECASE | re.DOTALL,
        )
        if match:
            leaves = [p.split("→")[-1] for p in re.split(r"[•;]", normalize_space(match.group(1)))]
            items = [k.strip(" .;") for k in leaves if 2 <= len(k.strip(" .;")) <= 60]
            if items:
                return items
    return []


_STOPWORDS = _word_set(
    """a an the and or but if of to in on at by for with from as into onto over under about
    is are was were be been being has have had do does did can could may might must shall should
    will would this that these those it its they them their there here we our us you your he she
    his her i me my not no nor so than too very such also only just both each either neither
    more most less least many much few several some any all other another same own which who
    whom whose what when where why how while during before after above below between through
    against among within without upon via per et al e g i eg ie etc vs using used use uses based
    paper papers work works approach approaches method methods result results section sections
    figure figures fig table tables show shows shown propose proposed present presented new
    different two one three first second however thus therefore although because since further
    well given make makes made like e.g i.e then than even still yet across toward towards"""
)
_TOKEN = re.compile(r"[A-Za-z][A-Za-z0-9\-]*[A-Za-z0-9]")


def _frequent_phrases(paper: Paper, parts: PaperParts, limit: int) -> list[str]:
    body_text = " ".join(s.text for s in parts.body) or paper.text
    tokens = [t.lower() for t in _TOKEN.findall(body_text)]
    grams: Counter[tuple[str, ...]] = Counter()
    for n in (2, 3):
        for i in range(len(tokens) - n + 1):
            gram = tuple(tokens[i : i + n])
            if (
                gram[0] not in _STOPWORDS
                and gram[-1] not in _STOPWORDS
                and all(len(t) > 2 and t not in _STOPWORDS for t in gram)
            ):
                grams[gram] += 1
    # Candidates come from where a paper names its subject; the body's counts rank them.
    head = " ".join([paper.meta.title, *(s.text for s in parts.abstract + parts.introduction)])
    head_tokens = [t.lower() for t in _TOKEN.findall(head)]
    head_grams = {
        tuple(head_tokens[i : i + n]) for n in (2, 3) for i in range(len(head_tokens) - n + 1)
    }
    title = paper.meta.title.lower()
    scored = []
    for gram, count in grams.items():
        if count < 2 or gram not in head_grams:
            continue
        weight = count * (1.5 if len(gram) == 3 else 1.0)
        if " ".join(gram) in title:
            weight *= 2
        scored.append((-weight, " ".join(gram)))
    # Names and acronyms from the title and abstract ("PaSa", "LLMs", "S2ORC").
    counts = Counter(_TOKEN.findall(body_text))
    for name in dict.fromkeys(_TOKEN.findall(head)):
        inner_caps = sum(c.isupper() for c in name[1:])
        if inner_caps and counts[name] >= 3 and name.lower() not in _STOPWORDS:
            scored.append((-counts[name] * 1.2, name))
    scored.sort()
    chosen: list[str] = []
    for _, phrase in scored:
        low = phrase.lower()
        if any(low in c.lower() or c.lower() in low for c in chosen):
            continue
        chosen.append(phrase)
        if len(chosen) == limit:
            break
    return chosen


_SELF = re.compile(r"\b(?:we|our|us)\b", re.IGNORECASE)


_AFFILIATION_WORD = re.compile(
    r"\b(?:Department|Dept\.|Universit[a-zé]+|Institut[a-z]*|Laborator[a-z]+|School of|"
    r"College|Faculty|Hospital|Cent(?:er|re)\b|Academy|Inc\.|Ltd\.?|GmbH|Corporation)"
)
_NOT_AFFILIATION = re.compile(
    r"©|\bcopyright\b|\blicen[cs]e|\bcitation\b|https?://|\bdoi\b|@|\bpublished\b|"
    r"\breceived\b|\baccepted\b|\bcorrespond|\beditor\b",
    re.IGNORECASE,
)
_AFFILIATION_LABEL = re.compile(r"^(?:author affiliations?|affiliations?)\s*[:：]?\s*", re.I)
# "Affiliation: The X project": a label with its colon names an affiliation whatever its words.
_LABELLED_AFFILIATION = re.compile(r"^(?:author affiliations?|affiliations?)\s*[:：]\s*\S", re.I)
# Affiliation markers: "1Department", "aGuangdong", "♢Allen", "αAllen", "*", "†".
_MARKER = r"(?:\d{1,2}|[a-z](?=[A-Z][a-z])|[^\w\s(\"“'‘&]|[\u0370-\u03ff])"
_AFFILIATION_LEAD = re.compile(rf"^(?:{_MARKER}[\s,]*)+")
_NEXT_AFFILIATION = re.compile(rf"\s{_MARKER}\s*(?=[A-Z])|;|\s[^\w\s,.()\-–&'’]")
_CAPS_NAME = re.compile(r"^[A-Z][A-Z.\-']+(?: [A-Z][A-Z.\-']+){1,3}, ")  # "TAL AUGUST, "
_ENDS_MID_NAME = re.compile(r"\b(?:of|for|and|the|de|di|du|in|at|&)$")
MAX_AFFILIATION_CHARS = 200


def page_one_affiliation(paper: Paper) -> str | None:
    """The first affiliation printed at the start of the paper (usually the first author's,
    marked 1 or a): "1Department of X, University of Y; 2..." -> "Department of X, University
    of Y". Cell Press prints a graphical abstract first, so page 2 is read too."""
    for page in paper.pages[:2]:
        raws = page.text.split("\n")[:120]
        for index, raw in enumerate(raws):
            line = normalize_space(raw[:500])
            if _ENDS_MID_NAME.search(line) and index + 1 < len(raws):  # "University of" / "X"
                line = normalize_space(f"{line} {raws[index + 1][:500]}")
            labelled = bool(_LABELLED_AFFILIATION.match(line))
            if not (labelled or _AFFILIATION_WORD.search(line)) or _NOT_AFFILIATION.search(line):
                continue
            line = _CAPS_NAME.sub("", _AFFILIATION_LABEL.sub("", line, count=1), count=1)
            line = _AFFILIATION_LEAD.sub("", line, count=1)
            cut = _NEXT_AFFILIATION.search(line)
            if cut:
                line = line[: cut.start()]
            line = line.strip(" ,;.")
            if len(line) > MAX_AFFILIATION_CHARS:
                line = line[: line.rfind(",", 0, MAX_AFFILIATION_CHARS)].strip(" ,")
            if len(line.split()) >= 2 and (labelled or _AFFILIATION_WORD.search(line)):
                return line
    return None


def answer_overview(parts: PaperParts, lang: Language) -> str:
    L = lang.labels
    meta = parts.paper.meta
    affiliation = (
        meta.affiliations[0] if meta.affiliations else page_one_affiliation(parts.paper)
    ) or L["not_stated"]
    keywords = find_keywords(parts.paper, parts)
    used: dict[str, None] = {}
    intro = parts.introduction
    opening = intro or parts.abstract
    early = _early(opening, 3.0, 3)

    def general(s: Sentence) -> float:  # background is about the field, not "we"
        return early(s) - (1.5 if _SELF.search(s.text) else 0.0)

    # The opening sentence of the introduction is the background; then the specific parts
    # choose, so "However, existing tools fail..." goes to past methods wherever it stands.
    background = pick(opening, BACKGROUND_CUES, count=1, used=used, minimum=1.0, bonus=general)
    proposed = pick(
        parts.abstract + intro + parts.method, PROPOSED_CUES, count=2, used=used, minimum=2.0
    )
    performance = pick(
        parts.experiments + parts.abstract + parts.conclusion,
        PERFORMANCE_CUES,
        count=2,
        used=used,
        minimum=2.5,
        bonus=_citation_penalty,
    )
    past = pick(parts.related + intro, PAST_CUES, count=2, used=used, minimum=2.5)
    # a second background sentence only from the opening lines, where it continues the first
    background += pick(opening[:4], BACKGROUND_CUES, count=1, used=used, minimum=2.5, bonus=general)
    background.sort(key=lambda s: s.order)
    lines = [
        f"- **{L['affiliation']}**: {affiliation}",
        f"- **{L['keywords']}**: {', '.join(keywords) if keywords else L['not_stated']}",
        "",
        f"(1) **{L['background']}**: {_quote_or_not_stated(background, lang)}",
        f"(2) **{L['past_methods']}**: {_quote_or_not_stated(past, lang)}",
        f"(3) **{L['proposed_method']}**: {_quote_or_not_stated(proposed, lang)}",
        f"(4) **{L['performance']}**: {_quote_or_not_stated(performance, lang)}",
    ]
    return "\n".join(lines) + "\n"


_END_MATTER = re.compile(
    r"acknowledg|contribution|funding|conflicts? of interest|competing interests|ethic|"
    r"data availability|supporting information|author information|abbreviations",
    re.IGNORECASE,
)
_NUMBERING = re.compile(r"^(?:\d+(?:\.\d+)*|[IVX]+|[A-Z](?:\.\d+)*)\.?\s+(?=\S)")


def step_name(heading: str) -> str:
    """A heading without its number: "3.1 Document Representation" -> "Document Representation"."""
    name = normalize_space(_NUMBERING.sub("", normalize_space(heading))).strip(" :.")
    return name or normalize_space(heading)


_PROPOSED_HEADING = re.compile(
    r"method|approach|design|system|model|framework|architecture|algorithm|pipeline|"
    r"construct|propos|\bour\b",
    re.IGNORECASE,
)
_STUDY_HEADING = re.compile(
    r"interview|survey|formative|preliminar|observation|stud(?:y|ies)|background|related|"
    r"evaluation|experiment|dataset|data collection|\busers?\b",
    re.IGNORECASE,
)


def _main_method_part(paper: Paper, method: list[Sentence]) -> list[Sentence]:
    """One method section with its subsections: the one that reads most like the method the
    paper proposes. Papers (and our section finder) label more than that as "method": a survey
    of practice, formative interviews, a dataset; headings tell these apart."""
    blocks: dict[int, list[Sentence]] = {}  # top-level section index -> its sentences
    for sentence in method:
        blocks.setdefault(_top_level(paper, sentence.section), []).append(sentence)
    if not blocks:
        return []
    title_words = {
        w.lower()
        for w in _TOKEN.findall(paper.meta.title)
        if len(w) >= 4 and w.lower() not in _STOPWORDS
    }

    def rank(top: int) -> tuple[float, int, int, int]:
        block = blocks[top]
        heading = paper.sections[top].heading if top >= 0 else block[0].heading
        words = {w.lower() for w in _TOKEN.findall(heading)}
        value = 2.0 * bool(_PROPOSED_HEADING.search(heading))
        value -= 2.0 * bool(_STUDY_HEADING.search(heading))
        value += min(len(words & title_words), 2)
        return (
            value,
            len({s.section for s in block}),
            sum(len(s.text) for s in block),
            -block[0].order,
        )

    return blocks[max(blocks, key=rank)]


def _top_level(paper: Paper, index: int) -> int:
    """The index of the level-1 section that section ``index`` belongs to."""
    while index > 0 and paper.sections[index].level > 1:
        index -= 1
    return index


def _content_grams(text: str) -> list[tuple[str, ...]]:
    """The sentence's 2- and 3-word runs of content words, in order, as written."""
    tokens = _TOKEN.findall(text)
    grams: list[tuple[str, ...]] = []
    for i in range(len(tokens)):
        for n in (3, 2):
            gram = tuple(tokens[i : i + n])
            if len(gram) == n and all(len(t) > 2 and t.lower() not in _STOPWORDS for t in gram):
                grams.append(gram)
    return grams


def step_labels(sentences: list[Sentence], vocabulary: Counter[str]) -> list[str]:
    """A short name for each of several steps taken from one subsection, from each sentence's
    own words: the run of content words the method part repeats most ("shear stress assay"),
    else the sentence's first such run. Names are distinct."""
    labels: list[str] = []
    for sentence in sentences:
        grams = _content_grams(sentence.text)
        taken = {label.casefold() for label in labels}
        fresh = [g for g in grams if " ".join(g).casefold() not in taken]
        # max() keeps the first of equals: the earliest run in the sentence
        best = max(
            fresh,
            key=lambda g: vocabulary[" ".join(g).lower()] * (1.5 if len(g) == 3 else 1.0),
            default=None,
        )
        if best is not None and vocabulary[" ".join(best).lower()] < 2:
            best = fresh[0]
        if best is not None:
            label = " ".join(best)
        else:
            label = " ".join(sentence.text.split()[:5]).rstrip(" ,;:.")
        label = label[:1].upper() + label[1:]
        while label.casefold() in taken:
            label += f" ({len(labels) + 1})"
        labels.append(label)
    return labels


def _gram_counts(sentences: list[Sentence]) -> Counter[str]:
    counts: Counter[str] = Counter()
    for sentence in sentences:
        counts.update(" ".join(g).lower() for g in _content_grams(sentence.text))
    return counts


def answer_methods(parts: PaperParts, lang: Language) -> str:
    paper = parts.paper
    used: dict[str, None] = {}
    method = parts.method
    lines: list[str] = []
    steps: list[tuple[str, list[Sentence]]] = []
    if method:
        by_section: dict[tuple[int, str], list[Sentence]] = {}
        for s in _main_method_part(paper, method):
            by_section.setdefault((s.section, s.heading), []).append(s)
        per_section = 1 if len(by_section) >= 3 else (2 if len(by_section) == 2 else 4)
        vocabulary = _gram_counts(method)
        for (_, heading), sentences in by_section.items():
            name = step_name(heading) or _phrase(lang, "step").format(n=len(steps) + 1)
            chosen = pick(
                sentences,
                METHOD_CUES,
                count=per_section,
                used=used,
                minimum=-99,
                bonus=_early(sentences, 4.0, 3),
            )
            # Several steps from one subsection would all carry its heading: name each by
            # what it says instead.
            names = step_labels(chosen, vocabulary) if len(chosen) > 1 else [name]
            steps += [(label, [s]) for label, s in zip(names, chosen, strict=True)]
        steps = steps[:8]
    else:
        top = [  # the body's own sections: not the front matter, introduction or endings
            (i, s)
            for i, s in enumerate(paper.sections)
            if s.level == 1
            and step_name(s.heading).strip()
            and s.role not in ("abstract", "introduction", "conclusion", "references", "appendix")
            and not _END_MATTER.search(s.heading)
        ]
        if top:
            lines.append(_phrase(lang, "no_method"))
            for index, section in top[:8]:
                own = [
                    s
                    for s in parts.sentences
                    if s.section >= 0 and _top_level(paper, s.section) == index
                ]
                chosen = pick(
                    own, SUMMARY_CUES, count=1, used=used, minimum=-99, bonus=_early(own, 3.0, 3)
                )
                steps.append((step_name(section.heading), chosen))
        else:
            lines.append(_phrase(lang, "no_method_sentences" if paper.sections else "no_headings"))
            chosen = pick(parts.body, METHOD_CUES + PROPOSED_CUES, count=5, used=used, minimum=2.0)
            steps = [(_phrase(lang, "step").format(n=n), [s]) for n, s in enumerate(chosen, 1)]
    if not steps:
        steps = [(lang.labels["methods"], [])]
    for n, (name, sentences) in enumerate(steps, 1):
        lines.append(f"({n}) **{name}**: {_quote_or_not_stated(sentences, lang)}")
    return "\n".join(lines) + "\n"


def answer_conclusion(parts: PaperParts, lang: Language) -> str:
    L = lang.labels
    pool = parts.conclusion
    used: dict[str, None] = {}
    # The most specific parts choose first, so a sentence lands where it fits best; a part
    # left empty then takes a weaker match, and stays "not stated" when nothing matches.
    wanted = {  # part -> (cues, strong, weak)
        "performance": (PERFORMANCE_CUES, 3.0, 1.5),
        "workload": (WORKLOAD_CUES, 2.5, 1.0),
        "innovation": (INNOVATION_CUES, 2.5, 1.0),
        "significance": (SIGNIFICANCE_CUES, 2.0, 1.0),
    }
    in_conclusion = lambda s: 1.5 if s.role == "conclusion" else 0.0  # noqa: E731
    chosen = {
        part: pick(pool, cues, count=1, used=used, minimum=strong, bonus=in_conclusion)
        for part, (cues, strong, _) in wanted.items()
    }
    for part, (cues, _, weak) in wanted.items():
        if not chosen[part]:
            chosen[part] = pick(pool, cues, count=1, used=used, minimum=weak, bonus=in_conclusion)
    performance, workload = chosen["performance"], chosen["workload"]
    innovation, significance = chosen["innovation"], chosen["significance"]
    lines = [
        f"(1) **{L['significance']}**: {_quote_or_not_stated(significance, lang)}",
        f"(2) **{L['innovation']}**: {_quote_or_not_stated(innovation, lang)}",
        f"(3) **{L['performance_short']}**: {_quote_or_not_stated(performance, lang)}",
        f"(4) **{L['workload']}**: {_quote_or_not_stated(workload, lang)}",
    ]
    return "\n".join(lines) + "\n"


_ANSWERS: dict[str, Callable[[PaperParts, Language], str]] = {
    "tldr": answer_tldr,
    "overview": answer_overview,
    "methods": answer_methods,
    "conclusion": answer_conclusion,
}
STAGES = tuple(_ANSWERS)  # the stages of chatpaper/stages.py it can answer


def extractive_answer(paper: Paper, stage: str, language: str | Language | None) -> str:
    """The whole answer for one stage (pure: same paper, same text)."""
    lang = resolve_language(language)
    if stage not in _ANSWERS:
        raise BackendError(
            f"The offline engine writes only the {', '.join(STAGES)} parts; "
            f"choose a model engine for '{stage}'."
        )
    return _ANSWERS[stage](PaperParts(paper), lang)


# =========================================================================================
# Backend
# =========================================================================================
class OfflineBackend:
    """Reads the Paper directly; the prompt text is ignored."""

    name = "offline"
    model = "extractive"
    context_tokens = 1_000_000_000  # no model context: the whole paper is always read
    extractive = True  # quotes the paper verbatim: the pipeline's guard does not re-ask it
    needs_key = False

    def __init__(self, settings: Settings | None = None):
        self.settings = settings
        self._parts: tuple[Paper, PaperParts] | None = None

    def note(self, lang: Language | str | None) -> str:
        """The line the renderer shows once: this is an extract, not a model's summary."""
        return resolve_language(lang).labels["offline_note"]

    def _parts_for(self, paper: Paper) -> PaperParts:
        # The pipeline asks for four stages of one paper: split it into sentences once.
        cached = self._parts
        if cached is not None and cached[0] is paper:
            return cached[1]
        parts = PaperParts(paper)
        self._parts = (paper, parts)
        return parts

    def stream(self, request: StageRequest) -> Iterator[Piece]:
        if request.paper is None:
            raise BackendError(
                "The offline engine needs the paper itself; this request carried only text."
            )
        if request.stage not in _ANSWERS:
            raise BackendError(
                f"The offline engine writes only the {', '.join(STAGES)} parts; "
                f"choose a model engine for '{request.stage}'."
            )
        lang = resolve_language(request.language)
        text = _ANSWERS[request.stage](self._parts_for(request.paper), lang)
        yield from text.splitlines(keepends=True)


def create_offline_backend(
    settings: Settings, *, model: str | None = None, api_key: str | None = None
) -> OfflineBackend:
    return OfflineBackend(settings)


register(
    EngineInfo(
        name="offline",
        label="Offline (extractive, no model)",
        factory=create_offline_backend,
        is_available=lambda s, k: True,
    )
)
