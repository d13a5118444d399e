"""Run a command as if this CPU had AVX2 but no AVX-512, AMX or VNNI: the figures of an AVX2-only CPU's kernels.

    python benchmarks/as_avx2_cpu.py python benchmarks/bench_inference.py --models xceptionnet

Compiles ``cpuid_avx2.c`` (beside this file) with the system C compiler and runs the command with it in
LD_PRELOAD: every CPUID instruction of the command is answered without those extensions, so PyTorch,
ONNX Runtime, OpenCV, NumPy and FFmpeg choose the kernels an AVX2-only CPU gets (see the C file); glibc's
own choice is capped by GLIBC_TUNABLES. Clock, caches and memory stay this machine's, so figures are
AVX2 kernels on this CPU, not a measurement of another CPU; benchmarks/machine.py prints what the process
sees next to what the kernel reports. Needs Linux on x86-64 with CPUID faulting (``cpuid_fault`` in
/proc/cpuinfo; most Intel CPUs since 2012 and their KVM guests) and a C compiler (``cc``). Exits with
the command's status, or 2 with one line when it cannot run.
"""
import os
import platform
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

SOURCE = Path(__file__).with_name("cpuid_avx2.c")
# glibc's names for what cpuid_avx2.c hides (its string functions pick their variants before LD_PRELOAD loads)
GLIBC_HIDDEN = ("AVX512F", "AVX512CD", "AVX512BW", "AVX512DQ", "AVX512VL", "AVX512_VNNI", "AVX512_BF16",
                "AVX512_FP16", "AVX_VNNI", "AMX_BF16", "AMX_TILE", "AMX_INT8")


def unusable_reason():
    """Why this machine cannot run the command as an AVX2-only CPU, or None."""
    if platform.system() != "Linux" or platform.machine() != "x86_64":
        return f"needs Linux on x86-64, this is {platform.system()} on {platform.machine()}"
    flags = set()
    with open("/proc/cpuinfo") as cpuinfo:
        for line in cpuinfo:
            if line.startswith("flags"):
                flags = set(line.split(":", 1)[1].split())
                break
    if "avx2" not in flags:
        return "this CPU has no AVX2"
    if "cpuid_fault" not in flags:
        return "this CPU (or its hypervisor) has no CPUID faulting (no 'cpuid_fault' in /proc/cpuinfo)"
    if shutil.which("cc") is None:
        return "no C compiler ('cc') to build cpuid_avx2.c"
    return None


def avx2_environment(library):
    """The environment for a command that should see an AVX2-only CPU through ``library`` (the built .so)."""
    environment = dict(os.environ)
    environment["LD_PRELOAD"] = " ".join(filter(None, [str(library), environment.get("LD_PRELOAD")]))
    masked = "glibc.cpu.hwcaps=" + ",".join("-" + name for name in GLIBC_HIDDEN)
    environment["GLIBC_TUNABLES"] = ":".join(filter(None, [environment.get("GLIBC_TUNABLES"), masked]))
    return environment


def main(argv):
    if not argv:
        print("error: give the command to run, e.g. python benchmarks/as_avx2_cpu.py python bench.py", file=sys.stderr)
        return 2
    if argv[0] in ("-h", "--help"):
        print(__doc__.strip())
        return 0
    reason = unusable_reason()
    if reason:
        print(f"error: cannot run as an AVX2-only CPU: {reason}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as folder:
        library = Path(folder) / "cpuid_avx2.so"
        built = subprocess.run(["cc", "-O2", "-shared", "-fPIC", "-o", str(library), str(SOURCE)],
                               capture_output=True, text=True)
        if built.returncode != 0:
            print(f"error: cannot build {SOURCE.name}: {built.stderr.strip().splitlines()[-1]}", file=sys.stderr)
            return 2
        try:
            return subprocess.run(argv, env=avx2_environment(library)).returncode
        except FileNotFoundError:
            print(f"error: command not found: {argv[0]}", file=sys.stderr)
            return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
