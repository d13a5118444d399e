"""pytest plugin (registered by the package's ``pytest11`` entry point): grading a curriculum.

Options: ``--impl {solutions,templates}`` (sets ``DFD_IMPL`` for the run and its subprocesses),
``--grade`` (report even for the solutions), ``--grades-dir DIR``, ``--learner NAME``.

Markers: ``points(n)`` makes a test graded; ``exercise(name)`` names the phase module it grades
(usually as a module-level ``pytestmark``); ``gpu`` skips the test where CUDA is missing.

While a test with an exercise marker runs, the switch gives the reference for every *other* phase
module (:func:`dfkit.curriculum.switch.graded_scope`), so points are lost only in the module that
is wrong. Subprocesses the test starts are not affected.

A run is *partial* when it selects only some of the graded tests under ``<rootdir>/tests`` (file
or test arguments, ``-k``, ``--deselect``, a narrower ``-m``). Its ``grades.json`` says
``"complete": false, "partial": true`` and names the selection, and it adds no row to
``grades.csv``: only a full run (``make grade``) is a grade.

Fixtures: ``exercise`` (the module under test, learner's or reference per the switch) and
``agrees_with_reference`` (in templates mode, compares a result with the reference solution's).
See tests/README.md for how to write a graded test.
"""
import getpass
import os

import pytest

from dfkit.curriculum import grading
from dfkit.curriculum.switch import ENV_VAR, IMPLS, graded_scope, load, reference, resolve_impl

PARTS = pytest.StashKey[dict]()     # nodeid -> part, for graded tests that have finished
GRADED = pytest.StashKey[dict]()    # nodeid -> (exercise, test name, points), in collection order
RUNNING = pytest.StashKey[str]()    # nodeid of the graded test under way ("" between tests)
DESELECTED = pytest.StashKey[int]()  # graded tests deselected (-k, -m, --deselect): the run is partial
MARKERS = (
    "points(n): a graded test worth n points",
    "exercise(name): the phase module a graded test grades, e.g. 'phase1_cnn_detection.template_mesonet'",
    "gpu: needs CUDA; skipped without it",
    "slow: takes more than a few seconds",
)


def pytest_addoption(parser):
    group = parser.getgroup("dfkit", "deepfake curriculum grading")
    group.addoption("--impl", choices=IMPLS, default=None,
                    help=f"test the reference solutions or the learner templates (default: ${ENV_VAR} or solutions)")
    group.addoption("--grade", action="store_true",
                    help="print and write the grade report (always on with --impl templates)")
    group.addoption("--grades-dir", default=".", help="folder for grades.json and grades.csv (default: .)")
    group.addoption("--learner", default=None, help="name recorded in the grade report (default: $DFD_LEARNER or user)")


def pytest_configure(config):
    for line in MARKERS:
        config.addinivalue_line("markers", line)
    if config.getoption("--impl"):
        os.environ[ENV_VAR] = config.getoption("--impl")
    config.stash[PARTS] = {}
    config.stash[GRADED] = {}
    config.stash[RUNNING] = ""
    config.stash[DESELECTED] = 0


def _cuda_available():
    import torch

    return torch.cuda.is_available()


def pytest_collection_modifyitems(config, items):
    for item in items:
        if item.get_closest_marker("points") and not item.get_closest_marker("exercise"):
            raise pytest.UsageError(f"{item.nodeid} has a points marker but no exercise marker")
    gpu_items = [item for item in items if item.get_closest_marker("gpu")]
    if gpu_items and not _cuda_available():
        for item in gpu_items:
            item.add_marker(pytest.mark.skip(reason="needs CUDA"))


def pytest_deselected(items):
    if items:
        items[0].config.stash[DESELECTED] += sum(1 for item in items if item.get_closest_marker("points"))


def _grading(config):
    return config.getoption("--grade") or resolve_impl() == "templates"


def pytest_collection_finish(session):
    """Note the graded tests that will run and write a provisional report (every part "not run")."""
    config = session.config
    if not _grading(config):
        return
    for item in session.items:
        points = item.get_closest_marker("points")
        if points is not None:
            config.stash[GRADED][item.nodeid] = (_exercise_name(item), item.name, points.args[0])
    _write_progress(config)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    """Around each graded test: report it as "crashed" while it runs, then record its result.

    Around every test of an exercise, other phase modules come from the reference (graded_scope).
    """
    config = item.config
    graded = item.nodeid in config.stash[GRADED]
    if graded:
        config.stash[RUNNING] = item.nodeid
        _write_progress(config)
    marker = item.get_closest_marker("exercise")
    with graded_scope(marker.args[0] if marker else None):
        yield
    if graded:
        config.stash[RUNNING] = ""
        _write_progress(config)


def _current_parts(config):
    """Every graded part in collection order: its result, or "crashed" (running) / "not run"."""
    parts = []
    for nodeid, (exercise, test, points) in config.stash[GRADED].items():
        if nodeid in config.stash[PARTS]:
            parts.append(config.stash[PARTS][nodeid])
        elif nodeid == config.stash[RUNNING]:
            parts.append(grading.make_part(exercise, test, points, grading.CRASHED, grading.CRASH_MESSAGE))
        else:
            parts.append(grading.make_part(exercise, test, points, grading.NOT_RUN))
    return parts


def _learner(config):
    return config.getoption("--learner") or os.environ.get("DFD_LEARNER") or getpass.getuser()


def partial_selection(config):
    """The command line of a partial run (e.g. ``"tests/phase1/test_mesonet.py --impl templates"``), "" if full.

    Full: the arguments include all of ``<rootdir>/tests`` (or a folder above it) and no graded
    test was deselected.
    """
    tests, here = config.rootpath / "tests", config.invocation_params.dir
    covered = any("::" not in arg and (here / arg).resolve() in (tests, *tests.parents) for arg in config.args)
    if covered and not config.stash[DESELECTED]:
        return ""
    return " ".join(config.invocation_params.args) or " ".join(config.args)


def _write_report(config, complete):
    return grading.write_json_report(_current_parts(config), config.getoption("--grades-dir"), resolve_impl(),
                                     _learner(config), complete, partial=partial_selection(config))


def _write_progress(config):
    if config.stash[GRADED]:
        _write_report(config, complete=False)


def _exercise_name(node):
    marker = node.get_closest_marker("exercise")
    if marker is None:
        raise pytest.UsageError(f"{node.nodeid} uses a grading fixture but has no exercise marker")
    return marker.args[0]


@pytest.fixture
def exercise(request):
    """The module under test: the learner's template or the reference, per ``--impl`` / ``DFD_IMPL``."""
    return load(_exercise_name(request.node))


def _to_comparable(value):
    if hasattr(value, "detach"):
        return value.detach().cpu().numpy()
    return value


def _assert_same(got, expected, path, rtol, atol):
    import numpy as np

    if isinstance(expected, dict):
        assert isinstance(got, dict) and set(got) == set(expected), (
            f"{path}: expected a dict with keys {sorted(expected)}, got {got!r:.200}")
        for key in expected:
            _assert_same(got[key], expected[key], f"{path}[{key!r}]", rtol, atol)
    elif isinstance(expected, (list, tuple)):
        assert isinstance(got, (list, tuple)) and len(got) == len(expected), (
            f"{path}: expected a sequence of length {len(expected)}, got {got!r:.200}")
        for i, (g, e) in enumerate(zip(got, expected)):
            _assert_same(g, e, f"{path}[{i}]", rtol, atol)
    else:
        got, expected = _to_comparable(got), _to_comparable(expected)
        assert np.shape(got) == np.shape(expected), (
            f"{path}: expected shape {np.shape(expected)} (the reference's), got {np.shape(got)}")
        np.testing.assert_allclose(got, expected, rtol=rtol, atol=atol,
                                   err_msg=f"{path} differs from the reference solution's")


@pytest.fixture
def agrees_with_reference(request):
    """``check(got, fn, rtol=1e-5, atol=1e-6)``: in templates mode assert ``got == fn(reference_module)``.

    With the reference solutions under test it does nothing: comparing the reference with itself
    proves nothing, so every graded test must also check independent ground truth.
    """
    name = _exercise_name(request.node)

    def check(got, fn, rtol=1e-5, atol=1e-6):
        if resolve_impl() == "templates":
            _assert_same(got, fn(reference(name)), "your result", rtol, atol)

    return check


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    points = item.get_closest_marker("points")
    parts = item.config.stash[PARTS]
    if points is None or (item.nodeid in parts and parts[item.nodeid]["status"] != grading.PASSED):
        return
    if report.skipped:
        status, message = grading.SKIPPED, str(report.longrepr[-1]) if report.longrepr else ""
    elif report.failed:
        status, message = grading.classify(call.excinfo.value)
    elif report.when == "call":
        status, message = grading.PASSED, ""
    else:
        return
    parts[item.nodeid] = grading.make_part(_exercise_name(item), item.name, points.args[0], status, message)


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if not _grading(config):
        return
    impl = resolve_impl()
    terminalreporter.write_sep("=", "grade report")
    if not config.stash[GRADED]:
        terminalreporter.write_line("no graded tests ran")
        return
    parts, selection = _current_parts(config), partial_selection(config)
    terminalreporter.write_line(grading.format_table(parts, impl, partial=selection))
    complete = not selection and all(p["status"] not in (grading.NOT_RUN, grading.CRASHED) for p in parts)
    paths = [_write_report(config, complete)]
    if complete:
        paths.append(grading.append_csv_row(parts, config.getoption("--grades-dir"), impl, _learner(config)))
    terminalreporter.write_line("wrote " + " and ".join(str(p) for p in paths))
