"""The CLI's document-order writer prints the same bytes whatever order the stages finish in."""

from __future__ import annotations

import io
import random

import pytest

from chatpaper.i18n import get_language
from chatpaper.ordered_output import DocumentOrderWriter, live_prefix
from chatpaper.pipeline import Event, SummaryState
from chatpaper.render import render_stage

STAGES = ("tldr", "overview", "methods", "conclusion")
HEADINGS = {"overview": "## 2. Overview", "methods": "## 3. Methods", "conclusion": "## 4. End"}
TEXTS = {
    "tldr": "**Summary**: A staged summarizer.\n\n**Key Takeaways**:\n- one\n- two\n",
    "overview": "- **Affiliation**: Cambridge\n\n(1) **Background**: text.\n(2) **Past**: more.\n",
    "methods": "(1) **Splitting**: we split.\n(2) **Running**: we run.\n\n",
    "conclusion": "(1) **Significance**: it matters.\n(2) **Innovation**: it is new.",
}


def events_in_order(order, rng: random.Random, *, chunked: bool):
    """Events of a run where stages finish in ``order``; each reply cut into random chunks."""
    for stage in order:
        yield Event("stage_start", stage)
        text = TEXTS[stage]
        if chunked:
            cuts = sorted(rng.sample(range(1, len(text)), 6))
            for a, b in zip([0, *cuts], [*cuts, len(text)], strict=True):
                yield Event("chunk", stage, text[a:b])
        if stage == "methods":
            yield Event("warning", stage, "A step was shortened.")
        yield Event("stage_done", stage, TEXTS[stage].strip())


def written(events) -> str:
    out = io.StringIO()
    state = SummaryState()
    lang = get_language("en")
    writer = DocumentOrderWriter(out, STAGES, lang, headings=HEADINGS, render_extra=render_stage)
    for event in events:
        state.apply(event)
        writer.update(state)
    writer.update(state)
    return out.getvalue()


@pytest.mark.parametrize("seed", range(12))
def test_the_same_bytes_whatever_order_and_chunks(seed):
    rng = random.Random(seed)
    reference = written(events_in_order(STAGES, rng, chunked=False))  # a cache replay
    order = list(STAGES)
    rng.shuffle(order)
    assert written(events_in_order(order, rng, chunked=True)) == reference
    assert written(events_in_order(STAGES, rng, chunked=True)) == reference
    assert written(events_in_order(reversed(STAGES), rng, chunked=True)) == reference


def test_the_output_holds_every_stage_in_document_order_with_its_warning():
    text = written(events_in_order(STAGES, random.Random(0), chunked=True))
    positions = [text.index(TEXTS[stage].split("\n")[0]) for stage in STAGES]
    assert positions == sorted(positions)
    assert "(2) **Running**: we run.\n\n> ⚠️ A step was shortened.\n" in text
    assert "\n\n\n" not in text


def test_the_current_stage_is_shown_live_line_by_line():
    out = io.StringIO()
    state = SummaryState()
    writer = DocumentOrderWriter(
        out, STAGES, get_language("en"), headings=HEADINGS, render_extra=render_stage
    )
    for event in [Event("stage_start", "tldr"), Event("chunk", "tldr", "First line.\nSeco")]:
        state.apply(event)
        writer.update(state)
    assert out.getvalue().endswith("First line.")


def test_live_prefix_is_complete_lines_without_blank_edges():
    assert live_prefix("\n\nA line.\nA par") == "A line."
    assert live_prefix("A line.\n\n") == "A line."
    assert live_prefix("no newline yet") == ""


def test_a_file_gets_each_stage_only_when_it_is_done_and_the_same_bytes():
    out = io.StringIO()
    state = SummaryState()
    writer = DocumentOrderWriter(
        out, STAGES, get_language("en"), headings=HEADINGS, render_extra=render_stage, live=False
    )
    for event in [Event("stage_start", "tldr"), Event("chunk", "tldr", "First line.\nSeco")]:
        state.apply(event)
        writer.update(state)
    assert out.getvalue() == ""
    rng = random.Random(3)
    events = list(events_in_order(STAGES, rng, chunked=True))
    for event in events:
        state.apply(event)
        writer.update(state)
    assert out.getvalue() == written(events_in_order(STAGES, rng, chunked=True))
