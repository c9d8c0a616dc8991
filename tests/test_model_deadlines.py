"""Issue 10, defect 5: a Gemini that never sends a first token must not hold a job slot.

Before: 4 attempts of 300 s each with the defaults (about 20 minutes per stage); eight such
hangs filled every slot of the app. Now each attempt must bring text within the first-token
deadline, every attempt and wait fits in one deadline per stage, and the job ends in time.
"""

from __future__ import annotations

import time
from dataclasses import replace

import pytest

from chatpaper.__main__ import main
from chatpaper.config import Settings
from chatpaper.errors import BackendError, StreamInterruptedError
from chatpaper.llm import StageRequest
from chatpaper.llm.gemini import GeminiBackend
from tests.fakes.gemini_server import FAKE_GEMINI_KEY, text_reply
from tests.paperkit import sample_pdf

REQUEST = StageRequest(
    stage="tldr", system="You write the TL;DR.", prompt="PAPER TEXT: A paper.", max_output_tokens=300
)
FAST = replace(Settings(), first_token_timeout=1.0, stage_deadline=4.0, max_retries=3)


def test_no_first_token_ends_within_the_stage_deadline(fake_gemini):
    fake_gemini.time_to_first_token = 600  # never
    backend = GeminiBackend(FAST, api_key=FAKE_GEMINI_KEY, backoff_base=0.2)
    started = time.monotonic()
    with pytest.raises(BackendError) as err:
        list(backend.stream(REQUEST))
    elapsed = time.monotonic() - started
    assert elapsed < FAST.stage_deadline + 1.5, elapsed  # before: 4 x 300 s
    assert "sent no text within 1 s" in str(err.value)
    assert 2 <= len(fake_gemini.generate_requests) <= 4  # retried, within the time budget


def test_an_answer_still_arriving_at_the_deadline_keeps_its_text(fake_gemini):
    fake_gemini.enqueue(text_reply("Word " * 80, chunks=40, chars_per_second=60))  # ~7 s
    backend = GeminiBackend(
        replace(FAST, stage_deadline=2.0), api_key=FAKE_GEMINI_KEY, backoff_base=0.2
    )
    texts: list[str] = []
    started = time.monotonic()
    with pytest.raises(StreamInterruptedError) as err:
        for piece in backend.stream(REQUEST):
            if isinstance(piece, str):
                texts.append(piece)
    assert time.monotonic() - started < 4
    assert texts and "the text so far is kept" in str(err.value)


def test_the_cli_job_ends_in_time_and_exits_1_when_every_part_failed(
    fake_gemini, tmp_path, monkeypatch, capsys
):
    fake_gemini.time_to_first_token = 600
    monkeypatch.setenv("CHATPAPER_FIRST_TOKEN_TIMEOUT", "1")
    monkeypatch.setenv("CHATPAPER_STAGE_DEADLINE", "3")
    monkeypatch.setenv("CHATPAPER_CACHE_DIR", str(tmp_path / "cache"))
    pdf = tmp_path / "paper.pdf"
    pdf.write_bytes(sample_pdf("A Paper Gemini Never Answers"))
    started = time.monotonic()
    code = main(["summarize", str(pdf), "--engine", "gemini"])
    assert time.monotonic() - started < 8  # four stages at once, each within its 3 s
    assert code == 1  # every part failed (3 means some parts failed)
    errors = [line for line in capsys.readouterr().err.splitlines() if "failed" in line]
    assert len(errors) == 4 and all("Gemini" in line for line in errors), errors
