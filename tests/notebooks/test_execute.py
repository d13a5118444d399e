"""``make notebooks`` (dfkit.notebook.execute) and the staleness check on a two-cell notebook."""
import sys

import nbformat
import pytest
from nbclient.exceptions import CellExecutionError

from dfkit.notebook import execute, main, stale_outputs

CELLS = [
    "import os, sys\nprint(sys.executable, os.environ['DFD_IMPL'], os.environ['PYTHONHASHSEED'])",
    "%matplotlib inline\nimport matplotlib.pyplot as plt\nplt.plot([0, 1], [1, 0])\nplt.show()",
]


def write_notebook(path, sources):
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# A notebook")]
                                        + [nbformat.v4.new_code_cell(source) for source in sources])
    nbformat.write(notebook, path)
    return path


@pytest.fixture(scope="module")
def executed(tmp_path_factory):
    path = write_notebook(tmp_path_factory.mktemp("nb") / "demo.ipynb", CELLS)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DFD_IMPL", "templates")  # execute() runs the reference whatever the caller's setting
        execute(path)
    return nbformat.read(path, as_version=4)


def test_execute_saves_outputs_of_a_fresh_run_on_the_solutions(executed):
    first, second = (cell for cell in executed.cells if cell.cell_type == "code")
    assert first.outputs[0].text.split() == [sys.executable, "solutions", "0"]
    assert any("image/png" in output.get("data", {}) for output in second.outputs), "the plot was not saved"
    assert [first.execution_count, second.execution_count] == [1, 2]
    assert stale_outputs(executed) == []


def test_stale_outputs_names_each_kind_of_problem(executed):
    edited = nbformat.from_dict(executed)
    edited.cells[1].source += "\nprint('added later')"
    assert stale_outputs(edited) == ["code cell 1 (import os, sys): source changed since `make notebooks` ran it"]

    no_outputs = nbformat.from_dict(executed)
    no_outputs.cells[2].outputs = []
    assert stale_outputs(no_outputs) == ["code cell 2 (%matplotlib inline): no outputs"]

    failed = nbformat.from_dict(executed)
    failed.cells[2].outputs.append(nbformat.v4.new_output("error", ename="NameError", evalue="x", traceback=[]))
    assert stale_outputs(failed) == ["code cell 2 (%matplotlib inline): error output (NameError)"]

    rerun = nbformat.from_dict(executed)
    rerun.cells[1].execution_count = 3  # the first cell run again by hand
    assert stale_outputs(rerun) == ["code cell 1 (import os, sys): execution count 3, expected 1 (run out of order)"]

    added = nbformat.from_dict(executed)
    added.cells.append(nbformat.v4.new_code_cell("print(1)"))
    assert stale_outputs(added) == ["code cell 3 (print(1)): not run by `make notebooks`; never executed; "
                                    "no outputs"]


def test_a_failing_cell_leaves_the_file_as_it_was(tmp_path):
    path = write_notebook(tmp_path / "broken.ipynb", ["print('fine')", "1 / 0"])
    before = path.read_bytes()
    with pytest.raises(CellExecutionError, match="ZeroDivisionError"):
        execute(path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["broken.ipynb"]


def test_cli_refuses_a_path_that_is_not_a_notebook(tmp_path, capsys):
    with pytest.raises(SystemExit) as exited:
        main([str(tmp_path / "missing.ipynb")])
    assert exited.value.code == 2
    assert capsys.readouterr().err.startswith(f"error: {tmp_path / 'missing.ipynb'} is not a notebook file")
