# Learner template generated from solutions/phase1_cnn_detection/template_classifier.py by `make templates`.
# Replace each `raise NotImplementedError(...)` with your code; see IMPLEMENTATION_GUIDE.md.
# template fingerprint: 7bd512fff1a43ec3
"""From a CNN to a detector: building it, a class-balanced loss, video scores and a threshold.

A frame-level detector (Xception, EfficientNet-B4, MesoNet) gives one logit per face crop. Four
decisions turn those logits into a usable real/fake verdict, and each is an exercise here:

1. **Loss** (:func:`class_balanced_bce`): deepfake datasets are lopsided (FaceForensics++ has four
   fake videos per real one), so plain binary cross-entropy rewards answering "fake" every time.
   Weighting the fake terms by n_real / n_fake makes both classes count the same.
2. **Frame probabilities** (:func:`predict_video`): probability of fake = sigmoid(logit).
3. **Video score** (:func:`aggregate_video_score`): FaceForensics++ and the DFDC score a *video*;
   averaging frame scores smooths noise, ``max`` / ``topk`` catch forgeries visible in a few frames.
4. **Threshold** (:func:`choose_threshold`): 0.5 is right only when the training classes were
   balanced and the model is calibrated; choose the operating point on validation data instead.

The detectors themselves (your Xception, EfficientNet, MesoNet) are built by the registry
(:mod:`dfkit.registry`, entries in ``phase1_cnn_detection/detectors.py``), which reaches your modules
through the implementation switch. The training CLIs train with your :func:`class_balanced_bce`, and
every CLI pools and thresholds scores with your functions below.

Conventions: label 1 = fake, 0 = real; a score is a probability of fake; "fake" is predicted when
``score >= threshold``.
"""
import numpy as np
import torch
import torch.nn.functional as F

from dfkit.metrics.scores import TOPK_FRACTION, VIDEO_AGGREGATIONS

CRITERIA = ("youden", "eer", "accuracy")


def class_balanced_bce(logits, labels):
    """Binary cross-entropy on logits with the fake terms weighted by n_real / n_fake of this batch.

    Args:
        logits: (B,) float tensor, raw detector outputs.
        labels: (B,) tensor of 0 (real) / 1 (fake), any numeric dtype.

    Returns:
        Scalar tensor: ``mean_i w_i * BCE(logit_i, label_i)`` with ``w_i = n_real / n_fake`` for fakes
        and 1 for reals, i.e. ``binary_cross_entropy_with_logits(..., pos_weight=n_real / n_fake)``.
        A batch holding only one class uses ``pos_weight = 1`` (plain BCE). Differentiable.

    Example: labels [1, 1, 1, 0] give pos_weight 1/3, so the real frame weighs as much as the
    three fakes together.
    """
    # HINT: F.binary_cross_entropy_with_logits takes pos_weight as a tensor; labels must be float.
    raise NotImplementedError("phase1_cnn_detection: implement class_balanced_bce")


def aggregate_video_score(frame_scores, how="mean"):
    """Pool per-frame fake probabilities (N,) into one video score (float).

    ``how``: ``"mean"``, ``"median"``, ``"max"``, or ``"topk"``: the mean of the highest
    ``k = max(1, ceil(TOPK_FRACTION * N))`` scores (the top 25%; for N = 10, k = 3). Accepts a
    list, NumPy array or tensor. Raises ValueError for an empty input or an unknown ``how``.

    >>> aggregate_video_score([0.1, 0.2, 0.9, 0.3], how="topk")   # k = 1
    0.9
    """
    # HINT: np.sort sorts ascending, so the k highest scores are the last k.
    raise NotImplementedError("phase1_cnn_detection: implement aggregate_video_score")


def choose_threshold(scores, labels, criterion="youden"):
    """Pick the decision threshold on validation data; return it as a float (one of the scores).

    Candidates are the distinct values of ``scores`` (N,); with threshold t a frame is called fake
    when ``score >= t``, giving TPR(t) (fakes caught) and FPR(t) (reals flagged). ``criterion``:

    * ``"youden"``: maximise Youden's J = TPR - FPR (equivalently balanced accuracy, (TPR + TNR) / 2);
    * ``"eer"``: the equal-error point, minimise |FPR - FNR| with FNR = 1 - TPR;
    * ``"accuracy"``: maximise plain accuracy (correct calls / N), which, unlike the two above,
      depends on the class ratio.

    Ties go to the highest threshold. ``labels`` (N,) are 0/1 and must contain both classes
    (else ValueError); an unknown criterion raises ValueError.

    Example: scores [0.1, 0.4, 0.35, 0.8], labels [0, 0, 1, 1]: t = 0.8 gives J = 0.5,
    t = 0.35 gives J = 1 - 0.5 = 0.5, t = 0.4 gives 0.5 - 0.5 = 0, so "youden" returns 0.8.
    """
    # HINT: sort by descending score; cumulative sums of labels count the fakes above each cut.
    raise NotImplementedError("phase1_cnn_detection: implement choose_threshold")


def predict_video(model, faces, how="mean", batch_size=32):
    """Score every face crop of one video and pool them.

    Args:
        model: a detector returning (B,) logits; it is switched to eval mode.
        faces: (N, 3, S, S) float tensor, already normalised for the model (see ``preprocess_faces``).
        how: aggregation passed to :func:`aggregate_video_score`.
        batch_size: crops per forward pass.

    Returns:
        ``(frame_scores, video_score)``: (N,) float32 NumPy array of sigmoid(logit) per crop (in
        order) and a float. Runs under ``torch.no_grad`` on the model's device.
    """
    # HINT: model.eval() fixes BatchNorm and Dropout; next(model.parameters()).device is where it lives.
    raise NotImplementedError("phase1_cnn_detection: implement predict_video")
