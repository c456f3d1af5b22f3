"""Shared fixtures. Sections belong to different test modules; keep fixture names distinct."""

from __future__ import annotations

import shutil
import signal
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

# --------------------------------------------------------------------------- media clips and a toy style
# (tests/test_video.py, test_effects.py, test_pipeline.py, test_stylize.py)

MEDIA_FPS = 25
MEDIA_SECONDS = 1.5
MEDIA_FRAMES = int(MEDIA_FPS * MEDIA_SECONDS)  # 37
MEDIA_SAMPLE_RATE = 44100


def media_picture(i: int, w: int, h: int) -> np.ndarray:
    """A moving, colourful BGR test picture (gradients and a sliding bar), deterministic."""
    y, x = np.mgrid[0:h, 0:w]
    img = np.empty((h, w, 3), np.uint8)
    img[..., 0] = (x * 255 // max(w - 1, 1) + i * 5) % 256
    img[..., 1] = y * 255 // max(h - 1, 1)
    img[..., 2] = 60
    bar = (i * 3) % w
    img[:, bar : bar + 6, 2] = 230
    return img


def write_media_clip(
    path: Path,
    width: int,
    height: int,
    *,
    seconds: float = MEDIA_SECONDS,
    fps: int = MEDIA_FPS,
    audio: bool = True,
    codec: str = "libx264",
) -> Path:
    """An H.264 (+ AAC stereo tone) clip with its index at the front (faststart), so that
    a truncated copy still opens, as a real half-downloaded file often does."""
    fmt = "matroska" if path.suffix == ".mkv" else None
    options = {"movflags": "+faststart"} if path.suffix in (".mp4", ".mov") else {}
    with av.open(str(path), "w", format=fmt, options=options) as c:
        v = c.add_stream(codec, rate=fps)
        v.width, v.height = width, height
        if codec == "mjpeg":
            v.pix_fmt = "yuvj420p"
        else:
            v.pix_fmt = "yuv420p" if width % 2 == 0 and height % 2 == 0 else "yuv444p"
            v.options = {"preset": "ultrafast"}
        a = None
        if audio:
            a = c.add_stream("aac", rate=MEDIA_SAMPLE_RATE)
            a.layout = "stereo"
        for i in range(int(fps * seconds)):
            frame = av.VideoFrame.from_ndarray(media_picture(i, width, height), format="bgr24")
            frame.pts = i
            frame.time_base = Fraction(1, fps)
            c.mux(v.encode(frame))
        c.mux(v.encode(None))
        if a is not None:
            total, t = int(MEDIA_SAMPLE_RATE * seconds), 0
            while t < total:
                n = min(1024, total - t)
                tone = (0.2 * np.sin(2 * np.pi * 440 * np.arange(t, t + n) / MEDIA_SAMPLE_RATE)).astype(np.float32)
                af = av.AudioFrame.from_ndarray(np.stack([tone, tone]), format="fltp", layout="stereo")
                af.sample_rate = MEDIA_SAMPLE_RATE
                af.pts = t
                c.mux(a.encode(af))
                t += n
            c.mux(a.encode(None))
    return path


def write_toy_style(path: Path, name: str = "negative", title: str = "Negative") -> Path:
    """A real stylecam style file whose "net" is a colour negative (255 - x).

    Built with ``onnx.helper`` in microseconds instead of exporting a trained net, so
    the media and CLI tests exercise the real file format, catalog and engines without
    torch (the runtime must work without it) and can check the output pixels exactly.
    """
    import onnx
    from onnx import TensorProto, helper

    from stylecam.models.style.format import FORMAT, INPUT_NAME, OUTPUT_NAME

    frame = helper.make_tensor_value_info(INPUT_NAME, TensorProto.UINT8, ["height", "width", 3])
    out = helper.make_tensor_value_info(OUTPUT_NAME, TensorProto.UINT8, ["height", "width", 3])
    white = helper.make_tensor("white", TensorProto.FLOAT, [], [255.0])
    nodes = [
        helper.make_node("Cast", [INPUT_NAME], ["x"], to=TensorProto.FLOAT),
        helper.make_node("Sub", ["white", "x"], ["y"]),
        helper.make_node("Cast", ["y"], [OUTPUT_NAME], to=TensorProto.UINT8),
    ]
    graph = helper.make_graph(nodes, "toy_style", [frame], [out], initializer=[white])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)], producer_name="stylecam-tests")
    model.ir_version = 9
    meta = {"stylecam.format": FORMAT, "stylecam.name": name, "stylecam.title": title, "stylecam.arch": "toy"}
    for k, v in meta.items():
        entry = model.metadata_props.add()
        entry.key, entry.value = k, v
    onnx.checker.check_model(model)
    onnx.save(model, str(path))
    return path


@pytest.fixture(scope="session")
def media_originals(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Clips made once per session; tests get copies (outputs land beside inputs)."""
    d = tmp_path_factory.mktemp("media")
    clips = {
        "clip": write_media_clip(d / "clip.mp4", 160, 120),
        "odd": write_media_clip(d / "odd.mp4", 161, 121),
        "silent": write_media_clip(d / "silent.mkv", 96, 64, seconds=0.6, audio=False),
    }
    data = clips["clip"].read_bytes()
    (d / "truncated.mp4").write_bytes(data[: int(len(data) * 0.6)])
    clips["truncated"] = d / "truncated.mp4"
    clips["damaged"] = _damaged_clip(d / "damaged.mkv")
    return clips


def _damaged_clip(path: Path) -> Path:
    """An MJPEG clip whose 8th frame is random bytes: the decoder refuses that one frame."""
    src = write_media_clip(path.with_name("mjpeg_src.mkv"), 96, 64, seconds=0.8, audio=False, codec="mjpeg")
    rng = np.random.default_rng(0)
    with av.open(str(src)) as inp, av.open(str(path), "w", format="matroska") as out:
        s = out.add_stream_from_template(inp.streams.video[0])
        for k, packet in enumerate(inp.demux(inp.streams.video[0])):
            if packet.dts is None:
                continue
            if k == 7:
                bad = av.Packet(rng.integers(0, 256, packet.size, dtype=np.uint8).tobytes())
                bad.pts, bad.dts, bad.time_base = packet.pts, packet.dts, packet.time_base
                packet = bad
            packet.stream = s
            out.mux(packet)
    return path


@pytest.fixture
def media_dir(tmp_path: Path, media_originals: dict[str, Path]) -> Path:
    """A fresh folder holding copies of every test clip (clip, odd, silent, truncated, damaged)."""
    for src in media_originals.values():
        shutil.copy(src, tmp_path / src.name)
    return tmp_path


@pytest.fixture(scope="session")
def toy_styles_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A styles folder with two toy styles, ``negative`` and ``negative2``."""
    d = tmp_path_factory.mktemp("toy_styles")
    write_toy_style(d / "negative.onnx")
    write_toy_style(d / "negative2.onnx", name="negative2", title="Negative again")
    return d


def probe_video(path: Path) -> dict:
    """What an independent PyAV decode sees: size, rate, frame times (s), frame count."""
    with av.open(str(path)) as c:
        s = c.streams.video[0]
        times = [float(f.pts * f.time_base) for f in c.decode(s)]
        return {
            "size": (s.codec_context.width, s.codec_context.height),
            "rate": s.average_rate,
            "times": times,
            "frames": len(times),
            "audio_streams": len(c.streams.audio),
        }


def audio_packets(path: Path) -> list[tuple[bytes, int | None, float]]:
    """Every audio packet's bytes, pts and time in seconds, in file order."""
    with av.open(str(path)) as c:
        if not c.streams.audio:
            return []
        return [(bytes(p), p.pts, float(p.pts * p.time_base))
                for p in c.demux(c.streams.audio[0]) if p.size]


# --------------------------------------------------------------------------- exported test styles
# (tests/test_export.py, test_engines.py, test_catalog.py). Small *real* checkpoints made
# from untrained nets whose output layer is set to a mid-grey bias, so outputs span the
# 0..255 range instead of clamping; test fixtures, not shipped styles.

EXPORT_DATA = Path(__file__).resolve().parent / "data"


def export_test_photos() -> list[tuple[str, np.ndarray]]:
    """The bundled test photos (tests/data/*.jpg) as BGR arrays."""
    import cv2

    return [(p.name, cv2.imread(str(p))) for p in sorted(EXPORT_DATA.glob("*.jpg"))]


def _make_identity(layer) -> None:
    """Set every conv of ``layer`` (a 3x3 conv, or a depthwise 3x3 + 1x1) to pass its input through."""
    from torch import nn

    for conv in (m for m in layer.modules() if isinstance(m, nn.Conv2d)):
        conv.weight.zero_()
        conv.bias.zero_()
        k = conv.weight.shape[-1] // 2
        if conv.groups > 1:
            conv.weight[:, 0, k, k] = 1.0
        else:
            n = conv.weight.shape[0]
            conv.weight[range(n), range(n), k, k] = 1.0


@pytest.fixture(scope="session")
def export_checkpoints(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """``{arch: path}`` for every registered architecture: checkpoints saved with
    models.checkpoint.save, scaled so that outputs are mid-grey images, not saturated."""
    import torch

    from stylecam.models.nets.checkpoint import save
    from stylecam.models.nets.registry import create_model, list_models

    d = tmp_path_factory.mktemp("export_ck")
    out = {}
    for i, arch in enumerate(list_models()):
        torch.manual_seed(i)
        net = create_model(arch)
        with torch.no_grad():
            net.out[-1].weight.mul_(0.25)
            net.out[-1].bias.fill_(0.5)
            if hasattr(net, "smooth"):  # the shuffle nets: make the smoothing conv an identity
                _make_identity(net.smooth)
        meta = {
            "arch": arch,
            "config": net.config,
            "style": {"name": f"test_{arch}", "title": f"Test {arch.title()}", "image": "starry_night.png"},
            "recipe": {"iterations": 2, "image_size": 64, "batch_size": 1},
            "command": f"stylecam train starry_night.png --data photos --name test_{arch} --arch {arch}",
            "iteration": 2,
            "losses": {"content": 1.5, "style": 2.5, "tv": 0.1, "total": 4.1},
            "loss_history": [[1, 5.0], [2, 4.1]],
            "versions": {"torch": torch.__version__},
        }
        out[arch] = save(d / f"test_{arch}.safetensors", net, meta)
    return out


@pytest.fixture(scope="session")
def exported_styles(export_checkpoints: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> dict:
    """``{arch: ExportResult}`` for every architecture; lite also gets fp16 and int8 variants
    and a CPU version (``lite_cpu``: the nano net trained, in name, for the same style)."""
    from stylecam.export.onnx_export import export_style
    from stylecam.export.quantize import quantize_int8

    d = tmp_path_factory.mktemp("export_out")
    results = {}
    for arch, ck in export_checkpoints.items():
        results[arch] = export_style(ck, d / f"test_{arch}.onnx", images_dir=EXPORT_DATA,
                                     preview_image=EXPORT_DATA / "coffee.jpg", fp16=arch == "lite",
                                     max_real=1, report=lambda s: None)
    results["lite_int8"] = quantize_int8(results["lite"].path, EXPORT_DATA, report=lambda s: None)
    apart = tmp_path_factory.mktemp("export_cpu")  # not beside test_lite.onnx: that one runs as is
    results["lite_cpu"] = export_style(_as_style_of(export_checkpoints["nano"], export_checkpoints["lite"], apart),
                                       apart / "test_lite.cpu.onnx", images_dir=EXPORT_DATA,
                                       preview_image=EXPORT_DATA / "coffee.jpg", max_real=1,
                                       report=lambda s: None)
    return results


def _as_style_of(student: Path, teacher: Path, out_dir: Path) -> Path:
    """The ``student`` checkpoint re-labelled as the ``teacher``'s style: what distilling a
    CPU version of that style gives (same name, same painting), without training one."""
    from stylecam.models.nets.checkpoint import load, save

    ck = load(student)
    meta = dict(ck.meta, style=load(teacher).meta["style"])
    return save(out_dir / "test_lite_cpu.safetensors", ck.net, meta)


# --------------------------------------------------------------------------- the desktop app (tests/test_gui.py)

import os  # noqa: E402

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before pytest-qt makes the QApplication

GUI_FPS = 30
GUI_SECONDS = 2.0


def write_toy_style_with_preview(path: Path, name: str, title: str, colour: tuple[int, int, int],
                                 channels: tuple[int, int, int] | None = None) -> Path:
    """A toy style (negative, or a channel swap) carrying a solid-colour ``preview_png``,
    so the style menu's thumbnails can be checked against a known colour."""
    import base64

    import cv2
    import onnx
    from onnx import TensorProto, helper

    write_toy_style(path, name=name, title=title)
    model = onnx.load(str(path))
    if channels is not None:  # replace the negative by a BGR channel permutation
        from stylecam.models.style.format import INPUT_NAME, OUTPUT_NAME

        idx = helper.make_tensor("idx", TensorProto.INT64, [3], list(channels))
        node = helper.make_node("Gather", [INPUT_NAME, "idx"], [OUTPUT_NAME], axis=2)
        graph = helper.make_graph([node], "toy_swap", list(model.graph.input), list(model.graph.output),
                                  initializer=[idx])
        props = list(model.metadata_props)
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)], producer_name="stylecam-tests")
        model.ir_version = 9
        model.metadata_props.extend(props)
    preview = np.zeros((64, 64, 3), np.uint8)
    preview[:] = colour
    ok, png = cv2.imencode(".png", preview)
    entry = model.metadata_props.add()
    entry.key, entry.value = "stylecam.preview_png", base64.b64encode(png.tobytes()).decode()
    onnx.checker.check_model(model)
    onnx.save(model, str(path))
    return path


@pytest.fixture(scope="session")
def gui_styles_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Styles for the window: ``a_negative`` (first in the menu), ``b_swap`` (BGR -> RGB),
    both with previews, and ``c_broken.onnx`` (garbage, shown as unavailable)."""
    d = tmp_path_factory.mktemp("gui_styles")
    write_toy_style_with_preview(d / "a_negative.onnx", "a_negative", "Negative", (0, 0, 255))
    write_toy_style_with_preview(d / "b_swap.onnx", "b_swap", "Swap", (255, 0, 0), channels=(2, 1, 0))
    (d / "c_broken.onnx").write_bytes(b"this is not an onnx model")
    return d


@pytest.fixture(scope="session")
def gui_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 640x480, 30 frames/s, 2 s H.264 clip with an AAC tone: the live source (it loops)."""
    d = tmp_path_factory.mktemp("gui_clip")
    return write_media_clip(d / "live.mp4", 640, 480, seconds=GUI_SECONDS, fps=GUI_FPS)


def default_sigint() -> None:
    """Popen preexec_fn for the Ctrl-C tests: a shell that runs the suite as a background job
    starts it with SIGINT ignored, and children inherit that, so the signal the test sends
    would never arrive. The child gets the default action back, as in a terminal."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.fixture
def stylize(toy_styles_dir: Path, capsys: pytest.CaptureFixture):
    """Run ``stylecam stylize ARGS --styles-dir <toy styles>`` in-process; returns (exit code, stderr)
    (tests/test_stylize.py, test_bad_inputs.py)."""

    def run(*args: str | Path, engine: str = "cpu") -> tuple[int, str]:
        argv = ["stylize", *map(str, args), "--styles-dir", str(toy_styles_dir)]
        if engine:
            argv += ["--engine", engine]
        from stylecam.app.cli import main

        code = main(argv)
        return code, capsys.readouterr().err

    return run
