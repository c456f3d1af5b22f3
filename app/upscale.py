"""``stylecam upscale``: super-resolution of images and videos with an upscaler (x4, x8).

An upscaler is an ONNX file like a style (frame in, frame out, here ``factor`` times
larger) with ``stylecam.kind = upscaler`` in its metadata; the catalog keeps upscalers
apart from styles, and the same engines run them. What this module adds:

- tiles: a large frame is cut into overlapping tiles, each tile upscaled on its own and
  only its centre kept, so memory is bounded (a 4K output frame never exists as one float
  feature map) and no seam shows: the overlap (16 input pixels by default) is wider than
  the nets' receptive field, and neither net normalises per image, so every kept pixel
  sees exactly the context it would see in the whole frame;
- videos through the same reader, writer and three-stage pipeline as ``stylecam stylize``:
  audio packets copied unchanged, every frame at its source timestamp (same count, same
  duration), a progress bar in frames, output under a temporary name until complete;
- resuming: a video is encoded in closed segments in a work folder beside the output, so
  an interrupted job continues where it stopped when the same command runs again
  (``stylecam.app.resume``).
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import cv2
import numpy as np

from stylecam.app.stylize import (
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_USAGE,
    InputError,
    Terminated,
    VideoResult,
    input_kind,
    plan_output,
    stylize_image,
    terminate_like_ctrl_c,
)
from stylecam.app.video import VideoError

if TYPE_CHECKING:
    from stylecam.models.style.bundle import StyleBundle

PROG = "stylecam upscale"
DEFAULT_TILE = 384  # input pixels per tile side: a 320x240 or 640x480 frame runs whole
DEFAULT_OVERLAP = 16  # input pixels of context around each tile (receptive field: sr 14, srfast 12)
MIN_SIDE = 16  # what every exported net accepts (engines.MIN_SIDE)


def _say(kind: str, text: str) -> None:
    print(f"{PROG}: {kind}: {text}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- tiles


def tile_spans(length: int, tile: int, overlap: int) -> list[tuple[int, int, int, int]]:
    """Along one axis: (core_start, core_end, read_start, read_end) for each tile.

    Cores partition [0, length) into near-equal parts of at most ``tile``; each tile reads
    ``overlap`` more on both sides (clipped at the frame's edges)."""
    n = max(1, -(-length // tile))
    edges = [round(i * length / n) for i in range(n + 1)]
    return [(a, b, max(0, a - overlap), min(length, b + overlap)) for a, b in zip(edges, edges[1:], strict=False)]


class TiledUpscaler:
    """``upscaler(frame) -> frame`` (uint8 BGR, ``factor`` times larger), tile by tile.

    ``tile=0`` runs every frame whole. A frame smaller than the nets' minimum side is
    padded by repeating its edge, upscaled, and cropped back.
    """

    def __init__(self, engine: Any, factor: int, tile: int = DEFAULT_TILE, overlap: int = DEFAULT_OVERLAP) -> None:
        if tile and tile < 2 * MIN_SIDE:
            raise ValueError(f"tile must be 0 (no tiling) or at least {2 * MIN_SIDE} pixels, not {tile}")
        if overlap < 0:
            raise ValueError(f"overlap must not be negative, not {overlap}")
        self.engine = engine
        self.factor = int(factor)
        self.tile = int(tile)
        self.overlap = int(overlap)
        self.tiles_run = 0

    def _run(self, frame: np.ndarray) -> np.ndarray:
        h, w = frame.shape[:2]
        ph, pw = max(0, MIN_SIDE - h), max(0, MIN_SIDE - w)
        if ph or pw:
            frame = cv2.copyMakeBorder(frame, 0, ph, 0, pw, cv2.BORDER_REPLICATE)
        out = self.engine.run(np.ascontiguousarray(frame))
        self.tiles_run += 1
        f = self.factor
        if out.shape[:2] != (frame.shape[0] * f, frame.shape[1] * f):
            raise ValueError(f"the upscaler returned {out.shape[1]}x{out.shape[0]} for a {frame.shape[1]}x"
                             f"{frame.shape[0]} frame, not x{f}: is it really a x{f} upscaler?")
        return out[: h * f, : w * f]

    def __call__(self, frame: np.ndarray) -> np.ndarray:
        h, w = frame.shape[:2]
        if not self.tile or (h <= self.tile and w <= self.tile):
            return self._run(frame)
        f = self.factor
        out = np.empty((h * f, w * f, 3), np.uint8)
        for y0, y1, ry0, ry1 in tile_spans(h, self.tile, self.overlap):
            for x0, x1, rx0, rx1 in tile_spans(w, self.tile, self.overlap):
                up = self._run(frame[ry0:ry1, rx0:rx1])
                oy, ox = (y0 - ry0) * f, (x0 - rx0) * f
                out[y0 * f : y1 * f, x0 * f : x1 * f] = up[oy : oy + (y1 - y0) * f, ox : ox + (x1 - x0) * f]
        return out


# --------------------------------------------------------------------------- choosing


def find_upscaler(model: str | None, factor: int, extra_dirs: list[Path] = ()) -> StyleBundle:
    """The upscaler to use: ``model`` (a name or an .onnx file), else the first one of
    ``factor`` in the catalog (your folder, then the bundled ones). ``StyleError`` says why not."""
    from stylecam.models.errors import StyleError
    from stylecam.models.style.catalog import discover, resolve, user_upscalers_dir

    if model:
        info = resolve(model, tuple(extra_dirs), kind="upscaler")
        if info.factor != factor:
            raise StyleError(info.path, f"is a x{info.factor} upscaler, not x{factor} (--factor {factor}); "
                                        f"pass --factor {info.factor} or another --model")
        return info
    found = [u for u in discover(tuple(extra_dirs), kind="upscaler") if u.ok]
    for info in found:
        if info.factor == factor:
            return info
    have = ", ".join(f"{u.name} (x{u.factor})" for u in found) or "none"
    raise StyleError(None, f"no x{factor} upscaler found (available: {have}); train one with `stylecam train-sr "
                           f"--factor {factor}` and put its .onnx in {user_upscalers_dir()}")


def open_upscaler_engine(upscaler: StyleBundle | Path, engine: str, full_net: bool, precision: str) -> Any:
    """The engine for an upscaler.

    ``auto`` takes the first GPU engine that works, else OpenVINO, else ONNX Runtime CPU,
    without the timing race ``open_engine`` runs on a 640x480 probe frame: the full x4
    net needs seconds per probe there (~400 GMAC), and OpenVINO was faster for both nets
    on this CPU (bench/bench_sr.py). On a CPU the real-time version (``<name>.cpu.onnx``)
    runs unless ``full_net``. ``precision``: ``auto`` = fp16 where the GPU engine has an
    fp16 file, ``fp32`` = never fp16, ``fp16`` = insist on it.
    """
    from stylecam.models.errors import EngineError
    from stylecam.models.runtime.engines import ENGINE_NAMES, available_engines, open_engine
    from stylecam.models.style.bundle import StyleBundle
    from stylecam.models.style.files import Variant

    if not isinstance(upscaler, StyleBundle):
        upscaler = StyleBundle.open(upscaler)
    path = upscaler.path
    if engine == "auto":
        usable = available_engines()
        engine = next((e for e in ENGINE_NAMES if e in usable), "cpu")
    if precision == "fp16" and (engine != "cuda" or not upscaler.has(Variant.FP16)):
        half = upscaler.file(Variant.FP16).name if upscaler.is_base else "its fp16 file"
        raise EngineError(path, engine, f"half precision needs the cuda engine and {half} beside the upscaler "
                                        "(`stylecam export --fp16`); CPU engines compute in fp32")
    if precision == "fp32" and engine == "tensorrt":
        raise EngineError(path, engine, "TensorRT builds its plans in fp16; use --engine cuda for fp32")
    return open_engine(upscaler, engine, full_net=full_net, low_precision=precision != "fp32")


# --------------------------------------------------------------------------- work


def upscale_settings(upscaler: TiledUpscaler) -> dict[str, Any]:
    """What decides an upscaled frame's pixels: a work folder made with other ones is not resumed."""
    from stylecam.app.resume import file_identity

    engine = upscaler.engine
    net = getattr(engine, "path", None)
    return {"net": file_identity(Path(net)) if net else None, "engine": getattr(engine, "name", type(engine).__name__),
            "provider": str(getattr(engine, "provider", "")), "factor": upscaler.factor, "tile": upscaler.tile,
            "overlap": upscaler.overlap}


def upscale_video(source: Path, output: Path, upscaler: TiledUpscaler, *, crf: int = 18, preset: str = "superfast",
                  progress: bool = True, queue_size: int = 6, segment_seconds: float | None = None,
                  restart: bool = False) -> VideoResult:
    """Decode, upscale and encode one video, the three stages overlapped; audio copied once.
    Resumable: see ``stylecam.app.resume`` (``restart`` discards an unfinished job)."""
    from stylecam.app.resume import DEFAULT_SEGMENT_SECONDS, resumable_transform

    return resumable_transform(source, output, upscaler, settings=upscale_settings(upscaler), scale=upscaler.factor,
                               crf=crf, preset=preset, progress=progress, queue_size=queue_size,
                               segment_seconds=segment_seconds or DEFAULT_SEGMENT_SECONDS, restart=restart,
                               say=lambda text: _say("note", text))


@dataclass(frozen=True)
class UpscaleJob:
    source: Path
    output: Path
    kind: str


def _run_job(job: UpscaleJob, upscaler: TiledUpscaler, args: argparse.Namespace) -> None:
    if job.kind == "image":
        stylize_image(job.source, job.output, upscaler)  # read, process, write atomically: any frame -> frame
        print(f"{job.source} -> {job.output}", file=sys.stderr, flush=True)
        return
    result = upscale_video(job.source, job.output, upscaler, crf=args.crf, preset=args.preset,
                           progress=not args.quiet, segment_seconds=args.segment_seconds, restart=args.restart)
    if result.truncated:
        _say("warning", f"{job.source}: file is truncated or damaged at the end; upscaled the {result.frames} "
                        "frames that decode")
    if result.corrupt:
        _say("warning", f"{job.source}: {result.corrupt} corrupt frame(s) skipped")
    fps = result.frames / result.seconds if result.seconds > 0 else 0.0
    print(f"{job.source} -> {job.output} ({result.frames} frames, {fps:.1f} frames/s)", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- command


def _factor(text: str) -> int:
    if text not in ("2", "4", "8"):
        raise argparse.ArgumentTypeError(f"must be 2, 4 or 8, not {text!r}")
    return int(text)


def _tile(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value != 0 and value < 2 * MIN_SIDE:
        raise argparse.ArgumentTypeError(f"must be 0 (no tiling) or at least {2 * MIN_SIDE}, not {value}")
    return value


def _overlap(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must not be negative, not {value}")
    return value


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be positive, not {text}")
    return value


def add_upscale_parser(sub: argparse._SubParsersAction) -> None:
    from stylecam.models.runtime.engines import CHOICES

    p = sub.add_parser(
        "upscale",
        help="upscale images and videos x4 (or x8) with a super-resolution net",
        description="Upscale images and videos with a trained super-resolution net (Johnson et al. 2016). "
        "Each input gives <input>.x<F>.<ext> beside it unless -o says otherwise. Videos keep their audio "
        "(copied unchanged), frame count and timestamps. Large frames run in overlapping tiles (no seams, "
        "bounded memory). On a CPU the upscaler's real-time version runs unless --full-net.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    p.add_argument("inputs", nargs="+", type=Path, metavar="INPUT", help="video files and/or images")
    p.add_argument("--factor", "-f", type=_factor, default=4, help="scale factor")
    p.add_argument("-o", "--output", metavar="OUT",
                   help="output file (one input only), or a folder (an existing one, or a path ending in '/')")
    p.add_argument("--model", "-m", metavar="NAME|FILE",
                   help="upscaler name or .onnx file (default: the first x<factor> upscaler found)")
    p.add_argument("--upscalers-dir", type=Path, action="append", default=[], metavar="DIR",
                   help="another folder of upscaler files (repeatable; searched first)")
    p.add_argument("--engine", choices=CHOICES, default="auto",
                   help="inference engine; auto: a GPU engine if one works, else OpenVINO, else ONNX Runtime")
    p.add_argument("--full-net", action="store_true",
                   help="on a CPU, run the full net even where the upscaler has a real-time CPU version "
                   "(the paper's net: ~60x slower on a CPU)")
    p.add_argument("--precision", choices=["auto", "fp32", "fp16"], default="auto",
                   help="auto: half precision where the GPU engine has an fp16 file; fp32: turn half precision "
                   "off; CPU engines always compute in fp32")
    p.add_argument("--tile", type=_tile, default=DEFAULT_TILE, metavar="PX",
                   help="largest tile side in input pixels (0: whole frames); bounds memory")
    p.add_argument("--tile-overlap", type=_overlap, default=DEFAULT_OVERLAP, metavar="PX",
                   help="context around each tile in input pixels; at least the net's receptive field (16)")
    p.add_argument("--crf", type=int, default=18, help="H.264 quality: lower is better and bigger")
    p.add_argument("--preset", default="superfast",
                   choices=["ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow"],
                   help="x264 speed preset")
    p.add_argument("--restart", action="store_true",
                   help="discard an unfinished job for the same output instead of resuming it (a video that was "
                   "stopped resumes by default when the same command runs again)")
    p.add_argument("--segment-seconds", type=_seconds, default=10.0, metavar="S",
                   help="video is encoded in closed pieces of S seconds in .<output>.partial/ beside the output; "
                   "an interruption loses at most one")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress bar")
    p.set_defaults(func=run_upscale)


def run_upscale(args: argparse.Namespace) -> int:
    try:
        with terminate_like_ctrl_c():
            return _run(args)
    except Terminated as e:
        print(file=sys.stderr)
        _say("error", f"stopped by {signal.Signals(e.signum).name}; no partial output left behind")
        return 128 + e.signum
    except KeyboardInterrupt:
        print(file=sys.stderr)
        _say("error", "interrupted; no partial output left behind")
        return EXIT_INTERRUPTED


def _run(args: argparse.Namespace) -> int:
    from stylecam.models.errors import StyleError

    out: Path | None = None
    if args.output is not None:
        out = Path(args.output)
        if not out.is_dir() and len(args.inputs) > 1 and not args.output.endswith(("/", os.sep)):
            _say("error", f"-o {out}: one output file cannot hold {len(args.inputs)} inputs; give a folder "
                          "(ending in '/') or leave -o out")
            return EXIT_USAGE
    try:
        info = find_upscaler(args.model, args.factor, args.upscalers_dir)
        engine = open_upscaler_engine(info, args.engine, args.full_net, args.precision)
    except StyleError as e:
        _say("error", str(e))
        return EXIT_USAGE
    print(f"{PROG}: x{info.factor} upscaler {info.name!r} on engine {engine.name} ({engine.label})",
          file=sys.stderr, flush=True)
    upscaler = TiledUpscaler(engine, info.factor, args.tile, args.tile_overlap)
    jobs: list[UpscaleJob] = []
    failed = 0
    for source in args.inputs:
        try:
            kind = input_kind(source)
            if out is not None and args.output.endswith(("/", os.sep)) and not out.exists():
                out.mkdir(parents=True)
            jobs.append(UpscaleJob(source, plan_output(source, kind, f"x{info.factor}", out), kind))
        except InputError as e:
            _say("error", str(e))
            failed += 1
    for job in jobs:
        try:
            _run_job(job, upscaler, args)
        except (InputError, VideoError, StyleError) as e:
            _say("error", str(e))
            failed += 1
        except (OSError, MemoryError, ValueError) as e:
            _say("error", f"{job.source}: {type(e).__name__}: {e}")
            failed += 1
    engine.close()
    return EXIT_FAILED if failed else 0
