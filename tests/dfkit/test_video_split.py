"""dfkit.data.video_split: a real video and every fake made from it land on the same side."""
import pytest

from dfkit.data import split_videos, video_groups
from dfkit.synthetic.dataset_writer import split_pairs


def _faceforensics_ids(num_videos, seed):
    """Ids and labels as the FF++ reader gives them for a synthetic dataset's pairs."""
    ids, labels = [], []
    for pairs in split_pairs(num_videos, seed).values():
        for a, b in pairs:
            ids += [f"real/{a}", f"real/{b}", f"Deepfakes/{a}_{b}", f"Deepfakes/{b}_{a}"]
            labels += [0, 0, 1, 1]
    return ids, labels


def test_faceforensics_pairs_form_one_group_each():
    groups = video_groups(["real/000", "real/001", "Deepfakes/000_001", "Deepfakes/001_000",
                           "real/002", "real/003", "Face2Face/003_002"])
    assert groups["real/000"] == groups["real/001"] == groups["Deepfakes/000_001"] == groups["Deepfakes/001_000"]
    assert groups["real/002"] == groups["Face2Face/003_002"] == groups["real/003"]
    assert groups["real/000"] != groups["real/002"]


def test_in_memory_positions_pair_real_with_next_fake():
    groups = video_groups(["real/0000", "blend/0001", "real/0002", "blend/0003"])
    assert groups["real/0000"] == groups["blend/0001"] != groups["real/0002"] == groups["blend/0003"]


def test_other_names_are_their_own_group():
    groups = video_groups(["real/id0_0001", "fake/id0_id1_0001", "real/abc"])
    assert len(set(groups.values())) == 3


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_split_never_separates_a_target_from_its_fakes(seed):
    ids, labels = _faceforensics_ids(40, seed=7)
    train, val = split_videos(ids, labels, val_fraction=0.2, seed=seed)
    assert sorted(train + val) == sorted(ids)
    train_videos = {part for v in train for part in v.split("/")[1].split("_")}
    val_videos = {part for v in val for part in v.split("/")[1].split("_")}
    assert not train_videos & val_videos
    assert len(val) == 4 * 4            # 20 pairs, 20 % of them -> 4 pairs of 4 videos each
    assert {labels[ids.index(v)] for v in val} == {0, 1}


def test_split_is_seeded():
    ids, labels = _faceforensics_ids(20, seed=3)
    assert split_videos(ids, labels, 0.25, seed=5) == split_videos(list(reversed(ids)), list(reversed(labels)), 0.25, 5)
    assert split_videos(ids, labels, 0.25, seed=5) != split_videos(ids, labels, 0.25, seed=6)


def test_frame_level_ids_repeat_without_changing_the_split():
    ids, labels = _faceforensics_ids(12, seed=0)
    per_frame_ids = [v for v in ids for _ in range(3)]
    per_frame_labels = [lab for lab in labels for _ in range(3)]
    assert split_videos(per_frame_ids, per_frame_labels, 0.3, seed=1) == split_videos(ids, labels, 0.3, seed=1)
