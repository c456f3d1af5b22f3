"""Atomic writes: a file appears under its final name only when it is complete.

Everything stylecam writes (videos, images, checkpoints, style files, caches) is written
to a hidden temporary sibling and renamed over the final name at the end, so a crash, a
full disk or Ctrl-C never leaves a half-written file under a name a user or a later run
trusts. One helper, one temporary-name scheme: ``.<final name>.<random>.tmp<suffix>``
(hidden; the final suffix last, so libraries that choose a format by suffix still do).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

TEMP_MARK = ".tmp"  # every temporary name contains it; cleanup code may look for it


def temporary_sibling(final: str | Path) -> Path:
    """A fresh, hidden, empty file in ``final``'s folder (same file system: the rename is atomic).

    Raises ``OSError`` when the folder cannot be written; callers name ``final`` (what the
    user asked for) in their message, never this temporary name.
    """
    final = Path(final)
    fd, name = tempfile.mkstemp(dir=final.parent, prefix=f".{final.name}.", suffix=f"{TEMP_MARK}{final.suffix}")
    os.close(fd)
    # mkstemp makes the file private (0600); an output gets the usual permissions.
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(name, 0o666 & ~umask)
    return Path(name)


@contextmanager
def replacing(final: str | Path, *, make_parents: bool = True) -> Iterator[Path]:
    """Yield a temporary sibling to write; rename it to ``final`` if the block succeeds,
    remove it if the block raises (``KeyboardInterrupt`` included)."""
    final = Path(final)
    if make_parents:
        final.parent.mkdir(parents=True, exist_ok=True)
    tmp = temporary_sibling(final)
    try:
        yield tmp
        os.replace(tmp, final)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_bytes(final: str | Path, data: bytes) -> Path:
    """``final`` holds exactly ``data``, or is untouched."""
    with replacing(final) as tmp:
        tmp.write_bytes(data)
    return Path(final)
