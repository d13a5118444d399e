"""Collect scores batch by batch (and across DDP ranks), then summarise once.

Only the scores (float32), labels and optional video ids / method names are kept, never the
inputs, so memory is a few bytes per frame.
"""
import numpy as np
import torch
import torch.distributed as dist

from dfkit.metrics.scores import summarize


def _to_numpy(values, dtype):
    if isinstance(values, torch.Tensor):
        values = values.detach().to("cpu")
    return np.asarray(values, dtype=dtype).reshape(-1)


class ScoreAccumulator:
    """Streaming store of per-frame scores for :func:`dfkit.metrics.summarize`.

    Either every update passes ``video_ids`` (resp. ``methods``) or none does.
    """

    def __init__(self):
        self._scores, self._labels, self._video_ids, self._methods = [], [], [], []

    def __len__(self):
        return sum(len(s) for s in self._scores)

    def update(self, scores, labels, video_ids=None, methods=None):
        """Add one batch: scores (B,) probabilities, labels (B,) 0/1, optional ids/methods (B,)."""
        scores = _to_numpy(scores, np.float32)
        labels = _to_numpy(labels, np.int64)
        if scores.size != labels.size:
            raise ValueError(f"batch has {scores.size} scores but {labels.size} labels")
        self._append_optional(self._video_ids, video_ids, scores.size, "video_ids")
        self._append_optional(self._methods, methods, scores.size, "methods")
        self._scores.append(scores)
        self._labels.append(labels)

    def _append_optional(self, store, values, size, name):
        if self._scores and (values is None) != (not store):
            raise ValueError(f"{name} must be given on every update or on none")
        if values is None:
            return
        values = [str(v) for v in values]
        if len(values) != size:
            raise ValueError(f"batch has {size} scores but {len(values)} {name}")
        store.append(values)

    def arrays(self):
        """Return ``(scores float32 (N,), labels int64 (N,), video_ids list|None, methods list|None)``."""
        scores = np.concatenate(self._scores) if self._scores else np.zeros(0, np.float32)
        labels = np.concatenate(self._labels) if self._labels else np.zeros(0, np.int64)
        video_ids = sum(self._video_ids, []) if self._video_ids else None
        methods = sum(self._methods, []) if self._methods else None
        return scores, labels, video_ids, methods

    def compute(self, threshold=0.5, how="mean"):
        """The :func:`dfkit.metrics.summarize` dict of everything accumulated so far."""
        scores, labels, video_ids, methods = self.arrays()
        return summarize(labels, scores, video_ids, methods, threshold=threshold, how=how)

    def gather(self):
        """Return a new accumulator holding every rank's data, rank 0's first.

        Without an initialised process group (or with one process) it returns a copy of this one.
        Every rank must call it (it is a collective).
        """
        local = self.arrays()
        if dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1:
            parts = [None] * dist.get_world_size()
            dist.all_gather_object(parts, local)
        else:
            parts = [local]
        merged = ScoreAccumulator()
        for scores, labels, video_ids, methods in parts:
            if scores.size:
                merged.update(scores, labels, video_ids, methods)
        return merged
