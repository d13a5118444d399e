"""python -m dfkit.export: a trained detector as an ONNX model (fp32 or int8), checked before it is written.

    python -m dfkit.export --checkpoint runs/xception/best.pt --format onnx --output xception.onnx
    python -m dfkit.export --checkpoint runs/xception/best.pt --format onnx --int8 \\
        --calibration /data/ffpp_crops --output xception-int8.onnx      # or --calibration-synthetic 256

The export is scored with ONNX Runtime and with PyTorch on face crops of synthetic clips (the one face
path); the max |score difference| is printed and an export beyond ``--tolerance`` is refused (exit 2,
nothing written). The file is written atomically.
"""
import sys
import time
from pathlib import Path

from dfkit.atomic import atomic_path
from dfkit.cli import ArgumentParser, positive_int, probability, run
from dfkit.curriculum import add_impl_argument
from dfkit.drivers.common import checked_output_file, exercises_reported, use_impl
from dfkit.errors import DfkitError

FORMATS = ("onnx",)


def build_parser(prog="python -m dfkit.export"):
    from dfkit.export.int8 import DEFAULT_CALIBRATION

    parser = ArgumentParser(prog=prog, description="Export a trained detector to ONNX, checked against PyTorch.")
    parser.add_argument("--checkpoint", required=True, help="best.pt / last.pt written by any phase's train.py")
    parser.add_argument("--format", choices=FORMATS, default="onnx")
    parser.add_argument("--output", required=True, help="the .onnx file to write")
    parser.add_argument("--int8", action="store_true",
                        help="static int8 quantisation (ONNX Runtime QDQ, per-channel weights), calibrated on "
                             "face crops")
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--calibration", default=None,
                        help="preprocessed face-crop folder (python -m dfkit.preprocess) to calibrate int8 on")
    source.add_argument("--calibration-synthetic", type=positive_int, default=None, metavar="N",
                        help=f"calibrate int8 on N face crops of synthetic clips (default {DEFAULT_CALIBRATION} "
                             f"without --calibration)")
    parser.add_argument("--calibration-items", type=positive_int, default=DEFAULT_CALIBRATION, metavar="N",
                        help="at most N items of the --calibration folder, evenly spread")
    parser.add_argument("--tolerance", type=probability, default=None,
                        help="largest |score difference| vs PyTorch accepted (default 0.005 fp32, 0.05 int8)")
    parser.add_argument("--arch", default=None, help="detector name of a bare state_dict checkpoint")
    add_impl_argument(parser)
    return parser


def main(argv=None, prog="python -m dfkit.export"):
    parser = build_parser(prog)
    args = parser.parse_args(argv)
    output = checked_output_file(args.output)
    if output.suffix.lower() != ".onnx":
        raise DfkitError(f"--output {output} must end in .onnx (detect_video.py and evaluate.py recognise it by that)")
    if not args.int8 and (args.calibration or args.calibration_synthetic):
        raise DfkitError("--calibration / --calibration-synthetic go with --int8")
    if args.calibration and not Path(args.calibration).is_dir():
        raise DfkitError(f"--calibration {args.calibration} is not a folder of preprocessed face crops")
    use_impl(args.impl)
    import torch

    from dfkit.drivers.checkpoints import load_detector
    from dfkit.export import export_detector
    from dfkit.export.samples import calibration_inputs

    started = time.perf_counter()
    with exercises_reported():
        model, record, checkpoint = load_detector(args.checkpoint, arch=args.arch, device=torch.device("cpu"))
        calibration = None
        if args.int8:
            calibration = calibration_inputs(record, folder=args.calibration,
                                             count=args.calibration_items if args.calibration
                                             else args.calibration_synthetic or args.calibration_items)
        exported = export_detector(model, record, config=checkpoint.get("config"), calibration=calibration,
                                   tolerance=args.tolerance)
    with atomic_path(output) as tmp:
        tmp.write_bytes(exported.proto.SerializeToString())
    calibrated = "" if calibration is None else f", calibrated on {len(calibration)} face inputs"
    print(f"{record['name']} -> {output} (ONNX, {exported.precision}{calibrated}, "
          f"{output.stat().st_size / 1e6:.1f} MB, {time.perf_counter() - started:.1f} s): {exported.summary()}")
    return 0


if __name__ == "__main__":
    sys.exit(run(main))
