"""Graded tests for phase1_cnn_detection/template_classifier.py.

Ground truth: PyTorch's ``binary_cross_entropy_with_logits`` with a pos_weight counted by hand,
NumPy on hand-written arrays, scikit-learn's ``roc_curve`` / ``accuracy_score`` and a model's
logits passed through ``torch.sigmoid``. build_detector and input_spec are given code (not
exercises); their tests at the end carry no points.
"""
import math

import numpy as np
import pytest
import torch
from sklearn.metrics import accuracy_score, roc_curve
from torch import nn
from torch.nn import functional as F


pytestmark = pytest.mark.exercise("phase1_cnn_detection.template_classifier")
torch.set_num_threads(2)


# ---------------------------------------------------------------- class_balanced_bce
@pytest.mark.points(2)
def test_class_balanced_bce_matches_torch_with_hand_counted_pos_weight(exercise, agrees_with_reference):
    logits = torch.tensor([2.0, -1.0, 0.5, 3.0, -2.5, 0.0])
    labels = torch.tensor([1, 1, 0, 1, 0, 1])  # 2 real, 4 fake -> pos_weight = 2 / 4
    got = exercise.class_balanced_bce(logits, labels)
    expected = F.binary_cross_entropy_with_logits(logits, labels.float(), pos_weight=torch.tensor(0.5))
    by_hand = np.mean([0.5 * math.log1p(math.exp(-2.0)), 0.5 * math.log1p(math.exp(1.0)),
                       math.log1p(math.exp(0.5)), 0.5 * math.log1p(math.exp(-3.0)),
                       math.log1p(math.exp(-2.5)), 0.5 * math.log(2.0)])
    assert torch.is_tensor(got) and got.dim() == 0, f"expected a scalar tensor, got {got!r}"
    assert got.item() == pytest.approx(expected.item(), rel=1e-5), (
        f"expected BCE with pos_weight = n_real / n_fake = 0.5: {expected.item():.6f}, got {got.item():.6f}")
    assert got.item() == pytest.approx(by_hand, rel=1e-5)
    agrees_with_reference(got, lambda ref: ref.class_balanced_bce(logits, labels))


@pytest.mark.points(1)
def test_class_balanced_bce_single_class_batch_is_plain_bce(exercise):
    logits = torch.tensor([0.3, -1.2, 2.0])
    for labels in (torch.zeros(3), torch.ones(3)):
        got = exercise.class_balanced_bce(logits, labels)
        expected = F.binary_cross_entropy_with_logits(logits, labels)
        assert torch.isfinite(got), f"expected a finite loss for a one-class batch, got {got}"
        assert got.item() == pytest.approx(expected.item(), rel=1e-5), (
            f"labels {labels.tolist()}: expected plain BCE {expected.item():.6f} (pos_weight 1), got {got.item():.6f}")


@pytest.mark.points(1)
def test_class_balanced_bce_makes_an_unbiased_guess_optimal(exercise):
    # With 9 fakes and 1 real, plain BCE pushes a constant logit towards "fake"; balanced BCE is
    # flat at logit 0 (p = 0.5): the gradient summed over the batch vanishes there.
    logits = torch.zeros(10, requires_grad=True)
    labels = torch.tensor([1.0] * 9 + [0.0])
    exercise.class_balanced_bce(logits, labels).backward()
    assert logits.grad is not None, "expected the loss to be differentiable with respect to the logits"
    assert logits.grad.sum().item() == pytest.approx(0.0, abs=1e-6), (
        f"expected zero total gradient at logit 0 for a 9:1 batch, got {logits.grad.sum().item():.4f} "
        f"(plain BCE gives -0.4)")


# ---------------------------------------------------------------- aggregate_video_score
@pytest.mark.points(2)
def test_aggregate_video_score_matches_numpy(exercise, agrees_with_reference):
    scores = np.array([0.10, 0.80, 0.35, 0.90, 0.20, 0.55, 0.05, 0.70, 0.40, 0.60])
    expected = {"mean": np.mean(scores), "median": np.median(scores), "max": np.max(scores),
                "topk": np.mean([0.90, 0.80, 0.70])}  # N = 10 -> k = ceil(2.5) = 3
    for how, value in expected.items():
        got = exercise.aggregate_video_score(scores, how=how)
        assert isinstance(got, float), f"how={how!r}: expected a Python float, got {type(got).__name__}"
        assert got == pytest.approx(value), f"how={how!r}: expected {value:.6f}, got {got:.6f}"
        agrees_with_reference(got, lambda ref: ref.aggregate_video_score(scores, how=how))
    assert exercise.aggregate_video_score([0.1, 0.2, 0.9, 0.3], how="topk") == pytest.approx(0.9)  # k = 1
    assert exercise.aggregate_video_score([0.1, 0.2, 0.9, 0.3, 0.5], how="topk") == pytest.approx(0.7)  # k = 2
    assert exercise.aggregate_video_score(torch.tensor([0.25, 0.75])) == pytest.approx(0.5)
    assert exercise.aggregate_video_score([0.4]) == pytest.approx(0.4)


@pytest.mark.points(1)
def test_aggregate_video_score_rejects_bad_input(exercise):
    assert exercise.aggregate_video_score([0.2, 0.4]) == pytest.approx(0.3)
    with pytest.raises(ValueError):
        exercise.aggregate_video_score([0.2, 0.4], how="mode")
    with pytest.raises(ValueError):
        exercise.aggregate_video_score([], how="mean")


# ---------------------------------------------------------------- choose_threshold
def _validation_scores(seed=0, n_real=40, n_fake=15):
    rng = np.random.default_rng(seed)
    scores = np.r_[rng.beta(2, 4, n_real), rng.beta(4, 2, n_fake)].round(2)  # rounding makes ties
    labels = np.r_[np.zeros(n_real, int), np.ones(n_fake, int)]
    order = rng.permutation(scores.size)
    return scores[order], labels[order]


@pytest.mark.points(1)
@pytest.mark.parametrize("seed", [0, 1, 2], ids=["first-validation-set", "second-validation-set",
                                                  "third-validation-set"])
def test_choose_threshold_matches_sklearn_roc(exercise, agrees_with_reference, seed):
    scores, labels = _validation_scores(seed)
    got = {c: exercise.choose_threshold(scores, labels, criterion=c) for c in ("youden", "eer", "accuracy")}
    fpr, tpr, thresholds = roc_curve(labels, scores, drop_intermediate=False)
    fpr, tpr, thresholds = fpr[1:], tpr[1:], thresholds[1:]  # drop sklearn's +inf vertex
    accuracy = [accuracy_score(labels, scores >= t) for t in thresholds]
    expected = {
        "youden": thresholds[np.argmax(tpr - fpr)],  # argmax takes the first = highest threshold
        "eer": thresholds[np.argmin(np.abs(fpr - (1 - tpr)))],
        "accuracy": thresholds[np.argmax(accuracy)],
    }
    for criterion, value in expected.items():
        assert got[criterion] == pytest.approx(value), (
            f"criterion={criterion!r}: expected threshold {value} (from sklearn's roc_curve), got {got[criterion]}")
    agrees_with_reference(got, lambda ref: {c: ref.choose_threshold(scores, labels, criterion=c) for c in got})


@pytest.mark.points(1)
def test_choose_threshold_hand_example_and_errors(exercise):
    scores, labels = [0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1]
    got = exercise.choose_threshold(scores, labels, criterion="youden")
    assert got == pytest.approx(0.8), f"expected 0.8 (J = 0.5 at 0.8 and 0.35, ties to the higher), got {got}"
    # 1 real, 4 fakes: accuracy calls everything fake (t = 0.2, 4/5 right); Youden keeps the real
    # out (t = 0.6: TPR 0.5, FPR 0).
    scores, labels = [0.2, 0.5, 0.3, 0.6, 0.7], [1, 0, 1, 1, 1]
    assert exercise.choose_threshold(scores, labels, criterion="accuracy") == pytest.approx(0.2)
    assert exercise.choose_threshold(scores, labels, criterion="youden") == pytest.approx(0.6)
    with pytest.raises(ValueError):
        exercise.choose_threshold([0.2, 0.9], [1, 1])
    with pytest.raises(ValueError):
        exercise.choose_threshold([0.2, 0.9], [0, 1], criterion="f1")


# ---------------------------------------------------------------- predict_video
class _PixelLogit(nn.Module):
    """A tiny detector: mean pixel -> dropout -> linear; dropout makes train mode random."""

    def __init__(self):
        super().__init__()
        self.dropout = nn.Dropout(0.5)
        self.linear = nn.Linear(3, 1)
        with torch.no_grad():
            self.linear.weight.copy_(torch.tensor([[2.0, -1.0, 0.5]]))
            self.linear.bias.fill_(-0.2)

    def forward(self, x):
        return self.linear(self.dropout(x.mean(dim=(2, 3)))).squeeze(-1)


@pytest.mark.points(2)
def test_predict_video_is_sigmoid_of_logits_then_pooled(exercise, agrees_with_reference):
    torch.manual_seed(0)
    faces = torch.randn(7, 3, 8, 8)
    model = _PixelLogit()
    logits = model.linear(faces.mean(dim=(2, 3))).squeeze(-1)  # dropout off: what eval mode computes
    expected = torch.sigmoid(logits).detach().numpy()
    frame_scores, video_score = exercise.predict_video(model, faces, how="max", batch_size=3)
    frame_scores = np.asarray(frame_scores)
    assert frame_scores.shape == (7,), f"expected 7 frame scores, got shape {frame_scores.shape}"
    np.testing.assert_allclose(frame_scores, expected, rtol=1e-5, atol=1e-6,
                               err_msg="frame scores should be sigmoid(logits) in eval mode, in input order")
    assert video_score == pytest.approx(float(expected.max()), rel=1e-5), (
        f"how='max': expected {expected.max():.6f}, got {video_score}")
    _, mean_score = exercise.predict_video(model, faces, how="mean", batch_size=32)
    assert mean_score == pytest.approx(float(expected.mean()), rel=1e-5)
    agrees_with_reference((frame_scores, video_score),
                          lambda ref: ref.predict_video(model, faces, how="max", batch_size=3))
