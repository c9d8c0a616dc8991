"""What a summary stage is, in one record per stage that every other module reads.

The pipeline takes the prompt file, output cap and required parts from here, the context
builder the sections a stage keeps when the paper must be shortened, the renderers (document,
app panels, CLI) the numbered heading. Adding a stage = one record below and one prompt file in
``prompts/`` (with the placeholders the record declares).
"""

from __future__ import annotations

from dataclasses import dataclass

from .i18n import Language

# Sections most useful first, for a stage that reads the paper and must shorten it.
_PAPER_ORDER = (
    "abstract",
    "introduction",
    "conclusion",
    "method",
    "results",
    "experiments",
    "related_work",
    "discussion",
    "other",
    "appendix",
)


@dataclass(frozen=True)
class Stage:
    name: str  # the key in SummaryState.stages, StageRequest.stage and the cache
    prompt_fields: frozenset[str]  # the placeholders of prompts/<prompt>.md, no more, no fewer
    max_output_tokens: int
    reads: str = "paper"  # "paper": the full text (shortened if needed); "abstract": title+abstract
    required_labels: tuple[str, ...] = ()  # label keys whose text the answer must contain
    required_marks: tuple[str, ...] = ()  # literal parts the answer must contain, e.g. "(1)"
    context_priorities: tuple[str, ...] = _PAPER_ORDER  # section roles kept first when shortened
    number: str | None = None  # the heading's number in the document ("2. Overview"); None: none
    prompt: str = ""  # the prompt file's name without .md; default: the stage's name

    @property
    def prompt_name(self) -> str:
        return self.prompt or self.name

    def required_parts(self, lang: Language) -> tuple[str, ...]:
        return tuple(lang.labels[key] for key in self.required_labels) + self.required_marks

    def heading(self, lang: Language) -> str | None:
        """ "2. Overview" (without the Markdown #), or None for a stage shown without one."""
        return f"{self.number}. {lang.labels[self.name]}" if self.number else None


_NUMBERED_FOUR = ("(1)", "(2)", "(3)", "(4)")

STAGE_RECORDS: tuple[Stage, ...] = (  # document order; tldr first, so it starts (and shows) first
    Stage(
        name="tldr",
        prompt_fields=frozenset(
            {"title", "abstract", "language", "label_summary", "label_key_takeaways"}
        ),
        max_output_tokens=1024,
        reads="abstract",
        required_labels=("summary", "key_takeaways"),
    ),
    Stage(
        name="overview",
        prompt_fields=frozenset(
            {
                "language",
                "label_affiliation",
                "label_keywords",
                "label_background",
                "label_past_methods",
                "label_proposed_method",
                "label_performance",
            }
        ),
        max_output_tokens=2048,
        required_marks=_NUMBERED_FOUR,
        number="2",
    ),
    Stage(
        name="methods",
        prompt_fields=frozenset({"language"}),
        max_output_tokens=4096,
        required_marks=("(1)",),
        context_priorities=(
            "abstract",
            "method",
            "introduction",
            "experiments",
            "results",
            "other",
            "conclusion",
            "related_work",
            "discussion",
            "appendix",
        ),
        number="3",
    ),
    Stage(
        name="conclusion",
        prompt_fields=frozenset(
            {
                "language",
                "label_significance",
                "label_innovation",
                "label_performance_short",
                "label_workload",
            }
        ),
        max_output_tokens=2048,
        required_marks=_NUMBERED_FOUR,
        context_priorities=(
            "abstract",
            "conclusion",
            "discussion",
            "results",
            "experiments",
            "introduction",
            "method",
            "other",
            "related_work",
            "appendix",
        ),
        number="4",
    ),
)

# "1. Basic information" (title, authors, affiliation, keywords, links) opens the numbered
# parts; the stages' numbers follow it, the same in the app's page and in the download.
BASIC_INFO_NUMBER = "1"


def basic_info_heading(lang: Language) -> str:
    return f"{BASIC_INFO_NUMBER}. {lang.labels['basic_info']}"


_BY_NAME: dict[str, Stage] = {record.name: record for record in STAGE_RECORDS}
STAGE_NAMES: tuple[str, ...] = tuple(_BY_NAME)
DEFAULT_OUTPUT_TOKENS = 2048  # for a task that is not one of the stages
DEFAULT_PRIORITIES = _PAPER_ORDER  # for a task that is not one of the stages


def stage_record(name: str) -> Stage | None:
    """The record of stage ``name``; None for another task (the digest's, a test's)."""
    return _BY_NAME.get(name)


def numbered_stages() -> tuple[Stage, ...]:
    """The stages shown under a numbered heading, in document order."""
    return tuple(record for record in STAGE_RECORDS if record.number)
