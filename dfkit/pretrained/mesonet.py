"""The published MesoNet weights (Afchar et al., 2018; Keras 2.1.5 files, Apache-2.0) as this project's
checkpoints.

The four files in ``pretrained/mesonet/weights/`` (see SOURCE.md there) hold Meso4 and MesoInception4
trained on the authors' Deepfake (``_DF``) and Face2Face (``_F2F``) data. Converting one:

* layers pair up by type in creation order (Keras ``conv2d_5`` before ``conv2d_6``; PyTorch module
  registration order), every shape checked and every weight of the model filled (strict);
* Keras kernels (kh, kw, in, out) become (out, in, kh, kw), dense kernels (in, out) become (out, in),
  and the first dense layer's rows are permuted from Keras' channels-last flatten (H, W, C) to
  PyTorch's (C, H, W);
* the published models output P(real) (class folders sorted: df = 0, real = 1); negating the last
  layer's weight and bias turns the logit into this project's logit of fake (sigmoid(-z) = 1 - sigmoid(z));
* the Meso4 files have no LeakyReLU between the dense layers: their checkpoint records
  ``leaky_relu=False``, which the registry's ``meso4`` passes to the constructor.

Inputs as the authors' ImageDataGenerator: 256 px RGB face crops scaled to [0, 1] (the detector's own
input spec), so ``detect_video.py --model <dir>/Meso4_DF.pt`` scores a video with no training.
"""
import hashlib
from pathlib import Path

import numpy as np
import torch
from torch import nn

from dfkit import registry
from dfkit.curriculum.switch import ROOT
from dfkit.drivers.checkpoints import detector_record
from dfkit.errors import CheckpointError
from dfkit.pretrained.keras_h5 import layers_of_type, read_keras_weights
from dfkit.training.checkpoint import fit_weights, save_checkpoint

WEIGHTS_DIR = ROOT / "pretrained" / "mesonet" / "weights"
PUBLISHED = ("Meso4_DF", "Meso4_F2F", "MesoInception_DF", "MesoInception_F2F")
SOURCE = "DariusAf/MesoNet@2144d56a30e48cdcac1976ff13a1c5cdc86376c6 (Apache-2.0)"
FEATURE_SHAPE = (16, 8, 8)  # (C, H, W) entering the first dense layer of both networks
DETECTORS = {4: "meso4", 16: "mesoinception4"}  # convolution count -> registry name


def convert(path):
    """The published file at ``path`` -> ``(model in eval mode, registry name, constructor kwargs)``, the
    model giving the logit of *fake*. CheckpointError if the file is not one of the two networks."""
    layers = read_keras_weights(path)
    convs = layers_of_type(layers, "conv2d")
    name = DETECTORS.get(len(convs))
    if name is None:
        raise CheckpointError(f"{Path(path).name} has {len(convs)} convolutions: neither Meso4 (4) nor "
                              f"MesoInception4 (16)")
    leaky = bool(layers_of_type(layers, "leaky_re_lu"))
    kwargs = {"leaky_relu": leaky} if name == "meso4" else {}
    if name == "mesoinception4" and not leaky:
        raise CheckpointError(f"{Path(path).name} has no LeakyReLU, which MesoInception4 has")
    model = registry.build_detector(name, impl="solutions", **kwargs)
    state = _state_dict(model, layers, Path(path).name)
    fit_weights({"model": state}, model, name=Path(path).name)
    return model.eval(), name, kwargs


def _state_dict(model, layers, filename):
    """PyTorch ``{name: tensor}`` for ``model`` from the Keras ``layers``, pairing each module type in order."""
    pairs = []
    for module_type, kind in ((nn.Conv2d, "conv2d"), (nn.BatchNorm2d, "batch_normalization"), (nn.Linear, "dense")):
        modules = [(n, m) for n, m in model.named_modules() if isinstance(m, module_type)]
        keras = layers_of_type(layers, kind)
        if len(keras) != len(modules):
            raise CheckpointError(f"{filename} has {len(keras)} {kind} layers, the model {len(modules)}")
        pairs += [(module_name, kind, layers[keras_name]) for (module_name, _), keras_name in zip(modules, keras)]
    weighted = {name for name, arrays in layers.items() if arrays}
    unused = sorted(weighted - {n for kind in ("conv2d", "batch_normalization", "dense")
                                for n in layers_of_type(layers, kind)})
    if unused:
        raise CheckpointError(f"{filename} has weights this converter does not place: {', '.join(unused)}")
    state = {}
    dense_seen = 0
    for module_name, kind, arrays in pairs:
        if kind == "conv2d":
            state[f"{module_name}.weight"] = arrays["kernel"].transpose(3, 2, 0, 1)
            state[f"{module_name}.bias"] = arrays["bias"]
        elif kind == "batch_normalization":
            state[f"{module_name}.weight"] = arrays["gamma"]
            state[f"{module_name}.bias"] = arrays["beta"]
            state[f"{module_name}.running_mean"] = arrays["moving_mean"]
            state[f"{module_name}.running_var"] = arrays["moving_variance"]
            state[f"{module_name}.num_batches_tracked"] = np.array(0, dtype=np.int64)
        else:
            kernel = arrays["kernel"]
            if dense_seen == 0:  # rows in Keras' (H, W, C) flatten order -> PyTorch's (C, H, W)
                channels, height, width = FEATURE_SHAPE
                kernel = kernel.reshape(height, width, channels, -1).transpose(2, 0, 1, 3).reshape(kernel.shape)
            state[f"{module_name}.weight"] = kernel.T
            state[f"{module_name}.bias"] = arrays["bias"]
            dense_seen += 1
    last = pairs[-1][0]  # the output layer: P(real) -> P(fake)
    state[f"{last}.weight"] = -state[f"{last}.weight"]
    state[f"{last}.bias"] = -state[f"{last}.bias"]
    return {key: torch.tensor(value) for key, value in state.items()}


def write_checkpoints(out_dir, weights_dir=WEIGHTS_DIR, names=PUBLISHED):
    """Convert ``weights_dir/<name>.h5`` for each name and write ``out_dir/<name>.pt``; returns the paths.

    Every file is converted before any checkpoint is written, so a bad file leaves nothing behind.
    """
    converted = []
    for name in names:
        path = Path(weights_dir) / f"{name}.h5"
        converted.append((path, *convert(path)))
    written = []
    for path, model, detector, kwargs in converted:
        provenance = {"file": path.name, "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
                      "source": SOURCE, "output": "P(fake) = 1 - the published P(real)"}
        record = detector_record(detector, kwargs, registry.input_spec(detector, impl="solutions"))
        written.append(save_checkpoint(Path(out_dir) / f"{path.stem}.pt", model, arch=detector, detector=record,
                                       config={"pretrained": provenance}))
    return written
