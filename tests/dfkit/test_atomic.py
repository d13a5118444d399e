"""Atomic writes: all-or-nothing, and the file mode follows the umask like any program's new file."""
import os
import stat

import numpy as np
import pytest
import torch

from dfkit.atomic import atomic_path, write_json
from dfkit.reports import plot_roc, write_report
from dfkit.training import save_checkpoint
from dfkit.video import write_video


@pytest.fixture
def umask():
    """``os.umask``, for the test to set; the process's own umask comes back afterwards."""
    old = os.umask(0o022)
    try:
        yield os.umask
    finally:
        os.umask(old)


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def _text(path):
    with atomic_path(path) as tmp:
        tmp.write_text("x")


def _json(path):
    write_json(path, {"auc": 0.5})


def _report(path):
    write_report(path, {"auc": 0.5})


def _checkpoint(path):
    save_checkpoint(path, torch.nn.Linear(2, 1), arch="linear")


def _png(path):
    plot_roc([0, 1, 0, 1], [0.1, 0.9, 0.4, 0.6], path)


def _video(path):
    write_video(path, np.zeros((2, 32, 32, 3), np.uint8), fps=25)


WRITERS = {"atomic_path": (_text, "a.txt"), "write_json": (_json, "a.json"), "report": (_report, "metrics.json"),
           "checkpoint": (_checkpoint, "best.pt"), "png": (_png, "roc.png"), "video": (_video, "a.mp4")}


@pytest.mark.parametrize("writer", WRITERS)
@pytest.mark.parametrize(("mask", "expected"), [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_written_file_mode_is_0666_less_the_umask(tmp_path, umask, writer, mask, expected):
    write, name = WRITERS[writer]
    umask(mask)
    write(tmp_path / "out" / name)
    assert oct(mode(tmp_path / "out" / name)) == oct(expected), f"{writer} under umask {oct(mask)}"
    assert os.listdir(tmp_path / "out") == [name], "a temporary file was left behind"


def test_failed_write_keeps_the_old_file_and_leaves_no_temp(tmp_path):
    path = tmp_path / "a.json"
    write_json(path, {"v": 1})
    with pytest.raises(RuntimeError), atomic_path(path) as tmp:
        tmp.write_text('{"v": 2, "half')
        raise RuntimeError("killed mid-write")
    assert path.read_text() == '{\n  "v": 1\n}\n'
    assert os.listdir(tmp_path) == ["a.json"]


def test_concurrent_writers_get_their_own_temp_files(tmp_path):
    path = tmp_path / "a.txt"
    with atomic_path(path) as first, atomic_path(path) as second:
        assert first != second and first.parent == second.parent == tmp_path
        first.write_text("first")
        second.write_text("second")
    assert path.read_text() == "first"  # the outer block finishes last and wins
