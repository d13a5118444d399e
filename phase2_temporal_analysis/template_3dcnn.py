# Learner template generated from solutions/phase2_temporal_analysis/template_3dcnn.py by `make templates`.
# Replace each `raise NotImplementedError(...)` with your code; see IMPLEMENTATION_GUIDE.md.
# template fingerprint: f93461c11efffd59
"""3D CNNs: convolutions that slide over time as well as space.

A 3D convolution's kernel spans (t, h, w), so its very first layer already compares neighbouring
frames: flicker, jitter and re-lighting are local patterns in space-time, not something a
per-frame network can see. Three networks, each an exercise:

1. **R3D-18** (Tran et al. 2018): ResNet-18 with every 3x3 convolution made 3x3x3.
2. **R(2+1)D-18**: each 3x3x3 convolution factorised into a spatial 1x3x3 and a temporal 3x1x1
   convolution with a BatchNorm and ReLU between them, the middle width chosen so that the pair has
   about as many parameters as the 3x3x3 kernel (:func:`midplanes`).
3. **C3D-small**: a plain stack of 3x3x3 conv-BN-ReLU stages and pooling, small enough to train
   on a CPU in a minute.

Your R3D-18 and R(2+1)D-18 use torchvision's layer names (``stem``, ``layer1``..``layer4``, each
block's ``conv1`` / ``conv2`` / ``downsample``, ``fc``), so ``torchvision.models.video.r3d_18`` and
``r2plus1d_18`` weights (Kinetics-400, a local file) load into them unchanged, and the same weights
give the same outputs.

Conventions: clips come in as (B, T, 3, H, W) (the platform's ``face_clips``) and are permuted to
PyTorch's (B, 3, T, H, W) for ``nn.Conv3d``; every detector returns (B,) logits.
"""
import torch
from torch import nn

INPUT_SIZE = 112
MEAN = (0.43216, 0.394666, 0.37645)  # Kinetics-400, as torchvision's video models were trained
STD = (0.22803, 0.22145, 0.216989)
STAGE_WIDTHS = (64, 128, 256, 512)


def midplanes(in_planes, out_planes):
    """Middle width of a (2+1)D pair replacing a 3x3x3 convolution from ``in_planes`` to ``out_planes``.

    Returns ``floor(27 * in * out / (9 * in + 3 * out))``: the 1x3x3 convolution (9 * in * mid weights)
    plus the 3x1x1 one (3 * mid * out) then hold about the 27 * in * out weights of the 3x3x3 kernel.
    Example: midplanes(64, 64) = 144.
    """
    raise NotImplementedError("phase2_temporal_analysis: implement midplanes")


def spatiotemporal_conv(in_planes, out_planes, mid_planes, stride=1, factorised=False):
    """A bias-free space-time convolution with ``padding=1`` in t, h and w.

    factorised=False: ``nn.Conv3d(in, out, 3, stride, padding=1)`` (R3D).
    factorised=True: ``nn.Sequential(Conv3d(in, mid, (1, 3, 3), stride (1, s, s), padding (0, 1, 1)),
    BatchNorm3d(mid), ReLU, Conv3d(mid, out, (3, 1, 1), stride (s, 1, 1), padding (1, 0, 0)))``
    (R(2+1)D; keys ``0``, ``1``, ``3``): the spatial convolution strides in space, the temporal one in time.
    """
    raise NotImplementedError("phase2_temporal_analysis: implement spatiotemporal_conv")


class BasicBlock3d(nn.Module):
    """ResNet basic block in space-time: two convolutions and a shortcut.

    Attributes (torchvision's names): ``conv1`` = Sequential(conv(in -> planes, stride), BatchNorm3d,
    ReLU); ``conv2`` = Sequential(conv(planes -> planes), BatchNorm3d); ``downsample`` = None, or, when
    ``stride != 1`` or ``in_planes != planes``, Sequential(Conv3d(in, planes, 1, stride=stride,
    bias=False), BatchNorm3d(planes)); ``relu``. Both convolutions are :func:`spatiotemporal_conv` with
    the same ``midplanes(in_planes, planes)`` (torchvision's choice, also for ``conv2``).

    forward: (B, in, T, H, W) -> relu(conv2(conv1(x)) + shortcut(x)), shortcut = downsample(x) or x.
    """

    def __init__(self, in_planes, planes, stride=1, factorised=False):
        super().__init__()
        raise NotImplementedError("phase2_temporal_analysis: implement BasicBlock3d.__init__")

    def forward(self, x):
        raise NotImplementedError("phase2_temporal_analysis: implement BasicBlock3d.forward")


def video_stem(factorised=False):
    """The first layers: (B, 3, T, H, W) -> (B, 64, T, H / 2, W / 2).

    R3D: Sequential(Conv3d(3, 64, (3, 7, 7), stride (1, 2, 2), padding (1, 3, 3)), BatchNorm3d, ReLU).
    R(2+1)D: Sequential(Conv3d(3, 45, (1, 7, 7), stride (1, 2, 2), padding (0, 3, 3)), BatchNorm3d(45),
    ReLU, Conv3d(45, 64, (3, 1, 1), padding (1, 0, 0)), BatchNorm3d(64), ReLU). All convolutions bias-free.
    """
    raise NotImplementedError("phase2_temporal_analysis: implement video_stem")


class VideoResNet18(nn.Module):
    """R3D-18 (``factorised=False``) or R(2+1)D-18 (``factorised=True``) with ``num_classes`` outputs.

    Attributes: ``stem`` (:func:`video_stem`); ``layer1``..``layer4``: two :class:`BasicBlock3d` each,
    widths :data:`STAGE_WIDTHS`, the first block of layers 2-4 with stride 2 (halving T, H and W);
    ``avgpool`` = AdaptiveAvgPool3d(1); ``fc`` = Linear(512, num_classes). Initialisation as
    torchvision: Kaiming-normal (fan_out, relu) convolutions, BatchNorm weight 1 / bias 0, ``fc``
    weights N(0, 0.01) and bias 0.
    """

    def __init__(self, factorised=False, num_classes=1):
        super().__init__()
        raise NotImplementedError("phase2_temporal_analysis: implement VideoResNet18.__init__")

    def forward_features(self, video):
        """(B, 3, T, H, W) -> (B, 512) pooled features (torchvision's layout, before ``fc``)."""
        raise NotImplementedError("phase2_temporal_analysis: implement VideoResNet18.forward_features")

    def forward(self, clips):
        """(B, T, 3, H, W) clips -> (B,) logits for one class, (B, num_classes) otherwise."""
        raise NotImplementedError("phase2_temporal_analysis: implement VideoResNet18.forward")


class C3DSmall(nn.Module):
    """A small C3D-style detector: (B, T, 3, H, W) clips -> (B,) logits.

    ``features``: four stages of Conv3d(3x3x3, padding 1, bias-free) -> BatchNorm3d -> ReLU with widths
    ``width``, 2 ``width``, 4 ``width``, 8 ``width``; after stage 1 a MaxPool3d((1, 2, 2)) (space only:
    keep the frames for the next convolutions to compare), after stages 2 and 3 a MaxPool3d(2), after
    stage 4 an AdaptiveAvgPool3d(1) and Flatten. ``classifier``: Dropout(drop_rate) -> Linear(8 width, 1).
    Indices in ``features``: conv 0, 4, 8, 12; BatchNorm 1, 5, 9, 13.
    """

    def __init__(self, width=16, drop_rate=0.0):
        super().__init__()
        raise NotImplementedError("phase2_temporal_analysis: implement C3DSmall.__init__")

    def forward(self, clips):
        raise NotImplementedError("phase2_temporal_analysis: implement C3DSmall.forward")


def _with_weights(model, weights):
    """Load a local torchvision video-model state_dict into ``model``; its 400-class ``fc`` is dropped."""
    if weights is None:
        return model
    if weights == "imagenet":
        raise ValueError("video ResNets have Kinetics-400 weights, not ImageNet: pass a local state_dict file")
    state = torch.load(weights, map_location="cpu", weights_only=True)
    state = state.get("model", state)
    if state["fc.weight"].shape != model.fc.weight.shape:
        state = {k: v for k, v in state.items() if not k.startswith("fc.")}
    missing, unexpected = model.load_state_dict(state, strict=False)
    if unexpected or set(missing) - {"fc.weight", "fc.bias"}:
        raise ValueError(f"{weights} does not fit: missing {missing[:3]}, unexpected {unexpected[:3]}")
    return model


def r3d_18(weights=None):
    """Given code: the registry's ``r3d18``; ``weights`` a local torchvision ``r3d_18`` state_dict (or None)."""
    return _with_weights(VideoResNet18(factorised=False), weights)


def r2plus1d_18(weights=None):
    """Given code: the registry's ``r2plus1d18``; ``weights`` a local torchvision ``r2plus1d_18`` state_dict."""
    return _with_weights(VideoResNet18(factorised=True), weights)
