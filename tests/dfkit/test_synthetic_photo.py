"""Photo mode: real face content that dlib and MTCNN agree with."""
import dlib
import numpy as np
import pytest
from skimage import data

from dfkit.errors import NoFaceError
from dfkit.synthetic import make_clip
from dfkit.landmarks import dlib_model_path


@pytest.fixture(scope="module")
def astronaut_clip():
    return make_clip(seed=3, num_frames=8, size=128, photo="astronaut")


def open_eye_frame(clip):
    blinking = {t for start, end in clip.blinks for t in range(start, end + 1)}
    return next(t for t in range(len(clip.frames)) if t not in blinking)


def test_dlib_landmarks_on_a_frame_match_the_ground_truth(astronaut_clip):
    clip = astronaut_clip
    t = open_eye_frame(clip)
    frame = clip.frames[t]
    faces = dlib.get_frontal_face_detector()(frame, 2)
    assert len(faces) == 1, f"expected dlib to find one face, found {len(faces)}"
    shape = dlib.shape_predictor(str(dlib_model_path()))(frame, faces[0])
    found = np.array([[p.x, p.y] for p in shape.parts()], np.float32)
    error = np.linalg.norm(found - clip.landmarks[t], axis=1)
    assert error.mean() < 2.0, f"mean landmark error {error.mean():.2f} px, expected < 2 px"
    assert np.percentile(error, 90) < 4.0, f"90th percentile landmark error {np.percentile(error, 90):.2f} px"


def test_mtcnn_finds_the_face_at_the_generator_box(astronaut_clip):
    torch = pytest.importorskip("torch")
    from facenet_pytorch import MTCNN

    torch.set_num_threads(1)
    clip = astronaut_clip
    boxes, probs = MTCNN(device="cpu").detect(clip.frames[::3].copy())
    for k, (found, prob) in enumerate(zip(boxes, probs)):
        assert found is not None and found[0] is not None, f"MTCNN found no face in frame {3 * k}"
        found = np.asarray(found[0], dtype=np.float64)
        expected = clip.boxes[3 * k]
        tol = 0.1 * (expected[2] - expected[0])
        assert np.all(np.abs(found - expected) < tol), f"frame {3 * k}: expected box {expected}, MTCNN {found}"


def test_blinks_close_the_photo_eyes_and_landmark_ear():
    clip = make_clip(seed=3, num_frames=16, size=128, photo="astronaut", blink_rate_hz=0.5)
    assert clip.blinks, "expected a blink in a 0.64 s photo clip"
    start, end = clip.blinks[0]
    mid = (start + end) // 2
    t_open = open_eye_frame(clip)

    def ear(lm):
        p = lm[36:42]
        return (np.linalg.norm(p[1] - p[5]) + np.linalg.norm(p[2] - p[4])) / (2 * np.linalg.norm(p[0] - p[3]))

    assert ear(clip.landmarks[mid]) < 0.5 * ear(clip.landmarks[t_open])
    # The painted lid hides the dark iris: the eye region gets brighter when shut.
    x0, y0 = np.floor(clip.landmarks[mid, 36:42].min(0)).astype(int)
    x1, y1 = np.ceil(clip.landmarks[mid, 36:42].max(0)).astype(int)
    x0o, y0o = np.floor(clip.landmarks[t_open, 36:42].min(0)).astype(int)
    shut = clip.frames[mid, y0 - 1:y1 + 2, x0:x1 + 1].mean()
    opened = clip.frames[t_open, y0o - 1:y0o + (y1 - y0) + 2, x0o:x0o + (x1 - x0) + 1].mean()
    assert shut > opened + 5, f"eye region brightness shut {shut:.1f} vs open {opened:.1f}"


def test_user_photo_with_and_without_box_matches_the_astronaut_mode():
    photo = data.astronaut()
    named = make_clip(seed=4, num_frames=3, size=96, photo="astronaut")
    given = make_clip(seed=4, num_frames=3, size=96, photo=photo, photo_box=(181, 62, 268, 172))
    assert np.array_equal(named.frames, given.frames)
    detected = make_clip(seed=4, num_frames=3, size=96, photo=photo)  # dlib finds the box
    assert np.abs(detected.landmarks - named.landmarks).mean() < 3.0


def test_photo_without_a_face_raises_no_face_error():
    with pytest.raises(NoFaceError):
        make_clip(num_frames=2, size=64, photo=np.full((120, 160, 3), 128, np.uint8))


def test_large_frames_place_the_photo_on_a_background():
    clip = make_clip(seed=5, num_frames=2, size=(1080, 1920), photo="astronaut", fake=True)
    assert clip.frames.shape == (2, 1080, 1920, 3)
    x0, y0, x1, y1 = clip.boxes[0]
    assert 0 < x0 < x1 < 1920 and 0 < y0 < y1 < 1080
    assert 100 < y1 - y0 < 300, f"face height {y1 - y0:.0f} px: the photo should not be blown up"
    assert clip.masks[0].sum() > 0 and clip.masks[0, :, :200].max() == 0
