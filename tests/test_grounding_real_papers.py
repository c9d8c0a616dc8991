"""The checks on real papers: correct citations pass, moved pages and changed numbers are found."""

from __future__ import annotations

from dataclasses import replace

import pytest

from chatpaper.config import Settings
from tests.conftest import SHARED_PAPERS
from tests.grounding_eval import Tally, measure_paper

PAPERS = ["2302.07302v1.pdf", "pasa.pdf", "2206.10883v3.pdf"]


@pytest.mark.papers
def test_offline_citations_verify_and_tampered_ones_are_caught(tmp_path):
    if not all((SHARED_PAPERS / name).is_file() for name in PAPERS):
        pytest.skip(f"the real papers are not available ({SHARED_PAPERS} is absent)")
    settings = replace(Settings(), cache_dir=tmp_path)
    total = Tally()
    for name in PAPERS:
        total.add(measure_paper(SHARED_PAPERS / name, settings))
    assert total.citations >= 30
    assert total.false_alarms == []
    assert total.moved_found >= 0.85 * (total.moved - total.moved_also_there)
    assert total.numbers_found == total.numbers_changed - total.numbers_on_page > 0
