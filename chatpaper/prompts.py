"""Load the prompt files in ``chatpaper/prompts/`` and fill their named placeholders.

Each prompt declares exactly which placeholders it uses; a file with a missing or an unknown
placeholder fails loudly at load time (and in the test that loads them all), so a typo can
never send "{tittle}" to a model.
"""

from __future__ import annotations

import hashlib
import string
from functools import lru_cache
from pathlib import Path

from .i18n import Language

PROMPT_DIR = Path(__file__).with_name("prompts")

# prompt name -> the placeholders it must contain (no more, no fewer)
PROMPT_FIELDS: dict[str, frozenset[str]] = {
    "system": frozenset({"language", "not_stated"}),
    "paper": frozenset({"title", "authors", "body"}),
    "tldr": frozenset({"title", "abstract", "language", "label_summary", "label_key_takeaways"}),
    "overview": frozenset(
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
    "methods": frozenset({"language"}),
    "conclusion": frozenset(
        {
            "language",
            "label_significance",
            "label_innovation",
            "label_performance_short",
            "label_workload",
        }
    ),
    "corrective": frozenset({"problems"}),
    "ask": frozenset({"history", "question", "language", "not_stated"}),
    "ask_passages": frozenset({"title", "authors", "passages"}),
}


class PromptError(ValueError):
    """A prompt file is missing or its placeholders do not match its declaration."""


def placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}


@lru_cache(maxsize=1)
def load_prompts() -> dict[str, str]:
    prompts: dict[str, str] = {}
    for name in PROMPT_FIELDS:
        path = PROMPT_DIR / f"{name}.md"
        if not path.is_file():
            raise PromptError(f"Prompt file {path} is missing.")
        prompts[name] = check_prompt(name, path.read_text(encoding="utf-8").strip())
    return prompts


def check_prompt(name: str, text: str) -> str:
    """``text`` if its placeholders are exactly those declared for ``name``; else PromptError."""
    expected = PROMPT_FIELDS[name]
    try:
        found = placeholders(text)
    except ValueError as err:  # an unbalanced brace
        raise PromptError(f"Prompt {name}.md has a malformed placeholder: {err}.") from err
    if found != expected:
        raise PromptError(
            f"Prompt {name}.md does not match its placeholders: "
            f"missing {sorted(expected - found)}, unknown {sorted(found - expected)}."
        )
    return text


@lru_cache(maxsize=1)
def prompt_version() -> str:
    """A short hash of every prompt: part of the results-cache key."""
    digest = hashlib.sha256()
    for name, text in sorted(load_prompts().items()):
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
