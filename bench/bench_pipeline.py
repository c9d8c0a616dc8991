"""Wall time of a full summary with concurrent stages vs the same stages one after another.

The fake Gemini streams at a realistic pace (about 0.8 s to first token, a few hundred
characters a second); both runs use the real google-genai client in the same process.
Prints the ratio concurrent / sequential (lower is better).
"""

from __future__ import annotations

import time
from dataclasses import replace

from _common import fake_gemini_env

from chatpaper.config import Settings
from chatpaper.i18n import get_language
from chatpaper.llm.base import create_backend
from chatpaper.pipeline import SummaryState, run_pipeline
from tests.fakes.stage_replies import gemini_stage_reply
from tests.paperkit import make_paper


def one_summary(concurrency: int) -> float:
    settings = replace(Settings(), stage_concurrency=concurrency)
    backend = create_backend("gemini", settings)
    state = SummaryState()
    start = time.perf_counter()
    for event in run_pipeline(make_paper(), backend, get_language("en"), concurrency=concurrency):
        state.apply(event)
    elapsed = time.perf_counter() - start
    assert not state.errors, state.errors
    return elapsed


def main() -> None:
    with fake_gemini_env(time_to_first_token=0.8, chars_per_second=300) as server:
        server.reply_generator = gemini_stage_reply
        one_summary(4)  # warm-up: imports, first connection
        sequential = min(one_summary(1) for _ in range(2))
        concurrent = min(one_summary(4) for _ in range(2))
    print(f"sequential stages: {sequential:.2f} s")
    print(f"concurrent stages: {concurrent:.2f} s")
    print(f"ratio concurrent/sequential: {concurrent / sequential:.2f}")


if __name__ == "__main__":
    main()
