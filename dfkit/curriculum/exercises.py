"""One line for an exercise a learner has not written yet, wherever the course meets it (CLIs, notebooks).

Generated templates raise ``NotImplementedError("<phase>: implement <what>")`` (see
:mod:`dfkit.curriculum.generate`); :func:`exercise_message` turns that into
``"phase1_cnn_detection: implement crop_face in phase1_cnn_detection/template_feature_extraction.py:47
(see its docstring)"``.
"""
import re
from pathlib import Path

from dfkit.curriculum.switch import ROOT

EXERCISE = re.compile(r"^(phase\d_\w+): implement (.+)$")  # the generated templates' NotImplementedError


def exercise_message(error):
    """One line naming the exercise ``error`` (a NotImplementedError from a template) and where it was
    raised; None when the error is not an exercise's."""
    if not EXERCISE.match(str(error)) or error.__traceback__ is None:
        return None
    frame = error.__traceback__
    while frame.tb_next is not None:
        frame = frame.tb_next
    where = Path(frame.tb_frame.f_code.co_filename)
    where = where.relative_to(ROOT) if where.is_relative_to(ROOT) else where
    return f"{error} in {where.as_posix()}:{frame.tb_lineno} (see its docstring)"
