"""Rank a day's candidates for a topic: BM25 over title and abstract (bm25s), with the
topic's must/exclude terms as filters and its favoured authors first.

Pure: metadata in, ranked metadata out. Ties keep arXiv's order (newest first).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from .paper import PaperMeta

_WORD = re.compile(r"\w{1,40}")  # bounded token length: linear on hostile input
AUTHOR_BONUS = 1.0  # added to a normalized score in [0, 1]: a favoured author ranks first


def _words(text: str) -> list[str]:
    return [w.casefold() for w in _WORD.findall(text or "")]


def _document(meta: PaperMeta) -> str:
    return f"{meta.title or ''}\n{meta.abstract or ''}"


def _mentions(words: list[str], term: str) -> bool:
    """Whether ``term`` (one or more words) appears as a run of whole words."""
    wanted = _words(term)
    if not wanted:
        return False
    size = len(wanted)
    return any(words[i : i + size] == wanted for i in range(len(words) - size + 1))


def _favoured(meta: PaperMeta, authors: Sequence[str]) -> bool:
    names = {" ".join(_words(name)) for name in meta.authors}
    return any(" ".join(_words(a)) in names for a in authors)


def rank_papers(
    metas: Sequence[PaperMeta],
    query: str,
    *,
    must: Sequence[str] = (),
    exclude: Sequence[str] = (),
    authors: Sequence[str] = (),
) -> list[PaperMeta]:
    """The candidates that pass the filters, best first."""
    kept: list[tuple[PaperMeta, list[str]]] = []
    for meta in metas:
        words = _words(_document(meta))
        if any(not _mentions(words, term) for term in must):
            continue
        if any(_mentions(words, term) for term in exclude):
            continue
        kept.append((meta, words))
    if not kept:
        return []
    query_words = _words(" ".join([query, *must]))
    scores = [0.0] * len(kept)
    if query_words:
        import bm25s

        retriever = bm25s.BM25()
        retriever.index([words for _, words in kept], show_progress=False)
        raw = retriever.get_scores(query_words)
        top = max(float(max(raw)), 1e-9)
        scores = [float(s) / top for s in raw]
    ranked = [
        (score + (AUTHOR_BONUS if _favoured(meta, authors) else 0.0), -position, meta)
        for position, ((meta, _), score) in enumerate(zip(kept, scores, strict=True))
    ]
    ranked.sort(key=lambda item: (item[0], item[1]), reverse=True)
    return [meta for _, _, meta in ranked]
