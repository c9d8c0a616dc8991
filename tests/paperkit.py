"""Small hand-built papers for tests that must not depend on ../shared."""

from __future__ import annotations

from chatpaper.paper import Page, Paper, PaperMeta, Section

INTRO = (
    "Large language models are increasingly used to read scientific papers. "
    "However, existing summarizers truncate the paper to a few thousand tokens and lose the method."
)
METHOD = (
    "We propose StageSum, which splits summarization into four concurrent stages. "
    "Each stage receives the full text of the paper followed by its own instruction."
)
RESULTS = (
    "StageSum improves faithfulness by 12.5 points over the truncation baseline on 200 papers. "
    "Human judges preferred its summaries in 71% of the comparisons."
)
CONCLUSION = (
    "We presented StageSum, a staged summarizer that reads whole papers. "
    "Future work will study figures and tables."
)


def make_paper(*, arxiv_id: str | None = "2402.00864", extra_method_chars: int = 0) -> Paper:
    method = METHOD + (" The encoder repeats this careful step." * (extra_method_chars // 38))
    sections = [
        Section("Abstract", "abstract", 1, "We study staged summarization of whole papers."),
        Section("1 Introduction", "introduction", 1, INTRO),
        Section("2 Related Work", "related_work", 2, "Prior systems such as ChatPaper cut input."),
        Section("3 StageSum", "method", 2, method),
        Section(
            "4 Experiments",
            "experiments",
            3,
            RESULTS + " Code: https://github.com/example/stagesum.",
        ),
        Section("5 Conclusion", "conclusion", 4, CONCLUSION),
        Section("References", "references", 4, "[1] A. Author. A paper. 2019."),
        Section("A Prompt details", "appendix", 5, "The appendix lists every prompt."),
    ]
    pages = [
        Page(1, "We study staged summarization of whole papers.\n" + INTRO),
        Page(2, "Prior systems such as ChatPaper cut input.\n" + method),
        Page(3, RESULTS + " Code: https://github.com/example/stagesum."),
        Page(4, CONCLUSION + "\n[1] A. Author. A paper. 2019."),
        Page(5, "The appendix lists every prompt."),
    ]
    meta = PaperMeta(
        title="StageSum: Summarizing Whole Papers in Stages",
        authors=["Ada Lovelace", "Alan Turing"],
        affiliations=["University of Cambridge"],
        abstract="We study staged summarization of whole papers and show it helps.",
        arxiv_id=arxiv_id,
        version="v1" if arxiv_id else None,
    )
    fingerprint = f"arxiv:{arxiv_id}v1" if arxiv_id else "sha256:abc"
    return Paper(
        source=arxiv_id or "paper.pdf",
        meta=meta,
        pages=pages,
        sections=sections,
        fingerprint=fingerprint,
    )


CLEAN_EN = {
    "tldr": "**Summary**: StageSum summarizes whole papers in stages.\n\n**Key Takeaways**\n"
    + "\n".join(f"- Takeaway number {i} about StageSum." for i in range(1, 6)),
    "overview": "- **Affiliation**: University of Cambridge\n- **Keywords**: summarization, LLM\n\n"
    "(1) **Research background**: Papers are long.\n(2) **Past methods and their problems**: "
    "They truncate.\n(3) **Proposed method**: Four stages.\n(4) **Tasks and performance**: "
    "+12.5 points.",
    "methods": "(1) **Split**: The task is split into stages.\n(2) **Prompt**: Each stage gets "
    "the full text.",
    "conclusion": "(1) **Significance**: Whole papers.\n(2) **Innovation**: Stages.\n"
    "(3) **Performance**: Strong.\n(4) **Workload**: 200 papers.",
}


def sample_pdf(title: str = "Staged Reading of Scientific Papers", author: str = "Ada Lovelace"):
    """A small, well-formed paper PDF (title, abstract, numbered sections, references)."""
    from tests.fakes.pdfgen import make_pdf

    page1 = [
        (title, 16),
        author + ", Alan Turing",
        "University of Cambridge",
        ("Abstract", 12),
        "We study how to summarize whole scientific papers in stages.",
        "Our method improves faithfulness by twelve points over truncation.",
        ("1 Introduction", 12),
        "Large language models are increasingly used to read scientific papers.",
        "However, existing summarizers truncate the paper and lose the method.",
        "We propose a staged summarizer that reads the whole paper.",
    ]
    page2 = [
        ("2 Method", 12),
        "The summarizer splits the task into four stages that run concurrently.",
        "Each stage receives the full text of the paper followed by its instruction.",
        "A guard checks every answer for template slots and chatter.",
        ("3 Experiments", 12),
        "We evaluate on two hundred papers from arXiv with human judges.",
        "The staged summarizer improves faithfulness by twelve points.",
    ]
    page3 = [
        ("4 Conclusion", 12),
        "We presented a staged summarizer that reads whole papers.",
        "Future work will study figures and tables in more depth.",
        ("References", 12),
        "[1] A. Author. A paper about summaries. 2019.",
    ]
    return make_pdf([page1, page2, page3], title=title, author=author)
