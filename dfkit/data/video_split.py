"""Video-level train/val splits that never put a real video and its fakes on different sides.

A frame-level or per-video random split leaks identities: the fake ``000_003`` shows the face of
real video ``000`` and the background of ``003``. Grouping follows the id conventions of dfkit's
datasets (ids are "<method>/<name>"):

* in-memory synthetic clips (``dfkit.synthetic.make_clips``): names "0000", "0001", ... where clip
  2k is real and 2k+1 its fake, so the group is ``position // 2``;
* FaceForensics++ names "<a>" (real) and "<a>_<b>" (fake of target a with source b): a, b and every
  fake that mentions either form one group (connected components);
* any other name (Celeb-DF, DFDC, folders) is its own group.
"""
import numpy as np
from torch.utils.data import Dataset, default_collate


def video_groups(video_ids):
    """{video id: group key}; videos with the same key must land in the same split."""
    names = {v: str(v).split("/", 1)[-1] for v in video_ids}
    if names and all(len(n) == 4 and n.isdigit() for n in names.values()):
        return {v: int(n) // 2 for v, n in names.items()}
    parent = {}

    def root(token):
        while parent.setdefault(token, token) != token:
            token = parent[token]
        return token

    for v, name in names.items():
        parts = name.split("__")[0].split("_")
        parts = parts if all(p.isdigit() for p in parts) else [name]
        names[v] = parts
        for other in parts[1:]:
            a, b = sorted((root(other), root(parts[0])))
            parent[b] = a               # the smallest id is the root: keys do not depend on order
    return {v: root(parts[0]) for v, parts in names.items()}


def split_videos(video_ids, labels, val_fraction, seed):
    """Seeded video-level split ``(sorted train ids, sorted val ids)`` over :func:`video_groups`.

    video_ids, labels: one entry per item (repeats allowed; a video's label is its last one).
    Groups are shuffled separately by label mix (real+fake, real only, fake only) and about
    ``val_fraction`` of each mix goes to val, at least one group when the mix has two or more.
    """
    label_of = dict(zip(video_ids, labels))
    groups = {}
    for video, key in sorted(video_groups(label_of).items()):
        groups.setdefault(key, []).append(video)
    rng = np.random.default_rng(seed)
    train, val = [], []
    for mix in ((0, 1), (0,), (1,)):
        keys = sorted((k for k, vs in groups.items() if tuple(sorted({label_of[v] for v in vs})) == mix), key=str)
        rng.shuffle(keys)
        n_val = max(1, round(len(keys) * val_fraction)) if len(keys) > 1 else 0
        val += [v for k in keys[:n_val] for v in groups[k]]
        train += [v for k in keys[n_val:] for v in groups[k]]
    return sorted(train), sorted(val)


class VideoSubset(Dataset):
    """The items of ``dataset`` whose video id is in ``video_ids`` (keeps ``labels``, ``video_ids``, ``collate``)."""

    def __init__(self, dataset, video_ids):
        keep = set(video_ids)
        self.dataset = dataset
        self.collate = getattr(dataset, "collate", default_collate)
        self.indices = [i for i, vid in enumerate(dataset.video_ids) if vid in keep]
        self.labels = [dataset.labels[i] for i in self.indices]
        self.video_ids = [dataset.video_ids[i] for i in self.indices]

    def __len__(self):
        return len(self.indices)

    def __getitem__(self, index):
        return self.dataset[self.indices[index]]
