"""Write synthetic clips in the FaceForensics++ folder layout, so the real loaders read them.

::

    <out>/original_sequences/youtube/c23/videos/000.mp4 + 000.json
    <out>/manipulated_sequences/<Method>/c23/videos/000_001.mp4 + 000_001.json + 000_001_masks.npz
    <out>/splits/train.json, val.json, test.json   # [[target_id, source_id], ...] as in FF++

As in FF++, the videos are grouped in disjoint pairs ``[a, b]`` (consecutive entries of a seeded
permutation): each pair has the two fakes ``a_b`` (target ``a``, foreign identity blended in from
``b``) and ``b_a``, and a split holds whole pairs, both reals and both fakes. A fake shares its
target's base clip (same seed). With an odd count the video left over is paired with itself
(``[v, v]``, one fake ``v_v`` whose foreign identity is drawn from its own seed), so every video is
still the target of exactly one fake per manipulation. Pairs go ~70/15/15 to train/val/test, with
at least one pair in val and in test from 6 videos on.
"""
from pathlib import Path

import numpy as np
from tqdm import tqdm

from dfkit.atomic import atomic_path, write_json
from dfkit.synthetic.clip import make_clip
from dfkit.synthetic.manipulations import REGISTRY
from dfkit.video import write_video

SPLIT_FRACTIONS = {"val": 0.15, "test": 0.15}  # the rest is train


def compression_folder(crf):
    """FF++ compression folder for a CRF: 0 -> "raw", otherwise "c<crf>" (c23, c40)."""
    return "raw" if int(crf) == 0 else f"c{int(crf)}"


def video_seed(seed, index):
    """Seed of real video ``index`` in a dataset of base ``seed``."""
    return int(np.random.SeedSequence([int(seed), 4, int(index)]).generate_state(1)[0] >> 1)


def video_pairs(num_videos, seed):
    """Disjoint [target, source] id pairs covering every video once, deterministic in ``seed``.

    Consecutive entries of a seeded permutation; an odd video out is paired with itself.
    """
    order = np.random.default_rng(np.random.SeedSequence([int(seed), 5])).permutation(num_videos).tolist()
    if num_videos % 2:
        order.append(order[-1])
    return [[f"{a:03d}", f"{b:03d}"] for a, b in zip(order[0::2], order[1::2])]


def split_pairs(num_videos, seed):
    """{"train", "val", "test"}: lists of [target, source] pairs from :func:`video_pairs`, ~70/15/15 by pair.

    From 3 pairs (6 videos) on, val and test hold at least one pair each; with 2 pairs, test holds one.
    """
    pairs = video_pairs(num_videos, seed)
    n = len(pairs)
    n_test = max(1 if n >= 2 else 0, int(round(SPLIT_FRACTIONS["test"] * n)))
    n_val = max(1 if n >= 3 else 0, int(round(SPLIT_FRACTIONS["val"] * n)))
    test, val, train = pairs[:n_test], pairs[n_test:n_test + n_val], pairs[n_test + n_val:]
    return {"train": sorted(train), "val": sorted(val), "test": sorted(test)}


def fake_jobs(num_videos, seed):
    """(target, source) index of every fake: both directions of each pair of :func:`video_pairs`."""
    jobs = set()
    for a, b in video_pairs(num_videos, seed):
        jobs |= {(int(a), int(b)), (int(b), int(a))}
    return sorted(jobs)


def sidecar_paths(video):
    """The ground-truth files beside a written ``video``: (``<video>.json``, ``<video>_masks.npz``)."""
    video = Path(video)
    return video.with_suffix(".json"), video.with_name(f"{video.stem}_masks.npz")


def _write_masks(path, masks):
    with atomic_path(path) as tmp, open(tmp, "wb") as handle:
        np.savez_compressed(handle, masks=np.rint(masks * 255).astype(np.uint8))


def write_dataset(out_dir, num_videos, num_frames=32, size=128, seed=0, crfs=(23,), manipulations=None,
                  fps=25.0, photo=None, strength=1.0, progress=True, speech=False, head_pose_deg=None):
    """Write ``num_videos`` real videos and one fake per (target video, manipulation); return the .mp4 Paths.

    ``manipulations`` defaults to every registered one (:data:`.manipulations.REGISTRY`), each in
    its method folder; without ``speech``, only those that need no audio. ``crfs`` are H.264 CRFs,
    one compression folder each. Sizes must be even. ``speech=True``: every clip, real or fake, has a
    moving mouth and an AAC audio track (``mouth_open`` and ``av_offset`` in its sidecar).
    ``head_pose_deg``: every head turns in 3-D within +- this many degrees (:func:`.clip.make_clip`).
    """
    out_dir = Path(out_dir)
    manipulations = (tuple(manipulations) if manipulations
                     else tuple(name for name, m in REGISTRY.items() if speech or not m.audio))
    unknown = [m for m in manipulations if m not in REGISTRY]
    if unknown:
        raise ValueError(f"unknown manipulations {unknown}; expected some of {tuple(REGISTRY)}")
    needs_audio = [m for m in manipulations if REGISTRY[m].audio]
    if needs_audio and not speech:
        raise ValueError(f"manipulations {needs_audio} change the audio; they need speech=True (--speech)")
    if num_videos < 1:
        raise ValueError(f"num_videos must be >= 1, got {num_videos}")
    h, w = (size, size) if np.isscalar(size) else tuple(size)
    if h % 2 or w % 2:
        raise ValueError(f"H.264 yuv420p needs an even frame size, got {h}x{w}")
    fakes = fake_jobs(num_videos, seed)
    jobs = [(i, None, None) for i in range(num_videos)] + [(i, j, m) for m in manipulations for i, j in fakes]
    written = []
    for index, source, manipulation in tqdm(jobs, desc="synthetic videos", disable=not progress, unit="video"):
        common = dict(seed=video_seed(seed, index), num_frames=num_frames, size=(h, w), fps=fps, photo=photo,
                      speech=speech, head_pose_deg=head_pose_deg)
        if manipulation is None:
            clip = make_clip(**common)
            folder, name = out_dir / "original_sequences" / "youtube", f"{index:03d}"
        else:
            clip = make_clip(**common, fake=True, manipulations=(manipulation,), strength=strength,
                             source_seed=video_seed(seed, source))
            folder = out_dir / "manipulated_sequences" / REGISTRY[manipulation].method
            name = f"{index:03d}_{source:03d}"
        for crf in crfs:
            video = folder / compression_folder(crf) / "videos" / f"{name}.mp4"
            audio = None if clip.audio is None else (clip.audio, clip.audio_rate)
            written.append(write_video(video, clip.frames, fps, crf=crf, audio=audio))
            sidecar, masks = sidecar_paths(video)
            write_json(sidecar, clip.sidecar())
            if clip.label == 1:
                _write_masks(masks, clip.masks)
    for name, pairs in split_pairs(num_videos, seed).items():
        write_json(out_dir / "splits" / f"{name}.json", pairs)
    return written
