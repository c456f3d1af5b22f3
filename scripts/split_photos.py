"""Split the shared photo set into training photos and 10 held-out photos (every 25th,
from the 13th), as symlink folders, so benchmarks can score styles on unseen photos.

    python scripts/split_photos.py [PHOTOS] [OUT]   ->  OUT/photos_train, OUT/photos_heldout
"""

import sys
from pathlib import Path

src_dir = Path(sys.argv[1] if len(sys.argv) > 1 else "../shared/data/photos").resolve()
out = Path(sys.argv[2] if len(sys.argv) > 2 else "runs")
photos = sorted(src_dir.glob("*.jpg"))
held = set(photos[12::25])
for name, files in (("train", [p for p in photos if p not in held]), ("heldout", sorted(held))):
    folder = out / f"photos_{name}"
    folder.mkdir(parents=True, exist_ok=True)
    for p in files:
        (folder / p.name).unlink(missing_ok=True)
        (folder / p.name).symlink_to(p)
    print(f"{folder}: {len(files)} photos")
