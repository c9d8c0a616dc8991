"""HuggingFace Space / local entry point: ``python app.py``.

Importing this module builds the UI but needs no API key and makes no network request.
"""

import sys

from chatpaper.config import Settings
from chatpaper.prompts import PromptError
from chatpaper.ui import build_ui, launch

settings = Settings.from_env()
try:
    demo = build_ui(settings)
except PromptError as err:  # the owner's own prompts folder is broken: say so in one line
    sys.exit(f"chatpaper: {err}")

if __name__ == "__main__":
    launch(demo, settings)
