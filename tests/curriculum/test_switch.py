"""The implementation switch: phases found on disk, and the reference for other modules in a graded test."""
import pytest

from dfkit.curriculum import switch

MESONET, CLASSIFIER = "phase1_cnn_detection.template_mesonet", "phase1_cnn_detection.template_classifier"


def test_phases_are_the_phase_folders_with_an_init(tmp_path):
    for name in ("phase1_a", "phase7_new", "phase3_no_init", "phases_notes", "tests"):
        (tmp_path / name).mkdir()
    for name in ("phase1_a", "phase7_new", "tests"):
        (tmp_path / name / "__init__.py").touch()
    (tmp_path / "phase8_file.py").touch()
    assert switch.discover_phases(tmp_path) == ("phase1_a", "phase7_new")
    assert switch.PHASES == switch.discover_phases(switch.ROOT)
    assert "phase1_cnn_detection" in switch.PHASES


@pytest.mark.parametrize("env_impl", ["templates", "solutions"])
def test_a_graded_scope_gives_the_reference_for_every_other_module(monkeypatch, env_impl):
    monkeypatch.setenv(switch.ENV_VAR, env_impl)
    prefix = "" if env_impl == "templates" else "solutions."
    mine = f"{prefix}{MESONET}"
    with switch.graded_scope(CLASSIFIER):
        assert switch.load(MESONET).__name__ == f"solutions.{MESONET}"
        assert switch.load(CLASSIFIER).__name__ == f"{prefix}{CLASSIFIER}"
        assert switch.load(MESONET, impl="templates").__name__ == MESONET  # an explicit impl wins
        with switch.graded_scope(MESONET):
            assert switch.load(MESONET).__name__ == mine
        assert switch.load(MESONET).__name__ == f"solutions.{MESONET}"  # the outer scope is back
    assert switch.load(MESONET).__name__ == mine
    with switch.graded_scope(None):
        assert switch.load(MESONET).__name__ == mine
