"""Evaluate a trained frequency detector on a dataset's test videos: metrics JSON and plots.

    python phase3_frequency_analysis/evaluate.py --checkpoint runs/fft/best.pt \\
        --dataset synthetic --test-data data/synthetic --output runs/fft/eval

The shared driver does the work (see :mod:`dfkit.drivers.evaluate`).
"""
import sys

from dfkit.cli import run
from dfkit.drivers.evaluate import main

if __name__ == "__main__":
    sys.exit(run(main, prog="phase3_frequency_analysis/evaluate.py"))
