"""The phase notebooks: one-line messages for unimplemented exercises, and outputs kept current.

In a notebook's first code cell, :func:`report_exercises` makes a cell that reaches a part of a
template you have not written yet stop with one line instead of a traceback, e.g. ``phase1_cnn_detection:
implement crop_face in phase1_cnn_detection/template_feature_extraction.py:47 (see its docstring)``.

The notebooks are committed with their outputs (plots included), so they can be read on the web.
``make notebooks`` (``python -m dfkit.notebook [NOTEBOOK ...]``, default: every ``phase*_*/*.ipynb``)
re-executes them in place on the reference solutions and stamps every code cell with a hash of the
source it ran; :func:`stale_outputs` says what is out of date in a committed notebook.
"""
import hashlib
import os
import sys
import time
from pathlib import Path

from dfkit.atomic import atomic_path
from dfkit.cli import ArgumentParser
from dfkit.curriculum.exercises import exercise_message
from dfkit.curriculum.switch import ENV_VAR, PHASES, ROOT

KERNEL = "python3"
STAMP = "dfkit"  # cell metadata: {"source_sha256": hash of the source its outputs came from}
TIMEOUT_S = 1200  # per cell


def _show_exercise_error(shell, etype, value, tb, tb_offset=None):
    """IPython custom exception handler: one line for an exercise, the usual traceback otherwise.

    IPython leaves showing the error to the handler. ``_showtraceback`` is the hook the Jupyter kernel
    overrides to send it as the cell's error output; the cell still counts as failed, so a run stops there.
    """
    message = exercise_message(value)
    if message is None:
        shell.showtraceback((etype, value, tb), tb_offset=tb_offset)
    else:
        shell._showtraceback(etype, value, [message])


def phase_notebooks():
    """Every phase's notebooks (``<phase>/*.ipynb``), phases as :data:`dfkit.curriculum.switch.PHASES` finds them."""
    return [path for phase in PHASES for path in sorted((ROOT / phase).glob("*.ipynb"))]


def report_exercises():
    """In IPython / Jupyter: an unimplemented exercise stops a cell with one line (see the module docstring)."""
    from IPython import get_ipython

    shell = get_ipython()
    if shell is None:
        raise RuntimeError("report_exercises() works inside IPython or Jupyter only")
    shell.set_custom_exc((NotImplementedError,), _show_exercise_error)


def source_hash(source):
    """sha256 (hex) of a cell's source text."""
    return hashlib.sha256(source.encode()).hexdigest()


def execute(path, timeout=TIMEOUT_S):
    """Run notebook ``path`` top to bottom on the reference solutions; save it in place with its outputs.

    A fresh ``python3`` kernel (this environment's Python) in the notebook's folder, with
    ``DFD_IMPL=solutions`` and ``PYTHONHASHSEED=0``; consecutive prints become one output (so a rerun
    differs only where the results do); each code cell's metadata gets the hash of its source. A
    failing cell raises ``nbclient.exceptions.CellExecutionError`` and the file is left as it was.
    """
    import nbformat
    from nbclient import NotebookClient
    from nbconvert.preprocessors import CoalesceStreamsPreprocessor

    path = Path(path)
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(notebook, kernel_name=KERNEL, timeout=timeout, record_timing=False,
                            resources={"metadata": {"path": str(path.parent)}})
    client.execute(env={**os.environ, ENV_VAR: "solutions", "PYTHONHASHSEED": "0"})
    CoalesceStreamsPreprocessor().preprocess(notebook, {})  # one text output per stream, however it was flushed
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.metadata[STAMP] = {"source_sha256": source_hash(cell.source)}
    with atomic_path(path) as tmp:
        nbformat.write(notebook, tmp)


def stale_outputs(notebook):
    """What is out of date in a notebook's saved outputs (an nbformat v4 node): one message per code cell
    with problems, [] if the outputs are current.

    Current means: every code cell ran, in order, in one execution (execution counts 1, 2, ...), has
    outputs, none of them an error, and its source is the one :func:`execute` ran.
    """
    messages = []
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    for number, cell in enumerate(code, 1):
        problems = []
        stamp = cell.metadata.get(STAMP, {}).get("source_sha256")
        if stamp is None:
            problems.append("not run by `make notebooks`")
        elif stamp != source_hash(cell.source):
            problems.append("source changed since `make notebooks` ran it")
        if cell.execution_count is None:
            problems.append("never executed")
        elif cell.execution_count != number:
            problems.append(f"execution count {cell.execution_count}, expected {number} (run out of order)")
        if not cell.outputs:
            problems.append("no outputs")
        errors = [output.ename for output in cell.outputs if output.output_type == "error"]
        if errors:
            problems.append(f"error output ({', '.join(errors)})")
        if problems:
            first_line = (cell.source.strip().splitlines() or ["(empty)"])[0][:40]
            messages.append(f"code cell {number} ({first_line}): {'; '.join(problems)}")
    return messages


def main(argv=None):
    parser = ArgumentParser(prog="python -m dfkit.notebook", description=execute.__doc__.split("\n")[0])
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: every phase*_*/*.ipynb")
    args = parser.parse_args(argv)
    for path in args.notebooks:
        if path.suffix != ".ipynb" or not path.is_file():
            parser.error(f"{path} is not a notebook file (.ipynb)")
    for path in args.notebooks or phase_notebooks():
        started = time.perf_counter()
        execute(path)
        print(f"executed {path} in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
