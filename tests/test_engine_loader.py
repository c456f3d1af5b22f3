"""app.live.engine_loader without Qt: ``settled`` says when nothing is pending for a style."""

from __future__ import annotations

import threading
from pathlib import Path

from stylecam.app.live.engine_loader import EngineLoader


def test_settled_after_a_load_and_after_a_failure(gui_styles_dir: Path) -> None:
    good, broken = gui_styles_dir / "a_negative.onnx", gui_styles_dir / "c_broken.onnx"
    answered = threading.Event()
    seen: list[str] = []

    def note(key: str, _what: object) -> None:
        seen.append(key)
        if len(seen) == 2:
            answered.set()

    loader = EngineLoader(on_loaded=note, on_failed=note)
    try:
        assert not loader.settled(good, "cpu") and not loader.settled(broken, "cpu")
        loader.request("good", good, "cpu")
        loader.request("broken", broken, "cpu")
        assert answered.wait(30)
        assert loader.settled(good, "cpu") and loader.settled(broken, "cpu")
        assert not loader.settled(good, "openvino")  # per engine
        loader.forget_failures()
        assert not loader.settled(broken, "cpu") and loader.settled(good, "cpu")
    finally:
        loader.shutdown()
