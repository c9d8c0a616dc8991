"""Model backends behind one interface (see base.py)."""

from .base import (
    Backend,
    EngineInfo,
    FakeBackend,
    Notice,
    Piece,
    StageRequest,
    Usage,
    available_engines,
    create_backend,
    default_engine,
    engines,
    register,
)

__all__ = [
    "Backend",
    "EngineInfo",
    "FakeBackend",
    "Notice",
    "Piece",
    "StageRequest",
    "Usage",
    "available_engines",
    "create_backend",
    "default_engine",
    "engines",
    "register",
]
