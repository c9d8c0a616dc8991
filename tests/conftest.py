"""Shared fixtures: where the real papers are, and settings that keep tests local and fast."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from chatpaper.config import Settings

REPO = Path(__file__).resolve().parents[1]
SHARED_PAPERS = REPO.parent / "shared" / "papers"
SHARED_SEEDS = REPO.parent / "shared" / "seeds"


def shared_papers_or_skip() -> Path:
    if not (SHARED_PAPERS / "labels.json").is_file():
        pytest.skip(f"the real papers are not available ({SHARED_PAPERS} is absent)")
    return SHARED_PAPERS


needs_real_papers = pytest.mark.skipif(
    not (SHARED_PAPERS / "labels.json").is_file(),
    reason=f"the real papers are not available ({SHARED_PAPERS} is absent)",
)


@pytest.fixture
def real_papers() -> Path:
    """The folder of real papers (labels.json and the PDFs); the test skips without it."""
    return shared_papers_or_skip()


def paper_labels() -> list[dict]:
    """labels.json entries, or [] when the folder is absent (tests then skip)."""
    path = SHARED_PAPERS / "labels.json"
    if not path.is_file():
        return []
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.fixture(autouse=True)
def _no_real_keys(monkeypatch):
    """No test may reach a real provider with a developer's key from the environment."""
    for name in (
        "GEMINI_API_KEY",
        "GOOGLE_API_KEY",
        "OPENAI_API_KEY",
        "OPENAI_BASE_URL",
        "GOOGLE_GEMINI_BASE_URL",
        "CHATPAPER_ENGINE",
        "CHATPAPER_MODEL",
    ):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def settings(tmp_path) -> Settings:
    """Settings for unit tests: a private cache folder, unreachable default endpoints."""
    return replace(
        Settings(),
        arxiv_api_url="http://127.0.0.1:9/api/query",
        arxiv_pdf_url="http://127.0.0.1:9/pdf/{id}",
        arxiv_min_interval=0.0,
        http_timeout=5.0,
        cache_dir=tmp_path / "cache",
        max_retry_wait=2.0,
    )


@pytest.fixture
def fake_gemini(monkeypatch):
    """A running FakeGemini that the real google-genai SDK reaches via GOOGLE_GEMINI_BASE_URL,
    with GEMINI_API_KEY set to FAKE_GEMINI_KEY."""
    from tests.fakes.gemini_server import serve_fake_gemini

    yield from serve_fake_gemini(monkeypatch)


@pytest.fixture(autouse=True)
def _engine_registry_restored():
    """A test may register an engine of its own; the next test never sees it."""
    from chatpaper.llm import base

    base.engines()  # the bundled engines register on first use: load them before the snapshot
    before = dict(base._REGISTRY)
    yield
    base._REGISTRY.clear()
    base._REGISTRY.update(before)


@pytest.fixture
def arxiv():
    """A running fake arXiv (API and PDFs on 127.0.0.1); add papers with ``add_paper``."""
    from tests.fakes.arxiv_server import FakeArxiv

    with FakeArxiv() as server:
        yield server


@pytest.fixture
def arxiv_env(arxiv, tmp_path, monkeypatch):
    """The fake arXiv reached through the environment (for the CLI), with a private cache."""
    monkeypatch.setenv("CHATPAPER_ARXIV_API_URL", arxiv.api_url)
    monkeypatch.setenv("CHATPAPER_ARXIV_PDF_URL", arxiv.pdf_url)
    monkeypatch.setenv("CHATPAPER_ARXIV_INTERVAL", "0")
    monkeypatch.setenv("CHATPAPER_CACHE_DIR", str(tmp_path / "cache"))
    return arxiv
