"""What every driver shares: runtime flags, the implementation switch, and checks made before any work.

Every check raises :class:`dfkit.errors.DfkitError` (or calls ``parser.error``), so a CLI prints one
``error: ...`` line and exits with status 2 before it reads a video or writes a file.
"""
import os
from contextlib import contextmanager
from pathlib import Path

from dfkit.curriculum.exercises import exercise_message
from dfkit.curriculum.switch import ENV_VAR
from dfkit.errors import DeviceError, DfkitError

def add_runtime_arguments(parser):
    """--device, --num-workers and --quiet."""
    parser.add_argument("--device", default=None, help="cpu, cuda, cuda:1, mps (default: best available)")
    parser.add_argument("--num-workers", type=int, default=0, help="DataLoader worker processes")
    parser.add_argument("--quiet", action="store_true", help="no progress bars or per-epoch lines")


def use_impl(impl):
    """Make ``impl`` ("solutions" / "templates" / None = keep the default) apply to every phase module the
    tool loads, including those the library reaches through the switch (crops, pooling, architectures)."""
    if impl:
        os.environ[ENV_VAR] = impl


def checked_device(preference):
    """The torch.device for ``--device`` (None = best available); DfkitError if it is unknown or absent."""
    from dfkit.training import select_device

    try:
        return select_device(preference)
    except DeviceError as err:
        raise DeviceError(f"--device {preference}: {err}") from None


def checked_output_file(path, flag="--output"):
    """``path`` as a Path, if a file can be written there: not a folder, inside a folder that exists or
    can be made, writable. Makes nothing."""
    path = Path(path)
    if path.is_dir():
        raise DfkitError(f"{flag} {path} is a folder; give a file name")
    _check_writable_folder(path.parent, flag, path)
    return path


def checked_output_dir(path, flag="--output"):
    """``path`` as a Path, if it is (or can become) a writable folder. Makes nothing."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise DfkitError(f"{flag} {path} is a file, not a folder")
    _check_writable_folder(path, flag, path)
    return path


def _check_writable_folder(folder, flag, given):
    existing = folder
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir():
        raise DfkitError(f"{flag} {given}: {existing} is a file, not a folder")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise DfkitError(f"{flag} {given}: {existing} is not writable")


@contextmanager
def exercises_reported():
    """Turn an unimplemented exercise into one line (:func:`dfkit.curriculum.exercises.exercise_message`)."""
    try:
        yield
    except NotImplementedError as err:
        message = exercise_message(err)
        if message is None:
            raise
        raise DfkitError(f"{message}; --impl templates runs your code, --impl solutions the reference") from None
