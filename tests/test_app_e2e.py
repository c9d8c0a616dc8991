"""The Gradio app end to end: launched on 127.0.0.1, driven by gradio_client, with the fake
Gemini and fake arXiv servers standing in for Google and arXiv."""

from __future__ import annotations

import logging
import socket
import threading
from dataclasses import replace
from pathlib import Path

import pytest
from gradio_client import Client, handle_file

from chatpaper.ui import build_ui
from chatpaper.ui import launch as launch_app
from tests.fakes.stage_replies import gemini_stage_reply
from tests.paperkit import sample_pdf

TITLE_A = "Staged Reading of Scientific Papers"
TITLE_B = "Concurrent Visitors Never Share Keys"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def arxiv(arxiv):
    """The shared fake arXiv (conftest.py), holding two sample papers."""
    arxiv.add_paper(
        "2402.00864",
        title=TITLE_A,
        pdf=sample_pdf(TITLE_A),
        abstract="We study how to summarize whole scientific papers in stages.",
    )
    arxiv.add_paper(
        "2403.00001",
        title=TITLE_B,
        pdf=sample_pdf(TITLE_B),
        abstract="Two visitors use the app at the same time with their own keys.",
    )
    return arxiv


def launch(settings):
    """The app as app.py launches it, on a free local port, without blocking the test."""
    demo = build_ui(settings)
    port = free_port()
    launch_app(
        demo,
        settings,
        server_name="127.0.0.1",
        server_port=port,
        prevent_thread_lock=True,
        quiet=True,
    )
    return demo, f"http://127.0.0.1:{port}/"


@pytest.fixture
def app(fake_gemini, arxiv, tmp_path):
    fake_gemini.reply_generator = gemini_stage_reply
    fake_gemini.time_to_first_token = 0.2
    fake_gemini.chars_per_second = 800
    settings = replace(
        arxiv.settings(), cache_dir=tmp_path / "cache", max_figures=0, max_retry_wait=1.0
    )
    demo, url = launch(settings)
    client = Client(url, analytics_enabled=False, verbose=False)
    yield client, fake_gemini, arxiv
    demo.close()


def summarize(client, arxiv_text="", pdf=None, *, lang="en", engine="gemini", key="", fresh=False):
    return client.submit(arxiv_text, pdf, lang, engine, "", key, fresh, api_name="/summarize")


def test_a_summary_streams_partial_outputs_before_the_final_one(app):
    client, gemini, _ = app
    job = summarize(client, "https://arxiv.org/abs/2402.00864v1")
    outputs = list(job)
    final = job.result()
    status, header, tldr, basic, overview, methods, conclusion, download = final
    assert TITLE_A in header and "Ada Lovelace" in header
    assert "arxiv.org/abs/2402.00864" in header
    assert "**Key Takeaways**" in tldr and "(4)" in overview and "(1)" in methods
    assert "(4)" in conclusion and "Finished" in status
    assert "Example University" in basic  # the affiliation the overview gave
    # the page shows exactly the download's parts, with the same numbering
    for part in (basic, overview, methods, conclusion):
        assert part.split("\n", 1)[0] in Path(download).read_text(encoding="utf-8")
    # the header was on screen before all the model text was
    early = [o for o in outputs if TITLE_A in o[1] and not o[6]]
    assert early, "the paper's title should show before the conclusion has arrived"
    assert len({o[2] for o in outputs}) > 2, "the summary should arrive in several steps"
    text = Path(download).read_text(encoding="utf-8")
    assert "## 4. Conclusion" in text and TITLE_A in text
    assert len(gemini.generate_requests) == 4


def test_an_uploaded_pdf_is_summarized(app, tmp_path):
    client, gemini, _ = app
    pdf = tmp_path / "paper.pdf"
    pdf.write_bytes(sample_pdf("Uploaded Paper On Streaming"))
    result = summarize(client, "", handle_file(str(pdf))).result()
    assert "Uploaded Paper On Streaming" in result[1]
    assert "Uploaded Paper On Streaming" in gemini.generate_requests[0].prompt
    assert "(1)" in result[4]


def test_bad_uploads_get_a_clear_error_and_the_next_job_works(app, tmp_path):
    client, _, _ = app
    text_file = tmp_path / "notes.txt"
    text_file.write_text("not a paper")
    with pytest.raises(Exception) as not_pdf:
        summarize(client, "", handle_file(str(text_file))).result()
    assert "pdf" in str(not_pdf.value).lower()

    broken = tmp_path / "broken.pdf"
    broken.write_bytes(sample_pdf()[:400])
    with pytest.raises(Exception) as broken_error:
        summarize(client, "", handle_file(str(broken))).result()
    message = str(broken_error.value)
    assert "Traceback" not in message and "PDF" in message

    with pytest.raises(Exception) as bad_id:
        summarize(client, "not a paper id").result()
    assert "2402.00864" in str(bad_id.value)  # the message shows an accepted example

    header = summarize(client, "2402.00864").result()[1]
    assert TITLE_A in header


def test_two_visitors_with_their_own_keys_never_see_each_other(app, caplog):
    client, gemini, _ = app
    key_a, key_b = "AIza-visitor-A-secret", "AIza-visitor-B-secret"
    gemini.allowed_keys = {key_a, key_b}
    caplog.set_level(logging.DEBUG)
    results: dict[str, tuple] = {}

    def visit(name, arxiv_id, key):
        other = Client(client.src, analytics_enabled=False, verbose=False)
        results[name] = summarize(other, arxiv_id, key=key, fresh=True).result()

    threads = [
        threading.Thread(target=visit, args=("a", "2402.00864", key_a)),
        threading.Thread(target=visit, args=("b", "2403.00001", key_b)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    requests = gemini.generate_requests
    assert len(requests) == 8
    for request in requests:
        if TITLE_A in request.prompt:
            assert request.api_key == key_a
        else:
            assert TITLE_B in request.prompt and request.api_key == key_b
    assert any(a.overlaps(b) for a in requests for b in requests if a.api_key != b.api_key)
    shown_a = "\n".join(str(v) for v in results["a"])
    shown_b = "\n".join(str(v) for v in results["b"])
    assert TITLE_A in shown_a and TITLE_B not in shown_a
    assert TITLE_B in shown_b and TITLE_A not in shown_b
    for key in (key_a, key_b):
        assert key not in shown_a and key not in shown_b
        assert key not in caplog.text
        for path in Path(str(results["a"][7])).parent.parent.rglob("*"):
            if path.is_file() and path.suffix in (".md", ".json"):
                assert key not in path.read_text(encoding="utf-8", errors="ignore")


def test_a_cached_rerun_does_not_call_the_model(app):
    client, gemini, _ = app
    first = summarize(client, "2402.00864").result()
    calls = len(gemini.generate_requests)
    second = summarize(client, "2402.00864").result()
    assert len(gemini.generate_requests) == calls
    assert "cache" in second[0]
    assert second[2:6] == first[2:6]
    summarize(client, "2402.00864", fresh=True).result()
    assert len(gemini.generate_requests) == calls + 4


def test_gemini_without_any_key_says_how_to_set_one(app, monkeypatch):
    client, _, _ = app
    monkeypatch.delenv("GEMINI_API_KEY")
    with pytest.raises(Exception) as missing:
        summarize(client, "2402.00864", fresh=True).result()
    assert "GEMINI_API_KEY" in str(missing.value)
