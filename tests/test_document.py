"""One place turns a finished summary into the document: panels, download, figures."""

from __future__ import annotations

import io
import zipfile
from dataclasses import replace

from PIL import Image

from chatpaper.document import build_document, figures_of, stage_panels
from chatpaper.i18n import get_language
from chatpaper.paper import Figure
from tests.paperkit import CLEAN_EN, make_paper
from tests.test_prompts_render_cache import state_from


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), "white").save(out, "PNG")
    return out.getvalue()


def test_the_panels_and_the_download_number_the_stages_alike():
    state = state_from(CLEAN_EN)
    for code in ("en", "zh"):
        lang = get_language(code)
        panels = stage_panels(state, lang)
        doc = build_document(make_paper(), state, lang).markdown
        assert f"\n## 1. {lang.labels['basic_info']}\n" in doc
        for stage, number in (("overview", "2"), ("methods", "3"), ("conclusion", "4")):
            heading = f"{number}. {lang.labels[stage]}"
            assert panels[stage].startswith(f"## {heading}\n\n")
            assert panels[stage] in doc  # the page shows exactly what the download holds
        assert not panels["tldr"].startswith("#")
        assert "6." not in doc and lang.labels["overview"] != lang.labels["summary"]


def test_a_stage_with_nothing_yet_has_an_empty_panel_without_a_heading():
    state = state_from({"tldr": CLEAN_EN["tldr"]})
    panels = stage_panels(state, get_language("en"))
    assert panels["methods"] == "" and panels["tldr"]


def test_the_download_is_the_md_alone_or_a_zip_with_its_figures(tmp_path):
    lang = get_language("en")
    state = state_from(CLEAN_EN)
    alone = build_document(make_paper(), state, lang).download(tmp_path / "a", "s")
    assert alone.name == "s.md" and "## 3. Methods" in alone.read_text(encoding="utf-8")

    figure = Figure(page=2, image=png(), mime="image/png", width=8, height=8, caption="Fig 1")
    zipped = build_document(make_paper(), state, lang, figures=[figure]).download(
        tmp_path / "b", "s"
    )
    names = zipfile.ZipFile(zipped).namelist()
    assert zipped.suffix == ".zip" and "s.md" in names and any("s_images/" in n for n in names)


def test_a_paper_whose_figures_fail_still_gets_its_document(settings):
    broken = replace(make_paper(), pdf_bytes=b"%PDF-1.4 not really")
    assert figures_of(broken, settings) == []
    assert figures_of(make_paper(), replace(settings, max_figures=0)) == []
