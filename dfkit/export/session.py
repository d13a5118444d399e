"""An exported detector run by ONNX Runtime: :class:`OnnxDetector` and the execution providers per device."""
import torch
from torch import nn

from dfkit.errors import DeviceError
from dfkit.export.graph import metadata

GPU_PROVIDERS = ("TensorrtExecutionProvider", "CUDAExecutionProvider")


class OnnxDetector(nn.Module):
    """An exported detector run by an ONNX Runtime session: (B, ...) float tensor -> (B,) logits on the
    input's device. ``precision`` ("fp32" / "int8") and ``provider`` say how it runs."""

    def __init__(self, session, precision):
        super().__init__()
        self.session, self.precision = session, precision
        self.provider = session.get_providers()[0]
        self.input_name = session.get_inputs()[0].name
        # No weights live here; this empty tensor tells callers the device (next(model.parameters()).device).
        self.anchor = nn.Parameter(torch.empty(0), requires_grad=False)

    @classmethod
    def from_model(cls, model, device, provider=None):
        """A detector for ``model`` (an .onnx path or serialised bytes) on ``device`` (a torch.device);
        ``provider`` picks one of :func:`providers` (default: the first)."""
        import onnxruntime

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = torch.get_num_threads()  # the same thread budget as PyTorch
        options.log_severity_level = 3
        chosen = [provider] if provider else providers(device)
        session = onnxruntime.InferenceSession(model if isinstance(model, bytes) else str(model), options,
                                               providers=_with_device(chosen, device))
        precision = metadata_of(session).get("precision", "fp32")
        return cls(session, precision).to(device)

    def forward(self, inputs):
        array = inputs.detach().to("cpu", torch.float32).contiguous().numpy()
        logits = self.session.run(None, {self.input_name: array})[0]
        return torch.from_numpy(logits).to(inputs.device)


def providers(device):
    """ONNX Runtime providers for ``device``, fastest first; DeviceError when this onnxruntime has none."""
    import onnxruntime

    available = onnxruntime.get_available_providers()
    if device.type == "cpu":
        return ["CPUExecutionProvider"]
    if device.type == "cuda":
        found = [p for p in GPU_PROVIDERS if p in available]
        if found:
            return found
        raise DeviceError(f"--runtime onnxruntime on {device}: this onnxruntime has no CUDA provider (it has "
                          f"{', '.join(available)}); install onnxruntime-gpu, or use --device cpu or --runtime torch")
    raise DeviceError(f"--runtime onnxruntime has no provider for {device.type} here; use --device cpu")


def _with_device(chosen, device):
    options = {"device_id": device.index or 0}
    return [(p, options) if p in GPU_PROVIDERS else p for p in chosen]


def metadata_of(session):
    """The ``dfkit.*`` metadata (a dict) of an ONNX Runtime ``session``'s model."""
    return metadata(session.get_modelmeta().custom_metadata_map)
