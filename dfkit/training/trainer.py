"""One device-agnostic training loop for every detector of the course, with hooks.

Datasets yield tuples ``(inputs, target)`` / ``(inputs, target, video_id)`` or dicts with the keys
``"inputs"``, ``"target"`` (or ``"label"``) and optionally ``"video_id"``. ``inputs`` is a tensor
(``model(x)``), a tuple of tensors (``model(*x)``) or a dict of tensors (``model(**x)``); ``target``
is a 0/1 label (1 = fake), a mask or a real value. Binary detectors return logits (B,) or (B, 1).

Hooks (constructor arguments), so margin losses, fusion, regression and adversarial training need
no fork: ``loss(outputs, targets) -> scalar`` (default: BCE with logits, fakes weighted
n_real / n_fake of the training set); ``step(model, inputs, targets, loss) -> (loss, outputs)`` for a
whole training step's forward pass (default: ``loss(model(inputs), targets)``); ``validate(trainer,
dataset) -> summary dict`` (default: :meth:`Trainer.evaluate`, AUC and friends on sigmoid scores).

Files written to ``config.output_dir`` (rank 0 only): ``last.pt`` every epoch, ``best.pt`` when
the monitored validation metric improves, ``metrics.jsonl`` (one JSON line per epoch).
"""
import json
import math
import sys
import time
from pathlib import Path

import numpy as np
import torch
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader, DistributedSampler, Subset
from tqdm.auto import tqdm

from dfkit.atomic import atomic_path
from dfkit.metrics import ScoreAccumulator, summarize
from dfkit.training import distributed
from dfkit.training.checkpoint import (
    load_model_weights,
    restore_rng_state,
    save_checkpoint,
    seed_everything,
    unwrap_model,
)
from dfkit.training.config import TrainConfig
from dfkit.training.device import amp_dtype, channels_last_model, select_device, to_device, use_channels_last


def warmup_cosine(warmup_steps, total_steps):
    """LR factor per optimizer step: linear warm-up to 1, then cosine decay to 0 at ``total_steps``."""
    def factor(step):
        if step < warmup_steps:
            return (step + 1) / warmup_steps
        progress = (step - warmup_steps) / max(1, total_steps - warmup_steps)
        return 0.5 * (1.0 + math.cos(math.pi * min(progress, 1.0)))
    return factor


def class_balance_weight(labels):
    """BCE ``pos_weight`` = n_real / n_fake, so both classes weigh the same in the loss."""
    labels = np.asarray(labels).reshape(-1)
    n_fake = int((labels == 1).sum())
    n_real = int((labels == 0).sum())
    if n_fake == 0 or n_real == 0:
        raise ValueError(f"class balancing needs both classes; training set has {n_real} real, {n_fake} fake")
    return n_real / n_fake


def dataset_labels(dataset):
    """All labels of a dataset: its ``labels`` attribute if it has one, else read item by item."""
    labels = getattr(dataset, "labels", None)
    if labels is None:
        labels = [float(item[1]) for item in dataset]
    return np.asarray(labels, dtype=np.float64)


def split_batch(batch):
    """A loader batch -> ``(inputs, targets, video_ids or None)`` (see the module docstring)."""
    if isinstance(batch, dict):
        target = batch["target"] if "target" in batch else batch["label"]
        return batch["inputs"], target, batch.get("video_id")
    return batch[0], batch[1], (batch[2] if len(batch) > 2 else None)


def move_inputs(inputs, device, channels_last=False):
    """:func:`to_device` applied to a tensor, or to every tensor of a tuple / dict of them."""
    if isinstance(inputs, dict):
        return {key: move_inputs(value, device, channels_last) for key, value in inputs.items()}
    if isinstance(inputs, (tuple, list)):
        return type(inputs)(move_inputs(value, device, channels_last) for value in inputs)
    if torch.is_tensor(inputs):
        return to_device(inputs, device, channels_last)
    return inputs


def call_model(model, inputs):
    """``model(x)``, ``model(*x)`` for a tuple or ``model(**x)`` for a dict of inputs."""
    if isinstance(inputs, dict):
        return model(**inputs)
    if isinstance(inputs, (tuple, list)):
        return model(*inputs)
    return model(inputs)


def default_step(model, inputs, targets, loss):
    """The plain training step's forward pass: ``(loss(model(inputs), targets), outputs)``."""
    outputs = call_model(model, inputs)
    return loss(outputs, targets), outputs


def as_logits(output):
    """Model output (B,) or (B, 1) -> (B,)."""
    if output.dim() == 2 and output.shape[1] == 1:
        output = output[:, 0]
    if output.dim() != 1:
        raise ValueError(f"the model must return logits of shape (B,) or (B, 1), got {tuple(output.shape)}")
    return output


def epoch_line(record, config):
    """One log line per epoch: ``epoch 3/10: train loss 0.4123, validation auc 0.8765 (12.3 s)``."""
    line = f"epoch {record['epoch']}/{config.epochs}: train loss {record['train_loss']:.4f}"
    if "monitor" in record:
        line += f", validation {config.monitor} {record['monitor']:.4f}"
    return line + f" ({record['seconds']:.1f} s)"


class Trainer:
    """Fit, predict and evaluate a detector; see the module docstring for files, data format and hooks."""

    def __init__(self, model, train_dataset, val_dataset=None, config=None, loss=None, step=None, validate=None):
        self.config = config or TrainConfig()
        self.loss_hook, self.step = loss, step or default_step
        self.validate = validate or (lambda trainer, dataset: trainer.evaluate(dataset))
        self.model = model
        self.train_dataset = train_dataset
        self.val_dataset = val_dataset
        self.device = select_device(self.config.device)
        self.amp_dtype = amp_dtype(self.device, self.config.amp, self.config.amp_dtype)
        self.channels_last = use_channels_last(self.device, self.config.channels_last)
        self.output_dir = Path(self.config.output_dir)

    # ---------------------------------------------------------------- training
    def fit(self, resume=False):
        """Train for ``config.epochs`` epochs (fewer with early stopping); return the history.

        resume=True continues from ``output_dir/last.pt`` when it exists (weights, optimizer,
        scheduler, scaler, RNG states, history, early-stopping state), else starts afresh.
        Under torchrun the process group is created and destroyed here.
        """
        with distributed.process_group(self.device):
            return self._fit(resume)

    def _fit(self, resume):
        cfg = self.config
        world = distributed.world_size()
        if cfg.batch_size % world:
            raise ValueError(f"batch_size {cfg.batch_size} must divide by the {world} processes")
        seed_everything(cfg.seed)
        model = self._model_on_device()
        if distributed.is_distributed() and self.device.type == "cuda":
            model = torch.nn.SyncBatchNorm.convert_sync_batchnorm(model)
        sampler = DistributedSampler(self.train_dataset, num_replicas=world, rank=distributed.rank(),
                                     shuffle=True, seed=cfg.seed)
        loader = self._loader(self.train_dataset, cfg.batch_size // world, sampler=sampler)
        optimizer = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
        schedule = warmup_cosine(round(cfg.warmup_epochs * len(loader)), cfg.epochs * len(loader))
        scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, schedule)
        scaler = torch.amp.GradScaler(self.device.type, enabled=self.amp_dtype == torch.float16)
        criterion = self.loss_hook or self._default_loss()

        state = {"history": [], "best": None, "bad_epochs": 0, "stopped": False}
        start_epoch = 0
        last_path = self.output_dir / "last.pt"
        if resume and last_path.is_file():
            checkpoint = load_model_weights(last_path, model, arch=cfg.arch, map_location=self.device)
            optimizer.load_state_dict(checkpoint["optimizer"])
            scheduler.load_state_dict(checkpoint["scheduler"])
            scaler.load_state_dict(checkpoint.get("scaler", {}))
            restore_rng_state(checkpoint["rng"])
            state = checkpoint["trainer"]
            start_epoch = checkpoint["epoch"]
        train_model = model
        if distributed.is_distributed():
            device_ids = [self.device.index] if self.device.type == "cuda" else None
            train_model = DistributedDataParallel(model, device_ids=device_ids)

        for epoch in range(start_epoch, cfg.epochs):
            if state["stopped"]:
                break
            started = time.perf_counter()
            sampler.set_epoch(epoch)
            train_loss = self._train_epoch(train_model, loader, optimizer, scheduler, scaler, criterion, epoch)
            record = {"epoch": epoch + 1, "train_loss": train_loss, "lr": scheduler.get_last_lr()[0]}
            improved = False
            if self.val_dataset is not None:
                summary = self.validate(self, self.val_dataset)
                record["val"] = summary
                record["monitor"] = self._monitored(summary)
                improved = self._update_early_stopping(state, record["monitor"])
            record["seconds"] = time.perf_counter() - started
            state["history"].append(record)
            if distributed.is_main_process():
                if cfg.progress:
                    print(epoch_line(record, cfg), file=sys.stderr, flush=True)
                self._save(last_path, model, optimizer, scheduler, scaler, epoch + 1, record, state)
                if improved:
                    self._save(self.output_dir / "best.pt", model, optimizer, scheduler, scaler,
                               epoch + 1, record, state)
                self._write_log(state["history"])
            distributed.barrier()
        return state["history"]

    def _train_epoch(self, model, loader, optimizer, scheduler, scaler, criterion, epoch):
        cfg = self.config
        model.train()
        loss_sum = torch.zeros((), dtype=torch.float64, device=self.device)
        seen = 0
        show = cfg.progress and distributed.is_main_process()  # tqdm: disable=None hides it off a TTY
        for batch in tqdm(loader, desc=f"epoch {epoch + 1}/{cfg.epochs}", disable=None if show else True, leave=False):
            inputs, y, _ = split_batch(batch)
            inputs = move_inputs(inputs, self.device, self.channels_last)
            y = y.to(self.device, non_blocking=True).float()
            with torch.autocast(self.device.type, dtype=self.amp_dtype, enabled=self.amp_dtype is not None):
                loss, _ = self.step(model, inputs, y, criterion)
            optimizer.zero_grad(set_to_none=True)
            scaler.scale(loss).backward()
            if cfg.grad_clip:
                scaler.unscale_(optimizer)
                torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.grad_clip)
            scale = scaler.get_scale() if scaler.is_enabled() else None
            scaler.step(optimizer)
            scaler.update()
            if scale is None or scaler.get_scale() >= scale:  # fp16: a step with inf/NaN gradients was skipped
                scheduler.step()
            loss_sum += loss.detach() * len(y)
            seen += len(y)
        total, count = distributed.all_reduce_sum([loss_sum.item(), seen], self.device)
        return total / count

    def _default_loss(self):
        """BCE with logits on (B,) or (B, 1) outputs, fakes weighted n_real / n_fake of the training set."""
        cfg = self.config
        pos_weight = class_balance_weight(dataset_labels(self.train_dataset)) if cfg.class_balance else 1.0
        criterion = torch.nn.BCEWithLogitsLoss(pos_weight=torch.tensor(pos_weight, device=self.device))
        return lambda outputs, targets: criterion(as_logits(outputs).float(), targets)

    def _monitored(self, summary):
        level = summary["video"] if "video" in summary else summary["frame"]
        if self.config.monitor not in level:
            raise ValueError(f"monitor {self.config.monitor!r} is not a metric; choose from {sorted(level)}")
        return level[self.config.monitor]

    def _update_early_stopping(self, state, value):
        """Record ``value``; return True when it is the best so far."""
        best = state["best"]
        better = best is None or (value < best if self.config.monitor_mode == "min" else value > best)
        if better:
            state["best"], state["bad_epochs"] = value, 0
        else:
            state["bad_epochs"] += 1
            patience = self.config.patience
            state["stopped"] = patience is not None and state["bad_epochs"] >= patience
        return better

    def _save(self, path, model, optimizer, scheduler, scaler, epoch, record, state):
        save_checkpoint(path, model, arch=self.config.arch, detector=self.config.detector, optimizer=optimizer,
                        scheduler=scheduler, scaler=scaler, epoch=epoch, config=self.config.to_dict(),
                        metrics=record, trainer_state=state)

    def _write_log(self, history):
        with atomic_path(self.output_dir / "metrics.jsonl") as tmp:
            tmp.write_text("".join(json.dumps(record) + "\n" for record in history))

    # ---------------------------------------------------------------- inference
    def predict(self, dataset):
        """Score every item: ``{"scores": (N,) float32, "labels": (N,) int64, "video_ids": list | None}``.

        Under torchrun each rank scores a strided shard and the results are gathered, in dataset order.
        """
        model = self._model_on_device()
        was_training = model.training
        model.eval()
        accumulator = ScoreAccumulator()
        shard = Subset(dataset, distributed.shard_indices(len(dataset)))
        loader = self._loader(shard, self.config.batch_size)
        show = self.config.progress and distributed.is_main_process()
        with torch.no_grad():
            for batch in tqdm(loader, desc="predict", disable=None if show else True, leave=False):
                inputs, labels, ids = split_batch(batch)
                inputs = move_inputs(inputs, self.device, self.channels_last)
                with torch.autocast(self.device.type, dtype=self.amp_dtype, enabled=self.amp_dtype is not None):
                    logits = as_logits(call_model(model, inputs))
                accumulator.update(torch.sigmoid(logits.float()), labels, video_ids=ids)
        model.train(was_training)
        scores, labels, video_ids, _ = accumulator.gather().arrays()
        order = np.concatenate([distributed.shard_indices(len(dataset), r) for r in range(distributed.world_size())])
        position = np.empty(len(order), dtype=np.int64)
        position[order] = np.arange(len(order))
        return {
            "scores": scores[position],
            "labels": labels[position],
            "video_ids": None if video_ids is None else [video_ids[i] for i in position],
        }

    def evaluate(self, dataset, threshold=0.5, how="mean"):
        """:func:`dfkit.metrics.summarize` of :meth:`predict` on ``dataset``."""
        predicted = self.predict(dataset)
        return summarize(predicted["labels"], predicted["scores"], predicted["video_ids"],
                         threshold=threshold, how=how)

    # ---------------------------------------------------------------- plumbing
    def _model_on_device(self):
        model = unwrap_model(self.model).to(self.device)
        if self.channels_last:
            model = channels_last_model(model)
        return model

    def _loader(self, dataset, batch_size, sampler=None):
        workers = self.config.num_workers
        collate = getattr(dataset, "collate", None) or getattr(getattr(dataset, "dataset", None), "collate", None)
        return DataLoader(dataset, batch_size=batch_size, sampler=sampler, shuffle=False, collate_fn=collate,
                          num_workers=workers, persistent_workers=workers > 0,
                          pin_memory=self.device.type == "cuda")

