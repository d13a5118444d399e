"""A drawn face: 68-point iBUG landmark geometry and its rendering into a texture.

Canonical coordinates are in *face units*: origin at the face centre, x to the right, y down,
face width 1.0 and height 1.3 (forehead to chin). :func:`render_face` scales them to pixels and
draws the face once per clip with OpenCV polygons; motion, blinks and pulse are applied later.
"""
from dataclasses import dataclass

import cv2
import numpy as np

FACE_HALF_WIDTH, FACE_HALF_HEIGHT = 0.5, 0.65
RIGHT_EYE, LEFT_EYE = slice(36, 42), slice(42, 48)  # image-left eye, image-right eye
SKIN_TONES = np.array([[233, 192, 160], [214, 166, 130], [190, 140, 104], [160, 110, 80],
                       [120, 80, 58], [245, 208, 180]], dtype=np.float32)
_SHIFT = 4  # fixed-point bits for sub-pixel polygon drawing
_SCALE = float(1 << _SHIFT)


@dataclass
class Appearance:
    """Colours and texture of one identity: RGB float triples and a texture seed/contrast."""

    skin: np.ndarray
    brow: np.ndarray
    iris: np.ndarray
    lips: np.ndarray
    texture_seed: int
    texture_contrast: float


TEXTURE_MAPS = ("alpha", "skin", "region", "eyes")  # the (h, w) maps of a FaceTexture, warped with its rgb


@dataclass
class FaceTexture:
    """A face ready to be warped per frame (all arrays in texture pixel coordinates).

    rgb (h, w, 3) float32 0..255; alpha (h, w) float32 where the texture is present; skin (h, w)
    float32 skin weight (pulse region); region (h, w) float32 soft swap mask; eyes (h, w) float32
    eye regions; landmarks (68, 2) float32; box (4,) float32 [x0, y0, x1, y1] face box.
    """

    rgb: np.ndarray
    alpha: np.ndarray
    skin: np.ndarray
    region: np.ndarray
    eyes: np.ndarray
    landmarks: np.ndarray
    box: np.ndarray


def _eye(center_x, center_y, half_width, upper, lower):
    """Six eye points as in iBUG: image-left corner, 2 upper lid, image-right corner, 2 lower lid."""
    xs = center_x + half_width * np.array([-1.0, -1 / 3, 1 / 3, 1.0, 1 / 3, -1 / 3])
    ys = center_y + np.array([0.0, -upper, -upper, 0.0, lower, lower])
    return np.stack([xs, ys], axis=1)


def canonical_landmarks(rng=None):
    """(68, 2) float64 iBUG landmarks in face units; ``rng`` jitters proportions per identity."""
    jitter = (lambda s: 1.0 + s * rng.uniform(-1, 1)) if rng is not None else (lambda s: 1.0)
    eye_y, eye_dx, eye_w = -0.12 * jitter(0.1), 0.2 * jitter(0.08), 0.1 * jitter(0.08)
    mouth_y, mouth_w = 0.33 * jitter(0.06), 0.17 * jitter(0.1)

    start = np.arcsin(-eye_y / FACE_HALF_HEIGHT)
    angles = np.linspace(np.pi + start, -start, 17)
    jaw = 0.97 * np.stack([FACE_HALF_WIDTH * np.cos(angles), FACE_HALF_HEIGHT * np.sin(angles)], 1)

    brow_x = np.linspace(-0.36, -0.08, 5)
    brow_y = eye_y - 0.13 - 0.04 * np.sin(np.linspace(0.2, np.pi - 0.2, 5))
    right_brow = np.stack([brow_x, brow_y], 1)
    left_brow = np.stack([-brow_x[::-1], brow_y[::-1]], 1)

    bridge = np.stack([np.zeros(4), np.linspace(eye_y - 0.05, 0.1, 4)], 1)
    nostrils = np.stack([np.linspace(-0.09, 0.09, 5), 0.15 + np.array([0, 0.015, 0.02, 0.015, 0])], 1)

    right_eye = _eye(-eye_dx, eye_y, eye_w, 0.036, 0.03)
    left_eye = _eye(eye_dx, eye_y, eye_w, 0.036, 0.03)

    w = mouth_w
    outer = np.array([[-w, 0], [-0.65 * w, -0.03], [-0.27 * w, -0.045], [0, -0.035], [0.27 * w, -0.045],
                      [0.65 * w, -0.03], [w, 0], [0.65 * w, 0.04], [0.3 * w, 0.06], [0, 0.065],
                      [-0.3 * w, 0.06], [-0.65 * w, 0.04]])
    inner = np.array([[-0.8 * w, 0], [-0.3 * w, -0.01], [0, -0.008], [0.3 * w, -0.01], [0.8 * w, 0],
                      [0.3 * w, 0.012], [0, 0.014], [-0.3 * w, 0.012]])
    mouth = np.concatenate([outer, inner]) + [0, mouth_y]
    return np.concatenate([jaw, right_brow, left_brow, bridge, nostrils, right_eye, left_eye, mouth])


def sample_appearance(rng):
    """Random identity colours: a skin tone from :data:`SKIN_TONES` with jitter, brows, iris, lips."""
    skin = SKIN_TONES[rng.integers(len(SKIN_TONES))] * rng.uniform(0.9, 1.08, 3)
    brow = skin * rng.uniform(0.25, 0.45)
    iris = np.array([rng.uniform(30, 110), rng.uniform(25, 90), rng.uniform(15, 70)])
    lips = skin * np.array([0.95, 0.62, 0.62]) * rng.uniform(0.85, 1.05)
    return Appearance(np.clip(skin, 0, 255), brow, iris, np.clip(lips, 0, 255),
                      int(rng.integers(2**31)), float(rng.uniform(3.0, 7.0)))


def _points(landmarks, idx):
    """Fixed-point int32 polygon of landmarks ``idx`` for cv2 drawing with sub-pixel precision."""
    return np.round(landmarks[idx] * _SCALE).astype(np.int32)


def _fill(canvas, polygon, value):
    cv2.fillPoly(canvas, [polygon], value, cv2.LINE_AA, _SHIFT)


def face_box(center, scale):
    """[x0, y0, x1, y1] pixel box of the face ellipse for a face centred at ``center`` (px)."""
    cx, cy = center
    return np.array([cx - FACE_HALF_WIDTH * scale, cy - FACE_HALF_HEIGHT * scale,
                     cx + FACE_HALF_WIDTH * scale, cy + FACE_HALF_HEIGHT * scale], dtype=np.float32)


def render_face(shape, center, scale, landmarks_units, look):
    """Draw a face with open eyes on a transparent canvas of ``shape`` (h, w).

    ``center`` (x, y) px and ``scale`` px per face unit place the face; ``landmarks_units`` are
    :func:`canonical_landmarks`; ``look`` an :class:`Appearance`. Returns a :class:`FaceTexture`.
    """
    h, w = shape
    lm = (landmarks_units * scale + np.asarray(center)).astype(np.float32)
    rgb = np.zeros((h, w, 3), np.uint8)
    alpha = np.zeros((h, w), np.uint8)
    axes = (int(FACE_HALF_WIDTH * scale * _SCALE), int(FACE_HALF_HEIGHT * scale * _SCALE))
    centre_fp = (int(center[0] * _SCALE), int(center[1] * _SCALE))
    cv2.ellipse(alpha, centre_fp, axes, 0, 0, 360, 255, -1, cv2.LINE_AA, _SHIFT)
    rgb[:] = np.round(look.skin).astype(np.uint8)

    # Features: brows, nose, eyes (sclera + iris clipped to the eye), lips.
    thickness = max(1, int(round(0.03 * scale)))
    for brow in (slice(17, 22), slice(22, 27)):
        cv2.polylines(rgb, [_points(lm, brow)], False, look.brow.tolist(), thickness, cv2.LINE_AA, _SHIFT)
    nose_colour = (look.skin * 0.8).tolist()
    cv2.polylines(rgb, [_points(lm, slice(27, 31))], False, nose_colour, 1, cv2.LINE_AA, _SHIFT)
    cv2.polylines(rgb, [_points(lm, slice(31, 36))], False, (look.skin * 0.6).tolist(), 1, cv2.LINE_AA, _SHIFT)
    eye_mask = np.zeros((h, w), np.uint8)
    for eye in (RIGHT_EYE, LEFT_EYE):
        _fill(eye_mask, _points(lm, eye), 255)
    iris = np.zeros((h, w), np.uint8)
    for eye in (RIGHT_EYE, LEFT_EYE):
        c = lm[eye].mean(0)
        radius = 0.45 * np.linalg.norm(lm[eye][3] - lm[eye][0]) / 2 * 1.4
        cv2.circle(iris, tuple(int(v) for v in c * _SCALE), int(radius * _SCALE), 255, -1, cv2.LINE_AA, _SHIFT)
    eye_a = eye_mask.astype(np.float32)[..., None] / 255
    iris_a = (iris.astype(np.float32)[..., None] / 255) * eye_a
    lips = np.zeros((h, w), np.uint8)
    _fill(lips, _points(lm, slice(48, 60)), 255)
    mouth_inner = np.zeros((h, w), np.uint8)
    _fill(mouth_inner, _points(lm, slice(60, 68)), 255)

    out = rgb.astype(np.float32)
    out += _skin_texture(shape, look, scale)
    out = out * (1 - eye_a) + 235.0 * eye_a
    out = out * (1 - iris_a) + look.iris.astype(np.float32) * iris_a
    lips_a = lips.astype(np.float32)[..., None] / 255
    out = out * (1 - lips_a) + look.lips.astype(np.float32) * lips_a
    inner_a = mouth_inner.astype(np.float32)[..., None] / 255
    out = out * (1 - inner_a) + look.lips.astype(np.float32) * 0.5 * inner_a
    out *= _shading(shape, center, scale)[..., None]

    alpha_f = alpha.astype(np.float32) / 255
    eyes = cv2.dilate(eye_mask, np.ones((3, 3), np.uint8)).astype(np.float32) / 255
    features = np.maximum(eyes, lips_a[..., 0])
    brows = np.zeros((h, w), np.uint8)
    for brow in (slice(17, 22), slice(22, 27)):
        cv2.polylines(brows, [_points(lm, brow)], False, 255, thickness + 2, cv2.LINE_AA, _SHIFT)
    features = np.maximum(features, brows.astype(np.float32) / 255)
    skin = alpha_f * (1 - features)
    region = swap_region((h, w), lm, scale)
    return FaceTexture(np.clip(out, 0, 255).astype(np.float32), alpha_f, skin, region, eyes, lm,
                       face_box(center, scale))


def swap_region(shape, landmarks, scale):
    """Soft (h, w) float32 mask of the inner face: landmark convex hull, eroded and blurred."""
    hull = cv2.convexHull(np.round(landmarks * _SCALE).astype(np.int32))
    mask = np.zeros(shape, np.uint8)
    cv2.fillConvexPoly(mask, hull, 255, cv2.LINE_AA, _SHIFT)
    sigma = max(0.8, 0.04 * scale)
    return cv2.GaussianBlur(mask.astype(np.float32) / 255, (0, 0), sigma)


def _skin_texture(shape, look, scale):
    """Band-limited noise (h, w, 1) float32, grey levels, fixed by the identity's texture seed."""
    rng = np.random.default_rng(look.texture_seed)
    noise = rng.standard_normal(shape, dtype=np.float32)
    noise = cv2.GaussianBlur(noise, (0, 0), max(0.7, 0.015 * scale))
    noise *= look.texture_contrast / (noise.std() + 1e-6)
    return noise[..., None]


def _shading(shape, center, scale):
    """Soft radial shading (h, w) in [0.8, 1.0]: the face darkens toward its outline."""
    ys, xs = np.mgrid[0:shape[0], 0:shape[1]].astype(np.float32)
    r2 = ((xs - center[0]) / (FACE_HALF_WIDTH * scale)) ** 2 + ((ys - center[1]) / (FACE_HALF_HEIGHT * scale)) ** 2
    return 1.0 - 0.2 * np.clip(r2, 0, 1) ** 2
