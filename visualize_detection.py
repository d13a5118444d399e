"""Draw a detect_video.py report onto its video: score-coloured face boxes, a score timeline, the verdict.

    python visualize_detection.py --video suspicious_video.mp4 --predictions report.json \
        --output annotated.mp4 [--summary sheet.png] [--heatmap --model runs/meso4/best.pt]

The work is done in :mod:`dfkit.visualize`.
"""
import sys

from dfkit.cli import run
from dfkit.visualize.cli import main

if __name__ == "__main__":
    sys.exit(run(main))
