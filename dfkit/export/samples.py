"""Real model inputs for checking and calibrating an export: face crops made by the one face path.

Synthetic clips (real / fake pairs, :func:`dfkit.synthetic.make_clips`) are cropped at their true face
boxes with the detector's margin and turned into model inputs by :func:`dfkit.drivers.inputs.video_inputs`,
exactly as ``detect_video.py`` does after tracking; a preprocessed crop folder (``python -m
dfkit.preprocess``) is read as evaluation reads it. The seeds are recorded in the export, so the same
inputs can be made again wherever the model is loaded.
"""
import torch

from dfkit import registry
from dfkit.drivers.checkpoints import record_input_spec
from dfkit.drivers.inputs import face_dataset, video_inputs
from dfkit.faces.pipeline import crop_faces

CLIP_SIZE = 128           # px, frames of the synthetic clips
VERIFY_SEED, CALIBRATION_SEED = 15, 16
VERIFY_CLIPS = 4          # 2 real + 2 fake clips
FRAMES_PER_CLIP = 4       # face crops per clip (frame detectors); clip detectors get one clip of clip_len


def synthetic_inputs(record, num_clips, seed):
    """(N, ...) float32 inputs of detector ``record`` from ``num_clips`` seeded synthetic clips."""
    from dfkit.synthetic import make_clips

    spec = record_input_spec(record)
    kind = registry.get(record["name"]).input_kind
    clips = make_clips(num_clips, seed=seed, num_frames=spec.clip_len or FRAMES_PER_CLIP, size=CLIP_SIZE)
    return torch.cat([video_inputs(kind, crops_of(clip, record["margin"]), spec)[0] for clip in clips])


def crops_of(clip, margin):
    """(T, S, S, 3) uint8 crops of a synthetic clip at its true boxes (the one face path's crop)."""
    return crop_faces(clip.frames, clip.boxes, margin)


def verification_inputs(record):
    """The inputs every export of ``record`` is checked on (and re-checked on when loaded)."""
    return synthetic_inputs(record, VERIFY_CLIPS, VERIFY_SEED)


def calibration_inputs(record, count=None, folder=None):
    """About ``count`` inputs from synthetic clips, or every item of a preprocessed crop ``folder``
    (up to ``count`` when given): (N, ...) float32."""
    if folder is None:
        per_clip = 1 if record_input_spec(record).clip_len else FRAMES_PER_CLIP
        return synthetic_inputs(record, -(-count // per_clip), CALIBRATION_SEED)[:count]
    from dfkit.data import PreprocessedFaces

    dataset = face_dataset(registry.get(record["name"]).input_kind, PreprocessedFaces(folder),
                           record_input_spec(record))
    return spread_inputs(dataset, count)


def spread_inputs(dataset, count=None):
    """The model inputs of up to ``count`` items evenly spread over a face ``dataset`` (all without ``count``):
    (N, ...) float32."""
    step = max(1, len(dataset) // count) if count else 1
    return torch.stack([dataset[i][0] for i in range(0, len(dataset), step)][:count])
