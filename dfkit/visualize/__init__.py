"""Seeing what a detector decided: a detection report drawn onto its video (``visualize_detection.py``).

:mod:`~dfkit.visualize.report` reads and checks the report, :mod:`~dfkit.visualize.draw` draws boxes and
the panel, :mod:`~dfkit.visualize.annotate` writes the annotated video, :mod:`~dfkit.visualize.summary`
the PNG sheet, :mod:`~dfkit.visualize.heatmap` the Grad-CAM overlay, :mod:`~dfkit.visualize.cli` the CLI.
"""
