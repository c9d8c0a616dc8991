"""chatpaper: read a paper (arXiv or PDF) and stream a staged, structured summary."""

__version__ = "0.1.0"
