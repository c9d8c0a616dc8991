"""Generated PDFs in layouts the shared corpora barely hold (issue 13): an IEEE transactions
paper and a biology journal article, read through the app's whole path (pypdf in the bounded
worker, clean-up, title/author and section detection) and summarized by the offline engine.
"""

from __future__ import annotations

import re

import pytest

from chatpaper import pdf
from chatpaper.config import Settings
from chatpaper.llm.offline import extractive_answer
from chatpaper.reader import read_pdf_bytes
from chatpaper.sections import heading_matches
from tests.fakes.pdfgen import make_pdf
from tests.test_sections import para

IEEE = [
    [
        ("Sparse Over-the-Air Aggregation for Federated Learning", 18),
        "John A. Smith, Member, IEEE, and Mary Jones, Fellow, IEEE",
        "Abstract-We study federated learning over noisy wireless links and show that",
        "sparse aggregation keeps the state-of-the-art accuracy at a fraction of the cost.",
        "Index Terms-federated learning, over-the-air computation.",
        "I. I NTRODUCTION",
        para(0, 12),
        "The proposed scheme reaches state-",
        "of-the-art accuracy with a tenth of the bandwidth.",
    ],
    ["II. R ELATED W ORK", para(1, 14), "III. S YSTEM M ODEL", para(2, 10)],
    ["A. Channel Model", para(3, 10), "IV. SPARSEOTA", para(4, 10), "A. Quantizer Design", para(5)],
    ["V. S IMULATION R ESULTS", para(0, 14), "VI. C ONCLUSIONS AND F UTURE W ORK", para(1, 8)],
    ["R EFERENCES", '[1] A. Author, "A paper," IEEE Trans. Commun., vol. 1, 2019.'],
]

BIOLOGY = [
    [
        ("A prion-like protein regulates the growth transition in the moss", 16),
        ("Physcomitrium patens", 16),
        "Zoe Q. Weeks1, Gargi Chaturvedi2 and Laura A. Moody1*",
        "1Department of Biology, University of Oxford, Oxford, UK; 2Institute of Botany, Vienna",
        "ABSTRACT",
        para(2, 6),
        "INTRODUCTION",
        para(3, 12),
    ],
    [
        "RESULTS",
        "Mutant buds are late",
        para(4, 12),
        "Cytokinin rescues growth",
        para(5),
    ],
    ["DISCUSSION", para(0, 14), "MATERIALS AND METHODS", "Plant growth conditions", para(1, 8)],
    ["Statistical analysis", para(2, 8), "ACKNOWLEDGMENTS", para(3, 3)],
    ["REFERENCES", "1. Smith J, Jones K. A paper. Plant Cell. 2020;32:1-10."],
]


@pytest.fixture(scope="module")
def ieee():
    return pdf.read_document(make_pdf(IEEE), max_pages=50, timeout=60)


@pytest.fixture(scope="module")
def biology():
    return read_pdf_bytes(make_pdf(BIOLOGY), source="bio.pdf", settings=Settings())


def role_of(sections, heading: str) -> str:
    found = [s for s in sections if heading_matches(s.heading, heading)]
    assert found, (heading, [s.heading for s in sections])
    return found[0].role


def test_ieee_title_author_and_heading_roles(ieee):
    assert ieee.title == "Sparse Over-the-Air Aggregation for Federated Learning"
    assert ieee.authors[0] == "John A. Smith"
    roles = {
        "I. Introduction": "introduction",
        "II. Related work": "related_work",
        "III. System model": "method",
        "A. Channel Model": "method",
        "IV. SPARSEOTA": "method",  # a method part named after the scheme's acronym
        "V. Simulation results": "results",
        "VI. Conclusions and future work": "conclusion",
        "References": "references",
    }
    assert {heading: role_of(ieee.sections, heading) for heading in roles} == roles


def test_ieee_compound_split_over_a_line_keeps_its_hyphens(ieee):
    text = "\n".join(ieee.pages)
    assert "state-of-the-art accuracy" in text.replace("\n", " ")
    assert "stateof" not in text


def test_biology_methods_after_the_discussion_and_discussion_as_conclusion(biology):
    assert biology.meta.title.endswith("in the moss Physcomitrium patens")
    assert biology.meta.authors[0] == "Zoe Q. Weeks"
    sections = biology.sections
    assert role_of(sections, "Discussion") == "conclusion"
    assert role_of(sections, "Materials and methods") == "method"
    assert role_of(sections, "Plant growth conditions") == "method"
    assert role_of(sections, "Statistical analysis") == "method"
    assert role_of(sections, "Mutant buds are late") == "results"


def test_biology_offline_summary_names_steps_and_affiliation(biology):
    overview = extractive_answer(biology, "overview", "English")
    assert (
        "- **Affiliation**: Department of Biology, University of Oxford, Oxford, UK\n" in overview
    )
    methods = extractive_answer(biology, "methods", "English")
    names = re.findall(r"^\(\d\) \*\*([^*]+)\*\*", methods, re.M)
    assert len(names) >= 2 and len(set(names)) == len(names)
    conclusion = extractive_answer(biology, "conclusion", "English")
    discussion = next(s for s in biology.sections if heading_matches(s.heading, "Discussion"))
    quoted = re.findall(r"\*\*: (.+?) \(p\. \d+\)", conclusion)
    assert quoted and all(q in " ".join(discussion.text.split()) for q in quoted)
