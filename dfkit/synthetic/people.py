"""Several people in one clip, some fake, and optionally a distractor: what DFDC footage often shows.

:func:`make_people_clip` composes one :func:`dfkit.synthetic.make_clip` per person side by side (each
person's panel is exactly that clip's frames), with a distractor panel between the first two when
asked: a skin-coloured, face-sized blob that drifts over a backdrop, like a hand (no eyes, nose or
mouth), which a face tracker must not take for a person. Ground truth is per person, in the
composed frame's pixels.
"""
from dataclasses import dataclass

import cv2
import numpy as np

from dfkit.synthetic.clip import make_clip
from dfkit.synthetic.noise import sensor_noise
from dfkit.synthetic.scene import background

PERSON_STREAM = 8       # SeedSequence key of the per-person clip seeds
DISTRACTOR_STREAM = 9   # ... and of the distractor's draws
BLOB_SIZE = (0.3, 0.4)  # distractor ellipse width, height: fractions of the panel side (a face's size)


@dataclass
class PeopleClip:
    """A multi-person clip and its ground truth, in the composed frame's pixels.

    frames (T, H, W, 3) uint8 RGB; label 1 when any person is fake; labels (P,) int per person;
    boxes (P, T, 4) float32 [x0, y0, x1, y1]; landmarks (P, T, 68, 2) float32; masks (T, H, W) float32
    (1 = manipulated, any person); distractor (T, 4) float32 bounding box of the blob, or None;
    people: each person's own :class:`dfkit.synthetic.Clip` (its panel's coordinates); offsets (P,) the
    x offset (px) of each person's panel.
    """

    frames: np.ndarray
    fps: float
    label: int
    labels: np.ndarray
    boxes: np.ndarray
    landmarks: np.ndarray
    masks: np.ndarray
    distractor: np.ndarray | None
    people: list
    offsets: np.ndarray


def person_seed(seed, person):
    """The :func:`make_clip` seed of ``person`` (0, 1, ...) in the people clip of ``seed``."""
    return int(np.random.SeedSequence([int(seed), PERSON_STREAM, int(person)]).generate_state(1)[0] >> 1)


def distractor_panel(seed, num_frames, size):
    """A (T, size, size, 3) uint8 panel with a drifting skin-coloured blob, and its boxes (T, 4) float32."""
    rng = np.random.default_rng(np.random.SeedSequence([int(seed), DISTRACTOR_STREAM]))
    backdrop = background(rng, (size, size))
    skin = rng.uniform([185, 125, 95], [235, 175, 145])  # RGB
    half = np.array(BLOB_SIZE) * size / 2
    start = rng.uniform(0.4, 0.6, 2) * size
    drift = rng.uniform(-0.15, 0.15, 2) * size / max(num_frames - 1, 1)
    frames, boxes = np.empty((num_frames, size, size, 3), np.uint8), np.empty((num_frames, 4), np.float32)
    for t in range(num_frames):
        centre = start + t * drift
        alpha = np.zeros((size, size), np.float32)
        cv2.ellipse(alpha, (int(round(centre[0])), int(round(centre[1]))), tuple(int(round(h)) for h in half),
                    0, 0, 360, 1.0, -1)
        alpha = cv2.GaussianBlur(alpha, (0, 0), 0.02 * size + 0.5)[..., None]
        frame = backdrop + alpha * (skin - backdrop) + sensor_noise(rng, backdrop.shape, 1.5)
        frames[t] = np.clip(frame + 0.5, 0, 255)
        boxes[t] = [*(centre - half), *(centre + half)]
    return frames, boxes


def make_people_clip(seed=0, fakes=(False, True), num_frames=16, size=128, distractor=False, **kwargs):
    """One clip of ``len(fakes)`` people side by side; ``fakes[p]`` says whether person p is fake.

    Each person is ``make_clip(seed=person_seed(seed, p), num_frames, size, fake=fakes[p], **kwargs)`` in a
    ``size`` x ``size`` panel (``manipulations`` apply to the fakes only). ``distractor``: a blob panel
    between the first and second person. Same arguments -> identical frames.
    """
    if len(fakes) < 1:
        raise ValueError("fakes must name at least one person")
    if not np.isscalar(size):
        raise ValueError(f"size is one panel's side (int), got {size!r}")
    people = []
    for p, fake in enumerate(fakes):
        extra = kwargs if fake else {k: v for k, v in kwargs.items() if k != "manipulations"}
        people.append(make_clip(seed=person_seed(seed, p), num_frames=num_frames, size=size, fake=bool(fake),
                                **extra))
    panels = [person.frames for person in people]
    blob_boxes = None
    if distractor:
        blob_frames, blob_boxes = distractor_panel(seed, num_frames, size)
        panels.insert(1, blob_frames)
    frames = np.concatenate(panels, axis=2)
    offsets = np.array([size * (p + (1 if distractor and p >= 1 else 0)) for p in range(len(people))], np.float32)
    if blob_boxes is not None:
        blob_boxes += np.array([size, 0, size, 0], np.float32)
    masks = np.zeros(frames.shape[:3], np.float32)
    for person, x in zip(people, offsets.astype(int)):
        masks[:, :, x:x + size] = person.masks
    return PeopleClip(
        frames=frames, fps=people[0].fps, label=int(any(fakes)),
        labels=np.array([person.label for person in people]),
        boxes=np.stack([person.boxes + np.array([x, 0, x, 0], np.float32) for person, x in zip(people, offsets)]),
        landmarks=np.stack([person.landmarks + np.array([x, 0], np.float32) for person, x in zip(people, offsets)]),
        masks=masks, distractor=blob_boxes, people=people, offsets=offsets)
