"""The staged pipeline on the recording fake backend: prompts, concurrency, guard, failures."""

from __future__ import annotations

import itertools
import threading
import time
from dataclasses import dataclass

from chatpaper.context import build_context, estimate_tokens
from chatpaper.errors import StreamInterruptedError
from chatpaper.i18n import get_language
from chatpaper.llm.base import StageRequest
from chatpaper.pipeline import STAGES, SummaryState, run_pipeline
from tests.fakes.backend import FakeBackend
from tests.paperkit import CLEAN_EN, METHOD, RESULTS, make_paper

EN = get_language("en")

SEED_TEMPLATE_ANSWER = (
    "* (1) 研究设计：本文采用了XXXX（例如：问卷调查、实验研究等）的方法来研究XXXX。\n"
    "* (2) 数据收集：通过XXXX渠道收集数据。\n"
    '请注意，上述回答中的"XXXX"需要根据文章实际内容替换为具体的研究设计。'
)


def clean_backend() -> FakeBackend:
    backend = FakeBackend()
    for stage, text in CLEAN_EN.items():
        backend.enqueue(stage, *[text[i : i + 20] for i in range(0, len(text), 20)])
    return backend


def run(paper, backend, lang=EN, **kwargs) -> tuple[SummaryState, list]:
    state = SummaryState()
    events = []
    for event in run_pipeline(paper, backend, lang, **kwargs):
        state.apply(event)
        events.append(event)
    return state, events


def test_each_full_text_stage_gets_the_same_paper_prefix_then_its_instruction():
    backend = clean_backend()
    run(make_paper(), backend)
    prompts = {r.stage: r.prompt for r in backend.history}
    assert set(prompts) == set(STAGES)
    full = [prompts["overview"], prompts["methods"], prompts["conclusion"]]
    for prompt in full:
        assert METHOD in prompt and RESULTS in prompt
        assert "[1] A. Author" not in prompt  # references dropped
        # the appendix comes after the body
        assert prompt.index("A Prompt details") > prompt.index("5 Conclusion")
    prefix = full[0][: full[0].index("</paper>") + len("</paper>")]
    assert all(p.startswith(prefix) for p in full), "the paper block must be an identical prefix"
    assert "step by step" in prompts["methods"]
    assert "Key Takeaways" in prompts["tldr"] and "staged summarization" in prompts["tldr"]
    assert METHOD not in prompts["tldr"], "tldr works from the title and abstract only"


def test_stage_texts_stream_as_chunks_and_end_clean():
    state, events = run(make_paper(), clean_backend())
    chunks = [e for e in events if e.kind == "chunk" and e.stage == "overview"]
    assert len(chunks) > 3
    for stage in STAGES:
        assert state.stages[stage].done and not state.stages[stage].error
        assert state.stages[stage].text == CLEAN_EN[stage].strip()


@dataclass
class SlowBackend(FakeBackend):
    delay: float = 0.3

    def __post_init__(self):
        self.spans: dict[str, tuple[float, float]] = {}
        self.lock = threading.Lock()

    def stream(self, request: StageRequest):
        start = time.monotonic()
        for piece in super().stream(request):
            time.sleep(self.delay)
            yield piece
        with self.lock:
            self.spans[request.stage] = (start, time.monotonic())


def test_stages_run_concurrently():
    backend = SlowBackend()
    for stage, text in CLEAN_EN.items():
        backend.enqueue(stage, text)
    run(make_paper(), backend, concurrency=4)
    starts = [s for s, _ in backend.spans.values()]
    ends = [e for _, e in backend.spans.values()]
    assert max(starts) < min(ends), "every stage should start before the first one ends"


def test_concurrency_bound_is_respected():
    backend = SlowBackend(delay=0.15)
    for stage, text in CLEAN_EN.items():
        backend.enqueue(stage, text)
    run(make_paper(), backend, concurrency=1)
    spans = sorted(backend.spans.values())
    assert all(a[1] <= b[0] + 0.01 for a, b in itertools.pairwise(spans))


def test_a_templated_answer_is_asked_again_once_and_the_clean_one_is_shown():
    backend = clean_backend()
    backend.replies["methods"] = []
    backend.enqueue("methods", SEED_TEMPLATE_ANSWER)
    backend.enqueue("methods", CLEAN_EN["methods"])
    state, events = run(make_paper(), backend)
    methods_calls = [r for r in backend.history if r.stage == "methods"]
    assert len(methods_calls) == 2
    assert "previous answer" in methods_calls[1].prompt
    assert any(e.kind == "stage_restart" and e.stage == "methods" for e in events)
    assert "XXXX" not in state.stages["methods"].text
    assert state.stages["methods"].text == CLEAN_EN["methods"]
    assert not state.stages["methods"].warnings


def test_a_reask_drops_the_warnings_of_the_discarded_answer():
    from chatpaper.llm.base import Notice
    from chatpaper.llm.openai_compat import LENGTH_WARNING

    backend = clean_backend()
    backend.replies["methods"] = []
    backend.enqueue("methods", SEED_TEMPLATE_ANSWER, Notice("warning", LENGTH_WARNING))
    backend.enqueue("methods", CLEAN_EN["methods"])
    state, events = run(make_paper(), backend)
    assert any(e.kind == "warning" and e.text == LENGTH_WARNING for e in events)
    assert state.stages["methods"].text == CLEAN_EN["methods"]
    assert state.stages["methods"].warnings == []  # the second answer finished cleanly


def test_an_answer_still_defective_after_the_reask_is_shown_with_a_warning():
    backend = clean_backend()
    backend.replies["methods"] = []
    backend.enqueue("methods", SEED_TEMPLATE_ANSWER)
    backend.enqueue("methods", SEED_TEMPLATE_ANSWER)
    state, _ = run(make_paper(), backend)
    assert len([r for r in backend.history if r.stage == "methods"]) == 2  # never more
    assert state.stages["methods"].warnings, "the user must see that this part is not clean"


def test_chatter_at_the_edges_is_trimmed_without_a_reask():
    backend = clean_backend()
    backend.replies["conclusion"] = []
    backend.enqueue("conclusion", CLEAN_EN["conclusion"] + "\n\n希望以上总结符合您的要求！")
    state, _ = run(make_paper(), backend)
    assert len([r for r in backend.history if r.stage == "conclusion"]) == 1
    assert "希望" not in state.stages["conclusion"].text


def test_a_failed_stage_keeps_its_text_and_the_others_finish():
    backend = clean_backend()
    backend.replies["methods"] = []
    backend.enqueue(
        "methods", "(1) **Split**: partial", StreamInterruptedError("The connection dropped.")
    )
    state, _events = run(make_paper(), backend)
    assert state.stages["methods"].error == "The connection dropped."
    assert state.stages["methods"].text == "(1) **Split**: partial"
    for stage in ("tldr", "overview", "conclusion"):
        assert state.stages[stage].done and not state.stages[stage].error


def test_an_unexpected_exception_becomes_a_plain_stage_error():
    backend = clean_backend()
    backend.replies["overview"] = []
    backend.enqueue("overview", KeyError("Introduction"))
    state, _ = run(make_paper(), backend)
    assert "unexpected error" in state.stages["overview"].error
    assert state.stages["tldr"].done and not state.stages["tldr"].error


def test_a_small_context_shortens_the_paper_per_stage_and_says_so():
    paper = make_paper(extra_method_chars=40_000)
    context = build_context(paper, "methods", budget_tokens=8_000)
    assert context.shortened
    assert context.tokens <= 8_000
    assert METHOD[:60] in context.text  # the method part is kept for the methods stage
    overview = build_context(paper, "overview", budget_tokens=8_000)
    assert "Large language models" in overview.text and overview.shortened

    backend = clean_backend()
    backend.context_tokens = 8_000
    state, _ = run(paper, backend)
    assert any("shortened" in w for w in state.stages["methods"].warnings)
    assert not state.stages["tldr"].warnings
    for request in backend.history:
        assert estimate_tokens(request.prompt) < 8_000

    # A re-asked stage starts clean, but the paper was still shortened for it.
    backend = clean_backend()
    backend.context_tokens = 8_000
    backend.replies["methods"] = [[SEED_TEMPLATE_ANSWER], [CLEAN_EN["methods"]]]
    state, _ = run(paper, backend)
    assert len([r for r in backend.history if r.stage == "methods"]) == 2
    assert [w for w in state.stages["methods"].warnings if "shortened" in w]


def test_a_paper_without_headings_still_yields_a_context():
    paper = make_paper()
    paper.sections = []
    context = build_context(paper, "overview", budget_tokens=1_000_000)
    assert "StageSum improves faithfulness" in context.text and not context.shortened


def test_chinese_output_asks_for_chinese_and_uses_chinese_labels():
    backend = FakeBackend()
    run(make_paper(), backend, lang=get_language("zh"))
    request = backend.history[0]
    assert request.language == "Simplified Chinese"
    assert "Simplified Chinese" in request.system
    tldr = next(r for r in backend.history if r.stage == "tldr")
    assert "**摘要**" in tldr.prompt and "**要点**" in tldr.prompt


def test_the_offline_engine_in_chinese_is_neither_reasked_nor_flagged():
    """Bug found in review: its verbatim English quotes were judged 'wrong language'."""
    from chatpaper.config import Settings
    from chatpaper.llm.base import create_backend

    backend = create_backend("offline", Settings())
    state, events = run(make_paper(), backend, lang=get_language("zh"))
    assert not [e for e in events if e.kind == "stage_restart"]
    for stage in STAGES:
        assert state.stages[stage].done and not state.stages[stage].error
        assert not state.stages[stage].warnings
    assert "**摘要**" in state.stages["tldr"].text
