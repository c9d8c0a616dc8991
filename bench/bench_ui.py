"""What a researcher and an API client feel, against `python app.py` with a Gemini stand-in
that answers in 0.8 s and streams 300 characters a second.

1. Browser (Debian's Chromium, 1440x900): click -> first change of the status, click -> the
   paper's title in the header (median of 3 fresh runs).
2. gradio_client: a real paper with figures (papermage.pdf from ../shared/papers), fresh run:
   the client's wall time against the "Finished in X s" the server reports (ratio), and how
   many times the client downloaded a figure.

Usage: python bench/bench_ui.py [REPO]   (REPO: another checkout to measure, e.g. the old one)
"""

from __future__ import annotations

import os
import re
import sys
import tempfile
import time
from pathlib import Path

from _common import REPO, SHARED_PAPERS, fake_gemini_env, free_port, start_app

from tests.fakes.arxiv_server import FakeArxiv
from tests.fakes.stage_replies import gemini_stage_reply
from tests.paperkit import sample_pdf

TTFT = 0.8
TITLE = "Benchmark Paper About Staged Reading"
CHROMIUM = "/usr/bin/chromium"

CLICK_PROBE = f"""() => {{
  window.__cp = {{}};
  document.addEventListener('click', () => {{ window.__cp.click = performance.now(); }}, true);
  const watch = (sel, key, test) => {{
    const target = document.querySelector(sel);
    new MutationObserver(() => {{
      if (window.__cp.click && !window.__cp[key] && test(target.innerText)) {{
        window.__cp[key] = performance.now();
      }}
    }}).observe(target, {{subtree: true, childList: true, characterData: true}});
  }};
  const prose = () => (document.querySelector('#status .prose') || {{innerText: ''}}).innerText;
  const before = prose();
  watch('#status', 'status', () => prose().trim() !== before.trim());
  watch('#paper-header', 'header', t => t.includes('{TITLE}'));
}}"""



def browser_times(url: str) -> tuple[float, float]:
    from playwright.sync_api import sync_playwright

    statuses, headers = [], []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        for _ in range(3):
            page = browser.new_page(viewport={"width": 1440, "height": 900})
            page.goto(url)
            page.fill("#arxiv-input textarea", "2401.10000")
            fresh = page.get_by_label(re.compile("Fresh run"))
            if fresh.count() and not fresh.first.is_visible():
                page.get_by_text(re.compile("^(Options|Engine and key)")).first.click()
            if fresh.count():
                fresh.first.check()
            page.evaluate(CLICK_PROBE)
            page.click("#summarize")
            page.wait_for_function("() => window.__cp.header", timeout=60_000)
            cp = page.evaluate("() => window.__cp")
            statuses.append((cp["status"] - cp["click"]) / 1000)
            headers.append((cp["header"] - cp["click"]) / 1000)
            page.wait_for_timeout(500)
            page.close()
        browser.close()
    return sorted(statuses)[1], sorted(headers)[1]


def client_times(url: str) -> tuple[float, float, int, int]:
    """(client seconds, server-reported seconds, figure downloads, distinct figures)."""
    from gradio_client import Client, handle_file
    from gradio_client.client import Endpoint

    downloads: list[str] = []
    original = Endpoint._download_file

    def counting(self, x):
        downloads.append(str(x.get("path")))
        return original(self, x)

    Endpoint._download_file = counting
    try:
        client = Client(url, analytics_enabled=False, verbose=False)
        pdf = handle_file(str(SHARED_PAPERS / "papermage.pdf"))
        start = time.perf_counter()
        job = client.submit("", pdf, "en", "gemini", "", "", True, api_name="/summarize")
        outputs = list(job)
        final = job.result()
        endpoints = client.view_api(print_info=False, return_format="dict")
        if "/figures" in str(endpoints):  # figures in their own event (after issue 12)
            client.predict(api_name="/figures")
        elapsed = time.perf_counter() - start
    finally:
        Endpoint._download_file = original
    status = final[0]
    found = re.search(r"(\d+(?:\.\d+)?) s", status)
    server = float(found.group(1)) if found else float("nan")
    images = [d for d in downloads if d.lower().endswith((".png", ".jpg", ".jpeg", ".webp"))]
    del outputs
    return elapsed, server, len(images), len(set(Path(p).name for p in images))


def main() -> None:
    repo = Path(sys.argv[1]).resolve() if len(sys.argv) > 1 else REPO
    with (
        fake_gemini_env(time_to_first_token=TTFT, chars_per_second=300) as gemini,
        FakeArxiv() as arxiv,
    ):
        gemini.reply_generator = gemini_stage_reply
        arxiv.add_paper("2401.10000", title=TITLE, pdf=sample_pdf(TITLE))
        port = free_port()
        env = dict(
            os.environ,
            PYTHONPATH=str(repo),
            GRADIO_SERVER_NAME="127.0.0.1",
            GRADIO_SERVER_PORT=str(port),
            CHATPAPER_ARXIV_API_URL=arxiv.api_url,
            CHATPAPER_ARXIV_PDF_URL=arxiv.pdf_url,
            CHATPAPER_ARXIV_INTERVAL="0",
            CHATPAPER_CACHE_DIR=tempfile.mkdtemp(),
        )
        app = start_app(env, port, repo)
        url = f"http://127.0.0.1:{port}/"
        try:
            status, header = browser_times(url)
            client, server, figure_downloads, distinct = client_times(url)
        finally:
            app.terminate()
            app.wait(timeout=10)
    print(f"repo: {repo}")
    print(f"click -> status changes:       {status:.2f} s")
    print(f"click -> paper title shown:    {header:.2f} s")
    print(f"client job with figures:       {client:.2f} s, server reported {server:.2f} s "
          f"(ratio {client / server:.2f})")
    print(f"figure downloads by the client: {figure_downloads} for {distinct} figures")


if __name__ == "__main__":
    main()
