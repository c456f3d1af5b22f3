"""Checkpoints round-trip exactly, and corrupt or foreign files give clear errors."""

import json
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
from safetensors.torch import load_file, save_file  # noqa: E402

from stylecam.models.errors import StyleError  # noqa: E402
from stylecam.models.nets import checkpoint as ckpt  # noqa: E402
from stylecam.models.nets.registry import create_model  # noqa: E402

META = {"arch": "lite", "style": {"name": "t", "title": "T"}, "recipe": {"lr": 1e-3}, "command": "stylecam train x"}


def _saved(tmp_path):
    net = create_model("lite")
    meta = {**META, "config": net.config}
    path = ckpt.save(tmp_path / "t.safetensors", net, meta, {"0.exp_avg": torch.ones(3)})
    return net, path


def test_round_trip_weights_and_metadata(tmp_path):
    net, path = _saved(tmp_path)
    loaded = ckpt.load(path)
    for k, v in net.state_dict().items():
        assert torch.equal(v, loaded.net.state_dict()[k])
    assert loaded.meta["style"]["title"] == "T"
    assert loaded.meta["command"] == "stylecam train x"
    assert torch.equal(loaded.optimizer_state["0.exp_avg"], torch.ones(3))
    assert not list(tmp_path.glob("*.tmp"))


@pytest.mark.parametrize("content,problem", [
    (b"", "not a safetensors checkpoint"),
    (b"\x00" * 100, "not a safetensors checkpoint"),
    (b"garbage that is not safetensors at all", "not a safetensors checkpoint"),
])
def test_corrupt_file(tmp_path, content, problem):
    path = tmp_path / "bad.safetensors"
    path.write_bytes(content)
    with pytest.raises(StyleError, match=problem) as e:
        ckpt.load(path)
    assert "bad.safetensors" in str(e.value)


def test_truncated_file(tmp_path):
    _, path = _saved(tmp_path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(StyleError, match="t.safetensors"):
        ckpt.load(path)


def test_foreign_safetensors(tmp_path):
    path = tmp_path / "foreign.safetensors"
    save_file({"w": torch.zeros(2)}, str(path))
    with pytest.raises(StyleError, match="not a stylecam checkpoint"):
        ckpt.load(path)


def test_weights_that_do_not_fit_the_architecture(tmp_path):
    path = tmp_path / "mismatch.safetensors"
    meta = {"format": ckpt.FORMAT, "arch": "lite", "config": {}}
    save_file({"enc1.1.weight": torch.zeros(2)}, str(path), metadata={"stylecam": json.dumps(meta)})
    with pytest.raises(StyleError, match="do not match architecture 'lite'"):
        ckpt.load(path)


def test_missing_file(tmp_path):
    with pytest.raises(StyleError, match="no such file"):
        ckpt.load(tmp_path / "nope.safetensors")


# The config every lite checkpoint recorded when one TransformNet took a flag per choice.
OLD_LITE_CONFIG = {"channels": [16, 32, 64], "blocks": 5, "first_kernel": 5, "last_kernel": 3, "first_stride": 2,
                   "norm": "instance", "upsample": "nearest", "output": "linear", "separable": True,
                   "separable_encoder": False, "separable_output": False, "smooth": "full"}


def test_a_checkpoint_with_the_old_flags_loads_as_todays_class(tmp_path):
    net = create_model("lite")
    path = ckpt.save(tmp_path / "old.safetensors", net, {**META, "config": OLD_LITE_CONFIG})
    loaded = ckpt.load(path)
    assert loaded.net.config == {"channels": (16, 32, 64), "blocks": 5}
    x = torch.rand(1, 3, 21, 30)
    with torch.no_grad():
        assert torch.equal(net.eval()(x), loaded.net(x))


def test_an_old_flag_no_class_has_is_refused_by_name(tmp_path):
    path = ckpt.save(tmp_path / "odd.safetensors", create_model("lite"),
                     {**META, "config": {**OLD_LITE_CONFIG, "separable_output": True}})
    with pytest.raises(StyleError, match="separable_output=True") as e:
        ckpt.load(path)
    assert e.value.path == path


BUNDLED = sorted((Path(__file__).resolve().parents[1] / "models").glob("*/checkpoints/**/*.safetensors"))


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_bundled_checkpoint_loads_strictly(path):
    """Same parameter names as when they were trained (load_state_dict is strict)."""
    net = ckpt.load(path).net
    stored = {k for k in load_file(str(path)) if not k.startswith("optimizer/")}  # Adam's state aside
    assert set(net.state_dict()) == stored
