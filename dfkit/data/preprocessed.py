"""Face source over a preprocessed folder (the output of ``python -m dfkit.preprocess``).

Each "ok" manifest line becomes a :class:`dfkit.data.FaceVideo`: uid "<method>/<video_id>" (unique
even where a dataset reuses names across methods, as FaceForensics++ does), label, the sampled frame
indices and, read when asked, the crop PNGs and the ground truth:

* boxes: the manifest's (the boxes the crops were cut at);
* a synthetic video (``python -m dfkit.synthetic``) keeps its generator's truth beside the video:
  ``<video>.json`` (landmarks, blinks, pulse_bpm, fps) and, for a fake, ``<video>_masks.npz``; these
  give landmarks and masks at the sampled frames (a real synthetic video's masks are zeros), blinks,
  pulse_bpm and fps;
* any other video: landmarks from ``landmarks/<method>/<video_id>.npy`` when preprocessed with
  ``--landmarks`` (predicted, not ground truth), everything else None.
"""
import json
import zipfile
from functools import partial
from pathlib import Path

import cv2
import numpy as np
import torch

from dfkit.data.face_video import FaceVideo, make_truth
from dfkit.errors import DatasetLayoutError
from dfkit.preprocess import read_manifest
from dfkit.synthetic.dataset_writer import sidecar_paths


def load_crop(path):
    """A crop PNG as (H, W, 3) uint8 RGB; DatasetLayoutError if it is missing or unreadable."""
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if image is None:
        raise DatasetLayoutError(f"face crop missing or unreadable: {path} (rerun python -m dfkit.preprocess)")
    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)


class PreprocessedFaces:
    """The videos of a preprocessed folder: a sequence of :class:`dfkit.data.FaceVideo`.

    split: keep only "train" / "val" / "test"; methods: keep only these methods ("real" for pristine).
    DatasetLayoutError when no video is left. Crops and truth are read when an item asks for them.
    """

    def __init__(self, out_dir, split=None, methods=None):
        self.out_dir = Path(out_dir)
        entries = [e for e in read_manifest(out_dir, status="ok")
                   if (split is None or e["split"] == split) and (methods is None or e["method"] in methods)]
        if not entries:
            raise DatasetLayoutError(
                f"no preprocessed videos under {out_dir} for split={split!r}, methods={methods!r}")
        self.videos = [FaceVideo(e["uid"], int(e["label"]), e["method"], np.asarray(e["frames"], dtype=np.int64),
                                 partial(self._read_faces, e["crops"]), partial(self._read_truth, e))
                       for e in entries]

    def __len__(self):
        return len(self.videos)

    def __getitem__(self, index):
        return self.videos[index]

    def _read_faces(self, crops, frames):
        """(n, 3, S, S) uint8 of the crops ``crops[frames]``."""
        images = np.stack([load_crop(self.out_dir / crop) for crop in crops[frames]])
        return torch.from_numpy(images).permute(0, 3, 1, 2)

    def _read_truth(self, entry):
        """The truth of one manifest entry (see the module docstring)."""
        sidecar, masks_file = sidecar_paths(entry["path"])
        if not sidecar.exists():
            predicted = entry.get("landmarks")
            return make_truth(entry["boxes"], None if predicted is None else np.load(self.out_dir / predicted))
        frames = np.asarray(entry["frames"], dtype=np.int64)
        try:
            data = json.loads(sidecar.read_text())
            landmarks = np.asarray(data["landmarks"], dtype=np.float32)[frames]
            if masks_file.exists():
                with np.load(masks_file) as archive:
                    masks = archive["masks"][frames]
            else:
                masks = np.zeros((len(frames), *data["size"]), np.uint8) if data["label"] == 0 else None
            return make_truth(entry["boxes"], landmarks, data["blinks"], data["pulse_bpm"], data["fps"], masks)
        except (OSError, ValueError, KeyError, IndexError, zipfile.BadZipFile) as err:
            raise DatasetLayoutError(f"unreadable synthetic truth {sidecar} (or {masks_file.name}) for "
                                     f"{entry['uid']}: {type(err).__name__}: {err}") from None
