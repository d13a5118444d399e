"""DDP on CPU: a 2-process gloo torchrun vs one process, same global batch, same data.

    python benchmarks/bench_ddp.py [--samples 2048] [--epochs 3] [--nproc 2]

Prints wall time of each run and the largest difference in final weights and validation metrics.
(On a machine with fewer free cores than processes the DDP run is slower: the point here is that
the numbers agree; speed-ups need one core or GPU per process.)
"""
import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch
from torch.utils.data import TensorDataset

from dfkit.training import TrainConfig, Trainer

REPO = Path(__file__).resolve().parents[1]


def make_data(samples, seed):
    generator = torch.Generator().manual_seed(seed)
    y = torch.randint(0, 2, (samples,), generator=generator)
    x = torch.randn(samples, 3, 32, 32, generator=generator) * 0.5
    x[:, :, 8:24, 8:24] += 0.06 * y.float().view(-1, 1, 1, 1)
    dataset = TensorDataset(x, y)
    dataset.labels = y.tolist()
    return dataset


def worker(output_dir, samples, epochs):
    """Train once (as one rank of torchrun, or alone) and save the final weights."""
    torch.set_num_threads(1)
    torch.manual_seed(0)
    model = torch.nn.Sequential(  # no BatchNorm/Dropout: their per-rank behaviour differs by design
        torch.nn.Conv2d(3, 16, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Conv2d(16, 32, 3, padding=1), torch.nn.ReLU(),
        torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten(), torch.nn.Linear(32, 1))
    config = TrainConfig(epochs=epochs, batch_size=32, lr=3e-3, seed=1, output_dir=output_dir, progress=False)
    Trainer(model, make_data(samples, 0), make_data(samples // 4, 1), config).fit()
    if os.environ.get("RANK", "0") == "0":
        torch.save(model.state_dict(), Path(output_dir) / "final.pt")


def launch(command, env):
    started = time.perf_counter()
    subprocess.run(command, env=env, check=True)
    return time.perf_counter() - started


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=2048)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--nproc", type=int, default=2)
    parser.add_argument("--worker", metavar="OUTPUT_DIR", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        return worker(args.worker, args.samples, args.epochs)

    env = dict(os.environ, PYTHONPATH=str(REPO), OMP_NUM_THREADS="1", CUDA_VISIBLE_DEVICES="")
    common = [str(Path(__file__).resolve()), "--samples", str(args.samples), "--epochs", str(args.epochs)]
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with tempfile.TemporaryDirectory() as folder:
        single_dir, ddp_dir = Path(folder, "single"), Path(folder, "ddp")
        single_s = launch([sys.executable, *common, "--worker", str(single_dir)], env)
        ddp_s = launch([sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", str(args.nproc),
                        "--master_addr", "127.0.0.1", "--master_port", str(port),
                        *common, "--worker", str(ddp_dir)], env)
        single_w = torch.load(single_dir / "final.pt", weights_only=True)
        ddp_w = torch.load(ddp_dir / "final.pt", weights_only=True)
        weight_diff = max((single_w[k] - ddp_w[k]).abs().max().item() for k in single_w)
        last = [json.loads((d / "metrics.jsonl").read_text().splitlines()[-1]) for d in (single_dir, ddp_dir)]
    print(f"CPU gloo, {args.samples} samples, global batch 32, {args.epochs} epochs, "
          f"{os.cpu_count()} CPU cores visible")
    print(f"single process      : {single_s:7.1f} s wall (incl. ~interpreter start)")
    print(f"torchrun {args.nproc} processes: {ddp_s:7.1f} s wall")
    for key in ("auc", "ap", "eer", "accuracy"):
        a, b = last[0]["val"]["frame"][key], last[1]["val"]["frame"][key]
        print(f"val {key:9s}: single {a:.6f}  ddp {b:.6f}  |diff| {abs(a - b):.2e}")
    print(f"train loss last epoch: single {last[0]['train_loss']:.6f}  ddp {last[1]['train_loss']:.6f}")
    print(f"max |weight difference|: {weight_diff:.2e}")


if __name__ == "__main__":
    main()
