"""The implementation guide's pitfalls cost points in the part where they are made, and say why.

Each case copies the phase-1 solutions and graded tests into a temp folder, writes a *mistaken*
copy of a solution as the learner's template, grades it, and checks which tests fail and what
they say. The repository's own files are never touched.
"""
import json
import os
import shutil
import subprocess
import sys

import pytest

from dfkit.curriculum.switch import ROOT

PHASE = "phase1_cnn_detection"
RELU_THEN_BN = "        nn.ReLU(inplace=True),\n        nn.BatchNorm2d(out_channels, eps=BN_EPS),\n"
BN_THEN_RELU = "        nn.BatchNorm2d(out_channels, eps=BN_EPS),\n        nn.ReLU(inplace=True),\n"
SQUEEZE_LAST = ".squeeze(-1)\n        # END SOLUTION"
SQUEEZE_ALL = ".squeeze()\n        # END SOLUTION"


def _mistaken(module, wrong, right):
    """The solution of ``module`` with ``right`` replaced by ``wrong`` (which must occur exactly once)."""
    text = (ROOT / "solutions" / PHASE / f"{module}.py").read_text()
    assert text.count(right) == 1, f"{module}: the solution no longer contains {right!r} once; update this test"
    return text.replace(right, wrong)


def _grade(tmp_path, templates, selection):
    """Grade ``selection`` of the phase-1 tests with ``templates`` ({module: text}); return {"module::test": part}."""
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    shutil.copytree(ROOT / "solutions" / PHASE, tmp_path / "solutions" / PHASE)
    shutil.copytree(ROOT / PHASE, tmp_path / PHASE, ignore=shutil.ignore_patterns("*.ipynb", "__pycache__"))
    for name in ("solutions", "tests", "tests/phase1"):
        (tmp_path / name).mkdir(exist_ok=True)
        (tmp_path / name / "__init__.py").touch()
    for test in {arg.split("::")[0] for arg in selection if arg.startswith("tests/")}:
        shutil.copy(ROOT / test, tmp_path / test)
    for module, text in templates.items():
        (tmp_path / PHASE / f"{module}.py").write_text(text)
    env = {key: value for key, value in os.environ.items() if key not in ("DFD_IMPL", "PYTHONPATH")}
    proc = subprocess.run([sys.executable, "-m", "pytest", *selection, "--impl", "templates",
                           "--grades-dir", str(tmp_path), "-q", "-p", "no:cacheprovider"],
                          cwd=tmp_path, env={**env, "OMP_NUM_THREADS": "1"}, capture_output=True, text=True,
                          timeout=600)
    report = json.loads((tmp_path / "grades.json").read_text())
    assert report["parts"], proc.stdout[-3000:] + proc.stderr[-3000:]
    return {f"{part['module']}::{part['test']}": part for part in report["parts"]}


def _assert_wrong(part, *phrases):
    assert part["status"] == "wrong answer", f"{part['test']}: {part['status']}: {part['message'][:1500]}"
    for phrase in phrases:
        assert phrase in part["message"], f"{part['test']}: expected {phrase!r} in: {part['message'][:1500]}"


@pytest.mark.timeout(600)
def test_batchnorm_before_relu_fails_conv_stage_and_squeeze_fails_each_forward(tmp_path):
    parts = _grade(tmp_path, {
        "template_mesonet": _mistaken("template_mesonet", BN_THEN_RELU, RELU_THEN_BN),
        "template_xceptionnet": _mistaken("template_xceptionnet", SQUEEZE_ALL, SQUEEZE_LAST),
        "template_efficientnet": _mistaken("template_efficientnet", SQUEEZE_ALL, SQUEEZE_LAST),
    }, ["tests/phase1/test_mesonet.py", "tests/phase1/test_xceptionnet.py", "tests/phase1/test_efficientnet.py",
        "-k", "conv_stage or forward_shapes or output_and_feature_shapes"])
    assert parts["template_mesonet::test_conv_stage_shape_and_count"]["status"] == "passed"  # same count and shape
    _assert_wrong(parts["template_mesonet::test_conv_stage_is_relu_then_batchnorm"], "ReLU before BatchNorm")
    for name in ("Meso4", "MesoInception4"):  # both use conv_stage for stages 3 and 4
        _assert_wrong(parts[f"template_mesonet::test_forward_shapes_at_256_px_and_batch_of_one[{name}]"],
                      f"your {name} does not have the layers its docstrings describe", "your stage3.1 = BatchNorm2d",
                      "conv_stage's docstring gives the order")
    for module in ("template_xceptionnet", "template_efficientnet"):
        _assert_wrong(parts[f"{module}::test_output_and_feature_shapes"], "expected logits of shape (1,)")


@pytest.mark.timeout(300)
def test_squeeze_of_a_batch_of_one_fails_mesonets_forward(tmp_path):
    parts = _grade(tmp_path, {"template_mesonet": _mistaken("template_mesonet", SQUEEZE_ALL, SQUEEZE_LAST)},
                   ["tests/phase1/test_mesonet.py", "-k", "forward_shapes"])
    for name in ("Meso4", "MesoInception4"):
        _assert_wrong(parts[f"template_mesonet::test_forward_shapes_at_256_px_and_batch_of_one[{name}]"],
                      "expected logits of shape (1,) for a batch of one image, got ()")


@pytest.mark.timeout(300)
def test_a_wrong_kernel_is_told_in_the_learners_terms_without_the_references_shapes(tmp_path):
    parts = _grade(tmp_path, {"template_mesonet": _mistaken(
        "template_mesonet", "self.stage2 = conv_stage(8, 8, 3, pool=2)", "self.stage2 = conv_stage(8, 8, 5, pool=2)")},
        ["tests/phase1/test_mesonet.py", "-k", "forward_shapes or keras"])
    shapes = parts["template_mesonet::test_forward_shapes_at_256_px_and_batch_of_one[Meso4]"]
    _assert_wrong(shapes, "your stage2.0.weight has shape (8, 8, 3, 3)", "kernel_size=(3, 3)",
                  "``stage2`` = conv_stage(8, 8, 5x5, pool 2)")
    for leak in ("(8, 8, 5, 5)", "torch.Size", "state_dict", "copying a param"):
        assert leak not in shapes["message"], f"the message shows the reference's side ({leak!r}): {shapes['message']}"
    other = parts["template_mesonet::test_forward_shapes_at_256_px_and_batch_of_one[MesoInception4]"]
    assert other["status"] == "passed", other["message"]
    _assert_wrong(parts["template_mesonet::test_trainable_parameters_match_keras[Meso4]"],
                  "expected 27,977 trainable parameters")
