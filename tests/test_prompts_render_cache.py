"""Prompts load and fill; the rendered Markdown; the results cache."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

import pytest

from chatpaper.cache import ResultsCache
from chatpaper.i18n import get_language
from chatpaper.pipeline import STAGES, SummaryState
from chatpaper.prompts import (
    CORRECTIONS,
    PROMPT_FIELDS,
    PromptError,
    check_prompt,
    fill,
    load_prompts,
    placeholders,
)
from chatpaper.render import render_document, render_header
from chatpaper.summarize import SummaryJob
from tests.fakes.backend import FakeBackend
from tests.paperkit import CLEAN_EN, make_paper


def test_every_bundled_prompt_loads_and_fills_every_placeholder():
    prompts = load_prompts()
    assert set(prompts) == {*PROMPT_FIELDS, CORRECTIONS}
    for name, fields in PROMPT_FIELDS.items():
        filled = fill(name, **{f: f"<{f}>" for f in fields})
        assert not placeholders(filled.replace("<", "").replace(">", "")) or name == "paper"
        for field in fields:
            assert f"<{field}>" in filled


def test_no_prompt_asks_the_model_to_fill_a_template_slot():
    for name, text in load_prompts().items():
        assert not re.search(r"x{3,}", text, re.IGNORECASE), name
        assert "http" not in text, f"{name} must not ask for links: we render them"


@pytest.mark.parametrize(
    ("name", "text", "problem"),
    [
        ("tldr", "Summarize {tittle} {abstract} in {language}", "unknown"),
        ("methods", "Explain the method.", "missing"),
        ("methods", "Explain {language", "malformed"),
    ],
)
def test_a_prompt_with_wrong_placeholders_fails_loudly(name, text, problem):
    with pytest.raises(PromptError, match=problem):
        check_prompt(name, text)


def test_filling_with_a_missing_value_fails():
    with pytest.raises(PromptError):
        fill("corrective")


def state_from(texts: dict[str, str]) -> SummaryState:
    return SummaryState.from_dict({k: {"text": v} for k, v in texts.items()})


def test_rendered_document_has_the_known_structure_in_english():
    doc = render_document(make_paper(), state_from(CLEAN_EN), get_language("en"))
    for label in (
        "# StageSum",
        "**Authors**: Ada Lovelace, Alan Turing",
        "- **Title**",
        "- **Authors**",
        "- **Affiliation**: University of Cambridge",
        "- **Keywords**: summarization, LLM",
        "- **Urls**",
        "## 2. Overview",
        "## 3. Methods",
        "## 4. Conclusion",
        "**Key Takeaways**",
    ):
        assert label in doc
    assert "[arXiv:2402.00864](https://arxiv.org/abs/2402.00864v1)" in doc
    assert "<https://github.com/example/stagesum>" in doc  # found in the paper's text
    assert "<ol>" not in doc and "<li>" not in doc


def test_rendered_document_uses_chinese_labels():
    doc = render_document(make_paper(), state_from(CLEAN_EN), get_language("zh"))
    for label in (
        "**作者**",
        "- **标题**",
        "- **作者**",
        "- **关键词**",
        "- **链接**",
        "## 2. 概述",
        "## 3. 方法",
        "## 4. 结论",
    ):
        assert label in doc


def test_links_come_only_from_metadata_and_the_papers_text():
    paper = make_paper(arxiv_id=None)
    paper.pages = [p for p in paper.pages if "github" not in p.text]
    for section in paper.sections:
        section.text = section.text.replace("https://github.com/example/stagesum", "")
    doc = render_header(paper, get_language("en"))
    assert "arxiv.org" not in doc and "github" not in doc
    assert "Code: none found in the paper" in doc


def test_html_from_the_model_or_paper_is_shown_as_text():
    paper = make_paper()
    paper.meta.title = "Attacks with <script>alert(1)</script> tags"
    texts = dict(CLEAN_EN, methods="(1) **Step**: emit <ol><li>raw</li></ol> markup")
    doc = render_document(paper, state_from(texts), get_language("en"))
    assert "<script>" not in doc and "<ol>" not in doc
    assert "&lt;script>" in doc and "&lt;ol>" in doc


SHARED = FakeBackend(name="fake")


def queue_clean():
    for stage, text in CLEAN_EN.items():
        SHARED.enqueue(stage, text)


def test_a_cached_rerun_does_not_call_the_model(settings):
    SHARED.history.clear()
    cache = ResultsCache(settings.cache_dir)
    queue_clean()
    first = SummaryJob(make_paper(), SHARED, settings=settings, cache=cache)
    list(first.events())
    assert len(SHARED.history) == 4 and not first.from_cache

    second = SummaryJob(make_paper(), SHARED, settings=settings, cache=cache)
    list(second.events())
    assert second.from_cache and len(SHARED.history) == 4
    assert second.markdown() == first.markdown()

    other_language = SummaryJob(make_paper(), SHARED, settings=settings, cache=cache, language="zh")
    queue_clean()
    list(other_language.events())
    assert not other_language.from_cache and len(SHARED.history) > 4
    SHARED.history.clear()

    queue_clean()
    fresh = SummaryJob(make_paper(), SHARED, settings=settings, cache=cache, refresh=True)
    list(fresh.events())
    assert not fresh.from_cache and len(SHARED.history) == 4


def test_a_failed_summary_is_not_cached(settings):
    SHARED.history.clear()
    cache = ResultsCache(settings.cache_dir)
    queue_clean()
    SHARED.replies["methods"] = [[RuntimeError("boom")]]
    job = SummaryJob(make_paper(arxiv_id="2401.00001"), SHARED, settings=settings, cache=cache)
    list(job.events())
    assert job.state.errors
    queue_clean()
    again = SummaryJob(make_paper(arxiv_id="2401.00001"), SHARED, settings=settings, cache=cache)
    list(again.events())
    assert not again.from_cache


@dataclass
class KeyedFake(FakeBackend):
    """A fake holding a key, as a real backend built for a visitor's request does."""

    api_key: str = ""


def test_cache_files_hold_the_summary_and_nothing_secret(settings):
    cache = ResultsCache(settings.cache_dir)
    keyed = KeyedFake(name="fake", api_key="AIzaSy-secret-key-123")
    for stage, text in CLEAN_EN.items():
        keyed.enqueue(stage, text)
    job = SummaryJob(make_paper(arxiv_id="2401.00002"), keyed, settings=settings, cache=cache)
    list(job.events())
    files = list(settings.cache_dir.glob("*.json"))
    assert files
    for path in files:
        content = path.read_text(encoding="utf-8")
        assert "secret-key" not in content
        assert set(json.loads(content)["stages"]) == set(STAGES)


def test_model_headings_stay_inside_their_part():
    from chatpaper.i18n import get_language
    from chatpaper.pipeline import StageResult
    from chatpaper.render import render_stage

    result = StageResult(
        text="# Methods of the paper\n\n(1) Design: a survey.\n\n## Data\n\nnot # a heading",
        done=True,
    )
    shown = render_stage(result, get_language("en"))
    headings = [line for line in shown.splitlines() if line.startswith("#")]
    assert headings == ["### Methods of the paper", "### Data"]  # below the part's own "##"
    assert "not # a heading" in shown
