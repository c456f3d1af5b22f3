"""The live app's rules for styles, apart from any widget: the order of the style menu
(which key picks which style) and whether ``auto``'s engine is the one a choice by name
would open. Qt-free, so they are tested without a window."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from stylecam.models.style.bundle import BACKENDS, Reason, StyleBundle

S = TypeVar("S")

#: Menu order by where a style comes from: the bundled styles first, so they keep keys
#: 1..N in a fixed order whatever a user adds; then the user's styles folder; then the
#: folders given with ``--styles-dir``. (The catalog's order is *precedence* for resolving
#: a name, extra first; a key that moves when a file is added would be a different thing.)
MENU_RANK = {"bundled": 0, "user": 1, "extra": 2}


def menu_order(styles: Sequence[S]) -> list[S]:
    """The catalog's styles in menu order (stable: by file name within each source)."""
    return sorted(styles, key=lambda s: MENU_RANK.get(getattr(s, "source", "extra"), len(MENU_RANK)))


def as_if_chosen(style: StyleBundle, engine: Any) -> bool:
    """Whether ``auto``'s engine runs the net that choosing its engine by name would open.
    Not when ``auto`` passed over a CPU version (broken, of another style, or loading on
    no CPU engine) to run the full net: chosen by name, that engine would run (or refuse)
    the CPU version."""
    if engine.name not in BACKENDS:
        return False
    runs = getattr(engine, "choice", None)
    net = style.path if runs is None else runs.net  # a wrapper that does not say: the full net
    by_name = style.choose(engine.name)
    return by_name.reason is not Reason.CPU_VERSION_INVALID and by_name.net == net
