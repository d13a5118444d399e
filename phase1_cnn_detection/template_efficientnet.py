# Learner template generated from solutions/phase1_cnn_detection/template_efficientnet.py by `make templates`.
# Replace each `raise NotImplementedError(...)` with your code; see IMPLEMENTATION_GUIDE.md.
# template fingerprint: d24128a53d096c68
"""EfficientNet-B4 detector: the backbone of the Deepfake Detection Challenge winners.

EfficientNet (Tan & Le, "EfficientNet: Rethinking Model Scaling for Convolutional Neural Networks",
ICML 2019) scales a mobile-size network (MBConv blocks: 1x1 expansion, depthwise convolution,
squeeze-and-excitation, 1x1 projection, residual) in depth, width and input resolution together.
B4 is the 380 px member: 19M parameters, 1792 features, 83% ImageNet top-1. In the Deepfake
Detection Challenge (Dolhansky et al. 2020) the top solutions were ensembles of EfficientNets, B4 to
B7, fine-tuned on face crops; Bonettini et al. ("Video Face Manipulation Detection Through Ensemble
of CNNs", ICPR 2020) showed that B4 plus a simple spatial attention map matches Xception on
FaceForensics++ while being cheaper, and that the attention map points at the manipulated region.

We do not rebuild the backbone here (torchvision's ``efficientnet_b4`` is the reference
implementation, and its ImageNet weights load as they are); the exercise is turning a classifier
into a detector: take its convolutional ``features``, pool them, and put a one-logit head on top,
optionally re-weighting the feature map by a learned attention map first.

Input convention (torchvision's ImageNet weights): RGB face crops of ``INPUT_SIZE`` = 380 px,
scaled to [0, 1] then normalised with the ImageNet ``MEAN`` / ``STD``. Global pooling makes any
size of at least 32 px work (tests use 64 px); the feature map is H/32 x W/32 (12x12 at 380 px).

Interface shared by every detector in this phase:

* ``forward(x)``:          (B, 3, H, W) -> (B,) raw logits; probability of fake = sigmoid(logit).
* ``forward_features(x)``: (B, 3, H, W) -> (B, 1792, h, w) (attention-weighted when enabled).
* ``embed(x)``:            (B, 3, H, W) -> (B, 1792) pooled penultimate embedding.
"""

import torch
from torch import nn
from torchvision.models import EfficientNet_B4_Weights, efficientnet_b4

from dfkit.errors import DfkitError
from dfkit.training.checkpoint import load_state_dict_checked, read_state_dict

INPUT_SIZE = 380
MEAN = (0.485, 0.456, 0.406)
STD = (0.229, 0.224, 0.225)
EMBED_DIM = 1792


class SpatialAttention(nn.Module):
    """A learned "where to look" map: (B, C, h, w) features -> (B, 1, h, w) weights in (0, 1).

    One 1x1 convolution ``conv`` (C -> 1, with bias) scores every location, a sigmoid turns the
    score into a weight. Multiplying the features by this map before pooling lets the detector
    ignore background and concentrate on blending boundaries; upsampled to the input size it is
    also a free explanation of the decision. C + 1 parameters.
    """

    def __init__(self, in_channels):
        super().__init__()
        raise NotImplementedError("phase1_cnn_detection: implement SpatialAttention layer (conv)")

    def forward(self, features):
        """(B, C, h, w) -> (B, 1, h, w) attention weights in (0, 1)."""
        raise NotImplementedError("phase1_cnn_detection: implement SpatialAttention.forward")


class EfficientNetDetector(nn.Module):
    """EfficientNet-B4 backbone with a binary real/fake head: (B, 3, H, W) -> (B,) logits.

    Layers (names matter: they are the checkpoint keys, shared with torchvision's model):

    * ``features``: the ``features`` module of ``torchvision.models.efficientnet_b4(weights=None)``,
      (B, 3, H, W) -> (B, 1792, H/32, W/32);
    * ``attention``: a :class:`SpatialAttention` over the 1792 channels when ``attention`` is True,
      else ``None``;
    * ``classifier``: ``nn.Sequential(nn.Dropout(drop_rate), nn.Linear(1792, 1))`` applied to the
      spatially averaged features (torchvision's ImageNet head is the same with 1000 outputs).

    Args:
        attention: weight the feature map by a learned spatial attention map before pooling.
        drop_rate: dropout before the linear layer (torchvision's B4 uses 0.4).
    """

    def __init__(self, attention=False, drop_rate=0.4):
        super().__init__()
        # HINT: build torchvision's efficientnet_b4(weights=None) and keep only its .features.
        raise NotImplementedError("phase1_cnn_detection: implement EfficientNetDetector layers (features, attention, classifier)")

    def attention_map(self, x):
        """(B, 3, H, W) -> (B, 1, h, w) attention weights in (0, 1); ValueError if attention is off."""
        raise NotImplementedError("phase1_cnn_detection: implement EfficientNetDetector.attention_map")

    def forward_features(self, x):
        """(B, 3, H, W) normalised images -> (B, 1792, H/32, W/32) features, times the attention map if enabled."""
        raise NotImplementedError("phase1_cnn_detection: implement EfficientNetDetector.forward_features")

    def embed(self, x):
        """(B, 3, H, W) -> (B, 1792): the feature map averaged over space."""
        raise NotImplementedError("phase1_cnn_detection: implement EfficientNetDetector.embed")

    def forward(self, x):
        """(B, 3, H, W) -> (B,) raw logits (no sigmoid; train with BCEWithLogitsLoss)."""
        # HINT: classifier returns (B, 1); drop the last dimension so a batch of one still gives shape (1,).
        raise NotImplementedError("phase1_cnn_detection: implement EfficientNetDetector.forward")


def efficientnet_detector(weights=None, attention=False, drop_rate=0.4):
    """Build an :class:`EfficientNetDetector`, optionally with pretrained weights.

    Args:
        weights: ``None`` (random init), a local checkpoint path (see :func:`load_pretrained`), or
            ``"imagenet"``: torchvision's ImageNet weights through torchvision's own downloader
            (needs internet once; offline, pass the downloaded file's path instead).
        attention: add the spatial attention map (:class:`SpatialAttention`).
        drop_rate: dropout before the head.

    Returns:
        The model, in training mode.
    """
    model = EfficientNetDetector(attention=attention, drop_rate=drop_rate)
    if weights == "imagenet":
        load_pretrained(model, _imagenet_state_dict())
    elif weights is not None:
        load_pretrained(model, weights)
    return model


def load_pretrained(model, path_or_state_dict):
    """Load weights into ``model`` in place and return it; raise CheckpointError if they do not fit.

    ``path_or_state_dict`` is a file path (read safely by :func:`dfkit.training.load_checkpoint`),
    a dfkit training checkpoint ``{"model": state_dict, ...}`` or a bare state_dict; a shared
    ``module.`` or ``model.`` prefix is dropped. The weights are those of either:

    * this module's own detector: loaded strictly (with or without attention, as ``model`` is built);
    * torchvision's ``efficientnet_b4`` (ImageNet, 1000-class ``classifier.1``) or a bare backbone:
      the backbone is loaded strictly, the head and the attention map keep their fresh
      initialisation (transfer learning).
    """
    state = read_state_dict(path_or_state_dict)
    head = state.get("classifier.1.weight")
    fresh_head = head is None or head.shape[0] != 1
    allowed_missing = ()
    if fresh_head:
        state = {k: v for k, v in state.items() if not k.startswith("classifier.")}
        allowed_missing = [k for k in model.state_dict() if k.startswith(("classifier.", "attention."))]
    load_state_dict_checked(model, state, allowed_missing)
    return model


def _imagenet_state_dict():
    """torchvision's ImageNet EfficientNet-B4 weights, downloaded (and cached) by torchvision itself."""
    try:
        return EfficientNet_B4_Weights.IMAGENET1K_V1.get_state_dict(progress=True)
    except Exception as err:  # no network, no cache: use a local file
        raise DfkitError(f"could not fetch ImageNet EfficientNet-B4 weights through torchvision ({err}); "
                         f"download them where there is internet and pass the file path as weights") from err
