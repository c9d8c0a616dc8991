"""A summary written to a text stream in document order while its stages run concurrently.

The CLI streams the current stage live and prints later stages when their turn comes. What
reaches the stream must depend only on the stages' final text, never on which stage finished
first or how a reply was cut into chunks, so two runs of the same paper (or a run served from
the results cache) print the same bytes. So a stage is shown live only up to its last complete
line, without trailing blank space, which is always the start of what the finished stage
prints; the rest follows when the stage is done.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import TextIO

from .i18n import Language
from .pipeline import StageResult, SummaryState

__all__ = ["DocumentOrderWriter", "live_prefix"]

RESTARTED = "\n\n> (asked again: the first answer was not clean)\n\n"


def live_prefix(text: str) -> str:
    """The part of a stage's growing text that can be shown before it is done: its complete
    lines, without leading or trailing blank space (a prefix of ``text.strip()`` whatever
    arrives next)."""
    text = text.lstrip()
    end = text.rfind("\n")
    return text[:end].rstrip() if end > 0 else ""


class DocumentOrderWriter:
    """Feeds on a job's ``SummaryState`` after every event and writes what can be written.

    ``headings`` maps a stage to the Markdown line that opens it ("## 7. Methods"), and
    ``render_extra`` gives the warnings and error lines that close a finished stage. With
    ``live`` off (output to a file or a pipe) a stage is written only once its guard passed.
    """

    def __init__(
        self,
        out: TextIO,
        stages: Sequence[str],
        lang: Language,
        *,
        headings: dict[str, str],
        render_extra: Callable[[StageResult, Language], str],
        live: bool = True,
        checked: Callable[[StageResult], str] | None = None,
        marks: Callable[[StageResult], list[str]] | None = None,
    ):
        self.out = out
        self.order = list(stages)
        self.lang = lang
        self.headings = headings
        self.render_extra = render_extra
        self.live = live  # False (a file, a pipe): a stage is written only once it is done
        self.checked = checked  # a finished stage as the document shows it (citations checked)
        self.marks = marks  # what the check found, for a stage already shown live unchecked
        self.current = 0
        self.written: dict[str, str] = {}  # stage -> its text written so far

    def restart(self, stage: str | None) -> None:
        """The stage is asked again: say so where its first answer was shown live."""
        if stage and self.written.get(stage):
            self.out.write(RESTARTED)
            self.written[stage] = ""

    def update(self, state: SummaryState) -> None:
        """Write every stage that is done, in order, and the current one's complete lines."""
        while self.current < len(self.order):
            stage = self.order[self.current]
            result = state.stages.get(stage)
            if result is None or (not self.live and not result.done):
                return
            if stage not in self.written:
                heading = self.headings.get(stage)
                self.out.write(f"\n{heading}\n\n" if heading else "\n")
                self.written[stage] = ""
            already = self.written[stage]
            if not result.done:
                shown = live_prefix(result.text)
                if shown.startswith(already) and len(shown) > len(already):
                    self.out.write(shown[len(already) :])
                    self.written[stage] = shown
                self.out.flush()
                return
            final = result.text.strip()
            if not already and self.checked is not None:
                self.out.write(self.checked(result))
            elif final.startswith(already):
                self.out.write(final[len(already) :])
                found = self.marks(result) if self.marks is not None else []
                if found:  # shown live before it was checked: list what the check found
                    self.out.write("\n\n" + "\n".join(f"> ⚠️ {line}" for line in found))
            else:  # the finished text differs from what was shown live: print it whole
                self.out.write("\n\n" + (self.checked(result) if self.checked else final))
            extra = self.render_extra(replace(result, text=""), self.lang)
            self.out.write(("\n\n" + extra if extra else "") + "\n")
            self.out.flush()
            self.current += 1
