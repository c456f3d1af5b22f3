"""``stylecam export``: argument parsing is torch-free (so ``--help`` works without the
train extra); the command imports torch only when it runs."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def add_export_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "export",
        help="turn a checkpoint into a style file (.onnx), verified against torch (needs the 'train' extra)",
        description="Export a checkpoint to one self-describing ONNX style file whose input and output are "
        "frames (uint8 H x W x 3 BGR, any size). The file is checked against torch on random and real "
        "images and is not written if more than 0.1% of values are off by more than one 8-bit level. "
        "Written as NAME.cpu.onnx beside a style NAME.onnx, it becomes that style's real-time CPU version: "
        "the CPU engines run it, the GPU engines run NAME.onnx.",
    )
    p.add_argument("checkpoint", type=Path, metavar="CHECKPOINT", help="a .safetensors checkpoint from 'stylecam train'")
    p.add_argument("-o", "--output", type=Path, help="output .onnx (default: next to the checkpoint)")
    p.add_argument("--images", type=Path, metavar="DIR",
                   help="real photos for verification and drift figures (default: the --calibration folder)")
    p.add_argument("--preview-image", type=Path, metavar="IMAGE",
                   help="photo the stored preview is rendered from (default: a generated gradient)")
    p.add_argument("--fp16", action="store_true", help="also write <name>.fp16.onnx (fp16 compute, for GPUs)")
    p.add_argument("--int8", action="store_true",
                   help="also write <name>.int8.xml/.bin: OpenVINO int8, calibrated on --calibration photos")
    p.add_argument("--calibration", type=Path, metavar="DIR", help="folder of real photos for --int8")
    p.add_argument("--tensorrt", action="store_true", help="also build the TensorRT plan for this GPU (cached)")
    p.set_defaults(func=run_export)


def run_export(args: argparse.Namespace) -> int:
    from stylecam.models.errors import StyleError

    if args.int8 and args.calibration is None:
        print("stylecam export: --int8 needs --calibration DIR (a folder of real photos)", file=sys.stderr)
        return 2
    for folder in (args.images, args.calibration):
        if folder is not None and not folder.is_dir():
            print(f"stylecam export: {folder}: not a folder", file=sys.stderr)
            return 2
    try:
        from stylecam.export.onnx_export import export_style
    except ImportError as e:
        print(f"stylecam export needs the 'train' extra (torch, onnx): {e}", file=sys.stderr)
        return 2
    images_dir = args.images or args.calibration
    try:
        if _is_upscaler(args.checkpoint):  # `stylecam train-sr` checkpoints: export/sr_export.py
            return _export_upscaler(args, images_dir)
        result = export_style(args.checkpoint, args.output, images_dir=images_dir,
                              preview_image=args.preview_image, fp16=args.fp16)
        if args.int8:
            from stylecam.export.images import load_images
            from stylecam.export.quantize import quantize_int8

            check = load_images(images_dir, 3, long_side=640) if images_dir else None
            quantize_int8(result.path, args.calibration, check_images=check)
        if args.tensorrt:
            from stylecam.export.tensorrt_build import TensorRTUnavailable, build_for_export

            try:
                build_for_export(result.path)
            except TensorRTUnavailable as e:
                print(f"stylecam export: --tensorrt: {e}", file=sys.stderr)
                return 3
    except StyleError as e:
        print(f"stylecam export: {e}", file=sys.stderr)
        return 1
    return 0


def _is_upscaler(checkpoint: Path) -> bool:
    from stylecam.models.nets.checkpoint import read_metadata

    return read_metadata(checkpoint).get("kind") == "upscaler"


def _export_upscaler(args: argparse.Namespace, images_dir: Path | None) -> int:
    """An upscaler: one verified .onnx (written as NAME.cpu.onnx beside NAME.onnx it becomes
    that upscaler's real-time CPU version; the file name gives the catalog name)."""
    from stylecam.export.sr_export import export_upscaler

    if args.int8 or args.tensorrt:
        print("stylecam export: --int8 and --tensorrt are not available for upscalers yet", file=sys.stderr)
        return 2
    export_upscaler(args.checkpoint, args.output, images_dir=images_dir, preview_image=args.preview_image,
                    fp16=args.fp16)
    return 0
