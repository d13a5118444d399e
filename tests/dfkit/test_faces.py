"""Faces: MTCNN boxes against the astronaut's known face, box geometry against hand-computed values,
alignment against a known similarity transform."""
import cv2
import numpy as np
import pytest
from skimage import data

from dfkit.errors import NoFaceError
from dfkit.faces import (FaceDetector, align_face, alignment_matrix, crop_face, expand_box,
                         fill_missing_boxes, five_point_template, smooth_boxes)

ASTRONAUT_BOX = np.array([181, 62, 268, 172])  # the face in skimage.data.astronaut() (512 x 512)


@pytest.fixture(scope="module")
def astronaut():
    return data.astronaut()


@pytest.fixture(scope="module")
def detector():
    return FaceDetector(device="cpu", batch_size=2)


def paste(image, canvas_shape, x, y):
    """``image`` pasted on a black canvas (H, W, 3) with its top-left corner at (x, y)."""
    canvas = np.zeros(canvas_shape + (3,), np.uint8)
    canvas[y:y + image.shape[0], x:x + image.shape[1]] = image
    return canvas


def test_finds_the_astronaut_face(detector, astronaut):
    (found,) = detector.detect(astronaut[None])
    assert found is not None
    assert np.abs(found.box - ASTRONAUT_BOX).max() < 3, f"expected ~{ASTRONAUT_BOX}, got {found.box}"
    assert found.score > 0.99 and found.points.shape == (5, 2)
    x0, y0, x1, y1 = found.box
    left_eye, right_eye, nose, mouth_left, mouth_right = found.points
    assert left_eye[0] < nose[0] < right_eye[0] and mouth_left[0] < mouth_right[0]
    assert y0 < left_eye[1] < (y0 + y1) / 2 < mouth_left[1] < y1


def test_downscaled_detection_agrees_with_full_resolution(astronaut):
    frame = paste(astronaut[::2, ::2], (480, 640), x=300, y=150)  # face at ASTRONAUT_BOX / 2 + offset
    truth = ASTRONAUT_BOX / 2 + [300, 150, 300, 150]
    (full,) = FaceDetector(device="cpu").detect(frame[None])
    (small,) = FaceDetector(device="cpu", detect_size=400).detect(frame[None])
    assert np.abs(full.box - truth).max() < 3, f"full-res: expected ~{truth}, got {full.box}"
    assert np.abs(small.box - full.box).max() < 4, f"downscaled {small.box} vs full-res {full.box}"
    assert np.abs(small.points - full.points).max() < 4


def test_blank_frames_give_none_within_a_batch(detector, astronaut):
    face = astronaut[::2, ::2]
    frames = np.stack([face, np.zeros_like(face), np.roll(face, 20, axis=1)])  # batch_size 2: two batches
    found = detector.detect(frames)
    assert found[1] is None and found[0] is not None and found[2] is not None
    assert found[2].box[0] - found[0].box[0] == pytest.approx(20, abs=2), "the shifted face moved by 20 px"


def test_select_largest_or_most_confident(astronaut):
    big, small = astronaut[::2, ::2], astronaut[::4, ::4]
    frame = paste(big, (256, 448), 0, 0)
    frame[:128, 300:428] = small
    largest = FaceDetector(device="cpu", select="largest").detect(frame)[0]
    assert largest.box[0] < 200, f"expected the big face on the left, got {largest.box}"
    confident = FaceDetector(device="cpu", select="confident")
    everything = confident.mtcnn.detect(frame, landmarks=True)[1]  # facenet-pytorch's own scores
    assert confident.detect(frame)[0].score == pytest.approx(max(everything))


def test_detect_clip_fills_frames_without_a_face(detector, astronaut):
    face = astronaut[::2, ::2]
    blank = np.zeros_like(face)
    frames = np.stack([blank, np.roll(face, -10, axis=1), blank, np.roll(face, 10, axis=1), blank])
    boxes, found = detector.detect_clip(frames, smooth=False)
    assert found.tolist() == [False, True, False, True, False]
    assert np.allclose(boxes[2], (boxes[1] + boxes[3]) / 2), "a gap is the mean of its neighbours"
    assert np.allclose(boxes[0], boxes[1]) and np.allclose(boxes[4], boxes[3]), "ends hold the nearest box"
    assert boxes[3, 0] - boxes[1, 0] == pytest.approx(20, abs=2)


def test_detect_clip_without_any_face_raises(detector):
    with pytest.raises(NoFaceError, match="no face found in any of the 3 frames"):
        detector.detect_clip(np.zeros((3, 96, 96, 3), np.uint8))


def test_expand_box_hand_computed():
    # box 20 wide x 40 tall, centre (20, 40)
    assert expand_box([10, 20, 30, 60], margin=1.5).tolist() == [-10, 10, 50, 70]
    assert expand_box([10, 20, 30, 60], margin=1.5, square=False).tolist() == [5, 10, 35, 70]
    assert expand_box([10, 20, 30, 60], margin=1.5, image_shape=(65, 100, 3)).tolist() == [0, 10, 50, 65]
    assert expand_box([10, 20, 30, 60], margin=1.0).tolist() == [0, 20, 40, 60]


def test_crop_face_takes_the_right_pixels_and_pads_with_zeros():
    height, width = 50, 80
    ys, xs = np.mgrid[0:height, 0:width]
    frame = np.stack([xs, ys, np.full_like(xs, 200)], axis=-1).astype(np.uint8)  # pixel = (x, y, 200)
    # box centre (40, 25), side 20 * 1.3 = 26 -> rows/cols 12..37 and 27..52
    crop = crop_face(frame, [30, 15, 50, 35], margin=1.3)
    assert crop.shape == (26, 26, 3)
    assert crop[0, 0].tolist() == [27, 12, 200] and crop[-1, -1].tolist() == [52, 37, 200]
    # box centre (5, 5), side 20: columns/rows -5..14; the first 5 are outside -> zeros
    crop = crop_face(frame, [0, 0, 10, 10], margin=2.0)
    assert crop.shape == (20, 20, 3)
    assert (crop[:5] == 0).all() and (crop[:, :5] == 0).all()
    assert crop[5, 5].tolist() == [0, 0, 200] and crop[19, 19].tolist() == [14, 14, 200]
    resized = crop_face(frame, [30, 15, 50, 35], margin=1.3, size=13)
    assert resized.shape == (13, 13, 3) and resized.dtype == np.uint8


def test_smooth_boxes_reduces_jitter_around_a_known_track():
    t = np.arange(200.0)
    truth = np.stack([50 + 0.5 * t, 40 + 10 * np.sin(t / 30), 150 + 0.5 * t, 160 + 10 * np.sin(t / 30)], 1)
    noisy = truth + np.random.default_rng(0).normal(0, 3, truth.shape)
    smoothed = smooth_boxes(noisy, window=7)
    noisy_error = np.sqrt(((noisy - truth) ** 2).mean())
    smooth_error = np.sqrt(((smoothed - truth) ** 2).mean())
    assert smooth_error < 0.5 * noisy_error, f"RMS error {noisy_error:.2f} -> {smooth_error:.2f}"
    linear = np.stack([t, t, t + 10, t + 20], 1)
    assert np.allclose(smooth_boxes(linear, window=5)[2:-2], linear[2:-2]), "a straight track is kept"
    assert np.array_equal(smooth_boxes(noisy, window=1), noisy)


def test_fill_missing_boxes_hand_computed():
    boxes = np.array([[0, 0, 0, 0], [10, 10, 20, 20], [0, 0, 0, 0], [0, 0, 0, 0], [40, 10, 50, 20]], float)
    filled = fill_missing_boxes(boxes, [False, True, False, False, True])
    assert filled[:, 0].tolist() == [10, 10, 20, 30, 40]


def test_align_face_puts_the_points_on_the_template():
    # Draw 5 coloured dots where a known similarity transform sends the template, then align them back.
    angle, scale, shift = np.deg2rad(25), 2.5, np.array([120.0, 60.0])
    rotation = scale * np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    template = five_point_template(112)
    points = template @ rotation.T + shift
    colours = [(255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 0), (255, 0, 255)]
    frame = np.zeros((480, 480, 3), np.uint8)
    for (x, y), colour in zip(points, colours):
        cv2.circle(frame, (int(round(x)), int(round(y))), 5, colour, -1)
    matrix = alignment_matrix(points, size=112)
    assert np.allclose(points @ matrix[:, :2].T + matrix[:, 2], template, atol=1e-6)
    aligned = align_face(frame, points, size=112)
    assert aligned.shape == (112, 112, 3) and aligned.dtype == np.uint8
    for (x, y), colour in zip(template, colours):
        mask = np.all(np.abs(aligned.astype(int) - colour) < 60, axis=-1)
        ys, xs = np.nonzero(mask)
        assert len(xs), f"dot {colour} is missing from the aligned crop"
        assert abs(xs.mean() - x) < 1.0 and abs(ys.mean() - y) < 1.0, (colour, xs.mean(), ys.mean(), x, y)
