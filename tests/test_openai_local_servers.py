"""Local servers through the real openai client: llama-cpp-python cuts a running stream when a
new request arrives, Ollama queues requests; a whole summary must complete on both."""

from __future__ import annotations

from dataclasses import replace

import pytest

from chatpaper.config import Settings
from chatpaper.i18n import get_language
from chatpaper.llm.base import Notice, StageRequest
from chatpaper.llm.openai_compat import create_openai_backend
from chatpaper.pipeline import STAGES, run_pipeline
from tests.fakes.openai_server import FakeOpenAI, Reply
from tests.paperkit import make_paper


def backend(server: FakeOpenAI, **overrides):
    settings = replace(Settings(max_retries=3, max_retry_wait=1.0, http_timeout=5.0), **overrides)
    return create_openai_backend(settings, model="local-llama", base_url=server.base_url)


def summarize(server: FakeOpenAI, **overrides):
    events = list(
        run_pipeline(
            make_paper(), backend(server, **overrides), get_language("en"), use_guard=False
        )
    )
    done = {e.stage: e.text for e in events if e.kind == "stage_done"}
    errors = [e.text for e in events if e.kind == "error"]
    statuses = [e.text for e in events if e.kind == "status"]
    return done, errors, statuses


@pytest.mark.parametrize("mode", ["llama-cpp", "ollama"])
def test_four_stage_summary_completes_on_local_servers(mode):
    with FakeOpenAI(pace=0.01, mode=mode) as server:
        done, errors, statuses = summarize(server)
    assert errors == []
    assert set(done) == set(STAGES) and len(STAGES) == 4
    assert all(text.startswith("Echo from local-llama") for text in done.values())
    serial = [s for s in statuses if "one at a time" in s]
    if mode == "llama-cpp":
        assert server.cuts > 0
        assert len(serial) == 1  # said once, however many streams were cut
    else:
        assert server.cuts == 0 and serial == []


def test_cut_answer_is_continued_and_its_text_kept():
    with FakeOpenAI() as server:
        server.enqueue(Reply(["The method ", "uses a "], done=False), Reply(["small model."]))
        b = backend(server)
        pieces = list(b.stream(StageRequest(stage="tldr", system="S", prompt="P")))
    text = "".join(p for p in pieces if isinstance(p, str))
    assert text == "The method uses a small model."
    notices = [p.message for p in pieces if isinstance(p, Notice)]
    assert any("retry 1 of 3" in n for n in notices)
    again = server.requests[1].messages
    assert again[-2] == {"role": "assistant", "content": "The method uses a "}
    assert "Continue" in again[-1]["content"]


def test_continuing_is_bounded():
    with FakeOpenAI() as server:
        server.enqueue(*[Reply(["part "], done=False) for _ in range(5)])
        b = backend(server, max_retries=2)
        received = []
        with pytest.raises(Exception, match="ended without finishing"):
            for piece in b.stream(StageRequest(stage="tldr", system="S", prompt="P")):
                received.append(piece)
    assert len(server.requests) == 3
    assert "".join(p for p in received if isinstance(p, str)) == "part part part "


def test_after_a_cut_requests_go_one_at_a_time():
    with FakeOpenAI(pace=0.01, mode="llama-cpp") as server:
        summarize(server)
        first_cut_done = server.max_in_flight
        server.max_in_flight = 0
        b = backend(server)
        b._go_serial()  # as after a cut
        list(run_pipeline(make_paper(), b, get_language("en"), use_guard=False))
    assert first_cut_done > 1  # the pipeline does run stages at once
    assert server.max_in_flight == 1 and server.cuts >= 1


def test_concurrency_setting_limits_requests_in_flight():
    with FakeOpenAI(pace=0.01, mode="parallel") as server:
        done, errors, _ = summarize(server, openai_concurrency=2)
    assert errors == [] and len(done) == 4
    assert server.max_in_flight <= 2


def test_concurrency_setting_is_read_from_the_environment(monkeypatch):
    monkeypatch.setenv("CHATPAPER_OPENAI_CONCURRENCY", "1")
    assert Settings.from_env().openai_concurrency == 1
