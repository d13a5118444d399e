"""Curriculum tooling: the implementation switch, template generation, parity and grading.

The switch is :func:`load`. Every CLI, notebook and test reaches phase code through it::

    xception = load("phase1_cnn_detection.template_xceptionnet")            # default impl
    mine = load("phase1_cnn_detection.template_xceptionnet", impl="templates")

Choice of implementation, first match wins: the ``impl`` argument (CLIs pass their ``--impl``
flag here), the ``DFD_IMPL`` environment variable, then :data:`DEFAULT_IMPL`.
"""
from dfkit.curriculum.switch import (
    DEFAULT_IMPL,
    IMPLS,
    add_impl_argument,
    load,
    module_path,
    reference,
    resolve_impl,
)

__all__ = ["DEFAULT_IMPL", "IMPLS", "add_impl_argument", "load", "module_path", "reference", "resolve_impl"]
