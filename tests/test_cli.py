"""The command line: inspect, summarize and check, on generated PDFs and the fake servers."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from chatpaper.__main__ import main
from tests.conftest import REPO
from tests.fakes.stage_replies import gemini_stage_reply
from tests.paperkit import sample_pdf

TITLE = "Staged Reading of Scientific Papers"


@pytest.fixture
def pdf_path(tmp_path):
    path = tmp_path / "paper.pdf"
    path.write_bytes(sample_pdf(TITLE))
    return path


@pytest.fixture
def arxiv_env(arxiv_env):
    """The shared fake arXiv (conftest.py), holding the sample paper."""
    arxiv_env.add_paper("2402.00864", title=TITLE, pdf=sample_pdf(TITLE), comment="8 pages")
    return arxiv_env


def test_inspect_json_reports_what_was_read(pdf_path, capsys):
    assert main(["inspect", str(pdf_path), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert set(report) == {
        "source",
        "arxiv_id",
        "title",
        "authors",
        "pages",
        "text_chars",
        "sections",
        "figures",
    }
    assert report["title"] == TITLE and report["authors"][0] == "Ada Lovelace"
    assert report["pages"] == 3 and report["figures"] == 0
    roles = {s["heading"]: s["role"] for s in report["sections"]}
    assert roles["2 Method"] == "method" and roles["4 Conclusion"] == "conclusion"
    assert all({"heading", "role", "page", "chars"} == set(s) for s in report["sections"])


def test_inspect_an_arxiv_link_served_by_the_fake(arxiv_env, capsys):
    assert main(["inspect", "https://arxiv.org/abs/2402.00864v1", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["arxiv_id"] == "2402.00864" and report["title"] == TITLE
    assert any(path.startswith("/api/query") for _, path, _ in arxiv_env.requests)


def test_inspect_prints_a_readable_report(pdf_path, capsys):
    assert main(["inspect", str(pdf_path)]) == 0
    out = capsys.readouterr().out
    assert f"Title:    {TITLE}" in out and "conclusion" in out


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", "empty"),
        (b"<html>not a pdf</html>", "not a PDF"),
        (sample_pdf()[:300], "PDF"),
    ],
)
def test_bad_pdfs_give_one_sentence_and_a_nonzero_exit(tmp_path, capsys, content, expected):
    path = tmp_path / "bad.pdf"
    path.write_bytes(content)
    assert main(["inspect", str(path)]) != 0
    errors = [x for x in capsys.readouterr().err.splitlines() if not x.startswith("…")]
    assert len(errors) == 1 and expected in errors[0] and "Traceback" not in errors[0]


def test_unknown_and_malformed_ids(arxiv_env, capsys):
    assert main(["inspect", "2401.99999"]) == 1
    assert "no paper" in capsys.readouterr().err
    assert main(["inspect", "definitely not an id"]) == 2
    assert "2402.00864" in capsys.readouterr().err
    assert main(["inspect", "missing-file.pdf"]) == 2
    assert "no file" in capsys.readouterr().err


def test_arxiv_unreachable_is_one_sentence(monkeypatch, capsys):
    monkeypatch.setenv("CHATPAPER_ARXIV_API_URL", "http://127.0.0.1:9/api/query")
    monkeypatch.setenv("CHATPAPER_ARXIV_INTERVAL", "0")
    assert main(["inspect", "2402.00864"]) == 1
    errors = [x for x in capsys.readouterr().err.splitlines() if not x.startswith("…")]
    assert len(errors) == 1 and errors[0].startswith("chatpaper: arXiv")


def test_summarize_streams_markdown_in_document_order(arxiv_env, fake_gemini, tmp_path, capsys):
    fake_gemini.reply_generator = gemini_stage_reply
    out = tmp_path / "summary.md"
    assert main(["summarize", "arXiv:2402.00864", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    order = [
        printed.index(x)
        for x in (
            f"# {TITLE}",
            "**Key Takeaways**",
            "## 2. Overview",
            "## 3. Methods",
            "## 4. Conclusion",
        )
    ]
    assert order == sorted(order)
    saved = out.read_text(encoding="utf-8")
    assert "- **Affiliation**: Example University" in saved
    assert "[arXiv:2402.00864](https://arxiv.org/abs/2402.00864v1)" in saved
    assert main(["check", str(out)]) == 0


def test_summarize_in_chinese(arxiv_env, fake_gemini, capsys):
    fake_gemini.reply_generator = gemini_stage_reply
    assert main(["summarize", "2402.00864", "--lang", "zh"]) == 0
    printed = capsys.readouterr().out
    assert "**要点**" in printed and "## 3. 方法" in printed
    assert "Simplified Chinese" in fake_gemini.generate_requests[0].system


def test_a_failed_part_exits_3_and_keeps_the_rest(arxiv_env, fake_gemini, capsys):
    from tests.fakes.gemini_server import invalid_key

    fake_gemini.reply_generator = gemini_stage_reply
    fake_gemini.enqueue(invalid_key(), match="method step by step")
    assert main(["summarize", "2402.00864", "--no-cache"]) == 3
    captured = capsys.readouterr()
    assert "**Key Takeaways**" in captured.out and "## 4. Conclusion" in captured.out
    assert "methods part failed" in captured.err


def test_check_flags_a_defective_post_and_passes_a_clean_one(tmp_path, capsys):
    bad = tmp_path / "bad.md"
    bad.write_text(
        "## A paper\n\n(1) 研究设计：本文采用了XXXX的方法。\n\n希望以上总结符合您的要求！\n",
        encoding="utf-8",
    )
    assert main(["check", str(bad), "--json"]) == 1
    defects = json.loads(capsys.readouterr().out)["defects"]
    assert {d["kind"] for d in defects} >= {"template_slot", "chatter"}
    assert all({"kind", "line", "text"} == set(d) for d in defects)
    good = tmp_path / "good.md"
    good.write_text("## A paper\n\n(1) The method reads the whole paper.\n", encoding="utf-8")
    assert main(["check", str(good)]) == 0


def test_python_dash_m_runs_without_a_traceback(tmp_path):
    empty = tmp_path / "empty.pdf"
    empty.write_bytes(b"")
    result = subprocess.run(
        [sys.executable, "-m", "chatpaper", "inspect", str(empty)],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=60,
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr and result.stderr.startswith("chatpaper: ")


def test_engines_lists_what_can_run_with_the_default_first(monkeypatch, capsys):
    assert main(["engines"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("offline") and lines[0].endswith("default")
    assert any(line.startswith("gemini") and "GEMINI_API_KEY" in line for line in lines)
    monkeypatch.setenv("GEMINI_API_KEY", "a-key")
    assert main(["engines"]) == 0
    assert capsys.readouterr().out.splitlines()[0].startswith("gemini")


FILLER = [
    "This paragraph of the page describes the setting in general terms only.",
    "It repeats ordinary context that a reader skims before the main content.",
    "Nothing specific stands in these lines; they fill the page with prose.",
    "They exist so that each page has more text than a page turn carries over.",
    "The next lines hold what the summary cites on this page.",
]


@pytest.fixture
def long_pdf(tmp_path):
    """Four pages with distinct content, each longer than what a page turn carries over."""
    from tests.fakes.pdfgen import make_pdf

    pages = [
        [(TITLE, 16), "Ada Lovelace", *FILLER, "We study how to summarize whole papers."],
        [("2 Method", 12), *FILLER, "The summarizer splits the task into four stages."],
        [*FILLER, "We evaluate on two hundred papers from arXiv with human judges.", *FILLER],
        [("4 Conclusion", 12), *FILLER, "Future work will study figures and tables."],
    ]
    path = tmp_path / "long.pdf"
    path.write_bytes(make_pdf(pages, title=TITLE))
    return path


def test_check_paper_finds_wrong_pages_unsupported_claims_and_invented_numbers(
    long_pdf, tmp_path, capsys
):
    summary = tmp_path / "summary.md"
    summary.write_text(
        "## 3. Methods\n\n"
        "(1) **Split**: The summarizer splits the task into four stages (p. 2).\n"
        "(2) **Data**: Human judges evaluate it on arXiv papers (p. 1).\n"
        "(3) **Result**: The summarizer splits the task into 17 stages (p. 2).\n"
        "(4) **Claim**: Quantum annealing lowers protein folding energy in zebrafish embryos "
        "(p. 4).\n",
        encoding="utf-8",
    )
    assert main(["check", str(summary), "--paper", str(long_pdf), "--json"]) == 1
    defects = json.loads(capsys.readouterr().out)["defects"]
    by_line = {d["line"]: d for d in defects}
    assert set(by_line) == {4, 5, 6}, defects  # the correct citation on line 3 raises nothing
    assert by_line[4]["kind"] == "citation_wrong_page" and by_line[4]["found_page"] == 3
    assert by_line[5]["kind"] == "number_not_in_paper"
    assert by_line[5]["text"] == "17 is not in the paper"
    assert by_line[6]["kind"] == "citation_unsupported"

    assert main(["check", str(summary), "--paper", str(long_pdf)]) == 1
    assert "2 of 4 citations checked on their pages" in capsys.readouterr().out
