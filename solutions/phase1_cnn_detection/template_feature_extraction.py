"""Face extraction and features: from video frames to the tensors a detector reads.

Frame-level detectors never see whole frames. FaceForensics++ (Rossler et al., ICCV 2019) detects
the face in every frame, takes a square crop 1.3 times the size of the face box (the margin keeps
the blending boundary around the face, where most manipulation artifacts live), resizes it to the
network's input size and normalises it the way the network was pretrained. This module does those
steps by hand:

* :func:`crop_face`: square, margin-scaled crop centred on a face box, zero-padded off-frame;
* :func:`align_by_eyes`: rotate and scale so the eyes sit level at fixed positions (the other
  common convention, used by face-recognition backbones);
* :func:`normalize`: uint8 RGB crops -> float tensor, per-channel ``(x / 255 - mean) / std``;
* :func:`preprocess_faces`: the three steps for a given detector (its input size and statistics
  from the detector registry, :func:`dfkit.registry.input_spec`);
* :func:`extract_embeddings`: the detector's penultimate features, e.g. to fit a linear probe or
  look at a t-SNE of real vs fake.

Conventions: frames are RGB uint8 (H, W, 3); boxes are float ``[x0, y0, x1, y1]`` in pixels; a
point is ``(x, y)``. Your :func:`crop_face` is the crop every tool of the course uses
(:mod:`dfkit.faces.pipeline` reaches it through the implementation switch).
"""
import cv2
import numpy as np
import torch

from dfkit.errors import NoFaceError
from dfkit.faces.pipeline import FACE_MARGIN
from dfkit.registry import input_spec


def crop_face(frame, box, margin=FACE_MARGIN, size=None):
    """Square crop of ``frame`` (H, W, 3) uint8 around ``box`` scaled by ``margin``; (S, S, 3) uint8.

    The square has side ``side = round(margin * max(x1 - x0, y1 - y0))`` and its top-left corner at
    ``(round(cx - side / 2), round(cy - side / 2))``, where ``(cx, cy)`` is the box centre. Pixels
    outside the frame are zeros (the crop is always ``side`` x ``side``, the face always centred).
    With ``size`` the crop is resized to (size, size): ``cv2.INTER_AREA`` when shrinking,
    ``cv2.INTER_LINEAR`` when enlarging. Python's ``round`` rounds halves to even.

    Example: box [40, 30, 80, 90] (40 x 60, centre (60, 60)), margin 1.3 -> side 78, top-left
    (21, 21): the crop is ``frame[21:99, 21:99]``.
    """
    # BEGIN SOLUTION
    # HINT: allocate zeros (side, side, 3), then copy only the part of the window inside the frame.
    x0, y0, x1, y1 = (float(v) for v in box)
    side = max(1, round(margin * max(x1 - x0, y1 - y0)))
    left = round((x0 + x1) / 2 - side / 2)
    top = round((y0 + y1) / 2 - side / 2)
    height, width = frame.shape[:2]
    crop = np.zeros((side, side) + frame.shape[2:], dtype=frame.dtype)
    inside_x0, inside_x1 = max(left, 0), min(left + side, width)
    inside_y0, inside_y1 = max(top, 0), min(top + side, height)
    if inside_x0 < inside_x1 and inside_y0 < inside_y1:
        crop[inside_y0 - top:inside_y1 - top, inside_x0 - left:inside_x1 - left] = \
            frame[inside_y0:inside_y1, inside_x0:inside_x1]
    if size is not None and size != side:
        interpolation = cv2.INTER_AREA if size < side else cv2.INTER_LINEAR
        crop = cv2.resize(crop, (size, size), interpolation=interpolation)
    return crop
    # END SOLUTION


def align_by_eyes(frame, left_eye, right_eye, size=256, eye_distance=0.35, eye_height=0.4):
    """Rotate, scale and shift ``frame`` so both eyes lie level at fixed places of a (size, size) output.

    Args:
        frame: (H, W, 3) uint8.
        left_eye, right_eye: ``(x, y)`` centres of the eye on the image's left (the subject's right
            eye, iBUG points 36-41) and the one on the image's right (points 42-47).
        size: output side in pixels.
        eye_distance: distance between the eyes in the output, as a fraction of ``size``.
        eye_height: height of the eye line in the output, as a fraction of ``size``.

    Returns:
        ``(aligned, matrix)``: the (size, size, 3) uint8 image (zeros where the source is outside the
        frame) and the (2, 3) float64 similarity transform it applied (``cv2.warpAffine`` convention:
        ``out = matrix @ [x, y, 1]``). It sends ``left_eye`` to
        ``(size * (1 - eye_distance) / 2, size * eye_height)`` and ``right_eye`` to
        ``(size * (1 + eye_distance) / 2, size * eye_height)``.

    A similarity transform (rotation by -angle, uniform scale s, translation) has the form
    ``[[s cos a, s sin a, tx], [-s sin a, s cos a, ty]]``, where ``a`` is the angle of the eye line.
    """
    # BEGIN SOLUTION
    # HINT: a = atan2(dy, dx) of the eye line, s = target distance / current distance; choose tx, ty
    # HINT: so that the midpoint between the eyes lands on the midpoint of the two targets.
    (lx, ly), (rx, ry) = (np.asarray(left_eye, dtype=np.float64), np.asarray(right_eye, dtype=np.float64))
    angle = np.arctan2(ry - ly, rx - lx)
    scale = eye_distance * size / np.hypot(rx - lx, ry - ly)
    cos_s, sin_s = scale * np.cos(angle), scale * np.sin(angle)
    mid_x, mid_y = (lx + rx) / 2, (ly + ry) / 2
    target_x, target_y = size / 2, eye_height * size
    matrix = np.array([
        [cos_s, sin_s, target_x - (cos_s * mid_x + sin_s * mid_y)],
        [-sin_s, cos_s, target_y - (-sin_s * mid_x + cos_s * mid_y)],
    ])
    aligned = cv2.warpAffine(frame, matrix, (size, size), flags=cv2.INTER_LINEAR,
                             borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    return aligned, matrix
    # END SOLUTION


def normalize(faces, mean, std):
    """uint8 RGB crops (N, H, W, 3) -> float32 tensor (N, 3, H, W) with ``(x / 255 - mean[c]) / std[c]``.

    ``mean``, ``std``: 3 numbers each, for R, G, B. Conventions of this phase's detectors: Xception
    ``mean = std = 0.5`` (values in [-1, 1]), EfficientNet the ImageNet statistics
    ``(0.485, 0.456, 0.406) / (0.229, 0.224, 0.225)``, MesoNet ``mean = 0, std = 1`` (just [0, 1]).
    Accepts a NumPy array or a tensor; raises ValueError unless the input is (N, H, W, 3).

    Example: a pixel (255, 0, 127) with mean = std = 0.5 becomes (1.0, -1.0, -0.00392).
    """
    # BEGIN SOLUTION
    # HINT: permute channels-last to channels-first, then broadcast mean/std shaped (1, 3, 1, 1).
    faces = faces if torch.is_tensor(faces) else torch.from_numpy(np.asarray(faces))
    if faces.dim() != 4 or faces.shape[-1] != 3:
        raise ValueError(f"normalize expects uint8 crops shaped (N, H, W, 3), got {tuple(faces.shape)}")
    x = faces.permute(0, 3, 1, 2).to(torch.float32) / 255.0
    mean = torch.tensor(mean, dtype=torch.float32).view(1, 3, 1, 1)
    std = torch.tensor(std, dtype=torch.float32).view(1, 3, 1, 1)
    return ((x - mean) / std).contiguous()
    # END SOLUTION


def preprocess_faces(frames, boxes, name, margin=FACE_MARGIN):
    """Crop, resize and normalise one face per frame for detector ``name``.

    Args:
        frames: (N, H, W, 3) uint8 RGB frames (or a list of (H, W, 3) frames).
        boxes: (N, 4) float face boxes ``[x0, y0, x1, y1]``, one per frame.
        name: a registered detector (``dfkit.registry.names()``: "xceptionnet", "meso4", ...); its
            ``input_spec(name)`` gives the crop size S and the mean/std.
        margin: crop margin for :func:`crop_face`.

    Returns:
        (N, 3, S, S) float32 tensor, ready for the detector. A box with NaN/inf coordinates (no
        face found in that frame) raises :class:`dfkit.errors.NoFaceError`.

    Example: 8 frames with boxes, ``name="meso4"`` -> (8, 3, 256, 256) values in [0, 1].
    """
    # BEGIN SOLUTION
    # HINT: spec = input_spec(name) (from dfkit.registry) has spec.size, spec.mean and spec.std.
    spec = input_spec(name)
    size, mean, std = spec.size, spec.mean, spec.std
    boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    if len(boxes) != len(frames):
        raise ValueError(f"preprocess_faces needs one box per frame: {len(frames)} frames, {len(boxes)} boxes")
    missing = np.flatnonzero(~np.isfinite(boxes).all(axis=1))
    if missing.size:
        raise NoFaceError(f"no face box for frame(s) {missing.tolist()[:10]}: every frame needs a finite box")
    crops = np.stack([crop_face(frame, box, margin, size) for frame, box in zip(frames, boxes)])
    return normalize(crops, mean, std)
    # END SOLUTION


def extract_embeddings(model, faces, batch_size=32):
    """Penultimate features ``model.embed`` of every crop: (N, 3, S, S) tensor -> (N, D) float32 NumPy.

    The model is switched to eval mode (BatchNorm uses its running statistics, Dropout is off), so a
    crop's embedding does not depend on the batch it is in; runs under ``torch.no_grad`` on the
    model's device, ``batch_size`` crops at a time.

    Example: Meso4 and 10 crops of 256 px -> (10, 16); Xception -> (10, 2048).
    """
    # BEGIN SOLUTION
    # HINT: torch.cat the per-batch outputs, then .cpu().numpy().
    model.eval()
    device = next(model.parameters()).device
    chunks = []
    with torch.no_grad():
        for start in range(0, len(faces), batch_size):
            chunks.append(model.embed(faces[start:start + batch_size].to(device)).float().cpu())
    return torch.cat(chunks).numpy()
    # END SOLUTION
