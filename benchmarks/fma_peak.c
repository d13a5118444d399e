/* The CPU's AVX2 fp32 peak: GFLOP/s of back-to-back 256-bit fused multiply-adds on 1 and 2 threads.
 *
 * The ceiling for any engine's fp32 convolutions on AVX2 kernels (bench_inference.py prints each engine's
 * model-stage GFLOP/s beside it). Ten independent accumulators per thread hide the FMA latency; each FMA
 * on 8 floats counts 16 FLOP.
 *
 *     cc -O2 -mavx2 -mfma -pthread benchmarks/fma_peak.c -o /tmp/fma_peak && /tmp/fma_peak
 */
#include <immintrin.h>
#include <pthread.h>
#include <stdio.h>
#include <time.h>

#define ROUNDS 100000000L  /* loop iterations per thread, 10 FMAs each */
#define CHAINS 10

static void *fma_loop(void *result) {
    __m256 acc[CHAINS];
    const __m256 scale = _mm256_set1_ps(0.9999999f), shift = _mm256_set1_ps(1e-7f);
    for (int c = 0; c < CHAINS; c++)
        acc[c] = _mm256_set1_ps(1.0f + 0.1f * c);  /* distinct starts: the compiler cannot merge the chains */
    for (long i = 0; i < ROUNDS; i++)
#pragma GCC unroll 10  /* keep the accumulators in registers */
        for (int c = 0; c < CHAINS; c++)
            acc[c] = _mm256_fmadd_ps(acc[c], scale, shift);
    __m256 sum = acc[0];
    for (int c = 1; c < CHAINS; c++)
        sum = _mm256_add_ps(sum, acc[c]);
    _mm256_storeu_ps((float *)result, sum);  /* keep the work observable */
    return NULL;
}

int main(void) {
    for (int threads = 1; threads <= 2; threads++) {
        pthread_t workers[2];
        float results[2][8];
        struct timespec start, end;
        clock_gettime(CLOCK_MONOTONIC, &start);
        for (int t = 0; t < threads; t++)
            pthread_create(&workers[t], NULL, fma_loop, results[t]);
        for (int t = 0; t < threads; t++)
            pthread_join(workers[t], NULL);
        clock_gettime(CLOCK_MONOTONIC, &end);
        double seconds = (end.tv_sec - start.tv_sec) + (end.tv_nsec - start.tv_nsec) / 1e9;
        printf("%d thread%s: AVX2 FMA peak %.0f GFLOP/s\n", threads, threads > 1 ? "s" : "",
               threads * ROUNDS * CHAINS * 16.0 / seconds / 1e9);
    }
    return 0;
}
