"""benchmarks/as_avx2_cpu.py: a command run through it sees an AVX2-only CPU (NumPy's and PyTorch's own CPUID
probes say so), the machine line says so, one int8 export scores alike with AVX2's int8 kernels and this CPU's own,
and a call without a command gets one error line."""
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))
from as_avx2_cpu import unusable_reason  # noqa: E402  (a script folder, not a package)

needs_cpuid_faulting = pytest.mark.skipif(unusable_reason() is not None,
                                          reason=f"as_avx2_cpu.py cannot run here: {unusable_reason()}")


def as_avx2(code, timeout=60):
    """Run Python ``code`` through the tool; returns the completed process (text output)."""
    return subprocess.run([sys.executable, str(BENCHMARKS / "as_avx2_cpu.py"), sys.executable, "-c",
                           textwrap.dedent(code)], capture_output=True, text=True, timeout=timeout)


@needs_cpuid_faulting
def test_the_command_sees_avx2_but_no_avx512_amx_or_vnni():
    done = as_avx2("""
        import torch
        from numpy._core._multiarray_umath import __cpu_features__ as f
        print(f["AVX2"], f["FMA3"], f["AVX512F"], f["AVX512VNNI"], f["AVX512BF16"])
        print(torch.backends.cpu.get_cpu_capability(), torch.ops.mkldnn._is_mkldnn_bf16_supported())
    """)
    assert done.returncode == 0, done.stderr
    numpy_view, torch_view = done.stdout.split("\n")[:2]
    assert numpy_view == "True True False False False", f"NumPy's CPUID probe under the tool: {numpy_view}"
    assert torch_view == "AVX2 False", f"PyTorch's kernels and bf16 support under the tool: {torch_view}"


@needs_cpuid_faulting
def test_machine_line_says_the_cpuid_is_masked():
    done = as_avx2(f"import sys; sys.path.insert(0, {str(BENCHMARKS)!r}); from machine import machine; "
                   "print(machine())")
    assert done.returncode == 0, done.stderr
    assert "this process sees only avx2;" in done.stdout, done.stdout


@needs_cpuid_faulting
def test_an_int8_export_scores_alike_with_and_without_vnni(tmp_path):
    """Without VNNI, ONNX Runtime multiplies uint8 activations by int8 weights with VPMADDUBSW, whose int16 sum
    of two products saturates for 8-bit weights; the export's 7-bit weights keep AVX2's integer results equal
    to those of this CPU's own int8 kernels (VNNI, where it has it, accumulates in int32)."""
    import numpy as np
    import torch

    from dfkit import registry
    from dfkit.drivers.checkpoints import detector_record
    from dfkit.export import export_detector, item_scores
    from dfkit.export.samples import calibration_inputs
    from dfkit.export.session import OnnxDetector
    from tests.dfkit.test_export import face_inputs, settle_batchnorm, spread_logits

    torch.manual_seed(0)
    record = detector_record("meso4", {}, registry.input_spec("meso4"))
    model = settle_batchnorm(registry.build_detector("meso4"), calibration_inputs(record, count=32))
    inputs = torch.cat([face_inputs(record, seed, seed % 2 == 0) for seed in (101, 102, 103, 104)])
    model = spread_logits(model, inputs)
    exported = export_detector(model, record, calibration=calibration_inputs(record, count=64), tolerance=1.0)
    (tmp_path / "int8.onnx").write_bytes(exported.proto.SerializeToString())
    np.save(tmp_path / "inputs.npy", inputs.numpy())
    here = item_scores(OnnxDetector.from_model(tmp_path / "int8.onnx", torch.device("cpu")), inputs)

    done = as_avx2(f"""
        import numpy as np, torch
        from dfkit.export import item_scores
        from dfkit.export.session import OnnxDetector
        model = OnnxDetector.from_model({str(tmp_path / "int8.onnx")!r}, torch.device("cpu"))
        scores = item_scores(model, torch.from_numpy(np.load({str(tmp_path / "inputs.npy")!r})))
        print(" ".join(repr(float(s)) for s in scores))
    """)
    assert done.returncode == 0, done.stderr
    avx2 = np.array(done.stdout.split(), dtype=float)
    assert np.abs(avx2 - here).max() <= 1e-3, (f"the int8 file scores {len(here)} crops differently with AVX2 "
                                               f"kernels: up to {np.abs(avx2 - here).max():.4f} apart")


def test_without_a_command_it_exits_2_with_one_line():
    done = subprocess.run([sys.executable, str(BENCHMARKS / "as_avx2_cpu.py")], capture_output=True, text=True)
    assert done.returncode == 2, done
    assert done.stderr.startswith("error: give the command") and done.stderr.count("\n") == 1, done.stderr
