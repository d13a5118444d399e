"""Device choice and the speed features that depend on it (AMP, channels_last, pinned memory)."""
import os

import torch

from dfkit.errors import DeviceError


def select_device(preference=None):
    """Pick a torch.device: ``preference`` ("cuda", "cuda:1", "mps", "cpu") or the best available.

    Under torchrun with CUDA the default is ``cuda:$LOCAL_RANK``. A name that is not a device, or a
    device this machine does not have, raises :class:`dfkit.errors.DeviceError` (a ValueError).
    """
    if preference is None:
        if torch.cuda.is_available():
            preference = f"cuda:{int(os.environ.get('LOCAL_RANK', 0))}"
        elif torch.backends.mps.is_available():
            preference = "mps"
        else:
            preference = "cpu"
    try:
        device = torch.device(preference)
    except RuntimeError:
        raise DeviceError(f"{preference!r} is not a device: expected cpu, cuda, cuda:N or mps") from None
    if device.type == "cuda" and not torch.cuda.is_available():
        raise DeviceError(f"device {preference!r} requested but CUDA is not available")
    if device.type == "cuda" and device.index is not None and device.index >= torch.cuda.device_count():
        raise DeviceError(f"device {preference!r} requested but this machine has {torch.cuda.device_count()} "
                          f"CUDA device(s)")
    if device.type == "mps" and not torch.backends.mps.is_available():
        raise DeviceError(f"device {preference!r} requested but Apple MPS is not available")
    return device


def amp_dtype(device, amp, dtype_name="float16"):
    """The autocast dtype to use, or None for full fp32 (AMP only on CUDA; auto = on for CUDA)."""
    enabled = device.type == "cuda" if amp is None else bool(amp)
    if not enabled:
        return None
    if device.type != "cuda":
        raise ValueError(f"mixed precision is supported on CUDA only, not on {device.type}")
    if dtype_name == "bfloat16" and not torch.cuda.is_bf16_supported():
        return torch.float16
    return {"float16": torch.float16, "bfloat16": torch.bfloat16}[dtype_name]


def use_channels_last(device, channels_last):
    """Whether to store 4-D activations NHWC (auto: on CUDA, where cuDNN is faster with it)."""
    return device.type == "cuda" if channels_last is None else bool(channels_last)


def channels_last_model(model):
    """``model`` with its 4-D weights stored NHWC (faster 2-D convolutions on CPU and CUDA); a model with 5-D
    weights (3-D convolutions) is returned as it is, since PyTorch converts a module's weights all one way."""
    if any(parameter.dim() == 5 for parameter in model.parameters()):
        return model
    return model.to(memory_format=torch.channels_last)


def to_device(tensor, device, channels_last=False):
    """Copy a batch tensor to ``device`` (non-blocking from pinned memory), NHWC if asked and 4-D."""
    tensor = tensor.to(device, non_blocking=True)
    if channels_last and tensor.dim() == 4:
        tensor = tensor.contiguous(memory_format=torch.channels_last)
    return tensor
