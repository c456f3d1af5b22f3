"""Super-resolution: quality (PSNR / SSIM on Y) on held-out photos, a visual grid, and speed.

    .venv/bin/python bench/bench_sr.py quality [--factor 4] [--grid docs/sr_grid.png]
    .venv/bin/python bench/bench_sr.py speed [--frames 90]
    .venv/bin/python bench/bench_sr.py live      # the GUI's "Upscale x4": before or after the style

Quality follows the SR literature's protocol (and Johnson et al. 2016, Table 3): the
high-resolution photo is cropped to a multiple of the factor, degraded exactly as in
training (``training.sr.degrade``: Gaussian blur sigma 1.0, bicubic downsampling) and stored
as uint8; every method upscales that uint8 image; PSNR and SSIM (Wang et al. 2004: 11x11
Gaussian window, sigma 1.5, K = 0.01 / 0.03) are computed on the luma Y of ITU-R BT.601
(as MATLAB's rgb2ycbcr, what Set5/Set14 tables use) with ``factor`` pixels cropped at
every border. The nets run as shipped: the exported ONNX files, through the engines.

The held-out photos are the 13 ``skimage_*`` and ``misc_*`` photos of /work/shared/data/photos
(scikit-image's astronaut, brick, camera, chelsea, coffee, grass, gravel, hubble deep field,
motorcycle, rocket; scikit-learn's china and flower; matplotlib's grace_hopper), left out of
every training run with ``--exclude 'skimage_*' --exclude 'misc_*'``.

Speed: ``stylecam upscale`` end to end (decode, upscale, H.264 encode, audio copy) of a
generated 320x240 clip to 1280x960, and the engines' per-frame latency at that size.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

from stylecam.models.style import files

ROOT = Path(__file__).resolve().parent.parent
PHOTOS = Path("/work/shared/data/photos")
HELD_OUT = ("skimage_*", "misc_*")
UPSCALERS = ROOT / "models" / "upscalers"
PAPER_SET5_X4 = {"bicubic": 28.43, "pixel": 28.40, "feature": 27.09}  # Johnson et al. 2016, Table 3


# --------------------------------------------------------------------------- metrics


def luma(bgr: np.ndarray) -> np.ndarray:
    """BT.601 Y in [16, 235], float64, as MATLAB's rgb2ycbcr."""
    b, g, r = (bgr[..., i].astype(np.float64) for i in range(3))
    return 16.0 + (65.481 * r + 128.553 * g + 24.966 * b) / 255.0


def psnr_y(ref: np.ndarray, out: np.ndarray, border: int) -> float:
    a, b = luma(ref), luma(out)
    if border:
        a, b = a[border:-border, border:-border], b[border:-border, border:-border]
    mse = np.mean((a - b) ** 2)
    return float("inf") if mse == 0 else float(10 * np.log10(255.0**2 / mse))


def ssim_y(ref: np.ndarray, out: np.ndarray, border: int) -> float:
    a, b = luma(ref), luma(out)
    if border:
        a, b = a[border:-border, border:-border], b[border:-border, border:-border]
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2

    def blur(x: np.ndarray) -> np.ndarray:
        return cv2.GaussianBlur(x, (11, 11), 1.5, borderType=cv2.BORDER_REFLECT)[5:-5, 5:-5]

    mu_a, mu_b = blur(a), blur(b)
    saa, sbb, sab = blur(a * a) - mu_a**2, blur(b * b) - mu_b**2, blur(a * b) - mu_a * mu_b
    ssim = ((2 * mu_a * mu_b + c1) * (2 * sab + c2)) / ((mu_a**2 + mu_b**2 + c1) * (saa + sbb + c2))
    return float(ssim.mean())


def edge_energy(ref: np.ndarray, out: np.ndarray, border: int) -> float:
    """Mean gradient magnitude (Sobel on Y) of ``out`` over that of ``ref``: 1 = as sharp as
    the original, below 1 = blurrier. What PSNR does not see (the paper's "sharper edges")."""

    def energy(img: np.ndarray) -> float:
        y = luma(img)
        gx, gy = cv2.Sobel(y, cv2.CV_64F, 1, 0), cv2.Sobel(y, cv2.CV_64F, 0, 1)
        m = np.hypot(gx, gy)
        return float(m[border:-border, border:-border].mean() if border else m.mean())

    return energy(out) / energy(ref)


# --------------------------------------------------------------------------- data


def held_out_photos() -> list[Path]:
    import fnmatch

    return sorted(p for p in PHOTOS.iterdir() if any(fnmatch.fnmatch(p.name, pat) for pat in HELD_OUT))


def degrade_bgr(hr: np.ndarray, factor: int) -> np.ndarray:
    """The training degradation (``training.sr.degrade``) of a BGR uint8 photo, stored as uint8."""
    import torch

    from stylecam.training.sr import degrade

    x = torch.from_numpy(hr[..., ::-1].copy()).permute(2, 0, 1).float().div(255).unsqueeze(0)
    lr = degrade(x, factor)[0].permute(1, 2, 0).numpy()[..., ::-1]
    return np.ascontiguousarray(np.clip(np.round(lr * 255), 0, 255).astype(np.uint8))


def bicubic(lr: np.ndarray, factor: int) -> np.ndarray:
    return cv2.resize(lr, (lr.shape[1] * factor, lr.shape[0] * factor), interpolation=cv2.INTER_CUBIC)


# --------------------------------------------------------------------------- quality


def methods(args: argparse.Namespace) -> list[tuple[str, object]]:
    """(label, frame -> frame) for every method whose file exists."""
    from stylecam.app.upscale import TiledUpscaler
    from stylecam.models.runtime.engines import OpenVinoEngine

    f = args.factor
    found: list[tuple[str, object]] = [("bicubic", lambda lr: bicubic(lr, f))]
    for label, path in (("pixel loss (sr)", args.pixel), ("feature loss (sr)", args.feature),
                        ("feature loss only, CPU (srfast, first version)", args.old_cpu),
                        ("pixel loss, CPU (srfast)", args.pixel_cpu),
                        ("pixel + feature loss, CPU (srfast)", args.cpu),
                        ("contextual loss (sr)", args.contextual)):
        if path and Path(path).is_file():
            engine = OpenVinoEngine(Path(path))
            found.append((label, TiledUpscaler(engine, f, tile=256)))
        elif path:
            print(f"(skipped {label}: no file {path})", file=sys.stderr)
    return found


def grid_energy_db(bgr: np.ndarray, period: int, side: int = 256) -> float:
    """``bench_fig5``'s periodic spectral energy (a ``period``-px repeating pattern over the
    spectrum around it, dB; a photo sits near 0) on the centre ``side`` x ``side`` square:
    the sub-pixel net's grid has the factor's period, which PSNR hardly sees."""
    from stylecam.training.pattern import periodic_energy_db  # (numpy and OpenCV only: no torch)

    h, w = bgr.shape[:2]
    side = min(side, h, w) // period * period
    y, x = (h - side) // 2, (w - side) // 2
    return periodic_energy_db(np.ascontiguousarray(bgr[y : y + side, x : x + side, ::-1]), period)


def grid_amplitude(ref: np.ndarray, out: np.ndarray, period: int) -> float:
    """The f-px grid in levels: the error ``out - ref`` averaged at each of the period x period
    output phases, the RMS spread of those means (per colour, then averaged); what
    ``training.sr.grid_loss`` penalises (its square root). A grid-free method is near 0 up
    to sampling noise; unlike the spectral ratio it does not saturate on images whose
    high frequencies are otherwise empty (upscaled ones)."""
    h, w = ref.shape[0] // period * period, ref.shape[1] // period * period
    err = out[:h, :w].astype(np.float64) - ref[:h, :w].astype(np.float64)
    phases = err.reshape(h // period, period, w // period, period, 3).mean(axis=(0, 2)).reshape(-1, 3)
    return float(np.sqrt(phases.var(axis=0)).mean())


def run_quality(args: argparse.Namespace) -> None:
    f = args.factor
    photos = held_out_photos()
    table = methods(args)
    scores: dict[str, list[tuple[float, ...]]] = {label: [] for label, _ in table}
    photo_grid: list[float] = []
    grid_rows = []
    for path in photos:
        img = cv2.imread(str(path))
        h, w = (img.shape[0] // f) * f, (img.shape[1] // f) * f
        hr = np.ascontiguousarray(img[:h, :w])
        lr = degrade_bgr(hr, f)
        outs = {}
        for label, up in table:
            out = up(lr)
            outs[label] = out
            scores[label].append((psnr_y(hr, out, f), ssim_y(hr, out, f), edge_energy(hr, out, f),
                                  grid_energy_db(out, f), grid_amplitude(hr, out, f)))
        photo_grid.append(grid_energy_db(hr, f))
        if path.stem in args.grid_photos:
            grid_rows.append((path.stem, hr, lr, outs))
        print(f"{path.name:28s} " + "  ".join(f"{s[-1][0]:6.2f}" for s in scores.values()), file=sys.stderr)
    print(f"\nx{f} on {len(photos)} held-out photos ({', '.join(p.stem for p in photos)}); "
          f"Y channel, {f}-pixel border cropped\n")
    print(f"| method | PSNR (dB) | SSIM | edge energy vs original | {f}-px periodic energy (dB; originals "
          f"{np.mean(photo_grid):.1f}) | {f}-px grid amplitude (levels) |")
    print("|---|---|---|---|---|---|")
    for label, s in scores.items():
        a = np.array(s)
        print(f"| {label} | {a[:, 0].mean():.2f} | {a[:, 1].mean():.4f} | {a[:, 2].mean():.3f} | {a[:, 3].mean():.1f} "
              f"| {a[:, 4].mean():.2f} |")
    if f == 4:
        print(f"\nJohnson et al. 2016, Set5 x4: bicubic {PAPER_SET5_X4['bicubic']}, pixel {PAPER_SET5_X4['pixel']}, "
              f"feature {PAPER_SET5_X4['feature']} dB")
    if args.grid and grid_rows:
        write_grid(Path(args.grid), grid_rows, f, [label for label, _ in table])


def write_grid(path: Path, rows: list, f: int, labels: list[str], crop: int = 160) -> None:
    """One row per photo: low-res input (nearest), each method, original; a centre crop."""
    tiles_rows = []
    for _name, hr, lr, outs in rows:
        h, w = hr.shape[:2]
        cy, cx = (h // 2 // f) * f, (w // 2 // f) * f
        y0, x0 = max(0, cy - crop // 2), max(0, cx - crop // 2)
        near = cv2.resize(lr, (lr.shape[1] * f, lr.shape[0] * f), interpolation=cv2.INTER_NEAREST)
        cells = [near, *(outs[label] for label in labels), hr]
        tiles_rows.append(np.hstack([c[y0 : y0 + crop, x0 : x0 + crop] for c in cells]))
    header_labels = ["input (nearest)", *labels, "original"]
    header = np.full((22, tiles_rows[0].shape[1], 3), 255, np.uint8)
    for i, text in enumerate(header_labels):
        cv2.putText(header, text[:24], (i * crop + 3, 15), cv2.FONT_HERSHEY_SIMPLEX, 0.36, (0, 0, 0), 1, cv2.LINE_AA)
    grid = np.vstack([header, *tiles_rows])
    path.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(path), grid)
    print(f"\nwrote {path} ({path.stat().st_size // 1024} KiB)")


# --------------------------------------------------------------------------- speed


def make_clip(path: Path, frames: int, fps: int = 30) -> Path:
    """A 320x240 H.264 + AAC clip: a real photo panned across, so the encoder sees real detail."""
    from fractions import Fraction

    import av

    src = cv2.imread(str(held_out_photos()[0]))
    src = cv2.resize(src, (640, 480))
    with av.open(str(path), "w") as c:
        v = c.add_stream("libx264", rate=fps)
        v.width, v.height, v.pix_fmt = 320, 240, "yuv420p"
        a = c.add_stream("aac", rate=44100)
        a.layout = "stereo"
        for i in range(frames):
            x = int(i * 300 / max(1, frames - 1))
            frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(src[120:360, x // 2 : x // 2 + 320]), format="bgr24")
            frame.pts, frame.time_base = i, Fraction(1, fps)
            c.mux(v.encode(frame))
        c.mux(v.encode(None))
        total, t = int(44100 * frames / fps), 0
        while t < total:
            n = min(1024, total - t)
            tone = (0.2 * np.sin(2 * np.pi * 440 * np.arange(t, t + n) / 44100)).astype(np.float32)
            af = av.AudioFrame.from_ndarray(np.stack([tone, tone]), format="fltp", layout="stereo")
            af.sample_rate, af.pts = 44100, t
            c.mux(a.encode(af))
            t += n
        c.mux(a.encode(None))
    return path


def run_speed(args: argparse.Namespace) -> None:
    import contextlib
    import io
    import os
    import resource

    from stylecam.app.cli import main
    from stylecam.models.runtime.engines import OpenVinoEngine, OrtEngine

    model = Path(args.model)
    cpu = files.sibling(model, files.Variant.CPU)
    frame = cv2.resize(cv2.imread(str(held_out_photos()[0])), (320, 240))
    print("per-frame latency, 320x240 -> 1280x960 (best of N after a warm-up)\n")
    print("| net | engine | ms / frame |")
    print("|---|---|---|")
    for label, path, runs, engines in (("srfast (CPU version)", cpu, 20, ("OpenVINO f32", "ONNX Runtime CPU")),
                                       ("sr (full net)", model, 1, ("OpenVINO f32",))):
        makers = {"OpenVINO f32": lambda p=path: OpenVinoEngine(p), "ONNX Runtime CPU": lambda p=path: OrtEngine(p, "cpu")}
        for name in engines:
            make = makers[name]
            eng = make()
            eng.run(frame)
            best = float("inf")
            for _ in range(runs):
                t = time.perf_counter()
                eng.run(frame)
                best = min(best, time.perf_counter() - t)
            eng.close()
            print(f"| {label} | {name} | {best * 1000:.1f} |", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        clip = make_clip(Path(tmp) / "clip320.mp4", args.frames)
        print(f"\n`stylecam upscale` end to end: {args.frames}-frame 320x240 clip (H.264 + AAC) -> 1280x960, "
              "H.264 superfast CRF 18, audio copied\n")
        print("| net | engine | frames/s (wall) | wall s | CPU s / frame | frames/s if alone (2 cores / CPU s) |")
        print("|---|---|---|---|---|---|")
        for label, extra, engine in (("srfast (CPU version)", [], "auto"), ("srfast (CPU version)", [], "cpu"),
                                     ("sr (full net)", ["--full-net"], "auto")):
            n = args.frames if not extra else min(args.frames, args.full_frames)
            src = clip
            if extra:
                src = make_clip(Path(tmp) / "short.mp4", n)
            out = Path(tmp) / f"out_{engine}_{len(extra)}.mp4"
            argv = ["upscale", str(src), "--model", str(model), "--engine", engine, "-o", str(out), "--quiet", *extra]
            err = io.StringIO()
            t = time.perf_counter()
            r0 = resource.getrusage(resource.RUSAGE_SELF)
            with contextlib.redirect_stderr(err):
                code = main(argv)
            wall = time.perf_counter() - t
            r1 = resource.getrusage(resource.RUSAGE_SELF)
            cpu_s = (r1.ru_utime + r1.ru_stime - r0.ru_utime - r0.ru_stime) / n
            line = next((s for s in err.getvalue().splitlines() if "on engine" in s), "")
            eng = line.split("on engine ", 1)[-1] if line else engine
            print(f"| {label} | {eng} | {n / wall:.1f} | {wall:.1f} | {cpu_s:.3f} | {2 / cpu_s:.1f} |"
                  + ("" if code == 0 else f" (exit {code})"), flush=True)
        print(f"\nload average while measuring (other users of the 2 cores): {os.getloadavg()[0]:.1f}; "
              "'if alone' assumes both cores and perfect overlap of the three stages, an upper bound")


def run_live(args: argparse.Namespace) -> None:
    """The GUI's "Upscale x4" on a 320x240 source: upscale then stylize (what the app does)
    against stylize then upscale, per frame, with the app's own frame processor."""
    import resource

    from stylecam.app.frame_processor import FrameProcessor
    from stylecam.app.gui.upscale_toggle import open_live_upscaler
    from stylecam.app.live.source_upscale import UpscaledProcessor
    from stylecam.models.runtime.engines import open_engine

    frame = cv2.resize(cv2.imread(str(held_out_photos()[0])), (320, 240), interpolation=cv2.INTER_AREA)
    upscaler = open_live_upscaler(Path(args.model), "openvino")
    style = open_engine(Path(args.style), "openvino")
    print(f"live x4 of a 320x240 source; style {Path(args.style).name} on {style.label}, upscaler "
          f"{Path(args.model).name} on {upscaler.engine.label}; best of {args.runs} (ms / frame; process CPU ms)\n")
    print("| order | processing size | output | ms / frame | CPU ms / frame |")
    print("|---|---|---|---|---|")
    for size_name, size in (("480p", 480), ("360p", 360)):
        inner = FrameProcessor(style, size=size)
        before = UpscaledProcessor(inner)
        before.enabled, before.upscaler = True, upscaler
        cases = (("upscale, then stylize (the app)", before),
                 ("stylize, then upscale", lambda f, inner=inner: upscaler(inner(f))),
                 ("stylize only (upscale off)", inner))
        for label, run in cases:
            out = run(frame)
            best, cpu = float("inf"), float("inf")
            for _ in range(args.runs):
                r0, t = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
                run(frame)
                wall, r1 = time.perf_counter() - t, resource.getrusage(resource.RUSAGE_SELF)
                best = min(best, wall)
                cpu = min(cpu, r1.ru_utime + r1.ru_stime - r0.ru_utime - r0.ru_stime)
            print(f"| {label} | {size_name} | {out.shape[1]}x{out.shape[0]} | {best * 1000:.1f} | {cpu * 1000:.0f} |",
                  flush=True)
    import os

    print(f"\nload average: {os.getloadavg()[0]:.1f}")


def _default_files(args: argparse.Namespace) -> None:
    f, export = args.factor, ROOT / "runs" / "sr" / "export"
    shipped = UPSCALERS / f"sr_x{f}.onnx"
    defaults = {"pixel": export / f"sr_x{f}_pixel.onnx",
                "feature": shipped if shipped.is_file() else export / f"sr_x{f}.onnx",
                "old_cpu": export / f"sr_x{f}_cpu_v1.onnx", "pixel_cpu": export / f"sr_x{f}_cpu_pixel.onnx",
                "cpu": files.sibling(shipped, files.Variant.CPU)}
    if args.grid is None:
        args.grid = str(ROOT / "docs" / ("sr_grid.png" if f == 4 else f"sr_grid_x{f}.png"))
    for key, path in defaults.items():
        if getattr(args, key) is None:
            setattr(args, key, str(path) if Path(path).is_file() else "")


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="what", required=True)
    q = sub.add_parser("quality")
    q.add_argument("--factor", type=int, default=4)
    # Defaults per factor (x4: the shipped files and the baselines beside them in runs/sr/export;
    # x8: the short-trained x8 nets); "" leaves a row out.
    q.add_argument("--pixel", default=None, help="pixel-loss sr net (default: runs/sr/export/sr_x<F>_pixel.onnx)")
    q.add_argument("--feature", default=None, help="feature-loss sr net (default: the shipped sr_x<F>.onnx, "
                   "else runs/sr/export/sr_x<F>.onnx)")
    q.add_argument("--old-cpu", default=None, help="x4: the first CPU version (feature loss only), for comparison")
    q.add_argument("--pixel-cpu", default=None, help="x4: the CPU net after its pixel-loss stage")
    q.add_argument("--cpu", default=None, help="the shipped CPU version (sr_x<F>.cpu.onnx)")
    q.add_argument("--contextual", default="")
    q.add_argument("--grid", default=None, help="grid PNG (default docs/sr_grid.png, x8: docs/sr_grid_x8.png; "
                   "\"\" for none)")
    q.add_argument("--grid-photos", nargs="*", default=["skimage_astronaut", "misc_grace_hopper", "skimage_chelsea"])
    s = sub.add_parser("speed")
    s.add_argument("--model", default=str(UPSCALERS / "sr_x4.onnx"))
    s.add_argument("--frames", type=int, default=90)
    s.add_argument("--full-frames", type=int, default=3, help="frames for the (slow) full net")
    lv = sub.add_parser("live")
    lv.add_argument("--model", default=str(UPSCALERS / "sr_x4.onnx"))
    lv.add_argument("--style", default=str(ROOT / "models" / "styles" / "starry_night.onnx"))
    lv.add_argument("--runs", type=int, default=10)
    args = p.parse_args()
    sys.path.insert(0, str(ROOT))
    if args.what == "quality":
        _default_files(args)
    {"quality": run_quality, "speed": run_speed, "live": run_live}[args.what](args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
