"""Which engine runs a detector's forward pass: PyTorch, or ONNX Runtime on an exported graph.

:class:`OnnxDetector` is called like the PyTorch detector ((B, ...) float tensor -> (B,) logits), so
the scoring code (``predict_video``, :meth:`dfkit.training.Trainer.predict`) runs either unchanged.
:func:`load_model` is what ``detect_video.py`` and ``evaluate.py`` load with:

* ``--runtime torch``: the checkpoint's PyTorch model (an ``.onnx`` file is refused);
* ``--runtime onnxruntime``: an ``.onnx`` file as it is, or a checkpoint exported in memory (checked
  against PyTorch, :func:`dfkit.export.export_detector`); the CPU provider on a CPU, TensorRT / CUDA
  providers on a CUDA device (onnxruntime-gpu), an error when this onnxruntime has none for the device;
* ``--runtime auto``: every candidate is scored on the verification face crops; the fastest one whose
  scores stay within :data:`AUTO_TOLERANCE` of PyTorch fp32 (for an ``.onnx`` file: of the scores
  recorded at export, within the export's own tolerance) is kept.

An ``.onnx`` file carries its detector record (name, constructor arguments, input size, mean, std,
clip length, margin) in its metadata, so no checkpoint is needed beside it.
"""
import time
from pathlib import Path

import numpy as np
import torch

from dfkit.errors import CheckpointError, DeviceError, DfkitError
from dfkit.export.session import OnnxDetector, metadata_of, providers

RUNTIMES = ("torch", "onnxruntime", "auto")
AUTO_TOLERANCE = 0.01      # largest |score difference| vs PyTorch fp32 that auto accepts


def add_runtime_choice(parser):
    """The ``--runtime`` flag."""
    parser.add_argument("--runtime", choices=RUNTIMES, default="torch",
                        help="torch; onnxruntime (an .onnx model, or the checkpoint exported in memory and "
                             "checked); auto = the fastest that scores within 0.01 of PyTorch fp32 "
                             "(an .onnx model implies onnxruntime)")


def runtime_name(model):
    """"torch" or "onnxruntime (<provider>)" for a loaded model."""
    return f"onnxruntime ({model.provider})" if isinstance(model, OnnxDetector) else "torch"


def read_onnx(path, arch=None):
    """``(metadata dict, CPU OnnxDetector)`` of an exported file; CheckpointError when it is missing, not an
    ONNX model, not written by dfkit.export, or holds another detector than ``arch``."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"ONNX model not found: {path}")
    try:
        detector = OnnxDetector.from_model(path, torch.device("cpu"))
    except Exception:  # ONNX Runtime raises its own types for foreign or truncated files
        raise CheckpointError(f"{path.name} is not a readable ONNX model (corrupt, truncated or not ONNX)") from None
    info = metadata_of(detector.session)
    if "detector" not in info:
        raise CheckpointError(f"{path.name} has no dfkit metadata (detector, input size, mean, std): export it "
                              f"with python -m dfkit.export")
    if arch and arch != info["detector"]["name"]:
        raise CheckpointError(f"{path.name} holds a {info['detector']['name']!r} detector, not {arch!r}")
    return info, detector


def load_model(path, runtime="torch", arch=None, device=torch.device("cpu"), precision="fp32"):
    """The model to score with: ``(model in eval mode, detector record, checkpoint dict, precision)``.

    path: a training checkpoint / state_dict (with ``arch``) or an ``.onnx`` export. precision: what the
    PyTorch model would run in ("fp32" / "bf16"); the returned precision is what the chosen model runs in
    ("fp32", "bf16" or "int8"). Raises CheckpointError / DeviceError / DfkitError with one-line messages.
    """
    from dfkit.drivers.checkpoints import load_detector

    if Path(path).suffix.lower() == ".onnx":
        if runtime == "torch":
            raise DfkitError(f"{Path(path).name} is an ONNX export: run it with --runtime onnxruntime (or auto)")
        info, detector = read_onnx(path, arch)
        checkpoint = {"config": info.get("config", {})}
        if runtime == "onnxruntime":
            if device.type != "cpu":
                detector = OnnxDetector.from_model(path, device)
            return detector, info["detector"], checkpoint, detector.precision
        candidates = [(OnnxDetector.from_model(path, device, p), None) for p in providers(device)]
        verification = info["verification"]
        model, _ = _fastest(candidates, info["detector"], np.array(verification["scores"]), verification["tolerance"])
        return model, info["detector"], checkpoint, model.precision
    if runtime == "onnxruntime":
        providers(device)  # fail before the export when the device has no provider
    model, record, checkpoint = load_detector(path, arch=arch, device="cpu")
    if runtime == "torch":
        return model.to(device), record, checkpoint, precision
    from dfkit.export import export_detector

    exported = export_detector(model, record, config=checkpoint.get("config"))
    graph = exported.proto.SerializeToString()
    if runtime == "onnxruntime":
        detector = OnnxDetector.from_model(graph, device)
        return detector, record, checkpoint, detector.precision
    candidates = [(model.to(device), p) for p in dict.fromkeys([precision, "fp32"])]
    candidates += [(OnnxDetector.from_model(graph, device, p), None) for p in _providers_or_none(device)]
    model, chosen = _fastest(candidates, record, exported.reference, AUTO_TOLERANCE)
    return model, record, checkpoint, chosen or model.precision


def _providers_or_none(device):
    try:
        return providers(device)
    except DeviceError:
        return []


def _fastest(candidates, record, reference, tolerance):
    """The quickest ``(model, torch precision or None)`` among ``candidates`` whose scores on the verification
    inputs stay within ``tolerance`` of ``reference``; DfkitError when none does."""
    from dfkit.export import SCORE_BATCH, item_scores
    from dfkit.export.samples import verification_inputs

    inputs = verification_inputs(record)
    timed, misses = [], []
    for model, precision in candidates:
        bf16 = precision == "bf16"
        difference = float(np.abs(item_scores(model, inputs, bf16) - reference).max())
        if not difference <= tolerance:
            misses.append(f"{runtime_name(model)} {precision or model.precision}: {difference:.3g}")
            continue
        start = time.perf_counter()
        item_scores(model, inputs[:SCORE_BATCH], bf16)
        timed.append((time.perf_counter() - start, model, precision))
    if not timed:
        raise DfkitError(f"--runtime auto: no runtime scores within {tolerance:g} of the reference "
                         f"({'; '.join(misses)})")
    _, model, precision = min(timed, key=lambda entry: entry[0])
    return model, precision
