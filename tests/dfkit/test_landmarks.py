"""68-point landmarks: dlib on the astronaut checked against face geometry and MTCNN's own 5 points;
five_point_from_68 against hand-computed means."""
import numpy as np
import pytest
from skimage import data

from dfkit.errors import DfkitError
from dfkit.faces import FaceDetector
from dfkit.landmarks import (EYE_LEFT, EYE_RIGHT, MOUTH, NOSE, Dlib68Predictor, GroundTruthLandmarks,
                             dlib_model_path, five_point_from_68)

ASTRONAUT_BOX = np.array([181.0, 62.0, 268.0, 172.0])


@pytest.fixture(scope="module")
def astronaut():
    return data.astronaut()


@pytest.fixture(scope="module")
def predictor():
    return Dlib68Predictor()


def test_dlib_landmarks_fall_in_the_right_parts_of_the_face(predictor, astronaut):
    points = predictor.predict(astronaut, ASTRONAUT_BOX)
    assert points.shape == (68, 2) and points.dtype == np.float32
    x0, y0, x1, y1 = ASTRONAUT_BOX
    middle_y = (y0 + y1) / 2
    right_eye, left_eye = points[EYE_RIGHT].mean(0), points[EYE_LEFT].mean(0)
    assert y0 < right_eye[1] < middle_y and y0 < left_eye[1] < middle_y, "eyes in the upper half"
    assert middle_y < points[MOUTH][:, 1].min() and points[MOUTH][:, 1].max() < y1, "mouth in the lower half"
    assert x0 < right_eye[0] < left_eye[0] < x1, "iBUG right eye (36-41) is on the image's left"
    assert points[36, 0] < points[39, 0] < points[42, 0] < points[45, 0], "eye corners left to right"
    assert points[48, 0] < points[54, 0] and points[0, 0] < points[16, 0]
    assert points[8, 1] == points[:17, 1].max(), "the chin (8) is the lowest jaw point"
    assert right_eye[0] < points[NOSE][:, 0].mean() < left_eye[0]


def test_dlib_agrees_with_mtcnn_five_points(predictor, astronaut):
    (detection,) = FaceDetector(device="cpu").detect(astronaut[None])
    five = five_point_from_68(predictor.predict(astronaut, detection.box))
    error = np.linalg.norm(five - detection.points, axis=1)
    assert error.max() < 6, f"dlib vs MTCNN 5-point distance (px) per point: {error.round(1)}"


def test_predict_clip_stacks_per_frame_predictions(predictor, astronaut):
    frames = np.stack([astronaut, np.roll(astronaut, 15, axis=1)])
    boxes = np.stack([ASTRONAUT_BOX, ASTRONAUT_BOX + [15, 0, 15, 0]])
    clip = predictor.predict_clip(frames, boxes)
    assert clip.shape == (2, 68, 2)
    assert np.allclose(clip[1] - clip[0], [15, 0], atol=1.0), "a shifted face gives shifted landmarks"


def test_five_point_from_68_hand_computed():
    points = np.stack([np.arange(68.0), 2 * np.arange(68.0)], axis=1)  # point i = (i, 2i)
    expected = [[38.5, 77.0], [44.5, 89.0], [30.0, 60.0], [48.0, 96.0], [54.0, 108.0]]
    assert five_point_from_68(points).tolist() == expected
    assert five_point_from_68(np.stack([points, points + 1])).shape == (2, 5, 2)


def test_ground_truth_adapter_returns_the_given_landmarks():
    landmarks = np.random.default_rng(0).uniform(0, 64, (4, 68, 2))
    adapter = GroundTruthLandmarks(landmarks)
    frames = np.zeros((4, 64, 64, 3), np.uint8)
    assert np.allclose(adapter.predict_clip(frames, np.zeros((4, 4))), landmarks)
    with pytest.raises(ValueError, match="5 frames but 4"):
        adapter.predict_clip(np.zeros((5, 64, 64, 3), np.uint8), None)


def test_missing_model_file_explains_how_to_install(tmp_path):
    assert dlib_model_path().name == "shape_predictor_68_face_landmarks.dat"
    with pytest.raises(DfkitError, match="face-recognition-models"):
        Dlib68Predictor(model_path=tmp_path / "nope.dat")
