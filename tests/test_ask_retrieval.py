"""Retrieval on properties every scientific paper has: sentences that go on over a page
break, mutation and gene names written inside longer words, abbreviations the paper defines,
and boilerplate or overview passages that share the question's words without answering it."""

from __future__ import annotations

from chatpaper.paper import Page, Paper, PaperMeta, Section
from chatpaper.retrieval import (
    PassageIndex,
    build_passages,
    expand_query,
    find_abbreviations,
    normalise,
)

FILLER = [
    "Cells were grown in standard medium at 37 degrees.",
    "Samples were collected every second day for a week.",
    "Each experiment was repeated three times by two people.",
    "The microscope was calibrated before every session.",
]


def paper_of(sections: list[tuple[str, str, int, str]], pages: dict[int, str]) -> Paper:
    """A paper whose pages hold exactly ``pages`` and whose headings are ``sections``."""
    return Paper(
        source="paper.pdf",
        meta=PaperMeta(title="A test paper", authors=["A. Person"], affiliations=[]),
        pages=[Page(number, text) for number, text in sorted(pages.items())],
        sections=[Section(h, role, page, body) for h, role, page, body in sections],
        fingerprint="sha256:test",
    )


def test_a_sentence_that_goes_on_over_the_page_stays_whole_and_cites_its_first_page():
    page2 = " ".join(FILLER) + " We showed that administration of exogenous"
    page3 = "LPS increased lung metastasis formation in mice. " + " ".join(FILLER)
    paper = paper_of([("Results", "results", 2, "")], {2: "Results " + page2, 3: page3})
    whole = "We showed that administration of exogenous LPS increased lung metastasis formation"
    holding = [p for p in build_passages(paper) if whole in p.text]
    assert holding and holding[0].page == 2 and holding[0].heading == "Results"
    later = [p for p in build_passages(paper) if p.text.startswith(FILLER[1])]
    assert later and later[-1].page == 3  # a window that starts on page 3 cites page 3
    hit = PassageIndex.for_paper(paper).search("Does LPS administration change metastasis?")[0]
    assert whole in hit.passage.text


def test_a_page_break_at_a_new_heading_does_not_join_the_sections():
    paper = paper_of(
        [("Methods", "method", 1, ""), ("Results", "results", 2, "")],
        {1: "Methods We counted cells by hand", 2: "Results The cells grew fast."},
    )
    texts = {p.heading: p.text for p in build_passages(paper)}
    assert texts["Methods"] == "We counted cells by hand"
    assert texts["Results"] == "The cells grew fast."


def test_a_mutation_named_inside_a_longer_word_is_found():
    body = " ".join(FILLER) + " Surface expression of hetS118L channels fell by 40%."
    paper = paper_of([("Results", "results", 1, body)], {1: "Results " + body})
    hits = PassageIndex.for_paper(paper).search("Which process does the S118L mutation impact?")
    assert hits and "hetS118L" in hits[0].passage.text
    assert "s118l" in normalise("hetS118L") and "het" in normalise("hetS118L")


def test_abbreviations_the_paper_defines_are_searched_for_the_long_form():
    text = (
        "We mapped insertion loci (ILs) of the transposons. Knockdown of long noncoding "
        "RNA (lncRNA) was done. Results are in (Fig. 2) and (2019)."
    )
    found = find_abbreviations(text)
    assert found[tuple(normalise("insertion loci"))] == tuple(normalise("IL"))
    assert found[tuple(normalise("long noncoding RNA"))] == ("lncrna",)
    assert all("2019" not in short for short in found.values())
    terms = expand_query(normalise("How many unique insertion loci are there?"), found)
    assert normalise("IL")[0] in terms
    # a question using the short form is left as it is (the paper uses it too)
    assert expand_query(normalise("How many ILs?"), found) == normalise("How many ILs?")


def test_a_question_spelling_out_an_abbreviation_finds_the_passage_using_it():
    methods = "We define insertion loci (ILs) as sites where a transposon landed. " + " ".join(
        FILLER
    )
    results = (
        "Our method detected 12,309 mandarin-specific ILs in total. The gene list is long. "
        "Insertion was rare near the centromere. Loci near genes were counted twice."
    )
    paper = paper_of(
        [("Methods", "method", 1, methods), ("Results", "results", 2, results)],
        {1: "Methods " + methods, 2: "Results " + results},
    )
    hits = PassageIndex.for_paper(paper).search("How many mandarin insertion loci are there?")
    assert "12,309" in hits[0].passage.text


def test_acknowledgements_and_overview_give_way_to_the_passage_that_answers():
    claim = "Knockdown of the AAGAG lncRNA promoted cytoplasmic incompatibility in embryos."
    abstract = f"{claim} Prophage proteins alter sperm."
    results = f"{claim} The effect was 2.4-fold."
    thanks = f"We thank the fly facility. {claim} Funded by a grant."
    paper = paper_of(
        [
            ("Abstract", "abstract", 1, abstract),
            ("Results", "results", 2, results),
            ("Acknowledgements", "other", 3, thanks),
        ],
        {1: "Abstract " + abstract, 2: "Results " + results, 3: "Acknowledgements " + thanks},
    )
    hits = PassageIndex.for_paper(paper).search("Which lncRNA knockdown promotes incompatibility?")
    assert [h.passage.heading for h in hits] == ["Results", "Abstract", "Acknowledgements"]


def test_question_framing_words_are_not_searched_but_numbers_and_units_are():
    terms = normalise("Approximately how many cells has it been shown to kill at 50 mM?")
    assert "approxim" not in terms and "mani" not in terms and "shown" not in terms
    assert "50" in terms and "mm" in terms and "cell" in terms


def test_only_real_boilerplate_weighs_less():
    from chatpaper.retrieval import Passage, passage_weight

    def weight(heading: str, text: str = "We measured the growth of cells in two media.") -> float:
        return passage_weight(Passage(text, 3, heading, "other"))

    assert weight("Acknowledgements") < 1 and weight("7 Funding") < 1
    assert weight("Results", "Funding This work was supported by a grant to A. B.") < 1
    assert weight("Our contributions") == 1 and weight("Ethics of AI assistants") == 1
    assert weight("3 Results") == 1
