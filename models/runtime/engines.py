"""One interface for every inference engine (torch-free).

The caller hands a frame (uint8 H x W x 3 BGR, as OpenCV and PyAV give it) to
``Engine.run`` and gets a frame back; it never branches on the backend. Which backend
runs is decided by *probing*: a GPU engine counts only if a session really got the GPU
provider (``session.get_providers()`` after creation), never because a library lists it.

Engines, fastest first where they work:
- ``tensorrt``: a TensorRT plan built from the style and cached (``stylecam.models.runtime.tensorrt_engine``),
  or ONNX Runtime's TensorRT provider when the native ``tensorrt`` module is absent;
- ``cuda``: ONNX Runtime with the CUDA provider;
- ``openvino``: OpenVINO on the CPU, using ``<style>.int8.xml`` (calibrated int8 IR
  written by ``stylecam export --int8``) when it sits next to the style;
- ``cpu``: ONNX Runtime on the CPU, always there, the reference for correctness.

Which of a style's files an engine runs (the full net or the real-time CPU version
``<style>.cpu.onnx``, an fp16 file, an int8 IR) is decided by ``StyleBundle.choose``
(``stylecam.models.style.bundle``), never here: ``open_engine`` opens a bundle on a
backend, and each engine keeps the ``FileChoice`` it runs (``Engine.choice``).
"""

from __future__ import annotations

import base64
import importlib.util
import io
import os
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, redirect_stderr, redirect_stdout
from dataclasses import replace
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from stylecam.models.errors import EngineError, StyleError
from stylecam.models.runtime.engine import Engine
from stylecam.models.style import files
from stylecam.models.style.bundle import BACKENDS, FileChoice, Reason, StyleBundle
from stylecam.models.style.files import Variant
from stylecam.models.style.format import INPUT_NAME

ENGINE_NAMES: tuple[str, ...] = BACKENDS
CHOICES: tuple[str, ...] = ("auto", *ENGINE_NAMES)


# OpenVINO's CPU plugin would pick bf16 on CPUs where it reports BF16 capability. Measured on the
# project machine (Zen 4, 2 cores, OpenVINO 2026.4): the plugin reports only FP32/INT8 there and
# compiles f32 even when bf16 is asked for; f32 is asked for explicitly so results match everywhere.
OPENVINO_PRECISION = "f32"

# How many frame sizes an OpenVINO engine compiles a static-shape graph for.
STATIC_SHAPES = 4

# A 1-node ONNX model (Relu on float[1,4]) used to ask ONNX Runtime whether a GPU
# provider really loads, without needing a style file.
_PROBE_ONNX = base64.b64decode(
    "CAgSDnN0eWxlY2FtLXByb2JlOj8KDAoBeBIBeSIEUmVsdRIFcHJvYmVaEwoBeBIOCgwIARIICgIIAQoCCARi"
    "EwoBeRIOCgwIARIICgIIAQoCCARCBAoAEBE="
)


# --------------------------------------------------------------------------- ONNX Runtime


def _one_line(text: object, limit: int = 300) -> str:
    """Runtime messages (OpenVINO's, ONNX Runtime's) span lines; ours are one line."""
    line = " / ".join(" ".join(part.split()) for part in str(text).splitlines() if part.strip())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def _ort() -> Any:
    try:
        import onnxruntime
    except (ImportError, OSError) as e:
        raise EngineError(None, "cpu", f"onnxruntime is not installed ({e})") from None
    disable = getattr(onnxruntime, "disable_telemetry_events", None)
    if disable is not None:  # ORT_DISABLE_TELEMETRY (stylecam/privacy.py) covers Linux; this the rest
        disable()
    return onnxruntime


_GPU_PROVIDERS = {"cuda": "CUDAExecutionProvider", "tensorrt": "TensorrtExecutionProvider"}


@contextmanager
def _quiet_gpu_probe(ort: Any) -> Iterator[None]:
    """Keep a GPU probe quiet: ONNX Runtime prints provider-load failures from C++ (its
    default logger) and from Python (``EP Error ... Falling back``) on a machine without
    CUDA. Raise the log threshold and point stdout/stderr at /dev/null for the probe only;
    whether the GPU was really got is decided from ``session.get_providers()`` afterwards."""
    ort.set_default_logger_severity(4)
    sys.stdout.flush()
    sys.stderr.flush()
    saved = [os.dup(1), os.dup(2)]
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 1)
        os.dup2(devnull, 2)
        with redirect_stdout(io.StringIO()), redirect_stderr(io.StringIO()):
            preload = getattr(ort, "preload_dlls", None)
            if preload is not None and importlib.util.find_spec("nvidia") is not None:
                try:  # CUDA libraries from pip (onnxruntime-gpu[cuda,cudnn]) must be loaded first
                    preload()
                except Exception:
                    pass
            yield
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        for fd in (*saved, devnull):
            os.close(fd)
        ort.set_default_logger_severity(3)


def _ort_session(model: Path | bytes, providers: list[Any]) -> Any:
    ort = _ort()
    so = ort.SessionOptions()
    so.log_severity_level = 3
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    return ort.InferenceSession(model if isinstance(model, bytes) else str(model), so, providers=providers)


def _provider_options(kind: str, path: Path) -> list[Any]:
    if kind == "tensorrt":
        from stylecam.models.runtime.tensorrt_plan import DEFAULT_PROFILE, plan_cache_dir

        cache = plan_cache_dir() / "ort"
        cache.mkdir(parents=True, exist_ok=True)  # removed again if the provider does not load
        opts = {
            "trt_fp16_enable": True,
            "trt_engine_cache_enable": True,
            "trt_engine_cache_path": str(cache),
            "trt_timing_cache_enable": True,
            "trt_timing_cache_path": str(cache),
            **DEFAULT_PROFILE.ort_options(INPUT_NAME),
        }
        return [("TensorrtExecutionProvider", opts), "CUDAExecutionProvider", "CPUExecutionProvider"]
    if kind == "cuda":
        return [("CUDAExecutionProvider", {"cudnn_conv_algo_search": "HEURISTIC"}), "CPUExecutionProvider"]
    return ["CPUExecutionProvider"]


class OrtEngine(Engine):
    """ONNX Runtime on one provider; refuses to exist if it silently fell back to the CPU."""

    def __init__(self, model: Path | FileChoice, kind: str) -> None:
        """``model``: a style's choice for ``kind`` (an fp16 file for cuda halves GPU memory
        traffic), or a path, which runs as it is."""
        super().__init__(model)
        self.name = kind
        path, model = self.path, self.model_path
        ort = _ort()
        wanted = _GPU_PROVIDERS.get(kind, "CPUExecutionProvider")
        if kind in _GPU_PROVIDERS:
            if wanted not in ort.get_available_providers():
                raise EngineError(path, kind, f"this onnxruntime build has no {wanted}")
        try:
            if kind in _GPU_PROVIDERS:
                with _quiet_gpu_probe(ort):
                    self._session = _ort_session(model, _provider_options(kind, path))
            else:
                self._session = _ort_session(model, _provider_options(kind, path))
        except Exception as e:
            _drop_unused_trt_cache(kind)
            raise StyleError(model, f"ONNX Runtime cannot load it ({type(e).__name__}: {_one_line(e)})") from None
        got = self._session.get_providers()
        if wanted not in got:
            _drop_unused_trt_cache(kind)
            raise EngineError(path, kind, f"{wanted} did not load (session got {', '.join(got)})")
        _check_frame_io(model, [(i.name, i.type) for i in self._session.get_inputs()],
                        [(o.name, o.type) for o in self._session.get_outputs()], "tensor(uint8)")
        self.provider = f"{wanted} fp16" if self.choice.variant.precision == "fp16" else wanted
        self._input = self._session.get_inputs()[0].name

    def _infer(self, frame: np.ndarray) -> np.ndarray:
        return self._session.run(None, {self._input: frame})[0]

    def close(self) -> None:
        self._session = None


# --------------------------------------------------------------------------- OpenVINO


def _drop_unused_trt_cache(kind: str) -> None:
    """The TensorRT provider's cache folder is made before the session (the provider needs
    it); on a machine where it never loads, an empty folder must not stay behind."""
    if kind != "tensorrt":
        return
    from stylecam.models.runtime.tensorrt_plan import plan_cache_dir

    for folder in (plan_cache_dir() / "ort", plan_cache_dir()):
        try:
            folder.rmdir()  # only when empty
        except OSError:
            break


def _check_frame_io(model: Path, inputs: list[tuple[str, Any]], outputs: list[tuple[str, Any]], uint8: Any) -> None:
    """A style's graph takes one uint8 H x W x 3 frame and gives one back; anything else
    (a float input, a second input) is refused here in one line rather than failing
    inside the runtime on the first frame."""
    if len(inputs) != 1:
        raise StyleError(model, f"not a stylecam style: its graph takes {len(inputs)} inputs "
                                f"({', '.join(n for n, _ in inputs)}), a style takes one frame")
    if str(inputs[0][1]) != str(uint8):
        raise StyleError(model, f"not a stylecam style: its input {inputs[0][0]!r} is {inputs[0][1]}, "
                                "a style takes a uint8 frame")
    if not outputs or str(outputs[0][1]) != str(uint8):
        got = outputs[0][1] if outputs else "nothing"
        raise StyleError(model, f"not a stylecam style: its output is {got}, a style gives a uint8 frame")


def _openvino_file(path: Path, int8: bool | None) -> FileChoice:
    """The file OpenVINO loads for a net given by path: its int8 IR (written by ``stylecam
    export --int8``) when ``int8``, or when present and ``int8`` is None; else the net."""
    found = files.parse(path)
    ir = files.form_of(path, "int8") if found and found[1] in (Variant.FULL, Variant.CPU) else None
    use = (ir is not None and files.present(ir)) if int8 is None else int8
    if use and (ir is None or not files.present(ir)):
        raise EngineError(path, "openvino", f"no int8 model {ir.name if ir else ''} next to the style".replace("  ", " "))
    return FileChoice.given(ir if use and ir is not None else path)


_OV_CORE_LOCK = threading.Lock()
_OV_CORE: Any = None


def ov_core() -> Any:
    """The process's one OpenVINO ``Core``, kept until exit: never make another.

    Each ``Core`` loads its own CPU plugin, and the plugin (OpenVINO 2026.4, intel_cpu
    ``SigAltStackSetup``) mmaps a signal stack for the thread that loads it; when freed it
    munmaps that stack, putting back the one it replaced only if its own is still current.
    Two Cores freed first-in-first-out (``auto`` keeps the int8 engine it timed second and
    drops the f32 one) leave the thread's signal stack on unmapped memory, and the next
    signal with a Python handler (SIGINT, our SIGTERM/SIGHUP: CPython installs them all
    with SA_ONSTACK) kills the process with SIGSEGV instead of running the handler.
    One Core that is never freed loads the plugin once, so nothing is unmapped."""
    global _OV_CORE
    with _OV_CORE_LOCK:
        if _OV_CORE is None:
            import openvino as ov

            _OV_CORE = ov.Core()
        return _OV_CORE


class OpenVinoEngine(Engine):
    """OpenVINO on the CPU: the int8 IR when one sits next to the style, else the ONNX file."""

    name = "openvino"

    def __init__(self, model: Path | FileChoice, int8: bool | None = None, precision: str = OPENVINO_PRECISION) -> None:
        """``model``: a style's choice for ``openvino``, or a net's path, which runs as its
        int8 IR when ``int8`` (None: when the IR is beside it) and as itself otherwise."""
        super().__init__(model if isinstance(model, FileChoice) else _openvino_file(Path(model), int8))
        path, model = self.path, self.model_path
        try:
            core = ov_core()  # one per process: see ov_core
        except (ImportError, OSError) as e:
            raise EngineError(path, "openvino", f"openvino is not installed ({e})") from None
        if "CPU" not in core.available_devices:
            raise EngineError(path, "openvino", "OpenVINO sees no CPU device")
        use_int8 = self.choice.variant.precision == "int8"
        self._core = core
        self._config = {"PERFORMANCE_HINT": "LATENCY", "INFERENCE_PRECISION_HINT": precision}
        try:
            self._model = core.read_model(str(model))
        except Exception as e:
            raise StyleError(model, f"OpenVINO cannot read it ({type(e).__name__}: {_one_line(e)})") from None
        _check_frame_io(model, [(i.get_any_name(), i.get_element_type().get_type_name()) for i in self._model.inputs],
                        [(o.get_any_name(), o.get_element_type().get_type_name()) for o in self._model.outputs], "u8")
        try:
            self._compiled = core.compile_model(self._model, "CPU", self._config)
        except Exception as e:
            raise StyleError(model, f"OpenVINO cannot compile it ({type(e).__name__}: {_one_line(e)})") from None
        self._request = self._compiled.create_infer_request()
        self._static: dict[tuple[int, ...], Any] = {}
        self.provider = f"OpenVINO CPU {'int8' if use_int8 else precision}"

    def _request_for(self, shape: tuple[int, ...]) -> Any:
        """An infer request compiled for exactly this frame size.

        Video frames keep one size, and OpenVINO runs a static shape about 30% faster
        than the dynamic-shape graph (measured at 640x480 on the project machine), so
        each new size is compiled once; the dynamic graph serves while the cache is full.
        """
        request = self._static.get(shape)
        if request is None and len(self._static) < STATIC_SHAPES:
            try:
                model = self._model.clone()
                model.reshape({model.inputs[0]: list(shape)})
                request = self._core.compile_model(model, "CPU", self._config).create_infer_request()
            except Exception:
                request = self._request  # any trouble: the dynamic graph still works
            self._static[shape] = request
        return request or self._request

    def _infer(self, frame: np.ndarray) -> np.ndarray:
        request = self._request_for(frame.shape)
        request.infer({0: frame}, share_inputs=True)
        return request.get_output_tensor(0).data.copy()  # the request reuses its buffer

    def close(self) -> None:
        self._request = self._compiled = None
        self._static.clear()


# --------------------------------------------------------------------------- choosing


def _open_tensorrt(choice: FileChoice) -> Engine:
    """Native TensorRT plan engine when ``tensorrt`` imports, else ORT's TensorRT provider."""
    from stylecam.models.runtime.tensorrt_engine import TensorRTEngine, tensorrt_runtime_problem

    problem = tensorrt_runtime_problem()
    if problem is None:
        return TensorRTEngine(choice)
    try:
        return OrtEngine(choice, "tensorrt")
    except EngineError as e:
        raise EngineError(choice.path, "tensorrt", f"{problem}; ONNX Runtime's TensorRT provider: {e.reason}") from None


def _open(bundle: StyleBundle, engine: str, full_net: bool = False, low_precision: bool = True) -> Engine:
    """``engine`` on the file the bundle chooses for it; a CPU version that the style has but
    cannot use raises ``StyleError`` naming it (asked for by name, it is not passed over)."""
    if engine not in ENGINE_NAMES:
        raise ValueError(f"unknown engine {engine!r}; choose from {', '.join(CHOICES)}")
    choice = bundle.choose(engine, full_net, low_precision=low_precision)
    if choice.reason is Reason.CPU_VERSION_INVALID:
        raise StyleError(bundle.file(Variant.CPU), bundle.cpu_problem or "not usable")
    if engine == "tensorrt":
        return _open_tensorrt(choice)
    if engine == "openvino":
        return OpenVinoEngine(choice)
    return OrtEngine(choice, engine)


def _probe_frame(h: int = 240, w: int = 320) -> np.ndarray:
    """A smooth, photo-like test frame (gradients), deterministic."""
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    img = np.stack([x / w * 255, y / h * 255, (x + y) / (w + h) * 255], axis=-1)
    return np.ascontiguousarray(img.astype(np.uint8))


def _time_engine(eng: Engine, frame: np.ndarray, runs: int = 3) -> float:
    """Best of a few runs after a warm-up: the minimum is the least disturbed by other load."""
    eng.run(frame)  # first run compiles kernels for the shape
    best = float("inf")
    for _ in range(runs):
        t = time.perf_counter()
        eng.run(frame)
        best = min(best, time.perf_counter() - t)
    return best


def open_engine(style: StyleBundle | str | Path, engine: str = "auto", *, full_net: bool = False,
                low_precision: bool = True) -> Engine:
    """Open a style (a bundle, or a style file's path) on an engine; ``auto`` picks the
    fastest one that really works here.

    ``auto`` tries the GPU engines first (each must load *and* run a frame); without a
    working GPU it opens every CPU candidate (OpenVINO int8 if exported, OpenVINO,
    ONNX Runtime CPU), times each on a 640x480 frame (best of 5) and keeps the fastest.
    Which file each engine runs is the bundle's choice (``StyleBundle.choose``: the CPU
    engines run the real-time CPU version unless ``full_net``; ``low_precision``: fp16 and
    int8 files where present), kept in ``Engine.choice``.
    ``Engine.notes`` says what was passed over and why. A forced engine that cannot load
    raises ``EngineError`` saying why; a broken style file raises ``StyleError`` naming it.
    """
    if engine not in CHOICES:
        raise ValueError(f"unknown engine {engine!r}; choose from {', '.join(CHOICES)}")
    bundle = style if isinstance(style, StyleBundle) else StyleBundle.open(style)
    if bundle.broken is not None:  # a clear error for a missing, broken or foreign file
        raise StyleError(bundle.path, bundle.broken)
    if engine != "auto":
        return _open(bundle, engine, full_net, low_precision)
    notes: list[str] = []
    probe = _probe_frame()
    for gpu in ("tensorrt", "cuda"):
        eng = None
        try:
            eng = _open(bundle, gpu, low_precision=low_precision)
            eng.run(probe)
            eng.notes = notes
            return eng
        except EngineError as e:
            notes.append(f"{gpu}: {e.reason}")
        except Exception as e:  # a GPU engine that loads but fails to run is not usable
            notes.append(f"{gpu}: failed on a test frame ({type(e).__name__}: {e})")
            if eng is not None:
                eng.close()
    # CPU engines are timed on a 640x480 frame, the common webcam size: at smaller sizes
    # fixed overheads hide what int8 gains on real frames.
    probe = _probe_frame(480, 640)
    first = bundle.choose("cpu", full_net)
    if first.reason is Reason.CPU_VERSION_INVALID:  # say so; the choice runs the full net
        notes.append(first.why)
    timed, last_error = _time_cpu_candidates(_cpu_choices(bundle, full_net, low_precision), probe, notes)
    fell_back = None
    if not timed and first.cpu_version:  # the CPU version loads nowhere: the full net still may
        fell_back = f"{first.path.name} runs on no CPU engine here; running the full net"
        notes.append(fell_back)
        timed, last_error = _time_cpu_candidates(_cpu_choices(bundle, True, low_precision), probe, notes)
    if not timed:
        raise last_error or StyleError(bundle.path, "no engine can run this style")
    # Timing noise must not decide between engines within a few percent of each other (it
    # did: int8 one run, f32 the next). Candidates are in a fixed order of preference;
    # a later one wins only when it is clearly faster than every earlier one.
    timed = _prefer_stable(timed)
    best = timed[0][1]
    for t, eng in timed[1:]:
        notes.append(f"{eng.name} ({eng.provider}): slower, {t * 1000:.1f} ms vs {timed[0][0] * 1000:.1f} ms at 640x480")
        eng.close()
    best.notes = notes
    if fell_back is not None:
        best.choice = replace(best.choice, reason=Reason.CPU_VERSION_FAILED, why=fell_back)
    return best


#: How much faster (fraction of time saved) a less preferred CPU engine must be to be chosen by
#: ``auto``. Repeated best-of-5 timings on the project machine differ by up to ~10% under
#: other load; 15% keeps the choice the same from run to run.
CLEARLY_FASTER = 0.15


def _prefer_stable(timed: list[tuple[float, Engine]]) -> list[tuple[float, Engine]]:
    """``timed`` (in order of preference) with the chosen engine first, the rest by time."""
    best = 0
    for i in range(1, len(timed)):
        if timed[i][0] < timed[best][0] * (1 - CLEARLY_FASTER):
            best = i
    rest = sorted((te for i, te in enumerate(timed) if i != best), key=lambda te: te[0])
    return [timed[best], *rest]


def _cpu_choices(bundle: StyleBundle, full_net: bool, low_precision: bool) -> list[tuple[str, FileChoice]]:
    """What ``auto`` times on a CPU, as (engine, choice), in order of preference (see
    _prefer_stable): OpenVINO f32 matches the reference closely and is fast; int8 (when the
    style has its IR) trades accuracy for speed, so it must be clearly faster; then ONNX Runtime."""
    f32 = bundle.choose("openvino", full_net, low_precision=False)
    low = bundle.choose("openvino", full_net, low_precision=low_precision)
    return [("openvino", f32), *([("openvino", low)] if low.path != f32.path else []),
            ("cpu", bundle.choose("cpu", full_net))]


def _time_cpu_candidates(choices: list[tuple[str, FileChoice]], probe: np.ndarray,
                         notes: list[str]) -> tuple[list[tuple[float, Engine]], StyleError | None]:
    """Open every (engine, choice) and time each on ``probe``; what fails to load is noted,
    with the last error kept."""
    opened: list[Engine] = []
    last_error: StyleError | None = None
    for engine, choice in choices:
        label = f"{engine} {choice.variant.precision}" if choice.variant.precision == "int8" else engine
        model = choice.net
        eng = None
        try:
            eng = OpenVinoEngine(choice) if engine == "openvino" else OrtEngine(choice, engine)
            eng.run(probe)  # the first run compiles kernels for the shape
            opened.append(eng)
        except StyleError as e:
            notes.append(f"{label} ({model.name}): {getattr(e, 'reason', e.problem)}")
            last_error = e
        except Exception as e:  # loads, then fails on a frame: not usable, and said in one line
            problem = f"{label} fails on a test frame ({type(e).__name__}: {_one_line(e)})"
            notes.append(f"{model.name}: {problem}")
            last_error = StyleError(model, problem)
            if eng is not None:
                eng.close()
    # Round robin, best of 5 each: a burst of load elsewhere slows every candidate alike
    # instead of whichever happened to be timed during it.
    best = [float("inf")] * len(opened)
    for _ in range(5):
        for i, eng in enumerate(opened):
            t = time.perf_counter()
            eng.run(probe)
            best[i] = min(best[i], time.perf_counter() - t)
    return list(zip(best, opened, strict=True)), last_error


@lru_cache(maxsize=1)
def available_engines() -> list[str]:
    """Engines that really work on this machine, fastest kind first (probed once per process)."""
    found: list[str] = []
    ort = None
    try:
        ort = _ort()
    except EngineError:
        pass
    from stylecam.models.runtime.tensorrt_engine import tensorrt_runtime_problem

    if tensorrt_runtime_problem() is None or (ort is not None and _ort_gpu_works(ort, "tensorrt")):
        found.append("tensorrt")
    if ort is not None and _ort_gpu_works(ort, "cuda"):
        found.append("cuda")
    try:
        if "CPU" in ov_core().available_devices:
            found.append("openvino")
    except (ImportError, OSError, RuntimeError):
        pass
    if ort is not None:
        found.append("cpu")
    return found


def _ort_gpu_works(ort: Any, kind: str) -> bool:
    wanted = _GPU_PROVIDERS[kind]
    if wanted not in ort.get_available_providers():
        return False
    try:
        with _quiet_gpu_probe(ort):
            session = _ort_session(_PROBE_ONNX, [wanted, "CPUExecutionProvider"])
    except Exception:
        return False
    return wanted in session.get_providers()
