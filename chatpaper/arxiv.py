"""The arXiv input layer: what users paste -> an arXiv ID -> metadata and the PDF.

Parsing is pure (``parse_arxiv_id``, ``find_arxiv_id_in_text``, ``parse_atom``) so it can be
tested exhaustively; ``ArxivClient`` is the thin I/O edge. The client only ever fetches URLs
it builds itself from a parsed ID, never a link as the user typed it, and it keeps arXiv's
terms process-wide: one connection at a time, at most one request every
``Settings.arxiv_min_interval`` seconds, whatever the number of clients or threads.
"""

from __future__ import annotations

import re
import threading
import time
import urllib.parse
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

import requests

from .config import Settings
from .errors import (
    ArxivError,
    ArxivNotFoundError,
    ArxivUnavailableError,
    InvalidSourceError,
    PdfTooLargeError,
)
from .paper import PaperMeta
from .retry import retry_after_seconds
from .text import one_line

__all__ = [
    "ArxivClient",
    "ArxivQueryError",
    "build_search_query",
    "find_arxiv_id_in_text",
    "format_arxiv_id",
    "parse_arxiv_id",
    "parse_atom",
    "parse_total_results",
]

EXAMPLE = "2402.00864 or https://arxiv.org/abs/2402.00864"


class ArxivQueryError(InvalidSourceError, ArxivError):
    """arXiv refused the query itself (its HTTP 400 "Error" feed): the input was wrong.

    Both an ``InvalidSourceError`` (exit code 2, the user must change what they typed) and an
    ``ArxivError`` (code that handles "anything from arXiv" still catches it).
    """


# --- IDs -------------------------------------------------------------------------------

# Archives that used the old ``archive(.SC)/YYMMNNN`` scheme (before April 2007).
OLD_ARCHIVES = frozenset(
    {
        "acc-phys",
        "adap-org",
        "alg-geom",
        "ao-sci",
        "astro-ph",
        "atom-ph",
        "bayes-an",
        "chao-dyn",
        "chem-ph",
        "cmp-lg",
        "comp-gas",
        "cond-mat",
        "cs",
        "dg-ga",
        "funct-an",
        "gr-qc",
        "hep-ex",
        "hep-lat",
        "hep-ph",
        "hep-th",
        "math",
        "math-ph",
        "mtrl-th",
        "nlin",
        "nucl-ex",
        "nucl-th",
        "patt-sol",
        "physics",
        "plasm-ph",
        "q-alg",
        "q-bio",
        "quant-ph",
        "solv-int",
        "supr-con",
    }
)

_NEW_ID = r"(?P<yymm>\d{4})\.(?P<number>\d{4,5})"
_OLD_ID = (
    r"(?P<archive>[A-Za-z]+(?:-[A-Za-z]+)?)(?:\.(?P<subject>[A-Za-z]+(?:-[A-Za-z]+)?))?"
    r"/(?P<serial>\d{7})"
)
_VERSION = r"(?P<version>[vV]\d+)?"
_ID = rf"(?:{_NEW_ID}|{_OLD_ID}){_VERSION}"

_BARE = re.compile(rf"{_ID}")
# arXiv:2402.00864v1, also as stamped on page 1: "arXiv:2402.00864v1 [cs.CV] 1 Feb 2024"
_PREFIXED = re.compile(
    rf"(?i:arxiv)\s*:\s*{_ID}"
    r"(?:\s+\[[A-Za-z-]+(?:\.[A-Za-z-]+)?\](?:\s+\d{1,2}\s+[A-Za-z]{3}\s+\d{4})?)?"
)
_DOI = re.compile(rf"(?:(?i:doi)\s*:\s*)?10\.48550/(?i:arxiv)\.{_ID}")
_URL = re.compile(
    r"(?:(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*)://)?"
    r"(?P<host>[^/?#\s]+)(?P<path>/[^?#\s]*)?(?:[?#]\S*)?"
)

# Where each site keeps a paper, by host. Anything else is not a paper link.
_ARXIV_PATH = re.compile(rf"/(?:abs|pdf|html)/{_ID}(?:\.pdf)?/*")
_ALPHAXIV_PATH = re.compile(rf"/(?:abs|overview)/{_ID}/*")
_HF_PATH = re.compile(rf"/papers/{_ID}/*")
_DOI_PATH = re.compile(rf"/10\.48550/(?i:arxiv)\.{_ID}/*")
_SITES: dict[str, re.Pattern[str]] = {
    "arxiv.org": _ARXIV_PATH,
    "www.arxiv.org": _ARXIV_PATH,
    "export.arxiv.org": _ARXIV_PATH,
    "alphaxiv.org": _ALPHAXIV_PATH,
    "www.alphaxiv.org": _ALPHAXIV_PATH,
    "huggingface.co": _HF_PATH,
    "www.huggingface.co": _HF_PATH,
    "doi.org": _DOI_PATH,
    "dx.doi.org": _DOI_PATH,
    "www.doi.org": _DOI_PATH,
}


def _shown(text: str, limit: int = 60) -> str:
    """The user's input, on one line and short enough to quote in a sentence."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _id_from_match(match: re.Match[str]) -> tuple[str | None, str | None, str | None]:
    """(canonical ID, version, None) or (None, None, why it is not a valid ID)."""
    version = match.group("version")
    if version is not None:
        if int(version[1:]) < 1:
            return None, None, "versions start at v1"
        version = "v" + str(int(version[1:]))
    if match.group("yymm") is not None:
        yymm, number = match.group("yymm"), match.group("number")
        month = int(yymm[2:])
        if not 1 <= month <= 12:
            return None, None, f"there is no month {yymm[2:]}"
        if yymm < "0704":
            return None, None, "IDs of this form start in April 2007 (0704)"
        if yymm >= "1501" and len(number) != 5:
            return None, None, "IDs since 2015 have five digits after the dot"
        if yymm < "1501" and len(number) != 4:
            return None, None, "IDs before 2015 have four digits after the dot"
        if int(number) == 0:
            return None, None, "paper numbers start at 1"
        return f"{yymm}.{number}", version, None
    archive, serial = match.group("archive").lower(), match.group("serial")
    if archive not in OLD_ARCHIVES:
        return None, None, f"'{archive}' is not an arXiv archive"
    year, month = int(serial[:2]), int(serial[2:4])
    if not 1 <= month <= 12:
        return None, None, f"there is no month {serial[2:4]}"
    if 8 <= year <= 90:
        return None, None, "old-style IDs run from 1991 to March 2007"
    if int(serial[4:]) == 0:
        return None, None, "paper numbers start at 1"
    # The subject class (math.GT/...) is not part of the identifier: arXiv files the paper
    # under math/0309136, and that is what its API and URLs answer to.
    return f"{archive}/{serial}", version, None


def _match_id(text: str) -> tuple[str | None, str | None, str | None]:
    """Try each accepted form on the whole of ``text``."""
    for pattern in (_BARE, _PREFIXED, _DOI):
        match = pattern.fullmatch(text)
        if match:
            return _id_from_match(match)
    url = _URL.fullmatch(text)
    if url and (url.group("scheme") is None or url.group("scheme").lower() in ("http", "https")):
        site = _SITES.get(url.group("host").lower())
        path = urllib.parse.unquote(url.group("path") or "")
        match = site.fullmatch(path) if site else None
        if match:
            return _id_from_match(match)
    return None, None, None


def parse_arxiv_id(text: str) -> tuple[str, str | None]:
    """The arXiv ID (without version) and version ("v2" or None) in whatever the user pasted.

    Accepts bare IDs (new ``2402.00864`` and old ``hep-th/9901001`` styles, with ``vN``),
    ``arXiv:`` prefixes, arxiv.org abs/pdf/html links, alphaxiv.org, huggingface.co/papers and
    the 10.48550 DOI. Old IDs come back without their subject class (``math/0309136``).
    Raises ``InvalidSourceError`` with a sentence showing an accepted form otherwise.
    """
    cleaned = (text or "").strip().rstrip("/").strip()
    if not cleaned:
        raise InvalidSourceError(f"No arXiv ID or link was given; paste something like {EXAMPLE}.")
    arxiv_id, version, problem = _match_id(cleaned)
    if arxiv_id is not None:
        return arxiv_id, version
    if problem:
        raise InvalidSourceError(
            f"'{_shown(text)}' is not a valid arXiv ID ({problem}); paste something like {EXAMPLE}."
        )
    raise InvalidSourceError(
        f"'{_shown(text)}' is not an arXiv ID or link; paste something like {EXAMPLE}."
    )


def format_arxiv_id(arxiv_id: str, version: str | None = None) -> str:
    """``2402.00864`` + ``v2`` -> ``2402.00864v2``: the form arXiv's URLs and API take."""
    return f"{arxiv_id}{version or ''}"


_MONTHS = "Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec"
# The stamp arXiv prints down the margin of page 1: "arXiv:2203.00130v1  [cs.HC]  28 Feb 2022".
# A version and a date are required: references cite "arXiv:2106.09685 [cs.CL]" without them.
_STAMP = re.compile(
    rf"(?<![\w/.])arXiv:\s*{_ID}\s*(?:\[[A-Za-z-]+(?:\.[A-Za-z-]+)?\]\s*)?"
    rf"\d{{1,2}}\s*(?:{_MONTHS})\s*(?:19|20)\d\d(?!\d)"
)


def find_arxiv_id_in_text(text: str) -> tuple[str, str | None] | None:
    """The (ID, version) of arXiv's own stamp in a PDF's text, or None.

    Strict on purpose: only the stamp form (ID with version, optional category, date) counts,
    so a citation or any other number in the paper is never taken for the paper's own ID.
    """
    for match in _STAMP.finditer(text or ""):
        if match.group("version") is None:
            continue
        arxiv_id, version, _ = _id_from_match(match)
        if arxiv_id is not None:
            return arxiv_id, version
    return None


# --- the Atom feed ----------------------------------------------------------------------

_NS = {
    "atom": "http://www.w3.org/2005/Atom",
    "arxiv": "http://arxiv.org/schemas/atom",
    "opensearch": "http://a9.com/-/spec/opensearch/1.1/",
}


def _optional(element: ET.Element, path: str) -> str | None:
    return one_line(element.findtext(path, namespaces=_NS)) or None


_NOT_A_FEED = "arXiv sent something that is not an Atom feed; try again later or upload the PDF."


def _parse_feed(data: bytes) -> ET.Element:
    try:
        root = ET.fromstring(data)
    except ET.ParseError:
        raise ArxivError(_NOT_A_FEED) from None
    if root.tag != f"{{{_NS['atom']}}}feed":
        raise ArxivError(_NOT_A_FEED)
    return root


def _entry_meta(entry: ET.Element) -> PaperMeta:
    entry_url = one_line(entry.findtext("atom:id", namespaces=_NS))
    try:
        arxiv_id, version = parse_arxiv_id(entry_url)
    except InvalidSourceError:
        arxiv_id, version = None, None
    authors: list[str] = []
    affiliations: list[str] = []
    for author in entry.findall("atom:author", _NS):
        name = one_line(author.findtext("atom:name", namespaces=_NS))
        if name:
            authors.append(name)
        for affiliation in author.findall("arxiv:affiliation", _NS):
            text = one_line(affiliation.text)
            if text and text not in affiliations:
                affiliations.append(text)
    primary = entry.find("arxiv:primary_category", _NS)
    return PaperMeta(
        title=one_line(entry.findtext("atom:title", namespaces=_NS)),
        authors=authors,
        affiliations=affiliations,
        abstract=one_line(entry.findtext("atom:summary", namespaces=_NS)),
        arxiv_id=arxiv_id,
        version=version,
        published=_optional(entry, "atom:published"),
        updated=_optional(entry, "atom:updated"),
        comment=_optional(entry, "arxiv:comment"),
        categories=[
            term
            for category in entry.findall("atom:category", _NS)
            if (term := (category.get("term") or "").strip())
        ],
        primary_category=(primary.get("term") or None) if primary is not None else None,
        doi=_optional(entry, "arxiv:doi"),
        journal_ref=_optional(entry, "arxiv:journal_ref"),
    )


def parse_atom(data: bytes) -> list[PaperMeta]:
    """The papers in an arXiv API response, in feed order.

    Handles the pre-2025 style (hard-wrapped title and abstract, namespaces declared on each
    element) and the current one. arXiv's "Error" feed raises ``ArxivQueryError``.
    """
    root = _parse_feed(data)
    entries = root.findall("atom:entry", _NS)
    if len(entries) == 1:
        only = entries[0]
        if one_line(only.findtext("atom:title", namespaces=_NS)) == "Error" and "/api/errors" in (
            only.findtext("atom:id", default="", namespaces=_NS)
        ):
            reason = one_line(only.findtext("atom:summary", namespaces=_NS)) or "no reason given"
            raise ArxivQueryError(
                f"arXiv rejected the query ({reason.rstrip('.')}); "
                "check the arXiv ID or search words."
            )
    return [_entry_meta(entry) for entry in entries]


def parse_total_results(data: bytes) -> int:
    """How many results the whole query has (``opensearch:totalResults``), for paging."""
    root = _parse_feed(data)
    text = (root.findtext("opensearch:totalResults", namespaces=_NS) or "").strip()
    return int(text) if text.isdigit() else 0


_CATEGORY = re.compile(r"[a-z-]+(?:\.[A-Za-z-]+)?")


def build_search_query(query: str, category: str | None = None) -> str:
    """arXiv ``search_query`` for a phrase in the title or abstract, optionally in a category.

    ``"diffusion models", "cs.CV"`` -> ``(ti:"diffusion models" OR abs:"diffusion models") AND
    cat:cs.CV``. Quotes, brackets and colons are dropped from the phrase so it cannot change
    the query's structure.
    """
    phrase = " ".join(re.sub(r'["()\[\]{}:\\]', " ", query or "").split())
    if not phrase:
        raise InvalidSourceError(
            "The arXiv search needs a few keywords; give something like 'diffusion models'."
        )
    built = f'(ti:"{phrase}" OR abs:"{phrase}")'
    if category:
        category = category.strip()
        if not _CATEGORY.fullmatch(category):
            raise InvalidSourceError(
                f"'{_shown(category)}' is not an arXiv category; give one like cs.CV or hep-th."
            )
        built += f" AND cat:{category}"
    return built


# --- the client ---------------------------------------------------------------------------

_RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
_TRANSPORT_RETRIES = 1  # a refused or timed-out connection is retried once, not N times
_MAX_RETRY_AFTER = 60.0  # seconds; never honour a longer Retry-After
_MIN_BACKOFF = 0.05


class _Turn:
    """A caller's exclusive slot with arXiv; it may push back everyone's next start."""

    def __init__(self, pacer: _Pacer):
        self._pacer = pacer

    def defer(self, seconds: float) -> None:
        """Nobody starts a request for ``seconds`` (arXiv asked us to wait, or is down)."""
        pacer = self._pacer
        pacer._not_before = max(pacer._not_before, time.monotonic() + seconds)


class _Pacer:
    """One request to arXiv at a time, each starting ``interval`` after the previous start.

    Module-level, so every client and thread in the process shares it (arXiv's terms are per
    user, not per object). The lock is held for the whole exchange, body included, which
    also gives "one connection at a time". The interval is the caller's, so settings with a
    shorter interval (tests) are not slowed by an earlier caller's longer one.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last_start = float("-inf")  # time.monotonic() of the latest request
        self._not_before = float("-inf")  # set by _Turn.defer

    @contextmanager
    def turn(self, interval: float, on_wait: Callable[[float], None] | None) -> Iterator[_Turn]:
        with self._lock:
            ready = max(self._last_start + max(0.0, interval), self._not_before)
            wait = ready - time.monotonic()
            if wait > 0:
                if on_wait is not None:
                    on_wait(wait)
                time.sleep(wait)
            self._last_start = time.monotonic()
            yield _Turn(self)


_PACER = _Pacer()

T = TypeVar("T")


def _transport_problem(error: requests.RequestException, timeout: float) -> str:
    """A few words on why the connection failed, for the user's sentence."""
    if isinstance(error, requests.Timeout):
        return f"it did not answer within {timeout:g} s"
    text = str(error).lower()
    if "refused" in text:
        return "the connection was refused"
    if "resolve" in text or "name or service" in text or "getaddrinfo" in text:
        return "its address could not be looked up"
    return "the connection failed"


def _human_size(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / 1024 / 1024:.3g} MB"
    return f"{size / 1024:.3g} KB"


class ArxivClient:
    """Metadata, PDFs and searches from arXiv, politely.

    ``on_status`` (optional) hears short sentences about waits, e.g. for a status line.
    """

    def __init__(
        self,
        settings: Settings,
        session: requests.Session | None = None,
        *,
        on_status: Callable[[str], None] | None = None,
    ):
        self.settings = settings
        self._session = session or requests.Session()
        self._on_status = on_status

    # -- public API --

    def fetch_metadata(self, arxiv_id: str, version: str | None = None) -> PaperMeta:
        """The paper's record from the arXiv API (the latest version unless one is given)."""
        paper_id, version = self._checked_id(arxiv_id, version)
        label = format_arxiv_id(paper_id, version)
        data = self._fetch(self.settings.arxiv_api_url, {"id_list": label}, self._read_feed)
        entries = [meta for meta in parse_atom(data) if meta.arxiv_id and meta.title]
        if not entries:
            raise ArxivNotFoundError(f"arXiv has no paper with the ID {label}; check the number.")
        return entries[0]

    def fetch_pdf(self, arxiv_id: str, version: str | None = None) -> bytes:
        """The paper's PDF bytes, refusing anything over ``max_pdf_bytes`` or not a PDF."""
        paper_id, version = self._checked_id(arxiv_id, version)
        label = format_arxiv_id(paper_id, version)
        url = self.settings.arxiv_pdf_url.format(id=label)
        return self._fetch(url, None, lambda response: self._read_pdf(response, label))

    def search(
        self,
        query: str,
        *,
        category: str | None = None,
        start: int = 0,
        max_results: int = 50,
    ) -> tuple[list[PaperMeta], int]:
        """Newest submissions with ``query`` in the title or abstract: (this page, total)."""
        params = {
            "search_query": build_search_query(query, category),
            "start": str(max(0, start)),
            "max_results": str(min(max(1, max_results), 2000)),
            "sortBy": "submittedDate",
            "sortOrder": "descending",
        }
        # arXiv sometimes answers a page with no entries although more exist; asking again
        # (paced, like any request) is what its own client libraries do.
        for _ in range(1 + max(0, self.settings.arxiv_retries)):
            data = self._fetch(self.settings.arxiv_api_url, params, self._read_feed)
            entries, total = parse_atom(data), parse_total_results(data)
            if entries or start >= total:
                break
            self._status("arXiv sent an empty page; asking again…")
        return entries, total

    # -- plumbing --

    @staticmethod
    def _checked_id(arxiv_id: str, version: str | None) -> tuple[str, str | None]:
        """Re-parse so only well-formed IDs ever reach a URL; an explicit version wins."""
        paper_id, parsed_version = parse_arxiv_id(arxiv_id)
        version = (version or "").strip()
        if version:
            if not version.lower().startswith("v"):
                version = "v" + version
            paper_id, version = parse_arxiv_id(format_arxiv_id(paper_id, version))
        return paper_id, version or parsed_version

    def _status(self, message: str) -> None:
        if self._on_status is not None:
            self._on_status(message)

    def _report_wait(self, seconds: float) -> None:
        if seconds >= 0.5:
            self._status(f"Waiting {seconds:.1f} s for arXiv's rate limit…")

    def _backoff(self, attempt: int) -> float:
        return max(self.settings.arxiv_min_interval, _MIN_BACKOFF) * 2**attempt

    def _fetch(
        self,
        url: str,
        params: dict[str, str] | None,
        read: Callable[[requests.Response], T],
    ) -> T:
        """GET ``url`` within the pacer, retrying busy answers; ``read`` consumes the body."""
        settings = self.settings
        busy_retries = max(0, settings.arxiv_retries)
        transport_retries = min(_TRANSPORT_RETRIES, busy_retries)
        busy_failures = transport_failures = 0
        headers = {"User-Agent": settings.user_agent}
        while True:
            with _PACER.turn(settings.arxiv_min_interval, self._report_wait) as turn:
                try:
                    response = self._session.get(
                        url,
                        params=params,
                        headers=headers,
                        timeout=settings.http_timeout,
                        stream=True,
                    )
                    with response:
                        if response.status_code not in _RETRY_STATUSES:
                            return read(response)
                        status = response.status_code
                        requested_wait = retry_after_seconds(response.headers)
                except requests.RequestException as error:
                    transport_failures += 1
                    if transport_failures > transport_retries:
                        problem = _transport_problem(error, settings.http_timeout)
                        raise ArxivUnavailableError(
                            f"arXiv could not be reached ({problem}); check the connection, "
                            "try again in a minute or upload the PDF."
                        ) from None
                    delay = self._backoff(transport_failures - 1)
                    turn.defer(delay)
                    self._status(f"arXiv did not answer; trying again in {delay:.1f} s…")
                    continue
                busy_failures += 1
                if busy_failures > busy_retries:
                    what = "is limiting requests" if status == 429 else "is not answering"
                    raise ArxivUnavailableError(
                        f"arXiv {what} right now (HTTP {status}); "
                        "try again in a minute or upload the PDF."
                    )
                if requested_wait is not None:
                    delay = min(requested_wait, _MAX_RETRY_AFTER, settings.max_retry_wait)
                else:
                    delay = self._backoff(busy_failures - 1)
                turn.defer(delay)
                self._status(
                    f"arXiv is busy (HTTP {status}); retry {busy_failures} of {busy_retries} "
                    f"in {delay:.1f} s…"
                )

    @staticmethod
    def _read_feed(response: requests.Response) -> bytes:
        body = response.content
        if response.status_code == 200:
            return body
        if response.status_code == 400:
            parse_atom(body)  # raises ArxivQueryError with arXiv's own reason
            raise ArxivQueryError("arXiv rejected the query; check the arXiv ID or search words.")
        raise ArxivUnavailableError(
            f"arXiv answered with HTTP {response.status_code}; "
            "try again in a minute or upload the PDF."
        )

    def _read_pdf(self, response: requests.Response, label: str) -> bytes:
        limit = self.settings.max_pdf_bytes
        too_large = PdfTooLargeError(
            f"The PDF of arXiv:{label} is larger than the {_human_size(limit)} limit; "
            "upload a smaller file or raise CHATPAPER_MAX_PDF_MB."
        )
        not_pdf = ArxivError(
            f"arXiv did not return a PDF for {label} (it may not have one yet); "
            "upload the PDF instead."
        )
        if response.status_code in (404, 410):
            raise ArxivNotFoundError(f"arXiv has no PDF for {label}; check the number and version.")
        if response.status_code != 200:
            raise ArxivUnavailableError(
                f"arXiv answered with HTTP {response.status_code} for the PDF of {label}; "
                "try again in a minute or upload the PDF."
            )
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > limit:
            raise too_large
        body = bytearray()
        checked = False
        for chunk in response.iter_content(chunk_size=64 * 1024):
            body += chunk
            if len(body) > limit:
                raise too_large
            if not checked and len(body) >= 1024:
                if body.lstrip()[:5] != b"%PDF-":
                    raise not_pdf  # an HTML page, most likely: stop downloading it
                checked = True
        if body.lstrip()[:5] != b"%PDF-":
            raise not_pdf
        return bytes(body)
