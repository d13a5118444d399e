/* Make this process see an AVX2-only x86-64 CPU: CPUID answers without AVX-512, AMX and the VNNI / BF16 /
 * FP16 extensions; everything else (vendor, model, caches, AVX2, FMA) is the real CPU's.
 *
 * Loaded with LD_PRELOAD by benchmarks/as_avx2_cpu.py. Linux's CPUID faulting (arch_prctl ARCH_SET_CPUID,
 * /proc/cpuinfo flag "cpuid_fault") turns every CPUID instruction of this process into a SIGSEGV; the handler
 * runs the real CPUID, clears the feature bits below and steps over the instruction. The setting is inherited
 * by threads and fork()ed children and reset by execve(), where LD_PRELOAD sets it again. So every library
 * that picks kernels from CPUID at run time (oneDNN and ATen in PyTorch, ONNX Runtime's MLAS, OpenCV, NumPy,
 * FFmpeg) picks the ones it would pick on an AVX2-only CPU. glibc reads CPUID before this library loads; the
 * launcher masks its string functions with GLIBC_TUNABLES instead.
 */
#define _GNU_SOURCE
#include <asm/prctl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

#define BIT(n) (1u << (n))

/* CPUID leaf 7 sub-leaf 0. EBX: AVX512F, DQ, IFMA, PF, ER, CD, BW, VL. ECX: VBMI, VBMI2, VNNI, BITALG,
 * VPOPCNTDQ. EDX: 4VNNIW, 4FMAPS, VP2INTERSECT, AMX-BF16, AVX512-FP16, AMX-TILE, AMX-INT8. */
static const uint32_t LEAF7_EBX = BIT(16) | BIT(17) | BIT(21) | BIT(26) | BIT(27) | BIT(28) | BIT(30) | BIT(31);
static const uint32_t LEAF7_ECX = BIT(1) | BIT(6) | BIT(11) | BIT(12) | BIT(14);
static const uint32_t LEAF7_EDX = BIT(2) | BIT(3) | BIT(8) | BIT(22) | BIT(23) | BIT(24) | BIT(25);
/* Leaf 7 sub-leaf 1. EAX: AVX-VNNI, AVX512-BF16, AMX-FP16, AVX-IFMA. EDX: AVX-VNNI-INT8, AVX-NE-CONVERT,
 * AMX-COMPLEX, AVX-VNNI-INT16, AVX10. */
static const uint32_t LEAF7_1_EAX = BIT(4) | BIT(5) | BIT(21) | BIT(23);
static const uint32_t LEAF7_1_EDX = BIT(4) | BIT(5) | BIT(8) | BIT(10) | BIT(19);

static unsigned long trapped;  /* CPUID instructions answered, printed at exit when CPUID_AVX2_VERBOSE is set */

static void set_cpuid_faulting(int on) {
    syscall(SYS_arch_prctl, ARCH_SET_CPUID, on ? 0 : 1);  /* 0 = CPUID faults, 1 = CPUID runs */
}

static void answer_cpuid(int signal_number, siginfo_t *info, void *context) {
    greg_t *registers = ((ucontext_t *)context)->uc_mcontext.gregs;
    const unsigned char *instruction = (const unsigned char *)registers[REG_RIP];
    (void)info;
    if (instruction[0] != 0x0f || instruction[1] != 0xa2) {  /* a real crash: let it happen as usual */
        signal(signal_number, SIG_DFL);
        return;
    }
    uint32_t leaf = (uint32_t)registers[REG_RAX], subleaf = (uint32_t)registers[REG_RCX];
    uint32_t eax, ebx, ecx, edx;
    set_cpuid_faulting(0);
    __asm__ volatile("cpuid" : "=a"(eax), "=b"(ebx), "=c"(ecx), "=d"(edx) : "a"(leaf), "c"(subleaf));
    set_cpuid_faulting(1);
    if (leaf == 7 && subleaf == 0) {
        ebx &= ~LEAF7_EBX;
        ecx &= ~LEAF7_ECX;
        edx &= ~LEAF7_EDX;
    } else if (leaf == 7 && subleaf == 1) {
        eax &= ~LEAF7_1_EAX;
        edx &= ~LEAF7_1_EDX;
    }
    registers[REG_RAX] = eax;
    registers[REG_RBX] = ebx;
    registers[REG_RCX] = ecx;
    registers[REG_RDX] = edx;
    registers[REG_RIP] += 2;  /* CPUID is two bytes, 0F A2 */
    trapped++;
}

__attribute__((constructor)) static void start(void) {
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_sigaction = answer_cpuid;
    action.sa_flags = SA_SIGINFO | SA_NODEFER;
    sigaction(SIGSEGV, &action, NULL);
    if (syscall(SYS_arch_prctl, ARCH_SET_CPUID, 0) != 0) {
        perror("cpuid_avx2: CPUID faulting (arch_prctl ARCH_SET_CPUID) is not available");
        _exit(2);
    }
}

__attribute__((destructor)) static void finish(void) {
    if (getenv("CPUID_AVX2_VERBOSE"))
        fprintf(stderr, "cpuid_avx2: %lu CPUID instructions answered\n", trapped);
}
