"""One record per stage: every module reads its prompt, caps, parts, priorities and heading."""

from __future__ import annotations

from chatpaper.i18n import get_language
from chatpaper.llm import offline
from chatpaper.pipeline import STAGES, build_request, required_parts
from chatpaper.prompts import PROMPT_DIR, load_prompts
from chatpaper.render import render_document
from chatpaper.stages import STAGE_NAMES, STAGE_RECORDS, numbered_stages, stage_record
from tests.fakes.backend import FakeBackend
from tests.paperkit import CLEAN_EN, make_paper
from tests.test_prompts_render_cache import state_from


def test_every_stage_has_its_prompt_file_with_the_declared_placeholders():
    prompts = load_prompts()
    for record in STAGE_RECORDS:
        assert (PROMPT_DIR / f"{record.prompt_name}.md").is_file()
        assert record.prompt_name in prompts


def test_the_pipeline_the_offline_engine_and_the_document_follow_the_records():
    assert STAGES == STAGE_NAMES
    assert set(offline.STAGES) == set(STAGE_NAMES), "the offline engine answers every stage"
    en = get_language("en")
    paper = make_paper()
    for record in STAGE_RECORDS:
        request, _ = build_request(paper, record.name, en, FakeBackend())
        assert request.max_output_tokens == record.max_output_tokens
        assert required_parts(record.name, en) == record.required_parts(en)
    doc = render_document(paper, state_from(CLEAN_EN), en)
    headings = [line for line in doc.splitlines() if line.startswith("## ") and ". " in line]
    assert headings[-3:] == [f"## {r.heading(en)}" for r in numbered_stages()]
    assert stage_record("tldr").heading(en) is None
