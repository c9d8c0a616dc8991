"""Typed errors. Each carries one plain sentence a user can act on.

The package raises these; only the edges (ui.py, __main__.py) turn them into
gr.Error or an exit code. Messages never contain API keys.
"""

from __future__ import annotations


class ChatPaperError(Exception):
    """Base class: ``str(err)`` is the user-facing sentence."""

    exit_code = 1

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


# --- input -----------------------------------------------------------------
class InvalidSourceError(ChatPaperError):
    """The text is neither an arXiv ID/link nor a readable PDF path."""

    exit_code = 2


# --- arXiv -----------------------------------------------------------------
class ArxivError(ChatPaperError):
    """Anything that went wrong talking to arXiv."""


class ArxivNotFoundError(ArxivError):
    """arXiv answered, but has no paper with that ID."""


class ArxivUnavailableError(ArxivError):
    """arXiv could not be reached, timed out, or kept rate-limiting us."""


# --- PDF -------------------------------------------------------------------
class PdfError(ChatPaperError):
    """The PDF cannot be read (empty, not a PDF, broken, encrypted, no text, too big)."""


class PdfTooLargeError(PdfError):
    """Over the configured size or page limit."""


class EncryptedPdfError(PdfError):
    """Password-protected."""


class NoTextError(PdfError):
    """A scan or image-only PDF: there is no text layer to read."""


# --- language models ---------------------------------------------------------
class BackendError(ChatPaperError):
    """A model backend failed."""


class MissingKeyError(BackendError):
    """No API key was given for an engine that needs one."""


class InvalidKeyError(BackendError):
    """The provider rejected the key."""


class RateLimitError(BackendError):
    """Still rate-limited after waiting the allowed number of times."""


class BlockedError(BackendError):
    """The provider refused the prompt (safety block)."""


class StreamInterruptedError(BackendError):
    """The answer stopped part-way (connection dropped, provider error mid-stream)."""


class UnknownEngineError(BackendError):
    """No engine of that name is registered, or it cannot run here."""
