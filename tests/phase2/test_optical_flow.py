"""Graded tests for phase2_temporal_analysis/template_optical_flow.py.

Ground truth: hand-written flow fields, OpenCV's ``cv2.remap`` (bilinear, replicated border) as the
warping oracle, frames moved by a known (dx, dy) with ``cv2.warpAffine``, the synthetic generator's
head motion (its landmarks' displacement) and its temporal-only fake ("relight") against the real twin.
``dense_flow`` is given code (OpenCV's Farneback); its test at the end carries no points.
"""
import cv2
import numpy as np
import pytest

from dfkit.synthetic import make_clip

pytestmark = pytest.mark.exercise("phase2_temporal_analysis.template_optical_flow")

SIZE = 128


def inner_box(box, h, w, keep=0.5):
    """(h, w) mask of the central ``keep`` part of a face box: face pixels, away from its outline."""
    x0, y0, x1, y1 = box
    mx, my = (1 - keep) / 2 * (x1 - x0), (1 - keep) / 2 * (y1 - y0)
    mask = np.zeros((h, w), np.float32)
    mask[int(y0 + my):int(y1 - my), int(x0 + mx):int(x1 - mx)] = 1
    return mask


def shifted(frame, dx, dy):
    """``frame`` moved by (dx, dy) px: content at (x, y) goes to (x + dx, y + dy)."""
    mat = np.float32([[1, 0, dx], [0, 1, dy]])
    return cv2.warpAffine(frame, mat, frame.shape[1::-1], flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)


def random_flow(h, w, seed=0, scale=3.0):
    rng = np.random.default_rng(seed)
    return cv2.GaussianBlur(rng.normal(0, scale, (h, w, 2)).astype(np.float32), (0, 0), 2) * 3


# ---------------------------------------------------------------- flow_statistics
@pytest.mark.points(1)
def test_flow_statistics_by_hand(exercise, agrees_with_reference):
    flow = np.zeros((2, 3, 2), np.float32)
    flow[0, 0] = (3, 4)        # inside, speed 5
    flow[0, 1] = (-3, -4)      # inside, speed 5: the mean motion cancels, the speed does not
    flow[1, 2] = (0, 2)        # outside
    mask = np.array([[1.0, 0.9, 0.2], [0.0, 0.5, 0.0]])  # 0.5 is not above the threshold
    got = exercise.flow_statistics(flow, mask)
    np.testing.assert_allclose(got["inside_mean"], [0, 0], atol=1e-9, err_msg="inside_mean: (dx, dy) averaged inside")
    np.testing.assert_allclose(got["outside_mean"], [0, 0.5], atol=1e-9, err_msg="outside_mean over the 4 outside px")
    assert got["inside_speed"] == pytest.approx(5.0), "inside_speed: mean of sqrt(dx^2 + dy^2), not of the mean vector"
    assert got["outside_speed"] == pytest.approx(0.5)
    agrees_with_reference(got["inside_speed"], lambda ref: ref.flow_statistics(flow, mask)["inside_speed"])


@pytest.mark.points(1)
def test_flow_statistics_rejects_a_mask_without_inside_or_outside(exercise):
    flow = np.zeros((4, 4, 2), np.float32)
    for mask in (np.zeros((4, 4)), np.ones((4, 4))):
        with pytest.raises(ValueError):
            exercise.flow_statistics(flow, mask)


@pytest.mark.points(2)
@pytest.mark.parametrize("dx, dy", [(2.5, -1.5), (-1.0, 3.0)], ids=["right_and_up", "left_and_down"])
def test_flow_statistics_recover_a_known_shift(exercise, dx, dy):
    clip = make_clip(seed=2, num_frames=1, size=SIZE)
    frame = clip.frames[0]
    flow = exercise.dense_flow(frame, shifted(frame, dx, dy))
    got = exercise.flow_statistics(flow, inner_box(clip.boxes[0], SIZE, SIZE))
    np.testing.assert_allclose(got["inside_mean"], [dx, dy], atol=0.2,
                               err_msg=f"the frame moved by (dx, dy) = ({dx}, {dy}): channel 0 is dx, channel 1 dy")


@pytest.mark.points(2)
@pytest.mark.parametrize("seed", [1, 3], ids=["clip_seed_1", "clip_seed_3"])
def test_flow_inside_the_face_follows_the_generators_head_motion(exercise, seed):
    clip = make_clip(seed=seed, num_frames=9, size=SIZE)
    flow = exercise.dense_flow(clip.frames[0], clip.frames[8])
    got = exercise.flow_statistics(flow, inner_box(clip.boxes[0], SIZE, SIZE))
    moved = (clip.landmarks[8] - clip.landmarks[0]).mean(axis=0)  # the generator's known motion, px
    np.testing.assert_allclose(got["inside_mean"], moved, atol=0.25,
                               err_msg=f"expected the face's mean flow to match its landmarks' motion {moved.round(2)}")
    assert got["inside_speed"] > 2 * got["outside_speed"], (
        f"the background is still: expected the face to move faster than the rest, got {got['inside_speed']:.2f} "
        f"vs {got['outside_speed']:.2f} px")


# ---------------------------------------------------------------- warp_by_flow
@pytest.mark.points(2)
@pytest.mark.parametrize("channels", [0, 3], ids=["grey", "rgb"])
def test_warp_by_flow_matches_cv2_remap(exercise, channels, agrees_with_reference):
    rng = np.random.default_rng(1)
    shape = (40, 48) if channels == 0 else (40, 48, channels)
    image = cv2.GaussianBlur(rng.uniform(0, 255, shape).astype(np.float32), (0, 0), 1.5)
    flow = random_flow(40, 48)  # several px, some samples fall outside the image
    ys, xs = np.mgrid[0:40, 0:48].astype(np.float32)
    expected = cv2.remap(image, xs + flow[..., 0], ys + flow[..., 1], cv2.INTER_LINEAR,
                         borderMode=cv2.BORDER_REPLICATE)
    got = exercise.warp_by_flow(image, flow)
    assert np.shape(got) == image.shape, f"expected the image's shape {image.shape}, got {np.shape(got)}"
    err = np.abs(np.asarray(got, np.float64) - expected).max()
    assert err < 1e-2, (f"expected cv2.remap(image, x + dx, y + dy, INTER_LINEAR, BORDER_REPLICATE); largest "
                        f"difference {err:.3g} (swapped dx/dy? border not clamped?)")
    agrees_with_reference(got, lambda ref: ref.warp_by_flow(image, flow), atol=1e-3)


@pytest.mark.points(1)
def test_warp_by_flow_with_an_integer_flow_moves_pixels_exactly(exercise):
    image = np.arange(30, dtype=np.float32).reshape(5, 6)
    flow = np.zeros((5, 6, 2), np.float32)
    flow[..., 0] = 2  # sample 2 px to the right
    got = exercise.warp_by_flow(image, flow)
    np.testing.assert_array_equal(got[:, :4], image[:, 2:], err_msg="out[y, x] must be image[y, x + dx]")
    np.testing.assert_array_equal(got[:, 4:], image[:, 5:6].repeat(2, 1), err_msg="beyond the border: the last column")


# ---------------------------------------------------------------- warping_residual
@pytest.mark.points(2)
def test_warping_residual_vanishes_when_the_flow_explains_a_known_shift(exercise):
    frame = make_clip(seed=6, num_frames=1, size=SIZE).frames[0]
    moved = shifted(frame, 1.5, -2.0)
    true_flow = np.broadcast_to(np.float32([1.5, -2.0]), (SIZE, SIZE, 2)).copy()
    got = exercise.warping_residual(frame, moved, true_flow)
    still = exercise.warping_residual(frame, moved, np.zeros_like(true_flow))
    interior = (slice(8, -8), slice(8, -8))
    assert np.shape(got) == (SIZE, SIZE), f"expected (H, W), got {np.shape(got)}"
    assert got[interior].mean() < 0.25 * still[interior].mean(), (
        f"with the true flow the residual should nearly vanish; got {got[interior].mean():.2f} grey levels vs "
        f"{still[interior].mean():.2f} without motion compensation")


@pytest.mark.points(2)
def test_residual_trace_is_higher_on_the_relit_fake_than_on_its_real_twin(exercise):
    real = make_clip(seed=3, num_frames=8, size=64)
    fake = make_clip(seed=3, num_frames=8, size=64, fake=True, manipulations=("relight",))
    got_real, got_fake = exercise.residual_trace(real.frames, fake.masks), exercise.residual_trace(fake.frames, fake.masks)
    assert np.shape(got_fake) == (7,), f"expected one value per pair of frames (7,), got {np.shape(got_fake)}"
    assert got_fake.mean() > 2 * got_real.mean(), (
        f"motion cannot explain a per-frame colour gain: expected the fake's residual > 2x the real twin's, got "
        f"{got_fake.mean():.2f} vs {got_real.mean():.2f} grey levels")


# ---------------------------------------------------------------- given code (no points)
def test_dense_flow_channel_0_is_dx_and_previous_frame_comes_first():
    from dfkit.curriculum import load

    flow_module = load("phase2_temporal_analysis.template_optical_flow")
    clip = make_clip(seed=2, num_frames=1, size=SIZE)
    frame, moved = clip.frames[0], shifted(clip.frames[0], 3.0, 0.0)
    inside = inner_box(clip.boxes[0], SIZE, SIZE) > 0
    forward = flow_module.dense_flow(frame, moved)[inside].mean(axis=0)
    backward = flow_module.dense_flow(moved, frame)[inside].mean(axis=0)
    np.testing.assert_allclose(forward, [3.0, 0.0], atol=0.2)
    np.testing.assert_allclose(backward, [-3.0, 0.0], atol=0.2)
