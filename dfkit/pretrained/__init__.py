"""Published detector weights shipped with the project, turned into this project's checkpoints.

``python -m dfkit.pretrained mesonet --out DIR`` writes ``DIR/Meso4_DF.pt``, ``Meso4_F2F.pt``,
``MesoInception_DF.pt`` and ``MesoInception_F2F.pt`` (see :mod:`dfkit.pretrained.mesonet`); each loads in
``evaluate.py`` and ``detect_video.py`` like a trained checkpoint. Nothing is downloaded.
"""
from dfkit.pretrained.mesonet import convert, write_checkpoints

__all__ = ["convert", "write_checkpoints"]
