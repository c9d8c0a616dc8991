"""PDF bytes -> plain text per page, cleaned up; title and authors read off the first page.

Reading a PDF is the one step that runs someone else's file through a complex parser: a crafted
or damaged PDF can make pypdf loop or allocate without bound. So the parsing runs in a separate
worker process with a memory cap (``RLIMIT_AS``) and a wall-clock deadline; a worker that
overruns is killed. Workers are plain ``python -c`` subprocesses (not multiprocessing's fork or
spawn, which would re-import the caller's ``__main__``, e.g. the Gradio app) and stay warm
between files, so the cost per file is a pipe round trip, not an interpreter start.

Everything after extraction (``clean_pages``, the title heuristics) is pure and in-process.
"""

from __future__ import annotations

import atexit
import contextlib
import hashlib
import io
import logging
import math
import os
import pickle
import re
import selectors
import signal
import struct
import subprocess
import sys
import threading
import time
import unicodedata
import warnings
from collections import Counter, OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import ChatPaperError, EncryptedPdfError, NoTextError, PdfError, PdfTooLargeError

__all__ = [
    "PdfText",
    "clean_pages",
    "extract_pages",
    "find_arxiv_id",
    "read_pdf",
    "read_title_authors",
    "shutdown_workers",
]

# --- limits ------------------------------------------------------------------------------

MEMORY_LIMIT_MB = 2048  # address-space cap of one worker; a PDF needing more is refused
MAX_WORKERS = max(2, min(4, os.cpu_count() or 2))  # files read at the same time
MAX_IDLE_WORKERS = 2  # warm workers kept between files
JOBS_PER_WORKER = 200  # a worker is replaced after this many files (bounds fragmentation)
MIN_LETTERS_PER_PAGE = 40  # below this on average, the PDF is taken for a scan

_EMPTY = "The file is empty; choose the paper's PDF again."
_NOT_PDF = "This file is not a PDF; choose the paper's PDF file."
_BROKEN = (
    "This PDF is damaged or incomplete and cannot be read; download it again or export a "
    "fresh copy."
)
_ENCRYPTED = "This PDF is password-protected; remove the password or upload an unprotected copy."
_NO_TEXT = "This PDF has no text layer (it looks like a scan); upload a PDF with selectable text."
_NO_PAGES = "This PDF has no pages; choose the paper's PDF file."
_TOO_MUCH_MEMORY = (
    "Reading this PDF needed more than {mb} MB of memory, so it was stopped; "
    "try another copy of the paper."
)
_CRASHED = "The PDF reader stopped unexpectedly on this file; try another copy of the paper."


def _too_slow(timeout: float) -> str:
    return (
        f"Reading this PDF took longer than {timeout:g} s, so it was stopped; try another copy "
        "or raise CHATPAPER_PDF_TIMEOUT."
    )


def _too_many_pages(pages: int, max_pages: int) -> str:
    return (
        f"This PDF has {pages} pages, over the limit of {max_pages}; upload a shorter file or "
        "raise CHATPAPER_MAX_PAGES."
    )


def _too_big(size: int, max_bytes: int) -> str:
    return (
        f"This PDF is {size / 1e6:.1f} MB, over the {max_bytes / 1e6:.0f} MB limit; upload a "
        "smaller file or raise CHATPAPER_MAX_PDF_MB."
    )


# --- what a worker returns ----------------------------------------------------------------


@dataclass(frozen=True)
class PdfText:
    """Raw text of every page plus the few things needed to name the paper.

    ``title_lines`` are the first page's lines with the largest font size used on each, so the
    title can be told from author lines by size rather than guessed from wording.
    """

    pages: list[str]
    meta_title: str = ""
    meta_author: str = ""
    title_lines: list[tuple[float, str]] = field(default_factory=list)


# --- the in-process reader (what the worker runs) ------------------------------------------


@contextlib.contextmanager
def _quiet_pypdf() -> Iterator[None]:
    """pypdf logs and warns freely ("fontTools is required ..."); none of it is for users."""
    logger = logging.getLogger("pypdf")
    previous = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        logger.setLevel(previous)


def _check_bytes(data: bytes, max_bytes: int | None) -> None:
    """The checks that need no parser: they run before any worker is involved."""
    if not data:
        raise PdfError(_EMPTY)
    if max_bytes is not None and len(data) > max_bytes:
        raise PdfTooLargeError(_too_big(len(data), max_bytes))
    if b"%PDF-" not in data[:1024]:
        raise PdfError(_NOT_PDF)


def _open_reader(data: bytes) -> Any:
    from pypdf import PdfReader
    from pypdf.errors import DependencyError, PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        # An empty user password is common ("no password to open, restrictions only").
        if reader.is_encrypted and not reader.decrypt(""):
            raise EncryptedPdfError(_ENCRYPTED)
    except ChatPaperError:
        raise
    except DependencyError as err:
        raise PdfError(
            "This PDF uses an encryption the reader cannot open here; upload an unprotected copy."
        ) from err
    except (PdfReadError, ValueError, KeyError, TypeError, IndexError, AttributeError) as err:
        raise PdfError(_BROKEN) from err
    except RecursionError as err:
        raise PdfError(_BROKEN) from err
    return reader


def _font_size(cm: list[float], tm: list[float], font_size: float) -> tuple[float, bool]:
    """Rendered size in points of text drawn with matrices cm, tm; and whether it is rotated."""
    a, b, c, d = tm[0], tm[1], tm[2], tm[3]
    ca, cb, cc, cd = cm[0], cm[1], cm[2], cm[3]
    m00, m01 = a * ca + b * cc, a * cb + b * cd
    m10, m11 = c * ca + d * cc, c * cb + d * cd
    size = abs(font_size) * math.hypot(m10, m11)
    rotated = abs(m01) > 0.1 * abs(m00)
    return size, rotated


def _extract_first_page(page: Any) -> tuple[str, list[tuple[float, str]]]:
    """The first page's text (same as plain extract_text) and its lines with font sizes."""
    lines: list[list[tuple[float, str]]] = [[]]

    def visit(text: str, cm: Any, tm: Any, font_dict: Any, font_size: Any) -> None:
        try:
            size, rotated = _font_size(list(cm), list(tm), float(font_size or 0))
        except (TypeError, ValueError, IndexError):
            size, rotated = 0.0, False
        for index, part in enumerate(text.split("\n")):
            if index:
                lines.append([])
            if part and not rotated:
                lines[-1].append((size, part))

    text = page.extract_text(visitor_text=visit)
    sized: list[tuple[float, str]] = []
    for spans in lines:
        line = "".join(part for _, part in spans).strip()
        if not line:
            continue
        sizes = [size for size, part in spans if any(ch.isalpha() for ch in part)]
        sized.append((round(max(sizes), 1) if sizes else 0.0, line))
    return text, sized


def _read_in_process(data: bytes, max_pages: int, first_page_only: bool = False) -> PdfText:
    """Parse and extract in this process. Raises PdfError subclasses with user messages.

    ``first_page_only`` reads just page 1 (for the title) and skips the no-text check.
    """
    from pypdf.errors import FileNotDecryptedError, PdfReadError

    with _quiet_pypdf():
        reader = _open_reader(data)
        try:
            count = len(reader.pages)
        except FileNotDecryptedError as err:
            raise EncryptedPdfError(_ENCRYPTED) from err
        except (PdfReadError, ValueError, KeyError, TypeError, AttributeError) as err:
            raise PdfError(_BROKEN) from err
        if count == 0:
            raise PdfError(_NO_PAGES)
        if count > max_pages:
            raise PdfTooLargeError(_too_many_pages(count, max_pages))
        meta_title = meta_author = ""
        try:
            meta = reader.metadata
            if meta is not None:
                meta_title = str(meta.title or "")
                meta_author = str(meta.author or "")
        except Exception:  # broken info dictionaries are common and harmless
            pass
        pages: list[str] = []
        title_lines: list[tuple[float, str]] = []
        failures = 0
        for number in range(1 if first_page_only else count):
            try:
                page = reader.pages[number]
                if number == 0:
                    text, title_lines = _extract_first_page(page)
                else:
                    text = page.extract_text()
            except FileNotDecryptedError as err:
                raise EncryptedPdfError(_ENCRYPTED) from err
            except MemoryError:
                raise
            except Exception:  # one unreadable page should not cost the whole paper
                text = ""
                failures += 1
            pages.append(text or "")
        if failures == len(pages):
            raise PdfError(_BROKEN)
    if first_page_only:
        return PdfText(pages, meta_title, meta_author, title_lines)
    letters = sum(sum(ch.isalpha() for ch in page) for page in pages)
    if letters < MIN_LETTERS_PER_PAGE * count:
        raise NoTextError(_NO_TEXT)
    return PdfText(pages, meta_title, meta_author, title_lines)


# --- the worker process -----------------------------------------------------------------

_HEADER = struct.Struct("!Q")
# ("ok", PdfText, retire) or ("error", (error class name, message), retire): after "retire"
# (a MemoryError) the worker exits, so the parent must not reuse it.
_Answer = tuple[str, Any, bool]


def _worker_main() -> None:
    """Serve read requests over stdin/stdout until stdin closes. Runs in the child."""
    requests_in = sys.stdin.buffer
    answers_out = sys.stdout.buffer
    sys.stdout = sys.stderr  # nothing but framed answers may reach the real stdout
    memory_mb = int(sys.argv[1]) if len(sys.argv) > 1 else MEMORY_LIMIT_MB
    try:
        import resource

        limit = memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    except (ImportError, ValueError, OSError):
        pass  # not on this platform: the deadline still bounds the work
    import pypdf  # noqa: F401  (warm the import before the first file arrives)

    while True:
        header = requests_in.read(_HEADER.size)
        if len(header) < _HEADER.size:
            return
        (size,) = _HEADER.unpack(header)
        data, max_pages, first_page_only, timeout = pickle.loads(requests_in.read(size))
        retire = False
        # If the parent dies mid-job nobody will kill us: a stuck job ends itself (SIGALRM's
        # default action terminates the process) a little after the parent's own deadline.
        _set_alarm(math.ceil(timeout) + 5)
        try:
            answer: _Answer = ("ok", _read_in_process(data, max_pages, first_page_only), False)
        except ChatPaperError as err:
            answer = ("error", (type(err).__name__, err.message), False)
        except MemoryError:
            retire = True
            answer = ("error", ("PdfError", _TOO_MUCH_MEMORY.format(mb=memory_mb)), True)
        except Exception:  # includes RecursionError on deeply nested objects
            answer = ("error", ("PdfError", _BROKEN), False)
        _set_alarm(0)
        del data
        try:
            payload = pickle.dumps(answer, protocol=pickle.HIGHEST_PROTOCOL)
        except MemoryError:
            retire = True
            answer = ("error", ("PdfError", _TOO_MUCH_MEMORY.format(mb=memory_mb)), True)
            payload = pickle.dumps(answer)
        answers_out.write(_HEADER.pack(len(payload)) + payload)
        answers_out.flush()
        if retire:
            return


def _set_alarm(seconds: int) -> None:
    alarm = getattr(signal, "alarm", None)
    if alarm is not None:
        alarm(seconds)


class _WorkerGone(Exception):
    """The worker died or closed its pipe."""


class _WorkerTimeout(Exception):
    pass


_ERRORS: dict[str, type[PdfError]] = {
    cls.__name__: cls for cls in (PdfError, PdfTooLargeError, EncryptedPdfError, NoTextError)
}


class _Worker:
    """One warm child process reading one PDF at a time."""

    def __init__(self, memory_mb: int):
        # The child imports exactly what this process would: our package root first, then
        # this process's own sys.path (virtualenv, user site, an unpacked checkout).
        paths = [str(Path(__file__).resolve().parents[1])] + [p for p in sys.path if p]
        code = (
            f"import sys; sys.path[:0] = {paths!r}; "
            "from chatpaper.pdf import _worker_main; _worker_main()"
        )
        self.process = subprocess.Popen(
            [sys.executable, "-c", code, str(memory_mb)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            close_fds=True,
        )
        self.jobs = 0
        self.healthy = True

    def run(self, data: bytes, max_pages: int, timeout: float, first_only: bool) -> _Answer:
        deadline = time.monotonic() + timeout
        request = pickle.dumps(
            (data, max_pages, first_only, timeout), protocol=pickle.HIGHEST_PROTOCOL
        )
        self.jobs += 1
        stdin, stdout = self.process.stdin, self.process.stdout
        assert stdin is not None and stdout is not None
        try:
            stdin.write(_HEADER.pack(len(request)) + request)
            stdin.flush()
        except (BrokenPipeError, OSError, ValueError) as err:
            self.healthy = False
            raise _WorkerGone from err
        header = self._read_exactly(_HEADER.size, deadline)
        (size,) = _HEADER.unpack(header)
        answer: _Answer = pickle.loads(self._read_exactly(size, deadline))
        if answer[2]:
            self.healthy = False
        return answer

    def _read_exactly(self, size: int, deadline: float) -> bytes:
        stdout = self.process.stdout
        assert stdout is not None
        fd = stdout.fileno()
        chunks: list[bytes] = []
        remaining = size
        with selectors.DefaultSelector() as selector:
            selector.register(fd, selectors.EVENT_READ)
            while remaining:
                left = deadline - time.monotonic()
                if left <= 0 or not selector.select(left):
                    self.healthy = False
                    raise _WorkerTimeout
                chunk = os.read(fd, min(remaining, 1 << 20))
                if not chunk:
                    self.healthy = False
                    raise _WorkerGone
                chunks.append(chunk)
                remaining -= len(chunk)
        return b"".join(chunks)

    def close(self) -> None:
        with contextlib.suppress(Exception):
            if self.process.stdin:
                self.process.stdin.close()
        with contextlib.suppress(Exception):
            self.process.wait(timeout=1)
        self.kill()

    def kill(self) -> None:
        if self.process.poll() is None:
            with contextlib.suppress(Exception):
                self.process.kill()
        with contextlib.suppress(Exception):
            self.process.wait(timeout=5)
        for pipe in (self.process.stdin, self.process.stdout):
            with contextlib.suppress(Exception):
                if pipe:
                    pipe.close()


class _WorkerPool:
    """Hands each call its own worker: concurrent callers never share a process."""

    def __init__(self, max_workers: int, max_idle: int, memory_mb: int):
        self._slots = threading.BoundedSemaphore(max_workers)
        self._lock = threading.Lock()
        self._idle: list[_Worker] = []
        self._max_idle = max_idle
        self._memory_mb = memory_mb

    def _take(self) -> tuple[_Worker, bool]:
        with self._lock:
            while self._idle:
                worker = self._idle.pop()
                if worker.process.poll() is None:
                    return worker, True
                worker.kill()
        return _Worker(self._memory_mb), False

    def _give_back(self, worker: _Worker) -> None:
        if worker.healthy and worker.jobs < JOBS_PER_WORKER and worker.process.poll() is None:
            with self._lock:
                if len(self._idle) < self._max_idle:
                    self._idle.append(worker)
                    return
        worker.close()

    def run(self, data: bytes, max_pages: int, timeout: float, first_only: bool = False) -> _Answer:
        with self._slots:
            worker, reused = self._take()
            try:
                try:
                    answer = worker.run(data, max_pages, timeout, first_only)
                except _WorkerGone:
                    if not reused:
                        raise
                    # A warm worker may have died while idle (e.g. the OS reclaimed it): retry
                    # once on a fresh one before blaming the file.
                    worker.kill()
                    worker = _Worker(self._memory_mb)
                    answer = worker.run(data, max_pages, timeout, first_only)
            except BaseException:
                worker.kill()
                raise
            self._give_back(worker)
            return answer

    def shutdown(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for worker in idle:
            worker.close()


_pool: _WorkerPool | None = None
_pool_lock = threading.Lock()


_pool_pid = 0


def _get_pool() -> _WorkerPool:
    global _pool, _pool_pid
    with _pool_lock:
        if _pool is None or _pool_pid != os.getpid():  # a forked child needs its own workers
            _pool = _WorkerPool(MAX_WORKERS, MAX_IDLE_WORKERS, MEMORY_LIMIT_MB)
            _pool_pid = os.getpid()
            atexit.register(_pool.shutdown)
        return _pool


def shutdown_workers() -> None:
    """Stop the warm workers (they also stop by themselves when this process exits)."""
    with _pool_lock:
        pool = _pool
    if pool is not None:
        pool.shutdown()


# Title and authors are needed right after the pages; keep the small part of recent reads so
# ``read_title_authors(data, ...)`` does not parse the file a second time.
_RECENT: OrderedDict[bytes, PdfText] = OrderedDict()
_RECENT_SIZE = 16
_recent_lock = threading.Lock()


def _fingerprint(data: bytes) -> bytes:
    return hashlib.blake2b(data, digest_size=16).digest()


def _remember(data: bytes, text: PdfText) -> None:
    light = PdfText([], text.meta_title, text.meta_author, text.title_lines)
    key = _fingerprint(data)
    with _recent_lock:
        _RECENT[key] = light
        _RECENT.move_to_end(key)
        while len(_RECENT) > _RECENT_SIZE:
            _RECENT.popitem(last=False)


def _recalled(data: bytes) -> PdfText | None:
    with _recent_lock:
        return _RECENT.get(_fingerprint(data))


def read_pdf(
    data: bytes, *, max_pages: int, timeout: float, max_bytes: int | None = None
) -> PdfText:
    """Raw text of every page, the PDF's metadata and the first page's font sizes.

    The parsing runs in a worker process bounded by ``timeout`` seconds and
    ``MEMORY_LIMIT_MB``; every failure is a ``PdfError`` (or subclass) with one sentence.
    """
    _check_bytes(data, max_bytes)
    result = _read_bounded(data, max_pages, timeout, first_only=False)
    _remember(data, result)
    return result


def _read_bounded(data: bytes, max_pages: int, timeout: float, *, first_only: bool) -> PdfText:
    if os.name != "posix":  # pipes cannot be polled with a deadline here: read in-process
        return _read_in_process(data, max_pages, first_only)
    try:
        status, value, _ = _get_pool().run(data, max_pages, max(timeout, 0.001), first_only)
    except _WorkerTimeout:
        raise PdfError(_too_slow(timeout)) from None
    except _WorkerGone:
        raise PdfError(_CRASHED) from None
    if status == "error":
        name, message = value
        raise _ERRORS.get(name, PdfError)(message)
    return value


def extract_pages(
    data: bytes, *, max_pages: int, timeout: float, max_bytes: int | None = None
) -> list[str]:
    """Plain-mode ``extract_text()`` of every page (reading order kept for two columns)."""
    return read_pdf(data, max_pages=max_pages, timeout=timeout, max_bytes=max_bytes).pages


# --- clean-up (pure) ---------------------------------------------------------------------

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\u200b\u200c\u200d\u2060\ufeff\ufffe]")
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000]+")
_DIGITS = re.compile(r"\d+")
_WORD = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*")
_PAGE_NUMBER = re.compile(
    r"^(?:[-–—]\s*)?(?:page\s+)?(\d{1,5})(?:\s*[-–—])?(?:\s*(?:/|of)\s*\d{1,5})?$", re.I
)
_EDGE_LINES = 3  # running heads and page numbers sit within this many lines of an edge


def _normalise_page(text: str) -> list[str]:
    text = unicodedata.normalize("NFKC", text)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _CONTROL.sub("", text)
    return [_SPACES.sub(" ", line).strip() for line in text.split("\n")]


def _edge_indexes(lines: list[str]) -> list[int]:
    """Indexes of the first and last few non-empty lines of a page."""
    filled = [i for i, line in enumerate(lines) if line]
    head = filled[:_EDGE_LINES]
    tail = filled[-_EDGE_LINES:]
    return sorted(set(head) | set(tail))


def _running_keys(pages: list[list[str]]) -> set[str]:
    """Lines that recur at the top or bottom of many pages (digits ignored): headers/footers.

    The outermost line of a page needs fewer repeats than the next ones in, where a figure
    caption or a table row is likelier to repeat by chance.
    """
    if len(pages) < 3:
        return set()
    outer: Counter[str] = Counter()
    inner: Counter[str] = Counter()
    for lines in pages:
        edges = _edge_indexes(lines)
        ends = {edges[0], edges[-1]} if edges else set()
        outer.update({_DIGITS.sub("#", lines[i].lower()) for i in ends})
        inner.update({_DIGITS.sub("#", lines[i].lower()) for i in edges})
    n = len(pages)
    outer_needed = max(2, math.ceil(0.25 * n))
    inner_needed = max(3, math.ceil(0.3 * n))
    keys = {key for key, count in outer.items() if count >= outer_needed}
    keys |= {key for key, count in inner.items() if count >= inner_needed}
    return {key for key in keys if any(ch.isalpha() for ch in key)}


def _page_number_lines(pages: list[list[str]]) -> set[tuple[int, int]]:
    """(page, line) of bare page numbers: numbers at an edge that count up with the pages."""
    found: list[tuple[int, int, int]] = []  # page index, line index, offset
    for p, lines in enumerate(pages):
        for i in _edge_indexes(lines):
            match = _PAGE_NUMBER.match(lines[i])
            if match:
                found.append((p, i, int(match.group(1)) - p))
    if not found:
        return set()
    offsets = Counter(offset for _, _, offset in found)
    best, count = offsets.most_common(1)[0]
    if count < 2 and not (len(pages) == 1 and best in (0, 1)):
        return set()
    return {(p, i) for p, i, offset in found if offset == best}


def _dehyphenate(lines: list[str], words: Counter[str]) -> list[str]:
    """Join words split at a line end ("adip-" + "iscing"); keep real hyphens.

    A lowercase-lowercase split is joined unless the document spells the hyphenated form more
    often, both halves are words the document uses on their own or in other compounds
    ("token-" + "level" beside "high-level"), or the first part is itself a compound
    ("state-of-the-" + "art"). Anything else
    ("GPT-" + "4", "Multi-" + "LexSum") keeps its hyphen. Either way the second part moves up
    to the first line, so line structure (one heading per line) is preserved.
    """
    out = list(lines)
    for i in range(len(out) - 1):
        line = out[i]
        if len(line) < 2 or line[-1] != "-" or not line[-2].isalpha():
            continue
        following = out[i + 1]
        if not following or not following[0].isalnum():
            continue
        piece, _, rest = following.partition(" ")
        head_match = re.search(r"([^\W\d_]+(?:-[^\W\d_]+)*)-$", line)
        if not head_match:
            continue
        head = head_match.group(1)
        last = head.rsplit("-", 1)[-1]
        tail_match = re.match(r"[^\W\d_]+", piece)
        tail = tail_match.group(0) if tail_match else ""
        join = False
        if tail and last[-1].islower() and tail[0].islower():
            joined, hyphened = (last + tail).lower(), f"{last}-{tail}".lower()
            if words[hyphened] > words[joined]:
                join = False
            elif words[joined]:
                join = True
            elif (
                len(last) > 2
                and len(tail) > 3
                and (min(words[last], words[tail]) or words[f"-{tail}"])
            ):
                join = False  # words or compound parts elsewhere: "token-" + "level"
            else:
                join = "-" not in head
        out[i] = (line[:-1] if join else line) + piece
        out[i + 1] = rest
    return out


def clean_pages(raw_pages: list[str]) -> list[str]:
    """Readable page texts: NFKC (ligatures), no running heads or page numbers, words rejoined.

    Line breaks are kept (headings stay on their own lines); runs of spaces become one space
    and blank lines at most one. Text is otherwise left as the PDF has it, so a sentence quoted
    from the paper can still be found in it.
    """
    pages = [_normalise_page(text or "") for text in raw_pages]
    running = _running_keys(pages)
    numbers = _page_number_lines(pages)
    words: Counter[str] = Counter()
    for p, lines in enumerate(pages):
        edges = set(_edge_indexes(lines))
        kept: list[str] = []
        for i, line in enumerate(lines):
            if i in edges and ((p, i) in numbers or _DIGITS.sub("#", line.lower()) in running):
                continue
            kept.append(line)
        pages[p] = kept
        after_split = False
        for line in kept:
            found = _WORD.findall(line)
            # The halves of a word split at a line end ("experi-" / "ment") are not words.
            split_here = line.endswith("-") and bool(found)
            found = found[1 if after_split else 0 : len(found) - (1 if split_here else 0)]
            after_split = split_here
            for word in found:
                word = word.lower()
                words[word] += 1
                if "-" in word:  # "high-level" is evidence that "-level" makes compounds
                    words["-" + word.rsplit("-", 1)[1]] += 1
    cleaned: list[str] = []
    for lines in pages:
        text = "\n".join(_dehyphenate(lines, words))
        text = re.sub(r"\n{3,}", "\n\n", text)
        cleaned.append(text.strip())
    return cleaned


# --- title and authors ---------------------------------------------------------------------

_JUNK_TITLE = re.compile(
    r"^(?:untitled|title|paper|document|manuscript|preprint|article|main|draft|layout\s*\d*|"
    r"microsoft (?:word|powerpoint) - .*|.*\.(?:docx?|pdf|tex|dvi|rtf|odt|indd|ps|txt)|"
    r"(?:doi:?\s*)?10\.\d{4,9}/\S+|arxiv:\S+|[\w\-.]+_[\w\-.]+|\S+[\\/]\S+|"
    r"(?:instructions|formatting instructions|author guidelines|paper title)\b.*)$",
    re.I,
)
_JUNK_AUTHOR = re.compile(
    r"^(?:|author|authors|user|admin|administrator|owner|unknown|anonymous|"
    r"anonymous authors?|.*@.*|\W+)$",
    re.I,
)
_SKIP_LINE = re.compile(
    r"(?:^proceedings of|^in proceedings|^published (?:as|in|at)|^accepted (?:at|to|for|as)|"
    r"^to appear|^under review|^preprint|^a preprint$|^arxiv:|^journal of|^vol(?:ume)?\.?\s*\d|"
    r"©|\(c\)\s*\d{4}|\bcopyright\b|\blicen[cs]e\b|^doi\b|^https?://|^www\.|"
    r"conference on|workshop on|^\d+(?:st|nd|rd|th) (?:annual|international|conference)|"
    r"^(?:january|february|march|april|may|june|july|august|september|october|november|"
    r"december)\b.*\d{4}|^\d{1,2} (?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)\w* \d{4}|"
    r"^page \d+|^\d+$|^research article$|^original article$|^review article$|^article$|"
    r"^letter$|^perspective$|^communication$|^open access$|^technical report$)",
    re.I,
)
_STOP_LINE = re.compile(
    r"^(?:abstract|a b s t r a c t|summary|keywords?|index terms|introduction|"
    r"1\.?\s+introduction|i\.\s+introduction|contents|table of contents)(?:\s*[:.—–-]|\s*$)",
    re.I,
)
_EMAIL = re.compile(r"\S+@\S+|\{[^}]*\}\s*@\S*")
_URL = re.compile(r"https?://\S+|www\.\S+")
_AFFILIATION = re.compile(
    r"\b(?:universit\w*|univ\.|institut\w*|college|school|department|dept\.?|faculty|"
    r"laborator\w*|lab|labs|centre|center|research|inc\.?|ltd\.?|llc|corp\w*|company|gmbh|"
    r"hospital|academy|foundation|google|microsoft|meta|deepmind|openai|ibm|amazon|"
    r"nvidia|bytedance|alibaba|tencent|baidu|huawei|allen|ai2|usa|u\.s\.a|uk|china|germany|"
    r"france|canada|japan|korea|india|italy|spain|switzerland|netherlands|australia|"
    r"singapore|israel|street|avenue|road|campus|cedex|equal contribution|corresponding)\b",
    re.I,
)
_NAME_PARTICLES = {
    "van", "von", "der", "den", "de", "da", "del", "della", "di", "du", "la", "le", "bin",
    "al", "el", "dos", "das", "ter", "zu", "y", "st.",
}  # fmt: skip
_MARKERS = re.compile(r"[^\w\s.'’\-,&]|[\d_]|[\u0370-\u03ff]")


def _collapse(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).split())


def _norm_key(text: str) -> str:
    return re.sub(r"[\W_]+", " ", _collapse(text).casefold()).strip()


def _title_ok(title: str, page_text: str) -> bool:
    title = _collapse(title)
    if len(title) < 6 or len(re.findall(r"[^\W\d_]{2,}", title)) < 2:
        return False
    if _JUNK_TITLE.match(title):
        return False
    if not page_text.strip():
        return True
    # When the first page has text, the title should be on it (most of its words, anyway).
    page_words = set(_norm_key(page_text[:6000]).split())
    words = _norm_key(title).split()
    return sum(word in page_words for word in words) >= 0.7 * len(words)


def _proper_case(name: str) -> str:
    """'TAL AUGUST' -> 'Tal August'; names already in mixed case are left alone."""
    if not name.isupper():
        return name
    return re.sub(r"[^\W\d_]+", lambda m: m.group(0).capitalize(), name.lower())


def _clean_name(name: str) -> str:
    name = _MARKERS.sub(" ", name)
    name = re.sub(r"\s+", " ", name).strip(" ,.-&'’")
    return _proper_case(name)


def _name_ok(name: str) -> bool:
    tokens = name.split()
    if not 1 <= len(tokens) <= 6 or len(name) > 60:
        return False
    if _AFFILIATION.search(name):
        return False
    capitalised = 0
    for token in tokens:
        if token.lower() in _NAME_PARTICLES:
            continue
        if not token[0].isupper():
            return False
        capitalised += 1
    return capitalised >= 1 and any(len(t.strip(".")) > 1 for t in tokens)


def _split_meta_authors(author: str) -> list[str]:
    """'Lo, Kyle and Wang, Lucy' (BibTeX), 'Kyle Lo ; Lucy Wang', 'Kyle Lo, Lucy Wang'."""
    author = _collapse(author)
    if not author:
        return []
    if ";" in author:
        parts = author.split(";")
    elif re.search(r"\band\b", author) and "," in author and " and " in author:
        parts = re.split(r"\s+and\s+", author)
        if all(part.count(",") == 1 for part in parts):  # BibTeX "Last, First and Last, First"
            parts = [" ".join(reversed([p.strip() for p in part.split(",")])) for part in parts]
        else:
            parts = re.split(r",|\band\b", author)
    else:
        parts = re.split(r",|\s+and\s+|&", author)
    names = [_clean_name(part) for part in parts]
    return [name for name in names if name and _name_ok(name)]


def _meta_authors_ok(names: list[str], page_text: str) -> bool:
    if not names or any(_JUNK_AUTHOR.match(name) for name in names):
        return False
    if not page_text.strip():
        return True
    surname = names[0].split()[-1]
    return _norm_key(surname) in _norm_key(page_text[:6000])


def _title_block(lines: list[tuple[float, str]]) -> tuple[int, int] | None:
    """(start, end) of the title among sized first-page lines.

    The title is the largest-font run of lines above the author block (a logo set in huge
    type further down, as on PaSa's first page, does not count); a run of at least three
    words wins over a bigger one- or two-word banner unless that is much bigger.
    """
    top: list[tuple[float, str]] = []
    for size, line in lines[:60]:
        if _STOP_LINE.match(line) and top:
            break
        top.append((size, line))
    runs: list[tuple[int, int, float]] = []
    i = 0
    while i < len(top):
        size = top[i][0]
        j = i + 1
        while j < len(top) and abs(top[j][0] - size) < 0.6 and j - i < 4:
            j += 1
        runs.append((i, j, size))
        i = j
    eligible: list[tuple[int, int, float, int]] = []
    for start, end, size in runs:
        text = " ".join(line for _, line in top[start:end])
        people = (
            _EMAIL.search(text)
            or _AFFILIATION.search(text)
            or re.search(r"[∗*†‡§¶♠♢♡♣♦□⋄]", text)
            or len(re.findall(r"[a-z][\d\u0370-\u03ff]\b", text)) >= 2  # "He1 Huang1", "Loα"
        )
        if people and eligible:
            break  # the author block has begun
        if size <= 0 or people or _SKIP_LINE.search(top[start][1]) or len(text) < 4:
            continue
        eligible.append((start, end, size, len(re.findall(r"[^\W\d_]{2,}", text))))
    if not eligible:
        return None
    biggest = max(size for _, _, size, _ in eligible)
    wordy = [run for run in eligible if run[3] >= 3 and run[2] >= 0.7 * biggest]
    pool = wordy or eligible
    start, end, size, _ = max(pool, key=lambda run: (run[2], -run[0]))
    # Drop trailing lines of the run that are plainly not title (a date, a venue line).
    while end - start > 1 and _SKIP_LINE.search(top[end - 1][1]):
        end -= 1
    return start, end


_AUTHOR_MARK = re.compile(r"[∗*†‡§¶♠♢♡♣♦□⋄]|[a-z]\d\b|[a-z][\u0370-\u03ff]")


def _looks_like_author_line(line: str) -> bool:
    if _EMAIL.search(line) or _SKIP_LINE.search(line):
        return False
    if _AUTHOR_MARK.search(line):
        return True
    stripped = _MARKERS.sub(" ", line)
    names = [n.strip() for n in re.split(r",|\band\b|&", stripped) if n.strip()]
    return len(names) >= 2 and all(_name_ok(_clean_name(n)) for n in names)


_ENDS_WITH_CONNECTIVE = re.compile(
    r"(?:\b(?:of|for|and|with|in|on|the|a|an|to|from|via|by|at|towards?|using|versus|vs\.?)"
    r"|[:,\-–—])$"
)
_FUNCTION_WORD = re.compile(
    r"\s(?:of|for|with|in|on|the|a|an|to|from|via|by|at|towards?|using|through|into)\s"
)


def _text_title(lines: list[str]) -> tuple[int, int] | None:
    """Without font sizes: the first real line, plus up to two more that are not authors."""
    start = None
    for i, line in enumerate(lines[:30]):
        if _STOP_LINE.match(line):
            return None
        if _SKIP_LINE.search(line) or len(re.findall(r"[^\W\d_]{2,}", line)) < 2:
            continue
        start = i
        break
    if start is None:
        return None
    end = start + 1
    while end < len(lines) and end - start < 3:
        line = lines[end]
        if (
            _STOP_LINE.match(line)
            or _AFFILIATION.search(line)
            or _EMAIL.search(line)
            or _SKIP_LINE.search(line)
            or _AUTHOR_MARK.search(line)
        ):
            break
        previous = lines[end - 1]
        if not _ENDS_WITH_CONNECTIVE.search(previous) and _looks_like_author_line(line):
            break
        # A title continues after a line ending in a connective or a colon, when both lines
        # are set in capitals, or when the new line has lowercase function words (names do
        # not); otherwise a new line is more likely the author list.
        if not (
            _ENDS_WITH_CONNECTIVE.search(previous)
            or (previous.isupper() and line.isupper())
            or _FUNCTION_WORD.search(line)
        ):
            break
        end += 1
    return start, end


def _names_from_lines(lines: list[str]) -> list[str]:
    """Split author lines into names, dropping markers, emails, affiliations."""
    names: list[str] = []
    dangling = ""
    for raw in lines:
        line = _URL.sub(" ", _EMAIL.sub(" ", raw))
        if not line.strip():
            continue
        if _AFFILIATION.search(line):
            # "TAL AUGUST, University of Washington, USA": a name before the affiliation.
            head = line.split(",")[0]
            if (
                "," in line
                and len(head.split()) >= 2
                and not _AFFILIATION.search(head)
                and _name_ok(_clean_name(head))
            ):
                names.append(_clean_name(head))
            continue
        pieces = re.split(
            r"\s*(?:,|;|\band\b|&|[∗*†‡§¶♠♢♡♣♦□⋄]|(?<=[a-z])[\d\u0370-\u03ff]+)\s*", line
        )
        pieces = [piece for piece in pieces if piece and piece.strip(" .")]
        for index, piece in enumerate(pieces):
            name = _clean_name(piece)
            if not name:
                continue
            if dangling and index == 0:
                name = f"{dangling} {name}"
                dangling = ""
            tokens = name.split()
            if len(tokens) == 1 and index == len(pieces) - 1 and len(name) > 1:
                dangling = name  # "Andrew" at a line end, "D. White" on the next line
                continue
            if len(tokens) > 4 and not any(t.endswith(".") for t in tokens):
                # "Zejiang Shen Kyle Lo": names without separators; pair the words up.
                for k in range(0, len(tokens) - 1, 2):
                    pair = " ".join(tokens[k : k + 2])
                    if _name_ok(pair):
                        names.append(pair)
                continue
            if _name_ok(name):
                names.append(name)
    seen: dict[str, None] = {}
    for name in names:
        seen.setdefault(name, None)
    return list(seen)


def _author_lines(lines: list[str], after: int, sizes: list[float] | None) -> list[str]:
    """The lines between the title and the abstract that can hold author names.

    With font sizes, the names are the lines set in the size of the first line that holds
    a name (affiliations and emails around them are usually smaller).
    """
    picked: list[str] = []
    name_size: float | None = None
    for index in range(after, min(len(lines), after + 40)):
        line = lines[index]
        if _STOP_LINE.match(line):
            break
        if _SKIP_LINE.search(line):
            continue
        words = line.split()
        # A long line of lowercase words is body text: the author block is over.
        if len(words) > 12 and sum(w[:1].islower() for w in words) > len(words) / 3:
            break
        if sizes is not None:
            size = sizes[index]
            if name_size is None:
                if not _names_from_lines([line]):
                    continue
                name_size = size
            elif abs(size - name_size) > 0.6:
                continue
        picked.append(line)
    return picked


def _page_one(data_or_reader: Any) -> PdfText | None:
    if isinstance(data_or_reader, PdfText):
        return data_or_reader
    if isinstance(data_or_reader, (bytes, bytearray, memoryview)):
        data = bytes(data_or_reader)
        recalled = _recalled(data)
        if recalled is not None:
            return recalled
        try:  # bounded like any read of a file we did not write
            return _read_bounded(data, 1_000_000, 60, first_only=True)
        except PdfError:
            return None
    if data_or_reader is None:
        return None
    # A pypdf PdfReader the caller already holds (trusted input).
    try:
        with _quiet_pypdf():
            meta = data_or_reader.metadata
            text, lines = _extract_first_page(data_or_reader.pages[0])
        return PdfText(
            [text],
            str(getattr(meta, "title", "") or "") if meta else "",
            str(getattr(meta, "author", "") or "") if meta else "",
            lines,
        )
    except Exception:
        return None


def read_title_authors(data_or_reader: Any, first_page_text: str) -> tuple[str, list[str]]:
    """The paper's title and author names, best effort ("" and [] when nothing fits).

    ``data_or_reader`` is the PDF's bytes (metadata and font sizes come from the read that
    ``read_pdf``/``extract_pages`` just did), a ``PdfText``, a pypdf ``PdfReader`` or None.
    The PDF's /Title and /Author win when they look real and agree with the first page;
    otherwise the title is the largest-font block at the top of page 1 (or, without font
    sizes, the first line that is not a venue, date or licence line), and the authors are
    the name-like lines that follow it.
    """
    page_text = unicodedata.normalize("NFKC", first_page_text or "")
    info = _page_one(data_or_reader)
    lines = [_collapse(line) for line in page_text.split("\n")]
    lines = [line for line in lines if line]

    sized: list[tuple[float, str]] = []
    if info is not None and info.title_lines:
        sized = [(size, _collapse(line)) for size, line in info.title_lines if line.strip()]

    title = ""
    author_lines: list[str] = []
    if sized:
        block = _title_block(sized)
        if block:
            start, end = block
            title = " ".join(line for _, line in sized[start:end])
            author_lines = _author_lines(
                [line for _, line in sized], end, [size for size, _ in sized]
            )
    if not title:
        block = _text_title(lines)
        if block:
            start, end = block
            title = " ".join(lines[start:end])
            author_lines = _author_lines(lines, end, None)
    title = _collapse(title)

    meta_title = _collapse(info.meta_title) if info else ""
    if meta_title and _title_ok(meta_title, page_text):
        title = meta_title

    authors = _names_from_lines(author_lines)
    meta_names = _split_meta_authors(info.meta_author) if info else []
    if _meta_authors_ok(meta_names, page_text):
        authors = meta_names
    return title, authors


# --- arXiv ID -----------------------------------------------------------------------------

_STAMP = re.compile(
    r"(?<![\w/.])arXiv:\s*(?P<id>\d{4}\.\d{4,5}|[a-z\-]+(?:\.[A-Z]{2})?/\d{7})(?P<version>v\d+)"
    r"\s*(?:\[[A-Za-z\-]+(?:\.[A-Za-z\-]+)?\]\s*)?\d{1,2}\s*"
    r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)\w*\s*(?:19|20)\d\d(?!\d)"
)


def find_arxiv_id(text: str) -> tuple[str, str | None] | None:
    """(ID, version) from arXiv's margin stamp ("arXiv:2203.00130v1 [cs.HC] 1 Mar 2022").

    Only the stamp counts, never an arXiv ID cited in the references.
    """
    try:
        from .arxiv import find_arxiv_id_in_text
    except ImportError:  # pragma: no cover - arxiv.py is part of the package
        match = _STAMP.search(unicodedata.normalize("NFKC", text or ""))
        return (match.group("id"), match.group("version")) if match else None
    return find_arxiv_id_in_text(unicodedata.normalize("NFKC", text or ""))
