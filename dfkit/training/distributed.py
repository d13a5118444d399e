"""torchrun support: process-group setup, rank helpers, sharding for evaluation.

Launched by ``torchrun`` the environment holds RANK, WORLD_SIZE and LOCAL_RANK; otherwise
everything here degrades to a single process (rank 0 of 1).
"""
import os
from contextlib import contextmanager

import torch
import torch.distributed as dist


def launched_by_torchrun():
    """True when RANK and WORLD_SIZE are set (torchrun / torch.distributed.run)."""
    return "RANK" in os.environ and "WORLD_SIZE" in os.environ


def is_distributed():
    """True inside an initialised process group of more than one process."""
    return dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1


def rank():
    return dist.get_rank() if is_distributed() else 0


def world_size():
    return dist.get_world_size() if is_distributed() else 1


def is_main_process():
    """Only rank 0 writes files and shows progress."""
    return rank() == 0


@contextmanager
def process_group(device):
    """Init the group from the torchrun environment (nccl for CUDA, gloo otherwise), destroy it on exit.

    Does nothing outside torchrun or when a group already exists (the caller then owns it).
    """
    if not launched_by_torchrun() or dist.is_initialized():
        yield
        return
    if device.type == "cuda":
        torch.cuda.set_device(device)
    dist.init_process_group(backend="nccl" if device.type == "cuda" else "gloo")
    try:
        yield
    finally:
        dist.destroy_process_group()


def barrier():
    if is_distributed():
        dist.barrier()


def all_reduce_sum(values, device):
    """Sum a list of floats over ranks (returns the list unchanged in a single process)."""
    if not is_distributed():
        return list(values)
    tensor = torch.tensor(values, dtype=torch.float64, device=device)
    dist.all_reduce(tensor)
    return tensor.tolist()


def shard_indices(n, shard_rank=None, shards=None):
    """Indices ``shard_rank, shard_rank + shards, ...`` of ``range(n)``: no padding, no duplicates."""
    shard_rank = rank() if shard_rank is None else shard_rank
    shards = world_size() if shards is None else shards
    return list(range(shard_rank, n, shards))
