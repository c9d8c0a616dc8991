"""The "Ask about this paper" chat in a real browser (Playwright + Debian's Chromium)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from tests.fakes.arxiv_server import FakeArxiv
from tests.fakes.gemini_server import text_reply
from tests.paperkit import sample_pdf
from tests.test_app_e2e import launch
from tests.test_browser import CHROMIUM, _playwright, app_url, page  # noqa: F401  (fixtures)

pytestmark = [pytest.mark.browser, pytest.mark.flaky(reruns=1)]

TITLE_A = "Staged Reading of Scientific Papers"
TITLE_B = "Concurrent Visitors Never Share Keys"
BROWSER_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


def test_two_questions_in_the_chat_with_checked_citations(page, fake_gemini):  # noqa: F811
    fake_gemini.enqueue(
        text_reply(
            'Four stages: "splits the task into four stages that run concurrently" (p. 2).',
            chunks=5,
            time_to_first_token=0.3,
            chars_per_second=200,
        ),
        text_reply('Yes: "it wins every award in physics" (p. 2).', chunks=3),
        match="Question about this paper",
    )
    page.fill("#arxiv-input textarea", "2402.00864")
    box = page.locator("#ask-question textarea")
    box.fill("How is the summarizer organised?")
    page.click("#ask-send")
    chat = page.locator("#ask-chat").first
    chat.get_by_text("1 of 1", exact=False).wait_for()
    link = chat.locator("a[href*='#page=2']").first
    assert link.inner_text() == "2"

    box.fill("Does it win awards?")
    box.press("Enter")
    chat.get_by_text("Does it win awards?").wait_for()
    chat.get_by_text("not found in the paper", exact=False).first.wait_for()
    assert "How is the summarizer organised?" in fake_gemini.generate_requests[-1].prompt

    box.fill("")
    page.click("#ask-send")
    page.get_by_text("Type a question about the paper first.").first.wait_for()


@pytest.fixture
def two_papers_url(fake_gemini, tmp_path):
    with FakeArxiv() as arxiv:
        arxiv.add_paper("2402.00864", title=TITLE_A, pdf=sample_pdf(TITLE_A))
        arxiv.add_paper("2403.00001", title=TITLE_B, pdf=sample_pdf(TITLE_B))
        settings = replace(arxiv.settings(), cache_dir=tmp_path / "cache", max_figures=0)
        demo, url = launch(settings)
        yield url
        demo.close()


@pytest.fixture
def visitor(two_papers_url):
    """Opens the app for a new visitor: each call is a browser context of its own (own
    cookies, storage and Gradio session), as two people on two machines."""
    sync_playwright = _playwright()
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=BROWSER_ARGS)

        def open_page():
            context = browser.new_context(viewport={"width": 1400, "height": 1000})
            tab = context.new_page()
            tab.set_default_timeout(30_000)
            tab.goto(two_papers_url)
            return tab

        yield open_page
        browser.close()


def ask_in(tab, source: str, question: str) -> None:
    tab.fill("#arxiv-input textarea", source)
    tab.fill("#ask-question textarea", question)
    tab.click("#ask-send")


def chat_text(tab) -> str:
    return tab.locator("#ask-chat").first.inner_text()


def test_two_visitors_chats_never_mix(visitor, fake_gemini):
    # A's answer is slow to start, so B asks and is answered while A's is still streaming
    fake_gemini.enqueue(
        text_reply(
            "Alpha answer: it reads in stages.",
            chunks=4,
            time_to_first_token=1.5,
            chars_per_second=40,
        ),
        match="Alpha question",
    )
    fake_gemini.enqueue(text_reply("Bravo answer: keys stay apart."), match="Bravo question")
    first, second = visitor(), visitor()
    ask_in(first, "2402.00864", "Alpha question: how does it read?")
    ask_in(second, "2403.00001", "Bravo question: are keys shared?")
    second.locator("#ask-chat").get_by_text("Bravo answer: keys stay apart.").wait_for()
    first.locator("#ask-chat").get_by_text("Alpha answer: it reads in stages.").wait_for()

    a, b = chat_text(first), chat_text(second)
    assert "Alpha question" in a and "Bravo" not in a
    assert "Bravo question" in b and "Alpha" not in b
    prompts = {r.prompt for r in fake_gemini.generate_requests}
    prompt_b = next(p for p in prompts if "Bravo question" in p)
    assert TITLE_B in prompt_b and TITLE_A not in prompt_b and "Alpha" not in prompt_b
    prompt_a = next(p for p in prompts if "Alpha question" in p)
    assert TITLE_A in prompt_a and "Bravo" not in prompt_a


def test_a_question_before_any_paper_gets_one_clear_sentence(visitor, fake_gemini):
    tab = visitor()
    tab.fill("#ask-question textarea", "What datasets do they use?")
    tab.click("#ask-send")
    message = "Read a paper first: paste an arXiv link or upload a PDF above."
    tab.get_by_text(message).first.wait_for()
    assert tab.get_by_text(message).count() == 1
    assert "Traceback" not in tab.content()
    # nothing is lost: the question stays in its box, in view (not under an "Error" cover),
    # and no model was asked
    assert tab.locator("#ask-question textarea").input_value() == "What datasets do they use?"
    assert tab.locator("#ask-question").get_by_text("Error").count() == 0
    assert not fake_gemini.generate_requests


def test_a_new_paper_starts_a_new_chat(visitor, fake_gemini):
    fake_gemini.enqueue(text_reply("Alpha answer."), match="Alpha question")
    fake_gemini.enqueue(text_reply("Bravo answer."), match="Bravo question")
    tab = visitor()
    ask_in(tab, "2402.00864", "Alpha question?")
    tab.locator("#ask-chat").get_by_text("Alpha answer.").wait_for()
    ask_in(tab, "2403.00001", "Bravo question?")
    tab.locator("#ask-chat").get_by_text("Bravo answer.").wait_for()
    shown = chat_text(tab)
    assert "Alpha" not in shown
    prompt_b = next(r.prompt for r in fake_gemini.generate_requests if "Bravo" in r.prompt)
    assert "Alpha" not in prompt_b and TITLE_B in prompt_b
