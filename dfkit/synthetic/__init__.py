"""Seeded synthetic face clips, real and fake, with ground truth for every curriculum cue.

Real clips: smooth head motion, blinks (100-400 ms), a pulse on the skin, sensor noise; with
``speech=True`` a moving mouth and an audio track that follows it (:mod:`.speech`).
Fakes add manipulations, one per phase cue: "blend" (phase 1), "flicker" (2), "upsample" (3),
"no_blink" and "no_pulse" (4), "av_offset" and "lip_mismatch" (5, audio); ``register_manipulation``
adds one (see :mod:`.manipulations`).
``write_dataset`` emits the FaceForensics++ folder layout.
"""
from dfkit.synthetic.clip import Clip, make_clip, make_clips
from dfkit.synthetic.dataset_writer import write_dataset
from dfkit.synthetic.manipulations import (MANIPULATIONS, METHOD_NAMES, Manipulation, register_manipulation,
                                           unregister_manipulation)

__all__ = ["Clip", "MANIPULATIONS", "METHOD_NAMES", "Manipulation", "make_clip", "make_clips",
           "register_manipulation", "unregister_manipulation", "write_dataset"]
