"""Title and first author on journal layouts (issue 13): PNAS, NAR, bioRxiv, Diabetologia.

Each case is page 1 as the extractor returns it (lines with their font sizes, the PDF's
metadata) for a layout that once gave the wrong title or first author.
"""

from __future__ import annotations

from chatpaper.pdf.record import PdfText
from chatpaper.pdf.titles import title_and_authors

BODY = [(9.0, "We study how cells respond to replication stress in the developing"),
        (9.0, "embryo and show that the response depends on a single protein.")]  # fmt: skip


def read(lines, *, meta_title="", meta_author=""):
    info = PdfText(pages=[], meta_title=meta_title, meta_author=meta_author, title_lines=lines)
    return title_and_authors(info, "\n".join(text for _, text in lines))


def test_metadata_holding_only_the_start_of_the_title_loses_to_the_page():
    lines = [
        (16.0, "A loss-of-function mutation in KCNJ11 causing sulfonylurea-sensitive"),
        (16.0, "diabetes in early adult life"),
        (10.0, "Natascia Vedovato1 · Maria V. Salguero2 · Frances M. Ashcroft1"),
        *BODY,
    ]
    title, authors = read(lines, meta_title="A loss-of-function mutation in")
    assert title.endswith("diabetes in early adult life")
    assert authors[0] == "Natascia Vedovato"


def test_the_names_follow_the_title_where_it_is_printed_with_letter_marks():
    """PNAS: a "Significance" box in larger type first; affiliation letters run into names."""
    lines = [
        (10.0, "Significance"),
        (8.5, "UFMylation plays an important role in a variety of cellular activities."),
        (12.0, "PARP1 UFMylation ensures the stability of stalled replication"),
        (12.0, "forks"),
        (9.0, "Yamin Gonga,b,1, Zhifeng Wanga,1 , Wen Zongc,1 , and Xingzhi Xua,2"),
        *BODY,
    ]
    title, authors = read(
        lines, meta_title="PARP1 UFMylation ensures the stability of stalled replication forks"
    )
    assert title == "PARP1 UFMylation ensures the stability of stalled replication forks"
    assert authors == ["Yamin Gong", "Zhifeng Wang", "Wen Zong", "Xingzhi Xu"]


def test_metadata_names_are_put_in_printed_order_even_when_words_are_split():
    """NAR: pypdf prints "Da vid Mas-Pont e"; the metadata says "Mas-Ponte David"."""
    lines = [
        (18.0, "Mutation r at e het erog eneity at the sub-g ene scale"),
        (11.0, "Da vid Mas-Pont e 1 and F r an Supek 1 , 2 , 3 , *"),
        *BODY,
    ]
    _, authors = read(lines, meta_author="Mas-Ponte David, Supek Fran")
    assert authors == ["David Mas-Ponte", "Fran Supek"]


def test_the_printed_first_author_beats_an_uploader_or_a_nickname_in_the_metadata():
    lines = [
        (16.0, "Fine-tuning protein language models boosts predictions"),
        (12.0, "Robert Schmirler1,2,3,*, Michael Heinzinger 1 & Burkhard Rost 1,4"),
        *BODY,
    ]
    assert read(lines, meta_author="Burkhard Rost")[1][0] == "Robert Schmirler"
    lines[1] = (12.0, "A. Gregory Matera1,2,3*, Rebecca E. Steiner1,#^, C. Alison Mills4")
    assert read(lines, meta_author="Greg Matera")[1][0] == "A. Gregory Matera"
    lines[1] = (12.0, "Kyle Lo1, Lucy Lu Wang1")
    assert read(lines, meta_author="Kyle Lo, Lucy Lu Wang")[1] == ["Kyle Lo", "Lucy Lu Wang"]


def test_an_author_line_in_the_title_size_is_not_part_of_the_title():
    """bioRxiv: title, names and affiliations all in one size."""
    lines = [
        (11.3, "The dual role of Spn-E in supporting heterotypic ping-pong piRNA amplification"),
        (11.3, "in silkworms"),
        (11.3, "Natsuko Izumi1,†, Keisuke Shoji1,2,3,†, Lumi Negishi4, and Yukihide Tomari1,2*"),
        (
            7.4,
            "1 Laboratory of RNA Function, Institute for Quantitative Biosciences, The University of",
        ),
        (11.3, "Tokyo, Bunkyo-ku, Tokyo 113-0032, Japan."),
        (8.0, ".CC-BY-NC-ND 4.0 International licenseavailable under a"),
    ]
    title, authors = read(lines, meta_title="58984869", meta_author="Administrator")
    assert title.endswith("amplification in silkworms")
    assert authors[0] == "Natsuko Izumi"


def test_initials_alone_are_not_a_name():
    lines = [
        (16.0, "Engineered skin bacteria induce antitumor T cell responses"),
        (10.0, "J.K., Y. Erin Chen1, Djenet Bousbaine1"),
        *BODY,
    ]
    assert read(lines)[1][0] == "Y. Erin Chen"
