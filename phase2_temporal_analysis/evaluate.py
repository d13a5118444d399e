"""Evaluate a trained temporal detector on a dataset's test videos: metrics JSON and plots (one score per clip).

    python phase2_temporal_analysis/evaluate.py --checkpoint runs/lstm/best.pt \\
        --dataset faceforensics --test-data /data/ffpp --output runs/lstm/eval

The shared driver does the work (see :mod:`dfkit.drivers.evaluate`).
"""
import sys

from dfkit.cli import run
from dfkit.drivers.evaluate import main

if __name__ == "__main__":
    sys.exit(run(main, prog="phase2_temporal_analysis/evaluate.py"))
