"""Evaluate a trained phase-5 detector on a dataset's test videos: metrics JSON and plots.

    python phase5_advanced_methods/evaluate.py --checkpoint runs/capsule/best.pt \\
        --dataset synthetic --test-data data/synthetic --output runs/capsule/eval

The shared driver does the work (see :mod:`dfkit.drivers.evaluate`).
"""
import sys

from dfkit.cli import run
from dfkit.drivers.evaluate import main

if __name__ == "__main__":
    sys.exit(run(main, prog="phase5_advanced_methods/evaluate.py"))
