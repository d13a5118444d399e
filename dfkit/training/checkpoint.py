"""Checkpoints: written atomically, loaded with ``weights_only=True``, checked against the model.

A training checkpoint is a dict::

    {"format": "dfkit-checkpoint-1", "arch": str, "detector": dict | None, "model": state_dict,
     "optimizer": ..., "scheduler": ..., "scaler": ..., "epoch": int, "rng": {...}, "config": dict,
     "metrics": dict, "trainer": dict}

``arch`` is the detector's registry name; ``detector`` records its constructor arguments and input
settings (checkpoints written before it existed hold only ``arch``).

A bare ``state_dict`` (name -> tensor) is accepted wherever only weights are needed.
"""
import random
import re
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import torch

from dfkit.atomic import atomic_path
from dfkit.errors import CheckpointError

FORMAT = "dfkit-checkpoint-1"


def unwrap_model(model):
    """The plain module inside DistributedDataParallel and/or torch.compile wrappers."""
    model = getattr(model, "module", model)
    return getattr(model, "_orig_mod", model)


def seed_everything(seed):
    """Seed Python, NumPy and torch (all CUDA devices included)."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def capture_rng_state():
    """Python, NumPy, torch and CUDA generator states, in types ``weights_only`` loading accepts."""
    version, mt_state, gauss = random.getstate()
    numpy_state = np.random.get_state(legacy=False)
    state = {
        "python": [version, list(mt_state), gauss],
        "numpy": {"key": torch.from_numpy(numpy_state["state"]["key"].astype(np.int64)),
                  "pos": numpy_state["state"]["pos"], "has_gauss": numpy_state["has_gauss"],
                  "gauss": numpy_state["gauss"]},
        "torch": torch.get_rng_state(),
    }
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def restore_rng_state(state):
    """Inverse of :func:`capture_rng_state`."""
    version, mt_state, gauss = state["python"]
    random.setstate((version, tuple(mt_state), gauss))
    numpy_state = state["numpy"]
    np.random.set_state({
        "bit_generator": "MT19937",
        "state": {"key": numpy_state["key"].cpu().numpy().astype(np.uint32), "pos": numpy_state["pos"]},
        "has_gauss": numpy_state["has_gauss"], "gauss": numpy_state["gauss"],
    })
    torch.set_rng_state(state["torch"].cpu())  # map_location may have moved these to the GPU
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all([cuda_state.cpu() for cuda_state in state["cuda"]])


def save_checkpoint(path, model, arch="", detector=None, optimizer=None, scheduler=None, scaler=None, epoch=None,
                    config=None, metrics=None, trainer_state=None):
    """Atomically write a training checkpoint (model weights + everything needed to resume)."""
    checkpoint = {
        "format": FORMAT,
        "arch": arch,
        "detector": detector,
        "model": unwrap_model(model).state_dict(),
        "epoch": epoch,
        "rng": capture_rng_state(),
        "config": config or {},
        "metrics": metrics or {},
        "trainer": trainer_state or {},
    }
    for name, part in (("optimizer", optimizer), ("scheduler", scheduler), ("scaler", scaler)):
        if part is not None:
            checkpoint[name] = part.state_dict()
    with atomic_path(path) as tmp:
        torch.save(checkpoint, tmp)
    return Path(path)


def load_checkpoint(path, map_location="cpu"):
    """Load a checkpoint file as a dict; a missing, corrupt or non-checkpoint file raises CheckpointError.

    Returns the training-checkpoint dict, or ``{"model": state_dict}`` for a bare state_dict.
    """
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"checkpoint not found: {path}")
    try:
        loaded = torch.load(path, map_location=map_location, weights_only=True)
    except Exception as err:  # torch raises many types for foreign or truncated files
        refused = re.search(r"Unsupported global: GLOBAL ([\w.]+)", str(err))
        if refused:
            raise CheckpointError(f"{path.name} holds Python objects that safe (weights_only) loading "
                                  f"refuses, e.g. {refused.group(1)}") from None
        raise CheckpointError(f"{path.name} is not a readable PyTorch checkpoint "
                              f"(corrupt, truncated or not written by torch.save)") from None
    if isinstance(loaded, dict) and isinstance(loaded.get("model"), dict):
        return loaded
    if isinstance(loaded, dict) and loaded and all(isinstance(v, torch.Tensor) for v in loaded.values()):
        return {"model": loaded}
    raise CheckpointError(f"{path.name} holds a {type(loaded).__name__}, not a model checkpoint or state_dict")


def load_model_weights(path, model, arch=None, map_location="cpu"):
    """Load weights from ``path`` (training checkpoint or bare state_dict) into ``model``.

    If both ``arch`` and the checkpoint's arch are set they must match. Keys and shapes must match
    exactly (a "module." prefix from DDP is stripped). Any mismatch raises CheckpointError with a
    one-line summary. Returns the loaded checkpoint dict.
    """
    return fit_weights(load_checkpoint(path, map_location), model, arch, Path(path).name)


def fit_weights(checkpoint, model, arch=None, name="the checkpoint"):
    """Load an already read ``checkpoint`` (see :func:`load_checkpoint`) into ``model``; the checks and
    errors of :func:`load_model_weights`, naming the file ``name``. Returns the checkpoint."""
    saved_arch = checkpoint.get("arch") or ""
    if arch and saved_arch and arch != saved_arch:
        raise CheckpointError(f"{name} was trained as {saved_arch!r} but the model is {arch!r}")
    state = _strip_prefix(checkpoint["model"], "module.")
    target = unwrap_model(model)
    problem = describe_mismatch(state, target.state_dict())
    if problem:
        raise CheckpointError(f"{name} does not fit the model: {problem}")
    target.load_state_dict(state)
    return checkpoint


def _strip_prefix(state, prefix):
    if state and all(key.startswith(prefix) for key in state):
        return {key[len(prefix):]: value for key, value in state.items()}
    return state


WRAPPER_PREFIXES = ("module.", "model.", "backbone.")  # DDP, FaceForensics++, DeepfakeBench; nesting order


def read_state_dict(source, prefixes=WRAPPER_PREFIXES):
    """A checkpoint path, a training checkpoint ``{"model": ...}`` or a state_dict -> ``{name: tensor}``.

    Prefixes shared by every key (e.g. ``module.backbone.conv1.weight``) are dropped in order.
    """
    if isinstance(source, (str, Path)):
        source = load_checkpoint(source)
    if isinstance(source.get("model"), Mapping):
        source = source["model"]
    state = dict(source)
    for prefix in prefixes:
        state = _strip_prefix(state, prefix)
    return state


def load_state_dict_checked(model, state, allowed_missing=()):
    """``model.load_state_dict(state)``; CheckpointError naming missing/unexpected/misshapen keys.

    Keys in ``allowed_missing`` may be absent from ``state`` (e.g. a fresh head for transfer learning).
    """
    expected = {key: value for key, value in model.state_dict().items()
                if key in state or key not in allowed_missing}
    problem = describe_mismatch(state, expected)
    if problem:
        raise CheckpointError(f"checkpoint does not fit {type(model).__name__}: {problem}")
    model.load_state_dict(state, strict=len(expected) == len(model.state_dict()))


def describe_mismatch(saved, expected):
    """One line naming missing / unexpected keys and shape mismatches ("" when they agree)."""
    missing = [k for k in expected if k not in saved]
    unexpected = [k for k in saved if k not in expected]
    shapes = [f"{k}: checkpoint {tuple(saved[k].shape)} vs model {tuple(expected[k].shape)}"
              for k in expected if k in saved and saved[k].shape != expected[k].shape]
    parts = []
    for items, what in ((missing, "missing keys"), (unexpected, "unexpected keys"), (shapes, "shape mismatches")):
        if items:
            parts.append(f"{len(items)} {what} (e.g. {items[0]})")
    return ", ".join(parts)
