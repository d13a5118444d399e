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
    # BEGIN SOLUTION
    mask = np.zeros(tuple(shape[:2]), np.float32)
    hull = cv2.convexHull(np.rint(np.asarray(landmarks)).astype(np.int32))
    cv2.fillConvexPoly(mask, hull, 1.0)
    return mask
    # END SOLUTION


def deform_mask(mask, rng, max_grow=3, blur_range=(1.0, 3.0)):
    """Random soft version of a binary ``mask`` (H, W): float32 in [0, 1].

    Draw k = ``rng.integers(-max_grow, max_grow + 1)``: dilate (k > 0) or erode (k < 0) with a
    (2|k| + 1)-square kernel; then Gaussian-blur with sigma = ``rng.uniform(*blur_range)`` px
    (``cv2.GaussianBlur(mask, (0, 0), sigma)``).
    """
    # BEGIN SOLUTION
    k = int(rng.integers(-max_grow, max_grow + 1))
    kernel = np.ones((2 * abs(k) + 1, 2 * abs(k) + 1), np.uint8)
    if k > 0:
        mask = cv2.dilate(mask, kernel)
    elif k < 0:
        mask = cv2.erode(mask, kernel)
    sigma = float(rng.uniform(*blur_range))
    return np.clip(cv2.GaussianBlur(mask.astype(np.float32), (0, 0), sigma), 0, 1)
    # END SOLUTION


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
    # BEGIN SOLUTION
    x = x * (1 + strength * rng.uniform(-0.1, 0.1, 3)).astype(np.float32) + strength * rng.uniform(-10, 10)
    if rng.random() < 0.5:
        factor = rng.uniform(0.5, 0.8)
        small = cv2.resize(x, (max(1, round(w * factor)), max(1, round(h * factor))), interpolation=cv2.INTER_AREA)
        x = cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)
    else:
        x = x + strength * 0.5 * (x - cv2.GaussianBlur(x, (0, 0), 1.0))
    scale = 1 + strength * rng.uniform(-0.03, 0.03)
    shift = strength * rng.uniform(-0.02, 0.02, 2) * (w, h)
    mat = cv2.getRotationMatrix2D((w / 2, h / 2), 0.0, scale)
    mat[:, 2] += shift
    x = cv2.warpAffine(x, mat, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
    # END SOLUTION
    return np.clip(x, 0, 255).astype(np.float32)


def blend(source, target, mask, ratio):
    """``M r source + (1 - M r) target`` rounded to uint8: source, target (H, W, 3), mask (H, W) in [0, 1]."""
    # BEGIN SOLUTION
    weight = (ratio * mask.astype(np.float32))[..., None]
    mixed = weight * source.astype(np.float32) + (1 - weight) * target.astype(np.float32)
    return np.clip(np.rint(mixed), 0, 255).astype(np.uint8)
    # END SOLUTION


def self_blend(image, landmarks, rng, strength=1.0):
    """One self-blended image from a real ``image`` (H, W, 3) uint8 and its 68 ``landmarks`` (68, 2) px.

    mask = :func:`deform_mask` of :func:`landmark_hull_mask`; source = :func:`jitter_source` of the
    image (the target is the image itself); ratio = ``rng.choice(BLEND_RATIOS)``. Draw in that
    order (mask, source, ratio). Returns ``(fake uint8 (H, W, 3), blend weight M r float32 (H, W))``.
    """
    # BEGIN SOLUTION
    mask = deform_mask(landmark_hull_mask(landmarks, image.shape), rng)
    source = jitter_source(image, rng, strength)
    ratio = float(rng.choice(BLEND_RATIOS))
    return blend(source, image, mask, ratio), (ratio * mask).astype(np.float32)
    # END SOLUTION


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
        # BEGIN SOLUTION
        if fake:
            rng = np.random.default_rng([self.seed, self.epoch, n])
            frame, _ = self_blend(frame, clip.landmarks[t], rng, self.strength)
        crop = crop_face(frame, clip.boxes[t], self.margin, self.size)
        # END SOLUTION
        image = torch.from_numpy(crop).permute(2, 0, 1).float() / 255
        if self.transform is not None:
            image = self.transform(image)
        return image, torch.tensor(float(fake)), f"{'sbi' if fake else 'real'}/{n:05d}"
