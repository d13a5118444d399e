"""Cheap per-modality cue scores of synthetic clips, for the phase 5 notebook and fusion benchmark (given code).

Each scorer reads one cue with an earlier phase's idea and is blind to the others: visual (fine texture:
a generated or re-sampled face is smoother), temporal (frame-to-frame change of the face crop: flicker), frequency
(phase 3's up-sampling peak), physio (the largest of three phase 4 cues - no blink: the smallest eye
aspect ratio of the true landmarks over its median; no pulse: 1 - the pulse band's share of the
cheek's green trace, phase 2's temporal spectrum; pose mismatch: phase 4's ``pose_inconsistency`` of
the true landmarks, in tens of degrees) and audio (1 - the phase 5 sync score, the mouth read from the pixels). On a mixed set each
catches its own fakes only, which is what fusion is for.
"""
import cv2
import numpy as np
import torch

from dfkit.curriculum import load
from dfkit.drivers.multi_modal import mouth_opening
from dfkit.faces.pipeline import crop_faces
from dfkit.synthetic import make_clip

VISUAL_SIZE = 48  # px of the crops the texture cue reads
FAKES = ("blend", "flicker", "upsample", "no_pulse", "no_blink", "pose_mismatch", "av_offset")


def _modules():
    return (load("phase5_advanced_methods.template_multi_modal"), load("phase3_frequency_analysis.template_fft_analysis"),
            load("phase2_temporal_analysis.template_temporal_features"),
            load("phase4_biological_signals.template_face_consistency"),
            load("phase4_biological_signals.template_blink_detection"))


def modality_scores(clip):
    """Raw fake-scores (5,) of one speaking clip, in MODALITIES order; larger = more fake."""
    mm, fft, temporal, consistency, blinks = _modules()
    crops = crop_faces(clip.frames, clip.boxes, size=128).astype(np.float32)
    small = crop_faces(clip.frames, clip.boxes, size=VISUAL_SIZE)  # about the face's own size in 64 px clips
    # Eyes and nose (inside the swap region, above the sharp painted mouth), 2x2 box-filtered so that an
    # up-sampling checkerboard (the frequency modality's cue) does not pass for texture.
    face = np.stack([cv2.blur(f, (2, 2)) for f in small]).astype(np.float32)[:, 16:27, 13:35]
    visual = -float(np.abs(np.diff(face, axis=2)).mean())  # fine texture: a generated face is smoother
    temporal_change = float(np.median(np.abs(np.diff(crops, axis=0)).mean((1, 2, 3))))
    images = torch.from_numpy(clip.frames).permute(0, 3, 1, 2).float() / 255  # natural size: no resampling
    frequency = float(fft.upsampling_peak(images).mean())
    cheek = crops[:, 70:83, 38:58, 1].astype(np.float64).mean((1, 2))  # green channel below the eye
    freqs, power = temporal.temporal_spectrum(cheek, clip.fps)
    pulse_share = power[(freqs >= 0.9) & (freqs <= 1.7)].max() / (power[(freqs >= 0.6) & (freqs <= 5)].sum() + 1e-12)
    openness = blinks.ear_series(clip.landmarks)
    no_blink = openness.min() / np.median(openness)  # about 0.1-0.3 with a blink, 1 without
    height, width = clip.frames.shape[1:3]
    pose_gap = np.mean(consistency.pose_inconsistency(clip.landmarks, consistency.camera_matrix(width, height)))
    physio = max(float(no_blink), float(1 - pulse_share), float(pose_gap / 10))
    envelope = mm.audio_envelope(clip.audio, clip.audio_rate, clip.fps, len(clip.frames))
    audio = 1 - mm.sync_score(envelope, mouth_opening(crop_faces(clip.frames, clip.boxes)))
    return np.array([visual, temporal_change, frequency, physio, audio])


def mixed_set(pairs, seed, num_frames=100, size=64):
    """(scores (N, 5), labels (N,), methods) of ``pairs`` real speaking clips and one fake of each kind of
    :data:`FAKES` per pair (same seed as its real twin); 100 frames = 4 s, enough for a pulse."""
    rows, labels, methods = [], [], []
    for p in range(pairs):
        base = seed * 1000 + p
        common = dict(num_frames=num_frames, size=size, speech=True)
        rows.append(modality_scores(make_clip(seed=base, **common)))
        labels.append(0)
        methods.append("real")
        for fake in FAKES:
            rows.append(modality_scores(make_clip(seed=base, fake=True, manipulations=(fake,), **common)))
            labels.append(1)
            methods.append(fake)
    return np.array(rows), np.array(labels), np.array(methods)


def squash(raw, reference):
    """Raw scores -> (0, 1) by the validation set's per-modality mean / std (a fixed squashing, before Platt)."""
    mean, std = reference.mean(0), reference.std(0) + 1e-12
    return 1 / (1 + np.exp(-(raw - mean) / std))
