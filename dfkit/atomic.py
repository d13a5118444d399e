"""Write files all-or-nothing: a temp file in the same folder, then ``os.replace``.

A crash or Ctrl-C mid-write leaves the previous file (or none), never half a file. The file gets
the permissions any program's new file gets: mode 0o666 less the process umask (0644 under the
usual umask 022), not the owner-only 0600 of :func:`tempfile.mkstemp`.
"""
import json
import os
import secrets
from contextlib import contextmanager
from pathlib import Path


def _create_beside(path):
    """Create an empty temp file with a fresh random name beside ``path``; return its path.

    ``os.open`` with mode 0o666 lets the kernel apply the umask (and any default ACL), exactly as
    for ``open(path, "w")``; ``O_EXCL`` makes the name this writer's alone.
    """
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
    os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
    return tmp


@contextmanager
def atomic_path(path):
    """Yield a temporary path beside ``path``; on success it is renamed onto ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = _create_beside(path)
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def write_json(path, obj, indent=2):
    """Atomically write ``obj`` as JSON to ``path``."""
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(obj, indent=indent) + "\n")
