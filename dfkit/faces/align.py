"""Align a face to a canonical 5-point template with a similarity transform (rotation, scale, shift)."""
import cv2
import numpy as np

# Canonical positions in a 112 x 112 crop (the ArcFace template) of, in MTCNN order: image-left eye,
# image-right eye, nose tip, image-left mouth corner, image-right mouth corner. Scaled for other sizes.
TEMPLATE_112 = np.array([[38.2946, 51.6963], [73.5318, 51.5014], [56.0252, 71.7366],
                         [41.5493, 92.3655], [70.7299, 92.2041]], dtype=np.float64)


def five_point_template(size=112):
    """The (5, 2) template for a ``size`` x ``size`` aligned crop, in pixels."""
    return TEMPLATE_112 * (size / 112.0)


def alignment_matrix(points5, size=112):
    """(2, 3) similarity transform taking ``points5`` (5, 2) to :func:`five_point_template` (least median
    of squares fit by ``cv2.estimateAffinePartial2D``)."""
    points5 = np.asarray(points5, dtype=np.float64).reshape(5, 2)
    matrix, _ = cv2.estimateAffinePartial2D(points5, five_point_template(size), method=cv2.LMEDS)
    if matrix is None:
        raise ValueError(f"cannot fit a similarity transform to the 5 points {points5.tolist()}")
    return matrix


def align_face(frame, points5, size=112):
    """Warp ``frame`` (H, W, 3) uint8 so ``points5`` land on the template; return (size, size, 3) uint8.

    Areas outside the frame are black.
    """
    matrix = alignment_matrix(points5, size)
    return cv2.warpAffine(frame, matrix, (size, size), flags=cv2.INTER_LINEAR,
                          borderMode=cv2.BORDER_CONSTANT, borderValue=0)
