"""Issue 10, defect 6: ``summarize ... > summary.md`` must not keep a replaced answer.

Before: the Summary streamed first; when the guard asked again, the bad first answer
("本文采用了XXXX的方法") was already in the file, followed by "(asked again...)". Only a
terminal sees live text now; a file or a pipe gets each part once its guard has passed.
"""

from __future__ import annotations

import pytest

from chatpaper.__main__ import main
from tests.fakes.gemini_server import text_reply
from tests.fakes.stage_replies import gemini_stage_reply
from tests.paperkit import sample_pdf

TITLE = "A Paper Whose First Answer Is Chatty"
BAD_TLDR = "**总结**：本文采用了XXXX的方法。\n\n**要点**\n- 第一点：xxx。\n- 第二点。"


@pytest.fixture
def pdf_path(tmp_path, monkeypatch):
    monkeypatch.setenv("CHATPAPER_CACHE_DIR", str(tmp_path / "cache"))
    path = tmp_path / "paper.pdf"
    path.write_bytes(sample_pdf(TITLE))
    return path


def test_a_file_gets_only_the_clean_answer(pdf_path, fake_gemini, capsys):
    fake_gemini.reply_generator = gemini_stage_reply
    fake_gemini.enqueue(text_reply(BAD_TLDR, chunks=4), match="key takeaways, in")
    assert main(["summarize", str(pdf_path), "--lang", "zh"]) == 0
    printed = capsys.readouterr().out  # not a terminal, as with `> summary.md`
    assert len([r for r in fake_gemini.generate_requests if "key takeaways, in" in r.prompt]) == 2
    assert "XXXX" not in printed and "第一点" not in printed
    assert "asked again" not in printed
    assert f"Finding 1 of {TITLE}" in printed  # the clean second answer
    assert printed.index("**要点**") < printed.index("## 2.") < printed.index("## 4.")
