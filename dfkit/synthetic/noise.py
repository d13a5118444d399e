"""Sensor noise: i.i.d. Gaussian per pixel, drawn fast from a fixed bank of normal samples.

Drawing 50 k normals per 128 px frame costs ~1 ms, more than rendering; instead each frame is
filled with windows of a 4 M-sample bank at random offsets (from the clip's seeded generator),
in chunks of at most half the bank, so 1080p frames cost a copy, not a fresh draw.
"""
import functools

import numpy as np

BANK_SIZE = 1 << 22
CHUNK = BANK_SIZE // 2


@functools.lru_cache(maxsize=1)
def _bank():
    return np.random.default_rng(20240611).standard_normal(BANK_SIZE, dtype=np.float32)


def sensor_noise(rng, shape, sigma):
    """``shape`` float32 zero-mean Gaussian noise with standard deviation ``sigma`` grey levels."""
    n = int(np.prod(shape))
    bank = _bank()
    out = np.empty(n, np.float32)
    for begin in range(0, n, CHUNK):
        size = min(CHUNK, n - begin)
        start = int(rng.integers(0, BANK_SIZE - size))
        np.multiply(bank[start:start + size], np.float32(sigma), out=out[begin:begin + size])
    return out.reshape(shape)
