"""Ask the paper: a follow-up question answered from the paper, with checked page citations.

question -> context -> engine -> guard -> citation check -> answer events. Three ways in:

- a model whose context holds the paper gets the whole paper as the same prefix the summary
  stages use (context.py), so Gemini's implicit caching makes follow-ups cheap and fast; the
  question and earlier turns come after it;
- a smaller model gets the passages retrieval picks for the question, within its budget, and
  the answer says the paper was searched, not read whole;
- the offline engine quotes the passages most related to the question, with their pages, and
  says plainly that no model wrote the answer.

Answers are cached by paper, question, engine, model, language, prompt version and the
earlier turns. API keys live only in the backend object of one request.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import tempfile
import threading
import unicodedata
from collections import OrderedDict
from collections.abc import Generator, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from . import guard
from .config import Settings
from .context import RESERVED_TOKENS, build_context, estimate_tokens
from .errors import ChatPaperError
from .i18n import Language, get_language
from .llm.base import Backend, Notice, StageRequest, create_backend
from .paper import Paper
from .pipeline import corrected_request
from .prompts import fill, fill_with_labels, prompt_version
from .retrieval import Hit, PassageIndex, question_language_differs

log = logging.getLogger(__name__)

MAX_QUESTION_CHARS = 2_000
MAX_TURNS = 6  # earlier turns sent with a question
MAX_TURN_ANSWER_CHARS = 3_000
OFFLINE_PASSAGES = 3
MAX_OUTPUT_TOKENS = 2_048
STAGE = "ask"

_PHRASES = {
    "en": {
        "offline": "No language model wrote this answer: these are the passages of the paper "
        "most related to your question, quoted as they stand, with their pages.",
        "nothing": "No passage of the paper matches the words of this question; try the "
        "paper's own terms.",
        "other_language": "Your question is not in the paper's language, and the offline "
        "engine matches words only: ask in the paper's language for better passages.",
        "searched": "The paper is longer than this model's context, so it was searched for "
        "passages related to the question; the answer is based on those, not on the whole "
        "paper.",
        "unverified": "not found in the paper",
        "wrong_page": "found on p. {page}, not p. {cited}",
        "guard": "Check this answer: {defects}",
    },
    "zh": {
        "offline": "此回答并非语言模型所写：以下是论文中与问题最相关的原文段落，附页码。",
        "nothing": "论文中没有与该问题用词相符的段落；请尝试使用论文中的术语。",
        "other_language": "问题与论文语言不同，而离线引擎只按词语匹配：请用论文的语言提问以获得更好的段落。",
        "searched": "论文长度超出该模型的上下文，因此只检索了与问题相关的段落，回答基于这些段落，而非全文。",
        "unverified": "论文中未找到",
        "wrong_page": "见第{page}页，而非第{cited}页",
        "guard": "请核对此回答：{defects}",
    },
}


def _phrase(lang: Language, key: str) -> str:
    return _PHRASES.get(lang.code, _PHRASES["en"])[key]


class InvalidQuestionError(ChatPaperError):
    """The question is empty or too long."""

    exit_code = 2


class NoPaperError(ChatPaperError):
    """A question came before any paper was read."""

    exit_code = 2


def check_question(question: str | None) -> str:
    """The question, stripped; or one sentence saying what is wrong with it."""
    text = (question or "").strip()
    if not text:
        raise InvalidQuestionError("Type a question about the paper first.")
    if len(text) > MAX_QUESTION_CHARS:
        raise InvalidQuestionError(
            f"This question is {len(text):,} characters long; ask in at most "
            f"{MAX_QUESTION_CHARS:,} characters."
        )
    return text


# --- records ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Turn:
    question: str
    answer: str


@dataclass(frozen=True)
class Citation:
    page: int
    quote: str  # the paper's text that supports the citation
    verified: bool
    status: str = "verified"  # "verified", "wrong_page", "unsupported", "unchecked"
    found_page: int | None = None
    end: int = 0  # where its page marker ends in the answer (0: not from an answer)


@dataclass
class AskResult:
    answer: str
    engine: str
    model: str
    mode: str  # "whole" (the paper was read whole), "searched", or "extract" (offline)
    citations: list[Citation] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    from_cache: bool = False

    def to_json(self) -> dict:
        return {
            "answer": self.answer,
            "engine": self.engine,
            "model": self.model,
            "citations": [
                {"page": c.page, "quote": c.quote, "verified": c.verified} for c in self.citations
            ],
        }

    @classmethod
    def from_json(cls, data: dict) -> AskResult:
        return cls(
            answer=data["answer"],
            engine=data["engine"],
            model=data["model"],
            mode=data.get("mode", "whole"),
            citations=[Citation(**c) for c in data.get("citations_full", [])],
            warnings=list(data.get("warnings", [])),
        )


@dataclass(frozen=True)
class AskEvent:
    """``kind``: "status", "chunk" (new text), "restart" (drop the text so far: the guard
    asked again), "done" (``result`` is the checked answer)."""

    kind: str
    text: str = ""
    result: AskResult | None = None


# --- passages, per paper ----------------------------------------------------------------
_INDEXES: OrderedDict[str, PassageIndex] = OrderedDict()
_INDEX_LOCK = threading.Lock()
_MAX_INDEXES = 16  # papers whose index is kept (a few MB at most)


def passage_index(paper: Paper) -> PassageIndex:
    """The paper's BM25 index, built once per paper text and reused (keyed by the text
    itself: two readings of one arXiv ID by different readers must not share an index)."""
    digest = hashlib.sha256()
    for page in paper.pages:
        digest.update(page.text.encode("utf-8", "replace"))
        digest.update(b"\f")
    key = digest.hexdigest()
    with _INDEX_LOCK:
        if key in _INDEXES:
            _INDEXES.move_to_end(key)
            return _INDEXES[key]
    index = PassageIndex.for_paper(paper)
    with _INDEX_LOCK:
        _INDEXES[key] = index
        while len(_INDEXES) > _MAX_INDEXES:
            _INDEXES.popitem(last=False)
    return index


def _search_text(question: str, history: Sequence[Turn]) -> str:
    """A follow-up ("and the batch size?") is searched together with the previous question."""
    return f"{question} {history[-1].question}" if history else question


# --- citations ---------------------------------------------------------------------------
# "exact words" (p. 4) / “…” (pp. 4-5) / 「…」（第4页）; quotes are bounded, so the scan is linear.
_QUOTED = re.compile(
    r"[\"“「]([^\"”」\n]{6,600})[\"”」]\s*[,.]?\s*"
    r"(?:\((?:p|pp|page|pages)\.?\s*(\d{1,4})[^)\n]{0,20}\)|（第\s*(\d{1,4})\s*页）)"
)
_WORD = re.compile(r"\w+")
# A page marker as check_quotes and the grounding checker end it: "(p. 4)", "（第4页）".
_CITE_MARK = re.compile(
    r"[(\[]\s{0,3}(?:pp?\.|pages?)\s{0,3}(?P<digits>\d{1,4})[^)\]\n]{0,20}[)\]]"
    r"|[（(]\s{0,3}第\s{0,3}(?P<zh>\d{1,4})[^）)\n]{0,10}[）)]",
    re.IGNORECASE,
)


def _words(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).lower()
    return " ".join(_WORD.findall(text))


def check_quotes(answer: str, pages: Sequence[str]) -> list[Citation]:
    """Every quote the answer attributes to a page, looked up on that page and on the others.
    A quote that starts on the cited page may go on over the page break (retrieval's
    passages do), so the cited page is searched together with the start of the next."""
    normalised = [f" {_words(p)} " for p in pages]
    citations = []
    for match in _QUOTED.finditer(answer):
        quote = match.group(1).strip()
        cited = int(match.group(2) or match.group(3))
        needle = f" {_words(quote)} "
        if needle.strip() == "":
            continue
        on_cited = 1 <= cited <= len(pages) and _starts_on(needle, normalised, cited)
        if on_cited:
            citations.append(Citation(cited, quote, True, "verified", cited, match.end()))
            continue
        elsewhere = next((i + 1 for i, p in enumerate(normalised) if needle in p), None)
        status = "wrong_page" if elsewhere else "unsupported"
        citations.append(Citation(cited, quote, False, status, elsewhere, match.end()))
    return citations


def _starts_on(needle: str, normalised: Sequence[str], cited: int) -> bool:
    """The quote starts on the cited page (and may go on over the break into the next)."""
    page = normalised[cited - 1]
    if needle in page:
        return True
    if cited == len(normalised):
        return False
    joined = page.rstrip() + normalised[cited][:700]  # a quote is at most 600 characters
    at = joined.find(needle)
    return 0 <= at < len(page.rstrip())


def check_answer(answer: str, paper: Paper, lang: Language) -> list[Citation]:
    """Every page citation of a model's answer, checked: an exact quote is looked up on its
    page; any other cited claim goes to the grounding checker (its anchors on the page)."""
    from . import grounding

    quotes = {c.end: c for c in check_quotes(answer, [p.text for p in paper.pages])}
    report = grounding.check_citations(answer, grounding.index_for(paper), lang=lang.name)
    citations = []
    for cited in report.citations:
        quoted = quotes.pop(cited.span[1], None)
        if quoted is not None:
            citations.append(quoted)
            continue
        found = cited.found_pages[0] if cited.found_pages else None
        page = cited.cited_pages[0] if cited.cited_pages else 0
        verified = cited.status == grounding.VERIFIED
        citations.append(Citation(page, cited.quote, verified, cited.status, found, cited.span[1]))
    citations.extend(quotes.values())  # quotes the checker's marker syntax did not see
    return sorted(citations, key=lambda c: c.end)


def annotate(answer: str, citations: Sequence[Citation], lang: Language, page_url) -> str:
    """Verified page references become links (when the paper has a page URL); a citation
    that is not on its page is marked where it stands."""
    out, position = [], 0
    by_end = {c.end: c for c in citations if c.end}
    for match in _CITE_MARK.finditer(answer):
        citation = by_end.get(match.end())
        if citation is None or citation.status == "unchecked":
            continue
        group = "digits" if match.group("digits") else "zh"
        ref_start = match.start(group)
        ref_end = match.end()
        out.append(answer[position:ref_start])
        ref = answer[ref_start:ref_end]
        if citation.verified:
            url = page_url(citation.page)
            digits = match.group(group)
            rest = answer[match.end(group) : ref_end]
            out.append(f"[{digits}]({url}){rest}" if url else ref)
        else:
            note = (
                _phrase(lang, "wrong_page").format(page=citation.found_page, cited=citation.page)
                if citation.status == "wrong_page"
                else _phrase(lang, "unverified")
            )
            out.append(f"{ref} ⚠️ *{note}*")
        position = ref_end
    out.append(answer[position:])
    return "".join(out)


def page_link(paper: Paper):
    """A function page -> URL of that page of the PDF, for arXiv papers; else no links."""
    base = paper.meta.pdf_url
    return lambda page: f"{base}#page={page}" if base else None


# --- requests -------------------------------------------------------------------------
def _history_block(history: Sequence[Turn]) -> str:
    turns = list(history)[-MAX_TURNS:]
    if not turns:
        return ""
    lines = ["Earlier in this conversation:"]
    for turn in turns:
        answer = turn.answer.strip()
        if len(answer) > MAX_TURN_ANSWER_CHARS:
            answer = answer[:MAX_TURN_ANSWER_CHARS] + " […]"
        lines.append(f"Q: {turn.question.strip()}\nA: {answer}")
    return "\n\n".join(lines) + "\n\n"


def _passage_block(hits: Sequence[Hit]) -> str:
    blocks = []
    for hit in hits:
        p = hit.passage
        where = f"[p. {p.page}" + (f", {p.heading}]" if p.heading else "]")
        blocks.append(f"{where}\n{p.text}")
    return "\n\n".join(blocks)


def build_ask_request(
    paper: Paper,
    question: str,
    history: Sequence[Turn],
    lang: Language,
    backend: Backend,
) -> tuple[StageRequest, str]:
    """The request for one question, and the mode: "whole" or "searched"."""
    system = fill_with_labels("system", lang)
    title = paper.title or "(untitled)"
    authors = ", ".join(paper.authors) or "(not given)"
    task = fill_with_labels("ask", lang, history=_history_block(history), question=question.strip())
    context = build_context(paper, STAGE, backend.context_tokens)
    if not context.shortened:
        head = fill("paper", title=title, authors=authors, body=context.text)
        mode = "whole"
    else:
        budget = max(backend.context_tokens - RESERVED_TOKENS - estimate_tokens(task), 500)
        chosen: list[Hit] = []
        used = 0
        for hit in passage_index(paper).search(_search_text(question, history), k=40):
            cost = estimate_tokens(hit.passage.text) + 12
            if used + cost > budget:
                break
            chosen.append(hit)
            used += cost
        order = {id(p): i for i, p in enumerate(passage_index(paper).passages)}
        chosen.sort(key=lambda h: order.get(id(h.passage), 0))  # reading order
        head = fill("ask_passages", title=title, authors=authors, passages=_passage_block(chosen))
        mode = "searched"
    request = StageRequest(
        stage=STAGE,
        system=system,
        prompt=f"{head}\n\n{task}",
        language=lang.name,
        paper=paper,
        max_output_tokens=MAX_OUTPUT_TOKENS,
    )
    return request, mode


# --- offline -------------------------------------------------------------------------
def offline_answer(
    paper: Paper, question: str, history: Sequence[Turn], lang: Language
) -> tuple[str, list[Citation]]:
    """The passages most related to the question, quoted with their pages (pure)."""
    hits = passage_index(paper).search(question, k=OFFLINE_PASSAGES)
    if not hits and history:  # a follow-up with no words of its own: use the last question
        hits = passage_index(paper).search(_search_text(question, history), k=OFFLINE_PASSAGES)
    lines = [f"*{_phrase(lang, 'offline')}*"]
    if question_language_differs(question, paper):
        lines.append(f"*{_phrase(lang, 'other_language')}*")
    if not hits:
        lines.append(_phrase(lang, "nothing"))
    citations = []
    for hit in hits:
        p = hit.passage
        where = f"p. {p.page}" if lang.code != "zh" else f"第{p.page}页"
        section = f", {p.heading}" if p.heading else ""
        lines.append(f"> {p.text}\n>\n> — *{where}{section}*")
        citations.append(Citation(p.page, p.text, True, "verified", p.page))
    return "\n\n".join(lines), citations


# --- the results cache -----------------------------------------------------------------
def ask_cache_key(
    paper: Paper, question: str, history: Sequence[Turn], *, engine: str, model: str, lang: Language
) -> str | None:
    if not paper.fingerprint:
        return None
    material = json.dumps(
        [
            paper.fingerprint,
            question.strip(),
            engine,
            model,
            lang.name,
            prompt_version(),
            [[t.question, t.answer] for t in history],
        ],
        ensure_ascii=False,
    )
    return "ask-" + hashlib.sha256(material.encode()).hexdigest()[:32]


class AskCache:
    """One JSON file per answer under ``folder/ask``; atomic writes, damaged files ignored."""

    def __init__(self, folder: Path):
        self.folder = Path(folder) / "ask"

    def get(self, key: str) -> AskResult | None:
        try:
            data = json.loads((self.folder / f"{key}.json").read_text(encoding="utf-8"))
            result = AskResult.from_json(data)
        except (OSError, ValueError, KeyError, TypeError):
            return None
        result.from_cache = True
        return result

    def put(self, key: str, result: AskResult) -> None:
        payload = result.to_json() | {
            "mode": result.mode,
            "warnings": result.warnings,
            "citations_full": [asdict(c) for c in result.citations],
        }
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.folder, suffix=".tmp")
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(payload, handle, ensure_ascii=False)
            os.replace(tmp, self.folder / f"{key}.json")
        except OSError:
            log.warning("could not store an answer in the cache", exc_info=True)


# --- asking ------------------------------------------------------------------------------
_QUOTE_SPAN = re.compile(r"[\"“「][^\"”」\n]{0,600}[\"”」]")


def _defects(text: str, lang: Language, paper: Paper) -> list[guard.Defect]:
    # Quotes are in the paper's language by design: they are not "the wrong language".
    masked = _QUOTE_SPAN.sub('""', text)
    return guard.find_defects(masked, language=lang.name, arxiv_id=paper.arxiv_id)


def _answer_events(backend: Backend, request: StageRequest) -> Generator[AskEvent, None, str]:
    """Stream one model call as events; return its text without leading or closing chatter."""
    parts: list[str] = []
    for piece in _stream(backend, request):
        if isinstance(piece, AskEvent):
            yield piece
        else:
            parts.append(piece)
            yield AskEvent("chunk", piece)
    return guard.trim_chatter("".join(parts))


def _stream(backend: Backend, request: StageRequest) -> Iterator[AskEvent | str]:
    for piece in backend.stream(request):
        if isinstance(piece, str):
            if piece:
                yield piece
        elif isinstance(piece, Notice):
            yield AskEvent("status", piece.message)


def ask(
    paper: Paper | None,
    question: str | None,
    *,
    backend: Backend,
    language: str | Language = "en",
    history: Sequence[Turn] = (),
    cache: AskCache | None = None,
    refresh: bool = False,
) -> Iterator[AskEvent]:
    """Answer one question about ``paper``; the last event is "done" with the checked answer."""
    if paper is None:
        raise NoPaperError("Read a paper first: paste an arXiv link or upload a PDF.")
    question = check_question(question)
    lang = language if isinstance(language, Language) else get_language(language)
    history = tuple(history)[-MAX_TURNS:]
    key = ask_cache_key(
        paper, question, history, engine=backend.name, model=backend.model, lang=lang
    )
    if cache is not None and key and not refresh:
        cached = cache.get(key)
        if cached is not None:
            yield AskEvent("chunk", cached.answer)
            yield AskEvent("done", cached.answer, cached)
            return

    if backend.extractive:
        text, citations = offline_answer(paper, question, history, lang)
        yield AskEvent("chunk", text)
        result = AskResult(text, backend.name, backend.model, "extract", citations)
    else:
        request, mode = build_ask_request(paper, question, history, lang, backend)
        prefix = f"*{_phrase(lang, 'searched')}*\n\n" if mode == "searched" else ""
        if prefix:
            yield AskEvent("chunk", prefix)
        warnings: list[str] = []
        text = yield from _answer_events(backend, request)
        defects = _defects(text, lang, paper)
        if defects:
            kinds = ", ".join(sorted({d.kind for d in defects}))
            yield AskEvent("status", f"Asking again (found: {kinds}).")
            yield AskEvent("restart")
            if prefix:
                yield AskEvent("chunk", prefix)
            retry = corrected_request(request, defects, lang.name)
            text = yield from _answer_events(backend, retry)
            defects = _defects(text, lang, paper)
            if defects:
                listed = "; ".join(f"{d.kind}: {d.text[:80]}" for d in defects[:3])
                warnings.append(_phrase(lang, "guard").format(defects=listed))
        citations = check_answer(text, paper, lang)
        result = AskResult(prefix + text, backend.name, backend.model, mode, citations, warnings)
    if cache is not None and key:
        cache.put(key, result)
    yield AskEvent("done", result.answer, result)


def ask_once(
    paper: Paper,
    question: str,
    *,
    settings: Settings,
    engine: str | None = None,
    model: str | None = None,
    api_key: str | None = None,
    language: str = "en",
    history: Sequence[Turn] = (),
    cache: AskCache | None = None,
) -> AskResult:
    """The whole answer at once (CLI, benchmarks)."""
    backend = create_backend(engine, settings, model=model, api_key=api_key)
    result = None
    for event in ask(
        paper, question, backend=backend, language=language, history=history, cache=cache
    ):
        if event.kind == "done":
            result = event.result
    assert result is not None
    return result
