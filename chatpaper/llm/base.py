"""The one small interface every model backend implements, plus a registry.

A backend turns a ``StageRequest`` into a stream of pieces: ``str`` text chunks as they
arrive, ``Notice`` for things the user should see (waiting for a rate limit, the answer
stopped early), and ``Usage`` once the provider reports token counts. Failures raise
``chatpaper.errors.BackendError`` subclasses; text already yielded stays with the caller.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, Union, runtime_checkable

from ..errors import UnknownEngineError

if TYPE_CHECKING:
    from ..config import Settings
    from ..paper import Paper


@dataclass(frozen=True)
class StageRequest:
    stage: str  # "tldr", "overview", "methods", "conclusion", or another task name
    system: str  # system instruction
    prompt: str  # the paper context followed by the stage instruction
    language: str = "English"  # output language, as a name the model understands
    paper: Paper | None = None  # for engines that work on the paper itself (offline)
    max_output_tokens: int = 4096


@dataclass(frozen=True)
class Notice:
    level: str  # "status" (transient, e.g. waiting) or "warning" (keep it with the answer)
    message: str


@dataclass(frozen=True)
class Usage:
    input_tokens: int = 0
    output_tokens: int = 0
    cached_tokens: int = 0


Piece = Union[str, Notice, Usage]  # noqa: UP007  (readable on 3.10)


@runtime_checkable
class Backend(Protocol):
    """What a backend is (its capabilities, declared, never sniffed) and what it does."""

    name: str
    model: str
    context_tokens: int  # how many input tokens a request may carry
    extractive: bool  # quotes the paper verbatim (no model): nothing to re-ask, no language check
    needs_key: bool  # cannot run without an API key

    def stream(self, request: StageRequest) -> Iterator[Piece]: ...


# Every capability of the protocol: what a wrapper must forward.
CAPABILITIES: tuple[str, ...] = ("name", "model", "context_tokens", "extractive", "needs_key")


class BackendWrapper:
    """A backend around another one (a shared call limit, a recorder): it forwards every
    capability of the inner backend and, unless a subclass says otherwise, its stream."""

    def __init__(self, inner: Backend):
        self.inner = inner
        for capability in CAPABILITIES:
            setattr(self, capability, getattr(inner, capability))

    def stream(self, request: StageRequest) -> Iterator[Piece]:
        return self.inner.stream(request)


@dataclass(frozen=True)
class EngineInfo:
    name: str
    label: str  # shown in the UI
    factory: Callable[..., Backend]
    is_available: Callable[[Settings, str | None], bool]  # (settings, explicit key) -> bool
    needs_key: bool = False  # the backend class's own ``needs_key``, known before one is built
    requirement: str = ""  # what makes it available, shown when it is not


_REGISTRY: dict[str, EngineInfo] = {}


def register(info: EngineInfo) -> EngineInfo:
    _REGISTRY[info.name] = info
    return info


def engines() -> dict[str, EngineInfo]:
    _load_builtin_engines()
    return dict(_REGISTRY)


def available_engines(settings: Settings, api_key: str | None = None) -> list[str]:
    """Names of the engines that can run now, the default first."""
    names = [n for n, info in engines().items() if info.is_available(settings, api_key)]
    default = default_engine(settings, api_key)
    return sorted(names, key=lambda n: (n != default, n))


def default_engine(settings: Settings, api_key: str | None = None) -> str:
    """Gemini when a key is configured, else the offline engine (unless overridden)."""
    if settings.engine:
        return settings.engine
    info = engines().get("gemini")
    if info and info.is_available(settings, api_key):
        return "gemini"
    return "offline"


def create_backend(
    name: str | None,
    settings: Settings,
    *,
    model: str | None = None,
    api_key: str | None = None,
) -> Backend:
    """Build a backend for one request. The key lives only in the returned object."""
    name = name or default_engine(settings, api_key)
    info = engines().get(name)
    if info is None:
        known = ", ".join(sorted(engines()))
        raise UnknownEngineError(f"There is no engine called '{name}'; choose one of: {known}.")
    return info.factory(settings, model=model, api_key=api_key)


_LOADED = False


def _load_builtin_engines() -> None:
    """Import the bundled backends once; each registers itself on import."""
    global _LOADED
    if _LOADED:
        return
    _LOADED = True
    import importlib

    for module in ("gemini", "openai_compat", "offline"):
        try:
            importlib.import_module(f"{__package__}.{module}")
        except ImportError:  # a backend whose module or SDK is missing is simply not offered
            continue
