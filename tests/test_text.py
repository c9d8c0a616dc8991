"""The shared text and retry helpers (each replaced two to four copies)."""

from __future__ import annotations

import pytest

from chatpaper.context import estimate_tokens
from chatpaper.text import CAPTION_LINE_RE, count_cjk, is_han, one_line, redact, title_key


def test_one_line_folds_hard_wrapping_and_none():
    assert one_line("Attention Is\n  All You   Need") == "Attention Is All You Need"
    assert one_line(None) == ""


def test_titles_that_differ_only_in_case_width_or_punctuation_are_one_paper():
    assert title_key("Ｄiffusion: Models—Fast!") == title_key("diffusion models fast")
    assert title_key("Diffusion Models") != title_key("Diffusion Model")


def test_cjk_counts_kana_han_hangul_and_full_width_each_about_a_token():
    assert count_cjk("注意力 かな 한국 ，abc") == 8
    assert estimate_tokens("注意力机制") == 5
    assert is_han("注") and not is_han("か") and not is_han("a")


def test_a_long_message_is_one_bounded_line_without_keys():
    text = redact("key AIzaSyA-0123456789abcdefghijk\n" + "x" * 500, None)
    assert "AIza" not in text and "\n" not in text and len(text) == 203


@pytest.mark.parametrize(
    ("line", "caption"),
    [
        ("Figure 3: The pipeline.", True),
        ("Fig. 2 shows", True),
        ("Table S1", True),  # supplementary
        ("Tab. 4 Results", True),
        ("Eq. 5 gives", True),
        ("(A) Panel one", True),
        ("Figures are shown below", False),
        ("3 Method", False),
    ],
)
def test_caption_lines(line, caption):
    assert bool(CAPTION_LINE_RE.match(line)) is caption
