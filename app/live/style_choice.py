"""The live app's rules for styles, apart from any widget: the order of the style menu
(which key picks which style) and whether ``auto``'s engine is the one a choice by name
would open. Qt-free, so they are tested without a window."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, TypeVar

S = TypeVar("S")

#: Menu order by where a style comes from: the bundled styles first, so they keep keys
#: 1..N in a fixed order whatever a user adds; then the user's styles folder; then the
#: folders given with ``--styles-dir``. (The catalog's order is *precedence* for resolving
#: a name, extra first; a key that moves when a file is added would be a different thing.)
MENU_RANK = {"bundled": 0, "user": 1, "extra": 2}


def menu_order(styles: Sequence[S]) -> list[S]:
    """The catalog's styles in menu order (stable: by file name within each source)."""
    return sorted(styles, key=lambda s: MENU_RANK.get(getattr(s, "source", "extra"), len(MENU_RANK)))


def as_if_chosen(path: Path, engine: Any) -> bool:
    """Whether ``auto``'s engine is what choosing its engine by name would open. Not when
    ``auto`` passed over a broken CPU version to run the full net on a CPU engine: chosen
    by name, that engine would run (and report) the CPU version."""
    from stylecam.models.style.catalog import cpu_variant_path

    falls_back = engine.name in ("openvino", "cpu") and not getattr(engine, "cpu_version", False)
    return not (falls_back and cpu_variant_path(path).is_file())
