"""Command line: ``python -m chatpaper inspect|summarize|check|digest``.

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
    from .cache import ResultsCache
    from .llm.base import create_backend
    from .reader import read_source
    from .render import render_stage
    from .stages import stage_record
    from .summarize import SummaryJob

    paper = read_source(args.source, settings=settings, on_status=_status)
    lang = get_language(args.lang)
    job = SummaryJob(
        paper,
        create_backend(args.engine, settings, model=args.model),
        settings=settings,
        language=lang,
        cache=None if args.no_cache else ResultsCache(settings.cache_dir),
        refresh=args.refresh,
    )
    out = sys.stdout
    out.write(job.header() + "\n")
    out.flush()

    # Stages run concurrently; the terminal shows them in document order, streaming the
    # current one live and printing the later ones as soon as their turn comes. A file or a
    # pipe gets each part only once its guard has passed: a replaced answer never lands in it.
    live = out.isatty()
    order = list(job.stages)
    current = 0
    streamed: dict[str, str] = {}  # text of each stage already written

    def flush_in_order() -> None:
        nonlocal current
        while current < len(order):
            stage = order[current]
            result = job.state.stages.get(stage)
            if result is None or (not live and not result.done):
                return
            if stage not in streamed:
                record = stage_record(stage)
                if record and record.number:
                    out.write(f"\n## {record.heading(lang)}\n")
                out.write("\n")
                streamed[stage] = ""
            already = streamed[stage]
            if not result.done:
                if result.text.startswith(already):
                    out.write(result.text[len(already) :])
                    streamed[stage] = result.text
                out.flush()
                return
            final = result.text.strip()
            if already and final.startswith(already.strip()):
                out.write(final[len(already.strip()) :])
            elif already:
                out.write("\n\n" + final)
            else:
                out.write(final)
            extra = render_stage(replace(result, text=""), lang)
            out.write(("\n\n" + extra if extra else "") + "\n")
            out.flush()
            current += 1

    for event in job.events():
        if event.kind == "status":
            _status(event.text)
        elif event.kind == "stage_restart" and streamed.get(event.stage or ""):
            out.write("\n\n> (asked again: the first answer was not clean)\n\n")
            streamed[event.stage] = ""
        flush_in_order()
    flush_in_order()

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
    if args.json:
        print(json.dumps(guard.defects_to_json(defects), ensure_ascii=False, indent=2))
    elif defects:
        print(guard.format_defects(defects))
    else:
        print("No defects found.")
    return 1 if defects else 0


# --- digest --------------------------------------------------------------------
def cmd_digest(args: argparse.Namespace, settings: Settings) -> int:
    from .digest import run_digest_cli

    return run_digest_cli(args, settings)


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
        "--no-figures", action="store_true", help="do not save figures next to the --out file"
    )
    p.set_defaults(func=cmd_summarize)

    p = sub.add_parser("engines", help="list the engines and which of them can run here")
    p.set_defaults(func=cmd_engines)

    p = sub.add_parser("check", help="find defects in a summary or digest post")
    p.add_argument("file", help="a Markdown/text file")
    p.add_argument("--json", action="store_true", help='print {"defects": [...]}')
    p.set_defaults(func=cmd_check)

    try:
        from .digest import add_digest_arguments
    except ImportError:
        add_digest_arguments = None
    if add_digest_arguments is not None:
        p = sub.add_parser("digest", help="write a blog post of the newest arXiv papers on a topic")
        add_digest_arguments(p)
        p.set_defaults(func=cmd_digest)
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
