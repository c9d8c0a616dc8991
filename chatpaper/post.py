"""A digest post in the seed format: front matter, a note, one entry per paper (pure).

The post is built from arXiv's own metadata (title, authors, abstract, comment, the real abs
link); the model's words only appear under them, already rendered by ``chatpaper.render``.
Every function here is pure: entries in, Markdown out.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from .grounding import Grounder
from .i18n import Language, get_language
from .paper import Paper, PaperMeta
from .pipeline import StageResult, SummaryState
from .render import escape_html, render_stage
from .render import render_details as render_document_details
from .text import one_line, title_key

MAX_AUTHORS_SHOWN = 30

# Words our own code writes into a post, per language (the model writes the rest).
_POST_TEXT = {
    "en": {
        "update": "Update on {day}",
        "description": "Newest arXiv papers on {topic} ({day}), led by: {title}",
        "description_empty": "Newest arXiv papers on {topic} ({day})",
        "note": "Summaries written by {engine} from each paper's arXiv abstract{deep}; titles, "
        "authors, abstracts and links come from arXiv.",
        "note_deep": " and full text",
        "figures": "Click to view figures from the paper",
        "pdf_failed": "Summarized from the abstract only: the full text could not be used. {reason}",
        "figures_failed": "No figures: {reason}",
        "paper_failed": "This paper could not be summarized: {reason}",
        "et_al": "et al. ({count} authors)",
    },
    "zh": {
        "update": "{day} 更新",
        "description": "{topic} 方向最新论文已更新（{day}），最新一篇：{title}",
        "description_empty": "{topic} 方向最新论文（{day}）",
        "note": "以下摘要与要点由 {engine} 根据论文的 arXiv 摘要{deep}自动生成；标题、作者、"
        "摘要与链接均来自 arXiv。",
        "note_deep": "与全文",
        "figures": "点此查看论文截图",
        "pdf_failed": "未能使用论文全文，以下内容仅根据摘要生成。{reason}",
        "figures_failed": "未能提取论文截图：{reason}",
        "paper_failed": "未能总结这篇论文：{reason}",
        "et_al": "等（共 {count} 位作者）",
    },
}


def _text(lang: Language, key: str) -> str:
    return _POST_TEXT.get(lang.code, _POST_TEXT["en"])[key]


@dataclass
class DigestEntry:
    """One paper of the post: arXiv's metadata plus what the model wrote about it."""

    meta: PaperMeta
    summary: str = ""  # Summary + Key Takeaways, rendered (always)
    details: str = ""  # the structured summary from the full text, rendered (--deep)
    figures: list[str] = field(default_factory=list)  # image links relative to the post
    notes: list[str] = field(default_factory=list)  # one-line notes: what went wrong
    failed: bool = False  # the Summary itself could not be produced
    from_cache: bool = False

    @property
    def label(self) -> str:
        return f"{self.meta.arxiv_id}{self.meta.version or ''}"


def _title(meta: PaperMeta) -> str:
    return escape_html(one_line(meta.title)) or (meta.arxiv_id or "Untitled")


_YAML_PLAIN = re.compile(r"[^\s\-?:,\[\]{}#&*!|>'\"%@`][^\n]*")


def _yaml_scalar(text: str) -> str:
    """A YAML value: plain when that is unambiguous (as the seeds write it), else quoted."""
    text = one_line(text)
    if (
        _YAML_PLAIN.fullmatch(text)
        and ": " not in text
        and " #" not in text
        and not text.endswith(":")
        and text.lower() not in ("true", "false", "yes", "no", "null", "on", "off", "~")
        and not re.fullmatch(r"[\d.+\-eE:_ ]+", text)
    ):
        return text
    return json.dumps(text, ensure_ascii=False)


def _day_of(when: date | datetime) -> date:
    return when.date() if isinstance(when, datetime) else when


def render_front_matter(
    topic: str,
    when: date | datetime,
    entries: Sequence[DigestEntry],
    lang: Language,
    *,
    category: str | None = None,
) -> str:
    """The blog front matter in the seeds' style; the description names the newest paper."""
    day = _day_of(when)
    stamp = when.strftime("%Y-%m-%d %H:%M:%S") if isinstance(when, datetime) else str(when)
    topic = one_line(topic)
    if entries:
        description = _text(lang, "description").format(
            topic=topic, day=day, title=one_line(entries[0].meta.title)
        )
    else:
        description = _text(lang, "description_empty").format(topic=topic, day=day)
    tags = [topic] + ([category] if category else [])
    lines = [
        "---",
        f"title: {_yaml_scalar(topic)}",
        f"date: {stamp}",
        "categories: Paper",
        "tags:",
        *(f"    - {_yaml_scalar(tag)}" for tag in tags),
        f"description: {_yaml_scalar(description)}",
        f"keywords: {_yaml_scalar(topic)}",
        "---",
    ]
    return "\n".join(lines)


def _authors_line(meta: PaperMeta, lang: Language) -> str:
    names = [one_line(name) for name in meta.authors if one_line(name)]
    shown = ", ".join(names[:MAX_AUTHORS_SHOWN])
    if len(names) > MAX_AUTHORS_SHOWN:
        shown += " " + _text(lang, "et_al").format(count=len(names))
    label = lang.labels["authors"]
    return (
        f"**{label}：** {escape_html(shown)}"
        if lang.code == "zh"
        else (f"**{label}:** {escape_html(shown)}")
    )


def _figures_block(links: Sequence[str], lang: Language) -> str:
    images = "\n".join(
        f'<img src="{html.escape(link, quote=True)}" align="middle">' for link in links
    )
    return f"<details>\n  <summary>{_text(lang, 'figures')}</summary>\n{images}\n</details>"


def render_entry(entry: DigestEntry, lang: Language, *, heading: str | None = None) -> str:
    """One paper: ``## title``, authors, abstract, the real link with arXiv's comment, the
    Summary and Key Takeaways, notes, the structured summary and the figures."""
    meta = entry.meta
    parts = [f"## {heading or _title(meta)}"]
    if meta.authors:
        parts.append(_authors_line(meta, lang))
    abstract = one_line(meta.abstract)
    if abstract:
        parts.append(escape_html(abstract))
    link = f"[PDF]({meta.abs_url})" if meta.abs_url else ""
    comment = escape_html(one_line(meta.comment))
    if link or comment:
        parts.append(" ".join(p for p in (link, comment) if p))
    if entry.summary.strip():
        parts.append(entry.summary.strip())
    parts += [f"> ⚠️ {escape_html(one_line(note))}" for note in entry.notes]
    if entry.details.strip():
        parts.append(entry.details.strip())
    if entry.figures:
        parts.append(_figures_block(entry.figures, lang))
    return "\n\n".join(parts)


def render_post(
    topic: str,
    when: date | datetime,
    entries: Sequence[DigestEntry],
    lang: Language | str,
    *,
    category: str | None = None,
    note: str | None = None,
) -> str:
    """The whole post: front matter, a one-line note, the update heading, one entry per paper.

    Pure. A post with more entries starts with the post with fewer (same topic, date and
    note), so a caller can stream it by printing only what is new.
    """
    lang = lang if isinstance(lang, Language) else get_language(lang)
    day = _day_of(when)
    head = [render_front_matter(topic, when, entries, lang, category=category), ""]
    if note:
        head += [f"> {one_line(note)}", ""]
    head.append(f"# {_text(lang, 'update').format(day=day)}")
    blocks = ["\n".join(head)]
    seen: set[str] = set()
    for entry in entries:
        title = _title(entry.meta)
        key = title_key(title)
        if key in seen:  # two different papers with one title: the guard would see a repeat
            title = f"{title} (arXiv:{entry.meta.arxiv_id})"
        seen.add(title_key(title))
        blocks.append(render_entry(entry, lang, heading=title))
    return "\n\n\n".join(blocks) + "\n"


def post_body(post: str) -> str:
    """The post without its front matter (what a Markdown preview should show): the lines
    after the second ``---`` line, when the post opens with one."""
    lines = post.split("\n")
    if lines and lines[0] == "---" and "---" in lines[1:]:
        end = lines.index("---", 1)
        return "\n".join(lines[end + 1 :]).lstrip("\n")
    return post


_HEADING = re.compile(r"^(#{1,6})(\s)", re.MULTILINE)


def demote_headings(markdown: str, *, at_least: int = 3) -> str:
    """Push every heading down a level (and to ``###`` at least), so that a summary placed
    inside a ``## title`` entry never opens an entry of its own."""

    def lower(match: re.Match[str]) -> str:
        level = min(6, max(len(match.group(1)) + 1, at_least))
        return "#" * level + match.group(2)

    return _HEADING.sub(lower, markdown)


def render_details(
    paper: Paper, state: SummaryState, lang: Language, grounder: Grounder | None = None
) -> str:
    """The structured summary (basic information, overview, methods, conclusion) of one paper,
    as the app renders it, without the header and the tldr the entry already shows; with a
    ``grounder`` its page citations are checked and linked as in the app."""
    return demote_headings(render_document_details(paper, state, lang, grounder))


def render_summary(result: StageResult | None, lang: Language) -> str:
    """Summary and Key Takeaways as the tldr stage wrote them (with its warnings and error)."""
    return demote_headings(render_stage(result, lang))


def engine_note(engine: str, model: str, lang: Language, *, deep: bool, extractive: bool) -> str:
    """The one-line, neutral note before the first entry: who wrote the summaries, from what.
    An extractive engine wrote nothing: its note says the entries quote the papers."""
    if extractive:
        return lang.labels["offline_note"]
    deep_text = _text(lang, "note_deep") if deep else ""
    label = f"{engine}（{model}）" if lang.code == "zh" else f"{engine} ({model})"
    return _text(lang, "note").format(engine=label, deep=deep_text)
