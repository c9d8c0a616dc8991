"""A local HTTP server that speaks Gemini's REST wire format, for tests and benchmarks.

The real ``google-genai`` client talks to it (set ``GOOGLE_GEMINI_BASE_URL`` to ``.base_url``),
so the tests exercise the SDK's own request building, SSE parsing and error mapping. It serves

- ``POST /{v1,v1beta}/models/{model}:streamGenerateContent?alt=sse`` (SSE, chunked),
- ``POST /{v1,v1beta}/models/{model}:generateContent`` (one JSON answer),
- ``GET /{v1,v1beta}/models`` and ``/models/{model}`` (with ``inputTokenLimit``).

Replies are scripted with ``enqueue(reply, match=...)`` or come from a default generator that
answers any prompt with deterministic text naming the stage, so pipeline tests run unscripted.
Faults (429 with ``RetryInfo``, 5xx, invalid keys, blocked prompts, early finish reasons, a
dropped connection, an error event mid-stream, a per-minute quota) use Google's real JSON
shapes. Every request is recorded with its timing, so tests can check what was sent and when.
"""

from __future__ import annotations

import json
import math
import re
import socket
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from http.server import BaseHTTPRequestHandler
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from tests.fakes.local_server import LocalServer

if TYPE_CHECKING:
    import pytest

INPUT_TOKEN_LIMIT = 1_048_576
OUTPUT_TOKEN_LIMIT = 65_536

_MODEL_PATH = re.compile(
    r"^/(?P<version>v1beta|v1)/models/(?P<model>[^:/]+):(?P<method>streamGenerateContent|generateContent)$"
)
_BATCH_PATH = re.compile(r"^/(?:v1beta|v1)/batches/(?P<job>[^:/]+)$")
_DOWNLOAD_PATH = re.compile(
    r"^/(?:v1beta|v1|download/v1beta|download/v1)/files/(?P<file>[^:/]+):download$"
)
_MODELS_PATH = re.compile(r"^/(?P<version>v1beta|v1)/models(?:/(?P<model>[^:/]+))?$")


# --- replies ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Reply:
    """What the fake sends for one request. Build with the helpers below.

    ``status != 200`` answers with Google's error JSON instead of a stream. Otherwise the text
    ``chunks`` are sent one SSE event each; ``cut_after``/``error_after`` stop the stream after
    that many text events (socket closed abruptly / an ``{"error": ...}`` event).
    """

    chunks: tuple[str, ...] = ()
    finish_reason: str | None = "STOP"
    block_reason: str | None = None
    thoughts: tuple[str, ...] = ()  # ``thought: true`` parts sent before the text
    status: int = 200
    error_status: str = ""
    error_message: str = ""
    error_details: tuple[dict[str, Any], ...] = ()
    cut_after: int | None = None
    error_after: int | None = None
    mid_stream_error: dict[str, Any] | None = None
    time_to_first_token: float | None = None  # None: the server's setting
    chars_per_second: float | None = None  # None: the server's setting
    usage: dict[str, int] | None = None  # None: estimated from the text


def split_text(text: str, parts: int = 3) -> tuple[str, ...]:
    """Cut text into ``parts`` pieces at word boundaries; joining them gives the text back."""
    words = re.findall(r"\S+\s*|\s+", text)
    if parts <= 1 or len(words) <= 1:
        return (text,)
    size = math.ceil(len(words) / parts)
    return tuple("".join(words[i : i + size]) for i in range(0, len(words), size))


def text_reply(text: str | list[str] | tuple[str, ...], *, chunks: int = 3, **kw: Any) -> Reply:
    """A normal answer: a string is split into ``chunks`` events, a list is sent as given."""
    pieces = split_text(text, chunks) if isinstance(text, str) else tuple(text)
    return Reply(chunks=pieces, **kw)


def error_reply(
    code: int, status: str, message: str, details: tuple[dict[str, Any], ...] = ()
) -> Reply:
    return Reply(status=code, error_status=status, error_message=message, error_details=details)


def retry_info(delay: str) -> dict[str, Any]:
    return {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": delay}


def quota_failure(quota_id: str = "GenerateRequestsPerMinutePerProjectPerModel-FreeTier") -> dict:
    return {
        "@type": "type.googleapis.com/google.rpc.QuotaFailure",
        "violations": [
            {
                "quotaMetric": "generativelanguage.googleapis.com/generate_content_free_tier_requests",
                "quotaId": quota_id,
                "quotaDimensions": {"location": "global", "model": "gemini-flash"},
                "quotaValue": "10",
            }
        ],
    }


def rate_limited(retry_delay: str | None = "1s", *, per_day: bool = False) -> Reply:
    """HTTP 429 RESOURCE_EXHAUSTED as Gemini sends it (with ``RetryInfo`` unless None)."""
    quota = quota_failure(
        "GenerateRequestsPerDayPerProjectPerModel-FreeTier"
        if per_day
        else "GenerateRequestsPerMinutePerProjectPerModel-FreeTier"
    )
    details: tuple[dict[str, Any], ...] = (quota,)
    message = "You exceeded your current quota, please check your plan and billing details."
    if retry_delay is not None:
        details += (retry_info(retry_delay),)
        message += f" Please retry in {retry_delay}."
    return error_reply(429, "RESOURCE_EXHAUSTED", message, details)


def server_error(code: int = 503) -> Reply:
    if code == 503:
        return error_reply(503, "UNAVAILABLE", "The model is overloaded. Please try again later.")
    return error_reply(
        code, "INTERNAL", "An internal error has occurred. Please retry or report the problem."
    )


def invalid_key() -> Reply:
    return error_reply(
        400,
        "INVALID_ARGUMENT",
        "API key not valid. Please pass a valid API key.",
        (
            {
                "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                "reason": "API_KEY_INVALID",
                "domain": "googleapis.com",
                "metadata": {"service": "generativelanguage.googleapis.com"},
            },
        ),
    )


def permission_denied() -> Reply:
    return error_reply(
        403, "PERMISSION_DENIED", "Your API key was reported as leaked. Please use another API key."
    )


def model_not_found(model: str, version: str = "v1beta") -> Reply:
    return error_reply(
        404,
        "NOT_FOUND",
        f"models/{model} is not found for API version {version}, or is not supported for "
        "generateContent. Call ListModels to see the list of available models and their "
        "supported methods.",
    )


def blocked(reason: str = "SAFETY") -> Reply:
    """The prompt is refused: one event with ``promptFeedback.blockReason`` and no candidates."""
    return Reply(block_reason=reason, finish_reason=None)


def stopped_early(text: str, reason: str = "MAX_TOKENS", *, chunks: int = 2) -> Reply:
    return text_reply(text, chunks=chunks, finish_reason=reason)


def stream_cut(text: str | list[str], *, after: int = 2, chunks: int = 4) -> Reply:
    """Send ``after`` text events, then close the socket without ending the chunked body."""
    return replace(text_reply(text, chunks=chunks), cut_after=after)


def error_mid_stream(
    text: str | list[str], *, after: int = 2, chunks: int = 4, code: int = 500
) -> Reply:
    """Send ``after`` text events, then an ``{"error": ...}`` event, as Gemini does."""
    status = "INTERNAL" if code == 500 else "UNAVAILABLE"
    event = {
        "error": {"code": code, "message": "An internal error has occurred.", "status": status}
    }
    return replace(text_reply(text, chunks=chunks), error_after=after, mid_stream_error=event)


# --- recorded requests -----------------------------------------------------------------------
@dataclass
class RecordedRequest:
    """One request as the fake saw it; times are ``time.monotonic()`` seconds."""

    method: str
    path: str
    api_version: str
    model: str
    method_name: str  # "streamGenerateContent", "generateContent", "list", "get"
    api_key: str | None
    body: dict[str, Any]
    started: float
    first_byte: float | None = None
    ended: float | None = None
    status: int = 200
    reply: Reply | None = None

    @property
    def system(self) -> str:
        parts = (self.body.get("systemInstruction") or {}).get("parts") or []
        return "".join(p.get("text", "") for p in parts)

    @property
    def prompt(self) -> str:
        texts = []
        for content in self.body.get("contents") or []:
            texts.extend(p.get("text", "") for p in content.get("parts") or [])
        return "\n".join(texts)

    @property
    def generation_config(self) -> dict[str, Any]:
        return self.body.get("generationConfig") or {}

    @property
    def stage(self) -> str:
        return guess_stage(self.system, self.prompt)

    def overlaps(self, other: RecordedRequest) -> bool:
        """Whether the two requests were in flight at the same time."""
        end_self = self.ended if self.ended is not None else math.inf
        end_other = other.ended if other.ended is not None else math.inf
        return self.started < end_other and other.started < end_self


# Phrases that give a stage away, tried in this order on the task part of the prompt.
STAGE_CUES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("tldr", ("tldr", "tl;dr", "one-sentence summary", "key takeaways")),
    ("conclusion", ("conclusion",)),
    ("methods", ("method",)),
    ("overview", ("overview", "summarize the paper")),
    ("digest", ("digest",)),
    ("translate", ("translate",)),
)


def task_text(system: str, prompt: str) -> str:
    """The instruction part of a prompt: after its last "Task:", else its last 1500 characters
    (the paper text comes first, the instruction last)."""
    marker = prompt.rfind("Task:")
    return prompt[marker:] if marker >= 0 else f"{system}\n{prompt[-1500:]}"


def guess_stage(system: str, prompt: str) -> str:
    """Which stage a request is for, from cue words in its task line; "answer" when unsure."""
    task = task_text(system, prompt).lower()
    if task.startswith("task:"):
        task = task.split("\n", 1)[0]  # the rest lists labels that name other topics
    for stage, cues in STAGE_CUES:
        if any(cue in task for cue in cues):
            return stage
    return "answer"


_LABELLED_LINE = re.compile(r"^\s*((?:\(\d+\)|-|\d+\.)?\s*\*\*[^*\n{}]{1,60}\*\*:?)")


def default_reply(request: RecordedRequest) -> Reply:
    """Deterministic Markdown naming the stage and model. It copies the answer structure the
    task asks for (``(1) **Label**:`` lines and ``-`` bullets) so structure checks downstream
    pass without scripting."""
    stage = request.stage
    intro = (
        f"Fake Gemini {stage} answer from {request.model}; "
        f"the prompt had {len(request.prompt)} characters."
    )
    lines: list[str] = []
    for line in task_text(request.system, request.prompt).splitlines()[1:]:
        labelled = _LABELLED_LINE.match(line)
        if labelled:
            lines.append(f"{labelled.group(1).strip()} {intro}")
        elif line.startswith("- ") and lines:
            lines.extend(f"- Point {n} of the {stage} answer." for n in range(1, 6))
    if not lines:
        return text_reply(f"{intro} This sentence is here so the answer arrives in chunks.")
    return text_reply("\n\n".join(lines), chunks=max(3, len(lines)))


Matcher = Callable[[RecordedRequest], bool]


def _as_matcher(match: str | Matcher | None) -> Matcher | None:
    if match is None or callable(match):
        return match
    needle = match

    def contains(request: RecordedRequest) -> bool:
        return needle in request.system or needle in request.prompt

    return contains


def format_duration(seconds: float) -> str:
    """protobuf Duration JSON as Google writes it: "26s", or "0.25s" below a whole second."""
    if seconds >= 1:
        return f"{math.ceil(seconds)}s"
    return f"{math.ceil(seconds * 1000) / 1000:g}s"


# --- the server ------------------------------------------------------------------------------
class FakeGemini(LocalServer):
    """A threaded Gemini look-alike on 127.0.0.1; use as a context manager or start()/stop()."""

    def __init__(
        self,
        *,
        time_to_first_token: float = 0.0,
        chars_per_second: float | None = None,
        allowed_keys: set[str] | None = None,
        requests_per_minute: int | None = None,
        rate_window: float = 60.0,
        known_models: set[str] | None = None,
        reply_generator: Callable[[RecordedRequest], Reply] = default_reply,
    ):
        self.time_to_first_token = time_to_first_token
        self.chars_per_second = chars_per_second
        self.allowed_keys = allowed_keys  # None: any key is accepted
        self.requests_per_minute = requests_per_minute  # None: no quota
        self.rate_window = rate_window  # seconds; shorten it for benchmarks
        self.known_models = known_models  # None: any model name exists
        self.reply_generator = reply_generator
        self.requests: list[RecordedRequest] = []
        # Batch API: each get() moves a job one state on; ``batch_log`` lists every call.
        self.batch_states = ("BATCH_STATE_PENDING", "BATCH_STATE_RUNNING", "BATCH_STATE_SUCCEEDED")
        self.batch_fail_keys: set[int] = set()  # request positions that fail inside a batch
        self.batch_results_as_file = False  # answer with a JSONL result file, not inline
        self.batches: dict[str, dict[str, Any]] = {}
        self.batch_log: list[tuple[str, str]] = []  # ("create" | "get" | "upload", name)
        self.files: dict[str, bytes] = {}
        self._scripts: list[tuple[Matcher | None, deque[Reply]]] = []
        self._accepted: deque[float] = deque()
        self._lock = threading.RLock()  # a matcher may look at the fake itself

    # scripting --------------------------------------------------------------------------------
    def enqueue(self, *replies: Reply, match: str | Matcher | None = None) -> FakeGemini:
        """Queue replies, used once each in order. ``match`` (a substring of the system
        instruction or prompt, or a predicate on the RecordedRequest) limits which requests
        take them; without it they go to the next request no scripted matcher claimed."""
        matcher = _as_matcher(match)
        with self._lock:
            if matcher is None:
                for existing, queue in self._scripts:
                    if existing is None:
                        queue.extend(replies)
                        return self
                self._scripts.append((None, deque(replies)))
            else:  # matchers are tried in the order given, all before the catch-all queue
                catch_all = [entry for entry in self._scripts if entry[0] is None]
                matchers = [entry for entry in self._scripts if entry[0] is not None]
                self._scripts = [*matchers, (matcher, deque(replies)), *catch_all]
        return self

    def _next_reply(self, request: RecordedRequest) -> Reply:
        with self._lock:
            for matcher, queue in self._scripts:
                if queue and (matcher is None or matcher(request)):
                    return queue.popleft()
        return self.reply_generator(request)

    @property
    def generate_requests(self) -> list[RecordedRequest]:
        """Only the generateContent/streamGenerateContent calls (not model listings)."""
        with self._lock:
            return [r for r in self.requests if r.method_name.endswith("enerateContent")]

    @property
    def batch_requests(self) -> list[RecordedRequest]:
        """The requests answered inside batch jobs."""
        with self._lock:
            return [r for r in self.requests if r.method_name == "batch"]

    # lifecycle --------------------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        return self.address

    thread_name = "fake-gemini"

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        return type("Handler", (_Handler,), {"fake": self})

    # quota ------------------------------------------------------------------------------------
    def _take_quota_slot(self) -> float | None:
        """None if the request may run, else the seconds until the oldest slot frees."""
        if self.requests_per_minute is None:
            return None
        now = time.monotonic()
        with self._lock:
            while self._accepted and now - self._accepted[0] >= self.rate_window:
                self._accepted.popleft()
            if len(self._accepted) >= self.requests_per_minute:
                return self._accepted[0] + self.rate_window - now
            self._accepted.append(now)
        return None

    def _record(self, request: RecordedRequest) -> None:
        with self._lock:
            self.requests.append(request)


class _Handler(BaseHTTPRequestHandler):
    fake: FakeGemini
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
        return

    def handle(self) -> None:
        try:
            super().handle()
        except (ConnectionResetError, BrokenPipeError):  # the client hung up: nothing to do
            self.close_connection = True

    # routing ----------------------------------------------------------------------------------
    def do_GET(self) -> None:
        path = urlsplit(self.path).path
        if _BATCH_PATH.match(path) or _DOWNLOAD_PATH.match(path):
            self._batch_get(path)
            return
        found = _MODELS_PATH.match(path)
        request = self._new_record("GET", path, found, {})
        if found is None:
            self._send_error_reply(request, error_reply(404, "NOT_FOUND", "Not found."))
            return
        rejected = self._check_key(request)
        if rejected:
            self._send_error_reply(request, rejected)
            return
        if found.group("model"):
            self._send_json(request, 200, _model_info(found.group("model")))
        else:
            names = sorted(self.fake.known_models or {"gemini-flash-latest", "gemini-pro-latest"})
            self._send_json(request, 200, {"models": [_model_info(n) for n in names]})

    def do_POST(self) -> None:
        path = urlsplit(self.path).path
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw or b"{}")
        except json.JSONDecodeError:
            body = {"_raw": raw.decode("utf-8", "replace")}
        if path.endswith(":batchGenerateContent") or path.startswith("/upload"):
            self._batch_post(path, body, raw)
            return
        found = _MODEL_PATH.match(path)
        request = self._new_record("POST", path, found, body)
        if found is None:
            self._send_error_reply(request, error_reply(404, "NOT_FOUND", "Not found."))
            return
        rejected = self._check_key(request)
        known = self.fake.known_models
        if rejected is None and known is not None and request.model not in known:
            rejected = model_not_found(request.model, request.api_version)
        if rejected is None:
            wait = self.fake._take_quota_slot()
            if wait is not None:
                rejected = rate_limited(format_duration(wait))
        if rejected is not None:
            self._send_error_reply(request, rejected)
            return
        reply = self.fake._next_reply(request)
        request.reply = reply
        if reply.status != 200:
            self._send_error_reply(request, reply)
        elif request.method_name == "streamGenerateContent":
            self._stream(request, reply)
        else:
            self._send_whole(request, reply)

    def _new_record(
        self, method: str, path: str, found: re.Match[str] | None, body: dict[str, Any]
    ) -> RecordedRequest:
        groups = found.groupdict() if found else {}
        method_name = groups.get("method") or ("get" if groups.get("model") else "list")
        request = RecordedRequest(
            method=method,
            path=self.path,
            api_version=groups.get("version") or "",
            model=groups.get("model") or "",
            method_name=method_name,
            api_key=self.headers.get("x-goog-api-key"),
            body=body,
            started=time.monotonic(),
        )
        self.fake._record(request)
        return request

    def _check_key(self, request: RecordedRequest) -> Reply | None:
        allowed = self.fake.allowed_keys
        if request.api_key is None:
            return error_reply(
                403,
                "PERMISSION_DENIED",
                "Method doesn't allow unregistered callers (callers without established "
                "identity). Please use API Key or other form of API consumer identity to call "
                "this API.",
            )
        if allowed is not None and request.api_key not in allowed:
            return invalid_key()
        return None

    # the Batch API and the Files API ----------------------------------------------------------
    def _plain_json(
        self, status: int, payload: dict[str, Any], headers: dict | None = None
    ) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=UTF-8")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _batch_post(self, path: str, body: dict[str, Any], raw: bytes) -> None:
        fake = self.fake
        # the upload session's URL is its credential; every other call carries the key
        if self.headers.get("x-goog-api-key") is None and not path.startswith("/upload-session/"):
            self._plain_json(403, _error_json(permission_denied()))
            return
        if re.fullmatch(r"/upload/v1(?:beta)?/files", path):  # start of a resumable upload
            session = f"s{len(fake.files)}"
            url = f"{fake.base_url}/upload-session/{session}"
            self._plain_json(200, {}, {"x-goog-upload-url": url, "x-goog-upload-status": "active"})
            return
        if path.startswith("/upload-session/"):
            name = f"files/upload-{len(fake.files)}"
            with fake._lock:
                fake.files[name] = raw
                fake.batch_log.append(("upload", name))
            payload = {
                "file": {
                    "name": name,
                    "mimeType": "application/jsonl",
                    "sizeBytes": str(len(raw)),
                    "state": "ACTIVE",
                }
            }
            self._plain_json(200, payload, {"x-goog-upload-status": "final"})
            return
        model = path.rsplit("/", 1)[-1].split(":", 1)[0]
        source = (body.get("batch") or {}).get("inputConfig") or {}
        if source.get("fileName"):
            lines = fake.files.get(source["fileName"], b"").decode().splitlines()
            items = [json.loads(line) for line in lines if line.strip()]
            requests = [(item["key"], item["request"], "file") for item in items]
        else:
            inlined = (source.get("requests") or {}).get("requests") or []
            requests = [
                ((r.get("metadata") or {}).get("key"), r["request"], "inline") for r in inlined
            ]
        with fake._lock:
            name = f"batches/job-{len(fake.batches) + 1}"
            fake.batches[name] = {"model": model, "requests": requests, "polls": 0}
            fake.batch_log.append(("create", name))
        self._plain_json(200, self._batch_json(name, fake.batch_states[0]))

    def _batch_json(self, name: str, state: str, output: dict | None = None) -> dict[str, Any]:
        job = self.fake.batches[name]
        metadata: dict[str, Any] = {
            "@type": "type.googleapis.com/google.ai.generativelanguage.v1main.GenerateContentBatch",
            "name": name,
            "model": f"models/{job['model']}",
            "state": state,
            "createTime": "2026-12-01T00:00:00Z",
        }
        if output is not None:
            metadata["output"] = output
        return {"name": name, "metadata": metadata, "done": output is not None}

    def _batch_get(self, path: str) -> None:
        fake = self.fake
        found = _DOWNLOAD_PATH.match(path)
        if found:
            data = fake.files.get(f"files/{found.group('file')}")
            if data is None:
                self._plain_json(404, _error_json(error_reply(404, "NOT_FOUND", "No file.")))
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            return
        name = "batches/" + _BATCH_PATH.match(path).group("job")
        with fake._lock:
            job = fake.batches.get(name)
            if job is None:
                self._plain_json(404, _error_json(error_reply(404, "NOT_FOUND", "No such job.")))
                return
            fake.batch_log.append(("get", name))
            job["polls"] += 1
            state = fake.batch_states[min(job["polls"], len(fake.batch_states) - 1)]
        if state != "BATCH_STATE_SUCCEEDED":
            self._plain_json(200, self._batch_json(name, state))
            return
        results = [
            self._batch_answer(job["model"], n, key, body)
            for n, (key, body, _) in enumerate(job["requests"])
        ]
        as_file = fake.batch_results_as_file or any(k == "file" for _, _, k in job["requests"])
        if as_file:
            lines = [
                json.dumps({"key": key, **{k: v for k, v in r.items() if k != "metadata"}})
                for (key, _, _), r in zip(job["requests"], results, strict=True)
            ]
            file_name = f"files/results-{name.split('/')[-1]}"
            fake.files[file_name] = ("\n".join(lines) + "\n").encode()
            output: dict[str, Any] = {"responsesFile": file_name}
        else:
            output = {"inlinedResponses": {"inlinedResponses": results}}
        self._plain_json(200, self._batch_json(name, state, output))

    def _batch_answer(self, model: str, position: int, key: Any, body: dict) -> dict[str, Any]:
        if position in self.fake.batch_fail_keys:
            return {
                "error": {"code": 500, "message": "Internal error in the batch."},
                "metadata": {"key": key},
            }
        request = RecordedRequest(
            method="BATCH",
            path=f"batch:{key}",
            api_version="v1beta",
            model=model,
            method_name="batch",
            api_key="batch",
            body=body,
            started=time.monotonic(),
        )
        reply = self.fake._next_reply(request)
        request.reply = reply
        request.ended = time.monotonic()
        self.fake._record(request)
        return {"response": _whole_response(request, reply), "metadata": {"key": key}}

    # writing ----------------------------------------------------------------------------------
    def _send_json(self, request: RecordedRequest, status: int, payload: dict[str, Any]) -> None:
        data = json.dumps(payload).encode()
        request.status = status
        request.first_byte = time.monotonic()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=UTF-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        request.ended = time.monotonic()  # before the write, so a client that has the answer
        self.wfile.write(data)  # always finds it set

    def _send_error_reply(self, request: RecordedRequest, reply: Reply) -> None:
        request.reply = reply
        self._send_json(request, reply.status, _error_json(reply))

    def _send_whole(self, request: RecordedRequest, reply: Reply) -> None:
        ttft, _ = self._pacing(reply)
        time.sleep(ttft)
        if reply.cut_after is not None:
            self._abort(request)
            return
        self._send_json(request, 200, _whole_response(request, reply))

    def _pacing(self, reply: Reply) -> tuple[float, float | None]:
        ttft = (
            reply.time_to_first_token
            if reply.time_to_first_token is not None
            else self.fake.time_to_first_token
        )
        cps = reply.chars_per_second
        return ttft, cps if cps is not None else self.fake.chars_per_second

    def _stream(self, request: RecordedRequest, reply: Reply) -> None:
        ttft, cps = self._pacing(reply)
        time.sleep(ttft)
        request.status = 200
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        try:
            for index, event in enumerate(_stream_events(request, reply)):
                if index == 0:
                    request.first_byte = time.monotonic()
                elif cps:
                    time.sleep(len(_event_text(event)) / cps)
                if event is _CUT:
                    self._abort(request)
                    return
                payload = f"data: {json.dumps(event)}\r\n\r\n".encode()
                self.wfile.write(b"%x\r\n%s\r\n" % (len(payload), payload))
                self.wfile.flush()
            request.ended = time.monotonic()  # set before the client can see the end
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            request.ended = time.monotonic()
            self.close_connection = True

    def _abort(self, request: RecordedRequest) -> None:
        """Drop the connection mid-body, as a proxy or a crashed frontend would."""
        self.close_connection = True
        request.ended = time.monotonic()
        try:
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


_CUT: dict[str, Any] = {"_cut": True}


def _event_text(event: dict[str, Any]) -> str:
    parts = ((event.get("candidates") or [{}])[0].get("content") or {}).get("parts") or []
    return "".join(p.get("text", "") for p in parts)


def _tokens(text: str) -> int:
    return max(1, math.ceil(len(text) / 4)) if text else 0


def _usage(request: RecordedRequest, reply: Reply, output: str) -> dict[str, int]:
    if reply.usage is not None:
        return dict(reply.usage)
    prompt = _tokens(request.system) + _tokens(request.prompt)
    thoughts = _tokens("".join(reply.thoughts))
    candidates = _tokens(output)
    usage = {"promptTokenCount": prompt, "totalTokenCount": prompt + candidates + thoughts}
    if candidates:
        usage["candidatesTokenCount"] = candidates
    if thoughts:
        usage["thoughtsTokenCount"] = thoughts
    return usage


def _stream_events(request: RecordedRequest, reply: Reply) -> list[dict[str, Any]]:
    """The SSE events for one reply, in Gemini's GenerateContentResponse JSON shape."""
    common = {"modelVersion": request.model, "responseId": f"fake-{id(reply):x}"}
    if reply.block_reason:
        feedback = {"blockReason": reply.block_reason}
        return [{"promptFeedback": feedback, "usageMetadata": _usage(request, reply, ""), **common}]
    events: list[dict[str, Any]] = []
    prompt_tokens = {"promptTokenCount": _usage(request, reply, "")["promptTokenCount"]}
    for thought in reply.thoughts:
        part = {"text": thought, "thought": True}
        events.append(_candidate_event([part], None, prompt_tokens, common))
    chunks = list(reply.chunks) or [""]
    for index, chunk in enumerate(chunks):
        if reply.cut_after is not None and index == reply.cut_after:
            events.append(_CUT)
            return events
        if reply.error_after is not None and index == reply.error_after:
            events.append(reply.mid_stream_error or {"error": {"code": 500, "status": "INTERNAL"}})
            return events
        last = index == len(chunks) - 1
        usage = _usage(request, reply, "".join(reply.chunks)) if last else prompt_tokens
        finish = reply.finish_reason if last else None
        events.append(_candidate_event([{"text": chunk}], finish, usage, common))
    return events


def _candidate_event(
    parts: list[dict[str, Any]],
    finish_reason: str | None,
    usage: dict[str, int],
    common: dict[str, str],
) -> dict[str, Any]:
    candidate: dict[str, Any] = {"content": {"parts": parts, "role": "model"}, "index": 0}
    if finish_reason:
        candidate["finishReason"] = finish_reason
    return {"candidates": [candidate], "usageMetadata": usage, **common}


def _whole_response(request: RecordedRequest, reply: Reply) -> dict[str, Any]:
    """The non-streaming answer: all text events merged into one response."""
    events = [e for e in _stream_events(request, reply) if e is not _CUT and "error" not in e]
    if reply.block_reason:
        return events[0]
    text = "".join(reply.chunks)
    common = {k: v for k, v in events[-1].items() if k in ("modelVersion", "responseId")}
    usage = _usage(request, reply, text)
    return _candidate_event([{"text": text}], reply.finish_reason, usage, common)


def _error_json(reply: Reply) -> dict[str, Any]:
    error: dict[str, Any] = {
        "code": reply.status,
        "message": reply.error_message,
        "status": reply.error_status,
    }
    if reply.error_details:
        error["details"] = list(reply.error_details)
    return {"error": error}


def _model_info(name: str) -> dict[str, Any]:
    return {
        "name": f"models/{name}",
        "displayName": name,
        "inputTokenLimit": INPUT_TOKEN_LIMIT,
        "outputTokenLimit": OUTPUT_TOKEN_LIMIT,
        "supportedGenerationMethods": ["generateContent", "countTokens"],
        "thinking": True,
    }


# --- pointing the SDK at the fake (for fixtures) ---------------------------------------------
FAKE_GEMINI_KEY = "fake-gemini-key-0123456789"

# Environment that would send the SDK elsewhere (Vertex AI, another key, another API version).
GEMINI_ENV_TO_CLEAR = (
    "GOOGLE_API_KEY",
    "GEMINI_API_KEY",
    "GOOGLE_GENAI_USE_VERTEXAI",
    "GOOGLE_GENAI_USE_ENTERPRISE",
    "GOOGLE_CLOUD_PROJECT",
    "GOOGLE_CLOUD_LOCATION",
    "GOOGLE_GENAI_API_VERSION",
    "GOOGLE_GENAI_HTTP_CLIENT",
    "CHATPAPER_MODEL",
)


def serve_fake_gemini(monkeypatch: pytest.MonkeyPatch, **options: Any) -> Iterator[FakeGemini]:
    """Body of a ``fake_gemini`` fixture: a running FakeGemini that the real SDK reaches through
    ``GOOGLE_GEMINI_BASE_URL``, with ``GEMINI_API_KEY=FAKE_GEMINI_KEY``. Use it as

        @pytest.fixture
        def fake_gemini(monkeypatch):
            yield from serve_fake_gemini(monkeypatch)
    """
    for name in GEMINI_ENV_TO_CLEAR:
        monkeypatch.delenv(name, raising=False)
    with FakeGemini(**options) as server:
        monkeypatch.setenv("GOOGLE_GEMINI_BASE_URL", server.base_url)
        monkeypatch.setenv("GEMINI_API_KEY", FAKE_GEMINI_KEY)
        yield server
