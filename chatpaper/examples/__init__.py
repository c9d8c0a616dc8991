"""Example papers bundled with chatpaper, so it can be tried with no network and no PDF at hand.

``chatpaper-example.pdf`` is a short technical report by the chatpaper authors on how
chatpaper checks page citations, dedicated to the public domain (CC0 1.0; see LICENSE.md in
this folder). ``scripts/make_example_pdf.py`` regenerates it.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["EXAMPLE_PDF_NAME", "example_pdf"]

EXAMPLE_PDF_NAME = "chatpaper-example.pdf"


def example_pdf() -> Path:
    """The bundled example paper's path: one way for the app, the CLI docs and the tests."""
    return Path(__file__).resolve().parent / EXAMPLE_PDF_NAME
