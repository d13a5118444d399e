"""Photo mode: a real face photo as the clip's texture, so face detectors see real face content.

The still photo's 68 landmarks come once from dlib's 68-point predictor (cached in memory); the
clip then moves the photo with the same per-frame affine as its landmarks and box.
"""
import functools

import cv2
import numpy as np

from dfkit.errors import NoFaceError
from dfkit.landmarks import dlib_model_path
from dfkit.synthetic.face_model import FaceTexture, swap_region
from dfkit.synthetic.manipulations import restyled_source
from dfkit.synthetic.scene import Scene, background

ASTRONAUT_BOX = (181.0, 62.0, 268.0, 172.0)  # MTCNN's box on skimage.data.astronaut()
PHOTO_FACE_HEIGHT = 0.55  # face box height as a fraction of min(H, W) ...
MAX_PHOTO_ZOOM = 1.5  # ... but the photo is never enlarged more than this


@functools.lru_cache(maxsize=1)
def _predictor():
    import dlib

    return dlib.shape_predictor(str(dlib_model_path()))


def dlib_landmarks(image, box):
    """(68, 2) float32 landmarks of ``image`` (H, W, 3) uint8 RGB for the face in ``box`` [x0, y0, x1, y1]."""
    import dlib

    x0, y0, x1, y1 = (int(round(v)) for v in box)
    shape = _predictor()(np.ascontiguousarray(image), dlib.rectangle(x0, y0, x1, y1))
    return np.array([[p.x, p.y] for p in shape.parts()], np.float32)


def detect_face_box(image):
    """Largest dlib frontal-face box [x0, y0, x1, y1] of ``image``; NoFaceError if there is none."""
    import dlib

    faces = dlib.get_frontal_face_detector()(np.ascontiguousarray(image), 1)
    if not faces:
        raise NoFaceError(f"no face found in the photo of shape {image.shape}; pass photo_box=[x0, y0, x1, y1]")
    best = max(faces, key=lambda r: r.area())
    return (float(best.left()), float(best.top()), float(best.right()), float(best.bottom()))


@functools.lru_cache(maxsize=1)
def astronaut():
    """skimage's astronaut photo (512, 512, 3) uint8, its face box and its (68, 2) landmarks."""
    from skimage import data

    image = data.astronaut()
    return image, np.array(ASTRONAUT_BOX, np.float32), dlib_landmarks(image, ASTRONAUT_BOX)


def _skin_mask(shape, landmarks, face_width):
    """(h, w) float32 skin weight: face hull (brows raised to the forehead) minus eyes, brows, mouth."""
    forehead = landmarks[17:27].copy()
    forehead[:, 1] -= 0.15 * face_width
    hull = cv2.convexHull(np.round(np.concatenate([landmarks[:17], forehead])).astype(np.int32))
    mask = np.zeros(shape, np.uint8)
    cv2.fillConvexPoly(mask, hull, 255)
    holes = np.zeros(shape, np.uint8)
    for part in (slice(36, 42), slice(42, 48), slice(48, 60), slice(17, 22), slice(22, 27), slice(31, 36)):
        cv2.fillConvexPoly(holes, cv2.convexHull(np.round(landmarks[part]).astype(np.int32)), 255)
    holes = cv2.dilate(holes, np.ones((5, 5), np.uint8))
    return (mask.astype(np.float32) / 255) * (1 - holes.astype(np.float32) / 255)


def _eye_mask(shape, landmarks):
    mask = np.zeros(shape, np.uint8)
    for eye in (slice(36, 42), slice(42, 48)):
        cv2.fillConvexPoly(mask, cv2.convexHull(np.round(landmarks[eye]).astype(np.int32)), 255)
    return cv2.dilate(mask, np.ones((5, 5), np.uint8)).astype(np.float32) / 255


def photo_scene(rng, photo, photo_box, shape):
    """A :class:`Scene` from ``photo`` ("astronaut" or (H, W, 3) uint8 RGB) for frames of ``shape``.

    ``photo_box`` [x0, y0, x1, y1] locates the face in a user photo (found with dlib if None).
    The face box is zoomed to ``PHOTO_FACE_HEIGHT`` of the frame (at most ``MAX_PHOTO_ZOOM``) and
    centred; where the photo does not cover the frame a static background shows.
    """
    if isinstance(photo, str):
        if photo != "astronaut":
            raise ValueError(f"photo must be None, 'astronaut' or an RGB uint8 array, got {photo!r}")
        image, box, landmarks = astronaut()
    else:
        image = np.asarray(photo)
        if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
            raise ValueError(f"photo must be (H, W, 3) uint8 RGB, got shape {image.shape} dtype {image.dtype}")
        box = np.array(photo_box if photo_box is not None else detect_face_box(image), np.float32)
        landmarks = dlib_landmarks(image, box)
    h, w = shape
    zoom = min(PHOTO_FACE_HEIGHT * min(h, w) / float(box[3] - box[1]), MAX_PHOTO_ZOOM)
    size = (max(1, int(round(image.shape[1] * zoom))), max(1, int(round(image.shape[0] * zoom))))
    interpolation = cv2.INTER_AREA if zoom < 1 else cv2.INTER_LINEAR
    rgb = cv2.resize(image, size, interpolation=interpolation).astype(np.float32)
    sx, sy = size[0] / image.shape[1], size[1] / image.shape[0]
    to_texture = lambda xy: (xy + 0.5) * [sx, sy] - 0.5  # noqa: E731 (pixel-centre convention of cv2.resize)
    landmarks = to_texture(landmarks).astype(np.float32)
    box = np.concatenate([to_texture(box[:2]), to_texture(box[2:])]).astype(np.float32)
    tex_shape = rgb.shape[:2]
    face_width = float(box[2] - box[0])
    texture = FaceTexture(rgb, np.ones(tex_shape, np.float32), _skin_mask(tex_shape, landmarks, face_width),
                          swap_region(tex_shape, landmarks, face_width), _eye_mask(tex_shape, landmarks),
                          landmarks, box)
    centre = (float(box[0] + box[2]) / 2, float(box[1] + box[3]) / 2)
    target = (w / 2 + rng.uniform(-0.03, 0.03) * w, h / 2 + rng.uniform(-0.03, 0.03) * h)
    return Scene(texture, background(rng, shape), centre, target, float(box[3] - box[1]),
                 lambda manip_rng: restyled_source(rgb, manip_rng, face_width))
