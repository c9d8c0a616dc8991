"""Run the summary stages concurrently and yield events as text arrives.

Data flow: paper -> context per stage -> backend stream -> guard -> events. The caller (UI,
CLI, digest) folds events into a ``SummaryState``; a failed stage reports an error event and
keeps its partial text, and never stops the other stages.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace

from . import guard
from .context import MARGIN_TOKENS, build_context, estimate_tokens
from .errors import ChatPaperError
from .fanout import fan_out
from .i18n import Language
from .llm.base import Backend, Notice, StageRequest, Usage
from .paper import Paper
from .prompts import fill, fill_with_labels
from .stages import DEFAULT_OUTPUT_TOKENS, STAGE_NAMES, stage_record

log = logging.getLogger(__name__)

STAGES: tuple[str, ...] = STAGE_NAMES  # what each stage is: chatpaper/stages.py


@dataclass(frozen=True)
class Event:
    """One thing that happened. ``kind`` is one of:

    status        transient progress ("waiting 20 s for the rate limit")
    stage_start   a stage began
    chunk         ``text`` is new text for ``stage``
    stage_restart the stage is asked again (the guard found defects): discard its text and
                  warnings
    stage_done    ``text`` is the stage's final, cleaned text
    warning       something the user should know about ``stage`` (kept with the answer)
    error         ``stage`` failed: ``text`` is the one-sentence reason; partial text is kept
    usage         token counts for one model call
    """

    kind: str
    stage: str | None = None
    text: str = ""
    usage: Usage | None = None


@dataclass
class StageResult:
    text: str = ""
    done: bool = False
    warnings: list[str] = field(default_factory=list)
    error: str | None = None


@dataclass
class SummaryState:
    """Everything the events said so far; what the UI shows and the cache stores."""

    stages: dict[str, StageResult] = field(default_factory=dict)
    status: str = ""
    input_tokens: int = 0
    output_tokens: int = 0
    cached_tokens: int = 0

    def result(self, stage: str) -> StageResult:
        return self.stages.setdefault(stage, StageResult())

    def apply(self, event: Event) -> None:
        if event.kind == "status":
            self.status = event.text
            return
        if event.kind == "usage" and event.usage:
            self.input_tokens += event.usage.input_tokens
            self.output_tokens += event.usage.output_tokens
            self.cached_tokens += event.usage.cached_tokens
            return
        if event.stage is None:
            return
        result = self.result(event.stage)
        if event.kind == "chunk":
            result.text += event.text
        elif event.kind == "stage_restart":  # a clean slate: the discarded answer's warnings go too
            result.text = ""
            result.warnings = []
        elif event.kind == "stage_done":
            result.text = event.text
            result.done = True
        elif event.kind == "warning":
            if event.text not in result.warnings:
                result.warnings.append(event.text)
        elif event.kind == "error":
            result.error = event.text
            result.done = True

    @property
    def complete(self) -> bool:
        return all(r.done for r in self.stages.values()) and bool(self.stages)

    @property
    def errors(self) -> dict[str, str]:
        return {name: r.error for name, r in self.stages.items() if r.error}

    def to_dict(self) -> dict:
        return {
            name: {"text": r.text, "warnings": r.warnings, "error": r.error}
            for name, r in self.stages.items()
        }

    @classmethod
    def from_dict(cls, data: dict) -> SummaryState:
        state = cls()
        for name, item in data.items():
            state.stages[name] = StageResult(
                text=item.get("text", ""),
                done=True,
                warnings=list(item.get("warnings", [])),
                error=item.get("error"),
            )
        return state


def required_parts(stage: str, lang: Language) -> tuple[str, ...]:
    record = stage_record(stage)
    return record.required_parts(lang) if record else ()


def abstract_of(paper: Paper) -> str:
    """The abstract from arXiv, else the PDF's abstract section, else the paper's opening."""
    if paper.meta.abstract.strip():
        return paper.meta.abstract.strip()
    for section in paper.sections_with_role("abstract"):
        if section.text.strip():
            return section.text.strip()[:4000]
    return paper.text[:3000].strip()


def build_request(
    paper: Paper, stage: str, lang: Language, backend: Backend
) -> tuple[StageRequest, bool]:
    """The request for one stage, and whether the paper had to be shortened for it."""
    system = fill_with_labels("system", lang)
    title = paper.title or "(untitled)"
    record = stage_record(stage)
    prompt_name = record.prompt_name if record else stage
    if record is not None and record.reads == "abstract":
        prompt = fill_with_labels(prompt_name, lang, title=title, abstract=abstract_of(paper))
        shortened = False
    else:
        authors = ", ".join(paper.authors) or "(not given)"
        instruction = fill_with_labels(prompt_name, lang)
        # The paper gets what the context leaves after this stage's own prompt and answer.
        reserved = (
            (record.max_output_tokens if record else DEFAULT_OUTPUT_TOKENS)
            + estimate_tokens(system)
            + estimate_tokens(instruction)
            + estimate_tokens(fill("paper", title=title, authors=authors, body=""))
            + MARGIN_TOKENS
        )
        context = build_context(paper, stage, backend.context_tokens, reserved=reserved)
        head = fill("paper", title=title, authors=authors, body=context.text)
        prompt = f"{head}\n\n{instruction}"
        shortened = context.shortened
    request = StageRequest(
        stage=stage,
        system=system,
        prompt=prompt,
        language=lang.name,
        paper=paper,
        max_output_tokens=record.max_output_tokens if record else DEFAULT_OUTPUT_TOKENS,
    )
    return request, shortened


def corrected_request(
    request: StageRequest, defects: list[guard.Defect], language: str
) -> StageRequest:
    """The same request with the corrective instruction that names what was wrong."""
    problems = guard.corrective_instruction(defects, language)
    return replace(request, prompt=f"{request.prompt}\n\n{fill('corrective', problems=problems)}")


class _Cancelled(Exception):
    pass


def _stream_once(
    backend: Backend,
    request: StageRequest,
    stage: str,
    emit,
    cancel: threading.Event,
) -> str:
    """Stream one model call into events; return the text it produced."""
    parts: list[str] = []
    for piece in backend.stream(request):
        if cancel.is_set():
            raise _Cancelled
        if isinstance(piece, str):
            if piece:
                parts.append(piece)
                emit(Event("chunk", stage, piece))
        elif isinstance(piece, Notice):
            kind = "warning" if piece.level == "warning" else "status"
            emit(Event(kind, stage, piece.message))
        elif isinstance(piece, Usage):
            emit(Event("usage", stage, usage=piece))
    return "".join(parts)


def _run_stage(
    paper: Paper,
    stage: str,
    lang: Language,
    backend: Backend,
    emit,
    cancel: threading.Event,
    shortened_note: str,
    use_guard: bool,
) -> None:
    try:
        request, shortened = build_request(paper, stage, lang, backend)
        emit(Event("stage_start", stage))
        if shortened:
            emit(Event("warning", stage, shortened_note))
        required = required_parts(stage, lang)

        # An extractive engine quotes the paper verbatim (in the paper's language): there is
        # nothing to re-ask, and its quotes are not "the wrong language".
        extractive = backend.extractive

        def clean(text: str) -> tuple[str, list[guard.Defect]]:
            if not use_guard or extractive:
                return text, []
            text = guard.trim_chatter(text)
            found = guard.find_defects(
                text, required=required, language=lang.name, arxiv_id=paper.arxiv_id
            )
            return text, found

        final, defects = clean(_stream_once(backend, request, stage, emit, cancel))
        if defects:
            kinds = ", ".join(sorted({d.kind for d in defects}))
            emit(Event("status", stage, f"Re-asking for the {stage} part (found: {kinds})."))
            emit(Event("stage_restart", stage))
            if shortened:  # about the paper, not the discarded answer: still true
                emit(Event("warning", stage, shortened_note))
            retry = corrected_request(request, defects, lang.name)
            final, defects = clean(_stream_once(backend, retry, stage, emit, cancel))
            if defects:
                listed = "; ".join(f"{d.kind}: {d.text[:80]}" for d in defects[:3])
                emit(Event("warning", stage, lang.labels["guard_warning"].format(defects=listed)))
        emit(Event("stage_done", stage, final))
    except _Cancelled:
        return
    except ChatPaperError as err:
        emit(Event("error", stage, str(err)))
    except Exception as err:  # a bug or an unexpected library error: keep the other stages
        log.exception("stage %s failed", stage)
        emit(
            Event(
                "error",
                stage,
                f"An unexpected error ({type(err).__name__}) stopped this part; "
                "the other parts are not affected, try again.",
            )
        )


def run_pipeline(
    paper: Paper,
    backend: Backend,
    lang: Language,
    *,
    stages: Sequence[str] = STAGES,
    concurrency: int = 4,
    use_guard: bool = True,
) -> Iterator[Event]:
    """Yield events from all stages, run concurrently (at most ``concurrency`` at a time).

    Closing the generator (the user cancelled) tells the workers to stop at the next chunk.
    """
    shortened_note = lang.labels["shortened"]

    def work(stage: str, emit, cancel: threading.Event) -> None:
        _run_stage(paper, stage, lang, backend, emit, cancel, shortened_note, use_guard)

    # tldr is first in STAGES, so it starts (and shows) first
    yield from fan_out(stages, work, workers=concurrency, name="stage")
