"""The phase notebooks are committed with current outputs (readers see them on the web without running).

Current: every code cell ran in one top-to-bottom execution of the source now committed, has outputs
and none is an error. Regenerate with ``make notebooks``. That the notebooks *run* is nbval's job
in ``make test``; this test only reads the committed files.
"""
import nbformat
import pytest

from dfkit.curriculum.switch import ROOT
from dfkit.notebook import phase_notebooks, stale_outputs

NOTEBOOKS = phase_notebooks()


def test_every_phase_with_a_notebook_is_found():
    assert ROOT / "phase1_cnn_detection" / "phase1_cnn_detection.ipynb" in NOTEBOOKS


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.name)
def test_committed_outputs_are_current(path):
    notebook = nbformat.read(path, as_version=4)
    problems = stale_outputs(notebook)
    assert not problems, (f"{path.relative_to(ROOT)} has outdated outputs; run `make notebooks` and commit:\n  "
                          + "\n  ".join(problems))
    outputs = [output for cell in notebook.cells if cell.cell_type == "code" for output in cell.outputs]
    if any("plt.show()" in cell.source for cell in notebook.cells):
        assert any("image/png" in output.get("data", {}) for output in outputs), f"{path.name}: no plot was saved"
