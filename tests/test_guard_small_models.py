"""The guard on answers in the style of small local models (tests/data/guard_small_model_answers.json):
chatter at the start, inside and at the end, in English and Chinese; loops; echoes of every one of
our prompt files. Clean answers include sentences from real papers."""

from __future__ import annotations

import json
from pathlib import Path

from chatpaper import guard
from chatpaper.guard_ngrams import MAX_TOKENS, degenerate_repetition, echoed_prompt, tokens

DATA = json.loads(
    (Path(__file__).parent / "data" / "guard_small_model_answers.json").read_text(encoding="utf-8")
)


def flagged(answer: dict) -> bool:
    text = answer["text"]
    found = guard.find_defects(text, language=answer["lang"])
    return bool(found) or guard.trim_chatter(text).strip() != text.strip()


def test_recall_on_defective_answers_and_few_false_alarms():
    defective, clean = DATA["defective"], DATA["clean"]
    recall = sum(map(flagged, defective)) / len(defective)
    false_alarms = sum(map(flagged, clean)) / len(clean)
    assert recall >= 0.95, recall
    assert false_alarms <= 0.05, false_alarms


def test_every_prompt_file_echo_is_caught_as_echoed_instructions():
    echoes = [a for a in DATA["defective"] if a.get("source")]
    assert (
        len(echoes) >= 8
    )  # system, four stages, paper excluded, corrective, continue, corrections
    for answer in echoes:
        kinds = {d.kind for d in guard.find_defects(answer["text"], language="English")}
        assert "echoed_instructions" in kinds, answer["source"]


def test_a_sentence_looped_37_times_is_a_repetition_and_a_normal_summary_is_not():
    looped = "The proposed method achieves state-of-the-art results on the benchmark. " * 37
    assert degenerate_repetition(looped)
    assert {d.kind for d in guard.find_defects(looped, language="English")} == {"repetition"}
    for answer in DATA["clean"]:
        assert not degenerate_repetition(answer["text"])
        assert not echoed_prompt(answer["text"])


def test_hostile_sizes_are_bounded():
    huge = ("word " * 200_000) + ("新" * 200_000)
    assert len(tokens(huge)) == MAX_TOKENS  # the work per answer has a ceiling
    assert degenerate_repetition(huge)


def test_part_markers_count_only_at_line_starts():
    required = ("(1)", "(2)")
    at_starts = "(1) Design: a survey of 300 users.\n- **(2) Data**: interviews."
    assert not [
        d for d in guard.find_defects(at_starts, required=required) if d.kind == "missing_part"
    ]
    mid_sentence = "(1) Design: a survey, see step (2) of the protocol for the interviews."
    missing = [
        d for d in guard.find_defects(mid_sentence, required=required) if d.kind == "missing_part"
    ]
    assert [d.text for d in missing] == ["missing: (2)"]
