"""Settings read from the environment, in one place.

Everything tunable lives here so tests (and Space operators) change behaviour with
environment variables rather than code. API keys are read by ``resolve_gemini_key`` and
friends, never stored on the Settings object, so a Settings can be logged or cached safely.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_ARXIV_API_URL = "https://export.arxiv.org/api/query"
DEFAULT_ARXIV_PDF_URL = "https://arxiv.org/pdf/{id}"
DEFAULT_GEMINI_MODEL = "gemini-flash-latest"
PROMPTS_DIR_ENV = "CHATPAPER_PROMPTS_DIR"


def _env_float(name: str, default: float) -> float:
    try:
        return float(os.environ.get(name, default))
    except ValueError:
        return default


def _env_int(name: str, default: int) -> int:
    try:
        return int(os.environ.get(name, default))
    except ValueError:
        return default


def _default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "chatpaper"


@dataclass(frozen=True)
class Settings:
    """Non-secret settings. Build with ``Settings.from_env()``; override fields in tests."""

    arxiv_api_url: str = DEFAULT_ARXIV_API_URL
    arxiv_pdf_url: str = DEFAULT_ARXIV_PDF_URL
    arxiv_min_interval: float = 3.0  # seconds between two arXiv requests, process-wide
    arxiv_retries: int = 3
    http_timeout: float = 30.0  # seconds without a byte before a request gives up (read)
    arxiv_connect_timeout: float = 10.0  # seconds to connect to arXiv
    arxiv_deadline: float = 120.0  # seconds for one arXiv fetch in all (retries included)
    user_agent: str = "chatpaper/0.1 (+https://github.com/chatpaper/chatpaper)"

    max_pdf_bytes: int = 50 * 1024 * 1024
    max_pages: int = 300
    pdf_timeout: float = 120.0  # seconds of extraction work allowed per file
    max_figures: int = 4

    model: str = DEFAULT_GEMINI_MODEL
    engine: str | None = None  # None: gemini when a key is set, else offline
    stage_concurrency: int = 4
    max_retries: int = 3  # rate-limit / server-error retries per model call
    max_retry_wait: float = 90.0  # never wait longer than this for one retry
    first_token_timeout: float = 45.0  # seconds a model may take before its first text
    stage_deadline: float = 240.0  # seconds for one stage's answer, retries and waits included

    openai_base_url: str | None = None
    openai_model: str = "gpt-4o-mini"
    openai_context_tokens: int = 128_000
    openai_concurrency: int = 0  # requests in flight at one server; 0: the stage concurrency

    cache_dir: Path = field(default_factory=_default_cache_dir)
    cache_url: str | None = None  # fsspec URL of a shared results cache (s3://, gs://, ...)
    digest_concurrency: int = 4  # model calls in flight across a whole digest
    batch_poll_seconds: float = 10.0  # first wait between two looks at a Gemini batch job
    app_concurrency: int = 8
    app_queue_size: int = 64
    max_upload: str = "50mb"

    @classmethod
    def from_env(cls) -> Settings:
        env = os.environ
        return cls(
            arxiv_api_url=env.get("CHATPAPER_ARXIV_API_URL", DEFAULT_ARXIV_API_URL),
            arxiv_pdf_url=env.get("CHATPAPER_ARXIV_PDF_URL", DEFAULT_ARXIV_PDF_URL),
            arxiv_min_interval=_env_float("CHATPAPER_ARXIV_INTERVAL", 3.0),
            http_timeout=_env_float("CHATPAPER_HTTP_TIMEOUT", 30.0),
            arxiv_connect_timeout=_env_float("CHATPAPER_ARXIV_CONNECT_TIMEOUT", 10.0),
            arxiv_deadline=_env_float("CHATPAPER_ARXIV_DEADLINE", 120.0),
            max_pdf_bytes=int(_env_float("CHATPAPER_MAX_PDF_MB", 50) * 1024 * 1024),
            max_pages=_env_int("CHATPAPER_MAX_PAGES", 300),
            pdf_timeout=_env_float("CHATPAPER_PDF_TIMEOUT", 120.0),
            max_figures=_env_int("CHATPAPER_MAX_FIGURES", 4),
            model=env.get("CHATPAPER_MODEL", DEFAULT_GEMINI_MODEL),
            engine=env.get("CHATPAPER_ENGINE") or None,
            stage_concurrency=_env_int("CHATPAPER_STAGE_CONCURRENCY", 4),
            max_retries=_env_int("CHATPAPER_MAX_RETRIES", 3),
            max_retry_wait=_env_float("CHATPAPER_MAX_RETRY_WAIT", 90.0),
            first_token_timeout=_env_float("CHATPAPER_FIRST_TOKEN_TIMEOUT", 45.0),
            stage_deadline=_env_float("CHATPAPER_STAGE_DEADLINE", 240.0),
            openai_base_url=env.get("OPENAI_BASE_URL") or None,
            openai_model=env.get("CHATPAPER_OPENAI_MODEL", "gpt-4o-mini"),
            openai_context_tokens=_env_int("CHATPAPER_OPENAI_CONTEXT_TOKENS", 128_000),
            openai_concurrency=_env_int("CHATPAPER_OPENAI_CONCURRENCY", 0),
            cache_dir=Path(env["CHATPAPER_CACHE_DIR"])
            if env.get("CHATPAPER_CACHE_DIR")
            else _default_cache_dir(),
            cache_url=env.get("CHATPAPER_CACHE_URL") or None,
            digest_concurrency=_env_int("CHATPAPER_DIGEST_CONCURRENCY", 4),
            batch_poll_seconds=_env_float("CHATPAPER_BATCH_POLL", 10.0),
            app_concurrency=_env_int("CHATPAPER_CONCURRENCY", 8),
            app_queue_size=_env_int("CHATPAPER_QUEUE_SIZE", 64),
            max_upload=env.get("CHATPAPER_MAX_UPLOAD", "50mb"),
        )


def prompts_dir_from_env() -> Path | None:
    """A user's own copy of the prompts folder, if ``CHATPAPER_PROMPTS_DIR`` names one.

    Process-wide (like the bundled prompt files), so it is read where prompts load rather
    than carried on each request's Settings."""
    value = os.environ.get(PROMPTS_DIR_ENV, "").strip()
    return Path(value).expanduser() if value else None


def resolve_gemini_key(explicit: str | None = None) -> str | None:
    """The key a request should use: the visitor's own, else the server's environment.

    ``GOOGLE_API_KEY`` wins over ``GEMINI_API_KEY`` when both are set, as in google-genai.
    """
    if explicit and explicit.strip():
        return explicit.strip()
    for name in ("GOOGLE_API_KEY", "GEMINI_API_KEY"):
        value = os.environ.get(name, "").strip()
        if value:
            return value
    return None


def resolve_openai_key(explicit: str | None = None) -> str | None:
    if explicit and explicit.strip():
        return explicit.strip()
    return os.environ.get("OPENAI_API_KEY", "").strip() or None
