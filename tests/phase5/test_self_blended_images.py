"""Graded tests for phase5_advanced_methods/template_self_blended_images.py.

Ground truth: the synthetic generator's 68 landmarks and face boxes, hand-computed masks and
blends, morphology areas written out ((11 + 2k)^2 px for a square grown by k), matplotlib's
point-in-polygon test as the convex-hull oracle, and scikit-learn's AUC on the generator's
``blend`` fakes, which a detector trained on real + self-blended faces never sees.
"""
import numpy as np
import pytest
import torch
from matplotlib.path import Path
from scipy.spatial import ConvexHull
from sklearn.metrics import roc_auc_score
from torch import nn

from dfkit.data.in_memory import face_images
from dfkit.faces import crop_face
from dfkit.synthetic import make_clip

pytestmark = pytest.mark.exercise("phase5_advanced_methods.template_self_blended_images")


@pytest.mark.points(1)
def test_hull_mask_of_a_square(exercise):
    points = np.array([[10, 10], [20, 10], [20, 20], [10, 20], [15, 15], [12, 18]], np.float32)
    got = exercise.landmark_hull_mask(points, (32, 40))
    expected = np.zeros((32, 40), np.float32)
    expected[10:21, 10:21] = 1.0            # the square's edges included
    assert got.shape == (32, 40) and got.dtype == np.float32, f"expected float32 (32, 40), got {got.dtype} {got.shape}"
    assert np.array_equal(got, expected), f"expected the filled square [10, 20] x [10, 20], got {int(got.sum())} px set"


@pytest.mark.points(2)
def test_hull_mask_of_the_generators_landmarks(exercise, agrees_with_reference):
    clip = make_clip(seed=2, num_frames=1, size=128)
    landmarks = clip.landmarks[0]
    got = exercise.landmark_hull_mask(landmarks, (128, 128))
    hull = Path(landmarks[ConvexHull(landmarks).vertices])
    ys, xs = np.mgrid[:128, :128]
    inside = hull.contains_points(np.c_[xs.ravel(), ys.ravel()]).reshape(128, 128)
    agreement = (got.astype(bool) == inside).mean()
    assert agreement > 0.99, f"mask and the landmarks' convex hull agree on only {agreement:.2%} of pixels"
    lm = np.rint(landmarks).astype(int)
    assert got[lm[:, 1], lm[:, 0]].all(), "every landmark must lie inside its hull mask"
    agrees_with_reference(got, lambda ref: ref.landmark_hull_mask(landmarks, (128, 128)))


@pytest.mark.points(1)
def test_deform_mask_grows_or_shrinks_by_whole_pixels(exercise):
    square = np.zeros((40, 40), np.float32)
    square[10:21, 10:21] = 1.0
    areas = set()
    for seed in range(12):
        got = exercise.deform_mask(square, np.random.default_rng(seed), max_grow=2, blur_range=(0.01, 0.01))
        assert got.dtype == np.float32 and got.min() >= 0 and got.max() <= 1
        areas.add(int(got.sum().round()))
    allowed = {(11 + 2 * k) ** 2 for k in range(-2, 3)}  # a (2k+1)-kernel grows each side by k
    assert areas <= allowed, f"areas {sorted(areas)} must be squares grown or shrunk by k in -2..2: {sorted(allowed)}"
    assert len(areas) >= 3, f"12 draws should give several grow/shrink amounts, got areas {sorted(areas)}"
    soft = exercise.deform_mask(square, np.random.default_rng(0), max_grow=0, blur_range=(2.0, 2.0))
    assert 0 < soft[10, 15] < 1 and soft[15, 15] > 0.9 and soft[15, 35] < 0.01, "a blur of 2 px softens the edge only"


@pytest.mark.points(1)
def test_blend_by_hand(exercise):
    source = np.full((2, 2, 3), 200, np.uint8)
    target = np.full((2, 2, 3), 100, np.uint8)
    mask = np.array([[0.0, 1.0], [0.5, 1.0]], np.float32)
    got = exercise.blend(source, target, mask, ratio=0.5)
    expected = np.array([[100, 150], [125, 150]], np.uint8)[..., None].repeat(3, axis=2)
    assert got.dtype == np.uint8 and np.array_equal(got, expected), f"expected {expected[..., 0].tolist()}, got {got[..., 0].tolist()}"


@pytest.mark.points(2)
def test_self_blend_changes_only_the_face(exercise):
    clip = make_clip(seed=7, num_frames=1, size=128)
    frame, landmarks = clip.frames[0], clip.landmarks[0]
    fake, weight = exercise.self_blend(frame, landmarks, np.random.default_rng(3))
    assert fake.shape == frame.shape and fake.dtype == np.uint8, f"expected uint8 {frame.shape}, got {fake.dtype} {fake.shape}"
    assert weight.shape == frame.shape[:2] and weight.max() <= 1 and weight.max() > 0.2
    unchanged = weight == 0
    assert np.array_equal(fake[unchanged], frame[unchanged]), "where the blend weight is 0 the image must be the target"
    # The blend stays around the face: outside the landmarks' box grown by 3 + 4 * 3 px (grow, 4 blur sigmas)
    # the weight is negligible.
    x0, y0 = np.floor(landmarks.min(axis=0)).astype(int) - 15
    x1, y1 = np.ceil(landmarks.max(axis=0)).astype(int) + 15
    outside = np.ones(frame.shape[:2], bool)
    outside[max(y0, 0):y1 + 1, max(x0, 0):x1 + 1] = False
    assert (weight[outside] < 1e-3).all(), "the blend mask must stay near the landmarks' hull"
    inner = exercise.landmark_hull_mask(landmarks, frame.shape[:2]).astype(bool)
    diff = np.abs(fake.astype(int) - frame.astype(int))[inner].mean()
    assert diff > 1.0, f"inside the face the self-blend must differ from the real image (mean |diff| {diff:.2f})"


@pytest.mark.points(1)
def test_dataset_gives_real_and_blended_pairs(exercise):
    clips = [make_clip(seed=s, num_frames=2, size=96) for s in (0, 1)]
    data = exercise.SelfBlendedFaces(clips, size=32, seed=0)
    assert len(data) == 8, f"2 clips x 2 frames x (real, SBI) = 8 items, got {len(data)}"
    image, label, uid = data[2]                             # frame 1 of clip 0, real
    expected = torch.from_numpy(crop_face(clips[0].frames[1], clips[0].boxes[1], size=32)).permute(2, 0, 1).float() / 255
    assert image.shape == (3, 32, 32) and label.item() == 0 and torch.equal(image, expected), "item 2n is frame n's real crop"
    fake, fake_label, _ = data[3]
    assert fake_label.item() == 1 and not torch.equal(fake, image), "item 2n + 1 is the self-blend of frame n"
    assert torch.equal(data[3][0], fake), "an item must be reproducible (seeded by seed, epoch and index)"
    data.set_epoch(1)
    assert not torch.equal(data[3][0], fake), "another epoch draws another blend"


@pytest.mark.points(3)
@pytest.mark.slow
@pytest.mark.timeout(120)
def test_training_on_self_blends_detects_unseen_blend_fakes(exercise):
    """A small CNN trained on 80 real clips' frames and their self-blends only (32 px, 8 epochs)
    scores the generator's face-swap ``blend`` fakes of 40 other seeds: AUC >= 0.8 (about 0.9-0.95)."""
    torch.set_num_threads(1)
    reals = [make_clip(seed=s, num_frames=2, size=96) for s in range(80)]
    data = exercise.SelfBlendedFaces(reals, size=32, seed=0)
    test = [make_clip(seed=s, num_frames=1, size=96, fake=fake) for s in range(5000, 5040) for fake in (False, True)]
    x_test = torch.cat([face_images(c, size=32) for c in test]).float() / 255
    y_test = np.array([c.label for c in test])

    def stage(cin, cout):
        return [nn.Conv2d(cin, cout, 3, padding=1), nn.BatchNorm2d(cout), nn.ReLU(), nn.MaxPool2d(2)]

    torch.manual_seed(0)
    model = nn.Sequential(*stage(3, 8), *stage(8, 16), *stage(16, 32), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                          nn.Linear(32, 1), nn.Flatten(0))
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    order = torch.Generator().manual_seed(0)
    for epoch in range(8):
        data.set_epoch(epoch)
        x, y = map(torch.stack, zip(*[data[i][:2] for i in range(len(data))]))
        x, y = torch.cat([x, x.flip(-1)]), torch.cat([y, y])
        model.train()
        for batch in torch.randperm(len(x), generator=order).split(32):
            loss = nn.functional.binary_cross_entropy_with_logits(model(x[batch]), y[batch])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    model.eval()
    with torch.no_grad():
        auc = roc_auc_score(y_test, model(x_test).numpy())
    assert auc >= 0.8, f"trained on real + SBI only, the detector should find unseen blend fakes: AUC {auc:.3f} < 0.8"
