"""Train a phase-3 frequency detector (spectrum_logreg, spectrum_svm, dct_cnn, fad_cnn).

    python phase3_frequency_analysis/train.py --dataset synthetic --data-root data/synthetic \\
        --model spectrum_logreg --epochs 5 --augment none --output runs/fft
    python phase3_frequency_analysis/train.py --dataset faceforensics --data-root /data/ffpp \\
        --model dct_cnn --epochs 20 --output runs/dct

Augmentations that resize, blur or re-compress (``--augment light|medium``) erase the very
frequencies these detectors read: train with ``--augment none`` unless you study robustness.
The shared driver does the work (see :mod:`dfkit.drivers.train`); this phase offers its own detectors.
"""
import sys

from dfkit.cli import run
from dfkit.drivers.train import main

if __name__ == "__main__":
    sys.exit(run(main, phase="phase3_frequency_analysis", prog="phase3_frequency_analysis/train.py"))
