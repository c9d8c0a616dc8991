"""The app as a researcher meets it, in a real browser at desktop and phone sizes.

Playwright drives Debian's Chromium against the app on 127.0.0.1 with the fake Gemini and
the fake arXiv. Each test is one thing a visitor would notice: the button on screen, a status
the moment they click, one message per failure, math rendered, Chinese labels for a Chinese
browser, copy and retry. Screenshots go to ``tmp_path`` (and to ``$CHATPAPER_SCREENSHOTS``
when set, to look at them).
"""

from __future__ import annotations

import os
import re
import time
from dataclasses import replace
from pathlib import Path

import pytest

from tests.fakes.arxiv_server import FakeArxiv
from tests.fakes.gemini_server import blocked, text_reply
from tests.fakes.stage_replies import stage_answer, stage_of
from tests.paperkit import sample_pdf
from tests.test_app_e2e import launch
from tests.test_browser import CHROMIUM, _playwright

pytestmark = [pytest.mark.browser, pytest.mark.flaky(reruns=1)]

TITLE = "Staged Reading of Scientific Papers"
MATH_TITLE = "Counting Samples With Inline Math"
DESKTOP = {"width": 1440, "height": 900}
PHONE = {"width": 390, "height": 844}


class Replies:
    """Stage answers as the real model paces them; the methods part can be made to fail
    (a blocked answer is not retried by the engine) and an answer can carry inline math."""

    def __init__(self):
        self.fail_methods = False

    def __call__(self, request):
        stage = stage_of(request.prompt)
        if stage == "methods" and self.fail_methods:
            return blocked()
        answer = stage_answer(request.system, request.prompt)
        if MATH_TITLE in request.prompt and stage == "tldr":
            answer = answer.replace("is summarized in one sentence", "uses $N=12$ samples")
        delay = 0.1 if stage == "tldr" else 0.8
        return text_reply(answer, chunks=6, time_to_first_token=delay, chars_per_second=600)


@pytest.fixture
def replies(fake_gemini):
    replies = Replies()
    fake_gemini.reply_generator = replies
    return replies


@pytest.fixture
def app_url(fake_gemini, replies, tmp_path):
    with FakeArxiv() as arxiv:
        arxiv.add_paper("2402.00864", title=TITLE, pdf=sample_pdf(TITLE))
        arxiv.add_paper("2402.00865", title=MATH_TITLE, pdf=sample_pdf(MATH_TITLE))
        settings = replace(arxiv.settings(), cache_dir=tmp_path / "cache", max_figures=0)
        demo, url = launch(settings)
        yield url
        demo.close()


@pytest.fixture
def browser():
    sync_playwright = _playwright()
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield browser
        browser.close()


def open_page(browser, url, viewport=DESKTOP, locale="en-US"):
    context = browser.new_context(viewport=viewport, locale=locale, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(30_000)
    page.goto(url)
    page.locator("#summarize").wait_for()
    return page


def shoot(page, tmp_path, name, full_page=False):
    page.screenshot(path=str(tmp_path / f"{name}.png"), full_page=full_page)
    folder = os.environ.get("CHATPAPER_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=full_page)


def status_text(page) -> str:
    return page.locator("#status").inner_text()


def wait_finished(page, word="Finished"):
    page.locator("#status").get_by_text(word).wait_for(timeout=60_000)


CLICK_PROBE = """() => {
  window.__cp = {};
  document.addEventListener('click', () => { window.__cp.click = performance.now(); }, true);
  const target = document.querySelector('#status');
  const before = target.innerText;
  new MutationObserver(() => {
    if (window.__cp.click && !window.__cp.status && target.innerText !== before) {
      window.__cp.status = performance.now();
      window.__cp.first = target.innerText;
    }
  }).observe(target, {subtree: true, childList: true, characterData: true});
}"""


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_the_button_is_on_screen_and_the_status_answers_the_click(
    browser, app_url, viewport, tmp_path
):
    page = open_page(browser, app_url, viewport)
    name = "desktop" if viewport is DESKTOP else "phone"
    shoot(page, tmp_path, f"{name}-start")
    button = page.locator("#summarize").bounding_box()
    assert button["y"] + button["height"] <= viewport["height"], "Summarize is below the fold"
    if viewport is DESKTOP:  # the result sits beside the inputs, not under them
        inputs, result = (
            page.locator("#inputs").bounding_box(),
            page.locator("#result").bounding_box(),
        )
        assert result["x"] >= inputs["x"] + inputs["width"] - 1
        assert result["y"] < viewport["height"] / 3

    page.fill("#arxiv-input textarea", "2402.00864")
    page.evaluate(CLICK_PROBE)
    clicked = time.monotonic()
    page.click("#summarize")
    page.wait_for_function("() => window.__cp.status", timeout=5_000)
    probe = page.evaluate("() => window.__cp")
    assert (probe["status"] - probe["click"]) / 1000 <= 0.3
    assert "Fetching 2402.00864 from arXiv" in probe["first"]
    page.locator("#status").get_by_text(re.compile("Writing the")).wait_for()
    wait_finished(page)
    seen = time.monotonic() - clicked
    if viewport is PHONE:  # the page brought the result into view
        status = page.locator("#status").bounding_box()
        assert 0 <= status["y"] < viewport["height"]
    shoot(page, tmp_path, f"{name}-finished")
    reported = float(re.search(r"Finished in ([\d.]+) s", status_text(page)).group(1))
    assert reported <= seen + 0.5  # the time since the click, not since the paper was read
    assert reported >= 0.5 * seen


def test_a_bad_key_is_one_message_where_the_visitor_looks(browser, app_url, fake_gemini, tmp_path):
    fake_gemini.allowed_keys = {"AIza-the-good-key"}
    page = open_page(browser, app_url)
    page.fill("#arxiv-input textarea", "2402.00864")
    page.locator("#options").get_by_text("Engine and options").click()
    page.locator("#api-key input[type=password]").fill("AIza-a-bad-key")
    page.click("#summarize")
    page.locator("#status").get_by_text("❌").wait_for(timeout=60_000)
    page.wait_for_timeout(1500)  # anything else that would show, shows by now
    shoot(page, tmp_path, "bad-key", full_page=True)
    body = page.locator("body").inner_text()
    assert body.count("❌") == 1, body
    assert "key" in status_text(page).lower()
    assert page.locator(".toast-body:visible").count() == 0
    assert page.get_by_text("Error", exact=True).count() == 0  # no red pills on the parts
    assert not page.locator("#figures").is_visible()
    for part in ("tldr", "overview", "methods", "conclusion"):
        assert page.locator(f"#stage-{part}").inner_text().strip() == ""
    assert page.locator("#retry-methods").is_hidden()  # the key is the fix, not a retry


def test_a_failed_second_run_clears_the_first_result(browser, app_url, tmp_path):
    page = open_page(browser, app_url)
    page.fill("#arxiv-input textarea", "2402.00864")
    page.click("#summarize")
    wait_finished(page)
    assert page.locator("#download-md").is_visible()
    page.fill("#arxiv-input textarea", "2499.99999")
    page.click("#summarize")
    page.locator("#status").get_by_text("❌").wait_for()
    shoot(page, tmp_path, "second-run-failed")
    assert TITLE not in page.locator("#result").inner_text()
    assert "Finished" not in status_text(page)
    assert page.locator("#download-md").is_hidden()


def test_inline_math_is_rendered(browser, app_url):
    page = open_page(browser, app_url)
    page.fill("#arxiv-input textarea", "2402.00865")
    page.click("#summarize")
    wait_finished(page)
    assert page.locator("#stage-tldr .katex").count() >= 1
    assert "$N=12$" not in page.locator("#stage-tldr").inner_text()


def test_a_chinese_browser_gets_chinese_labels_status_and_output(browser, app_url, tmp_path):
    page = open_page(browser, app_url, PHONE, locale="zh-CN")
    assert page.locator("#summarize").inner_text().strip() == "开始总结"
    assert "arXiv 编号或链接" in page.locator("#arxiv-input").inner_text()
    page.click("#summarize")  # nothing pasted yet: one sentence, in Chinese
    page.locator("#status").get_by_text("请先粘贴 arXiv 链接").wait_for()
    page.fill("#arxiv-input textarea", "2402.00864")
    page.click("#summarize")
    wait_finished(page, "总结完成")
    shoot(page, tmp_path, "phone-zh-finished")
    assert "2. 概述" in page.locator("#stage-overview").inner_text()  # output in Chinese too
    assert page.locator("#download-md").inner_text().strip() == "下载 .md"


def test_the_download_is_near_the_top_and_numbered_as_the_page(browser, app_url, tmp_path):
    page = open_page(browser, app_url)
    page.fill("#arxiv-input textarea", "2402.00864")
    page.press("#arxiv-input textarea", "Enter")
    wait_finished(page)
    button = page.locator("#download-md").bounding_box()
    assert button["y"] < page.locator("#paper-header").bounding_box()["y"]
    assert page.locator("#download-zip").is_hidden()  # no figures, so no .zip to offer
    with page.expect_download() as download_info:
        page.locator("#download-md").click()
    saved = tmp_path / "summary.md"
    download_info.value.save_as(saved)
    text = saved.read_text(encoding="utf-8")
    for part in ("basic", "overview", "methods", "conclusion"):
        heading = page.locator(f"#stage-{part} h2").first.inner_text().strip()
        assert f"\n## {heading}\n" in text  # the same numbered heading in both
    assert "6. Summary" not in page.locator("#result").inner_text()


def test_copy_all_and_copy_one_part_copy_readable_text(browser, app_url):
    page = open_page(browser, app_url)
    page.fill("#arxiv-input textarea", "2402.00864")
    page.click("#summarize")
    wait_finished(page)
    page.click("#copy-all")
    copied = page.evaluate("() => window.__chatpaper_copied")
    assert TITLE in copied and "Key Takeaways" in copied and "4. Conclusion" in copied
    assert "**" not in copied and "## " not in copied  # text as read, not Markdown source
    page.locator("#part-methods .cp-copy").click()
    one = page.evaluate("() => window.__chatpaper_copied")
    assert one.startswith("3. Methods") and "Checking" in one and "Conclusion" not in one


def test_a_failed_part_can_be_retried_alone(browser, app_url, replies, fake_gemini, tmp_path):
    replies.fail_methods = True
    page = open_page(browser, app_url)
    page.fill("#arxiv-input textarea", "2402.00864")
    page.click("#summarize")
    wait_finished(page)
    assert "1 part(s) failed" in status_text(page)
    page.locator("#retry-methods").wait_for()
    assert page.locator("#retry-overview").is_hidden() and page.locator("#retry-tldr").is_hidden()
    shoot(page, tmp_path, "part-failed", full_page=True)
    asked = len(fake_gemini.generate_requests)

    replies.fail_methods = False
    page.click("#retry-methods")
    page.locator("#stage-methods").get_by_text("Checking").wait_for()
    page.locator("#status").get_by_text("written again").wait_for()
    assert len(fake_gemini.generate_requests) == asked + 1  # only that part was asked again
    assert "Workload" in page.locator("#stage-conclusion").inner_text()  # the others stay
    page.locator("#retry-methods").wait_for(state="hidden")
    with page.expect_download() as download_info:
        page.locator("#download-md").click()
    saved = tmp_path / "retried.md"
    download_info.value.save_as(saved)
    assert "Checking" in saved.read_text(encoding="utf-8")


@pytest.fixture
def offline_app_url(settings):
    """The app as a newcomer runs it: no API key, so the offline engine is the default."""
    demo, url = launch(settings)
    yield url
    demo.close()


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_the_bundled_example_paper_works_offline(browser, offline_app_url, viewport, tmp_path):
    page = open_page(browser, offline_app_url, viewport)
    page.locator("#examples").get_by_text("chatpaper-example.pdf").click()
    page.wait_for_function("() => document.querySelector('#pdf-input').innerText.includes('KB')")
    page.click("#summarize")
    wait_finished(page)
    name = "desktop" if viewport is DESKTOP else "phone"
    shoot(page, tmp_path, f"{name}-example-offline", full_page=True)
    assert "offline" in status_text(page)
    assert "Grounded Paper Summaries" in page.locator("#paper-header").inner_text()
    assert "Anchor extraction" in page.locator("#stage-methods").inner_text()
    page.locator("#figures img").first.wait_for()  # the paper's chart, in its own event
    assert page.locator("#download-zip").is_visible()
    with page.expect_download() as download_info:
        page.locator("#download-md").click()
    name = download_info.value.suggested_filename
    assert name.startswith("summary_grounded-paper-summaries") and name.endswith(".md")
    saved = tmp_path / name
    download_info.value.save_as(saved)
    assert "![" not in saved.read_text(encoding="utf-8")  # no image it does not carry
    caption = page.locator("#figures .caption-label").first.inner_text()
    assert caption.startswith("p. 4: Figure 1:")  # as the .zip's Markdown captions it
