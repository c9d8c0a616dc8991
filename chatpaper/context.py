"""What text each stage sees, within a backend's token budget.

The full paper (references dropped, appendix last) is the identical first part of every
full-text stage's prompt, so Gemini's implicit caching can bill the repeated paper at a
discount. Only when a backend's context is smaller than the paper do stages differ: each
keeps the sections most useful to it, in reading order, and says that it was shortened.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .paper import Paper, Section
from .stages import DEFAULT_PRIORITIES, stage_record
from .text import count_cjk

# Room kept free in the context for the stage instruction, system prompt and the answer when a
# caller cannot say how much it needs (the pipeline reserves each stage's own; see below).
RESERVED_TOKENS = 6_000
# Besides the instruction and the answer: a re-ask's corrective instruction, estimate error.
MARGIN_TOKENS = 400
SHORTENED_MARK = "[... shortened to fit the model's context ...]"


def estimate_tokens(text: str) -> int:
    """A fast, slightly generous token estimate: CJK ~1 token a character, else ~4 chars."""
    cjk = count_cjk(text)
    return cjk + (len(text) - cjk + 3) // 4


@dataclass
class Context:
    text: str  # the paper block for the prompt
    shortened: bool = False
    omitted: list[str] = field(default_factory=list)  # headings left out or cut
    tokens: int = 0


def _ordered_sections(paper: Paper) -> list[Section]:
    """Body sections in reading order, references dropped, appendix moved last."""
    if not paper.sections:
        from .paper import Section as _Section

        return [
            _Section(heading=f"Page {p.number}", role="other", page=p.number, text=p.text)
            for p in paper.pages
            if p.text.strip()
        ]
    body = [s for s in paper.sections if s.role not in ("references", "appendix")]
    appendix = [s for s in paper.sections if s.role == "appendix"]
    return body + appendix


PAGE_MARK = "[p. {page}]"
_LOOKAHEAD_PAGES = 3  # a page turn may skip pages with no text (full-page figures)


def _page_lines(paper: Paper) -> dict[int, set[str]]:
    return {
        page.number: {" ".join(line.split()) for line in page.text.split("\n") if line.strip()}
        for page in paper.pages
    }


def with_page_marks(section: Section, lines_by_page: dict[int, set[str]]) -> str:
    """The section's text with "[p. N]" where each of its pages begins, so that a model can
    cite the page of what it says. Linear: one set look-up per line."""
    page = section.page
    out = [PAGE_MARK.format(page=page)] if lines_by_page else []
    for line in section.text.split("\n"):
        key = " ".join(line.split())
        if key and key not in lines_by_page.get(page, ()):
            for later in range(page + 1, page + 1 + _LOOKAHEAD_PAGES):
                if key in lines_by_page.get(later, ()):
                    page = later
                    out.append(PAGE_MARK.format(page=page))
                    break
        out.append(line)
    return "\n".join(out)


def _section_block(section: Section, text: str | None = None) -> str:
    body = (text if text is not None else section.text).strip()
    heading = section.heading.strip()
    return f"## {heading}\n{body}" if heading else body


def _cut(text: str, max_tokens: int) -> str:
    """The head of ``text`` within ``max_tokens``, ending at a sentence or line if possible."""
    if max_tokens <= 0:
        return ""
    approx_chars = max_tokens * 3  # conservative for mixed text
    head = text[:approx_chars]
    while head and estimate_tokens(head) > max_tokens:
        head = head[: int(len(head) * 0.9)]
    stop = max(head.rfind(". "), head.rfind("\n"), head.rfind("。"))
    if stop > len(head) // 2:
        head = head[: stop + 1]
    return head.rstrip()


def build_context(
    paper: Paper, stage: str, budget_tokens: int, *, reserved: int = RESERVED_TOKENS
) -> Context:
    """The paper text for ``stage`` within ``budget_tokens`` (the backend's context), leaving
    ``reserved`` tokens for the rest of the prompt and the answer."""
    sections = _ordered_sections(paper)
    lines_by_page = _page_lines(paper)
    texts = [with_page_marks(s, lines_by_page) for s in sections]
    blocks = [_section_block(s, t) for s, t in zip(sections, texts, strict=True)]
    full = "\n\n".join(b for b in blocks if b)
    available = max(budget_tokens - reserved, 1_000)
    full_tokens = estimate_tokens(full)
    if full_tokens <= available:
        return Context(text=full, tokens=full_tokens)

    record = stage_record(stage)  # which sections it needs most: chatpaper/stages.py
    priority = record.context_priorities if record else DEFAULT_PRIORITIES
    rank = {role: i for i, role in enumerate(priority)}
    order = sorted(range(len(sections)), key=lambda i: (rank.get(sections[i].role, 99), i))
    kept: dict[int, str] = {}
    omitted: list[str] = []
    left = available
    for i in order:
        block = blocks[i]
        cost = estimate_tokens(block) + 2
        if cost <= left:
            kept[i] = block
            left -= cost
        elif left > 200:
            head = _cut(texts[i], left - 60)
            kept[i] = _section_block(sections[i], f"{head}\n{SHORTENED_MARK}")
            left = 0
            omitted.append(sections[i].heading)
        else:
            omitted.append(sections[i].heading)
    text = "\n\n".join(kept[i] for i in sorted(kept))
    return Context(text=text, shortened=True, omitted=omitted, tokens=estimate_tokens(text))
