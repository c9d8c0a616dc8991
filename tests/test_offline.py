"""The offline engine: every stage filled from the paper's own sentences, each one checkable.

Hand-built papers test the rules; the real papers in ../shared/papers test that it holds up
on real PDF text (two-column layouts, a 79-page survey, a perspective without a method part).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from chatpaper import guard
from chatpaper.config import Settings
from chatpaper.errors import BackendError
from chatpaper.i18n import get_language
from chatpaper.llm.base import Notice, StageRequest, available_engines, create_backend
from chatpaper.llm.offline import (
    STAGES,
    OfflineBackend,
    PaperParts,
    extractive_answer,
    is_quotable,
    normalize_space,
    paper_sentences,
    split_sentences,
    step_name,
)
from chatpaper.paper import Page, Paper, PaperMeta, Section
from tests.conftest import SHARED_PAPERS, needs_real_papers, shared_papers_or_skip

REPO = Path(__file__).resolve().parents[1]
PAPERS = SHARED_PAPERS

REQUIRED = {
    "tldr": lambda L: [L["summary"], L["key_takeaways"]],
    "overview": lambda L: ["(1)", "(2)", "(3)", "(4)"],
    "methods": lambda L: ["(1)"],
    "conclusion": lambda L: ["(1)", "(2)", "(3)", "(4)"],
}


# --- reading an answer back --------------------------------------------------------------
_PREFIX = re.compile(r"^(?:- \*\*[^*]+\*\*: |\*\*[^*]+\*\*: |- |\(\d+\) \*\*[^*]+\*\*: )")
_REFS = {"en": re.compile(r" \(p\. (\d+)\)"), "zh": re.compile(r"（第(\d+)页）")}


def quotes(answer: str, lang_code: str = "en") -> list[tuple[str, int]]:
    """(sentence, page) for every quoted sentence in an answer."""
    found = []
    for line in answer.splitlines():
        body = _PREFIX.sub("", line)
        position = 0
        for match in _REFS[lang_code].finditer(body):
            found.append((body[position : match.start()].strip(), int(match.group(1))))
            position = match.end()
    return found


def assert_quotes_are_verbatim(paper: Paper, answer: str, lang_code: str = "en") -> None:
    for sentence, page in quotes(answer, lang_code):
        assert 1 <= page <= len(paper.pages), (sentence, page)
        assert sentence in normalize_space(paper.pages[page - 1].text), (
            f"not on p. {page}: {sentence!r}"
        )


def assert_no_repeats(answer: str, lang_code: str = "en") -> None:
    sentences = [s for s, _ in quotes(answer, lang_code)]
    assert len(sentences) == len(set(sentences)), sentences


def assert_well_formed(stage: str, answer: str, language: str = "English") -> None:
    lang = get_language(language)
    defects = guard.find_defects(answer, required=REQUIRED[stage](lang.labels), language=language)
    assert defects == [], (stage, defects, answer)


# --- a hand-built paper ---------------------------------------------------------------------
PAGE1 = """Sparse Routing for Fast Document Parsers
Ada Lovelace1 Charles Babbage2
1University of Cambridge 2Imperial College London
Abstract
We propose SparseParse, a document parser that routes each page
region to a small specialised model. Document parsing is slow
because every region goes through one large model. SparseParse
is 3.5 times faster than the strongest baseline and improves
F1 by 4.2 points on the DocBank benchmark.
Keywords: document parsing, sparse routing, mixture of experts
1 Introduction
Scientific documents are increasingly important for search engines and
for language models that read papers (Smith et al., 2020). However,
existing parsers run one large model on every region, which is slow and
costly for large collections. Prior work such as LayoutParser (e.g. the
tools of Shen et al. 2021) cannot adapt the model to the region type.
Our contributions are a router that picks a model per region, a set of
six small experts, and an evaluation on 10k pages.
"""
PAGE2 = """2 Related Work
Earlier systems such as GROBID rely on hand-written rules, which fail
on unusual layouts. Neural parsers are accurate but expensive to run
on millions of pages, as noted by Lee et al. (2022).
3 Method
3.1 Region Detection
We first detect regions with a light detector that outputs boxes and
types for every page. The detector runs on the page image at 300 dpi.
3.2 Routing
Each region is then sent to the expert trained for its type, e.g. a
table expert for tables. The router is a linear layer over the region
features.
Figure 2: The routing module.
3.3 Expert Models
The six experts are small transformers fine-tuned on one region type
each. They share a vocabulary so that their outputs can be merged.
"""
PAGE3 = """4 Experiments
We evaluate on DocBank and PubLayNet with the standard splits. Table 1
shows that SparseParse reaches 91.3% F1 while running 3.5x faster than
the best baseline.
Table 1: Results on DocBank.
Model F1 Speed
Baseline 87.1 1.0
Ours 91.3 3.5
5 Conclusion
We presented SparseParse, the first parser that routes page regions to
small experts. It outperforms a single large model by 4.2 F1 points on
DocBank. We annotated 2,000 pages and trained six experts for this
work. This makes large-scale parsing practical for digital libraries.
References
Smith, J., et al. 2020. Parsing papers. In Proceedings of ACL, pp. 1-10.
"""


def make_paper(with_sections: bool = True) -> Paper:
    pages = [Page(1, PAGE1), Page(2, PAGE2), Page(3, PAGE3)]

    def section(heading: str, role: str, page: int, level: int = 1) -> Section:
        text = pages[page - 1].text.split(heading, 1)[1]
        return Section(heading=heading, role=role, page=page, text=text, level=level)

    sections = [
        section("Abstract", "abstract", 1),
        section("1 Introduction", "introduction", 1),
        section("2 Related Work", "related_work", 2),
        section("3 Method", "method", 2),
        section("3.1 Region Detection", "method", 2, 2),
        section("3.2 Routing", "method", 2, 2),
        section("3.3 Expert Models", "method", 2, 2),
        section("4 Experiments", "experiments", 3),
        section("5 Conclusion", "conclusion", 3),
        section("References", "references", 3),
    ]
    meta = PaperMeta(
        title="Sparse Routing for Fast Document Parsers",
        authors=["Ada Lovelace", "Charles Babbage"],
        affiliations=["University of Cambridge"],
    )
    return Paper(
        source="test.pdf", meta=meta, pages=pages, sections=sections if with_sections else []
    )


HEADINGS = (
    "Abstract",
    "1 Introduction",
    "2 Related Work",
    "3 Method",
    "3.1 Region Detection",
    "3.2 Routing",
    "3.3 Expert Models",
    "4 Experiments",
    "5 Conclusion",
    "References",
)


def make_headless_paper() -> Paper:
    """A paper whose PDF has no heading lines at all (a letter, a perspective)."""
    paper = make_paper(with_sections=False)
    paper.pages = [
        Page(p.number, "\n".join(line for line in p.text.splitlines() if line not in HEADINGS))
        for p in paper.pages
    ]
    return paper


def run_stage(paper: Paper, stage: str, language: str = "English") -> list[object]:
    backend = create_backend("offline", Settings())
    request = StageRequest(stage=stage, system="", prompt="", language=language, paper=paper)
    return list(backend.stream(request))


# --- sentence splitting -------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "As shown by Smith et al. (2020), it works. The next one starts here.",
            ["As shown by Smith et al. (2020), it works.", "The next one starts here."],
        ),
        (
            "We use tools, e.g. GROBID, i.e. a parser. See Fig. 3 for details. It is 3.5 times faster.",
            [
                "We use tools, e.g. GROBID, i.e. a parser.",
                "See Fig. 3 for details.",
                "It is 3.5 times faster.",
            ],
        ),
        (
            "Written by J. Smith in the U.S. Army. Then it ended!",
            ["Written by J. Smith in the U.S. Army.", "Then it ended!"],
        ),
        (  # superscript citation numbers after the full stop
            "DL can model non-linear relationships. 1-3 Applications of DL are broad.",
            ["DL can model non-linear relationships.", "Applications of DL are broad."],
        ),
        (
            'He said "it works." Then we left.',
            ['He said "it works."', "Then we left."],
        ),
        ("我们提出了一种新方法。实验表明它更快！", ["我们提出了一种新方法。", "实验表明它更快！"]),
    ],
)
def test_split_sentences(text, expected):
    assert [text[a:b].strip() for a, b in split_sentences(text)] == expected


@pytest.mark.parametrize(
    "text",
    [
        "Figure 3: The architecture of our model, with the router shown on the left side.",
        "Table 2. Results on the test set for all the models that we compared here.",
        "(D, E) Figures, captions, tables and keywords can be accessed in similar ways here.",
        "Too short to say much.",
        "the second half of a sentence that began on the previous page of the paper.",
        "Our code is available at https://github.com/example/project for everyone to use.",
        "Contact the authors at someone@example.org for the data used in the experiments.",
        "Baseline 87.1 1.0 Ours 91.3 3.5 Large 93.3 0.4 Small 85.2 4.1 Tiny 80.0 9.9 A.",
        "We define L = sum_i (y_i - f(x_i))^2 + lambda * ||w||^2 as the loss we minimise.",
        "Smith, J., Lee, K. 2020. Parsing papers. In Proceedings of ACL, 2019, 2018, 2017.",
        "3 Method We first detect regions with a light detector that outputs boxes.",
        "We obtain (cid:31)(cid:32) results that are much better than the baseline results.",
        "A" * 450 + ".",
    ],
)
def test_unquotable_sentences_are_skipped(text):
    assert not is_quotable(text)


def test_prose_sentence_is_quotable():
    assert is_quotable("Neural parsers are accurate but expensive to run on millions of pages.")


def test_step_name_drops_numbering():
    assert step_name("3.1 Region Detection") == "Region Detection"
    assert step_name("IV. EXPERIMENTS") == "EXPERIMENTS"
    assert step_name("Method") == "Method"


# --- the four stages on a hand-built paper ----------------------------------------------------
@pytest.mark.parametrize("stage", STAGES)
def test_every_stage_is_filled_verbatim_and_well_formed(stage):
    paper = make_paper()
    answer = extractive_answer(paper, stage, "English")
    assert_well_formed(stage, answer)
    assert quotes(answer), answer
    assert_quotes_are_verbatim(paper, answer)
    assert_no_repeats(answer)


def test_tldr_summary_is_the_proposing_sentence():
    answer = extractive_answer(make_paper(), "tldr", "English")
    first = answer.splitlines()[0]
    assert first.startswith("**Summary**: We propose SparseParse, a document parser")
    assert first.endswith("(p. 1)")
    takeaways = [line for line in answer.splitlines() if line.startswith("- ")]
    assert 5 <= len(takeaways) <= 7
    assert any("3.5 times faster" in t for t in takeaways)


def test_short_paper_never_repeats_a_takeaway():
    """A paper with fewer good sentences than takeaways: each is quoted once (a bug: the
    top-up took the same introduction sentence from two pools)."""
    text = (
        "Abstract\nWe study staged summarization of whole scientific papers here.\n"
        "1 Introduction\nLarge language models are increasingly used to read papers today.\n"
        "However, existing summarizers truncate the paper and lose the method.\n"
    )
    page = Page(1, text)
    sections = [
        Section("Abstract", "abstract", 1, text.split("Abstract\n")[1].split("1 Intro")[0]),
        Section("1 Introduction", "introduction", 1, text.split("1 Introduction\n")[1]),
    ]
    paper = Paper(source="x", meta=PaperMeta(title="Staged"), pages=[page], sections=sections)
    answer = extractive_answer(paper, "tldr", "English")
    assert_no_repeats(answer)
    assert len(quotes(answer)) == 3
    assert_well_formed("tldr", answer)


def test_overview_uses_meta_affiliation_keyword_line_and_cues():
    answer = extractive_answer(make_paper(), "overview", "English")
    assert "- **Affiliation**: University of Cambridge" in answer
    assert "- **Keywords**: document parsing, sparse routing, mixture of experts" in answer
    parts = dict(re.findall(r"^\((\d)\) \*\*[^*]+\*\*: (.*)$", answer, re.M))
    assert parts["1"].startswith("Scientific documents are increasingly important")
    assert "fail" in parts["2"] or "However" in parts["2"] or "cannot" in parts["2"]
    assert "We propose SparseParse" in parts["3"]
    assert "91.3%" in parts["4"] or "3.5 times" in parts["4"]


def test_overview_without_affiliation_says_not_stated():
    paper = make_paper()
    paper.meta.affiliations = []
    paper.pages[0] = Page(
        1, PAGE1.replace("1University of Cambridge 2Imperial College London\n", "")
    )
    answer = extractive_answer(paper, "overview", "English")
    assert "- **Affiliation**: not stated in the paper" in answer


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("1University of Cambridge 2Imperial College London", "University of Cambridge"),
        (
            "1Department of Biology, University of Oxford, Oxford, UK; 2Institute of Zoology",
            "Department of Biology, University of Oxford, Oxford, UK",
        ),
        (
            "Author affiliations: aGuangdong Key Laboratory for\nGenome Stability, Shenzhen",
            "Guangdong Key Laboratory for Genome Stability, Shenzhen",
        ),
        (
            "♠University of Massachusetts Amherst, ♢Allen Institute for AI",
            "University of Massachusetts Amherst",
        ),
        ("TAL AUGUST, University of Washington, USA", "University of Washington, USA"),
        # A labelled affiliation is one even without an institution's word (issue 12: the
        # bundled example paper's "Affiliation: The chatpaper project ..." was "not stated").
        (
            "Affiliation: The chatpaper project (open-source software)",
            "The chatpaper project (open-source software)",
        ),
        ("Affiliations: Mozilla Foundation; Wikimedia", "Mozilla Foundation"),
    ],
)
def test_overview_takes_the_affiliation_printed_on_page_one(line, expected):
    """Bug (issue 13): a PDF's affiliation was "not stated in the paper" while page 1 printed it."""
    paper = make_paper()
    paper.meta.affiliations = []
    paper.pages[0] = Page(
        1, PAGE1.replace("1University of Cambridge 2Imperial College London", line)
    )
    answer = extractive_answer(paper, "overview", "English")
    assert f"- **Affiliation**: {expected}\n" in answer


def test_a_sentence_about_affiliations_is_no_affiliation():
    """Only a label with its colon names an affiliation without an institution's word."""
    paper = make_paper()
    paper.meta.affiliations = []
    paper.pages[0] = Page(
        1,
        PAGE1.replace(
            "1University of Cambridge 2Imperial College London",
            "Affiliations of the authors are given at the end of the paper",
        ),
    )
    answer = extractive_answer(paper, "overview", "English")
    assert "- **Affiliation**: not stated in the paper" in answer


def test_several_steps_from_one_part_are_named_by_their_own_words():
    """Bug (issue 13): four steps from one "Methods" section all carried its heading."""
    method = (
        "Cells were cultured in a parallel-flow microfluidic chamber for two days. "
        "The parallel-flow microfluidic chamber applied physiological shear stress to single cells. "
        "Deformation was tracked by digital image correlation of the video frames. "
        "A generalized Maxwell model was fitted to the measured creep curves of each cell."
    )
    pages = [
        Page(1, "Shear mechanics of brain cells\nAbstract\nWe measure cells.\nMethods\n" + method)
    ]
    sections = [
        Section("Abstract", "abstract", 1, "We measure cells."),
        Section("Methods", "method", 1, method),
    ]
    paper = Paper(
        source="x.pdf",
        meta=PaperMeta(title="Shear mechanics of brain cells"),
        pages=pages,
        sections=sections,
    )
    answer = extractive_answer(paper, "methods", "English")
    steps = re.findall(r"^\(\d\) \*\*([^*]+)\*\*: (.*)$", answer, re.M)
    assert len(steps) == 4
    names = [name for name, _ in steps]
    assert len(set(names)) == 4 and "Methods" not in names
    for name, quoted in steps:
        assert name.split()[0].lower() in quoted.lower()  # the name comes from its sentence
    assert names[0] == "Parallel-flow microfluidic chamber"  # the phrase the part repeats


def test_methods_steps_are_the_method_subsections():
    paper = make_paper()
    answer = extractive_answer(paper, "methods", "English")
    names = re.findall(r"^\(\d\) \*\*([^*]+)\*\*", answer, re.M)
    assert names == ["Region Detection", "Routing", "Expert Models"]
    method_text = normalize_space(" ".join(s.text for s in paper.sections_with_role("method")))
    for sentence, _ in quotes(answer):
        assert sentence in method_text
    assert "Figure 2" not in answer  # a caption is never a step


def test_conclusion_parts_come_from_the_conclusion():
    paper = make_paper()
    answer = extractive_answer(paper, "conclusion", "English")
    conclusion = normalize_space(paper.sections_with_role("conclusion")[0].text)
    found = quotes(answer)
    assert len(found) == 4
    for sentence, _ in found:
        assert sentence in conclusion
    parts = dict(re.findall(r"^\((\d)\) \*\*[^*]+\*\*: (.*)$", answer, re.M))
    assert "first parser" in parts["2"]  # innovation
    assert "outperforms" in parts["3"]  # performance
    assert "annotated 2,000 pages" in parts["4"]  # workload


def test_conclusion_without_fitting_sentences_says_not_stated():
    paper = make_paper()
    conclusion = (
        "5 Conclusion\nWe presented SparseParse, a parser that routes page regions.\nReferences\n"
    )
    paper.pages[2] = Page(3, PAGE3.split("5 Conclusion")[0] + conclusion)
    paper.sections[-2] = replace(paper.sections[-2], text="We presented SparseParse.")
    answer = extractive_answer(paper, "conclusion", "English")
    assert answer.count("not stated in the paper") >= 2
    assert "xxx" not in answer.lower()
    assert_well_formed("conclusion", answer)


def test_survey_without_method_part_says_so_and_lists_sections():
    paper = make_paper()
    paper.sections = [replace(s, role="other") if s.role == "method" else s for s in paper.sections]
    answer = extractive_answer(paper, "methods", "English")
    lines = answer.splitlines()
    assert lines[0].startswith("The paper has no method section")
    names = re.findall(r"^\(\d\) \*\*([^*]+)\*\*", answer, re.M)
    assert "Method" in names and "Experiments" in names
    assert "Region Detection" not in names  # top-level sections only
    assert_quotes_are_verbatim(paper, answer)


@pytest.mark.parametrize("stage", STAGES)
@pytest.mark.parametrize(
    "paper_maker",
    [lambda: make_paper(with_sections=False), make_headless_paper],
    ids=["no-sections", "headless"],
)
def test_paper_without_headings_still_gets_every_part(stage, paper_maker):
    paper = paper_maker()
    answer = extractive_answer(paper, stage, "English")
    assert_well_formed(stage, answer)
    assert_quotes_are_verbatim(paper, answer)
    assert_no_repeats(answer)


def test_sections_dropped_the_canonical_headings_are_still_seen():
    parts = PaperParts(make_paper(with_sections=False))
    assert [s.text[:20] for s in parts.abstract][:1] == ["We propose SparsePar"]
    assert {s.heading for s in parts.method} == {"3 Method"}
    assert all("Parsing papers" not in s.text for s in parts.sentences)  # the reference list
    answer = extractive_answer(make_paper(with_sections=False), "conclusion", "English")
    assert "(4) **Workload**: We annotated 2,000 pages" in answer


def test_headless_paper_says_so_in_methods():
    answer = extractive_answer(make_headless_paper(), "methods", "English")
    assert answer.startswith("No section headings were found in the paper")
    assert "(1) **Step 1**: " in answer


def test_chinese_labels_with_quotes_in_the_papers_language():
    paper = make_paper()
    answer = extractive_answer(paper, "tldr", "Simplified Chinese")
    assert answer.startswith("**摘要**: We propose SparseParse")
    assert "**要点**" in answer
    assert "（第1页）" in answer and "(p. " not in answer
    assert_quotes_are_verbatim(paper, answer, "zh")
    overview = extractive_answer(paper, "overview", "Chinese")
    assert "(1) **研究背景**" in overview and "- **第一作者单位**" in overview
    conclusion = extractive_answer(paper, "conclusion", "zh")
    assert "(1) **意义**" in conclusion


# --- the backend ------------------------------------------------------------------------------
def test_streams_in_several_chunks_without_notices():
    paper = make_paper()
    pieces = run_stage(paper, "overview")
    assert len(pieces) >= 5
    assert all(isinstance(p, str) for p in pieces)
    assert "".join(pieces) == extractive_answer(paper, "overview", "English")


def test_backend_contract():
    backend = create_backend("offline", Settings())
    assert isinstance(backend, OfflineBackend)
    assert backend.name == "offline" and backend.context_tokens >= 10**8
    assert backend.note("English") == get_language("en").labels["offline_note"]
    assert backend.note(get_language("zh")).startswith("这是未使用语言模型")
    assert "offline" in available_engines(Settings())


def test_unknown_stage_and_missing_paper_are_clear_errors():
    backend = create_backend("offline", Settings())
    with pytest.raises(BackendError, match="only the tldr"):
        list(backend.stream(StageRequest("translate", "", "", paper=make_paper())))
    with pytest.raises(BackendError, match="needs the paper"):
        list(backend.stream(StageRequest("tldr", "", "")))


def test_same_answer_in_another_process():
    """No set or hash order leaks into the answer (PYTHONHASHSEED differs per process)."""
    script = (
        "import sys; sys.path.insert(0, sys.argv[1]); sys.path.insert(0, sys.argv[2]);"
        "from test_offline import make_paper; from chatpaper.llm.offline import extractive_answer;"
        "p = make_paper(); print(''.join(extractive_answer(p, s, 'en') for s in "
        "('tldr', 'overview', 'methods', 'conclusion')))"
    )
    outputs = set()
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        done = subprocess.run(
            [sys.executable, "-c", script, str(REPO), str(REPO / "tests")],
            capture_output=True,
            text=True,
            env=env,
            check=True,
            timeout=60,
        )
        outputs.add(done.stdout)
    local = "".join(extractive_answer(make_paper(), s, "en") for s in STAGES)
    assert outputs == {local + "\n"}


# --- the real papers ------------------------------------------------------------------------
def _paper_files() -> list[str]:
    if not PAPERS.is_dir():
        return []
    return sorted(p.name for p in PAPERS.glob("*.pdf"))


_READ: dict[str, Paper] = {}


def real_paper(name: str) -> Paper:
    shared_papers_or_skip()
    if name not in _READ:
        from chatpaper.reader import read_pdf_bytes

        data = (PAPERS / name).read_bytes()
        _READ[name] = read_pdf_bytes(data, source=name, settings=Settings())
    return _READ[name]


def _labels() -> dict[str, dict]:
    path = PAPERS / "labels.json"
    return {item["file"]: item for item in json.loads(path.read_text())} if path.exists() else {}


needs_papers = needs_real_papers
REAL = _paper_files() or ["(none)"]


@needs_papers
@pytest.mark.papers
@pytest.mark.parametrize("name", REAL)
def test_real_paper_all_stages_filled_and_verbatim(name):
    paper = real_paper(name)
    pieces = {stage: run_stage(paper, stage) for stage in STAGES}
    for stage, stream in pieces.items():
        assert not any(isinstance(p, Notice) for p in stream)
        answer = "".join(stream)
        assert_well_formed(stage, answer)
        assert_quotes_are_verbatim(paper, answer)
        assert_no_repeats(answer)
    assert len(quotes("".join(pieces["tldr"]))) >= 6  # a summary and 5-7 takeaways
    assert len(quotes("".join(pieces["methods"]))) >= 2


def _same_heading(found: str, labelled: str) -> bool:
    """labels.json writes headings as they read; the PDF may word or case them differently
    (another version of the paper): numbered headings match on their number."""
    found, labelled = normalize_space(found).lower(), normalize_space(labelled).lower()
    number = re.match(r"(\d+)\s", labelled)
    if number:
        return found.split(" ", 1)[0].rstrip(".") == number.group(1)
    return found == labelled


def _method_part(paper: Paper, heading: str) -> str:
    """The text under the labelled method heading and its subsections."""
    start = next(
        (i for i, s in enumerate(paper.sections) if _same_heading(s.heading, heading)), None
    )
    assert start is not None, f"the reader found no section headed {heading!r}"
    level = paper.sections[start].level
    part = [paper.sections[start]]
    for section in paper.sections[start + 1 :]:
        if section.level <= level:
            break
        part.append(section)
    return normalize_space(" ".join(s.text for s in part))


@needs_papers
@pytest.mark.papers
@pytest.mark.parametrize("name", [n for n in REAL if _labels().get(n, {}).get("method_heading")])
def test_real_paper_methods_quote_the_method_part(name):
    paper = real_paper(name)
    method = _method_part(paper, _labels()[name]["method_heading"])
    answer = extractive_answer(paper, "methods", "English")
    found = quotes(answer)
    assert found, answer
    outside = [s for s, _ in found if s not in method]
    assert not outside, outside


@needs_papers
@pytest.mark.papers
def test_real_survey_has_no_method_part_and_still_gets_a_structure():
    paper = real_paper("2407.01603.pdf")
    answer = extractive_answer(paper, "methods", "English")
    if not paper.sections_with_role("method"):
        assert answer.startswith("The paper has no method section")
    assert len(re.findall(r"^\(\d\) \*\*", answer, re.M)) >= 3
    assert_quotes_are_verbatim(paper, answer)


@needs_papers
@pytest.mark.papers
@pytest.mark.parametrize("name", ["pasa.pdf", "2203.00130v1.pdf", "paperqa-paper.pdf"])
def test_real_paper_without_headings(name):
    paper = replace(real_paper(name), sections=[])
    for stage in STAGES:
        answer = extractive_answer(paper, stage, "English")
        assert_well_formed(stage, answer)
        assert_quotes_are_verbatim(paper, answer)


@needs_papers
@pytest.mark.papers
def test_real_paper_is_deterministic_and_chinese_labelled():
    paper = real_paper("pasa.pdf")
    first = [extractive_answer(paper, s, "English") for s in STAGES]
    again = [extractive_answer(paper, s, "English") for s in STAGES]
    assert first == again
    chinese = extractive_answer(paper, "overview", "Simplified Chinese")
    assert "(4) **任务与性能**" in chinese
    assert_quotes_are_verbatim(paper, chinese, "zh")


def test_parts_fall_back_when_roles_are_missing():
    parts = PaperParts(make_headless_paper())
    assert parts.abstract and parts.introduction and parts.conclusion
    assert not parts.method
    assert parts.abstract[0].text.startswith("We propose SparseParse")


def test_a_sentence_that_stands_twice_in_the_paper_is_quoted_once():
    """Bug found in review: a repeated sentence filled two method steps."""
    from chatpaper.llm.offline import extractive_answer
    from chatpaper.paper import Page, Paper, PaperMeta

    sentence = "We introduce a view-consistent editing method that propagates edits across views."
    other = "Experimental results show the method is three times faster than the baseline."
    text = f"{sentence} {other} {sentence}"
    paper = Paper(source="x.pdf", meta=PaperMeta(title="T", abstract=text), pages=[Page(1, text)])
    answer = extractive_answer(paper, "methods", "English")
    assert answer.count(sentence) == 1


def test_a_caption_under_a_chart_is_not_quoted_with_the_chart_labels():
    """Bug (issue 12): a chart's axis and legend labels (lines with no full stop) ran into the
    caption below them, and "Changed figures marked Ten test papers (10) ... Figure 1:
    Detection rates ..." was quoted as the paper's performance."""
    page = (
        "Results\n"
        "The check found the right page for 98.5% of the moved citations on all papers.\n"
        "80%\n90%\n100% 100.0 100.0\nCorrect citations verified\n96.6\n98.5\n"
        "Changed figures marked\nTen test papers (10) LitQA2 papers (30)\n"
        "Figure 1: Detection rates of the check on the ten test papers, in percent.\n"
        "Table 2: Costs of the check on every paper set, in seconds.\n"
    )
    paper = Paper(
        source="x.pdf",
        meta=PaperMeta(title="Checking page citations"),
        pages=[Page(1, page)],
        sections=[Section("Results", "results", 1, page)],
    )
    quoted = [s.text for s in paper_sentences(paper)]
    assert not [q for q in quoted if "Detection rates" in q or "Costs of the check" in q]
    assert "The check found the right page for 98.5% of the moved citations on all papers." in (
        quoted
    )
