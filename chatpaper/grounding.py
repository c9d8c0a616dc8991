"""Check a summary against its paper: do the cited pages say it, and are the numbers there?

A model cites pages the way the offline engine does: "(p. 4)", "(pp. 4-5)", "（第4页）". For
every cited claim we take its anchors (numbers, technical terms in Latin script such as model,
dataset and metric names, and for an English answer its content words) and look for them on
the cited pages. Found there: verified. Found on another page instead: wrong page, and we name
that page. Found nowhere: unsupported. A claim with nothing to check (a Chinese paraphrase
without numbers or names) stays as cited and is not called verified.

Independently, every number in an answer that occurs nowhere in the paper is reported: a sum or
ratio the model computed is not in the paper either, and we say so rather than guess.

Pure functions over text. Work is linear in the answer and the paper: regexes are bounded
(no nested unbounded repeats), tokens are capped, and look-ups are set membership.
"""

from __future__ import annotations

import re
import unicodedata
import weakref
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from itertools import pairwise

VERIFIED, WRONG_PAGE, UNSUPPORTED, UNCHECKED = "verified", "wrong_page", "unsupported", "unchecked"

# Support scores: share of a claim's anchor weight found in a text (numbers and terms weigh 2,
# content words 1). Calibrated on exact quotes and paraphrases of the shared papers.
VERIFY_AT = 0.6
SURE_AT = 0.9
SOMEWHERE_AT = 0.4
MARGIN = 0.15
MAX_CLAIM_CHARS = 600
MAX_ANCHORS = 10  # per kind and claim: bounded work whatever the answer
MAX_CITATIONS = 400
SPILL_CHARS = 300
NEAR_TIE = 0.05  # pages scoring this close to the best are told apart by wording
MAX_TIES = 8
MAX_PAIRS = 60
VERBATIM_AT = 0.8  # share of a claim's word pairs: near-verbatim on that page
LOOSE_AT = 0.4
MAX_TOKEN = 48  # longer "words" (base64, URLs) are not anchors

# --- citation markers ------------------------------------------------------------------------
_PAGE_LIST = r"\d{1,4}(?:\s{0,3}[-–—~至到]\s{0,3}\d{1,4})?(?:\s{0,3}(?:,|，|、|;|and|&|和)\s{0,3}\d{1,4}(?:\s{0,3}[-–—~至到]\s{0,3}\d{1,4})?){0,8}"
_CITE_EN = rf"[(\[]\s{{0,3}}(?:pp?\.|pages?)\s{{0,3}}(?P<en>{_PAGE_LIST})\s{{0,3}}[)\]]"
_CITE_ZH = rf"[（(\[]\s{{0,3}}第\s{{0,3}}(?P<zh>{_PAGE_LIST})\s{{0,3}}页\s{{0,3}}[）)\]]"
CITATION_RE = re.compile(f"{_CITE_EN}|{_CITE_ZH}", re.IGNORECASE)
_RANGE_RE = re.compile(r"(\d{1,4})(?:\s{0,3}[-–—~至到]\s{0,3}(\d{1,4}))?")

# --- anchors -------------------------------------------------------------------------------------
# A number: 1,000 / 1000 / 83.80 / .5 / 12 % / 1k / 7B. Not part of a word (F1, GPT-4's "4" is
# kept: "-" is no letter) nor of a longer digit run.
NUMBER_RE = re.compile(
    r"(?<![\w.,])(?P<int>\d{1,3}(?:,\d{3}){1,5}|\d{1,15})?(?:\.(?P<frac>\d{1,12}))?"
    r"(?<=\d)(?!\d)(?:\s?(?P<unit>%|[kKMB](?![A-Za-z])))?"
)
_WORD_RE = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:[-_+./][A-Za-z0-9]+){0,4}")
_STRIP_RE = re.compile(
    r"https?://[^\s)\]]{1,500}|(?:arXiv:\s?)?\b\d{4}\.\d{4,5}(?:v\d{1,3})?\b"  # links, IDs
    r"|arXiv:\s?[a-z-]{2,20}(?:\.[A-Z]{2})?/\d{7}|\b\d{4}-\d{2}-\d{2}\b"  # old IDs, dates
    r"|^\s{0,8}(?:[-*]\s{1,4})?(?:\(\d{1,2}\)|（\d{1,2}）|\d{1,2}[.)](?=\s))"  # part markers
    r"|^#{1,6}\s{1,4}\d{1,2}\."  # "## 7." headings
    r"|\(\d{1,2}\)|（\d{1,2}）"  # enumerations inside a line
    r"|\[\d{1,4}(?:\s{0,2}[,–-]\s{0,2}\d{1,4}){0,30}\]",  # reference lists: [6, 40, 41]
    re.MULTILINE,
)
_SENTENCE_END = re.compile(r"(?<=[.!?。！？])\s+")

_STOPWORDS = frozenset(
    [
        "about",
        "above",
        "after",
        "again",
        "against",
        "also",
        "among",
        "an",
        "and",
        "any",
        "are",
        "around",
        "as",
        "at",
        "based",
        "be",
        "because",
        "been",
        "before",
        "being",
        "below",
        "between",
        "both",
        "but",
        "by",
        "can",
        "could",
        "did",
        "does",
        "doing",
        "down",
        "during",
        "each",
        "either",
        "enough",
        "even",
        "every",
        "few",
        "first",
        "for",
        "from",
        "further",
        "had",
        "has",
        "have",
        "having",
        "here",
        "how",
        "however",
        "into",
        "its",
        "itself",
        "just",
        "last",
        "less",
        "like",
        "made",
        "main",
        "make",
        "many",
        "more",
        "most",
        "much",
        "must",
        "near",
        "need",
        "neither",
        "new",
        "next",
        "not",
        "now",
        "number",
        "of",
        "off",
        "often",
        "on",
        "once",
        "one",
        "only",
        "onto",
        "other",
        "others",
        "our",
        "out",
        "over",
        "own",
        "paper",
        "part",
        "per",
        "rather",
        "same",
        "section",
        "several",
        "should",
        "show",
        "shown",
        "shows",
        "since",
        "some",
        "such",
        "than",
        "that",
        "the",
        "their",
        "them",
        "then",
        "there",
        "these",
        "they",
        "this",
        "those",
        "though",
        "three",
        "through",
        "thus",
        "together",
        "too",
        "two",
        "under",
        "until",
        "upon",
        "used",
        "uses",
        "using",
        "very",
        "was",
        "well",
        "were",
        "what",
        "when",
        "where",
        "whether",
        "which",
        "while",
        "who",
        "whom",
        "whose",
        "why",
        "will",
        "with",
        "within",
        "without",
        "would",
        "yet",
        "your",
        "also",
        "authors",
        "propose",
        "proposed",
        "present",
        "presents",
        "study",
        "work",
        "approach",
        "method",
        "methods",
        "result",
        "results",
    ]
)
_NUMBER_WORDS = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
    "twenty",
]
_CJK_RE = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")


def _normalise(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).split())


def _canonical(int_part: str | None, frac: str | None) -> str | None:
    try:
        value = Decimal(f"{(int_part or '0').replace(',', '')}.{frac or '0'}")
    except InvalidOperation:
        return None
    return format(value.normalize(), "f")


_SCALE = {"k": 1_000, "K": 1_000, "M": 1_000_000, "B": 1_000_000_000}


def number_values(match: re.Match[str]) -> set[str]:
    """Every spelling of one number match that should count as the same number."""
    base = _canonical(match.group("int"), match.group("frac"))
    if base is None:
        return set()
    values = {base}
    unit = match.group("unit")
    if unit in _SCALE:
        values.add(format((Decimal(base) * _SCALE[unit]).normalize(), "f"))
    return values


def _stem(word: str) -> str:
    word = word.lower()
    return word[:5] if len(word) > 5 else word


def _is_term(token: str, in_chinese: bool) -> bool:
    """Model, dataset and metric names: ImageNet, BERT, F1, GPT-4, ROUGE-L (any Latin word in a
    Chinese answer, where Latin script is itself the sign of a name)."""
    if len(token) < 2 or len(token) > MAX_TOKEN:
        return False
    uppers = sum(ch.isupper() for ch in token)
    has_digit = any(ch.isdigit() for ch in token)
    if uppers >= 2 or (has_digit and any(ch.isalpha() for ch in token)):
        return True
    return in_chinese and len(token) >= 3 and token.lower() not in _STOPWORDS


@dataclass(frozen=True)
class Anchors:
    numbers: tuple[frozenset[str], ...] = ()  # each number's accepted spellings
    terms: tuple[str, ...] = ()  # lower-cased
    words: tuple[str, ...] = ()  # stems of content words

    @property
    def weight(self) -> int:
        return 2 * (len(self.numbers) + len(self.terms)) + len(self.words)

    def checkable(self, english: bool) -> bool:
        return bool(self.numbers or self.terms) or (english and len(self.words) >= 3)


def anchors_of(text: str, *, english: bool) -> Anchors:
    text = _STRIP_RE.sub(" ", _normalise(text))
    in_chinese = bool(_CJK_RE.search(text))
    numbers = []
    for m in NUMBER_RE.finditer(text):
        values = number_values(m)
        if values and not _is_page_like(m, text):
            numbers.append(frozenset(values))
    terms: list[str] = []
    words: list[str] = []
    for m in _WORD_RE.finditer(text):
        token = m.group().rstrip(".")
        if _is_term(token, in_chinese):
            terms.append(token.lower())
        elif english and token.isalpha() and len(token) >= 4 and token.lower() not in _STOPWORDS:
            words.append(_stem(token))
    return Anchors(
        tuple(dict.fromkeys(numbers))[:MAX_ANCHORS],
        tuple(dict.fromkeys(terms))[:MAX_ANCHORS],
        tuple(dict.fromkeys(words))[: 3 * MAX_ANCHORS],
    )


def _is_page_like(match: re.Match[str], text: str) -> bool:
    """A bracketed reference number such as "[33]" is not a claim's figure."""
    start, end = match.span()
    return text[start - 1 : start] == "[" and text[end : end + 1] in ("]", ",")


# --- the paper side -------------------------------------------------------------------------------
@dataclass
class _PageIndex:
    text: str  # normalised, whitespace-collapsed
    lower: str
    numbers: set[str]
    tokens: set[str]  # lower-cased Latin tokens
    stems: set[str]


def _index_page(text: str) -> _PageIndex:
    norm = _normalise(text)
    numbers: set[str] = set()
    for m in NUMBER_RE.finditer(norm):
        numbers |= number_values(m)
    tokens: set[str] = set()
    stems: set[str] = set()
    for m in _WORD_RE.finditer(norm):
        token = m.group().rstrip(".")
        if len(token) > MAX_TOKEN:
            continue
        low = token.lower()
        tokens.add(low)
        for part in re.split(r"[-_+./]", low):
            if part:
                tokens.add(part)
                stems.add(_stem(part))
        stems.add(_stem(low))
    lower = norm.lower()
    for number, word in enumerate(_NUMBER_WORDS):
        if word in tokens:
            numbers.add(str(number))
    return _PageIndex(norm, lower, numbers, tokens, stems)


@dataclass
class PaperIndex:
    """What the checks look up, built once per paper (pages are 1-based)."""

    pages: list[_PageIndex]
    spill: list[_PageIndex]  # per page: the end of the page before and the start of the next
    all_numbers: set[str] = field(default_factory=set)

    @classmethod
    def build(cls, pages: Sequence[str]) -> PaperIndex:
        texts = [text or "" for text in pages]
        indexed = [_index_page(text) for text in texts]
        spill = [
            _index_page(
                (texts[i - 1][-SPILL_CHARS:] if i > 0 else "")
                + "\n"
                + (texts[i + 1][:SPILL_CHARS] if i + 1 < len(texts) else "")
            )
            for i in range(len(texts))
        ]
        everything: set[str] = set()
        for page in indexed:
            everything |= page.numbers
        return cls(indexed, spill, everything)

    def region(self, page_numbers: Iterable[int]) -> list[_PageIndex]:
        """The cited pages plus the text just across their page turns (a sentence may run
        over one)."""
        chosen = [p for p in page_numbers if 1 <= p <= len(self.pages)]
        return [self.pages[p - 1] for p in chosen] + [self.spill[p - 1] for p in chosen]

    def score(
        self, anchors: Anchors, page_numbers: Iterable[int], *, substring: bool = True
    ) -> float:
        """Share of the anchors' weight found on the given pages. ``substring`` also finds a
        term inside a longer token (costly: used on the cited pages, not in the search)."""
        return self.score_in(
            anchors,
            [self.pages[p - 1] for p in page_numbers if 1 <= p <= len(self.pages)],
            substring=substring,
        )

    def score_in(
        self, anchors: Anchors, chosen: list[_PageIndex], *, substring: bool = True
    ) -> float:
        if not chosen or not anchors.weight:
            return 0.0
        found = 0
        for spellings in anchors.numbers:
            if any(spellings & page.numbers for page in chosen):
                found += 2
        for term in anchors.terms:
            if any(term in page.tokens or (substring and term in page.lower) for page in chosen):
                found += 2
        for stem in anchors.words:
            if any(stem in page.stems for page in chosen):
                found += 1
        return found / anchors.weight

    def best_sentence(self, anchors: Anchors, page_number: int) -> str:
        """The sentence of a page that holds most of the anchors: the supporting quote."""
        if not 1 <= page_number <= len(self.pages):
            return ""
        best, best_hits = "", 0
        for sentence in _SENTENCE_END.split(self.pages[page_number - 1].text):
            low = sentence.lower()
            hits = sum(2 for t in anchors.terms if t in low)
            hits += sum(1 for s in anchors.words if s in low)
            for spellings in anchors.numbers:
                if any(v in sentence for v in spellings):
                    hits += 2
            if hits > best_hits:
                best, best_hits = sentence, hits
        return best[:400]


_INDEXES: dict[int, tuple[weakref.ref, PaperIndex]] = {}
_MAX_INDEXES = 32


def index_for(paper) -> PaperIndex:
    """The paper's index, built on first use and reused while that Paper object lives (the UI
    renders a finished part many times). Keyed by identity: a Paper is not hashable."""
    entry = _INDEXES.get(id(paper))
    if entry is not None and entry[0]() is paper:
        return entry[1]
    index = PaperIndex.build([p.text for p in paper.pages])
    if len(_INDEXES) >= _MAX_INDEXES:
        _INDEXES.clear()
    _INDEXES[id(paper)] = (weakref.ref(paper), index)
    return index


# --- the report -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Citation:
    sentence: str  # the claim, as the answer writes it (without the marker)
    cited_pages: tuple[int, ...]
    status: str  # verified | wrong_page | unsupported | unchecked
    found_pages: tuple[int, ...] = ()  # where the support is (wrong_page: the right page)
    quote: str = ""  # the paper's text that supports it
    span: tuple[int, int] = (0, 0)  # the marker's place in the answer


@dataclass(frozen=True)
class NumberMark:
    text: str
    span: tuple[int, int]
    on_cited_page: bool = False  # in the paper, but not on the page its claim cites


@dataclass
class GroundingReport:
    citations: list[Citation] = field(default_factory=list)
    numbers: list[NumberMark] = field(default_factory=list)  # numbers not in the paper

    @property
    def numbers_not_found(self) -> list[str]:
        return list(dict.fromkeys(m.text for m in self.numbers))

    def count(self, status: str) -> int:
        return sum(1 for c in self.citations if c.status == status)

    def __add__(self, other: GroundingReport) -> GroundingReport:
        # spans only make sense within one answer: a sum is for counting
        return GroundingReport(self.citations + other.citations, self.numbers + other.numbers)

    def summary_line(self, lang: str = "en") -> str:
        """E.g. "38 of 41 citations checked on their pages, 1 number not found in the paper"."""
        total, verified = len(self.citations), self.count(VERIFIED)
        moved, missing = self.count(WRONG_PAGE), self.count(UNSUPPORTED)
        numbers = len(self.numbers_not_found)
        if _is_zh(lang):
            parts = [f"{total} 处页码引用中 {verified} 处已在所引页面核实"] if total else []
            if moved:
                parts.append(f"{moved} 处已更正页码")
            if missing:
                parts.append(f"{missing} 处在论文中找不到依据")
            if numbers:
                parts.append(f"{numbers} 个数字在论文中未找到")
            return "，".join(parts) + "。" if parts else ""
        parts = [f"{verified} of {total} citations checked on their pages"] if total else []
        if moved:
            parts.append(f"{moved} moved to the right page")
        if missing:
            parts.append(f"{missing} not supported by the paper")
        if numbers:
            parts.append(f"{numbers} number{'s' if numbers != 1 else ''} not found in the paper")
        return (", ".join(parts) + ".") if parts else ""


def _is_zh(lang: str) -> bool:
    return lang.lower().startswith("zh") or "chinese" in lang.lower() or "中文" in lang


def parse_pages(spec: str) -> tuple[int, ...]:
    pages: list[int] = []
    for m in _RANGE_RE.finditer(spec):
        first = int(m.group(1))
        last = int(m.group(2)) if m.group(2) else first
        if last < first or last - first > 20:
            last = first
        pages.extend(range(first, last + 1))
    return tuple(dict.fromkeys(p for p in pages if p > 0))


def _claim_start(answer: str, begin: int, end: int) -> int:
    """Where the claim a marker closes starts: after the previous marker or the line start,
    at most MAX_CLAIM_CHARS back."""
    return max(begin, answer.rfind("\n", 0, end) + 1, end - MAX_CLAIM_CHARS)


_LABEL_RE = re.compile(
    r"\s{0,8}(?:[-*]\s{1,4})?(?:\(\d{1,2}\)|（\d{1,2}）)?\s{0,4}(?:\*\*[^*\n]{1,80}\*\*\s{0,2}[:：])?"
)


def _label_end(answer: str, start: int, end: int) -> int:
    """Where a claim's text begins: after a part label such as "(3) **Proposed method**:"."""
    m = _LABEL_RE.match(answer, start, end)
    return m.end() if m else start


def _is_english(lang: str) -> bool:
    return not _is_zh(lang) and lang.lower() in ("en", "english", "")


def _english_claim(claim: str) -> bool:
    """Latin-script prose of a few words with no CJK character in it."""
    return not _CJK_RE.search(claim) and sum(c.isascii() and c.isalpha() for c in claim) >= 20


def check_citations(
    answer: str, pages: Sequence[str] | PaperIndex, *, lang: str
) -> GroundingReport:
    """Check each cited claim of ``answer`` and every number in it against the paper's pages."""
    index = pages if isinstance(pages, PaperIndex) else PaperIndex.build(pages)
    english_answer = _is_english(lang) and not _CJK_RE.search(answer[:2000])
    report = GroundingReport()
    masked = blank_non_claims(answer)
    marked: set[tuple[int, int]] = set()
    previous_end = 0
    for m in CITATION_RE.finditer(answer):
        cited = parse_pages(m.group("en") or m.group("zh") or "")
        start = _claim_start(answer, previous_end, m.start())
        previous_end = m.end()
        if not cited or len(report.citations) >= MAX_CITATIONS:
            continue
        start = _label_end(answer, start, m.start())
        claim = answer[start : m.start()].strip(" \t.;,，。；")
        # A claim written in English (a Chinese answer quoting the paper, as the offline
        # engine does) is checked by its words too, whatever the answer's language.
        english = english_answer or _english_claim(claim)
        anchors = anchors_of(claim, english=english)
        citation = _judge(index, claim, cited, anchors, english, m.span())
        report.citations.append(citation)
        if citation.status != UNCHECKED or anchors.numbers:
            # A claim can be on its page with one number changed: each number must be there.
            pages = citation.found_pages if citation.status == WRONG_PAGE else cited
            region = index.region(pages)
            for n in NUMBER_RE.finditer(masked, start, m.start()):
                values = number_values(n)
                missing = values and not any(values & page.numbers for page in region)
                if missing and not _is_page_like(n, masked):
                    elsewhere = bool(values & index.all_numbers)  # else: nowhere in the paper
                    report.numbers.append(NumberMark(n.group().strip(), n.span(), elsewhere))
                    marked.add(n.span())
    report.numbers += [n for n in _numbers_not_in_paper(masked, index) if n.span not in marked]
    report.numbers.sort(key=lambda n: n.span)
    return report


def _judge(
    index: PaperIndex,
    claim: str,
    cited: tuple[int, ...],
    anchors: Anchors,
    english: bool,
    span: tuple[int, int],
) -> Citation:
    if not anchors.checkable(english):
        return Citation(claim, cited, UNCHECKED, span=span)
    on_cited = index.score_in(anchors, index.region(cited))
    scores = [
        (index.score(anchors, [p], substring=False), p) for p in range(1, len(index.pages) + 1)
    ]
    best_score, best_page = max(scores, key=lambda sp: (sp[0], -sp[1])) if scores else (0.0, 0)
    # Pages that hold the anchors about equally well: the one that has the claim's wording
    # (its word pairs) wins; a near-verbatim claim on another page than the cited one (and
    # not on the cited one) is a wrong page even when the cited page has its words.
    pairs = _word_pairs(claim)
    near = sorted((sp for sp in scores if sp[0] >= best_score - NEAR_TIE), reverse=True)
    if pairs and best_score > 0:
        phrased = [(_phrase_share(pairs, index.pages[p - 1]), sc, p) for sc, p in near[:MAX_TIES]]
        phrase, _, best_page = max(phrased, key=lambda t: (t[0], t[1], -t[2]))
        cited_phrase = max((_phrase_share(pairs, page) for page in index.region(cited)), default=0)
        if best_page not in cited and phrase >= VERBATIM_AT and cited_phrase <= LOOSE_AT:
            quote = index.best_sentence(anchors, best_page)
            return Citation(claim, cited, WRONG_PAGE, (best_page,), quote, span)
    clearly_elsewhere = best_score >= on_cited + MARGIN and best_page not in cited
    if on_cited >= SURE_AT or (on_cited >= VERIFY_AT and not clearly_elsewhere):
        best = max(cited, key=lambda p: index.score(anchors, [p]))
        return Citation(claim, cited, VERIFIED, cited, index.best_sentence(anchors, best), span)
    if best_score >= VERIFY_AT and clearly_elsewhere:
        quote = index.best_sentence(anchors, best_page)
        return Citation(claim, cited, WRONG_PAGE, (best_page,), quote, span)
    if best_score < SOMEWHERE_AT and on_cited < SOMEWHERE_AT:
        return Citation(claim, cited, UNSUPPORTED, span=span)
    return Citation(claim, cited, UNCHECKED, span=span)


_PAIR_WORD = re.compile(r"[a-z0-9]{1,48}")


def _word_pairs(claim: str) -> list[str]:
    """Adjacent word pairs of a claim ("processing pipeline"): its wording, bounded."""
    words = _PAIR_WORD.findall(claim[:MAX_CLAIM_CHARS].lower())
    return [f"{a} {b}" for a, b in pairwise(words)][:MAX_PAIRS]


def _phrase_share(pairs: list[str], page: _PageIndex) -> float:
    return sum(pair in page.lower for pair in pairs) / len(pairs) if pairs else 0.0


def _numbers_not_in_paper(masked: str, index: PaperIndex) -> list[NumberMark]:
    marks: list[NumberMark] = []
    for m in NUMBER_RE.finditer(masked):
        values = number_values(m)
        if not values or values & index.all_numbers or _is_page_like(m, masked):
            continue
        marks.append(NumberMark(m.group().strip(), m.span()))
    return marks


def blank_non_claims(answer: str) -> str:
    """The answer with citation markers, links, IDs and part numbers blanked (same length)."""

    def blank(m: re.Match[str]) -> str:
        return re.sub(r"\S", " ", m.group())

    text = unicodedata.normalize("NFKC", answer)
    if len(text) != len(answer):  # keep offsets: fall back to the raw text
        text = answer
    text = CITATION_RE.sub(blank, text)
    return _STRIP_RE.sub(blank, text)


# --- showing it --------------------------------------------------------------------------------------
def _page_text(pages: Sequence[int], zh: bool) -> str:
    if zh:
        return "第" + "、".join(str(p) for p in pages) + "页"
    if len(pages) == 1:
        return f"p. {pages[0]}"
    if list(pages) == list(range(pages[0], pages[-1] + 1)):
        return f"pp. {pages[0]}-{pages[-1]}"
    return "pp. " + ", ".join(str(p) for p in pages)


def _linked(pages: Sequence[int], zh: bool, page_url: Callable[[int], str | None]) -> str:
    text = _page_text(pages, zh)
    url = page_url(pages[0])
    return f"[{text}]({url})" if url else text


def annotate(
    answer: str,
    report: GroundingReport,
    *,
    page_url: Callable[[int], str | None] = lambda page: None,
    show_pages: bool = True,
    lang: str = "en",
) -> str:
    """The answer with checked citations linked, corrected pages named, and marks on claims and
    numbers the paper does not support. ``show_pages=False`` hides page references only."""
    zh = _is_zh(lang)
    open_, close = ("（", "）") if zh else ("(", ")")
    edits: list[tuple[int, int, str]] = []
    for c in report.citations:
        start, end = c.span
        if c.status == WRONG_PAGE:
            old = _page_text(c.cited_pages, zh)
            note = f"，原标注{old}，已更正" if zh else f"; corrected from {old}"
            new = f"{open_}{_linked(c.found_pages, zh, page_url)}{note}{close}"
        elif c.status == VERIFIED:
            new = f"{open_}{_linked(c.cited_pages, zh, page_url)}{close}"
        else:
            new = answer[start:end]
        if not show_pages:
            new = ""
        if c.status == UNSUPPORTED:
            mark = "⚠️ *论文中找不到这一说法的依据*" if zh else "⚠️ *not supported by the paper*"
            new = f"{new} {mark}".strip()
        edits.append((start, end, new))
    number_mark = " ⚠️ *论文中未找到此数字*" if zh else " ⚠️ *number not found in the paper*"
    for n in report.numbers:
        edits.append((n.span[1], n.span[1], number_mark))
    out: list[str] = []
    at = 0
    for start, end, new in sorted(edits, key=lambda e: (e[0], e[1])):
        if start < at:
            continue
        out.append(answer[at:start])
        out.append(new)
        at = end
    out.append(answer[at:])
    text = "".join(out)
    if not show_pages:
        text = re.sub(r"[ \t]{2,}", " ", text)
        text = re.sub(r" +([.,;:。，；])", r"\1", text)
    return text


def arxiv_page_url(pdf_url: str | None) -> Callable[[int], str | None]:
    """Links to a page of the arXiv PDF ("…/pdf/2402.00864v1#page=4"); none for an upload."""
    if not pdf_url:
        return lambda page: None
    return lambda page: f"{pdf_url}#page={page}"


def describe(report: GroundingReport, lang: str = "en") -> list[str]:
    """One short line per mark, for a terminal that already showed the unchecked text."""
    zh = _is_zh(lang)
    lines: list[str] = []
    for c in report.citations:
        claim = c.sentence if len(c.sentence) <= 70 else c.sentence[:67] + "…"
        if c.status == WRONG_PAGE:
            old, new = _page_text(c.cited_pages, zh), _page_text(c.found_pages, zh)
            lines.append(
                f"页码已更正：{old} → {new}：“{claim}”"
                if zh
                else f"corrected {old} → {new}: “{claim}”"
            )
        elif c.status == UNSUPPORTED:
            lines.append(
                f"论文中找不到依据：“{claim}”" if zh else f"not supported by the paper: “{claim}”"
            )
    for number in report.numbers_not_found:
        lines.append(
            f"论文中未找到数字 {number}" if zh else f"number not found in the paper: {number}"
        )
    return lines


@dataclass
class Grounder:
    """Checks one paper's answers, remembering each report: the app renders a finished part
    many times while the others stream."""

    pages: Sequence[str] | PaperIndex
    lang: str = "en"
    page_url: Callable[[int], str | None] = field(default=lambda page: None)
    show_pages: bool = True
    _reports: dict[str, GroundingReport] = field(default_factory=dict, repr=False)

    @classmethod
    def for_paper(cls, paper, lang: str, *, show_pages: bool = True) -> Grounder:
        return cls(index_for(paper), lang, arxiv_page_url(paper.meta.pdf_url), show_pages)

    def report(self, text: str) -> GroundingReport:
        if text not in self._reports:
            if len(self._reports) > 64:
                self._reports.clear()
            self._reports[text] = check_citations(text, self.pages, lang=self.lang)
        return self._reports[text]

    def annotate(self, text: str) -> str:
        return annotate(
            text,
            self.report(text),
            page_url=self.page_url,
            show_pages=self.show_pages,
            lang=self.lang,
        )

    def summary(self, texts: Iterable[str]) -> str:
        total = GroundingReport()
        for text in texts:
            if text.strip():
                total = total + self.report(text)
        return total.summary_line(self.lang)


@dataclass(frozen=True)
class GroundingDefect:
    """A finding of ``check --paper``: kind, 1-based line, the text, and for a wrong page the
    page where the support was found."""

    kind: str  # citation_unsupported | citation_wrong_page | number_not_in_paper
    line: int
    text: str
    found_page: int | None = None

    def to_json(self) -> dict:
        data = {"kind": self.kind, "line": self.line, "text": self.text}
        if self.found_page is not None:
            data["found_page"] = self.found_page
        return data


def defects_of(text: str, report: GroundingReport) -> list[GroundingDefect]:
    def line_of(offset: int) -> int:
        return text.count("\n", 0, offset) + 1

    found: list[GroundingDefect] = []
    for c in report.citations:
        claim = c.sentence if len(c.sentence) <= 120 else c.sentence[:117] + "…"
        if c.status == WRONG_PAGE:
            found.append(
                GroundingDefect(
                    "citation_wrong_page",
                    line_of(c.span[0]),
                    f"cites {_page_text(c.cited_pages, False)}, found on "
                    f"{_page_text(c.found_pages, False)}: {claim}",
                    c.found_pages[0],
                )
            )
        elif c.status == UNSUPPORTED:
            found.append(GroundingDefect("citation_unsupported", line_of(c.span[0]), claim))
    for n in report.numbers:
        where = "on the cited page" if n.on_cited_page else "in the paper"
        found.append(
            GroundingDefect("number_not_in_paper", line_of(n.span[0]), f"{n.text} is not {where}")
        )
    return sorted(found, key=lambda d: d.line)
