"""Model backends behind one interface (see base.py)."""

from .base import (
    CAPABILITIES,
    Backend,
    BackendWrapper,
    EngineInfo,
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
    "CAPABILITIES",
    "Backend",
    "BackendWrapper",
    "EngineInfo",
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
