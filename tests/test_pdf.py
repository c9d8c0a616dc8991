"""Reading PDFs: extraction in a bounded worker, clean-up, title/authors, arXiv stamp.

Every PDF here is generated (tests/fakes/pdfgen.py, pypdf's writer, Pillow), so these tests
run without ../shared and within seconds.
"""

from __future__ import annotations

import io
import logging
import re
import threading
import time
from pathlib import Path

import pytest
from PIL import Image
from pypdf import PdfReader, PdfWriter

from chatpaper import pdf
from chatpaper.errors import EncryptedPdfError, NoTextError, PdfError, PdfTooLargeError
from chatpaper.pdf.pypdf_reader import extract_text
from chatpaper.pdf.worker import WorkerPool
from tests.fakes.pdfgen import make_pdf

BODY = (
    "Transformers read the whole paper before they answer any question about it.\n"
    "We measure how often the answer quotes a sentence that the paper really contains."
)


def one_sentence(message: str) -> bool:
    """A user-facing message: one sentence, ending with a full stop, no traceback."""
    text = message.strip()
    return (
        text.endswith(".")
        and "\n" not in text
        and "Traceback" not in text
        and text.count(". ") == 0
        and len(text) < 240
    )


def read(data: bytes, **kwargs) -> list[str]:
    kwargs.setdefault("max_pages", 50)
    kwargs.setdefault("timeout", 30)
    return pdf.extract_pages(data, **kwargs)


def encrypted(user_password: str, owner_password: str = "owner-secret") -> bytes:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(make_pdf([BODY]))))
    writer.encrypt(user_password=user_password, owner_password=owner_password, algorithm="AES-256")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


# --- extraction -------------------------------------------------------------------------------


def test_extract_pages_returns_each_page_text_in_order():
    pages = read(make_pdf([BODY, "Second page says something different about the results."]))
    assert len(pages) == 2
    assert "Transformers read the whole paper" in pages[0]
    assert "Second page says something different" in pages[1]


def test_empty_file_is_refused_with_a_clear_sentence():
    with pytest.raises(PdfError) as err:
        read(b"")
    assert str(err.value) == "The file is empty; choose the paper's PDF again."


def test_a_text_file_renamed_pdf_is_not_a_pdf():
    with pytest.raises(PdfError) as err:
        read(b"Dear reviewers,\nthank you for the comments.\n" * 20)
    assert "not a PDF" in str(err.value)
    assert one_sentence(str(err.value))


def test_truncated_pdf_is_reported_as_damaged():
    data = make_pdf([BODY] * 5)
    with pytest.raises(PdfError) as err:
        read(data[: len(data) // 2])
    assert type(err.value) is PdfError
    assert "damaged or incomplete" in str(err.value)
    assert one_sentence(str(err.value))


def test_password_protected_pdf_says_so():
    with pytest.raises(EncryptedPdfError) as err:
        read(encrypted(user_password="reader-secret"))
    message = str(err.value)
    assert "password-protected" in message
    assert "unprotected copy" in message
    assert one_sentence(message)


def test_pdf_encrypted_with_an_empty_user_password_opens():
    """Many publishers 'protect' PDFs with only an owner password: anyone can read them."""
    pages = read(encrypted(user_password=""))
    assert "Transformers read the whole paper" in pages[0]


def test_image_only_pdf_has_no_text_layer():
    buffer = io.BytesIO()
    Image.new("RGB", (400, 300), "white").save(buffer, format="PDF")
    with pytest.raises(NoTextError) as err:
        read(buffer.getvalue())
    assert str(err.value) == (
        "This PDF has no text layer (it looks like a scan); upload a PDF with selectable text."
    )


def test_too_many_pages_names_the_limit_and_the_setting():
    with pytest.raises(PdfTooLargeError) as err:
        read(make_pdf([BODY] * 6), max_pages=5)
    message = str(err.value)
    assert "6 pages" in message and "limit of 5" in message
    assert "CHATPAPER_MAX_PAGES" in message
    assert one_sentence(message)


def test_too_many_bytes_is_refused_before_reading():
    data = make_pdf([BODY])
    with pytest.raises(PdfTooLargeError) as err:
        read(data, max_bytes=len(data) - 1)
    assert "CHATPAPER_MAX_PDF_MB" in str(err.value)
    assert one_sentence(str(err.value))


def test_a_pdf_that_takes_too_long_is_stopped_and_the_reader_recovers():
    slow = make_pdf([BODY * 20] * 400)  # a few seconds of pypdf work
    started = time.monotonic()
    with pytest.raises(PdfError) as err:
        read(slow, max_pages=1000, timeout=0.3)
    assert time.monotonic() - started < 5
    assert "took longer than 0.3 s" in str(err.value)
    assert "CHATPAPER_PDF_TIMEOUT" in str(err.value)
    assert one_sentence(str(err.value))
    # The stuck worker was killed; the next file is read normally.
    assert "Transformers" in read(make_pdf([BODY]))[0]


@pytest.mark.skipif(not Path("/proc/self/limits").exists(), reason="needs Linux /proc")
def test_workers_run_under_a_memory_cap():
    """pypdf caps decompressed streams itself (75 MB); the worker's address-space limit is
    the backstop for everything else, so check it is really in force in the child."""
    pool = WorkerPool(max_workers=1, max_idle=1, memory_mb=512)
    try:
        assert pool.run((extract_text, (make_pdf([BODY]), 5), {}), 30)[0] == "ok"
        [worker] = pool._idle
        limits = Path(f"/proc/{worker.process.pid}/limits").read_text()
    finally:
        pool.shutdown()
    line = next(line for line in limits.splitlines() if line.startswith("Max address space"))
    assert line.split()[3] == str(512 * 1024 * 1024)


def test_concurrent_reads_each_get_their_own_text():
    files = {
        n: make_pdf([f"Paper number {n} discusses topic {n} in some detail here."] * 2)
        for n in range(6)
    }
    results: dict[int, list[str]] = {}
    errors: list[BaseException] = []

    def worker(n: int) -> None:
        try:
            results[n] = read(files[n])
        except BaseException as err:  # pragma: no cover - reported below
            errors.append(err)

    threads = [threading.Thread(target=worker, args=(n,)) for n in files]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors
    for n in files:
        assert f"Paper number {n} discusses topic {n}" in results[n][0]


def test_read_pdf_keeps_metadata_and_first_page_font_sizes():
    data = make_pdf(
        [[("A Study of Staged Summaries", 20), ("Ada Lovelace", 12), "Abstract", BODY]],
        title="A Study of Staged Summaries",
        author="Ada Lovelace",
    )
    text = pdf.read_pdf(data, max_pages=5, timeout=30)
    assert text.meta_title == "A Study of Staged Summaries"
    assert text.meta_author == "Ada Lovelace"
    assert text.title_lines[0] == (20.0, "A Study of Staged Summaries")


def test_pypdf_warnings_do_not_reach_the_user(capfd, caplog):
    """A slightly broken xref makes pypdf log warnings; reading still works, quietly."""
    data = make_pdf([BODY])
    data = re.sub(rb"startxref\n(\d+)", lambda m: b"startxref\n%d" % (int(m.group(1)) + 7), data)
    reader = PdfReader(io.BytesIO(data))  # (this line of the test itself logs warnings)
    caplog.clear()
    caplog.set_level(logging.DEBUG)
    assert "Transformers read the whole paper" in read(data)[0]
    pdf.read_title_authors(reader, BODY)  # the in-process path
    assert not [r for r in caplog.records if r.name.startswith("pypdf")]
    assert capfd.readouterr().err == ""


# --- clean-up -----------------------------------------------------------------------------------


def test_ligatures_become_plain_letters():
    assert pdf.clean_pages(["We ﬁnd the eﬀect signiﬁcant."]) == ["We find the effect significant."]


def test_words_split_at_line_end_are_joined():
    [page] = pdf.clean_pages(["Lorem ipsum dolor sit amet, consectetur adip-\niscing elit sed do."])
    assert "consectetur adipiscing" in page
    assert "adip-" not in page


def test_real_hyphens_are_kept_across_line_ends():
    [page] = pdf.clean_pages(
        [
            "This is a state-of-the-\nart model.\n"
            "It beats GPT-\n4 on tasks.\n"
            "We release Multi-\nLexSum today."
        ]
    )
    assert page.split("\n") == [
        "This is a state-of-the-art",
        "model.",
        "It beats GPT-4",
        "on tasks.",
        "We release Multi-LexSum",
        "today.",
    ]


def test_the_document_decides_between_hyphenated_and_joined_spellings():
    [page] = pdf.clean_pages(
        [
            "We use long-form answers.\nOur long-\nform setting and a pre-\ntrained model, pretrained."
        ]
    )
    assert "Our long-form\n" in page  # spelled with a hyphen elsewhere
    assert "a pretrained\n" in page  # spelled joined elsewhere


def test_a_compound_of_two_words_the_paper_uses_keeps_its_hyphen():
    """Bug found on pasa.pdf: "token-\nlevel" became "tokenlevel"."""
    [page] = pdf.clean_pages(
        ["Each token is scored at one level.\nThe Crawler runs a token-\nlevel process."]
    )
    assert "a token-level\n" in page
    [page] = pdf.clean_pages(["A high-level view.\nThe Crawler runs a token-\nlevel process."])
    assert "a token-level\n" in page  # "-level" makes compounds in this paper


def test_joined_words_keep_one_heading_per_line():
    [page] = pdf.clean_pages(["the cor-\npus is large.\n3 Method\nWe train."])
    assert page.split("\n") == ["the corpus", "is large.", "3 Method", "We train."]


WORDS = [
    "citations",
    "prior",
    "work",
    "design",
    "study",
    "results",
    "limitations",
    "corpus",
    "parser",
    "summary",
    "model",
    "figure",
    "table",
    "reader",
    "annotation",
    "agreement",
    "workload",
    "granularity",
    "interface",
    "users",
    "papers",
    "questions",
    "answers",
    "evidence",
    "baseline",
    "ablation",
    "metric",
    "recall",
    "precision",
    "dataset",
    "queries",
    "agents",
    "tools",
    "memory",
    "planning",
    "chemistry",
    "molecules",
    "synthesis",
    "properties",
    "benchmarks",
]


def body_lines(n: int) -> str:
    """A page body of distinct lines, as a real page has (running heads are what repeats)."""
    return "\n".join(
        f"Here {WORDS[(7 * n + k) % len(WORDS)]} meets {WORDS[(3 * n + 2 * k) % len(WORDS)]}."
        for k in range(7)
    )


def test_running_headers_footers_and_page_numbers_are_removed():
    pages = [
        f"Chang et al. CHI '23, April 23–28, 2023, Hamburg\n{body_lines(n)}\n{4969 + n}"
        for n in range(6)
    ]
    cleaned = pdf.clean_pages(pages)
    for n, page in enumerate(cleaned):
        assert page == body_lines(n)


def test_alternating_headers_and_a_top_page_number_are_removed():
    pages = []
    for n in range(1, 9):
        if n % 2 == 0:
            head = f"{n}\nPaper Plain: Making Papers Approachable"
        else:
            head = f"Paper Plain: Making Papers Approachable to Healthcare\nConsumers {n}"
        pages.append(f"{head}\n{body_lines(n)}")
    cleaned = pdf.clean_pages(pages)
    for n, page in enumerate(cleaned, start=1):
        assert page == body_lines(n)


def test_numbers_inside_the_text_are_not_taken_for_page_numbers():
    pages = [f"{body_lines(n)}\n42\n{body_lines(n + 1)}" for n in range(1, 5)]
    assert pdf.clean_pages(pages) == pages
    # A table cell at the very top of one page is not a page number either.
    assert pdf.clean_pages([f"7\n{body_lines(1)}", body_lines(2)])[0].startswith("7\n")


def test_whitespace_is_collapsed_and_the_text_stays_faithful():
    sentence = "We find that switching to a finer granularity reduces variance."
    [page] = pdf.clean_pages(
        ["  We find  that switching\tto a finer   granularity reduces variance.\n\n\n\nNext."]
    )
    assert sentence in page
    assert "\n\n\n" not in page


def test_arxiv_stamp_stays_so_the_id_can_be_found():
    [page] = pdf.clean_pages(["Body.\narXiv:2203.00130v1  [cs.HC]  28 Feb 2022"])
    assert pdf.find_arxiv_id(page) == ("2203.00130", "v1")


def test_clean_pages_handles_empty_input():
    assert pdf.clean_pages([]) == []
    assert pdf.clean_pages(["", "   \n  "]) == ["", ""]


# --- arXiv ID -----------------------------------------------------------------------------------


def test_find_arxiv_id_reads_the_margin_stamp_only():
    assert pdf.find_arxiv_id("x\narXiv:2206.10883v3 [cs.CL] 22 Jul 2022\ny") == ("2206.10883", "v3")
    # A citation of another paper is not the paper's own ID.
    assert pdf.find_arxiv_id("See Hu et al. arXiv:2106.09685 [cs.CL], 2021.") is None
    assert pdf.find_arxiv_id("") is None


# --- title and authors ------------------------------------------------------------------------


def first_page_of(data: bytes) -> str:
    return pdf.clean_pages(read(data))[0]


def test_title_and_authors_from_good_metadata():
    data = make_pdf(
        [["Staged Summaries of Whole Papers", "Ada Lovelace and Alan Turing", "Abstract", BODY]],
        title="Staged Summaries of Whole Papers",
        author="Lovelace, Ada and Turing, Alan",
    )
    title, authors = pdf.read_title_authors(data, first_page_of(data))
    assert title == "Staged Summaries of Whole Papers"
    assert authors == ["Ada Lovelace", "Alan Turing"]


@pytest.mark.parametrize(
    "junk_title",
    ["Microsoft Word - draft_v3.docx", "untitled", "main.tex", "10.1145/3491102.3501900", ""],
)
def test_junk_metadata_title_falls_back_to_the_largest_font(junk_title):
    data = make_pdf(
        [
            [
                ("Proceedings of the 61st Annual Meeting of the ACL, pages 1-9", 9),
                ("Reading Whole Papers with", 17),
                ("Staged Language Model Summaries", 17),
                ("Grace Hopper1, Edsger W. Dijkstra2*", 12),
                ("1University of Somewhere 2Institute of Elsewhere", 10),
                ("Abstract", 12),
                BODY,
            ]
        ],
        title=junk_title,
        author="user",
    )
    title, authors = pdf.read_title_authors(data, first_page_of(data))
    assert title == "Reading Whole Papers with Staged Language Model Summaries"
    assert authors == ["Grace Hopper", "Edsger W. Dijkstra"]


def test_title_from_bytes_not_read_before():
    """read_title_authors on fresh bytes reads page 1 in the bounded worker."""
    data = make_pdf(
        [
            [
                ("Published as a conference paper at ICLR 2024", 9),
                ("Sparse Attention Reads Long Papers Faster", 17),
                ("Alice Smith1,2 Bob Jones2", 11),
                ("1Some University 2Another Institute", 9),
                ("ABSTRACT", 11),
                BODY,
            ]
        ]
    )
    title, authors = pdf.read_title_authors(data, "")
    assert title == "Sparse Attention Reads Long Papers Faster"
    assert authors == ["Alice Smith", "Bob Jones"]


def test_a_big_logo_does_not_win_over_the_title():
    data = make_pdf(
        [
            [
                ("PaSa: An LLM Agent for Paper Search", 14),
                ("Yichen He* Guanhua Huang*", 12),
                ("Paper Search", 28),
                ("Abstract", 12),
                BODY,
            ]
        ]
    )
    title, authors = pdf.read_title_authors(data, first_page_of(data))
    assert title == "PaSa: An LLM Agent for Paper Search"
    assert authors[0] == "Yichen He"


def test_names_in_capitals_with_affiliations_are_recased():
    data = make_pdf(
        [
            [
                ("Paper Plain: Making Medical Research Papers Approachable", 14),
                ("TAL AUGUST, University of Washington, USA", 11),
                ("LUCY LU WANG, Allen Institute for AI, USA", 11),
                BODY,
            ]
        ]
    )
    _, authors = pdf.read_title_authors(data, first_page_of(data))
    assert authors == ["Tal August", "Lucy Lu Wang"]


def test_title_from_text_alone_skips_venue_and_stamp_lines():
    page = (
        "Proceedings of the 58th Annual Meeting of the ACL, pages 4969–4983\n"
        "July 5 - 10, 2020. ©2020 Association for Computational Linguistics\n"
        "S2ORC: The Semantic Scholar Open Research Corpus\n"
        "Kyle Lo†∗ Lucy Lu Wang†∗ Mark Neumann†\n"
        "†Allen Institute for Artificial Intelligence\n"
        "{kylel, lucyw}@allenai.org\n"
        "Abstract\n" + BODY
    )
    title, authors = pdf.read_title_authors(None, page)
    assert title == "S2ORC: The Semantic Scholar Open Research Corpus"
    assert authors == ["Kyle Lo", "Lucy Lu Wang", "Mark Neumann"]


def test_title_from_text_alone_joins_a_wrapped_title():
    page = (
        "CiteSee: Augmenting Citations in Scientific Papers with\n"
        "Persistent and Personalized Historical Context\n"
        "Joseph Chee Chang\njosephc@allenai.org\nAllen Institute for AI\n"
        "ABSTRACT\n" + BODY
    )
    title, authors = pdf.read_title_authors(None, page)
    assert title == (
        "CiteSee: Augmenting Citations in Scientific Papers with Persistent and Personalized "
        "Historical Context"
    )
    assert authors == ["Joseph Chee Chang"]


def test_nothing_readable_gives_empty_title_and_authors():
    assert pdf.read_title_authors(None, "") == ("", [])
    assert pdf.read_title_authors(b"not a pdf", "") == ("", [])


def test_a_compound_split_after_its_first_part_keeps_its_hyphens():
    """Bug (issue 13): "state-\nof-the-art" came out as "stateof-the-art"."""
    [page] = pdf.clean_pages(["We reach state-\nof-the-art results and a well-\nknown bound."])
    assert "We reach state-of-the-art\n" in page
    [page] = pdf.clean_pages(["A state-of-the-\nart model."])
    assert page.startswith("A state-of-the-art\n")


def test_a_manuscripts_line_numbers_are_dropped():
    """bioRxiv manuscripts number every line: "... growth transition in 6"."""
    lines = [
        "A prion-like protein regulates the growth transition in 6",
        "the moss Physcomitrium patens 7",
        "8",
        "INTRODUCTION 9",
        "The colonization of the land by plants coincided with 10",
        "the evolution of 3D growth, the acquisition of 11",
        "apical cells that rotate the plane of cell division. 12",
        "13",
        "RESULTS 14",
        "We grew 25 plants for 30 days. 15",
    ]
    [page] = pdf.clean_pages(["\n".join(lines)])
    assert page.split("\n")[:4] == [
        "A prion-like protein regulates the growth transition in",
        "the moss Physcomitrium patens",
        "",
        "INTRODUCTION",
    ]
    assert "We grew 25 plants for 30 days." in page


def test_numbers_that_do_not_count_up_are_kept():
    lines = [
        f"Table row {n} value {v}"
        for n, v in zip(range(10), [7, 3, 99, 4, 1, 50, 2, 8, 6, 5], strict=True)
    ]
    [page] = pdf.clean_pages(["\n".join(lines)])
    assert page.split("\n") == lines
