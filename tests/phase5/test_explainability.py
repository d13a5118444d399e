"""Graded tests for phase5_advanced_methods/template_explainability.py.

Ground truth: Captum's ``LayerGradCam`` and pytorch-grad-cam's ``GradCAM`` on the same layer of the
same network (two independent Grad-CAM implementations), hand-computed Grad-CAM of a network whose
weights are set by hand, OpenCV's JET colour map, and the synthetic generator's manipulation masks
for the pointing game.
"""
import cv2
import numpy as np
import pytest
import torch
from captum.attr import LayerGradCam
from pytorch_grad_cam import GradCAM
from torch import nn

from dfkit.synthetic import make_clip

pytestmark = pytest.mark.exercise("phase5_advanced_methods.template_explainability")
TARGETS = ["fake", "real"]


def _detector(seed=0):
    """A small single-logit CNN (B, 3, 32, 32) -> (B,), with an in-place ReLU right after the hooked
    convolution (``features[3]``) and BatchNorm (eval mode matters)."""
    torch.manual_seed(seed)
    model = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(inplace=True), nn.MaxPool2d(2),
                          nn.Flatten(), nn.Linear(16 * 8 * 8, 1), nn.Flatten(0))
    model[1].running_mean.uniform_(-0.2, 0.2)
    model[1].running_var.uniform_(0.5, 2.0)
    return model


def _faces(batch=3, seed=1):
    return torch.rand(batch, 3, 32, 32, generator=torch.Generator().manual_seed(seed))


class _TwoD(nn.Module):
    """(B,) logit -> (B, 1) score of the target class, as Captum wants it."""

    def __init__(self, model, sign):
        super().__init__()
        self.model, self.sign = model, sign

    def forward(self, x):
        return self.sign * self.model(x)[:, None]


@pytest.mark.points(2)
@pytest.mark.parametrize("target", TARGETS, ids=TARGETS)
def test_grad_cam_equals_captum_layer_grad_cam(exercise, agrees_with_reference, target):
    model, x = _detector(), _faces()
    model.train()  # the learner must switch to eval mode (BatchNorm running statistics) and back
    cam, logits = exercise.grad_cam(model, model[4], x, target=target)
    assert model.training, "grad_cam must put the model back in the mode it was in"
    assert all(p.grad is None for p in model.parameters()), "grad_cam must not leave gradients on the parameters"
    assert tuple(cam.shape) == (3, 16, 16), f"expected a (3, 16, 16) map at the layer's resolution, got {tuple(cam.shape)}"
    model.eval()
    sign = 1.0 if target == "fake" else -1.0
    expected = LayerGradCam(_TwoD(model, sign), model[4]).attribute(x, target=0, relu_attributions=True)[:, 0]
    assert torch.allclose(logits, model(x).detach(), atol=1e-5), "logits must be the eval-mode logits"
    err = (cam - expected.detach()).abs().max().item()
    assert err < 1e-5, f"Grad-CAM for {target!r} differs from Captum's LayerGradCam by {err:.2e} (max)"
    agrees_with_reference(cam, lambda ref: ref.grad_cam(model, model[4], x, target=target)[0], atol=1e-5)


@pytest.mark.points(2)
def test_upsampled_cam_equals_pytorch_grad_cam(exercise, agrees_with_reference):
    model, x = _detector(seed=2), _faces(seed=3)
    model[5].inplace = False  # pytorch-grad-cam keeps the hooked output as it is: an in-place ReLU would rewrite it
    cam, _ = exercise.grad_cam(model, model[4], x)
    up = exercise.upsample_cam(cam, (32, 32))
    model.eval()
    with GradCAM(model=model, target_layers=[model[4]]) as oracle:
        expected = oracle(input_tensor=x, targets=[lambda output: output] * len(x))
    assert tuple(up.shape) == (3, 32, 32), f"expected (3, 32, 32), got {tuple(up.shape)}"
    err = np.abs(up.numpy() - expected).max()
    assert err < 1e-4, f"upsampled, normalised Grad-CAM differs from pytorch-grad-cam's by {err:.2e}"
    agrees_with_reference(up, lambda ref: ref.upsample_cam(cam, (32, 32)), atol=1e-5)


@pytest.mark.points(2)
def test_grad_cam_by_hand(exercise):
    """The hooked layer copies the input (A = x) and logit = sum(w * A) with w = 2 on the two left
    columns and -1 on the two right ones: dy/dA = w, its spatial mean 0.5, so cam = ReLU(0.5 A).
    For "real" the score is -logit: weight -0.5 and cam = ReLU(-0.5 A)."""
    weight = torch.ones(1, 1, 4, 4)
    weight[..., :2], weight[..., 2:] = 2.0, -1.0

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.layer = nn.Conv2d(1, 1, 1, bias=False)  # A = x (weight 1)
            nn.init.ones_(self.layer.weight)

        def forward(self, x):
            return (self.layer(x) * weight).sum(dim=(1, 2, 3))

    x = torch.tensor([[[[1.0, -2.0, 3.0, 0.5]] * 4]])
    net = Net()
    fake, logits = exercise.grad_cam(net, net.layer, x, target="fake")
    real, _ = exercise.grad_cam(net, net.layer, x, target="real")
    assert torch.allclose(logits, (x * weight).sum(dim=(1, 2, 3)))
    assert torch.allclose(fake, torch.relu(0.5 * x[:, 0])), f"expected ReLU(0.5 x) = {torch.relu(0.5 * x[0, 0])}, got {fake[0]}"
    assert torch.allclose(real, torch.relu(-0.5 * x[:, 0])), (
        f"for 'real' the score is the negative logit: expected ReLU(-0.5 x) = {torch.relu(-0.5 * x[0, 0])}, got {real[0]}")


@pytest.mark.points(1)
@pytest.mark.parametrize("alpha", [0.0, 0.4, 1.0], ids=["image-only", "mixed", "colour-map-only"])
def test_overlay_uses_opencv_jet(exercise, alpha):
    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, (32, 32, 3), dtype=np.uint8)
    cam = np.linspace(0, 1, 64, dtype=np.float32).reshape(8, 8)
    got = exercise.overlay(image, cam, alpha=alpha)
    levels = np.rint(255 * cv2.resize(cam, (32, 32), interpolation=cv2.INTER_LINEAR)).astype(np.uint8)
    colour = cv2.applyColorMap(levels, cv2.COLORMAP_JET)[..., ::-1].astype(np.float32)
    expected = np.clip(np.rint((1 - alpha) * image + alpha * colour), 0, 255).astype(np.uint8)
    assert got.dtype == np.uint8 and got.shape == image.shape, f"expected uint8 {image.shape}, got {got.dtype} {got.shape}"
    diff = np.abs(got.astype(int) - expected.astype(int)).max()
    assert diff <= 1, f"alpha={alpha}: overlay differs from OpenCV's JET blend by up to {diff} grey levels"


@pytest.mark.points(2)
def test_pointing_game_against_generator_masks(exercise, agrees_with_reference):
    clip = make_clip(seed=4, num_frames=4, size=64, fake=True)  # ground truth: the blend masks
    masks = clip.masks
    inside = masks >= 0.5
    assert inside.any(axis=(1, 2)).all()
    hits = np.zeros((4, 8, 8), np.float32)
    misses = np.zeros((4, 8, 8), np.float32)
    for i, mask in enumerate(masks):  # a peak at the mask's centroid / at a corner outside the face
        ys, xs = np.nonzero(mask >= 0.9)
        hits[i, int(ys.mean()) // 8, int(xs.mean()) // 8] = 1.0
        misses[i, 0, 0] = 1.0
    mixed = np.concatenate([hits[:3], misses[3:]])
    got = [exercise.pointing_game(c, masks) for c in (hits, misses, mixed)]
    assert got == [1.0, 0.0, 0.75], f"expected hit rates [1.0, 0.0, 0.75] for peaks inside / outside / 3 of 4, got {got}"
    agrees_with_reference(got[2], lambda ref: ref.pointing_game(mixed, masks))
