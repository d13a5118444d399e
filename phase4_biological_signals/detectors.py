"""Phase 4's detectors in the registry (given code, not an exercise).

Both read one feature vector per video ("signals": blinks, pulse and head-pose consistency from
consecutive frames at the native frame rate, :mod:`dfkit.signals`) and are fitted in closed form,
not by gradient descent (the recipe's ``fit``):

* ``physio_logreg``: logistic regression on standardised features (your ``fit_logreg``);
* ``physio_gbm``: gradient-boosted trees (scikit-learn's, stored as tensors).
"""
from dfkit.registry import DetectorSpec, Recipe, register

PHASE = "phase4_biological_signals"
MODULE = f"{PHASE}.template_face_consistency"

register(DetectorSpec("physio_logreg", PHASE, "signals", f"{MODULE}:PhysioLogReg",
                      recipe=Recipe(fit=f"{MODULE}:fit_logreg", augment="none")))
register(DetectorSpec("physio_gbm", PHASE, "signals", f"{MODULE}:PhysioGBM",
                      kwargs={"num_trees": 200, "max_depth": 2, "learning_rate": 0.05},
                      recipe=Recipe(fit=f"{MODULE}:fit_gbm", augment="none")))
