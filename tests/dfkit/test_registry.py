"""The detector registry: phase 1's entries, building, input specs, and a detector added by registering it."""
import pytest
import torch

from dfkit import registry
from dfkit.drivers.checkpoints import detector_record, load_detector
from dfkit.errors import CheckpointError
from dfkit.training import save_checkpoint


def test_phase1_detectors_are_registered_with_their_published_input_conventions():
    assert registry.names("phase1_cnn_detection") == ("xceptionnet", "efficientnet_b4", "meso4", "mesoinception4")
    spec = registry.InputSpec
    assert registry.input_spec("xceptionnet") == spec(299, (0.5, 0.5, 0.5), (0.5, 0.5, 0.5))
    assert registry.input_spec("efficientnet_b4") == spec(380, (0.485, 0.456, 0.406), (0.229, 0.224, 0.225))
    assert registry.input_spec("meso4") == spec(256, (0.0, 0.0, 0.0), (1.0, 1.0, 1.0))
    assert registry.input_spec("xceptionnet", image_size=128).size == 128
    with pytest.raises(ValueError, match="256 px inputs only"):
        registry.input_spec("meso4", image_size=128)


def test_unknown_names_arguments_and_weights_are_refused_with_the_choices():
    with pytest.raises(CheckpointError, match="xceptionnet.*efficientnet_b4.*meso4"):
        registry.build_detector("resnet50")
    with pytest.raises(ValueError, match="no ImageNet weights"):
        registry.build_detector("meso4", weights="imagenet")
    with pytest.raises(ValueError, match="takes no argument.*hidden.*attention, drop_rate"):
        registry.build_detector("efficientnet_b4", hidden=3)


def test_meso4_loads_a_saved_state_dict_and_refuses_another_architecture(tmp_path):
    torch.manual_seed(0)
    saved = registry.build_detector("meso4")
    path = tmp_path / "meso4.pt"
    torch.save(saved.state_dict(), path)
    loaded = registry.build_detector("meso4", weights=path)
    for (name, want), got in zip(saved.state_dict().items(), loaded.state_dict().values()):
        assert torch.equal(want, got), f"{name} was not loaded from {path.name}"
    with pytest.raises(CheckpointError):
        registry.build_detector("mesoinception4", weights=path)


def test_a_checkpoint_rebuilds_its_constructor_arguments(tmp_path):
    torch.manual_seed(0)
    model = registry.build_detector("efficientnet_b4", attention=True, drop_rate=0.1)
    spec = registry.input_spec("efficientnet_b4", image_size=64)
    record = detector_record("efficientnet_b4", {"attention": True, "drop_rate": 0.1}, spec)
    save_checkpoint(tmp_path / "effnet.pt", model, arch="efficientnet_b4", detector=record)
    rebuilt, loaded, _ = load_detector(tmp_path / "effnet.pt")
    assert loaded["kwargs"] == {"attention": True, "drop_rate": 0.1} and loaded["input"]["size"] == 64
    assert rebuilt.attention is not None, "attention=True must survive the checkpoint"
    x = torch.rand(2, 3, 64, 64)
    torch.testing.assert_close(rebuilt(x), model.eval()(x))


def test_an_old_phase1_checkpoint_without_a_detector_record_still_loads(tmp_path):
    torch.manual_seed(0)
    model = registry.build_detector("meso4")
    save_checkpoint(tmp_path / "old.pt", model, arch="meso4", config={"image_size": 256})
    rebuilt, record, _ = load_detector(tmp_path / "old.pt")
    assert record["name"] == "meso4" and record["input"]["size"] == 256
    x = torch.rand(1, 3, 256, 256)
    torch.testing.assert_close(rebuilt(x), model.eval()(x))
    torch.save(model.state_dict(), tmp_path / "bare.pt")
    with pytest.raises(CheckpointError, match="pass --arch"):
        load_detector(tmp_path / "bare.pt")
    assert load_detector(tmp_path / "bare.pt", arch="meso4")[1]["name"] == "meso4"


def test_registering_a_different_detector_under_a_taken_name_is_refused():
    taken = registry.get("meso4")
    with pytest.raises(ValueError, match="already registered"):
        registry.register(registry.DetectorSpec("meso4", "phase2_temporal_analysis", "face_clips", taken.builder))
    with pytest.raises(ValueError, match="input_kind"):
        registry.DetectorSpec("x", "phase1_cnn_detection", "pixels", taken.builder)
