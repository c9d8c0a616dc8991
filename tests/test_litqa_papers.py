"""The whole reading path on thirty biology and medicine papers we were not tuned on.

``../shared/litqa/pdfs`` holds the PDFs of LitQA2's public questions (Cell Press, Nature,
Science, PNAS, ACS, ASM, EMBO, bioRxiv, MDPI, BMC layouts); ``tests/data/litqa_labels.json``
says what a careful reader finds in each: title, first author, the heading that opens the
method part and the one of the conclusion (null where the paper has none of its own: Science
reports keep their methods in the supplement, some papers end on "Results and discussion").
Where a paper has no conclusion heading, its closing "Discussion" is labelled as the
conclusion. Skipped when the folder is absent.
"""

from __future__ import annotations

import pytest

from chatpaper.sections import heading_matches
from tests.shared_papers import labels, read_paper
from tests.test_real_papers import norm

pytestmark = pytest.mark.papers

LABELS = labels("litqa")
IDS = [label["file"] for label in LABELS] or ["(no labels)"]


@pytest.fixture(params=LABELS or [None], ids=IDS)
def paper(request):
    if request.param is None:
        pytest.skip("tests/data/litqa_labels.json lists no papers")
    return request.param, read_paper("litqa", request.param["file"])


def test_title_is_read_as_labelled(paper):
    label, read = paper
    assert norm(read.meta.title) == norm(label["title"])


def test_first_author_is_read_as_labelled(paper):
    label, read = paper
    assert read.meta.authors, "no authors found"
    assert norm(read.meta.authors[0]) == norm(label["first_author"])


def found_with_role(read, heading: str, role: str) -> None:
    found = [s for s in read.sections if heading_matches(s.heading, heading)]
    assert found, f"{heading!r} not among {[s.heading for s in read.sections]}"
    assert found[0].role == role, [(s.heading, s.role) for s in read.sections]


def test_method_heading_is_found_with_role_method(paper):
    label, read = paper
    if label["method_heading"] is None:
        pytest.skip("the paper has no method part of its own")
    found_with_role(read, label["method_heading"], "method")


def test_conclusion_heading_is_found_with_role_conclusion(paper):
    label, read = paper
    if label["conclusion_heading"] is None:
        pytest.skip("the paper has no conclusion or discussion of its own")
    found_with_role(read, label["conclusion_heading"], "conclusion")


def test_no_method_is_claimed_where_there_is_none(paper):
    label, read = paper
    if label["method_heading"] is not None:
        pytest.skip("the paper has a method part")
    assert not [s.heading for s in read.sections if s.role == "method"]


def test_no_conclusion_is_claimed_where_there_is_none(paper):
    """A paper that ends on "Results and discussion" has no conclusion of its own."""
    label, read = paper
    if label["conclusion_heading"] is not None:
        pytest.skip("the paper has a conclusion")
    assert not [s.heading for s in read.sections if s.role == "conclusion"]


def test_sections_cover_the_paper_in_order(paper):
    _, read = paper
    pages = [s.page for s in read.sections]
    assert pages == sorted(pages)
    body = sum(len(s.text) + len(s.heading) for s in read.sections)
    assert body >= 0.9 * sum(len(p.text) for p in read.pages)


def test_labels_name_every_pdf_in_the_folder():
    from tests.shared_papers import folder_or_skip, pdf_names

    folder_or_skip("litqa")
    assert sorted(label["file"] for label in LABELS) == pdf_names("litqa")
