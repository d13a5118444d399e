"""Mixed precision on GPU: training images/s of a ResNet-50 through dfkit's Trainer, fp32 vs AMP.

    python benchmarks/bench_amp.py [--batch-size 64] [--steps 30] [--size 224]

Runs fp32, fp32 + channels_last, AMP float16 + channels_last (GradScaler) and AMP bfloat16 +
channels_last. Speed is taken from the second epoch (the first one includes cuDNN autotuning).
Without CUDA it prints "no CUDA" and exits 0.
"""
import argparse
import sys
import tempfile

import torch
from torch.utils.data import TensorDataset

from dfkit.training import TrainConfig, Trainer

SETTINGS = {
    "fp32": dict(amp=False, channels_last=False),
    "fp32 + channels_last": dict(amp=False, channels_last=True),
    "AMP fp16 + channels_last": dict(amp=True, amp_dtype="float16", channels_last=True),
    "AMP bf16 + channels_last": dict(amp=True, amp_dtype="bfloat16", channels_last=True),
}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--steps", type=int, default=30, help="optimizer steps per epoch")
    parser.add_argument("--size", type=int, default=224)
    args = parser.parse_args()
    if not torch.cuda.is_available():
        print("no CUDA: bench_amp.py measures GPU mixed precision only; nothing to do")
        return 0
    import torchvision  # only needed for the GPU run

    torch.backends.cudnn.benchmark = True
    samples = args.batch_size * args.steps
    y = torch.arange(samples) % 2
    dataset = TensorDataset(torch.randn(samples, 3, args.size, args.size), y)
    dataset.labels = y.tolist()
    print(f"{torch.cuda.get_device_name()}, ResNet-50, batch {args.batch_size}, {args.size}px, "
          f"{args.steps} steps per epoch")
    baseline = None
    for name, setting in SETTINGS.items():
        torch.manual_seed(0)
        model = torchvision.models.resnet50(num_classes=1)
        with tempfile.TemporaryDirectory() as folder:
            config = TrainConfig(epochs=2, batch_size=args.batch_size, output_dir=folder, progress=False,
                                 **setting)  # in-memory tensors: worker processes would only add copies
            history = Trainer(model, dataset, config=config).fit()
        images_per_s = samples / history[-1]["seconds"]
        baseline = baseline or images_per_s
        memory_gib = torch.cuda.max_memory_allocated() / 2**30
        print(f"{name:26s}: {images_per_s:8.1f} images/s  x{images_per_s / baseline:4.2f}  "
              f"peak memory {memory_gib:5.1f} GiB  final loss {history[-1]['train_loss']:.4f}")
        torch.cuda.reset_peak_memory_stats()
        del model
        torch.cuda.empty_cache()
    return 0


if __name__ == "__main__":
    sys.exit(main())
