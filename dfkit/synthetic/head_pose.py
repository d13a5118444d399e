"""3-D head pose: a generic 68-point face with depth, smooth yaw / pitch series, and the drawn face following them.

Coordinates: camera frame as in OpenCV, x to the image right, y down, z away from the camera, so a
face looking at the camera has its nose at negative z. Face units as in :mod:`.face_model` (origin
at the face centre, face width 1). Rotation ``R = Rz(roll) @ Ry(yaw) @ Rx(pitch)`` (degrees; scipy's
``Rotation.from_euler("ZYX", [roll, yaw, pitch])``); roll is the in-plane angle of the head motion
(:mod:`.motion`), so ``roll`` here is exactly the existing ``angle_deg``.

Projection is weak perspective (scaled orthographic): a frame point is the similarity affine of the
motion applied to the texture point rotated in 3-D by yaw and pitch. At yaw = pitch = 0 it is the
face's frontal projection, i.e. :func:`.face_model.canonical_landmarks` as drawn. The texture follows
by a piecewise-affine warp over a Delaunay triangulation of the landmarks plus anchor points on the
face outline and around it (:class:`PoseRig`).
"""
import cv2
import numpy as np

from dfkit.synthetic.face_model import FACE_HALF_HEIGHT, FACE_HALF_WIDTH, canonical_landmarks
from dfkit.synthetic.motion import _smooth_signal

HEAD_DEPTH = 0.55  # ellipsoid semi-axis along z (face units); the face surface is its front half
NOSE_DEPTH = {27: 0.03, 28: 0.07, 29: 0.11, 30: 0.16, 31: 0.05, 32: 0.08, 33: 0.1, 34: 0.08, 35: 0.05}
EYE_RECESS = 0.04  # eyes sit this far behind the ellipsoid surface
CENTRAL = slice(17, 68)  # brows, nose, eyes, mouth: the central face of Yang et al. 2019 (contour: 0-16)
_ANCHOR_ANGLES = np.linspace(0, 2 * np.pi, 24, endpoint=False)
_FOREHEAD_X = np.linspace(-0.3, 0.3, 5)


def rotation_matrix(yaw, pitch, roll):
    """(..., 3, 3) float64 ``Rz(roll) @ Ry(yaw) @ Rx(pitch)`` from angles in degrees (broadcast)."""
    y, p, r = (np.deg2rad(np.asarray(a, np.float64)) for a in (yaw, pitch, roll))
    y, p, r = np.broadcast_arrays(y, p, r)
    one, zero = np.ones_like(y), np.zeros_like(y)
    rx = np.stack([one, zero, zero, zero, np.cos(p), -np.sin(p), zero, np.sin(p), np.cos(p)], -1)
    ry = np.stack([np.cos(y), zero, np.sin(y), zero, one, zero, -np.sin(y), zero, np.cos(y)], -1)
    rz = np.stack([np.cos(r), -np.sin(r), zero, np.sin(r), np.cos(r), zero, zero, zero, one], -1)
    shape = y.shape + (3, 3)
    return rz.reshape(shape) @ ry.reshape(shape) @ rx.reshape(shape)


def surface_depth(points):
    """(N,) z (face units, negative = toward the camera) of the ellipsoid's front at points (N, 2) face units."""
    r2 = (points[:, 0] / FACE_HALF_WIDTH) ** 2 + (points[:, 1] / FACE_HALF_HEIGHT) ** 2
    return -HEAD_DEPTH * np.sqrt(np.clip(1.0 - r2, 0.0, 1.0))


def face_model_3d(landmarks):
    """(68, 3) float64 face units: x, y as given (68, 2) face units, z from the generic depth profile."""
    landmarks = np.asarray(landmarks, np.float64)
    z = surface_depth(landmarks)
    z[36:48] += EYE_RECESS
    for index, depth in NOSE_DEPTH.items():
        z[index] -= depth
    return np.column_stack([landmarks, z])


def generic_face_model():
    """(68, 3) float64: the generic 3-D face (average proportions, face units), e.g. for ``cv2.solvePnP``."""
    return face_model_3d(canonical_landmarks())


def pose_series(rng, num_frames, fps, max_deg):
    """(T, 2) float64 smooth (yaw, pitch) degrees, each within +-``max_deg`` (two slow sinusoids, 0.05-0.5 Hz)."""
    return np.stack([_smooth_signal(rng, num_frames, fps, max_deg) for _ in range(2)], axis=1)


def _anchors():
    """(M, 3) face units: the face outline (z = 0), a ring outside it, and forehead points on the surface."""
    ring = np.stack([FACE_HALF_WIDTH * np.cos(_ANCHOR_ANGLES), FACE_HALF_HEIGHT * np.sin(_ANCHOR_ANGLES)], 1)
    forehead = np.stack([_FOREHEAD_X, np.full(5, -0.45)], 1)
    points = np.concatenate([ring, 1.35 * ring, forehead])
    z = np.concatenate([np.zeros(2 * len(ring)), surface_depth(forehead)])
    return np.column_stack([points, z])


class PoseRig:
    """Moves a face texture in 3-D: landmarks per frame and the texture's piecewise-affine warp.

    ``landmarks`` (68, 2) texture px of the open-eyed face; ``box`` [x0, y0, x1, y1] its face box
    (width = 1 face unit, centre = the face centre).
    """

    def __init__(self, landmarks, box):
        box = np.asarray(box, np.float64)
        self.centre = np.array([(box[0] + box[2]) / 2, (box[1] + box[3]) / 2])
        self.unit = float(box[2] - box[0])
        self.model = face_model_3d((np.asarray(landmarks, np.float64) - self.centre) / self.unit)
        self.anchors = _anchors()
        source = np.concatenate([self.model[:, :2], self.anchors[:, :2]]) * self.unit + self.centre
        self.source = source.astype(np.float32)
        self.triangles = _delaunay(self.source)
        self.destinations = None

    def _project(self, points, yaw_pitch, mats):
        """Face-unit points (T, N, 3) rotated by (T, 2) yaw / pitch, then the (T, 2, 3) affines: (T, N, 2) px."""
        rot = rotation_matrix(yaw_pitch[:, 0], yaw_pitch[:, 1], 0.0)
        turned = np.einsum("tij,tnj->tni", rot, points)[..., :2] * self.unit + self.centre
        return np.einsum("tij,tnj->tni", mats[:, :, :2], turned) + mats[:, None, :, 2]

    def pose(self, pose_deg, central_deg, mats, tex_landmarks):
        """Frame landmarks ``(moving (T, 68, 2), open-eyed (T, 68, 2))``; prepares the warp of every frame.

        pose_deg (T, 3) yaw, pitch, roll of the head (the outline, points 0-16, and the anchors);
        central_deg (T, 3) the pose the central face (points 17-67) follows; mats (T, 2, 3) the
        motion's affines (roll, scale, shift); tex_landmarks (T, 68, 2) texture px with this frame's
        eyelids (and mouth), each point keeping the depth of the model's point.
        """
        t = len(mats)
        moving = np.repeat(self.model[None], t, 0)
        moving[..., :2] = (np.asarray(tex_landmarks, np.float64) - self.centre) / self.unit
        out = []
        for points in (moving, np.repeat(self.model[None], t, 0)):
            head = self._project(points, pose_deg[:, :2], mats)
            head[:, CENTRAL] = self._project(points[:, CENTRAL], central_deg[:, :2], mats)
            out.append(head)
        anchors = self._project(np.repeat(self.anchors[None], t, 0), pose_deg[:, :2], mats)
        self.destinations = np.concatenate([out[1], anchors], 1).astype(np.float32)
        return out[0], out[1]

    def warp(self, stack, t, shape):
        """Warp texture ``stack`` (h, w, C) to frame ``t``: (roi slices, (rh, rw, C) float32), as an affine warp."""
        return piecewise_affine(stack, self.source, self.destinations[t], self.triangles, shape)


def _delaunay(points):
    """(K, 3) int triangles of a Delaunay triangulation of ``points`` (N, 2) (OpenCV's Subdiv2D)."""
    lo, hi = points.min(0) - 2, points.max(0) + 2
    subdiv = cv2.Subdiv2D((int(np.floor(lo[0])), int(np.floor(lo[1])), int(np.ceil(hi[0] - lo[0])) + 1,
                           int(np.ceil(hi[1] - lo[1])) + 1))
    for p in points:
        subdiv.insert((float(p[0]), float(p[1])))
    index = {tuple(np.round(p, 3)): i for i, p in enumerate(points.astype(np.float64))}
    triangles = []
    for tri in subdiv.getTriangleList():
        corners = [index.get(tuple(np.round(tri[k:k + 2].astype(np.float64), 3))) for k in (0, 2, 4)]
        if None not in corners:
            triangles.append(corners)
    return np.array(triangles, np.int64)


def piecewise_affine(stack, source, destination, triangles, shape):
    """Warp ``stack`` (h, w, C) so that points ``source`` (N, 2) land on ``destination`` (N, 2) in a frame of ``shape``.

    Each triangle of ``triangles`` (K, 3) moves by its own affine (continuous across shared edges);
    pixels outside every triangle are 0. Returns (roi slices, (rh, rw, C) float32) over the
    destination's bounding box, as :func:`.clip._warp` does.
    """
    h, w = shape
    x0, y0 = np.maximum(np.floor(destination.min(0)).astype(int) - 1, 0)
    x1, y1 = np.minimum(np.ceil(destination.max(0)).astype(int) + 2, [w, h])
    local = (destination - [x0, y0]).astype(np.float32)
    ids = np.full((y1 - y0, x1 - x0), -1, np.int32)
    inverse = np.empty((len(triangles), 2, 3), np.float64)
    for k, tri in enumerate(triangles):
        inverse[k] = cv2.getAffineTransform(local[tri], source[tri].astype(np.float32))
        cv2.fillConvexPoly(ids, np.round(local[tri] * 16).astype(np.int32), k, cv2.LINE_8, 4)
    ys, xs = np.mgrid[0:y1 - y0, 0:x1 - x0].astype(np.float64)
    m = inverse[np.maximum(ids, 0)]
    map_x = m[..., 0, 0] * xs + m[..., 0, 1] * ys + m[..., 0, 2]
    map_y = m[..., 1, 0] * xs + m[..., 1, 1] * ys + m[..., 1, 2]
    map_x[ids < 0] = -1e4
    warped = cv2.remap(stack, map_x.astype(np.float32), map_y.astype(np.float32), cv2.INTER_LINEAR,
                       borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    return (slice(y0, y1), slice(x0, x1)), warped.reshape(y1 - y0, x1 - x0, -1)
