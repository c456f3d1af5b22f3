"""Issue 14: every video as the player shows it, nothing overwritten, every failure one line.

Each test reproduces one of the issue's defects on inputs it makes itself (PyAV, numpy)
and runs the real ``stylecam stylize`` (in-process, or as a subprocess where signals or
start-up matter) with the toy ``negative`` style (255 - x, exact). Kept small: the whole
module runs in well under two minutes on two CPU cores.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from stylecam.app.cli import main
from stylecam.app.live.sources import FileSource
from stylecam.app.video import VideoReader, orientation_from_matrix

from helpers.media import write_media_clip
from helpers.signals import default_sigint
from helpers.styles import write_toy_style

W, H = 64, 48  # coded size of the test clips (landscape)
MARK = 12  # side of the white square in the coded picture's top-left corner


def one_line_each(err: str) -> None:
    """Every message is one line of ours: no traceback, no library's multi-line text."""
    assert "Traceback" not in err
    for line in err.splitlines():
        line = line.split("\r")[-1].strip()  # tqdm redraws with carriage returns
        if line and "frame/s" not in line and "frame]" not in line and "%|" not in line:
            assert line.startswith("stylecam") or " -> " in line, repr(line)


def marked_clip(path: Path, *, rotation: int | None = None, sar: Fraction | None = None, frames: int = 6,
                codec: str = "libx264", pix_fmt: str = "yuv420p", subtitle: bool = False,
                size: tuple[int, int] = (W, H)) -> Path:
    """A clip whose coded pictures have a white square at the top left on dark grey, with
    an optional display matrix (rotation, counter-clockwise degrees as PyAV writes it),
    sample aspect ratio and subtitle stream."""
    w, h = size
    fmt = {".mkv": "matroska", ".webm": "webm"}.get(path.suffix)
    with av.open(str(path), "w", format=fmt) as c:
        v = c.add_stream(codec, rate=25)
        v.width, v.height, v.pix_fmt = w, h, pix_fmt
        if sar is not None:
            v.codec_context.sample_aspect_ratio = sar
        if rotation is not None:
            v.set_display_rotation(rotation)
        sub = c.add_mux_stream("subrip") if subtitle else None
        if sub is not None:
            sub.time_base = Fraction(1, 1000)
        for i in range(frames):
            img = np.full((h, w, 4 if "a" in pix_fmt[3:] else 3), 40, np.uint8)
            img[:MARK, :MARK] = 255
            frame = av.VideoFrame.from_ndarray(img, format="bgra" if img.shape[2] == 4 else "bgr24")
            frame.pts = i
            c.mux(v.encode(frame))
        c.mux(v.encode(None))
        if sub is not None:
            p = av.Packet(b"hello")
            p.stream, p.pts, p.dts, p.duration, p.time_base = sub, 0, 0, 500, Fraction(1, 1000)
            c.mux(p)
    return path


def first_frame(path: Path) -> tuple[np.ndarray, int, dict]:
    """An independent decode (plain PyAV): the first picture as stored, its display-matrix
    rotation, and what its stream says (size, SAR, DAR)."""
    with av.open(str(path)) as c:
        s = c.streams.video[0]
        f = next(c.decode(s))
        info = {"size": (s.codec_context.width, s.codec_context.height), "sar": s.sample_aspect_ratio,
                "dar": s.display_aspect_ratio}
        return f.to_ndarray(format="bgr24"), f.rotation, info


def dark_corner(img: np.ndarray) -> str:
    """Which corner holds the (negated, so dark) square: 'tl', 'tr', 'bl' or 'br'."""
    h, w = img.shape[:2]
    corners = {"tl": img[: MARK // 2, : MARK // 2], "tr": img[: MARK // 2, w - MARK // 2:],
               "bl": img[h - MARK // 2:, : MARK // 2], "br": img[h - MARK // 2:, w - MARK // 2:]}
    return min(corners, key=lambda k: corners[k].mean())


# --------------------------------------------------------------------------- 1. rotation


@pytest.mark.parametrize(("rotation", "corner"), [(90, "bl"), (-90, "tr"), (180, "br"), (0, "tl")])
def test_phone_video_comes_out_upright(tmp_path: Path, stylize, rotation: int, corner: str) -> None:
    """Defect 1: a display matrix was ignored (a portrait clip came out sideways). Now the
    pixels are turned as ffmpeg's autorotate turns them, and the output needs no matrix."""
    src = marked_clip(tmp_path / "phone.mp4", rotation=rotation)
    code, err = stylize(src, "-s", "negative")
    assert code == 0, err
    img, rot, info = first_frame(tmp_path / "phone.negative.mp4")
    turned = rotation in (90, -90)
    assert info["size"] == ((H, W) if turned else (W, H))
    assert rot == 0  # upright pixels, no matrix: every player shows it the same
    assert dark_corner(img) == corner


def test_mirrored_display_matrix_follows_ffmpeg() -> None:
    """ffmpeg's autorotate decisions (fftools/ffmpeg_filter.c) for the matrices a camera or
    an editor writes: quarter turns, a half turn, and mirrored variants."""
    one = 65536
    assert orientation_from_matrix((0, -one, 0, one, 0, 0, 0, 0, 1 << 30)) == "cclock"  # rotate=90 ccw
    assert orientation_from_matrix((0, one, 0, -one, 0, 0, 0, 0, 1 << 30)) == "clock"
    assert orientation_from_matrix((-one, 0, 0, 0, -one, 0, 0, 0, 1 << 30)) == "hflip,vflip"
    assert orientation_from_matrix((one, 0, 0, 0, -one, 0, 0, 0, 1 << 30)) == "vflip"  # mirrored
    assert orientation_from_matrix((0, one, 0, one, 0, 0, 0, 0, 1 << 30)) == "cclock_flip"
    assert orientation_from_matrix((one, 0, 0, 0, one, 0, 0, 0, 1 << 30)) == ""


def test_gui_preview_is_upright_and_square_pixelled(tmp_path: Path) -> None:
    """Defect 1 (and 2) in the GUI: the live source delivers frames as a player shows them."""
    src = FileSource(marked_clip(tmp_path / "phone.mp4", rotation=90))
    image, _ = src.read()
    src.close()
    assert image.shape[:2] == (W, H)
    assert dark_corner(255 - image) == "bl"
    wide = FileSource(marked_clip(tmp_path / "ana.mp4", sar=Fraction(3, 2)))
    image, _ = wide.read()
    wide.close()
    assert image.shape[:2] == (H, W * 3 // 2)  # shown at its display aspect, square pixels


# --------------------------------------------------------------------------- 2. SAR


def test_anamorphic_video_keeps_its_shape(tmp_path: Path, stylize) -> None:
    """Defect 2: SAR 32:27 was dropped, so a 16:9 clip displayed as 3:2. The output stream
    carries the SAR (ffmpeg's default), so it displays at the source's aspect ratio."""
    src = marked_clip(tmp_path / "dvd.mkv", sar=Fraction(32, 27), size=(72, 48))
    code, err = stylize(src, "-s", "negative")
    assert code == 0, err
    _, _, info = first_frame(tmp_path / "dvd.negative.mkv")
    assert info["sar"] == Fraction(32, 27)
    assert info["dar"] == Fraction(16, 9)


def test_anamorphic_and_turned_swaps_the_pixel_shape(tmp_path: Path, stylize) -> None:
    """A quarter turn turns the pixels too (ffmpeg's transpose inverts the SAR)."""
    src = marked_clip(tmp_path / "both.mp4", sar=Fraction(4, 3), rotation=-90)
    code, err = stylize(src, "-s", "negative")
    assert code == 0, err
    _, _, info = first_frame(tmp_path / "both.negative.mp4")
    assert info["size"] == (H, W)
    assert info["sar"] == Fraction(3, 4)


# --------------------------------------------------------------------------- 3. collisions


def test_two_inputs_with_one_output_name_are_refused(tmp_path: Path, stylize) -> None:
    """Defect 3: clip.avi and clip.webm both wrote clip.negative.mkv (the second overwrote
    the first, exit 0). Now the run is refused before anything is written."""
    a = marked_clip(tmp_path / "clip.avi", codec="mpeg4")
    b = marked_clip(tmp_path / "clip.webm", codec="libvpx")
    code, err = stylize(a, b, "-s", "negative")
    assert code == 2
    assert "clip.negative.mkv: both" in err and "nothing was written" in err
    one_line_each(err)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["clip.avi", "clip.webm"]


def test_same_names_in_two_folders_into_one_output_folder(tmp_path: Path, stylize) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    a, b = marked_clip(tmp_path / "a/x.mp4"), marked_clip(tmp_path / "b/x.mp4")
    code, err = stylize(a, b, "-s", "negative", "-o", f"{tmp_path / 'out'}/")
    assert code == 2 and "both" in err
    assert list((tmp_path / "out").iterdir()) == []


def test_an_input_is_never_overwritten_by_another_inputs_output(tmp_path: Path, stylize) -> None:
    """``clip.avi clip.negative.mkv``: the first one's output is the user's second input."""
    first = marked_clip(tmp_path / "clip.avi", codec="mpeg4")
    second = marked_clip(tmp_path / "clip.negative.mkv")
    before = second.read_bytes()
    code, err = stylize(first, second, "-s", "negative")
    assert code == 2 and "is an input of this run" in err
    assert second.read_bytes() == before


def test_existing_output_needs_overwrite_or_a_name(tmp_path: Path, stylize) -> None:
    src = marked_clip(tmp_path / "clip.mp4")
    out = tmp_path / "clip.negative.mp4"
    out.write_bytes(b"the user's own file")
    code, err = stylize(src, "-s", "negative")
    assert code == 2 and "already exists" in err
    assert out.read_bytes() == b"the user's own file"
    code, err = stylize(src, "-s", "negative", "-o", out)  # named: replaced
    assert code == 0, err
    assert out.read_bytes() != b"the user's own file"
    code, err = stylize(src, "-s", "negative", "--overwrite")
    assert code == 0, err


# --------------------------------------------------------------------------- 6. hostile names


def test_style_name_cannot_steer_the_output_path_or_the_terminal(tmp_path: Path, capsys) -> None:
    """Defect 6: a style named ``../../../../tmp/escaped`` had its output written outside
    the output folder; escape codes and newlines reached file names and the terminal."""
    styles = tmp_path / "styles"
    styles.mkdir()
    hostile = "../../../../" + str(tmp_path / "escaped").lstrip("/") + "\x1b[31m\nred"
    write_toy_style(styles / "evil.onnx", name=hostile, title="Evil\x1b]0;pwned\x07")
    (tmp_path / "in").mkdir()
    src = marked_clip(tmp_path / "in/clip.mp4")
    code = main(["stylize", str(src), "-s", str(styles / "evil.onnx"), "--engine", "cpu"])
    err = capsys.readouterr().err
    assert code == 0, err
    made = [p for p in (tmp_path / "in").iterdir() if p != src]
    assert len(made) == 1 and made[0].suffix == ".mp4"
    assert "/" not in made[0].name[len("clip."):] and "\x1b" not in made[0].name and "\n" not in made[0].name
    assert not (tmp_path / "escaped").exists() and not list(tmp_path.glob("escaped*"))
    assert "\x1b" not in err
    one_line_each(err)
    main(["styles", "--styles-dir", str(styles)])
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\x07" not in out


# --------------------------------------------------------------------------- 7. tracebacks


def test_output_folder_that_cannot_be_made_is_one_line(tmp_path: Path, stylize) -> None:
    src = marked_clip(tmp_path / "clip.mp4")
    (tmp_path / "file.txt").write_text("x")
    code, err = stylize(src, "-s", "negative", "-o", f"{tmp_path / 'file.txt' / 'new'}/")
    assert code == 2 and "cannot create the folder" in err
    one_line_each(err)


def _odd_style(path: Path, *, float_input: bool = False, two_inputs: bool = False, op: str = "Identity") -> Path:
    """A file with stylecam metadata whose graph is not a style's (float or two inputs, or
    an operator no runtime knows)."""
    import onnx
    from onnx import TensorProto, helper

    from stylecam.models.style.format import FORMAT, INPUT_NAME, OUTPUT_NAME

    kind = TensorProto.FLOAT if float_input else TensorProto.UINT8
    inputs = [helper.make_tensor_value_info(INPUT_NAME, kind, ["h", "w", 3])]
    if two_inputs:
        inputs.append(helper.make_tensor_value_info("style_weights", kind, [1]))
    out = helper.make_tensor_value_info(OUTPUT_NAME, kind, ["h", "w", 3])
    graph = helper.make_graph([helper.make_node(op, [INPUT_NAME], [OUTPUT_NAME])], "g", inputs, [out])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)])
    model.ir_version = 9
    for k, v in {"stylecam.format": FORMAT, "stylecam.name": path.stem, "stylecam.title": "x",
                 "stylecam.arch": "toy"}.items():
        entry = model.metadata_props.add()
        entry.key, entry.value = k, v
    onnx.save(model, str(path))
    return path


@pytest.mark.parametrize("kind", ["float_input", "two_inputs"])
def test_style_graph_that_is_not_a_style_is_one_line_under_auto(tmp_path: Path, stylize, kind: str) -> None:
    """Defect 7: ``auto``'s timing caught only StyleError, so a float or second input was a traceback."""
    style = _odd_style(tmp_path / f"{kind}.onnx", **{kind: True})
    src = marked_clip(tmp_path / "clip.mp4")
    code, err = stylize(src, "-s", style, engine="auto")
    assert code == 1 and "not a stylecam style" in err
    one_line_each(err)
    assert not (tmp_path / f"clip.{kind}.mp4").exists()


@pytest.mark.parametrize("engine", ["openvino", "cpu"])
def test_runtime_errors_are_one_line(tmp_path: Path, stylize, engine: str) -> None:
    """Defect 14: OpenVINO's and ONNX Runtime's errors span several lines; ours are one."""
    style = _odd_style(tmp_path / "badop.onnx", op="NoSuchOp")
    src = marked_clip(tmp_path / "clip.mp4")
    code, err = stylize(src, "-s", style, engine=engine)
    assert code == 1 and "NoSuchOp" in err and "badop.onnx" in err
    assert len([line for line in err.splitlines() if line.strip()]) == 1, err


@pytest.mark.parametrize("delay", [0.5, 1.0])
def test_ctrl_c_while_starting_is_one_line(tmp_path: Path, toy_styles_dir: Path, delay: float) -> None:
    """Defect 7: Ctrl-C during the first second (imports, engine start) gave a traceback."""
    src = marked_clip(tmp_path / "clip.mp4", frames=50)
    proc = subprocess.Popen([sys.executable, "-m", "stylecam", "stylize", str(src), "-s", "negative", "--styles-dir",
                             str(toy_styles_dir), "--engine", "auto"], stderr=subprocess.PIPE, text=True,
                            preexec_fn=default_sigint)
    time.sleep(delay)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert "Traceback" not in err, err
    assert proc.returncode in (0, 130, -signal.SIGINT), err  # done already, caught, or before Python ran
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


# --------------------------------------------------------------------------- 8. truncation


@pytest.mark.parametrize(("suffix", "codec", "audio"), [(".mkv", "libx264", True), (".webm", "libvpx", False),
                                                        (".avi", "mpeg4", False)])
def test_truncated_mkv_webm_avi_are_said_to_be(tmp_path: Path, suffix: str, codec: str, audio: bool) -> None:
    """Defect 8: a truncated MKV/WebM/AVI passed as complete (391 of 795 frames, exit 0)."""
    full = write_media_clip(tmp_path / f"full{suffix}", 96, 64, seconds=3, audio=audio, codec=codec)
    cut = tmp_path / f"cut{suffix}"
    cut.write_bytes(full.read_bytes()[: full.stat().st_size // 2])
    with VideoReader(full) as r:
        for _ in r.items():
            pass
        assert not r.truncated
    with VideoReader(cut) as r:
        n = sum(1 for item in r.items() if not isinstance(item, av.Packet))
        assert 0 < n < 75 and r.truncated


def test_truncated_avi_warns_in_the_command(tmp_path: Path, stylize) -> None:
    full = write_media_clip(tmp_path / "full.avi", 96, 64, seconds=3, audio=False, codec="mpeg4")
    cut = tmp_path / "cut.avi"
    cut.write_bytes(full.read_bytes()[: full.stat().st_size // 2])
    code, err = stylize(cut, "-s", "negative")
    assert code == 0 and "truncated" in err and "of ~75" in err
    one_line_each(err)


# --------------------------------------------------------------------------- 9. temp files


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP])
def test_term_and_hup_leave_no_temporary_file(tmp_path: Path, toy_styles_dir: Path, sig: int) -> None:
    """Defect 9: SIGTERM/SIGHUP left a hidden ``.tmp.mp4`` behind."""
    src = marked_clip(tmp_path / "clip.mp4", frames=400, size=(320, 240))
    proc = subprocess.Popen([sys.executable, "-m", "stylecam", "stylize", str(src), "-s", "negative", "--styles-dir",
                             str(toy_styles_dir), "--engine", "cpu", "--preset", "slow"],
                            stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONFAULTHANDLER": "1"})  # a crash says where
    for _ in range(3000):  # until the temporary file exists: the signal lands mid-encode
        if any(".tmp" in p.name for p in tmp_path.iterdir()) or proc.poll() is not None:
            break
        time.sleep(0.01)
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 128 + sig, err
    assert f"stopped by {signal.Signals(sig).name}" in err and "Traceback" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["clip.mp4"]


def test_failed_final_rename_leaves_nothing(tmp_path: Path, stylize) -> None:
    """Defect 9: when the final rename failed the temporary file stayed."""
    src = marked_clip(tmp_path / "clip.mp4")
    blocker = tmp_path / "clip.negative.mp4"
    blocker.mkdir()
    (blocker / "keep").write_text("x")  # a non-empty folder cannot be replaced by a file
    code, err = stylize(src, "-s", "negative", "--overwrite")
    assert code == 1 and "cannot move the finished video into place" in err
    one_line_each(err)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["clip.mp4", "clip.negative.mp4"]
    assert (blocker / "keep").read_text() == "x"


# --------------------------------------------------------------------------- 11. styles table


def test_styles_table_is_bounded_by_the_terminal_not_by_a_title(tmp_path: Path, capsys, monkeypatch) -> None:
    """Defect 11: one 5 MB title padded every row to 5 MB (140 MB printed)."""
    styles = tmp_path / "styles"
    styles.mkdir()
    write_toy_style(styles / "huge.onnx", name="huge", title="T" * 5_000_000)
    write_toy_style(styles / "plain.onnx", name="plain", title="Plain")
    monkeypatch.setenv("COLUMNS", "100")
    assert main(["styles", "--styles-dir", str(styles)]) == 0
    out = capsys.readouterr().out
    assert len(out) < 5000
    table = [line for line in out.splitlines() if line.startswith(("huge", "plain", "name"))]
    assert len(table) >= 3 and max(len(line) for line in table) <= 130


# --------------------------------------------------------------------------- 13. help and auto


def test_help_texts_are_clean(capsys) -> None:
    """Defect 13: ``export --help`` showed ``0.1%%``; ``train --help`` ``(default: NAME) (default: )``
    and no defaults for ``--iterations`` or the weights; ``.avi``/``.webm`` -> ``.mkv`` unsaid."""
    texts = {}
    for cmd in ("export", "train", "stylize"):
        with pytest.raises(SystemExit):
            main([cmd, "--help"])
        texts[cmd] = " ".join(capsys.readouterr().out.split())
    assert "%%" not in texts["export"]
    assert "(default: )" not in texts["train"]
    assert "(default: 40000)" in texts["train"] and "100 hours" in texts["train"]
    assert "--style-weight STYLE_WEIGHT" in texts["train"] and "(default: 1e-05)" in texts["train"]
    assert ".mkv" in texts["stylize"] and "--overwrite" in texts["stylize"]


def test_auto_choice_does_not_flip_on_timing_noise() -> None:
    """Defect 13: ``auto`` picked int8 or f32 at random between runs. A less preferred
    engine must now be clearly (15%) faster than every one before it to be chosen."""
    from stylecam.models.runtime.engines import _prefer_stable

    for noise in (0.95, 1.0, 1.05, 1.1):
        assert _prefer_stable([(0.010, "openvino f32"), (0.010 * noise, "openvino int8"), (0.02, "cpu")])[0][1] \
            == "openvino f32"
    assert _prefer_stable([(0.010, "openvino f32"), (0.008, "openvino int8"), (0.02, "cpu")])[0][1] == "openvino int8"
    assert _prefer_stable([(0.010, "f32"), (0.008, "int8"), (0.0075, "cpu")])[0][1] == "int8"


# --------------------------------------------------------------------------- 14. smaller ones


def test_read_only_output_folder_names_the_output_not_a_temp(tmp_path: Path, stylize) -> None:
    import tempfile

    try:  # /sys refuses new files, even to root
        os.remove(tempfile.mkstemp(dir="/sys")[1])
        pytest.skip("needs a read-only folder (/sys on Linux)")
    except OSError:
        pass
    src = marked_clip(tmp_path / "clip.mp4")
    code, err = stylize(src, "-s", "negative", "-o", "/sys/")
    assert code == 1 and "/sys/clip.negative.mp4: cannot write in /sys" in err
    assert ".tmp" not in err and f"{src}:" not in err
    one_line_each(err)


def test_unreadable_input_is_not_called_corrupt(tmp_path: Path, stylize) -> None:
    if os.geteuid() == 0:
        pytest.skip("root reads every file")
    src = marked_clip(tmp_path / "clip.mp4")
    src.chmod(0)
    code, err = stylize(src, "-s", "negative")
    assert code == 1 and "permission denied" in err and "corrupt" not in err


def test_dash_file_name_error_says_what_to_do(tmp_path: Path, toy_styles_dir: Path, monkeypatch, capsys) -> None:
    monkeypatch.chdir(tmp_path)
    marked_clip(tmp_path / "-x.mp4")
    with pytest.raises(SystemExit):
        main(["stylize", "-x.mp4", "-s", "negative"])
    err = capsys.readouterr().err
    assert "-x.mp4: a file name starting with '-'" in err and "./-x.mp4" in err
    assert len(err.strip().splitlines()) == 1
    assert main(["stylize", "./-x.mp4", "-s", "negative", "--styles-dir", str(toy_styles_dir), "--engine", "cpu"]) == 0


def test_missing_styles_dir_is_an_error(tmp_path: Path, stylize) -> None:
    src = marked_clip(tmp_path / "clip.mp4")
    code, err = stylize(src, "-s", "negative", "--styles-dir", tmp_path / "nonexistent")
    assert code == 2 and "nonexistent: no such folder" in err


def test_missing_styles_dir_is_an_error_for_styles_and_gui(tmp_path: Path, capsys) -> None:
    missing = str(tmp_path / "nonexistent")
    assert main(["styles", "--styles-dir", missing]) == 2
    assert main(["gui", "--styles-dir", missing]) == 2
    err = capsys.readouterr().err
    assert err.count("nonexistent: no such folder") == 2


def test_broken_cpu_version_is_mentioned_when_auto_falls_back(tmp_path: Path, capsys) -> None:
    styles = tmp_path / "styles"
    styles.mkdir()
    write_toy_style(styles / "neg.onnx", name="neg")
    (styles / "neg.cpu.onnx").write_bytes(b"garbage, not a model")
    src = marked_clip(tmp_path / "clip.mp4")
    code = main(["stylize", str(src), "-s", "neg", "--styles-dir", str(styles), "--engine", "auto"])
    err = capsys.readouterr().err
    assert code == 0, err
    assert "warning" in err and "neg.cpu.onnx" in err and "running the full net" in err


def test_alpha_and_subtitles_dropped_with_a_word(tmp_path: Path, stylize) -> None:
    src = marked_clip(tmp_path / "logo.mkv", codec="ffv1", pix_fmt="yuva420p", subtitle=True)
    code, err = stylize(src, "-s", "negative")
    assert code == 0, err
    assert "alpha channel" in err and "1 subtitle stream" in err and "not kept" in err
    one_line_each(err)


def test_train_defaults_on_a_cpu_are_estimated_up_front() -> None:
    """Defect 13: ``train``'s defaults (johnson, 40k iterations) take ~100 hours on a CPU,
    and nothing said so before the run started."""
    from stylecam.training.cli import cpu_cost_warning

    text = cpu_cost_warning("johnson", "cpu", 40_000, 256, 4)
    assert text is not None and "88-143 hours" in text and "--arch lite" in text
    assert cpu_cost_warning("johnson", "cuda", 40_000, 256, 4) is None
    assert cpu_cost_warning("lite", "cpu", 1500, 160, 2) is None
