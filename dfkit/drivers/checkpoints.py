"""What a checkpoint says about its detector, and rebuilding exactly that detector from it.

A training checkpoint records ``detector``: ``{"name": registry name, "kwargs": constructor arguments,
"input": InputSpec dict, "margin": crop margin}``. Checkpoints written before that record existed
name only ``arch`` (phase 1): they load with the detector's default arguments and the image size
of their ``config``.
"""
from pathlib import Path

from dfkit import registry
from dfkit.errors import CheckpointError
from dfkit.faces.pipeline import FACE_MARGIN
from dfkit.training import load_checkpoint
from dfkit.training.checkpoint import fit_weights


def detector_record(name, kwargs, spec, margin=FACE_MARGIN):
    """The ``detector`` entry of a checkpoint for ``name`` built with ``kwargs``, fed as ``spec`` (InputSpec)."""
    return {"name": name, "kwargs": dict(kwargs), "input": spec.to_dict(), "margin": margin}


def record_input_spec(record):
    """The :class:`dfkit.registry.InputSpec` a checkpoint's detector record describes."""
    given = record["input"]
    return registry.InputSpec(int(given["size"]), tuple(given["mean"]), tuple(given["std"]), given.get("clip_len"))


def load_detector(path, arch=None, device="cpu"):
    """Rebuild the detector a checkpoint holds and load its weights (the file is read once):
    ``(model in eval mode, record, checkpoint dict)``.

    path: a training checkpoint, or a bare state_dict with ``arch`` (a registry name). Raises
    CheckpointError for a missing or corrupt file, an unknown detector, or weights that do not fit.
    """
    checkpoint = load_checkpoint(path)
    record = checkpoint.get("detector")
    if record is None:
        name = arch or checkpoint.get("arch")
        if not name:
            raise CheckpointError(f"{path} is a bare state_dict without a detector name: pass --arch "
                                  f"({', '.join(registry.names())})")
        registry.get(name)
        image_size = checkpoint.get("config", {}).get("image_size")
        record = detector_record(name, registry.get(name).kwargs, registry.input_spec(name, image_size=image_size))
    elif arch and arch != record["name"]:
        raise CheckpointError(f"{path} holds a {record['name']!r} detector, not {arch!r}")
    model = registry.build_detector(record["name"], **record["kwargs"])
    fit_weights(checkpoint, model, arch=record["name"], name=Path(path).name)
    return model.to(device).eval(), record, checkpoint
