"""An API client's job with figures: the text stream never carries the figures, so the
client is about as fast as the server says it was, and it fetches each figure once.

gradio_client against the app on 127.0.0.1 with the fake Gemini; a real paper with figures
from ../shared/papers (skips when the folder is absent).
"""

from __future__ import annotations

import re
import time
from dataclasses import replace
from pathlib import Path

import pytest
from gradio_client import Client, handle_file
from gradio_client.client import Endpoint

from tests.conftest import shared_papers_or_skip
from tests.fakes.gemini_server import text_reply
from tests.fakes.stage_replies import stage_answer
from tests.test_app_e2e import launch

pytestmark = pytest.mark.flaky(reruns=1)  # a wall-clock ratio on a shared 2-core machine


@pytest.fixture
def downloads(monkeypatch):
    """The files the client fetched (a spy around the client's own download)."""
    fetched: list[str] = []
    original = Endpoint._download_file

    def counting(self, x):
        fetched.append(str(x.get("path")))
        return original(self, x)

    monkeypatch.setattr(Endpoint, "_download_file", counting)
    return fetched


def test_a_job_with_figures_costs_the_client_about_the_servers_time(
    fake_gemini, settings, downloads, tmp_path
):
    paper = shared_papers_or_skip() / "papermage.pdf"
    fake_gemini.reply_generator = lambda request: text_reply(
        stage_answer(request.system, request.prompt),
        chunks=12,
        time_to_first_token=0.5,
        chars_per_second=400,
    )
    demo, url = launch(replace(settings, cache_dir=tmp_path / "cache", max_figures=4))
    try:
        client = Client(url, analytics_enabled=False, verbose=False)
        started = time.perf_counter()
        job = client.submit(
            "", handle_file(str(paper)), "en", "gemini", "", "", True, api_name="/summarize"
        )
        partials = list(job)
        final = job.result()
        elapsed = time.perf_counter() - started
        gallery = client.predict(api_name="/figures")
    finally:
        demo.close()
    status = final[0]
    server = float(re.search(r"Finished in ([\d.]+) s", status).group(1))
    assert len(partials) > 5  # it streamed
    assert elapsed <= 1.3 * server + 0.3, (elapsed, server)
    images = [p for p in downloads if p.lower().endswith((".png", ".jpg", ".jpeg", ".webp"))]
    assert len(gallery) >= 2  # papermage has several captioned figures
    assert len(images) == len(set(images)) == len(gallery)  # each figure fetched once
    assert all(Path(item["image"]).exists() for item in gallery)
    assert any("Figure 1" in (item.get("caption") or "") for item in gallery)
