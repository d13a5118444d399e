"""Grade records: classify one graded test's outcome, and write the report (table, JSON, CSV).

A *part* is one graded test: ``{"phase", "module", "test", "points", "earned", "status", "message"}``.
Statuses: ``passed``, ``not implemented yet`` (a NotImplementedError anywhere in the failure),
``wrong answer`` (an assertion: the message says expected vs got), ``timed out``, ``error``
(any other exception, e.g. a SyntaxError in the template) and ``skipped`` (not counted, e.g. a GPU
test on a machine without CUDA). While a run is under way, grades.json is rewritten around every
graded test with ``"complete": false``: parts still to come are ``not run`` and the one running is
``crashed``, so a run whose process dies (a crash in native code, a kill) leaves a report naming
the test it died in instead of an old report or none. A run of only some graded tests (one module's
file, ``-k``) is *partial*: ``"complete": false, "partial": true`` and ``"selection"`` (its command
line) in grades.json, and no row in grades.csv.
"""
import csv
import datetime as _dt
import textwrap
from pathlib import Path

from dfkit.atomic import atomic_path, write_json

PASSED, NOT_IMPLEMENTED, WRONG, TIMED_OUT, ERROR, SKIPPED = (
    "passed", "not implemented yet", "wrong answer", "timed out", "error", "skipped")
NOT_RUN, CRASHED = "not run", "crashed"
CRASH_MESSAGE = "the test process died while running this test (a crash in native code, or killed)"


def _chain(exc):
    while exc is not None:
        yield exc
        exc = exc.__cause__ or exc.__context__


def classify(exc):
    """``(status, message)`` for an exception raised by a graded test."""
    chain = list(_chain(exc))
    missing = next((e for e in chain if isinstance(e, NotImplementedError)), None)
    if missing is not None:
        return NOT_IMPLEMENTED, str(missing)
    text = str(exc).strip()
    if text.startswith("Timeout"):
        return TIMED_OUT, text.splitlines()[0]
    if isinstance(exc, AssertionError):
        return WRONG, text or "assertion failed"
    if isinstance(exc, SyntaxError):
        return ERROR, f"SyntaxError in {exc.filename}, line {exc.lineno}: {exc.msg}"
    return ERROR, f"{type(exc).__name__}: {text}"


def make_part(exercise, test, points, status, message=""):
    phase, _, module = exercise.partition(".")
    earned = points if status == PASSED else 0
    return {"phase": phase, "module": module, "test": test, "points": points, "earned": earned,
            "status": status, "message": message}


def totals(parts):
    counted = [p for p in parts if p["status"] != SKIPPED]
    return sum(p["earned"] for p in counted), sum(p["points"] for p in counted)


def format_table(parts, impl, width=100, partial=""):
    """Human-readable report grouped by phase and module; ``partial``: the selection of a partial run."""
    earned, possible = totals(parts)
    lines = [f"Grades ({impl}): {earned} / {possible} points", ""]
    if partial:
        lines[1:1] = [f"partial run ({partial}): only the selected tests; `make grade` gives the full grade"]
    for phase in sorted({p["phase"] for p in parts}):
        in_phase = [p for p in parts if p["phase"] == phase]
        lines.append(f"{phase}  {sum(p['earned'] for p in in_phase)} / "
                     f"{sum(p['points'] for p in in_phase if p['status'] != SKIPPED)}")
        for module in sorted({p["module"] for p in in_phase}):
            rows = [p for p in in_phase if p["module"] == module]
            lines.append(f"  {module}  {sum(p['earned'] for p in rows)} / "
                         f"{sum(p['points'] for p in rows if p['status'] != SKIPPED)}")
            for p in rows:
                lines.append(f"    {p['earned']:>2} / {p['points']:<2} {p['test']}: {p['status']}")
                if p["status"] not in (PASSED, NOT_IMPLEMENTED) and p["message"]:
                    message = textwrap.shorten(" ".join(p["message"].split()), width - 10)
                    lines.append(f"             {message}")
        lines.append("")
    return "\n".join(lines)


def write_json_report(parts, out_dir, impl, learner, complete, partial=""):
    """Write ``grades.json`` for this run (atomically); return its path.

    ``partial``: the selection (command line) of a run of only some graded tests, "" for a full run.
    """
    earned, possible = totals(parts)
    path = Path(out_dir) / "grades.json"
    report = {"learner": learner, "impl": impl, "time": _now(), "complete": complete and not partial,
              "partial": bool(partial)}
    if partial:
        report["selection"] = partial
    write_json(path, {**report, "earned": earned, "possible": possible, "parts": parts})
    return path


def append_csv_row(parts, out_dir, impl, learner):
    """Append this run's row (one column per part) to ``grades.csv``; return its path."""
    earned, possible = totals(parts)
    row = {"learner": learner, "time": _now(), "impl": impl, "earned": earned, "possible": possible}
    row.update({f"{p['phase']}.{p['module']}::{p['test']}": p["earned"] for p in parts})
    csv_path = Path(out_dir) / "grades.csv"
    rows = []
    if csv_path.exists():
        with open(csv_path, newline="") as fh:
            rows = list(csv.DictReader(fh))
    rows.append(row)
    columns = list(dict.fromkeys(key for r in rows for key in r))  # earlier runs' parts are kept
    with atomic_path(csv_path) as tmp, open(tmp, "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=columns, restval="")
        writer.writeheader()
        writer.writerows(rows)
    return csv_path


def _now():
    return _dt.datetime.now().isoformat(timespec="seconds")
