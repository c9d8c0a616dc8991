"""Time of our whole reading path against bare pypdf, on the 79-page survey.

Ours: ``read_pdf`` (pypdf in a warm, bounded worker process) + ``clean_pages`` +
``find_sections`` + ``title_and_authors`` (``read_document`` runs all of them in the worker). Baseline: open the PDF with pypdf in this process and
``extract_text()`` every page. Both run in the same process, alternating, a few times; the
medians and their ratio are printed (1.00 means no cost beyond pypdf itself). Also prints the
fixed cost of the worker round trip on a one-page PDF and the first (cold) call.

    .venv/bin/python bench/bench_inspect.py [path.pdf] [--repeat N]
"""

from __future__ import annotations

import argparse
import io
import logging
import statistics
import subprocess
import sys
import time
from pathlib import Path

from _common import REPO, SHARED_PAPERS
from pypdf import PdfReader

from chatpaper import pdf
from chatpaper.pdf.pypdf_reader import extract_text
from chatpaper.pdf.titles import title_and_authors
from chatpaper.sections import find_sections
from tests.fakes.pdfgen import make_pdf


def bare_pypdf(data: bytes) -> int:
    reader = PdfReader(io.BytesIO(data))
    return sum(len(page.extract_text()) for page in reader.pages)


def our_path(data: bytes) -> tuple[int, int, str]:
    document = pdf.read_document(data, max_pages=1000, timeout=300)
    return len(document.pages), len(document.sections), document.title


def timed(fn, *args, **kwargs) -> tuple[float, object]:
    start = time.perf_counter()
    result = fn(*args, **kwargs)
    return time.perf_counter() - start, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("pdf", nargs="?", default=str(SHARED_PAPERS / "2407.01603.pdf"))
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    path = Path(args.pdf)
    if not path.is_file():
        sys.exit(f"{path} not found (the real papers live in ../shared/papers)")
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    data = path.read_bytes()

    cold, (n_pages, n_sections, title) = timed(our_path, data)  # starts the worker
    ours, bare, steps = [], [], {"extract": [], "clean": [], "sections": [], "title": []}
    for _ in range(args.repeat):
        t_bare, _ = timed(bare_pypdf, data)
        t_extract, raw = timed(pdf.read_pdf, data, max_pages=1000, timeout=300)
        t_clean, pages = timed(pdf.clean_pages, raw.pages)
        t_sections, _ = timed(find_sections, pages)
        t_title, _ = timed(title_and_authors, raw, pages[0])
        bare.append(t_bare)
        ours.append(t_extract + t_clean + t_sections + t_title)
        for key, value in zip(steps, (t_extract, t_clean, t_sections, t_title), strict=True):
            steps[key].append(value)

    tiny = make_pdf(["A one-page PDF with a sentence or two of text to read back."] * 1)
    round_trip = statistics.median(
        timed(pdf.extract_pages, tiny, max_pages=5, timeout=30)[0] for _ in range(10)
    )
    in_process = statistics.median(timed(extract_text, tiny, 5)[0] for _ in range(10))

    ours_median, bare_median = statistics.median(ours), statistics.median(bare)
    print(f"{path.name}: {n_pages} pages, {n_sections} sections, title {title!r}")
    print(f"bare pypdf extract_text:  {bare_median:7.3f} s  (median of {args.repeat})")
    print(f"our full path:            {ours_median:7.3f} s  (median of {args.repeat})")
    for key, values in steps.items():
        print(f"  {key:<10} {statistics.median(values) * 1000:8.1f} ms")
    print(f"first call (cold worker): {cold:7.3f} s")
    print(
        f"worker round trip, 1-page PDF: {round_trip * 1000:.1f} ms "
        f"(in-process {in_process * 1000:.1f} ms)"
    )
    print(f"ratio ours / bare pypdf:  {ours_median / bare_median:.2f}")

    # The whole command as a user runs it (a fresh process, figures counted), against a fresh
    # process that only runs bare pypdf over the pages.
    bare_script = (
        "import io, sys, logging; from pypdf import PdfReader;"
        "logging.getLogger('pypdf').setLevel(logging.ERROR);"
        "r = PdfReader(io.BytesIO(open(sys.argv[1], 'rb').read()));"
        "print(sum(len(p.extract_text()) for p in r.pages))"
    )
    command = [sys.executable, "-m", "chatpaper", "inspect", str(path), "--json"]
    bare_process = [sys.executable, "-c", bare_script, str(path)]
    cli, plain = [], []
    for _ in range(3):
        plain.append(timed(subprocess.run, bare_process, capture_output=True, check=True)[0])
        cli.append(timed(subprocess.run, command, capture_output=True, check=True, cwd=REPO)[0])
    print(f"python -m chatpaper inspect --json: {statistics.median(cli):7.3f} s")
    print(f"python -c <bare pypdf>:             {statistics.median(plain):7.3f} s")
    print(
        f"ratio inspect command / bare pypdf process: "
        f"{statistics.median(cli) / statistics.median(plain):.2f}"
    )


if __name__ == "__main__":
    main()
