"""Trainer overhead: steps/s of dfkit's Trainer vs a bare hand-written loop (CPU, same model and data).

    python benchmarks/bench_trainer.py [--epochs 3] [--samples 1024] [--threads 1]

Both loops do the same work per step (AdamW, BCE-with-logits, gradient clipping, LR schedule);
the Trainer adds class balancing, a last.pt checkpoint and a metrics.jsonl line per epoch.
Target: Trainer within 10% of the bare loop.
"""
import argparse
import math
import tempfile
import time

import torch
from torch.utils.data import DataLoader, TensorDataset

from dfkit.training import TrainConfig, Trainer


def small_cnn():
    torch.manual_seed(0)
    return torch.nn.Sequential(
        torch.nn.Conv2d(3, 16, 3, padding=1), torch.nn.BatchNorm2d(16), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Conv2d(16, 32, 3, padding=1), torch.nn.BatchNorm2d(32), torch.nn.ReLU(),
        torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten(), torch.nn.Linear(32, 1))


def bare_loop(dataset, epochs, batch_size):
    model = small_cnn()
    loader = DataLoader(dataset, batch_size=batch_size, shuffle=True)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=1e-4)
    total = epochs * len(loader)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: 0.5 * (1 + math.cos(math.pi * step / total)))
    criterion = torch.nn.BCEWithLogitsLoss()
    model.train()
    for _ in range(epochs):
        for x, y in loader:
            loss = criterion(model(x)[:, 0], y.float())
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            scheduler.step()
    return epochs * len(loader)


def trainer_loop(dataset, epochs, batch_size, output_dir):
    config = TrainConfig(epochs=epochs, batch_size=batch_size, lr=1e-3, output_dir=output_dir, progress=False)
    Trainer(small_cnn(), dataset, config=config).fit()
    return epochs * -(-len(dataset) // batch_size)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--samples", type=int, default=1024)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    generator = torch.Generator().manual_seed(0)
    x = torch.randn(args.samples, 3, 32, 32, generator=generator)
    y = torch.randint(0, 2, (args.samples,), generator=generator)
    dataset = TensorDataset(x, y)
    dataset.labels = y.tolist()  # lets the Trainer count classes without reading every item

    best = {"bare": 0.0, "trainer": 0.0}
    for _ in range(args.repeats):  # interleaved, best of N: robust to other load on the machine
        started = time.perf_counter()
        steps = bare_loop(dataset, args.epochs, args.batch_size)
        best["bare"] = max(best["bare"], steps / (time.perf_counter() - started))
        with tempfile.TemporaryDirectory() as folder:
            started = time.perf_counter()
            steps = trainer_loop(dataset, args.epochs, args.batch_size, folder)
            best["trainer"] = max(best["trainer"], steps / (time.perf_counter() - started))
    print(f"CPU, {args.threads} thread(s), {args.samples} samples 3x32x32, batch {args.batch_size}, "
          f"{args.epochs} epochs, best of {args.repeats}")
    print(f"bare loop : {best['bare']:8.1f} steps/s")
    print(f"Trainer   : {best['trainer']:8.1f} steps/s")
    print(f"overhead  : {100 * (best['bare'] / best['trainer'] - 1):+.1f} % (target <= 10 %)")


if __name__ == "__main__":
    main()
