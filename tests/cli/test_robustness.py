"""evaluate.py --perturb: the same test videos under each perturbation, perturbed before the faces are located;
a table whose AUCs are scikit-learn's on the saved predictions; one clear error for a bad spec."""
import csv
import json
import zlib

import numpy as np
import pytest
import torch
from sklearn.metrics import roc_auc_score

from dfkit import registry
from dfkit.cli import run
from dfkit.data.preprocessed import load_crop
from dfkit.drivers import evaluate
from dfkit.perturb import perturb
from dfkit.preprocess import pipeline
from dfkit.synthetic import make_clip
from dfkit.training import save_checkpoint
from dfkit.video import read_frames, write_video
from tests.smoothness_detector import detail_energy, register

FRAMES = 4
PAIRS = 4


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    """A plain real/ fake/ folder of synthetic pairs (subtle blend fakes) with their ground-truth sidecars, and
    the smoothness detector's checkpoint."""
    root = tmp_path_factory.mktemp("robustness")
    for seed in range(PAIRS):
        for label, clip in (("real", make_clip(seed=seed, num_frames=FRAMES, size=64)),
                            ("fake", make_clip(seed=seed, num_frames=FRAMES, size=64, fake=True, strength=0.3))):
            write_video(root / "data" / label / f"{seed}.mp4", clip.frames, fps=25)
            (root / "data" / label / f"{seed}.json").write_text(json.dumps(clip.sidecar()))
    register()
    save_checkpoint(root / "smoothness.pt", registry.build_detector("smoothness"), arch="smoothness",
                    config={"dataset": "folder", "frames_per_video": FRAMES})
    yield root
    registry.unregister("smoothness")


def evaluate_args(setup, output, *extra):
    return ["--checkpoint", str(setup / "smoothness.pt"), "--test-data", str(setup / "data"), "--output", str(output),
            "--detector", "groundtruth", "--device", "cpu", "--quiet", "--no-plots", *extra]


def video_scores(predictions):
    """Per-video labels and mean scores of a predictions.json, by video id."""
    ids, labels, scores = (np.asarray(predictions[k]) for k in ("video_ids", "labels", "scores"))
    videos = sorted(set(ids))
    return [labels[ids == v][0] for v in videos], [scores[ids == v].mean() for v in videos]


def crop_energy(faces):
    """Mean detail energy of every crop PNG in a face cache."""
    crops = np.stack([load_crop(path) for path in sorted((faces / "crops").rglob("*.png"))])
    return float(detail_energy(torch.from_numpy(crops).permute(0, 3, 1, 2) / 255).mean())


def test_robustness_table_from_frames_perturbed_before_the_faces_are_located(setup, tmp_path, monkeypatch, capsys):
    located = []
    locate = pipeline.FaceLocator.__call__

    def spy(self, record, frames, indices):
        located.append((record, frames.copy()))
        return locate(self, record, frames, indices)

    monkeypatch.setattr(pipeline.FaceLocator, "__call__", spy)
    output = tmp_path / "eval"
    assert run(evaluate.main, evaluate_args(setup, output, "--perturb", "jpeg:90,30", "blur:2", "noise:0.03",
                                            "h264:40")) == 0

    expected = [("none", None), ("jpeg", 90), ("jpeg", 30), ("blur", 2), ("noise", 0.03), ("h264", 40)]
    videos = 2 * PAIRS
    assert len(located) == videos * len(expected), "every video is decoded and located again per perturbation"
    for (record, frames), (name, level) in zip(located[videos:], [p for p in expected[1:] for _ in range(videos)]):
        decoded, _ = read_frames(record.path, num_frames=FRAMES)
        wanted = perturb(decoded, name, level, seed=zlib.crc32(record.uid.encode()))
        gap = np.abs(frames.astype(float) - wanted).mean()  # libx264's mbtree is not always bit-exact
        assert gap == 0 or (name == "h264" and gap < 0.5), f"{record.uid} under {name}:{level}: mean gap {gap:.2f}"

    rows = json.loads((output / "robustness.json").read_text())["rows"]
    assert [(r["perturbation"], r["level"]) for r in rows] == expected
    clean_predictions = json.loads((output / "predictions.json").read_text())
    assert rows[0]["video_auc"] == pytest.approx(roc_auc_score(*video_scores(clean_predictions)))
    for row in rows[1:]:
        folder = output / "robustness" / f"{row['perturbation']}_{row['level']:g}"
        predictions = json.loads((folder / "predictions.json").read_text())
        assert row["video_auc"] == pytest.approx(roc_auc_score(*video_scores(predictions))), row
        assert predictions["scores"] != clean_predictions["scores"], f"{row['perturbation']} changed no score"
        assert row["videos"] == videos
        settings = json.loads((folder / "faces" / "preprocess.json").read_text())
        assert settings["perturb"] == f"{row['perturbation']}:{row['level']:g}"
    assert crop_energy(output / "robustness" / "blur_2" / "faces") < 0.5 * crop_energy(output / "faces"), \
        "the blurred run's crops are cut from blurred frames"

    with open(output / "robustness.csv") as handle:
        table = list(csv.DictReader(handle))
    assert [(r["perturbation"], r["level"]) for r in table] == [(p, "" if v is None else f"{v:g}") for p, v in expected]
    assert [float(r["video_auc"]) for r in table] == pytest.approx([r["video_auc"] for r in rows])
    assert (output / "robustness.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert f"| jpeg | 30 | {rows[2]['video_auc']:.4f} |" in capsys.readouterr().out


BAD = {"unknown perturbation": ["sharpen:1"], "quality out of range": ["jpeg:0"], "no level": ["blur"],
       "given twice": ["jpeg:50", "jpeg:50"], "crf not an integer": ["h264:23.5"]}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_perturbation_exits_2_before_any_work(setup, tmp_path, capsys, case):
    with pytest.raises(SystemExit) as exit_info:
        run(evaluate.main, evaluate_args(setup, tmp_path / "eval", "--perturb", *BAD[case]))
    assert exit_info.value.code == 2
    lines = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), lines
    assert not (tmp_path / "eval").exists(), "nothing is written"
