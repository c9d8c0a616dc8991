"""Only complete Markdown while an answer streams in.

A model's text arrives in arbitrary chunks, so a partial answer can end inside ``**bold``, a
`` `code `` span, ``$math``, a ``[link](`` or an open code fence; rendered as is, the page
flickers between raw markers and formatting. ``complete_markdown`` holds back the unfinished
construct at the end (it shows up a moment later, whole). Pure and linear in the text length.
"""

from __future__ import annotations

_PAIRED = ("**", "__", "$$", "*", "_", "`", "$", "~~")


def _open_fence(text: str) -> int | None:
    """Start of an unclosed ``` fence, or None."""
    start = None
    pos = 0
    for line in text.splitlines(keepends=True):
        if line.lstrip().startswith("```"):
            start = pos if start is None else None
        pos += len(line)
    return start


def _held_back_in_line(line: str) -> int:
    """How much of the last (unfinished) line can be shown: the part before its first
    unmatched opener, so that what is shown has every marker closed."""
    stack: list[tuple[str, int]] = []  # (marker, position) of openers not yet closed
    i, n = 0, len(line)
    while i < n:
        ch = line[i]
        if ch == "\\":  # an escaped character is text
            i += 2
            continue
        if stack and stack[-1][0] == "`":  # inside code nothing but ` counts
            if ch == "`":
                stack.pop()
            i += 1
            continue
        if ch == "[":
            stack.append(("[", i))
            i += 1
            continue
        if ch == "]":
            if stack and stack[-1][0] == "[":
                opener = stack.pop()
                if line.startswith("(", i + 1):  # a link target follows: wait for ")"
                    close = line.find(")", i + 2)
                    if close < 0:
                        return opener[1]
                    i = close + 1
                    continue
            i += 1
            continue
        marker = next((m for m in _PAIRED if line.startswith(m, i)), None)
        if marker is None:
            i += 1
            continue
        if marker in ("*", "_") and _is_plain(line, i, marker):
            i += 1
            continue
        if stack and stack[-1][0] == marker:
            stack.pop()
        else:
            stack.append((marker, i))
        i += len(marker)
    openers = [pos for marker, pos in stack]
    return min(openers) if openers else n


def _is_plain(line: str, i: int, marker: str) -> bool:
    """A lone * or _ that is not emphasis: a list bullet, a word_with_underscores, 2 * 3."""
    before = line[i - 1] if i > 0 else " "
    after = line[i + 1] if i + 1 < len(line) else " "
    if marker == "*" and not line[:i].strip() and after == " ":
        return True  # "* item"
    if marker == "_" and before.isalnum() and after.isalnum():
        return True
    return before.isspace() and after.isspace()


def complete_markdown(text: str) -> str:
    """The longest prefix of ``text`` that renders without a half-open construct.

    Complete lines are shown as they are (an unclosed marker there is the model's own and
    stays); in the last, unfinished line everything from the first unmatched opener on is
    held back. An open code fence holds back from the fence."""
    fence = _open_fence(text)
    if fence is not None:
        return text[:fence].rstrip()
    if text.endswith("\n"):
        return text
    cut = text.rfind("\n") + 1
    line = text[cut:]
    keep = _held_back_in_line(line)
    return text[: cut + keep].rstrip() if keep < len(line) else text
