"""Write a checkpoint's net and metadata (recipe, history, provenance) without its optimiser
state: what ships under models/styles/checkpoints/ (a third of the size; a shipped net is
never resumed with its Adam moments, see training/budgeted.py ``resume_from``).

    python scripts/weights_only.py SRC.safetensors DST.safetensors
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from stylecam.models.nets import checkpoint  # noqa: E402


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__.strip().splitlines()[-1].strip(), file=sys.stderr)
        return 2
    src, dst = (Path(a) for a in argv)
    ck = checkpoint.load(src)
    checkpoint.save(dst, ck.net, {k: v for k, v in ck.meta.items() if k not in ("format", "format_version")})
    print(f"wrote {dst} ({ck.meta['arch']}, iteration {ck.meta.get('iteration')})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
