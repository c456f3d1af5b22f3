"""Frames per second of ``stylecam stylize`` per engine, beside the plain eager-PyTorch loop.

The baseline is the per-frame loop most style-transfer projects ship (pytorch/examples
``fast_neural_style``): decode a frame, stylize it in eager torch, encode it, one after
the other. It runs the ``johnson`` net from ``--checkpoint``, or with random weights
(speed only: random weights cost the same arithmetic, and the output is not looked at).
Both are measured in the same run, on the same generated clips, so the ratio is fair.

Each stylize run is a fresh process per engine that calls the library as ``stylecam stylize`` does;
"end to end" includes process start, style loading and engine choice, "file" is the
pipeline's own figure for the file (decode + stylize + encode: the ``VideoResult`` that
``stylize_video`` returns, the same number the command prints).

    python bench/bench_stylize.py                       # random johnson net, both sizes
    python bench/bench_stylize.py --style mosaic_lite   # a bundled style vs the torch loop
    python bench/bench_stylize.py --checkpoint runs/mosaic.safetensors --seconds 4

Not a test: it takes minutes and prints a table.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def make_clip(path: Path, width: int, height: int, seconds: float, fps: int = 25) -> Path:
    """A moving test picture (gradients, a sliding bar, noise so the encoder has work) with
    an AAC tone, like a phone clip; written with PyAV."""
    rng = np.random.default_rng(0)
    y, x = np.mgrid[0:height, 0:width]
    base = np.stack([x * 255 // width, y * 255 // height, (x + y) * 255 // (width + height)], -1).astype(np.uint8)
    with av.open(str(path), "w", options={"movflags": "+faststart"}) as c:
        v = c.add_stream("libx264", rate=fps)
        v.width, v.height, v.pix_fmt = width, height, "yuv420p"
        v.options = {"preset": "veryfast", "crf": "20"}
        a = c.add_stream("aac", rate=48000)
        a.layout = "stereo"
        n = int(seconds * fps)
        for i in range(n):
            img = base.copy()
            bar = (i * 8) % width
            img[:, bar : bar + 24] = 255 - img[:, bar : bar + 24]
            img = np.clip(img.astype(np.int16) + rng.integers(-8, 9, img.shape, dtype=np.int16), 0, 255).astype(np.uint8)
            f = av.VideoFrame.from_ndarray(img, format="bgr24")
            f.pts, f.time_base = i, Fraction(1, fps)
            c.mux(v.encode(f))
        c.mux(v.encode(None))
        samples, t = int(seconds * 48000), 0
        while t < samples:
            k = min(1024, samples - t)
            tone = (0.1 * np.sin(2 * np.pi * 330 * np.arange(t, t + k) / 48000)).astype(np.float32)
            af = av.AudioFrame.from_ndarray(np.stack([tone, tone]), format="fltp", layout="stereo")
            af.sample_rate, af.pts = 48000, t
            c.mux(a.encode(af))
            t += k
        c.mux(a.encode(None))
    return path


# --------------------------------------------------------------------------- the torch baseline


def load_torch_net(checkpoint: Path | None):
    """The johnson net from a checkpoint, or with random weights (speed only)."""
    import torch  # noqa: F401  (the baseline is the one place torch is used)

    if checkpoint is not None:
        from stylecam.models.nets.checkpoint import load

        ck = load(checkpoint)
        return ck.net.eval(), f"{ck.meta.get('arch')} from {checkpoint.name}"
    from stylecam.models.nets.registry import create_model

    return create_model("johnson").eval(), "johnson, random weights (speed only)"


def torch_loop(clip: Path, out: Path, net, max_frames: int) -> tuple[int, float]:
    """pytorch/examples-style: decode -> eager torch on one frame -> encode, strictly in turn.

    The first frame (torch's lazy start-up) is not timed; ``max_frames`` after it are.
    """
    import torch

    t0 = time.perf_counter()
    n = -1
    with av.open(str(clip)) as inp, av.open(str(out), "w") as outc, torch.inference_mode():
        vin = inp.streams.video[0]
        vout = outc.add_stream("libx264", rate=vin.average_rate)
        vout.width, vout.height, vout.pix_fmt = vin.codec_context.width, vin.codec_context.height, "yuv420p"
        vout.options = {"preset": "veryfast", "crf": "18"}
        for frame in inp.decode(vin):
            rgb = frame.to_ndarray(format="rgb24")
            x = torch.from_numpy(rgb).permute(2, 0, 1).float().div(255.0).unsqueeze(0)
            y = net(x).clamp(0, 1).mul(255).round().byte()[0].permute(1, 2, 0).contiguous().numpy()
            of = av.VideoFrame.from_ndarray(y, format="rgb24")
            of.pts, of.time_base = frame.pts, frame.time_base
            outc.mux(vout.encode(of))
            n += 1
            if n == 0:
                t0 = time.perf_counter()
            if n >= max_frames:
                break
        outc.mux(vout.encode(None))
    return max(n, 0), time.perf_counter() - t0


# --------------------------------------------------------------------------- stylecam stylize


def stylize_in_process(clip: Path, out: Path, style: str, engine: str, styles_dirs: list[Path] | tuple = (),
                       size: int | None = None, full_net: bool = False, stabilize: float = 0.0) -> dict:
    """One video through the library, as ``stylecam stylize`` runs it (the same resolve,
    engine choice, frame processor and three-stage pipeline), and the pipeline's own
    figures (``VideoResult``): no message of the command is parsed."""
    from stylecam.app.frame_processor import FrameProcessor
    from stylecam.app.stylize import resolve_styles, stylize_video
    from stylecam.models.runtime.engines import open_engine

    bundle = resolve_styles([style], list(styles_dirs))[0]
    eng = open_engine(bundle.path, engine, full_net=full_net)
    try:
        result = stylize_video(clip, out, FrameProcessor(eng, size=size, stabilize=stabilize), progress=False)
    finally:
        eng.close()
    return {"frames": result.frames, "seconds": result.seconds,
            "file_fps": result.frames / result.seconds if result.seconds > 0 else 0.0,
            "engine": eng.name, "provider": eng.label}


def run_stylize(clip: Path, out: Path, style: str, engine: str, styles_dirs: list[Path] | tuple = (),
                size: int | None = None, full_net: bool = False, stabilize: float = 0.0,
                timeout: float = 900) -> dict:
    """:func:`stylize_in_process` in a fresh interpreter, as a user's command starts: the
    library's figures, plus the wall clock of the whole process (start-up, imports, style
    load and engine choice included). ``{"error": ...}`` when it fails."""
    spec = {"clip": str(clip), "out": str(out), "style": style, "engine": engine,
            "styles_dirs": [str(d) for d in styles_dirs], "size": size, "full_net": full_net, "stabilize": stabilize}
    t0 = time.perf_counter()
    try:
        proc = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--stylize-worker", json.dumps(spec)],
                              cwd=ROOT, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout:g} s"}
    wall = time.perf_counter() - t0
    line = next((x for x in proc.stdout.splitlines() if x.startswith(_RESULT)), None)
    if proc.returncode != 0 or line is None:
        return {"error": ((proc.stderr.strip().splitlines() or [f"exit {proc.returncode}"])[-1])[:200]}
    r = json.loads(line[len(_RESULT):])
    if "error" in r:
        return r
    return {**r, "wall": wall, "wall_fps": r["frames"] / wall if wall > 0 else 0.0}


_RESULT = "STYLIZE-RESULT "


def _stylize_worker(spec: dict) -> int:
    from stylecam.errors import StylecamError

    try:
        r = stylize_in_process(Path(spec["clip"]), Path(spec["out"]), spec["style"], spec["engine"],
                               [Path(d) for d in spec["styles_dirs"]], spec["size"], spec["full_net"],
                               spec["stabilize"])
    except StylecamError as e:  # the one-line message a user would get
        r = {"error": str(e)}
    print(_RESULT + json.dumps(r), flush=True)
    return 0


def export_random_style(checkpoint: Path | None, folder: Path) -> tuple[str, Path]:
    """The style file for the same net the torch loop runs (exported with stylecam export)."""
    from stylecam.export.onnx_export import export_style
    from stylecam.models.nets.checkpoint import save

    if checkpoint is None:
        net, _ = load_torch_net(None)
        checkpoint = save(folder / "bench_johnson.safetensors", net,
                          {"arch": "johnson", "config": net.config,
                           "style": {"name": "bench_johnson", "title": "johnson, random weights"}})
    result = export_style(checkpoint, folder / "bench_johnson.onnx", report=lambda s: None)
    from stylecam.models.style.format import read_style_metadata

    return read_style_metadata(result.path)["name"], folder


def main() -> int:
    if sys.argv[1:2] == ["--stylize-worker"]:
        return _stylize_worker(json.loads(sys.argv[2]))
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="1280x720,640x480", help="comma-separated WxH clips to generate")
    ap.add_argument("--seconds", type=float, default=2.0, help="clip length (25 frames/s)")
    ap.add_argument("--checkpoint", type=Path, help="johnson checkpoint for the torch loop (default: random weights)")
    ap.add_argument("--style", help="style for stylecam stylize (default: the torch loop's net, exported)")
    ap.add_argument("--styles-dir", type=Path, help="extra styles folder for --style")
    ap.add_argument("--engines", help="comma-separated engines (default: every engine present, then auto)")
    ap.add_argument("--size", type=int, help="also run each engine with stylize --size PX")
    ap.add_argument("--torch-frames", type=int, default=6, help="frames the (slow) torch loop stylizes per clip")
    args = ap.parse_args()

    import torch

    from stylecam.models.runtime.engines import available_engines

    engines = args.engines.split(",") if args.engines else [*available_engines(), "auto"]
    with tempfile.TemporaryDirectory(prefix="stylecam-bench-") as tmp:
        tmp = Path(tmp)
        if args.style:
            style, styles_dir = args.style, args.styles_dir
        else:
            print("exporting the torch loop's net to a style file ...", file=sys.stderr)
            style, styles_dir = export_random_style(args.checkpoint, tmp)
        net, net_label = load_torch_net(args.checkpoint)
        print(f"torch {torch.__version__}, {torch.get_num_threads()} threads; torch loop: {net_label}")
        print(f"stylecam stylize style: {style}; engines: {', '.join(engines)}")
        rows = []
        for size in args.sizes.split(","):
            w, h = (int(v) for v in size.lower().split("x"))
            clip = make_clip(tmp / f"clip_{w}x{h}.mp4", w, h, args.seconds)
            n, secs = torch_loop(clip, tmp / "torch_out.mp4", net, args.torch_frames)
            base = n / secs
            rows.append((f"{w}x{h}", "torch eager loop", net_label, n, base, base, 1.0))
            for engine in engines:
                for px in [None, args.size] if args.size else [None]:
                    r = run_stylize(clip, tmp / f"out_{w}x{h}_{engine}.mp4", style, engine,
                                    [styles_dir] if styles_dir else [], px)
                    label = f"stylize --engine {engine}" + (f" --size {px}" if px else "")
                    if "error" in r:
                        rows.append((f"{w}x{h}", label, r["error"][:60], 0, 0.0, 0.0, 0.0))
                        continue
                    rows.append((f"{w}x{h}", label, f"{r['engine']}: {r['provider']}", r["frames"], r["wall_fps"],
                                 r["file_fps"], r["file_fps"] / base if base else 0.0))
        print()
        print(f"{'clip':<10} {'pipeline':<40} {'engine / net':<44} {'frames':>6} {'fps e2e':>8} {'fps file':>8} {'x torch':>8}")
        for clip, label, what, n, e2e, steady, ratio in rows:
            print(f"{clip:<10} {label:<40} {what:<44} {n:>6} {e2e:>8.2f} {steady:>8.2f} {ratio:>8.1f}")
        print("\nfps e2e: frames / wall time of the whole command (process start, style load, engine choice);"
              "\nfps file: decode + stylize + encode of the file, as the command reports it;"
              "\nx torch: fps file / the torch loop's frames/s on the same clip, measured in this run.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
