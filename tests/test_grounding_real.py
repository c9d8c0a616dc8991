"""The grounding checks on two real papers: correct citations (the offline engine's exact
quotes) raise no alarm, citations moved far away are reported with their right page, and a
changed figure in a cited claim is marked. The full figures over all papers come from
bench/bench_grounding.py."""

from __future__ import annotations

from dataclasses import replace

import pytest

from chatpaper.config import Settings
from tests.conftest import shared_papers_or_skip
from tests.grounding_eval import measure_paper


@pytest.mark.parametrize("name", ["pasa.pdf", "2020.acl-main.447.pdf"])
def test_checks_on_a_real_paper(name, tmp_path):
    path = shared_papers_or_skip() / name
    tally = measure_paper(path, replace(Settings(), cache_dir=tmp_path))
    assert tally.citations >= 10
    assert tally.false_alarms == []
    movable = tally.moved - tally.moved_also_there
    assert tally.moved_found >= 0.9 * movable
    assert tally.numbers_found == tally.numbers_changed - tally.numbers_on_page
