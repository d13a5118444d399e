"""Train a phase-2 temporal deepfake detector (CNN + LSTM / GRU) on clips of face crops.

    python phase2_temporal_analysis/train.py --model lstm --clip-len 8 --epochs 5 --output runs/lstm
    python phase2_temporal_analysis/train.py --dataset faceforensics --data-root /data/ffpp --model gru \\
        --clip-len 16 --frames-per-video 32 --model-arg bidirectional=true --output runs/gru

The shared driver does the work (see :mod:`dfkit.drivers.train`); this phase offers its own detectors.
"""
import sys

from dfkit.cli import run
from dfkit.drivers.train import main

if __name__ == "__main__":
    sys.exit(run(main, phase="phase2_temporal_analysis", prog="phase2_temporal_analysis/train.py"))
