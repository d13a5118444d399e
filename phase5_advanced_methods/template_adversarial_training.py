# Learner template generated from solutions/phase5_advanced_methods/template_adversarial_training.py by `make templates`.
# Replace each `raise NotImplementedError(...)` with your code; see IMPLEMENTATION_GUIDE.md.
# template fingerprint: 6e47b09d3a707839
"""Adversarial robustness: FGSM and PGD attacks on a detector, Madry adversarial training, robust AUC.

A detector that is right on clean faces can often be flipped by a perturbation no one can see. An
attacker who knows the network (white box) follows the sign of the loss gradient with respect to
the input (Goodfellow et al. 2015, FGSM: one step of size eps); PGD (Madry et al. 2018) takes many
small steps from a random start and after each one *projects* back onto the allowed set: every
pixel within eps of the original (the L-infinity ball) and inside the valid range [0, 1].
Adversarial training is PGD inside the training loop: each batch is replaced by its worst case
before the weights are updated (min over weights of the max over perturbations of the loss).

Conventions here, and the pitfalls they avoid:

* The detector returns one logit per image (B,); the attacked loss is BCE with logits against the
  true label (1 = fake), so an attack pushes fakes towards "real" and reals towards "fake".
* The model reads NORMALISED inputs ``(pixel - mean) / std``, as every detector of the course
  does, but the budget eps is in PIXEL units (4/255 = four grey levels). Attack in pixel space:
  un-normalise, perturb and clip there, normalise again to call the model. Adding eps to
  normalised inputs would give a budget of eps * std per channel, and clipping them to [0, 1]
  would be meaningless.
* Attack the model in ``eval`` mode (BatchNorm with its running statistics, no dropout) and put it
  back in the mode it was in; take gradients with respect to the input only.
"""
import torch
import torch.nn.functional as F
from sklearn.metrics import roc_auc_score


def _stats(mean, std, like):
    """mean, std (3 numbers each) as (1, 3, 1, 1) tensors like ``like``."""
    shape = (1, -1, 1, 1)
    return (torch.as_tensor(mean, dtype=like.dtype, device=like.device).reshape(shape),
            torch.as_tensor(std, dtype=like.dtype, device=like.device).reshape(shape))


def to_pixels(x, mean, std):
    """Normalised (B, 3, H, W) -> pixels in [0, 1] scale: ``x * std + mean``."""
    m, s = _stats(mean, std, x)
    return x * s + m


def to_model(pixels, mean, std):
    """Pixels (B, 3, H, W) -> normalised model input: ``(pixels - mean) / std``."""
    m, s = _stats(mean, std, pixels)
    return (pixels - m) / s


def input_gradient(model, pixels, labels, mean, std):
    """Gradient of the summed BCE-with-logits loss with respect to ``pixels`` (B, 3, H, W), the model
    reading ``to_model(pixels)``; labels (B,) 0/1. Returns a tensor like ``pixels``; the model's
    parameters get no gradient."""
    raise NotImplementedError("phase5_advanced_methods: implement input_gradient")


def fgsm(model, x, labels, eps, mean, std):
    """Fast gradient sign method: one step of eps along ``sign(grad)``, in pixel space.

    x: normalised input (B, 3, H, W) as the model reads it; labels (B,) 0/1; eps in pixel units
    (e.g. 4 / 255). Returns the normalised adversarial input: pixels ``clip(p + eps * sign(g), 0, 1)``
    with p = ``to_pixels(x)``, g = :func:`input_gradient`. Runs the model in eval mode and restores
    its mode.
    """
    was_training = model.training
    model.eval()
    try:
        raise NotImplementedError("phase5_advanced_methods: implement fgsm")
    finally:
        model.train(was_training)
    return to_model(adversarial, mean, std).detach()


def pgd(model, x, labels, eps, mean, std, alpha=None, steps=10, random_start=True, generator=None):
    """Projected gradient descent (L-infinity, Madry et al.), in pixel space.

    x: normalised input (B, 3, H, W); labels (B,) 0/1; eps: pixel budget; alpha: step size (default
    ``eps / 4``); steps: iterations. With ``random_start`` the start is ``p + U(-eps, eps)``
    (``torch.rand`` with ``generator``) clipped to [0, 1]; otherwise p itself. Each step:
    ``a = a + alpha * sign(grad)``, then the projection ``a = clip(p + clip(a - p, -eps, eps), 0, 1)``.
    Returns the normalised adversarial input. Eval mode, mode restored.

    Example::

        >>> adv = pgd(model, x, y, eps=4 / 255, mean=MEAN, std=STD, steps=10)
    """
    alpha = eps / 4 if alpha is None else alpha
    was_training = model.training
    model.eval()
    try:
        pixels = to_pixels(x.detach(), mean, std)
            # HINT: project onto the eps-ball around the ORIGINAL pixels, then onto [0, 1].
        raise NotImplementedError("phase5_advanced_methods: implement pgd")
    finally:
        model.train(was_training)
    return to_model(adversarial, mean, std).detach()


def adversarial_step(eps, mean, std, steps=5, alpha=None, generator=None):
    """A :class:`dfkit.training.Trainer` ``step`` hook for Madry adversarial training.

    Returns ``step(model, inputs, targets, loss) -> (loss_value, outputs)`` that replaces the batch
    ``inputs`` (normalised (B, 3, H, W)) by :func:`pgd` examples (eps, steps, alpha, random start)
    and returns ``(loss(model(adversarial), targets), model(adversarial))`` with the model in
    training mode (the attack itself runs in eval mode)::

        Trainer(model, train, val, cfg, step=adversarial_step(4 / 255, MEAN, STD))
    """
    def step(model, inputs, targets, loss):
        raise NotImplementedError("phase5_advanced_methods: implement adversarial_step.step")

    return step


def robust_auc(model, x, labels, eps_values, mean, std, steps=10, alpha=None, batch_size=64, seed=0):
    """ROC AUC (scikit-learn) of ``model`` on ``x`` attacked by :func:`pgd` at each eps.

    x: normalised (N, 3, H, W); labels (N,) 0/1; eps_values: pixel budgets (0 = clean, no attack).
    Each item is attacked against its own label (fakes towards "real", reals towards "fake"), batch
    by batch, random start from ``torch.Generator().manual_seed(seed)``. Scores are
    ``sigmoid(logit)`` in eval mode. Returns ``{eps: auc}`` (floats), in the order given.
    """
    labels = torch.as_tensor(labels)
    results = {}
    was_training = model.training
    model.eval()
    try:
        for eps in eps_values:
            raise NotImplementedError("phase5_advanced_methods: implement robust_auc")
    finally:
        model.train(was_training)
    return results
