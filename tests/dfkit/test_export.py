"""ONNX export: ONNX Runtime reproduces PyTorch on real face crops, the metadata rebuilds the input spec,
int8 stays close, a disagreeing export is refused, and bad input gets one error line."""
import json

import numpy as np
import onnx
import onnxruntime
import pytest
import torch

from dfkit import registry
from dfkit.cli import run
from dfkit.drivers.checkpoints import detector_record, record_input_spec
from dfkit.drivers.inputs import video_inputs
from dfkit.errors import DfkitError
from dfkit.export import export_detector
from dfkit.export.__main__ import main as export_main
from dfkit.export.samples import calibration_inputs
from dfkit.faces.pipeline import FACE_MARGIN, crop_faces
from dfkit.synthetic import make_clip
from dfkit.training import save_checkpoint

# Every detector that exports, at a small input side where its layers allow one (None: its own).
EXPORTABLE = {"xceptionnet": 64, "efficientnet_b4": 64, "meso4": None, "mesoinception4": None, "lstm": 32,
              "c3d_small": 32, "tall": 32, "vivit_small": None, "fad_cnn": 64, "dct_cnn": 64, "attention_cnn": None}


def settle_batchnorm(model, inputs):
    """Set BatchNorm running statistics to those of ``inputs`` (as training would): an untrained deep net's
    output is otherwise nearly the same for every face. Returns the model in eval mode."""
    for layer in model.modules():
        if isinstance(layer, torch.nn.modules.batchnorm._BatchNorm):
            layer.momentum = None  # cumulative average: one pass sets the statistics
    with torch.no_grad():
        model.train()(inputs)
    return model.eval()


def spread_logits(model, inputs):
    """Scale and shift the last linear layer so the logits of ``inputs`` spread over about +-2 around 0 (a
    trained model's range, where scores are not saturated); a graph that ignored its input, or rounded
    badly, then shows."""
    head = [m for m in model.modules() if isinstance(m, torch.nn.Linear)][-1]
    with torch.no_grad():
        logits = model(inputs)
        scale = 2 / max(float(logits.std()), 1e-6)
        head.weight *= scale
        head.bias.mul_(scale).sub_(float(logits.mean()) * scale)
    return model


def face_inputs(record, seed, fake):
    """Inputs of one synthetic clip made in this test (not the export's own verification clips)."""
    spec = record_input_spec(record)
    clip = make_clip(seed=seed, num_frames=2 * (spec.clip_len or 1), size=96, fake=fake)
    kind = registry.get(record["name"]).input_kind
    return video_inputs(kind, crop_faces(clip.frames, clip.boxes, record["margin"]), spec)[0]


def detector(name, size, spread=True):
    """``(model, record, test inputs)``: detector ``name`` at input side ``size``, BatchNorm settled on
    synthetic calibration crops, logits spread unless ``spread`` is False."""
    torch.manual_seed(0)
    record = detector_record(name, registry.get(name).kwargs, registry.input_spec(name, image_size=size))
    model = settle_batchnorm(registry.build_detector(name), calibration_inputs(record, count=16))
    inputs = torch.cat([face_inputs(record, seed, seed % 2 == 0) for seed in (101, 102, 103, 104)])
    return spread_logits(model, inputs) if spread else model, record, inputs


@pytest.mark.parametrize("name", sorted(EXPORTABLE), ids=sorted(EXPORTABLE))
def test_onnx_runtime_reproduces_pytorch_on_face_crops(name):
    model, record, inputs = detector(name, EXPORTABLE[name])
    exported = export_detector(model, record, config={"dataset": "synthetic"})

    session = onnxruntime.InferenceSession(exported.proto.SerializeToString(), providers=["CPUExecutionProvider"])
    got = session.run(None, {session.get_inputs()[0].name: inputs.numpy()})[0]
    with torch.no_grad():
        expected = model(inputs).numpy()
    assert np.ptp(expected) > 1, f"untrained logits too alike to compare: {expected}"
    # dct_cnn takes logs of near-zero DCT coefficients, which magnifies float rounding; the others agree to ~1e-6.
    atol = 5e-3 if name == "dct_cnn" else 1e-3
    np.testing.assert_allclose(sigmoid(got), sigmoid(expected), atol=atol, err_msg="fake probabilities")

    saved = {key: json.loads(value) for key, value in session.get_modelmeta().custom_metadata_map.items()}
    assert saved["dfkit.detector"] == json.loads(json.dumps(record)), "the record rebuilds name, kwargs and input"
    assert record_input_spec(saved["dfkit.detector"]) == registry.input_spec(name, image_size=EXPORTABLE[name])
    assert saved["dfkit.detector"]["margin"] == FACE_MARGIN
    assert saved["dfkit.precision"] == "fp32" and saved["dfkit.config"] == {"dataset": "synthetic"}
    assert exported.max_score_diff <= atol


def sigmoid(logits):
    return 1 / (1 + np.exp(-logits))


def test_int8_graph_is_quantised_and_scores_stay_close():
    model, record, inputs = detector("meso4", None, spread=False)
    exported = export_detector(model, record, calibration=calibration_inputs(record, count=32), tolerance=0.1)

    operators = {node.op_type for node in exported.proto.graph.node}
    assert {"QuantizeLinear", "DequantizeLinear"} <= operators, sorted(operators)
    int8_weights = [t for t in exported.proto.graph.initializer if t.data_type == onnx.TensorProto.INT8]
    assert int8_weights, "the convolution weights should be stored as int8"
    session = onnxruntime.InferenceSession(exported.proto.SerializeToString(), providers=["CPUExecutionProvider"])
    got = session.run(None, {"inputs": inputs.numpy()})[0]
    with torch.no_grad():
        expected = model(inputs).numpy()
    assert np.corrcoef(got, expected)[0, 1] >= 0.98, f"int8 logits {got} do not follow fp32 {expected}"
    assert np.abs(sigmoid(got) - sigmoid(expected)).max() <= 0.1, (got, expected)  # untrained: rounds more
    assert np.abs(got - expected).max() > 0, "int8 should round somewhere"


def test_detector_without_a_face_tensor_input_says_why_not():
    spec = registry.get("physio_logreg")
    record = detector_record("physio_logreg", spec.kwargs, registry.input_spec("physio_logreg"))
    with pytest.raises(DfkitError, match="cannot export physio_logreg: its input kind 'signals'"):
        export_detector(registry.build_detector("physio_logreg"), record)


class FrozenMeanNet(torch.nn.Module):
    """A classic export pitfall: a Python number taken from the input (``float(x.mean())``) is frozen into
    the traced graph at the example's value, so the export scores other faces differently."""

    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(3, 4, 3)
        self.head = torch.nn.Linear(4, 1)

    def forward(self, x):
        features = torch.relu(self.conv(x)).mean(dim=(2, 3))
        brightness = float(x.mean())  # eager: the batch's own mean; traced: a constant
        return self.head(features).squeeze(-1) + 20 * (x.mean(dim=(1, 2, 3)) - brightness)


INPUT_SIZE, MEAN, STD = 32, (0.5, 0.5, 0.5), (0.5, 0.5, 0.5)  # FrozenMeanNet's input spec, read by the registry


@pytest.fixture
def frozen_mean_detector():
    registry.register(registry.DetectorSpec("frozen_mean", "tests", "face_crops",
                                            "tests.dfkit.test_export:FrozenMeanNet"))
    yield
    registry.unregister("frozen_mean")


@pytest.mark.parametrize("existing", [False, True], ids=["no file yet", "file exists"])
def test_export_that_disagrees_is_refused_and_nothing_written(frozen_mean_detector, tmp_path, capsys, existing):
    torch.manual_seed(0)
    save_checkpoint(tmp_path / "frozen.pt", registry.build_detector("frozen_mean"), arch="frozen_mean")
    output = tmp_path / "frozen.onnx"
    if existing:
        output.write_bytes(b"previous export")
    with pytest.raises(SystemExit) as exit_info:
        run(export_main, ["--checkpoint", str(tmp_path / "frozen.pt"), "--format", "onnx", "--output", str(output)])
    assert exit_info.value.code == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: refusing to export frozen_mean"), lines
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["frozen.pt"] + (["frozen.onnx"] if existing else []))
    if existing:
        assert output.read_bytes() == b"previous export"


@pytest.fixture(scope="module")
def meso4_checkpoint(tmp_path_factory):
    folder = tmp_path_factory.mktemp("export")
    torch.manual_seed(0)
    save_checkpoint(folder / "meso4.pt", registry.build_detector("meso4"), arch="meso4",
                    config={"dataset": "synthetic", "frames_per_video": 4})
    (folder / "corrupt.pt").write_bytes((folder / "meso4.pt").read_bytes()[:1000])
    return folder


def test_cli_writes_a_checked_export(meso4_checkpoint, tmp_path, capsys):
    output = tmp_path / "meso4.onnx"
    assert run(export_main, ["--checkpoint", str(meso4_checkpoint / "meso4.pt"), "--output", str(output)]) == 0
    printed = capsys.readouterr().out
    assert "max |score difference| vs PyTorch" in printed and str(output) in printed, printed
    metadata = onnx.load(output).metadata_props
    saved = {p.key: json.loads(p.value) for p in metadata}
    assert saved["dfkit.detector"]["name"] == "meso4" and saved["dfkit.config"]["frames_per_video"] == 4
    assert [p.name for p in tmp_path.iterdir()] == ["meso4.onnx"], "no temporary file left beside it"


BAD_EXPORTS = {
    "output not .onnx": (["--output", "{tmp}/model.pt"]),
    "calibration without --int8": (["--output", "{tmp}/m.onnx", "--calibration-synthetic", "8"]),
    "calibration folder missing": (["--output", "{tmp}/m.onnx", "--int8", "--calibration", "{tmp}/nothing"]),
    "unknown format": (["--output", "{tmp}/m.onnx", "--format", "tflite"]),
    "corrupt checkpoint": (["--output", "{tmp}/m.onnx", "--checkpoint", "{ckpt}/corrupt.pt"]),
    "missing checkpoint": (["--output", "{tmp}/m.onnx", "--checkpoint", "{ckpt}/none.pt"]),
}


@pytest.mark.parametrize("case", sorted(BAD_EXPORTS), ids=sorted(BAD_EXPORTS))
def test_bad_export_input_exits_2_with_one_line(meso4_checkpoint, tmp_path, capsys, case):
    argv = ["--checkpoint", str(meso4_checkpoint / "meso4.pt")] + [
        a.format(tmp=tmp_path, ckpt=meso4_checkpoint) for a in BAD_EXPORTS[case]]
    with pytest.raises(SystemExit) as exit_info:
        run(export_main, argv)
    assert exit_info.value.code == 2
    lines = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), lines
    assert list(tmp_path.iterdir()) == []
