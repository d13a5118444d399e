"""A detector the course does not ship, registered by a test: a tiny network over clips of face crops."""
import torch
from torch import nn

INPUT_SIZE = 32
MEAN = (0.5, 0.5, 0.5)
STD = (0.25, 0.25, 0.25)


class TinyClipNet(nn.Module):
    """(B, T, 3, S, S) clips -> (B,) logits: a 3x3 convolution per frame, pooled over space and time."""

    def __init__(self, width=4):
        super().__init__()
        self.conv = nn.Conv2d(3, width, 3, padding=1)
        self.head = nn.Linear(width, 1)

    def forward(self, clips):
        b, t = clips.shape[:2]
        features = torch.relu(self.conv(clips.flatten(0, 1))).mean(dim=(2, 3)).view(b, t, -1).mean(dim=1)
        return self.head(features).squeeze(-1)


class TinyConv3dNet(nn.Module):
    """(B, T, 3, S, S) clips -> (B,) logits with one 3-D convolution (5-D weights)."""

    def __init__(self, width=2):
        super().__init__()
        self.conv = nn.Conv3d(3, width, 3, padding=1)
        self.head = nn.Linear(width, 1)

    def forward(self, clips):
        features = torch.relu(self.conv(clips.transpose(1, 2))).mean(dim=(2, 3, 4))
        return self.head(features).squeeze(-1)
