"""int8 static post-training quantisation of an exported graph (ONNX Runtime, QDQ format).

Weights int8 per output channel (convolution filters differ in range from channel to channel, so
one scale per channel loses less than one per tensor) and in 7 bits (``reduce_range``): on x86 CPUs
without VNNI (AVX2 only), ONNX Runtime multiplies uint8 activations by int8 weights with VPMADDUBSW,
which adds two products in a saturating int16: up to 2 x 255 x 127 = 64,770 > 32,767 with 8-bit weights,
at most 2 x 255 x 64 = 32,640 with 7-bit ones. So one file scores alike on every CPU (with 8-bit weights
a trained Meso4 lost 0.052 of held-out AUC on AVX2 kernels and 0.0002 with VNNI; with 7-bit ones 0.0012 on
both). Activations uint8 with ranges from the min and max each tensor reaches on the calibration face
crops (MinMax): calibrate on faces like those to be scored (a trained Xception calibrated on 128 px
synthetic crops moved held-out scores by 0.40 on average, on crops of its own training clips by 0.003).
The graph is first cleaned (shape inference, constant folding) with ONNX Runtime's ``quant_pre_process``,
as its guide advises.
"""
import logging
import tempfile
from contextlib import contextmanager
from pathlib import Path

import onnx

CALIBRATION_BATCH = 8   # inputs per calibration forward pass
DEFAULT_CALIBRATION = 256


@contextmanager
def _quiet_logging():
    """ONNX Runtime's quantiser logs a warning per tensor it leaves in float (e.g. a BatchNorm after a ReLU)."""
    logging.disable(logging.WARNING)
    try:
        yield
    finally:
        logging.disable(logging.NOTSET)


def quantize_int8(proto, calibration):
    """The int8 QDQ version of ``proto`` (an fp32 :class:`onnx.ModelProto` with input ``inputs``), calibrated
    on ``calibration`` (N, ...) float32 model inputs. Returns a new ModelProto."""
    from onnxruntime.quantization import (CalibrationDataReader, CalibrationMethod, QuantFormat, QuantType,
                                          quantize_static)
    from onnxruntime.quantization.shape_inference import quant_pre_process

    name = proto.graph.input[0].name
    batches = [{name: calibration[i:i + CALIBRATION_BATCH].numpy()}
               for i in range(0, len(calibration), CALIBRATION_BATCH)]

    class Reader(CalibrationDataReader):
        def __init__(self):
            self.batches = iter(batches)

        def get_next(self):
            return next(self.batches, None)

    with tempfile.TemporaryDirectory() as folder, _quiet_logging():
        folder = Path(folder)
        onnx.save(proto, folder / "fp32.onnx")
        quant_pre_process(folder / "fp32.onnx", folder / "clean.onnx")
        quantize_static(folder / "clean.onnx", folder / "int8.onnx", Reader(), quant_format=QuantFormat.QDQ,
                        per_channel=True, reduce_range=True, activation_type=QuantType.QUInt8,
                        weight_type=QuantType.QInt8,
                        calibrate_method=CalibrationMethod.MinMax)
        return onnx.load(folder / "int8.onnx")
