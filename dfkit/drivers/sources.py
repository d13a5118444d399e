"""Where the drivers' faces come from: a dataset's videos cropped once into a cache, or synthetic clips in memory."""
import sys

import numpy as np

from dfkit.errors import DatasetLayoutError


def cache_faces(records, faces_dir, dataset, frames, detector=None, device=None, progress=None, compression="c23",
                perturb=None):
    """Crop the faces of ``records`` into ``faces_dir`` with the one face path (resumable: done videos are skipped).

    detector: "groundtruth" (synthetic sidecar boxes) or "mtcnn"; None picks groundtruth for the
    synthetic dataset and MTCNN otherwise. perturb: a ``"name:level"`` of :mod:`dfkit.perturb` applied to
    the decoded frames before the faces are located. Under torchrun each rank crops its share of the videos.
    """
    from dfkit.preprocess import PreprocessOptions, preprocess_records
    from dfkit.training import distributed

    if detector is None:
        detector = "groundtruth" if dataset == "synthetic" else "mtcnn"
    options = PreprocessOptions(frames=frames, detector=detector, compression=compression, device=device,
                                perturb=perturb)
    summary = preprocess_records(records, faces_dir, options, dataset=dataset,
                                 shard=(distributed.rank(), distributed.world_size()), progress=progress)
    distributed.barrier()
    return summary


def evaluation_records(dataset, root, methods, compression="c23"):
    """The dataset's "test" videos when it defines that split, else all of them (with a note)."""
    from dfkit.datasets import load_records

    records = load_records(dataset, root, methods=methods, compression=compression)
    tested = [r for r in records if r.split == "test"]
    if not tested:
        print(f"note: {root} has no test split; evaluating on all {len(records)} videos", file=sys.stderr)
    return tested or records


def video_methods(video_ids):
    """Manipulation name per item from "<method>/<video>" ids (real videos: "real")."""
    return [str(v).split("/", 1)[0] for v in video_ids]


def check_both_classes(labels, what):
    """DatasetLayoutError unless ``labels`` hold real (0) and fake (1) items."""
    labels = np.asarray(labels)
    if not ((labels == 0).any() and (labels == 1).any()):
        raise DatasetLayoutError(f"{what} needs real and fake videos; it has {int((labels == 0).sum())} real "
                                 f"and {int((labels == 1).sum())} fake items")
