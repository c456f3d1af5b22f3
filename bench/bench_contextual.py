"""What the contextual loss is for, measured: training on non-aligned pairs; and its memory.

    python bench/bench_contextual.py demo   [--iterations 300] [--size 96] [--grid docs/contextual_grid.png]
    python bench/bench_contextual.py memory [--no-step]

demo -- a small residual sharpening net learns to undo a Gaussian blur (sigma 1.5) from
pairs whose target is *not aligned* with the input: the sharp photo under a random shift
(up to +-6 px), rotation (+-3 deg) and scale (+-3 %), as real SR/restoration pairs from
two cameras or two frames are. The same net, data and seed are trained with
  * pixel loss, aligned target    (the reference: what alignment would buy),
  * pixel loss, non-aligned       (Johnson et al. 2016, the SR baseline),
  * feature loss relu2_2, non-aligned (Johnson et al. 2016, the SR loss),
  * contextual loss, non-aligned  (Mechrez et al. 2018; h = 0.5 and h = 0.1),
and judged on held-out photos (every 10th photo of shared/data/photos, never trained on)
against their aligned sharp originals: gradient energy relative to the sharp original
(1.0 = as sharp; below 1 = blurred) and PSNR. A grid of crops goes to docs/.

memory -- peak resident memory of one forward + backward of the loss alone, each in a
fresh process (ru_maxrss after minus before), for the all-pairs matrix and for the
65 x 65 sampling, at the layers a 256 x 256 training step uses.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import cv2  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402
from torch import nn  # noqa: E402

from stylecam.training.contextual import ContextualLoss, contextual_loss  # noqa: E402
from stylecam.training.losses import feature_loss, pixel_loss  # noqa: E402
from stylecam.training.vgg import load_vgg16  # noqa: E402

PHOTOS = ROOT.parent / "shared" / "data" / "photos"
BLUR_SIGMA = 1.5          # the degradation the net learns to undo
MAX_SHIFT = 6.0           # px, the misalignment of the target
MAX_ROTATION = 3.0        # degrees
MAX_SCALE = 0.03          # relative
CONTEXTUAL_LAYERS = {"relu2_2": 1.0, "relu3_2": 1.0}


# ----------------------------------------------------------------------------- data
def load_photos(every: int, held_out: bool, limit: int) -> list[np.ndarray]:
    """RGB uint8 photos; held-out ones are every ``every``-th file, the rest train."""
    files = sorted(PHOTOS.glob("*.jpg"))
    if not files:
        raise SystemExit(f"{PHOTOS}: no photos (see shared/data/README.md)")
    chosen = [f for i, f in enumerate(files) if (i % every == 0) == held_out][:limit]
    out = []
    for f in chosen:
        bgr = cv2.imread(str(f))
        if bgr is not None and min(bgr.shape[:2]) >= 200:
            out.append(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
    return out


def blur(rgb: np.ndarray) -> np.ndarray:
    return cv2.GaussianBlur(rgb, (0, 0), BLUR_SIGMA)


def crop_pair(sharp: np.ndarray, blurred: np.ndarray, size: int, rng: np.random.Generator,
              misalign: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(blurred input crop, target crop, aligned sharp crop). The target is the sharp photo
    seen through a random similarity transform around the crop centre when ``misalign``."""
    h, w = sharp.shape[:2]
    margin = size // 2 + int(MAX_SHIFT) + size // 8 + 2
    cy = int(rng.integers(margin, h - margin))
    cx = int(rng.integers(margin, w - margin))
    y0, x0 = cy - size // 2, cx - size // 2
    inp = blurred[y0:y0 + size, x0:x0 + size]
    aligned = sharp[y0:y0 + size, x0:x0 + size]
    if not misalign:
        return inp, aligned, aligned
    angle = rng.uniform(-MAX_ROTATION, MAX_ROTATION)
    scale = 1.0 + rng.uniform(-MAX_SCALE, MAX_SCALE)
    dx, dy = rng.uniform(-MAX_SHIFT, MAX_SHIFT, 2)
    # Output pixel (u, v) of the target samples the photo at centre + shift + R S (u, v) - centre.
    m = cv2.getRotationMatrix2D((size / 2, size / 2), angle, scale)
    m[:, 2] += np.array([x0 + dx, y0 + dy])
    target = cv2.warpAffine(sharp, m, (size, size), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                            borderMode=cv2.BORDER_REFLECT)
    return inp, target, aligned


def to_batch(images: list[np.ndarray]) -> torch.Tensor:
    return torch.from_numpy(np.stack(images)).permute(0, 3, 1, 2).float().div(255.0).contiguous()


# ----------------------------------------------------------------------------- the net
class Sharpener(nn.Module):
    """Six 3x3 convs (receptive field 13 px, enough for sigma 1.5), residual on the input,
    starting as the identity (last conv zero), so every loss starts from the same place."""

    def __init__(self, width: int = 32, depth: int = 6) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        cin = 3
        for _ in range(depth - 1):
            layers += [nn.Conv2d(cin, width, 3, padding=1, padding_mode="reflect"), nn.ReLU()]
            cin = width
        last = nn.Conv2d(cin, 3, 3, padding=1, padding_mode="reflect")
        nn.init.zeros_(last.weight)
        nn.init.zeros_(last.bias)
        self.body = nn.Sequential(*layers, last)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


# ----------------------------------------------------------------------------- metrics
def luma(rgb01: torch.Tensor) -> torch.Tensor:
    return 0.299 * rgb01[:, 0] + 0.587 * rgb01[:, 1] + 0.114 * rgb01[:, 2]


def gradient_energy(rgb01: torch.Tensor) -> torch.Tensor:
    """Mean squared finite difference of luma, per image: falls as an image blurs."""
    y = luma(rgb01)
    gx = y[:, :, 1:] - y[:, :, :-1]
    gy = y[:, 1:, :] - y[:, :-1, :]
    return gx.pow(2).mean(dim=(1, 2)) + gy.pow(2).mean(dim=(1, 2))


def psnr(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    mse = (a - b).pow(2).mean(dim=(1, 2, 3)).clamp_min(1e-12)
    return 10 * torch.log10(1.0 / mse)


# ----------------------------------------------------------------------------- demo
def make_loss(kind: str, band_width: float, vgg_cx: nn.Module, vgg_feat: nn.Module):
    if kind == "pixel":
        return lambda y, t: pixel_loss(y, t)
    if kind == "feature":
        def feat(y: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
            with torch.no_grad():
                ft = vgg_feat(t)["relu2_2"]
            return feature_loss(vgg_feat(y)["relu2_2"], ft)
        return feat
    cx = ContextualLoss(CONTEXTUAL_LAYERS, band_width=band_width, vgg=vgg_cx, seed=0)
    return cx


def train_one(label: str, kind: str, misalign: bool, band_width: float, args: argparse.Namespace,
              photos: list[tuple[np.ndarray, np.ndarray]], vggs: tuple[nn.Module, nn.Module]) -> nn.Module:
    torch.manual_seed(0)
    rng = np.random.default_rng(0)           # the same pairs (and misalignments) for every loss
    net = Sharpener()
    opt = torch.optim.Adam(net.parameters(), lr=args.lr)
    loss_fn = make_loss(kind, band_width, *vggs)
    t0 = time.perf_counter()
    window = []
    for it in range(1, args.iterations + 1):
        inputs, targets = [], []
        for _ in range(args.batch):
            sharp, blurred = photos[int(rng.integers(len(photos)))]
            inp, tgt, _ = crop_pair(sharp, blurred, args.size, rng, misalign)
            inputs.append(inp)
            targets.append(tgt)
        x, t = to_batch(inputs), to_batch(targets)
        loss = loss_fn(net(x), t)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        window.append(float(loss.detach()))
        if it % max(1, args.iterations // 5) == 0 or it == args.iterations:
            print(f"  {label:<28} it {it:4d}/{args.iterations}  loss {np.mean(window):.4g}  "
                  f"{(time.perf_counter() - t0) / it:.2f} s/it", flush=True)
            window = []
    net.eval()
    return net


def held_out_set(args: argparse.Namespace) -> tuple[torch.Tensor, torch.Tensor]:
    rng = np.random.default_rng(123)
    inputs, sharp = [], []
    for photo in load_photos(10, True, args.held_out):
        inp, _, aligned = crop_pair(photo, blur(photo), args.eval_size, rng, misalign=False)
        inputs.append(inp)
        sharp.append(aligned)
    return to_batch(inputs), to_batch(sharp)


def label_tile(img: np.ndarray, text: str) -> np.ndarray:
    bar = np.full((22, img.shape[1], 3), 255, np.uint8)
    cv2.putText(bar, text, (4, 16), cv2.FONT_HERSHEY_SIMPLEX, 0.45, (0, 0, 0), 1, cv2.LINE_AA)
    return np.vstack([bar, img])


def save_grid(path: Path, columns: list[tuple[str, torch.Tensor]], rows: list[int], zoom: int) -> None:
    tiles_rows = []
    for r in rows:
        tiles = []
        for name, batch in columns:
            rgb = (batch[r].clamp(0, 1).permute(1, 2, 0).numpy() * 255 + 0.5).astype(np.uint8)
            h, w = rgb.shape[:2]
            c = rgb[h // 2 - zoom // 2: h // 2 + zoom // 2, w // 2 - zoom // 2: w // 2 + zoom // 2]
            c = cv2.resize(c, (zoom * 2, zoom * 2), interpolation=cv2.INTER_NEAREST)  # 2x: edges visible
            tiles.append(label_tile(c, name) if not tiles_rows else c)
            tiles.append(np.full((tiles[-1].shape[0], 4, 3), 255, np.uint8))
        tiles_rows.append(np.hstack(tiles[:-1]))
        tiles_rows.append(np.full((4, tiles_rows[-1].shape[1], 3), 255, np.uint8))
    grid = np.vstack(tiles_rows[:-1])
    path.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(path), cv2.cvtColor(grid, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_PNG_COMPRESSION, 9])


def run_demo(args: argparse.Namespace) -> None:
    torch.set_num_threads(args.threads)
    train_photos = [(p, blur(p)) for p in load_photos(10, False, args.train_photos)]
    x_eval, sharp_eval = held_out_set(args)
    vgg_cx = load_vgg16(list(CONTEXTUAL_LAYERS))
    vgg_feat = load_vgg16(["relu2_2"])
    # The order puts the comparison that matters first, so an interrupted run still says it.
    runs = [("pixel, non-aligned", "pixel", True, 0.0),
            (f"contextual h={args.band_widths[0]:g}, non-aligned", "contextual", True, args.band_widths[0]),
            ("feature relu2_2, non-aligned", "feature", True, 0.0),
            ("pixel, aligned (reference)", "pixel", False, 0.0)]
    runs += [(f"contextual h={h:g}, non-aligned", "contextual", True, h) for h in args.band_widths[1:]]
    if args.only:
        runs = [r for r in runs if r[1] in args.only]
    print(f"# non-aligned training demo: {len(train_photos)} training photos, {x_eval.shape[0]} held-out, "
          f"{args.iterations} iterations x batch {args.batch} at {args.size} px, torch {torch.__version__}, "
          f"{torch.get_num_threads()} threads", flush=True)
    ge_sharp = gradient_energy(sharp_eval)
    rows: dict[str, dict[str, float]] = {}
    results: dict[str, torch.Tensor] = {}
    seconds: dict[str, float] = {}

    def record(label: str, out: torch.Tensor) -> None:
        results[label] = out
        rows[label] = {"gradient_energy_ratio": (gradient_energy(out) / ge_sharp).mean().item(),
                       "psnr_db": psnr(out, sharp_eval).mean().item() if out is not sharp_eval else float("inf"),
                       "train_seconds": seconds.get(label, 0.0)}
        print(f"  -> {label}: gradient energy / sharp {rows[label]['gradient_energy_ratio']:.3f}, "
              f"PSNR {rows[label]['psnr_db']:.2f} dB", flush=True)

    record("blurred input", x_eval)
    for label, kind, misalign, h in runs:
        t0 = time.perf_counter()
        net = train_one(label, kind, misalign, h, args, train_photos, (vgg_cx, vgg_feat))
        seconds[label] = time.perf_counter() - t0
        with torch.no_grad():
            record(label, net(x_eval).clamp(0, 1))
        # The grid and the JSON after every run, so that an interrupted bench leaves what it measured.
        order = ["blurred input", "pixel, aligned (reference)", "pixel, non-aligned", "feature relu2_2, non-aligned"]
        order += [k for k in results if k.startswith("contextual")]
        shown = [(k, results[k]) for k in order if k in results] + [("sharp original", sharp_eval)]
        short = {"blurred input": "input (blurred)", "pixel, aligned (reference)": "pixel, aligned",
                 "pixel, non-aligned": "pixel", "feature relu2_2, non-aligned": "feature"}
        save_grid(Path(args.grid), [(short.get(k, k.replace(", non-aligned", "")), v) for k, v in shown],
                  rows=list(range(min(3, x_eval.shape[0]))), zoom=args.zoom)
        if args.json:
            Path(args.json).write_text(json.dumps({"rows": rows, "args": {k: v for k, v in vars(args).items()
                                                                        if k != "func"}}, indent=1, default=str))
    record("sharp original", sharp_eval)
    print()
    print("| trained with | gradient energy / sharp original | PSNR vs aligned original (dB) | train time (s) |")
    print("|---|---|---|---|")
    for label, r in rows.items():
        t = f"{r['train_seconds']:.0f}" if r["train_seconds"] else "-"
        print(f"| {label} | {r['gradient_energy_ratio']:.3f} | {r['psnr_db']:.2f} | {t} |")
    print(f"\nwrote {args.grid}")


# ----------------------------------------------------------------------------- memory
def _status_mib(key: str) -> float | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1]) / 1024.0                       # kB
    except OSError:
        pass
    return None


def rss_start() -> float:
    """Current RSS, with the kernel's peak (VmHWM) reset to it, so that the next reading of
    the peak covers only what follows (Linux >= 4.0: ``echo 5 > /proc/self/clear_refs``)."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pass
    now = _status_mib("VmRSS")
    return now if now is not None else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def rss_peak_mib() -> float:
    peak = _status_mib("VmHWM")
    return peak if peak is not None else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def memory_one(args: argparse.Namespace) -> None:
    torch.set_num_threads(args.threads)
    g = torch.Generator().manual_seed(0)
    x = torch.randn(args.batch, args.channels, args.side, args.side, generator=g).abs().requires_grad_(True)
    t = torch.randn(args.batch, args.channels, args.side, args.side, generator=g).abs()
    before = rss_start()
    t0 = time.perf_counter()
    loss = contextual_loss(x, t, max_positions=args.max_positions or None, generator=g)
    loss.backward()
    seconds = time.perf_counter() - t0
    print(json.dumps({"peak_mib": rss_peak_mib() - before, "seconds": seconds, "loss": float(loss.detach())}))


def memory_step(args: argparse.Namespace) -> None:
    """One real `stylecam train` step (Trainer.losses + backward), johnson net, 256 px, batch 4."""
    import tempfile

    from stylecam.training.loop import Trainer, TrainOptions
    from stylecam.training.recipe import Recipe

    torch.set_num_threads(args.threads)
    style = ROOT.parent / "shared" / "data" / "paintings" / "starry_night_van_gogh.png"
    recipe = Recipe(arch="johnson", image_size=256, batch_size=4, iterations=1, contextual_weight=args.weight,
                    contextual_layers=tuple(args.layers))
    with tempfile.TemporaryDirectory() as out:
        trainer = Trainer(TrainOptions(style_image=style, data=PHOTOS, name="mem", out=Path(out), recipe=recipe,
                                       device="cpu", precision="fp32", progress=False))
        x = trainer.crops.batch()
        before = rss_start()
        t0 = time.perf_counter()
        terms = trainer.losses(x)
        terms["total"].backward()
        seconds = time.perf_counter() - t0
    print(json.dumps({"peak_mib": rss_peak_mib() - before, "seconds": seconds,
                      **{k: float(terms[k].detach()) for k in ("content", "style", "contextual")}}))


MEMORY_CASES = [  # (what, layer, channels, side, batch, max_positions or 0 for all)
    ("relu2_2 of 256 px, all pairs", "relu2_2", 128, 128, 1, 0),
    ("relu2_2 of 256 px, 65x65 sampled", "relu2_2", 128, 128, 1, 65 * 65),
    ("relu2_2 of 256 px, 65x65 sampled", "relu2_2", 128, 128, 4, 65 * 65),
    ("relu3_2 of 256 px (64x64: all pairs)", "relu3_2", 256, 64, 4, 65 * 65),
    ("relu4_2 of 256 px (32x32: all pairs)", "relu4_2", 512, 32, 4, 65 * 65),
]


def run_memory(args: argparse.Namespace) -> None:
    print(f"# contextual loss, forward + backward, fp32, peak RSS over the inputs, torch {torch.__version__}")
    print("| features | layer | batch | positions kept per image | N x M matrix per image (MiB) "
          "| measured peak (MiB) | time (s) |")
    print("|---|---|---|---|---|---|---|")
    for what, layer, c, side, b, keep in MEMORY_CASES:
        n = side * side if not keep else min(keep, side * side)
        matrix = n * n * 4 / 2**20
        if not keep and n * n * 4 * b * 6 > args.max_bytes:
            print(f"| {what} | {layer} | {b} | {n} | {matrix:.0f} | skipped (> --max-bytes) | - |")
            continue
        cmd = [sys.executable, __file__, "memory-one", "--channels", str(c), "--side", str(side), "--batch", str(b),
               "--max-positions", str(keep), "--threads", str(args.threads)]
        done = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            print(f"| {what} | {layer} | {b} | {n} | {matrix:.0f} | failed: {done.stderr.strip()[-200:]} | - |")
            continue
        r = json.loads(done.stdout.strip().splitlines()[-1])
        print(f"| {what} | {layer} | {b} | {n} | {matrix:.0f} | {r['peak_mib']:.0f} | {r['seconds']:.2f} |",
              flush=True)
    if args.no_step:
        return
    print("\n# one `stylecam train` step, johnson net, 256 x 256, batch 4, fp32, VGG16 to relu4_3: peak RSS over "
          "the step's start")
    print("| contextual loss | measured peak (MiB) | time (s) | content, style, contextual terms (unweighted, "
          "untrained net) |")
    print("|---|---|---|---|")
    for weight, layers, what in [(0.0, ["relu3_2", "relu4_2"], "off (content + style + TV)"),
                                 (1.0, ["relu3_2", "relu4_2"], "on, relu3_2 + relu4_2 (the default)"),
                                 (1.0, ["relu2_2", "relu3_2", "relu4_2"], "on, + relu2_2 (65x65 sampled)")]:
        cmd = [sys.executable, __file__, "memory-step", "--weight", str(weight), "--threads", str(args.threads),
               "--layers", *layers]
        done = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            print(f"| {what} | failed: {done.stderr.strip()[-200:]} | - | - |")
            continue
        r = json.loads(done.stdout.strip().splitlines()[-1])
        print(f"| {what} | {r['peak_mib']:.0f} | {r['seconds']:.1f} | {r['content']:.3g}, {r['style']:.3g}, "
              f"{r['contextual']:.3g} |", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    d = sub.add_parser("demo", help="non-aligned training: pixel vs feature vs contextual loss")
    d.add_argument("--iterations", type=int, default=300)
    d.add_argument("--batch", type=int, default=4)
    d.add_argument("--size", type=int, default=96, help="training crop size")
    d.add_argument("--lr", type=float, default=1e-3, help="Adam, as Johnson et al. 2016")
    d.add_argument("--band-widths", type=float, nargs="+", default=[0.5, 0.1])
    d.add_argument("--train-photos", type=int, default=120)
    d.add_argument("--held-out", type=int, default=12)
    d.add_argument("--eval-size", type=int, default=192)
    d.add_argument("--zoom", type=int, default=64, help="side of the centre crop shown (at 2x) in the grid")
    d.add_argument("--grid", default=str(ROOT / "docs" / "contextual_grid.png"))
    d.add_argument("--json", default="", help="also write the table as JSON here")
    d.add_argument("--only", nargs="+", default=[], choices=["pixel", "feature", "contextual"],
                   help="run only the trainings with these losses")
    d.add_argument("--threads", type=int, default=2)
    d.set_defaults(func=run_demo)
    m = sub.add_parser("memory", help="peak memory of the loss, all pairs vs sampled")
    m.add_argument("--threads", type=int, default=2)
    m.add_argument("--max-bytes", type=float, default=8 * 2**30, help="skip all-pairs cases estimated above this")
    m.add_argument("--no-step", action="store_true", help="skip the whole-training-step measurement")
    m.set_defaults(func=run_memory)
    step = sub.add_parser("memory-step")
    step.add_argument("--weight", type=float, required=True)
    step.add_argument("--layers", nargs="+", required=True)
    step.add_argument("--threads", type=int, default=2)
    step.set_defaults(func=memory_step)
    one = sub.add_parser("memory-one")
    for name in ("channels", "side", "batch", "max-positions", "threads"):
        one.add_argument(f"--{name}", type=int, required=True)
    one.set_defaults(func=memory_one)
    args = ap.parse_args()
    args.func(args)


if __name__ == "__main__":
    main()
