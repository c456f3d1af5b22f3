"""Screenshot of the real stylecam window stylizing a clip, for the README.

Run under a virtual X server (Debian: xvfb libxcb-icccm4 libxcb-keysyms1 libxcb-cursor0):

    xvfb-run -a -s "-screen 0 1100x720x24" python scripts/gui_screenshot.py CLIP \\
        --style starry_night -o docs/screenshot.png

It opens the window exactly as ``stylecam gui`` does (settings in a temporary file, so
the user's are untouched), turns on the split view, waits until frames processed by the
style are on screen, and saves the whole screen.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("source", help="video file (loops) or camera index")
    p.add_argument("--style", default=None)
    p.add_argument("--styles-dir", action="append", default=[])
    p.add_argument("--engine", default="auto")
    p.add_argument("--resolution", default="480p")
    p.add_argument("--divider", type=float, default=0.42, help="split position; 0 for no split")
    p.add_argument("--settle", type=float, default=3.0, help="seconds to run the style before the shot")
    p.add_argument("-o", "--out", type=Path, default=Path("docs/screenshot.png"))
    args = p.parse_args()

    from PyQt6.QtCore import QSettings, QTimer
    from PyQt6.QtWidgets import QApplication

    from stylecam.app.gui.preferences import Preferences
    from stylecam.app.gui.window import MainWindow

    app = QApplication(sys.argv[:1])
    app.setApplicationName("stylecam")
    tmp = Path(tempfile.mkdtemp())
    prefs = Preferences(QSettings(str(tmp / "settings.ini"), QSettings.Format.IniFormat))
    prefs.resolution = args.resolution
    window = MainWindow(prefs, source=args.source, style=args.style, engine=args.engine,
                        styles_dirs=args.styles_dir, output_dir=tmp, probe_cameras=False)
    screen = app.primaryScreen().size()
    window.resize(screen.width(), screen.height())
    window.show()
    if args.divider > 0:
        window.split_action.setChecked(True)
        window.view.set_divider(args.divider)

    def wait_for_style() -> None:
        r = window.last_result
        if window.switcher.running == 0 or r is None or r.style == "original":
            QTimer.singleShot(300, wait_for_style)
            return
        QTimer.singleShot(int(args.settle * 1000), shoot)

    def shoot() -> None:
        window._update_status()
        app.processEvents()
        args.out.parent.mkdir(parents=True, exist_ok=True)
        app.primaryScreen().grabWindow(0).save(str(args.out))
        print(f"wrote {args.out}: {window.status_label.text()}", flush=True)
        window.close()
        app.quit()

    QTimer.singleShot(500, wait_for_style)
    QTimer.singleShot(120_000, app.quit)  # never hang a script
    return int(app.exec())


if __name__ == "__main__":
    sys.exit(main())
