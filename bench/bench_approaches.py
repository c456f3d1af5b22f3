"""Issue 13: two ways to train a style on two CPU cores, compared at equal CPU time on the
Fig. 5 metric.

    python bench/bench_approaches.py train --approach a --minutes 40     # (a) perceptual
    python bench/bench_approaches.py train --approach b --minutes 40     # (b) optimiser as teacher
    python bench/bench_approaches.py eval [--photos 2] [--iterations 100] # table + docs/fig5_approaches.png
    python bench/bench_approaches.py resume --source CKPT --run-dir DIR --minutes 67.5 \
        --snapshots 62.5 65 67.5 [--periodic-weight 1e9] [--upsample bilinear]  # continue a run, changed

(a) the paper's perceptual training (training/budgeted.py: bf16 autocast, 128 px crops for
    the first 60% of the budget, then 256 px);
(b) L-BFGS targets from the photo (training/teacher.py, 50 iterations at 256 px, their CPU
    time counted), the net learns photo -> target with a pixel loss on aligned crops, then a
    perceptual fine-tune for the last 35%.
Both: johnson net, one style (default starry_night) with its recipe in training/recipe.py
STYLES, one thread, budgets in process CPU minutes; a snapshot of the net at each of
--snapshots CPU minutes. Evaluation (a separate command, so its cost is in nobody's budget):
each snapshot on held-out photos centre-cropped to 256 px, the net in fp32, output clamped
and rounded to uint8 as shipped; its loss against L-BFGS from white noise (bench/bench_fig5.py's
cached curves): the iteration matched, the ratio to L-BFGS@N, photos beaten, periodic
energy at 2 and 4 px.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import cv2  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402
from bench_fig5 import CURVES, IMAGES, curve, held_out_photos, matched_iteration  # noqa: E402

from stylecam.models.nets import checkpoint as ckpt  # noqa: E402
from stylecam.models.nets.registry import create_model  # noqa: E402
from stylecam.training.budgeted import BudgetedRun, BudgetOptions, Phase  # noqa: E402
from stylecam.training.data import read_rgb, resize_long_side, to_tensor  # noqa: E402
from stylecam.training.objective import PerceptualObjective  # noqa: E402
from stylecam.training.optimize import initial_image  # noqa: E402
from stylecam.training.pattern import PERIODS, periodic_energy_db, square  # noqa: E402
from stylecam.training.recipe import PAINTINGS, STYLES  # noqa: E402
from stylecam.training.vgg import load_vgg16  # noqa: E402

PAINTING_DIR = ROOT.parent / "shared" / "data" / "paintings"
APPROACHES = ("a", "b", "c")
LABELS = {"a": "(a) perceptual", "b": "(b) L-BFGS teacher + fine-tune", "b2": "(b) with a fresh Adam for the fine-tune",
          "c": "(c) warm start from the old johnson net + (a)", "c0": "the old johnson net (where (c) starts)",
          "long": "(a), the long run (scripts/train_styles_long.sh)",
          "long_bilinear": "the long run's net, bilinear upsampling, untrained",
          "long_bilinear_ft": "the long run's net, bilinear upsampling, + (a) (minutes after 37.4)",
          "long_bilinear_resume": "the long run resumed from 52.4 with bilinear upsampling (its Adam kept)",
          "periodic_w0": "the long run resumed from 60 (control)",
          "periodic_w1e9": "the long run resumed from 60 with periodic_weight 1e9",
          "periodic_w1e10": "the long run resumed from 60 with periodic_weight 1e10"}
# (c) starts from the style's johnson reference net, trained on the old objective (its
# recipe is in the checkpoint), so its CPU time is not in (c)'s budget: (c) measures how
# much a net that already paints is worth on the new objective, not training from scratch.
WARM_START = ROOT / "models" / "styles" / "checkpoints" / "johnson"


def phases(approach: str, minutes: float) -> list[Phase]:
    """The phase plan of an approach for a budget of ``minutes`` CPU minutes."""
    if approach in ("a", "c"):
        return [Phase("perceptual", 0.6 * minutes, 128, 4), Phase("perceptual", minutes, 256, 2)]
    return [Phase("teacher", 0.35 * minutes), Phase("pixel", 0.65 * minutes, 128, 4),
            Phase("perceptual", 0.85 * minutes, 128, 4), Phase("perceptual", minutes, 256, 2)]


def train(args: argparse.Namespace) -> None:
    torch.set_num_threads(args.threads)
    out = args.run_dir or args.out / args.approach
    opts = BudgetOptions(name=args.style, style_image=PAINTING_DIR / PAINTINGS[args.style], data=args.data, out=out,
                         recipe=STYLES[args.style], phases=phases(args.approach, args.minutes),
                         snapshots=tuple(args.snapshots), checkpoint_every=args.checkpoint_every,
                         teacher_cache=out / "targets",
                         init=WARM_START / f"{args.style}.safetensors" if args.approach == "c" else None)
    BudgetedRun(opts).run()


def resume(args: argparse.Namespace) -> None:
    """A checkpoint of a budgeted run (net, Adam moments, clock: the long run's, say) copied
    into --run-dir and continued to --minutes CPU-min under the long run's phase (perceptual,
    128 px, batch 4), with the recipe's periodic weight replaced by --periodic-weight and,
    with --upsample, another upsampling (same parameters, so the moments still fit). How
    docs/fig5.md's bilinear and periodic-penalty runs were made, beside a control."""
    from dataclasses import replace

    out = args.run_dir
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{args.style}.safetensors"
    if not path.is_file():  # the first call copies; later calls resume the copy
        start = ckpt.load(args.source)
        meta = dict(start.meta)
        net = start.net
        if args.upsample:
            meta["config"] = {**meta["config"], "upsample": args.upsample}
            net = create_model(meta["arch"], **meta["config"])
            net.load_state_dict(start.net.state_dict())
        meta["budget"] = {**meta.get("budget", {}), "snapshots_done": []}
        ckpt.save(path, net, meta, start.optimizer_state)
    torch.set_num_threads(args.threads)
    recipe = replace(STYLES[args.style], periodic_weight=args.periodic_weight)
    opts = BudgetOptions(name=args.style, style_image=PAINTING_DIR / PAINTINGS[args.style], data=args.data, out=out,
                         recipe=recipe, phases=[Phase("perceptual", args.minutes, 128, 4)],
                         snapshots=tuple(args.snapshots), checkpoint_every=args.checkpoint_every,
                         teacher_cache=out / "targets")
    BudgetedRun(opts).run()


def snapshots(folder: Path, style: str) -> list[tuple[float, Path]]:
    out = []
    for p in sorted(folder.glob(f"{style}_cpu*.safetensors")):
        out.append((float(p.stem.split("_cpu")[1]), p))
    return sorted(out)


def run_net(path: Path, rgb: np.ndarray) -> np.ndarray:
    net = ckpt.load(path).net.eval()
    with torch.no_grad():
        y = net(to_tensor(rgb)).clamp(0, 1)
    return (y[0].permute(1, 2, 0).numpy() * 255 + 0.5).astype(np.uint8)


def evaluate(args: argparse.Namespace) -> None:
    torch.set_num_threads(args.threads)
    recipe = STYLES[args.style]
    r = {**recipe.to_dict(), "style_image": PAINTINGS[args.style]}
    photos = held_out_photos(ROOT.parent / "shared" / "data" / "photos", args.photos, [args.data])
    vgg = load_vgg16(sorted({recipe.content_layer, *recipe.style_layers}))
    style_t = to_tensor(resize_long_side(read_rgb(PAINTING_DIR / PAINTINGS[args.style]), recipe.style_size))
    rows: dict[str, list[dict]] = {}
    unmodified, curves, own_spec = [], [], []
    runs = {a: args.out / a for a in APPROACHES if (args.out / a).is_dir()} | {Path(d).name: Path(d) for d in args.extra}
    snaps = {a: snapshots(folder, args.style) for a, folder in runs.items()}  # once: runs may add more meanwhile
    for photo in photos:
        rgb = square(read_rgb(photo), args.size)
        content = to_tensor(rgb)
        obj = PerceptualObjective.from_recipe(vgg, content, style_t, r)
        key = {"style": args.style, "photo": photo.name, "size": args.size, "painting": PAINTINGS[args.style],
               "weights": list(obj.weights), "content_layer": obj.content_layer,
               "style_layers": list(obj.style_layers), "reduction": obj.style_reduction,
               "style_size": recipe.style_size, "init": "noise", "seed": 0}
        if obj.style_layer_weights:
            key["layer_weights"] = obj.style_layer_weights
        curves.append(curve(args.cache, key, obj, initial_image("noise", content, 0), args.iterations,
                            f"{args.style} {photo.stem} noise", images=args.images))
        with torch.no_grad():
            unmodified.append(float(obj(content)))
        own_spec.append([periodic_energy_db(rgb, p) for p in PERIODS])
        for a in runs:
            rows.setdefault(a, [])
            for i, (minutes, path) in enumerate(snaps[a]):
                # a snapshot never changes: its figures are cached beside it
                done = runs[a] / f"eval_{photo.stem}_{args.size}_{minutes:05.1f}.json"
                if done.is_file():
                    got = json.loads(done.read_text())
                    loss, spec = got["loss"], got["spec"]
                else:
                    y = run_net(path, rgb)
                    cv2.imwrite(str(done.with_suffix(".png")), cv2.cvtColor(y, cv2.COLOR_RGB2BGR))
                    with torch.no_grad():
                        loss = float(obj(to_tensor(y)))
                    spec = [periodic_energy_db(y, p) for p in PERIODS]
                    done.write_text(json.dumps({"loss": loss, "spec": spec}))
                if len(rows[a]) <= i:
                    history = ckpt.read_metadata(path).get("loss_history") or [{"phase": "?"}]
                    rows[a].append({"minutes": minutes, "phase": history[-1].get("phase", "?"), "loss": [], "spec": []})
                rows[a][i]["loss"].append(loss)
                rows[a][i]["spec"].append(spec)
    at = min(args.iterations, min(len(c) for c in curves) - 1)
    print(f"### {args.style}, {args.size} px, held-out photos: {', '.join(p.name for p in photos)}\n")
    print(f"L-BFGS from white noise to {at} iterations. Loss = the style's recipe objective "
          f"(training/recipe.py STYLES). Median over photos.\n")
    print(f"| approach | CPU min | phase | loss (median) | matched, from noise | / L-BFGS@{at} | beats photo | "
          "periodic 2 px dB | periodic 4 px dB |")
    print("|---|---|---|---|---|---|---|---|---|")
    series = {}
    for a in runs:
        pts = []
        for row in rows[a]:
            ls = row["loss"]
            m = [matched_iteration(c, v) for c, v in zip(curves, ls, strict=True)]
            m_txt = f"{statistics.median(at + 1 if v is None else v for v in m):g}"
            ratio = statistics.median(v / c[at] for v, c in zip(ls, curves, strict=True))
            beats = sum(v < u for v, u in zip(ls, unmodified, strict=True))
            spec = [statistics.median(s[j] for s in row["spec"]) for j in range(len(PERIODS))]
            print(f"| {LABELS.get(a, a)} | {row['minutes']:g} | {row['phase']} | {statistics.median(ls):.4g} | "
                  f"{m_txt if m_txt != str(at + 1) else f'>{at}'} | {ratio:.2f} | {beats}/{len(ls)} | "
                  f"{spec[0]:+.1f} | {spec[1]:+.1f} |")
            pts.append((row["minutes"], ratio))
        series[LABELS.get(a, a)] = pts
    u_ratio = statistics.median(v / c[at] for v, c in zip(unmodified, curves, strict=True))
    own = [statistics.median(s[j] for s in own_spec) for j in range(len(PERIODS))]
    print(f"| unmodified photo | | | {statistics.median(unmodified):.4g} | "
          f"{statistics.median(matched_iteration(c, v) or 0 for c, v in zip(curves, unmodified, strict=True)):g} | "
          f"{u_ratio:.2f} | | {own[0]:+.1f} | {own[1]:+.1f} |")
    marks = [i for i in (0, 10, 25, 50, 100, 200) if i <= at]
    print("\nL-BFGS from noise, median loss: " + ", ".join(
        f"@{i} {statistics.median(c[i] for c in curves):.4g}" for i in marks))
    plot(args.plot, series, u_ratio, at, args.style)
    print(f"\nwrote {args.plot}")


def plot(path: Path, series: dict[str, list[tuple[float, float]]], photo_ratio: float, at: int, style: str) -> None:
    """Net loss / L-BFGS@at (log) against CPU minutes, one line per approach (OpenCV; no
    matplotlib in the environment)."""
    y0 = 36 + 18 * len(series)  # the legend sits above the frame, a line per series
    w, h, x0, x1, y1 = 640, y0 + 350, 70, 620, y0 + 300
    img = np.full((h, w, 3), 255, np.uint8)
    font = cv2.FONT_HERSHEY_SIMPLEX
    values = [v for pts in series.values() for _, v in pts] + [photo_ratio, 1.0]
    lo, hi = np.log10(min(values)) - 0.05, np.log10(max(values)) + 0.05
    tmax = max([m for pts in series.values() for m, _ in pts] + [1.0])

    def xy(m: float, v: float) -> tuple[int, int]:
        return int(x0 + (x1 - x0) * m / tmax), int(y1 - (y1 - y0) * (np.log10(v) - lo) / (hi - lo))

    cv2.rectangle(img, (x0, y0), (x1, y1), (0, 0, 0), 1)
    cv2.putText(img, f"{style}: net loss / L-BFGS@{at} (median, 256 px) vs training CPU minutes",
                (10, 20), font, 0.45, (0, 0, 0), 1, cv2.LINE_AA)
    for v in (0.5, 1, 1.5, 2, 3, 5, 10, 20):
        if lo <= np.log10(v) <= hi:
            _, y = xy(0, v)
            cv2.line(img, (x0, y), (x1, y), (225, 225, 225), 1)
            cv2.putText(img, f"{v:g}", (x0 - 35, y + 4), font, 0.4, (60, 60, 60), 1, cv2.LINE_AA)
    for m in range(0, int(tmax) + 1, 5 if tmax <= 60 else 30):
        x, _ = xy(m, 10 ** lo)
        cv2.putText(img, str(m), (x - 6, y1 + 16), font, 0.4, (0, 0, 0), 1, cv2.LINE_AA)
    _, y = xy(0, photo_ratio)
    for xs in range(x0, x1, 12):
        cv2.line(img, (xs, y), (xs + 6, y), (110, 110, 110), 1)
    cv2.putText(img, "unmodified photo", (x1 - 130, y - 5), font, 0.4, (110, 110, 110), 1, cv2.LINE_AA)
    colours = [(200, 90, 20), (30, 30, 210), (0, 150, 0), (160, 0, 160), (0, 120, 200), (90, 90, 90), (120, 60, 0),
               (0, 0, 120)]
    for k, (label, pts) in enumerate(series.items()):
        c = colours[k % len(colours)]
        if pts:
            p = np.array([xy(m, v) for m, v in pts], np.int32)
            cv2.polylines(img, [p], False, c, 2, cv2.LINE_AA)
            for q in p:
                cv2.circle(img, tuple(int(t) for t in q), 3, c, -1)
        cv2.putText(img, label, (10, 40 + 18 * k), font, 0.45, c, 1, cv2.LINE_AA)  # above the frame
    cv2.putText(img, "training CPU minutes (process time, 1 thread)", (x0 + 150, y1 + 36), font, 0.4, (0, 0, 0), 1,
                cv2.LINE_AA)
    path.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(path), img)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("command", choices=("train", "resume", "eval"))
    p.add_argument("--approach", choices=APPROACHES)
    p.add_argument("--style", default="starry_night", choices=list(PAINTINGS))
    p.add_argument("--minutes", type=float, default=40.0, help="CPU-minute budget (train)")
    p.add_argument("--snapshots", type=float, nargs="+", default=[5, 10, 20, 30, 40])
    p.add_argument("--checkpoint-every", type=float, default=2.0, help="CPU minutes")
    p.add_argument("--data", type=Path, default=ROOT / "runs" / "photos_train")
    p.add_argument("--run-dir", type=Path, help="train: the run's folder (default OUT/APPROACH)")
    p.add_argument("--out", type=Path, default=ROOT / "runs" / "approaches")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--extra", nargs="*", default=[], help="more run folders to evaluate beside OUT/a and OUT/b "
                   "(named by the folder: b2 = (b) with a fresh Adam for the fine-tune)")
    p.add_argument("--photos", type=int, default=2, help="held-out photos (eval)")
    p.add_argument("--size", type=int, default=256)
    p.add_argument("--iterations", type=int, default=100, help="L-BFGS iterations from noise (eval)")
    p.add_argument("--cache", type=Path, default=CURVES, help="the L-BFGS curves, shared with bench_fig5.py")
    p.add_argument("--images", type=Path, default=IMAGES, help="the L-BFGS results, as PNG")
    p.add_argument("--plot", type=Path, default=ROOT / "docs" / "fig5_approaches.png")
    p.add_argument("--source", type=Path, help="resume: the checkpoint to continue (copied into --run-dir)")
    p.add_argument("--periodic-weight", type=float, default=0.0, help="resume: training/losses.periodic_loss weight")
    p.add_argument("--upsample", choices=("nearest", "bilinear"), help="resume: change the net's upsampling")
    args = p.parse_args()
    if args.command == "resume":
        if args.source is None or args.run_dir is None:
            p.error("resume needs --source CHECKPOINT and --run-dir FOLDER")
        resume(args)
        return
    if args.command == "train":
        if args.approach is None:
            p.error("train needs --approach a or b")
        train(args)
    else:
        evaluate(args)


if __name__ == "__main__":
    main()
