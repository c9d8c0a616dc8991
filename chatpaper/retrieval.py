"""Find the passages of a paper that answer a question (BM25 via bm25s).

A passage keeps its page and section, so an answer can cite it and a reader can check it.
Passages are short overlapping windows of whole sentences that never cross a section heading
but do go on over a page break (a sentence cut by the page would lose its answer); a
figure or table caption starts its own passage (answers often sit in captions); the section
heading is indexed with the passage (a question about "the dataset" finds the sentences under
"4.1 Datasets"). Question and passages are normalised the same way: NFKC, lower case,
English stop words dropped, Snowball stems, question framing ("which of the following",
"has been shown", "approximately how many") removed, a word with a capital inside also
indexed by its parts ("hetS118L" -> "het", "s118l"). A question that spells out a long form
the paper abbreviates ("insertion loci (ILs)") also searches for the short form. Scores
count less for boilerplate (acknowledgements, funding, affiliations) and for the overview
(abstract, introduction), which share the topic words of every question. Pure: the same
paper and question give the same passages.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache

from .paper import Paper

WINDOW = 3  # sentences per passage
STRIDE = 2  # a new passage every STRIDE sentences: neighbours overlap by one sentence
MAX_PASSAGE_CHARS = 1_200
MAX_SENTENCE_CHARS = 600  # a "sentence" with no full stop (a table, an equation) is cut here
MAX_QUERY_CHARS = 4_000
MAX_BLOCK_CHARS = 400_000  # a section longer than this is not joined across pages

logging.getLogger("bm25s").setLevel(logging.WARNING)  # it logs each index at DEBUG

_CAPTION_START = re.compile(r"(?:Fig\.?|Figure|FIGURE|Table|TABLE|Extended Data Fig\.?)\s*S?\d")
# Words that shape a question but say nothing about the answer.
_QUESTION_TEXT = (
    "which what whats who whom whose when where why how following does did do is are was were "
    "can could would should may might paper authors author study studies according describe "
    "described tell explain has have had been being shown show shows known reported found "
    "approximately roughly about many much percentage proportion fraction"
)
_QUESTION_WORDS = frozenset(_QUESTION_TEXT.split())
_TOKEN = re.compile(r"\w+")
_CAMEL = re.compile(r"[A-Z0-9][A-Z0-9]*(?:[a-z]+[0-9]*)?|[a-z]+[0-9]*")  # bounded input: <= 40
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")


@dataclass(frozen=True)
class Passage:
    text: str  # the paper's words, whitespace collapsed
    page: int  # 1-based page where the passage starts
    heading: str  # the section it stands in ("" before the first heading)
    role: str  # that section's role, or "front"
    kind: str = "text"  # "text" or "caption"


@dataclass(frozen=True)
class Hit:
    passage: Passage
    score: float


def _collapse(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).split())


def _sentence_spans(text: str) -> list[tuple[int, int]]:
    from .llm.offline import split_sentences  # the paper-aware splitter ("et al.", "Fig. 3")

    spans = []
    for start, end in split_sentences(text):
        while end - start > MAX_SENTENCE_CHARS:  # bound the work and the passage size
            cut = text.rfind(" ", start, start + MAX_SENTENCE_CHARS)
            cut = cut if cut > start else start + MAX_SENTENCE_CHARS
            spans.append((start, cut))
            start = cut
        if text[start:end].strip():
            spans.append((start, end))
    return spans


@dataclass
class _Block:
    text: str
    page: int
    heading: str
    role: str
    breaks: list[tuple[int, int]] = field(default_factory=list)  # (offset, page) page starts
    open: bool = False  # ends at its page's end

    def page_at(self, offset: int) -> int:
        page = self.page
        for start, number in self.breaks:
            if start > offset:
                break
            page = number
        return page


def _blocks(paper: Paper) -> list[_Block]:
    """The text of each section, cut at its headings and flowing across page breaks (a
    sentence that goes on over the page stays whole); references dropped."""
    by_page: dict[int, list[int]] = {}
    for index, section in enumerate(paper.sections):
        by_page.setdefault(section.page, []).append(index)
    blocks: list[_Block] = []
    heading, role = "", "front"
    for page in paper.pages:
        text = _collapse(page.text)
        position = 0
        for index in by_page.get(page.number, []):
            section = paper.sections[index]
            title = _collapse(section.heading)
            at = text.find(title, position) if title else -1
            if at < 0:
                heading, role = title, section.role  # heading not found: switch at the page
                continue
            if at > position and role != "references":
                _add_block(blocks, text[position:at], page.number, heading, role, position == 0)
            heading, role = title, section.role
            position = at + len(title)
        if position < len(text) and role != "references":
            _add_block(blocks, text[position:], page.number, heading, role, position == 0)
            blocks[-1].open = True  # runs to the page's end: the next page may go on with it
    return [b for b in blocks if b.text.strip()]


def _add_block(
    blocks: list[_Block], text: str, page: int, heading: str, role: str, page_start: bool
) -> None:
    last = blocks[-1] if blocks else None
    if (
        page_start
        and last is not None
        and last.open
        and (last.heading, last.role) == (heading, role)
        and len(last.text) < MAX_BLOCK_CHARS
    ):
        last.breaks.append((len(last.text) + 1, page))
        last.text = f"{last.text} {text}"
        last.open = False
        return
    if last is not None:
        last.open = False
    blocks.append(_Block(text, page, heading, role))


def build_passages(paper: Paper) -> list[Passage]:
    """Overlapping windows of WINDOW sentences per section, and a passage per caption."""
    passages: list[Passage] = []
    seen: set[tuple[int, str]] = set()

    def add(text: str, page: int, block: _Block, kind: str) -> None:
        text = text.strip()[:MAX_PASSAGE_CHARS]
        if len(text) < 20 or (page, text) in seen:
            return
        seen.add((page, text))
        passages.append(Passage(text, page, block.heading, block.role, kind))

    for block in _blocks(paper):
        spans = _sentence_spans(block.text)
        sentences = [block.text[s:e].strip() for s, e in spans]
        pages = [block.page_at(s) for s, _ in spans]
        starts = set(range(0, max(len(sentences) - WINDOW + STRIDE, 1), STRIDE))
        for i, sentence in enumerate(sentences):
            if _CAPTION_START.match(sentence):
                add(" ".join(sentences[i : i + WINDOW]), pages[i], block, "caption")
                starts.discard(i)
        for i in sorted(starts):
            add(" ".join(sentences[i : i + WINDOW]), pages[i], block, "text")
    return passages


@lru_cache(maxsize=1)
def _stemmer():
    import Stemmer  # PyStemmer: Snowball stemmers

    return Stemmer.Stemmer("english")


def normalise(text: str) -> list[str]:
    """Index terms: NFKC, lower case, no stop or question words, stemmed (CJK per character)."""
    import bm25s.stopwords

    stop = _stopwords(id(bm25s.stopwords))
    text = unicodedata.normalize("NFKC", text)
    words = []
    for token in _tokens(text):
        if _CJK.search(token):
            words.extend(c for c in token if not c.isspace())
        elif len(token) > 1 and token not in stop and len(token) <= 40:
            words.append(token)
    return _stemmer().stemWords(words)


def _tokens(text: str) -> list[str]:
    """Lower-case words; a word with a capital inside ("hetS118L", "FlagSMN") also gives its
    parts, so a question naming "S118L" finds the paper's "hetS118L"."""
    out = []
    for token in _TOKEN.findall(text):
        lower = token.lower()
        out.append(lower)
        if len(token) <= 40 and lower != token and not token.isupper():
            parts = _CAMEL.findall(token)
            if len(parts) > 1:
                out.extend(part.lower() for part in parts)
    return out


@lru_cache(maxsize=1)
def _stopwords(_: int) -> frozenset[str]:
    from bm25s.stopwords import STOPWORDS_EN

    return frozenset(STOPWORDS_EN) | _QUESTION_WORDS


# "long noncoding RNA (lncRNA)", "insertion loci (ILs)": a short form in brackets after words.
_SHORT_FORM = re.compile(r"\(([A-Za-z0-9][A-Za-z0-9\-]{1,9})\)")
MAX_ABBREVIATIONS = 500


def _long_form(short: str, before: str) -> str | None:
    """The words before "(short)" that the short form abbreviates (Schwartz & Hearst 2003:
    each of its letters, from the last, found in order; the first one starts a word)."""
    letters = [c.lower() for c in short if c.isalnum()]
    if not letters or not any(c.isalpha() for c in letters):
        return None
    words = before.split()[-min(len(letters) + 5, len(letters) * 2) :]
    text = " ".join(words)
    at = len(text) - 1
    for i in range(len(letters) - 1, -1, -1):
        c = letters[i]
        while at >= 0 and (text[at].lower() != c or (i == 0 and at > 0 and text[at - 1].isalnum())):
            at -= 1
        if at < 0:
            return None
        at -= 1
    start = text.rfind(" ", 0, at + 2) + 1
    found = text[start:]
    return found if len(found.split()) >= 2 and len(found) > len(short) else None


def find_abbreviations(text: str) -> dict[tuple[str, ...], tuple[str, ...]]:
    """Index terms of each long form the paper defines -> the terms of its short form."""
    found: dict[tuple[str, ...], tuple[str, ...]] = {}
    for match in _SHORT_FORM.finditer(text):
        short = match.group(1)
        if short.endswith("s") and short[:-1].isupper():
            short = short[:-1]  # "ILs"
        if not any(c.isupper() for c in short):
            continue
        long = _long_form(short, text[max(0, match.start() - 200) : match.start()])
        if not long:
            continue
        long_terms = tuple(normalise(long))
        short_terms = tuple(normalise(short)[:1])  # the whole word, not its parts ("lnc", "rna")
        if len(long_terms) >= 2 and short_terms and short_terms[0] not in long_terms:
            found.setdefault(long_terms, short_terms)
            if len(found) >= MAX_ABBREVIATIONS:
                break
    return found


def expand_query(terms: list[str], abbreviations: dict) -> list[str]:
    """The question's terms plus the paper's own short form of every long form it spells out
    (the paper says "ILs" after defining it; the question says "insertion loci")."""
    have = set(terms)
    extra: list[str] = []
    for long_terms, short_terms in abbreviations.items():
        if have.issuperset(long_terms):
            extra.extend(t for t in short_terms if t not in have)
    return terms + list(dict.fromkeys(extra))


# Passages that share the question's words without answering it: who wrote the paper, who
# paid, where the data are; title blocks, affiliations and licence lines.
_BOILERPLATE_HEADING = re.compile(
    r"[\dA-Z.]{0,8}\s*(?:acknowledg|funding|author contributions?|competing interests?"
    r"|conflicts? of|data availability|code availability|declaration|ethics statement"
    r"|additional information|peer review|reporting summary|abbreviations|keywords"
    r"|supplementary (?:information|material))",
    re.I,
)
_BOILERPLATE_START = re.compile(
    r"(?:acknowledg\w*|funding|author contributions?|competing interests?|conflicts? of interests?"
    r"|data availability|declaration of|correspondence)\b",
    re.I,
)
_FRONT_MARKERS = re.compile(
    r"universit|department|institute|@|received|accepted|published|copyright|licen[cs]e"
    r"|creative commons|doi\.org|correspond",
    re.I,
)
BOILERPLATE_WEIGHT = 0.5  # such a passage must match twice as well as a body passage
# The title, abstract and introduction share the paper's topic words with every question but
# rarely hold the detail asked for: a body passage wins unless they match clearly better.
# (0.5-0.7 did equally well on half of the LitQA questions; the mildest was kept.)
OVERVIEW_WEIGHT = 0.7


def passage_weight(passage: Passage) -> float:
    """How much a passage's BM25 score counts: less for boilerplate (acknowledgements,
    funding, contributions, affiliations) and for the paper's overview (title block,
    abstract, introduction, related work)."""
    text = passage.text[:MAX_PASSAGE_CHARS]
    if (
        _BOILERPLATE_HEADING.match(passage.heading[:200])
        or _BOILERPLATE_START.match(text)
        or len(_FRONT_MARKERS.findall(text)) >= 3
    ):
        return BOILERPLATE_WEIGHT
    if passage.role in ("front", "abstract", "introduction", "related_work"):
        return OVERVIEW_WEIGHT
    return 1.0


class PassageIndex:
    """BM25 over a paper's passages. Build once per paper; ``search`` is fast."""

    def __init__(self, passages: list[Passage]):
        import bm25s

        self.passages = passages
        self.abbreviations = find_abbreviations(" ".join(p.text for p in passages))
        corpus = [normalise(f"{p.heading} {p.text}") for p in passages]
        self._weights = [passage_weight(p) for p in passages]
        self._empty = not any(corpus)
        self._bm25 = bm25s.BM25()
        if passages and not self._empty:
            self._bm25.index(corpus, show_progress=False)

    @classmethod
    def for_paper(cls, paper: Paper) -> PassageIndex:
        return cls(build_passages(paper))

    def search(self, question: str, k: int = 3) -> list[Hit]:
        """The ``k`` best passages for ``question`` that do not overlap each other."""
        terms = expand_query(normalise(question[:MAX_QUERY_CHARS]), self.abbreviations)
        vocab = self._bm25.vocab_dict if not self._empty and self.passages else {}
        terms = [t for t in terms if t in vocab]
        if not terms:
            return []
        want = min(len(self.passages), k * 10)
        ids, scores = self._bm25.retrieve([terms], k=want, show_progress=False)
        ranked = sorted(
            (
                (score * self._weights[index], index)
                for index, score in zip(ids[0].tolist(), scores[0].tolist(), strict=False)
                if score > 0
            ),
            key=lambda pair: (-pair[0], pair[1]),
        )
        hits: list[Hit] = []
        for score, index in ranked:
            passage = self.passages[index]
            if any(_overlaps(passage, h.passage) for h in hits):
                continue
            hits.append(Hit(passage, float(score)))
            if len(hits) == k:
                break
        return hits


def _overlaps(a: Passage, b: Passage) -> bool:
    """Neighbouring windows share a sentence: do not quote the same words twice."""
    if a.heading != b.heading:  # windows of one section may start on different pages
        return False
    head = a.text[:80]
    return head in b.text or b.text[:80] in a.text


def question_language_differs(question: str, paper: Paper) -> bool:
    """A Chinese/Japanese/Korean question on a Latin-script paper, or the reverse."""
    q_cjk = len(_CJK.findall(question)) > max(2, len(question) // 10)
    sample = paper.text[:5000]
    p_cjk = len(_CJK.findall(sample)) > len(sample) // 10
    return q_cjk != p_cjk
