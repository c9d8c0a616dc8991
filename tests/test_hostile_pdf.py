"""Issue 10, defect 1: one upload must not freeze the app for everyone.

A 150 KB PDF whose first page holds one long run of non-space characters (a base64 blob, a
long URL) made title and author detection (``\\S+@\\S+`` and friends, quadratic on such a run)
take minutes, in the app's own process: every other visitor and the home page waited 50-160 s.
Now all PDF work that grows with the file runs in the bounded worker, on bounded tokens.
"""

from __future__ import annotations

import random
import string
import threading
import time
import urllib.request
from dataclasses import replace

import pytest
from gradio_client import Client, handle_file

from chatpaper import pdf
from chatpaper.config import Settings
from chatpaper.ui import build_ui
from chatpaper.ui import launch as launch_app
from tests.fakes.pdfgen import make_pdf
from tests.paperkit import sample_pdf
from tests.test_app_e2e import free_port

TOKEN_CHARS = 150_000
BODY = "We measure how often the answer quotes a sentence that the paper really contains."


def long_token_pdf(chars: int = TOKEN_CHARS) -> bytes:
    """Page 1: a title, then one run of ``chars`` base64-like characters, then the authors."""
    rng = random.Random(10)
    token = "".join(rng.choice(string.ascii_letters + string.digits + "+/") for _ in range(chars))
    return make_pdf(
        [[("A Long Token Paper", 18), token, "Ada Lovelace", "Abstract", BODY], BODY],
        title="A Long Token Paper",
    )


def test_a_150k_character_token_on_page_one_is_read_within_seconds():
    started = time.monotonic()
    document = pdf.read_document(long_token_pdf(), max_pages=50, timeout=20)
    assert time.monotonic() - started < 20  # before: about 100 s of title detection
    assert document.title == "A Long Token Paper"
    assert len(document.pages) == 2
    assert len(document.pages[0]) > TOKEN_CHARS  # the text itself is kept whole


@pytest.fixture
def offline_app(tmp_path):
    settings = replace(
        Settings(), cache_dir=tmp_path / "cache", max_figures=0, pdf_timeout=30.0, engine="offline"
    )
    demo = build_ui(settings)
    port = free_port()
    launch_app(
        demo, settings, server_name="127.0.0.1", server_port=port, prevent_thread_lock=True,
        quiet=True,
    )  # fmt: skip
    yield f"http://127.0.0.1:{port}/"
    demo.close()


def summarize(url: str, path) -> object:
    client = Client(url, analytics_enabled=False, verbose=False)
    return client.submit("", handle_file(str(path)), "en", "offline", "", "", True,
                         api_name="/summarize")  # fmt: skip


def test_another_visitor_is_served_while_a_hostile_upload_is_read(offline_app, tmp_path):
    hostile, good = tmp_path / "hostile.pdf", tmp_path / "good.pdf"
    hostile.write_bytes(long_token_pdf())
    good.write_bytes(sample_pdf("A Good Paper"))
    summarize(offline_app, good).result()  # warm up: the worker and the engine are ready

    hostile_started = time.monotonic()
    hostile_job = summarize(offline_app, hostile)
    time.sleep(0.5)  # the upload is being read
    waits: dict[str, float] = {}

    def home_page() -> None:
        started = time.monotonic()
        urllib.request.urlopen(offline_app, timeout=120).read()
        waits["home"] = time.monotonic() - started

    home = threading.Thread(target=home_page)
    home.start()
    started = time.monotonic()
    other = summarize(offline_app, good).result()
    waits["other visitor"] = time.monotonic() - started
    home.join(120)
    assert "A Good Paper" in other[1]
    # before: the home page waited 18-40 s and the other visitor 35 s
    assert waits["other visitor"] < 10, waits
    assert waits["home"] < 10, waits

    status = hostile_job.result()[0]
    assert "Finished" in status
    assert time.monotonic() - hostile_started < 30  # within the PDF deadline


# --- what is true about a hostile file -------------------------------------------------------
# Before: a flate bomb was "damaged or incomplete", a deeply nested PDF "has no text layer".


def test_a_flate_bomb_is_called_too_large_to_read():
    from chatpaper.errors import PdfTooLargeError
    from tests.fakes.hostile_pdfs import flate_bomb

    with pytest.raises(PdfTooLargeError) as err:
        pdf.read_document(flate_bomb(), max_pages=10, timeout=30)
    assert "expands to more data than can be read safely" in str(err.value)


@pytest.mark.parametrize("kind", ["nested_forms", "nested_arrays"])
def test_a_deeply_nested_pdf_is_called_too_complex(kind):
    from chatpaper.errors import NoTextError, PdfError
    from tests.fakes import hostile_pdfs

    with pytest.raises(PdfError) as err:
        pdf.read_document(getattr(hostile_pdfs, kind)(), max_pages=10, timeout=30)
    assert not isinstance(err.value, NoTextError)
    assert "nested too deeply to read" in str(err.value)
