"""The published MesoNet weights: converted strictly, checked against an independent NumPy forward pass
in Keras' own layout, the published test images classified as their folders say, and detect_video on the
converted checkpoint."""
import json
import re

import h5py
import numpy as np
import pytest
import torch
from PIL import Image

import detect_video
from dfkit.cli import run
from dfkit.drivers.checkpoints import load_detector
from dfkit.errors import CheckpointError
from dfkit.pretrained import __main__ as pretrained_cli
from dfkit.pretrained.mesonet import PUBLISHED, WEIGHTS_DIR, convert
from dfkit.synthetic import make_clip
from dfkit.video import write_video

IMAGES = WEIGHTS_DIR.parent / "test_images"
KERAS_BN_EPS = 1e-3


def _image(path):
    """(256, 256, 3) float32 in [0, 1], resized as Keras' ImageDataGenerator does (nearest)."""
    return np.asarray(Image.open(path).convert("RGB").resize((256, 256), Image.NEAREST), np.float32) / 255


def _keras_layers(path, kind):
    """Weights of the layers of ``kind`` in a Keras file, in creation order, read with h5py alone."""
    with h5py.File(path, "r") as file:
        names = sorted((n for n in file if re.fullmatch(rf"{kind}_\d+", n)), key=lambda n: int(n.rsplit("_", 1)[1]))
        weights = [[w.decode() for w in file[n].attrs["weight_names"]] for n in names]
        return ([{w.rsplit("/", 1)[-1].split(":")[0]: file[n][w][()] for w in ws} for n, ws in zip(names, weights)],
                any(n.startswith("leaky_re_lu") for n in file))


def _conv(x, w, dilation=1):
    """Keras Conv2D(padding='same', activation='relu') on a channels-last (H, W, C) array."""
    k = w["kernel"].shape[0]
    pad = dilation * (k - 1) // 2
    padded = np.pad(x, ((pad, pad), (pad, pad), (0, 0)))
    height, width = x.shape[:2]
    out = sum(padded[i * dilation:i * dilation + height, j * dilation:j * dilation + width] @ w["kernel"][i, j]
              for i in range(k) for j in range(k))
    return np.maximum(out + w["bias"], 0)


def _bn_pool(x, w, pool):
    x = (x - w["moving_mean"]) / np.sqrt(w["moving_variance"] + KERAS_BN_EPS) * w["gamma"] + w["beta"]
    h, wd, c = x.shape
    return x.reshape(h // pool, pool, wd // pool, pool, c).max(axis=(1, 3))


def keras_logit_of_real(path, image):
    """The published model's pre-sigmoid output (logit of *real*) computed in Keras' layout with NumPy."""
    convs, leaky = _keras_layers(path, "conv2d")
    bns, _ = _keras_layers(path, "batch_normalization")
    dense, _ = _keras_layers(path, "dense")
    x = image
    if len(convs) == 4:
        stages = [[convs[0]], [convs[1]], [convs[2]], [convs[3]]]
    else:
        stages = [convs[0:7], convs[7:14], [convs[14]], [convs[15]]]
    for stage, (layers, bn, pool) in enumerate(zip(stages, bns, (2, 2, 2, 4))):
        if len(layers) == 7:  # inception: 1x1 | 1x1->3x3 | 1x1->3x3 dil 2 | 1x1->3x3 dil 3
            x = np.concatenate([_conv(x, layers[0]), _conv(_conv(x, layers[1]), layers[2]),
                                _conv(_conv(x, layers[3]), layers[4], 2), _conv(_conv(x, layers[5]), layers[6], 3)], -1)
        else:
            x = _conv(x, layers[0])
        x = _bn_pool(x, bn, pool)
    hidden = x.reshape(-1) @ dense[0]["kernel"] + dense[0]["bias"]  # Keras flattens (H, W, C)
    if leaky:
        hidden = np.where(hidden > 0, hidden, 0.1 * hidden)
    return float((hidden @ dense[1]["kernel"] + dense[1]["bias"])[0])


@pytest.fixture(scope="module")
def checkpoints(tmp_path_factory):
    out = tmp_path_factory.mktemp("mesonet")
    assert run(pretrained_cli.main, ["mesonet", "--out", str(out)]) == 0
    return out


@pytest.mark.parametrize("name", PUBLISHED, ids=PUBLISHED)
def test_converted_model_matches_a_numpy_forward_pass_in_keras_layout(name, checkpoints):
    model, record, _ = load_detector(checkpoints / f"{name}.pt")  # strict: every key and shape
    assert record["name"] == ("meso4" if name.startswith("Meso4") else "mesoinception4")
    if name.startswith("Meso4"):
        assert record["kwargs"] == {"leaky_relu": False}, "the Meso4 files have no LeakyReLU"
    image = _image(IMAGES / "df" / "df00204.jpg")
    with torch.no_grad():
        ours = model(torch.from_numpy(image).permute(2, 0, 1)[None]).item()
    theirs = keras_logit_of_real(WEIGHTS_DIR / f"{name}.h5", image)
    assert ours == pytest.approx(-theirs, rel=1e-4, abs=1e-3), \
        f"expected the logit of fake = -(published logit of real) = {-theirs:.4f}, got {ours:.4f}"


@pytest.mark.parametrize("name", ["Meso4_DF", "MesoInception_DF"], ids=["meso4_df", "mesoinception_df"])
def test_published_test_images_are_classified_as_their_folders_say(name, checkpoints):
    model, _, _ = load_detector(checkpoints / f"{name}.pt")
    paths = sorted(IMAGES.glob("*/*.jpg"))
    labels = [1 if path.parent.name == "df" else 0 for path in paths]
    assert sorted(labels) == [0, 0, 1, 1], "expected two df and two real test images"
    x = torch.from_numpy(np.stack([_image(path) for path in paths])).permute(0, 3, 1, 2)
    with torch.no_grad():
        fake_probability = torch.sigmoid(model(x)).tolist()
    got = [int(p >= 0.5) for p in fake_probability]
    assert got == labels, f"{[p.name for p in paths]}: expected labels {labels}, got P(fake) {fake_probability}"


def test_meso4_with_the_leaky_relu_it_lacks_gives_other_scores(checkpoints):
    model, _, _ = convert(WEIGHTS_DIR / "Meso4_DF.h5")
    leaky = load_detector(checkpoints / "Meso4_DF.pt")[0]
    leaky.act = torch.nn.LeakyReLU(0.1)
    x = torch.from_numpy(_image(IMAGES / "real" / "real00240.jpg")).permute(2, 0, 1)[None]
    with torch.no_grad():
        assert not torch.allclose(model(x), leaky(x), atol=1e-3), "the head's activation should matter"


def test_bad_weights_get_one_line_and_write_nothing(tmp_path, capsys):
    (tmp_path / "weights").mkdir()
    for name in PUBLISHED:
        (tmp_path / "weights" / f"{name}.h5").write_bytes((WEIGHTS_DIR / f"{name}.h5").read_bytes())
    (tmp_path / "weights" / "MesoInception_F2F.h5").write_bytes(b"not an HDF5 file")
    with pytest.raises(SystemExit) as exit_info:
        run(pretrained_cli.main, ["mesonet", "--out", str(tmp_path / "out"), "--weights", str(tmp_path / "weights")])
    err = capsys.readouterr().err
    assert exit_info.value.code == 2 and err.startswith("error: MesoInception_F2F.h5") and err.count("\n") == 1, err
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").iterdir()), "nothing may be written"
    with pytest.raises(CheckpointError, match="Keras weights not found"):
        convert(tmp_path / "missing.h5")


def test_detect_video_runs_the_published_meso4_with_no_training(checkpoints, tmp_path):
    clip = make_clip(photo="astronaut", size=(256, 256), num_frames=8, seed=0)
    write_video(tmp_path / "astronaut.mp4", clip.frames, fps=25)
    assert run(detect_video.main, ["--input", str(tmp_path / "astronaut.mp4"), "--model",
                                   str(checkpoints / "Meso4_DF.pt"), "--output", str(tmp_path / "report.json"),
                                   "--frames", "4", "--device", "cpu", "--precision", "fp32"]) == 0
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["model"]["arch"] == "meso4" and report["model"]["kwargs"] == {"leaky_relu": False}
    assert report["verdict"] == "real", f"the astronaut photo is real; got score {report['video_score']:.3f}"
