"""Phase 3's detectors in the registry (given code, not an exercise).

Each reads face crops in [0, 1] and computes its frequency representation inside ``forward``, so
train.py, evaluate.py and detect_video.py feed them like any frame detector:

* ``spectrum_logreg``: Durall et al.'s logistic regression on the azimuthal spectrum (BCE);
* ``spectrum_svm``: the same linear model trained with your ``hinge_loss`` (a linear SVM);
* ``dct_cnn``: a small CNN on Frank et al.'s log block-DCT maps;
* ``fad_cnn``: a small CNN on F3-Net-style low / middle / high frequency band images.
"""
from dfkit.registry import DetectorSpec, Recipe, register

PHASE = "phase3_frequency_analysis"
FFT = f"{PHASE}.template_fft_analysis"
LINEAR_RECIPE = Recipe(lr=1e-2, warmup_epochs=0, augment="none")  # resizing / JPEG would erase the cue
CNN_RECIPE = Recipe(lr=1e-3, warmup_epochs=0, augment="none")

register(DetectorSpec("spectrum_logreg", PHASE, "face_crops", f"{FFT}:SpectrumClassifier",
                      kwargs={"length": 64}, recipe=LINEAR_RECIPE))
register(DetectorSpec("spectrum_svm", PHASE, "face_crops", f"{FFT}:SpectrumClassifier",
                      kwargs={"length": 64}, recipe=Recipe(lr=1e-2, warmup_epochs=0, loss=f"{FFT}:hinge_loss", augment="none")))
register(DetectorSpec("dct_cnn", PHASE, "face_crops", f"{PHASE}.template_dct_analysis:DCTNet",
                      kwargs={"width": 32}, recipe=CNN_RECIPE))
register(DetectorSpec("fad_cnn", PHASE, "face_crops", f"{PHASE}.template_spectral_features:FADNet",
                      kwargs={"width": 16}, recipe=CNN_RECIPE))
