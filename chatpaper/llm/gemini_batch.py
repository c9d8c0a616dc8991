"""Every model call of a digest run as one Gemini batch job (half price, no rate limits).

A run first collects its requests (``StageRequest``s, keyed by ``request_key``), sends them as
one job through google-genai's ``client.batches`` (inline under 20 MB, else a JSONL file
through the Files API), saves the job's name so an interrupted run resumes the same job, and
polls with backoff. The answers then feed ``AnsweredBackend``: the pipeline runs as usual
(the guard reads every answer), and a request the batch did not answer (it failed inside
the batch, or the guard asks again) goes to the normal streaming backend.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import BackendError
from .base import Backend, BackendWrapper, Piece, StageRequest

log = logging.getLogger(__name__)

INLINE_LIMIT_BYTES = 20 * 1024 * 1024  # Gemini's limit for inline batch requests, in total
DONE_STATES = {
    "JOB_STATE_SUCCEEDED",
    "JOB_STATE_FAILED",
    "JOB_STATE_CANCELLED",
    "JOB_STATE_EXPIRED",
}


def request_key(request: StageRequest, model: str) -> str:
    """Which answer belongs to which call: the same text to the same model is the same call."""
    material = json.dumps(
        [model, request.system, request.prompt, request.max_output_tokens], ensure_ascii=False
    )
    return hashlib.sha256(material.encode()).hexdigest()[:32]


def _rest_request(request: StageRequest) -> dict[str, Any]:
    """The GenerateContentRequest JSON of one call (a JSONL line's "request")."""
    body: dict[str, Any] = {
        "contents": [{"role": "user", "parts": [{"text": request.prompt}]}],
        "generationConfig": {"maxOutputTokens": request.max_output_tokens},
    }
    if request.system:
        body["systemInstruction"] = {"parts": [{"text": request.system}]}
    return body


def jsonl_lines(requests: dict[str, StageRequest]) -> bytes:
    """The Files API input: one {"key", "request"} object per line."""
    lines = [
        json.dumps({"key": key, "request": _rest_request(r)}, ensure_ascii=False)
        for key, r in requests.items()
    ]
    return ("\n".join(lines) + "\n").encode("utf-8")


@dataclass
class BatchAnswer:
    text: str | None = None  # None: this request failed inside the batch
    error: str | None = None


def _response_text(response: Any) -> str | None:
    """The answer's text, or None when the response holds no usable candidate."""
    if isinstance(response, dict):
        candidates = response.get("candidates") or []
        if not candidates:
            return None
        parts = (candidates[0].get("content") or {}).get("parts") or []
        text = "".join(p.get("text", "") for p in parts if not p.get("thought"))
    else:
        text = getattr(response, "text", None)
    return text if text and text.strip() else None


def parse_result_lines(data: bytes) -> dict[str, BatchAnswer]:
    """The JSONL result file: {"key", "response"} or {"key", "error"} per line (pure)."""
    answers: dict[str, BatchAnswer] = {}
    for line in data.decode("utf-8", "replace").splitlines():
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except ValueError:
            continue
        key = item.get("key") if isinstance(item, dict) else None
        if not isinstance(key, str):
            continue
        if item.get("error"):
            answers[key] = BatchAnswer(error=str(item["error"].get("message", "failed")))
        else:
            text = _response_text(item.get("response"))
            answers[key] = BatchAnswer(text=text, error=None if text else "empty answer")
    return answers


class JobState:
    """The saved name of a run's batch job, so a second start resumes instead of paying twice."""

    def __init__(self, path: Path):
        self.path = path

    def load(self, keys: Sequence[str]) -> str | None:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if data.get("keys") != _keys_digest(keys):
            return None  # the run asks other questions now: a new job
        return data.get("job") or None

    def save(self, name: str, keys: Sequence[str]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"job": name, "keys": _keys_digest(keys)}), encoding="utf-8")
        tmp.replace(self.path)

    def clear(self) -> None:
        self.path.unlink(missing_ok=True)


def _keys_digest(keys: Sequence[str]) -> str:
    return hashlib.sha256("\n".join(sorted(keys)).encode()).hexdigest()[:32]


def _state_name(job: Any) -> str:
    state = getattr(job, "state", None)
    return str(getattr(state, "value", state) or "JOB_STATE_PENDING")


class GeminiBatch:
    """One batch job through the real SDK. ``client`` is a ``google.genai.Client``."""

    def __init__(
        self,
        client: Any,
        model: str,
        *,
        on_status: Callable[[str], None] = lambda message: None,
        poll_seconds: float = 10.0,
        max_poll_seconds: float = 120.0,
        timeout_seconds: float = 26 * 3600,
        sleep: Callable[[float], None] = time.sleep,
        inline_limit: int = INLINE_LIMIT_BYTES,
    ):
        self.client = client
        self.model = model
        self.on_status = on_status
        self.poll_seconds = poll_seconds
        self.max_poll_seconds = max_poll_seconds
        self.timeout_seconds = timeout_seconds
        self.sleep = sleep
        self.inline_limit = inline_limit

    def run(self, requests: dict[str, StageRequest], state: JobState) -> dict[str, BatchAnswer]:
        """Send (or resume) the job for ``requests`` and wait for its answers."""
        if not requests:
            return {}
        keys = list(requests)
        name = state.load(keys)
        if name:
            self.on_status(f"Resuming batch job {name} ({len(keys)} requests).")
        else:
            name, first = self._create(requests)
            state.save(name, keys)
            self.on_status(f"Batch job {name} created with {len(keys)} requests: {first}.")
        job = self._wait(name)
        answers = self._answers(job)
        state.clear()
        return answers

    def _create(self, requests: dict[str, StageRequest]) -> tuple[str, str]:
        from google.genai import types

        lines = jsonl_lines(requests)
        if len(lines) < self.inline_limit:
            src: Any = [
                types.InlinedRequest(
                    contents=r.prompt,
                    metadata={"key": key},
                    config=types.GenerateContentConfig(
                        system_instruction=r.system or None,
                        max_output_tokens=r.max_output_tokens,
                    ),
                )
                for key, r in requests.items()
            ]
        else:
            uploaded = self.client.files.upload(
                file=io.BytesIO(lines),
                config=types.UploadFileConfig(
                    mime_type="application/jsonl", display_name="chatpaper-digest"
                ),
            )
            src = uploaded.name
        job = self.client.batches.create(
            model=self.model, src=src, config=types.CreateBatchJobConfig(display_name="chatpaper")
        )
        return job.name, _state_name(job).removeprefix("JOB_STATE_").lower()

    def _wait(self, name: str) -> Any:
        started = time.monotonic()
        delay = self.poll_seconds
        while True:
            job = self.client.batches.get(name=name)
            state = _state_name(job)
            elapsed = time.monotonic() - started
            self.on_status(
                f"Batch job {name}: {state.removeprefix('JOB_STATE_').lower()} "
                f"after {elapsed:.0f} s."
            )
            if state in DONE_STATES:
                if state != "JOB_STATE_SUCCEEDED":
                    raise BackendError(
                        f"The Gemini batch job {name} ended as {state}; run the command "
                        "again to send a new job, or run without --batch."
                    )
                return job
            if elapsed > self.timeout_seconds:
                raise BackendError(
                    f"The Gemini batch job {name} is still {state} after "
                    f"{elapsed / 3600:.0f} h; run the command again later to resume it."
                )
            self.sleep(delay)
            delay = min(delay * 1.5, self.max_poll_seconds)

    def _answers(self, job: Any) -> dict[str, BatchAnswer]:
        dest = getattr(job, "dest", None)
        if dest is None:
            return {}
        if getattr(dest, "file_name", None):
            data = self.client.files.download(file=dest.file_name)
            return parse_result_lines(data)
        answers: dict[str, BatchAnswer] = {}
        for item in getattr(dest, "inlined_responses", None) or []:
            key = (item.metadata or {}).get("key")
            if not key:
                continue
            if item.error is not None:
                message = getattr(item.error, "message", None) or str(item.error)
                answers[key] = BatchAnswer(error=message)
            else:
                text = _response_text(item.response)
                answers[key] = BatchAnswer(text=text, error=None if text else "empty answer")
        return answers


class AnsweredBackend(BackendWrapper):
    """Answers a request from the batch when the batch answered it; any other request (one
    that failed inside the batch, a guard's re-ask) is a normal call to the inner backend."""

    def __init__(self, inner: Backend, answers: dict[str, BatchAnswer]):
        super().__init__(inner)
        self.answers = answers
        self.normal_calls = 0

    def stream(self, request: StageRequest) -> Iterator[Piece]:
        answer = self.answers.get(request_key(request, self.inner.model))
        if answer is not None and answer.text is not None:
            yield answer.text
            return
        self.normal_calls += 1
        yield from self.inner.stream(request)
