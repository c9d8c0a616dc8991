"""The results cache tells engines apart by server and context, and never serves a part the
guard still flagged as if it were clean."""

from __future__ import annotations

from dataclasses import replace

from chatpaper.cache import ResultsCache
from chatpaper.config import Settings
from chatpaper.llm.openai_compat import create_openai_backend
from chatpaper.summarize import SummaryJob
from tests.fakes.backend import FakeBackend
from tests.paperkit import CLEAN_EN, make_paper

TEMPLATED = "* (1) 研究设计：本文采用了XXXX（例如：问卷调查、实验研究等）的方法来研究XXXX。\n"


def openai_job(base_url: str, context: int) -> SummaryJob:
    settings = replace(Settings(), openai_context_tokens=context)
    backend = create_openai_backend(settings, model="qwen2.5:7b", base_url=base_url)
    return SummaryJob(make_paper(), backend, settings=settings)


def test_same_model_on_another_server_or_context_is_another_key():
    here = openai_job("http://localhost:11434/v1", 8192).cache_key
    assert here == openai_job("http://localhost:11434/v1", 8192).cache_key
    assert here != openai_job("http://gpu-box:11434/v1", 8192).cache_key
    assert here != openai_job("http://localhost:11434/v1", 32768).cache_key
    # credentials in the URL do not make another key (and never reach the cache)
    assert here == openai_job("http://user:pw@localhost:11434/v1", 8192).cache_key


def backend_with(methods_answers: list[str]) -> FakeBackend:
    backend = FakeBackend()
    for stage, text in CLEAN_EN.items():
        if stage != "methods":
            for _ in range(2):
                backend.enqueue(stage, text)
    for text in methods_answers:
        backend.enqueue("methods", text)
    return backend


def test_a_part_still_flagged_by_the_guard_is_asked_again_next_time(tmp_path):
    cache = ResultsCache(tmp_path)
    settings = Settings(cache_dir=tmp_path)
    backend = backend_with([TEMPLATED, TEMPLATED, CLEAN_EN["methods"]])
    first = SummaryJob(make_paper(), backend, settings=settings, cache=cache)
    list(first.events())
    assert first.state.stages["methods"].warnings  # flagged after the re-ask
    second = SummaryJob(make_paper(), backend, settings=settings, cache=cache)
    list(second.events())
    assert not second.from_cache
    assert second.state.stages["methods"].text == CLEAN_EN["methods"]
    third = SummaryJob(make_paper(), backend, settings=settings, cache=cache)
    list(third.events())
    assert third.from_cache  # a clean summary is cached as before
