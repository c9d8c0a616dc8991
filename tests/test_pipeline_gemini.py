"""The pipeline through the real google-genai client, against the fake Gemini server."""

from __future__ import annotations

from dataclasses import replace

from chatpaper.config import Settings
from chatpaper.i18n import get_language
from chatpaper.llm.base import create_backend
from chatpaper.pipeline import SummaryState, run_pipeline
from tests.fakes.gemini_server import FAKE_GEMINI_KEY, rate_limited, text_reply
from tests.fakes.stage_replies import gemini_stage_reply
from tests.paperkit import METHOD, RESULTS, make_paper

# A seed entry's answer (ChatPaperFree, post 001): the template echoed with XXXX slots.
SEED_DEFECT = (
    "* (1) 研究设计：本文采用了XXXX（例如：问卷调查、实验研究等）的方法来研究XXXX。\n"
    "* (2) 数据收集：通过XXXX渠道（例如：在线调查平台、实地访谈等）收集数据。\n"
    '请注意，上述回答中的"XXXX"需要根据文章实际内容替换为具体的研究设计。'
)


def summarize(settings=None, lang="en"):
    backend = create_backend("gemini", settings or Settings())
    state, events = SummaryState(), []
    for event in run_pipeline(make_paper(), backend, get_language(lang)):
        state.apply(event)
        events.append(event)
    return state, events


def test_stages_overlap_and_each_prompt_carries_the_paper_and_its_task(fake_gemini):
    fake_gemini.reply_generator = gemini_stage_reply
    fake_gemini.time_to_first_token = 0.3
    state, _ = summarize()
    requests = fake_gemini.generate_requests
    assert len(requests) == 4 and not state.errors
    assert all(a.overlaps(b) for a in requests for b in requests)
    full_text = [r for r in requests if METHOD in r.prompt]
    assert len(full_text) == 3 and all(RESULTS in r.prompt for r in full_text)
    tasks = [r.prompt.split("</paper>")[-1] for r in full_text]
    assert sum("step by step" in t for t in tasks) == 1
    assert sum("assess the paper's conclusions" in t for t in tasks) == 1
    assert all(r.api_key == FAKE_GEMINI_KEY for r in requests)
    assert all("Write in English" in r.system for r in requests)


def test_a_seed_defect_is_reasked_once_and_the_shown_answer_is_clean(fake_gemini):
    fake_gemini.reply_generator = gemini_stage_reply
    fake_gemini.enqueue(text_reply(SEED_DEFECT), match="method step by step")
    state, events = summarize()
    methods_calls = [r for r in fake_gemini.generate_requests if "method step by step" in r.prompt]
    assert len(methods_calls) == 2
    assert "XXXX" in methods_calls[1].prompt  # the corrective instruction quotes the defect
    assert "XXXX" not in state.stages["methods"].text
    assert state.stages["methods"].text.startswith("(1) **Reading**")
    assert any(e.kind == "stage_restart" for e in events)


def test_a_rate_limit_is_waited_out_and_the_user_is_told(fake_gemini):
    fake_gemini.reply_generator = gemini_stage_reply
    fake_gemini.enqueue(rate_limited("1s"), match="key takeaways, in")
    state, events = summarize(replace(Settings(), max_retry_wait=5))
    assert not state.errors
    waits = [e.text for e in events if e.kind == "status" and "rate limit" in e.text.lower()]
    assert waits and "1 s" in waits[0]
    assert "**Key Takeaways**" in state.stages["tldr"].text


def test_chinese_output_is_asked_for_and_labelled(fake_gemini):
    fake_gemini.reply_generator = gemini_stage_reply
    state, _ = summarize(lang="zh")
    assert all("Simplified Chinese" in r.system for r in fake_gemini.generate_requests)
    assert "**要点**" in state.stages["tldr"].text and not state.errors


def test_the_servers_client_is_reused_but_never_carries_a_visitors_key(fake_gemini):
    """The server's own key shares one SDK client across requests (cheaper); a visitor's
    key must still reach Gemini only with that visitor's requests, before and after."""
    from chatpaper.llm.base import StageRequest

    request = StageRequest(stage="tldr", system="s", prompt="key takeaways, in English")
    keys_used = []
    for key in (None, "AIza-visitor-secret", None):
        backend = create_backend("gemini", Settings(), api_key=key)
        list(backend.stream(request))
        keys_used.append(fake_gemini.generate_requests[-1].api_key)
    assert keys_used == [FAKE_GEMINI_KEY, "AIza-visitor-secret", FAKE_GEMINI_KEY]
    server_a = create_backend("gemini", Settings())._get_client()
    server_b = create_backend("gemini", Settings())._get_client()
    visitor = create_backend("gemini", Settings(), api_key="AIza-visitor-secret")._get_client()
    assert server_a is server_b and visitor is not server_a
