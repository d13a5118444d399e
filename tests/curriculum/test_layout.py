"""assert_layout: a network whose layers differ from the described ones fails in the learner's terms."""
import pytest
from torch import nn

from dfkit.curriculum.layout import assert_layout


class Net(nn.Module):
    """A two-stage toy network.

    ``stage1`` = conv 3 -> 4 (5x5), ReLU, BatchNorm; ``head`` = Linear(4, 1).
    """

    def __init__(self, kernel=5, bn_first=False, head=True):
        super().__init__()
        conv, relu, bn = nn.Conv2d(3, 4, kernel), nn.ReLU(), nn.BatchNorm2d(4)
        self.stage1 = nn.Sequential(conv, bn, relu) if bn_first else nn.Sequential(conv, relu, bn)
        if head:
            self.head = nn.Linear(4, 1)


def _message(model, **kwargs):
    with pytest.raises(AssertionError) as failed:
        assert_layout(model, Net().state_dict(), **kwargs)
    return str(failed.value)


def test_the_described_layout_passes():
    assert_layout(Net(), Net().state_dict())


def test_a_wrong_kernel_names_the_learners_layer_and_shape_not_the_expected_shape():
    message = _message(Net(kernel=3), hint="see the stage docstring")
    assert "your Net does not have the layers its docstrings describe" in message
    assert "your stage1.0.weight has shape (4, 3, 3, 3)" in message and "kernel_size=(3, 3)" in message
    assert "Net: ``stage1`` = conv 3 -> 4 (5x5), ReLU, BatchNorm; ``head`` = Linear(4, 1)." in message
    assert message.endswith("see the stage docstring")
    assert "(4, 3, 5, 5)" not in message and "torch.Size" not in message


def test_swapped_layers_and_a_missing_layer_are_named_in_network_order():
    lines = _message(Net(bn_first=True, head=False)).splitlines()
    assert lines[1].startswith("  your stage1.1 = BatchNorm2d(4,") and "has weight, bias, running_mean" in lines[1]
    assert lines[2].startswith("  your stage1.2 = ReLU() has no weight, bias, running_mean")
    assert lines[3] == "  you have no layer head (the described layout has head.weight)"
