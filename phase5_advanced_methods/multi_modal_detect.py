"""Is this video a deepfake? Fuse several detectors' scores and the audio-visual sync into one verdict.

    python phase5_advanced_methods/multi_modal_detect.py --visual-model runs/xception/best.pt \\
        --temporal-model runs/lstm/best.pt --frequency-model runs/fft/best.pt [--physio-model runs/physio/best.pt] \\
        [--fusion runs/fusion/fusion.pt] --input video.mp4 --output report.json

The video is decoded once and its face tracked once for every modality; the shared driver does the
work (see :mod:`dfkit.drivers.multi_modal`).
"""
import sys

from dfkit.cli import run
from dfkit.drivers.multi_modal import main

if __name__ == "__main__":
    sys.exit(run(main, prog="phase5_advanced_methods/multi_modal_detect.py"))
