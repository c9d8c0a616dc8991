"""A backend you can hear, for unit tests (it does not ship in the package)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from chatpaper.llm.base import Piece, StageRequest


@dataclass
class FakeBackend:
    """A backend you can hear: replies are queued, calls are recorded (llm's MockModel).

    ``enqueue(stage, *pieces)`` queues one reply for a stage (or ``"*"`` for any stage); a
    piece that is an Exception is raised at that point of the stream.
    """

    name: str = "fake"
    model: str = "fake-model"
    context_tokens: int = 1_000_000
    extractive: bool = False
    needs_key: bool = False
    history: list[StageRequest] = field(default_factory=list)
    replies: dict[str, list[list[object]]] = field(default_factory=dict)

    def enqueue(self, stage: str, *pieces: object) -> FakeBackend:
        self.replies.setdefault(stage, []).append(list(pieces))
        return self

    def stream(self, request: StageRequest) -> Iterator[Piece]:
        self.history.append(request)
        queue = self.replies.get(request.stage) or self.replies.get("*") or []
        reply = queue.pop(0) if queue else [f"Fake answer for {request.stage}."]
        for piece in reply:
            if isinstance(piece, BaseException):
                raise piece
            yield piece  # type: ignore[misc]
