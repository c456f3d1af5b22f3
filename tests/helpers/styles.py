"""Styles and checkpoints the tests make: toy style files built with ``onnx.helper`` (no
torch: the runtime must work without it), and small real checkpoints of untrained nets
for the export tests. Test fixtures, never shipped styles."""

from __future__ import annotations

import base64
from pathlib import Path

import numpy as np

#: The bundled test photos (tests/data/*.jpg, with their sources in its README).
TEST_PHOTOS = Path(__file__).resolve().parents[1] / "data"


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


def write_toy_style_with_preview(path: Path, name: str, title: str, colour: tuple[int, int, int],
                                 channels: tuple[int, int, int] | None = None) -> Path:
    """A toy style (negative, or a channel swap) carrying a solid-colour ``preview_png``,
    so the style menu's thumbnails can be checked against a known colour."""
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


def export_test_photos() -> list[tuple[str, np.ndarray]]:
    """The bundled test photos (tests/data/*.jpg) as BGR arrays."""
    import cv2

    return [(p.name, cv2.imread(str(p))) for p in sorted(TEST_PHOTOS.glob("*.jpg"))]


def write_test_checkpoint(path: Path, arch: str, seed: int) -> Path:
    """A real checkpoint (``models.nets.checkpoint.save``) of an untrained ``arch`` net whose
    output layer is scaled to a mid-grey bias, so outputs span the 0..255 range instead of
    clamping and a comparison of two runtimes means something."""
    import torch

    from stylecam.models.nets.checkpoint import save
    from stylecam.models.nets.registry import create_model

    torch.manual_seed(seed)
    net = create_model(arch)
    with torch.no_grad():
        net.output_conv.weight.mul_(0.25)  # the net's documented last conv (models/nets/base.py)
        net.output_conv.bias.fill_(0.5)
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
    return save(path, net, meta)


def as_style_of(student: Path, teacher: Path, out: Path) -> Path:
    """The ``student`` checkpoint re-labelled as the ``teacher``'s style, saved as ``out``:
    what distilling a CPU version of that style gives (same name, same painting), without
    training one."""
    from stylecam.models.nets.checkpoint import load, save

    ck = load(student)
    meta = dict(ck.meta, style=load(teacher).meta["style"])
    return save(out, ck.net, meta)
