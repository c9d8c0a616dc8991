"""``check FILE`` on one of our summaries reads it as a document: its warnings, its numbered
parts, and each part's own language."""

from __future__ import annotations

from chatpaper.config import Settings
from chatpaper.i18n import get_language
from chatpaper.summarize import SummaryJob
from chatpaper.summary_check import check_summary, summary_language
from tests.fakes.backend import FakeBackend
from tests.paperkit import CLEAN_EN, make_paper

EN = get_language("en")


def clean_summary(tmp_path) -> str:
    backend = FakeBackend()
    for stage, text in CLEAN_EN.items():
        backend.enqueue(stage, text)
    job = SummaryJob(make_paper(), backend, settings=Settings(cache_dir=tmp_path))
    list(job.events())
    return job.markdown()


def kinds(text: str) -> set[str]:
    lang = summary_language(text)
    assert lang is EN
    return {d.kind for d in check_summary(text, lang)}


def test_a_clean_summary_has_no_defects(tmp_path):
    assert kinds(clean_summary(tmp_path)) == set()


def test_warnings_in_the_file_count_as_defects(tmp_path):
    text = clean_summary(tmp_path) + "\n\n> ⚠️ Check this part: template_slot: (1) XXXX\n"
    assert "flagged" in kinds(text)


def test_a_part_point_mid_sentence_is_not_the_part(tmp_path):
    text = clean_summary(tmp_path)
    lines = text.splitlines()
    i = next(i for i, line in enumerate(lines) if line.lstrip().startswith("(2)"))
    lines[i - 1] = lines[i - 1] + " see also " + lines[i].lstrip()  # "(2)" now mid-sentence
    del lines[i]
    found = check_summary("\n".join(lines), EN)
    assert any(d.kind == "missing_part" and "(2)" in d.text for d in found)


def test_each_part_is_judged_in_its_own_language(tmp_path):
    text = clean_summary(tmp_path)
    heading = next(line for line in text.splitlines() if line.startswith("## 4."))
    start = text.index(heading) + len(heading)
    chinese = "\n\n(1) 本文提出了一种新的检索方法，并在多个数据集上进行了实验。\n(2) 结果表明该方法在准确率和速度上都优于以往的基线方法。\n(3) 作者分析了该方法的局限，包括对长文档的处理能力不足。\n(4) 未来工作包括扩展到更多语言。\n"
    end = text.find("\n## ", start)
    text = text[:start] + chinese + (text[end:] if end != -1 else "")
    found = check_summary(text, EN)
    assert any(d.kind == "wrong_language" and heading[3:] in d.text for d in found)


def test_cli_check_reads_a_summary(tmp_path, capsys):
    from chatpaper.__main__ import main

    path = tmp_path / "summary.md"
    path.write_text(clean_summary(tmp_path) + "\n> ⚠️ The answer stopped early.\n", encoding="utf-8")
    assert main(["check", str(path)]) == 1
    assert "flagged" in capsys.readouterr().out
