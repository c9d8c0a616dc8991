"""Which repository links belong to the paper itself.

A paper links many repositories: its own ("Code and demo available at ..."), and the tools it
used or builds on (a PDF parser, huggingface/datasets, a Notion exporter). Under "Code" we show
only the ones the paper presents as its own: the sentence before the link says so ("our code",
"is available at", "we release"), or the repository is named after the paper's system
("S2ORC: ..." and github.com/allenai/s2orc). Pure functions over the paper's text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

CONTEXT_CHARS = 160  # how far before a link its introducing phrase is looked for

_OWN = (
    "our code",
    "our implementation",
    "our data",
    "our model",
    "our repository",
    "our project",
    "code is available",
    "code are available",
    "code and",
    "is available at",
    "are available at",
    "available at",
    "is released",
    "are released",
    "we release",
    "we make",
    "we open-source",
    "we open source",
    "open-sourced",
    "can be found at",
    "publicly available",
    "project page",
    "repository has been built",
    "our github",
    "is available on github",
    "code:",
    "code at",
    "data and model",
)
_THEIRS = (
    "based on",
    "built on",
    "built upon",
    "we use",
    "we used",
    "using",
    "provided by",
    "implementation of",
    "implementations of",
    "library",
    "toolkit from",
    "adapted from",
    "taken from",
    "borrowed from",
    "following",
    "see also",
    "developed by",
)
_SENTENCE_END = re.compile(r"[.!?]\s+(?=[A-Z0-9])")


def _normal(text: str) -> str:
    return "".join(ch for ch in text.lower() if ch.isalnum())


def system_names(title: str) -> set[str]:
    """The names a paper gives its own system: "PaSa: An LLM Agent ..." -> {"pasa"}."""
    names: set[str] = set()
    head = title.split(":", 1)[0] if ":" in title else ""
    if head and len(head.split()) <= 3:
        names.add(_normal(head))
    for word in title.replace(":", " ").split():  # CamelCase or all-caps coinages
        core = word.strip(",.()")
        pieces = [piece for piece in core.split("-") if piece]
        if len(core) >= 4 and any(
            (len(piece) >= 3 and piece.isupper()) or any(c.isupper() for c in piece[1:])
            for piece in pieces
        ):
            names.add(_normal(core))
    return {n for n in names if len(n) >= 3}


def _repo_parts(url: str) -> tuple[str, str] | None:
    """(owner, name) of a repository URL; None for a bare owner page or a partial link."""
    path = url.split("://", 1)[-1].split("/", 1)[-1]
    parts = [p for p in path.split("/") if p]
    if len(parts) < 2:
        return None
    return parts[0], parts[1].removesuffix(".git")


def _introduction(text: str, position: int) -> str:
    """The words just before a link, from the start of its sentence (lower case)."""
    before = text[max(0, position - CONTEXT_CHARS) : position]
    starts = [m.end() for m in _SENTENCE_END.finditer(before)]
    return " ".join(before[starts[-1] if starts else 0 :].lower().split())


def is_own_repository(url: str, introduction: str, names: Iterable[str]) -> bool:
    parts = _repo_parts(url)
    if parts is None:
        return False
    owner, name = (_normal(p) for p in parts)
    if any(n and (n in (owner, name)) for n in names):
        return True
    if any(cue in introduction for cue in _THEIRS):
        return False
    return any(cue in introduction for cue in _OWN)


def without_footnote_mark(url: str, names: Iterable[str]) -> str:
    """``github.com/allenai/papermage1`` -> ``github.com/allenai/papermage`` when the paper's
    system is "PaperMage": pypdf glues a footnote's number to the link it follows."""
    parts = _repo_parts(url)
    if parts is None:
        return url
    name = parts[1]
    bare = name.rstrip("0123456789")
    if bare != name and url.endswith(name) and _normal(bare) in set(names):
        return url[: len(url) - len(name)] + bare
    return url


def own_code_links(text: str, urls: Iterable[str], title: str) -> list[str]:
    """The repository links in ``urls`` that ``text`` presents as the paper's own, in order."""
    names = system_names(title)
    own: list[str] = []
    for url in urls:
        position = text.find(url)
        introduction = _introduction(text, position) if position >= 0 else ""
        shown = without_footnote_mark(url, names)
        if "://" not in shown:
            shown = "https://" + shown
        shown = shown.rstrip("/")
        if is_own_repository(shown, introduction, names) and shown not in own:
            own.append(shown)
    return own
