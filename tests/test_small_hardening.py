"""Issue 10's smaller items, each with the test that failed before its fix."""

from __future__ import annotations

import os
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import pytest
from gradio_client import Client

from chatpaper.__main__ import main
from chatpaper.arxiv import parse_arxiv_id
from chatpaper.config import Settings
from chatpaper.errors import PdfTooLargeError
from chatpaper.reader import read_pdf_bytes
from tests.fakes.arxiv_server import FakeArxiv
from tests.fakes.gemini_server import text_reply
from tests.paperkit import sample_pdf
from tests.test_app_e2e import launch


@pytest.mark.parametrize(
    "pasted",
    [
        "2402.00864\u200b",  # a zero-width space copied from a web page
        "\ufeff2402.00864",
        "<https://arxiv.org/abs/2402.00864>",
        "https://arxiv.org/abs/2402.00864.",
        "(https://arxiv.org/abs/2402.00864)",
        "arXiv:2402.00864]",
        "“2402.00864”",
        "'2402.00864'",
    ],
)
def test_a_paste_that_looks_valid_is_accepted(pasted):
    assert parse_arxiv_id(pasted) == ("2402.00864", None)


def test_brackets_that_belong_to_the_text_stay():
    assert parse_arxiv_id("arXiv:2402.00864v2 [cs.CV]") == ("2402.00864", "v2")


def test_a_source_longer_than_a_file_name_is_one_sentence(capsys):
    code = main(["summarize", "x" * 300 + ".pdf", "--engine", "offline"])
    err = capsys.readouterr().err
    assert code == 2
    assert "Traceback" not in err and "File name too long" not in err
    assert err.startswith("chatpaper: There is no file ") and err.count("\n") == 1


def test_the_size_limit_is_the_same_figure_everywhere(settings):
    """Before: "over the 52 MB limit" here, 50 MB elsewhere (README says 50)."""
    data = b"%PDF-1.4\n" + b"0" * (settings.max_pdf_bytes + 1)
    with pytest.raises(PdfTooLargeError) as err:
        read_pdf_bytes(data, source="big.pdf", settings=replace(settings))
    assert "over the 50 MB limit" in str(err.value)
    assert "This PDF is 50 MB" in str(err.value)


@pytest.fixture
def app(fake_gemini, tmp_path):
    with FakeArxiv() as arxiv:
        arxiv.add_paper("2402.00864", title="An Ordinary Paper", pdf=sample_pdf("An Ordinary Paper"))
        demo, url = launch(replace(arxiv.settings(), cache_dir=tmp_path / "cache", max_figures=0))
        yield Client(url, analytics_enabled=False, verbose=False), fake_gemini
        demo.close()


def submit(client, text: str):
    return client.submit(text, None, "en", "gemini", "", "", True, api_name="/summarize")


def test_an_error_toast_shows_the_input_as_text(app):
    client, _ = app
    with pytest.raises(Exception) as err:
        submit(client, "<b>not</b> an <i>id</i>").result()
    message = str(err.value)
    assert "&lt;b&gt;not&lt;/b&gt;" in message and "<b>" not in message


def test_a_pasted_link_in_angle_brackets_is_read(app):
    client, _ = app
    header = submit(client, "<https://arxiv.org/abs/2402.00864>").result()[1]
    assert "An Ordinary Paper" in header


def test_finished_is_not_reported_when_every_panel_is_empty(app):
    client, gemini = app
    gemini.reply_generator = lambda request: text_reply([""], chunks=1)
    job = submit(client, "2402.00864")
    with pytest.raises(Exception) as err:
        job.result()
    assert "came back empty" in str(err.value)
    assert not any("Finished" in output[0] for output in job.outputs())


def test_the_cli_exits_1_when_every_part_is_empty(fake_gemini, tmp_path, monkeypatch, capsys):
    fake_gemini.reply_generator = lambda request: text_reply([""], chunks=1)
    monkeypatch.setenv("CHATPAPER_CACHE_DIR", str(tmp_path / "cache"))
    pdf = tmp_path / "paper.pdf"
    pdf.write_bytes(sample_pdf("An Empty Summary"))
    assert main(["summarize", str(pdf), "--engine", "gemini"]) == 1
    assert "came back empty" in capsys.readouterr().err


def test_scratch_folders_do_not_outlive_their_job(tmp_path, monkeypatch):
    from chatpaper.ui import build_ui, make_digest_handler

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    stale = tmp_path / "chatpaper-left-by-a-killed-job"
    stale.mkdir()
    old = time.time() - 86400
    os.utime(stale, (old, old))
    fresh = tmp_path / "chatpaper-running-now"
    fresh.mkdir()
    build_ui(replace(Settings(), cache_dir=tmp_path / "cache"))
    assert not stale.exists() and fresh.exists()

    with FakeArxiv() as arxiv:
        arxiv.add_paper(
            "2402.05001", title="Fast Diffusion Sampling", abstract="We study diffusion models.",
            published="2024-02-05T09:00:00Z", categories=["cs.CV"],
        )  # fmt: skip
        settings = replace(arxiv.settings(), cache_dir=tmp_path / "cache")
        handler = make_digest_handler(settings, None)
        outputs = list(handler("diffusion", "", "2024-02-05", 5, "en", "offline", "", False))
    assert outputs[-1][2]  # a download was offered
    assert not list(Path(tmp_path).glob("chatpaper-digest-*"))  # and its folder is gone
