"""Pure helpers for waiting before a retry: what a server asked for, and how we say it."""

from __future__ import annotations

import email.utils
import math
import time
from typing import Any


def retry_after_seconds(headers: Any) -> float | None:
    """How long the server asked us to wait: ``retry-after-ms``, else ``Retry-After``
    (seconds or an HTTP date); None when it did not say. ``headers`` is any mapping with
    case-insensitive ``get`` (requests', httpx's) or a dict with lower-case names."""
    if headers is None:
        return None
    ms = headers.get("retry-after-ms")
    if ms is not None:
        try:
            value = float(ms) / 1000
            if math.isfinite(value):
                return max(value, 0.0)
        except ValueError:
            pass
    raw = (headers.get("retry-after") or "").strip()
    if not raw:
        return None
    try:
        value = float(raw)
        return max(value, 0.0) if math.isfinite(value) else None
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(raw)
    except (TypeError, ValueError):
        return None
    if when is None:
        return None
    return max(when.timestamp() - time.time(), 0.0)


def format_seconds(value: float) -> str:
    """A wait as people read it: "26", "1.5", "2" (no trailing ".0")."""
    return f"{value:.0f}" if value >= 10 else f"{value:.1f}".rstrip("0").rstrip(".")
