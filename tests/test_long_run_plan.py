"""The long run's phase plan (scripts/train_styles_long.py): when the crops grow to 256 px."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

pytest.importorskip("torch")

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "train_styles_long.py"


def _plan():
    spec = importlib.util.spec_from_file_location("train_styles_long", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.plan


def _shape(phases) -> list[tuple[str, float, int, int]]:
    return [(p.kind, float(p.until), p.size, p.batch) for p in phases]


def test_default_plan_switches_to_256_px_after_120_cpu_minutes() -> None:
    plan = _plan()
    assert _shape(plan("a", 60)) == [("perceptual", 60, 128, 4)]
    assert _shape(plan("a", 120)) == [("perceptual", 120, 128, 4)]
    assert _shape(plan("a", 180)) == [("perceptual", 120, 128, 4), ("perceptual", 180, 256, 2)]


def test_large_crops_from_an_earlier_minute() -> None:
    """A shipped net at 60 CPU-min continues on 256 px crops at once (the crop-size experiment)."""
    plan = _plan()
    assert _shape(plan("a", 120, 60)) == [("perceptual", 60, 128, 4), ("perceptual", 120, 256, 2)]
    assert _shape(plan("a", 60, 60)) == [("perceptual", 60, 128, 4)]


def test_teacher_plan_keeps_its_head() -> None:
    plan = _plan()
    assert [p.kind for p in plan("b", 180)] == ["teacher", "pixel", "perceptual", "perceptual"]
    assert [p.kind for p in plan("b", 60)] == ["teacher", "perceptual"]


def test_lr_sets_the_rate_of_the_phase_the_round_extends_only() -> None:
    """--lr (great_wave at 256 px, batch 2, diverged at the recipe's 1e-3, docs/fig5.md)."""
    plan = _plan()
    phases = plan("a", 90, 60, 3e-4)
    assert [p.lr for p in phases] == [None, 3e-4] and _shape(phases)[-1] == ("perceptual", 90, 256, 2)
    assert [p.lr for p in plan("a", 90)] == [None]
    assert [p.lr for p in plan("a", 90, 120, 3e-4)] == [3e-4]


def test_periodic_weight_sets_the_penalty_of_the_phase_the_round_extends_only() -> None:
    plan = _plan()
    phases = plan("a", 90, 60, 3e-4, 1e10)
    assert [p.periodic_weight for p in phases] == [None, 1e10] and [p.lr for p in phases] == [None, 3e-4]
    assert [p.periodic_weight for p in plan("a", 90)] == [None]
