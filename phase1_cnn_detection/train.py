"""Train a phase-1 frame-level deepfake detector (Xception, EfficientNet-B4, Meso4, MesoInception4).

    python phase1_cnn_detection/train.py --dataset synthetic --model meso4 --epochs 4 --output runs/meso4
    python phase1_cnn_detection/train.py --dataset faceforensics --data-root /data/ffpp \\
        --model xceptionnet --pretrained imagenet --epochs 30 --batch-size 32 --output runs/xception
    torchrun --nproc_per_node 4 phase1_cnn_detection/train.py ...   # several GPUs (global --batch-size)

The shared driver does the work (see :mod:`dfkit.drivers.train`); this phase offers its own detectors.
"""
import sys

from dfkit.cli import run
from dfkit.drivers.train import main

if __name__ == "__main__":
    sys.exit(run(main, phase="phase1_cnn_detection", prog="phase1_cnn_detection/train.py"))
