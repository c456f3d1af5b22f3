"""Nothing leaves the machine, nothing is written outside stylecam's folders.

Two runtime dependencies phone home when imported, unless told not to, and both write
files into the user's home on the way (measured with a fresh ``HOME`` and no ``CI``):

- **OpenVINO** (``import openvino`` imports ``openvino.tools.ovc``, whose ``__init__``
  sends a Google Analytics "import" event through ``openvino_telemetry`` from a forked
  child process, and writes ``~/intel/openvino_ga_cid`` and ``~/intel/stats``). The
  package has no environment switch except ``CI=true`` (and ``TF_BUILD``/``JENKINS_URL``),
  which would also change the behaviour of every child process; its opt-out file
  (``~/intel/openvino_telemetry``) would itself be a file outside our folders. But
  ``ovc`` falls back to its own no-op stub (``openvino.tools.ovc.telemetry_stub``) when
  ``import openvino_telemetry`` raises ImportError, and ``sys.modules[name] = None`` is
  Python's documented way to make an import raise it. So: no event, no fork, no files.
- **ONNX Runtime** 1.31 (the 1DS telemetry of ``core/platform/posix/telemetry_1ds.cc``:
  it writes ``~/.cache/Microsoft/DeveloperTools/.onnxruntime/{deviceid,onnxruntime.db}``
  on import and queues events for ``mobile.events.data.microsoft.com``). The library
  reads ``ORT_DISABLE_TELEMETRY`` when it loads; set here before any import.
  ``onnxruntime.disable_telemetry_events()`` is also called once it is imported
  (``stylecam.models.runtime.engines``), which covers the Windows ETW path.

:func:`disable_telemetry` runs from ``stylecam/__init__.py``, so every entry point (the
``stylecam`` command, ``python -m stylecam``, the GUI, a library user importing any
``stylecam`` module) passes through it before OpenVINO or ONNX Runtime can be imported.
It is idempotent and changes only this process (and children that inherit the
environment variable, which is what a user who ran stylecam would expect).
"""

from __future__ import annotations

import os
import sys

#: Environment switches set (unless the user set them already) before the runtimes load.
ENVIRONMENT = {"ORT_DISABLE_TELEMETRY": "1"}

#: Modules made unimportable, so the libraries that would use them take their no-op paths.
BLOCKED_MODULES = ("openvino_telemetry",)


def disable_telemetry() -> None:
    """Turn off every runtime dependency's telemetry in this process (see the module docs)."""
    for key, value in ENVIRONMENT.items():
        os.environ.setdefault(key, value)
    for name in BLOCKED_MODULES:
        # A module the embedding program already imported is left alone: blocking it now
        # would only break that program.
        if name not in sys.modules:
            sys.modules[name] = None  # type: ignore[assignment]
