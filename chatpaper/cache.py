"""A results cache on disk: the same paper with the same settings is not summarized twice.

The key is built from the paper's identity (arXiv ID and version, or the PDF's bytes) and the
settings that change the answer (engine, model, language, prompt version). API keys are never
part of the key or of what is stored.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
import threading
from pathlib import Path

from .pipeline import SummaryState

log = logging.getLogger(__name__)


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
    server: str = "",
    context_tokens: int = 0,
) -> str:
    """Everything that changes the answer: the same model name on another server, or with
    a smaller context (the paper is shortened more), is another answer."""
    material = json.dumps(
        [fingerprint, engine, model, language, prompt_version, list(stages), server, context_tokens],
        ensure_ascii=False,
    )
    return hashlib.sha256(material.encode()).hexdigest()[:32]


class ResultsCache:
    """One JSON file per key under ``folder``; writes are atomic, reads tolerate damage.

    Best-effort: a folder that cannot be read or written (read-only, missing under a read-only
    parent, a file in its place) is logged once and the summary is delivered as if there were
    no cache. A cache must never turn a good summary into a failure.
    """

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self._warned = False
        self._warn_lock = threading.Lock()

    def _warn_once(self, action: str, err: OSError) -> None:
        with self._warn_lock:
            if self._warned:
                return
            self._warned = True
        log.warning(
            "results cache %s cannot be %s (%s); summaries are not cached",
            self.folder,
            action,
            err.strerror or type(err).__name__,
        )

    def _path(self, key: str) -> Path:
        return self.folder / f"{key}.json"

    def get(self, key: str) -> SummaryState | None:
        try:
            data = json.loads(self._path(key).read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except OSError as err:
            self._warn_once("read", err)
            return None
        except ValueError:
            return None
        stages = data.get("stages")
        if not isinstance(stages, dict):
            return None
        return SummaryState.from_dict(stages)

    def put(self, key: str, state: SummaryState, **extra: object) -> None:
        """Store a finished summary; stages that failed are not cached (they should be retried)."""
        if state.errors or not state.complete:
            return
        payload = {"stages": state.to_dict(), **extra}
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.folder, suffix=".tmp")
        except OSError as err:
            self._warn_once("written", err)
            return
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(payload, handle, ensure_ascii=False)
            os.replace(tmp, self._path(key))
        except OSError as err:
            Path(tmp).unlink(missing_ok=True)
            self._warn_once("written", err)
