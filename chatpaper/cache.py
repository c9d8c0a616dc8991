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
from typing import TYPE_CHECKING, Any

from .pipeline import SummaryState

log = logging.getLogger(__name__)

if TYPE_CHECKING:
    from .config import Settings


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
    """One JSON file per key under ``folder``, which is a local path or any fsspec URL
    (``s3://bucket/chatpaper``, ``gs://...``, ``hf://datasets/user/name/cache``,
    ``memory://`` for tests), so app replicas and the daily job can share results.
    Writes are atomic (a local temp file renamed into place; one whole-object PUT on an
    object store); reads tolerate damage.

    Best-effort: a folder that cannot be read or written (read-only, missing under a read-only
    parent, a file in its place) is logged once and the summary is delivered as if there were
    no cache. A cache must never turn a good summary into a failure.
    """

    def __init__(self, folder: Path | str):
        self.url = str(folder)
        self.folder = Path(folder) if "://" not in self.url else None
        self._fs: Any = None
        self._root = ""
        self._warned = False
        self._warn_lock = threading.Lock()

    def _warn_once(self, action: str, err: OSError) -> None:
        with self._warn_lock:
            if self._warned:
                return
            self._warned = True
        log.warning(
            "results cache %s cannot be %s (%s); summaries are not cached",
            self.url,
            action,
            err.strerror or type(err).__name__,
        )

    def _storage(self) -> tuple[Any, str]:
        if self._fs is None:
            import fsspec

            self._fs, self._root = fsspec.core.url_to_fs(self.url)
        return self._fs, self._root

    def _path(self, key: str) -> str:
        _, root = self._storage()
        return f"{root.rstrip('/')}/{key}.json"

    def get(self, key: str) -> SummaryState | None:
        fs, _ = self._storage()
        try:
            data = json.loads(fs.cat_file(self._path(key)).decode("utf-8"))
        except FileNotFoundError:
            return None
        except OSError as err:
            self._warn_once("read", err)
            return None
        except ValueError:  # damaged: summarize again
            return None
        stages = data.get("stages") if isinstance(data, dict) else None
        if not isinstance(stages, dict):
            return None
        return SummaryState.from_dict(stages)

    def put(self, key: str, state: SummaryState, **extra: object) -> None:
        """Store a finished summary; stages that failed are not cached (they should be retried)."""
        if state.errors or not state.complete:
            return
        payload = {"stages": state.to_dict(), **extra}
        data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        fs, root = self._storage()
        try:
            if self.folder is not None or _is_local(fs):
                _replace_local(Path(root), f"{key}.json", data)
            else:  # an object store writes a whole object at once: readers never see half
                fs.makedirs(root, exist_ok=True)
                fs.pipe_file(self._path(key), data)
        except OSError as err:
            self._warn_once("written", err)
            return


def _is_local(fs: Any) -> bool:
    return "file" in (fs.protocol if isinstance(fs.protocol, tuple) else (fs.protocol,))


def _replace_local(folder: Path, name: str, data: bytes) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, folder / name)
    except OSError:
        Path(tmp).unlink(missing_ok=True)
        raise


def open_cache(settings: Settings) -> ResultsCache:
    """The shared cache at ``CHATPAPER_CACHE_URL`` when set, else the disk cache."""
    return ResultsCache(settings.cache_url or settings.cache_dir)
