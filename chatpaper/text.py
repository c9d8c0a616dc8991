"""Pure text helpers shared by several modules: one line, keys out of messages, CJK, titles.

Each was written two to four times before; one home keeps them the same everywhere.
"""

from __future__ import annotations

import re
import unicodedata

MAX_MESSAGE_CHARS = 200

# Anything shaped like an API key: Google's "AIza…", OpenAI-style "sk-…", "key-…", "api_…".
_KEYLIKE = re.compile(r"AIza[0-9A-Za-z_\-]{20,}|\b(?:sk|key|api)[-_][A-Za-z0-9_\-*]{6,}", re.I)


def one_line(text: str | None) -> str:
    """All white space (line breaks, double spaces, hard wrapping) folded to single spaces."""
    return " ".join((text or "").split())


def redact(text: str, key: str | None) -> str:
    """A provider's message made safe to show or log: no key (nor anything shaped like one),
    one line, bounded length."""
    if key:
        text = text.replace(key, "***")
    text = one_line(_KEYLIKE.sub("***", text))
    return text[:MAX_MESSAGE_CHARS] + ("..." if len(text) > MAX_MESSAGE_CHARS else "")


def title_key(title: str) -> str:
    """A title reduced to what tells two papers apart: case, width, punctuation folded."""
    folded = unicodedata.normalize("NFKC", title).casefold()
    return re.sub(r"[\W_]+", " ", folded).strip()


# Kana, CJK ideographs (with extension A), Hangul syllables, full-width forms.
CJK_RE = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uff00-\uffef]")
# Han ideographs only (extension A and the basic block): what makes a sentence Chinese.
HAN_RE = re.compile(r"[\u3400-\u9fff]")


def count_cjk(text: str) -> int:
    """How many characters of ``text`` are East Asian (each about one token)."""
    return len(CJK_RE.findall(text))


def is_han(ch: str) -> bool:
    """A Chinese character (ideograph), including the compatibility and supplementary blocks."""
    code = ord(ch)
    return (
        0x4E00 <= code <= 0x9FFF
        or 0x3400 <= code <= 0x4DBF
        or 0xF900 <= code <= 0xFAFF
        or 0x20000 <= code <= 0x2FA1F
    )


# A line that starts a caption or a numbered display ("Figure 3:", "Tab. 2", "Algorithm 1",
# "Eq. 4") or a figure panel label ("(A) ", "(D, E) "): not prose, not a heading.
CAPTION_LINE_RE = re.compile(
    r"^(?:(?:Figure|Fig\.?|Table|Tab\.|Algorithm|Listing|Scheme|Chart|Supplementary|Eq\.|Equation)"
    r"\s*[A-Z]?\d"
    r"|\([A-Z](?:\s?[,–-]\s?[A-Z])*\)\s)",
    re.IGNORECASE,
)
