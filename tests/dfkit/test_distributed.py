"""A 2-process torchrun (gloo, CPU) run matches a single process on the same global batch."""
import json
import os
import runpy
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import torch

REPO = Path(__file__).resolve().parents[2]

# The same script runs once under torchrun (2 ranks) and once in this process (1 rank).
# No BatchNorm or Dropout: their per-rank statistics / random masks legitimately differ under DDP.
WORKER = '''
import os
import sys
import torch
from dfkit.training import TrainConfig, Trainer


class Frames(torch.utils.data.Dataset):
    def __init__(self, seed, n=64):
        generator = torch.Generator().manual_seed(seed)
        self.labels = [(i // 4) % 2 for i in range(n)]
        self.reads = 0
        self.x = torch.randn(n, 3, 8, 8, generator=generator) * 0.5
        self.x[:, :, 2:6, 2:6] += 0.4 * torch.tensor(self.labels, dtype=torch.float32).view(-1, 1, 1, 1)

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, i):
        self.reads += 1
        return self.x[i], self.labels[i], f"video{i // 4}"


def main(output_dir):
    torch.set_num_threads(1)
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3, padding=1), torch.nn.ReLU(),
                                torch.nn.AdaptiveAvgPool2d(2), torch.nn.Flatten(), torch.nn.Linear(16, 1))
    config = TrainConfig(epochs=3, batch_size=16, lr=3e-2, warmup_epochs=1, seed=5, progress=False,
                         output_dir=output_dir, arch="tiny")
    train, val = Frames(seed=0), Frames(seed=1, n=60)
    Trainer(model, train, val, config).fit()
    rank = os.environ.get("RANK", 0)
    torch.save(model.state_dict(), os.path.join(output_dir, f"final_rank{rank}.pt"))
    with open(os.path.join(output_dir, f"reads_rank{rank}.txt"), "w") as f:
        f.write(f"{train.reads} {val.reads}")


if __name__ == "__main__":
    main(sys.argv[1])
'''


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def read_history(folder):
    return [json.loads(line) for line in (folder / "metrics.jsonl").read_text().splitlines()]


@pytest.mark.timeout(300)
def test_two_process_gloo_matches_single_process(tmp_path):
    script = tmp_path / "worker.py"
    script.write_text(WORKER)
    env = {k: v for k, v in os.environ.items() if k not in ("RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_PORT")}
    env.update(PYTHONPATH=str(REPO), OMP_NUM_THREADS="1", CUDA_VISIBLE_DEVICES="")
    command = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "--master_addr",
               "127.0.0.1", "--master_port", str(free_port()), str(script), str(tmp_path / "ddp")]
    done = subprocess.run(command, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, f"torchrun failed (exit {done.returncode}):\n{done.stderr[-3000:]}"

    runpy.run_path(str(script))["main"](str(tmp_path / "single"))

    # each rank read its half of the data: 3 epochs x 32 training frames, 3 x 30 validation frames
    for rank in (0, 1):
        assert (tmp_path / "ddp" / f"reads_rank{rank}.txt").read_text() == "96 90"
    assert (tmp_path / "single" / "reads_rank0.txt").read_text() == "192 180"

    ddp, single = read_history(tmp_path / "ddp"), read_history(tmp_path / "single")
    assert len(ddp) == len(single) == 3
    for a, b in zip(ddp, single):
        assert a["val"]["frame"]["n"] == 60, "gathered validation must hold every frame exactly once"
        assert a["train_loss"] == pytest.approx(b["train_loss"], rel=1e-4)
        assert a["lr"] == pytest.approx(b["lr"])
        assert a["val"]["video"]["auc"] == pytest.approx(b["val"]["video"]["auc"], abs=1e-6)
        assert a["val"]["frame"]["auc"] == pytest.approx(b["val"]["frame"]["auc"], abs=1e-6)
    ddp_weights = torch.load(tmp_path / "ddp" / "final_rank0.pt", weights_only=True)
    rank1_weights = torch.load(tmp_path / "ddp" / "final_rank1.pt", weights_only=True)
    single_weights = torch.load(tmp_path / "single" / "final_rank0.pt", weights_only=True)
    for key, value in single_weights.items():
        torch.testing.assert_close(ddp_weights[key], value, rtol=1e-4, atol=1e-5)
        assert torch.equal(ddp_weights[key], rank1_weights[key]), "DDP ranks must hold identical weights"
    last = torch.load(tmp_path / "ddp" / "last.pt", weights_only=True)
    assert last["epoch"] == 3
