"""One summary job: a paper, an engine, a language -> events and the final Markdown.

Shared by the app, the CLI and the digest, so caching and rendering behave the same
everywhere. A job is built per request; the API key it was given lives only in its backend.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from .cache import ResultsCache, cache_key
from .config import Settings
from .i18n import Language, get_language
from .llm.base import Backend, create_backend
from .paper import Paper
from .pipeline import STAGES, Event, SummaryState, run_pipeline
from .prompts import prompt_version
from .render import render_document, render_header


class SummaryJob:
    def __init__(
        self,
        paper: Paper,
        *,
        settings: Settings,
        language: str | Language = "en",
        engine: str | None = None,
        model: str | None = None,
        api_key: str | None = None,
        cache: ResultsCache | None = None,
        refresh: bool = False,
        stages: Sequence[str] = STAGES,
        backend: Backend | None = None,
    ):
        self.paper = paper
        self.settings = settings
        self.lang = language if isinstance(language, Language) else get_language(language)
        # A caller that runs many jobs (the digest) builds one backend and passes it in.
        self.backend = backend or create_backend(engine, settings, model=model, api_key=api_key)
        self.cache = cache
        self.refresh = refresh
        self.stages = tuple(stages)
        self.state = SummaryState()
        self.from_cache = False

    @property
    def engine(self) -> str:
        return self.backend.name

    @property
    def engine_note(self) -> str | None:
        return (
            self.lang.labels["offline_note"] if getattr(self.backend, "extractive", False) else None
        )

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
        if self.cache is not None and key:
            self.cache.put(key, self.state, engine=self.backend.name, model=self.backend.model)

    def _apply(self, event: Event) -> Event:
        self.state.apply(event)
        return event

    def header(self) -> str:
        return render_header(self.paper, self.lang, engine_note=self.engine_note)

    def markdown(self) -> str:
        return render_document(self.paper, self.state, self.lang, engine_note=self.engine_note)
