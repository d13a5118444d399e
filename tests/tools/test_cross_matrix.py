"""cross_matrix.py: one checkpoint per source (trained, or given), each evaluated on every target; the
matrix has the sources' shape and order and every cell equals a separate run of the evaluate CLI."""
import json

import numpy as np
import pytest
import torch

from dfkit.cli import run
from dfkit.drivers import evaluate
from dfkit.drivers.cross import main
from dfkit.registry import build_detector
from dfkit.synthetic.dataset_writer import write_dataset
from dfkit.training import save_checkpoint

METHODS = ["BlendSwap", "Flicker", "Upsample"]  # the folders of blend, flicker, upsample


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    root = tmp_path_factory.mktemp("cross")
    write_dataset(root / "data", 6, num_frames=4, size=64, manipulations=("blend", "flicker", "upsample"),
                  progress=False)
    for seed, name in ((1, "flicker"), (2, "upsample")):  # given checkpoints: differently initialised Meso4s
        torch.manual_seed(seed)
        save_checkpoint(root / f"{name}.pt", build_detector("meso4"), arch="meso4")
    return root


def test_matrix_cells_equal_separate_evaluate_runs(data, tmp_path):
    out = tmp_path / "cross"
    assert run(main, ["--dataset", "synthetic", "--data-root", str(data / "data"), "--methods", *METHODS,
                      "--model", "meso4", "--epochs", "1", "--batch-size", "4", "--frames-per-video", "2",
                      "--checkpoint", f"Flicker={data / 'flicker.pt'}",
                      "--checkpoint", f"Upsample={data / 'upsample.pt'}",
                      "--output", str(out), "--device", "cpu", "--quiet"]) == 0
    matrix = json.loads((out / "cross_matrix.json").read_text())
    assert matrix["rows"] == METHODS and matrix["cols"] == METHODS
    values = np.array(matrix["video_auc"])
    assert values.shape == (3, 3) and (out / "cross_matrix.png").stat().st_size > 0
    assert (out / "train" / "BlendSwap" / "best.pt").is_file(), "the source without a checkpoint is trained"
    assert not (out / "train" / "Flicker").exists(), "a given checkpoint is used, not retrained"
    checkpoints = {"BlendSwap": out / "train" / "BlendSwap" / "best.pt", "Flicker": data / "flicker.pt",
                   "Upsample": data / "upsample.pt"}
    for i, source in enumerate(METHODS):
        for j, target in enumerate(METHODS):
            cell = tmp_path / "separate" / f"{source}_{target}"
            assert run(evaluate.main, ["--checkpoint", str(checkpoints[source]), "--dataset", "synthetic",
                                       "--test-data", str(data / "data"), "--methods", "real", target,
                                       "--frames-per-video", "2", "--output", str(cell), "--no-plots",
                                       "--device", "cpu", "--quiet"]) == 0
            separate = json.loads((cell / "metrics.json").read_text())["metrics"]
            assert values[i, j] == separate["video"]["auc"], \
                f"{source} -> {target}: matrix {values[i, j]}, separate evaluate run {separate['video']['auc']}"
            assert matrix["frame_auc"][i][j] == separate["frame"]["auc"]
    assert len({tuple(row) for row in np.array(matrix["frame_auc"])}) > 1, "three different models, one row?"


BAD = {
    "unknown method": (["--methods", "BlendSwap", "Deepfakes"], "Deepfakes"),
    "checkpoint of no source": (["--methods", "BlendSwap", "Flicker", "--checkpoint", "Upsample=x.pt"],
                                "no such source"),
    "no sources": ([], "give --methods"),
    "malformed set": (["--sets", "ffpp=/data/FF++"], "NAME=DATASET:ROOT"),
}


@pytest.mark.parametrize("case", BAD, ids=list(BAD))
def test_bad_input_gets_one_line_before_any_work(case, data, tmp_path, capsys):
    flags, message = BAD[case]
    with pytest.raises(SystemExit) as exit_info:
        run(main, ["--dataset", "synthetic", "--data-root", str(data / "data"), *flags,
                   "--output", str(tmp_path / "cross"), "--quiet"])
    err = capsys.readouterr().err
    assert exit_info.value.code == 2 and err.startswith("error: ") and err.count("\n") == 1, err
    assert message in err, f"expected {message!r} in {err!r}"
    assert not (tmp_path / "cross").exists(), "nothing may be written"
