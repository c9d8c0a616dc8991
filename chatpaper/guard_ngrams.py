"""Two guard checks that look at word n-grams instead of phrases: an answer that echoes our own
prompt files, and an answer that degenerates into repeating itself.

Both are linear in the answer: one pass over its tokens with a dict (no backtracking regex).
Tokens are Latin words/numbers (lowercased) and single CJK characters, so English and Chinese
answers are measured alike.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache

from .prompts import load_prompts, prompt_dir
from .text import is_han

ECHO_N = 6  # words in a shared n-gram
ECHO_MIN_RUN = 12  # tokens an echoed stretch must cover (two short stock phrases are not one)
REPEAT_N = 4  # a repeated phrase of this many tokens
REPEAT_WINDOW = 120  # tokens looked at together
REPEAT_LOOKBACK = 400  # a repeat counts if the same n-gram occurred this recently
REPEAT_SHARE = 0.6  # share of a window's n-grams that are repeats
MAX_TOKENS = 40_000  # bound the work on a hostile answer


def tokens(text: str) -> list[str]:
    """Lowercased words and single CJK characters, in order (at most MAX_TOKENS)."""
    out: list[str] = []
    word: list[str] = []
    for ch in text:
        if ch.isalnum() and not is_han(ch):
            word.append(ch.lower())
            continue
        if word:
            out.append("".join(word))
            word = []
        if is_han(ch):
            out.append(ch)
        if len(out) >= MAX_TOKENS:
            return out
    if word:
        out.append("".join(word))
    return out[:MAX_TOKENS]


def _grams(toks: list[str], n: int) -> Iterator[tuple[str, ...]]:
    for i in range(len(toks) - n + 1):
        yield tuple(toks[i : i + n])


@lru_cache(maxsize=4)
def _prompt_grams(directory: str) -> frozenset[tuple[str, ...]]:
    """Every word n-gram of our prompt files (system, stages, corrective, corrections)."""
    grams: set[tuple[str, ...]] = set()
    for name, text in load_prompts().items():
        if name == "paper":  # the paper's own text is what an answer should quote
            continue
        # A placeholder is filled with labels/paper text: never part of an echoed n-gram.
        cleaned = []
        depth = 0
        for ch in text:
            if ch == "{":
                depth += 1
                cleaned.append(" \x00 ")
            elif ch == "}":
                depth = max(0, depth - 1)
            elif not depth:
                cleaned.append(ch)
        toks = [t for t in tokens("".join(cleaned))]
        grams.update(g for g in _grams(toks, ECHO_N) if "\x00" not in g)
    return frozenset(grams)


def echoed_prompt(text: str) -> str | None:
    """The first stretch of ``text`` copied from our prompts (>= ECHO_MIN_RUN tokens), if any."""
    known = _prompt_grams(str(prompt_dir()))
    toks = tokens(text)
    run_start = run_end = -1
    for i, gram in enumerate(_grams(toks, ECHO_N)):
        if gram in known:
            if i > run_end:  # a new stretch
                run_start = i
            run_end = i + ECHO_N - 1
            if run_end - run_start + 1 >= ECHO_MIN_RUN:
                return " ".join(toks[run_start : run_end + 1])
    return None


def degenerate_repetition(text: str) -> str | None:
    """A phrase looping: in some window most n-grams repeat one seen just before."""
    toks = tokens(text)
    if len(toks) < REPEAT_WINDOW:
        return None
    last: dict[tuple[str, ...], int] = {}
    repeated: list[int] = []
    for i, gram in enumerate(_grams(toks, REPEAT_N)):
        seen = last.get(gram)
        repeated.append(1 if seen is not None and i - seen <= REPEAT_LOOKBACK else 0)
        last[gram] = i
    total = sum(repeated[:REPEAT_WINDOW])
    need = REPEAT_SHARE * REPEAT_WINDOW
    for start in range(len(repeated) - REPEAT_WINDOW + 1):
        if start:
            total += repeated[start + REPEAT_WINDOW - 1] - repeated[start - 1]
        if total >= need:
            return " ".join(toks[start : start + 12])
    return None
