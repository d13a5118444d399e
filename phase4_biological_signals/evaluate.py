"""Evaluate a fitted physiological detector on a dataset's test videos: metrics JSON and plots.

    python phase4_biological_signals/evaluate.py --checkpoint runs/physio/best.pt \\
        --dataset synthetic --test-data data/physio --output runs/physio/eval

The shared driver does the work (see :mod:`dfkit.drivers.evaluate`).
"""
import sys

from dfkit.cli import run
from dfkit.drivers.evaluate import main

if __name__ == "__main__":
    sys.exit(run(main, prog="phase4_biological_signals/evaluate.py"))
