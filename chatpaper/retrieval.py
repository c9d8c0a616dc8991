"""Find the passages of a paper that answer a question (BM25 via bm25s).

A passage keeps its page and section, so an answer can cite it and a reader can check it.
Passages are short overlapping windows of sentences that never cross a section heading; a
figure or table caption starts its own passage (answers often sit in captions); the section
heading is indexed with the passage (a question about "the dataset" finds the sentences under
"4.1 Datasets"). Question and passages are normalised the same way: NFKC, lower case,
English stop words dropped, Snowball stems, question boilerplate ("which of the following")
removed. Pure: the same paper and question give the same passages.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from .paper import Paper

WINDOW = 3  # sentences per passage
STRIDE = 2  # a new passage every STRIDE sentences: neighbours overlap by one sentence
MAX_PASSAGE_CHARS = 1_200
MAX_SENTENCE_CHARS = 600  # a "sentence" with no full stop (a table, an equation) is cut here
MAX_QUERY_CHARS = 4_000

logging.getLogger("bm25s").setLevel(logging.WARNING)  # it logs each index at DEBUG

_CAPTION_START = re.compile(r"(?:Fig\.?|Figure|FIGURE|Table|TABLE|Extended Data Fig\.?)\s*S?\d")
# Words that shape a question but say nothing about the answer.
_QUESTION_TEXT = (
    "which what whats who whom whose when where why how following does did do is are was were "
    "can could would should may might paper authors author study studies according describe "
    "described tell explain"
)
_QUESTION_WORDS = frozenset(_QUESTION_TEXT.split())
_TOKEN = re.compile(r"\w+")
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


@dataclass(frozen=True)
class _Block:
    text: str
    page: int
    heading: str
    role: str


def _blocks(paper: Paper) -> list[_Block]:
    """Each page's text cut at the section headings that stand on it (references dropped)."""
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
                blocks.append(_Block(text[position:at], page.number, heading, role))
            heading, role = title, section.role
            position = at + len(title)
        if position < len(text) and role != "references":
            blocks.append(_Block(text[position:], page.number, heading, role))
    return [b for b in blocks if b.text.strip()]


def build_passages(paper: Paper) -> list[Passage]:
    """Overlapping windows of WINDOW sentences per section, and a passage per caption."""
    passages: list[Passage] = []
    seen: set[tuple[int, str]] = set()

    def add(text: str, block: _Block, kind: str) -> None:
        text = text.strip()[:MAX_PASSAGE_CHARS]
        if len(text) < 20 or (block.page, text) in seen:
            return
        seen.add((block.page, text))
        passages.append(Passage(text, block.page, block.heading, block.role, kind))

    for block in _blocks(paper):
        spans = _sentence_spans(block.text)
        sentences = [block.text[s:e].strip() for s, e in spans]
        starts = set(range(0, max(len(sentences) - WINDOW + STRIDE, 1), STRIDE))
        for i, sentence in enumerate(sentences):
            if _CAPTION_START.match(sentence):
                add(" ".join(sentences[i : i + WINDOW]), block, "caption")
                starts.discard(i)
        for i in sorted(starts):
            add(" ".join(sentences[i : i + WINDOW]), block, "text")
    return passages


@lru_cache(maxsize=1)
def _stemmer():
    import Stemmer  # PyStemmer: Snowball stemmers

    return Stemmer.Stemmer("english")


def normalise(text: str) -> list[str]:
    """Index terms: NFKC, lower case, no stop or question words, stemmed (CJK per character)."""
    import bm25s.stopwords

    stop = _stopwords(id(bm25s.stopwords))
    text = unicodedata.normalize("NFKC", text).lower()
    words = []
    for token in _TOKEN.findall(text):
        if _CJK.search(token):
            words.extend(c for c in token if not c.isspace())
        elif len(token) > 1 and token not in stop and len(token) <= 40:
            words.append(token)
    return _stemmer().stemWords(words)


@lru_cache(maxsize=1)
def _stopwords(_: int) -> frozenset[str]:
    from bm25s.stopwords import STOPWORDS_EN

    return frozenset(STOPWORDS_EN) | _QUESTION_WORDS


class PassageIndex:
    """BM25 over a paper's passages. Build once per paper; ``search`` is fast."""

    def __init__(self, passages: list[Passage]):
        import bm25s

        self.passages = passages
        corpus = [normalise(f"{p.heading} {p.text}") for p in passages]
        self._empty = not any(corpus)
        self._bm25 = bm25s.BM25()
        if passages and not self._empty:
            self._bm25.index(corpus, show_progress=False)

    @classmethod
    def for_paper(cls, paper: Paper) -> PassageIndex:
        return cls(build_passages(paper))

    def search(self, question: str, k: int = 3) -> list[Hit]:
        """The ``k`` best passages for ``question`` that do not overlap each other."""
        terms = normalise(question[:MAX_QUERY_CHARS])
        vocab = self._bm25.vocab_dict if not self._empty and self.passages else {}
        terms = [t for t in terms if t in vocab]
        if not terms:
            return []
        want = min(len(self.passages), k * 4)
        ids, scores = self._bm25.retrieve([terms], k=want, show_progress=False)
        hits: list[Hit] = []
        for index, score in zip(ids[0].tolist(), scores[0].tolist(), strict=False):
            if score <= 0:
                break
            passage = self.passages[index]
            if any(_overlaps(passage, h.passage) for h in hits):
                continue
            hits.append(Hit(passage, float(score)))
            if len(hits) == k:
                break
        return hits


def _overlaps(a: Passage, b: Passage) -> bool:
    """Neighbouring windows share a sentence: do not quote the same words twice."""
    if a.page != b.page or a.heading != b.heading:
        return False
    head = a.text[:80]
    return head in b.text or b.text[:80] in a.text


def question_language_differs(question: str, paper: Paper) -> bool:
    """A Chinese/Japanese/Korean question on a Latin-script paper, or the reverse."""
    q_cjk = len(_CJK.findall(question)) > max(2, len(question) // 10)
    sample = paper.text[:5000]
    p_cjk = len(_CJK.findall(sample)) > len(sample) // 10
    return q_cjk != p_cjk
