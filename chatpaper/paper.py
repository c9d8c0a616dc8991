"""The Paper record: what we read from arXiv and the PDF, shared by every later stage.

Plain dataclasses, no I/O. Page numbers are 1-based, as a reader would cite them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

ROLES = (
    "abstract",
    "introduction",
    "related_work",
    "method",
    "experiments",
    "results",
    "discussion",
    "conclusion",
    "references",
    "appendix",
    "other",
)


@dataclass
class Page:
    number: int  # 1-based
    text: str  # cleaned text


@dataclass
class Section:
    heading: str  # as it reads, e.g. "3 Design of papermage"
    role: str  # one of ROLES
    page: int  # 1-based page where the heading stands
    text: str  # body text under the heading, up to the next heading
    level: int = 1  # 1 for "3", 2 for "3.1", ...

    @property
    def chars(self) -> int:
        return len(self.text)


@dataclass
class Figure:
    page: int  # 1-based
    image: bytes  # PNG or JPEG bytes
    mime: str  # "image/png" or "image/jpeg"
    width: int
    height: int
    caption: str | None = None
    kind: str = "embedded"  # "embedded" raster image, "render" of its region, or "page" (whole)
    box: tuple[float, float, float, float] | None = None  # what it shows of its page, in points


@dataclass
class PaperMeta:
    """Bibliographic data, from the arXiv API or read off the PDF."""

    title: str = ""
    authors: list[str] = field(default_factory=list)
    affiliations: list[str] = field(default_factory=list)  # first author's first, if known
    abstract: str = ""
    arxiv_id: str | None = None  # without version, e.g. "2402.00864"
    version: str | None = None  # e.g. "v1"
    published: str | None = None  # ISO 8601
    updated: str | None = None
    comment: str | None = None
    categories: list[str] = field(default_factory=list)
    primary_category: str | None = None
    doi: str | None = None
    journal_ref: str | None = None

    @property
    def abs_url(self) -> str | None:
        if not self.arxiv_id:
            return None
        return f"https://arxiv.org/abs/{self.arxiv_id}{self.version or ''}"

    @property
    def pdf_url(self) -> str | None:
        if not self.arxiv_id:
            return None
        return f"https://arxiv.org/pdf/{self.arxiv_id}{self.version or ''}"


# With or without the scheme: many papers print "github.com/allenai/papermage".
_CODE_URL = re.compile(
    r"(?:https?://|(?<![\w.@/-]))(?:www\.)?"
    r"(?:github\.com|gitlab\.com|huggingface\.co|bitbucket\.org)/[^\s)\]}>,;\"']+",
    re.IGNORECASE,
)


@dataclass
class Paper:
    source: str  # what the user gave: a path or the arXiv ID
    meta: PaperMeta
    pages: list[Page]
    sections: list[Section] = field(default_factory=list)
    figures: list[Figure] = field(default_factory=list)
    fingerprint: str = ""  # "arxiv:ID+version" or "sha256:<pdf hash>": the results-cache identity
    pdf_bytes: bytes | None = field(default=None, repr=False)  # for figures; never cached

    @property
    def title(self) -> str:
        return self.meta.title

    @property
    def authors(self) -> list[str]:
        return self.meta.authors

    @property
    def arxiv_id(self) -> str | None:
        return self.meta.arxiv_id

    @property
    def text(self) -> str:
        return "\n\n".join(p.text for p in self.pages)

    @property
    def text_chars(self) -> int:
        return sum(len(p.text) for p in self.pages)

    def sections_with_role(self, *roles: str) -> list[Section]:
        return [s for s in self.sections if s.role in roles]

    def code_links(self) -> list[str]:
        """Code/data repository links that appear in the paper's own text (never invented)."""
        seen: dict[str, None] = {}
        body = (
            "\n".join(s.text for s in self.sections if s.role not in ("references",))
            if self.sections
            else self.text
        )
        # Links broken across lines by the PDF are not re-joined: we only show what is certain.
        for match in _CODE_URL.finditer(body):
            url = match.group(0).rstrip(".")
            seen.setdefault(url, None)
        return list(seen)
