"""Backend capabilities are declared on the protocol and survive any wrapper."""

from __future__ import annotations

import pytest

from chatpaper.llm.base import (
    CAPABILITIES,
    Backend,
    BackendWrapper,
    StageRequest,
    engines,
)
from chatpaper.ui import _engine_choices
from tests.fakes.backend import FakeBackend


@pytest.mark.parametrize("name", ["gemini", "openai", "offline"])
def test_every_bundled_engine_declares_every_capability(name, settings):
    info = engines()[name]
    backend = info.factory(settings, model=None, api_key="test-key-not-real")
    assert isinstance(backend, Backend)
    for capability in CAPABILITIES:
        assert hasattr(type(backend), capability) or hasattr(backend, capability), capability
    assert info.needs_key == backend.needs_key, "the registry says what the class says"
    assert backend.extractive == (name == "offline")


def test_a_wrapper_forwards_every_capability_and_the_stream():
    inner = FakeBackend(name="quoter", model="m", context_tokens=123, extractive=True)
    inner.enqueue("tldr", "a", "b")
    wrapped = BackendWrapper(inner)
    assert {c: getattr(wrapped, c) for c in CAPABILITIES} == {
        c: getattr(inner, c) for c in CAPABILITIES
    }
    assert list(wrapped.stream(StageRequest(stage="tldr", system="", prompt=""))) == ["a", "b"]


def test_an_engine_that_only_lacks_a_key_is_offered_in_the_app(settings):
    choices = [value for _, value in _engine_choices(settings)]
    assert "offline" in choices
    needing = [n for n, info in engines().items() if info.needs_key]
    assert needing and all(n in choices for n in needing)
