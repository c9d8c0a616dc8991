"""Command line: ``python -m chatpaper inspect|summarize|ask|check|digest``.

Errors become one line on stderr and a non-zero exit code; never a traceback for bad input.
Exit codes: 0 done, 1 failed (or defects found by ``check``), 2 bad input, 3 partly done.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from dataclasses import replace
from pathlib import Path

from .config import Settings
from .errors import ChatPaperError
from .i18n import get_language
from .prompts import load_prompts


def _status(message: str) -> None:
    print(f"… {message}", file=sys.stderr, flush=True)


# --- inspect -------------------------------------------------------------------
def inspect_report(paper, figure_count: int) -> dict:
    return {
        "source": paper.source,
        "arxiv_id": paper.arxiv_id,
        "title": paper.title,
        "authors": paper.authors,
        "pages": len(paper.pages),
        "text_chars": paper.text_chars,
        "sections": [
            {"heading": s.heading, "role": s.role, "page": s.page, "chars": s.chars}
            for s in paper.sections
        ],
        "figures": figure_count,
    }


def cmd_inspect(args: argparse.Namespace, settings: Settings) -> int:
    from .document import figures_of
    from .reader import read_source

    paper = read_source(args.source, settings=settings, on_status=_status)
    figures = 0 if args.no_figures else len(figures_of(paper, settings))
    report = inspect_report(paper, figures)
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=2))
        return 0
    print(f"Source:   {report['source']}")
    print(f"arXiv ID: {report['arxiv_id'] or '-'}")
    print(f"Title:    {report['title'] or '-'}")
    print(f"Authors:  {', '.join(report['authors']) or '-'}")
    print(f"Pages:    {report['pages']}  ({report['text_chars']:,} characters of text)")
    print(f"Figures:  {report['figures']}")
    print("Sections:")
    if not report["sections"]:
        print("  (no headings found: the text is used page by page)")
    for s in report["sections"]:
        print(f"  p.{s['page']:<3} {s['role']:<13} {s['heading']}  ({s['chars']:,} chars)")
    return 0


# --- summarize -----------------------------------------------------------------
def cmd_summarize(args: argparse.Namespace, settings: Settings) -> int:

    from .cache import open_cache
    from .grounding import describe
    from .llm.base import create_backend
    from .ordered_output import DocumentOrderWriter
    from .reader import read_source
    from .render import defuse_model_markdown, render_stage
    from .stages import numbered_stages
    from .summarize import SummaryJob

    paper = read_source(args.source, settings=settings, on_status=_status)
    lang = get_language(args.lang)
    job = SummaryJob(
        paper,
        create_backend(args.engine, settings, model=args.model),
        settings=settings,
        language=lang,
        cache=None if args.no_cache else open_cache(settings),
        refresh=args.refresh,
        show_pages=not args.no_citations,
    )
    out = sys.stdout
    out.write(job.header() + "\n")
    out.flush()

    # Stages run concurrently; the terminal shows them in document order, streaming the
    # current one live and printing the later ones as soon as their turn comes. A file or a
    # pipe gets each part only once its guard has passed: a replaced answer never lands in it.
    headings = {
        record.name: f"## {record.heading(lang)}" for record in numbered_stages()
    }
    writer = DocumentOrderWriter(
        out,
        job.stages,
        lang,
        headings=headings,
        render_extra=render_stage,
        live=out.isatty(),
        checked=lambda result: render_stage(
            replace(result, warnings=[], error=None), lang, job.grounder
        ),
        marks=lambda result: describe(
            job.grounder.report(defuse_model_markdown(result.text.strip())), lang.code
        ),
    )
    for event in job.events():
        if event.kind == "status":
            _status(event.text)
        elif event.kind == "stage_restart":
            writer.restart(event.stage)
        writer.update(job.state)
    writer.update(job.state)
    checked = job.grounding_summary()
    if checked:
        _status(checked)

    if args.out:
        from .document import figures_of

        figures = [] if args.no_figures else figures_of(paper, settings)
        files = job.document(figures).write(Path(args.out))
        _status(f"Saved {args.out}" + (f" and {len(files) - 1} figures" if figures else ""))
    if job.state.errors:
        for stage, message in job.state.errors.items():
            print(f"chatpaper: the {stage} part failed: {message}", file=sys.stderr)
        return 1 if len(job.state.errors) >= len(job.stages) else 3  # 3: some parts failed
    if not any(result.text.strip() for result in job.state.stages.values()):
        print(
            "chatpaper: every part of the summary came back empty; try again, or choose another "
            "engine or model.",
            file=sys.stderr,
        )
        return 1
    return 0


# --- engines -------------------------------------------------------------------
def cmd_engines(args: argparse.Namespace, settings: Settings) -> int:
    from .llm.base import available_engines, default_engine, engines

    registry = engines()
    runnable = available_engines(settings)
    default = default_engine(settings)
    order = {name: i for i, name in enumerate(runnable)}  # the default first, as it says
    for name, info in sorted(registry.items(), key=lambda item: order.get(item[0], len(order))):
        if name not in runnable:
            state = f"not available: {info.requirement or 'not configured'}"
        else:
            state = "default" if name == default else "available"
        print(f"{name:<9} {info.label:<34} {state}")
    return 0


# --- check ---------------------------------------------------------------------
def cmd_check(args: argparse.Namespace, settings: Settings) -> int:
    from . import guard

    try:
        text = Path(args.file).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise ChatPaperError(f"Cannot read {args.file} as text ({err}); check the path.") from err
    from .summary_check import check_summary, summary_language

    lang = summary_language(text)  # one of our summaries: read it as that document
    defects = check_summary(text, lang) if lang else guard.check_document(text)
    found = guard.defects_to_json(defects)
    checked = ""
    if args.paper:
        from .grounding import check_citations, defects_of, index_for
        from .reader import read_source
        from .text import count_cjk

        paper = read_source(args.paper, settings=settings, on_status=_status)
        zh = count_cjk(text) > len(text) // 20
        report = check_citations(text, index_for(paper), lang="zh" if zh else "en")
        grounded = defects_of(text, report)
        found["defects"] = sorted(
            found["defects"] + [d.to_json() for d in grounded], key=lambda d: d["line"]
        )
        checked = report.summary_line("en")
        defects = [*defects, *grounded]
    if args.json:
        print(json.dumps(found, ensure_ascii=False, indent=2))
    elif defects:
        print("\n".join(f"line {d['line']}: {d['kind']}: {d['text']}" for d in found["defects"]))
    else:
        print("No defects found.")
    if checked and not args.json:
        print(checked)
    return 1 if defects else 0


# --- digest --------------------------------------------------------------------
def _digest_arguments(parser: argparse.ArgumentParser) -> None:
    """The ``digest`` subcommand's arguments."""
    from .digest import DEFAULT_DAYS, DEFAULT_MAX_PAPERS

    parser.add_argument("query", nargs="*", help="words to find in titles and abstracts")
    parser.add_argument(
        "--config", default=None, help="a topics file (TOML, one [[topic]] table each)"
    )
    parser.add_argument(
        "--out-dir", default="site", help="with --config: where posts/, feed.xml go"
    )
    parser.add_argument(
        "--batch", action="store_true", help="with --config: every model call as one Gemini batch"
    )
    parser.add_argument("--site-url", default="", help="with --config: the site's address")
    parser.add_argument("--category", default=None, help="an arXiv category, such as cs.CV")
    when = parser.add_mutually_exclusive_group()
    when.add_argument("--date", default=None, help="papers submitted on this day (YYYY-MM-DD, UTC)")
    when.add_argument(
        "--days",
        type=int,
        default=None,
        help=f"papers submitted in the last N days, today included (default {DEFAULT_DAYS})",
    )
    parser.add_argument(
        "--max",
        type=int,
        default=DEFAULT_MAX_PAPERS,
        dest="max_papers",
        help=f"at most this many papers, the newest (default {DEFAULT_MAX_PAPERS})",
    )
    parser.add_argument("--lang", default="en", help="post language: en or zh (default en)")
    parser.add_argument(
        "--engine",
        default=None,
        help="gemini, openai or offline (default: gemini with a key, else offline)",
    )
    parser.add_argument("--model", default=None, help="model name for the engine")
    parser.add_argument(
        "--deep",
        action="store_true",
        help="also read each PDF for the full structured summary (4 model calls per paper); "
        "with --out, adds the paper's figures",
    )
    parser.add_argument(
        "--figures",
        action="store_true",
        help="add each paper's figures (saved in <post>_images/ next to --out)",
    )
    parser.add_argument(
        "--out", default=None, help="write the post to this .md file (default: stdout)"
    )
    parser.add_argument(
        "--concurrency",
        type=int,
        default=None,
        help="model calls in flight at once (default $CHATPAPER_DIGEST_CONCURRENCY or 4)",
    )
    parser.add_argument("--refresh", action="store_true", help="ignore the results cache")
    parser.add_argument(
        "--no-cache", action="store_true", help="neither read nor write the cache (no resuming)"
    )


def cmd_digest(args: argparse.Namespace, settings: Settings) -> int:
    """Run ``digest``: progress on stderr, the post to --out or stdout. Exit 0 when every
    paper was written cleanly, 3 when some entries carry a note about a failure."""
    from .cache import open_cache
    from .digest import parse_day, run_digest
    from .errors import InvalidSourceError

    if args.config:
        return _daily(args, settings)
    query = " ".join(args.query).strip()
    if not query:
        raise InvalidSourceError("digest needs a query (or --config topics.toml).")
    day = parse_day(args.date) if args.date else None
    out_path = Path(args.out) if args.out else None
    figures_dir = None
    if args.figures or args.deep:
        if out_path is not None:
            figures_dir = out_path.parent / f"{out_path.stem}_images"
        elif args.figures:
            raise InvalidSourceError(
                "--figures needs --out, to know where to save the images next to the post."
            )
    progress = run_digest(
        query,
        settings=settings,
        category=args.category,
        day=day,
        days=args.days,
        max_papers=args.max_papers,
        language=args.lang,
        engine=args.engine,
        model=args.model,
        deep=args.deep,
        figures_dir=figures_dir,
        cache=None if args.no_cache else open_cache(settings),
        refresh=args.refresh,
        concurrency=args.concurrency,
    )
    printed = ""
    post = ""
    problems = 0
    try:
        for event in progress:
            if event.kind == "entry" and event.post:
                if event.entry is not None and (event.entry.failed or event.entry.notes):
                    problems += 1
                if out_path is None:  # stream the post to stdout, entry by entry
                    fresh = event.post.startswith(printed)
                    sys.stdout.write(event.post[len(printed) :] if fresh else event.post)
                    sys.stdout.flush()
                    printed = event.post
                continue
            if event.kind == "done":
                post = event.post or ""
            if event.kind in ("stage", "paper"):  # the progress lines say it in words
                continue
            print(event.message, file=sys.stderr, flush=True)
    except KeyboardInterrupt:
        progress.close()
        print(
            "chatpaper: stopped; run the same command again to resume (finished papers come "
            "from the results cache).",
            file=sys.stderr,
        )
        raise
    if out_path is not None:
        out_path.parent.mkdir(parents=True, exist_ok=True)
        from .site import write_atomically

        write_atomically(out_path, post)
        print(f"Saved {out_path}", file=sys.stderr)
    elif post and not post.startswith(printed):
        sys.stdout.write(post)
    elif post:
        sys.stdout.write(post[len(printed) :])
    sys.stdout.flush()
    return 3 if problems else 0


def _daily(args: argparse.Namespace, settings: Settings) -> int:
    """``digest --config``: one post per topic for the day, then the feed and the index."""
    from datetime import datetime, timezone

    from .cache import open_cache
    from .daily import run_daily
    from .digest import parse_day
    from .topics import load_topics

    topics = load_topics(Path(args.config))
    day = parse_day(args.date) if args.date else datetime.now(timezone.utc).date()
    report = run_daily(
        topics,
        settings=settings,
        day=day,
        out_dir=Path(args.out_dir),
        cache=None if args.no_cache else open_cache(settings),
        batch=args.batch,
        refresh=args.refresh,
        site_url=args.site_url,
        on_status=_status,
    )
    _status(
        f"{len(report.written)} post(s) written, {len(report.kept)} kept; "
        f"{report.papers} paper(s), {report.batch_requests} batch request(s), "
        f"{report.model_calls} streaming model call(s)."
    )
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="chatpaper",
        description="Read a paper (arXiv ID/link or PDF) and summarize it, staged and streamed.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log details to stderr")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("inspect", help="show what we read from a paper (title, sections, ...)")
    p.add_argument("source", help="a PDF path or an arXiv ID/link")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--no-figures", action="store_true", help="skip counting figures (faster)")
    p.set_defaults(func=cmd_inspect)

    p = sub.add_parser("summarize", help="stream a staged summary as Markdown")
    p.add_argument("source", help="a PDF path or an arXiv ID/link")
    p.add_argument("--lang", default="en", help="output language: en, zh, or a language name")
    p.add_argument(
        "--engine",
        default=None,
        help="gemini, openai or offline (default: gemini with a key, else offline)",
    )
    p.add_argument("--model", default=None, help="model name for the engine")
    p.add_argument("--out", default=None, help="also write the whole summary to this .md file")
    p.add_argument("--refresh", action="store_true", help="ignore the results cache")
    p.add_argument("--no-cache", action="store_true", help="neither read nor write the cache")
    p.add_argument(
        "--no-citations",
        action="store_true",
        help="hide page references (claims and numbers are still checked and marked)",
    )
    p.add_argument(
        "--no-figures", action="store_true", help="do not save figures next to the --out file"
    )
    p.set_defaults(func=cmd_summarize)

    p = sub.add_parser("engines", help="list the engines and which of them can run here")
    p.set_defaults(func=cmd_engines)

    p = sub.add_parser("check", help="find defects in a summary or digest post")
    p.add_argument("file", help="a Markdown/text file")
    p.add_argument("--json", action="store_true", help='print {"defects": [...]}')
    p.add_argument(
        "--paper",
        default=None,
        metavar="SOURCE",
        help="also check page citations and numbers against this paper (PDF or arXiv ID)",
    )
    p.set_defaults(func=cmd_check)

    p = sub.add_parser("digest", help="write a blog post of the newest arXiv papers on a topic")
    _digest_arguments(p)
    p.set_defaults(func=cmd_digest)

    from .ask_cli import add_ask_arguments, run_ask_cli

    p = sub.add_parser("ask", help="answer a question from the paper, citing its pages")
    add_ask_arguments(p)
    p.set_defaults(func=run_ask_cli)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    settings = Settings.from_env()
    try:
        load_prompts()  # a broken CHATPAPER_PROMPTS_DIR copy is one sentence, before any work
        return args.func(args, settings)
    except ChatPaperError as err:
        print(f"chatpaper: {err}", file=sys.stderr)
        return err.exit_code
    except KeyboardInterrupt:
        print("chatpaper: interrupted.", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
