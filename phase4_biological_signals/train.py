"""Fit a phase-4 physiological detector (physio_logreg, physio_gbm) on blink, pulse and head-pose features.

    python phase4_biological_signals/train.py --model physio_logreg --output runs/physio \\
        [--num-videos 48 --clip-size 128 --frames-per-video 200]          # in-memory synthetic clips
    python phase4_biological_signals/train.py --dataset synthetic --data-root data/physio \\
        --model physio_gbm --output runs/physio_gbm

Each video's consecutive frames (at least 5 s) give one feature vector; the detector is fitted in one
pass (no epochs). The shared driver does the work (see :mod:`dfkit.drivers.train`).
"""
import sys

from dfkit.cli import run
from dfkit.drivers.train import main

if __name__ == "__main__":
    sys.exit(run(main, phase="phase4_biological_signals", prog="phase4_biological_signals/train.py"))
