"""A real local HTTP server that answers like arXiv: the Atom API and /pdf/ downloads.

The real ``ArxivClient`` (requests) talks to it over 127.0.0.1, so tests exercise the wire:
query strings, status codes, Retry-After, streaming, and the timing of requests.

    with FakeArxiv() as arxiv:
        arxiv.add_paper("2402.00864", title="...", authors=["Ada Lovelace"], versions=2)
        arxiv.fail_next(503, times=2, retry_after=0)
        settings = arxiv.settings(arxiv_min_interval=0.3)
        ...
        [(t, path, query) for t, path, query in arxiv.requests]

Feeds follow arXiv's real responses: the current style (namespaces on the root, titles and
abstracts on one line) or, with ``wrapped=True``, the pre-2025 style (hard-wrapped text,
namespaces declared on each element). Unknown IDs give a feed with no entries; malformed
IDs the HTTP 400 feed whose single entry is titled "Error".
"""

from __future__ import annotations

import re
import textwrap
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler
from typing import Any, NamedTuple
from xml.sax.saxutils import escape, quoteattr

from chatpaper.config import Settings

from .local_server import LocalServer
from .pdfgen import make_pdf

ATOM = "http://www.w3.org/2005/Atom"
ARXIV = "http://arxiv.org/schemas/atom"
OPENSEARCH = "http://a9.com/-/spec/opensearch/1.1/"

# The server's own idea of a well-formed ID, independent of chatpaper's parser on purpose.
_WELL_FORMED = re.compile(r"(\d{4}\.\d{4,5}|[a-z-]+(\.[A-Z]{2})?/\d{7})(v\d+)?")
_SPLIT_VERSION = re.compile(r"(?P<id>.+?)(?:v(?P<version>\d+))?")


class LoggedRequest(NamedTuple):
    time: float  # time.monotonic() when the request arrived
    path: str  # e.g. "/api/query" or "/pdf/2402.00864v1"
    query: dict[str, str]  # decoded query parameters (last value wins)


@dataclass
class FakePaper:
    arxiv_id: str
    title: str
    authors: list[str]
    abstract: str
    pdf: bytes
    versions: int
    published: str
    updated: str
    categories: list[str]
    primary_category: str
    affiliations: dict[str, list[str]] = field(default_factory=dict)
    comment: str | None = None
    doi: str | None = None
    journal_ref: str | None = None


@dataclass
class _Fault:
    status: int
    remaining: int
    retry_after: str | None
    path_prefix: str | None
    body: bytes


@dataclass
class _Delay:
    seconds: float
    remaining: int
    path_prefix: str | None


class _QuerySyntaxError(ValueError):
    pass


# --- a small evaluator for arXiv's search_query language --------------------------------

_TOKEN = re.compile(
    r"\s*(?:(?P<open>\()|(?P<close>\))|(?P<op>ANDNOT|AND|OR)(?=[\s(])"
    r"|submittedDate:\[(?P<since>\d{12}) TO (?P<until>\d{12})\]"
    r'|(?P<field>ti|abs|au|cat|all|co|jr):(?:"(?P<phrase>[^"]*)"|(?P<word>[^\s()"]+)))'
)


def _tokens(query: str) -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    position = 0
    query = query.strip()
    while position < len(query):
        match = _TOKEN.match(query, position)
        if not match or match.end() == position:
            raise _QuerySyntaxError(f"cannot parse search_query near {query[position:]!r}")
        position = match.end()
        if match.group("open"):
            out.append(("(", None))
        elif match.group("close"):
            out.append((")", None))
        elif match.group("op"):
            out.append(("op", match.group("op")))
        elif match.group("since"):  # a date range (GMT), as YYYYMMDDHHMM
            out.append(("term", ("submittedDate", (match.group("since"), match.group("until")))))
        else:
            value = (
                match.group("phrase") if match.group("phrase") is not None else match.group("word")
            )
            out.append(("term", (match.group("field"), value)))
    return out


def _contains(haystack: str, needle: str) -> bool:
    needle = " ".join(needle.split())
    if not needle:
        return False
    pattern = r"(?<!\w)" + re.escape(needle).replace(r"\ ", r"\s+") + r"(?!\w)"
    return re.search(pattern, haystack, re.IGNORECASE) is not None


def _term_matches(paper: FakePaper, field_name: str, value: Any) -> bool:
    if field_name == "submittedDate":
        stamp = re.sub(r"\D", "", paper.published)[:12]
        return value[0] <= stamp <= value[1]
    if field_name == "ti":
        return _contains(paper.title, value)
    if field_name == "abs":
        return _contains(paper.abstract, value)
    if field_name == "au":
        return any(_contains(name, value) for name in paper.authors)
    if field_name == "cat":
        return value in paper.categories
    if field_name == "co":
        return _contains(paper.comment or "", value)
    if field_name == "jr":
        return _contains(paper.journal_ref or "", value)
    return any(_term_matches(paper, name, value) for name in ("ti", "abs", "au"))


def matches_query(paper: FakePaper, query: str) -> bool:
    """Evaluate ``query`` (terms, AND/OR/ANDNOT, brackets; left to right) for one paper."""
    tokens = _tokens(query)
    position = 0

    def operand() -> bool:
        nonlocal position
        if position >= len(tokens):
            raise _QuerySyntaxError("search_query ends too early")
        kind, value = tokens[position]
        position += 1
        if kind == "(":
            result = expression()
            if position >= len(tokens) or tokens[position][0] != ")":
                raise _QuerySyntaxError("unbalanced brackets in search_query")
            position += 1
            return result
        if kind == "term":
            return _term_matches(paper, *value)
        raise _QuerySyntaxError(f"unexpected {value or kind!r} in search_query")

    def expression() -> bool:
        nonlocal position
        result = operand()
        while position < len(tokens) and tokens[position][0] == "op":
            op = tokens[position][1]
            position += 1
            right = operand()
            result = {
                "AND": result and right,
                "OR": result or right,
                "ANDNOT": result and not right,
            }[op]
        return result

    result = expression()
    if position != len(tokens):
        raise _QuerySyntaxError("trailing tokens in search_query")
    return result


# --- feed XML ---------------------------------------------------------------------------


def _wrap(text: str, width: int, indent: str) -> str:
    """Hard-wrap like the pre-2025 API: continuation lines joined with newline + indent."""
    return ("\n" + indent).join(textwrap.wrap(" ".join(text.split()), width)) or ""


def _entry_xml(paper: FakePaper, version: int, wrapped: bool) -> str:
    vid = f"{paper.arxiv_id}v{version}"
    ns_arxiv = f' xmlns:arxiv="{ARXIV}"' if wrapped else ""
    scheme = f' scheme="{ARXIV}"'
    title = _wrap(paper.title, 70, "  ") if wrapped else " ".join(paper.title.split())
    if wrapped:
        summary = "  " + _wrap(paper.abstract, 78, "").replace(". ", ".  ") + "\n"
    else:
        summary = " ".join(paper.abstract.split())
    lines = [
        "  <entry>",
        f"    <id>http://arxiv.org/abs/{vid}</id>",
        f"    <title>{escape(title)}</title>",
        f"    <updated>{paper.updated if version == paper.versions else paper.published}</updated>",
        f'    <link href="https://arxiv.org/abs/{vid}" rel="alternate" type="text/html"/>',
        f'    <link href="https://arxiv.org/pdf/{vid}" rel="related" type="application/pdf"'
        ' title="pdf"/>',
        f"    <summary>{escape(summary)}</summary>",
    ]
    lines += [f"    <category term={quoteattr(c)}{scheme}/>" for c in paper.categories]
    lines.append(f"    <published>{paper.published}</published>")
    if paper.comment:
        comment = _wrap(paper.comment, 70, "  ") if wrapped else paper.comment
        lines.append(f"    <arxiv:comment{ns_arxiv}>{escape(comment)}</arxiv:comment>")
    if paper.journal_ref:
        lines.append(
            f"    <arxiv:journal_ref{ns_arxiv}>{escape(paper.journal_ref)}</arxiv:journal_ref>"
        )
    if paper.doi:
        lines.append(f"    <arxiv:doi{ns_arxiv}>{escape(paper.doi)}</arxiv:doi>")
        lines.append(
            f'    <link href="https://doi.org/{escape(paper.doi)}" rel="related" title="doi"/>'
        )
    lines.append(
        f"    <arxiv:primary_category{ns_arxiv} term={quoteattr(paper.primary_category)}"
        f"{scheme if wrapped else ''}/>"
    )
    for name in paper.authors:
        lines.append("    <author>")
        lines.append(f"      <name>{escape(name)}</name>")
        for affiliation in paper.affiliations.get(name, []):
            lines.append(
                f"      <arxiv:affiliation{ns_arxiv}>{escape(affiliation)}</arxiv:affiliation>"
            )
        lines.append("    </author>")
    lines.append("  </entry>")
    return "\n".join(lines)


def feed_xml(
    entries: list[tuple[FakePaper, int]],
    *,
    total: int,
    start: int,
    per_page: int,
    title: str,
    wrapped: bool = False,
) -> bytes:
    """An API response holding ``entries`` (paper, version) of ``total`` results."""
    now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    if wrapped:
        head = [
            f'<feed xmlns="{ATOM}">',
            f'  <title type="html">{escape(title)}</title>',
            "  <id>http://arxiv.org/api/fakefeedid</id>",
            f"  <updated>{now}</updated>",
            f'  <opensearch:totalResults xmlns:opensearch="{OPENSEARCH}">{total}'
            "</opensearch:totalResults>",
            f'  <opensearch:startIndex xmlns:opensearch="{OPENSEARCH}">{start}'
            "</opensearch:startIndex>",
            f'  <opensearch:itemsPerPage xmlns:opensearch="{OPENSEARCH}">{per_page}'
            "</opensearch:itemsPerPage>",
        ]
    else:
        head = [
            f'<feed xmlns:opensearch="{OPENSEARCH}" xmlns:arxiv="{ARXIV}" xmlns="{ATOM}">',
            "  <id>https://arxiv.org/api/fakefeedid</id>",
            f"  <title>{escape(title)}</title>",
            f"  <updated>{now}</updated>",
            f"  <opensearch:itemsPerPage>{per_page}</opensearch:itemsPerPage>",
            f"  <opensearch:totalResults>{total}</opensearch:totalResults>",
            f"  <opensearch:startIndex>{start}</opensearch:startIndex>",
        ]
    body = [_entry_xml(paper, version, wrapped) for paper, version in entries]
    text = "<?xml version='1.0' encoding='UTF-8'?>\n" + "\n".join([*head, *body, "</feed>"])
    return (text + "\n").encode("utf-8")


def error_feed_xml(reason: str) -> bytes:
    """arXiv's answer to a malformed query: HTTP 400 and one entry titled "Error"."""
    anchor = "https://arxiv.org/api/errors#" + re.sub(r"\s+", "_", reason)
    now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    text = f"""<?xml version='1.0' encoding='UTF-8'?>
<feed xmlns:opensearch="{OPENSEARCH}" xmlns:arxiv="{ARXIV}" xmlns="{ATOM}">
  <id>https://arxiv.org/</id>
  <title>arXiv Search Results</title>
  <updated>{now}</updated>
  <opensearch:itemsPerPage>1</opensearch:itemsPerPage>
  <opensearch:totalResults>1</opensearch:totalResults>
  <opensearch:startIndex>0</opensearch:startIndex>
  <entry>
    <id>{escape(anchor)}</id>
    <title>Error</title>
    <updated>{now}</updated>
    <link href={quoteattr(anchor)} rel="alternate" type="text/html"/>
    <summary>{escape(reason)}</summary>
    <author>
      <name>arXiv api core</name>
    </author>
  </entry>
</feed>
"""
    return text.encode("utf-8")


def default_pdf(
    arxiv_id: str,
    version: int,
    title: str,
    authors: list[str],
    abstract: str,
    category: str,
    published: str,
) -> bytes:
    """A one-page PDF with arXiv's margin stamp, the title, authors and abstract."""
    day = datetime.strptime(published[:10], "%Y-%m-%d")
    stamp = f"arXiv:{arxiv_id}v{version}  [{category}]  {day.day} {day:%b %Y}"
    lines: list[str | tuple[str, float]] = [
        stamp,
        (title, 16),
        ", ".join(authors),
        ("Abstract", 12),
    ]
    lines += textwrap.wrap(abstract, 90) or [""]
    return make_pdf([lines], title=title, author=", ".join(authors))


# --- the server -------------------------------------------------------------------------


class FakeArxiv(LocalServer):
    """A scripted arXiv on 127.0.0.1. Use ``with FakeArxiv() as arxiv:`` or ``start()``/``stop()``."""

    def __init__(self, *, wrapped: bool = False, send_pdf_length: bool = True):
        self.wrapped = wrapped  # pre-2025 feed style
        self.send_pdf_length = send_pdf_length  # False: PDFs end at connection close
        self.papers: dict[str, FakePaper] = {}
        self.requests: list[LoggedRequest] = []
        self.user_agents: list[str | None] = []
        self.max_in_flight = 0  # the most requests it was ever serving at once
        self._in_flight = 0
        self._faults: list[_Fault] = []
        self._delays: list[_Delay] = []
        self._non_pdf: dict[str, tuple[bytes, str]] = {}
        self._empty_pages = 0
        self._trickle: dict[str, tuple[int, float]] = {}  # arxiv_id -> (bytes, pause)
        self._lock = threading.Lock()

    # -- lifecycle --

    thread_name = "fake-arxiv"

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        return _make_handler(self)

    @property
    def base_url(self) -> str:
        return self.address

    @property
    def api_url(self) -> str:
        return f"{self.base_url}/api/query"

    @property
    def pdf_url(self) -> str:
        """A template like Settings.arxiv_pdf_url: ``{id}`` is the ID with its version."""
        return f"{self.base_url}/pdf/{{id}}"

    def settings(self, **overrides: Any) -> Settings:
        """Settings pointing at this server, with test-sized pacing, retries and timeouts."""
        values: dict[str, Any] = {
            "arxiv_api_url": self.api_url,
            "arxiv_pdf_url": self.pdf_url,
            "arxiv_min_interval": 0.0,
            "arxiv_retries": 2,
            "http_timeout": 5.0,
        }
        values.update(overrides)
        return Settings(**values)

    # -- content --

    def add_paper(
        self,
        arxiv_id: str,
        *,
        title: str = "A Paper About Testing",
        authors: list[str] | tuple[str, ...] = ("Ada Lovelace", "Alan Turing"),
        abstract: str = "We test things. The results are reassuring.",
        pdf: bytes | None = None,
        versions: int = 1,
        published: str | None = None,
        updated: str | None = None,
        categories: list[str] | tuple[str, ...] = ("cs.CL",),
        primary_category: str | None = None,
        affiliations: dict[str, list[str]] | None = None,
        comment: str | None = None,
        doi: str | None = None,
        journal_ref: str | None = None,
    ) -> FakePaper:
        """Add a paper (ID without version). ``pdf=None`` makes a one-page PDF from the
        fields, stamped like arXiv's. Without ``published``, each new paper is one day newer
        than the previous one."""
        if published is None:
            start = datetime(2024, 1, 1, 12, 0, tzinfo=timezone.utc)
            published = (start + timedelta(days=len(self.papers))).strftime("%Y-%m-%dT%H:%M:%SZ")
        categories = list(categories)
        primary = primary_category or categories[0]
        paper = FakePaper(
            arxiv_id=arxiv_id,
            title=title,
            authors=list(authors),
            abstract=abstract,
            pdf=pdf
            if pdf is not None
            else default_pdf(
                arxiv_id, versions, title, list(authors), abstract, primary, published
            ),
            versions=versions,
            published=published,
            updated=updated or published,
            categories=categories,
            primary_category=primary,
            affiliations=dict(affiliations or {}),
            comment=comment,
            doi=doi,
            journal_ref=journal_ref,
        )
        with self._lock:
            self.papers[arxiv_id] = paper
        return paper

    # -- scripted trouble --

    def fail_next(
        self,
        status: int,
        times: int = 1,
        *,
        retry_after: float | str | None = None,
        path_prefix: str | None = None,
        body: bytes = b"Rate exceeded.",
    ) -> None:
        """Answer the next ``times`` requests (under ``path_prefix``, e.g. "/pdf/") with
        ``status`` and, when given, a ``Retry-After`` header."""
        value = (
            None
            if retry_after is None
            else f"{retry_after:g}"
            if isinstance(retry_after, (int, float))
            else str(retry_after)
        )
        with self._lock:
            self._faults.append(_Fault(status, times, value, path_prefix, body))

    def delay_next(self, seconds: float, times: int = 1, *, path_prefix: str | None = None) -> None:
        """Sleep ``seconds`` before answering the next ``times`` requests (to cause timeouts)."""
        with self._lock:
            self._delays.append(_Delay(seconds, times, path_prefix))

    def trickle_pdf(self, arxiv_id: str, *, chunk: int, pause: float) -> None:
        """Send this paper's PDF ``chunk`` bytes at a time, ``pause`` seconds apart: a slow
        or stalling download (the length header is sent first, as arXiv does)."""
        with self._lock:
            self._trickle[arxiv_id] = (chunk, pause)

    def serve_non_pdf(
        self,
        arxiv_id: str,
        body: bytes = b"<html><body>PDF unavailable for this paper.</body></html>",
        content_type: str = "text/html; charset=utf-8",
    ) -> None:
        """Answer /pdf/ for this ID (any version) with 200 and ``body``, as arXiv does when
        it has no PDF yet."""
        with self._lock:
            self._non_pdf[arxiv_id] = (body, content_type)

    def empty_next(self, times: int = 1) -> None:
        """The next ``times`` searches answer with no entries but the true total (an arXiv
        quirk its clients retry)."""
        with self._lock:
            self._empty_pages += times

    # -- used by the handler --

    def _take(self, queue: list[Any], path: str) -> Any:
        with self._lock:
            for item in queue:
                if item.remaining > 0 and (
                    item.path_prefix is None or path.startswith(item.path_prefix)
                ):
                    item.remaining -= 1
                    return item
        return None


def _make_handler(fake: FakeArxiv) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "FakeArxiv/1.0"

        def log_message(self, format: str, *args: Any) -> None:  # keep test output clean
            pass

        def do_GET(self) -> None:
            arrived = time.monotonic()
            split = urllib.parse.urlsplit(self.path)
            query = dict(urllib.parse.parse_qsl(split.query, keep_blank_values=True))
            with fake._lock:
                fake.requests.append(LoggedRequest(arrived, split.path, query))
                fake.user_agents.append(self.headers.get("User-Agent"))
                fake._in_flight += 1
                fake.max_in_flight = max(fake.max_in_flight, fake._in_flight)
            try:
                self._answer(split.path, query)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (a timeout test); nothing to do
            finally:
                with fake._lock:
                    fake._in_flight -= 1

        def _answer(self, path: str, query: dict[str, str]) -> None:
            delay = fake._take(fake._delays, path)
            if delay is not None:
                time.sleep(delay.seconds)
            fault = fake._take(fake._faults, path)
            if fault is not None:
                headers = {"Retry-After": fault.retry_after} if fault.retry_after else {}
                self._send(fault.status, fault.body, "text/plain", headers)
                return
            if path == "/api/query":
                self._api(query)
            elif path.startswith("/pdf/"):
                self._pdf(urllib.parse.unquote(path[len("/pdf/") :]))
            else:
                self._send(404, b"Not found", "text/plain")

        def _send(
            self,
            status: int,
            body: bytes,
            content_type: str,
            headers: dict[str, str] | None = None,
            *,
            length: bool = True,
        ) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            if length:
                self.send_header("Content-Length", str(len(body)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

        def _feed(self, status: int, body: bytes) -> None:
            self._send(status, body, "application/atom+xml; charset=utf-8")

        def _api(self, query: dict[str, str]) -> None:
            id_list = [item.strip() for item in query.get("id_list", "").split(",") if item.strip()]
            search = query.get("search_query", "").strip()
            try:
                start = int(query.get("start", "0"))
                per_page = int(query.get("max_results", "10"))
            except ValueError:
                self._feed(400, error_feed_xml("start and max_results must be integers"))
                return
            title = "arXiv Query: " + "&".join(f"{k}={v}" for k, v in query.items())

            found: list[tuple[FakePaper, int]] = []
            with fake._lock:
                papers = list(fake.papers.values())
            for item in id_list:
                if not _WELL_FORMED.fullmatch(item):
                    self._feed(400, error_feed_xml(f"incorrect id format for {item}"))
                    return
                parts = _SPLIT_VERSION.fullmatch(item)
                assert parts is not None
                paper = fake.papers.get(parts.group("id"))
                if paper is None:
                    continue
                version = int(parts.group("version") or paper.versions)
                if 1 <= version <= paper.versions:
                    found.append((paper, version))
            if search:
                try:
                    hits = [p for p in papers if matches_query(p, search)]
                except _QuerySyntaxError as error:
                    self._feed(400, error_feed_xml(str(error)))
                    return
                newest_first = query.get("sortOrder", "descending") != "ascending"
                hits.sort(key=lambda p: (p.published, p.arxiv_id), reverse=newest_first)
                hit_entries = [(p, p.versions) for p in hits]
                if id_list:  # both given: the listed papers that also match
                    wanted = {p.arxiv_id for p, _ in found}
                    hit_entries = [(p, v) for p, v in hit_entries if p.arxiv_id in wanted]
                found = hit_entries
            total = len(found)
            page = found[start : start + max(per_page, 0)]
            if search and fake._empty_pages > 0:
                with fake._lock:
                    fake._empty_pages -= 1
                page = []
            self._feed(
                200,
                feed_xml(
                    page,
                    total=total,
                    start=start,
                    per_page=per_page,
                    title=title,
                    wrapped=fake.wrapped,
                ),
            )

        def _pdf(self, wanted: str) -> None:
            wanted = wanted.removesuffix(".pdf")
            parts = _SPLIT_VERSION.fullmatch(wanted)
            paper = fake.papers.get(parts.group("id")) if parts else None
            if paper is None or (parts and int(parts.group("version") or 1) > paper.versions):
                self._send(404, b"<html><body>Not found</body></html>", "text/html")
                return
            if paper.arxiv_id in fake._non_pdf:
                body, content_type = fake._non_pdf[paper.arxiv_id]
                self._send(200, body, content_type)
                return
            if paper.arxiv_id in fake._trickle:
                chunk, pause = fake._trickle[paper.arxiv_id]
                self.send_response(200)
                self.send_header("Content-Type", "application/pdf")
                self.send_header("Content-Length", str(len(paper.pdf)))
                self.end_headers()
                for start in range(0, len(paper.pdf), chunk):
                    self.wfile.write(paper.pdf[start : start + chunk])
                    self.wfile.flush()
                    time.sleep(pause)
                return
            self._send(200, paper.pdf, "application/pdf", length=fake.send_pdf_length)

    return Handler
