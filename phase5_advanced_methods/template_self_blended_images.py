# Learner template generated from solutions/phase5_advanced_methods/template_self_blended_images.py by `make templates`.
# Replace each `raise NotImplementedError(...)` with your code; see IMPLEMENTATION_GUIDE.md.
# template fingerprint: 2ba402317048c679
"""Self-blended images (SBI): train a detector on fakes made from real faces only.

Shiohara and Yamasaki ("Detecting Deepfakes with Self-Blended Images", CVPR 2022) observed that a
detector trained on one forgery method learns that method's fingerprint and fails on the next.
What every face swap shares is the *blend*: a face pasted inside a mask whose colour, sharpness
and alignment do not quite match the surroundings. SBI makes such fakes from a single real image:

1. two copies of the image: the *target* (kept) and the *source* (jittered in colour and
   frequency, and shifted / scaled by a few per cent, so source and target no longer match);
2. a mask: the convex hull of the 68 facial landmarks, deformed (grown or shrunk by a few pixels)
   and blurred so that its edge is soft;
3. a blend ``I = M r I_s + (1 - M r) I_t`` with a blend ratio r in (0, 1].

The label is "fake" for every blended image and "real" for the untouched one; a detector trained on
these pairs sees nothing but blending boundaries and statistical mismatches, and should transfer to
unseen face swaps. Here the unseen fakes are the synthetic generator's ``blend`` clips (a foreign,
generator-smoothed face), which the SBI detector never sees in training.

Everything is random through a ``numpy.random.Generator``, so a seeded dataset is reproducible.
"""
import cv2
import numpy as np
import torch

from dfkit.faces import FACE_MARGIN, crop_face

BLEND_RATIOS = (0.25, 0.5, 0.75, 1.0, 1.0, 1.0)  # SBI's choices for r (full blends twice as likely)


def landmark_hull_mask(landmarks, shape):
    """Filled convex hull of ``landmarks`` (N, 2) [x, y] px: float32 (H, W) with 1 inside, 0 outside.

    ``shape`` is (H, W). Use ``cv2.convexHull`` on the points rounded to int32 and ``cv2.fillConvexPoly``.
    """
    raise NotImplementedError("phase5_advanced_methods: implement landmark_hull_mask")


def deform_mask(mask, rng, max_grow=3, blur_range=(1.0, 3.0)):
    """Random soft version of a binary ``mask`` (H, W): float32 in [0, 1].

    Draw k = ``rng.integers(-max_grow, max_grow + 1)``: dilate (k > 0) or erode (k < 0) with a
    (2|k| + 1)-square kernel; then Gaussian-blur with sigma = ``rng.uniform(*blur_range)`` px
    (``cv2.GaussianBlur(mask, (0, 0), sigma)``).
    """
    raise NotImplementedError("phase5_advanced_methods: implement deform_mask")


def jitter_source(image, rng, strength=1.0):
    """The SBI source: ``image`` (H, W, 3) uint8 -> float32 (H, W, 3) in [0, 255], mismatched on purpose.

    In this order, every amount scaled by ``strength``:

    * colour: per-channel gain ``1 + strength * rng.uniform(-0.1, 0.1, 3)`` and a brightness shift
      ``strength * rng.uniform(-10, 10)`` grey levels;
    * frequency: with probability 1/2 (``rng.random() < 0.5``) a down/up-sampling blur (``cv2.resize``
      by a factor ``rng.uniform(0.5, 0.8)`` with INTER_AREA and back with INTER_LINEAR), otherwise a
      sharpening ``x + strength * 0.5 * (x - GaussianBlur(x, sigma 1))``;
    * geometry: scale ``1 + strength * rng.uniform(-0.03, 0.03)`` about the image centre and a shift
      of ``strength * rng.uniform(-0.02, 0.02, 2) * (W, H)`` px (``cv2.warpAffine``, reflected borders).

    Clipped to [0, 255].
    """
    x = image.astype(np.float32)
    h, w = x.shape[:2]
    raise NotImplementedError("phase5_advanced_methods: implement jitter_source")
    return np.clip(x, 0, 255).astype(np.float32)


def blend(source, target, mask, ratio):
    """``M r source + (1 - M r) target`` rounded to uint8: source, target (H, W, 3), mask (H, W) in [0, 1]."""
    raise NotImplementedError("phase5_advanced_methods: implement blend")


def self_blend(image, landmarks, rng, strength=1.0):
    """One self-blended image from a real ``image`` (H, W, 3) uint8 and its 68 ``landmarks`` (68, 2) px.

    mask = :func:`deform_mask` of :func:`landmark_hull_mask`; source = :func:`jitter_source` of the
    image (the target is the image itself); ratio = ``rng.choice(BLEND_RATIOS)``. Draw in that
    order (mask, source, ratio). Returns ``(fake uint8 (H, W, 3), blend weight M r float32 (H, W))``.
    """
    raise NotImplementedError("phase5_advanced_methods: implement self_blend")


class SelfBlendedFaces(torch.utils.data.Dataset):
    """Real + SBI training pairs from real synthetic clips, as face crops.

    clips: real :class:`dfkit.synthetic.Clip` objects (frames, boxes, landmarks). Item ``2 n`` is
    frame n's real crop (label 0), item ``2 n + 1`` the crop of its self-blend (label 1), where the
    frames of all clips are numbered in order. Crops are ``dfkit.faces.crop_face(frame, box,
    margin, size)`` of the whole frame (the blend is made on the frame, with the frame's landmarks,
    then cropped). The SBI of frame n uses ``np.random.default_rng([seed, epoch, n])``: call
    :meth:`set_epoch` to draw new blends each epoch. ``transform`` maps a float (3, S, S) tensor in
    [0, 1] to the model input (e.g. a :class:`dfkit.data.ModelInput`).
    Items: ``(image, label float32 tensor, uid str)``.
    """

    def __init__(self, clips, size=64, margin=FACE_MARGIN, seed=0, strength=1.0, transform=None):
        self.frames = [(clip, t) for clip in clips for t in range(len(clip.frames))]
        self.size, self.margin, self.seed, self.strength = size, margin, seed, strength
        self.transform, self.epoch = transform, 0
        self.labels = np.tile([0, 1], len(self.frames))

    def __len__(self):
        return 2 * len(self.frames)

    def set_epoch(self, epoch):
        self.epoch = int(epoch)

    def __getitem__(self, index):
        n, fake = divmod(index, 2)
        clip, t = self.frames[n]
        frame = clip.frames[t]
        raise NotImplementedError("phase5_advanced_methods: implement SelfBlendedFaces.__getitem__")
        image = torch.from_numpy(crop).permute(2, 0, 1).float() / 255
        if self.transform is not None:
            image = self.transform(image)
        return image, torch.tensor(float(fake)), f"{'sbi' if fake else 'real'}/{n:05d}"
