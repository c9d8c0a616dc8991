"""The page-citation and numbers checks on the real papers: what they find, and what they cost.

Correct citations come from the offline engine (exact quotes with their pages). Variants move
each citation to a far page and change one number per cited claim. The cost is the time of the
checks per summary as a ratio to reading the same PDF, both measured in this run.

    python bench/bench_grounding.py
"""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

from _common import REPO

from chatpaper.config import Settings
from tests.grounding_eval import Tally, measure_paper

FOLDERS = [REPO.parent / "shared" / "papers", REPO.parent / "shared" / "litqa" / "pdfs"]


def main() -> int:
    settings = replace(Settings(), cache_dir=Path("/tmp/chatpaper-bench-grounding"))
    for folder in FOLDERS:
        pdfs = sorted(folder.glob("*.pdf"))
        if not pdfs:
            print(f"{folder}: absent, skipped")
            continue
        total = Tally()
        for pdf in pdfs:
            total.add(measure_paper(pdf, settings))
        movable = total.moved - total.moved_also_there
        changed = total.numbers_changed - total.numbers_on_page
        print(f"{folder.name}: {len(pdfs)} papers, {total.citations} correct citations")
        print(
            f"  false alarms on correct citations: {len(total.false_alarms)} "
            f"({len(total.false_alarms) / max(total.citations, 1):.1%})"
        )
        for alarm in total.false_alarms[:5]:
            print(f"    {alarm}")
        print(
            f"  citations moved to a far page: {total.moved}; found as wrong page with the right "
            f"page: {total.moved_found} ({total.moved_found / max(total.moved, 1):.1%}); "
            f"of those whose sentence is not also on the new page: "
            f"{total.moved_found / max(movable, 1):.1%}"
        )
        print(
            f"  numbers changed: {changed} not printed on the cited page, "
            f"found {total.numbers_found} ({total.numbers_found / max(changed, 1):.1%}); "
            f"{total.numbers_on_page} more changed to a value the cited page prints (undetectable)"
        )
        print(f"  checks / reading the PDF: {total.check_seconds / total.read_seconds:.3f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
