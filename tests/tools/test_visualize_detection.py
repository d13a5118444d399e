"""visualize_detection.py: the annotated video decodes with every frame at the expected size, boxes carry
their score's colour (also on frames the report did not sample), tracks and extra score fields are drawn,
and a bad report or output path gets one line and exit status 2 with nothing written."""
import json

import numpy as np
import pytest
import torch
from PIL import Image

from dfkit.cli import run
from dfkit.registry import build_detector
from dfkit.synthetic import make_clip
from dfkit.training import save_checkpoint
from dfkit.video import probe, read_frames, write_video
from dfkit.visualize.cli import main
from dfkit.visualize.report import read_report

NUM_FRAMES, SIZE = 16, 128
SAMPLED = [0, 5, 10, 15]
SCORES = [0.9, 0.1, 0.5, 0.3]
PANEL = 64  # documented: max(64, height // 4), even


def expected_colour(score):
    """Green at 0, yellow at 0.5, red at 1 (the documented map), as RGB."""
    return np.array([min(255, 510 * score), min(255, 510 * (1 - score)), 0])


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("visualize")
    clip = make_clip(seed=0, num_frames=NUM_FRAMES, size=SIZE)
    write_video(folder / "clip.mp4", clip.frames, fps=25)
    frames = [{"index": i, "box": clip.boxes[i].tolist(), "face_found": True, "score": s}
              for i, s in zip(SAMPLED, SCORES)]
    report = {"input": str(folder / "clip.mp4"), "frames": frames, "video_score": 0.45, "threshold": 0.5,
              "verdict": "real", "model": {"arch": "meso4"},
              "video": {"fps": 25.0, "num_frames": NUM_FRAMES, "width": SIZE, "height": SIZE}}
    (folder / "report.json").write_text(json.dumps(report))
    return folder, clip, report


def _left_edge_colour(frame, box):
    """Median RGB of the box's left edge (the middle half of its height, where no label is drawn)."""
    x0, y0, _, y1 = (int(round(v)) for v in box)
    rows = slice(y0 + (y1 - y0) // 4, y1 - (y1 - y0) // 4)
    return np.median(frame[rows, x0 - 1:x0 + 1].reshape(-1, 3).astype(float), axis=0)


def test_annotated_video_has_every_frame_and_the_score_colours(files, tmp_path):
    folder, clip, _ = files
    out, sheet = tmp_path / "annotated.mp4", tmp_path / "sheet.png"
    assert run(main, ["--video", str(folder / "clip.mp4"), "--predictions", str(folder / "report.json"),
                      "--output", str(out), "--summary", str(sheet), "--quiet"]) == 0
    info = probe(out)
    assert (info.num_frames, info.width, info.height) == (NUM_FRAMES, SIZE, SIZE + PANEL), info
    frames, _ = read_frames(out)
    assert len(frames) == NUM_FRAMES
    # frame 0 was sampled (0.9); frame 2 was not: nearest sampled is 0; frame 4's nearest is 5 (0.1)
    for frame, nearest_score in ((0, 0.9), (2, 0.9), (4, 0.1), (12, 0.5)):
        got = _left_edge_colour(frames[frame], clip.boxes[frame if frame in SAMPLED else
                                                          SAMPLED[SCORES.index(nearest_score)]])
        want = expected_colour(nearest_score)
        assert np.abs(got - want).max() <= 40, f"frame {frame}: box colour {got}, expected about {want}"
    image = Image.open(sheet)
    assert image.format == "PNG" and image.width > 400 and image.height > 300


def test_every_track_is_drawn_in_its_own_score_colour(files, tmp_path):
    folder, clip, report = files
    second = np.tile([4.0, 96.0, 32.0, 124.0], (NUM_FRAMES, 1))  # a second face, bottom left, apart from the first
    report = dict(report, tracks=[
        {"id": 0, "score": 0.9, "frames": [{"index": i, "box": clip.boxes[i].tolist(), "score": 0.9} for i in SAMPLED]},
        {"id": 1, "score": 0.1, "frames": [{"index": i, "box": second[i].tolist(), "score": 0.1} for i in SAMPLED]}])
    (tmp_path / "tracks.json").write_text(json.dumps(report))
    out = tmp_path / "tracks.mp4"
    assert run(main, ["--video", str(folder / "clip.mp4"), "--predictions", str(tmp_path / "tracks.json"),
                      "--output", str(out), "--quiet"]) == 0
    frame = read_frames(out, num_frames=1)[0][0]
    for box, score in ((clip.boxes[0], 0.9), (second[0], 0.1)):
        got, want = _left_edge_colour(frame, box), expected_colour(score)
        assert np.abs(got - want).max() <= 40, f"track box {box}: colour {got}, expected about {want}"


def test_per_frame_score_fields_become_timeline_curves(files, tmp_path):
    folder, _, report = files
    frames = [dict(f, audio_score=0.2, visual_score=f["score"]) for f in report["frames"]]
    (tmp_path / "mm.json").write_text(json.dumps(dict(report, frames=frames)))
    parsed = read_report(tmp_path / "mm.json", folder / "clip.mp4", probe(folder / "clip.mp4"))
    assert list(parsed.curves) == ["score", "audio_score", "visual_score"]
    np.testing.assert_allclose(parsed.curves["audio_score"][1], 0.2)


def test_a_multi_modal_report_is_drawn(files, tmp_path):
    """multi_modal_detect.py's shape: frames as columns, a fused score, one score per modality."""
    folder, clip, report = files
    mm = {key: report[key] for key in ("input", "video", "threshold", "verdict")}
    mm |= {"fused_score": 0.7, "modalities": {"visual": {"score": 0.9, "note": "meso4"},
                                              "audio": {"score": None, "note": "absent"}},
           "frames": {"indices": SAMPLED, "face_found": [True] * 4, "boxes": clip.boxes[SAMPLED].tolist(),
                      "visual_score": SCORES}}
    (tmp_path / "mm.json").write_text(json.dumps(mm))
    parsed = read_report(tmp_path / "mm.json", folder / "clip.mp4", probe(folder / "clip.mp4"))
    assert parsed.video_score == 0.7 and parsed.modalities == {"visual": 0.9, "audio": None}
    assert list(parsed.curves) == ["visual_score"], "no per-frame 'score' column: only the visual curve"
    out = tmp_path / "mm.mp4"
    assert run(main, ["--video", str(folder / "clip.mp4"), "--predictions", str(tmp_path / "mm.json"),
                      "--output", str(out), "--quiet"]) == 0
    frame = read_frames(out, num_frames=1)[0][0]
    got = _left_edge_colour(frame, clip.boxes[0])
    assert np.abs(got - 160).max() <= 40, f"a box without a score is grey (160, 160, 160), got {got}"


BAD = {
    "missing report": (None, "", None, "no such file"),
    "not json": (None, "{frames: oops", None, "not a JSON report"),
    "not a report": (None, "[1, 2, 3]", None, "not a detection report"),
    "frame count": ({"video": {"num_frames": 300, "width": SIZE, "height": SIZE}}, None, None, "another video"),
    "frame size": ({"video": {"num_frames": NUM_FRAMES, "width": 1920, "height": 1080}}, None, None, "another video"),
    "other input": ({"input": "/videos/other.mp4"}, None, None, "made from other.mp4"),
    "index beyond the video": ({"frames": [{"index": 99, "box": [0, 0, 9, 9], "score": 0.5}]}, None, None,
                               "outside the video"),
    "output is a folder": (None, None, ".", "is a folder"),
    "output not mp4": (None, None, "out.avi", "expected a .mp4"),
    "output is the input": (None, None, "CLIP", "is the input video"),
}


@pytest.mark.parametrize("case", BAD, ids=list(BAD))
def test_bad_input_gets_one_line_and_nothing_written(case, files, tmp_path, capsys):
    folder, _, report = files
    changes, raw, output, message = BAD[case]
    predictions = tmp_path / "report.json"
    if changes is not None:
        predictions.write_text(json.dumps(dict(report, **changes)))
    elif raw is None:
        predictions = folder / "report.json"
    elif raw:
        predictions.write_text(raw)
    out = tmp_path / "annotated.mp4"
    if output == "CLIP":
        out = folder / "clip.mp4"
    elif output is not None:
        out = tmp_path / output
    before = sorted(p.name for p in tmp_path.iterdir())
    with pytest.raises(SystemExit) as exit_info:
        run(main, ["--video", str(folder / "clip.mp4"), "--predictions", str(predictions), "--output", str(out),
                   "--quiet"])
    err = capsys.readouterr().err
    assert exit_info.value.code == 2 and err.startswith("error: ") and err.count("\n") == 1, err
    assert message in err, f"expected {message!r} in {err!r}"
    assert sorted(p.name for p in tmp_path.iterdir()) == before, "nothing may be written"
    assert probe(folder / "clip.mp4").num_frames == NUM_FRAMES, "the input video must be untouched"


def test_heatmap_without_a_model_is_refused(files, tmp_path, capsys):
    folder, _, _ = files
    with pytest.raises(SystemExit):
        run(main, ["--video", str(folder / "clip.mp4"), "--predictions", str(folder / "report.json"),
                   "--output", str(tmp_path / "a.mp4"), "--heatmap"])
    assert "--heatmap needs --model" in capsys.readouterr().err


def test_heatmap_changes_the_face_region_only(files, tmp_path):
    folder, clip, _ = files
    torch.manual_seed(0)
    save_checkpoint(tmp_path / "meso4.pt", build_detector("meso4"), arch="meso4")
    plain, heat = tmp_path / "plain.mp4", tmp_path / "heat.mp4"
    common = ["--video", str(folder / "clip.mp4"), "--predictions", str(folder / "report.json"), "--quiet"]
    assert run(main, common + ["--output", str(plain)]) == 0
    assert run(main, common + ["--output", str(heat), "--heatmap", "--model", str(tmp_path / "meso4.pt"),
                               "--device", "cpu"]) == 0
    a, b = (read_frames(path, num_frames=1)[0][0][:SIZE].astype(float) for path in (plain, heat))
    x0, y0, x1, y1 = clip.boxes[0]
    half = 1.3 * max(x1 - x0, y1 - y0) / 2  # the crop the model saw: 1.3 x the box, square, about its centre
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    inside = np.zeros((SIZE, SIZE), bool)
    inside[max(int(cy - half) + 2, 0):int(cy + half) - 2, max(int(cx - half) + 2, 0):int(cx + half) - 2] = True
    outside = np.ones((SIZE, SIZE), bool)
    outside[max(int(cy - half) - 8, 0):int(cy + half) + 8, max(int(cx - half) - 8, 0):int(cx + half) + 8] = False
    diff = np.abs(a - b).mean(axis=2)
    assert diff[inside].mean() > 10, f"the heat map should colour the face crop (mean change {diff[inside].mean():.1f})"
    assert np.median(diff[outside]) <= 2, f"pixels away from the face changed by {np.median(diff[outside]):.1f}"


def test_heatmap_with_another_detector_than_the_report_is_refused(files, tmp_path, capsys):
    folder, _, _ = files
    save_checkpoint(tmp_path / "inception.pt", build_detector("mesoinception4"), arch="mesoinception4")
    with pytest.raises(SystemExit):
        run(main, ["--video", str(folder / "clip.mp4"), "--predictions", str(folder / "report.json"),
                   "--output", str(tmp_path / "a.mp4"), "--heatmap", "--model", str(tmp_path / "inception.pt"),
                   "--device", "cpu"])
    assert "made by meso4, but --model holds mesoinception4" in capsys.readouterr().err
    assert not (tmp_path / "a.mp4").exists()
