"""Phase 2's detectors in the registry (given code, not an exercise): lstm, gru, r3d18, r2plus1d18, c3d_small,
tall, vivit_small.

Each entry names the builder in your template module (through the implementation switch, so
``--impl templates`` builds your network), its default constructor arguments and its training
recipe. All of them read clips of face crops (``face_clips``: (B, T, 3, S, S)); ``--clip-len``
overrides the recipe's T.
"""
from dfkit.registry import DetectorSpec, Recipe, register

PHASE = "phase2_temporal_analysis"
RECURRENT_KWARGS = {"hidden_size": 64, "num_layers": 1, "bidirectional": False, "pooling": "last", "dropout": 0.0,
                    "deltas": True, "embed_dim": 64, "backbone": "small", "backbone_weights": None}
RECURRENT_RECIPE = Recipe(lr=3e-3, warmup_epochs=0, clip_len=8)

register(DetectorSpec("lstm", PHASE, "face_clips", f"{PHASE}.template_lstm_detector:lstm_detector",
                      kwargs=RECURRENT_KWARGS, recipe=RECURRENT_RECIPE))
register(DetectorSpec("gru", PHASE, "face_clips", f"{PHASE}.template_lstm_detector:gru_detector",
                      kwargs=RECURRENT_KWARGS, recipe=RECURRENT_RECIPE))

VIDEO_RESNET_RECIPE = Recipe(lr=1e-4, warmup_epochs=1, clip_len=16)
register(DetectorSpec("r3d18", PHASE, "face_clips", f"{PHASE}.template_3dcnn:r3d_18", pretrained=True,
                      recipe=VIDEO_RESNET_RECIPE))
register(DetectorSpec("r2plus1d18", PHASE, "face_clips", f"{PHASE}.template_3dcnn:r2plus1d_18", pretrained=True,
                      recipe=VIDEO_RESNET_RECIPE))
register(DetectorSpec("c3d_small", PHASE, "face_clips", f"{PHASE}.template_3dcnn:C3DSmall",
                      kwargs={"width": 16, "drop_rate": 0.0}, recipe=Recipe(lr=1e-3, warmup_epochs=0, clip_len=8)))

register(DetectorSpec("tall", PHASE, "face_clips", f"{PHASE}.template_video_transformer:TallDetector",
                      kwargs={"cols": 2, "width": 16}, recipe=Recipe(lr=1e-3, warmup_epochs=0, clip_len=4)))
register(DetectorSpec("vivit_small", PHASE, "face_clips", f"{PHASE}.template_video_transformer:vivit_small",
                      kwargs={"image_size": 64, "patch": 16, "dim": 64, "depth": 2, "heads": 4, "frames": 8},
                      recipe=Recipe(lr=3e-4, warmup_epochs=1, clip_len=8)))
