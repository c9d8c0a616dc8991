"""Code links only for the paper's own repositories; only complete Markdown while streaming."""

from __future__ import annotations

import pytest

from chatpaper.links import own_code_links, system_names
from chatpaper.mdstream import complete_markdown
from tests.conftest import shared_papers_or_skip

OWN = {
    "2020.acl-main.447.pdf": ["https://github.com/allenai/s2orc/"],
    "2203.00130v1.pdf": ["https://github.com/allenai/paper-plain"],
    "2206.10883v3.pdf": ["https://github.com/multilexsum/dataset"],
    "pasa.pdf": ["https://github.com/bytedance/pasa"],
    "papermage.pdf": [],
}


@pytest.mark.parametrize("name", sorted(OWN))
def test_code_links_are_the_papers_own_repositories(name, settings):
    from chatpaper.reader import read_pdf_file

    paper = read_pdf_file(str(shared_papers_or_skip() / name), settings=settings)
    assert own_code_links(paper.text, paper.code_links(), paper.title) == OWN[name]


def test_a_tool_the_paper_used_is_not_its_code():
    text = (
        "Our system is developed based on Notion: https://github.com/someone/notion-df and "
        "more. Code and demo available at https://github.com/lab/stagesum."
    )
    urls = ["https://github.com/someone/notion-df", "https://github.com/lab/stagesum"]
    assert own_code_links(text, urls, "A Paper") == ["https://github.com/lab/stagesum"]
    assert "realworld" not in system_names("Multi-LexSum: Real-World Summaries")
    assert "multilexsum" in system_names("Multi-LexSum: Real-World Summaries")


@pytest.mark.parametrize(
    "partial, shown",
    [
        ("(1) **Split**: done.\n(2) **Marking k", "(1) **Split**: done.\n(2)"),
        ("Inline `code", "Inline"),
        ("We set $N=1", "We set"),
        ("See [the repo](https://git", "See"),
        ("Text\n```python\nx = 1", "Text"),
        ("- item one\n* item two", "- item one\n* item two"),
        ("snake_case and 2 * 3 stay", "snake_case and 2 * 3 stay"),
        ("**Done** line\n", "**Done** line\n"),
    ],
)
def test_half_written_markdown_is_held_back(partial, shown):
    assert complete_markdown(partial) == shown

