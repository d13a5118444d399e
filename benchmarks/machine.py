"""The machine a benchmark ran on, in one line: every figure is printed beside it."""
import platform

import torch

FLAGS = ("avx2", "avx512f", "avx512_bf16", "amx_tile")  # what decides torch's CPU kernels (bf16 needs the last two)
NUMPY_NAMES = {"avx2": "AVX2", "avx512f": "AVX512F", "avx512_bf16": "AVX512BF16"}  # as NumPy's CPUID probe calls them


def seen_by_this_process(kernel_flags):
    """Which of :data:`FLAGS` this process's CPUID reports (it differs from /proc/cpuinfo's ``kernel_flags`` under
    benchmarks/as_avx2_cpu.py): NumPy's run-time probe, with AMX taken as present when the kernel lists it and
    CPUID still reports AVX-512 (the masking hides both together)."""
    from numpy._core._multiarray_umath import __cpu_features__

    seen = {flag for flag, name in NUMPY_NAMES.items() if __cpu_features__.get(name)}
    if "amx_tile" in kernel_flags and "avx512f" in seen:
        seen.add("amx_tile")
    return seen


def machine():
    """CPU model, which of :data:`FLAGS` it has (and, when CPUID is masked, which ones this process sees), torch
    threads, and the GPU if there is one."""
    model, flags = platform.processor() or "unknown CPU", set()
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
            elif line.startswith("flags"):
                flags = set(line.split(":", 1)[1].split())
    except OSError:
        pass
    present = " ".join(f for f in FLAGS if f in flags) or "none of " + " ".join(FLAGS)
    seen = seen_by_this_process(flags)
    if flags and seen != {f for f in FLAGS if f in flags}:
        present += f"; CPUID masked: this process sees only {' '.join(f for f in FLAGS if f in seen) or 'none'}"
    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "no GPU"
    return f"{model}; flags {present}; {torch.get_num_threads()} torch threads; {gpu}"
