"""Multi-modal detection: calibrate each modality's score, fuse what is available, check lip sync.

A single detector sees one cue: phase 1's CNN the blending boundary, phase 2's models the flicker,
phase 3's the up-sampling spectrum, phase 4's the missing blink or pulse. A fake that plants only
one cue slips past the others, so a multi-modal detector combines them. Three steps, each an
exercise here:

1. **Calibration** (:func:`fit_logistic`, :func:`temperature_scale`, :func:`platt_scale`,
   :func:`expected_calibration_error`): raw scores of different detectors live on different
   scales (a logit of 3 from one may mean what 0.3 means from another). Temperature scaling
   (one factor, ``sigmoid(z / T)``) and Platt scaling (``sigmoid(a s + b)``) fitted on validation
   data turn each into a probability that means what it says.
2. **Fusion** (:func:`availability`, :func:`late_fusion`, :func:`stacking_features`,
   :class:`FeatureFusion`): average calibrated log-odds (late fusion), learn weights over them with
   a logistic regression (stacking), or fuse embeddings inside one network (feature-level fusion).
   A modality that is missing (no face found, a clip too short for a pulse, a video without
   audio) is *masked out*, never filled with a made-up score, and never a crash.
3. **Audio-visual synchrony** (:func:`audio_envelope`, :func:`lagged_correlation`, :func:`av_lag`,
   :func:`sync_score`): loudness follows how far the mouth is open, so the lag that maximises the
   correlation of the audio envelope with the mouth opening is the audio's offset, and the
   correlation at lag 0 is a sync score (near 1 for a real talking face, low for a shifted or
   dubbed one).

The registry's ``fusion`` detector (:class:`FusionHead`, fitted by :func:`fit_fusion` through
``train.py --model fusion``) and ``multi_modal_detect.py`` run your functions.

Conventions: label 1 = fake; probabilities are of "fake"; a logit is ``log(p / (1 - p))``.
Modalities are columns in the order of :data:`MODALITIES`.
"""
import numpy as np
import torch
from torch import nn

from dfkit.curriculum import load

MODALITIES = ("visual", "temporal", "frequency", "physio", "audio")
# Shorter clips hold too few heartbeats for a pulse estimate: phase 4's own limit.
MIN_PULSE_SECONDS = load("phase4_biological_signals.template_face_consistency").MIN_PULSE_S
EPS = 1e-6                # probabilities are clipped to [EPS, 1 - EPS] before a logit
INPUT_SIZE, MEAN, STD = 320, (0.0, 0.0, 0.0), (1.0, 1.0, 1.0)  # the drivers' input record; fusion reads scores


def logit(p):
    """log(p / (1 - p)) of probabilities clipped to [EPS, 1 - EPS] (given)."""
    p = np.clip(np.asarray(p, np.float64), EPS, 1 - EPS)
    return np.log(p) - np.log1p(-p)


def sigmoid(z):
    """1 / (1 + exp(-z)), numerically safe for large |z| (given)."""
    z = np.asarray(z, np.float64)
    return np.exp(-np.logaddexp(0.0, -z))


# ---------------------------------------------------------------- calibration
def fit_logistic(features, labels, l2=0.0, fit_intercept=True, iterations=100):
    """Logistic regression by Newton's method: minimise ``sum_i BCE(x_i . w + b, y_i) + l2 / 2 * |w|^2``.

    Args:
        features: (N, D) float array. labels: (N,) 0/1.
        l2: L2 penalty on the weights (never on the bias); scikit-learn's ``LogisticRegression(C=1 / l2)``
            minimises the same objective (``penalty=None`` for ``l2 = 0``).
        fit_intercept: learn ``b`` (else b = 0).
        iterations: Newton steps (stop early when the step is below 1e-10).

    Returns:
        ``(w (D,) float64, b float)``.

    Newton step: gradient ``g = X^T (p - y) + l2 w``, Hessian ``H = X^T diag(p (1 - p)) X + l2 I``,
    ``theta -= H^{-1} g``, with X extended by a column of ones when fitting the bias (whose penalty
    entry is 0). Raises ValueError for fewer than 2 samples or labels that are not 0/1.
    """
    # BEGIN SOLUTION
    # HINT: np.linalg.solve(H, g) is the Newton step; never invert H explicitly.
    x = np.asarray(features, np.float64)
    y = np.asarray(labels, np.float64).reshape(-1)
    if x.ndim != 2 or len(x) != len(y) or len(y) < 2:
        raise ValueError(f"expected (N, D) features and (N,) labels with N >= 2, got {x.shape} and {y.shape}")
    if not np.isin(y, (0, 1)).all():
        raise ValueError("labels must be 0 or 1")
    if fit_intercept:
        x = np.hstack([x, np.ones((len(x), 1))])
    penalty = np.full(x.shape[1], float(l2))
    if fit_intercept:
        penalty[-1] = 0.0
    theta = np.zeros(x.shape[1])
    for _ in range(iterations):
        p = sigmoid(x @ theta)
        gradient = x.T @ (p - y) + penalty * theta
        hessian = (x * (p * (1 - p))[:, None]).T @ x + np.diag(penalty) + 1e-12 * np.eye(x.shape[1])
        step = np.linalg.solve(hessian, gradient)
        theta -= step
        if np.abs(step).max() < 1e-10:
            break
    if fit_intercept:
        return theta[:-1], float(theta[-1])
    return theta, 0.0
    # END SOLUTION


def temperature_scale(logits, labels):
    """The temperature T > 0 that minimises the NLL of ``sigmoid(logits / T)`` on (logits, labels).

    Args: logits (N,) raw detector logits; labels (N,) 0/1. Returns: T as a float.
    Temperature scaling is a logistic regression on the logit with no bias: ``w = 1 / T``.
    A T above 1 means the detector was over-confident. Raises ValueError when the fitted
    weight is not positive (the scores rank the classes backwards).
    """
    # BEGIN SOLUTION
    w, _ = fit_logistic(np.asarray(logits, np.float64).reshape(-1, 1), labels, fit_intercept=False)
    if w[0] <= 0:
        raise ValueError(f"temperature scaling needs scores that rank fakes higher; fitted weight {w[0]:.3g}")
    return float(1.0 / w[0])
    # END SOLUTION


def platt_scale(scores, labels):
    """Platt scaling: ``(a, b)`` minimising the NLL of ``sigmoid(a * scores + b)`` (no penalty).

    Args: scores (N,) any real-valued detector score; labels (N,) 0/1. Returns: (a, b) floats.
    Unlike a temperature it also moves the decision point (the bias b), e.g. for a detector trained
    with balanced classes used where fakes are rare.
    """
    # BEGIN SOLUTION
    w, b = fit_logistic(np.asarray(scores, np.float64).reshape(-1, 1), labels)
    return float(w[0]), float(b)
    # END SOLUTION


def expected_calibration_error(probs, labels, n_bins=10):
    """ECE of fake-probabilities: ``sum_b |B_b| / N * |mean(probs in b) - fraction of fakes in b|``.

    Args: probs (N,) in [0, 1]; labels (N,) 0/1; n_bins equal-width bins on [0, 1]: bin b holds
    ``b / n_bins <= p < (b + 1) / n_bins``, and p = 1 goes to the last bin. Empty bins count 0.
    Returns a float in [0, 1]; 0 for a perfectly calibrated detector.

    Example: probs [0.2, 0.2, 0.8, 0.8], labels [0, 1, 1, 1], 10 bins: bin 2 has mean 0.2 and
    fraction 0.5, bin 8 mean 0.8 and fraction 1 -> ECE = 0.5 * 0.3 + 0.5 * 0.2 = 0.25.
    """
    # BEGIN SOLUTION
    # HINT: np.minimum((p * n_bins).astype(int), n_bins - 1) puts p = 1 in the last bin.
    p = np.asarray(probs, np.float64).reshape(-1)
    y = np.asarray(labels, np.float64).reshape(-1)
    bins = np.minimum((p * n_bins).astype(int), n_bins - 1)
    confidence = np.bincount(bins, weights=p, minlength=n_bins)
    fakes = np.bincount(bins, weights=y, minlength=n_bins)
    return float(np.abs(confidence - fakes).sum() / len(p))
    # END SOLUTION


# ---------------------------------------------------------------- fusion
def availability(face_found, duration_s, has_audio):
    """(N, 5) bool: which of :data:`MODALITIES` can score each of N videos.

    Args: face_found (N,) bool: a face was detected; duration_s (N,) seconds covered by the frames;
    has_audio (N,) bool: the video has an audio track.
    Rules: visual, temporal and frequency need a face; physio needs a face and at least
    ``MIN_PULSE_SECONDS``; audio needs an audio track *and* a face (its sync score reads the mouth).
    """
    # BEGIN SOLUTION
    face = np.asarray(face_found, bool)
    long_enough = np.asarray(duration_s, np.float64) >= MIN_PULSE_SECONDS
    audio = np.asarray(has_audio, bool)
    return np.stack([face, face, face, face & long_enough, face & audio], axis=1)
    # END SOLUTION


def late_fusion(probs, available, weights=None):
    """Fuse calibrated per-modality probabilities: ``sigmoid(sum_m w_m logit(p_m) / sum_m w_m)`` over
    the *available* modalities of each row.

    Args:
        probs: (N, M) calibrated fake-probabilities; entries of missing modalities may hold anything,
            NaN included, and must not change the result.
        available: (N, M) bool mask.
        weights: (M,) non-negative modality weights (None: all 1).

    Returns: (N,) float64 fused probabilities. Raises ValueError naming the rows where no modality
    is available (a verdict from nothing would be a guess).
    """
    # BEGIN SOLUTION
    # HINT: NaN * 0 is NaN: select with np.where instead of multiplying by the mask.
    mask = np.asarray(available, bool)
    w = np.ones(mask.shape[1]) if weights is None else np.asarray(weights, np.float64)
    weight = np.where(mask, w, 0.0)
    total = weight.sum(1)
    if (total <= 0).any():
        raise ValueError(f"no modality available for rows {np.flatnonzero(total <= 0).tolist()}")
    z = np.where(mask, logit(np.where(mask, probs, 0.5)), 0.0)
    return sigmoid((weight * z).sum(1) / total)
    # END SOLUTION


def stacking_features(probs, available):
    """(N, 2M) inputs of a stacking regression: ``[logit(p) where available else 0, available as 0/1]``.

    The indicator columns let the regression learn what a missing modality says by itself (e.g.
    "no audio" in a set where only fakes were re-encoded without it). Missing entries may be NaN.
    """
    # BEGIN SOLUTION
    mask = np.asarray(available, bool)
    z = np.where(mask, logit(np.where(mask, probs, 0.5)), 0.0)
    return np.hstack([z, mask.astype(np.float64)])
    # END SOLUTION


class FeatureFusion(nn.Module):
    """Feature-level fusion: each modality's embedding projected to ``hidden`` dims, the available ones
    averaged, one logit.

    ``dims``: embedding size per modality (M,). Layers (their names are checkpoint keys):
    ``project`` = ``nn.ModuleList`` of ``nn.Linear(dims[m], hidden)``, ``head`` = ``nn.Linear(hidden, 1)``.

    ``forward(embeddings, available)``: ``embeddings`` a list of M tensors (B, dims[m]),
    ``available`` (B, M) bool -> (B,) logits ``head(sum_m a_m relu(project_m(e_m)) / max(1, sum_m a_m))``.
    Missing embeddings may be NaN and must not change the output (select, do not multiply).
    """

    def __init__(self, dims, hidden=32):
        super().__init__()
        # BEGIN SOLUTION
        self.project = nn.ModuleList(nn.Linear(int(d), hidden) for d in dims)
        self.head = nn.Linear(hidden, 1)
        # END SOLUTION

    def forward(self, embeddings, available):
        # BEGIN SOLUTION
        # HINT: torch.where(mask[:, None], h, torch.zeros_like(h)) keeps NaN out of the sum.
        available = available.bool()
        total = 0.0
        for m, (layer, e) in enumerate(zip(self.project, embeddings)):
            mask = available[:, m:m + 1]
            h = torch.relu(layer(torch.where(mask, e, torch.zeros_like(e))))
            total = total + torch.where(mask, h, torch.zeros_like(h))
        count = available.sum(1, keepdim=True).clamp(min=1).to(total.dtype)
        return self.head(total / count).squeeze(-1)
        # END SOLUTION


# ---------------------------------------------------------------- audio-visual synchrony
def audio_envelope(samples, rate, fps, num_frames):
    """(num_frames,) float64 loudness of the audio at each video frame: the RMS of the samples within
    half a frame of the frame's time, i.e. samples ``n`` with ``(t - 0.5) rate / fps <= n < (t + 0.5) rate / fps``
    (bounds rounded down, clipped to the signal; a window with no samples gives 0).

    Centre the window on the frame: a window starting at frame t (``t rate / fps`` onwards) describes
    the sound half a frame later than the picture and biases every lag by half a frame.
    """
    # BEGIN SOLUTION
    x = np.asarray(samples, np.float64).reshape(-1)
    per_frame = rate / fps
    out = np.zeros(num_frames)
    for t in range(num_frames):
        start = max(0, int(np.floor((t - 0.5) * per_frame)))
        stop = min(len(x), int(np.floor((t + 0.5) * per_frame)))
        if stop > start:
            out[t] = np.sqrt(np.mean(x[start:stop] ** 2))
    return out
    # END SOLUTION


def lagged_correlation(envelope, mouth, max_lag):
    """(2 max_lag + 1,) Pearson correlation of ``envelope[t]`` with ``mouth[t - L]`` for L = -max_lag..max_lag.

    Lag L > 0 = the audio comes L frames *after* the lips. Each correlation uses only the overlap
    (T - |L| pairs), each side with its own mean removed; a constant side gives 0.
    """
    # BEGIN SOLUTION
    e = np.asarray(envelope, np.float64)
    m = np.asarray(mouth, np.float64)
    out = np.zeros(2 * max_lag + 1)
    for i, lag in enumerate(range(-max_lag, max_lag + 1)):
        a, b = (e[lag:], m[:len(m) - lag]) if lag >= 0 else (e[:lag], m[-lag:])
        a, b = a - a.mean(), b - b.mean()
        norm = np.sqrt((a * a).sum() * (b * b).sum())
        out[i] = (a * b).sum() / norm if norm > 0 else 0.0
    return out
    # END SOLUTION


def av_lag(envelope, mouth, max_lag=10):
    """The lag in frames (int, -max_lag..max_lag) that maximises :func:`lagged_correlation`: how many
    frames the audio lags the lips (negative = it leads). Ties go to the smallest |lag|."""
    # BEGIN SOLUTION
    corr = lagged_correlation(envelope, mouth, max_lag)
    lags = np.arange(-max_lag, max_lag + 1)
    order = np.argsort(np.abs(lags), kind="stable")
    return int(lags[order][np.argmax(corr[order])])
    # END SOLUTION


def sync_score(envelope, mouth):
    """Audio-visual sync score in [-1, 1]: the Pearson correlation of loudness and mouth opening at lag 0.

    Near 1 when the audio says what the lips show, low when it is shifted (``av_offset``) or another
    utterance (``lip_mismatch``); ``-sync_score`` is the audio modality's fake score before calibration.
    """
    # BEGIN SOLUTION
    return float(lagged_correlation(envelope, mouth, 0)[0])
    # END SOLUTION


# ---------------------------------------------------------------- the registry's fusion detector (given)
class FusionHead(nn.Module):
    """The ``fusion`` detector: raw per-modality fake-probabilities (B, M) -> (B,) fused logits.

    NaN marks a missing modality. Each available score is Platt-calibrated on its logit (``platt``
    (M, 2) buffer of (a, b)), then a stacking regression (``weights`` (2M,), ``bias`` (1,)) reads
    :func:`stacking_features`. The constructor's arguments name the modality checkpoints it was fitted
    on (recorded in its checkpoint, so ``multi_modal_detect.py --fusion`` finds them); they do not
    change the computation. Fitted in closed form by :func:`fit_fusion`.
    """

    def __init__(self, visual=None, temporal=None, frequency=None, physio=None):
        super().__init__()
        self.checkpoints = {"visual": visual, "temporal": temporal, "frequency": frequency, "physio": physio}
        m = len(MODALITIES)
        self.register_buffer("platt", torch.tensor([[1.0, 0.0]] * m, dtype=torch.float64))
        self.register_buffer("weights", torch.zeros(2 * m, dtype=torch.float64))
        self.register_buffer("bias", torch.zeros(1, dtype=torch.float64))

    def forward(self, raw):
        available = ~torch.isnan(raw)
        z = torch.logit(torch.where(available, raw, 0.5).double().clamp(EPS, 1 - EPS))
        calibrated = torch.where(available, torch.sigmoid(self.platt[:, 0] * z + self.platt[:, 1]), 0.5)
        x = stacking_features(calibrated.cpu().numpy(), available.cpu().numpy())
        return (torch.from_numpy(x).to(raw.device) @ self.weights + self.bias).float()


def fit_fusion(inputs, labels, l2=1.0, **checkpoints):
    """A fitted :class:`FusionHead` from validation videos' raw scores ``inputs`` (N, M) (NaN = missing)
    and ``labels`` (N,): :func:`platt_scale` per modality on its available rows (left as it is without
    both classes), then :func:`fit_logistic` with penalty ``l2`` on the :func:`stacking_features`."""
    raw = np.asarray(inputs, np.float64)
    labels = np.asarray(labels)
    available = ~np.isnan(raw)
    head = FusionHead(**checkpoints)
    calibrated = np.full_like(raw, 0.5)
    for m in range(raw.shape[1]):
        rows = available[:, m]
        if len(np.unique(labels[rows])) == 2:
            a, b = platt_scale(logit(raw[rows, m]), labels[rows])
            head.platt[m] = torch.tensor([a, b], dtype=torch.float64)
        a, b = head.platt[m].tolist()
        calibrated[rows, m] = sigmoid(a * logit(raw[rows, m]) + b)
    weights, bias = fit_logistic(stacking_features(calibrated, available), labels, l2=l2)
    head.weights[:] = torch.from_numpy(np.asarray(weights, np.float64))
    head.bias[:] = float(bias)
    return head.eval()
