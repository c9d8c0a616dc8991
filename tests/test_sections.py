"""Headings -> sections, on synthetic page texts: each heading form and each false-heading trap."""

from __future__ import annotations

import random

import pytest

from chatpaper.paper import ROLES
from chatpaper.sections import find_sections, heading_matches, role_for_title

SENTENCES = [
    "Academic papers are an increasingly important textual domain for research.",
    "We describe how the corpus was collected and how each document was parsed.",
    "The annotators read every summary and marked the units that were unfaithful.",
    "Our results suggest that finer granularity reduces the variance of the scores.",
    "Previous systems truncated the input and therefore missed the method section.",
    "Each stage of the pipeline receives the full text followed by an instruction.",
]


def para(seed: int, lines: int = 6) -> str:
    """A paragraph of whole sentences wrapped like a two-column paper (~50 characters a line),
    about ``lines`` lines long."""
    out, line, k = [], "", 0
    while True:
        for word in SENTENCES[(seed + k) % len(SENTENCES)].split():
            if len(line) + len(word) + 1 > 50:
                out.append(line)
                line = word
            else:
                line = f"{line} {word}".strip()
        k += 1
        if len(out) + 1 >= lines:
            break
    out.append(line)
    return "\n".join(out)


def headings(sections) -> list[str]:
    return [s.heading for s in sections if s.heading]


def by_heading(sections, heading):
    return next(s for s in sections if heading_matches(s.heading, heading))


NUMBERED = [
    "\n".join(
        [
            "Staged Summaries of Whole Papers",
            "Ada Lovelace Alan Turing",
            "Abstract",
            para(0),
            "1 Introduction",
            para(1, 12),
        ]
    ),
    "\n".join(
        [
            para(2),
            "2 Related Work",
            para(3),
            "3 Design of StageSum",
            para(4),
            "3.1 Splitting the paper",
            para(5),
            "3.2 Running the stages",
            para(0),
        ]
    ),
    "\n".join(
        [
            "4 Experiments",
            para(1),
            "4.1 Setup",
            para(2),
            "5 Results",
            para(3),
            "6 Conclusion",
            para(4),
            "References",
            "[1] A. Author. 2019. A paper about things. In Proc. of ACL.",
            "2019. HighRES: Highlight-based reference-less evaluation",
            "of summarization. In Proceedings of ACL.",
        ]
    ),
    "\n".join(
        [
            "A Prompt Templates",
            para(5),
            "A.1 Prompt for the overview",
            "Abstract: {abstract}",
            "Title: {title}",
            para(0),
            "B Annotation Guidelines",
            para(1),
        ]
    ),
]


def test_numbered_paper_headings_roles_levels_and_pages():
    sections = find_sections(NUMBERED)
    assert headings(sections) == [
        "Abstract",
        "1 Introduction",
        "2 Related Work",
        "3 Design of StageSum",
        "3.1 Splitting the paper",
        "3.2 Running the stages",
        "4 Experiments",
        "4.1 Setup",
        "5 Results",
        "6 Conclusion",
        "References",
        "A Prompt Templates",
        "A.1 Prompt for the overview",
        "B Annotation Guidelines",
    ]
    roles = {s.heading: s.role for s in sections if s.heading}
    assert roles["Abstract"] == "abstract"
    assert roles["1 Introduction"] == "introduction"
    assert roles["2 Related Work"] == "related_work"
    assert roles["3 Design of StageSum"] == "method"
    assert roles["3.1 Splitting the paper"] == "method"  # inherits from its parent
    assert roles["4 Experiments"] == "experiments"
    assert roles["4.1 Setup"] == "experiments"
    assert roles["5 Results"] == "results"
    assert roles["6 Conclusion"] == "conclusion"
    assert roles["References"] == "references"
    assert roles["A Prompt Templates"] == roles["A.1 Prompt for the overview"] == "appendix"
    assert by_heading(sections, "3.1 Splitting the paper").level == 2
    assert by_heading(sections, "3 Design of StageSum").level == 1
    assert by_heading(sections, "6 Conclusion").page == 3
    assert all(s.role in ROLES for s in sections)


def test_section_text_runs_to_the_next_heading_across_pages():
    sections = find_sections(NUMBERED)
    intro = by_heading(sections, "1 Introduction")
    assert intro.text.startswith(para(1, 12).split("\n")[0])
    assert para(2).split("\n")[-1] in intro.text  # continues onto page 2
    assert "2 Related Work" not in intro.text
    # Nothing is lost: every body line is in exactly one section.
    everything = "\n".join(s.heading + "\n" + s.text for s in sections)
    for page in NUMBERED:
        for line in page.split("\n"):
            assert line in everything


def test_front_matter_before_the_first_heading_is_kept():
    sections = find_sections(NUMBERED)
    assert sections[0].heading == ""
    assert "Staged Summaries of Whole Papers" in sections[0].text


def test_without_an_abstract_heading_the_front_matter_is_the_abstract():
    page = "\n".join(
        [
            "Paper Plain: Making Papers Approachable",
            "TAL AUGUST, University of Washington",
            para(0, 12),
            "1 INTRODUCTION",
            para(1, 10),
            "2 BACKGROUND AND RELATED WORK",
            para(2, 10),
        ]
    )
    sections = find_sections([page, "3 SYSTEM DESIGN\n" + para(3, 10), "4 CONCLUSION\n" + para(4)])
    assert sections[0].role == "abstract"
    assert [s.role for s in sections[1:]] == [
        "introduction",
        "related_work",
        "method",
        "conclusion",
    ]


def test_roman_numerals_with_lettered_subsections():
    pages = [
        "\n".join(["I. INTRODUCTION", para(0, 10), "II. RELATED WORK", para(1, 10)]),
        "\n".join(
            [
                "III. METHODOLOGY",
                para(2),
                "A. Dataset",
                para(3),
                "B. Model",
                para(4),
                "IV. EXPERIMENTS",
                para(5),
                "V. CONCLUSION",
                para(0),
            ]
        ),
    ]
    sections = find_sections(pages)
    assert headings(sections) == [
        "I. INTRODUCTION",
        "II. RELATED WORK",
        "III. METHODOLOGY",
        "A. Dataset",
        "B. Model",
        "IV. EXPERIMENTS",
        "V. CONCLUSION",
    ]
    assert by_heading(sections, "A. Dataset").level == 2
    assert by_heading(sections, "A. Dataset").role == "method"
    assert by_heading(sections, "V. CONCLUSION").role == "conclusion"


def test_unnumbered_known_and_plain_headings():
    pages = [
        "\n".join(["Abstract", para(0), "Introduction", para(1, 10)]),
        "\n".join(["Theory", para(2, 10), "Counterfactual explanations", para(3, 10)]),
        "\n".join(["Discussion", para(4), "Conclusion and outlook", para(5)]),
        "\n".join(["Acknowledgements", para(0), "References", "1 Smith, J. Title. 2020."]),
    ]
    sections = find_sections(pages)
    assert headings(sections) == [
        "Abstract",
        "Introduction",
        "Theory",
        "Counterfactual explanations",
        "Discussion",
        "Conclusion and outlook",
        "Acknowledgements",
        "References",
    ]
    assert by_heading(sections, "Conclusion and outlook").role == "conclusion"
    assert by_heading(sections, "Discussion").role == "discussion"


def test_capitalised_headings_and_wrapped_headings_are_joined():
    pages = [
        "\n".join(
            [
                "1 INTRODUCTION",
                para(0, 10),
                "2 CHARACTERIZING EXPOSITORY",
                "WRITING",
                para(1, 8),
                "3 The LONGEVAL guidelines for",
                "faithfulness human evaluation",
                para(2, 8),
                "4 Vignette: Building an Attributed QA",
                "System for Scientific Papers",
                para(3, 8),
                "5 Conclusion",
                para(4),
            ]
        )
    ]
    assert headings(find_sections(pages)) == [
        "1 INTRODUCTION",
        "2 CHARACTERIZING EXPOSITORY WRITING",
        "3 The LONGEVAL guidelines for faithfulness human evaluation",
        "4 Vignette: Building an Attributed QA System for Scientific Papers",
        "5 Conclusion",
    ]


def test_method_named_after_the_technique_is_found_by_position():
    pages = [
        "\n".join(["1 Introduction", para(0, 10), "2 Related work", para(1, 10)]),
        "\n".join(["3 Multi-LexSum", para(2, 10), "4 Experiments", para(3, 10)]),
        "\n".join(["5 Human evaluation", para(4), "6 Conclusion", para(5)]),
    ]
    roles = {s.heading: s.role for s in find_sections(pages)}
    assert roles["3 Multi-LexSum"] == "method"
    assert roles["5 Human evaluation"] == "experiments"


def test_a_survey_does_not_claim_a_method():
    pages = [
        "A Review of Language Models in Chemistry\nA PREPRINT\n" + para(0),
        "\n".join(["1 Introduction", para(1, 10), "2 Large Language Models", para(2, 10)]),
        "\n".join(["3 Agents in Science", para(3, 10), "4 Conclusions", para(4)]),
    ]
    sections = find_sections(pages)
    assert not [s for s in sections if s.role == "method"]
    assert by_heading(sections, "4 Conclusions").role == "conclusion"


# --- traps ------------------------------------------------------------------------------------


def test_figure_text_with_heading_words_is_not_a_heading():
    """papermage.pdf page 4: a figure shows a paper page with ABSTRACT and INTRODUCTION."""
    pages = [
        "\n".join(["Abstract", para(0), "1 Introduction", para(1, 10)]),
        "\n".join(
            [
                "2 Design",
                para(2),
                "Figure 1. Revolt creates labels for items.",
                "ABSTRACT",
                "ACM Classification Keywords",
                "INTRODUCTION",
                "A",
                "B",
                "C",
                para(3),
                "3 Conclusion",
                para(4),
            ]
        ),
    ]
    assert headings(find_sections(pages)) == [
        "Abstract",
        "1 Introduction",
        "2 Design",
        "3 Conclusion",
    ]


def test_prompt_listing_and_reference_entries_are_not_headings():
    sections = find_sections(NUMBERED)
    found = headings(sections)
    assert "Abstract: {abstract}" not in found
    assert not any(h.startswith("2019.") or h.startswith("[1]") for h in found)
    assert [s.heading for s in sections if s.role == "abstract"] == ["Abstract"]


def test_table_rows_numbered_lists_and_equations_are_not_headings():
    pages = [
        "\n".join(
            [
                "1 Introduction",
                para(0, 8),
                "Our contributions are:",
                "1. We collect a corpus of papers.",
                "2 We train a model on that corpus and",
                "release it to the community.",
                para(1, 6),
                "Model Acc F1",
                "1 BERT 85.2 90.1",
                "2 GPT-4 88.0 91.3",
                "3 Ours 89.5 92.0",
                "L = sum of the losses (3)",
                "2 Method",
                para(2, 8),
                "3 Conclusion",
                para(3),
            ]
        )
    ]
    assert headings(find_sections(pages)) == ["1 Introduction", "2 Method", "3 Conclusion"]


def test_a_stray_number_does_not_break_the_count():
    """A footnote "3 We thank ..." between sections 2 and 3 loses to the real "3"."""
    pages = [
        "\n".join(["1 Introduction", para(0, 10), "2 Approach", para(1, 10)]),
        "\n".join(
            [
                "3 Code and data are available on request",
                "from the authors.",
                para(2, 4),
                "3 Experiments",
                para(3, 10),
                "4 Conclusion",
                para(4),
            ]
        ),
    ]
    assert headings(find_sections(pages)) == [
        "1 Introduction",
        "2 Approach",
        "3 Experiments",
        "4 Conclusion",
    ]


def test_numbered_affiliations_on_the_first_page_are_not_sections():
    pages = [
        "\n".join(
            [
                "Sparse Attention Reads Long Papers",
                "Alice Smith1 Bob Jones2",
                "1 Department of Physics, University of Somewhere",
                "2 Institute for Artificial Intelligence, Elsewhere",
                "Abstract",
                para(0),
                "1 Long Papers Need Long Contexts",
                para(1, 10),
            ]
        ),
        "\n".join(["2 Sparse Attention", para(2, 10), "3 Approach", para(3, 10)]),
        "\n".join(["4 Results", para(4, 10), "5 Conclusion", para(5)]),
    ]
    assert headings(find_sections(pages)) == [
        "Abstract",
        "1 Long Papers Need Long Contexts",
        "2 Sparse Attention",
        "3 Approach",
        "4 Results",
        "5 Conclusion",
    ]


def test_table_of_contents_is_not_taken_for_headings():
    pages = [
        "\n".join(
            [
                "Contents",
                "1 Introduction 3",
                "1.1 Challenges . . . . . . . . . 3",
                "2 Models . . . . . . . . . 4",
                "3 Conclusions 9",
            ]
        ),
        "\n".join(["1 Introduction", para(0, 10), "1.1 Challenges", para(1, 10)]),
        "\n".join(["2 Models", para(2, 10), "3 Conclusions", para(3)]),
    ]
    sections = find_sections(pages)
    assert headings(sections) == ["1 Introduction", "1.1 Challenges", "2 Models", "3 Conclusions"]
    assert by_heading(sections, "1 Introduction").page == 2


# --- degenerate input ---------------------------------------------------------------------------


def test_a_text_without_headings_gives_one_section_per_page():
    pages = [para(0, 10), para(1, 10), ""]
    sections = find_sections(pages)
    assert [(s.heading, s.role, s.page) for s in sections] == [
        ("Page 1", "other", 1),
        ("Page 2", "other", 2),
    ]
    assert sections[0].text == para(0, 10)


def test_no_pages_gives_no_sections():
    assert find_sections([]) == []
    assert find_sections(["", "  "]) == []


@pytest.mark.parametrize("seed", range(20))
def test_never_crashes_on_random_text(seed):
    rng = random.Random(seed)
    alphabet = "ABCIVX abc123.:-\n\n  ()[]{}•ﬁ§†∗"
    tokens = [
        "1",
        "2.1",
        "A.",
        "III.",
        "Abstract",
        "References",
        "Appendix",
        "Figure 1:",
        "INTRODUCTION",
        "Conclusion",
        "2019.",
        "[3]",
        "—",
    ]
    pages = []
    for _ in range(rng.randint(0, 6)):
        parts = []
        for _ in range(rng.randint(0, 80)):
            if rng.random() < 0.3:
                parts.append(rng.choice(tokens))
            else:
                parts.append("".join(rng.choice(alphabet) for _ in range(rng.randint(0, 30))))
        pages.append(" ".join(parts))
    for section in find_sections(pages):
        assert section.role in ROLES
        assert section.page >= 1


def test_long_text_is_handled_in_linear_time():
    import time

    pages = [
        "\n".join([f"{n} Section number {n}", para(n, 40), f"{n}.1 Sub part", para(n + 1, 40)])
        for n in range(1, 25)
    ] * 4
    started = time.perf_counter()
    find_sections(pages)
    assert time.perf_counter() - started < 2.0


# --- helpers --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("found", "label"),
    [
        (
            "3 DESIGNING AI SUPPORTS FOR EXPOSITORY WRITING",
            "3 Designing AI Supports for Expository Writing",
        ),
        ("4 PAPER  PLAIN: READING\tSUPPORT", "4 Paper Plain: Reading Support"),
        ("3. Method", "3 Method"),
        ("Conclusion and outlook", "conclusion and outlook"),
        (
            "7.1 How did participants use Paper Plain’s features?",
            "7.1 How did participants use Paper Plain's features?",
        ),
    ],
)
def test_heading_matches_ignores_case_spacing_and_number_dots(found, label):
    assert heading_matches(found, label)


def test_heading_matches_is_not_too_loose():
    assert not heading_matches("3 Method", "4 Method")
    assert not heading_matches("5 Conclusion", "5 Conclusions and future work")


@pytest.mark.parametrize(
    ("title", "role"),
    [
        ("Background and Related Work", "related_work"),
        ("Discussion & Future Work", "discussion"),
        ("Conclusions and Future Work", "conclusion"),
        ("Results and Discussion", "results"),
        ("Experimental Setup", "experiments"),
        ("Materials and Methods", "method"),
        ("System Design", "method"),
        ("Survey of human evaluation practices", None),
        ("Multi-LexSum", None),
        ("Acknowledgments", None),
    ],
)
def test_role_for_title(title, role):
    assert role_for_title(title) == role


# --- layouts of journals and proceedings we were not tuned on (issue 13) --------------------


def test_ieee_small_capitals_split_by_the_extractor_are_joined():
    """IEEEtran sets headings in small capitals; pypdf splits each word after its taller
    first letter ("R ELATED W ORK")."""
    pages = [
        "\n".join(["I. I NTRODUCTION", para(0, 10), "II. R ELATED W ORK", para(1, 10)]),
        "\n".join(["III. S YSTEM M ODEL", para(2), "A. Channel Model", para(3)]),
        "\n".join(["IV. DEEPSCAN", para(4, 8), "V. S IMULATION R ESULTS", para(5, 8)]),
        "\n".join(["VI. C ONCLUSIONS AND F UTURE W ORK", para(0), "R EFERENCES", "[1] A. B."]),
    ]
    roles = {s.heading: s.role for s in find_sections(pages) if s.heading}
    assert roles == {
        "I. I NTRODUCTION": "introduction",
        "II. R ELATED W ORK": "related_work",
        "III. S YSTEM M ODEL": "method",
        "A. Channel Model": "method",
        "IV. DEEPSCAN": "method",
        "V. S IMULATION R ESULTS": "results",
        "VI. C ONCLUSIONS AND F UTURE W ORK": "conclusion",
        "R EFERENCES": "references",
    }
    assert heading_matches("VI. C ONCLUSIONS AND F UTURE W ORK", "VI. Conclusions and future work")


def test_a_lone_capital_word_is_not_joined_to_the_next():
    pages = [
        "\n".join(["I. INTRODUCTION", para(0, 10), "II. A SURVEY OF PARSERS", para(1, 10)]),
        "\n".join(["III. EXPERIMENTS", para(2, 10), "IV. CONCLUSION", para(3)]),
    ]
    assert "II. A SURVEY OF PARSERS" in headings(find_sections(pages))


def biology_pages(*, conclusion: bool = False) -> list[str]:
    """Results, Discussion, then Materials and methods with unnumbered parts."""
    closing = ["Conclusions", para(5)] if conclusion else []
    return [
        "\n".join(["Abstract", para(0), "Introduction", para(1, 10)]),
        "\n".join(["Results", para(2, 10), "Discussion", para(3, 8), *closing]),
        "\n".join(
            [
                "Materials and methods",
                "Cell culture",
                para(4),
                "Statistical analysis",
                para(5),
                "Data availability",
                para(0, 3),
                "References",
                "1. Smith J. A paper. Nature 2020.",
            ]
        ),
    ]


def test_discussion_is_the_conclusion_when_there_is_no_conclusion():
    sections = find_sections(biology_pages())
    assert by_heading(sections, "Discussion").role == "conclusion"
    assert [s.heading for s in sections if s.role == "conclusion"] == ["Discussion"]


def test_discussion_stays_discussion_next_to_a_conclusion():
    sections = find_sections(biology_pages(conclusion=True))
    assert by_heading(sections, "Discussion").role == "discussion"
    assert by_heading(sections, "Conclusions").role == "conclusion"


def test_methods_after_the_discussion_keep_their_parts():
    sections = find_sections(biology_pages())
    methods = by_heading(sections, "Materials and methods")
    assert methods.role == "method"
    for part in ("Cell culture", "Statistical analysis"):
        assert by_heading(sections, part).role == "method"
        assert by_heading(sections, part).level == 2
    assert by_heading(sections, "Data availability").role == "other"


@pytest.mark.parametrize("heading", ["STAR★Methods", "STAR+METHODS", "Experimental procedures"])
def test_cell_press_method_names(heading):
    pages = biology_pages()
    pages[2] = pages[2].replace("Materials and methods", heading)
    sections = find_sections(pages)
    assert by_heading(sections, heading).role == "method"


def test_an_opening_summary_is_the_abstract_and_a_closing_one_the_conclusion():
    opening = [
        "\n".join(["SUMMARY", para(0), "INTRODUCTION", para(1, 10), "RESULTS", para(2, 10)]),
        "\n".join(["DISCUSSION", para(3, 8), "STAR★METHODS", para(5)]),
    ]
    sections = find_sections(opening)
    assert by_heading(sections, "Summary").role == "abstract"
    assert by_heading(sections, "Discussion").role == "conclusion"
    closing = [
        "\n".join(["ABSTRACT", para(0), "INTRODUCTION", para(1, 10), "RESULTS", para(2, 10)]),
        "\n".join(["DISCUSSION", para(3, 8), "SUMMARY", para(4), "METHODS", para(5)]),
    ]
    sections = find_sections(closing)
    assert by_heading(sections, "Summary").role == "conclusion"
    assert by_heading(sections, "Discussion").role == "discussion"


def test_ornaments_and_run_together_words_do_not_hide_a_heading():
    """ACS prints "■INTRODUCTION"; pypdf runs some fonts' words together."""
    pages = [
        "\n".join(["■INTRODUCTION", para(0, 10), "■RESULTS", para(1, 10)]),
        "\n".join(["■DISCUSSION", para(2, 8), "MATERIALSANDMETHODS", para(3, 8)]),
    ]
    sections = find_sections(pages)
    assert by_heading(sections, "Introduction").role == "introduction"
    assert by_heading(sections, "Materials and methods").role == "method"
    assert by_heading(sections, "Discussion").role == "conclusion"


def test_a_supplement_list_and_a_wrapped_sentence_are_not_methods():
    """Science lists the online supplement's parts after the article; a sentence may wrap so
    that a line reads "methods."."""
    pages = [
        para(0, 12) + "\nexisting synthetic\nmethods.\n" + para(1, 10),
        "\n".join(
            [
                "Concluding remarks",
                para(2, 8),
                "ACKNOWLEDGMENTS",
                para(3, 3),
                "SUPPLEMENTARY MATERIALS",
                "science.org/doi/10.1126/science.abc1234",
                "Materials and Methods",
                "Figs. S1 to S20",
                "Tables S1 to S11",
                "References (47-83)",
            ]
        ),
    ]
    sections = find_sections(pages)
    assert not [s.heading for s in sections if s.role == "method"]
    assert by_heading(sections, "Concluding remarks").role == "conclusion"


@pytest.mark.parametrize(
    ("found", "label"),
    [("STAR+METHODS", "STAR★Methods"), ("MATERIALSANDMETHODS", "Materials and methods")],
)
def test_heading_matches_ignores_symbols_and_run_together_words(found, label):
    assert heading_matches(found, label)
