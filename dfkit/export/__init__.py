"""Export a trained detector to ONNX (fp32, or int8 after calibration), checked against PyTorch first.

:func:`export_detector` traces the model (:mod:`dfkit.export.graph`), optionally quantises it
(:mod:`dfkit.export.int8`), stores in the graph's metadata everything needed to use it without the
checkpoint -- the detector record (name, constructor arguments, input size, mean, std, clip length,
crop margin), the training config, the precision and the verification scores -- and runs it with ONNX
Runtime on face crops of synthetic clips made by the one face path (:mod:`dfkit.export.samples`). An
export whose scores differ from the PyTorch model's by more than the tolerance is refused.

    python -m dfkit.export --checkpoint best.pt --format onnx --output model.onnx
    python -m dfkit.export --checkpoint best.pt --format onnx --int8 --calibration-synthetic 256 \
        --output model-int8.onnx
"""
from dataclasses import dataclass

import numpy as np
import onnx
import torch

from dfkit import registry
from dfkit.errors import DfkitError
from dfkit.export.graph import set_metadata, to_onnx
from dfkit.export.samples import VERIFY_CLIPS, VERIFY_SEED, verification_inputs

# Largest |score difference| (probability) accepted: fp32 graphs agree to ~1e-6 except where a model takes
# logs of near-zero values (dct_cnn's log block-DCT: ~1.5e-3); int8 rounds every activation.
TOLERANCES = {"fp32": 0.005, "int8": 0.05}
SCORE_BATCH = 8
EXPORTABLE_KINDS = ("face_crops", "face_clips")  # one input tensor, made by the one face path


@dataclass
class Export:
    """An export that passed its check: the graph, its precision, the PyTorch scores it was checked
    against (N,) and the check's figures."""

    proto: onnx.ModelProto
    precision: str
    reference: np.ndarray
    max_score_diff: float
    tolerance: float
    checked_items: int

    def summary(self):
        """One line: how far the export's scores are from PyTorch's, on what."""
        return (f"max |score difference| vs PyTorch {self.max_score_diff:.2e} on {self.checked_items} face inputs "
                f"of {VERIFY_CLIPS} synthetic clips (tolerance {self.tolerance:g})")


def item_scores(model, inputs, bf16=False):
    """Fake probabilities (N,) float64 of a detector (a torch module or :class:`dfkit.export.session.OnnxDetector`)
    on ``inputs`` (N, ...), in batches of :data:`SCORE_BATCH`."""
    device = next(model.parameters()).device
    with torch.inference_mode(), torch.autocast(device.type, dtype=torch.bfloat16, enabled=bf16):
        logits = [model(inputs[i:i + SCORE_BATCH].to(device)).float().reshape(-1).cpu()
                  for i in range(0, len(inputs), SCORE_BATCH)]
    return torch.sigmoid(torch.cat(logits)).double().numpy()


def export_detector(model, record, config=None, calibration=None, tolerance=None):
    """Export ``model`` (eval mode, on the CPU) described by its checkpoint ``record``: an :class:`Export`.

    calibration: None for fp32, or (N, ...) model inputs to calibrate int8 on. tolerance: largest
    |score difference| vs the PyTorch model accepted (default :data:`TOLERANCES`). Raises DfkitError
    when the detector cannot be exported or the export disagrees.
    """
    from dfkit.export.int8 import quantize_int8
    from dfkit.export.session import OnnxDetector

    kind = registry.get(record["name"]).input_kind
    if kind not in EXPORTABLE_KINDS:
        raise DfkitError(f"cannot export {record['name']}: its input kind {kind!r} is not one tensor of face crops "
                         f"(ONNX export takes {' and '.join(EXPORTABLE_KINDS)} detectors)")
    inputs = verification_inputs(record)
    reference = item_scores(model, inputs)
    proto = to_onnx(model, inputs[:2])
    precision = "fp32" if calibration is None else "int8"
    if calibration is not None:
        proto = quantize_int8(proto, calibration)
    tolerance = TOLERANCES[precision] if tolerance is None else tolerance
    set_metadata(proto, {"detector": record, "config": config or {}, "precision": precision,
                         "verification": {"seed": VERIFY_SEED, "clips": VERIFY_CLIPS, "tolerance": tolerance,
                                          "scores": reference.tolist()}})
    try:
        exported = OnnxDetector.from_model(proto.SerializeToString(), torch.device("cpu"))
        difference = float(np.abs(item_scores(exported, inputs) - reference).max())
    except Exception as err:  # ONNX Runtime raises its own types (e.g. a shape frozen at export)
        raise DfkitError(f"refusing to export {record['name']}: ONNX Runtime cannot run the graph on "
                         f"{len(inputs)} face inputs ({type(err).__name__}); nothing written") from None
    if not difference <= tolerance:  # also refuses NaN
        raise DfkitError(f"refusing to export {record['name']}: ONNX Runtime's scores differ from PyTorch's by "
                         f"up to {difference:.3g} on {len(inputs)} face inputs of {VERIFY_CLIPS} synthetic clips "
                         f"(tolerance {tolerance:g}); nothing written")
    return Export(proto, precision, reference, difference, tolerance, len(inputs))
