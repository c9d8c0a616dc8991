"""Issue 10, defect 2: an unwritable results cache must not turn a good summary into a failure.

Before: every part streamed, then every panel showed a bare red "Error" and no download; the
CLI printed the summary, then a traceback, exited 1 and did not write ``--out``.
"""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

import pytest
from gradio_client import Client, handle_file

from chatpaper.__main__ import main
from chatpaper.config import Settings
from chatpaper.ui import build_ui
from chatpaper.ui import launch as launch_app
from tests.paperkit import sample_pdf
from tests.test_app_e2e import free_port

TITLE = "A Paper Whose Cache Is Broken"


def broken_cache(kind: str, tmp_path: Path) -> Path:
    """A cache folder that cannot be used, of the given kind."""
    if kind == "file":
        path = tmp_path / "cache"
        path.write_text("not a folder")
        return path
    parent = tmp_path / "locked"
    parent.mkdir()
    if kind == "read-only":
        path = parent / "cache"
        path.mkdir()
        locked = path
    else:  # "missing under a read-only parent"
        path = parent / "cache" / "chatpaper"
        locked = parent
    locked.chmod(0o555)
    if os.access(locked, os.W_OK):  # root ignores permissions: use a read-only file system
        if not Path("/sys/kernel").is_dir():
            pytest.skip("running as root with no read-only file system to point at")
        path = Path("/sys/kernel") if kind == "read-only" else Path("/sys/chatpaper-cache/x")
    return path


KINDS = ["read-only", "missing under a read-only parent", "file"]


@pytest.fixture(autouse=True)
def _unlock(tmp_path):
    yield
    locked = tmp_path / "locked"
    for path in (locked, locked / "cache"):
        if path.exists():
            path.chmod(0o755)


@pytest.mark.parametrize("kind", KINDS)
def test_cli_summarizes_and_writes_out_with_a_broken_cache(kind, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("CHATPAPER_CACHE_DIR", str(broken_cache(kind, tmp_path)))
    pdf = tmp_path / "paper.pdf"
    pdf.write_bytes(sample_pdf(TITLE))
    out = tmp_path / "summary.md"
    assert main(["summarize", str(pdf), "--engine", "offline", "--out", str(out)]) == 0
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    assert TITLE in out.read_text(encoding="utf-8")
    assert "## 4." in out.read_text(encoding="utf-8")


@pytest.fixture
def app_url_for(tmp_path):
    demos = []

    def start(cache_dir: Path) -> str:
        settings = replace(Settings(), cache_dir=cache_dir, max_figures=0, engine="offline")
        demo = build_ui(settings)
        port = free_port()
        launch_app(demo, settings, server_name="127.0.0.1", server_port=port,
                   prevent_thread_lock=True, quiet=True)  # fmt: skip
        demos.append(demo)
        return f"http://127.0.0.1:{port}/"

    yield start
    for demo in demos:
        demo.close()


@pytest.mark.parametrize("kind", KINDS)
def test_app_offers_the_download_with_a_broken_cache(kind, tmp_path, app_url_for):
    url = app_url_for(broken_cache(kind, tmp_path))
    pdf = tmp_path / "paper.pdf"
    pdf.write_bytes(sample_pdf(TITLE))
    client = Client(url, analytics_enabled=False, verbose=False)
    for _ in range(2):  # the second run reads the broken cache too
        job = client.submit("", handle_file(str(pdf)), "en", "offline", "", "", False,
                            api_name="/summarize")  # fmt: skip
        status, header, _tldr, _basic, overview, _methods, conclusion, download = job.result()
        assert "Finished" in status
        assert TITLE in header and overview and conclusion
        assert TITLE in Path(download).read_text(encoding="utf-8")


def test_the_first_status_says_read_n_pages_once(tmp_path, app_url_for):
    """Before: "Read 2 pages. Read 2 pages." (the reader's note appended to our own)."""
    url = app_url_for(tmp_path / "cache")
    pdf = tmp_path / "paper.pdf"
    pdf.write_bytes(sample_pdf(TITLE))
    client = Client(url, analytics_enabled=False, verbose=False)
    job = client.submit("", handle_file(str(pdf)), "en", "offline", "", "", False,
                        api_name="/summarize")  # fmt: skip
    statuses = [output[0] for output in job]
    reads = [s for s in statuses if "Read " in s]
    assert reads and all(s.count("Read ") == 1 for s in reads), reads
