"""Graded tests for phase5_advanced_methods/template_adversarial_training.py.

Ground truth: the closed-form worst case of a linear detector (its input gradient is its weight
vector, so FGSM and PGD move every pixel by eps against the label), an independent PGD written
here the way torchattacks' ``PGD(random_start=False)`` does it (2-class cross-entropy on the
logits (0, z), which has the same input-gradient sign as BCE on z; torchattacks itself pins
``requests~=2.25`` and cannot share this environment), and scikit-learn's ``roc_auc_score``.
Every detector reads NORMALISED inputs with a non-trivial mean / std, while eps is in pixels.
"""
import copy

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from sklearn.metrics import roc_auc_score
from torch import nn

pytestmark = pytest.mark.exercise("phase5_advanced_methods.template_adversarial_training")
MEAN, STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)
M, S = torch.tensor(MEAN).reshape(1, 3, 1, 1), torch.tensor(STD).reshape(1, 3, 1, 1)
EPS = 4 / 255


class Linear(nn.Module):
    """logit = sum(w * x_normalised) + b: d logit / d pixel = w / std (small w: the sigmoid never saturates)."""

    def __init__(self, seed=0):
        super().__init__()
        self.w = nn.Parameter(0.05 * torch.randn(1, 3, 8, 8, generator=torch.Generator().manual_seed(seed)))
        self.b = nn.Parameter(torch.tensor(0.1))

    def forward(self, x):
        return (x * self.w).sum(dim=(1, 2, 3)) + self.b


def _cnn(seed=0):
    torch.manual_seed(seed)
    model = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Conv2d(8, 8, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(2), nn.Flatten(),
                          nn.Linear(32, 1), nn.Flatten(0))
    model[1].running_mean.uniform_(-0.3, 0.3)
    model[1].running_var.uniform_(0.5, 2.0)
    return model


def _pixels(n=6, side=8, low=0.0, high=1.0, seed=1):
    return low + (high - low) * torch.rand(n, 3, side, side, generator=torch.Generator().manual_seed(seed))


LABELS = torch.tensor([0.0, 1.0, 1.0, 0.0, 1.0, 0.0])


def _oracle_pgd(model, pixels, labels, eps, alpha, steps):
    """PGD as torchattacks does it (random_start=False), on 2-class logits (0, z)."""
    model.eval()
    adv = pixels.clone()
    for _ in range(steps):
        adv.requires_grad_(True)
        z = model((adv - M) / S)
        loss = F.cross_entropy(torch.stack([torch.zeros_like(z), z], dim=1), labels.long())
        grad, = torch.autograd.grad(loss, adv)
        adv = adv.detach() + alpha * grad.sign()
        adv = torch.clamp(pixels + torch.clamp(adv - pixels, -eps, eps), 0, 1).detach()
    return adv


@pytest.mark.points(2)
def test_fgsm_moves_each_pixel_by_eps_against_the_label(exercise, agrees_with_reference):
    model, pixels = Linear(), _pixels(low=0.2, high=0.8)
    x = (pixels - M) / S
    adv = exercise.fgsm(model, x, LABELS, EPS, MEAN, STD)
    assert adv.shape == x.shape, f"expected {tuple(x.shape)}, got {tuple(adv.shape)}"
    # BCE grows when a fake's logit falls: pixels move by -eps * sign(w) for fakes, +eps * sign(w) for reals.
    direction = (1 - 2 * LABELS).reshape(-1, 1, 1, 1) * model.w.detach().sign()
    expected = pixels + EPS * direction
    got = adv * S + M
    err = (got - expected).abs().max().item()
    assert err < 1e-5, (f"FGSM in pixel space should move every pixel by eps = 4/255 against the label "
                        f"(then normalise); max error {err:.2e} (a step of eps on normalised inputs is eps*std)")
    agrees_with_reference(adv, lambda ref: ref.fgsm(model, x, LABELS, EPS, MEAN, STD))


@pytest.mark.points(1)
def test_fgsm_clips_to_the_valid_pixel_range(exercise):
    model, pixels = Linear(seed=3), _pixels()
    pixels[:, :, :2] = 1.0
    pixels[:, :, 2:4] = 0.0
    got = exercise.fgsm(model, (pixels - M) / S, LABELS, 8 / 255, MEAN, STD) * S + M
    assert got.min() >= -1e-6 and got.max() <= 1 + 1e-6, (
        f"adversarial pixels must stay in [0, 1], got [{got.min():.4f}, {got.max():.4f}]")


@pytest.mark.points(3)
@pytest.mark.parametrize("steps", [1, 7], ids=["one-step", "seven-steps"])
def test_pgd_without_random_start_equals_torchattacks_style_oracle(exercise, agrees_with_reference, steps):
    model, pixels = _cnn(), _pixels()
    alpha = 2 / 255
    adv = exercise.pgd(model, (pixels - M) / S, LABELS, 6 / 255, MEAN, STD, alpha=alpha, steps=steps, random_start=False)
    expected = _oracle_pgd(model, pixels, LABELS, 6 / 255, alpha, steps)
    got = adv * S + M
    err = (got - expected).abs().max().item()
    assert err < 1e-5, f"PGD ({steps} steps of 2/255, eps 6/255) differs from the oracle by {err:.2e} in pixels"
    delta = (got - pixels).abs().max().item()
    assert delta <= 6 / 255 + 1e-6, f"the projection must keep |adv - x| <= eps = {6 / 255:.5f}, got {delta:.5f}"
    agrees_with_reference(adv, lambda ref: ref.pgd(model, (pixels - M) / S, LABELS, 6 / 255, MEAN, STD,
                                                    alpha=alpha, steps=steps, random_start=False))


@pytest.mark.points(1)
def test_pgd_random_start_is_uniform_in_the_eps_ball(exercise):
    model, pixels = Linear(), _pixels()
    got = exercise.pgd(model, (pixels - M) / S, LABELS, EPS, MEAN, STD, steps=0,
                       generator=torch.Generator().manual_seed(5)) * S + M
    noise = torch.rand(pixels.shape, generator=torch.Generator().manual_seed(5))
    expected = (pixels + (2 * noise - 1) * EPS).clamp(0, 1)
    err = (got - expected).abs().max().item()
    assert err < 1e-5, (f"with steps=0 PGD returns its random start clip(x + U(-eps, eps), 0, 1) drawn with "
                        f"torch.rand(x.shape, generator=generator); max error {err:.2e}")


@pytest.mark.points(1)
def test_attacks_run_in_eval_mode_and_restore_the_mode(exercise):
    model, pixels = _cnn(seed=2), _pixels()
    model.train()
    stats = model[1].running_mean.clone()
    adv = exercise.pgd(model, (pixels - M) / S, LABELS, EPS, MEAN, STD, alpha=1 / 255, steps=3, random_start=False)
    assert model.training, "the attack must put the model back in training mode"
    assert torch.equal(model[1].running_mean, stats), "the attack changed BatchNorm's running statistics (train mode)"
    assert all(p.grad is None for p in model.parameters()), "the attack must not leave gradients on the weights"
    expected = _oracle_pgd(copy.deepcopy(model), pixels, LABELS, EPS, 1 / 255, 3)
    err = (adv * S + M - expected).abs().max().item()
    assert err < 1e-5, f"the attack must use eval-mode BatchNorm; differs from the eval-mode oracle by {err:.2e}"


@pytest.mark.points(2)
def test_adversarial_step_trains_on_pgd_examples(exercise):
    model, pixels = _cnn(seed=4), _pixels()
    x = (pixels - M) / S
    twin = copy.deepcopy(model)
    step = exercise.adversarial_step(EPS, MEAN, STD, steps=2, alpha=2 / 255, generator=torch.Generator().manual_seed(7))
    criterion = nn.BCEWithLogitsLoss()
    loss, outputs = step(model, x, LABELS, lambda out, y: criterion(out, y))
    assert model.training, "the training step must run the model in training mode after the attack"
    # expected: random start from the same generator, then two PGD steps (eval mode), then a train-mode forward
    noise = torch.rand(pixels.shape, generator=torch.Generator().manual_seed(7))
    start = (pixels + (2 * noise - 1) * EPS).clamp(0, 1)
    adv = start
    for _ in range(2):
        one = _oracle_pgd(twin, adv, LABELS, 2 / 255, 2 / 255, 1)
        adv = (pixels + (one - pixels).clamp(-EPS, EPS)).clamp(0, 1)
    twin.train()
    expected_outputs = twin((adv - M) / S)
    err = (outputs - expected_outputs).abs().max().item()
    assert err < 1e-4, f"outputs should be the train-mode logits of the PGD examples; max error {err:.2e}"
    assert abs(loss.item() - criterion(expected_outputs, LABELS).item()) < 1e-4, "loss must be loss(outputs, targets)"
    loss.backward()
    assert model[0].weight.grad is not None, "the returned loss must be differentiable with respect to the weights"


@pytest.mark.points(2)
def test_robust_auc_of_a_linear_detector(exercise, agrees_with_reference):
    model = Linear(seed=6)
    pixels = _pixels(n=40, low=0.3, high=0.7, seed=8)           # far from 0 and 1: no clipping
    labels = torch.tensor([0.0, 1.0] * 20)
    x = (pixels - M) / S
    with torch.no_grad():
        clean = model(x)
    got = exercise.robust_auc(model, x, labels, [0, 2 / 255, 8 / 255], MEAN, STD, steps=8, batch_size=16)
    assert list(got) == [0, 2 / 255, 8 / 255], f"expected one AUC per eps in order, got keys {list(got)}"
    # The worst case of a linear model moves each logit by eps * sum|w / std| against its label.
    shift = (model.w.detach().abs() / S).sum().item()
    for eps in got:
        attacked = clean - (2 * labels - 1) * eps * shift
        expected = roc_auc_score(labels.numpy(), torch.sigmoid(attacked).numpy())
        assert abs(got[eps] - expected) < 1e-6, f"eps={eps * 255:.0f}/255: expected AUC {expected:.4f}, got {got[eps]:.4f}"
    assert got[8 / 255] < got[0], "a PGD attack must lower the AUC"
    agrees_with_reference(np.array(list(got.values())),
                          lambda ref: np.array(list(ref.robust_auc(model, x, labels, [0, 2 / 255, 8 / 255], MEAN, STD,
                                                                   steps=8, batch_size=16).values())))
