"""Trainer hooks: dict and multi-input batches, a custom loss, a custom step, real-valued targets."""
import torch
from torch import nn
from torch.utils.data import Dataset

from dfkit.training import TrainConfig, Trainer


class TwoInputs(Dataset):
    """Dict items {"inputs": {"a": (2,), "b": (2,)}, "target": y, "video_id"}; y = 1 when a.sum() > b.sum()."""

    def __init__(self, n=64, seed=0):
        generator = torch.Generator().manual_seed(seed)
        self.a, self.b = torch.randn(n, 2, generator=generator), torch.randn(n, 2, generator=generator)
        self.labels = (self.a.sum(1) > self.b.sum(1)).long().tolist()

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, i):
        return {"inputs": {"a": self.a[i], "b": self.b[i]}, "target": self.labels[i], "video_id": f"v{i}"}


class Fusion(nn.Module):
    """model(a=..., b=...) -> (B,) logits."""

    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(4, 1)

    def forward(self, a, b):
        return self.linear(torch.cat([a, b], dim=1)).squeeze(-1)


def config(tmp_path, **overrides):
    return TrainConfig(**{"epochs": 8, "batch_size": 16, "lr": 0.05, "output_dir": str(tmp_path), "device": "cpu",
                          "progress": False, **overrides})


def test_dict_batches_with_two_inputs_train_a_fusion_model(tmp_path):
    torch.manual_seed(0)
    history = Trainer(Fusion(), TwoInputs(), TwoInputs(seed=1), config(tmp_path)).fit()
    assert history[-1]["monitor"] > 0.95, f"a linear rule should be learned, got AUC {history[-1]['monitor']}"
    assert history[-1]["train_loss"] < history[0]["train_loss"]


def test_a_loss_hook_replaces_the_default_loss(tmp_path):
    """lr 0: the logged training loss is the hinge loss of the initial model over the whole set."""
    def hinge(outputs, targets):
        return torch.relu(1 - (2 * targets - 1) * outputs).mean()

    torch.manual_seed(0)
    model = Fusion()
    data = TwoInputs()
    with torch.no_grad():
        expected = hinge(model(data.a, data.b), torch.tensor(data.labels).float())
    history = Trainer(model, data, None, config(tmp_path, epochs=1, lr=0.0), loss=hinge).fit()
    assert abs(history[0]["train_loss"] - float(expected)) < 1e-5, (history[0]["train_loss"], float(expected))


def test_a_step_hook_sees_every_batch_and_can_perturb_the_inputs(tmp_path):
    seen = []

    def noisy_step(model, inputs, targets, loss):
        seen.append(len(targets))
        perturbed = {key: value + 0.01 * torch.sign(value) for key, value in inputs.items()}  # an "attack"
        outputs = model(**perturbed)
        return loss(outputs, targets), outputs

    Trainer(Fusion(), TwoInputs(n=40), None, config(tmp_path, epochs=2), step=noisy_step).fit()
    assert seen == [16, 16, 8] * 2


def test_real_valued_targets_train_a_regressor_with_a_validate_hook(tmp_path):
    """Pulse-rate-like regression: target = 60 + 10 * x.sum(); mean absolute error as the monitor."""

    class Rates(Dataset):
        def __init__(self, seed):
            self.x = torch.randn(64, 3, generator=torch.Generator().manual_seed(seed))
            self.labels = (60 + 10 * self.x.sum(1)).tolist()

        def __len__(self):
            return 64

        def __getitem__(self, i):
            return self.x[i], self.labels[i]

    def validate(trainer, dataset):
        with torch.no_grad():
            error = (trainer.model(dataset.x).squeeze(-1) - torch.tensor(dataset.labels)).abs().mean()
        return {"frame": {"mae": float(error)}}

    torch.manual_seed(0)
    history = Trainer(nn.Linear(3, 1), Rates(0), Rates(1), config(tmp_path, epochs=60, lr=0.5, monitor="mae"),
                      loss=lambda outputs, targets: nn.functional.mse_loss(outputs.squeeze(-1), targets),
                      validate=validate).fit()
    assert history[-1]["val"]["frame"]["mae"] < 1.0, history[-1]["val"]
