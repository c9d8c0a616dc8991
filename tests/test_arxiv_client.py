"""The Atom parser on real-shaped feeds, and ArxivClient against a real local fake arXiv."""

from __future__ import annotations

import io
import itertools
import socket
import threading
import time

import pypdf
import pytest
import requests

from chatpaper.arxiv import (
    ArxivClient,
    ArxivQueryError,
    build_search_query,
    find_arxiv_id_in_text,
    parse_atom,
    parse_total_results,
)
from chatpaper.config import Settings
from chatpaper.errors import (
    ArxivError,
    ArxivNotFoundError,
    ArxivUnavailableError,
    InvalidSourceError,
    PdfTooLargeError,
)
from tests.fakes.arxiv_server import FakeArxiv, error_feed_xml
from tests.fakes.pdfgen import make_pdf

# --- parse_atom on feeds shaped like arXiv's own -------------------------------------------

# The pre-November-2025 style: hard-wrapped title, abstract and comment; namespaces declared
# on each element; several authors with affiliations; every optional field present.
WRAPPED_FEED = b"""<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <link href="http://arxiv.org/api/query?search_query%3D%26id_list%3D1234.56789v2" rel="self" type="application/atom+xml"/>
  <title type="html">ArXiv Query: search_query=&amp;id_list=1411.0001v2&amp;start=0&amp;max_results=10</title>
  <id>http://arxiv.org/api/AbCdEfGhIjKlMnOp</id>
  <updated>2016-10-09T00:00:00-04:00</updated>
  <opensearch:totalResults xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/">1</opensearch:totalResults>
  <opensearch:startIndex xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/">0</opensearch:startIndex>
  <opensearch:itemsPerPage xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/">10</opensearch:itemsPerPage>
  <entry>
    <id>http://arxiv.org/abs/1411.0001v2</id>
    <updated>2015-03-02T10:00:00Z</updated>
    <published>2014-11-01T09:30:00Z</published>
    <title>Counting Lattice Walks with Long Steps: Bounds on Mixing for
  Heat-Bath Chains</title>
    <summary>  We study random walks whose moves are lattice vectors of arbitrary
length.  We bound the diameter of the resulting graphs on fibers of an
integer matrix by a constant, and derive mixing times for heat-bath chains
on them.
</summary>
    <author>
      <name>Grace Hopper</name>
      <arxiv:affiliation xmlns:arxiv="http://arxiv.org/schemas/atom">Yale University</arxiv:affiliation>
      <arxiv:affiliation xmlns:arxiv="http://arxiv.org/schemas/atom">US Navy</arxiv:affiliation>
    </author>
    <author>
      <name>Edsger  W. Dijkstra</name>
      <arxiv:affiliation xmlns:arxiv="http://arxiv.org/schemas/atom">Eindhoven University of
  Technology</arxiv:affiliation>
    </author>
    <author>
      <name>Barbara Liskov</name>
      <arxiv:affiliation xmlns:arxiv="http://arxiv.org/schemas/atom">Yale University</arxiv:affiliation>
    </author>
    <arxiv:doi xmlns:arxiv="http://arxiv.org/schemas/atom">10.1000/example.2015.42</arxiv:doi>
    <link title="doi" href="http://dx.doi.org/10.1000/example.2015.42" rel="related"/>
    <arxiv:comment xmlns:arxiv="http://arxiv.org/schemas/atom">12 pages, 3 figures. Published
  version</arxiv:comment>
    <arxiv:journal_ref xmlns:arxiv="http://arxiv.org/schemas/atom">J. Lattice Walks 7, 101-112
  (2015)</arxiv:journal_ref>
    <link href="http://arxiv.org/abs/1411.0001v2" rel="alternate" type="text/html"/>
    <link title="pdf" href="http://arxiv.org/pdf/1411.0001v2" rel="related" type="application/pdf"/>
    <arxiv:primary_category xmlns:arxiv="http://arxiv.org/schemas/atom" term="math.CO" scheme="http://arxiv.org/schemas/atom"/>
    <category term="math.CO" scheme="http://arxiv.org/schemas/atom"/>
    <category term="math.PR" scheme="http://arxiv.org/schemas/atom"/>
  </entry>
</feed>
"""

# The current style: namespaces on the root, one-line text, and only the required fields.
UNWRAPPED_FEED = b"""<?xml version='1.0' encoding='UTF-8'?>
<feed xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/" xmlns:arxiv="http://arxiv.org/schemas/atom" xmlns="http://www.w3.org/2005/Atom">
  <id>https://arxiv.org/api/QrStUvWxYz</id>
  <title>arXiv Query: search_query=&amp;id_list=hep-th/9901001&amp;start=0&amp;max_results=100</title>
  <updated>2026-04-12T22:10:20Z</updated>
  <link href="https://arxiv.org/api/query?search_query=&amp;start=0&amp;max_results=100&amp;id_list=hep-th/9901001" type="application/atom+xml"/>
  <opensearch:itemsPerPage>100</opensearch:itemsPerPage>
  <opensearch:totalResults>1</opensearch:totalResults>
  <opensearch:startIndex>0</opensearch:startIndex>
  <entry>
    <id>http://arxiv.org/abs/hep-th/9901001v3</id>
    <title>Strings on a Lattice &amp; Their Discontents</title>
    <updated>1999-03-01T11:08:22Z</updated>
    <link href="https://arxiv.org/abs/hep-th/9901001v3" rel="alternate" type="text/html"/>
    <link href="https://arxiv.org/pdf/hep-th/9901001v3" rel="related" type="application/pdf" title="pdf"/>
    <summary>We put strings on a lattice. They do not like it.</summary>
    <category term="hep-th" scheme="http://arxiv.org/schemas/atom"/>
    <published>1999-01-04T11:08:22Z</published>
    <author>
      <name>Solo Author</name>
    </author>
  </entry>
</feed>
"""

EMPTY_FEED = b"""<?xml version='1.0' encoding='UTF-8'?>
<feed xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/" xmlns:arxiv="http://arxiv.org/schemas/atom" xmlns="http://www.w3.org/2005/Atom">
  <id>https://arxiv.org/api/xyz</id>
  <title>arXiv Query: search_query=&amp;id_list=2402.99999&amp;start=0&amp;max_results=100</title>
  <updated>2026-04-12T22:09:26Z</updated>
  <opensearch:itemsPerPage>100</opensearch:itemsPerPage>
  <opensearch:totalResults>0</opensearch:totalResults>
  <opensearch:startIndex>0</opensearch:startIndex>
</feed>
"""


def test_parse_wrapped_feed_with_every_field() -> None:
    (meta,) = parse_atom(WRAPPED_FEED)
    assert meta.title == (
        "Counting Lattice Walks with Long Steps: Bounds on Mixing for Heat-Bath Chains"
    )
    assert meta.abstract.startswith("We study random walks whose moves are lattice vectors")
    assert "  " not in meta.abstract and "\n" not in meta.abstract
    assert meta.abstract.endswith("heat-bath chains on them.")
    assert meta.authors == ["Grace Hopper", "Edsger W. Dijkstra", "Barbara Liskov"]
    # In author order, first author's first, each once.
    assert meta.affiliations == ["Yale University", "US Navy", "Eindhoven University of Technology"]
    assert (meta.arxiv_id, meta.version) == ("1411.0001", "v2")
    assert meta.published == "2014-11-01T09:30:00Z"
    assert meta.updated == "2015-03-02T10:00:00Z"
    assert meta.comment == "12 pages, 3 figures. Published version"
    assert meta.journal_ref == "J. Lattice Walks 7, 101-112 (2015)"
    assert meta.doi == "10.1000/example.2015.42"
    assert meta.categories == ["math.CO", "math.PR"]
    assert meta.primary_category == "math.CO"
    assert meta.abs_url == "https://arxiv.org/abs/1411.0001v2"


def test_parse_current_feed_with_missing_optional_fields() -> None:
    (meta,) = parse_atom(UNWRAPPED_FEED)
    assert meta.title == "Strings on a Lattice & Their Discontents"
    assert (meta.arxiv_id, meta.version) == ("hep-th/9901001", "v3")
    assert meta.authors == ["Solo Author"]
    assert meta.affiliations == []
    assert meta.comment is None and meta.doi is None and meta.journal_ref is None
    assert meta.primary_category is None
    assert meta.categories == ["hep-th"]
    assert parse_total_results(UNWRAPPED_FEED) == 1


def test_parse_empty_feed() -> None:
    assert parse_atom(EMPTY_FEED) == []
    assert parse_total_results(EMPTY_FEED) == 0


def test_error_feed_raises_with_arxivs_reason() -> None:
    with pytest.raises(ArxivQueryError, match=r"incorrect id format for 1234\.5") as caught:
        parse_atom(error_feed_xml("incorrect id format for 1234.5"))
    # Callers may catch it as either kind.
    assert isinstance(caught.value, InvalidSourceError) and isinstance(caught.value, ArxivError)
    assert caught.value.exit_code == 2


@pytest.mark.parametrize("body", [b"", b"<html><body>Oops</body></html>", b"not xml at all"])
def test_non_feed_raises_a_clear_error(body: bytes) -> None:
    with pytest.raises(ArxivError, match="not an Atom feed"):
        parse_atom(body)


@pytest.mark.parametrize("wrapped", [False, True], ids=["current", "wrapped"])
def test_fake_feeds_round_trip_in_both_styles(wrapped: bool) -> None:
    """The fake's feed (either style) parses back to exactly what was added."""
    title = "A Remarkably Long Title About Diffusion Models That Certainly Needs Wrapping Twice"
    abstract = "First sentence here. " * 20 + "Last one."
    with FakeArxiv(wrapped=wrapped) as arxiv:
        arxiv.add_paper(
            "2402.00864",
            title=title,
            abstract=abstract,
            authors=["Ada Lovelace", "Alan Turing"],
            affiliations={"Alan Turing": ["University of Manchester"]},
            comment="Accepted at a venue with a long name that wraps onto the next line of the feed",
            categories=["cs.CV", "cs.LG"],
            versions=2,
        )
        data = requests.get(arxiv.api_url, params={"id_list": "2402.00864"}, timeout=5).content
    if wrapped:
        entry_title = data.split(b"<entry>")[1].split(b"<title>")[1].split(b"</title>")[0]
        assert b"\n  " in entry_title  # really hard-wrapped
    (meta,) = parse_atom(data)
    assert meta.title == title
    assert meta.abstract == " ".join(abstract.split())
    assert meta.affiliations == ["University of Manchester"]
    assert meta.comment is not None and meta.comment.endswith("onto the next line of the feed")
    assert (meta.arxiv_id, meta.version, meta.primary_category) == ("2402.00864", "v2", "cs.CV")


def test_search_query_is_built_for_phrases_and_categories() -> None:
    assert build_search_query("diffusion models") == (
        '(ti:"diffusion models" OR abs:"diffusion models")'
    )
    assert build_search_query("  diffusion   models ", "cs.CV") == (
        '(ti:"diffusion models" OR abs:"diffusion models") AND cat:cs.CV'
    )
    # Quotes and brackets in the user's words cannot break the query's structure.
    assert (
        build_search_query('say "hi" (now) ti:x')
        == '(ti:"say hi now ti x" OR abs:"say hi now ti x")'
    )
    with pytest.raises(InvalidSourceError, match="needs a few keywords"):
        build_search_query(' "" () ')
    with pytest.raises(InvalidSourceError, match="not an arXiv category"):
        build_search_query("x", "cs.CV OR cat:math")


# --- the client against the fake -----------------------------------------------------------


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_fetch_metadata(arxiv: FakeArxiv) -> None:
    arxiv.add_paper(
        "2402.00864",
        title="Papers Made Plain",
        authors=["Tal August", "Lucy Lu Wang"],
        affiliations={"Tal August": ["University of Washington"]},
        versions=3,
        categories=["cs.HC", "cs.CL"],
    )
    client = ArxivClient(arxiv.settings())
    meta = client.fetch_metadata("https://arxiv.org/abs/2402.00864")
    assert meta.title == "Papers Made Plain"
    assert meta.authors == ["Tal August", "Lucy Lu Wang"]
    assert meta.affiliations == ["University of Washington"]
    assert (meta.arxiv_id, meta.version) == ("2402.00864", "v3")  # latest by default
    assert client.fetch_metadata("2402.00864", "v1").version == "v1"
    assert client.fetch_metadata("2402.00864v2").version == "v2"
    assert [r.query["id_list"] for r in arxiv.requests] == [
        "2402.00864",
        "2402.00864v1",
        "2402.00864v2",
    ]
    assert arxiv.user_agents == [Settings().user_agent] * 3


def test_fetch_metadata_for_old_style_id(arxiv: FakeArxiv) -> None:
    arxiv.add_paper("math/0309136", title="Knots", categories=["math.GT"])
    meta = ArxivClient(arxiv.settings()).fetch_metadata("math.GT/0309136")
    assert (meta.arxiv_id, meta.title) == ("math/0309136", "Knots")


def test_unknown_id_is_not_found(arxiv: FakeArxiv) -> None:
    with pytest.raises(ArxivNotFoundError) as caught:
        ArxivClient(arxiv.settings()).fetch_metadata("2402.99999")
    assert str(caught.value) == "arXiv has no paper with the ID 2402.99999; check the number."


def test_bad_id_never_reaches_the_network(arxiv: FakeArxiv) -> None:
    with pytest.raises(InvalidSourceError):
        ArxivClient(arxiv.settings()).fetch_metadata("https://evil.example/abs/2402.00864")
    assert arxiv.requests == []


def test_rejected_query_is_reported_in_arxivs_words(arxiv: FakeArxiv) -> None:
    arxiv.fail_next(400, body=error_feed_xml("incorrect id format for 2402.00864"))
    with pytest.raises(ArxivQueryError, match=r"incorrect id format for 2402\.00864"):
        ArxivClient(arxiv.settings()).fetch_metadata("2402.00864")


def test_fetch_pdf(arxiv: FakeArxiv) -> None:
    pdf = make_pdf(["arXiv:2402.00864v2  [cs.CL]  5 Feb 2024\nHello PDF"], title="Hello")
    arxiv.add_paper("2402.00864", pdf=pdf, versions=2)
    client = ArxivClient(arxiv.settings())
    assert client.fetch_pdf("2402.00864") == pdf
    assert client.fetch_pdf("arXiv:2402.00864", "v1") == pdf
    assert [r.path for r in arxiv.requests] == ["/pdf/2402.00864", "/pdf/2402.00864v1"]
    text = pypdf.PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    assert find_arxiv_id_in_text(text) == ("2402.00864", "v2")


def test_pdf_of_missing_version_is_not_found(arxiv: FakeArxiv) -> None:
    arxiv.add_paper("2402.00864", versions=1)
    with pytest.raises(ArxivNotFoundError, match=r"no PDF for 2402\.00864v5"):
        ArxivClient(arxiv.settings()).fetch_pdf("2402.00864v5")


@pytest.mark.parametrize("size", [60, 5000], ids=["short-page", "long-page"])
def test_non_pdf_body_is_a_clear_error(arxiv: FakeArxiv, size: int) -> None:
    arxiv.add_paper("2402.00864")
    arxiv.serve_non_pdf("2402.00864", body=b"<html>" + b"x" * size + b"</html>")
    with pytest.raises(ArxivError) as caught:
        ArxivClient(arxiv.settings()).fetch_pdf("2402.00864")
    assert str(caught.value) == (
        "arXiv did not return a PDF for 2402.00864 (it may not have one yet); "
        "upload the PDF instead."
    )


@pytest.mark.parametrize("declared", [True, False], ids=["content-length", "streamed"])
def test_oversize_pdf_is_refused(declared: bool) -> None:
    big = make_pdf(["x" * 80] * 2) + b"%" + b"0" * 300_000 + b"\n"
    with FakeArxiv(send_pdf_length=declared) as arxiv:
        arxiv.add_paper("2402.00864", pdf=big)
        client = ArxivClient(arxiv.settings(max_pdf_bytes=100_000))
        with pytest.raises(PdfTooLargeError, match=r"larger than the 97\.7 KB limit"):
            client.fetch_pdf("2402.00864")
        # Just under the limit is fine.
        small = ArxivClient(arxiv.settings(max_pdf_bytes=len(big)))
        assert small.fetch_pdf("2402.00864") == big


def test_rate_limit_then_success(arxiv: FakeArxiv) -> None:
    arxiv.add_paper("2402.00864", title="Patience")
    arxiv.fail_next(429, times=1, retry_after=0)
    heard: list[str] = []
    meta = ArxivClient(arxiv.settings(), on_status=heard.append).fetch_metadata("2402.00864")
    assert meta.title == "Patience"
    assert len(arxiv.requests) == 2
    assert any("HTTP 429" in message for message in heard)


def test_retry_after_is_honoured(arxiv: FakeArxiv) -> None:
    arxiv.add_paper("2402.00864")
    arxiv.fail_next(503, times=1, retry_after=1)
    ArxivClient(arxiv.settings()).fetch_pdf("2402.00864")
    first, second = arxiv.requests
    assert second.time - first.time >= 0.95


@pytest.mark.parametrize(
    ("status", "sentence"),
    [
        (503, "arXiv is not answering right now (HTTP 503)"),
        (429, "arXiv is limiting requests right now (HTTP 429)"),
    ],
)
def test_busy_until_retries_run_out(arxiv: FakeArxiv, status: int, sentence: str) -> None:
    arxiv.add_paper("2402.00864")
    arxiv.fail_next(status, times=10)
    client = ArxivClient(arxiv.settings(arxiv_retries=2))
    with pytest.raises(ArxivUnavailableError) as caught:
        client.fetch_metadata("2402.00864")
    assert str(caught.value) == f"{sentence}; try again in a minute or upload the PDF."
    assert len(arxiv.requests) == 3  # the first try and two retries


def test_connection_refused_fails_fast() -> None:
    port = _closed_port()
    settings = Settings(
        arxiv_api_url=f"http://127.0.0.1:{port}/api/query",
        arxiv_pdf_url=f"http://127.0.0.1:{port}/pdf/{{id}}",
        arxiv_min_interval=0.05,
        http_timeout=2.0,
    )
    began = time.monotonic()
    with pytest.raises(
        ArxivUnavailableError, match=r"could not be reached \(the connection was refused\)"
    ):
        ArxivClient(settings).fetch_pdf("2402.00864")
    assert time.monotonic() - began < 2.0


def test_timeout_is_reported(arxiv: FakeArxiv) -> None:
    arxiv.add_paper("2402.00864")
    arxiv.delay_next(1.0, times=5)
    began = time.monotonic()
    with pytest.raises(ArxivUnavailableError, match=r"did not answer within 0\.2 s"):
        ArxivClient(arxiv.settings(http_timeout=0.2)).fetch_metadata("2402.00864")
    assert time.monotonic() - began < 1.5


@pytest.mark.flaky(reruns=1)  # measures arrival times at the fake: noisy under load
def test_requests_are_paced_across_clients_and_threads(arxiv: FakeArxiv) -> None:
    """Two threads, each with its own client: requests still start >= interval apart and
    never overlap, because the pacer is process-wide."""
    interval = 0.3
    arxiv.add_paper("2402.00864")
    arxiv.add_paper("2402.00865")
    errors: list[BaseException] = []

    def work(arxiv_id: str) -> None:
        client = ArxivClient(arxiv.settings(arxiv_min_interval=interval))
        try:
            for _ in range(3):
                client.fetch_metadata(arxiv_id)
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=work, args=(i,)) for i in ("2402.00864", "2402.00865")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors
    times = sorted(r.time for r in arxiv.requests)
    assert len(times) == 6
    gaps = [later - earlier for earlier, later in itertools.pairwise(times)]
    assert min(gaps) >= interval - 0.02, gaps
    assert arxiv.max_in_flight == 1


def test_retries_are_paced_too(arxiv: FakeArxiv) -> None:
    arxiv.add_paper("2402.00864")
    arxiv.fail_next(503, times=1, retry_after=0)
    heard: list[str] = []
    client = ArxivClient(arxiv.settings(arxiv_min_interval=0.6), on_status=heard.append)
    client.fetch_metadata("2402.00864")
    first, second = arxiv.requests
    assert second.time - first.time >= 0.58
    assert any("rate limit" in message for message in heard)


def test_search_pages_newest_first(arxiv: FakeArxiv) -> None:
    for day in range(1, 8):  # seven matching cs.CV papers, one per day
        arxiv.add_paper(
            f"2402.{day:05d}",
            title=f"Diffusion Models, part {day}" if day % 2 else f"Paper {day}",
            abstract="We study diffusion models." if not day % 2 else "Nothing to see.",
            categories=["cs.CV"],
            published=f"2024-02-{day:02d}T10:00:00Z",
        )
    arxiv.add_paper(
        "2402.00020", title="Diffusion models in physics", categories=["physics.flu-dyn"]
    )
    arxiv.add_paper(
        "2402.00021", title="Models of diffusion", categories=["cs.CV"]
    )  # not the phrase
    client = ArxivClient(arxiv.settings())

    first, total = client.search("diffusion models", category="cs.CV", max_results=3)
    second, _ = client.search("diffusion models", category="cs.CV", start=3, max_results=3)
    third, _ = client.search("diffusion models", category="cs.CV", start=6, max_results=3)
    assert total == 7
    ids = [m.arxiv_id for m in first + second + third]
    assert ids == [f"2402.{day:05d}" for day in range(7, 0, -1)]
    query = arxiv.requests[0].query
    assert (
        query["search_query"] == '(ti:"diffusion models" OR abs:"diffusion models") AND cat:cs.CV'
    )
    assert (query["sortBy"], query["sortOrder"]) == ("submittedDate", "descending")
    assert [r.query["start"] for r in arxiv.requests] == ["0", "3", "6"]

    everything, total_any = client.search("diffusion models")
    assert total_any == 8 and "2402.00020" in [m.arxiv_id for m in everything]


def test_search_asks_again_after_an_empty_page(arxiv: FakeArxiv) -> None:
    arxiv.add_paper("2402.00864", title="Diffusion models")
    arxiv.empty_next(1)
    results, total = ArxivClient(arxiv.settings()).search("diffusion models")
    assert total == 1 and [m.arxiv_id for m in results] == ["2402.00864"]
    assert len(arxiv.requests) == 2


def test_search_with_no_hits(arxiv: FakeArxiv) -> None:
    arxiv.add_paper("2402.00864", title="Something else")
    assert ArxivClient(arxiv.settings()).search("quantum gravity") == ([], 0)
    assert len(arxiv.requests) == 1  # nothing to ask again for


def test_environment_points_the_client_at_the_fake(
    arxiv: FakeArxiv, monkeypatch: pytest.MonkeyPatch
) -> None:
    arxiv.add_paper("2402.00864", title="From the environment")
    monkeypatch.setenv("CHATPAPER_ARXIV_API_URL", arxiv.api_url)
    monkeypatch.setenv("CHATPAPER_ARXIV_PDF_URL", arxiv.pdf_url)
    monkeypatch.setenv("CHATPAPER_ARXIV_INTERVAL", "0")
    client = ArxivClient(Settings.from_env())
    assert client.fetch_metadata("arXiv:2402.00864").title == "From the environment"
    assert client.fetch_pdf("2402.00864").startswith(b"%PDF-")
    assert [r.path for r in arxiv.requests] == ["/api/query", "/pdf/2402.00864"]
