"""A two-module toy curriculum written into a temp folder, to exercise the grading machinery end to end."""
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

PHASE = "phase1_cnn_detection"

TOY_SOLUTION = textwrap.dedent('''\
    """Toy exercises."""
    from dfkit.curriculum import load


    def add_doubled(a, b):
        """2 * (a + b): given code that uses template_other's double through the switch."""
        return load("phase1_cnn_detection.template_other").double(add(a, b))


    def add(a, b):
        """Return a + b."""
        # BEGIN SOLUTION
        # HINT: Python has an operator for this.
        return a + b
        # END SOLUTION


    def scale(values, k):
        """Multiply each value by k."""
        # BEGIN SOLUTION
        return [v * k for v in values]
        # END SOLUTION
    ''')

OTHER_SOLUTION = textwrap.dedent('''\
    """Another toy exercise."""


    def double(x):
        """Return 2 * x."""
        # BEGIN SOLUTION
        return 2 * x
        # END SOLUTION
    ''')

TOY_TESTS = textwrap.dedent('''\
    import pytest

    pytestmark = pytest.mark.exercise("phase1_cnn_detection.template_toy")


    @pytest.mark.points(2)
    def test_add(exercise, agrees_with_reference):
        got = exercise.add(2, 3)
        assert got == 5, f"expected 5, got {got}"
        agrees_with_reference(got, lambda ref: ref.add(2, 3))


    @pytest.mark.points(1)
    def test_scale(exercise):
        got = exercise.scale([1, 2], 3)
        assert got == [3, 6], f"expected [3, 6], got {got}"
    ''')

OTHER_TESTS = textwrap.dedent('''\
    import pytest

    pytestmark = pytest.mark.exercise("phase1_cnn_detection.template_other")


    @pytest.mark.points(4)
    def test_double(exercise):
        assert exercise.double(21) == 42
    ''')


USES_OTHER_TESTS = textwrap.dedent('''\
    import pytest

    from dfkit.curriculum import load, resolve_impl

    pytestmark = pytest.mark.exercise("phase1_cnn_detection.template_toy")


    @pytest.mark.points(2)
    def test_add_doubled_uses_the_reference_double(exercise):
        got = exercise.add_doubled(2, 3)
        assert got == 10, f"expected 10, got {got}"


    @pytest.mark.points(1)
    def test_explicit_impl_gets_the_learners_double(exercise):
        assert load("phase1_cnn_detection.template_other", impl=resolve_impl()).double(2) == 4
    ''')


def make_toy_curriculum(root):
    """Write solutions, generated templates and graded tests under ``root``; return ``root``."""
    from dfkit.curriculum import generate

    root = Path(root)
    for sub in ("solutions", f"solutions/{PHASE}", PHASE, "tests"):
        (root / sub).mkdir(parents=True, exist_ok=True)
        (root / sub / "__init__.py").touch()
    (root / "tests" / "__init__.py").unlink()
    (root / "solutions" / PHASE / "template_toy.py").write_text(TOY_SOLUTION)
    (root / "solutions" / PHASE / "template_other.py").write_text(OTHER_SOLUTION)
    (root / "tests" / "test_toy.py").write_text(TOY_TESTS)
    (root / "tests" / "test_other.py").write_text(OTHER_TESTS)
    (root / "pytest.ini").write_text("[pytest]\n")
    assert generate.main(["--root", str(root)]) == 0
    return root


def grade(root, timeout_s=3, select=("tests",)):
    """Run ``pytest <select> --impl templates`` on the toy curriculum; return (exit code, grades.json, output)."""
    env = {**os.environ, "PYTHONPATH": str(root)}
    env.pop("DFD_IMPL", None)
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", *select, "--impl", "templates", "--grades-dir", str(root),
         "--learner", "toy", "-o", f"timeout={timeout_s}", "-p", "no:cacheprovider"],
        cwd=root, env=env, capture_output=True, text=True, timeout=120)
    report = json.loads((root / "grades.json").read_text())
    return proc.returncode, report, proc.stdout + proc.stderr


def by_test(report):
    return {part["test"]: part for part in report["parts"]}
