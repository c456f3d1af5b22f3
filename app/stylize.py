"""``stylecam stylize``: stylize video files and still images in batch.

Every input x style pair gives one output, written under a temporary name and renamed
only when complete, so an interrupted or failed run never leaves a half-written file
that looks finished. Expected failures (a missing, empty, corrupt or unsupported file,
an unknown style, an engine that cannot run) print one line naming the file and the
problem; the other inputs still run, and the exit status says something failed.

Outputs are planned before any work starts, and the run is refused (one line per
conflict, exit 2) if two inputs would write the same file, if an output is one of the
inputs, or if an output already exists that the user did not name: a batch must never
destroy its own results or the user's files. Renaming around a collision was rejected:
a script that runs ``stylize`` wants the names it predicts, and a quiet ``-2`` suffix
is a surprise of its own. ``-o FILE`` names that one file, so it may be replaced;
``--overwrite`` allows replacing earlier outputs, never an input.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import cv2
import numpy as np

from stylecam.app.frame_processor import FrameProcessor
from stylecam.app.pipeline import run_pipeline
from stylecam.app.safe_names import file_component, one_line, printable
from stylecam.app.stabilize import DEFAULT_STRENGTH as DEFAULT_STABILIZE
from stylecam.app.video import DecodedFrame, VideoError, VideoReader, VideoWriter, output_suffix, temporary_sibling
from stylecam.errors import StylecamError
from stylecam.media_types import IMAGE_SUFFIXES, KEPT_CONTAINERS, VIDEO_SUFFIXES

if TYPE_CHECKING:
    from stylecam.models.style.bundle import StyleBundle

PROG = "stylecam stylize"
WRITABLE_VIDEO = tuple(KEPT_CONTAINERS)
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


class InputError(StylecamError):
    """One input (or output) file that cannot be processed, and why (one line)."""


@dataclass(frozen=True)
class Job:
    source: Path
    style: StyleBundle
    output: Path
    kind: str  # "image" | "video"


# --------------------------------------------------------------------------- parser


def _strength(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"must be between 0 and 1, not {value}")
    return value


def _stabilize_strength(text: str) -> float:
    """``--stabilize`` takes an optional value, so ``--stabilize clip.mp4`` would read the
    clip as the strength: say so, rather than "not a number"."""
    try:
        float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a strength: {text!r} (give one, e.g. --stabilize 0.8 clip.mp4, "
                                         "or put --stabilize after the inputs)") from None
    return _strength(text)


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be positive, not {value}")
    return value


def _crf(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if not 0 <= value <= 51:
        raise argparse.ArgumentTypeError(f"must be 0 (lossless) to 51, not {value}")
    return value


def add_stylize_parser(sub: argparse._SubParsersAction) -> None:
    from stylecam.models.runtime.engines import CHOICES

    p = sub.add_parser(
        "stylize",
        help="stylize video files and images with one or more styles",
        description="Stylize video files and still images. Each input x style gives one output, "
        "named <input>.<style>.<ext> beside the input unless -o says otherwise. Videos keep their "
        "audio (copied unchanged), frame rate and timestamps, and are encoded as H.264.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    p.add_argument("inputs", nargs="+", type=Path, metavar="INPUT", help="video files and/or images")
    p.add_argument("--style", "-s", required=True, metavar="NAME[,NAME...]",
                   help="style names or style files (.onnx), comma-separated")
    p.add_argument("-o", "--output", metavar="OUT",
                   help="output file (one input and one style only), or a folder (an existing one, or a "
                   "path ending in '/', which is created). Videos in .mp4/.m4v/.mov/.mkv keep their "
                   "container; others (.avi, .webm, ...) are written as .mkv")
    p.add_argument("--overwrite", action="store_true",
                   help="replace outputs that already exist (an input is never replaced); without it "
                   "an existing output stops the run before anything is written")
    p.add_argument("--engine", choices=CHOICES, default="auto", help="inference engine; auto picks the fastest that works")
    p.add_argument("--strength", type=_strength, default=1.0, help="1 = full style, 0 = the original")
    p.add_argument("--preserve-colors", action="store_true",
                   help="keep the original colours, transfer only luminance (Gatys et al. 2016)")
    p.add_argument("--size", type=_positive, metavar="PX",
                   help="stylize with the short side at PX pixels, then scale back (faster)")
    p.add_argument("--stabilize", type=_stabilize_strength, nargs="?", const=DEFAULT_STABILIZE, default=0.0,
                   metavar="STRENGTH",
                   help=f"reduce flicker: blend each frame with the previous output moved along the optical flow, "
                   f"except where the picture changed (new content, scene cuts). STRENGTH 0-1; {DEFAULT_STABILIZE} "
                   "when given without a value; 0 = off")
    p.add_argument("--full-net", action="store_true",
                   help="on a CPU, run the style's full net even where it has a real-time CPU version "
                   "(<style>.cpu.onnx; slower, closer to the original training)")
    p.add_argument("--styles-dir", type=Path, action="append", default=[], metavar="DIR",
                   help="another folder of style files (repeatable)")
    p.add_argument("--crf", type=_crf, default=18, help="H.264 quality: lower is better and bigger")
    p.add_argument("--preset", default="superfast",
                   choices=["ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow"],
                   help="x264 speed preset. superfast: measured here at 640x480, 9 ms a frame against "
                   "veryfast's 15 ms, for a file 1.5%% larger at the same CRF")
    p.set_defaults(func=run_stylize)


# --------------------------------------------------------------------------- messages


def _say(kind: str, text: str) -> None:
    print(f"{PROG}: {kind}: {one_line(text, limit=1000)}", file=sys.stderr, flush=True)


def error(text: str) -> None:
    _say("error", text)


def warning(text: str) -> None:
    _say("warning", text)


# --------------------------------------------------------------------------- planning


def input_kind(path: Path) -> str:
    """``"image"`` or ``"video"``; raises InputError for anything we cannot read."""
    if not path.exists():
        raise InputError(path, "no such file")
    if not path.is_file():
        raise InputError(path, "not a file")
    suffix = path.suffix.lower()
    if suffix not in IMAGE_SUFFIXES and suffix not in VIDEO_SUFFIXES:
        raise InputError(path, f"unsupported file type {suffix or '(no suffix)'!r} (videos: "
                               f"{' '.join(VIDEO_SUFFIXES)}; images: {' '.join(IMAGE_SUFFIXES)})")
    if path.stat().st_size == 0:
        raise InputError(path, "empty file (0 bytes)")
    return "image" if suffix in IMAGE_SUFFIXES else "video"


def default_output(source: Path, style_name: str, kind: str, folder: Path | None = None) -> Path:
    """``<stem>.<style>.<ext>`` beside the source (or in ``folder``); the style's name comes
    from its file's metadata, so it is made one safe file-name component first."""
    suffix = source.suffix.lower() if kind == "image" else output_suffix(source.suffix)
    return (folder or source.parent) / f"{source.stem}.{file_component(style_name)}{suffix}"


def plan_output(source: Path, kind: str, style_name: str, output: Path | None) -> Path:
    if output is None:
        out = default_output(source, style_name, kind)
    elif output.is_dir():
        out = default_output(source, style_name, kind, output)
    else:
        out = output
        allowed = IMAGE_SUFFIXES if kind == "image" else WRITABLE_VIDEO
        if out.suffix.lower() not in allowed:
            raise InputError(out, f"cannot write {'an image' if kind == 'image' else 'a video'} as "
                                  f"{out.suffix or 'a file without a suffix'!r} (use {' '.join(allowed)})")
        if not out.parent.is_dir():
            raise InputError(out, "output folder does not exist")
    if out.resolve() == source.resolve():
        raise InputError(out, "output would overwrite the input")
    return out


def _same_file(a: Path, b: Path) -> bool:
    """Same path after symlinks, or the same file by another name (a hard link)."""
    if a.resolve() == b.resolve():
        return True
    try:
        return a.exists() and b.exists() and os.path.samefile(a, b)
    except OSError:
        return False


def plan_jobs(sources: list[Path], kinds: dict[Path, str | None], styles: list[StyleBundle], out: Path | None,
              overwrite: bool = False) -> tuple[list[Job], list[str]]:
    """Every job's output, decided before any work: the jobs, and the conflicts (one line
    each) that must stop the run. See the module docstring for the rules and why."""
    jobs: list[Job] = []
    problems: list[str] = []
    named = out is not None and not out.is_dir()  # -o FILE: the user named this output
    by_output: dict[Path, Job] = {}
    for style in styles:
        for source in sources:
            kind = kinds.get(source)
            if kind is None:
                continue
            try:
                output = plan_output(source, kind, style.name, out)
            except InputError as e:
                problems.append(str(e))
                continue
            job = Job(source, style, output, kind)
            key = output.resolve()
            other = by_output.get(key)
            if other is not None:
                problems.append(f"{output}: both {other.source} and {source} would be written here "
                                f"({'same style' if other.style is style else 'two styles with one name'}); "
                                "rename one, or run them with different -o folders")
                continue
            hit = next((s for s in sources if _same_file(output, s)), None)
            if hit is not None:
                problems.append(f"{output}: is an input of this run ({hit}); it would be overwritten")
                continue
            if output.exists() and not (named or overwrite):
                problems.append(f"{output}: already exists; delete it, pass --overwrite, or name the output "
                                "with -o")
                continue
            by_output[key] = job
            jobs.append(job)
    return jobs, problems


def resolve_styles(names: list[str], extra_dirs: list[Path]) -> list[StyleBundle]:
    """The bundle of every name or style file; the catalog's ``StyleError`` says what is
    wrong (for an unknown name it lists the available ones)."""
    from stylecam.models.style.catalog import resolve

    return [resolve(name, extra_dirs=tuple(extra_dirs)) for name in names]


# --------------------------------------------------------------------------- work


def stylize_image(source: Path, output: Path, processor: FrameProcessor) -> None:
    """Read, stylize and write one still image; the output appears only when complete."""
    data = np.fromfile(source, dtype=np.uint8)
    image = cv2.imdecode(data, cv2.IMREAD_COLOR) if data.size else None
    if image is None:
        raise InputError(source, "not a readable image (corrupt or not the format its name says)")
    result = processor(image)
    ok, encoded = cv2.imencode(output.suffix.lower(), result)
    if not ok:
        raise InputError(output, f"OpenCV cannot encode {output.suffix!r}")
    tmp = temporary_sibling(output)
    try:
        tmp.write_bytes(encoded.tobytes())
        os.replace(tmp, output)
    except BaseException as e:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        if isinstance(e, OSError):  # named by the output, never by the temporary name
            raise InputError(output, f"cannot write it ({e.strerror or type(e).__name__})") from None
        raise


@dataclass
class VideoResult:
    frames: int
    corrupt: int
    truncated: bool
    expected: int | None
    seconds: float
    notes: tuple[str, ...] = ()  # what the output could not keep, or changed, said once


def stylize_video(source: Path, output: Path, processor: FrameProcessor, *, crf: int = 18,
                  preset: str = "superfast", progress: bool = True, queue_size: int = 6) -> VideoResult:
    """Decode, stylize and encode one video with the stages overlapped (the stabiliser's
    blend, when on, in a stage of its own: ``FrameProcessor.begin``/``finish``)."""
    return transform_video(source, output, processor.begin, crf=crf, preset=preset, progress=progress,
                           queue_size=queue_size, finish_fn=processor.finish)


def open_input(source: Path) -> VideoReader:
    """A video input opened for reading; a file that is not a readable video is the user's
    input problem (InputError, one line naming it), not a crash."""
    try:
        return VideoReader(source)
    except VideoError as e:
        raise InputError(source, e.problem) from None


def transform_video(source: Path, output: Path, frame_fn: Callable[[np.ndarray], Any], *, scale: int = 1,
                    crf: int = 18, preset: str = "superfast", progress: bool = True,
                    queue_size: int = 6, finish_fn: Callable[[Any], np.ndarray] | None = None) -> VideoResult:
    """Decode, transform (``frame_fn``: a frame in, a frame ``scale`` times larger out) and
    encode one video, the stages overlapped. ``stylecam stylize`` and ``stylecam
    upscale`` both run here, so both keep the same rules. With ``finish_fn``, ``frame_fn``
    returns work half done and ``finish_fn`` (in a fourth stage, in order) turns it into
    the frame.

    Audio packets travel through the same queues as frames, so they are muxed in
    their original order and copied unchanged.
    """
    from tqdm import tqdm

    started = time.perf_counter()
    with open_input(source) as reader:
        info = reader.info
        try:
            writer = VideoWriter(output, info.width * scale, info.height * scale, fps=info.fps,
                                 time_base=info.time_base, audio_streams=reader.audio_streams, crf=crf,
                                 preset=preset, sar=info.sar)
        except VideoError as e:
            raise InputError(output, e.problem) from None
        with writer, tqdm(total=info.frame_count, unit="frame", desc=source.name, disable=not progress,
                          dynamic_ncols=True, leave=True, mininterval=0.5) as bar:

            def transform(item: Any) -> Any:
                if isinstance(item, DecodedFrame):
                    return item, frame_fn(item.image)
                return item

            def sink(item: Any) -> None:
                if isinstance(item, tuple):
                    writer.write_frame(item[0], item[1])
                    bar.update(1)
                else:
                    writer.mux_packet(item)

            def finish(item: Any) -> Any:
                if isinstance(item, tuple):
                    return item[0], finish_fn(item[1])  # type: ignore[misc]
                return item

            run_pipeline(reader.items(audio=True), transform, sink, queue_size=queue_size,
                         finish=finish if finish_fn is not None else None)
            if writer.frames_written == 0:
                raise InputError(source, "no decodable video frames (corrupt file?)")
        notes = [f"{', '.join(info.dropped)} not kept (the output has one H.264 video stream and the audio)"] \
            if info.dropped else []
        if writer.padded:
            w, h = writer.encoded_size
            notes.append(f"odd size {info.width * scale}x{info.height * scale} encoded as {w}x{h} (4:2:0 H.264 needs even sides; "
                         "the last column/row is repeated)")
        return VideoResult(frames=writer.frames_written, corrupt=reader.corrupt_frames, truncated=reader.truncated,
                           expected=info.frame_count, seconds=time.perf_counter() - started, notes=tuple(notes))


def run_job(job: Job, processor: FrameProcessor, crf: int, preset: str = "superfast") -> None:
    processor.restart()  # --stabilize: every input is a clip of its own
    if job.kind == "image":
        stylize_image(job.source, job.output, processor)
        print(f"{job.source} -> {job.output}", file=sys.stderr, flush=True)
        return
    result = stylize_video(job.source, job.output, processor, crf=crf, preset=preset, progress=True)
    for note in result.notes:
        warning(f"{job.source}: {note}")
    if result.truncated:
        of = f" (of ~{result.expected})" if result.expected else ""
        warning(f"{job.source}: file is truncated or damaged at the end; stylized the {result.frames} "
                f"frames that decode{of}")
    if result.corrupt:
        warning(f"{job.source}: {result.corrupt} corrupt frame{'s' if result.corrupt != 1 else ''} skipped")
    fps = result.frames / result.seconds if result.seconds > 0 else 0.0
    print(f"{job.source} -> {job.output} ({result.frames} frames, {fps:.1f} frames/s)", file=sys.stderr, flush=True)


def _system_error_line(job: Job, e: BaseException) -> str:
    """An OS error as one line naming the user's file: the output when it was our temporary
    file or the output that failed (a full disk, a vanished folder), else the input."""
    if isinstance(e, MemoryError):
        return f"{job.source}: out of memory (try --size to stylize at a smaller size)"
    name = getattr(e, "filename", None)
    path = job.output if name is None or ".tmp" in Path(str(name)).name or Path(str(name)) == job.output else \
        Path(str(name))
    if name is None and e.errno is None:
        path = job.source
    return f"{path}: {getattr(e, 'strerror', None) or type(e).__name__}"


def _open_style(style: StyleBundle, engine: str, full_net: bool = False) -> Any:
    from stylecam.models.runtime.engines import open_engine
    from stylecam.models.style.bundle import Reason

    eng = open_engine(style, engine, full_net=full_net)
    print(f"{PROG}: style {printable(style.name, 80)!r} on engine {eng.name} ({eng.label})", file=sys.stderr, flush=True)
    if eng.choice.reason in (Reason.CPU_VERSION_INVALID, Reason.CPU_VERSION_FAILED):
        warning(f"{style.path}: {eng.choice.why}")  # a CPU version passed over must not pass unsaid
    return eng


class Terminated(KeyboardInterrupt):
    """SIGTERM or SIGHUP (a closed terminal, ``kill``), raised where Ctrl-C would be so the
    same clean-up runs: temporary files are deleted, nothing half-written stays."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def _raise_terminated(signum: int, _frame: Any) -> None:
    raise Terminated(signum)


@contextlib.contextmanager
def _terminate_like_ctrl_c() -> Any:
    sigs = [signal.SIGTERM] + ([signal.SIGHUP] if hasattr(signal, "SIGHUP") else [])
    saved = {}
    for sig in sigs:
        try:
            saved[sig] = signal.signal(sig, _raise_terminated)
        except ValueError:  # not the main thread (tests, embedding): leave signals alone
            pass
    try:
        yield
    finally:
        for sig, old in saved.items():
            signal.signal(sig, old)


terminate_like_ctrl_c = _terminate_like_ctrl_c  # public: ``stylecam upscale`` stops the same way


def run_stylize(args: argparse.Namespace) -> int:
    try:
        with _terminate_like_ctrl_c():
            return _run(args)
    except Terminated as e:
        print(file=sys.stderr)
        error(f"stopped by {signal.Signals(e.signum).name}; no partial output left behind")
        return 128 + e.signum
    except KeyboardInterrupt:
        print(file=sys.stderr)
        error("interrupted; no partial output left behind")
        return EXIT_INTERRUPTED


def _run(args: argparse.Namespace) -> int:
    from stylecam.models.errors import StyleError

    names = [n.strip() for n in args.style.split(",") if n.strip()]
    if not names:
        error("--style: give at least one style name")
        return EXIT_USAGE
    for folder in args.styles_dir:
        if not folder.is_dir():
            error(f"--styles-dir {folder}: {'no such folder' if not folder.exists() else 'not a folder'}")
            return EXIT_USAGE
    out: Path | None = None
    if args.output is not None:
        out = Path(args.output)
        if args.output.endswith(("/", os.sep)) and not out.exists():
            try:
                out.mkdir(parents=True)
            except OSError as e:
                error(f"-o {out}: cannot create the folder ({e.strerror or type(e).__name__})")
                return EXIT_USAGE
        if not out.is_dir() and len(args.inputs) * len(names) > 1:
            error(f"-o {out}: one output file cannot hold {len(args.inputs)} input(s) x {len(names)} style(s); "
                  "give a folder (ending in '/') or leave -o out")
            return EXIT_USAGE
    try:
        styles = resolve_styles(names, args.styles_dir)
    except StyleError as e:
        error(str(e))
        return EXIT_USAGE
    unique: dict[Path, StyleBundle] = {}
    for style in styles:  # "-s a,a" or a name and its file: one style, run once
        unique.setdefault(style.path.resolve(), style)
    styles = list(unique.values())

    failed = 0
    kinds: dict[Path, str | None] = {}
    for source in args.inputs:
        try:
            kinds[source] = input_kind(source)
        except InputError as e:
            error(str(e))
            kinds[source] = None
            failed += 1
    jobs, conflicts = plan_jobs(list(args.inputs), kinds, styles, out, overwrite=getattr(args, "overwrite", False))
    if conflicts:
        for line in conflicts:
            error(line)
        error("nothing was written")
        return EXIT_USAGE
    for style in styles:
        todo = [job for job in jobs if job.style is style]
        if not todo:
            continue
        try:
            engine = _open_style(style, args.engine, args.full_net)
        except StyleError as e:
            error(str(e))
            failed += len(todo)
            continue
        except Exception as e:  # an engine library failing in its own way: still one line
            if os.environ.get("STYLECAM_DEBUG"):
                raise
            error(f"{style.path}: cannot run this style ({type(e).__name__}: {e})")
            failed += len(todo)
            continue
        processor = FrameProcessor(engine, strength=args.strength, preserve_colors=args.preserve_colors, size=args.size,
                                   stabilize=getattr(args, "stabilize", 0.0))
        for job in todo:
            source = job.source
            try:
                run_job(job, processor, args.crf, args.preset)
            except (InputError, VideoError, StyleError) as e:
                error(str(e))
                failed += 1
            except (OSError, MemoryError) as e:
                error(_system_error_line(job, e))
                failed += 1
            except Exception as e:
                if os.environ.get("STYLECAM_DEBUG"):
                    raise
                error(f"{source}: unexpected {type(e).__name__}: {e} (set STYLECAM_DEBUG=1 for a traceback)")
                failed += 1
        close = getattr(engine, "close", None)
        if close is not None:
            close()
    return EXIT_FAILED if failed else 0
