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
    # BEGIN SOLUTION
    # HINT: F.binary_cross_entropy_with_logits takes pos_weight as a tensor; labels must be float.
    labels = labels.to(logits.dtype)
    n_fake = labels.sum()
    n_real = labels.numel() - n_fake
    if n_fake > 0 and n_real > 0:
        pos_weight = n_real / n_fake
    else:
        pos_weight = torch.ones((), dtype=logits.dtype, device=logits.device)
    return F.binary_cross_entropy_with_logits(logits, labels, pos_weight=pos_weight)
    # END SOLUTION


def aggregate_video_score(frame_scores, how="mean"):
    """Pool per-frame fake probabilities (N,) into one video score (float).

    ``how``: ``"mean"``, ``"median"``, ``"max"``, or ``"topk"``: the mean of the highest
    ``k = max(1, ceil(TOPK_FRACTION * N))`` scores (the top 25%; for N = 10, k = 3). Accepts a
    list, NumPy array or tensor. Raises ValueError for an empty input or an unknown ``how``.

    >>> aggregate_video_score([0.1, 0.2, 0.9, 0.3], how="topk")   # k = 1
    0.9
    """
    # BEGIN SOLUTION
    # HINT: np.sort sorts ascending, so the k highest scores are the last k.
    scores = np.asarray(frame_scores.detach().cpu() if torch.is_tensor(frame_scores) else frame_scores,
                        dtype=np.float64).reshape(-1)
    if scores.size == 0:
        raise ValueError("aggregate_video_score needs at least one frame score, got none")
    if how == "mean":
        return float(scores.mean())
    if how == "median":
        return float(np.median(scores))
    if how == "max":
        return float(scores.max())
    if how == "topk":
        k = max(1, int(np.ceil(TOPK_FRACTION * scores.size)))
        return float(np.sort(scores)[-k:].mean())
    raise ValueError(f"unknown aggregation {how!r}: expected one of {', '.join(VIDEO_AGGREGATIONS)}")
    # END SOLUTION


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
    # BEGIN SOLUTION
    # HINT: sort by descending score; cumulative sums of labels count the fakes above each cut.
    scores = np.asarray(scores, dtype=np.float64).reshape(-1)
    labels = np.asarray(labels).reshape(-1).astype(bool)
    if criterion not in CRITERIA:
        raise ValueError(f"unknown criterion {criterion!r}: expected one of {', '.join(CRITERIA)}")
    n_fake = int(labels.sum())
    n_real = labels.size - n_fake
    if scores.size != labels.size or n_fake == 0 or n_real == 0:
        raise ValueError(f"choose_threshold needs matching scores and labels with both classes; got "
                         f"{scores.size} scores, {n_real} real and {n_fake} fake labels")
    order = np.argsort(-scores, kind="stable")
    sorted_scores, sorted_labels = scores[order], labels[order]
    # The cut after the last copy of each distinct score: everything up to it is called fake.
    last_of_value = np.r_[np.flatnonzero(np.diff(sorted_scores)), sorted_scores.size - 1]
    true_pos = np.cumsum(sorted_labels)[last_of_value]
    false_pos = (last_of_value + 1) - true_pos
    tpr, fpr = true_pos / n_fake, false_pos / n_real
    if criterion == "youden":
        best = np.argmax(tpr - fpr)
    elif criterion == "eer":
        best = np.argmin(np.abs(fpr - (1.0 - tpr)))
    else:
        best = np.argmax(true_pos + (n_real - false_pos))
    return float(sorted_scores[last_of_value[best]])
    # END SOLUTION


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
    # BEGIN SOLUTION
    # HINT: model.eval() fixes BatchNorm and Dropout; next(model.parameters()).device is where it lives.
    if len(faces) == 0:
        raise ValueError("predict_video needs at least one face crop, got none")
    model.eval()
    device = next(model.parameters()).device
    chunks = []
    with torch.no_grad():
        for start in range(0, len(faces), batch_size):
            logits = model(faces[start:start + batch_size].to(device))
            chunks.append(torch.sigmoid(logits.float().reshape(-1)).cpu())
    frame_scores = torch.cat(chunks).numpy().astype(np.float32)
    return frame_scores, aggregate_video_score(frame_scores, how)
    # END SOLUTION
