"""Phase 5 multi-modal fusion: single modalities vs their fusion on a mixed fake set, lip-sync lag, speed.

1. Mixed synthetic test set (blend, flicker, upsample, no_pulse, no_blink, pose_mismatch, av_offset; all speak):
   one cheap cue score per modality (``phase5_advanced_methods/modality_cues.py``), each blind to the
   others' cues. Each one's video AUC on the test set vs the fusion (Platt + stacking, the registry's
   ``fusion`` detector's ``fit_fusion``) fitted on a validation set of other seeds.
2. Audio-visual lag: the exercise's ``av_lag`` on ``av_offset`` clips written to H.264 + AAC and read
   back, with the mouth opening from the true landmarks and from the pixels (the driver's ``mouth_opening``).
3. Speed: ``multi_modal_detect.py`` (decode + face tracking once) vs the three ``detect_video.py`` runs one
   after another, on a 10 s 256 px clip with three untrained checkpoints (meso4, lstm, dct_cnn).

    python benchmarks/bench_phase5_fusion.py [--pairs 8] [--skip-speed]
"""
import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from sklearn.metrics import roc_auc_score

sys.path.insert(0, str(Path(__file__).resolve().parent))
from machine import machine  # noqa: E402

from dfkit.curriculum import load  # noqa: E402
from dfkit.drivers.multi_modal import fuse, mouth_opening  # noqa: E402
from dfkit.faces.pipeline import crop_faces  # noqa: E402
from dfkit.synthetic import make_clip  # noqa: E402
from phase5_advanced_methods.modality_cues import FAKES, mixed_set, squash  # noqa: E402

mm = load("phase5_advanced_methods.template_multi_modal")


def fusion_figures(pairs, num_frames, size):
    started = time.perf_counter()
    val_raw, val_y, _ = mixed_set(pairs, 1, num_frames, size)
    test_raw, test_y, test_m = mixed_set(pairs, 2, num_frames, size)
    generation = time.perf_counter() - started
    val_p, test_p = squash(val_raw, val_raw), squash(test_raw, val_raw)
    fusion = mm.fit_fusion(val_p, val_y)
    fused = fuse(test_p, fusion)
    late = fuse(test_p, None)
    print(f"mixed set: {pairs} real + {pairs * len(FAKES)} fake clips each for validation and test "
          f"({num_frames} frames, {size} px, speaking), scored in {generation:.1f} s")
    print("video AUC on the test set (each fake kind vs all reals in brackets):")
    for m, name in enumerate(mm.MODALITIES):
        per = " ".join(f"{f}={roc_auc_score(np.r_[np.zeros((test_m == 'real').sum()), np.ones((test_m == f).sum())], np.r_[test_p[test_m == 'real', m], test_p[test_m == f, m]]):.2f}" for f in FAKES)
        print(f"  {name:9s} {roc_auc_score(test_y, test_p[:, m]):.3f}  ({per})")
    print(f"  late fusion (equal weights, uncalibrated) {roc_auc_score(test_y, late):.3f}")
    print(f"  fusion (Platt + stacking fitted on validation) {roc_auc_score(test_y, fused):.3f}")
    silent = test_p.copy()
    silent[:, -1] = np.nan
    print(f"  same fusion with the audio masked out (as for silent videos) {roc_auc_score(test_y, fuse(silent, fusion)):.3f}")


def lag_figures(clips, num_frames, size):
    from dfkit.video import read_audio, read_frames, write_video

    hits_truth = hits_pixels = 0
    with tempfile.TemporaryDirectory() as folder:
        for seed in range(clips):
            clip = make_clip(seed=seed, num_frames=num_frames, size=size, fake=True, manipulations=("av_offset",))
            path = write_video(Path(folder) / f"{seed}.mp4", clip.frames, clip.fps, audio=(clip.audio, clip.audio_rate))
            frames, _ = read_frames(path)
            samples, rate = read_audio(path)
            envelope = mm.audio_envelope(samples, rate, clip.fps, num_frames)
            hits_truth += mm.av_lag(envelope, clip.mouth_open, 10) == clip.av_offset
            pixels = mouth_opening(crop_faces(frames, clip.boxes))
            hits_pixels += mm.av_lag(envelope, pixels, 10) == clip.av_offset
    print(f"AV lag on {clips} av_offset clips after H.264 + AAC ({num_frames} frames, {size} px, offsets 3-8 frames): "
          f"exact {hits_truth}/{clips} with the true mouth opening, {hits_pixels}/{clips} with the mouth read "
          f"from the decoded pixels")


def speed_figures(repeats):
    from dfkit.drivers import detect, multi_modal
    from dfkit.registry import build_detector
    from dfkit.training import save_checkpoint
    from dfkit.video import write_video

    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        clip = make_clip(photo="astronaut", size=(256, 256), num_frames=250, seed=0, speech=True)
        video = write_video(folder / "talk.mp4", clip.frames, 25, audio=(clip.audio, clip.audio_rate))
        torch.manual_seed(0)
        models = {}
        for modality, name in (("visual", "meso4"), ("temporal", "lstm"), ("frequency", "dct_cnn")):
            models[modality] = folder / f"{name}.pt"
            save_checkpoint(models[modality], build_detector(name), arch=name)
        common = ["--input", str(video), "--frames", "32", "--device", "cpu"]
        separate, together = [], []
        for _ in range(repeats):  # alternate, so a busy spell on the shared machine hits both
            started = time.perf_counter()
            for modality, path in models.items():
                detect.main(common + ["--model", str(path), "--output", str(folder / f"{modality}.json")])
            separate.append(time.perf_counter() - started)
            started = time.perf_counter()
            multi_modal.main(common + ["--output", str(folder / "fused.json")]
                             + [a for m, p in models.items() for a in (f"--{m}-model", str(p))])
            together.append(time.perf_counter() - started)
    print(f"10 s 256 px clip, 32 frames (best of {repeats}): multi_modal_detect {min(together):.1f} s "
          f"(3 detectors + audio) vs three detect_video runs {min(separate):.1f} s: "
          f"{min(separate) / min(together):.1f}x")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=8)
    parser.add_argument("--frames", type=int, default=100)
    parser.add_argument("--size", type=int, default=64)
    parser.add_argument("--skip-speed", action="store_true")
    parser.add_argument("--repeats", type=int, default=2, help="speed runs (best of)")
    args = parser.parse_args()
    print(machine())
    fusion_figures(args.pairs, args.frames, args.size)
    lag_figures(40, 48, 96)
    if not args.skip_speed:
        speed_figures(args.repeats)


if __name__ == "__main__":
    main()
