"""OpenAI-compatible chat completions: OpenAI itself, or a local server (Ollama, llama.cpp,
vLLM, LM Studio) through ``OPENAI_BASE_URL``.

The official ``openai`` client does the HTTP; we do the retries ourselves (its own are turned
off) so that every wait is visible to the user as a status Notice and bounded by Settings.
The SDK is imported lazily: listing engines must not pay for it.
"""

from __future__ import annotations

import json
import logging
import os
import re
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from ..config import Settings, resolve_openai_key
from ..errors import (
    BackendError,
    BlockedError,
    InvalidKeyError,
    MissingKeyError,
    RateLimitError,
    StreamInterruptedError,
)
from ..prompts import fill
from ..retry import format_seconds, retry_after_seconds
from ..text import redact
from .base import EngineInfo, Notice, Piece, StageRequest, Usage, register

if TYPE_CHECKING:
    import openai

logger = logging.getLogger(__name__)

OFFICIAL_BASE_URL = "https://api.openai.com/v1"
DUMMY_KEY = "not-needed"  # local servers ignore the key, but the SDK insists on one
LENGTH_WARNING = (
    "The answer stopped early because it reached the length limit; what arrived is shown."
)
FILTER_WARNING = "The server stopped the answer with its content filter; what arrived is shown."


class OpenAICompatBackend:
    """One backend per request; it holds the key only for that request's lifetime."""

    name = "openai"
    extractive = False
    needs_key = False  # a local server (llama.cpp, Ollama, vLLM) takes none

    def __init__(
        self,
        settings: Settings,
        *,
        model: str,
        base_url: str | None,
        api_key: str,
        backoff_base: float = 1.0,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.settings = settings
        self.model = model
        self.base_url = base_url  # None: OpenAI's own API
        self.context_tokens = settings.openai_context_tokens
        self.backoff_base = backoff_base  # first wait when the server gives no Retry-After
        self._api_key = api_key
        self._sleep = sleep
        self._client: openai.OpenAI | None = None
        # Our own limit on requests in flight, and the switch to one at a time once the server
        # has cut an answer off (llama-cpp-python's server drops a stream for a new request).
        limit = settings.openai_concurrency
        self._slots = threading.BoundedSemaphore(limit) if limit > 0 else None
        self._one_at_a_time = threading.Lock()
        self._serial = False
        self._serial_lock = threading.Lock()  # guards the switch itself

    def __repr__(self) -> str:  # never show the key
        return f"OpenAICompatBackend(model={self.model!r}, base_url={self.where!r})"

    @property
    def where(self) -> str:
        """The server as we may show it: no credentials, no query string."""
        return display_url(self.base_url or OFFICIAL_BASE_URL)

    def _get_client(self) -> openai.OpenAI:
        # Kept on the backend so the connection pool outlives each stream we iterate.
        if self._client is None:
            import openai

            self._client = openai.OpenAI(
                api_key=self._api_key,
                base_url=self.base_url or OFFICIAL_BASE_URL,
                max_retries=0,  # ours are the only retries, and the user sees them
                # Local models can think a long while before the first token on a long prompt.
                timeout=openai.Timeout(
                    self.settings.http_timeout * 10, connect=self.settings.http_timeout
                ),
            )
        return self._client

    def stream(self, request: StageRequest) -> Iterator[Piece]:
        """Stream one answer; an answer cut off without a finish reason is asked to continue
        (at most ``max_retries`` times), its text kept."""
        written: list[str] = []
        retries = 0
        while True:
            try:
                with self._slot():
                    chunks = yield from self._open(request, "".join(written))
                    for piece in self._read(chunks, continuing=bool(written)):
                        if isinstance(piece, str):
                            written.append(piece)
                        yield piece
                return
            except (UnfinishedStreamError, EmptyUnfinishedError):
                if retries >= self.settings.max_retries:
                    raise
                retries += 1
                if self._go_serial():
                    yield Notice(
                        "status",
                        f"The server at {self.where} cut an answer off; from now on its requests "
                        "are sent one at a time.",
                    )
                yield Notice(
                    "status",
                    f"The answer from {self.where} stopped without finishing; asking it to "
                    f"continue (retry {retries} of {self.settings.max_retries})…",
                )

    @contextmanager
    def _slot(self) -> Iterator[None]:
        """Hold a request slot: our concurrency limit, and one at a time once serial."""
        if self._slots:
            self._slots.acquire()
        try:
            if self._serial:
                with self._one_at_a_time:
                    yield
            else:
                yield
        finally:
            if self._slots:
                self._slots.release()

    def _go_serial(self) -> bool:
        """Switch to one request at a time; True only for the call that switched."""
        with self._serial_lock:
            if self._serial:
                return False
            self._serial = True
            return True

    # --- opening the stream, with visible retries --------------------------------------
    def _create(self, request: StageRequest, partial: str, *, ask_usage: bool) -> Any:
        # OpenAI deprecated max_tokens (its reasoning models reject it); compatible servers
        # implement max_tokens and not always its successor.
        limit_field = "max_tokens" if self.base_url else "max_completion_tokens"
        extra: dict[str, Any] = {limit_field: request.max_output_tokens}
        if ask_usage:
            extra["stream_options"] = {"include_usage": True}
        return self._get_client().chat.completions.create(
            model=self.model,
            messages=_messages(request, partial),
            stream=True,
            **extra,
        )

    def _open(self, request: StageRequest, partial: str = "") -> Iterator[Piece]:
        """Start the completion, waiting out 429s and 5xx; returns the SDK's chunk stream."""
        import openai

        retries = 0
        ask_usage = True
        while True:
            try:
                return self._create(request, partial, ask_usage=ask_usage)
            except openai.APIStatusError as err:
                status = err.status_code
                if status == 400 and ask_usage and "stream_options" in _error_message(err):
                    ask_usage = False  # an older server that rejects the field: ask without
                    continue
                logger.info(
                    "%s answered HTTP %s: %s",
                    self.where,
                    status,
                    redact(_error_message(err), self._api_key),
                )
                if status in (401, 403):
                    # The body may quote part of the key ("Incorrect API key provided: sk-..."):
                    # never pass it on.
                    raise InvalidKeyError(
                        f"The server at {self.where} rejected the API key (HTTP {status}); "
                        "check OPENAI_API_KEY or the key you entered."
                    ) from None
                if status != 429 and status < 500:
                    raise BackendError(self._refusal(status, err)) from None
                if retries >= self.settings.max_retries:
                    raise self._gave_up(status, retries) from None
                wait = retry_after_seconds(err.response.headers)
                if wait is None:
                    wait = min(self.backoff_base * 2**retries, self.settings.max_retry_wait)
                if wait > self.settings.max_retry_wait:
                    too_long = RateLimitError if status == 429 else BackendError
                    raise too_long(
                        f"The server at {self.where} asks to wait {format_seconds(wait)} s, longer "
                        f"than the {format_seconds(self.settings.max_retry_wait)} s allowed; "
                        "try again later."
                    ) from None
            except openai.APITimeoutError:
                raise BackendError(
                    f"The server at {self.where} did not answer in time; check that it is "
                    "running and not overloaded, then try again."
                ) from None
            except openai.APIConnectionError:
                raise BackendError(
                    f"Could not connect to the model server at {self.where}; check that it is "
                    "running and that OPENAI_BASE_URL is right."
                ) from None
            retries += 1
            what = "Rate-limited" if status == 429 else f"Server error (HTTP {status})"
            yield Notice(
                "status",
                f"{what} at {self.where}; waiting {format_seconds(wait)} s before retry "
                f"{retries} of {self.settings.max_retries}…",
            )
            self._sleep(max(wait, 0.0))

    def _gave_up(self, status: int, retries: int) -> BackendError:
        if status == 429:
            return RateLimitError(
                f"The server at {self.where} is still rate-limiting after {retries} retries; "
                "wait a minute and try again."
            )
        return BackendError(
            f"The server at {self.where} kept failing (HTTP {status}) after {retries} retries; "
            "try again later."
        )

    def _refusal(self, status: int, err: openai.APIStatusError) -> str:
        detail = redact(_error_message(err), self._api_key).rstrip(". ")
        if status == 404:
            hint = f"check the model name '{self.model}' and the base URL"
        elif re.search(r"context|too long|too large|maximum|tokens", detail, re.IGNORECASE):
            hint = "the paper may be too long for this model: lower CHATPAPER_OPENAI_CONTEXT_TOKENS"
        else:
            hint = "check the model name and the server's settings, or use another engine"
        return f"The server at {self.where} refused the request (HTTP {status}: {detail}); {hint}."

    # --- reading the stream ---------------------------------------------------------------
    def _read(self, chunks: Any, *, continuing: bool = False) -> Iterator[Piece]:
        import openai

        finish: str | None = None
        usage: Usage | None = None
        wrote = False
        try:
            for chunk in chunks:
                if getattr(chunk, "usage", None):
                    usage = _usage(chunk.usage)
                if not chunk.choices:  # the usage-only chunk at the end
                    continue
                choice = chunk.choices[0]
                text = choice.delta.content if choice.delta else None
                if text:
                    wrote = True
                    yield text
                if choice.finish_reason:
                    finish = choice.finish_reason
        except (openai.OpenAIError, json.JSONDecodeError) as err:
            logger.info("stream from %s broke: %s", self.where, type(err).__name__)
            raise StreamInterruptedError(
                f"The answer from {self.where} stopped part-way (the connection broke); "
                "what arrived is shown, try again for the rest."
            ) from None
        finally:
            close = getattr(chunks, "close", None)
            if close:
                close()
        if finish is None:  # the body ended cleanly but the server never said it was done
            if not wrote and not continuing:
                raise EmptyUnfinishedError(
                    f"The server at {self.where} sent an empty answer; try again or use "
                    "another engine."
                )
            raise UnfinishedStreamError(
                f"The answer from {self.where} ended without finishing; what arrived is shown, "
                "try again for the rest."
            )
        if usage:
            yield usage
        if finish == "length":
            yield Notice("warning", LENGTH_WARNING)
        elif finish == "content_filter":
            if not wrote:
                raise BlockedError(
                    f"The server at {self.where} refused to answer this part (content filter)."
                )
            yield Notice("warning", FILTER_WARNING)
        elif not wrote and not continuing:
            yield Notice("warning", "The server returned an empty answer for this part.")


class UnfinishedStreamError(StreamInterruptedError):
    """The body ended cleanly but with no finish reason: the server dropped the answer."""


class EmptyUnfinishedError(BackendError):
    """Dropped before its first word (a cut, or a server that sends nothing): asked again."""


# --- pure helpers -------------------------------------------------------------------------


def _messages(request: StageRequest, partial: str) -> list[dict[str, str]]:
    """The chat for ``request``; with ``partial`` text, a request to continue after it."""
    messages = [
        {"role": "system", "content": request.system},
        {"role": "user", "content": request.prompt},
    ]
    if partial:
        messages += [
            {"role": "assistant", "content": partial},
            {"role": "user", "content": fill("continue")},
        ]
    return messages



def display_url(url: str) -> str:
    """``url`` without user:password and query string, safe to put in a message."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path.rstrip("/"), "", ""))


def _error_message(err: openai.APIStatusError) -> str:
    body = err.body
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict) and isinstance(inner.get("message"), str):
            return inner["message"]
        if isinstance(inner, str):
            return inner
    return err.response.reason_phrase or "no details"


def _usage(raw: Any) -> Usage:
    details = getattr(raw, "prompt_tokens_details", None)
    return Usage(
        input_tokens=getattr(raw, "prompt_tokens", 0) or 0,
        output_tokens=getattr(raw, "completion_tokens", 0) or 0,
        cached_tokens=(getattr(details, "cached_tokens", 0) or 0) if details else 0,
    )


def create_openai_backend(
    settings: Settings,
    *,
    model: str | None = None,
    api_key: str | None = None,
    base_url: str | None = None,
) -> OpenAICompatBackend:
    """Resolve server, key and model: explicit values, then Settings / the environment."""
    base_url = base_url or settings.openai_base_url or os.environ.get("OPENAI_BASE_URL") or None
    key = resolve_openai_key(api_key)
    if key is None:
        if not base_url:
            raise MissingKeyError(
                "No OpenAI API key is set; set OPENAI_API_KEY (a Space secret on HuggingFace), "
                "or set OPENAI_BASE_URL to a local server such as Ollama."
            )
        key = DUMMY_KEY
    return OpenAICompatBackend(
        settings, model=model or settings.openai_model, base_url=base_url, api_key=key
    )


register(
    EngineInfo(
        name="openai",
        label="OpenAI-compatible server",
        factory=create_openai_backend,
        is_available=lambda s, k: bool(s.openai_base_url or resolve_openai_key()),
        requirement="set OPENAI_BASE_URL (local server) or OPENAI_API_KEY",
    )
)
