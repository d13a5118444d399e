"""Head pose from 2-D landmarks, its consistency across the face, and an interpretable physiological detector.

A face swap pastes a generated *central* face (eyes, brows, nose, mouth) into the target's head,
whose outline (jaw, cheeks) stays. When the two were filmed at different poses, the central
landmarks and the outline agree on no single 3-D pose. Yang et al. ("Exposing deep fakes using
inconsistent head poses", ICASSP 2019) estimate the pose twice, from all 68 landmarks and from the
central ones only (17-67), and use the difference. A head pose comes from 2-D points and a generic
3-D face model by solving the Perspective-n-Point problem (``cv2.solvePnP``).

That difference is diluted: 51 of the 68 points are central, and the outline (0-16) is almost flat
(its points lie at about one depth), so on its own it hardly fixes a rotation: the whole-face fit
follows the central face and absorbs the outline's disagreement in its translation. Pinning the
translation to the central face's (where the head is) makes the outline speak: its rotation about
that head centre, against the central face's, recovers the swapped face's turn
(:func:`outline_pose_gap`).

Conventions (OpenCV's camera frame): x to the image right, y down, z away from the camera; a face
looking at the camera has its nose at negative z. Rotations are (3, 3) matrices
``R = Rz(roll) @ Ry(yaw) @ Rx(pitch)`` mapping model to camera coordinates; angles in degrees
(scipy: ``Rotation.from_matrix(R).as_euler("ZYX", degrees=True)`` gives ``[roll, yaw, pitch]``).

The detector at the end reads one feature vector per video (blink, pulse and pose features:
``FEATURE_NAMES``) and is a logistic regression (``physio_logreg``) or gradient-boosted trees
(``physio_gbm``), fitted in one pass (no gradient descent) by the course's train CLI.
"""
import cv2
import numpy as np
import torch
from scipy.optimize import least_squares
from scipy.spatial import procrustes
from torch import nn

from dfkit.curriculum import load
from dfkit.synthetic.head_pose import generic_face_model

PHASE = "phase4_biological_signals"
BLINKS, PULSE = f"{PHASE}.template_blink_detection", f"{PHASE}.template_pulse_detection"
CENTRAL = slice(17, 68)       # brows, nose, eyes, mouth
OUTLINE = slice(0, 17)        # the jaw and cheek outline, which a face swap keeps
FACE_MODEL = generic_face_model()  # (68, 3) generic face, face units (width 1)
POSE_FEATURES = ("pose_gap_mean_deg", "pose_gap_p90_deg", "outline_gap_deg", "shape_drift")
MIN_PULSE_S = 5.0             # shorter clips have no usable heart rate (frequency resolution)
POSE_STEP = 5                 # pose features from every 5th frame (a head turns slowly; solvePnP is the cost)
# The registry's input settings: signals detectors read whole frames (no crop is resized or normalised).
INPUT_SIZE, MEAN, STD = 320, (0.0, 0.0, 0.0), (1.0, 1.0, 1.0)


def camera_matrix(width, height, focal=None):
    """(3, 3) float64 pinhole intrinsics for a ``width`` x ``height`` frame.

    ``[[f, 0, cx], [0, f, cy], [0, 0, 1]]`` with ``f = focal`` or, unknown, the frame width (a common
    guess for webcams), and the principal point at the frame centre ``(width / 2, height / 2)``.
    """
    # BEGIN SOLUTION
    f = float(focal) if focal is not None else float(width)
    return np.array([[f, 0.0, width / 2.0], [0.0, f, height / 2.0], [0.0, 0.0, 1.0]])
    # END SOLUTION


def euler_angles(rotation):
    """``(yaw, pitch, roll)`` degrees of a (3, 3) rotation ``R = Rz(roll) @ Ry(yaw) @ Rx(pitch)``.

    From the matrix entries: ``R[2, 0] = -sin(yaw)``, ``R[2, 1] / R[2, 2] = tan(pitch)``,
    ``R[1, 0] / R[0, 0] = tan(roll)``; use ``arctan2`` so every quadrant comes out right.
    """
    # BEGIN SOLUTION
    # HINT: clip -R[2, 0] to [-1, 1] before arcsin (rounding can push it just outside); np.degrees at the end.
    r = np.asarray(rotation, np.float64)
    yaw = np.arcsin(np.clip(-r[2, 0], -1.0, 1.0))
    pitch = np.arctan2(r[2, 1], r[2, 2])
    roll = np.arctan2(r[1, 0], r[0, 0])
    return tuple(float(np.degrees(a)) for a in (yaw, pitch, roll))
    # END SOLUTION


def head_pose(points, model, camera):
    """Rotation (3, 3) and translation (3,) of ``model`` (N, 3) seen at image ``points`` (N, 2) px by ``camera`` (3, 3).

    ``cv2.solvePnP`` (iterative Levenberg-Marquardt, no lens distortion) gives a rotation vector;
    ``cv2.Rodrigues`` turns it into a matrix. Start it from a frontal guess
    (``useExtrinsicGuess=True``): rotation 0 and the model's centre on the ray through the points'
    centroid, at the depth where its width matches theirs (``z = f * model width / image width``).
    Without a guess, a shallow face seen almost orthographically can come out flipped (roll 180).
    The model's units fix the translation's units only, not the rotation.
    """
    # BEGIN SOLUTION
    points = np.asarray(points, np.float64).reshape(-1, 2)
    model = np.asarray(model, np.float64).reshape(-1, 3)
    f, cx, cy = camera[0, 0], camera[0, 2], camera[1, 2]
    depth = f * np.ptp(model[:, 0]) / max(np.ptp(points[:, 0]), 1e-6)
    centre = points.mean(0)
    tvec = np.array([(centre[0] - cx) * depth / f, (centre[1] - cy) * depth / f, depth]).reshape(3, 1)
    # HINT: solvePnP wants contiguous float64 arrays shaped (N, 1, 3) and (N, 1, 2).
    ok, rvec, tvec = cv2.solvePnP(model.reshape(-1, 1, 3), np.ascontiguousarray(points.reshape(-1, 1, 2)), camera,
                                  None, rvec=np.zeros((3, 1)), tvec=tvec, useExtrinsicGuess=True,
                                  flags=cv2.SOLVEPNP_ITERATIVE)
    if not ok:
        raise ValueError("solvePnP found no pose for these points")
    return cv2.Rodrigues(rvec)[0], tvec.ravel()
    # END SOLUTION


def pose_series(landmarks, camera, model=FACE_MODEL, points=slice(None)):
    """(T, 3) float64 ``(yaw, pitch, roll)`` degrees of each frame of ``landmarks`` (T, 68, 2), from the
    landmarks ``points`` (an index or slice into the 68) and the same rows of ``model``."""
    # BEGIN SOLUTION
    return np.array([euler_angles(head_pose(lm[points], model[points], camera)[0]) for lm in landmarks])
    # END SOLUTION


def rotation_angle(a, b):
    """The angle (degrees) of the rotation between two rotation matrices: ``arccos((trace(a^T b) - 1) / 2)``."""
    # BEGIN SOLUTION
    cosine = (np.trace(np.asarray(a).T @ np.asarray(b)) - 1.0) / 2.0
    return float(np.degrees(np.arccos(np.clip(cosine, -1.0, 1.0))))
    # END SOLUTION


def pose_inconsistency(landmarks, camera, model=FACE_MODEL):
    """(T,) degrees: per frame, the angle between the head pose of all 68 landmarks and of the central
    ones (``CENTRAL``, 17-67), each from :func:`head_pose` (Yang et al. 2019). Near 0 for a real face."""
    # BEGIN SOLUTION
    # HINT: the same camera for both estimates; model[CENTRAL] pairs with lm[CENTRAL].
    gaps = []
    for lm in landmarks:
        whole = head_pose(lm, model, camera)[0]
        central = head_pose(lm[CENTRAL], model[CENTRAL], camera)[0]
        gaps.append(rotation_angle(whole, central))
    return np.array(gaps)
    # END SOLUTION


def outline_pose_gap(landmarks, camera, model=FACE_MODEL):
    """(T,) degrees: per frame, how far the outline's rotation is from the central face's.

    The central pose ``(R, t)`` comes from :func:`head_pose` of the central landmarks (17-67). The
    outline's rotation is fitted with the translation held at ``t``: ``scipy.optimize.least_squares``
    (``method="lm"``) over a Rodrigues vector, starting at R's; the residuals are ``cv2.projectPoints``
    of ``model[OUTLINE]`` minus the outline landmarks (0-16), and the Jacobian is the first three
    columns of the one ``cv2.projectPoints`` also returns (the derivatives by the rotation vector).
    The gap is :func:`rotation_angle` between the two rotations: near 0 when the whole head turns
    together, the source's extra turn when a face swapped in from another pose sits inside the
    target's outline.
    """
    # BEGIN SOLUTION
    # HINT: projected, jacobian = cv2.projectPoints(points3d, rvec, t, camera, None): (N, 1, 2) and (2N, 15).
    gaps = []
    for lm in np.asarray(landmarks, np.float64):
        central, t = head_pose(lm[CENTRAL], model[CENTRAL], camera)

        def residuals(rvec):
            return (cv2.projectPoints(model[OUTLINE], rvec, t, camera, None)[0][:, 0] - lm[OUTLINE]).ravel()

        def jacobian(rvec):
            return cv2.projectPoints(model[OUTLINE], rvec, t, camera, None)[1][:, :3]

        outline = least_squares(residuals, cv2.Rodrigues(central)[0].ravel(), jac=jacobian, method="lm").x
        gaps.append(rotation_angle(central, cv2.Rodrigues(outline)[0]))
    return np.array(gaps)
    # END SOLUTION


def shape_drift(landmarks):
    """Mean Procrustes disparity of each frame's landmarks (T, 68, 2) from the clip's mean shape.

    The mean shape is the mean over frames of the landmarks, each frame centred on its centroid.
    The disparity is ``scipy.spatial.procrustes``'s: both shapes centred and scaled to unit norm, the
    frame's rotated (and scaled) onto the mean, then the sum of squared differences. It measures how
    much the face's *shape* changes (identity, expression, landmark noise), not where it moves.
    """
    # BEGIN SOLUTION
    landmarks = np.asarray(landmarks, np.float64)
    mean_shape = (landmarks - landmarks.mean(1, keepdims=True)).mean(0)
    return float(np.mean([procrustes(mean_shape, lm)[2] for lm in landmarks]))
    # END SOLUTION


def pose_features(landmarks, frame_size):
    """(4,) float64 in the order of ``POSE_FEATURES`` for landmarks (T, 68, 2) in frames of ``frame_size`` (H, W).

    The mean and the 90th percentile of :func:`pose_inconsistency`, the median of
    :func:`outline_pose_gap` (a blink can throw a frame's landmarks off) — both with the camera
    :func:`camera_matrix` of the frame — and :func:`shape_drift`.
    """
    # BEGIN SOLUTION
    height, width = frame_size[:2]
    camera = camera_matrix(width, height)
    gaps = pose_inconsistency(landmarks, camera)
    return np.array([gaps.mean(), np.percentile(gaps, 90), np.median(outline_pose_gap(landmarks, camera)),
                     shape_drift(landmarks)])
    # END SOLUTION


def skin_trace(frames, landmarks):
    """(T, 3) float64 mean skin RGB per frame: the pulse exercise's ``mean_rgb`` (what the train / evaluate /
    detect drivers record for every video, beside its landmarks)."""
    return load(PULSE).mean_rgb(frames, landmarks)


def physio_features(landmarks, rgb, fps, frame_size):
    """(F,) float32: every feature of one video, in the order of ``FEATURE_NAMES``.

    landmarks (T, 68, 2) px at the video's native frame rate ``fps`` (consecutive frames), rgb (T, 3)
    the skin trace (:func:`skin_trace`), frame_size (H, W). Blinks (the blink exercise's
    ``blink_features`` of its adaptive-threshold events), pulse (``pulse_features``) and pose
    (:func:`pose_features` of every ``POSE_STEP``-th frame). A clip shorter than ``MIN_PULSE_S``
    seconds raises ValueError.
    """
    if len(landmarks) < MIN_PULSE_S * fps:
        raise ValueError(f"a heart rate needs at least {MIN_PULSE_S:g} s of video; got {len(landmarks) / fps:.1f} s")
    # BEGIN SOLUTION
    blinks = load(BLINKS)
    ear = blinks.ear_series(landmarks)
    events = blinks.detect_blinks(ear)
    return np.concatenate([blinks.blink_features(ear, events, fps), load(PULSE).pulse_features(rgb, fps),
                           pose_features(landmarks[::POSE_STEP], frame_size)]).astype(np.float32)
    # END SOLUTION


FEATURE_NAMES = load(BLINKS).BLINK_FEATURES + load(PULSE).PULSE_FEATURES + POSE_FEATURES


class PhysioLogReg(nn.Module):
    """Logistic regression on standardised physiological features: ``(x - mean) / std @ weight + bias``.

    ``num_features`` F. Buffers ``mean`` (F,), ``std`` (F,) and a ``linear`` layer (F -> 1). Input
    (B, F) float, output (B,) logits. Interpretable: each weight is the change in log-odds of
    "fake" per standard deviation of its feature.
    """

    def __init__(self, num_features=len(FEATURE_NAMES)):
        super().__init__()
        self.register_buffer("mean", torch.zeros(num_features))
        self.register_buffer("std", torch.ones(num_features))
        self.linear = nn.Linear(num_features, 1)

    def forward(self, x):
        # BEGIN SOLUTION
        return self.linear((x.float() - self.mean) / self.std).squeeze(-1)
        # END SOLUTION


def fit_logreg(features, labels, num_features=len(FEATURE_NAMES), c=1.0):
    """A :class:`PhysioLogReg` fitted in one pass: features (N, F), labels (N,) 0/1 -> model.

    Standardise with the training set's mean and population std (a constant feature: std 1), fit
    scikit-learn's ``LogisticRegression(C=c)`` on the standardised features and copy its ``coef_``
    and ``intercept_`` into the linear layer.
    """
    # BEGIN SOLUTION
    # HINT: inside torch.no_grad(), model.mean.copy_(torch.from_numpy(mean)) and likewise for std, weight, bias.
    from sklearn.linear_model import LogisticRegression

    features = np.asarray(features, np.float64)
    mean, std = features.mean(0), features.std(0)
    std[std < 1e-12] = 1.0
    classifier = LogisticRegression(C=c, max_iter=1000).fit((features - mean) / std, labels)
    model = PhysioLogReg(num_features)
    with torch.no_grad():
        model.mean.copy_(torch.from_numpy(mean))
        model.std.copy_(torch.from_numpy(std))
        model.linear.weight.copy_(torch.from_numpy(classifier.coef_))
        model.linear.bias.copy_(torch.from_numpy(classifier.intercept_))
    return model
    # END SOLUTION


class PhysioGBM(nn.Module):
    """Gradient-boosted decision trees as tensors, so a checkpoint is a plain state_dict (no pickle).

    ``num_trees`` trees of depth ``max_depth`` with at most ``2 ** (max_depth + 1) - 1`` nodes each.
    Buffers (trees x nodes): ``feature`` (split feature, -2 at a leaf), ``threshold`` (float64),
    ``left`` / ``right`` (child node, -1 at a leaf), ``value`` (leaf output); ``init`` the prior
    log-odds, ``learning_rate`` the shrinkage. Input (B, F), output (B,) logits: ``init + lr * sum
    of each tree's leaf value``, with ``x[feature] <= threshold`` going left (scikit-learn's rule).
    """

    def __init__(self, num_features=len(FEATURE_NAMES), num_trees=200, max_depth=2, learning_rate=0.05):
        super().__init__()
        nodes = 2 ** (max_depth + 1) - 1
        self.num_features, self.max_depth = num_features, max_depth
        self.register_buffer("feature", torch.full((num_trees, nodes), -2, dtype=torch.int64))
        self.register_buffer("threshold", torch.zeros(num_trees, nodes, dtype=torch.float64))
        self.register_buffer("left", torch.full((num_trees, nodes), -1, dtype=torch.int64))
        self.register_buffer("right", torch.full((num_trees, nodes), -1, dtype=torch.int64))
        self.register_buffer("value", torch.zeros(num_trees, nodes, dtype=torch.float64))
        self.register_buffer("init", torch.zeros((), dtype=torch.float64))
        self.register_buffer("learning_rate", torch.tensor(float(learning_rate), dtype=torch.float64))

    def forward(self, x):
        x = x.to(torch.float32).to(torch.float64)  # scikit-learn's trees compare float32 inputs
        batch, trees = x.shape[0], self.feature.shape[0]
        node = torch.zeros(batch, trees, dtype=torch.int64, device=x.device)
        tree = torch.arange(trees, device=x.device).expand(batch, trees)
        for _ in range(self.max_depth):
            feature = self.feature[tree, node]
            leaf = feature < 0
            goes_left = x.gather(1, feature.clamp(min=0)) <= self.threshold[tree, node]
            child = torch.where(goes_left, self.left[tree, node], self.right[tree, node])
            node = torch.where(leaf, node, child)
        return (self.init + self.learning_rate * self.value[tree, node].sum(1)).float()


def fit_gbm(features, labels, num_features=len(FEATURE_NAMES), num_trees=200, max_depth=2, learning_rate=0.05):
    """A :class:`PhysioGBM` fitted by scikit-learn's ``GradientBoostingClassifier`` (seeded), its trees copied."""
    from sklearn.ensemble import GradientBoostingClassifier

    labels = np.asarray(labels)
    booster = GradientBoostingClassifier(n_estimators=num_trees, max_depth=max_depth, learning_rate=learning_rate,
                                         random_state=0).fit(np.asarray(features, np.float32), labels)
    model = PhysioGBM(num_features, num_trees, max_depth, learning_rate)
    prior = np.clip(labels.mean(), 1e-6, 1 - 1e-6)
    with torch.no_grad():
        model.init.fill_(float(np.log(prior / (1 - prior))))
        for k, estimator in enumerate(booster.estimators_[:, 0]):
            tree = estimator.tree_
            n = tree.node_count
            model.feature[k, :n] = torch.from_numpy(tree.feature.astype(np.int64))
            model.threshold[k, :n] = torch.from_numpy(tree.threshold)
            model.left[k, :n] = torch.from_numpy(tree.children_left.astype(np.int64))
            model.right[k, :n] = torch.from_numpy(tree.children_right.astype(np.int64))
            model.value[k, :n] = torch.from_numpy(tree.value[:, 0, 0])
    return model
