"""A phase notebook on the untouched templates stops at the first exercise with one readable line."""
import re

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from dfkit.curriculum import load
from dfkit.curriculum.switch import ROOT
from dfkit.curriculum.exercises import exercise_message
from dfkit.notebook import KERNEL, phase_notebooks

NOTEBOOKS = phase_notebooks()
ONE_LINE = re.compile(r"^(phase\d_\w+): implement (.+) in (phase\d_\w+/template_\w+\.py):(\d+) \(see its docstring\)$")


def raise_line(relative_path, phase, what):
    """Line number (1-based) of ``raise NotImplementedError("<phase>: implement <what>")`` in a template."""
    lines = (ROOT / relative_path).read_text().splitlines()
    wanted = f'raise NotImplementedError("{phase}: implement {what}")'
    return next(number for number, line in enumerate(lines, 1) if line.strip() == wanted)


def test_message_names_the_exercise_file_and_line():
    features = load("phase1_cnn_detection.template_feature_extraction", impl="templates")
    with pytest.raises(NotImplementedError) as raised:
        features.normalize(None, (0, 0, 0), (1, 1, 1))
    where = "phase1_cnn_detection/template_feature_extraction.py"
    line = raise_line(where, "phase1_cnn_detection", "normalize")
    assert exercise_message(raised.value) == (f"phase1_cnn_detection: implement normalize in {where}:{line} "
                                              "(see its docstring)")


def test_other_not_implemented_errors_are_not_exercises():
    with pytest.raises(NotImplementedError) as raised:
        raise NotImplementedError("subclasses implement this")
    assert exercise_message(raised.value) is None


def test_other_errors_keep_their_full_traceback_in_a_notebook():
    notebook = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("from dfkit.notebook import report_exercises\nreport_exercises()"),
        nbformat.v4.new_code_cell("def area():\n    raise NotImplementedError('subclasses implement this')\narea()"),
    ])
    with pytest.raises(CellExecutionError):
        NotebookClient(notebook, kernel_name=KERNEL, timeout=60).execute()
    (error,) = notebook.cells[1].outputs
    assert error.ename == "NotImplementedError" and len(error.traceback) > 1
    assert "area()" in "".join(error.traceback), "the usual traceback shows the calling line"


@pytest.mark.timeout(300)
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.name)
def test_templates_run_stops_at_the_first_exercise_with_one_line(path, monkeypatch):
    monkeypatch.setenv("DFD_IMPL", "templates")
    notebook = nbformat.read(path, as_version=4)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    for cell in code:  # the committed outputs are the reference's
        cell.outputs, cell.execution_count = [], None
    client = NotebookClient(notebook, kernel_name=KERNEL, timeout=240,
                            resources={"metadata": {"path": str(path.parent)}})
    with pytest.raises(CellExecutionError) as stopped:
        client.execute()

    failed = [number for number, cell in enumerate(code) if any(o.output_type == "error" for o in cell.outputs)]
    assert len(failed) == 1, f"expected exactly one failing cell, got cells {failed}"
    assert not any(cell.outputs for cell in code[failed[0] + 1:]), "cells after the failing one ran"
    errors = [o for o in code[failed[0]].outputs if o.output_type == "error"]
    assert len(errors) == 1 and len(errors[0].traceback) == 1, f"expected one line, got {errors}"
    message = errors[0].traceback[0]
    matched = ONE_LINE.match(message)
    assert matched, f"not a one-line exercise message: {message!r}"
    phase, what, where, line = matched.groups()
    assert int(line) == raise_line(where, phase, what), f"{message}: that line is not the exercise's raise"
    assert message in str(stopped.value), "nbconvert's error should end with the same line"
