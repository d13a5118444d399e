"""Names that tie the repository together: every phase module named anywhere exists in both trees,
and every phase folder's notebook runs under `make test`."""
import json
import os
import re
import shutil
import subprocess
import sys

from dfkit.curriculum.switch import PHASES, ROOT

MODULE = re.compile(r"phase\d_[a-z_]+\.template_[a-z0-9_]+")
CALL = re.compile(r"""(?:(?:\bcurriculum\.|(?<![\w.]))(?:load|reference)|mark\.exercise)\(\s*["']([^"']*)["']""")
TOY = ROOT / "tests" / "curriculum" / "toy_curriculum.py"  # deliberate toy names


def _sources():
    """(path, text) of every Python file and notebook code that may name a phase module."""
    folders = [ROOT / "dfkit", ROOT / "solutions", ROOT / "tests", ROOT / "benchmarks",
               *(ROOT / phase for phase in PHASES)]
    files = sorted({*ROOT.glob("*.py"), *(p for folder in folders for p in folder.rglob("*.py"))} - {TOY})
    for path in files:
        yield path, path.read_text()
    for path in sorted(p for phase in PHASES for p in (ROOT / phase).rglob("*.ipynb")):
        cells = json.loads(path.read_text())["cells"]
        yield path, "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")


def _exists(name):
    phase, _, module = name.partition(".")
    return phase in PHASES and all((tree / phase / f"{module}.py").is_file() for tree in (ROOT, ROOT / "solutions"))


def test_every_phase_module_named_in_the_repository_exists_in_both_trees():
    problems, seen = [], 0
    for path, text in _sources():
        where = path.relative_to(ROOT)
        for name in CALL.findall(text):
            if not MODULE.fullmatch(name):
                problems.append(f"{where}: {name!r} is not a phase module name ('<phase>.template_<module>')")
        for name in MODULE.findall(text):
            seen += 1
            if not _exists(name):
                problems.append(f"{where}: {name} is missing from {name.split('.')[0]}/ or solutions/")
    assert seen, "found no phase module names at all: the scan is broken"
    assert not problems, "\n".join(problems)


def _notebook(path):
    cell = {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [], "source": ["1 + 1"]}
    path.write_text(json.dumps({"cells": [cell], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))


def test_every_phase_folders_notebook_is_collected_by_make_test(tmp_path):
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    (tmp_path / "tests").mkdir()
    for folder in ("phase1_cnn_detection", "phase7_new_phase", "scratch"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "__init__.py").touch()
        _notebook(tmp_path / folder / f"{folder}.ipynb")
    proc = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert "phase1_cnn_detection/phase1_cnn_detection.ipynb::Cell 0" in proc.stdout, proc.stdout + proc.stderr
    assert "phase7_new_phase/phase7_new_phase.ipynb::Cell 0" in proc.stdout, proc.stdout
    assert "scratch" not in proc.stdout, "only phase folders (and tests/) are collected by default"


AUTO_ID = re.compile(r"-?\d+(\.\d+)?(e-?\d+)?|True|False|None")
LIST_IDS = '''
import json


def pytest_collection_finish(session):
    graded = [item for item in session.items if item.get_closest_marker("points") and hasattr(item, "callspec")]
    print("GRADED_IDS " + json.dumps([[i.nodeid, list(i.callspec.params), i.callspec.id] for i in graded]))
'''


def test_graded_tests_have_readable_parameter_ids(tmp_path):
    """pytest's automatic ids (``[0]``, ``[config1]``) say nothing in a grade report: graded tests need ``ids=``."""
    (tmp_path / "list_graded_ids.py").write_text(LIST_IDS)
    proc = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "list_graded_ids",
                           *sorted(str(p.relative_to(ROOT)) for p in (ROOT / "tests").glob("phase[0-9]*"))],
                          cwd=ROOT, env={**os.environ, "PYTHONPATH": str(tmp_path)}, capture_output=True, text=True,
                          timeout=300)
    line = next((l for l in proc.stdout.splitlines() if l.startswith("GRADED_IDS ")), None)
    assert line, proc.stdout[-2000:] + proc.stderr[-2000:]
    unreadable = [nodeid for nodeid, names, test_id in json.loads(line[len("GRADED_IDS "):])
                  if any(AUTO_ID.fullmatch(piece) or re.fullmatch(rf"({'|'.join(names)})\d+", piece)
                         for piece in test_id.split("-"))]
    assert not unreadable, ("graded tests with pytest's automatic parameter ids; give them readable ids "
                            "(parametrize(..., ids=[...])):\n" + "\n".join(unreadable))
