"""Trainer: learns, resumes bit for bit, stops early, balances classes, predicts in order."""
import json
import math

import numpy as np
import pytest
import torch
from sklearn.metrics import roc_auc_score
from torch.utils.data import Dataset

from dfkit.training import TrainConfig, Trainer, load_checkpoint, select_device
from dfkit.training.trainer import warmup_cosine


class Clips(Dataset):
    """Tiny frames: fakes have a brighter centre. Items are (x, y, video_id); 4 frames per video."""

    def __init__(self, n=64, seed=0, size=8):
        generator = torch.Generator().manual_seed(seed)
        self.labels = [(i // 4) % 2 for i in range(n)]
        self.x = torch.randn(n, 3, size, size, generator=generator) * 0.5
        self.x[:, :, 2:-2, 2:-2] += 0.6 * torch.tensor(self.labels, dtype=torch.float32).view(-1, 1, 1, 1)
        self.crash_after = None  # simulate a kill: raise after this many item reads
        self.reads = 0

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, i):
        self.reads += 1
        if self.crash_after is not None and self.reads > self.crash_after:
            raise RuntimeError("simulated kill")
        return self.x[i], self.labels[i], f"video{i // 4}"


def tiny_model(seed=0, batchnorm=True):
    torch.manual_seed(seed)
    return torch.nn.Sequential(
        torch.nn.Conv2d(3, 4, 3, padding=1), torch.nn.BatchNorm2d(4) if batchnorm else torch.nn.Identity(),
        torch.nn.ReLU(),
        torch.nn.AdaptiveAvgPool2d(2), torch.nn.Flatten(), torch.nn.Dropout(0.3), torch.nn.Linear(16, 1))


def config(tmp_path, **overrides):
    values = dict(epochs=4, batch_size=16, lr=3e-2, warmup_epochs=1, output_dir=str(tmp_path), progress=False,
                  arch="tiny", seed=7)
    values.update(overrides)
    return TrainConfig(**values)


def without_times(history):
    return [{k: v for k, v in record.items() if k != "seconds"} for record in history]


def test_trainer_learns_and_logs(tmp_path):
    history = Trainer(tiny_model(), Clips(), Clips(seed=1), config(tmp_path, epochs=6)).fit()
    assert [r["epoch"] for r in history] == [1, 2, 3, 4, 5, 6]
    assert history[-1]["val"]["video"]["auc"] > 0.9, f"expected the model to learn, got {history[-1]['val']}"
    assert history[-1]["train_loss"] < history[0]["train_loss"]
    lines = (tmp_path / "metrics.jsonl").read_text().splitlines()
    assert [json.loads(line) for line in lines] == history
    assert {"epoch", "train_loss", "lr", "seconds", "val", "monitor"} <= set(history[0])
    best = load_checkpoint(tmp_path / "best.pt")
    assert best["metrics"]["monitor"] == max(r["monitor"] for r in history)
    last = load_checkpoint(tmp_path / "last.pt")
    assert last["epoch"] == 6 and last["arch"] == "tiny" and last["config"]["epochs"] == 6
    assert {"optimizer", "scheduler", "scaler", "rng"} <= set(last)


def test_resume_after_kill_is_bit_for_bit(tmp_path):
    reference_model = tiny_model()
    reference = Trainer(reference_model, Clips(), Clips(seed=1), config(tmp_path / "straight")).fit()

    killed_data = Clips()
    killed_data.crash_after = 2 * 64 + 20  # two full epochs, then part of epoch 3
    killed = Trainer(tiny_model(), killed_data, Clips(seed=1), config(tmp_path / "resumed"))
    with pytest.raises(RuntimeError, match="simulated kill"):
        killed.fit()
    assert load_checkpoint(tmp_path / "resumed" / "last.pt")["epoch"] == 2

    resumed_model = tiny_model(seed=123)  # different init: everything must come from last.pt
    resumed = Trainer(resumed_model, Clips(), Clips(seed=1), config(tmp_path / "resumed")).fit(resume=True)

    assert without_times(resumed) == without_times(reference)
    for key, value in reference_model.state_dict().items():
        assert torch.equal(value, resumed_model.state_dict()[key]), f"{key} differs after resume"


def test_early_stopping_when_metric_stalls(tmp_path):
    # lr = 0 and no BatchNorm statistics freeze the model, so the validation AUC never improves after epoch 1
    frozen = config(tmp_path, epochs=10, lr=0.0, patience=2)
    history = Trainer(tiny_model(batchnorm=False), Clips(), Clips(seed=1), frozen).fit()
    assert len(history) == 3, f"expected a stop after 1 + patience epochs, got {len(history)}"
    assert len({r["monitor"] for r in history}) == 1
    again = Trainer(tiny_model(batchnorm=False), Clips(), Clips(seed=1), frozen)
    assert len(again.fit(resume=True)) == 3  # a stopped run stays stopped


class Imbalanced(Dataset):
    """30 reals and 10 fakes; (x, y) items with no video id."""

    def __init__(self):
        self.y = [0] * 30 + [1] * 10

    def __len__(self):
        return len(self.y)

    def __getitem__(self, i):
        return torch.zeros(2), self.y[i]


class ConstantLogit(torch.nn.Module):
    """Returns logit 0 for every sample, shaped (B, 1)."""

    def __init__(self):
        super().__init__()
        self.bias = torch.nn.Parameter(torch.zeros(1))

    def forward(self, x):
        return self.bias.expand(x.shape[0], 1)


def test_class_balance_weight_is_real_over_fake(tmp_path):
    trainer = Trainer(ConstantLogit(), Imbalanced(), config=config(tmp_path, epochs=1, lr=0.0, batch_size=8))
    history = trainer.fit()
    # logit 0: BCE = log 2 per sample, fakes weighted 3x -> mean = log 2 * (30 + 3 * 10) / 40
    assert history[0]["train_loss"] == pytest.approx(math.log(2) * 60 / 40)
    unbalanced = Trainer(ConstantLogit(), Imbalanced(), config=config(tmp_path, epochs=1, lr=0.0,
                                                                      batch_size=8, class_balance=False))
    assert unbalanced.fit()[0]["train_loss"] == pytest.approx(math.log(2))


def test_predict_and_evaluate_match_a_manual_forward(tmp_path):
    model, data = tiny_model(), Clips(n=40, seed=3)
    trainer = Trainer(model, data, config=config(tmp_path, batch_size=16))
    predicted = trainer.predict(data)
    model.eval()
    with torch.no_grad():
        expected = torch.sigmoid(model(data.x)[:, 0]).numpy()
    np.testing.assert_allclose(predicted["scores"], expected, rtol=1e-5, atol=1e-6)
    assert predicted["labels"].tolist() == data.labels
    assert predicted["video_ids"] == [f"video{i // 4}" for i in range(40)]
    summary = trainer.evaluate(data)
    assert summary["frame"]["auc"] == pytest.approx(roc_auc_score(data.labels, expected))
    assert summary["video"]["n"] == 10


def test_bad_model_output_shape_is_explained(tmp_path):
    model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(3 * 8 * 8, 2))
    with pytest.raises(ValueError, match=r"logits of shape \(B,\) or \(B, 1\), got \(16, 2\)"):
        Trainer(model, Clips(), config=config(tmp_path, epochs=1)).fit()


def test_warmup_cosine_schedule_values():
    factor = warmup_cosine(warmup_steps=4, total_steps=14)
    assert [factor(s) for s in range(4)] == [0.25, 0.5, 0.75, 1.0]
    assert factor(9) == pytest.approx(0.5)  # half-way through the 10 decay steps
    assert factor(14) == pytest.approx(0.0)


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the CPU-only fallbacks")
def test_device_choice_on_a_cpu_machine(tmp_path):
    if not torch.backends.mps.is_available():
        assert select_device().type == "cpu"
    with pytest.raises(ValueError, match="CUDA is not available"):
        select_device("cuda")
    with pytest.raises(ValueError, match="mixed precision is supported on CUDA only"):
        Trainer(tiny_model(), Clips(), config=config(tmp_path, amp=True, device="cpu"))
    trainer = Trainer(tiny_model(), Clips(), config=config(tmp_path, device="cpu"))
    assert trainer.amp_dtype is None and trainer.channels_last is False
