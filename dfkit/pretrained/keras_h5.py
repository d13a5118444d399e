"""Read the weights of a Keras 2 HDF5 file (``model.save_weights`` or ``model.save``) with h5py.

Keras stores one group per layer, in the order of ``attrs["layer_names"]``, each listing its arrays in
``attrs["weight_names"]`` (e.g. ``conv2d_5/kernel:0``). Layer names end in a per-session creation counter
(``conv2d_5`` was made before ``conv2d_6``), which is what orders layers of one type.
"""
import re
from pathlib import Path

import numpy as np

from dfkit.errors import CheckpointError


def read_keras_weights(path):
    """``{layer name: {weight name: float32 array}}`` of every layer, in file order (``{}`` for a layer
    without weights, e.g. ``leaky_re_lu_1``).

    Weight names lose their layer prefix and ``:0`` suffix (``kernel``, ``bias``, ``gamma``, ``beta``,
    ``moving_mean``, ``moving_variance``). CheckpointError for a missing, unreadable or non-Keras file.
    """
    import h5py

    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"Keras weights not found: {path}")
    try:
        with h5py.File(path, "r") as file:
            root = file["model_weights"] if "model_weights" in file else file
            layers = {}
            for layer in _names(root.attrs, "layer_names", path):
                group = root[layer]
                layers[layer] = {_short(name): np.asarray(group[name], dtype=np.float32)
                                 for name in _names(group.attrs, "weight_names", path)}
    except (OSError, KeyError) as err:
        raise CheckpointError(f"{path.name} is not a readable Keras HDF5 weights file ({err})") from None
    return layers


def layers_of_type(layers, kind):
    """Names of the layers of ``kind`` (e.g. ``"conv2d"``, ``"dense"``) in creation order."""
    found = [(int(match.group(1)), name) for name in layers
             if (match := re.fullmatch(rf"{kind}_(\d+)", name))]
    return [name for _, name in sorted(found)]


def _names(attrs, key, path):
    if key not in attrs:
        raise CheckpointError(f"{path.name} is not a Keras weights file (no {key!r} attribute)")
    return [name.decode() if isinstance(name, bytes) else str(name) for name in attrs[key]]


def _short(weight_name):
    """``conv2d_5/kernel:0`` -> ``kernel``."""
    return weight_name.rsplit("/", 1)[-1].split(":", 1)[0]
