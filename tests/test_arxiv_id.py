"""What users paste -> arXiv ID: every accepted form, near-misses, and the PDF stamp finder."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from chatpaper.arxiv import find_arxiv_id_in_text, format_arxiv_id, parse_arxiv_id
from chatpaper.errors import InvalidSourceError

ACCEPTED = [
    # bare new-style IDs
    ("2402.00864", ("2402.00864", None)),
    ("2402.00864v1", ("2402.00864", "v1")),
    ("2402.00864v12", ("2402.00864", "v12")),
    ("0704.0001", ("0704.0001", None)),  # the first new-style ID
    ("1412.9999", ("1412.9999", None)),  # four digits up to 2014
    ("1501.00001", ("1501.00001", None)),  # five digits from 2015
    ("  2402.00864 \n", ("2402.00864", None)),
    ("2402.00864/", ("2402.00864", None)),
    # arXiv: prefix, any case, and the stamp as printed on page 1
    ("arXiv:2402.00864", ("2402.00864", None)),
    ("ARXIV:2402.00864v2", ("2402.00864", "v2")),
    ("arxiv: 2402.00864", ("2402.00864", None)),
    ("arXiv:2203.00130v1 [cs.HC] 28 Feb 2022", ("2203.00130", "v1")),
    ("arXiv:2402.00864 [cs.CV]", ("2402.00864", None)),
    # arxiv.org links
    ("https://arxiv.org/abs/2402.00864", ("2402.00864", None)),
    ("http://arxiv.org/abs/2402.00864v3", ("2402.00864", "v3")),
    ("arxiv.org/abs/2402.00864", ("2402.00864", None)),
    ("www.arxiv.org/abs/2402.00864", ("2402.00864", None)),
    ("https://export.arxiv.org/abs/2402.00864v1", ("2402.00864", "v1")),
    ("HTTPS://ArXiv.org/abs/2402.00864", ("2402.00864", None)),
    ("https://arxiv.org/pdf/2402.00864", ("2402.00864", None)),
    ("https://arxiv.org/pdf/2402.00864v2.pdf", ("2402.00864", "v2")),
    ("https://arxiv.org/pdf/2402.00864.pdf", ("2402.00864", None)),
    ("https://arxiv.org/html/2402.00864v1", ("2402.00864", "v1")),
    ("https://arxiv.org/html/2402.00864v1/#S3", ("2402.00864", "v1")),
    ("https://arxiv.org/abs/2402.00864?context=cs.CV", ("2402.00864", None)),
    ("https://arxiv.org/abs/2402.00864v2#abstract", ("2402.00864", "v2")),
    ("https://arxiv.org/abs/2402.00864/", ("2402.00864", None)),
    ("https://arxiv.org/abs/2402.00864//", ("2402.00864", None)),
    # old-style IDs (the subject class is not part of the identifier)
    ("hep-th/9901001", ("hep-th/9901001", None)),
    ("hep-th/9901001v2", ("hep-th/9901001", "v2")),
    ("math.GT/0309136", ("math/0309136", None)),
    ("math.GT/0309136v1", ("math/0309136", "v1")),
    ("q-bio.NC/0401001", ("q-bio/0401001", None)),
    ("arXiv:hep-th/9901001", ("hep-th/9901001", None)),
    ("https://arxiv.org/abs/hep-th/9901001v1", ("hep-th/9901001", "v1")),
    ("https://arxiv.org/pdf/math.GT/0309136", ("math/0309136", None)),
    ("https://arxiv.org/abs/cond-mat/0703001", ("cond-mat/0703001", None)),
    # other sites that name arXiv papers
    ("https://www.alphaxiv.org/abs/2402.00864", ("2402.00864", None)),
    ("https://alphaxiv.org/overview/2402.00864v2", ("2402.00864", "v2")),
    ("https://huggingface.co/papers/2402.00864", ("2402.00864", None)),
    ("huggingface.co/papers/2402.00864#community", ("2402.00864", None)),
    # the DataCite DOI in all its spellings
    ("https://doi.org/10.48550/arXiv.2402.00864", ("2402.00864", None)),
    ("doi.org/10.48550/arXiv.2402.00864", ("2402.00864", None)),
    ("10.48550/arXiv.2402.00864", ("2402.00864", None)),
    ("10.48550/ARXIV.2402.00864", ("2402.00864", None)),
    ("doi:10.48550/arXiv.2402.00864", ("2402.00864", None)),
    ("https://dx.doi.org/10.48550/arXiv.math/0703055", ("math/0703055", None)),
    ("https://doi.org/10.48550%2FarXiv.2402.00864", ("2402.00864", None)),
]

REJECTED = [
    "",
    "   ",
    "foo",
    "2402.0086",  # four digits in 2024
    "2413.00864",  # month 13
    "2400.00864",  # month 00
    "1412.12345",  # five digits in 2014
    "0703.0001",  # new style before it existed
    "2402.008641",
    "2402.00864v0",
    "2402.00864v",
    "2402.00000",
    "12345",
    "arXiv:",
    "2402.00864 2403.00001",
    "hep-th/990100",
    "foo-bar/9901001",
    "hep-th/9913001",
    "hep-th/1201001",  # old style after 2007
    "arxiv.org/list/cs.CV",
    "https://arxiv.org/list/cs.CV/recent",
    "https://arxiv.org/abs/",
    "https://arxiv.org/abs/2402.00864/extra",
    "https://evil.example/abs/2402.00864",
    "https://arxiv.org.evil.example/abs/2402.00864",
    "https://user@arxiv.org/abs/2402.00864",
    "https://arxiv.org:8443/abs/2402.00864",
    "ftp://arxiv.org/abs/2402.00864",
    "https://github.com/allenai/papermage",
    "https://huggingface.co/2402.00864",
    "10.1145/3544548.3580847",
    "javascript:alert('2402.00864')",
    "/etc/passwd",
    "paper.pdf",
]


@pytest.mark.parametrize(("text", "expected"), ACCEPTED, ids=[t for t, _ in ACCEPTED])
def test_accepted_forms(text: str, expected: tuple[str, str | None]) -> None:
    assert parse_arxiv_id(text) == expected


@pytest.mark.parametrize("text", REJECTED)
def test_rejected_forms(text: str) -> None:
    with pytest.raises(InvalidSourceError) as caught:
        parse_arxiv_id(text)
    message = str(caught.value)
    # One sentence that shows forms that do work.
    assert "2402.00864" in message and "https://arxiv.org/abs/2402.00864" in message
    assert message.endswith(".") and "\n" not in message


def test_tables_are_big_enough() -> None:
    assert len(ACCEPTED) >= 30 and len(REJECTED) >= 15


def test_message_quotes_the_input() -> None:
    with pytest.raises(InvalidSourceError, match=r"^'foo' is not an arXiv ID or link; paste"):
        parse_arxiv_id("foo")


def test_message_shortens_long_input() -> None:
    pasted = "https://example.com/" + "x" * 500
    with pytest.raises(InvalidSourceError) as caught:
        parse_arxiv_id(pasted)
    quoted = str(caught.value).split("'")[1]
    assert len(quoted) <= 60 and quoted.endswith("…")


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("2413.00864", "there is no month 13"),
        ("2402.0086", "five digits"),
        ("1412.12345", "four digits"),
        ("hep-th/9913001", "there is no month 13"),
        ("foo-bar/9901001", "'foo-bar' is not an arXiv archive"),
    ],
)
def test_near_misses_say_what_is_wrong(text: str, reason: str) -> None:
    with pytest.raises(InvalidSourceError, match="not a valid arXiv ID") as caught:
        parse_arxiv_id(text)
    assert reason in str(caught.value)


def test_empty_input_has_its_own_sentence() -> None:
    with pytest.raises(InvalidSourceError, match=r"^No arXiv ID or link was given; paste"):
        parse_arxiv_id("  ")


def test_format_round_trips() -> None:
    assert format_arxiv_id("2402.00864", "v2") == "2402.00864v2"
    assert format_arxiv_id("hep-th/9901001", None) == "hep-th/9901001"
    assert parse_arxiv_id(format_arxiv_id(*parse_arxiv_id("arXiv:math.GT/0309136v3"))) == (
        "math/0309136",
        "v3",
    )


# --- the stamp in a PDF's text --------------------------------------------------------------

FIRST_PAGE = """Paper Plain: Making Medical Research Papers Approachable
Tal August, Lucy Lu Wang
arXiv:2203.00130v1  [cs.HC]  28 Feb 2022
ABSTRACT
When seeking information not covered in patient-facing documents, ..."""


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (FIRST_PAGE, ("2203.00130", "v1")),
        ("arXiv:2203.00130v1 [cs.HC] 1 Mar 2022", ("2203.00130", "v1")),
        ("arXiv:2203.00130v2[cs.HC]1Mar2022", ("2203.00130", "v2")),  # spaces lost by extraction
        ("arXiv:hep-th/9901001v2  3 Jan 1999", ("hep-th/9901001", "v2")),
        ("arXiv:math/0309136v1 [math.GT] 9 Sep 2003", ("math/0309136", "v1")),
        # a citation first, then the stamp: the stamp wins
        (
            "see arXiv:2106.09685 (2021).\narXiv:2407.01603v3  [cs.LG]  14 Nov 2024",
            ("2407.01603", "v3"),
        ),
    ],
)
def test_finds_the_stamp(text: str, expected: tuple[str, str | None]) -> None:
    assert find_arxiv_id_in_text(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "arXiv preprint arXiv:2106.09685 (2021).",  # a citation
        "Devlin et al. 2019. BERT. arXiv:1810.04805 [cs.CL]",  # ACM-style reference
        "arXiv:1810.04805v2 [cs.CL]",  # a reference with a version, but no date
        "Table 2402.00864 shows 1 Mar 2022 results",  # numbers that look like an ID
        "arXiv:2413.00130v1 [cs.HC] 1 Mar 2022",  # no month 13
        "xarXiv:2203.00130v1 [cs.HC] 1 Mar 2022",  # part of another word
        "https://arxiv.org/abs/2203.00130v1",  # a link is a citation, not the stamp
    ],
)
def test_does_not_take_other_numbers(text: str) -> None:
    assert find_arxiv_id_in_text(text) is None


@pytest.mark.papers
def test_stamp_on_real_first_pages(real_papers: Path) -> None:
    """Every labelled arXiv paper is recognised from its first page; papers without a stamp
    give None. (labels.json leaves pasa.pdf's ID empty, but its page 1 is stamped 2501.10120.)"""
    pypdf = pytest.importorskip("pypdf")
    labels = json.loads((real_papers / "labels.json").read_text())
    stamped = {label["file"]: label["arxiv_id"] for label in labels if label["arxiv_id"]}
    stamped["pasa.pdf"] = "2501.10120"
    for label in labels:
        first_page = pypdf.PdfReader(real_papers / label["file"]).pages[0].extract_text()
        found = find_arxiv_id_in_text(first_page)
        assert (found[0] if found else None) == stamped.get(label["file"]), label["file"]
