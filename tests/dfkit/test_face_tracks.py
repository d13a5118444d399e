"""Face tracks: linking rules on hand-made detections, the sanity checks, the two-person generator, and MTCNN
tracks on two-person clips against the generator's per-person boxes (a distractor blob never becomes a track)."""
import numpy as np
import pytest

from dfkit.errors import NoFaceError
from dfkit.faces import Detection, FaceDetector, FaceTracker
from dfkit.faces.pipeline import SMOOTH_WINDOW, min_face_px
from dfkit.faces.tracks import MIN_CONFIDENCE, face_tracks, link_detections, plausible_face
from dfkit.synthetic import make_clip
from dfkit.synthetic.people import make_people_clip, person_seed
from tests.box_geometry import iou

# The five MTCNN points of a frontal face, as fractions of its box: eyes, nose, mouth corners.
FACE_POINTS = np.array([[0.3, 0.4], [0.7, 0.4], [0.5, 0.6], [0.35, 0.8], [0.65, 0.8]])


def face(box, score=0.99, points=FACE_POINTS):
    """A Detection with face-shaped points inside ``box``."""
    box = np.asarray(box, float)
    return Detection(box=box, score=score, points=box[:2] + points * (box[2:] - box[:2]))


def boxes_moving(x, y, side, step, frames):
    """(frames, 4) boxes of a ``side`` x 1.25 ``side`` face moving ``step`` px right per frame."""
    return np.array([[x + t * step, y, x + t * step + side, y + 1.25 * side] for t in range(frames)], float)


NOT_A_FACE = {
    "low confidence": dict(score=MIN_CONFIDENCE - 0.05),
    "flat box 3:1": dict(box=[0, 0, 90, 30]),
    "tall box 1:3": dict(box=[0, 0, 30, 90]),
    "points outside the box": dict(points=FACE_POINTS + [0.6, 0]),
    "eyes on one point": dict(points=np.array([[0.5, 0.4], [0.5, 0.4], [0.5, 0.6], [0.35, 0.8], [0.65, 0.8]])),
    "nose below the mouth": dict(points=np.array([[0.3, 0.3], [0.7, 0.3], [0.5, 0.9], [0.35, 0.5], [0.65, 0.5]])),
    "eyes and mouth on one line": dict(points=np.array([[0.3, 0.5], [0.7, 0.5], [0.5, 0.5], [0.35, 0.52],
                                                        [0.65, 0.52]])),
}


@pytest.mark.parametrize("case", sorted(NOT_A_FACE))
def test_implausible_detections_are_rejected(case):
    args = dict(box=[0, 0, 40, 50]) | NOT_A_FACE[case]
    assert plausible_face(face(args.pop("box"), **args)) is False


@pytest.mark.parametrize("angle", [0, 30, -30, 180], ids=["upright", "tilted 30 left", "tilted 30 right",
                                                          "upside down"])
def test_a_rotated_face_is_still_a_face(angle):
    theta = np.deg2rad(angle)
    rotation = np.array([[np.cos(theta), -np.sin(theta)], [np.sin(theta), np.cos(theta)]])
    points = (FACE_POINTS - 0.5) @ rotation.T * 0.8 + 0.5  # about the box centre, kept inside
    assert plausible_face(face([100, 100, 180, 200], points=points))


def test_two_faces_a_gap_a_blob_and_a_flash_give_two_tracks():
    frames = 8
    left, right = boxes_moving(20, 30, 40, 6, frames), boxes_moving(200, 40, 44, -5, frames)
    detections = []
    for t in range(frames):
        found = [face(right[t], 0.97)]
        if t != 2:  # the left face is missed in frame 2
            found.append(face(left[t], 0.99))
        blob = face([120 + t, 100, 160 + t, 150], 0.99, points=np.full((5, 2), 0.5))  # skin blob: no face layout
        found.append(blob)
        if t == 5:
            found.append(face([120, 10, 150, 48], 0.95))  # a face-like flash in one frame only
        detections.append(found)
    tracks = face_tracks(detections, window=1)
    assert len(tracks) == 2, f"expected the two faces, got {len(tracks)} tracks"
    by_x = sorted(tracks, key=lambda tr: tr.boxes[0, 0])
    assert by_x[0].found.tolist() == [t != 2 for t in range(frames)]
    assert by_x[1].found.all()
    np.testing.assert_allclose(by_x[0].boxes[by_x[0].found], left[np.arange(frames) != 2])
    np.testing.assert_allclose(by_x[0].boxes[2], (left[1] + left[3]) / 2)  # interpolated across the gap
    np.testing.assert_allclose(by_x[1].boxes, right)
    assert by_x[1].confidence.tolist() == [0.97] * frames and np.isnan(by_x[0].confidence[2])


def test_a_face_that_jumps_between_sampled_frames_stays_one_track():
    """Sampled frames can be a second apart: a move of half a face side with no overlap still links."""
    boxes = boxes_moving(0, 0, 40, 22, 6)  # IoU of neighbours ~0.05
    assert iou(boxes[0], boxes[1]) < 0.3
    tracks = face_tracks([[face(b)] for b in boxes], window=1)
    assert len(tracks) == 1 and tracks[0].found.all()


def test_two_close_faces_keep_their_identities():
    """Each track takes the detection nearest its last box, whatever order MTCNN lists them in."""
    a, b = boxes_moving(0, 0, 40, 8, 6), boxes_moving(50, 0, 40, 8, 6)
    detections = [[face(a[t]), face(b[t])][::1 if t % 2 else -1] for t in range(6)]
    linked = link_detections(detections)
    assert len(linked) == 2
    for track in linked:
        xs = [d.box[0] for d in track]
        assert np.allclose(np.diff(xs), 8), f"a track jumped between faces: x0 = {xs}"


def test_short_tracks_are_dropped_but_a_lone_face_is_kept():
    frames = 8
    main = boxes_moving(0, 0, 40, 2, frames)
    detections = [[face(main[t])] + ([face([200, 0, 240, 50])] if t == 3 else []) for t in range(frames)]
    assert len(face_tracks(detections)) == 1, "a face in 1 of 8 frames beside a steady one is dropped"
    alone = [[face([200, 0, 240, 50])] if t == 3 else [] for t in range(frames)]
    (track,) = face_tracks(alone)
    assert track.found.tolist() == [t == 3 for t in range(frames)] and np.allclose(track.boxes, [200, 0, 240, 50])


def test_no_plausible_face_raises():
    with pytest.raises(NoFaceError, match="no face found in any of the 2 frames"):
        face_tracks([[face([0, 0, 90, 30])], []])


def test_people_clip_is_the_persons_clips_side_by_side():
    clip = make_people_clip(seed=4, fakes=(False, True), num_frames=3, size=64, distractor=True,
                            manipulations=("blend",))
    assert clip.frames.shape == (3, 64, 192, 3) and clip.labels.tolist() == [0, 1] and clip.label == 1
    for p, fake in enumerate((False, True)):
        alone = make_clip(seed=person_seed(4, p), num_frames=3, size=64, fake=fake)
        x = int(clip.offsets[p])
        assert np.array_equal(clip.frames[:, :, x:x + 64], alone.frames), f"person {p}'s panel"
        np.testing.assert_allclose(clip.boxes[p], alone.boxes + [x, 0, x, 0])
        np.testing.assert_allclose(clip.masks[:, :, x:x + 64], alone.masks)
    assert clip.offsets.tolist() == [0, 128], "the distractor panel sits between the two people"
    assert clip.masks[:, :, :64].max() == 0 and clip.masks[:, :, 128:].max() > 0.5
    box = clip.distractor[0]
    assert 64 <= box[0] < box[2] <= 128
    centre = clip.frames[0, int((box[1] + box[3]) / 2), int((box[0] + box[2]) / 2)].astype(int)
    assert centre[0] > centre[1] > centre[2] > 80, f"the blob is skin-coloured (R > G > B), got {centre}"
    again = make_people_clip(seed=4, fakes=(False, True), num_frames=3, size=64, distractor=True)
    assert np.array_equal(again.frames, clip.frames)


@pytest.fixture(scope="module")
def tracker():
    return FaceTracker(device="cpu")


@pytest.mark.parametrize("seed", [0, 1], ids=["seed 0", "seed 1"])
def test_mtcnn_tracks_the_two_people_and_not_the_blob(tracker, seed):
    clip = make_people_clip(seed=seed, num_frames=6, size=128, distractor=True, photo="astronaut")
    tracks = tracker.tracks(clip.frames)
    assert len(tracks) == 2, f"expected one track per person, got {len(tracks)}"
    matched = set()
    for track in tracks:
        overlaps = [min(iou(b, truth) for b, truth in zip(track.boxes, clip.boxes[p])) for p in range(2)]
        person = int(np.argmax(overlaps))
        assert overlaps[person] >= 0.6, f"track boxes vs the generator's: min IoU {overlaps}"
        assert max(iou(b, blob) for b, blob in zip(track.boxes, clip.distractor)) == 0, "a track on the blob"
        matched.add(person)
    assert matched == {0, 1}


def test_single_face_boxes_are_those_of_the_largest_face_path(tracker):
    """With one face, the main track is exactly the former per-frame largest face, filled and smoothed."""
    clip = make_clip(seed=5, num_frames=8, size=(128, 160), photo="astronaut")
    boxes, found = tracker(clip.frames)
    former = FaceDetector(device="cpu", detect_size=tracker.detect_size,
                          min_face_size=min_face_px(clip.frames.shape[1:]))
    expected_boxes, expected_found = former.detect_clip(clip.frames, window=SMOOTH_WINDOW)
    np.testing.assert_array_equal(found, expected_found)
    np.testing.assert_allclose(boxes, expected_boxes)
    assert min(iou(b, truth) for b, truth in zip(boxes, clip.boxes)) > 0.7
    assert len(tracker.tracks(clip.frames)) == 1
