"""One error family for every user-facing failure (bad file, no face, bad layout, bad checkpoint).

CLIs catch :class:`DfkitError` and print its message once, with a non-zero exit
(see :func:`dfkit.cli.run`). The message must say what was expected and where.
"""


class DfkitError(Exception):
    """Base class: a problem with the user's input, explained in plain words."""


class VideoReadError(DfkitError):
    """A video is missing, empty, truncated, not a video, or has no frames."""


class NoFaceError(DfkitError):
    """No face was found where one was required."""


class DatasetLayoutError(DfkitError):
    """A dataset folder does not have the published layout."""


class DeviceError(DfkitError, ValueError):
    """A device that is not a device, or that this machine does not have."""


class CheckpointError(DfkitError):
    """A checkpoint is corrupt or belongs to another architecture."""
