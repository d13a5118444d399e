"""The implementation switch: a phase module path -> the learner's template or the reference.

``"phase1_cnn_detection.template_mesonet"`` names the exercise; with ``impl="templates"`` it is
imported from ``phase1_cnn_detection/`` (the learner's file), with ``impl="solutions"`` from
``solutions/phase1_cnn_detection/``.

The default is ``solutions`` so a fresh clone's notebooks and CLIs run; a learner switches every
notebook, CLI and test to their own code with ``export DFD_IMPL=templates`` (or ``--impl templates``).

While a graded test of one module runs (:func:`graded_scope`, set by the pytest plugin), every
*other* phase module loaded without an explicit ``impl`` is the reference: a test of the learner's
classifier that builds a MesoNet costs points only in the classifier, never for the MesoNet.
"""
import contextlib
import importlib
import os
import re
from pathlib import Path

IMPLS = ("solutions", "templates")
DEFAULT_IMPL = "solutions"
ENV_VAR = "DFD_IMPL"
ROOT = Path(__file__).resolve().parents[2]
PHASE_FOLDER = re.compile(r"phase\d_\w+")
_graded = None  # the module a graded test is grading (see graded_scope), else None


def discover_phases(root=ROOT):
    """Names of the phase packages under ``root``: folders ``phase<digit>_*`` with an ``__init__.py``, sorted."""
    return tuple(sorted(p.name for p in Path(root).iterdir()
                        if PHASE_FOLDER.fullmatch(p.name) and (p / "__init__.py").is_file()))


PHASES = discover_phases()


def resolve_impl(impl=None):
    """Return ``impl`` if given, else ``$DFD_IMPL``, else :data:`DEFAULT_IMPL`; reject unknown names."""
    chosen = impl or os.environ.get(ENV_VAR) or DEFAULT_IMPL
    if chosen not in IMPLS:
        raise ValueError(f"unknown implementation {chosen!r}: expected one of {', '.join(IMPLS)} "
                         f"(from the impl argument, --impl or ${ENV_VAR})")
    return chosen


def _qualified(name, impl):
    phase = name.split(".", 1)[0]
    if phase not in PHASES or "." not in name:
        raise ValueError(f"{name!r} is not a phase module: expected '<phase>.<module>' with phase in "
                         f"{', '.join(PHASES)}")
    return name if impl == "templates" else f"solutions.{name}"


@contextlib.contextmanager
def graded_scope(name):
    """While active, :func:`load` of any phase module other than ``name`` (without ``impl``) gives the reference."""
    global _graded
    outer, _graded = _graded, name
    try:
        yield
    finally:
        _graded = outer


def load(name, impl=None):
    """Import and return phase module ``name`` (e.g. ``"phase1_cnn_detection.template_mesonet"``).

    Errors inside the module (SyntaxError, NotImplementedError at import, ...) propagate unchanged,
    so a broken template fails only the code that loads it.
    """
    if impl is None and _graded is not None and name != _graded:
        impl = "solutions"
    return importlib.import_module(_qualified(name, resolve_impl(impl)))


def reference(name):
    """The reference solution module for ``name``, whatever the switch says (for comparisons)."""
    return load(name, impl="solutions")


def module_path(name, impl=None):
    """Path of the file :func:`load` would import for ``name``."""
    return ROOT.joinpath(*_qualified(name, resolve_impl(impl)).split(".")).with_suffix(".py")


def add_impl_argument(parser):
    """Add the standard ``--impl {solutions,templates}`` flag to an argparse parser."""
    parser.add_argument("--impl", choices=IMPLS, default=None,
                        help=f"run the reference solutions or your templates "
                             f"(default: ${ENV_VAR} or {DEFAULT_IMPL})")
    return parser
