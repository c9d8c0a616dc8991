"""Time of extract_figures per paper, against reading the same PDF's text with pypdf.

The baseline is what every summary already pays (open the PDF with pypdf, extract_text() of
every page), measured in the same run on the same machine, so the ratio says what figures add.
Prints one line per paper of ../shared/papers and the totals; lower ratios are better.
"""

from __future__ import annotations

import io
import logging
import time

from _common import SHARED_PAPERS
from pypdf import PdfReader

from chatpaper.figures import extract_figures


def read_text_with_pypdf(data: bytes) -> int:
    """The baseline: open the PDF and extract every page's text; returns the page count."""
    reader = PdfReader(io.BytesIO(data))
    for page in reader.pages:
        page.extract_text()
    return len(reader.pages)


def best_of(fn, repeat: int) -> tuple[float, object]:
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def main() -> None:
    logging.getLogger("pypdf").setLevel(logging.ERROR)  # "fontTools is required" noise
    papers = sorted(SHARED_PAPERS.glob("*.pdf"))
    if not papers:
        raise SystemExit(f"no papers in {SHARED_PAPERS}")
    extract_figures(papers[0].read_bytes())  # warm-up: imports, pdfium init
    print(f"{'paper':28} {'pages':>5} {'pypdf text':>11} {'figures':>9} {'ratio':>6}  found")
    total_text = total_figures = 0.0
    for path in papers:
        data = path.read_bytes()
        text_time, pages = best_of(lambda data=data: read_text_with_pypdf(data), 1)
        figure_time, figures = best_of(lambda data=data: extract_figures(data), 2)
        total_text += text_time
        total_figures += figure_time
        sizes = ", ".join(f"p{f.page} {f.width}x{f.height}" for f in figures)  # type: ignore
        print(
            f"{path.name:28} {pages:5d} {text_time * 1000:9.0f}ms {figure_time * 1000:7.0f}ms "
            f"{figure_time / text_time:6.2f}  {len(figures)}: {sizes}"  # type: ignore
        )
    mean = total_figures / len(papers) * 1000
    print(
        f"{'total':28} {'':5} {total_text * 1000:9.0f}ms {total_figures * 1000:7.0f}ms "
        f"{total_figures / total_text:6.2f}  (mean {mean:.0f} ms per paper)"
    )


if __name__ == "__main__":
    main()
