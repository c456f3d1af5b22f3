"""A registry of transform-net architectures, in the manner of timm's ``create_model``.

A leaf: it imports nothing of stylecam. Architectures register themselves when their
module is imported, and ``stylecam.models.nets`` (the package) imports every one of them,
so any import from this package fills the registry before it is used. Nets need torch;
reading a style's metadata never comes here (``stylecam.models.style`` is torch-free).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

_REGISTRY: dict[str, Callable[..., Any]] = {}
# What an architecture makes: "style" (a transform net, frame -> frame of the same size) or
# "upscaler" (a super-resolution net, frame -> frame `factor` times larger). Code that
# iterates over styles (training, export, tests) must not meet an upscaler unawares.
_KIND: dict[str, str] = {}


def register(name: str, kind: str = "style") -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Decorator: make an architecture factory available to ``create_model(name)``."""

    def add(factory: Callable[..., Any]) -> Callable[..., Any]:
        if name in _REGISTRY:
            raise ValueError(f"architecture {name!r} registered twice")
        _REGISTRY[name] = factory
        _KIND[name] = kind
        return factory

    return add


def list_models(kind: str = "style") -> list[str]:
    """Names of the registered architectures of one kind ("style" or "upscaler"), sorted."""
    return sorted(n for n in _REGISTRY if _KIND[n] == kind)


def create_model(name: str, **config: Any) -> Any:
    """Build an untrained transform net; ``config`` overrides the architecture's defaults."""
    if name not in _REGISTRY:
        raise KeyError(f"unknown architecture {name!r}; known: {', '.join(sorted(_REGISTRY))}")
    return _REGISTRY[name](**config)
