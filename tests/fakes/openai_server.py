"""A real HTTP server that speaks OpenAI's streaming chat-completions wire format.

The real ``openai`` client talks to it over 127.0.0.1, so tests exercise the SDK's own SSE
parsing and error mapping. Replies are scripted with ``enqueue``; with nothing queued it
echoes what it was asked (deterministically). Every request is logged.

    with FakeOpenAI() as server:
        server.enqueue(Fault(429, headers={"Retry-After": "0"}), Reply(["Hel", "lo"]))
        ...  # point OPENAI_BASE_URL / the backend at server.base_url
        server.requests[0].model

``mode`` imitates how local servers treat concurrent requests: "llama-cpp" (llama-cpp-python's
server with its default ``interrupt_requests``: a new request cuts the running stream, which
ends with no finish reason) or "ollama" (one answer at a time, the others wait their turn).
"""

from __future__ import annotations

import json
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

from tests.fakes.local_server import LocalServer


@dataclass
class Reply:
    """A streamed answer. ``cut_after=n`` drops the connection after n text chunks;
    ``done=False`` ends the body cleanly but without a finish_reason or ``[DONE]``."""

    chunks: list[str]
    finish_reason: str | None = "stop"
    usage: tuple[int, int] | None = (120, 30)  # (prompt, completion) tokens; None: not sent
    cut_after: int | None = None
    done: bool = True


@dataclass
class Fault:
    """An HTTP error answer with OpenAI's error body."""

    status: int
    message: str = "scripted fault"
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class RecordedRequest:
    path: str
    body: dict[str, Any]
    authorization: str | None
    started: float  # time.monotonic() when the request arrived
    status: int = 200  # what we answered

    @property
    def model(self) -> str | None:
        return self.body.get("model")

    @property
    def messages(self) -> list[dict[str, Any]]:
        return self.body.get("messages", [])


def echo_chunks(body: dict[str, Any]) -> list[str]:
    """The default answer: which model, and the ends of the system and user messages."""
    messages = body.get("messages", [])
    system = next((m["content"] for m in messages if m.get("role") == "system"), "")
    user = next((m["content"] for m in reversed(messages) if m.get("role") == "user"), "")
    user = " ".join(str(user).split())
    text = (
        f"Echo from {body.get('model')}: system starts '{' '.join(str(system).split())[:60]}'; "
        f"prompt ends '{user[-160:]}'."
    )
    words = text.split(" ")
    return [
        " ".join(words[i : i + 4]) + (" " if i + 4 < len(words) else "")
        for i in range(0, len(words), 4)
    ]


class FakeOpenAI(LocalServer):
    """Start with ``with FakeOpenAI(pace=0.01) as server:`` (or ``start()``/``close()``)."""

    def __init__(
        self,
        *,
        pace: float = 0.0,
        models: tuple[str, ...] = ("fake-model",),
        mode: str = "parallel",
    ):
        if mode not in ("parallel", "llama-cpp", "ollama"):
            raise ValueError(f"unknown mode {mode!r}")
        self.pace = pace  # seconds between streamed chunks
        self.models = models
        self.mode = mode
        self.cuts = 0  # streams cut off by a newer request (llama-cpp mode)
        self.max_in_flight = 0  # most streams written at the same moment
        self._in_flight = 0
        self._running: list[threading.Event] = []  # one "you are cut" flag per live stream
        self._turn = threading.Lock()  # ollama mode: one stream at a time
        self.requests: list[RecordedRequest] = []
        self._script: list[Reply | Fault] = []
        self._lock = threading.Lock()

    # --- control --------------------------------------------------------------------------
    def enqueue(self, *items: Reply | Fault) -> FakeOpenAI:
        with self._lock:
            self._script.extend(items)
        return self

    @property
    def base_url(self) -> str:
        return f"{self.address}/v1"

    thread_name = "fake-openai"

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        return type("Handler", (_Handler,), {"fake": self})

    # --- used by the handler ------------------------------------------------------------
    def _next(self, body: dict[str, Any]) -> Reply | Fault:
        with self._lock:
            if self._script:
                return self._script.pop(0)
        return Reply(echo_chunks(body))

    def _begin(self) -> threading.Event:
        """A stream starts: in llama-cpp mode every running stream is told to stop."""
        cut = threading.Event()
        with self._lock:
            if self.mode == "llama-cpp":
                for other in self._running:
                    other.set()
            self._running.append(cut)
            self._in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self._in_flight)
        return cut

    def _end(self, cut: threading.Event) -> None:
        with self._lock:
            self._running.remove(cut)
            self._in_flight -= 1
            if cut.is_set():
                self.cuts += 1

    def _log(self, entry: RecordedRequest) -> None:
        with self._lock:
            self.requests.append(entry)


class _Handler(BaseHTTPRequestHandler):
    fake: FakeOpenAI
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # keep pytest output clean
        pass

    def do_GET(self) -> None:
        if self.path.rstrip("/") == "/v1/models":
            data = [{"id": m, "object": "model", "owned_by": "fake"} for m in self.fake.models]
            self._json(200, {"object": "list", "data": data})
        else:
            self._json(404, {"error": {"message": f"no route {self.path}", "type": "not_found"}})

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b"{}"
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            body = {}
        entry = RecordedRequest(
            path=self.path,
            body=body,
            authorization=self.headers.get("Authorization"),
            started=time.monotonic(),
        )
        self.fake._log(entry)
        if self.path.rstrip("/") != "/v1/chat/completions":
            entry.status = 404
            self._json(404, {"error": {"message": f"no route {self.path}", "type": "not_found"}})
            return
        item = self.fake._next(body)
        if isinstance(item, Fault):
            entry.status = item.status
            error = {"message": item.message, "type": "scripted", "code": str(item.status)}
            self._json(item.status, {"error": error}, item.headers)
            return
        if self.fake.mode == "ollama":
            with self.fake._turn:
                self._stream(body, item)
        else:
            self._stream(body, item)

    # --- writing ----------------------------------------------------------------------------
    def _json(self, status: int, payload: dict[str, Any], headers: dict[str, str] | None = None):
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def _chunk(self, data: bytes) -> None:
        self.wfile.write(f"{len(data):X}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()

    def _event(self, payload: dict[str, Any] | str) -> None:
        text = payload if isinstance(payload, str) else json.dumps(payload)
        self._chunk(f"data: {text}\n\n".encode())

    def _stream(self, body: dict[str, Any], reply: Reply) -> None:
        cut = self.fake._begin()
        try:
            self._write_stream(body, reply, cut)
        finally:
            self.fake._end(cut)

    def _write_stream(self, body: dict[str, Any], reply: Reply, cut: threading.Event) -> None:
        model = body.get("model", "fake-model")
        created = 1_700_000_000

        def chunk(delta: dict[str, Any], finish: str | None) -> dict[str, Any]:
            return {
                "id": "chatcmpl-fake",
                "object": "chat.completion.chunk",
                "created": created,
                "model": model,
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
            }

        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        self._event(chunk({"role": "assistant", "content": ""}, None))
        for i, text in enumerate(reply.chunks):
            if reply.cut_after is not None and i >= reply.cut_after:
                # Drop the connection without the closing zero-length chunk: a network cut.
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
                return
            if self.fake.pace:
                time.sleep(self.fake.pace)
            if cut.is_set():  # a newer request took the model: end with no finish reason
                self._chunk(b"")
                return
            self._event(chunk({"content": text}, None))
        if reply.done:
            self._event(chunk({}, reply.finish_reason))
            wants_usage = (body.get("stream_options") or {}).get("include_usage")
            if reply.usage and wants_usage:
                prompt, completion = reply.usage
                usage_chunk = chunk({}, None)
                usage_chunk["choices"] = []
                usage_chunk["usage"] = {
                    "prompt_tokens": prompt,
                    "completion_tokens": completion,
                    "total_tokens": prompt + completion,
                }
                self._event(usage_chunk)
            self._event("[DONE]")
        self._chunk(b"")  # end of the chunked body
