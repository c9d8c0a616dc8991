"""How far a digest is, as a record and as the sentence a researcher reads.

Papers are written several at once and finish in any order, so a paper's position in the
post ("[4/10]") says nothing about progress: the user saw it jump back and forth. What they
want is how many papers are done, which ones are being written now, and for how long the
digest has been running. ``DigestCount`` is that record; ``format_progress`` turns it into
the one line that the CLI (stderr) and the app's Digest tab both show.
"""

from __future__ import annotations

from dataclasses import dataclass

from .i18n import Language
from .text import one_line

MAX_TITLE_CHARS = 40  # a short title: enough to recognise the paper on one line
MAX_NAMED = 4  # papers named in the line; the rest are "+N more"

_TEXT = {
    "en": {
        "count": "{done} of {total} papers done",
        "failed": " ({failed} failed)",
        "elapsed": " in {elapsed}",
        "writing": " · writing: {titles}",
        "more": " +{count} more",
        "separator": "; ",
        "finished": "Digest ready: {total} papers in {elapsed}",
        "problems": "; {count} with a problem noted in its entry",
        "seconds": "{s} s",
        "minutes": "{m} min {s:02d} s",
        "hours": "{h} h {m:02d} min",
        "part_failed": "{part} failed: {reason}",
        "part_warning": "{part}: {reason}",
        "tldr": "the summary",
        "overview": "the overview",
        "methods": "the methods",
        "conclusion": "the conclusion",
        "part": "a part",
    },
    "zh": {
        "count": "已完成 {done}/{total} 篇",
        "failed": "（{failed} 篇失败）",
        "elapsed": "，用时 {elapsed}",
        "writing": " · 正在撰写：{titles}",
        "more": " 等另外 {count} 篇",
        "separator": "；",
        "finished": "摘要合集已完成：共 {total} 篇，用时 {elapsed}",
        "problems": "；其中 {count} 篇的条目注明了问题",
        "seconds": "{s} 秒",
        "minutes": "{m} 分 {s:02d} 秒",
        "hours": "{h} 小时 {m:02d} 分",
        "part_failed": "{part}未能生成：{reason}",
        "part_warning": "{part}：{reason}",
        "tldr": "摘要",
        "overview": "总结",
        "methods": "方法",
        "conclusion": "结论",
        "part": "某一部分",
    },
}


@dataclass(frozen=True)
class DigestCount:
    """Where a digest stands: papers finished (failures included), the papers being
    written now (short titles, in the order they started), failures, seconds since the
    digest began."""

    done: int
    total: int
    in_flight: tuple[str, ...] = ()
    failed: int = 0
    elapsed: float = 0.0


def _text(lang: Language, key: str) -> str:
    return _TEXT.get(lang.code, _TEXT["en"])[key]


def short_title(title: str | None, fallback: str = "") -> str:
    """A title a researcher recognises on one line: the name before the colon when the
    title has one ("ViCA-NeRF: View-Consistency-Aware ..." -> "ViCA-NeRF"), else the
    start of the title cut at a word, at most MAX_TITLE_CHARS characters."""
    text = one_line((title or "")[: MAX_TITLE_CHARS * 20]) or fallback
    name, colon, _ = text.partition(": ")
    if colon and 2 <= len(name) <= MAX_TITLE_CHARS and len(name.split()) <= 5:
        return name
    if len(text) <= MAX_TITLE_CHARS:
        return text
    cut = text[:MAX_TITLE_CHARS]  # one more than is kept: is the last kept word whole?
    if " " in cut[MAX_TITLE_CHARS // 2 :]:
        cut = cut.rsplit(" ", 1)[0]
    cut = cut[: MAX_TITLE_CHARS - 1]
    return cut.rstrip(" ,;:-") + "…"


def format_elapsed(seconds: float, lang: Language) -> str:
    """``42 s``, ``2 min 05 s``, ``1 h 02 min`` (or the Chinese words)."""
    whole = max(0, int(seconds))
    if whole < 60:
        return _text(lang, "seconds").format(s=whole)
    if whole < 3600:
        return _text(lang, "minutes").format(m=whole // 60, s=whole % 60)
    return _text(lang, "hours").format(h=whole // 3600, m=whole % 3600 // 60)


def about_paper(title: str, text: str) -> str:
    """A line about one paper, named by its short title: "ViCA-NeRF: retrying in 2 s…"."""
    return f"{title}: {text}"


def part_problem(stage: str | None, reason: str, lang: Language, *, failed: bool) -> str:
    """A stage's problem in the reader's words, not ours: "the summary failed: <reason>"."""
    table = _TEXT.get(lang.code, _TEXT["en"])
    part = table.get(stage or "part", table["part"])
    key = "part_failed" if failed else "part_warning"
    return table[key].format(part=part, reason=reason)


def format_progress(count: DigestCount, lang: Language) -> str:
    """The line both screens show: "3 of 10 papers done (1 failed) in 42 s · writing: A; B"."""
    line = _text(lang, "count").format(done=count.done, total=count.total)
    if count.failed:
        line += _text(lang, "failed").format(failed=count.failed)
    line += _text(lang, "elapsed").format(elapsed=format_elapsed(count.elapsed, lang))
    if count.in_flight:
        named = _text(lang, "separator").join(count.in_flight[:MAX_NAMED])
        rest = len(count.in_flight) - MAX_NAMED
        if rest > 0:
            named += _text(lang, "more").format(count=rest)
        line += _text(lang, "writing").format(titles=named)
    return line


def format_finished(count: DigestCount, problems: int, lang: Language) -> str:
    """The last line: how many papers, how long, how many entries carry a note."""
    line = _text(lang, "finished").format(
        total=count.total, elapsed=format_elapsed(count.elapsed, lang)
    )
    if count.failed:
        line += _text(lang, "failed").format(failed=count.failed)
    if problems > count.failed:
        line += _text(lang, "problems").format(count=problems)
    return line + ("。" if lang.code == "zh" else ".")
