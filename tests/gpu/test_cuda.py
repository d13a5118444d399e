"""What only a CUDA machine can show: fp16 training with a GradScaler, DDP over nccl, detect_video on a GPU.

Every test carries the ``gpu`` marker: without CUDA it is collected and skipped. The CPU paths of the
same code are tested in tests/dfkit (trainer, gloo DDP) and tests/cli (detect_video).
"""
import copy
import json
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from dfkit.data import FaceDataset, SyntheticFaces
from dfkit.registry import build_detector, input_spec
from dfkit.synthetic import make_clip, make_clips
from dfkit.training import TrainConfig, Trainer, load_checkpoint, save_checkpoint
from dfkit.video import write_video

pytestmark = pytest.mark.gpu

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.timeout(300)
def test_amp_training_step_uses_fp16_with_a_grad_scaler_and_learns(tmp_path):
    faces = FaceDataset(SyntheticFaces(make_clips(16, seed=0, num_frames=2, size=128), size=input_spec("meso4").size))
    torch.manual_seed(0)
    model = build_detector("meso4")
    before = copy.deepcopy(model.state_dict())
    dtypes = []
    model.stage1[0].register_forward_hook(lambda module, inputs, output: dtypes.append(output.dtype))
    config = TrainConfig(epochs=2, batch_size=4, lr=1e-3, seed=0, device="cuda", amp=True, amp_dtype="float16",
                         output_dir=str(tmp_path), arch="meso4", progress=False)
    trainer = Trainer(model, faces, None, config)
    history = trainer.fit()

    assert trainer.amp_dtype == torch.float16 and trainer.channels_last
    assert dtypes and set(dtypes) == {torch.float16}, f"the convolution ran in {set(dtypes)}, not under fp16 autocast"
    assert all(math.isfinite(record["train_loss"]) for record in history), history
    changed = [name for name, value in model.state_dict().items()
               if value.is_floating_point() and not torch.equal(value.cpu(), before[name])]
    assert "fc2.weight" in changed and "stage1.0.weight" in changed, f"only {changed} changed"
    scaler = load_checkpoint(tmp_path / "last.pt")["scaler"]  # {} when the GradScaler is disabled
    assert 0 < scaler.get("scale", 0) <= 2.0 ** 16, f"expected an enabled GradScaler (scale <= 2^16), got {scaler}"


# Run under torchrun: trains a small BatchNorm network on the GPU of its LOCAL_RANK and writes what it saw.
WORKER = '''
import json
import os
import sys

import torch
import torch.distributed as dist

from dfkit.training import TrainConfig, Trainer
from dfkit.training.trainer import default_step


def frames(seed, n):
    generator = torch.Generator().manual_seed(seed)
    labels = torch.arange(n) % 2
    x = torch.randn(n, 3, 16, 16, generator=generator)
    x[labels == 1, :, 4:12, 4:12] += 1.0
    return torch.utils.data.TensorDataset(x, labels)


def main(output_dir, device):
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Conv2d(3, 8, 3, padding=1), torch.nn.BatchNorm2d(8), torch.nn.ReLU(),
                                torch.nn.AdaptiveAvgPool2d(2), torch.nn.Flatten(), torch.nn.Linear(32, 1))
    seen = {}

    def step(model, inputs, targets, loss):
        seen.update(backend=dist.get_backend() if dist.is_initialized() else None,
                    world_size=dist.get_world_size() if dist.is_initialized() else 1,
                    input_device=str(inputs.device), wrapper=type(model).__name__)
        return default_step(model, inputs, targets, loss)

    config = TrainConfig(epochs=2, batch_size=16, lr=1e-2, seed=0, output_dir=output_dir, progress=False,
                         device=None if device == "auto" else device)
    history = Trainer(model, frames(0, 64), frames(1, 30), config, step=step).fit()
    rank = int(os.environ.get("RANK", 0))
    torch.save({k: v.cpu() for k, v in model.state_dict().items()}, os.path.join(output_dir, f"weights{rank}.pt"))
    with open(os.path.join(output_dir, f"seen{rank}.json"), "w") as f:
        json.dump({**seen, "losses": [record["train_loss"] for record in history],
                   "val_frames": [record["val"]["frame"]["n"] for record in history]}, f)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
'''


def torchrun(tmp_path, processes, device="auto"):
    """Run :data:`WORKER` under ``torchrun --standalone`` with ``processes`` ranks; one dict per rank."""
    script = tmp_path / "worker.py"
    script.write_text(WORKER)
    env = {k: v for k, v in os.environ.items() if k not in ("RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_PORT")}
    env.update(PYTHONPATH=str(ROOT), OMP_NUM_THREADS="1")
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", str(processes),
               str(script), str(tmp_path / "run"), device]
    done = subprocess.run(command, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, f"torchrun failed (exit {done.returncode}):\n{done.stderr[-3000:]}"
    return [json.loads((tmp_path / "run" / f"seen{rank}.json").read_text()) for rank in range(processes)]


@pytest.mark.timeout(300)
def test_single_process_torchrun_trains_over_nccl(tmp_path):
    (seen,) = torchrun(tmp_path, 1)
    assert seen["backend"] == "nccl" and seen["world_size"] == 1
    assert seen["input_device"] == "cuda:0"
    assert all(math.isfinite(loss) for loss in seen["losses"])
    assert seen["val_frames"] == [30, 30]
    assert load_checkpoint(tmp_path / "run" / "last.pt")["epoch"] == 2


@pytest.mark.timeout(300)
def test_two_process_ddp_over_nccl_keeps_ranks_identical(tmp_path):
    if torch.cuda.device_count() < 2:
        pytest.skip(f"DDP over nccl needs 2 GPUs; this machine has {torch.cuda.device_count()}")
    ranks = torchrun(tmp_path, 2)
    assert [seen["backend"] for seen in ranks] == ["nccl", "nccl"]
    assert [seen["world_size"] for seen in ranks] == [2, 2]
    assert [seen["input_device"] for seen in ranks] == ["cuda:0", "cuda:1"]
    assert [seen["wrapper"] for seen in ranks] == ["DistributedDataParallel"] * 2
    assert ranks[0]["losses"] == ranks[1]["losses"], "the logged loss is reduced over ranks"
    assert ranks[0]["val_frames"] == [30, 30], "validation must gather every frame exactly once"
    first, second = (torch.load(tmp_path / "run" / f"weights{rank}.pt", weights_only=True) for rank in (0, 1))
    for name, value in first.items():
        torch.testing.assert_close(second[name], value, rtol=0, atol=1e-6,
                                   msg=f"{name} differs between ranks (weights: DDP; BatchNorm stats: SyncBatchNorm)")


@pytest.fixture(scope="module")
def video_and_checkpoint(tmp_path_factory):
    """An H.264 astronaut clip (MTCNN finds its face) and a Meso4 whose untrained logits are spread out."""
    folder = tmp_path_factory.mktemp("detect_cuda")
    clip = make_clip(photo="astronaut", size=(256, 256), num_frames=8, seed=0)
    write_video(folder / "astronaut.mp4", clip.frames, fps=25)
    torch.manual_seed(0)
    model = build_detector("meso4")
    with torch.no_grad():
        model.fc2.weight *= 300  # scores away from 0.5, so a numerical difference would show
    save_checkpoint(folder / "meso4.pt", model, arch="meso4")
    return folder / "astronaut.mp4", folder / "meso4.pt"


def detect(video, checkpoint, output, device, *extra):
    """Run the detect_video.py CLI; return its report."""
    done = subprocess.run([sys.executable, "detect_video.py", "--input", str(video), "--model", str(checkpoint),
                           "--output", str(output), "--frames", "6", "--device", device, *extra],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return json.loads(Path(output).read_text())


@pytest.mark.timeout(600)
def test_detect_video_on_cuda_matches_cpu(video_and_checkpoint, tmp_path):
    video, checkpoint = video_and_checkpoint
    cpu = detect(video, checkpoint, tmp_path / "cpu.json", "cpu", "--precision", "fp32")
    cuda = detect(video, checkpoint, tmp_path / "cuda.json", "cuda")  # --precision auto: bf16 where supported
    assert cuda["model"]["device"].startswith("cuda"), cuda["model"]
    assert cpu["model"]["device"] == "cpu"
    cpu_scores, cuda_scores = ([f["score"] for f in report["frames"]] for report in (cpu, cuda))
    assert np.min(np.abs(np.subtract(cpu_scores, 0.5))) > 0.1, f"logits too near 0 to compare: {cpu_scores}"
    np.testing.assert_allclose(cuda_scores, cpu_scores, atol=0.02)
    assert cuda["video_score"] == pytest.approx(cpu["video_score"], abs=0.02)
    assert cuda["verdict"] == cpu["verdict"]
