"""Issue 17: the paper gets what an engine's context leaves after each stage's own prompt and
answer, not a fixed reserve (an 8192-token local model kept only ~2.2k tokens of paper)."""

from __future__ import annotations

from chatpaper.context import estimate_tokens
from chatpaper.i18n import get_language
from chatpaper.pipeline import build_request
from chatpaper.stages import stage_record
from tests.fakes.backend import FakeBackend
from tests.paperkit import make_paper


def test_an_8k_context_keeps_as_much_paper_as_fits_beside_each_stages_answer():
    paper = make_paper(extra_method_chars=60_000)  # far more than 8k tokens
    backend = FakeBackend(context_tokens=8192)
    lang = get_language("en")
    for stage in ("overview", "methods", "conclusion"):
        request, shortened = build_request(paper, stage, lang, backend)
        used = estimate_tokens(request.system) + estimate_tokens(request.prompt)
        cap = stage_record(stage).max_output_tokens
        assert shortened
        assert used + cap <= 8192, stage  # prompt and answer fit the context
        assert used >= 8192 - cap - 2000, stage  # and little of it is left unused
    overview, _ = build_request(paper, "overview", lang, backend)
    assert estimate_tokens(overview.prompt) > 4_000  # was ~2.5k with the fixed 6000 reserve
