"""Phase 5's detectors in the registry (given code, not an exercise).

Each reads face crops, like phase 1's detectors, so train.py, evaluate.py and detect_video.py feed
them with no change:

* ``capsule_forensics``: Capsule-Forensics (VGG19 stem, 10 primary capsules, routing by agreement);
  ``--pretrained /path/vgg19.pth`` loads a local torchvision VGG19 state dict into the stem. Its
  logit is the mean per-dimension log-odds of the two output capsules, so BCE on it is v2's
  2-class cross-entropy in single-logit form (the trainer's class-weighted default).
* ``attention_cnn``: a small CNN that pools its features through a learned spatial attention map.
* ``fusion`` (input kind "multi"): Platt calibration + stacking over the per-modality scores of other
  checkpoints and the audio-visual sync (``FusionHead``), fitted in closed form on the non-test videos of
  ``--data-root`` by ``train.py --model fusion --model-arg visual=runs/x/best.pt ...``; used by
  ``multi_modal_detect.py --fusion``.
"""
from dfkit.registry import DetectorSpec, Recipe, register

PHASE = "phase5_advanced_methods"

register(DetectorSpec("capsule_forensics", PHASE, "face_crops", f"{PHASE}.template_capsule_network:capsule_forensics",
                      kwargs={"num_primary": 10, "out_dim": 4, "iterations": 2}, pretrained=True,
                      recipe=Recipe(lr=5e-4, warmup_epochs=0)))
register(DetectorSpec("attention_cnn", PHASE, "face_crops", f"{PHASE}.template_attention_mechanism:SpatialAttentionDetector",
                      kwargs={"width": 16}, recipe=Recipe(lr=1e-3, warmup_epochs=0)))
register(DetectorSpec("fusion", PHASE, "multi", f"{PHASE}.template_multi_modal:FusionHead",
                      kwargs={"visual": None, "temporal": None, "frequency": None, "physio": None},
                      recipe=Recipe(fit=f"{PHASE}.template_multi_modal:fit_fusion")))
