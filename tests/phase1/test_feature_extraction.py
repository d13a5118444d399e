"""Graded tests for phase1_cnn_detection/template_feature_extraction.py.

Ground truth: crops computed by hand (NumPy slicing of a frame whose pixels encode their own
coordinates), the synthetic generator's face boxes and manipulation masks, OpenCV's resize,
bright dots drawn at known eye positions, hand-computed normalisation values, and a model's
``embed`` evaluated directly in eval mode.
"""
import cv2
import numpy as np
import pytest
import torch
from skimage.data import astronaut
from torch import nn

from dfkit.errors import NoFaceError
from dfkit.synthetic import make_clip

pytestmark = pytest.mark.exercise("phase1_cnn_detection.template_feature_extraction")
torch.set_num_threads(2)

ASTRONAUT_FACE = (181.0, 62.0, 268.0, 172.0)  # MTCNN's box on skimage's astronaut


def _coordinate_frame(height=128, width=128):
    """(H, W, 3) uint8 with pixel (y, x) = (x, y, 7): a crop's pixels tell where they came from."""
    ys, xs = np.mgrid[:height, :width]
    return np.stack([xs, ys, np.full_like(xs, 7)], axis=-1).astype(np.uint8)


def _window(box, margin):
    """(left, top, side) of the crop window, from the formula in the docstring."""
    x0, y0, x1, y1 = box
    side = round(margin * max(x1 - x0, y1 - y0))
    return round((x0 + x1) / 2 - side / 2), round((y0 + y1) / 2 - side / 2), side


# ---------------------------------------------------------------- crop_face
@pytest.mark.points(2)
def test_crop_matches_the_hand_computed_window(exercise, agrees_with_reference):
    frame = _coordinate_frame()
    crop = exercise.crop_face(frame, [40, 30, 80, 90], margin=1.3)
    # 40 x 60 box centred at (60, 60): side round(1.3 * 60) = 78, top-left (60 - 39, 60 - 39) = (21, 21).
    assert crop.shape == (78, 78, 3) and crop.dtype == np.uint8, (
        f"expected a (78, 78, 3) uint8 crop, got {crop.shape} {crop.dtype}")
    assert tuple(crop[0, 0]) == (21, 21, 7), f"expected the top-left pixel to come from (x=21, y=21), got {crop[0, 0]}"
    np.testing.assert_array_equal(crop, frame[21:99, 21:99], err_msg="expected frame[21:99, 21:99]")
    box = [10.4, 20.2, 50.9, 61.7]  # fractional box: 40.5 x 41.5
    left, top, side = _window(box, 1.5)
    crop = exercise.crop_face(frame, box, margin=1.5)
    np.testing.assert_array_equal(crop, frame[top:top + side, left:left + side],
                                  err_msg=f"expected frame[{top}:{top + side}, {left}:{left + side}]")
    agrees_with_reference(crop, lambda ref: ref.crop_face(frame, box, margin=1.5))


@pytest.mark.points(2)
def test_crop_zero_pads_where_the_window_leaves_the_frame(exercise, agrees_with_reference):
    frame = _coordinate_frame()
    # Box [-10, 5, 30, 45]: side 52, centre (10, 25) -> window from (-16, -1): 16 columns and 1 row outside.
    crop = exercise.crop_face(frame, [-10, 5, 30, 45], margin=1.3)
    assert crop.shape == (52, 52, 3), f"expected a (52, 52, 3) crop (padding keeps the size), got {crop.shape}"
    assert not crop[:, :16].any() and not crop[0].any(), "expected zeros left of x=0 and above y=0"
    np.testing.assert_array_equal(crop[1:, 16:], frame[0:51, 0:36], err_msg="expected frame[0:51, 0:36] inside")
    # Box [100, 100, 127, 127]: side 35, window from (96, 96): columns/rows 32..34 are past the edge.
    crop = exercise.crop_face(frame, [100, 100, 127, 127], margin=1.3)
    assert crop.shape == (35, 35, 3), f"expected (35, 35, 3), got {crop.shape}"
    assert not crop[:, 32:].any() and not crop[32:].any(), "expected zeros right of x=127 and below y=127"
    np.testing.assert_array_equal(crop[:32, :32], frame[96:, 96:])
    agrees_with_reference(crop, lambda ref: ref.crop_face(frame, [100, 100, 127, 127], margin=1.3))


@pytest.mark.points(2)
def test_crop_is_centred_on_the_synthetic_face(exercise):
    clip = make_clip(seed=3, num_frames=3, size=128, fake=True)  # ground truth: boxes and blend masks
    for frame, box, mask in zip(clip.frames, clip.boxes, clip.masks):
        crop = exercise.crop_face(frame, box, margin=1.3)
        left, top, side = _window(box, 1.3)
        assert crop.shape == (side, side, 3), f"box {box}: expected a ({side}, {side}, 3) crop, got {crop.shape}"
        mask_rgb = np.repeat((mask[..., None] * 255).astype(np.uint8), 3, axis=-1)
        mask_crop = exercise.crop_face(mask_rgb, box, margin=1.3)[..., 0].astype(np.float64)
        ys, xs = np.mgrid[:side, :side]
        centroid = np.array([(xs * mask_crop).sum(), (ys * mask_crop).sum()]) / mask_crop.sum()
        # The blended region spans brows to chin: centred left-right, a little low up-down.
        offset = np.abs(centroid - side / 2) / side
        assert offset[0] < 0.08 and offset[1] < 0.2, (
            f"expected the manipulated face region centred in the crop (about {side / 2:.0f}), got centroid {centroid}")
        assert mask_crop.sum() >= 0.97 * mask.sum() * 255, "expected the whole face region inside the crop"


@pytest.mark.points(1)
def test_crop_resizes_the_astronaut_face_like_opencv(exercise, agrees_with_reference):
    photo = astronaut()
    left, top, side = _window(ASTRONAUT_FACE, 1.3)
    window = photo[top:top + side, left:left + side]
    got = exercise.crop_face(photo, ASTRONAUT_FACE, margin=1.3, size=64)
    expected = cv2.resize(window, (64, 64), interpolation=cv2.INTER_AREA)
    assert got.shape == (64, 64, 3), f"expected (64, 64, 3), got {got.shape}"
    np.testing.assert_array_equal(got, expected, err_msg="shrinking should use cv2.INTER_AREA on the square window")
    got = exercise.crop_face(photo, ASTRONAUT_FACE, margin=1.3, size=200)
    expected = cv2.resize(window, (200, 200), interpolation=cv2.INTER_LINEAR)
    np.testing.assert_array_equal(got, expected, err_msg="enlarging should use cv2.INTER_LINEAR")
    agrees_with_reference(got, lambda ref: ref.crop_face(photo, ASTRONAUT_FACE, margin=1.3, size=200))


# ---------------------------------------------------------------- align_by_eyes
def _blob_centroid(image, channel):
    """Centroid (x, y) of the pixels where ``channel`` is bright and the others are dark."""
    others = [c for c in range(3) if c != channel]
    mask = (image[..., channel] > 100) & (image[..., others].max(axis=-1) < 60)
    ys, xs = np.nonzero(mask)
    assert xs.size, f"expected a visible dot in channel {channel}, found none"
    weights = image[ys, xs, channel].astype(np.float64)
    return np.array([(xs * weights).sum(), (ys * weights).sum()]) / weights.sum()


@pytest.mark.points(3)
def test_align_by_eyes_moves_the_eyes_to_the_targets(exercise, agrees_with_reference):
    frame = np.zeros((160, 200, 3), np.uint8)
    left_eye, right_eye = (60.0, 90.0), (110.0, 62.0)  # tilted by about 29 degrees, 57 px apart
    cv2.circle(frame, (60, 90), 3, (255, 0, 0), -1)    # red dot: the eye on the image's left
    cv2.circle(frame, (110, 62), 3, (0, 255, 0), -1)   # green dot: the eye on the image's right
    size, eye_distance, eye_height = 128, 0.4, 0.35
    aligned, matrix = exercise.align_by_eyes(frame, left_eye, right_eye, size=size,
                                             eye_distance=eye_distance, eye_height=eye_height)
    want_left = np.array([size * (1 - eye_distance) / 2, size * eye_height])    # (38.4, 44.8)
    want_right = np.array([size * (1 + eye_distance) / 2, size * eye_height])   # (89.6, 44.8)
    assert aligned.shape == (size, size, 3) and aligned.dtype == np.uint8, (
        f"expected a ({size}, {size}, 3) uint8 image, got {aligned.shape} {aligned.dtype}")
    matrix = np.asarray(matrix, dtype=np.float64)
    assert matrix.shape == (2, 3), f"expected a (2, 3) affine matrix, got shape {matrix.shape}"
    for eye, want in ((left_eye, want_left), (right_eye, want_right)):
        mapped = matrix @ np.array([*eye, 1.0])
        np.testing.assert_allclose(mapped, want, atol=1e-6, err_msg=f"matrix should send eye {eye} to {want}")
    assert matrix[0, 0] == pytest.approx(matrix[1, 1]) and matrix[0, 1] == pytest.approx(-matrix[1, 0]), (
        f"expected a similarity transform [[a, b, tx], [-b, a, ty]], got {matrix.tolist()}")
    for channel, want in ((0, want_left), (1, want_right)):
        centroid = _blob_centroid(aligned, channel)
        assert np.abs(centroid - want).max() < 1.0, (
            f"expected the {'red' if channel == 0 else 'green'} eye dot at {want}, found it at {centroid}")
    agrees_with_reference(aligned, lambda ref: ref.align_by_eyes(frame, left_eye, right_eye, size=size,
                                                                 eye_distance=eye_distance,
                                                                 eye_height=eye_height)[0], atol=1)


# ---------------------------------------------------------------- normalize
@pytest.mark.points(2)
def test_normalize_matches_hand_computed_values(exercise, agrees_with_reference):
    faces = np.zeros((2, 2, 3, 3), np.uint8)  # N=2, H=2, W=3 (not square: catches transposes)
    faces[0, 0, 0] = (255, 0, 127)
    faces[1, 1, 2] = (200, 50, 150)
    got = exercise.normalize(faces, mean=(0.5, 0.5, 0.5), std=(0.5, 0.5, 0.5))
    assert torch.is_tensor(got) and got.dtype == torch.float32, f"expected a float32 tensor, got {type(got)}"
    assert tuple(got.shape) == (2, 3, 2, 3), f"expected (N, 3, H, W) = (2, 3, 2, 3), got {tuple(got.shape)}"
    np.testing.assert_allclose(got[0, :, 0, 0], [1.0, -1.0, -0.00392157], atol=1e-6,
                               err_msg="pixel (255, 0, 127) with mean = std = 0.5")
    np.testing.assert_allclose(got[0, :, 1, 1], [-1.0, -1.0, -1.0], atol=1e-6, err_msg="black pixel")
    imagenet = exercise.normalize(faces, mean=(0.485, 0.456, 0.406), std=(0.229, 0.224, 0.225))
    np.testing.assert_allclose(imagenet[1, :, 1, 2], [1.307047, -1.160364, 0.809935], atol=1e-5,
                               err_msg="pixel (200, 50, 150) with ImageNet mean/std: (200/255 - 0.485) / 0.229, ...")
    unit = exercise.normalize(torch.from_numpy(faces), mean=(0, 0, 0), std=(1, 1, 1))
    np.testing.assert_allclose(unit[1, :, 1, 2], [200 / 255, 50 / 255, 150 / 255], atol=1e-6)
    with pytest.raises(ValueError):
        exercise.normalize(faces[0], mean=(0, 0, 0), std=(1, 1, 1))
    agrees_with_reference(imagenet, lambda ref: ref.normalize(faces, (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)))


# ---------------------------------------------------------------- preprocess_faces
@pytest.mark.points(2)
def test_preprocess_faces_crops_resizes_and_normalises_per_detector(exercise, agrees_with_reference):
    clip = make_clip(seed=5, num_frames=2, size=128, fake=True)
    got = exercise.preprocess_faces(clip.frames, clip.boxes, "xceptionnet")
    assert tuple(got.shape) == (2, 3, 299, 299) and got.dtype == torch.float32, (
        f"expected (2, 3, 299, 299) float32 for Xception, got {tuple(got.shape)} {got.dtype}")
    for i, (frame, box) in enumerate(zip(clip.frames, clip.boxes)):
        left, top, side = _window(box, 1.3)
        assert left >= 0 and top >= 0 and left + side <= 128 and top + side <= 128  # no padding needed here
        window = cv2.resize(frame[top:top + side, left:left + side], (299, 299), interpolation=cv2.INTER_LINEAR)
        expected = (window.transpose(2, 0, 1) / 255.0 - 0.5) / 0.5
        np.testing.assert_allclose(got[i].numpy(), expected, atol=1e-5,
                                   err_msg=f"frame {i}: expected the 1.3x crop, resized to 299, scaled to [-1, 1]")
    meso = exercise.preprocess_faces(list(clip.frames), clip.boxes, "meso4", margin=1.3)
    assert tuple(meso.shape) == (2, 3, 256, 256), f"expected (2, 3, 256, 256) for Meso4, got {tuple(meso.shape)}"
    assert 0.0 <= meso.min() and meso.max() <= 1.0, "expected MesoNet inputs in [0, 1]"
    boxes = clip.boxes.copy()
    boxes[1] = np.nan
    with pytest.raises(NoFaceError):
        exercise.preprocess_faces(clip.frames, boxes, "meso4")
    agrees_with_reference(meso, lambda ref: ref.preprocess_faces(clip.frames, clip.boxes, "meso4"))


# ---------------------------------------------------------------- extract_embeddings
class _TinyEmbedder(nn.Module):
    """conv -> BatchNorm -> pooled -> dropout -> linear embedding (5-D); train mode is batch-dependent."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3)
        self.bn = nn.BatchNorm2d(4)
        self.dropout = nn.Dropout(0.5)
        self.linear = nn.Linear(4, 5)
        with torch.no_grad():
            self.bn.running_mean.uniform_(-0.5, 0.5)
            self.bn.running_var.uniform_(0.5, 2.0)

    def embed(self, x):
        return self.linear(self.dropout(self.bn(self.conv(x)).mean(dim=(2, 3))))

    def forward(self, x):
        return self.embed(x).sum(dim=1)


@pytest.mark.points(2)
def test_extract_embeddings_is_eval_mode_embed_in_any_batch_size(exercise, agrees_with_reference):
    torch.manual_seed(0)
    model = _TinyEmbedder()
    faces = torch.randn(7, 3, 12, 12)
    got = exercise.extract_embeddings(model, faces, batch_size=3)
    with torch.no_grad():
        expected = model.eval().embed(faces).numpy()
    model.train()
    assert isinstance(got, np.ndarray) and got.dtype == np.float32, f"expected a float32 NumPy array, got {type(got)}"
    assert got.shape == (7, 5), f"expected (N, D) = (7, 5), got {got.shape}"
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6,
                               err_msg="expected model.embed in eval mode (running BatchNorm stats, no dropout)")
    whole = exercise.extract_embeddings(model, faces, batch_size=32)
    np.testing.assert_allclose(whole, got, rtol=1e-5, atol=1e-6, err_msg="batch size must not change embeddings")
    agrees_with_reference(got, lambda ref: ref.extract_embeddings(model, faces, batch_size=3))
