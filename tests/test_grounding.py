"""The citation and numbers check: what a reader would see marked, on small made-up papers."""

from __future__ import annotations

from chatpaper import grounding as g

PAGES = [
    "PaperBench: Measuring Agents. We introduce PaperBench, a benchmark of 1,000 tasks.",
    "Related work. Earlier agents were evaluated on toy tasks with small budgets.",
    "Method. We fine-tune Llama-3 on the MathQA dataset with a batch size of 256 and a "
    "learning rate of 0.0003 for 12 epochs.",
    "Results. Our agent reaches an F1 of 83.80 on MathQA, an improvement of 12.4 points "
    "over GPT-4, and solves 45 % of the tasks.",
]


def test_correct_citations_are_verified_with_their_quote():
    answer = (
        "(3) **Proposed method**: The authors fine-tune Llama-3 on MathQA with batch size 256 "
        "(p. 3). (4) **Tasks and performance**: It reaches an F1 of 83.8 on MathQA, 12.4 points "
        "above GPT-4 (p. 4)."
    )
    report = g.check_citations(answer, PAGES, lang="en")
    assert [c.status for c in report.citations] == ["verified", "verified"]
    assert "batch size of 256" in report.citations[0].quote
    assert report.numbers_not_found == []
    assert report.summary_line("en") == "2 of 2 citations checked on their pages."


def test_a_citation_on_a_far_page_is_corrected_to_the_right_page():
    answer = "It reaches an F1 of 83.80 on MathQA, 12.4 points above GPT-4 (p. 1)."
    report = g.check_citations(answer, PAGES, lang="en")
    (citation,) = report.citations
    assert citation.status == "wrong_page" and citation.found_pages == (4,)
    shown = g.annotate(answer, report, page_url=lambda p: f"https://arxiv.org/pdf/x#page={p}")
    assert "[p. 4](https://arxiv.org/pdf/x#page=4); corrected from p. 1" in shown


def test_an_invented_number_is_marked_and_counted():
    answer = "The agent solves 61% of the tasks (p. 4). It was trained for 30 epochs."
    report = g.check_citations(answer, PAGES, lang="en")
    assert set(report.numbers_not_found) == {"61%", "30"}
    shown = g.annotate(answer, report)
    assert "61% ⚠️ *number not found in the paper*" in shown
    assert "2 numbers not found in the paper" in report.summary_line("en")


def test_number_formats_are_tolerated():
    for answer in (
        "PaperBench has 1000 tasks (p. 1), it reaches F1 83.8 and solves 45% (p. 4).",
        "PaperBench has 1k tasks (p. 1), it reaches F1 83.80 and solves 45 % (p. 4).",
        "PaperBench has 1,000 tasks (p. 1); lr 0.00030 (p. 3).",
    ):
        report = g.check_citations(answer, PAGES, lang="en")
        assert report.numbers_not_found == [], answer
        assert {c.status for c in report.citations} == {"verified"}, answer


def test_a_claim_found_nowhere_is_unsupported():
    answer = "The method uses reinforcement learning from human feedback on protein folding (p. 2)."
    report = g.check_citations(answer, PAGES, lang="en")
    assert report.citations[0].status == "unsupported"
    assert "not supported by the paper" in g.annotate(answer, report)


def test_chinese_answer_is_checked_by_its_numbers_and_names():
    answer = "该方法在 MathQA 上的 F1 达到 83.8，比 GPT-4 高 12.4 个点（第4页）。该方法很有前景（第2页）。"
    report = g.check_citations(answer, PAGES, lang="zh")
    assert [c.status for c in report.citations] == ["verified", "unchecked"]
    moved = answer.replace("第4页", "第1页")
    report = g.check_citations(moved, PAGES, lang="zh")
    assert report.citations[0].status == "wrong_page" and report.citations[0].found_pages == (4,)
    assert "已更正" in g.annotate(moved, report, lang="zh")


def test_a_chinese_answer_quoting_the_paper_in_english_is_checked_by_its_words():
    """The offline engine's Chinese summary quotes the paper's English sentences: they are
    checked as in an English summary, not left as cited."""
    answer = (
        "(1) **意义**: Earlier agents were evaluated on toy tasks with small budgets.（第2页）\n"
        "(2) **创新点**: Earlier agents were evaluated on toy tasks with small budgets.（第4页）\n"
        "(3) **性能**: 该方法很有前景（第2页）。"
    )
    report = g.check_citations(answer, PAGES, lang="zh")
    statuses = [c.status for c in report.citations]
    assert statuses[:2] == ["verified", "wrong_page"] and report.citations[1].found_pages == (2,)
    assert statuses[2] == "unchecked"  # Chinese prose without names or numbers: as cited


def test_a_changed_number_in_a_verified_claim_is_marked():
    answer = "It reaches an F1 of 83.80 on MathQA, 14.4 points above GPT-4 (p. 4)."
    report = g.check_citations(answer, PAGES, lang="en")
    assert report.numbers_not_found == ["14.4"]


def test_our_own_numbering_and_references_are_not_numbers_to_check():
    answer = "(2) **Past methods**: Earlier agents were evaluated on toy tasks [7, 19] (p. 2)."
    report = g.check_citations(answer, PAGES, lang="en")
    assert report.numbers_not_found == []


def test_hiding_page_references_keeps_the_marks():
    answer = "It solves 45% of the tasks (p. 4). It uses 99 GPUs (p. 3)."
    report = g.check_citations(answer, PAGES, lang="en")
    shown = g.annotate(answer, report, show_pages=False)
    assert "(p." not in shown
    assert "99 ⚠️ *number not found in the paper*" in shown


def test_hostile_answer_is_checked_in_bounded_time():
    import time

    answer = ("9" * 100_000 + " (p. 1) ") * 3 + "x" * 200_000 + " (pp. 1-9999)"
    started = time.perf_counter()
    report = g.check_citations(answer, PAGES * 50, lang="en")
    assert time.perf_counter() - started < 5  # generous: linear work on 0.5 MB
    assert len(report.citations) <= g.MAX_CITATIONS
