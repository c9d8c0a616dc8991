"""The OpenAI-compatible engine, through the real ``openai`` client, against FakeOpenAI."""

from __future__ import annotations

import time
from dataclasses import replace

import pytest

from chatpaper.config import Settings
from chatpaper.errors import (
    BackendError,
    InvalidKeyError,
    MissingKeyError,
    RateLimitError,
    StreamInterruptedError,
)
from chatpaper.llm.base import Notice, StageRequest, Usage, available_engines, create_backend
from chatpaper.llm.openai_compat import (
    LENGTH_WARNING,
    OpenAICompatBackend,
    create_openai_backend,
    display_url,
)
from chatpaper.retry import format_seconds, retry_after_seconds
from chatpaper.text import redact
from tests.fakes.openai_server import FakeOpenAI, Fault, Reply

SECRET = "sk-test-SECRET-0123456789abcdef"


@pytest.fixture
def server():
    with FakeOpenAI() as fake:
        yield fake


@pytest.fixture(autouse=True)
def _no_env(monkeypatch):
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "OPENAI_ADMIN_KEY"):
        monkeypatch.delenv(name, raising=False)


def settings(**overrides) -> Settings:
    base = Settings(max_retries=2, max_retry_wait=2.0, http_timeout=5.0)
    return replace(base, **overrides)


def backend(server: FakeOpenAI, **overrides) -> OpenAICompatBackend:
    b = create_openai_backend(
        settings(**overrides), model="local-llama", api_key=SECRET, base_url=server.base_url
    )
    b.backoff_base = 0.01  # no real multi-second backoff in tests
    return b


def request(stage: str = "tldr") -> StageRequest:
    return StageRequest(
        stage=stage,
        system="You summarise papers.",
        prompt=f"PAPER TEXT ... Now write the {stage} part.",
        max_output_tokens=777,
    )


def split(pieces):
    text = "".join(p for p in pieces if isinstance(p, str))
    notices = [p for p in pieces if isinstance(p, Notice)]
    usage = [p for p in pieces if isinstance(p, Usage)]
    return text, notices, usage


def test_streams_chunks_in_order_and_reports_usage(server):
    server.enqueue(Reply(["**Summary**: ", "A ", "short ", "answer."], usage=(500, 42)))
    pieces = list(backend(server).stream(request()))
    texts = [p for p in pieces if isinstance(p, str)]
    assert texts == ["**Summary**: ", "A ", "short ", "answer."]
    assert [p for p in pieces if isinstance(p, Usage)] == [Usage(500, 42, 0)]
    assert not [p for p in pieces if isinstance(p, Notice)]


def test_model_base_url_messages_and_key_reach_the_server(server):
    list(backend(server).stream(request("methods")))
    [sent] = server.requests
    assert sent.path == "/v1/chat/completions"
    assert sent.model == "local-llama"
    assert sent.messages == [
        {"role": "system", "content": "You summarise papers."},
        {"role": "user", "content": "PAPER TEXT ... Now write the methods part."},
    ]
    assert sent.authorization == f"Bearer {SECRET}"
    assert sent.body["stream"] is True
    assert sent.body["stream_options"] == {"include_usage": True}
    assert sent.body["max_tokens"] == 777  # compatible servers implement max_tokens


def test_default_reply_echoes_the_prompt(server):
    text, _, _ = split(list(backend(server).stream(request("conclusion"))))
    assert "local-llama" in text
    assert "Now write the conclusion part." in text


def test_server_that_ignores_include_usage_is_fine(server):
    server.enqueue(Reply(["fine"], usage=None))
    text, notices, usage = split(list(backend(server).stream(request())))
    assert text == "fine" and usage == [] and notices == []


def test_server_that_rejects_stream_options_is_asked_again_without(server):
    server.enqueue(Fault(400, "Unrecognized request argument supplied: stream_options"))
    text, notices, _ = split(list(backend(server).stream(request("tldr"))))
    assert "Now write the tldr part." in text and notices == []
    first, second = server.requests
    assert "stream_options" in first.body and "stream_options" not in second.body


def test_rate_limit_waits_with_a_visible_notice_then_succeeds(server):
    server.enqueue(Fault(429, "slow down", headers={"Retry-After": "0.3"}), Reply(["ok"]))
    started = time.monotonic()
    text, notices, _ = split(list(backend(server).stream(request())))
    assert text == "ok"
    assert len(server.requests) == 2
    assert time.monotonic() - started >= 0.3  # the server's Retry-After was honoured
    [notice] = notices
    assert notice.level == "status"
    assert "Rate-limited" in notice.message and "retry 1 of 2" in notice.message
    assert "waiting 0.3 s" in notice.message


def test_retry_after_ms_wins_over_backoff(server):
    server.enqueue(Fault(429, headers={"retry-after-ms": "150"}), Reply(["ok"]))
    list(backend(server).stream(request()))
    first, second = server.requests
    assert second.started - first.started >= 0.15


def test_rate_limit_gives_up_after_max_retries(server):
    server.enqueue(*[Fault(429, headers={"Retry-After": "0"})] * 3)
    pieces = []
    with pytest.raises(RateLimitError, match="still rate-limiting after 2 retries"):
        for piece in backend(server).stream(request()):
            pieces.append(piece)
    assert len(server.requests) == 3  # first try + max_retries, no SDK retries on top
    assert sum(isinstance(p, Notice) for p in pieces) == 2


def test_rate_limit_longer_than_allowed_is_not_waited(server):
    server.enqueue(Fault(429, headers={"Retry-After": "600"}))
    with pytest.raises(RateLimitError, match="asks to wait 600 s"):
        list(backend(server).stream(request()))
    assert len(server.requests) == 1


def test_server_error_is_retried_with_backoff(server):
    server.enqueue(Fault(500, "boom"), Fault(503), Reply(["recovered"]))
    text, notices, _ = split(list(backend(server).stream(request())))
    assert text == "recovered"
    assert [n.level for n in notices] == ["status", "status"]
    assert "HTTP 500" in notices[0].message and "HTTP 503" in notices[1].message


def test_server_error_gives_up(server):
    server.enqueue(*[Fault(502)] * 3)
    with pytest.raises(BackendError, match=r"kept failing \(HTTP 502\)"):
        list(backend(server).stream(request()))


def test_bad_key_is_not_retried_and_never_shown(server):
    server.enqueue(Fault(401, f"Incorrect API key provided: {SECRET}"))
    with pytest.raises(InvalidKeyError) as caught:
        list(backend(server).stream(request()))
    assert len(server.requests) == 1
    assert SECRET not in str(caught.value)
    assert "sk-" not in str(caught.value)
    assert "rejected the API key" in str(caught.value)


def test_forbidden_is_an_invalid_key(server):
    server.enqueue(Fault(403, "no access"))
    with pytest.raises(InvalidKeyError):
        list(backend(server).stream(request()))


def test_unknown_model_names_the_model_and_hides_the_key(server):
    server.enqueue(Fault(404, f"model 'local-llama' not found (key {SECRET})"))
    with pytest.raises(BackendError) as caught:
        list(backend(server).stream(request()))
    message = str(caught.value)
    assert "HTTP 404" in message and "local-llama" in message
    assert SECRET not in message
    assert len(server.requests) == 1


def test_prompt_too_long_says_how_to_fit_it(server):
    server.enqueue(Fault(400, "This model's maximum context length is 8192 tokens."))
    with pytest.raises(BackendError, match="lower CHATPAPER_OPENAI_CONTEXT_TOKENS") as caught:
        list(backend(server).stream(request()))
    assert str(caught.value).count(". ") == 0  # one sentence


def test_cut_stream_keeps_the_text_then_raises(server):
    server.enqueue(Reply(["one ", "two ", "three ", "four"], cut_after=2))
    received = []
    with pytest.raises(StreamInterruptedError, match="stopped part-way"):
        for piece in backend(server).stream(request()):
            received.append(piece)
    assert "".join(p for p in received if isinstance(p, str)) == "one two "


def test_stream_ending_without_finish_is_interrupted(server):
    server.enqueue(Reply(["half an ", "answer"], done=False))
    received = []
    with pytest.raises(StreamInterruptedError, match="ended without finishing"):
        for piece in backend(server, max_retries=0).stream(request()):
            received.append(piece)
    assert "".join(p for p in received if isinstance(p, str)) == "half an answer"


def test_empty_unfinished_answer_is_an_error_not_a_cut(server):
    server.enqueue(*[Reply([], done=False) for _ in range(3)])  # asked again, bounded
    with pytest.raises(BackendError, match="empty answer") as caught:
        list(backend(server).stream(request()))
    assert not isinstance(caught.value, StreamInterruptedError)


def test_length_finish_gives_a_warning_after_the_text(server):
    server.enqueue(Reply(["partial ", "answer"], finish_reason="length"))
    pieces = list(backend(server).stream(request()))
    text, notices, _ = split(pieces)
    assert text == "partial answer"
    assert notices == [Notice("warning", LENGTH_WARNING)]
    assert pieces.index(notices[0]) > pieces.index("answer")


def test_connection_refused_names_the_server_not_the_key():
    with FakeOpenAI() as fake:
        url = fake.base_url  # closed when the block ends: nothing listens there any more
    b = create_openai_backend(settings(), model="m", api_key=SECRET, base_url=url)
    with pytest.raises(BackendError) as caught:
        list(b.stream(request()))
    assert url in str(caught.value)
    assert SECRET not in str(caught.value)


def test_chunks_arrive_as_the_server_sends_them():
    with FakeOpenAI(pace=0.15) as fake:
        fake.enqueue(Reply(["a", "b", "c"]))
        b = create_openai_backend(settings(), model="m", api_key=SECRET, base_url=fake.base_url)
        arrivals = []
        for piece in b.stream(request()):
            if isinstance(piece, str):
                arrivals.append(time.monotonic())
    # streamed, not buffered: the first chunk came well before the last
    assert arrivals[-1] - arrivals[0] >= 0.25


# --- configuration -------------------------------------------------------------------------
def test_local_server_needs_no_key(server):
    b = create_openai_backend(settings(openai_base_url=server.base_url))
    list(b.stream(request()))
    assert server.requests[0].authorization == "Bearer not-needed"
    assert b.model == "gpt-4o-mini"  # settings.openai_model
    assert b.context_tokens == 128_000


def test_env_supplies_base_url_and_key(server, monkeypatch):
    monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    b = create_backend("openai", settings(openai_context_tokens=8192), model="qwen")
    list(b.stream(request()))
    assert server.requests[0].authorization == f"Bearer {SECRET}"
    assert server.requests[0].model == "qwen"
    assert b.context_tokens == 8192


def test_official_api_without_key_says_how_to_set_one():
    with pytest.raises(MissingKeyError, match="OPENAI_API_KEY"):
        create_openai_backend(settings())


def test_official_api_gets_max_completion_tokens():
    b = create_openai_backend(settings(), api_key=SECRET)
    assert b.base_url is None and b.where == "https://api.openai.com/v1"
    assert SECRET not in repr(b)


def test_offered_only_when_a_server_or_key_is_configured(monkeypatch, server):
    assert "openai" not in available_engines(settings())
    assert "openai" in available_engines(settings(openai_base_url=server.base_url))
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    assert "openai" in available_engines(settings())


# --- pure helpers --------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"retry-after": "7"}, 7.0),
        ({"retry-after": "1.5"}, 1.5),
        ({"retry-after-ms": "250", "retry-after": "9"}, 0.25),
        ({"retry-after": "soon"}, None),
        ({}, None),
        ({"retry-after": "Thu, 01 Jan 1970 00:00:00 GMT"}, 0.0),  # a date in the past
    ],
)
def test_retry_after_seconds(headers, expected):
    assert retry_after_seconds(headers) == expected


def test_display_url_drops_credentials():
    assert display_url("http://user:pw@localhost:11434/v1/?token=x") == "http://localhost:11434/v1"


def test_seconds_read_as_people_say_them():
    assert [format_seconds(v) for v in (26.0, 12.4, 2.0, 1.5, 0.25)] == [
        "26",
        "12",
        "2",
        "1.5",
        "0.2",
    ]


def test_redact_removes_keys():
    assert "abc" not in redact("bad key sk-abc123456789 given", None)
    assert "AIza" not in redact("API key AIzaSyA-0123456789abcdefghijk not valid", None)
    assert redact("the key mysecretvalue leaked", "mysecretvalue") == "the key *** leaked"
