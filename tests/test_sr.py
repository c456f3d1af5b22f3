"""Super-resolution nets, their training and their export (models/nets/sr.py, training/sr.py,
export/sr_export.py), and how the catalog tells an upscaler from a style."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from stylecam.models.errors import StyleError
from stylecam.models.nets import checkpoint as ckpt
from stylecam.models.nets.registry import create_model, list_models
from stylecam.models.nets.sr import bicubic_subpixel_kernels


def _perturbed(arch: str, factor: int = 4, seed: int = 0, **config) -> torch.nn.Module:
    """An untrained net whose learned path is not zero (untrained nets start as bicubic)."""
    torch.manual_seed(seed)
    net = create_model(arch, factor=factor, **config).eval()
    with torch.no_grad():
        for p in net.parameters():
            p.add_(0.05 * torch.randn_like(p))
    return net


@pytest.mark.parametrize("arch", ["sr", "srfast"])
@pytest.mark.parametrize("factor", [4, 8])
def test_nets_scale_every_size_exactly(arch: str, factor: int) -> None:
    assert arch in list_models("upscaler") and arch not in list_models()  # never iterated as a style
    net = create_model(arch, factor=factor).eval()
    for h, w in ((16, 16), (23, 31), (40, 17)):
        with torch.no_grad():
            y = net(torch.rand(2, 3, h, w))
        assert y.shape == (2, 3, h * factor, w * factor)


def test_sr_has_log2_factor_learned_stages_and_the_paper_variant() -> None:
    from stylecam.models.nets.layers import TransposedUpsample, UpsampleConv

    for factor, stages in ((4, 2), (8, 3)):
        net = create_model("sr", factor=factor)
        assert sum(isinstance(m, UpsampleConv) for m in net.modules()) == stages
    paper = create_model("sr", variant="paper")
    assert sum(isinstance(m, TransposedUpsample) for m in paper.modules()) == 2
    assert not any(isinstance(m, UpsampleConv) for m in paper.modules())
    assert paper.output == "tanh" and paper.skip == "none"
    with pytest.raises(ValueError):
        create_model("sr", factor=3)


@pytest.mark.parametrize("arch", ["sr", "srfast"])
def test_untrained_nets_are_bicubic_interpolation(arch: str) -> None:
    """Both start from bicubic (sr: a zero-initialised residual over a bicubic skip;
    srfast: sub-pixel kernels equal to bicubic weights), away from the border."""
    net = create_model(arch, factor=4).eval()
    x = torch.rand(1, 3, 30, 40)
    with torch.no_grad():
        y = net(x)
    ref = F.interpolate(x, scale_factor=4, mode="bicubic", align_corners=False)
    assert (y - ref)[..., 12:-12, 12:-12].abs().max() < 1e-5


def test_bicubic_subpixel_kernels_sum_to_one() -> None:
    k = bicubic_subpixel_kernels(8)
    assert k.shape == (64, 5, 5)
    assert torch.allclose(k.sum(dim=(1, 2)), torch.ones(64), atol=1e-6)


@pytest.mark.parametrize("arch", ["sr", "srfast"])
def test_swap_colours_maps_bgr_to_bgr_exactly(arch: str) -> None:
    net = _perturbed(arch)
    x = torch.rand(1, 3, 20, 24)
    with torch.no_grad():
        assert torch.allclose(net.swap_colours()(x.flip(1)).flip(1), net(x), rtol=1e-4, atol=1e-4)


def test_srfast_does_all_its_work_at_the_input_resolution() -> None:
    net = create_model("srfast", factor=4).eval()
    sizes = []
    hooks = [m.register_forward_hook(lambda m, i, o: sizes.append(o.shape[-2:]))
             for m in net.modules() if isinstance(m, torch.nn.Conv2d)]
    with torch.no_grad():
        net(torch.rand(1, 3, 24, 32))
    for h in hooks:
        h.remove()
    assert sizes and all(tuple(s) == (24, 32) for s in sizes)


# --------------------------------------------------------------------------- training


def test_degrade_blurs_then_downsamples() -> None:
    from stylecam.training.sr import degrade

    hr = torch.rand(1, 3, 64, 64, generator=torch.Generator().manual_seed(0))  # detail finer than 16x16 holds
    lr = degrade(hr, 4, 1.0)
    assert lr.shape == (1, 3, 16, 16) and 0.0 <= float(lr.min()) and float(lr.max()) <= 1.0
    no_blur = degrade(hr, 4, 0.0)
    assert float(lr.std()) < 0.5 * float(no_blur.std())  # the blur removes what would alias
    assert abs(float(lr.mean()) - float(hr.mean())) < 0.02
    with pytest.raises(ValueError):
        degrade(torch.zeros(1, 3, 30, 30), 4)


def _photos(folder: Path, n: int = 4) -> Path:
    folder.mkdir()
    rng = np.random.default_rng(0)
    for i in range(n):
        img = cv2.GaussianBlur(rng.integers(0, 256, (80, 96, 3), dtype=np.uint8), (0, 0), 2)
        cv2.imwrite(str(folder / f"p{i}.png"), img)
    cv2.imwrite(str(folder / "held_out.png"), np.zeros((80, 96, 3), np.uint8))
    return folder


def test_train_sr_writes_an_upscaler_checkpoint_and_resumes(tmp_path: Path) -> None:
    from stylecam.app.cli import main

    data = _photos(tmp_path / "photos")
    out = tmp_path / "runs"
    args = ["train-sr", "--data", str(data), "--factor", "4", "--loss", "pixel", "--arch", "srfast",
            "--image-size", "32", "--batch-size", "2", "--out", str(out), "--name", "tiny", "--exclude", "held_*",
            "--log-every", "1", "--checkpoint-every", "1", "--preview-every", "2"]
    assert main([*args, "--iterations", "2"]) == 0
    path = out / "tiny.safetensors"
    meta = ckpt.read_metadata(path)
    assert meta["kind"] == "upscaler" and meta["factor"] == 4 and meta["iteration"] == 2
    assert meta["recipe"]["loss"] == "pixel" and meta["recipe"]["exclude"] == ["held_*"]
    assert meta["recipe"]["train_images"] == 4 and meta["recipe"]["blur_sigma"] == 1.0
    assert "train-sr" in meta["command"] and len(meta["loss_history"]) == 2
    assert (out / "previews" / "tiny_000002.png").is_file()
    assert main([*args, "--iterations", "3", "--resume", str(path)]) == 0
    meta = ckpt.read_metadata(path)
    assert meta["iteration"] == 3 and len(meta["earlier_commands"]) == 1


def test_train_sr_feature_loss_uses_vgg_only_to_relu2_2(tmp_path: Path) -> None:
    from stylecam.training.sr import SROptions, SRTrainer
    from stylecam.training.sr_recipe import SRRecipe

    data = _photos(tmp_path / "photos", 2)
    recipe = SRRecipe(arch="srfast", image_size=32, batch_size=1, iterations=1)
    trainer = SRTrainer(SROptions(data=data, name="f", out=tmp_path / "o", recipe=recipe, progress=False))
    assert trainer.vgg.names[-1] == "relu2_2"  # blocks 1-2 only, nothing deeper
    terms = trainer.losses(trainer.crops.batch())
    assert float(terms["content"].detach()) > 0 and float(terms["pixel"]) == 0
    assert torch.isfinite(terms["total"].detach())


def test_train_sr_contextual_loss_trains(tmp_path: Path) -> None:
    from stylecam.training.sr import SROptions, SRTrainer
    from stylecam.training.sr_recipe import SRRecipe

    data = _photos(tmp_path / "photos", 2)
    recipe = SRRecipe(arch="srfast", loss="contextual", image_size=32, batch_size=1, iterations=1)
    trainer = SRTrainer(SROptions(data=data, name="c", out=tmp_path / "o", recipe=recipe, progress=False))
    terms = trainer.losses(trainer.crops.batch())
    cx = terms.get("contextual", terms["content"]).detach()
    assert 0 < float(cx) < 50 and torch.isfinite(terms["total"].detach())
    terms["total"].backward()
    assert any(p.grad is not None and p.grad.abs().sum() > 0 for p in trainer.net.parameters())


def test_grid_loss_sees_a_phase_pattern_and_not_natural_error() -> None:
    """A 4-px pattern of 1 level costs ~1 level^2; the same error scattered at random (no
    preferred phase) costs ~0; an error on all phases alike (a brightness shift) costs 0."""
    from stylecam.training.sr import grid_loss

    g = torch.Generator().manual_seed(0)
    target = torch.rand(2, 3, 64, 64, generator=g)
    sign = torch.tensor([1.0, 1.0, -1.0, -1.0])
    pattern = torch.outer(sign, sign).repeat(16, 16) / 255.0  # +-1 level, period 4 (flat over 2x2 phases)
    assert float(grid_loss(target + pattern, target, 4)) == pytest.approx(1.0, rel=1e-3)
    scattered = pattern.flatten()[torch.randperm(64 * 64, generator=g)].reshape(64, 64)
    assert float(grid_loss(target + scattered, target, 4)) < 0.05
    assert float(grid_loss(target + 3 / 255.0, target, 4)) == pytest.approx(0.0, abs=1e-6)
    assert float(grid_loss(target + pattern, target, 2)) == pytest.approx(0.0, abs=1e-6)  # no 2-px pattern in it


def test_train_sr_mixes_pixel_and_grid_terms_into_the_feature_loss(tmp_path: Path) -> None:
    from stylecam.training.sr import SROptions, SRTrainer, TrainError
    from stylecam.training.sr_recipe import SRRecipe

    data = _photos(tmp_path / "photos", 2)

    def total(**weights) -> tuple[dict, float]:
        torch.manual_seed(0)
        recipe = SRRecipe(arch="srfast", image_size=32, batch_size=1, iterations=1, **weights)
        trainer = SRTrainer(SROptions(data=data, name="m", out=tmp_path / "o", recipe=recipe, progress=False))
        with torch.no_grad():
            for p in trainer.net.parameters():
                p.add_(0.05 * torch.randn_like(p))  # away from bicubic, so every term is non-zero
        terms = trainer.losses(trainer.crops.batch())
        return terms, float(terms["total"].detach())

    plain, t0 = total()
    mixed, t1 = total(pixel_weight=1e6)
    assert float(plain["pixel"]) == 0 and float(mixed["pixel"].detach()) > 0
    assert t1 == pytest.approx(t0 + 1e6 * float(mixed["pixel"].detach()), rel=1e-4)
    _, t2 = total(grid_weight=1e3)
    assert t2 > t0
    with pytest.raises(TrainError, match="pixel-weight"):
        total(loss="pixel", pixel_weight=1.0)


def test_train_sr_refuses_bad_settings(tmp_path: Path, capsys) -> None:
    from stylecam.app.cli import main

    data = _photos(tmp_path / "photos", 1)
    assert main(["train-sr", "--data", str(data), "--image-size", "30", "--iterations", "1",
                 "--out", str(tmp_path / "o")]) == 2
    assert "not a multiple" in capsys.readouterr().err
    assert main(["train-sr", "--data", str(data), "--exclude", "*", "--iterations", "1",
                 "--out", str(tmp_path / "o")]) == 2
    assert "nothing left to train on" in capsys.readouterr().err


# --------------------------------------------------------------------------- export and catalog


def save_upscaler(path: Path, net: torch.nn.Module, name: str = "tiny") -> Path:
    meta = {"kind": "upscaler", "factor": net.factor, "arch": "srfast" if net.subpixel_output else "sr",
            "config": net.config, "style": {"name": name}, "recipe": {"loss": "pixel"}, "iteration": 1}
    return ckpt.save(path, net, meta)


@pytest.fixture(scope="module")
def exported(tmp_path_factory) -> dict[str, Path]:
    """A small sr and srfast upscaler (random weights), exported once for this module."""
    from stylecam.export.sr_export import export_upscaler

    folder = tmp_path_factory.mktemp("upscalers")
    files = {}
    for arch, config in (("sr", {"channels": 8, "blocks": 1}), ("srfast", {"channels": 8, "blocks": 1})):
        net = _perturbed(arch, **config)
        ck = save_upscaler(folder / f"{arch}.safetensors", net)
        out = folder / ("up.onnx" if arch == "sr" else "up.cpu.onnx")
        files[arch] = export_upscaler(ck, out, fp16=arch == "sr", report=lambda s: None)
        files[arch + "_net"] = net
    return files


@pytest.mark.parametrize("arch", ["sr", "srfast"])
def test_export_round_trip_through_onnx_runtime(exported: dict, arch: str) -> None:
    import onnxruntime as ort

    from stylecam.models.style.format import read_style_metadata

    path = exported[arch]
    meta = read_style_metadata(path)
    assert meta["kind"] == "upscaler" and meta["factor"] == 4 and meta["name"] == "up"  # named by the file
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    rng = np.random.default_rng(1)
    for h, w in ((33, 47), (64, 96)):  # dynamic size, odd sides included
        frame = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
        out = session.run(None, {"frame": frame})[0]
        assert out.shape == (h * 4, w * 4, 3) and out.dtype == np.uint8
        x = torch.from_numpy(frame[..., ::-1].copy()).permute(2, 0, 1).float().div(255).unsqueeze(0)
        with torch.no_grad():
            ref = exported[arch + "_net"](x).clamp(0, 1)[0].permute(1, 2, 0).numpy()[..., ::-1] * 255
        assert np.abs(out.astype(float) - ref).max() <= 1.01


def test_engines_run_an_upscaler_unchanged(exported: dict) -> None:
    from stylecam.models.runtime.engines import open_engine

    frame = np.random.default_rng(2).integers(0, 256, (40, 56, 3), dtype=np.uint8)
    full = open_engine(exported["sr"], "cpu", full_net=True)
    fast = open_engine(exported["sr"], "cpu")  # the CPU engines pick up up.cpu.onnx
    assert not full.cpu_version and fast.cpu_version and fast.choice.reason == "cpu-version"
    assert full.run(frame).shape == fast.run(frame).shape == (160, 224, 3)


def test_catalog_keeps_upscalers_apart_from_styles(exported: dict, tmp_path: Path) -> None:
    import shutil

    from stylecam.models.style.catalog import discover, resolve

    folder = exported["sr"].parent
    styles = [s for s in discover([folder]) if s.source == "extra"]
    assert styles == []  # an upscaler is never a style
    ups = [u for u in discover([folder], kind="upscaler") if u.source == "extra"]
    assert [(u.name, u.kind, u.factor) for u in ups] == [("up", "upscaler", 4)]
    assert ups[0].cpu_version_ok and ups[0].cpu_arch == "srfast"
    with pytest.raises(StyleError, match="is an upscaler, not a style"):
        resolve(exported["sr"])
    assert resolve(exported["sr"], kind="upscaler").factor == 4
    # a style is never an upscaler
    from stylecam.models.style import files
    from stylecam.models.style.catalog import BUNDLED_DIR

    style = next(p for p in sorted(BUNDLED_DIR.glob("*.onnx")) if not files.is_sibling(p))
    shutil.copy(style, tmp_path / style.name)
    assert [u for u in discover([tmp_path], kind="upscaler") if u.source == "extra"] == []
    with pytest.raises(StyleError, match="is a style, not an upscaler"):
        resolve(tmp_path / style.name, kind="upscaler")


def test_stylecam_styles_lists_upscalers_apart(exported: dict, capsys) -> None:
    from stylecam.app.cli import main

    assert main(["styles", "--styles-dir", str(exported["sr"].parent)]) == 0
    out = capsys.readouterr().out
    styles, _, ups = out.partition("upscalers (stylecam upscale):")
    assert ups, out
    assert "up.onnx" not in styles
    assert any(line.split()[:2] == ["up", "x4"] for line in ups.splitlines())


def test_fp16_variant_is_an_upscaler_too(exported: dict) -> None:
    from stylecam.models.style.catalog import discover
    from stylecam.models.style.files import Variant
    from stylecam.models.style.format import read_style_metadata

    half = exported["sr"].with_name("up.fp16.onnx")
    meta = read_style_metadata(half)
    assert meta["kind"] == "upscaler" and meta["precision"] == "fp16" and meta["factor"] == 4
    assert all(v > 35 for v in meta["verification"]["psnr_vs_fp32_db"].values())
    up = next(u for u in discover([exported["sr"].parent], kind="upscaler") if u.source == "extra")
    assert up.has(Variant.FP16) and up.choose("cuda").path == half


def test_export_command_writes_an_upscaler(exported: dict, tmp_path: Path, capsys) -> None:
    from stylecam.app.cli import main
    from stylecam.models.style.format import read_style_metadata

    net = _perturbed("srfast", channels=4, blocks=0)
    ck = save_upscaler(tmp_path / "c.safetensors", net, name="trained_name")
    assert main(["export", str(ck), "-o", str(tmp_path / "mine.cpu.onnx")]) == 0
    meta = read_style_metadata(tmp_path / "mine.cpu.onnx")
    assert (meta["kind"], meta["name"], meta["recipe"]["checkpoint_name"]) == ("upscaler", "mine", "trained_name")
    assert main(["export", str(ck), "--int8", "--calibration", str(tmp_path)]) == 2
