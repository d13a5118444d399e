"""detect_video.py on a two-person clip (one real, one blend fake, a skin-coloured blob between them): two
tracks, the fake person's track decides the video, the report keeps its per-frame fields for that track."""
import json

import numpy as np
import pytest
import torch

import detect_video
from dfkit import registry
from dfkit.cli import run
from dfkit.faces import crop_faces
from dfkit.synthetic.people import make_people_clip
from dfkit.training import save_checkpoint
from dfkit.video import write_video
from tests.box_geometry import iou
from tests.smoothness_detector import INPUT_SIZE, SmoothnessNet, register

FRAMES = 6


@pytest.fixture(scope="module")
def smoothness(tmp_path_factory):
    """The fixed smoothness detector (smooth, generator-made faces score high) as a checkpoint."""
    register()
    path = tmp_path_factory.mktemp("smoothness") / "smoothness.pt"
    save_checkpoint(path, registry.build_detector("smoothness"), arch="smoothness")
    yield path
    registry.unregister("smoothness")


def detect(video, checkpoint, output):
    assert run(detect_video.main, ["--input", str(video), "--model", str(checkpoint), "--output", str(output),
                                   "--frames", str(FRAMES), "--device", "cpu", "--precision", "fp32"]) == 0
    return json.loads(output.read_text())


def truth_scores(clip, indices):
    """Each person's score from the generator's frames and boxes (no video, no tracker): the smoothness
    formula on their crops."""
    model = SmoothnessNet()
    scores = []
    for boxes in clip.boxes:
        crops = crop_faces(clip.frames[indices], boxes[indices], size=INPUT_SIZE)
        with torch.no_grad():
            scores.append(float(torch.sigmoid(model(torch.from_numpy(crops).permute(0, 3, 1, 2) / 255)).mean()))
    return scores


@pytest.mark.parametrize("fake_person", [0, 1], ids=["fake on the left", "fake on the right"])
def test_the_fake_persons_track_decides_the_video(smoothness, tmp_path, fake_person):
    fakes = (fake_person == 0, fake_person == 1)
    clip = make_people_clip(seed=3, fakes=fakes, num_frames=12, size=128, distractor=True, photo="astronaut")
    write_video(tmp_path / "two.mp4", clip.frames, fps=25, crf=18)
    report = detect(tmp_path / "two.mp4", smoothness, tmp_path / "report.json")

    indices = [f["index"] for f in report["frames"]]
    tracks = report["tracks"]
    assert len(tracks) == 2, f"expected one track per person (and none on the blob), got {len(tracks)}"
    person_of = {}
    for track in tracks:
        boxes = np.array([f["box"] for f in track["frames"]])
        overlaps = [np.mean([iou(b, t) for b, t in zip(boxes, clip.boxes[p][indices])]) for p in range(2)]
        person_of[track["id"]] = int(np.argmax(overlaps))
        assert max(overlaps) >= 0.6, f"track {track['id']} matches no person: mean IoU {overlaps}"
        assert [f["index"] for f in track["frames"]] == indices
    assert sorted(person_of.values()) == [0, 1]

    score = {person_of[t["id"]]: t["score"] for t in tracks}
    expected = truth_scores(clip, indices)
    assert expected[fake_person] > expected[1 - fake_person], f"the detector itself ranks the crops {expected}"
    assert score[fake_person] > 0.5 > score[1 - fake_person], f"track scores {score}, ground-truth crops {expected}"
    chosen = [t for t in tracks if t["chosen"]]
    assert len(chosen) == 1 and person_of[chosen[0]["id"]] == fake_person
    assert report["video_score"] == chosen[0]["score"] == max(score.values())
    assert report["frames"] == chosen[0]["frames"], "the per-frame fields are the deciding track's"
    assert report["verdict"] == "fake"


def test_one_person_gives_one_track_and_the_same_report_fields(smoothness, tmp_path):
    clip = make_people_clip(seed=3, fakes=(False,), num_frames=12, size=128, photo="astronaut")
    write_video(tmp_path / "one.mp4", clip.frames, fps=25, crf=18)
    report = detect(tmp_path / "one.mp4", smoothness, tmp_path / "report.json")
    (track,) = report["tracks"]
    assert track["chosen"] and track["frames"] == report["frames"] and report["video_score"] == track["score"]
    assert set(report["frames"][0]) == {"index", "box", "face_found", "score"}
    assert report["verdict"] == "real"
