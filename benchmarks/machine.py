"""The machine a benchmark ran on, in one line: every figure is printed beside it."""
import platform

import torch

FLAGS = ("avx2", "avx512f", "avx512_bf16", "amx_tile")  # what decides torch's CPU kernels (bf16 needs the last two)


def machine():
    """CPU model, which of :data:`FLAGS` it has, torch threads, and the GPU if there is one."""
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
    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "no GPU"
    return f"{model}; flags {present}; {torch.get_num_threads()} torch threads; {gpu}"
