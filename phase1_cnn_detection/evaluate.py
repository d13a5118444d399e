"""Evaluate a trained detector on a dataset's test videos: metrics JSON and plots.

    python phase1_cnn_detection/evaluate.py --checkpoint runs/xception/best.pt \\
        --dataset celebdf --test-data /data/Celeb-DF-v2 --output runs/xception/eval_celebdf

The shared driver does the work (see :mod:`dfkit.drivers.evaluate`).
"""
import sys

from dfkit.cli import run
from dfkit.drivers.evaluate import main

if __name__ == "__main__":
    sys.exit(run(main, prog="phase1_cnn_detection/evaluate.py"))
