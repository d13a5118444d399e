"""The gates CI relies on, run on this repository's real templates.

(a) parity of public API, staleness against the solutions, and (b) every graded test fails with
NotImplementedError on the untouched templates. (c), the suite passing on the solutions, is the
rest of the suite itself.
"""
import json
import os
import subprocess
import sys

import pytest

from dfkit.curriculum import generate, parity
from dfkit.curriculum.switch import ROOT


def test_committed_templates_are_what_the_solutions_generate(tmp_path):
    assert generate.main(["--out", str(tmp_path)]) == 0
    generated = sorted(tmp_path.rglob("template_*.py"))
    assert generated, "no solution templates found"
    stale = [p.relative_to(tmp_path) for p in generated
             if p.read_text() != (ROOT / p.relative_to(tmp_path)).read_text()]
    assert not stale, f"stale templates (run `make templates`): {stale}"


def test_templates_expose_the_solutions_public_api():
    assert parity.check() == []


@pytest.mark.timeout(900)
def test_every_graded_test_fails_with_not_implemented_on_untouched_templates(tmp_path):
    env = {**os.environ, "DFD_IMPL": "templates"}
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "tests", "-m", "points", "--impl", "templates",
         "--grades-dir", str(tmp_path), "-q", "-p", "no:cacheprovider"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=880)
    report = json.loads((tmp_path / "grades.json").read_text())
    assert report["parts"], proc.stdout[-2000:]
    wrong = [f"{p['module']}::{p['test']}: {p['status']} {p['message'][:200]}"
             for p in report["parts"] if p["status"] not in ("not implemented yet", "skipped")]
    assert not wrong, ("graded tests that do not fail with NotImplementedError on untouched templates:\n"
                       + "\n".join(wrong))
    assert report["earned"] == 0
