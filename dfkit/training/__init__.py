"""Training and evaluation engine: config, trainer, checkpoints, devices, torchrun support."""
from dfkit.training.checkpoint import load_checkpoint, load_model_weights, save_checkpoint
from dfkit.training.config import TrainConfig
from dfkit.training.device import select_device
from dfkit.training.trainer import Trainer

__all__ = ["TrainConfig", "Trainer", "load_checkpoint", "load_model_weights", "save_checkpoint", "select_device"]
