"""Xception: the FaceForensics++ baseline detector, built from scratch.

Xception (Chollet, "Xception: Deep Learning with Depthwise Separable Convolutions", CVPR 2017)
replaces every ordinary 3x3 convolution of an Inception-style network by a *depthwise separable*
one: a 3x3 convolution applied to each channel on its own (spatial mixing), then a 1x1 convolution
across channels (channel mixing). Thirty-six such convolutions, grouped into residual blocks, form
three flows::

    entry flow   conv1 (3->32, stride 2) -> conv2 (32->64) -> block1 (128) -> block2 (256) -> block3 (728)
    middle flow  block4 ... block11: eight identical residual blocks at 728 channels
    exit flow    block12 (728->1024) -> conv3 (1536) -> conv4 (2048) -> global average pool -> fc

Rossler et al. ("FaceForensics++: Learning to Detect Manipulated Facial Images", ICCV 2019) found
that this ImageNet-pretrained network, fine-tuned on face crops, beat every hand-crafted and
shallow detector on all four manipulation methods, especially on compressed video. It has become
the baseline every later paper reports. Why it works: manipulation artifacts (blending seams,
resampling, colour mismatch) are local texture statistics; depthwise convolutions look at each
channel's texture cheaply, pointwise convolutions combine the evidence, and the deep residual
stack keeps gradients healthy when fine-tuning all layers.

Input convention (the published weights were converted from Keras): RGB face crops of
``INPUT_SIZE`` = 299 px, scaled to [0, 1] then normalised with ``MEAN`` = ``STD`` = 0.5, i.e. to
[-1, 1]. The network ends in global average pooling, so any input of at least about 32 px works
(tests use 64-96 px); the final feature map is 10x10 at 299 px.

Every detector in this phase shares one interface:

* ``forward(x)``:          (B, 3, H, W) -> (B,) raw logits; probability of fake = sigmoid(logit).
* ``forward_features(x)``: (B, 3, H, W) -> (B, 2048, h, w) last feature map (after the final ReLU).
* ``embed(x)``:            (B, 3, H, W) -> (B, 2048) pooled penultimate embedding.

The module and parameter names (``conv1``, ``bn1``, ``block1.rep.0.pointwise``, ...) are those of
the original Keras-to-PyTorch port, so checkpoints from timm (``legacy_xception``), FaceForensics++
and DeepfakeBench load with :func:`load_pretrained`.
"""

from torch import nn

from dfkit.errors import DfkitError
from dfkit.training.checkpoint import load_state_dict_checked, read_state_dict

INPUT_SIZE = 299
MEAN = (0.5, 0.5, 0.5)
STD = (0.5, 0.5, 0.5)
EMBED_DIM = 2048


class SeparableConv2d(nn.Module):
    """Depthwise separable 3x3 convolution: (B, in, H, W) -> (B, out, H, W), stride 1, padding 1.

    ``conv1`` is the depthwise part: a 3x3 convolution with ``groups=in_channels``, so each input
    channel gets its own filter (weight shape (in, 1, 3, 3)). ``pointwise`` is a 1x1 convolution
    mixing channels (weight (out, in, 1, 1)). Neither has a bias: a BatchNorm always follows.

    Parameters: 9 * in + in * out, against 9 * in * out for a plain 3x3 convolution; for 728 -> 728
    that is 536,536 instead of 4,769,856.

    Example::

        >>> SeparableConv2d(64, 128)(torch.zeros(2, 64, 15, 15)).shape
        torch.Size([2, 128, 15, 15])
    """

    def __init__(self, in_channels, out_channels):
        super().__init__()
        # BEGIN SOLUTION SeparableConv2d layers (conv1 depthwise, pointwise)
        # HINT: nn.Conv2d(..., groups=in_channels) gives one 3x3 filter per channel; use bias=False.
        self.conv1 = nn.Conv2d(in_channels, in_channels, 3, padding=1, groups=in_channels, bias=False)
        self.pointwise = nn.Conv2d(in_channels, out_channels, 1, bias=False)
        # END SOLUTION

    def forward(self, x):
        """(B, in, H, W) -> (B, out, H, W): depthwise, then pointwise."""
        # BEGIN SOLUTION
        return self.pointwise(self.conv1(x))
        # END SOLUTION


class Block(nn.Module):
    """Xception residual block: ``reps`` separable convolutions plus a shortcut, (B, in, H, W) -> (B, out, H', W').

    ``rep`` is an ``nn.Sequential`` holding, for each of the ``reps`` convolutions, in this order:
    ``nn.ReLU``, :class:`SeparableConv2d`, ``nn.BatchNorm2d``. The very first ReLU is left out when
    ``start_with_relu`` is False (block1 follows a ReLU already). When ``stride`` is 2, the sequence
    ends with ``nn.MaxPool2d(3, stride=2, padding=1)``, halving the resolution (H' = ceil(H / 2)).

    Channel growth: with ``grow_first`` the first convolution goes in -> out and the others
    out -> out; otherwise the first ``reps - 1`` stay at ``in`` and the last one goes in -> out.

    Shortcut: when the shape changes (``in != out`` or ``stride != 1``) it is ``skip`` (1x1
    convolution, given stride, no bias) followed by ``skipbn`` (BatchNorm2d); otherwise the input
    itself. The block returns ``rep(x) + shortcut(x)``.

    The indices inside ``rep`` are part of the checkpoint keys (``block1.rep.0.pointwise.weight``,
    ``block2.rep.1.pointwise.weight``): build it exactly in the order above.

    Example::

        >>> Block(64, 128, reps=2, stride=2, start_with_relu=False)(torch.zeros(1, 64, 29, 29)).shape
        torch.Size([1, 128, 15, 15])
    """

    def __init__(self, in_channels, out_channels, reps, stride=1, start_with_relu=True, grow_first=True):
        super().__init__()
        # BEGIN SOLUTION Block layers (rep, skip, skipbn)
        # HINT: the first ReLU must not be inplace=True: it would overwrite x, which the shortcut still needs.
        if grow_first:
            widths = [(in_channels, out_channels)] + [(out_channels, out_channels)] * (reps - 1)
        else:
            widths = [(in_channels, in_channels)] * (reps - 1) + [(in_channels, out_channels)]
        layers = []
        for i, (cin, cout) in enumerate(widths):
            if i > 0 or start_with_relu:
                layers.append(nn.ReLU(inplace=i > 0))
            layers += [SeparableConv2d(cin, cout), nn.BatchNorm2d(cout)]
        if stride != 1:
            layers.append(nn.MaxPool2d(3, stride=stride, padding=1))
        self.rep = nn.Sequential(*layers)
        if in_channels != out_channels or stride != 1:
            self.skip = nn.Conv2d(in_channels, out_channels, 1, stride=stride, bias=False)
            self.skipbn = nn.BatchNorm2d(out_channels)
        else:
            self.skip = None
        # END SOLUTION

    def forward(self, x):
        """(B, in, H, W) -> (B, out, H', W'): ``rep(x)`` plus the (projected) input."""
        # BEGIN SOLUTION
        shortcut = x if self.skip is None else self.skipbn(self.skip(x))
        return self.rep(x) + shortcut
        # END SOLUTION


class Xception(nn.Module):
    """Xception with a binary real/fake head: (B, 3, H, W) -> (B,) logits.

    Layers, in forward order (names matter: they are the checkpoint keys):

    * entry flow: ``conv1`` 3x3/2 conv 3->32 (no padding, no bias), ``bn1``, ReLU;
      ``conv2`` 3x3 conv 32->64 (no padding, no bias), ``bn2``, ReLU;
      ``block1`` = Block(64, 128, 2, stride 2, start_with_relu=False);
      ``block2`` = Block(128, 256, 2, stride 2); ``block3`` = Block(256, 728, 2, stride 2).
    * middle flow: ``block4`` ... ``block11`` = Block(728, 728, 3, stride 1), eight times.
    * exit flow: ``block12`` = Block(728, 1024, 2, stride 2, grow_first=False);
      ``conv3`` = SeparableConv2d(1024, 1536), ``bn3``, ReLU;
      ``conv4`` = SeparableConv2d(1536, 2048), ``bn4``, ReLU.
    * head: global average pooling, ``nn.Dropout(drop_rate)``, ``fc`` = Linear(2048, 1).

    Spatial size: 299 -> 149 (conv1) -> 147 (conv2) -> 74 -> 37 -> 19 (block1-3) -> 10 (block12).
    20,809,001 parameters with the binary head.

    Args:
        drop_rate: dropout before ``fc`` (FaceForensics++ trained with 0.5; 0 disables it).
    """

    def __init__(self, drop_rate=0.0):
        super().__init__()
        # BEGIN SOLUTION Xception layers (entry, middle and exit flows, head)
        # HINT: the middle flow is eight identical blocks: setattr(self, f"block{i}", Block(...)) in a loop.
        self.conv1 = nn.Conv2d(3, 32, 3, stride=2, bias=False)
        self.bn1 = nn.BatchNorm2d(32)
        self.conv2 = nn.Conv2d(32, 64, 3, bias=False)
        self.bn2 = nn.BatchNorm2d(64)
        self.act = nn.ReLU(inplace=True)

        self.block1 = Block(64, 128, 2, stride=2, start_with_relu=False)
        self.block2 = Block(128, 256, 2, stride=2)
        self.block3 = Block(256, 728, 2, stride=2)
        for i in range(4, 12):
            setattr(self, f"block{i}", Block(728, 728, 3))
        self.block12 = Block(728, 1024, 2, stride=2, grow_first=False)

        self.conv3 = SeparableConv2d(1024, 1536)
        self.bn3 = nn.BatchNorm2d(1536)
        self.conv4 = SeparableConv2d(1536, EMBED_DIM)
        self.bn4 = nn.BatchNorm2d(EMBED_DIM)

        self.dropout = nn.Dropout(drop_rate)
        self.fc = nn.Linear(EMBED_DIM, 1)
        # END SOLUTION

    def forward_features(self, x):
        """(B, 3, H, W) normalised images -> (B, 2048, h, w) feature map after the last ReLU (h = 10 at 299 px)."""
        # BEGIN SOLUTION
        x = self.act(self.bn1(self.conv1(x)))
        x = self.act(self.bn2(self.conv2(x)))
        for i in range(1, 13):
            x = getattr(self, f"block{i}")(x)
        x = self.act(self.bn3(self.conv3(x)))
        return self.act(self.bn4(self.conv4(x)))
        # END SOLUTION

    def embed(self, x):
        """(B, 3, H, W) -> (B, 2048): the feature map averaged over space (the input of ``fc``)."""
        # BEGIN SOLUTION
        return self.forward_features(x).mean(dim=(2, 3))
        # END SOLUTION

    def forward(self, x):
        """(B, 3, H, W) -> (B,) raw logits (no sigmoid; train with BCEWithLogitsLoss)."""
        # BEGIN SOLUTION
        # HINT: fc returns (B, 1); drop the last dimension so a batch of one still gives shape (1,).
        return self.fc(self.dropout(self.embed(x))).squeeze(-1)
        # END SOLUTION


def xception_detector(weights=None, drop_rate=0.0):
    """Build an :class:`Xception` detector, optionally with pretrained weights.

    Args:
        weights: ``None`` (random init), a local checkpoint path (see :func:`load_pretrained`), or
            ``"imagenet"``: timm's ImageNet weights through timm's own downloader (needs internet
            once; offline, download the file elsewhere and pass its path).
        drop_rate: dropout before the head.

    Returns:
        The model, in training mode.
    """
    model = Xception(drop_rate=drop_rate)
    if weights == "imagenet":
        load_pretrained(model, _imagenet_state_dict())
    elif weights is not None:
        load_pretrained(model, weights)
    return model


def load_pretrained(model, path_or_state_dict):
    """Load Xception weights into ``model`` in place and return it; raise CheckpointError if they do not fit.

    ``path_or_state_dict`` is a file path (read safely by :func:`dfkit.training.load_checkpoint`),
    a dfkit training checkpoint ``{"model": state_dict, ...}`` or a bare state_dict. Shared
    ``module.`` (DistributedDataParallel), ``model.`` (FaceForensics++) and ``backbone.``
    (DeepfakeBench) prefixes are dropped. Accepted layouts, told apart by their keys:

    * this module's own checkpoints and timm ``legacy_xception`` state_dicts: loaded as they are;
    * FaceForensics++ / DeepfakeBench / Cadene ``pretrainedmodels``: the head is ``last_linear``
      (or ``last_linear.1`` behind a dropout) and is renamed ``fc``; pointwise weights stored 2-D
      (out, in) are reshaped to (out, in, 1, 1).

    The head is then matched to the binary ``fc``:

    * 1 output: loaded as is;
    * 2 outputs (softmax over [real, fake], as in FaceForensics++): converted exactly, since
      softmax(z)[fake] = sigmoid(z_fake - z_real): weight = w_fake - w_real, bias = b_fake - b_real;
    * any other number (the 1000 ImageNet classes): dropped, so ``model.fc`` keeps its fresh
      initialisation and only the backbone is loaded (transfer learning).

    Every other key must match ``model``'s exactly (names and shapes).
    """
    state = read_state_dict(path_or_state_dict)
    state = _to_timm_layout(state)
    head_outputs = state["fc.weight"].shape[0] if "fc.weight" in state else None
    if head_outputs == 2:
        state["fc.weight"] = (state["fc.weight"][1] - state["fc.weight"][0])[None]
        state["fc.bias"] = (state["fc.bias"][1] - state["fc.bias"][0])[None]
    elif head_outputs is not None and head_outputs != 1:
        del state["fc.weight"]
        state.pop("fc.bias", None)
    allowed_missing = () if head_outputs in (1, 2) else ("fc.weight", "fc.bias")
    load_state_dict_checked(model, state, allowed_missing)
    return model


def _to_timm_layout(state):
    """Rename a ``last_linear`` head to ``fc`` and reshape 2-D pointwise weights to 4-D."""
    converted = {}
    for key, value in state.items():
        for old in ("last_linear.1.", "last_linear."):
            if key.startswith(old):
                key = "fc." + key[len(old):]
                break
        if key.endswith("pointwise.weight") and value.dim() == 2:
            value = value[:, :, None, None]
        converted[key] = value
    return converted


def _imagenet_state_dict():
    """timm's ImageNet ``legacy_xception`` weights, downloaded (and cached) by timm itself."""
    try:
        import timm

        return timm.create_model("legacy_xception", pretrained=True).state_dict()
    except Exception as err:  # no timm, no network, no cache: all mean "use a local file"
        raise DfkitError(f"could not fetch ImageNet Xception weights through timm ({err}); download "
                         f"them where there is internet and pass the file path as weights") from err
