"""Issue 10, defect 3: a slow or trickling arXiv download must not stall other visitors.

Before: the process-wide pacing lock was held for the whole download and there was no overall
deadline: a PDF trickling one byte every 5 s ran past 150 s with no status shown, and a 40 s
slow PDF made a second visitor wait 60 s for the lock, then fail at 117 s.
"""

from __future__ import annotations

import threading
import time
from dataclasses import replace

import pytest
from gradio_client import Client

from chatpaper.arxiv import ArxivClient
from chatpaper.errors import ArxivUnavailableError
from tests.fakes.arxiv_server import FakeArxiv
from tests.fakes.pdfgen import make_pdf
from tests.test_app_e2e import launch

PAGE = "Transformers read the whole paper before they answer any question about it.\n" * 30
BIG_PDF = make_pdf([PAGE] * 40)  # about 100 KB


@pytest.fixture
def arxiv():
    with FakeArxiv() as server:
        server.add_paper("2402.00864", title="A Slow Paper", pdf=BIG_PDF)
        server.add_paper("2403.00001", title="A Quick Paper")
        yield server


def test_a_stalled_download_fails_with_one_sentence_within_the_deadline(arxiv):
    arxiv.trickle_pdf("2402.00864", chunk=100, pause=0.2)  # would take minutes
    heard: list[str] = []
    client = ArxivClient(arxiv.settings(arxiv_deadline=2.0), on_status=heard.append)
    started = time.monotonic()
    with pytest.raises(ArxivUnavailableError) as err:
        client.fetch_pdf("2402.00864")
    assert time.monotonic() - started < 4
    message = str(err.value)
    assert "did not finish downloading within 2 s" in message and "upload the PDF" in message
    assert message.count(". ") == 0 and "\n" not in message
    assert any(h.startswith("Downloading the PDF, ") and " of " in h for h in heard), heard


def test_a_slow_download_does_not_hold_up_another_visitor(arxiv):
    arxiv.trickle_pdf("2402.00864", chunk=10_000, pause=0.25)  # about 2.5 s in all
    settings = arxiv.settings(arxiv_min_interval=0.5, arxiv_deadline=20.0)
    slow = threading.Thread(target=lambda: ArxivClient(settings).fetch_pdf("2402.00864"))
    slow.start()
    time.sleep(0.2)
    started = time.monotonic()
    meta = ArxivClient(settings).fetch_metadata("2403.00001")
    waited = time.monotonic() - started
    slow.join(30)
    assert meta.title == "A Quick Paper"
    assert waited < 1.5, waited  # the 0.5 s spacing, not the 2.5 s download


def test_the_app_shows_download_progress(arxiv, tmp_path):
    arxiv.trickle_pdf("2402.00864", chunk=20_000, pause=0.3)
    settings = replace(
        arxiv.settings(), cache_dir=tmp_path / "cache", max_figures=0, engine="offline"
    )
    demo, url = launch(settings)
    try:
        client = Client(url, analytics_enabled=False, verbose=False)
        job = client.submit("2402.00864", None, "en", "offline", "", "", True,
                            api_name="/summarize")  # fmt: skip
        statuses = [output[0] for output in job]
    finally:
        demo.close()
    assert any(s.startswith("Downloading the PDF, ") and " of " in s for s in statuses), statuses
    assert "Finished" in statuses[-1]


def test_a_metadata_request_keeps_to_the_overall_deadline(arxiv):
    arxiv.delay_next(3.0)  # slower than the deadline, faster than the read timeout
    client = ArxivClient(arxiv.settings(arxiv_deadline=1.0, http_timeout=5.0, arxiv_retries=2))
    started = time.monotonic()
    with pytest.raises(ArxivUnavailableError) as err:
        client.fetch_metadata("2403.00001")
    assert time.monotonic() - started < 2.5
    assert "could not be reached" in str(err.value)
