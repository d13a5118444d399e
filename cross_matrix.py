"""Train on each source, test on every target: a cross-manipulation or cross-dataset AUC matrix (JSON + heat map).

    python cross_matrix.py --dataset synthetic --data-root data/synthetic --methods BlendSwap Flicker Upsample \\
        --model meso4 --epochs 4 --output runs/cross
    python cross_matrix.py --sets ffpp=faceforensics:/data/FF++ celebdf=celebdf:/data/Celeb-DF-v2 \\
        --model xceptionnet --checkpoint ffpp=runs/xception/best.pt --output runs/cross_dataset

The shared driver does the work (see :mod:`dfkit.drivers.cross`), through the train and evaluate drivers.
"""
import sys

from dfkit.cli import run
from dfkit.drivers.cross import main

if __name__ == "__main__":
    sys.exit(run(main))
