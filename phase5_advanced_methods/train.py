"""Train a phase-5 detector (capsule_forensics, attention_cnn; fusion where registered).

    python phase5_advanced_methods/train.py --dataset synthetic --data-root data/synthetic \\
        --model capsule_forensics --epochs 5 --output runs/capsule
    python phase5_advanced_methods/train.py --dataset faceforensics --data-root /data/ffpp \\
        --model capsule_forensics --pretrained /weights/vgg19.pth --epochs 20 --output runs/capsule

The shared driver does the work (see :mod:`dfkit.drivers.train`); this phase offers its own detectors.
"""
import sys

from dfkit.cli import run
from dfkit.drivers.train import main

if __name__ == "__main__":
    sys.exit(run(main, phase="phase5_advanced_methods", prog="phase5_advanced_methods/train.py"))
