"""dfkit: the complete library the deepfake-detection curriculum stands on.

Layers (imports only point down): CLIs / notebooks / tests -> phase code -> dfkit.
dfkit never imports phase code; phase code reaches other phases through
:func:`dfkit.curriculum.load`.
"""
from dfkit.errors import DfkitError

__all__ = ["DfkitError"]
