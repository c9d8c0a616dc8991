"""HuggingFace Space / local entry point: ``python app.py``.

Importing this module builds the UI but needs no API key and makes no network request.
"""

from chatpaper.config import Settings
from chatpaper.ui import build_ui, launch

settings = Settings.from_env()
demo = build_ui(settings)

if __name__ == "__main__":
    launch(demo, settings)
