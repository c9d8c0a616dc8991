"""Load the prompt files of the top-level ``prompts/`` folder and fill their named placeholders.

Each prompt declares exactly which placeholders it uses; a file with a missing or an unknown
placeholder fails loudly at load time (and in the test that loads them all), so a typo can
never send "{tittle}" to a model. ``CHATPAPER_PROMPTS_DIR`` points at a user's own copy of the
folder, checked the same way; the prompt version in the cache key is a hash of the texts used.
"""

from __future__ import annotations

import hashlib
import string
from functools import lru_cache
from pathlib import Path

from .config import PROMPTS_DIR_ENV, prompts_dir_from_env
from .errors import ChatPaperError
from .i18n import Language
from .stages import STAGE_RECORDS


def _bundled_prompt_dir() -> Path:
    """Where the bundled prompts are: inside the package in an installed wheel (``pip install
    .`` maps ``prompts/`` to ``chatpaper/bundled_prompts``), else the checkout's top-level ``prompts/``
    (an editable install, a Space, a plain clone)."""
    packaged = Path(__file__).with_name("bundled_prompts")
    return packaged if packaged.is_dir() else Path(__file__).resolve().parent.parent / "prompts"


PROMPT_DIR = _bundled_prompt_dir()
CORRECTIONS = "corrections"  # prompts/corrections.md: one "## <defect kind>" section each
CORRECTION_FIELDS = frozenset({"examples", "language"})  # what a correction may use

# prompt name -> the placeholders it must contain (no more, no fewer); stages declare their own
PROMPT_FIELDS: dict[str, frozenset[str]] = {
    "system": frozenset({"language", "not_stated"}),
    "paper": frozenset({"title", "authors", "body"}),
    **{record.prompt_name: record.prompt_fields for record in STAGE_RECORDS},
    "corrective": frozenset({"problems"}),
    "ask": frozenset({"history", "question", "language", "not_stated"}),
    "ask_passages": frozenset({"title", "authors", "passages"}),
    "continue": frozenset(),  # after a local server cut an answer off part-way
}


class PromptError(ChatPaperError, ValueError):
    """A prompt file is missing or its placeholders do not match its declaration."""

    exit_code = 2


def placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}


def prompt_dir() -> Path:
    """The folder the prompts come from: the user's own copy if set, else the bundled one."""
    return prompts_dir_from_env() or PROMPT_DIR


def load_prompts(directory: Path | None = None) -> dict[str, str]:
    """Every prompt of ``directory`` (default: ``prompt_dir()``), checked; else PromptError."""
    return _load(Path(directory or prompt_dir()))


@lru_cache(maxsize=8)
def _load(directory: Path) -> dict[str, str]:
    where = _where(directory)
    if not directory.is_dir():
        raise PromptError(
            f"The prompts folder {directory} does not exist; fix {PROMPTS_DIR_ENV} or unset it."
        )
    prompts: dict[str, str] = {}
    for name in [*PROMPT_FIELDS, CORRECTIONS]:
        path = directory / f"{name}.md"
        if not path.is_file():
            raise PromptError(
                f"Prompt file {name}.md is missing{where}; copy it from {PROMPT_DIR}."
            )
        text = path.read_text(encoding="utf-8").strip()
        if name == CORRECTIONS:
            _check_corrections(text, where)
            prompts[name] = text
        else:
            prompts[name] = check_prompt(name, text, where=where)
    return prompts


def _where(directory: Path) -> str:
    if directory.resolve() == PROMPT_DIR.resolve():
        return ""
    return f" in {directory} ({PROMPTS_DIR_ENV})"


def check_prompt(name: str, text: str, *, where: str = "") -> str:
    """``text`` if its placeholders are exactly those declared for ``name``; else PromptError."""
    return _check_fields(name, text, PROMPT_FIELDS[name], where=where, exact=True)


def _check_fields(
    name: str, text: str, expected: frozenset[str], *, where: str, exact: bool
) -> str:
    try:
        found = placeholders(text)
    except ValueError as err:  # an unbalanced brace
        raise PromptError(f"Prompt {name}.md{where} has a malformed placeholder: {err}.") from err
    missing = sorted(expected - found) if exact else []
    unknown = sorted(found - expected)
    if missing or unknown:
        raise PromptError(
            f"Prompt {name}.md{where} does not match its placeholders: "
            f"missing {missing}, unknown {unknown}."
        )
    return text


def _split_corrections(text: str) -> dict[str, str]:
    """``## kind`` sections -> their text (what comes before the first heading is a note)."""
    sections: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in text.splitlines():
        if line.startswith("## "):
            current = sections.setdefault(line[3:].strip(), [])
        elif current is not None:
            current.append(line)
    return {kind: " ".join(" ".join(lines).split()) for kind, lines in sections.items()}


def _check_corrections(text: str, where: str) -> None:
    sections = _split_corrections(text)
    if not sections:
        raise PromptError(f"Prompt {CORRECTIONS}.md{where} has no '## <defect kind>' section.")
    for kind, body in sections.items():
        if not body:
            raise PromptError(f"Prompt {CORRECTIONS}.md{where}: the {kind} section is empty.")
        _check_fields(
            f"{CORRECTIONS}.md ({kind})", body, CORRECTION_FIELDS, where=where, exact=False
        )


def corrections() -> dict[str, str]:
    """Defect kind -> the sentence that tells the model about it (``{examples}``,
    ``{language}``), from prompts/corrections.md."""
    return _split_corrections(load_prompts()[CORRECTIONS])


def prompt_version(directory: Path | None = None) -> str:
    """A short hash of every prompt in use: part of the results-cache key."""
    return _version(Path(directory or prompt_dir()))


@lru_cache(maxsize=8)
def _version(directory: Path) -> str:
    digest = hashlib.sha256()
    for name, text in sorted(_load(directory).items()):
        digest.update(name.encode())
        digest.update(text.encode())
    return digest.hexdigest()[:12]


def fill(name: str, **values: str) -> str:
    """Fill prompt ``name``; every declared placeholder must be given, and nothing else."""
    template = load_prompts()[name]
    expected = PROMPT_FIELDS[name]
    if set(values) != expected:
        raise PromptError(f"Prompt {name} needs {sorted(expected)}, got {sorted(values)}.")
    return template.format(**values)


def label_values(lang: Language) -> dict[str, str]:
    """Labels as ``label_<key>`` placeholder values, plus the language name."""
    values = {f"label_{key}": value for key, value in lang.labels.items()}
    values["language"] = lang.name
    values["not_stated"] = lang.labels["not_stated"]
    return values


def fill_with_labels(name: str, lang: Language, **values: str) -> str:
    """Fill a prompt taking label/language placeholders from ``lang``."""
    available = label_values(lang) | values
    wanted = PROMPT_FIELDS[name]
    return fill(name, **{key: available[key] for key in wanted})
