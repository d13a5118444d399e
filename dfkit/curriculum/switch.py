"""The implementation switch: a phase module path -> the learner's template or the reference.

``"phase1_cnn_detection.template_mesonet"`` names the exercise; with ``impl="templates"`` it is
imported from ``phase1_cnn_detection/`` (the learner's file), with ``impl="solutions"`` from
``solutions/phase1_cnn_detection/``.

The default is ``solutions`` so a fresh clone's notebooks and CLIs run; a learner switches every
notebook, CLI and test to their own code with ``export DFD_IMPL=templates`` (or ``--impl templates``).
"""
import importlib
import os
from pathlib import Path

IMPLS = ("solutions", "templates")
DEFAULT_IMPL = "solutions"
ENV_VAR = "DFD_IMPL"
ROOT = Path(__file__).resolve().parents[2]
PHASES = (
    "phase1_cnn_detection",
    "phase2_temporal_analysis",
    "phase3_frequency_analysis",
    "phase4_biological_signals",
    "phase5_advanced_methods",
)


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


def load(name, impl=None):
    """Import and return phase module ``name`` (e.g. ``"phase1_cnn_detection.template_mesonet"``).

    Errors inside the module (SyntaxError, NotImplementedError at import, ...) propagate unchanged,
    so a broken template fails only the code that loads it.
    """
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
