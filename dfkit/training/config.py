"""Training hyper-parameters in one dataclass (saved inside every checkpoint and report)."""
from dataclasses import asdict, dataclass, fields
from typing import Optional

MONITORS_LOWER_IS_BETTER = ("eer", "mae", "loss")


@dataclass
class TrainConfig:
    """Everything that decides a training run.

    batch_size is the *global* batch: under torchrun each of the W processes takes batch_size / W.
    amp / channels_last: None = automatic (on for CUDA, off elsewhere). amp_dtype: "float16"
    (with a GradScaler) or "bfloat16". monitor: a key of the validation summary ("auc", "ap",
    "eer", "balanced_accuracy", ...), read at video level when the validation set has video ids,
    else at frame level. patience: stop after this many epochs without improvement (None = never).
    arch: the registry name of the detector; detector: what rebuilds it and its inputs, saved in
    every checkpoint (``{"name", "kwargs", "input": InputSpec dict, "margin"}``, see
    :func:`dfkit.drivers.checkpoints.detector_record`); dataset, compression, frames_per_video: what it
    was trained on (evaluation defaults to the same).
    """

    epochs: int = 10
    batch_size: int = 32
    lr: float = 1e-3
    weight_decay: float = 1e-4
    warmup_epochs: float = 0
    grad_clip: Optional[float] = 1.0
    patience: Optional[int] = None
    amp: Optional[bool] = None
    amp_dtype: str = "float16"
    channels_last: Optional[bool] = None
    num_workers: int = 0
    seed: int = 0
    output_dir: str = "runs/default"
    monitor: str = "auc"
    class_balance: bool = True
    arch: str = ""
    detector: Optional[dict] = None
    dataset: str = ""
    compression: str = "c23"
    frames_per_video: int = 0
    device: Optional[str] = None
    progress: bool = True

    def to_dict(self):
        """Plain JSON-friendly dict of every field."""
        return asdict(self)

    @classmethod
    def from_dict(cls, values):
        """Inverse of :meth:`to_dict`; unknown keys are ignored (older/newer checkpoints)."""
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in values.items() if k in known})

    @property
    def monitor_mode(self):
        """"min" for error-like monitors (EER), else "max"."""
        return "min" if self.monitor in MONITORS_LOWER_IS_BETTER else "max"
