"""The open manipulation registry: a cue registered in a test is applied, named, masked and written."""
import json

import numpy as np
import pytest

from dfkit.synthetic import (MANIPULATIONS, METHOD_NAMES, Manipulation, make_clip, register_manipulation,
                             unregister_manipulation)
from dfkit.synthetic.__main__ import main
from dfkit.synthetic.manipulations import REGISTRY

GREY = 128.0


def grey_texture_eyes(rgb, ctx):
    """Toy texture hook: the eyes of the face texture painted flat grey."""
    eyes = ctx.scene.texture.eyes[..., None]
    return rgb + eyes * (GREY - rgb)


def grey_frame_eyes(patch, mask, centre, ctx):
    """Toy frame hook: each frame's eyes (``mask`` is the "eyes" map) painted flat grey."""
    return patch + mask[..., None] * (GREY - patch)


def toy(**hooks):
    return Manipulation("grey_eyes", "GreyEyes", "grey eyes (toy)", mask="eyes", **hooks)


@pytest.fixture(params=["texture", "frame"])
def grey_eyes(request):
    """The toy registered as a texture hook or as a frame hook; unregistered afterwards."""
    hooks = {"texture": grey_texture_eyes} if request.param == "texture" else {"frame": grey_frame_eyes}
    register_manipulation(toy(**hooks))
    yield "grey_eyes"
    unregister_manipulation("grey_eyes")


def pair(**kwargs):
    common = dict(seed=5, num_frames=6, size=96, blink_rate_hz=0)  # no blinks: lids never cover the eyes
    return make_clip(**common), make_clip(**common, fake=True, **kwargs)


def test_a_registered_manipulation_is_applied_named_and_masked(grey_eyes):
    real, fake = pair(manipulations=(grey_eyes,))
    assert fake.label == 1 and fake.method == "GreyEyes" and fake.manipulations == (grey_eyes,)
    assert fake.sidecar()["method"] == "GreyEyes"
    for field in ("boxes", "landmarks"):
        np.testing.assert_array_equal(getattr(fake, field), getattr(real, field))
    untouched = fake.masks == 0
    assert untouched.mean() > 0.9, "the eyes are a small part of the frame"
    np.testing.assert_array_equal(fake.frames[untouched], real.frames[untouched])
    inside = fake.masks > 0.99
    assert inside.sum() > 20, "no full-weight eye pixels"
    # Fake and real share the sensor noise (sigma <= 2 grey levels): inside the mask the fake is grey.
    grey = fake.frames[inside].astype(float)
    assert np.abs(grey - GREY).max() <= 10
    assert np.abs(real.frames[inside].astype(float) - GREY).mean() > 20, "real eyes already grey: weak test"


def test_a_registered_manipulation_combines_with_the_built_ins(grey_eyes):
    _, both = pair(manipulations=("blend", grey_eyes))
    _, blend = pair(manipulations=("blend",))
    _, toy = pair(manipulations=(grey_eyes,))
    assert both.method == "BlendSwap+GreyEyes"
    np.testing.assert_array_equal(both.masks, np.maximum(blend.masks, toy.masks))
    # Registered after blend, the toy runs after it: its eyes stay grey.
    inside = toy.masks > 0.99
    np.testing.assert_allclose(both.frames[inside], toy.frames[inside], atol=1)


def test_an_unregistered_manipulation_is_rejected():
    register_manipulation(toy(texture=grey_texture_eyes))
    unregister_manipulation("grey_eyes")
    with pytest.raises(ValueError, match="grey_eyes"):
        make_clip(fake=True, manipulations=("grey_eyes",))


def test_cli_writes_a_registered_manipulation_in_its_method_folder(grey_eyes, tmp_path):
    assert main(["--out", str(tmp_path), "--num-videos", "2", "--frames", "4", "--size", "64",
                 "--manipulations", grey_eyes]) == 0
    videos = tmp_path / "manipulated_sequences" / "GreyEyes" / "c23" / "videos"
    assert sorted(p.name for p in videos.glob("*.mp4")) == ["000_001.mp4", "001_000.mp4"]
    sidecar = json.loads((videos / "000_001.json").read_text())
    assert sidecar["manipulations"] == [grey_eyes] and sidecar["label"] == 1
    masks = np.load(videos / "000_001_masks.npz")["masks"]
    assert masks.shape == (4, 64, 64) and 0 < (masks > 0).mean() < 0.1


@pytest.mark.parametrize("change, message", [
    (dict(name="blend"), "already in use"),
    (dict(method="BlendSwap"), "already in use"),
    (dict(method="real"), "already in use"),
    (dict(mask="nose"), "mask must be one of"),
    (dict(texture=None), "no hook"),
])
def test_register_rejects_clashes_and_bad_entries(change, message):
    fields = dict(name="toy", method="Toy", cue="toy", mask="eyes", texture=grey_texture_eyes) | change
    with pytest.raises(ValueError, match=message):
        register_manipulation(Manipulation(**fields))
    assert tuple(REGISTRY) == MANIPULATIONS == tuple(METHOD_NAMES)
