"""Google Gemini through the official ``google-genai`` SDK.

The SDK retries nothing by default and we keep it that way: we retry ourselves, because Gemini
says how long to wait (``RetryInfo.retryDelay`` on a 429, which the SDK's retry option ignores)
and the user should see every wait as a status Notice.
Retries happen only before the first text arrives, so an answer is never duplicated.

The SDK is imported lazily (it takes most of a second): listing engines must not pay for it.
The SDK's own ``GOOGLE_GEMINI_BASE_URL`` (a local fake, a proxy) and ``GOOGLE_GENAI_API_VERSION``
are honoured because we never pass a base URL or, when that variable is set, an API version.
"""

from __future__ import annotations

import hashlib
import importlib
import logging
import os
import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..config import DEFAULT_GEMINI_MODEL, Settings, resolve_gemini_key
from ..errors import (
    BackendError,
    BlockedError,
    InvalidKeyError,
    MissingKeyError,
    RateLimitError,
    StreamInterruptedError,
)
from ..retry import format_seconds
from ..text import redact
from .base import EngineInfo, Notice, Piece, StageRequest, Usage, register

if TYPE_CHECKING:
    from google import genai
    from google.genai import types

logger = logging.getLogger(__name__)

GEMINI_INPUT_LIMIT = 1_048_576  # tokens, for every current Gemini model
ESTIMATE_MARGIN = 48_576  # our token counts are estimates: stay this far below the hard limit
GEMINI_CONTEXT_TOKENS = GEMINI_INPUT_LIMIT - ESTIMATE_MARGIN  # 1,000,000
DEFAULT_API_VERSION = "v1beta"  # the version every REST example in Google's docs uses
LEGACY_TEMPERATURE = 0.2  # Gemini 1.x/2.x: low for faithful summaries
LEGACY_THINKING_BUDGET = 512  # tokens; valid for 2.5 Pro (>=128), Flash (>=0), Flash-Lite (>=512)
THINKING_LEVEL = "LOW"  # Gemini 3+: supported by every Flash and Pro model; fast first token
# Thought tokens count against maxOutputTokens: without room for them, a long think leaves the
# visible answer cut short (finishReason MAX_TOKENS) or empty. Added to the request's limit.
THINKING_HEADROOM = 8192
GEMINI_OUTPUT_LIMIT = 65_536

MISSING_KEY_MESSAGE = (
    "No Gemini API key is set; paste a key in the API key field, or set GEMINI_API_KEY "
    "(as a Space secret on HuggingFace)."
)
INVALID_KEY_MESSAGE = (
    "Gemini rejected the API key; paste a valid key in the API key field, or set "
    "GEMINI_API_KEY (as a Space secret on HuggingFace) to a key from aistudio.google.com."
)
INTERRUPTED_MESSAGE = (
    "The connection to Gemini dropped part-way through the answer; the text so far is kept. "
    "Try again for the rest."
)

# finishReason -> why the answer stopped, in words a reader understands.
_FINISH_REASONS = {
    "MAX_TOKENS": "it reached the length limit for one answer",
    "SAFETY": "Gemini's safety filter stopped it",
    "RECITATION": "Gemini stopped to avoid reciting copyrighted text",
    "PROHIBITED_CONTENT": "Gemini flagged the content as prohibited",
    "BLOCKLIST": "it contained a term on Gemini's blocklist",
    "SPII": "it contained sensitive personal information",
    "LANGUAGE": "Gemini does not support the requested language",
    "MALFORMED_RESPONSE": "Gemini produced a malformed response",
}
_NORMAL_FINISH = {"STOP", "FINISH_REASON_UNSPECIFIED", "CONTINUATION", ""}
# An answer stopped for one of these before any text arrived is a refusal, not a short answer.
_REFUSALS = {"SAFETY", "RECITATION", "PROHIBITED_CONTENT", "BLOCKLIST", "SPII", "IMAGE_SAFETY"}


# --- pure helpers ---------------------------------------------------------------------------
@dataclass(frozen=True)
class GenerationPlan:
    """Sampling and thinking settings that suit one model family."""

    temperature: float | None  # None: the model's default
    thinking_level: str | None = None
    thinking_budget: int | None = None
    thinking_headroom: int = 0  # output tokens to add for thoughts

    def output_limit(self, answer_tokens: int) -> int:
        """maxOutputTokens that leaves ``answer_tokens`` for the visible answer."""
        return min(answer_tokens + self.thinking_headroom, GEMINI_OUTPUT_LIMIT)


def generation_plan(model: str) -> GenerationPlan:
    """Low thinking for a fast first token, in the form each model family accepts.

    Gemini 3 and later (and the ``-latest`` aliases, which follow them) take ``thinking_level``
    and, per Google's guidance, should keep their default temperature of 1.0: lower values can
    make them loop. Gemini 1.x/2.x take a ``thinking_budget`` and benefit from a low
    temperature. Other models (Gemma, tuned models) get no thinking settings at all.
    """
    name = model.strip().lower().removeprefix("models/")
    if re.match(r"gemini-[12](\.|-|$)", name):
        return GenerationPlan(
            LEGACY_TEMPERATURE,
            thinking_budget=LEGACY_THINKING_BUDGET,
            thinking_headroom=LEGACY_THINKING_BUDGET,
        )
    if name.startswith("gemini"):
        return GenerationPlan(
            None, thinking_level=THINKING_LEVEL, thinking_headroom=THINKING_HEADROOM
        )
    return GenerationPlan(LEGACY_TEMPERATURE)


def parse_duration(text: str) -> float | None:
    """Seconds in a protobuf Duration string such as "26s" or "0.250s"; None if malformed."""
    found = re.fullmatch(r"\s*(\d+(?:\.\d*)?|\.\d+)\s*s\s*", text or "")
    return float(found.group(1)) if found else None


def _error_body(details: Any) -> dict[str, Any]:
    if isinstance(details, list) and details:
        details = details[0]
    if not isinstance(details, dict):
        return {}
    inner = details.get("error", details)
    return inner if isinstance(inner, dict) else {}


def _detail_entries(details: Any) -> list[dict[str, Any]]:
    entries = _error_body(details).get("details") or []
    return [e for e in entries if isinstance(e, dict)]


def retry_delay_seconds(details: Any, message: str | None = None) -> float | None:
    """How long Gemini asked us to wait: ``RetryInfo.retryDelay``, else "retry in 26s" in the
    message; None when it did not say."""
    for entry in _detail_entries(details):
        if str(entry.get("@type", "")).endswith("google.rpc.RetryInfo"):
            delay = parse_duration(str(entry.get("retryDelay", "")))
            if delay is not None:
                return delay
    found = re.search(r"retry in (\d+(?:\.\d+)?)\s*s", message or "", re.IGNORECASE)
    return float(found.group(1)) if found else None


def is_daily_quota(details: Any) -> bool:
    """Whether a 429 is about a per-day quota, which no short wait can cure."""
    for entry in _detail_entries(details):
        for violation in entry.get("violations") or []:
            if (
                isinstance(violation, dict)
                and "perday" in str(violation.get("quotaId", "")).lower()
            ):
                return True
    return False


def classify_api_error(code: int | None, status: str | None, message: str, details: Any) -> str:
    """What an APIError means for us: one of "rate_limit", "daily_quota", "server",
    "invalid_key", "not_found", "thinking_unsupported", "bad_request"."""
    reasons = {str(e.get("reason", "")) for e in _detail_entries(details)}
    text = (message or "").lower()
    if code == 429:
        return "daily_quota" if is_daily_quota(details) else "rate_limit"
    if code in (408, 500, 502, 503, 504) or (code or 0) >= 500:
        return "server"
    if code in (401, 403) or "API_KEY_INVALID" in reasons or "api key not valid" in text:
        return "invalid_key"
    if status == "UNAUTHENTICATED" or status == "PERMISSION_DENIED":
        return "invalid_key"
    if code == 404:
        return "not_found"
    if code == 400 and "thinking" in text:
        return "thinking_unsupported"
    return "bad_request"


def finish_warning(reason: str | None) -> str | None:
    """The warning to keep with an answer that stopped for ``reason``; None if it finished."""
    if reason is None or reason in _NORMAL_FINISH:
        return None
    why = _FINISH_REASONS.get(reason, f"Gemini ended it early (reason: {reason})")
    return f"The answer stopped early because {why}; what arrived is shown."


def _enum_text(value: Any) -> str | None:
    if value is None:
        return None
    return str(getattr(value, "value", value))


# --- transport errors (httpx2 by default in google-genai 3.x, httpx when configured) --------
def _transport_errors() -> tuple[tuple[type[BaseException], ...], tuple[type[BaseException], ...]]:
    """(every request error, the ones that mean we never reached the server)."""
    every: list[type[BaseException]] = []
    connect: list[type[BaseException]] = []
    for module_name in ("httpx2", "httpx"):
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            continue
        every.append(module.RequestError)
        connect.extend([module.ConnectError, module.ConnectTimeout])
    from google.genai.errors import UnknownApiResponseError  # a truncated/garbled event

    every.append(UnknownApiResponseError)
    return tuple(every), tuple(connect)


def _short_reason(err: BaseException, key: str | None) -> str:
    text = re.sub(r"\[Errno -?\d+\]\s*", "", str(err)) or type(err).__name__
    return redact(text, key).rstrip(".")


# --- reading one stream -----------------------------------------------------------------------
@dataclass
class _Attempt:
    """What one request's stream delivered so far."""

    wrote: bool = False  # some text reached the caller: never retry after that
    finish: str | None = None
    usage: Any = None  # the latest usage_metadata


def _read(chunks: Iterator[Any], attempt: _Attempt) -> Iterator[str]:
    """Yield the visible text of each chunk, noting finish reason and usage on ``attempt``."""
    try:
        for chunk in chunks:
            feedback = chunk.prompt_feedback
            if feedback is not None and feedback.block_reason:
                raise BlockedError(
                    "Gemini refused to process this paper (block reason: "
                    f"{_enum_text(feedback.block_reason)}); try another engine."
                )
            if chunk.usage_metadata is not None:
                attempt.usage = chunk.usage_metadata
            if chunk.candidates and chunk.candidates[0].finish_reason:
                attempt.finish = _enum_text(chunk.candidates[0].finish_reason)
            text = chunk.text  # leaves out thought parts
            if text:
                attempt.wrote = True
                yield text
    finally:
        close = getattr(chunks, "close", None)
        if close is not None:
            close()


# --- the backend ----------------------------------------------------------------------------
class GeminiBackend:
    """Streams one stage from Gemini. Build one per request: it holds that request's key."""

    name = "gemini"
    extractive = False
    needs_key = True

    def __init__(
        self,
        settings: Settings,
        *,
        model: str = DEFAULT_GEMINI_MODEL,
        api_key: str | None,
        backoff_base: float = 1.0,
        request_timeout: float | None = None,
        sleep: Callable[[float], None] = time.sleep,
        shared_client: bool = False,
    ):
        self.settings = settings
        self.model = model
        self.context_tokens = GEMINI_CONTEXT_TOKENS
        self.backoff_base = backoff_base  # first wait after a 5xx or a 429 without retryDelay
        # One limit for connecting and for each read; generous because a long paper can take
        # a while before the first token. The SDK also sends it to Gemini as X-Server-Timeout.
        self.request_timeout = request_timeout or max(settings.http_timeout * 10, 60.0)
        self._api_key = api_key
        self._sleep = sleep
        self._client: genai.Client | None = None
        self._client_lock = threading.Lock()
        # The server's own key (from the environment) may reuse one SDK client across requests;
        # a visitor's key always gets a client of its own that ends with the request.
        self._shared_client = shared_client

    def __repr__(self) -> str:  # never show the key
        return f"GeminiBackend(model={self.model!r})"

    def _get_client(self) -> genai.Client:
        """The SDK client, built on first use and kept on the backend: a Client that goes out
        of scope closes its connections, which would break a stream still being read."""
        with self._client_lock:
            if self._client is None:
                self._client = (
                    _shared_client(self._api_key, self.request_timeout)
                    if self._shared_client
                    else _new_client(self._api_key, self.request_timeout)
                )
            return self._client

    def _config(self, request: StageRequest, *, thinking: bool) -> types.GenerateContentConfig:
        from google.genai import types

        plan = generation_plan(self.model)
        thinking_config = None
        if thinking and (plan.thinking_level or plan.thinking_budget is not None):
            thinking_config = types.ThinkingConfig(
                thinking_level=plan.thinking_level, thinking_budget=plan.thinking_budget
            )
        return types.GenerateContentConfig(
            system_instruction=request.system or None,
            temperature=plan.temperature,
            max_output_tokens=plan.output_limit(request.max_output_tokens),
            thinking_config=thinking_config,
            automatic_function_calling=types.AutomaticFunctionCallingConfig(disable=True),
        )

    def stream(self, request: StageRequest) -> Iterator[Piece]:
        if not self._api_key:
            raise MissingKeyError(MISSING_KEY_MESSAGE)
        from google.genai import errors as genai_errors

        every_transport, connect_errors = _transport_errors()
        client = self._get_client()  # a local reference too, for the whole iteration
        retries = 0
        thinking = True
        while True:
            attempt = _Attempt()
            try:
                chunks = client.models.generate_content_stream(
                    model=self.model,
                    contents=request.prompt,
                    config=self._config(request, thinking=thinking),
                )
                yield from _read(chunks, attempt)
            except genai_errors.APIError as err:
                if attempt.wrote:  # an error event after some text
                    logger.info("Gemini error mid-stream: HTTP %s %s", err.code, err.status)
                    raise StreamInterruptedError(INTERRUPTED_MESSAGE) from None
                kind = classify_api_error(err.code, err.status, err.message or "", err.details)
                logger.info(
                    "Gemini answered HTTP %s %s (%s): %s",
                    err.code,
                    err.status,
                    kind,
                    redact(err.message or "", self._api_key),
                )
                if kind == "thinking_unsupported" and thinking:
                    thinking = False  # this model rejects our thinking settings: ask without
                    continue
                if kind not in ("rate_limit", "server"):
                    raise self._refusal(kind, err) from None
                delay = None
                if kind == "rate_limit":
                    delay = retry_delay_seconds(err.details, err.message)
                wait = delay if delay is not None else self.backoff_base * 2**retries
                failure: tuple[str, Any] = (kind, err.code)
            except every_transport as err:
                if attempt.wrote:
                    logger.info("Gemini stream dropped: %s", type(err).__name__)
                    raise StreamInterruptedError(INTERRUPTED_MESSAGE) from None
                reason = _short_reason(err, self._api_key)
                logger.info("Gemini transport error: %s", reason)
                wait = self.backoff_base * 2**retries
                failure = ("unreachable" if isinstance(err, connect_errors) else "dropped", reason)
            else:
                yield from self._ending(attempt)
                return
            # Nothing was shown yet, so asking again cannot duplicate text.
            if retries >= self.settings.max_retries:
                raise self._gave_up(failure, retries) from None
            wait = max(0.0, min(wait, self.settings.max_retry_wait))
            retries += 1
            yield Notice("status", self._waiting(failure[0], failure[1], wait, retries))
            self._sleep(wait)

    # --- messages -------------------------------------------------------------------------
    def _ending(self, attempt: _Attempt) -> Iterator[Piece]:
        finish, usage, wrote = attempt.finish, attempt.usage, attempt.wrote
        if finish is None:  # the body ended cleanly, but Gemini never said it was done
            if wrote:
                raise StreamInterruptedError(INTERRUPTED_MESSAGE)
            raise BackendError("Gemini sent an empty answer; try again or use another engine.")
        if not wrote and finish in _REFUSALS:
            raise BlockedError(
                f"Gemini refused to answer this part (finish reason: {finish}); try another engine."
            )
        warning = finish_warning(finish)
        if warning:
            yield Notice("warning", warning)
        elif not wrote:
            yield Notice("warning", "Gemini returned an empty answer for this part.")
        if usage is not None:
            yield Usage(
                input_tokens=usage.prompt_token_count or 0,
                output_tokens=usage.candidates_token_count or 0,
                cached_tokens=usage.cached_content_token_count or 0,
            )

    def _waiting(self, kind: str, detail: Any, wait: float, attempt: int) -> str:
        of = f"attempt {attempt} of {self.settings.max_retries}"
        if kind == "rate_limit":
            return f"Gemini rate limit reached; waiting {format_seconds(wait)} s before retrying ({of})…"
        if kind == "server":
            return f"Gemini is busy (HTTP {detail}); retrying in {format_seconds(wait)} s ({of})…"
        if kind == "unreachable":
            return f"Could not reach Gemini; retrying in {format_seconds(wait)} s ({of})…"
        return f"The connection to Gemini dropped; retrying in {format_seconds(wait)} s ({of})…"

    def _gave_up(self, failure: tuple[str, Any], retries: int) -> BackendError:
        kind, detail = failure
        if kind == "rate_limit":
            return RateLimitError(
                f"Gemini's rate limit is still exceeded after {retries} retries; wait a minute "
                "or use a key with a higher quota."
            )
        if kind == "server":
            return BackendError(
                f"Gemini kept failing (HTTP {detail}) after {retries} retries; try again in a "
                "few minutes or use another engine."
            )
        if kind == "unreachable":
            return BackendError(
                f"Could not reach Gemini ({detail}); check the network or GOOGLE_GEMINI_BASE_URL."
            )
        return BackendError(
            f"The connection to Gemini kept dropping before the answer started ({detail}); "
            "check the network and try again."
        )

    def _refusal(self, kind: str, err: Any) -> BackendError:
        if kind == "invalid_key":
            return InvalidKeyError(INVALID_KEY_MESSAGE)
        if kind == "daily_quota":
            return RateLimitError(
                "The daily Gemini quota for this key is used up; try again tomorrow or use a key "
                "with a higher quota."
            )
        if kind == "not_found":
            return BackendError(
                f"Gemini has no model called '{self.model}' that can write text; choose another "
                f"model such as {DEFAULT_GEMINI_MODEL}."
            )
        detail = redact(err.message or str(err.status or ""), self._api_key).rstrip(".")
        return BackendError(
            f"Gemini refused the request (HTTP {err.code}: {detail}); try another engine."
        )


def _new_client(api_key: str | None, timeout: float) -> genai.Client:
    from google import genai
    from google.genai import types

    options: dict[str, Any] = {"timeout": int(timeout * 1000)}
    if not os.environ.get("GOOGLE_GENAI_API_VERSION"):
        options["api_version"] = DEFAULT_API_VERSION
    # No base_url here: the SDK then reads GOOGLE_GEMINI_BASE_URL itself.
    return genai.Client(api_key=api_key, http_options=types.HttpOptions(**options))


_SHARED_CLIENTS: dict[tuple[str, ...], genai.Client] = {}
_SHARED_LOCK = threading.Lock()


def _shared_client(api_key: str | None, timeout: float) -> genai.Client:
    """One SDK client per (server key, endpoint) for the whole process: building a client
    costs tens of milliseconds of CPU (two SSL contexts) per request otherwise. Keyed by a
    hash, so the key itself is not kept here beyond what the environment already holds."""
    identity = (
        hashlib.sha256((api_key or "").encode()).hexdigest(),
        os.environ.get("GOOGLE_GEMINI_BASE_URL", ""),
        os.environ.get("GOOGLE_GENAI_API_VERSION", ""),
        str(timeout),
    )
    with _SHARED_LOCK:
        client = _SHARED_CLIENTS.get(identity)
        if client is None:
            client = _SHARED_CLIENTS[identity] = _new_client(api_key, timeout)
        return client


def create_gemini_backend(
    settings: Settings, *, model: str | None = None, api_key: str | None = None
) -> GeminiBackend:
    """The key: the one given (the UI field), else GOOGLE_API_KEY / GEMINI_API_KEY."""
    key = resolve_gemini_key(api_key)
    if key is None:
        raise MissingKeyError(MISSING_KEY_MESSAGE)
    chosen = (model or "").strip() or settings.model or DEFAULT_GEMINI_MODEL
    visitors_key = bool(api_key and api_key.strip())
    return GeminiBackend(settings, model=chosen, api_key=key, shared_client=not visitors_key)


register(
    EngineInfo(
        name="gemini",
        label="Google Gemini",
        factory=create_gemini_backend,
        is_available=lambda settings, key: resolve_gemini_key(key) is not None,
        needs_key=GeminiBackend.needs_key,
        requirement="set GEMINI_API_KEY (or paste a key in the app)",
    )
)
