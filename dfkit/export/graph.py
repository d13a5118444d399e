"""A PyTorch detector as an ONNX graph (dynamic batch axis), and the dfkit metadata stored inside the graph.

Exporters are tried in :data:`EXPORTERS` order and the first graph ONNX Runtime can load is kept:
torch's TorchScript exporter (0.1-1.6 s for the phase 1 CNNs, no extra dependency; deprecated in torch
2.9+ but present in 2.14) and then the torch.export-based ("dynamo") exporter (3-6x slower to export,
needs onnxscript; converts e.g. negative ``permute`` axes that the TorchScript exporter writes wrongly).
Whether the graph computes what the PyTorch model computes is checked separately
(:mod:`dfkit.export.verify`).
"""
import contextlib
import io
import json
import re
import warnings

import onnx
import torch

from dfkit.errors import DfkitError

OPSET = 17
EXPORTERS = ("torchscript", "dynamo")
INPUT_NAME, OUTPUT_NAME = "inputs", "logits"
METADATA_PREFIX = "dfkit."


def _export(model, example, exporter, buffer):
    """Write ``model`` traced on ``example`` (B, ...) to ``buffer`` with one exporter."""
    names = dict(input_names=[INPUT_NAME], output_names=[OUTPUT_NAME])
    if exporter == "torchscript":
        torch.onnx.export(model, (example,), buffer, dynamo=False, opset_version=OPSET,
                          dynamic_axes={INPUT_NAME: {0: "batch"}, OUTPUT_NAME: {0: "batch"}}, **names)
    else:
        program = torch.onnx.export(model, (example,), dynamo=True, verbose=False,
                                    dynamic_shapes=({0: torch.export.Dim("batch")},), **names)
        buffer.write(program.model_proto.SerializeToString())


def to_onnx(model, example):
    """``model`` (eval mode, (B, ...) -> (B,) logits) as an :class:`onnx.ModelProto` traced on ``example``
    (a batch of at least 2, so the batch axis stays symbolic). DfkitError naming every exporter's failure
    when none gives a graph ONNX Runtime loads."""
    import onnxruntime

    failures = []
    for exporter in EXPORTERS:
        buffer = io.BytesIO()
        try:
            with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()), \
                    contextlib.redirect_stderr(io.StringIO()), torch.no_grad():
                warnings.simplefilter("ignore")  # deprecation and tracer notes; verification is the real check
                _export(model, example, exporter, buffer)
            onnxruntime.InferenceSession(buffer.getvalue(), providers=["CPUExecutionProvider"])
        except Exception as err:  # exporters and ONNX Runtime raise many types
            failures.append(f"{exporter}: {_first_line(err)}")
            continue
        return onnx.load_from_string(buffer.getvalue())
    raise DfkitError("cannot export to ONNX: " + "; ".join(failures))


def _first_line(err):
    lines = [re.sub(r"\x1b\[[0-9;]*m", "", line).strip() for line in str(err).splitlines() if line.strip()]
    return f"{type(err).__name__}: {lines[0][:200]}" if lines else type(err).__name__


def set_metadata(proto, entries):
    """Store ``entries`` (name -> JSON-able value) in ``proto``'s metadata as ``dfkit.<name>`` = JSON text."""
    kept = [p for p in proto.metadata_props if not p.key.startswith(METADATA_PREFIX)]
    del proto.metadata_props[:]
    proto.metadata_props.extend(kept)
    for name, value in entries.items():
        entry = proto.metadata_props.add()
        entry.key, entry.value = METADATA_PREFIX + name, json.dumps(value, default=str)


def metadata(custom_map):
    """The dfkit entries of a model's metadata map (key -> text, e.g. ONNX Runtime's ``custom_metadata_map``)."""
    return {key[len(METADATA_PREFIX):]: json.loads(value) for key, value in custom_map.items()
            if key.startswith(METADATA_PREFIX)}
