"""Blinks on any face: move the upper-lid landmarks and paint a skin-coloured eyelid over the eye.

Works the same for drawn faces and photos: only the 68 landmarks and a skin colour are needed.
"""
import cv2
import numpy as np

# (upper lid, lower lid) landmark pairs; the corners 36, 39, 42, 45 stay put.
LID_PAIRS = ((37, 41), (38, 40), (43, 47), (44, 46))
EYES = ((36, 37, 38, 39, 40, 41), (42, 43, 44, 45, 46, 47))
CLOSED_GAP = 0.1  # fraction of the open lid gap left when fully shut
_SHIFT = 4


def close_eyelids(landmarks, closure):
    """(T, 68, 2) landmarks with upper lids lowered by ``closure`` (T,) in [0, 1] (1 = shut)."""
    out = np.repeat(np.asarray(landmarks, np.float64)[None], len(closure), axis=0)
    for upper, lower in LID_PAIRS:
        gap = landmarks[lower] - landmarks[upper]
        out[:, upper] += (1 - CLOSED_GAP) * closure[:, None] * gap
    return out


def eyelid_colours(rgb, landmarks):
    """(2, 3) float32 lid colour per eye: median skin RGB of the cheek just below it, darkened 5 %."""
    colours = []
    for eye in EYES:
        corners = landmarks[[eye[0], eye[3]]]
        width = np.linalg.norm(corners[1] - corners[0])
        down = np.array([0.0, width])
        cheek = np.array([corners[0] + 0.3 * down, corners[1] + 0.3 * down,
                          corners[1] + 0.8 * down, corners[0] + 0.8 * down])
        mask = np.zeros(rgb.shape[:2], np.uint8)
        cv2.fillConvexPoly(mask, np.round(cheek).astype(np.int32), 1)
        pixels = rgb[mask.astype(bool)]
        colours.append(0.95 * (np.median(pixels, 0) if len(pixels) else rgb.reshape(-1, 3).mean(0)))
    return np.array(colours, np.float32)


def paint_eyelids(image, open_landmarks, landmarks, colours, closure):
    """Paint lids in place on ``image`` (h, w, 3) float32 for one frame.

    ``open_landmarks``/``landmarks`` (68, 2) px: eyes open / lids at this frame's ``closure``;
    ``colours`` (2, 3) lid colours. The lid covers from slightly above the open lid down to the
    current lid line, which gets a dark lash line.
    """
    if closure <= 0:
        return
    h, w = image.shape[:2]
    for eye, colour in zip(EYES, colours):
        o, c = open_landmarks[list(eye)], landmarks[list(eye)]
        width = o[3] - o[0]
        top1, top2 = o[1] + 0.35 * (o[1] - o[5]), o[2] + 0.35 * (o[2] - o[4])
        lid = np.array([o[0] - 0.12 * width, top1, top2, o[3] + 0.12 * width, c[2], c[1]])
        x0, y0 = np.floor(lid.min(0)).astype(int) - 2
        x1, y1 = np.ceil(lid.max(0)).astype(int) + 3
        x0, y0, x1, y1 = max(x0, 0), max(y0, 0), min(x1, w), min(y1, h)
        if x1 <= x0 or y1 <= y0:
            continue
        local = np.round((lid - [x0, y0]) * (1 << _SHIFT)).astype(np.int32)
        fill = np.zeros((y1 - y0, x1 - x0), np.uint8)
        cv2.fillPoly(fill, [local], 255, cv2.LINE_AA, _SHIFT)
        lash = np.zeros_like(fill)
        cv2.polylines(lash, [local[[0, 5, 4, 3]]], False, 255, 1, cv2.LINE_AA, _SHIFT)
        patch = image[y0:y1, x0:x1]
        a = fill.astype(np.float32)[..., None] / 255
        patch[:] = patch * (1 - a) + colour * a
        a = 0.6 * lash.astype(np.float32)[..., None] / 255
        patch[:] = patch * (1 - a) + 0.4 * colour * a
