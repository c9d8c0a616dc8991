"""Ask the paper: retrieval, the offline answer, the citation check, engines and the guard."""

from __future__ import annotations

import json
import socket

import pytest

from chatpaper.ask import (
    AskCache,
    InvalidQuestionError,
    NoPaperError,
    Turn,
    annotate,
    ask,
    check_quotes,
    page_link,
)
from chatpaper.i18n import get_language
from chatpaper.llm.offline import OfflineBackend
from chatpaper.retrieval import PassageIndex, build_passages
from tests.fakes.backend import FakeBackend
from tests.paperkit import RESULTS, make_paper

EN = get_language("en")


def answer_of(events) -> object:
    events = list(events)
    assert events[-1].kind == "done"
    return events[-1].result


def test_passages_keep_page_and_section_and_references_are_left_out():
    passages = build_passages(make_paper())
    assert passages
    results = [p for p in passages if "12.5 points" in p.text]
    assert results and results[0].page == 3 and results[0].heading == "4 Experiments"
    assert not any("A. Author" in p.text for p in passages)


def test_search_normalises_the_question_words():
    index = PassageIndex.for_paper(make_paper())
    hits = index.search("How much did faithfulness IMPROVE over truncation baselines?", k=3)
    assert hits[0].passage.page == 3  # "improves", "baseline": stems meet


def test_offline_answer_quotes_passages_with_pages_and_says_no_model_wrote_it(monkeypatch):
    def no_network(*args, **kwargs):
        raise AssertionError("the offline engine opened a network connection")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    paper = make_paper()
    result = answer_of(ask(paper, "How many papers were judged?", backend=OfflineBackend()))
    assert "No language model wrote this answer" in result.answer
    assert result.citations and all(c.verified for c in result.citations)
    assert result.citations[0].page == 3 and "200 papers" in result.citations[0].quote
    assert "p. 3" in result.answer
    assert result.to_json()["citations"][0] == {
        "page": 3,
        "quote": result.citations[0].quote,
        "verified": True,
    }


def test_offline_answer_notes_a_question_in_another_language():
    result = answer_of(ask(make_paper(), "这篇论文评估了多少篇论文？", backend=OfflineBackend()))
    assert "not in the paper's language" in result.answer


@pytest.mark.parametrize(
    ("question", "message"),
    [("", "Type a question"), ("   ", "Type a question"), ("x" * 20_000, "at most 2,000")],
)
def test_bad_questions_get_one_sentence(question, message):
    with pytest.raises(InvalidQuestionError, match=message) as err:
        list(ask(make_paper(), question, backend=OfflineBackend()))
    assert str(err.value).count(". ") == 0 and str(err.value).endswith(".")


def test_a_question_before_any_paper():
    with pytest.raises(NoPaperError, match="Read a paper first"):
        list(ask(None, "What is it?", backend=OfflineBackend()))


def test_quotes_are_checked_against_their_pages():
    pages = [p.text for p in make_paper().pages]
    answer = (
        'It "improves faithfulness by 12.5 points" (p. 3). '
        'Judges "preferred its summaries in 71% of the comparisons" (p. 1). '
        'It "beats every model ever made by 90 points" (p. 3).'
    )
    found = check_quotes(answer, pages)
    assert [(c.page, c.status, c.found_page) for c in found] == [
        (3, "verified", 3),
        (1, "wrong_page", 3),
        (3, "unsupported", None),
    ]
    shown = annotate(answer, found, EN, page_link(make_paper()))
    assert "(p. [3](https://arxiv.org/pdf/2402.00864v1#page=3))" in shown
    assert "found on p. 3, not p. 1" in shown
    assert shown.count("not found in the paper") == 1


def test_a_quote_that_goes_on_over_the_page_break_is_found_on_its_first_page():
    pages = ["Methods. We showed that administration of", "exogenous LPS raised metastasis. End."]
    answer = 'It "showed that administration of exogenous LPS raised metastasis" (p. 1).'
    assert [(c.status, c.found_page) for c in check_quotes(answer, pages)] == [("verified", 1)]
    # the next page alone is not the cited page
    answer = 'It "exogenous LPS raised metastasis" (p. 1).'
    assert check_quotes(answer, pages)[0].status == "wrong_page"


def test_a_large_context_model_gets_the_summary_prefix_and_earlier_turns():
    from chatpaper.pipeline import build_request

    paper = make_paper()
    backend = FakeBackend().enqueue("ask", 'It "improves faithfulness by 12.5 points" (p. 3).')
    history = [Turn("What is StageSum?", "A staged summarizer.")]
    result = answer_of(
        ask(paper, "And how much does it improve?", backend=backend, history=history)
    )
    prompt = backend.history[0].prompt
    stage_prompt = build_request(paper, "methods", EN, backend)[0].prompt
    prefix = stage_prompt.split("</paper>")[0]
    assert prompt.startswith(prefix)  # the same cached prefix as the summary stages
    assert prompt.index("What is StageSum?") > prompt.index("</paper>")
    assert result.mode == "whole" and result.citations[0].verified


def test_a_small_context_model_gets_retrieved_passages_and_says_so():
    paper = make_paper(extra_method_chars=60_000)
    backend = FakeBackend(context_tokens=8_000).enqueue(
        "ask", 'It "improves faithfulness by 12.5 points" (p. 3).'
    )
    result = answer_of(ask(paper, "How much does faithfulness improve?", backend=backend))
    prompt = backend.history[0].prompt
    assert "found by searching the paper" in prompt and RESULTS.split(".")[0] in prompt
    assert result.mode == "searched"
    assert result.answer.startswith("*The paper is longer than this model's context")


def test_the_guard_asks_again_once():
    backend = FakeBackend().enqueue(
        "ask", "Sure! Here is the answer: [insert answer here]. I hope this helps!"
    )
    backend.enqueue("ask", 'It "improves faithfulness by 12.5 points" (p. 3).')
    events = list(ask(make_paper(), "How much better is it?", backend=backend))
    assert [e.kind for e in events].count("restart") == 1
    assert len(backend.history) == 2
    assert "Your previous answer had these problems" in backend.history[1].prompt
    assert "[insert" not in events[-1].result.answer


def test_answers_are_cached_by_question_and_history(tmp_path):
    cache = AskCache(tmp_path)
    paper = make_paper()
    backend = FakeBackend()
    backend.enqueue("ask", 'First: "improves faithfulness by 12.5 points" (p. 3).')
    backend.enqueue("ask", "Second answer, another history.")
    first = answer_of(ask(paper, "How much?", backend=backend, cache=cache))
    again = answer_of(ask(paper, "How much?", backend=backend, cache=cache))
    assert again.from_cache and again.answer == first.answer and again.citations[0].verified
    other = answer_of(
        ask(paper, "How much?", backend=backend, cache=cache, history=[Turn("Q", "A")])
    )
    assert other.answer == "Second answer, another history." and len(backend.history) == 2
    stored = "".join(p.read_text() for p in (tmp_path / "ask").glob("*.json"))
    assert "key" not in json.loads(stored.split("}{")[0] + "}" if "}{" in stored else stored)


def test_claims_without_quotes_are_checked_by_the_grounding_checker():
    backend = FakeBackend().enqueue(
        "ask",
        "StageSum improves faithfulness by 12.5 points over truncation (p. 3). "
        "It was trained on 9,000 quantum GPUs in Antarctica (p. 2).",
    )
    result = answer_of(ask(make_paper(), "How good is it?", backend=backend))
    assert [(c.page, c.verified) for c in result.citations] == [(3, True), (2, False)]
    assert "12.5 points" in result.citations[0].quote  # the paper's own words
