"""Benchmark: the reference Meso4 trained on synthetic blended-face clips, on CPU.

Targets: video-level AUC >= 0.95 on held-out clips (other seeds, never seen in training) and
training time <= 60 s with 2 torch threads.

    python benchmarks/bench_phase1_meso4.py [--train-videos 256] [--frames 1] [--size 256] [--epochs 18]
        [--strength 1.0] [--test-videos 64]

Clips come in real/fake pairs (:func:`dfkit.synthetic.make_clips`: a fake is its real clip with
the blend), so the only cue that separates them is the manipulation, not the identity.

Prints the set sizes, the training time (Trainer.fit only; clip generation and scoring are
timed apart) and the held-out frame- and video-level AUC / EER.
"""
import argparse
import tempfile
import time

import torch

from dfkit import registry
from dfkit.data import SyntheticFaces
from dfkit.data.augment import AUGMENTATIONS
from dfkit.drivers.inputs import face_dataset
from dfkit.drivers.train import training_loss
from dfkit.metrics import summarize
from dfkit.synthetic import make_clips
from dfkit.training import TrainConfig, Trainer


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--train-videos", type=int, default=256)
    parser.add_argument("--test-videos", type=int, default=64)
    parser.add_argument("--frames", type=int, default=1, help="frames per clip")
    parser.add_argument("--size", type=int, default=256, help="clip side (px); crops are resized to 256")
    parser.add_argument("--epochs", type=int, default=18)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--strength", type=float, default=1.0, help="artifact strength of the fakes, (0, 1]")
    parser.add_argument("--augment", choices=AUGMENTATIONS, default="none")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    spec = registry.input_spec("meso4")

    started = time.perf_counter()
    clip_args = dict(num_frames=args.frames, size=args.size, strength=args.strength)
    train_clips = make_clips(args.train_videos, seed=args.seed, **clip_args)
    test_clips = make_clips(args.test_videos, seed=args.seed + 1000, **clip_args)
    train_set = face_dataset("face_crops", SyntheticFaces(train_clips), spec, augment=args.augment)
    test_set = face_dataset("face_crops", SyntheticFaces(test_clips), spec)
    print(f"data: {len(train_clips)} training clips ({len(train_set)} crops), {len(test_clips)} held-out clips "
          f"({len(test_set)} crops), {args.size} px frames, strength {args.strength}, "
          f"made in {time.perf_counter() - started:.1f} s")

    with tempfile.TemporaryDirectory() as output:
        config = TrainConfig(epochs=args.epochs, batch_size=args.batch_size, lr=args.lr, seed=args.seed,
                             output_dir=output, arch="meso4", device="cpu", progress=False)
        torch.manual_seed(args.seed)
        trainer = Trainer(registry.build_detector("meso4"), train_set, None, config, loss=training_loss("meso4"))
        started = time.perf_counter()
        history = trainer.fit()
        train_seconds = time.perf_counter() - started
        started = time.perf_counter()
        predicted = trainer.predict(test_set)
        score_seconds = time.perf_counter() - started

    summary = summarize(predicted["labels"], predicted["scores"], predicted["video_ids"])
    losses = ", ".join(f"{record['train_loss']:.3f}" for record in history)
    print(f"training: {args.epochs} epochs, {train_seconds:.1f} s on CPU with {args.threads} threads "
          f"(target <= 60 s); loss per epoch {losses}")
    print(f"held-out: video AUC {summary['video']['auc']:.4f} (target >= 0.95), video EER "
          f"{summary['video']['eer']:.4f}, frame AUC {summary['frame']['auc']:.4f}; scored in {score_seconds:.1f} s")


if __name__ == "__main__":
    main()
