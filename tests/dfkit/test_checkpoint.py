"""Checkpoints: round trip, wrong architecture, mismatched keys/shapes, corrupt files."""
import pytest
import torch

from dfkit.errors import CheckpointError
from dfkit.training import load_checkpoint, load_model_weights, save_checkpoint


def tiny(width=4, hidden=8):
    return torch.nn.Sequential(torch.nn.Conv2d(3, width, 3), torch.nn.ReLU(), torch.nn.Flatten(),
                               torch.nn.Linear(width * 6 * 6, hidden), torch.nn.Linear(hidden, 1))


def test_round_trip_restores_weights_and_metadata(tmp_path):
    torch.manual_seed(0)
    source, target = tiny(), tiny()
    optimizer = torch.optim.AdamW(source.parameters())
    path = save_checkpoint(tmp_path / "ckpt.pt", source, arch="tiny", optimizer=optimizer, epoch=3,
                           config={"lr": 0.1}, metrics={"auc": 0.9})
    checkpoint = load_model_weights(path, target, arch="tiny")
    for key, value in source.state_dict().items():
        assert torch.equal(value, target.state_dict()[key])
    assert (checkpoint["epoch"], checkpoint["arch"], checkpoint["metrics"]) == (3, "tiny", {"auc": 0.9})
    assert "optimizer" in checkpoint and "rng" in checkpoint


def test_bare_state_dict_and_ddp_prefix_are_accepted(tmp_path):
    source, target = tiny(), tiny()
    torch.save({f"module.{k}": v for k, v in source.state_dict().items()}, tmp_path / "bare.pt")
    load_model_weights(tmp_path / "bare.pt", target, arch="anything")
    assert torch.equal(source[0].weight, target[0].weight)


def test_wrong_architecture_name_is_named(tmp_path):
    save_checkpoint(tmp_path / "checkpoint.pt", tiny(), arch="meso4")
    with pytest.raises(CheckpointError) as info:
        load_model_weights(tmp_path / "checkpoint.pt", tiny(), arch="xceptionnet")
    assert str(info.value) == "checkpoint.pt was trained as 'meso4' but the model is 'xceptionnet'"


def test_mismatched_keys_and_shapes_give_a_short_summary(tmp_path):
    save_checkpoint(tmp_path / "c.pt", tiny(width=4, hidden=8))
    with pytest.raises(CheckpointError) as info:
        load_model_weights(tmp_path / "c.pt", tiny(width=4, hidden=16))
    message = str(info.value)
    assert "3 shape mismatches (e.g. 3.weight: checkpoint (8, 144) vs model (16, 144))" in message
    assert "\n" not in message and len(message) < 200
    extra_layer = torch.nn.Sequential(*tiny(), torch.nn.Linear(1, 1))
    with pytest.raises(CheckpointError, match=r"2 missing keys \(e\.g\. 5\.weight\)"):
        load_model_weights(tmp_path / "c.pt", extra_layer)


@pytest.mark.parametrize("content", [b"", b"not a checkpoint at all" * 10, b"PK\x03\x04truncated zip"])
def test_corrupt_file_raises_checkpoint_error(tmp_path, content):
    path = tmp_path / "broken.pt"
    path.write_bytes(content)
    with pytest.raises(CheckpointError, match="broken.pt is not a readable PyTorch checkpoint"):
        load_model_weights(path, tiny())


def test_truncated_real_checkpoint_and_missing_file(tmp_path):
    path = save_checkpoint(tmp_path / "c.pt", tiny())
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(CheckpointError, match="c.pt is not a readable PyTorch checkpoint"):
        load_checkpoint(path)
    with pytest.raises(CheckpointError, match="checkpoint not found"):
        load_checkpoint(tmp_path / "nope.pt")


def test_non_checkpoint_pickle_is_rejected(tmp_path):
    torch.save([1, 2, 3], tmp_path / "list.pt")
    with pytest.raises(CheckpointError, match="holds a list, not a model checkpoint"):
        load_checkpoint(tmp_path / "list.pt")


def test_unsafe_pickle_is_refused(tmp_path):
    torch.save({"model": {"w": torch.zeros(1)}, "payload": object()}, tmp_path / "evil.pt")
    with pytest.raises(CheckpointError, match="evil.pt holds Python objects .* e.g. object$"):
        load_checkpoint(tmp_path / "evil.pt")
