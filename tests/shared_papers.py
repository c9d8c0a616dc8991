"""The two corpora of real papers beside the checkout, each PDF read once per test session.

- ``papers``: ten CS papers in ``../shared/papers`` with ``labels.json`` there;
- ``litqa``: thirty biology and medicine papers in ``../shared/litqa/pdfs`` (LitQA2), labelled
  by us in ``tests/data/litqa_labels.json`` (title, first author, method and conclusion
  headings as printed in each PDF, read off the PDF itself).

Tests that need a corpus skip with a reason when its folder is absent. Reading goes through
the app's own path (``reader.read_pdf_bytes``: the bounded worker, clean-up, sections), once
per PDF, and every test module shares the result.
"""

from __future__ import annotations

import json
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from chatpaper.config import Settings
from chatpaper.paper import Paper
from chatpaper.reader import read_pdf_bytes

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
CORPORA: dict[str, tuple[Path, Path]] = {  # name -> (folder of PDFs, labels file)
    "papers": (SHARED / "papers", SHARED / "papers" / "labels.json"),
    "litqa": (SHARED / "litqa" / "pdfs", REPO / "tests" / "data" / "litqa_labels.json"),
}

_READ: dict[Path, Paper | Exception] = {}


def labels(corpus: str) -> list[dict]:
    """The corpus's labels, or [] when its labels file is absent (tests then skip)."""
    path = CORPORA[corpus][1]
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else []


def folder_or_skip(corpus: str) -> Path:
    folder = CORPORA[corpus][0]
    if not folder.is_dir() or not any(folder.glob("*.pdf")):
        pytest.skip(f"the {corpus} corpus is not available ({folder} is absent)")
    return folder


def pdf_names(corpus: str) -> list[str]:
    """Every PDF of a corpus, labelled or not ([] when the folder is absent)."""
    folder = CORPORA[corpus][0]
    return sorted(p.name for p in folder.glob("*.pdf")) if folder.is_dir() else []


def _read(path: Path) -> Paper | Exception:
    try:
        return read_pdf_bytes(path.read_bytes(), source=str(path), settings=Settings())
    except Exception as err:  # reported by the test that asks for this paper
        return err


def read_paper(corpus: str, name: str) -> Paper:
    """One PDF of a corpus as the app reads it, once per session.

    The first request reads the whole corpus, several PDFs at a time (each in its own bounded
    worker process), since pypdf takes about a second a paper.
    """
    folder = folder_or_skip(corpus)
    path = folder / name
    if path not in _READ:
        if not path.is_file():
            pytest.skip(f"{name} is not in {folder}")
        missing = [folder / n for n in pdf_names(corpus) if folder / n not in _READ]
        with ThreadPoolExecutor(max_workers=max(2, min(4, os.cpu_count() or 2))) as pool:
            for each, result in zip(missing, pool.map(_read, missing), strict=True):
                _READ[each] = result
    result = _READ[path]
    if isinstance(result, Exception):
        raise result
    return result
