"""What the training commands (``stylecam train``, ``stylecam train-sr``) share: how a run is reported."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from stylecam.errors import StylecamError


def run_training(prog: str, run: Callable[[Any], Path], opts: Any) -> int:
    """Run a training (``train`` or ``train_sr``) the way both commands report it: the
    checkpoint's path on success, one line and exit 2 on a ``StylecamError``, 130 on Ctrl-C
    (the loop has checkpointed by then)."""
    try:
        path = run(opts)
    except StylecamError as e:
        print(f"{prog}: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    print(f"wrote {path}")
    return 0
