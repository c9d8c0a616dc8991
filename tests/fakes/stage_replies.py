"""Well-formed stage answers for the fake servers, so end-to-end runs pass the guard.

The fakes' own default replies say which stage they answer but do not follow our stage
formats; these do, in the language the system instruction asks for, and they mention the
paper's title so a test can tell which paper an answer belongs to.
"""

from __future__ import annotations

import re

from chatpaper.i18n import get_language

STAGE_MARKERS = {
    "tldr": "key takeaways, in",
    "overview": "deciding whether to read it",
    "methods": "method step by step",
    "conclusion": "assess the paper's conclusions",
}


def stage_of(prompt: str) -> str:
    tail = prompt[-2500:]
    for stage, marker in STAGE_MARKERS.items():
        if marker in tail:
            return stage
    return "unknown"


def title_of(prompt: str) -> str:
    match = re.search(r"^Title: (.+)$", prompt, re.MULTILINE)
    return match.group(1).strip() if match else "the paper"


def stage_answer(system: str, prompt: str) -> str:
    lang = get_language("zh" if "Chinese" in system else "en")
    labels = lang.labels
    stage = stage_of(prompt)
    title = title_of(prompt)
    if stage == "tldr":
        bullets = "\n".join(f"- Finding {i} of {title} is stated clearly." for i in range(1, 6))
        return (
            f"**{labels['summary']}**: {title} is summarized in one sentence.\n\n"
            f"**{labels['key_takeaways']}**\n{bullets}"
        )
    if stage == "overview":
        return (
            f"- **{labels['affiliation']}**: Example University\n"
            f"- **{labels['keywords']}**: testing, streaming\n\n"
            f"(1) **{labels['background']}**: The background of {title}.\n"
            f"(2) **{labels['past_methods']}**: Earlier work truncated papers.\n"
            f"(3) **{labels['proposed_method']}**: A staged approach.\n"
            f"(4) **{labels['performance']}**: It improves results by 12 points."
        )
    if stage == "methods":
        return (
            f"(1) **Reading**: {title} is read in full.\n"
            "(2) **Staging**: Four questions are asked at once.\n"
            "(3) **Checking**: Answers are checked for defects."
        )
    if stage == "conclusion":
        return (
            f"(1) **{labels['significance']}**: {title} matters for readers.\n"
            f"(2) **{labels['innovation']}**: Concurrent stages.\n"
            f"(3) **{labels['performance_short']}**: Evidence supports the claims.\n"
            f"(4) **{labels['workload']}**: Moderate."
        )
    return f"An answer about {title}."


def gemini_stage_reply(request):
    """A FakeGemini ``reply_generator``: well-formed answers, several chunks each."""
    from tests.fakes.gemini_server import text_reply

    return text_reply(stage_answer(request.system, request.prompt), chunks=6)
