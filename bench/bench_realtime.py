"""Real time without a GPU, in one run, side by side with the eager-PyTorch loop.

Prints Markdown tables, every figure measured in this run on this machine:

1. ``stylecam stylize`` end to end (a fresh process calling the library as the command
   does: ``bench_stylize.run_stylize``) on a generated
   640x480, 30 frames/s clip with audio: every bundled style on engine ``auto`` (with
   the engine and provider it chose) and on each CPU engine forced; frames/s as the
   command prints it for the file (decode + stylize + encode) and by wall clock
   (process start, style load and engine choice included); the ratio against the plain
   per-frame eager-PyTorch ``johnson`` loop (decode -> torch -> encode, strictly in
   turn) measured here on the same clip. Targets: >= 30 frames/s and >= 40x.
2. A 1280x720 clip through ``stylecam stylize --size 360`` and ``--size 480``
   (processing resolution reduced, scaled back). Target: >= 15 frames/s.
3. The live app: the real PyQt6 window, offscreen, in a process of its own, on a
   640x480 30 frames/s looping file source, a bundled style on ``auto``; after the
   warm-up, frames shown and processed per second and capture-to-display latency
   (mean, 95th percentile) from the app's own counters (``stylecam.app.live.stats``).
   Targets: >= 30 frames/s shown, latency < 100 ms.
4. int8 drift: PSNR of the OpenVINO int8 IR output against the fp32 ONNX output (ONNX
   Runtime CPU, the reference) of the same style on held-out photos at 640x480.
5. Quality guard (``stylecam.training.quality_guard``, the one the export of the CPU
   versions runs): the training objective (content + style + TV, the style's own recipe)
   of the shipped CPU version (int8 and fp32) on held-out photos, beside a ``johnson``
   fp32 net of the same style where one is trained
   (``models/styles/checkpoints/johnson/<name>.safetensors``). Target: within 15%.
6. GPU: TensorRT fp16 and ONNX Runtime CUDA at 1280x720 and 1920x1080, only when
   ``available_engines()`` finds them working; otherwise the table says so and stays empty.

torch is needed only for the baseline loop and the quality guard; without it those
columns say "not measured".

    python bench/bench_realtime.py                          # everything, bundled styles
    python bench/bench_realtime.py --styles starry_night    # one style
    python bench/bench_realtime.py --styles-dir /tmp/x      # styles from another folder
    python bench/bench_realtime.py --quick                  # smoke run: 1 style, short clips

Not a test: the full run takes several minutes and prints tables. Run it on an
otherwise idle machine; the load average is printed before and after.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_stylize import make_clip, run_stylize, torch_loop  # noqa: E402  (after the path is set)

CPU_ENGINES = ("openvino", "cpu")
GPU_ENGINES = ("tensorrt", "cuda")
GPU_SIZES = ((1280, 720), (1920, 1080))
FPS = 30
GUI_RATES = (30, 60)  # live app sources: a webcam's rate, and twice that for headroom
NA = "—"
SECTIONS = ("stylize", "720p", "gui", "int8", "quality", "gpu")


# --------------------------------------------------------------------------- output helpers


def table(headers: list[str], rows: list[list[Any]]) -> None:
    print("| " + " | ".join(headers) + " |")
    print("|" + "|".join("---" for _ in headers) + "|")
    for row in rows:
        print("| " + " | ".join(str(c) for c in row) + " |")
    print()


def f1(x: float | None) -> str:
    return NA if x is None else f"{x:.1f}"


def verdict(ok: bool | None) -> str:
    return NA if ok is None else ("yes" if ok else "**no**")


def heading(text: str) -> None:
    print(f"\n## {text}\n", flush=True)


def log(text: str) -> None:
    print(f"[bench] {text}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- the machine


def machine() -> None:
    model, flags = "unknown", set()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            key, _, value = line.partition(":")
            if key.strip() == "model name" and model == "unknown":
                model = value.strip()
            elif key.strip() == "flags" and not flags:
                flags = set(value.split())
    except OSError:
        pass
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    isa = [f for f in ("avx2", "avx512f", "avx512_vnni", "avx512_bf16", "amx_int8") if f in flags]
    print("# stylecam real-time benchmark\n")
    print(f"- CPU: {model}; {usable} usable cores (os.cpu_count {os.cpu_count()}); "
          f"/proc/cpuinfo flags: {', '.join(isa) or 'none of avx2/avx512'}")
    try:
        import openvino as ov

        from stylecam.models.runtime.engines import ov_core

        caps = ov_core().get_property("CPU", "OPTIMIZATION_CAPABILITIES")
        print(f"- OpenVINO {ov.__version__}; CPU plugin capabilities: {', '.join(caps)}")
    except Exception as e:
        print(f"- OpenVINO: not available ({type(e).__name__}: {e})")
    try:
        import onnxruntime as ort

        print(f"- ONNX Runtime {ort.__version__}; providers built in: {', '.join(ort.get_available_providers())}")
    except Exception as e:
        print(f"- ONNX Runtime: not available ({type(e).__name__}: {e})")
    torch = torch_or_none()
    print(f"- torch: {torch.__version__ + f', {torch.get_num_threads()} threads' if torch else 'not installed'}")
    import av

    print(f"- Python {platform.python_version()}, PyAV {av.__version__}, {platform.platform()}")
    print(f"- load average at start: {', '.join(f'{v:.2f}' for v in os.getloadavg())} "
          f"(other work on the machine lowers every figure below)")


def torch_or_none() -> Any:
    try:
        import torch
    except ImportError:
        return None
    return torch


# --------------------------------------------------------------------------- styles


def pick_styles(args: argparse.Namespace) -> list[Any]:
    from stylecam.models.style.catalog import discover, resolve

    dirs = args.styles_dir
    if args.styles:
        infos = [resolve(n.strip(), dirs) for n in args.styles.split(",") if n.strip()]
    else:
        wanted = "extra" if dirs else "bundled"
        infos = [s for s in discover(dirs) if s.ok and s.source == wanted]
    return infos[:1] if args.quick else infos


# --------------------------------------------------------------------------- stylecam stylize


def baseline(clip: Path, tmp: Path, frames: int, checkpoint: Path | None) -> tuple[float | None, int, str]:
    """Frames/s of the eager-PyTorch per-frame loop on ``clip`` (None without torch)."""
    torch = torch_or_none()
    if torch is None:
        return None, 0, "torch is not installed (pip install -e '.[train]'): the eager-PyTorch loop was not measured"
    from bench_stylize import load_torch_net

    net, label = load_torch_net(checkpoint)
    if checkpoint is None:
        label = "johnson with random weights (speed only: they cost the same arithmetic as trained ones)"
    n, secs = torch_loop(clip, tmp / "torch_out.mp4", net, frames)
    del net
    fps = n / secs if n and secs > 0 else None
    return fps, n, f"{label}; {n} frame(s) timed after one untimed, torch {torch.__version__}"


def section_stylize(args: argparse.Namespace, styles: list[Any], tmp: Path, engines: list[str]) -> dict:
    heading("1. `stylecam stylize` end to end, 640x480")
    clip = make_clip(tmp / "clip_640x480.mp4", 640, 480, args.seconds, fps=FPS)
    log(f"torch loop on {clip.name} ...")
    base, base_n, label = baseline(clip, tmp, args.torch_frames, args.baseline_checkpoint)
    print(f"Clip: generated 640x480, {FPS} frames/s, {args.seconds:g} s ({int(args.seconds * FPS)} frames), "
          f"H.264 + AAC. Baseline: decode -> eager torch -> encode per frame, {label}.\n")
    forced = [e for e in CPU_ENGINES if e in engines]
    rows: list[list[Any]] = [["eager-PyTorch loop (baseline)", "torch", "johnson, eager torch fp32",
                              base_n or NA, f1(base), NA, NA, "1x" if base else NA, NA, NA]]
    auto: dict[str, dict] = {}
    for info in styles:
        runs = [(e, False) for e in ["auto", *forced]]
        if info.cpu_version_ok:  # the lever: the same style's full net on the same engines
            runs.append(("auto", True))
        for engine, full in runs:
            label = engine + (" --full-net" if full else "")
            log(f"stylize {info.name} --engine {label} ...")
            r = run_stylize(clip, tmp / f"out_{info.name}_{engine}{'_full' if full else ''}.mp4", info.name, engine,
                            args.styles_dir, full_net=full)
            if engine == "auto" and not full:
                auto[info.name] = r
            if "error" in r:
                rows.append([info.name, label, f"failed: {r['error']}", NA, NA, NA, NA, NA, NA, NA])
                continue
            ratio = r["file_fps"] / base if base else None
            rows.append([info.name, label, f"{r['engine']} ({r['provider']})", r["frames"], f"{r['file_fps']:.1f}",
                         f"{r['wall_fps']:.1f}", f"{r['wall']:.1f}", NA if ratio is None else f"{ratio:.0f}x",
                         verdict(r["file_fps"] >= 30), verdict(None if ratio is None else ratio >= 40)])
    table(["style", "--engine", "engine (provider) it ran", "frames", "fps (file, as printed)",
           "fps (wall, incl. start-up)", "wall s", "x torch loop", ">= 30 fps", ">= 40x"], rows)
    print("fps (file): the figure `stylecam stylize` prints for the file (decode + stylize + encode, "
          "overlapped); fps (wall): frames / wall time of the whole command (interpreter start, style load, "
          "`auto`'s engine timing included); x torch loop: fps (file) / the baseline's frames/s on the same clip. "
          "The CPU engines run a style's real-time CPU version (`<name>.cpu.onnx`) where it has one; "
          "`--full-net` runs the style's full net instead (the lever measured). `--engine openvino` runs the "
          "int8 IR when one sits next to the model (as for a user); `auto` also times OpenVINO f32 and ONNX "
          "Runtime and keeps the fastest.")
    return auto


def section_720p(args: argparse.Namespace, styles: list[Any], tmp: Path) -> None:
    heading("2. 1280x720 source, reduced processing resolution (`stylecam stylize --size PX`, engine auto)")
    clip = make_clip(tmp / "clip_1280x720.mp4", 1280, 720, args.seconds, fps=FPS)
    rows = []
    for info in styles:
        for px in args.sizes720:
            log(f"stylize 720p {info.name} --size {px} ...")
            r = run_stylize(clip, tmp / f"out720_{info.name}_{px}.mp4", info.name, "auto", args.styles_dir, px)
            if "error" in r:
                rows.append([info.name, px, f"failed: {r['error']}", NA, NA, NA, NA])
                continue
            rows.append([info.name, px, f"{r['engine']} ({r['provider']})", r["frames"], f"{r['file_fps']:.1f}",
                         f"{r['wall_fps']:.1f}", verdict(r["file_fps"] >= 15)])
    print(f"Clip: generated 1280x720, {FPS} frames/s, {args.seconds:g} s, H.264 + AAC; output at 1280x720.\n")
    table(["style", "--size", "engine (provider)", "frames", "fps (file)", "fps (wall)", ">= 15 fps"], rows)


# --------------------------------------------------------------------------- the live app


def gui_worker(spec: dict) -> int:
    """Runs in its own process: the real window, offscreen, on a looping file; prints JSON."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PyQt6.QtCore import QSettings
    from PyQt6.QtWidgets import QApplication
    from qt_wait import wait

    from stylecam.app.gui.preferences import Preferences
    from stylecam.app.gui.window import MainWindow

    app = QApplication.instance() or QApplication(["stylecam-bench"])
    tmp = Path(spec["tmp"])
    prefs = Preferences(QSettings(str(tmp / "settings.ini"), QSettings.Format.IniFormat))
    prefs.steady = bool(spec.get("steady"))  # the Steady toggle (temporal stabilisation), as a user left it

    errors: list[str] = []
    t_start = time.monotonic()
    win = MainWindow(prefs, source=spec["clip"], style=spec["style"], engine="auto",
                     styles_dirs=spec["dirs"], output_dir=tmp / "out", probe_cameras=False)
    win.session.processingError.connect(errors.append)
    win.show()
    s, style = win.session, spec["style"]
    ok = wait(lambda: win.last_result is not None and win.last_result.style == style, spec["start_timeout"])
    result: dict[str, Any] = {"first_frame_s": time.monotonic() - t_start}
    if not ok:
        wait(lambda: False, 0.6)  # the status bar refreshes every 0.5 s
        result["error"] = f"no stylized frame within {spec['start_timeout']} s; status: {win.status_label.text()}"
        win.close()
        print("GUI-RESULT " + json.dumps(result), flush=True)
        return 1

    def prefetched() -> bool:  # the other styles are opened in the background after the first
        loader, eng = win.switcher.loader, win.switcher.auto_resolved or "auto"
        return all(loader.settled(i.path, eng) for i in win.style_menu.styles if i.ok)

    wait(prefetched, spec["start_timeout"])
    wait(lambda: False, spec["warmup"])

    s.latency.window = spec["seconds"] + 1  # the meter keeps every delay of the measurement
    s.latency.reset()
    w = s.worker
    start = (s.shown.total, w.processed.total, s.captured, s.frames.dropped, w.busy_seconds, time.monotonic())
    wait(lambda: False, spec["seconds"])
    end = (s.shown.total, w.processed.total, s.captured, s.frames.dropped, w.busy_seconds, time.monotonic())
    lat = sorted(s.latency.values())
    secs = end[5] - start[5]
    processed = end[1] - start[1]
    wait(lambda: False, 0.6)  # a fresh status bar (it refreshes every 0.5 s)
    eng = win.switcher.active_engine
    result.update({
        "seconds": secs,
        "shown_fps": (end[0] - start[0]) / secs,
        "processed_fps": processed / secs,
        "captured_fps": (end[2] - start[2]) / secs,
        "dropped": end[3] - start[3],
        "busy_ms": (end[4] - start[4]) / processed * 1000 if processed else None,
        "latency_mean_ms": statistics.fmean(lat) * 1000 if lat else None,
        "latency_p95_ms": lat[min(len(lat) - 1, int(round(0.95 * (len(lat) - 1))))] * 1000 if lat else None,
        "latency_n": len(lat),
        "engine": f"{eng.name} ({eng.provider})" if eng is not None else "original (no engine)",
        "engine_label": win.controls.engine_label.text().strip(),
        "status": win.status_label.text(),
        "resolution": win.controls.resolution.currentText(),
        "errors": errors[:3],
    })
    win.close()
    app.processEvents()
    print("GUI-RESULT " + json.dumps(result), flush=True)
    return 0


def run_gui(args: argparse.Namespace, info: Any, clip: Path, tmp: Path, steady: bool = False) -> dict:
    """One live-app run in a process of its own (``steady``: with the Steady toggle on);
    the app's counters as a dict."""
    gui_tmp = tmp / f"gui_{clip.stem}{'_steady' if steady else ''}"
    gui_tmp.mkdir(exist_ok=True)
    spec = {"clip": str(clip), "style": info.name, "dirs": [str(d) for d in args.styles_dir], "tmp": str(gui_tmp),
            "start_timeout": 120.0, "warmup": args.gui_warmup, "seconds": args.gui_seconds, "steady": steady}
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    log(f"live app on {clip.name}, style {info.name}{', Steady on' if steady else ''} ...")
    try:
        proc = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--gui-worker", json.dumps(spec)],
                              cwd=ROOT, capture_output=True, text=True, env=env,
                              timeout=spec["start_timeout"] * 2 + args.gui_warmup + args.gui_seconds + 60)
        line = next((x for x in proc.stdout.splitlines() if x.startswith("GUI-RESULT ")), None)
        return json.loads(line[len("GUI-RESULT "):]) if line else {
            "error": (proc.stderr.strip().splitlines() or [f"exit {proc.returncode}"])[-1][:200]}
    except subprocess.TimeoutExpired:
        return {"error": "the app did not finish in time"}


def section_gui(args: argparse.Namespace, styles: list[Any], tmp: Path) -> None:
    heading("3. Live app at 640x480 (the real PyQt6 window, offscreen, engine auto)")
    info = styles[0]
    headers = ["source fps", "Steady", "style", "engine it chose (app shows)", "processing res.", "captured fps",
               "processed fps", "shown fps", "stale frames dropped", "inference ms/frame", "latency mean ms",
               "latency p95 ms", ">= 30 fps shown", "mean < 100 ms", "p95 < 100 ms"]
    rows, results = [], []
    sources: list[tuple[int, Path]] = []
    if args.live_clip is not None:  # a clip of the user's (a pan, say), at its own rate
        import av

        with av.open(str(args.live_clip)) as c:
            sources.append((round(float(c.streams.video[0].average_rate)), args.live_clip))
    for rate in GUI_RATES if args.live_clip is None else ():
        clip = tmp / ("clip_640x480.mp4" if rate == FPS else f"clip_640x480_{rate}fps.mp4")
        if not clip.is_file():
            clip = make_clip(clip, 640, 480, args.seconds, fps=rate)
        sources.append((rate, clip))
    for rate, clip in sources:
        for steady in (False, True):
            r = run_gui(args, info, clip, tmp, steady)
            results.append((rate, r))
            on = "on" if steady else "off"
            if "error" in r:
                rows.append([rate, on, info.name, f"failed: {r['error']}", *([NA] * (len(headers) - 4))])
                continue
            rows.append([rate, on, info.name, f"{r['engine']} (\"{r['engine_label']}\")", r["resolution"],
                         f1(r["captured_fps"]), f1(r["processed_fps"]), f1(r["shown_fps"]), r["dropped"],
                         f1(r["busy_ms"]), f1(r["latency_mean_ms"]), f1(r["latency_p95_ms"]), shown_verdict(r, rate),
                         verdict(None if r["latency_mean_ms"] is None else r["latency_mean_ms"] < 100),
                         verdict(None if r["latency_p95_ms"] is None else r["latency_p95_ms"] < 100)])
    what = (f"{args.live_clip.name} ({sources[0][0]} frames/s)" if args.live_clip is not None else
            f"generated 640x480 clips at {' and '.join(map(str, GUI_RATES))} frames/s (a still picture, a moving bar, "
            "noise)")
    print(f"Sources: {what}, looping, paced to "
          f"real time by the app's capture thread (a webcam gives 30; the 60 frames/s source shows how much "
          f"faster than a webcam the app can go), each with the Steady toggle off and on (temporal "
          f"stabilisation at its remembered default strength); style {info.name}; warm-up {args.gui_warmup:g} s after the first "
          f"stylized frame (and after the other styles' background loading), then {args.gui_seconds:g} s "
          f"measured.\n")
    table(headers, rows)
    ok = [(rate, r) for rate, r in results if "error" not in r]
    if ok:
        rate, r = ok[0]
        print(f"Counters of the app itself over {r['seconds']:.1f} s: shown = results taken for the screen "
              f"(`LiveSession.shown`), processed = the inference thread's frames (`InferenceWorker.processed`), "
              f"latency = capture time to the moment the GUI thread takes the frame to paint it "
              f"(`LiveSession.latency`, {r['latency_n']} frames at {rate} frames/s); inference ms/frame = the "
              f"worker's busy time / frames. `>= 30 fps shown` is met by showing 30 or more frames/s, or every "
              f"frame of a 30 frames/s source (a source cannot give more than its rate). First stylized frame "
              f"{r['first_frame_s']:.1f} s after the window was created.")
        for rate, r in ok:
            print(f"\nStatus bar at the end ({rate} frames/s source): `{r['status']}`")
            if r["errors"]:
                print(f"Engine errors reported by the app: {'; '.join(r['errors'])}")


def shown_verdict(r: dict, rate: int) -> str:
    """>= 30 frames/s shown, or every frame of a source that gives no more than 30."""
    every = rate <= 30 and r["shown_fps"] >= 0.98 * min(rate, r["captured_fps"])
    if r["shown_fps"] >= 30:
        return "yes"
    return "yes (every source frame)" if every else "**no**"


# --------------------------------------------------------------------------- int8 drift and quality


def heldout_frames(args: argparse.Namespace, h: int, w: int) -> list[tuple[str, np.ndarray]]:
    from stylecam.export.images import fit, load_images

    return [(name, fit(img, h, w)) for name, img in load_images(args.heldout, args.photos, long_side=1280)]


def stylize_all(args: argparse.Namespace, styles: list[Any], photos: list[tuple[str, np.ndarray]]) -> dict:
    """Per style, on every photo: the CPU version (the real-time net where the style has one)
    in fp32 (ONNX Runtime CPU) and int8 (OpenVINO IR), and the full net in fp32."""
    from stylecam.models.runtime.engines import OpenVinoEngine, OrtEngine

    outs: dict[str, dict] = {}
    for info in styles:
        model = info.choose("cpu").net  # the style's real-time CPU version where it has one
        fp32 = OrtEngine(model, "cpu")
        o: dict[str, Any] = {"model": model, "fp32": [fp32.run(img) for _, img in photos], "int8": None,
                             "int8_note": "", "full": None}
        fp32.close()
        if model != info.path:
            full = OrtEngine(info.path, "cpu")
            o["full"] = [full.run(img) for _, img in photos]
            full.close()
        int8_choice = info.choose("openvino")
        if int8_choice.variant.precision != "int8":
            o["int8_note"] = f"no int8 IR beside {model.name}"
        else:
            try:
                int8 = OpenVinoEngine(int8_choice)
                o["int8"] = [int8.run(img) for _, img in photos]
                int8.close()
            except Exception as e:
                o["int8_note"] = f"int8 failed: {type(e).__name__}: {e}"[:100]
        outs[info.name] = o
    return outs


def section_int8(styles: list[Any], photos: list, outs: dict) -> None:
    from stylecam.export.verify import psnr

    heading("4. int8 drift: OpenVINO int8 IR vs fp32 ONNX of the same style")
    rows = []
    for info in styles:
        o = outs[info.name]
        if o["int8"] is None:
            rows.append([info.name, o["model"].name, len(photos), o["int8_note"], NA, NA])
            continue
        values = [psnr(a, b) for a, b in zip(o["fp32"], o["int8"], strict=True)]
        finite = [v for v in values if np.isfinite(v)]
        mean = f"{statistics.fmean(finite):.2f}" if finite else "inf (identical)"
        rows.append([info.name, o["model"].name, len(photos), "int8 IR vs ONNX Runtime CPU fp32", mean,
                     f"{min(values):.2f}"])
    print(f"Held-out photos from {args_heldout_label(photos)}, fitted (cover + centre crop) to 640x480. The "
          f"model is what the CPU engines run: the real-time CPU version where a style has one.\n")
    table(["style", "model", "photos", "compared", "PSNR mean dB", "PSNR min dB"], rows)


def args_heldout_label(photos: list) -> str:
    return f"{len(photos)} photos ({', '.join(n for n, _ in photos[:3])}{', ...' if len(photos) > 3 else ''})"


QUALITY_HEADERS = ["style", "photos", "weights c / s / tv", "CPU version", "CPU int8", "CPU fp32", "full net fp32",
                   "johnson fp32", "CPU fp32 / full net", "int8 / johnson", "fp32 / johnson",
                   "what auto runs: within 15% of johnson"]


def read_arch(path: Path) -> str:
    from stylecam.models.style.format import read_style_metadata

    return str(read_style_metadata(path)["arch"])


def johnson_reference(path: Path, iterations: int) -> tuple[Any, str]:
    """The johnson net to compare with, or None and why: a reference still in training
    (fewer iterations than the style's full net had) would flatter the CPU version."""
    from stylecam.models.nets.checkpoint import load, read_metadata

    if not path.is_file():
        return None, f"not trained ({path.name})"
    done = int(read_metadata(path).get("iteration", 0))
    if done < iterations:
        return None, f"in training ({done} of {iterations} iterations)"
    return load(path).net.eval(), ""


def section_quality(args: argparse.Namespace, styles: list[Any], photos: list, outs: dict, auto: dict) -> None:
    heading("5. Quality guard: perceptual loss (content + style + TV, each style's recipe weights)")
    torch = torch_or_none()
    if torch is None:
        print("torch is not installed (pip install -e '.[train]'): the quality guard was not measured.\n")
        table(["style", "CPU version int8", "CPU version fp32", "johnson fp32", "ratio"],
              [[i.name, NA, NA, NA, NA] for i in styles])
        return
    from stylecam.training.data import read_rgb
    from stylecam.training.quality_guard import TOLERANCE, HeldOutObjective, judge, torch_frames
    from stylecam.training.recipe import PAPER
    from stylecam.training.vgg import load_vgg16

    layers = set()
    for info in styles:
        r = info.recipe
        layers |= {r.get("content_layer", PAPER.content_layer), *r.get("style_layers", PAPER.style_layers)}
    vgg = load_vgg16(sorted(layers))
    rows = []
    for info in styles:
        r = info.recipe
        log(f"quality guard {info.name} ...")
        weights = (float(r.get("content_weight", PAPER.content_weight)), float(r.get("style_weight", PAPER.style_weight)),
                   float(r.get("tv_weight", PAPER.tv_weight)))
        painting = args.paintings / str(r.get("style_image") or "")
        style_rgb = read_rgb(painting) if r.get("style_image") and painting.is_file() else None
        if style_rgb is None:
            rows.append([info.name, len(photos), NA, f"painting {painting.name or '?'} not found",
                         *([NA] * (len(QUALITY_HEADERS) - 4))])
            continue
        objective = HeldOutObjective(vgg, style_rgb, r, [img for _, img in photos])
        jpath = args.johnson_dir / f"{info.name}.safetensors"
        jnet, jnote = johnson_reference(jpath, int(r.get("iteration") or 0))
        o = outs[info.name]
        losses = {"fp32": objective.losses(o["fp32"]),
                  "int8": objective.losses(o["int8"]) if o["int8"] is not None else [],
                  "full": objective.losses(o["full"]) if o["full"] is not None else [],
                  "johnson": objective.score(torch_frames(jnet)) if jnet is not None else []}
        mean = {k: statistics.fmean(v) if v else None for k, v in losses.items()}
        a = auto.get(info.name, {})
        shipped = "int8" if "int8" in a.get("provider", "") else ("fp32" if "provider" in a else None)
        guard = {k: judge(losses[k], losses["johnson"]) for k in ("int8", "fp32") if losses[k] and losses["johnson"]}
        john = mean["johnson"]
        full = mean["full"] if mean["full"] is not None else mean["fp32"]  # no CPU version: the same net
        cpu_arch = read_arch(o["model"])
        rows.append([
            info.name, len(photos), f"{weights[0]:g} / {weights[1]:g} / {weights[2]:g}",
            f"{cpu_arch} ({o['model'].name})",
            f"{mean['int8']:.4g}" if mean["int8"] is not None else o["int8_note"],
            f"{mean['fp32']:.4g}",
            f"{full:.4g} ({info.arch})",
            f"{john:.4g}" if john is not None else jnote,
            f"{mean['fp32'] / full:.3f}",
            f"{guard['int8'].ratio:.3f}" if "int8" in guard else NA,
            f"{guard['fp32'].ratio:.3f}" if "fp32" in guard else NA,
            f"{shipped}: {verdict(guard[shipped].accepted if shipped in guard else None)}" if shipped
            else "auto not measured",
        ])
    h, w = args.quality_hw
    print(f"Mean total loss over {args_heldout_label(photos)} at {w}x{h}; VGG16 from `{getattr(vgg, 'source', '?')}`; "
          f"weights and painting from the style's own recipe (its full net's), painting in {args.paintings} at "
          f"its style_size. Outputs are 8-bit frames as shipped: CPU version fp32 and the full net = ONNX Runtime "
          f"CPU, CPU version int8 = OpenVINO int8 IR, johnson = eager torch fp32 from "
          f"{args.johnson_dir}/<name>.safetensors, rounded to 8 bits. Lower is better; the target is the CPU "
          f"version that `auto` runs within {TOLERANCE:.0%} of johnson (`stylecam.training.quality_guard`).\n")
    table(QUALITY_HEADERS, rows)


# --------------------------------------------------------------------------- GPU


def section_gpu(args: argparse.Namespace, styles: list[Any], engines: list[str], tmp: Path) -> None:
    heading("6. GPU: TensorRT fp16 and ONNX Runtime CUDA")
    headers = ["engine", "provider", "style", "size", "engine ms/frame", "engine fps", "stylize fps (file)"]
    gpus = [e for e in GPU_ENGINES if e in engines]
    if not gpus:
        print("no GPU on this machine (`available_engines()` found neither tensorrt nor cuda working); "
              "nothing measured.\n")
        table(headers, [[e, "no GPU on this machine", "", f"{w}x{h}", "", "", ""] for e in GPU_ENGINES
                        for w, h in GPU_SIZES])
        return
    from stylecam.export.images import fit, gradient, load_images
    from stylecam.models.runtime.engines import open_engine

    info = styles[0]
    photos = load_images(args.heldout, 1, long_side=1920)
    src = photos[0][1] if photos else gradient(1080, 1920)
    rows = []
    for w, h in GPU_SIZES:
        clip = make_clip(tmp / f"clip_{w}x{h}.mp4", w, h, args.seconds, fps=FPS)
        frame = fit(src, h, w)
        for name in GPU_ENGINES:
            if name not in gpus:
                rows.append([name, "not working here", info.name, f"{w}x{h}", "", "", ""])
                continue
            log(f"gpu {name} {w}x{h} ...")
            try:
                eng = open_engine(info, name)
                for _ in range(5):
                    eng.run(frame)
                times = []
                for _ in range(args.gpu_runs):
                    t = time.perf_counter()
                    eng.run(frame)
                    times.append(time.perf_counter() - t)
                provider = eng.provider
                eng.close()
                ms = statistics.median(times) * 1000
            except Exception as e:
                rows.append([name, f"failed: {type(e).__name__}: {e}"[:100], info.name, f"{w}x{h}", NA, NA, NA])
                continue
            r = run_stylize(clip, tmp / f"gpu_{name}_{w}x{h}.mp4", info.name, name, args.styles_dir)
            rows.append([name, provider, info.name, f"{w}x{h}", f"{ms:.2f}", f"{1000 / ms:.0f}",
                         f"failed: {r['error']}" if "error" in r else f"{r['file_fps']:.1f}"])
    table(headers, rows)
    print(f"engine ms/frame: median of {args.gpu_runs} runs after 5 warm-up runs on a held-out photo "
          "(frame in, frame out, uint8 BGR); stylize fps: the command's figure for a generated clip.")


# --------------------------------------------------------------------------- main


def parse_args(argv: list[str]) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 epilog="Sections: " + ", ".join(SECTIONS))
    ap.add_argument("--quick", action="store_true",
                    help="smoke run: first style only, 1 s clips, 1 torch frame, 1 photo, short live-app run")
    ap.add_argument("--styles", help="comma-separated style names or files (default: every bundled style)")
    ap.add_argument("--styles-dir", type=Path, action="append", default=[], metavar="DIR",
                    help="take the styles from this folder instead of models/styles (repeatable)")
    ap.add_argument("--seconds", type=float, help="length of the generated clips (default 4, quick 1)")
    ap.add_argument("--torch-frames", type=int, help="frames the eager-torch loop times (default 5, quick 1)")
    ap.add_argument("--baseline-checkpoint", type=Path, help="johnson checkpoint for the torch loop "
                    "(default: random weights, which cost the same)")
    ap.add_argument("--sizes720", default="360,480", help="--size values for the 1280x720 clip")
    ap.add_argument("--gui-seconds", type=float, help="live app: seconds measured (default 5, quick 2)")
    ap.add_argument("--live-clip", type=Path, help="live app: this 640x480 clip (at its own rate) instead of the "
                    "generated still ones, e.g. a pan to see Steady on a moving camera")
    ap.add_argument("--gui-warmup", type=float, help="live app: warm-up seconds (default 3, quick 1)")
    ap.add_argument("--heldout", type=Path, default=ROOT / "runs" / "photos_heldout", help="held-out photos")
    ap.add_argument("--photos", type=int, help="held-out photos used (default 10, quick 1)")
    ap.add_argument("--quality-size", default="640x480", help="WxH the quality guard and int8 drift use")
    ap.add_argument("--paintings", type=Path, default=ROOT.parent / "shared" / "data" / "paintings",
                    help="folder of the style paintings named in each style's recipe")
    ap.add_argument("--johnson-dir", type=Path, default=ROOT / "models" / "styles" / "checkpoints" / "johnson",
                    help="johnson checkpoints <name>.safetensors for the quality guard")
    ap.add_argument("--gpu-runs", type=int, default=50, help="timed runs per GPU engine and size")
    ap.add_argument("--skip", default="", help="comma-separated sections to leave out")
    args = ap.parse_args(argv)
    q = args.quick
    args.seconds = args.seconds or (1.0 if q else 4.0)
    args.torch_frames = args.torch_frames or (1 if q else 5)
    args.gui_seconds = args.gui_seconds or (2.0 if q else 5.0)
    args.gui_warmup = args.gui_warmup if args.gui_warmup is not None else (1.0 if q else 3.0)
    args.photos = args.photos or (1 if q else 10)
    args.sizes720 = [int(v) for v in args.sizes720.split(",") if v.strip()]
    w, h = (int(v) for v in args.quality_size.lower().split("x"))
    args.quality_hw = (h, w)
    args.skip = {s.strip() for s in args.skip.split(",") if s.strip()}
    unknown = args.skip - set(SECTIONS)
    if unknown:
        ap.error(f"--skip: unknown sections {', '.join(sorted(unknown))}; choose from {', '.join(SECTIONS)}")
    return args


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--gui-worker"]:
        return gui_worker(json.loads(argv[1]))
    args = parse_args(argv)
    started = time.perf_counter()
    machine()
    from stylecam.models.runtime.engines import available_engines

    engines = available_engines()
    print(f"- engines working here: {', '.join(engines)}")
    styles = pick_styles(args)
    if not styles:
        where = ", ".join(map(str, args.styles_dir)) or "models/styles/"
        print(f"\nno usable styles in {where}: export the bundled styles first "
              "(stylecam export CKPT -o models/styles/NAME.onnx --int8 --calibration runs/photos_train) "
              "or pass --styles-dir / --styles")
        return 2
    print(f"- styles: {', '.join(f'{s.name} ({s.arch}, {s.path})' for s in styles)}"
          + ("  [--quick: smoke run, figures from tiny samples]" if args.quick else ""))
    auto: dict[str, dict] = {}
    with tempfile.TemporaryDirectory(prefix="stylecam-rt-") as tmp_name:
        tmp = Path(tmp_name)
        if "stylize" not in args.skip:
            auto = section_stylize(args, styles, tmp, engines)
        if "720p" not in args.skip:
            section_720p(args, styles, tmp)
        if "gui" not in args.skip:
            section_gui(args, styles, tmp)
        if {"int8", "quality"} - args.skip:
            h, w = args.quality_hw
            log("stylizing held-out photos (fp32 and int8) ...")
            photos = heldout_frames(args, h, w)
            outs = stylize_all(args, styles, photos)
            if "int8" not in args.skip:
                if (h, w) == (480, 640):
                    section_int8(styles, photos, outs)
                else:
                    drift_photos = heldout_frames(args, 480, 640)
                    section_int8(styles, drift_photos, stylize_all(args, styles, drift_photos))
            if "quality" not in args.skip:
                section_quality(args, styles, photos, outs, auto)
        if "gpu" not in args.skip:
            section_gpu(args, styles, engines, tmp)
    print(f"\nTotal {time.perf_counter() - started:.0f} s; load average at the end: "
          f"{', '.join(f'{v:.2f}' for v in os.getloadavg())}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
