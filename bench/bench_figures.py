"""Figure extraction before and after issue 12's sizing rule: time, peak memory, bytes.

"Before" is the extractor as it was on main before the change (fixed 110 dpi, longest side at
most 1600 px, full-colour PNG), loaded from git at ``BEFORE_COMMIT``; "after" is the current
one (twice the displayed width, 256-colour PNG for line art). Both run in the same session on
the same PDFs, each paper in a fresh process per rule so that its peak memory can be read:
the peak resident set size during the extraction, over what the process held just before.
Also shown: reading the same PDF's text with pypdf, which every summary already pays.

    python bench/bench_figures.py            # ../shared/papers
    python bench/bench_figures.py --litqa    # and ../shared/litqa/pdfs
"""

from __future__ import annotations

import importlib.util
import io
import json
import logging
import subprocess
import sys
import time
from pathlib import Path

from _common import REPO, SHARED_PAPERS

BEFORE_COMMIT = "97ee32c"  # main before issue 12's figure work
LITQA = REPO.parent / "shared" / "litqa" / "pdfs"


def load_extractor(rule: str):
    """``extract_figures`` of the current code ("after") or of BEFORE_COMMIT ("before")."""
    if rule == "after":
        from chatpaper.figures import extract_figures

        return extract_figures
    source = subprocess.run(
        ["git", "-C", str(REPO), "show", f"{BEFORE_COMMIT}:chatpaper/figures.py"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    spec = importlib.util.spec_from_loader("figures_before", loader=None)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    exec(compile(source, "figures_before.py", "exec"), module.__dict__)
    return module.extract_figures


def _status_mb(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024  # kB
    raise RuntimeError(f"no {field} in /proc/self/status")


def reset_peak_rss() -> float:
    """Start counting the peak from now (Linux: 5 to clear_refs resets VmHWM); the RSS now."""
    Path("/proc/self/clear_refs").write_text("5")
    return _status_mb("VmRSS")


def peak_rss_mb() -> float:
    return _status_mb("VmHWM")


def child(rule: str, pdf: Path) -> None:
    """One paper, one rule, in this fresh process: prints one JSON line."""
    extract = load_extractor(rule)
    data = pdf.read_bytes()
    extract(b"")  # pdfium initialised before the memory baseline is taken
    before = reset_peak_rss()
    best, figures = float("inf"), []
    for _ in range(2):
        start = time.perf_counter()
        figures = extract(data)
        best = min(best, time.perf_counter() - start)
    result = {
        "seconds": best,
        "peak_mb": peak_rss_mb() - before,
        "bytes": [len(f.image) for f in figures],
        "sizes": [f"{f.width}x{f.height}" for f in figures],
        "jpeg": sum(f.mime == "image/jpeg" for f in figures),
    }
    print(json.dumps(result))


def run_child(rule: str, pdf: Path) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--child", rule, str(pdf)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def pypdf_text_seconds(data: bytes) -> float:
    from pypdf import PdfReader

    start = time.perf_counter()
    for page in PdfReader(io.BytesIO(data)).pages:
        try:
            page.extract_text()
        except Exception:  # pypdf's limits on a huge content stream: the app skips the page
            continue
    return time.perf_counter() - start


def main() -> None:
    logging.getLogger("pypdf").setLevel(logging.ERROR)  # "fontTools is required" noise
    papers = sorted(SHARED_PAPERS.glob("*.pdf"))
    if "--litqa" in sys.argv:
        papers += sorted(LITQA.glob("*.pdf"))
    if not papers:
        raise SystemExit(f"no papers in {SHARED_PAPERS}")
    print(
        f"{'paper':30} {'text':>6} {'before':>7} {'after':>7} {'time':>5} "
        f"{'MB bef':>6} {'MB aft':>6} {'KB/fig b':>8} {'KB/fig a':>8}  widths after"
    )
    totals = {"text": 0.0, "before": 0.0, "after": 0.0}
    peaks = {"before": 0.0, "after": 0.0}
    figure_bytes = {"before": [], "after": []}
    jpegs = {"before": 0, "after": 0}
    for path in papers:
        text = pypdf_text_seconds(path.read_bytes())
        results = {rule: run_child(rule, path) for rule in ("before", "after")}
        totals["text"] += text
        for rule, result in results.items():
            totals[rule] += result["seconds"]
            peaks[rule] = max(peaks[rule], result["peak_mb"])
            figure_bytes[rule] += result["bytes"]
            jpegs[rule] += result["jpeg"]
        b, a = results["before"], results["after"]

        def per_figure(result: dict) -> float:
            return sum(result["bytes"]) / max(1, len(result["bytes"])) / 1024

        print(
            f"{path.name[:30]:30} {text * 1000:4.0f}ms {b['seconds'] * 1000:5.0f}ms "
            f"{a['seconds'] * 1000:5.0f}ms {a['seconds'] / b['seconds']:5.2f} "
            f"{b['peak_mb']:6.1f} {a['peak_mb']:6.1f} {per_figure(b):8.0f} {per_figure(a):8.0f}  "
            + ",".join(size.split("x")[0] for size in a["sizes"])
        )
    n_before, n_after = len(figure_bytes["before"]), len(figure_bytes["after"])
    kb_before = sum(figure_bytes["before"]) / max(1, n_before) / 1024
    kb_after = sum(figure_bytes["after"]) / max(1, n_after) / 1024
    print(
        f"\n{len(papers)} papers, {n_before} figures before, {n_after} after "
        f"(JPEG: {jpegs['before']} before, {jpegs['after']} after)\n"
        f"time        before {totals['before']:6.2f} s  after {totals['after']:6.2f} s  "
        f"ratio {totals['after'] / totals['before']:.2f}  "
        f"(pypdf text {totals['text']:.2f} s; after/text {totals['after'] / totals['text']:.2f})\n"
        f"peak memory before {peaks['before']:6.1f} MB after {peaks['after']:6.1f} MB "
        f"ratio {peaks['after'] / max(peaks['before'], 0.1):.2f}  (the largest paper's, "
        f"over the process's RSS before it)\n"
        f"bytes/figure before {kb_before:6.0f} KB after {kb_after:6.0f} KB "
        f"ratio {kb_after / max(kb_before, 0.001):.2f}"
    )


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--child":
        child(sys.argv[2], Path(sys.argv[3]))
    else:
        main()
