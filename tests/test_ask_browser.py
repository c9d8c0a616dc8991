"""The "Ask about this paper" chat in a real browser (Playwright + Debian's Chromium)."""

from __future__ import annotations

import pytest

from tests.fakes.gemini_server import text_reply
from tests.test_browser import app_url, page  # noqa: F401  (fixtures)

pytestmark = pytest.mark.browser


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
