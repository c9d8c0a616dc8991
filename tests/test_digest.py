"""The daily arXiv digest, against the local fake arXiv and the fake Gemini (real HTTP, real
clients), plus the pure parts: date window, selection and the post's layout."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from datetime import date, datetime, timezone
from itertools import pairwise
from pathlib import Path

import pytest

from chatpaper import guard
from chatpaper.__main__ import main
from chatpaper.cache import ResultsCache
from chatpaper.config import Settings
from chatpaper.digest import (
    DateWindow,
    DigestProgress,
    NoPapersError,
    date_window,
    run_digest,
    select_papers,
)
from chatpaper.errors import InvalidSourceError
from chatpaper.paper import PaperMeta
from chatpaper.post import DigestEntry, demote_headings, render_post
from tests.fakes.arxiv_server import FakeArxiv
from tests.fakes.gemini_server import (
    FakeGemini,
    permission_denied,
    serve_fake_gemini,
    text_reply,
)
from tests.fakes.stage_replies import gemini_stage_reply

NOW = datetime(2024, 2, 5, 20, 0, tzinfo=timezone.utc)  # "today" is 2024-02-05


def abstract(topic: str) -> str:
    """An abstract whose sentences are long enough for the offline engine to quote."""
    return (
        f"Diffusion models for {topic} generate samples by reversing a gradual noising process. "
        f"We propose a sampler for {topic} that needs only four steps while keeping quality. "
        f"On the standard benchmark our {topic} method improves FID by 2.1 points over baselines. "
        "Ablations show that the learned step schedule accounts for most of the improvement."
    )


# Newest first: five papers in the window (2024-02-03 .. 2024-02-05) and one older.
PAPERS = [
    (
        "2402.05001",
        "Paper One: Fast Diffusion Sampling",
        "2024-02-05T09:00:00Z",
        "12 pages, 5 figures; code: https://github.com/example/one",
    ),
    ("2402.04002", "Paper Two: Diffusion for Video", "2024-02-04T15:00:00Z", None),
    (
        "2402.04001",
        "Paper Three: Diffusion Priors",
        "2024-02-04T08:00:00Z",
        "Accepted at ICLR 2024",
    ),
    ("2402.03001", "Paper Four: Latent Diffusion Editing", "2024-02-03T10:00:00Z", None),
    ("2401.20001", "Paper Old: Early Diffusion", "2024-01-20T10:00:00Z", None),
]


def add_papers(arxiv: FakeArxiv, papers=PAPERS, **kw) -> None:
    for arxiv_id, title, published, comment in papers:
        arxiv.add_paper(
            arxiv_id,
            title=title,
            abstract=abstract(title.split(":")[0].lower()),
            published=published,
            comment=comment,
            categories=["cs.CV"],
            **kw,
        )


def entries_of(post: str) -> list[str]:
    """The post's ``## `` entries, each as its text."""
    return ["## " + part for part in post.split("\n## ")[1:]]


def heading_of(entry: str) -> str:
    return entry.splitlines()[0][3:]


def collect(progress) -> tuple[list[DigestProgress], str]:
    events = list(progress)
    assert events[-1].kind == "done"
    return events, events[-1].post or ""


@pytest.fixture
def gemini(monkeypatch) -> Iterator[FakeGemini]:
    """The fake Gemini with well-formed stage answers, reached through the real SDK."""
    yield from serve_fake_gemini(monkeypatch, reply_generator=gemini_stage_reply)


def settings_for(arxiv: FakeArxiv, tmp_path: Path, **kw) -> Settings:
    values = {"cache_dir": tmp_path / "cache", "max_retry_wait": 2.0}
    values.update(kw)
    return arxiv.settings(**values)


def model_calls_for(gemini: FakeGemini, title: str) -> int:
    return sum(1 for r in gemini.generate_requests if f"Title: {title}" in r.prompt)


# --- pure parts ---------------------------------------------------------------------------
def test_the_window_is_one_day_or_the_last_n_days_ending_today():
    today = date(2024, 2, 5)
    assert date_window(day=date(2024, 2, 2), today=today) == DateWindow(
        date(2024, 2, 2), date(2024, 2, 2)
    )
    assert date_window(days=3, today=today) == DateWindow(date(2024, 2, 3), today)
    assert date_window(days=1, today=today) == DateWindow(today, today)
    with pytest.raises(InvalidSourceError, match="--days"):
        date_window(days=0, today=today)


def test_selection_keeps_the_window_one_record_per_id_with_its_newest_version_newest_first():
    def meta(arxiv_id, version, published):
        return PaperMeta(title=arxiv_id, arxiv_id=arxiv_id, version=version, published=published)

    found = [
        meta("2402.00002", "v1", "2024-02-04T10:00:00Z"),
        meta("2402.00001", "v1", "2024-02-03T23:30:00-02:00"),  # 2024-02-04 01:30 UTC
        meta("2402.00002", "v3", "2024-02-04T10:00:00Z"),  # the same paper again, revised
        meta("2402.00002", "v2", "2024-02-04T10:00:00Z"),
        meta("2402.00003", "v1", "2024-02-06T00:00:01Z"),  # after the window
        meta("2401.00009", "v1", "2024-02-02T23:59:59Z"),  # before the window
    ]
    window = DateWindow(date(2024, 2, 3), date(2024, 2, 5))

    chosen = select_papers(found, window)

    assert [(m.arxiv_id, m.version) for m in chosen] == [
        ("2402.00002", "v3"),
        ("2402.00001", "v1"),
    ]
    assert [m.arxiv_id for m in select_papers(found, window, limit=1)] == ["2402.00002"]


def entry(arxiv_id: str, title: str, comment: str | None = None, **kw) -> DigestEntry:
    meta = PaperMeta(
        title=title,
        authors=["Ada Lovelace", "Alan Turing"],
        abstract="We show that <b>bold</b> claims need evidence.",
        arxiv_id=arxiv_id,
        version="v2",
        published="2024-02-05T10:00:00Z",
        comment=comment,
    )
    summary = "**Summary**: One sentence.\n\n**Key Takeaways**\n- First point.\n- Second point."
    return DigestEntry(meta, summary=kw.pop("summary", summary), **kw)


def test_the_post_has_seed_style_front_matter_an_update_heading_and_one_entry_per_paper():
    entries = [
        entry("2402.00864", "ViCA-NeRF: View-Consistency-Aware 3D Editing", "NeurIPS 2023"),
        entry("2402.00001", "Another Paper"),
    ]
    post = render_post(
        "Diffusion Models",
        datetime(2024, 2, 2, 22, 16, 22),
        entries,
        "en",
        category="cs.CV",
        note="Summaries written by gemini.",
    )

    front, body = post.split("\n---\n", 1)
    assert front.splitlines() == [
        "---",
        "title: Diffusion Models",
        "date: 2024-02-02 22:16:22",
        "categories: Paper",
        "tags:",
        "    - Diffusion Models",
        "    - cs.CV",
        # a colon followed by a space would break YAML: the value is quoted
        'description: "Newest arXiv papers on Diffusion Models (2024-02-02), led by: '
        'ViCA-NeRF: View-Consistency-Aware 3D Editing"',
        "keywords: Diffusion Models",
    ]
    assert body.lstrip().startswith("> Summaries written by gemini.\n\n# Update on 2024-02-02\n")
    first, second = entries_of(post)
    assert first.splitlines()[:7] == [
        "## ViCA-NeRF: View-Consistency-Aware 3D Editing",
        "",
        "**Authors:** Ada Lovelace, Alan Turing",
        "",
        "We show that &lt;b>bold&lt;/b> claims need evidence.",  # shown as text, not markup
        "",
        "[PDF](https://arxiv.org/abs/2402.00864v2) NeurIPS 2023",
    ]
    assert "**Summary**: One sentence." in first and "**Key Takeaways**" in first
    assert "[PDF](https://arxiv.org/abs/2402.00001v2)\n" in second
    assert guard.check_document(post) == []
    assert "仅供参考" not in post


def test_the_chinese_post_uses_the_seed_heading_and_the_figures_block_label():
    item = entry("2402.00864", "ViCA-NeRF", figures=["post_images/2402.00864v2_fig1_p1.png"])
    post = render_post("Diffusion Models", date(2024, 2, 2), [item], "zh")

    assert "\ndate: 2024-02-02\n" in post
    assert (
        "description: Diffusion Models 方向最新论文已更新（2024-02-02），最新一篇：ViCA-NeRF\n"
        in post
    )
    assert "\n# 2024-02-02 更新\n" in post
    assert "**作者：** Ada Lovelace, Alan Turing" in post
    assert (
        "<details>\n  <summary>点此查看论文截图</summary>\n"
        '<img src="post_images/2402.00864v2_fig1_p1.png" align="middle">\n</details>'
    ) in post


def test_a_longer_post_starts_with_the_shorter_one_so_it_can_stream():
    items = [entry("2402.00864", "A"), entry("2402.00001", "B"), entry("2402.00002", "C")]
    posts = [render_post("T", date(2024, 2, 2), items[:n], "en", note="n") for n in (1, 2, 3)]
    assert posts[1].startswith(posts[0]) and posts[2].startswith(posts[1])


def test_two_papers_with_the_same_title_are_not_taken_for_a_repeat():
    post = render_post(
        "T",
        date(2024, 2, 2),
        [entry("2402.00864", "Attention"), entry("2402.00001", "Attention")],
        "en",
    )
    assert [heading_of(e) for e in entries_of(post)] == [
        "Attention",
        "Attention (arXiv:2402.00001)",
    ]
    assert guard.check_document(post) == []


def test_headings_inside_an_entry_never_open_an_entry_of_their_own():
    text = "# Top\n## Part\n### Sub\nnot # a heading\n###### deep"
    assert demote_headings(text) == "### Top\n### Part\n#### Sub\nnot # a heading\n###### deep"


# --- the whole run against the fakes --------------------------------------------------------
def test_the_post_lists_each_unique_paper_of_the_window_once_newest_first_with_real_links(
    arxiv, gemini, tmp_path
):
    add_papers(arxiv)
    settings = settings_for(arxiv, tmp_path)
    progress = run_digest(
        "diffusion",
        settings=settings,
        days=3,
        engine="gemini",
        now=NOW,
        page_size=2,
        cache=ResultsCache(settings.cache_dir),
    )
    events = []
    for event in progress:
        events.append(event)
        if event.kind == "search" and sum(e.kind == "search" for e in events) == 1:
            # While we page, arXiv receives a new submission and a revision: the pages shift,
            # so page 2 repeats the last paper of page 1 (now as v2).
            arxiv.add_paper(
                "2402.05999",
                title="Paper New: Late Diffusion",
                abstract=abstract("late"),
                published="2024-02-05T19:00:00Z",
            )
            arxiv.add_paper(
                "2402.04002",
                title="Paper Two: Diffusion for Video",
                abstract=abstract("paper two"),
                versions=2,
                published="2024-02-04T15:00:00Z",
            )
    post = events[-1].post or ""

    headings = [heading_of(e) for e in entries_of(post)]
    assert headings == [
        "Paper One: Fast Diffusion Sampling",
        "Paper Two: Diffusion for Video",
        "Paper Three: Diffusion Priors",
        "Paper Four: Latent Diffusion Editing",
    ]  # once each, newest first; the older paper is left out
    one, two, three, four = entries_of(post)
    assert (
        "\n[PDF](https://arxiv.org/abs/2402.05001v1) 12 pages, 5 figures; "
        "code: https://github.com/example/one\n"
    ) in one
    assert "\n[PDF](https://arxiv.org/abs/2402.04002v2)\n" in two  # the newest version
    assert "\n[PDF](https://arxiv.org/abs/2402.04001v1) Accepted at ICLR 2024\n" in three
    for item in (one, two, three, four):
        assert "**Authors:** Ada Lovelace, Alan Turing" in item
        assert "**Summary**: " in item and "**Key Takeaways**\n- " in item
        assert "arxiv.org/pdf" not in item and "❌" not in item
    assert post.startswith("---\ntitle: diffusion\n")
    assert 'description: "Newest arXiv papers on diffusion (2024-02-05), led by: Paper One' in post
    # Paging stopped at the page holding the older paper.
    searches = [r for r in arxiv.requests if r.path == "/api/query"]
    assert [r.query["start"] for r in searches] == ["0", "2", "4"]
    assert all(r.query["sortBy"] == "submittedDate" for r in searches)
    assert len(gemini.generate_requests) == 4  # one tldr call per paper, nothing asked twice

    path = tmp_path / "post.md"
    path.write_text(post, encoding="utf-8")
    assert guard.check_document(post) == []
    assert main(["check", str(path)]) == 0


def test_with_deep_a_paper_whose_pdf_fails_keeps_its_entry_with_a_one_line_note(
    arxiv, gemini, tmp_path
):
    add_papers(arxiv, PAPERS[:3])
    arxiv.serve_non_pdf("2402.04002")
    settings = settings_for(arxiv, tmp_path)

    events, post = collect(
        run_digest(
            "diffusion",
            settings=settings,
            days=3,
            engine="gemini",
            now=NOW,
            deep=True,
        )
    )

    one, two, three = entries_of(post)
    notes = [line for line in two.splitlines() if line.startswith("> ⚠️")]
    assert len(notes) == 1
    assert "abstract only" in notes[0] and "did not return a PDF" in notes[0]
    assert "**Summary**: " in two and "### 2." not in two  # the abstract's summary is kept
    for full in (one, three):  # the others have the structured summary, under their own title
        assert "**Summary**: " in full and "**Key Takeaways**" in full
        assert "\n### 1. Basic information\n" in full
        assert "\n### 2. Overview\n" in full and "\n### 4. Conclusion\n" in full
        assert "(4) **Workload**" in full
    assert [heading_of(e) for e in entries_of(post)] == [t for _, t, _, _ in PAPERS[:3]]
    assert len(gemini.generate_requests) == 4 + 1 + 4
    assert any(e.kind == "warning" and "2402.04002" in e.message for e in events)
    assert guard.check_document(post) == []


def test_a_model_failure_on_one_paper_is_noted_there_and_the_others_finish(arxiv, gemini, tmp_path):
    add_papers(arxiv, PAPERS[:3])
    gemini.enqueue(permission_denied(), match="Title: Paper Two")
    settings = settings_for(arxiv, tmp_path)

    events, post = collect(
        run_digest(
            "diffusion",
            settings=settings,
            days=3,
            engine="gemini",
            now=NOW,
        )
    )

    one, two, three = entries_of(post)
    assert "> ❌ This part could not be produced: " in two
    assert "**Summary**: " in one and "**Summary**: " in three
    failed = [e.entry for e in events if e.kind == "entry" and e.entry and e.entry.failed]
    assert [e.meta.arxiv_id for e in failed] == ["2402.04002"]
    assert events[-1].message.startswith("Digest ready: 3 papers in ")
    assert "(1 failed)" in events[-1].message


def test_the_guard_catches_a_defective_answer_in_an_entry_and_the_post_stays_clean(
    arxiv, gemini, tmp_path
):
    add_papers(arxiv, PAPERS[:2])
    gemini.enqueue(
        text_reply(
            "**Summary**: This paper xxx.\n\n**Key Takeaways**\n- xxx\n\nI hope this helps!"
        ),
        match="Title: Paper Two",
    )
    settings = settings_for(arxiv, tmp_path)

    _, post = collect(run_digest("diffusion", settings=settings, days=3, engine="gemini", now=NOW))

    assert model_calls_for(gemini, "Paper Two: Diffusion for Video") == 2  # asked once more
    assert "xxx" not in post and "hope this helps" not in post
    assert guard.check_document(post) == []


def test_an_interrupted_digest_resumes_without_asking_the_model_again_for_finished_papers(
    arxiv, gemini, tmp_path
):
    add_papers(arxiv, PAPERS[:4])
    settings = settings_for(arxiv, tmp_path)
    cache = ResultsCache(settings.cache_dir)

    def digest():
        return run_digest(
            "diffusion",
            settings=settings,
            days=3,
            engine="gemini",
            now=NOW,
            cache=cache,
            concurrency=1,
        )

    first = digest()
    finished = []
    for event in first:
        if event.kind == "paper":
            finished.append(event.entry.meta.title)
            break
    first.close()  # the user pressed Ctrl-C
    assert len(finished) == 1
    calls_before = {title: model_calls_for(gemini, title) for _, title, _, _ in PAPERS[:4]}
    assert calls_before[finished[0]] == 1

    events, post = collect(digest())

    assert model_calls_for(gemini, finished[0]) == 1  # not asked again
    for _, title, _, _ in PAPERS[:4]:
        assert model_calls_for(gemini, title) >= 1
    cached = [e for e in events if e.kind == "paper" and e.entry.from_cache]
    assert [e.entry.meta.title for e in cached][:1] == finished
    assert len(entries_of(post)) == 4
    assert all("**Summary**: " in item for item in entries_of(post))


def most_in_flight(calls) -> int:
    """The largest number of model calls the fake was serving at one moment."""
    return max(sum(1 for o in calls if o.started <= c.started < (o.ended or 1e18)) for c in calls)


def test_model_calls_for_different_papers_run_at_once_within_the_bound(arxiv, gemini, tmp_path):
    gemini.time_to_first_token = 0.2
    add_papers(arxiv, PAPERS[:3])
    settings = settings_for(arxiv, tmp_path)

    # --deep: four calls per paper, twelve in all, sharing three slots across papers
    _, post = collect(
        run_digest(
            "diffusion",
            settings=settings,
            days=3,
            engine="gemini",
            now=NOW,
            deep=True,
            concurrency=3,
        )
    )

    calls = gemini.generate_requests
    assert len(calls) == 12
    assert most_in_flight(calls) == 3

    def title(call) -> str:
        return re.search(r"^Title: (.+)$", call.prompt, re.MULTILINE).group(1)

    assert any(a.overlaps(b) and title(a) != title(b) for a in calls for b in calls)
    assert len(entries_of(post)) == 3


def test_a_rate_limit_is_waited_out(arxiv, gemini, tmp_path):
    gemini.requests_per_minute = 2
    gemini.rate_window = 1.0  # two calls per second
    add_papers(arxiv, PAPERS[:4])
    settings = settings_for(arxiv, tmp_path, max_retries=4)

    _, post = collect(
        run_digest("diffusion", settings=settings, days=3, engine="gemini", now=NOW, concurrency=4)
    )

    assert any(r.status == 429 for r in gemini.generate_requests)
    assert len(entries_of(post)) == 4
    assert all("**Summary**: " in e and "❌" not in e for e in entries_of(post))


def test_arxiv_is_asked_at_most_once_every_three_seconds(arxiv, tmp_path):
    add_papers(arxiv, [PAPERS[0], PAPERS[1], PAPERS[2], PAPERS[4]])
    settings = settings_for(arxiv, tmp_path, arxiv_min_interval=3.0)

    collect(
        run_digest("diffusion", settings=settings, days=3, engine="offline", now=NOW, page_size=2)
    )

    times = [r.time for r in arxiv.requests]
    assert len(times) == 2  # two pages; the second holds the older paper, so paging stops
    assert all(later - earlier >= 2.95 for earlier, later in pairwise(times))


def test_no_paper_in_the_window_says_how_to_widen_it(arxiv, tmp_path):
    add_papers(arxiv, [PAPERS[4]])
    with pytest.raises(NoPapersError, match=r"widen the window \(more days\)"):
        collect(
            run_digest(
                "diffusion",
                settings=settings_for(arxiv, tmp_path),
                days=3,
                engine="offline",
                now=NOW,
            )
        )


# --- the command line ---------------------------------------------------------------------
def test_the_offline_cli_digest_shows_progress_and_writes_a_post_that_passes_check(
    arxiv_env, tmp_path, capsys
):
    add_papers(arxiv_env, PAPERS[:3])
    out = tmp_path / "post.md"

    code = main(
        [
            "digest",
            "diffusion",
            "models",
            "--date",
            "2024-02-04",
            "--lang",
            "zh",
            "--engine",
            "offline",
            "--out",
            str(out),
        ]
    )

    assert code == 0
    err = capsys.readouterr().err
    assert re.search(r"^已完成 0/2 篇，用时 \d+ 秒 · 正在撰写：Paper Two", err, re.MULTILINE)
    assert re.search(r"^已完成 2/2 篇，用时 \d+ 秒$", err, re.MULTILINE)
    post = out.read_text(encoding="utf-8")
    assert "\n# 2024-02-04 更新\n" in post
    assert [heading_of(e) for e in entries_of(post)] == [
        "Paper Two: Diffusion for Video",
        "Paper Three: Diffusion Priors",
    ]
    for item in entries_of(post):
        assert "**摘要**: " in item and "**要点**\n- " in item
    assert "抽取式摘要" in post.split("\n# ")[0]  # the offline engine says what it is
    # Issue 11's bug: the shared call limit hid the engine's "extractive" capability, so the
    # guard re-asked the offline engine ("wrong_language") and left a note in the post.
    assert "Re-asking" not in err and "wrong_language" not in err
    assert "请核对" not in post and "wrong_language" not in post
    assert main(["check", str(out)]) == 0


def test_an_offline_chinese_digest_is_not_re_asked_and_carries_no_guard_note(
    arxiv_env, tmp_path, capsys
):
    """Issue 11: the digest's call-limit wrapper dropped the offline engine's ``extractive``
    capability, so its English quotes were taken for "wrong_language": the engine was asked
    again and the post said "请核对这一部分：wrong_language…"; ``summarize`` was clean."""
    add_papers(arxiv_env, PAPERS[:3])
    out = tmp_path / "post.md"
    argv = ["digest", "diffusion", "--date", "2024-02-04", "--lang", "zh", "--engine", "offline"]

    assert main([*argv, "--out", str(out)]) == 0

    err = capsys.readouterr().err
    post = out.read_text(encoding="utf-8")
    assert len(entries_of(post)) == 2
    assert "Re-asking" not in err and "wrong_language" not in err
    assert "请核对这一部分" not in post and "wrong_language" not in post


def test_the_cli_prints_the_post_to_stdout_without_out(arxiv_env, capsys):
    add_papers(arxiv_env, PAPERS[:2])
    assert main(["digest", "diffusion", "--date", "2024-02-05", "--engine", "offline"]) == 0
    printed = capsys.readouterr().out
    assert printed.startswith("---\ntitle: diffusion\n")
    assert [heading_of(e) for e in entries_of(printed)] == ["Paper One: Fast Diffusion Sampling"]


def test_the_cli_rejects_a_bad_date_with_the_form_to_use(arxiv_env, capsys):
    assert main(["digest", "diffusion", "--date", "2024-13-01", "--engine", "offline"]) == 2
    assert "give one like 2024-02-02" in capsys.readouterr().err


def figure_pdf() -> bytes:
    """A PDF holding one raster figure (what the figure extractor finds as 'embedded')."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (800, 500), "white")
    draw = ImageDraw.Draw(image)
    draw.rectangle((50, 50, 700, 400), outline="black", width=5)
    draw.ellipse((100, 100, 400, 300), fill="red")
    buffer = io.BytesIO()
    image.save(buffer, "PDF", resolution=100)
    return buffer.getvalue()


def test_figures_are_saved_next_to_the_post_and_linked_in_a_collapsible_block(arxiv_env, tmp_path):
    add_papers(arxiv_env, PAPERS[:1], pdf=figure_pdf())
    out = tmp_path / "site" / "post.md"

    code = main(
        [
            "digest",
            "diffusion",
            "--date",
            "2024-02-05",
            "--lang",
            "zh",
            "--engine",
            "offline",
            "--figures",
            "--out",
            str(out),
        ]
    )

    assert code == 0
    post = out.read_text(encoding="utf-8")
    links = re.findall(r'<img src="([^"]+)" align="middle">', post)
    assert links and all(link.startswith("post_images/2402.05001v1_fig") for link in links)
    assert all((out.parent / link).is_file() for link in links)
    assert "<details>\n  <summary>点此查看论文截图</summary>\n<img" in post
    assert main(["check", str(out)]) == 0


# --- the app tab --------------------------------------------------------------------------
def test_the_digest_tab_streams_the_post_paper_by_paper_and_offers_the_md(arxiv, tmp_path):
    gr = pytest.importorskip("gradio")
    from gradio_client import Client

    from chatpaper.ui import build_digest_tab

    add_papers(arxiv, PAPERS[:3])
    settings = settings_for(arxiv, tmp_path)
    with gr.Blocks() as demo:
        build_digest_tab(settings)
    demo.queue()
    demo.launch(prevent_thread_lock=True, server_name="127.0.0.1", quiet=True)
    try:
        client = Client(demo.local_url, analytics_enabled=False, verbose=False)
        job = client.submit(
            "diffusion", "", "2024-02-04", 5, "en", "offline", "", False, False, api_name="/digest"
        )
        for _ in job:
            pass
        outputs = job.outputs()
        status, shown, download = outputs[-1]
        partial = [o[1] for o in outputs if o[1] and o[1].count("\n## ") == 1]
    finally:
        demo.close()

    assert partial, "the post should appear with its first paper before the second"
    assert [heading_of(e) for e in entries_of(shown)] == [
        "Paper Two: Diffusion for Video",
        "Paper Three: Diffusion Priors",
    ]
    assert not shown.startswith("---")  # the preview leaves the front matter out
    saved = Path(download).read_text(encoding="utf-8")
    assert Path(download).suffix == ".md" and saved.startswith("---\ntitle: diffusion\n")
    assert status.startswith("Digest ready: 2 papers in ")


def test_the_digest_tab_turns_a_bad_date_into_a_message(arxiv, tmp_path):
    pytest.importorskip("gradio")
    import gradio as gr

    from chatpaper.ui import make_digest_handler

    handler = make_digest_handler(settings_for(arxiv, tmp_path), None)
    with pytest.raises(gr.Error, match="2024-02-02"):
        list(handler("diffusion", "", "yesterday", 5, "en", "offline", "", False))
