"""Graded tests for phase4_biological_signals/template_face_consistency.py.

Ground truth: the synthetic generator's head pose (``clip.pose_deg``; its clips are rendered with a
far camera, so the tests give solvePnP a focal length of 10 frame widths) and its ``pose_mismatch``
fakes (their central face turned by ``POSE_MISMATCH_DEG``), scipy's ``Rotation``, OpenCV's
``projectPoints``, ``scipy.spatial.procrustes`` and scikit-learn's ``LogisticRegression`` /
``GradientBoostingClassifier``.
"""
import cv2
import numpy as np
import pytest
import torch
from scipy.spatial import procrustes
from scipy.spatial.transform import Rotation
from sklearn.ensemble import GradientBoostingClassifier
from sklearn.linear_model import LogisticRegression

from dfkit.synthetic import make_clip
from dfkit.synthetic.head_pose import generic_face_model
from dfkit.synthetic.manipulations import POSE_MISMATCH_DEG

pytestmark = pytest.mark.exercise("phase4_biological_signals.template_face_consistency")
SIZE = 128
FAR = 10 * SIZE  # focal length (px) close to the generator's weak-perspective camera
MODEL = generic_face_model()


def _far_camera():
    return np.array([[FAR, 0, SIZE / 2], [0, FAR, SIZE / 2], [0, 0, 1.0]])


@pytest.mark.points(1)
def test_camera_matrix_has_the_frame_width_as_focal_length(exercise):
    got = np.asarray(exercise.camera_matrix(640, 480))
    np.testing.assert_allclose(got, [[640, 0, 320], [0, 640, 240], [0, 0, 1]],
                               err_msg="f = width, principal point at the centre")
    np.testing.assert_allclose(np.asarray(exercise.camera_matrix(640, 480, focal=900))[0, 0], 900)


ANGLES = {"yaw-only": (20, 0, 0), "pitch-only": (0, -15, 0), "roll-only": (0, 0, 25), "all-three": (-12, 8, -30)}


@pytest.mark.points(1)
@pytest.mark.parametrize("case", list(ANGLES), ids=list(ANGLES))
def test_euler_angles_invert_scipys_zyx_rotation(exercise, case):
    yaw, pitch, roll = ANGLES[case]
    matrix = Rotation.from_euler("ZYX", [roll, yaw, pitch], degrees=True).as_matrix()
    got = exercise.euler_angles(matrix)
    np.testing.assert_allclose(got, (yaw, pitch, roll), atol=1e-6,
                               err_msg=f"R = Rz(roll) Ry(yaw) Rx(pitch): expected (yaw, pitch, roll) = {ANGLES[case]}")


@pytest.fixture(scope="module")
def turning():
    return make_clip(seed=5, num_frames=12, size=SIZE, head_pose_deg=20)


@pytest.mark.points(2)
def test_head_pose_reprojects_the_model_onto_the_landmarks(exercise, turning):
    camera = _far_camera()
    rotation, translation = exercise.head_pose(turning.landmarks[3], MODEL, camera)
    projected, _ = cv2.projectPoints(MODEL, cv2.Rodrigues(np.asarray(rotation, np.float64))[0],
                                     np.asarray(translation, np.float64), camera, None)
    error = np.linalg.norm(projected[:, 0] - turning.landmarks[3], axis=1).mean()
    assert error < 2.0, (f"cv2.projectPoints of the model with your pose should land on the landmarks; "
                         f"mean error {error:.2f} px")
    assert abs(np.linalg.det(rotation) - 1) < 1e-6, "expected a rotation matrix (det 1)"


@pytest.mark.points(2)
def test_pose_series_follows_the_generators_head_pose(exercise, turning, agrees_with_reference):
    got = np.asarray(exercise.pose_series(turning.landmarks, _far_camera(), MODEL))
    assert got.shape == (12, 3), f"expected (T, 3) (yaw, pitch, roll), got {got.shape}"
    error = np.abs(got - turning.pose_deg).mean(0)
    assert error.max() < 2.5, (f"mean |estimate - generator's pose| (yaw, pitch, roll) = {np.round(error, 2)} deg; "
                               f"expected < 2.5 (true range: {np.round(np.ptp(turning.pose_deg, 0), 1)})")
    agrees_with_reference(got, lambda ref: ref.pose_series(turning.landmarks, _far_camera(), MODEL),
                          rtol=1e-4, atol=1e-3)


@pytest.mark.points(1)
def test_rotation_angle_of_a_known_turn(exercise):
    a = Rotation.from_euler("Y", 10, degrees=True).as_matrix()
    b = Rotation.from_euler("Y", 35, degrees=True).as_matrix()
    assert exercise.rotation_angle(a, b) == pytest.approx(25.0, abs=1e-6), "two yaws of 10 and 35 deg are 25 deg apart"
    assert exercise.rotation_angle(a, a) == pytest.approx(0.0, abs=1e-5)


@pytest.mark.points(2)
def test_pose_mismatch_fakes_are_more_inconsistent_than_their_real_twins(exercise):
    gaps = []
    for seed in (0, 1, 2):
        real = make_clip(seed=seed, num_frames=6, size=SIZE)
        fake = make_clip(seed=seed, num_frames=6, size=SIZE, fake=True, manipulations=("pose_mismatch",))
        gaps.append([np.mean(exercise.pose_inconsistency(c.landmarks, _far_camera(), MODEL)) for c in (real, fake)])
    gaps = np.array(gaps)
    assert (gaps[:, 1] > gaps[:, 0] + 1.0).all(), (
        f"whole-face vs central-face pose gap (deg), real vs pose_mismatch twin: {np.round(gaps, 2).tolist()}")


def _turn_deg(yaw, pitch):
    return float(np.degrees(Rotation.from_euler("ZYX", [0, yaw, pitch], degrees=True).magnitude()))


@pytest.mark.points(2)
def test_outline_pose_gap_recovers_the_swapped_faces_turn(exercise, agrees_with_reference):
    """The generator turns a pose_mismatch fake's central face by 10-20 deg in yaw and in pitch
    (POSE_MISMATCH_DEG) away from the outline: a rotation of 14-28 deg, which the outline-vs-central
    gap should find; a real twin's whole head turns together (about 0)."""
    low, high = (_turn_deg(d, d) for d in POSE_MISMATCH_DEG)
    camera = np.asarray(exercise.camera_matrix(SIZE, SIZE))
    for seed in (0, 1, 2):
        real = make_clip(seed=seed, num_frames=3, size=SIZE)
        fake = make_clip(seed=seed, num_frames=3, size=SIZE, fake=True, manipulations=("pose_mismatch",))
        gaps = [np.asarray(exercise.outline_pose_gap(c.landmarks, camera, MODEL)) for c in (real, fake)]
        assert gaps[0].shape == (3,), f"expected one gap per frame (3,), got {gaps[0].shape}"
        assert gaps[0].max() < 2.0, f"seed {seed}: a real face's outline and centre turn together; got {gaps[0]}"
        assert (gaps[1] > low - 4).all() and (gaps[1] < high + 4).all(), (
            f"seed {seed}: the fake's central face is turned {low:.0f}-{high:.0f} deg from its outline; got {gaps[1]}")
    agrees_with_reference(gaps[1], lambda ref: ref.outline_pose_gap(fake.landmarks, camera, MODEL),
                          rtol=1e-3, atol=0.05)


@pytest.mark.points(1)
def test_shape_drift_is_scipys_procrustes_disparity(exercise, agrees_with_reference):
    clip = make_clip(seed=3, num_frames=5, size=96)
    noisy = clip.landmarks + np.random.default_rng(0).normal(0, 0.7, clip.landmarks.shape)
    got = exercise.shape_drift(noisy)
    centred = noisy - noisy.mean(1, keepdims=True)
    expected = np.mean([procrustes(centred.mean(0), lm)[2] for lm in noisy])
    assert got == pytest.approx(expected, rel=1e-6), (
        f"expected scipy.spatial.procrustes' mean disparity {expected:.6f}, got {got}")
    assert exercise.shape_drift(clip.landmarks[:, :, :]) < got, "landmark noise should increase the drift"
    agrees_with_reference(got, lambda ref: ref.shape_drift(noisy))


@pytest.mark.points(1)
def test_physio_features_refuse_a_clip_too_short_for_a_heart_rate(exercise):
    clip = make_clip(seed=0, num_frames=150, size=96)
    rgb = np.random.default_rng(0).normal([180.0, 130.0, 100.0], 0.5, (150, 3))
    features = np.asarray(exercise.physio_features(clip.landmarks, rgb, 25.0, (96, 96)))
    assert features.shape == (len(exercise.FEATURE_NAMES),) and np.isfinite(features).all(), (
        f"expected {len(exercise.FEATURE_NAMES)} finite features, got {features}")
    with pytest.raises(ValueError, match="5 s"):
        exercise.physio_features(clip.landmarks[:100], rgb[:100], 25.0, (96, 96))


def _features(seed=0, n=60):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 4)) * [1, 10, 0.1, 3] + [0, 50, 1, -2]
    y = (x[:, 0] + 0.1 * x[:, 1] + rng.normal(0, 0.5, n) > 5).astype(int)
    return x, y


@pytest.mark.points(2)
def test_fit_logreg_gives_scikit_learns_probabilities(exercise):
    x, y = _features()
    model = exercise.fit_logreg(x, y, num_features=4)
    got = torch.sigmoid(model(torch.from_numpy(x).float())).detach().numpy()
    mean, std = x.mean(0), x.std(0)
    expected = LogisticRegression(C=1.0, max_iter=1000).fit((x - mean) / std, y).predict_proba((x - mean) / std)[:, 1]
    np.testing.assert_allclose(got, expected, atol=1e-4, err_msg="expected LogisticRegression on standardised features")
    assert model(torch.zeros(1, 4)).shape == (1,), "a batch of one gives logits of shape (1,)"


def test_gbm_as_tensors_equals_scikit_learns_decision_function(exercise):
    """Given code (not graded): the trees copied into buffers score exactly like scikit-learn."""
    x, y = _features(1, 80)
    model = exercise.fit_gbm(x, y, num_features=4, num_trees=20, max_depth=2, learning_rate=0.1)
    expected = GradientBoostingClassifier(n_estimators=20, max_depth=2, learning_rate=0.1, random_state=0).fit(
        x.astype(np.float32), y).decision_function(x.astype(np.float32))
    np.testing.assert_allclose(model(torch.from_numpy(x)).numpy(), expected, atol=1e-5)
