"""stylecam: live webcam and video style transfer (Johnson, Alahi & Fei-Fei, ECCV 2016).

Installed, the whole project lives under this one import name. The repository keeps the
product's folders at its top (``app/``, ``models/``, ``training/``, ``export/``); the
build backend maps each of them into this package (``stylecam.app``, ``stylecam.models``,
...), see ``pyproject.toml`` and the README's Development section.
"""

from stylecam.privacy import disable_telemetry

# Before anything can import OpenVINO or ONNX Runtime: they send telemetry and write
# files into HOME on import otherwise (see stylecam/privacy.py).
disable_telemetry()

__version__ = "0.1.0"
