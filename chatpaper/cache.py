"""A results cache on disk: the same paper with the same settings is not summarized twice.

The key is built from the paper's identity (arXiv ID and version, or the PDF's bytes) and the
settings that change the answer (engine, model, language, prompt version). API keys are never
part of the key or of what is stored.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path

from .pipeline import SummaryState


def paper_fingerprint(
    *, arxiv_id: str | None = None, version: str | None = None, pdf_bytes: bytes | None = None
) -> str:
    if pdf_bytes is not None:
        return "sha256:" + hashlib.sha256(pdf_bytes).hexdigest()
    if arxiv_id:
        return f"arxiv:{arxiv_id}{version or ''}"
    raise ValueError("a paper needs an arXiv ID or its PDF bytes to be cached")


def cache_key(
    fingerprint: str,
    *,
    engine: str,
    model: str,
    language: str,
    prompt_version: str,
    stages: tuple[str, ...],
) -> str:
    material = json.dumps(
        [fingerprint, engine, model, language, prompt_version, list(stages)],
        ensure_ascii=False,
    )
    return hashlib.sha256(material.encode()).hexdigest()[:32]


class ResultsCache:
    """One JSON file per key under ``folder``; writes are atomic, reads tolerate damage."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)

    def _path(self, key: str) -> Path:
        return self.folder / f"{key}.json"

    def get(self, key: str) -> SummaryState | None:
        try:
            data = json.loads(self._path(key).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        stages = data.get("stages")
        if not isinstance(stages, dict):
            return None
        return SummaryState.from_dict(stages)

    def put(self, key: str, state: SummaryState, **extra: object) -> None:
        """Store a finished summary; stages that failed are not cached (they should be retried)."""
        if state.errors or not state.complete:
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        payload = {"stages": state.to_dict(), **extra}
        fd, tmp = tempfile.mkstemp(dir=self.folder, suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(payload, handle, ensure_ascii=False)
            os.replace(tmp, self._path(key))
        except OSError:
            Path(tmp).unlink(missing_ok=True)
