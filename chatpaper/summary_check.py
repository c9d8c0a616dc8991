"""``check FILE`` on a chatpaper summary: read it as the document we render, not as loose lines.

A summary has our own part headings ("## 6. Methods"); for each numbered part it should have, we
check that the part is there, that its numbered points start lines ("(2) ..." mid-sentence is no
part), and that the part itself is in the summary's language. The "⚠️" warnings the summary
already carries are defects too: the run that wrote it found them.
"""

from __future__ import annotations

import re

from . import guard
from .guard import Defect
from .i18n import LANGUAGES, Language
from .stages import STAGE_RECORDS

_WARNING_RE = re.compile(r"^\s*>\s*⚠️?\s*(.*)$")
_POINT_START_RE = re.compile(r"^\s*(?:[-*+•]\s+)?(?:\*\*)?\s*([(（]\d{1,2}[)）])")


def summary_language(text: str) -> Language | None:
    """The language whose part headings the document uses (two or more of them), if any."""
    lines = set(text.splitlines())
    for lang in LANGUAGES.values():
        headings = [r.heading(lang) for r in STAGE_RECORDS if r.heading(lang)]
        if sum(f"## {h}" in lines for h in headings) >= 2:
            return lang
    return None


def _sections(lines: list[str]) -> dict[str, tuple[int, list[str]]]:
    """'## heading' -> (its line number, the lines until the next '## ')."""
    out: dict[str, tuple[int, list[str]]] = {}
    current: list[str] | None = None
    for number, raw in enumerate(lines, start=1):
        if raw.startswith("## "):
            current = []
            out.setdefault(raw[3:].strip(), (number, current))
        elif current is not None:
            current.append(raw)
    return out


def check_summary(text: str, lang: Language) -> list[Defect]:
    """Defects of a summary document in ``lang``: the line checks of ``check_document`` plus
    its own warnings, its missing parts and points, and parts in another language."""
    lines = text.splitlines()
    defects = list(guard.check_document(text))
    for number, raw in enumerate(lines, start=1):
        if "⚠" in raw and (m := _WARNING_RE.match(raw)):
            defects.append(Defect("flagged", number, guard._shorten(m.group(1) or raw)))
    sections = _sections(lines)
    last = len(lines) or 1
    code = guard._language_code(lang.name)
    for record in STAGE_RECORDS:
        heading = record.heading(lang)
        if heading is None:
            continue
        if heading not in sections:
            defects.append(Defect("missing_part", last, f"missing: {heading}"))
            continue
        number, body = sections[heading]
        starts = {
            m.group(1).replace("（", "(").replace("）", ")")
            for raw in body
            if (m := _POINT_START_RE.match(raw))
        }
        for mark in record.required_marks:
            if mark not in starts:
                defects.append(Defect("missing_part", number, f"{heading}: missing {mark}"))
        part = "\n".join(raw for raw in body if not raw.lstrip().startswith(">"))
        reason = guard._wrong_language(part, code) if code and part.strip() else None
        if reason:
            defects.append(
                Defect("wrong_language", number, f"{heading}: expected {lang.name}: {reason}")
            )
    return guard._sorted(defects)
