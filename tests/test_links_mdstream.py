"""Code links only for the paper's own repositories; only complete Markdown while streaming."""

from __future__ import annotations

import pytest

from chatpaper.links import own_code_links, system_names
from chatpaper.mdstream import complete_markdown
from tests.conftest import shared_papers_or_skip

OWN = {
    "2020.acl-main.447.pdf": ["https://github.com/allenai/s2orc"],
    "2203.00130v1.pdf": ["https://github.com/allenai/paper-plain"],
    "2206.10883v3.pdf": ["https://github.com/multilexsum/dataset"],
    "pasa.pdf": ["https://github.com/bytedance/pasa"],
    # printed on page 1 as "github.com/allenai/papermage1": no scheme, a footnote mark glued on
    "papermage.pdf": ["https://github.com/allenai/papermage"],
}


@pytest.mark.parametrize("name", sorted(OWN))
def test_code_links_are_the_papers_own_repositories(name, settings):
    from chatpaper.reader import read_pdf_file

    paper = read_pdf_file(str(shared_papers_or_skip() / name), settings=settings)
    assert own_code_links(paper.text, paper.code_links(), paper.title) == OWN[name]


def test_a_link_without_scheme_and_with_a_footnote_mark_is_the_systems_repository():
    from chatpaper.paper import _CODE_URL

    text = "PaperMage is open source.\n/github github.com/allenai/papermage1\n1 Introduction"
    urls = [m.group(0) for m in _CODE_URL.finditer(text)]
    assert urls == ["github.com/allenai/papermage1"]
    shown = own_code_links(text, urls, "PaperMage: A Unified Toolkit")
    assert shown == ["https://github.com/allenai/papermage"]
    # a digit that is part of the name stays: no system is called "s2orc" without it
    assert own_code_links("see github.com/a/s2orc", ["github.com/a/s2orc"], "S2ORC: A Corpus") == [
        "https://github.com/a/s2orc"
    ]
    assert not [m for m in _CODE_URL.finditer("mail me@github.com/x/y")]


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
