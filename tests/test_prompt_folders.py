"""Where prompts come from: the top-level prompts/ folder (checkout, editable install, Space),
the package in an installed wheel, or a user's own copy named by CHATPAPER_PROMPTS_DIR."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from chatpaper import guard
from chatpaper.__main__ import main
from chatpaper.i18n import get_language
from chatpaper.pipeline import run_pipeline
from chatpaper.prompts import PROMPT_DIR, corrections, load_prompts, prompt_version
from chatpaper.summarize import SummaryJob
from tests.fakes.backend import FakeBackend
from tests.paperkit import CLEAN_EN, make_paper, sample_pdf

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def own_prompts(tmp_path, monkeypatch) -> Path:
    """A copy of the bundled prompts that CHATPAPER_PROMPTS_DIR points at."""
    folder = tmp_path / "my-prompts"
    shutil.copytree(PROMPT_DIR, folder)
    monkeypatch.setenv("CHATPAPER_PROMPTS_DIR", str(folder))
    return folder


def test_the_bundled_prompts_are_the_top_level_folder_in_a_checkout():
    assert PROMPT_DIR.resolve() == REPO / "prompts"
    assert not (REPO / "chatpaper" / "prompts").exists()


def test_every_correction_names_a_kind_the_guard_reports():
    assert set(corrections()) <= set(guard.KINDS)
    assert {"template_slot", "wrong_language", "missing_part"} <= set(corrections())


def test_an_edited_copy_reaches_the_model_and_changes_the_cache_key(
    own_prompts, settings, monkeypatch
):
    methods = own_prompts / "methods.md"
    methods.write_text(
        methods.read_text(encoding="utf-8") + "\nName every dataset the method uses.\n",
        encoding="utf-8",
    )
    backend = FakeBackend()
    for stage, text in CLEAN_EN.items():
        backend.enqueue(stage, text)
    job = SummaryJob(make_paper(), backend, settings=settings)
    list(job.events())

    prompts = {r.stage: r.prompt for r in backend.history}
    assert prompts["methods"].endswith("Name every dataset the method uses.")
    assert "Name every dataset" not in prompts["overview"]
    assert prompt_version() != prompt_version(PROMPT_DIR)
    edited_key = job.cache_key
    monkeypatch.delenv("CHATPAPER_PROMPTS_DIR")
    assert SummaryJob(make_paper(), backend, settings=settings).cache_key != edited_key


def test_an_edited_correction_is_what_the_model_is_told_when_asked_again(own_prompts):
    path = own_prompts / "corrections.md"
    text = path.read_text(encoding="utf-8")
    path.write_text(
        text.replace(
            "## template_slot\n", "## template_slot\nNo slots please, such as {examples}.\n"
        ),
        encoding="utf-8",
    )
    backend = FakeBackend()
    backend.enqueue("methods", "(1) **Step**: xxx")
    backend.enqueue("methods", "(1) **Step**: the method reads the paper in stages.")
    list(run_pipeline(make_paper(), backend, get_language("en"), stages=("methods",)))
    assert len(backend.history) == 2
    assert "No slots please, such as 'xxx'." in backend.history[1].prompt


def test_a_copy_missing_a_placeholder_is_one_sentence_at_the_start(own_prompts, capsys):
    tldr = own_prompts / "tldr.md"
    tldr.write_text(tldr.read_text(encoding="utf-8").replace("{abstract}", ""), encoding="utf-8")

    assert main(["engines"]) == 2

    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert "tldr.md" in err and "abstract" in err and "CHATPAPER_PROMPTS_DIR" in err


def test_the_app_does_not_start_on_a_broken_copy_and_says_why(own_prompts):
    (own_prompts / "methods.md").unlink()
    env = {**os.environ, "GRADIO_ANALYTICS_ENABLED": "False"}
    done = subprocess.run(
        [sys.executable, "-c", "import app"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1
    assert done.stderr.strip().splitlines()[-1].startswith("chatpaper: Prompt file methods.md")
    assert "Traceback" not in done.stderr


def test_a_folder_that_does_not_exist_is_named(monkeypatch, tmp_path):
    monkeypatch.setenv("CHATPAPER_PROMPTS_DIR", str(tmp_path / "nowhere"))
    with pytest.raises(Exception, match="nowhere"):
        load_prompts()


def test_an_installed_wheel_summarizes_a_pdf_offline_with_its_bundled_prompts(tmp_path):
    """``pip install .`` (a wheel, not editable) must carry the prompts inside the package."""
    source = tmp_path / "src"
    shutil.copytree(
        REPO,
        source,
        ignore=shutil.ignore_patterns(
            ".git", ".venv", "tests", "build", "dist", "*.egg-info", "__pycache__", ".*_cache"
        ),
    )
    dist = tmp_path / "dist"
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    subprocess.run(
        [*pip, "wheel", "--no-deps", "--no-build-isolation", "-w", dist, source],
        check=True,
        capture_output=True,
        timeout=120,
    )
    wheel = next(dist.glob("chatpaper-*.whl"))

    # A fresh venv; the dev venv's installed packages (gradio, pypdf, ...) stand in for the
    # dependencies, so nothing is downloaded. The wheel's chatpaper comes first on the path.
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", venv], check=True)
    python = venv / "bin" / "python"
    fresh_site = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    dev_site = next(p for p in sys.path if p.endswith("site-packages") and Path(p).is_dir())
    Path(fresh_site, "dev-deps.pth").write_text(dev_site + "\n", encoding="utf-8")
    subprocess.run(
        [*pip, "--python", python, "install", "--no-deps", "--no-index", wheel],
        check=True,
        capture_output=True,
        timeout=120,
    )

    pdf = tmp_path / "paper.pdf"
    pdf.write_bytes(sample_pdf())
    env = {k: v for k, v in os.environ.items() if k != "CHATPAPER_PROMPTS_DIR"}
    env.update(PYTHONPATH="", CHATPAPER_CACHE_DIR=str(tmp_path / "cache"))
    where = subprocess.run(
        [python, "-c", "import chatpaper.prompts as p; print(p.PROMPT_DIR)"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert where == str(Path(fresh_site) / "chatpaper" / "bundled_prompts")
    shipped = subprocess.run(  # the bundled example paper (issue 12) is in the wheel too
        [python, "-c", "from chatpaper.examples import example_pdf; print(example_pdf())"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert shipped == str(Path(fresh_site) / "chatpaper" / "examples" / "chatpaper-example.pdf")
    bundled = REPO / "chatpaper" / "examples" / "chatpaper-example.pdf"
    assert Path(shipped).read_bytes() == bundled.read_bytes()
    done = subprocess.run(
        [python, "-m", "chatpaper", "summarize", pdf, "--engine", "offline", "--no-cache"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "# Staged Reading of Scientific Papers" in done.stdout
    assert "## 3. " in done.stdout and "staged summarizer" in done.stdout
