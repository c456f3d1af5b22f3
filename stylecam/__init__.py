"""stylecam: live webcam and video style transfer (Johnson, Alahi & Fei-Fei, ECCV 2016).

Installed, the whole project lives under this one import name. The repository keeps the
product's folders at its top (``app/``, ``models/``, ``training/``, ``export/``); the
build backend maps each of them into this package (``stylecam.app``, ``stylecam.models``,
...), see ``pyproject.toml`` and the README's Development section.
"""

__version__ = "0.1.0"
