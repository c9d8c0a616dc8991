"""``python -m chatpaper ask SOURCE "QUESTION"``: one question answered from the paper.

The answer streams to stdout (status lines to stderr); ``--json`` prints one object
``{"answer", "engine", "model", "citations": [{"page", "quote", "verified"}]}`` instead.
"""

from __future__ import annotations

import argparse
import json
import sys

from .config import Settings


def add_ask_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("source", help="a PDF path or an arXiv ID/link")
    p.add_argument("question", help="what you want to know about the paper")
    p.add_argument("--engine", default=None, help="gemini, openai or offline")
    p.add_argument("--model", default=None, help="model name for the engine")
    p.add_argument("--lang", default="en", help="answer language: en, zh, or a language name")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--refresh", action="store_true", help="ignore the results cache")
    p.add_argument("--no-cache", action="store_true", help="neither read nor write the cache")


def run_ask_cli(args: argparse.Namespace, settings: Settings) -> int:
    from .ask import AskCache, ask, check_question
    from .llm.base import create_backend
    from .reader import read_source

    def status(message: str) -> None:
        print(f"… {message}", file=sys.stderr, flush=True)

    question = check_question(args.question)  # before the download: bad input fails fast
    paper = read_source(args.source, settings=settings, on_status=status)
    backend = create_backend(args.engine, settings, model=args.model)
    cache = None if args.no_cache else AskCache(settings.cache_dir)
    result = None
    streamed = ""
    for event in ask(
        paper, question, backend=backend, language=args.lang, cache=cache, refresh=args.refresh
    ):
        if event.kind == "status":
            status(event.text)
        elif event.kind == "restart" and not args.json:
            sys.stdout.write("\n\n> (asked again: the first answer was not clean)\n\n")
            streamed = ""
        elif event.kind == "chunk" and not args.json:
            sys.stdout.write(event.text)
            sys.stdout.flush()
            streamed += event.text
        elif event.kind == "done":
            result = event.result
    assert result is not None
    if args.json:
        print(json.dumps(result.to_json(), ensure_ascii=False, indent=2))
        return 0
    sys.stdout.write("\n")
    for warning in result.warnings:
        status(warning)
    unverified = [c for c in result.citations if not c.verified]
    if result.citations:
        status(
            f"{len(result.citations) - len(unverified)} of {len(result.citations)} quoted "
            "citations found on their pages."
        )
    for citation in unverified:
        status(f'not found on p. {citation.page}: "{citation.quote[:100]}"')
    return 0
