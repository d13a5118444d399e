"""Is this video a deepfake? Score one video with a trained detector of any phase and write a JSON report.

    python detect_video.py --input suspicious_video.mp4 --model runs/xception/best.pt --output report.json

The shared driver does the work (see :mod:`dfkit.drivers.detect`).
"""
import sys

from dfkit.cli import run
from dfkit.drivers.detect import main

if __name__ == "__main__":
    sys.exit(run(main))
