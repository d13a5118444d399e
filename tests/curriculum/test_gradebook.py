"""The instructor's gradebook: a class's grades.json files -> one CSV row per learner and a summary."""
import csv
import json

import pytest

from dfkit.curriculum import grading, gradebook

PARTS = (("phase1_cnn_detection.template_mesonet", "test_conv_stage_shape_and_count", 1),
         ("phase1_cnn_detection.template_mesonet", "test_trainable_parameters_match_keras[Meso4]", 2),
         ("phase1_cnn_detection.template_classifier", "test_aggregate_video_score_matches_numpy", 2))
CONV = "phase1_cnn_detection.template_mesonet::test_conv_stage_shape_and_count"
KERAS = "phase1_cnn_detection.template_mesonet::test_trainable_parameters_match_keras[Meso4]"
SCORE = "phase1_cnn_detection.template_classifier::test_aggregate_video_score_matches_numpy"


def _write(folder, learner, statuses, time="2025-01-10T10:00:00", **flags):
    """A grades.json as the grading plugin writes it, with one status per part of PARTS."""
    parts = [grading.make_part(exercise, test, points, status)
             for (exercise, test, points), status in zip(PARTS, statuses)]
    earned, possible = grading.totals(parts)
    report = {"learner": learner, "impl": "templates", "time": time, "complete": True, "partial": False,
              "earned": earned, "possible": possible, "parts": parts, **flags}
    path = folder / learner / "grades.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report))
    return path


@pytest.fixture
def class_reports(tmp_path):
    grades = tmp_path / "grades"
    ok, wrong, missing = grading.PASSED, grading.WRONG, grading.NOT_IMPLEMENTED
    return [
        _write(grades, "alice", [ok, ok, wrong]),
        _write(grades, "bob", [ok, ok, ok]),
        _write(grades, "carol", [ok, missing], complete=False, partial=True,
               selection="tests/phase1/test_mesonet.py --impl templates"),
        _write(grades, "dave", [ok, grading.CRASHED, grading.NOT_RUN], complete=False),
        _write(grades, "erin", [missing, missing, missing], time="2025-01-09T09:00:00"),
        _write(tmp_path / "resubmitted", "erin", [ok, missing, ok], time="2025-01-11T09:00:00"),
    ]


def test_one_row_per_learner_one_column_per_part(class_reports, tmp_path, capsys):
    out = tmp_path / "class.csv"
    assert gradebook.main([*map(str, class_reports), "--out", str(out)]) == 0
    with open(out, newline="") as fh:
        reader = csv.DictReader(fh)
        rows = {row["learner"]: row for row in reader}
    assert reader.fieldnames == ["learner", "earned", "possible", "report", "file", CONV, KERAS, SCORE]
    assert list(rows) == ["alice", "bob", "carol", "dave", "erin"]
    assert [rows["alice"][c] for c in ("earned", "possible", "report", CONV, KERAS, SCORE)] == \
        ["3", "5", "complete", "1", "2", "0"]
    assert (rows["carol"]["report"], rows["carol"][SCORE]) == ("partial", "")  # the partial run lacks the part
    assert rows["dave"]["report"] == "incomplete"
    assert (rows["erin"]["earned"], rows["erin"]["file"]) == ("3", str(class_reports[-1]))  # the later report

    summary = " ".join(capsys.readouterr().out.split())
    assert "5 learners, 3 graded parts" in summary
    assert f"{CONV} 1 pt earned by 5 / 5" in summary
    assert f"{KERAS} 2 pt earned by 2 / 5" in summary
    assert f"{SCORE} 2 pt earned by 2 / 5" in summary
    assert "carol: partial run (tests/phase1/test_mesonet.py --impl templates), not a full grade" in summary
    assert f"dave: incomplete report (2 parts crashed or not run, from {KERAS})" in summary
    assert "erin: two reports; using" in summary and "bob:" not in summary and "alice:" not in summary


def test_a_report_of_the_solutions_is_flagged(tmp_path, capsys):
    path = _write(tmp_path, "ta", [grading.PASSED] * 3, impl="solutions")
    assert gradebook.main([str(path), "--out", str(tmp_path / "class.csv")]) == 0
    assert "ta: graded the solutions, not the learner's templates" in capsys.readouterr().out


@pytest.mark.parametrize("content, words", [
    (None, "no such file"),
    ("{not json", "not a readable JSON grade report"),
    ('{"learner": "x", "parts": [{"test": "t"}]}', "not a grade report"),
], ids=["missing file", "not JSON", "JSON without parts"])
def test_bad_reports_are_one_error_line_and_nothing_written(class_reports, tmp_path, capsys, content, words):
    bad = tmp_path / "bad" / "grades.json"
    if content is not None:
        bad.parent.mkdir()
        bad.write_text(content)
    out = tmp_path / "class.csv"
    assert gradebook.main([str(class_reports[0]), str(bad), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {bad}: {words}") and err.count("\n") == 1, err
    assert not out.exists()


def test_out_must_be_a_file(class_reports, tmp_path, capsys):
    assert gradebook.main([str(class_reports[0]), "--out", str(tmp_path)]) == 2
    assert capsys.readouterr().err.startswith("error: --out")
