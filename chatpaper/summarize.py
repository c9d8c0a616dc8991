"""One summary job: a paper, an engine, a language -> events and the final Markdown.

Shared by the app, the CLI and the digest, so caching and rendering behave the same
everywhere. The edges (app, CLI, digest) build the backend and pass it in; a visitor's API key
lives only in that backend, never in the job.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence

from .cache import ResultsCache, cache_key
from .config import Settings
from .document import SummaryDocument, build_document, stage_panels
from .grounding import Grounder
from .i18n import Language, get_language
from .llm.base import Backend
from .paper import Figure, Paper
from .pipeline import STAGES, Event, SummaryState, run_pipeline
from .prompts import prompt_version
from .render import defuse_model_markdown, render_document, render_header


class SummaryJob:
    def __init__(
        self,
        paper: Paper,
        backend: Backend,
        *,
        settings: Settings,
        language: str | Language = "en",
        cache: ResultsCache | None = None,
        refresh: bool = False,
        stages: Sequence[str] = STAGES,
        show_pages: bool = True,
    ):
        self.paper = paper
        self.settings = settings
        self.lang = language if isinstance(language, Language) else get_language(language)
        self.backend = backend
        self.cache = cache
        self.refresh = refresh
        self.stages = tuple(stages)
        self.state = SummaryState()
        self.from_cache = False
        self.show_pages = show_pages  # False hides page references; the checks still run
        self._grounder: Grounder | None = None
        # The app pulls events in a worker and reads the panels in its handler: one lock
        # keeps a reader from seeing the state half-updated.
        self._lock = threading.Lock()

    @property
    def engine(self) -> str:
        return self.backend.name

    @property
    def engine_note(self) -> str | None:
        return self.lang.labels["offline_note"] if self.backend.extractive else None

    @property
    def cache_key(self) -> str | None:
        if not self.paper.fingerprint:
            return None
        return cache_key(
            self.paper.fingerprint,
            engine=self.backend.name,
            model=self.backend.model,
            language=self.lang.name,
            prompt_version=prompt_version(),
            stages=self.stages,
            # ``where`` is the server without credentials; the offline engine has none
            server=str(getattr(self.backend, "where", "") or ""),
            context_tokens=int(getattr(self.backend, "context_tokens", 0) or 0),
        )

    def events(self) -> Iterator[Event]:
        """Stream the summary; a cached result is replayed without calling the model."""
        key = self.cache_key
        if self.cache is not None and key and not self.refresh:
            cached = self.cache.get(key)
            if cached is not None and all(s in cached.stages for s in self.stages):
                self.from_cache = True
                yield self._apply(Event("status", text="Served from the results cache."))
                for stage in self.stages:
                    result = cached.stages[stage]
                    for warning in result.warnings:
                        yield self._apply(Event("warning", stage, warning))
                    yield self._apply(Event("stage_done", stage, result.text))
                return
        label = f"{self.backend.name} ({self.backend.model})"
        yield self._apply(Event("status", text=f"Summarizing with {label}…"))
        for event in run_pipeline(
            self.paper,
            self.backend,
            self.lang,
            stages=self.stages,
            concurrency=self.settings.stage_concurrency,
        ):
            yield self._apply(event)
        if self.cache is not None and key and not self._guard_defects_left():
            self.cache.put(key, self.state, engine=self.backend.name, model=self.backend.model)

    def _guard_defects_left(self) -> bool:
        """A part the guard still flagged after its re-ask is not cached as clean: a rerun
        asks the model again."""
        marker = self.lang.labels["guard_warning"].split("{", 1)[0]
        return any(
            warning.startswith(marker)
            for result in self.state.stages.values()
            for warning in result.warnings
        )

    def _apply(self, event: Event) -> Event:
        with self._lock:
            self.state.apply(event)
        return event

    def header(self) -> str:
        return render_header(self.paper, self.lang, engine_note=self.engine_note)

    @property
    def grounder(self) -> Grounder:
        """Checks the finished parts' page citations and numbers against this paper."""
        if self._grounder is None:
            self._grounder = Grounder.for_paper(
                self.paper, self.lang.code, show_pages=self.show_pages
            )
        return self._grounder

    def grounding_summary(self) -> str:
        """E.g. "38 of 41 citations checked on their pages, 1 number not found in the paper."."""
        texts = [r.text for r in self.state.stages.values() if r.done and not r.error]
        return self.grounder.summary(defuse_model_markdown(t.strip()) for t in texts)

    def markdown(self) -> str:
        return render_document(
            self.paper,
            self.state,
            self.lang,
            engine_note=self.engine_note,
            grounder=self.grounder,
        )

    def panels(self) -> dict[str, str]:
        """Each stage's panel so far (numbered heading, text, warnings, error)."""
        with self._lock:
            return stage_panels(self.state, self.lang, self.stages, self.grounder)

    def stages_where(self, done: bool) -> list[str]:
        """The stages begun so far that are (``done=True``) or are not yet finished."""
        with self._lock:
            return [name for name, result in self.state.stages.items() if result.done == done]

    def document(self, figures: Sequence[Figure] = ()) -> SummaryDocument:
        """The finished summary with its figures: what the download and ``--out`` write."""
        return build_document(
            self.paper,
            self.state,
            self.lang,
            engine_note=self.engine_note,
            figures=figures,
            grounder=self.grounder,
        )


def document_from_state(
    paper: Paper,
    state: SummaryState,
    language: str | Language,
    *,
    figures: Sequence[Figure] = (),
    extractive: bool = False,
    show_pages: bool = True,
) -> SummaryDocument:
    """The document of a finished run kept without its backend (the app's session, after a
    "retry this part"): the same Markdown a job would write."""
    lang = language if isinstance(language, Language) else get_language(language)
    grounder = Grounder.for_paper(paper, lang.code, show_pages=show_pages)
    note = lang.labels["offline_note"] if extractive else None
    return build_document(paper, state, lang, engine_note=note, figures=figures, grounder=grounder)
