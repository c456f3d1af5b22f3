"""A registry of net architectures, in the manner of timm's ``create_model``, with a card each.

The cards are plain data: ``list_models()`` and ``model_card()`` import nothing (no torch),
so a torch-free caller can list the architectures. ``create_model`` imports the module
that builds the net only when it is called. A card's ``parameters`` is the parameter
count of the default net; ``tests/test_nets.py`` builds every net and checks it.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ModelCard:
    name: str
    # What the net makes: "style" (frame -> frame of the same size) or "upscaler" (frame ->
    # frame `factor` times larger). Code that iterates over styles (training, export,
    # tests) must not meet an upscaler unawares.
    kind: str
    builder: str  # "module:function", imported by create_model only
    summary: str
    parameters: int  # of the default net (tests/test_nets.py checks it)


CARDS: dict[str, ModelCard] = {card.name: card for card in (
    ModelCard("johnson", "style", "stylecam.models.nets.johnson:johnson",
              "Johnson et al. 2016, supplementary Table 1 (instance norm, nearest-upsample + conv; "
              "variant='paper': batch norm, fractionally-strided convs, scaled tanh)", 1_679_235),
    ModelCard("lite", "style", "stylecam.models.nets.cpu_nets:lite",
              "the light CPU net: half widths, separable convs, half resolution, sub-pixel output",
              79_344),
    ModelCard("nano", "style", "stylecam.models.nets.cpu_nets:nano",
              "the CPU real-time net: lite with its time-heavy convolutions made separable", 47_056),
    ModelCard("sr", "upscaler", "stylecam.models.nets.sr:sr",
              "Johnson et al. 2016, supplementary Table 2 (x2/x4/x8), plus a bicubic skip", 401_859),
    ModelCard("srfast", "upscaler", "stylecam.models.nets.sr:srfast",
              "the real-time CPU upscaler: every layer at the input resolution, sub-pixel output", 6_128),
)}


def list_models(kind: str = "style") -> list[str]:
    """Names of the architectures of one kind ("style" or "upscaler"), sorted. Needs no torch."""
    return sorted(name for name, card in CARDS.items() if card.kind == kind)


def model_card(name: str) -> ModelCard:
    """The card of one architecture. Needs no torch."""
    if name not in CARDS:
        raise KeyError(f"unknown architecture {name!r}; known: {', '.join(sorted(CARDS))}")
    return CARDS[name]


def create_model(name: str, **config: Any) -> Any:
    """Build an untrained net; ``config`` overrides the architecture's defaults."""
    module, function = model_card(name).builder.split(":")
    return getattr(importlib.import_module(module), function)(**config)
