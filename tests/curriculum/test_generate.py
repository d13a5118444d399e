"""Template generation: markers become NotImplementedError, hints stay, learners' edits are safe."""
import textwrap

import pytest

from dfkit.curriculum import generate
from tests.curriculum.toy_curriculum import PHASE, make_toy_curriculum

SOLUTION = textwrap.dedent('''\
    class Net:
        def forward(self, x):
            """Docstring stays."""
            # BEGIN SOLUTION
            # HINT: square it.
            y = x * x
            return y
            # END SOLUTION

    def crop(box):
        # BEGIN SOLUTION the crop box
        return box
        # END SOLUTION
    ''')

EXPECTED = textwrap.dedent('''\
    class Net:
        def forward(self, x):
            """Docstring stays."""
            # HINT: square it.
            raise NotImplementedError("phase9: implement Net.forward")

    def crop(box):
        raise NotImplementedError("phase9: implement the crop box")
    ''')


def test_regions_become_raise_with_hints_and_indentation_kept():
    assert generate.strip_solutions(SOLUTION, "x.py", "phase9") == EXPECTED


@pytest.mark.parametrize("source, line, words", [
    ("# BEGIN SOLUTION\n# BEGIN SOLUTION\n# END SOLUTION\n", 2, "nested"),
    ("x = 1\n# BEGIN SOLUTION\nx = 2\n", 2, "never closed"),
    ("x = 1\n# END SOLUTION\n", 2, "without a matching"),
])
def test_bad_markers_name_file_and_line(source, line, words):
    with pytest.raises(generate.MarkerError, match=rf"sol\.py:{line}: .*{words}"):
        generate.strip_solutions(source, "sol.py", "phase9")


def test_fingerprint_tells_untouched_from_edited(tmp_path):
    root = make_toy_curriculum(tmp_path)
    text = (root / PHASE / "template_toy.py").read_text()
    assert generate.is_untouched(text)
    assert not generate.is_untouched(text.replace("raise NotImplementedError(\"phase1", "return 0  # (\"", 1))


def test_regeneration_never_overwrites_a_learners_edits_unless_forced(tmp_path, capsys):
    root = make_toy_curriculum(tmp_path)
    template = root / PHASE / "template_toy.py"
    solution = root / "solutions" / PHASE / "template_toy.py"
    edited = template.read_text().replace('raise NotImplementedError("phase1_cnn_detection: implement add")',
                                          "return a + b")
    template.write_text(edited)
    solution.write_text(solution.read_text() + "\n\nCONSTANT = 1\n")

    assert generate.main(["--root", str(root)]) == 0  # an edited template is the normal state, not an error
    assert template.read_text() == edited
    assert "edited by you (kept)" in capsys.readouterr().out

    assert generate.main(["--root", str(root), "--force"]) == 0
    assert "CONSTANT = 1" in template.read_text() and "return a + b" not in template.read_text()


def test_untouched_templates_follow_their_solution(tmp_path):
    root = make_toy_curriculum(tmp_path)
    solution = root / "solutions" / PHASE / "template_other.py"
    solution.write_text(solution.read_text() + "\n\nCONSTANT = 1\n")
    assert generate.main(["--root", str(root), "--check"]) == 1
    assert generate.main(["--root", str(root)]) == 0
    assert "CONSTANT = 1" in (root / PHASE / "template_other.py").read_text()
    assert generate.main(["--root", str(root), "--check"]) == 0


def test_check_keeps_edited_templates_and_fails_only_on_stale_unedited_ones(tmp_path, capsys):
    root = make_toy_curriculum(tmp_path)
    template = root / PHASE / "template_toy.py"
    template.write_text(template.read_text().replace(
        'raise NotImplementedError("phase1_cnn_detection: implement add")', "return a + b"))
    assert generate.main(["--root", str(root), "--check"]) == 0
    out = capsys.readouterr().out
    assert f"edited by you (kept): {template}" in out and "solution has changed" not in out

    solution = root / "solutions" / PHASE / "template_toy.py"
    solution.write_text(solution.read_text() + "\n\nCONSTANT = 1\n")
    assert generate.main(["--root", str(root), "--check"]) == 0
    assert "its solution has changed since" in capsys.readouterr().out

    other = root / "solutions" / PHASE / "template_other.py"
    other.write_text(other.read_text() + "\n\nCONSTANT = 1\n")
    assert generate.main(["--root", str(root), "--check"]) == 1
    assert f"stale: {root / PHASE / 'template_other.py'} (unedited)" in capsys.readouterr().err


def test_a_new_phase_folders_solutions_are_generated(tmp_path):
    root = make_toy_curriculum(tmp_path)
    for folder in ("phase6_new", "solutions/phase6_new"):
        (root / folder).mkdir()
        (root / folder / "__init__.py").touch()
    (root / "solutions/phase6_new/template_six.py").write_text(
        "def six():\n    # BEGIN SOLUTION\n    return 6\n    # END SOLUTION\n")
    assert generate.main(["--root", str(root)]) == 0
    assert 'raise NotImplementedError("phase6_new: implement six")' in (root / "phase6_new/template_six.py").read_text()
