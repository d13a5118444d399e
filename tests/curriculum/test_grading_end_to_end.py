"""The grading machinery on a toy curriculum: untouched templates, a copied solution, a syntax
error, an infinite loop and a crash each cost (or earn) exactly their own parts; a module another
one needs is the reference while grading; a run of some tests only is partial."""
import csv
import shutil

from tests.curriculum.toy_curriculum import PHASE, USES_OTHER_TESTS, by_test, grade, make_toy_curriculum


def test_untouched_templates_earn_nothing_and_say_not_implemented(tmp_path):
    root = make_toy_curriculum(tmp_path)
    code, report, output = grade(root)
    assert code == 1, output
    assert (report["earned"], report["possible"]) == (0, 7)
    assert report["complete"] is True and report["partial"] is False
    assert {p["status"] for p in report["parts"]} == {"not implemented yet"}
    assert "Grades (templates): 0 / 7 points" in output
    assert "phase1_cnn_detection: implement add" in by_test(report)["test_add"]["message"]


def test_copying_a_solution_over_its_template_earns_exactly_its_points(tmp_path):
    root = make_toy_curriculum(tmp_path)
    shutil.copy(root / "solutions" / PHASE / "template_toy.py", root / PHASE / "template_toy.py")
    code, report, output = grade(root)
    parts = by_test(report)
    assert (parts["test_add"]["earned"], parts["test_scale"]["earned"]) == (2, 1), output
    assert parts["test_double"]["status"] == "not implemented yet"
    assert (report["earned"], report["possible"]) == (3, 7)


def test_a_wrong_answer_reports_expected_and_got(tmp_path):
    root = make_toy_curriculum(tmp_path)
    template = root / PHASE / "template_toy.py"
    template.write_text(template.read_text().replace(
        'raise NotImplementedError("phase1_cnn_detection: implement add")', "return a - b"))
    _, report, _ = grade(root)
    part = by_test(report)["test_add"]
    assert part["status"] == "wrong answer"
    assert "expected 5, got -1" in part["message"]


def test_a_syntax_error_costs_only_its_own_template(tmp_path):
    root = make_toy_curriculum(tmp_path)
    shutil.copy(root / "solutions" / PHASE / "template_toy.py", root / PHASE / "template_toy.py")
    (root / PHASE / "template_other.py").write_text("def double(x):\n    return 2 *\n")
    _, report, output = grade(root)
    parts = by_test(report)
    assert parts["test_double"]["status"] == "error", output
    assert "SyntaxError" in parts["test_double"]["message"]
    assert parts["test_add"]["status"] == parts["test_scale"]["status"] == "passed"


def test_an_infinite_loop_costs_only_its_own_test(tmp_path):
    root = make_toy_curriculum(tmp_path)
    shutil.copy(root / "solutions" / PHASE / "template_toy.py", root / PHASE / "template_toy.py")
    (root / PHASE / "template_other.py").write_text("def double(x):\n    while True:\n        pass\n")
    _, report, output = grade(root, timeout_s=2)
    parts = by_test(report)
    assert parts["test_double"]["status"] == "timed out", output
    assert report["earned"] == 3


def test_a_crash_that_kills_pytest_leaves_a_report_naming_the_test(tmp_path):
    root = make_toy_curriculum(tmp_path)
    shutil.copy(root / "solutions" / PHASE / "template_toy.py", root / PHASE / "template_toy.py")
    (root / "grades.json").write_text('{"earned": 7, "possible": 7, "complete": true, "parts": []}')  # last week's
    (root / PHASE / "template_other.py").write_text(
        "import ctypes\n\n\ndef double(x):\n    return ctypes.string_at(0)  # reads address 0: SIGSEGV\n")
    code, report, output = grade(root)
    assert code < 0 or code > 5, f"pytest should have died of the crash, exit {code}: {output[-500:]}"
    parts = by_test(report)
    assert report["complete"] is False
    assert parts["test_double"]["status"] == "crashed", output[-500:]
    assert parts["test_add"]["status"] == parts["test_scale"]["status"] == "not run"  # after it, never ran
    assert (report["earned"], report["possible"]) == (0, 7)
    assert not (root / "grades.csv").exists(), "an unfinished run must not add a row to the class sheet"


def test_grades_csv_keeps_one_row_per_run(tmp_path):
    root = make_toy_curriculum(tmp_path)
    grade(root)
    shutil.copy(root / "solutions" / PHASE / "template_toy.py", root / PHASE / "template_toy.py")
    grade(root)
    with open(root / "grades.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [row["earned"] for row in rows] == ["0", "3"]
    assert rows[1][f"{PHASE}.template_toy::test_add"] == "2"


def test_a_module_another_needs_is_the_reference_so_only_its_own_tests_lose_points(tmp_path):
    root = make_toy_curriculum(tmp_path)
    shutil.copy(root / "solutions" / PHASE / "template_toy.py", root / PHASE / "template_toy.py")
    (root / "tests" / "test_uses_other.py").write_text(USES_OTHER_TESTS)  # template_other stays untouched
    _, report, output = grade(root)
    parts = by_test(report)
    assert parts["test_add_doubled_uses_the_reference_double"]["status"] == "passed", output
    assert parts["test_double"]["status"] == "not implemented yet"
    assert parts["test_explicit_impl_gets_the_learners_double"]["status"] == "not implemented yet"


def _csv_rows(root):
    with open(root / "grades.csv", newline="") as fh:
        return list(csv.DictReader(fh))


def test_a_run_of_some_tests_is_partial_and_adds_no_class_row(tmp_path):
    root = make_toy_curriculum(tmp_path)
    grade(root)
    assert len(_csv_rows(root)) == 1

    _, report, output = grade(root, select=("tests/test_toy.py",))
    assert (report["complete"], report["partial"]) == (False, True)
    assert report["selection"].startswith("tests/test_toy.py")
    assert [p["test"] for p in report["parts"]] == ["test_add", "test_scale"]
    assert "partial run (tests/test_toy.py" in output
    assert len(_csv_rows(root)) == 1, "a partial run must not add a row to the class sheet"

    _, report, _ = grade(root, select=("tests", "-k", "add"))
    assert (report["complete"], report["partial"]) == (False, True)
    assert "-k add" in report["selection"]

    _, report, _ = grade(root, select=("tests",))
    assert (report["complete"], report["partial"], report["possible"]) == (True, False, 7)
    assert len(_csv_rows(root)) == 2
