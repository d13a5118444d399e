"""FaceDataset: frames, clips or whole videos with their ground truth, from any face source.

A source is a sequence of :class:`dfkit.data.FaceVideo` (:class:`dfkit.data.PreprocessedFaces`,
:class:`dfkit.data.SyntheticFaces`, or a list of their videos). ``item`` chooses the view:

* "frames": one item per face, (image (3, S, S) float in [0, 1], label, video_id);
* "clips": one item per non-overlapping window of ``clip_len`` faces, (clip (clip_len, 3, S, S), label,
  video_id); a video shorter than ``clip_len`` gives none;
* "videos": one item per video, a dict {"faces": (T, 3, S, S) float, "label", "video_id", "method",
  "frame_indices": (T,) int64, "boxes", "landmarks", "blinks", "pulse_bpm", "fps", "masks"} (truth
  arrays as tensors; see :func:`dfkit.data.make_truth`); batch them with :func:`collate_videos`.

label 1 = fake; video_id is the video's uid, for per-video scores and video-level splits.
"""
import torch
from torch.utils.data import Dataset, default_collate

from dfkit.errors import DatasetLayoutError

ITEMS = ("frames", "clips", "videos")


def clip_windows(num_frames, clip_len):
    """Start indices of the non-overlapping windows of ``clip_len`` frames in ``num_frames`` frames."""
    return list(range(0, num_frames - clip_len + 1, clip_len))


def collate_videos(items):
    """Batch "videos" items: a dict of the same keys.

    "label" becomes a (B,) int64 tensor; a tensor field is stacked to (B, ...) when every item has a
    tensor of one shape (else it stays a list, None where an item has none); other fields are lists.
    """
    batch = {}
    for key in items[0]:
        values = [item[key] for item in items]
        if key == "label":
            batch[key] = torch.tensor(values, dtype=torch.int64)
        elif all(torch.is_tensor(v) and v.shape == values[0].shape for v in values):
            batch[key] = torch.stack(values)
        else:
            batch[key] = values
    return batch


def _as_tensor(value):
    return value if value is None or torch.is_tensor(value) else torch.from_numpy(value)


class FaceDataset(Dataset):
    """Items of ``source`` by ``item`` ("frames", "clips" or "videos"; see the module docstring).

    clip_len: faces per clip (item "clips" only). transform: called on the image, clip or video faces
    tensor (e.g. :class:`dfkit.data.ModelInput`). ``labels`` and ``video_ids`` (one per item) serve
    samplers, :class:`dfkit.data.VideoSubset` and per-video scoring; ``collate`` is the DataLoader
    ``collate_fn`` for this item kind.
    """

    def __init__(self, source, item="frames", clip_len=None, transform=None):
        if item not in ITEMS:
            raise ValueError(f"item must be one of {ITEMS}, got {item!r}")
        if (item == "clips") != (clip_len is not None) or (clip_len is not None and clip_len < 1):
            raise ValueError(f"clip_len (a positive int) goes with item='clips' only; got item={item!r}, "
                             f"clip_len={clip_len!r}")
        self.source, self.item, self.transform = source, item, transform
        self.collate = collate_videos if item == "videos" else default_collate
        if item == "frames":
            spans = [(v, t, t + 1) for v, video in enumerate(source) for t in range(len(video))]
        elif item == "clips":
            spans = [(v, start, start + clip_len) for v, video in enumerate(source)
                     for start in clip_windows(len(video), clip_len)]
            if not spans:
                longest = max((len(video) for video in source), default=0)
                raise DatasetLayoutError(f"no video has {clip_len} faces (the longest has {longest}); "
                                         "preprocess with more --frames or use a shorter clip_len")
        else:
            spans = [(v, 0, len(video)) for v, video in enumerate(source)]
        self.spans = spans
        self.labels = [source[v].label for v, _, _ in spans]
        self.video_ids = [source[v].uid for v, _, _ in spans]

    def __len__(self):
        return len(self.spans)

    def __getitem__(self, index):
        position, start, stop = self.spans[index]
        video = self.source[position]
        faces = video.faces(start, stop).float() / 255
        if self.item == "frames":
            faces = faces[0]
        if self.transform is not None:
            faces = self.transform(faces)
        if self.item != "videos":
            return faces, video.label, video.uid
        truth = {key: _as_tensor(value) if key in ("boxes", "landmarks", "masks") else value
                 for key, value in video.truth.items()}
        return {"faces": faces, "label": video.label, "video_id": video.uid, "method": video.method,
                "frame_indices": torch.from_numpy(video.frame_indices), **truth}
