# Learner template generated from solutions/phase2_temporal_analysis/template_lstm_detector.py by `make templates`.
# Replace each `raise NotImplementedError(...)` with your code; see IMPLEMENTATION_GUIDE.md.
# template fingerprint: 29fc345703f0abb3
"""A CNN + LSTM/GRU detector: embed every frame, then let a recurrent network read the sequence.

A frame-level CNN scores faces one at a time; an LSTM or GRU over the CNN's per-frame embeddings sees
how they change, so it can catch forgeries whose frames are each plausible but whose sequence is not
(the synthetic ``relight`` fake: a face re-coloured independently in every frame).

    clips (B, T, 3, S, S) --encoder, frame by frame--> (B, T, D) --[e_t, e_t - e_(t-1)]--> (B, T, 2D)
        --LSTM/GRU--> (B, T, H * dirs) --pool over valid steps ("last" or "mean")--> (B, H * dirs)
        --head--> (B,) logits

Why the differences: an embedding mostly says *who* is in the frame; a 5 % colour flicker moves it
far less than a change of identity does. An LSTM trained from scratch on the raw embeddings of the
synthetic ``relight`` fakes stays at chance (benchmark: video AUC 0.51); given ``e_t - e_(t-1)`` as
well (frame differences again, in embedding space) it separates them (AUC 1.00) within seconds.

The encoder is given: a small CNN that trains on a CPU in seconds (``backbone="small"``) or
facenet-pytorch's ``InceptionResnetV1`` (``backbone="inception_resnet_v1"``, 512-d, inputs of at
least 96 px, 160 px natively; random init, or your local VGGFace2 weights file as ``backbone_weights``;
nothing is downloaded). You write the sequence part:

1. :func:`sequence_mask`: which steps of a padded batch are real frames.
2. :func:`with_deltas`: each step's embedding next to its change since the previous step.
3. :func:`pool_sequence`: one vector per clip from the recurrent outputs, ignoring padding.
4. :class:`TemporalDetector`: ``__init__`` (encoder, ``rnn``, ``head``) and ``forward``, with
   variable-length clips packed (``lengths``) so that padding never reaches the recurrent network.

Registered as ``lstm`` and ``gru`` (``phase2_temporal_analysis/detectors.py``); ``train.py --model
lstm --clip-len 8`` trains it on clips of face crops.
"""
import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

INPUT_SIZE = 64
MEAN = (0.5, 0.5, 0.5)
STD = (0.5, 0.5, 0.5)  # (x - 0.5) / 0.5 = (255 x - 127.5) / 127.5: facenet-pytorch's own normalisation
CELLS = ("lstm", "gru")
POOLINGS = ("last", "mean")
BACKBONES = ("small", "inception_resnet_v1")


def small_encoder(embed_dim=64, width=16):
    """Given code: (N, 3, S, S) -> (N, embed_dim); three stride-2 conv-BN-ReLU stages, global average pool."""
    layers, channels = [], 3
    for out in (width, 2 * width, 4 * width):
        layers += [nn.Conv2d(channels, out, 3, stride=2, padding=1, bias=False), nn.BatchNorm2d(out),
                   nn.ReLU(inplace=True)]
        channels = out
    return nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(channels, embed_dim))


def inception_encoder(weights=None):
    """Given code: facenet-pytorch's InceptionResnetV1, (N, 3, S >= 96, S) -> (N, 512) embeddings.

    weights: None (random init) or a local state_dict file (e.g. VGGFace2 weights saved earlier);
    its classification ``logits`` layer, if any, is dropped. Never downloads.
    """
    from facenet_pytorch import InceptionResnetV1

    model = InceptionResnetV1(pretrained=None, classify=False)
    if weights is not None:
        state = torch.load(weights, map_location="cpu", weights_only=True)
        model.load_state_dict({k: v for k, v in state.items() if not k.startswith("logits.")})
    return model


def sequence_mask(lengths, max_len):
    """Boolean (B, max_len) mask, True at the valid steps ``t < lengths[b]``.

    Args:
        lengths: (B,) int tensor (or list) of sequence lengths, each in 1..max_len. max_len: int.

    Example: lengths [3, 1], max_len 4 -> [[T, T, T, F], [T, F, F, F]].
    """
    raise NotImplementedError("phase2_temporal_analysis: implement sequence_mask")


def with_deltas(features):
    """Each step's features next to their change since the previous step.

    Args:
        features: (B, T, D) float tensor of per-frame embeddings.

    Returns:
        (B, T, 2D): ``[e_t, e_t - e_(t-1)]`` concatenated on the last dimension, with a zero difference
        at t = 0. Step t uses only steps t and t - 1, so padding after a clip's end never reaches
        its valid steps.
    """
    raise NotImplementedError("phase2_temporal_analysis: implement with_deltas")


def pool_sequence(outputs, lengths, how="last", directions=1):
    """One vector per sequence from a recurrent network's padded outputs.

    Args:
        outputs: (B, T, directions * H) outputs of a ``batch_first`` LSTM/GRU (for a bidirectional
            one, the forward direction's H features come first, then the backward one's).
        lengths: (B,) valid lengths (None: all T). how: "last" or "mean". directions: 1 or 2.

    Returns:
        (B, directions * H): for "mean", the mean over the valid steps only; for "last", the output
        at the last valid step ``lengths[b] - 1``; for a bidirectional network "last" takes the
        forward half at step ``lengths[b] - 1`` and the backward half at step 0, where the backward
        direction has read the whole sequence (both equal the network's final hidden states h_n).
    """
    # HINT: torch.gather, or outputs[torch.arange(B), lengths - 1]; padding steps hold zeros after
    raise NotImplementedError("phase2_temporal_analysis: implement pool_sequence")


class TemporalDetector(nn.Module):
    """Per-frame encoder -> LSTM / GRU -> pooled sequence -> one fake logit per clip.

    Args:
        cell: "lstm" or "gru". hidden_size: H. num_layers: stacked recurrent layers. bidirectional:
            read the clip both ways (outputs 2H). pooling: "last" or "mean" (:func:`pool_sequence`).
        dropout: between stacked recurrent layers (PyTorch ignores it for one layer) and before the
            head. deltas: feed the recurrent network :func:`with_deltas` of the embeddings (input 2D). backbone: "small" (:func:`small_encoder` with ``embed_dim``) or "inception_resnet_v1"
            (:func:`inception_encoder` with ``backbone_weights``; 512-d, ``embed_dim`` ignored).

    Attributes (checkpoint keys): ``encoder``, ``rnn`` (``nn.LSTM`` / ``nn.GRU``, ``batch_first=True``,
    input size = the encoder's embedding size D, or 2D with ``deltas``), ``dropout`` (``nn.Dropout``), ``head``
    (``nn.Linear(H * directions, 1)``); ``pooling``, ``directions`` (1 or 2) and ``deltas`` as plain
    attributes.
    """

    def __init__(self, cell="lstm", hidden_size=64, num_layers=1, bidirectional=False, pooling="last",
                 dropout=0.0, deltas=True, embed_dim=64, backbone="small", backbone_weights=None):
        super().__init__()
        if cell not in CELLS or pooling not in POOLINGS or backbone not in BACKBONES:
            raise ValueError(f"cell must be one of {CELLS}, pooling one of {POOLINGS}, backbone one of "
                             f"{BACKBONES}; got {cell!r}, {pooling!r}, {backbone!r}")
        if backbone == "small":
            self.encoder = small_encoder(embed_dim)
        else:
            self.encoder, embed_dim = inception_encoder(backbone_weights), 512
        # HINT: nn.LSTM and nn.GRU take the same arguments; dropout between layers only if num_layers > 1.
        raise NotImplementedError("phase2_temporal_analysis: implement TemporalDetector.__init__")

    def embed(self, clips):
        """Given code: (B, T, 3, S, S) -> (B, T, D) per-frame embeddings (frames encoded independently)."""
        b, t = clips.shape[:2]
        return self.encoder(clips.flatten(0, 1)).view(b, t, -1)

    def forward(self, clips, lengths=None):
        """(B, T, 3, S, S) clips -> (B,) logits.

        lengths: None (every clip has T frames) or (B,) valid lengths; frames past a clip's length are
        padding and must not change its logit: embed, add :func:`with_deltas` if ``deltas``, pack
        (``pack_padded_sequence`` with ``enforce_sorted=False``, lengths on the CPU), run ``rnn``, unpack with ``total_length=T``,
        then :func:`pool_sequence`, ``dropout`` and ``head``. A batch of one gives shape (1,).
        """
        raise NotImplementedError("phase2_temporal_analysis: implement TemporalDetector.forward")


def lstm_detector(**kwargs):
    """Given code: the registry's ``lstm`` entry, a :class:`TemporalDetector` with ``cell="lstm"``."""
    return TemporalDetector(cell="lstm", **kwargs)


def gru_detector(**kwargs):
    """Given code: the registry's ``gru`` entry, a :class:`TemporalDetector` with ``cell="gru"``."""
    return TemporalDetector(cell="gru", **kwargs)
