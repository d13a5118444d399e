"""The drivers behind every command-line tool of the course: train, evaluate, detect.

Each reads the detector registry (:mod:`dfkit.registry`), so a new phase's detectors work in every tool
once registered. The blueprint's scripts (``phaseN_*/train.py``, ``phaseN_*/evaluate.py``,
``detect_video.py``) are entry points of a few lines over :func:`dfkit.drivers.train.main`,
:func:`dfkit.drivers.evaluate.main` and :func:`dfkit.drivers.detect.main`.
"""
