"""Phase 1's detectors in the registry (given code, not an exercise).

Each entry names the builder in your template module (through the implementation switch, so
``--impl templates`` builds your network), its default constructor arguments and its training
recipe. The training loss is your ``class_balanced_bce``.
"""
from dfkit.registry import DetectorSpec, Recipe, register

PHASE = "phase1_cnn_detection"
LOSS = f"{PHASE}.template_classifier:class_balanced_bce"
CNN_RECIPE = Recipe(lr=2e-4, warmup_epochs=1, loss=LOSS)
MESONET_RECIPE = Recipe(lr=1e-3, warmup_epochs=0, loss=LOSS)

register(DetectorSpec("xceptionnet", PHASE, "face_crops", f"{PHASE}.template_xceptionnet:xception_detector",
                      kwargs={"drop_rate": 0.0}, pretrained=True, recipe=CNN_RECIPE))
register(DetectorSpec("efficientnet_b4", PHASE, "face_crops", f"{PHASE}.template_efficientnet:efficientnet_detector",
                      kwargs={"attention": False, "drop_rate": 0.4}, pretrained=True, recipe=CNN_RECIPE))
register(DetectorSpec("meso4", PHASE, "face_crops", f"{PHASE}.template_mesonet:Meso4",
                      kwargs={"leaky_relu": True}, fixed_size=True, recipe=MESONET_RECIPE))
register(DetectorSpec("mesoinception4", PHASE, "face_crops", f"{PHASE}.template_mesonet:MesoInception4",
                      fixed_size=True, recipe=MESONET_RECIPE))
