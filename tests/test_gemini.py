"""The Gemini backend, with the real google-genai client talking to FakeGemini over HTTP."""

from __future__ import annotations

import logging
import socket
import threading
import time
from dataclasses import replace

import pytest

from chatpaper.config import Settings
from chatpaper.errors import (
    BackendError,
    BlockedError,
    InvalidKeyError,
    MissingKeyError,
    RateLimitError,
    StreamInterruptedError,
)
from chatpaper.llm import Notice, StageRequest, Usage, available_engines, create_backend, engines
from chatpaper.llm.gemini import (
    GEMINI_CONTEXT_TOKENS,
    GeminiBackend,
    classify_api_error,
    finish_warning,
    generation_plan,
    parse_duration,
    retry_delay_seconds,
)
from tests.fakes.gemini_server import (
    FAKE_GEMINI_KEY,
    FakeGemini,
    RecordedRequest,
    blocked,
    default_reply,
    error_mid_stream,
    error_reply,
    model_not_found,
    permission_denied,
    rate_limited,
    serve_fake_gemini,
    server_error,
    stopped_early,
    stream_cut,
    text_reply,
)

REQUEST = StageRequest(
    stage="tldr",
    system="You write the TL;DR of a research paper.",
    prompt="PAPER TEXT: Attention is all you need.\n\nWrite the TL;DR.",
    max_output_tokens=777,
)


@pytest.fixture
def fake_gemini(monkeypatch):
    yield from serve_fake_gemini(monkeypatch)


@pytest.fixture
def fast_settings(settings: Settings) -> Settings:
    """Three retries, waits capped at 2 s."""
    return replace(settings, max_retries=3, max_retry_wait=2.0)


def backend_for(settings: Settings, **kw) -> GeminiBackend:
    backend = create_backend("gemini", settings, **kw)
    assert isinstance(backend, GeminiBackend)
    backend.backoff_base = 0.01  # 5xx / transport retries wait 10 ms, 20 ms, 40 ms
    return backend


def collect(backend: GeminiBackend, request: StageRequest = REQUEST):
    """Everything the stream yielded, by kind, and the error that ended it (or None)."""
    texts: list[str] = []
    notices: list[Notice] = []
    usages: list[Usage] = []
    error: BaseException | None = None
    try:
        for piece in backend.stream(request):
            if isinstance(piece, str):
                texts.append(piece)
            elif isinstance(piece, Notice):
                notices.append(piece)
            else:
                usages.append(piece)
    except BackendError as err:
        error = err
    return texts, notices, usages, error


# --- streaming ------------------------------------------------------------------------------
def test_streams_chunks_in_order_then_usage(fake_gemini: FakeGemini, fast_settings):
    fake_gemini.enqueue(
        text_reply(
            ["**TL;DR** ", "Transformers replace ", "recurrence with attention."],
            usage={
                "promptTokenCount": 1200,
                "candidatesTokenCount": 15,
                "cachedContentTokenCount": 1000,
                "totalTokenCount": 1215,
            },
        )
    )
    pieces = list(backend_for(fast_settings).stream(REQUEST))

    assert pieces[:3] == ["**TL;DR** ", "Transformers replace ", "recurrence with attention."]
    assert pieces[3:] == [Usage(input_tokens=1200, output_tokens=15, cached_tokens=1000)]


def test_model_system_prompt_and_generation_config_reach_gemini(
    fake_gemini: FakeGemini, fast_settings
):
    list(backend_for(fast_settings).stream(REQUEST))

    [sent] = fake_gemini.generate_requests
    assert sent.path == "/v1beta/models/gemini-flash-latest:streamGenerateContent?alt=sse"
    assert sent.api_key == FAKE_GEMINI_KEY
    assert sent.system == REQUEST.system
    assert sent.prompt == REQUEST.prompt
    config = sent.generation_config
    # Thought tokens count against maxOutputTokens: the answer keeps its 777 on top of them.
    assert config["maxOutputTokens"] == 777 + 8192
    thinking = config["thinkingConfig"]
    assert (thinking.get("thinkingLevel") or thinking.get("thinking_level")) == "LOW"
    # Gemini 3 models loop at low temperatures: their default (1.0) is left alone.
    assert "temperature" not in config


def test_gemini_2_models_get_low_temperature_and_a_small_thinking_budget(
    fake_gemini: FakeGemini, fast_settings
):
    list(backend_for(fast_settings, model="gemini-2.5-flash").stream(REQUEST))

    [sent] = fake_gemini.generate_requests
    assert sent.model == "gemini-2.5-flash"
    assert sent.generation_config["temperature"] == pytest.approx(0.2)
    assert sent.generation_config["maxOutputTokens"] == 777 + 512
    thinking = sent.generation_config["thinkingConfig"]
    assert (thinking.get("thinkingBudget") or thinking.get("thinking_budget")) == 512


def test_model_comes_from_settings_then_the_factory_argument(fake_gemini, fast_settings):
    assert backend_for(replace(fast_settings, model="gemini-pro-latest")).model == (
        "gemini-pro-latest"
    )
    assert backend_for(fast_settings, model="gemini-3.5-flash").model == "gemini-3.5-flash"
    assert backend_for(fast_settings).context_tokens == GEMINI_CONTEXT_TOKENS


def test_chatpaper_model_env_var_picks_the_model(fake_gemini, monkeypatch):
    monkeypatch.setenv("CHATPAPER_MODEL", "gemini-2.5-pro")
    backend = backend_for(Settings.from_env())
    list(backend.stream(REQUEST))
    assert fake_gemini.generate_requests[0].model == "gemini-2.5-pro"


def test_sdk_api_version_variable_is_honoured(fake_gemini, fast_settings, monkeypatch):
    monkeypatch.setenv("GOOGLE_GENAI_API_VERSION", "v1")
    list(backend_for(fast_settings).stream(REQUEST))
    assert fake_gemini.generate_requests[0].path.startswith("/v1/models/gemini-flash-latest:")


def test_thought_parts_are_not_shown(fake_gemini: FakeGemini, fast_settings):
    fake_gemini.enqueue(text_reply("The answer.", thoughts=("Let me think about it...",)))
    texts, _, _, error = collect(backend_for(fast_settings))
    assert error is None
    assert "".join(texts) == "The answer."


def test_explicit_key_is_used_instead_of_the_environment(fake_gemini, fast_settings):
    list(backend_for(fast_settings, api_key="visitor-own-key").stream(REQUEST))
    assert fake_gemini.generate_requests[0].api_key == "visitor-own-key"


def test_parallel_streams_share_one_backend(fake_gemini: FakeGemini, fast_settings):
    fake_gemini.time_to_first_token = 0.3
    backend = backend_for(fast_settings)
    stages = ["tldr", "overview", "methods", "conclusion"]
    answers: dict[str, str] = {}

    def run(stage: str) -> None:
        request = replace(REQUEST, stage=stage, prompt=f"PAPER\n\nTask: write the {stage}.")
        answers[stage] = "".join(p for p in backend.stream(request) if isinstance(p, str))

    threads = [threading.Thread(target=run, args=(s,)) for s in stages]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)

    for stage in stages:
        assert answers[stage].startswith(f"Fake Gemini {stage} answer")
    sent = fake_gemini.generate_requests
    assert len(sent) == 4
    assert all(a.overlaps(b) for a in sent for b in sent)  # in flight together, not in turn


# --- rate limits and server errors ------------------------------------------------------------
def test_429_waits_the_retry_delay_gemini_asks_for(fake_gemini: FakeGemini, fast_settings):
    fake_gemini.enqueue(rate_limited("1s"), text_reply("Recovered answer."))
    started = time.monotonic()
    texts, notices, _, error = collect(backend_for(fast_settings))
    elapsed = time.monotonic() - started

    assert error is None
    assert "".join(texts) == "Recovered answer."
    assert notices == [
        Notice(
            "status",
            "Gemini rate limit reached; waiting 1 s before retrying (attempt 1 of 3)…",
        )
    ]
    first, second = fake_gemini.generate_requests
    assert 0.9 <= second.started - first.started < 2.5
    assert elapsed < 4


def test_429_forever_gives_up_after_max_retries(fake_gemini: FakeGemini, fast_settings):
    settings = replace(fast_settings, max_retries=2, max_retry_wait=0.05)  # caps the "30s"
    fake_gemini.enqueue(*[rate_limited("30s")] * 5)
    started = time.monotonic()
    texts, notices, _, error = collect(backend_for(settings))

    assert isinstance(error, RateLimitError)
    assert "after 2 retries" in str(error)
    assert texts == []
    assert [n.level for n in notices] == ["status", "status"]
    assert len(fake_gemini.generate_requests) == 3
    assert time.monotonic() - started < 2


def test_429_without_retry_info_backs_off(fake_gemini: FakeGemini, fast_settings):
    fake_gemini.enqueue(rate_limited(None), text_reply("Fine now."))
    texts, notices, _, error = collect(backend_for(fast_settings))
    assert error is None and "".join(texts) == "Fine now."
    assert len(notices) == 1 and "rate limit" in notices[0].message


def test_daily_quota_fails_at_once(fake_gemini: FakeGemini, fast_settings):
    fake_gemini.enqueue(rate_limited("20s", per_day=True))
    _, notices, _, error = collect(backend_for(fast_settings))
    assert isinstance(error, RateLimitError)
    assert "daily" in str(error)
    assert notices == []
    assert len(fake_gemini.generate_requests) == 1


def test_per_minute_quota_of_the_fake_is_waited_out(fast_settings):
    with FakeGemini(requests_per_minute=1, rate_window=0.6) as fake:
        backend = GeminiBackend(fast_settings, model="gemini-flash-latest", api_key="k")
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv("GOOGLE_GEMINI_BASE_URL", fake.base_url)
            first = collect(backend)
            second = collect(backend)
    assert first[3] is None and second[3] is None
    assert [n.level for n in second[1]] == ["status"]
    assert [r.status for r in fake.generate_requests] == [200, 429, 200]
    assert fake.generate_requests[2].started - fake.generate_requests[0].started >= 0.6


def test_503_then_success(fake_gemini: FakeGemini, fast_settings):
    fake_gemini.enqueue(server_error(503), server_error(500), text_reply("Back again."))
    texts, notices, _, error = collect(backend_for(fast_settings))
    assert error is None
    assert "".join(texts) == "Back again."
    assert [n.message.split(";")[0] for n in notices] == [
        "Gemini is busy (HTTP 503)",
        "Gemini is busy (HTTP 500)",
    ]


def test_server_errors_forever_give_up(fake_gemini: FakeGemini, fast_settings):
    fake_gemini.enqueue(*[server_error(503)] * 4)
    _, notices, _, error = collect(backend_for(fast_settings))
    assert type(error) is BackendError
    assert "HTTP 503" in str(error) and "3 retries" in str(error)
    assert len(notices) == 3
    assert len(fake_gemini.generate_requests) == 4


# --- keys -----------------------------------------------------------------------------------
SECRET = "AIzaSyD-secret-key-that-must-never-leak-123"


def test_invalid_key_fails_at_once_without_leaking_it(
    fake_gemini: FakeGemini, fast_settings, caplog
):
    caplog.set_level(logging.DEBUG)
    fake_gemini.allowed_keys = {"the-only-good-key"}
    backend = backend_for(fast_settings, api_key=SECRET)
    _, notices, _, error = collect(backend)

    assert isinstance(error, InvalidKeyError)
    assert "GEMINI_API_KEY" in str(error)
    assert len(fake_gemini.generate_requests) == 1  # no retries
    assert fake_gemini.generate_requests[0].api_key == SECRET
    shown = [str(error), repr(error), repr(backend), *(n.message for n in notices)]
    shown += [record.getMessage() for record in caplog.records]
    assert not [text for text in shown if SECRET in text]


def test_permission_denied_is_an_invalid_key(fake_gemini: FakeGemini, fast_settings):
    fake_gemini.enqueue(permission_denied())
    _, _, _, error = collect(backend_for(fast_settings))
    assert isinstance(error, InvalidKeyError)
    assert len(fake_gemini.generate_requests) == 1


def test_missing_key_says_how_to_set_one(fake_gemini, fast_settings, monkeypatch):
    monkeypatch.delenv("GEMINI_API_KEY")
    assert "gemini" not in available_engines(fast_settings)
    with pytest.raises(MissingKeyError) as caught:
        create_backend("gemini", fast_settings)
    assert "GEMINI_API_KEY" in str(caught.value)
    assert "API key field" in str(caught.value)
    assert "Space secret" in str(caught.value)


def test_engine_is_registered_and_available_with_a_key(fake_gemini, fast_settings):
    info = engines()["gemini"]
    assert info.label == "Google Gemini" and info.needs_key
    assert available_engines(fast_settings)[0] == "gemini"


# --- refusals and early stops ---------------------------------------------------------------
def test_blocked_prompt(fake_gemini: FakeGemini, fast_settings):
    fake_gemini.enqueue(blocked("SAFETY"))
    texts, _, _, error = collect(backend_for(fast_settings))
    assert texts == []
    assert isinstance(error, BlockedError)
    assert str(error) == (
        "Gemini refused to process this paper (block reason: SAFETY); try another engine."
    )


def test_max_tokens_keeps_the_text_and_warns(fake_gemini: FakeGemini, fast_settings):
    fake_gemini.enqueue(stopped_early("The method has three steps: first", "MAX_TOKENS"))
    texts, notices, usages, error = collect(backend_for(fast_settings))
    assert error is None
    assert "".join(texts) == "The method has three steps: first"
    assert notices == [
        Notice(
            "warning",
            "The answer stopped early because it reached the length limit for one answer; "
            "what arrived is shown.",
        )
    ]
    assert len(usages) == 1


def test_safety_stop_after_some_text_warns(fake_gemini: FakeGemini, fast_settings):
    fake_gemini.enqueue(stopped_early("Part of an answer", "SAFETY"))
    texts, notices, _, error = collect(backend_for(fast_settings))
    assert error is None and texts
    assert "safety filter" in notices[0].message


def test_safety_stop_before_any_text_is_a_refusal(fake_gemini: FakeGemini, fast_settings):
    fake_gemini.enqueue(text_reply([""], finish_reason="PROHIBITED_CONTENT"))
    _, _, _, error = collect(backend_for(fast_settings))
    assert isinstance(error, BlockedError)
    assert "PROHIBITED_CONTENT" in str(error)


# --- broken streams ---------------------------------------------------------------------------
def test_stream_cut_midway_keeps_text_and_does_not_retry(fake_gemini: FakeGemini, fast_settings):
    fake_gemini.enqueue(stream_cut(["One. ", "Two. ", "Three. ", "Four."], after=2))
    texts, _, usages, error = collect(backend_for(fast_settings))
    assert texts == ["One. ", "Two. "]
    assert isinstance(error, StreamInterruptedError)
    assert "text so far is kept" in str(error)
    assert usages == []
    assert len(fake_gemini.generate_requests) == 1  # a retry would repeat the text


def test_error_event_midway_is_an_interruption(fake_gemini: FakeGemini, fast_settings):
    fake_gemini.enqueue(error_mid_stream(["One. ", "Two. ", "Three."], after=1))
    texts, _, _, error = collect(backend_for(fast_settings))
    assert texts == ["One. "]
    assert isinstance(error, StreamInterruptedError)
    assert len(fake_gemini.generate_requests) == 1


def test_stream_that_ends_without_a_finish_reason_is_an_interruption(
    fake_gemini: FakeGemini, fast_settings
):
    fake_gemini.enqueue(text_reply(["Half of ", "an answer"], finish_reason=None))
    texts, _, _, error = collect(backend_for(fast_settings))
    assert "".join(texts) == "Half of an answer"
    assert isinstance(error, StreamInterruptedError)


def test_stream_cut_before_any_text_is_retried(fake_gemini: FakeGemini, fast_settings):
    fake_gemini.enqueue(stream_cut(["never shown"], after=0), text_reply("Second try."))
    texts, notices, _, error = collect(backend_for(fast_settings))
    assert error is None
    assert "".join(texts) == "Second try."
    assert "dropped" in notices[0].message


def test_unreachable_server(fast_settings, monkeypatch):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("GOOGLE_GEMINI_BASE_URL", f"http://127.0.0.1:{port}")
    backend = GeminiBackend(fast_settings, api_key="k", backoff_base=0.01)
    _, notices, _, error = collect(backend)
    assert type(error) is BackendError
    assert str(error).startswith("Could not reach Gemini (")
    assert str(error).endswith("; check the network and try again in a minute.")
    assert "GOOGLE_GEMINI_BASE_URL" not in str(error)  # a visitor cannot act on it (issue 10)
    assert len(notices) == fast_settings.max_retries


def test_unknown_model(fake_gemini: FakeGemini, fast_settings):
    fake_gemini.enqueue(model_not_found("gemini-9-ultra"))
    _, notices, _, error = collect(backend_for(fast_settings, model="gemini-9-ultra"))
    assert type(error) is BackendError
    assert "gemini-9-ultra" in str(error) and "gemini-flash-latest" in str(error)
    assert notices == []


def test_model_that_rejects_thinking_settings_is_asked_again_without(
    fake_gemini: FakeGemini, fast_settings
):
    fake_gemini.enqueue(
        error_reply(400, "INVALID_ARGUMENT", "Thinking level MINIMAL is not supported."),
        text_reply("Answer without thinking settings."),
    )
    texts, _, _, error = collect(backend_for(fast_settings))
    assert error is None and "".join(texts) == "Answer without thinking settings."
    first, second = fake_gemini.generate_requests
    assert "thinkingConfig" in first.generation_config
    assert "thinkingConfig" not in second.generation_config


def test_other_bad_requests_quote_gemini(fake_gemini: FakeGemini, fast_settings):
    fake_gemini.enqueue(
        error_reply(400, "INVALID_ARGUMENT", "The input token count exceeds the maximum.")
    )
    _, _, _, error = collect(backend_for(fast_settings))
    assert type(error) is BackendError
    assert "input token count exceeds the maximum" in str(error)
    assert len(fake_gemini.generate_requests) == 1


# --- the fake itself (other test modules rely on it) ------------------------------------------
def test_fake_paces_first_token_and_characters(fake_gemini: FakeGemini, fast_settings):
    fake_gemini.time_to_first_token = 0.2
    fake_gemini.chars_per_second = 100
    fake_gemini.enqueue(text_reply(["a" * 10, "b" * 10, "c" * 10]))
    list(backend_for(fast_settings).stream(REQUEST))
    [sent] = fake_gemini.generate_requests
    assert sent.first_byte - sent.started >= 0.2
    assert sent.ended - sent.first_byte >= 0.2  # two more chunks of 10 characters at 100/s


def test_fake_matches_replies_by_prompt_text(fake_gemini: FakeGemini, fast_settings):
    fake_gemini.enqueue(text_reply("for methods"), match="methods section")
    fake_gemini.enqueue(text_reply("for anything else"))
    backend = backend_for(fast_settings)
    other = collect(backend)[0]
    methods = collect(backend, replace(REQUEST, system="Write the methods section."))[0]
    assert "".join(other) == "for anything else"
    assert "".join(methods) == "for methods"


def test_default_reply_names_the_stage_and_copies_the_requested_structure():
    prompt = (
        "PAPER TEXT about methods and results.\n\nTask: assess the paper's conclusions.\n\n"
        "(1) **Significance**: what the work contributes.\n"
        "(2) **Proposed method**: what is new.\n"
    )
    body = {"contents": [{"role": "user", "parts": [{"text": prompt}]}]}
    request = RecordedRequest("POST", "/", "v1beta", "m", "streamGenerateContent", "k", body, 0.0)
    text = "".join(default_reply(request).chunks)
    assert request.stage == "conclusion"
    assert text.startswith("(1) **Significance**: Fake Gemini conclusion answer from m;")
    assert "\n(2) **Proposed method**: Fake Gemini conclusion answer" in text


# --- pure helpers -----------------------------------------------------------------------------
def test_parse_duration():
    assert parse_duration("26s") == 26
    assert parse_duration("0.250s") == 0.25
    assert parse_duration("1.5 s") == 1.5
    assert parse_duration("soon") is None


def test_retry_delay_from_retry_info_or_message():
    details = {
        "error": {
            "details": [{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "26s"}]
        }
    }
    assert retry_delay_seconds(details) == 26
    assert retry_delay_seconds({"error": {}}, "Quota exceeded. Please retry in 7.5s.") == 7.5
    assert retry_delay_seconds({"error": {}}, "Quota exceeded.") is None


def test_generation_plan_per_model_family():
    assert generation_plan("gemini-flash-latest").thinking_level == "LOW"
    assert generation_plan("gemini-3.5-flash").temperature is None
    assert generation_plan("models/gemini-2.5-flash-lite").thinking_budget == 512
    assert generation_plan("gemma-3-27b-it").thinking_level is None
    assert generation_plan("gemma-3-27b-it").thinking_budget is None


def test_classify_api_error():
    assert classify_api_error(429, "RESOURCE_EXHAUSTED", "", {}) == "rate_limit"
    assert classify_api_error(503, "UNAVAILABLE", "", {}) == "server"
    invalid = {"error": {"details": [{"reason": "API_KEY_INVALID"}]}}
    assert classify_api_error(400, "INVALID_ARGUMENT", "API key not valid.", invalid) == (
        "invalid_key"
    )
    assert classify_api_error(404, "NOT_FOUND", "", {}) == "not_found"
    assert classify_api_error(400, "INVALID_ARGUMENT", "Request too large", {}) == "bad_request"


def test_finish_warning_wording():
    assert finish_warning("STOP") is None
    assert finish_warning(None) is None
    assert "copyrighted" in finish_warning("RECITATION")
    assert "NEW_REASON" in finish_warning("NEW_REASON")
