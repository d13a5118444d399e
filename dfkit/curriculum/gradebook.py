"""An instructor's gradebook: many learners' ``grades.json`` -> one CSV and a summary.

Command line::

    python -m dfkit.curriculum.gradebook grades/*/grades.json --out class.csv
    make gradebook GRADES='grades/*/grades.json' OUT=class.csv

The CSV has one row per learner (``learner``, ``earned``, ``possible``, ``report``: complete,
incomplete or partial, ``file``) and one column per graded part (``phase.module::test``, the points
earned; empty where the learner's report lacks the part). The summary printed says, per part, how
many learners earned it, and flags every report that is not a complete grade of the templates
(a run that died or was cut short, a partial run of some tests only, a run on the solutions).
Two reports of one learner: the later one counts, and the summary says so.
"""
import csv
import json
import sys
from pathlib import Path

from dfkit.atomic import atomic_path
from dfkit.cli import EXIT_BAD_INPUT, ArgumentParser
from dfkit.curriculum.grading import CRASHED, NOT_RUN, SKIPPED

FIXED_COLUMNS = ("learner", "earned", "possible", "report", "file")


class ReportError(ValueError):
    """A grades.json that is missing, unreadable or not a grade report."""


def read_report(path):
    """One ``grades.json`` as a dict; ReportError naming the file if it is not a grade report."""
    path = Path(path)
    try:
        report = json.loads(path.read_text())
    except FileNotFoundError:
        raise ReportError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ReportError(f"{path}: not a readable JSON grade report ({err})") from None
    if not isinstance(report, dict) or not isinstance(report.get("parts"), list) or not all(
            isinstance(p, dict) and {"phase", "module", "test", "points", "earned", "status"} <= set(p)
            for p in report["parts"]):
        raise ReportError(f"{path}: not a grade report (expected 'parts', each with phase, module, test, "
                          f"points, earned and status)")
    return report


def part_name(part):
    """The column of a part: ``phase.module::test``."""
    return f"{part['phase']}.{part['module']}::{part['test']}"


def report_state(report):
    """``complete``, ``partial`` or ``incomplete`` (died, cut short, or an older report without the flag)."""
    if report.get("partial"):
        return "partial"
    return "complete" if report.get("complete") is True else "incomplete"


def collect(paths):
    """``(rows, parts, notes)``: one row per learner, the part columns in first-seen order, the flags."""
    latest, notes = {}, []
    for path in paths:
        report = read_report(path)
        learner = str(report.get("learner") or Path(path).parent.name)
        if learner in latest:
            earlier = latest[learner]
            if str(report.get("time", "")) >= str(earlier[1].get("time", "")):
                earlier, latest[learner] = latest[learner], (path, report)
            notes.append(f"{learner}: two reports; using {latest[learner][0]}, ignoring {earlier[0]}")
        else:
            latest[learner] = (path, report)
    rows, parts = [], {}
    for learner, (path, report) in sorted(latest.items()):
        state = report_state(report)
        if state == "partial":
            notes.append(f"{learner}: partial run ({report.get('selection', 'some tests only')}), not a full grade")
        elif state == "incomplete":
            stopped = [part_name(p) for p in report["parts"] if p["status"] in (CRASHED, NOT_RUN)]
            notes.append(f"{learner}: incomplete report ({len(stopped)} parts crashed or not run"
                         + (f", from {stopped[0]}" if stopped else "") + ")")
        if report.get("impl", "templates") != "templates":
            notes.append(f"{learner}: graded the {report['impl']}, not the learner's templates")
        row = {"learner": learner, "earned": report.get("earned", ""), "possible": report.get("possible", ""),
               "report": state, "file": str(path)}
        for part in report["parts"]:
            parts.setdefault(part_name(part), part["points"])
            row[part_name(part)] = "" if part["status"] == SKIPPED else part["earned"]
        rows.append(row)
    return rows, parts, notes


def write_csv(rows, parts, out):
    """The class sheet: fixed columns, then one column per part (written atomically)."""
    with atomic_path(out) as tmp, open(tmp, "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=[*FIXED_COLUMNS, *parts], restval="")
        writer.writeheader()
        writer.writerows(rows)
    return Path(out)


def summary(rows, parts, notes):
    """Per part: how many learners earned it; then the flagged reports."""
    width = max((len(name) for name in parts), default=0)
    lines = [f"{len(rows)} learners, {len(parts)} graded parts", ""]
    for name, points in parts.items():
        earned = sum(row.get(name) == points for row in rows)
        lines.append(f"{name:<{width}}  {points:>2} pt  earned by {earned} / {len(rows)}")
    if notes:
        lines += ["", "check these reports:"] + [f"  {note}" for note in notes]
    return "\n".join(lines)


def main(argv=None):
    parser = ArgumentParser(prog="python -m dfkit.curriculum.gradebook", description=__doc__.split("\n")[0])
    parser.add_argument("reports", nargs="+", type=Path, help="grades.json files, one (or more) per learner")
    parser.add_argument("--out", type=Path, default=Path("class.csv"), help="the class sheet (default: class.csv)")
    args = parser.parse_args(argv)
    try:
        rows, parts, notes = collect(args.reports)
    except ReportError as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_BAD_INPUT
    if args.out.is_dir():
        print(f"error: --out {args.out} is a folder; give the CSV file to write", file=sys.stderr)
        return EXIT_BAD_INPUT
    print(summary(rows, parts, notes))
    print(f"\nwrote {write_csv(rows, parts, args.out)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
