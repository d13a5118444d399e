"""3-D head pose in the synthetic clips (dfkit.synthetic.head_pose) and the pose_mismatch fake."""
import hashlib

import cv2
import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from dfkit.synthetic import make_clip
from dfkit.synthetic.face_model import canonical_landmarks
from dfkit.synthetic.head_pose import PoseRig, generic_face_model, rotation_matrix


def test_a_default_clip_is_unchanged_by_the_head_pose_feature():
    clip = make_clip(seed=3, num_frames=8, size=96)
    # md5 of these frames before head pose existed (commit 462e4a7)
    assert hashlib.md5(clip.frames.tobytes()).hexdigest() == "1e0fd1341e9ed0bc5e4bef77b215533d"
    assert np.all(clip.pose_deg[:, :2] == 0) and np.ptp(clip.pose_deg[:, 2]) > 0, "roll = the in-plane motion angle"
    assert len(clip.sidecar()["pose_deg"]) == 8


def test_the_generic_model_projects_frontally_onto_the_drawn_landmarks():
    np.testing.assert_allclose(generic_face_model()[:, :2], canonical_landmarks())
    assert generic_face_model()[30, 2] < generic_face_model()[36, 2] < 0, "the nose tip is nearest the camera"


@pytest.mark.parametrize("angles", [(20, 0, 0), (0, -10, 5), (12, 8, -30)], ids=["yaw", "pitch-roll", "all"])
def test_rotation_matrix_is_scipys_zyx(angles):
    yaw, pitch, roll = angles
    expected = Rotation.from_euler("ZYX", [roll, yaw, pitch], degrees=True).as_matrix()
    np.testing.assert_allclose(rotation_matrix(yaw, pitch, roll), expected, atol=1e-12)


def test_zero_pose_in_3d_matches_the_in_plane_clip():
    flat, turned = make_clip(seed=1, num_frames=6, size=96), make_clip(seed=1, num_frames=6, size=96, head_pose_deg=0)
    np.testing.assert_allclose(turned.landmarks, flat.landmarks, atol=1e-3)
    diff = np.abs(turned.frames.astype(float) - flat.frames.astype(float)).mean()
    assert diff < 1.0, f"the piecewise-affine warp at zero pose should redraw the same face; mean |diff| {diff:.2f}"


def test_solvepnp_recovers_the_generators_pose_from_its_landmarks():
    clip = make_clip(seed=4, num_frames=10, size=128, head_pose_deg=25)
    assert 5 < np.abs(clip.pose_deg[:, :2]).max() <= 25
    focal = 1e5  # the generator's weak perspective is a far camera
    camera = np.array([[focal, 0, 64], [0, focal, 64], [0, 0, 1.0]])
    model = generic_face_model()
    rigid = slice(0, 36)  # outline, brows, nose: the eyes blink
    for t in (0, 9):
        ok, rvec, tvec = cv2.solvePnP(model[rigid], clip.landmarks[t, rigid].astype(np.float64), camera, None,
                                      rvec=np.zeros((3, 1)), tvec=np.array([[0.0], [0.0], [focal / 60]]),
                                      useExtrinsicGuess=True)
        roll, yaw, pitch = Rotation.from_matrix(cv2.Rodrigues(rvec)[0]).as_euler("ZYX", degrees=True)
        np.testing.assert_allclose([yaw, pitch, roll], clip.pose_deg[t], atol=3.0)


def test_the_rig_triangulates_every_landmark_and_anchor():
    clip = make_clip(seed=0, num_frames=1, size=96)
    rig = PoseRig(clip.landmarks[0], clip.boxes[0])
    assert rig.triangles.shape[1] == 3 and set(np.unique(rig.triangles)) == set(range(len(rig.source)))


def test_pose_mismatch_turns_the_central_face_and_keeps_the_outline():
    real = make_clip(seed=2, num_frames=4, size=96)
    fake = make_clip(seed=2, num_frames=4, size=96, fake=True, manipulations=("pose_mismatch",))
    np.testing.assert_allclose(fake.landmarks[:, :17], real.landmarks[:, :17], atol=1e-3)
    moved = np.linalg.norm(fake.landmarks[:, 17:] - real.landmarks[:, 17:], axis=-1).mean()
    assert moved > 1.0, f"the central landmarks should follow another pose; moved {moved:.2f} px"
    assert fake.masks.max() > 0.5 and fake.pulse_bpm == real.pulse_bpm and fake.blinks == real.blinks
    np.testing.assert_allclose(fake.pose_deg, real.pose_deg)  # ground truth: the head's pose
