"""Graded tests for phase2_temporal_analysis/template_lstm_detector.py.

Ground truth: the analytic parameter count of an LSTM / GRU layer (4 or 3 gates, each with input
weights, recurrent weights and two biases), hand-written masks and sequences, PyTorch's own final
hidden states ``h_n`` of a packed sequence, and invariance: a padded clip must score exactly as the
same clip without its padding. The encoders and the registry builders are given code.
"""
import pytest
import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence

pytestmark = pytest.mark.exercise("phase2_temporal_analysis.template_lstm_detector")
torch.set_num_threads(1)

SIDE = 32  # the small encoder pools globally: tiny frames are enough to test the sequence part


def analytic_rnn_parameters(cell, input_size, hidden, layers, bidirectional):
    """Per layer and direction: gates x (W_ih: hidden x input + W_hh: hidden x hidden + b_ih + b_hh)."""
    gates = {"lstm": 4, "gru": 3}[cell]
    directions = 2 if bidirectional else 1
    total = 0
    for layer in range(layers):
        fan_in = input_size if layer == 0 else hidden * directions
        total += directions * gates * hidden * (fan_in + hidden + 2)
    return total


# ---------------------------------------------------------------- sequence_mask
@pytest.mark.points(1)
def test_sequence_mask_by_hand(exercise, agrees_with_reference):
    got = exercise.sequence_mask(torch.tensor([3, 1, 4]), 4)
    expected = torch.tensor([[1, 1, 1, 0], [1, 0, 0, 0], [1, 1, 1, 1]], dtype=torch.bool)
    assert got.dtype == torch.bool, f"expected a bool mask, got {got.dtype}"
    assert torch.equal(got, expected), f"expected True at t < lengths[b]:\n{expected}\ngot\n{got}"
    agrees_with_reference(got, lambda ref: ref.sequence_mask(torch.tensor([3, 1, 4]), 4))


# ---------------------------------------------------------------- with_deltas
@pytest.mark.points(1)
def test_with_deltas_by_hand(exercise, agrees_with_reference):
    features = torch.tensor([[[1.0, 10.0], [4.0, 10.0], [2.0, 13.0]]])  # (B=1, T=3, D=2)
    got = exercise.with_deltas(features)
    expected = torch.tensor([[[1.0, 10.0, 0.0, 0.0], [4.0, 10.0, 3.0, 0.0], [2.0, 13.0, -2.0, 3.0]]])
    assert got.shape == (1, 3, 4), f"expected (B, T, 2D) = (1, 3, 4), got {tuple(got.shape)}"
    assert torch.equal(got, expected), (f"expected [e_t, e_t - e_(t-1)] with a zero difference at t = 0:\n"
                                        f"{expected}\ngot\n{got}")
    agrees_with_reference(got, lambda ref: ref.with_deltas(features))


# ---------------------------------------------------------------- pool_sequence
def _outputs():
    """(2, 3, 4) outputs: value 10 b + t in every feature, so each step is recognisable."""
    steps = torch.tensor([[0.0, 1.0, 2.0], [10.0, 11.0, 12.0]])
    return steps[..., None].repeat(1, 1, 4)


@pytest.mark.points(1)
def test_pool_sequence_last_takes_the_last_valid_step(exercise, agrees_with_reference):
    outputs, lengths = _outputs(), torch.tensor([3, 2])
    got = exercise.pool_sequence(outputs, lengths, "last")
    assert torch.equal(got, torch.tensor([[2.0] * 4, [11.0] * 4])), (
        f"expected step lengths - 1 = (2, 1) of each sequence, not the padded last step; got {got.tolist()}")
    assert torch.equal(exercise.pool_sequence(outputs, None, "last"), torch.tensor([[2.0] * 4, [12.0] * 4]))
    agrees_with_reference(got, lambda ref: ref.pool_sequence(outputs, lengths, "last"))


@pytest.mark.points(1)
def test_pool_sequence_mean_divides_by_the_valid_length(exercise):
    outputs, lengths = _outputs(), torch.tensor([3, 1])
    got = exercise.pool_sequence(outputs, lengths, "mean")
    assert torch.allclose(got, torch.tensor([[1.0] * 4, [10.0] * 4])), (
        f"expected means over the valid steps only: (0+1+2)/3 = 1 and 10/1; got {got.tolist()}")


@pytest.mark.points(2)
@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_bidirectional_last_pooling_equals_torchs_final_hidden_states(exercise, cell):
    torch.manual_seed(0)
    rnn = (nn.LSTM if cell == "lstm" else nn.GRU)(5, 3, batch_first=True, bidirectional=True)
    x, lengths = torch.randn(3, 6, 5), torch.tensor([6, 2, 4])
    packed = pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
    packed_out, state = rnn(packed)
    h_n = state[0] if cell == "lstm" else state
    outputs, _ = torch.nn.utils.rnn.pad_packed_sequence(packed_out, batch_first=True, total_length=6)
    got = exercise.pool_sequence(outputs, lengths, "last", directions=2)
    expected = torch.cat([h_n[0], h_n[1]], dim=1)  # forward's last valid step, backward's step 0
    assert got.shape == (3, 6), f"expected (B, 2 H) = (3, 6), got {tuple(got.shape)}"
    assert torch.allclose(got, expected, atol=1e-6), (
        "expected [forward output at step length - 1, backward output at step 0] = torch's h_n")


# ---------------------------------------------------------------- TemporalDetector.__init__
CONFIGS = [("lstm", 1, False, False), ("lstm", 2, True, True), ("gru", 1, True, False), ("gru", 3, False, True)]


@pytest.mark.points(2)
@pytest.mark.parametrize("cell, layers, bidirectional, deltas", CONFIGS,
                         ids=["lstm_1_layer", "lstm_2_layers_bidirectional_deltas", "gru_1_layer_bidirectional",
                              "gru_3_layers_deltas"])
def test_recurrent_layers_have_the_analytic_parameter_count(exercise, cell, layers, bidirectional, deltas):
    model = exercise.TemporalDetector(cell=cell, hidden_size=12, num_layers=layers, bidirectional=bidirectional,
                                      deltas=deltas, embed_dim=20)
    got = sum(p.numel() for p in model.rnn.parameters())
    expected = analytic_rnn_parameters(cell, 40 if deltas else 20, 12, layers, bidirectional)
    assert isinstance(model.rnn, nn.LSTM if cell == "lstm" else nn.GRU), f"expected rnn to be nn.{cell.upper()}"
    assert got == expected, (f"{cell}, {layers} layer(s), bidirectional={bidirectional}, deltas={deltas}: expected "
                             f"{expected} parameters (gates x hidden x (input + hidden + 2) per layer and "
                             f"direction; the first layer reads 2 x embed_dim with deltas, later layers "
                             f"hidden x directions), got {got}")
    assert model.rnn.batch_first, "expected batch_first=True: clips are (B, T, ...)"
    directions = 2 if bidirectional else 1
    assert (model.head.in_features, model.head.out_features) == (12 * directions, 1), (
        f"expected head = Linear({12 * directions}, 1), got Linear({model.head.in_features}, {model.head.out_features})")


# ---------------------------------------------------------------- TemporalDetector.forward
@pytest.mark.points(1)
@pytest.mark.parametrize("batch", [1, 3], ids=["batch_of_one", "batch_of_three"])
def test_forward_gives_one_logit_per_clip(exercise, batch):
    torch.manual_seed(0)
    model = exercise.TemporalDetector(hidden_size=8, embed_dim=16).eval()
    with torch.no_grad():
        got = model(torch.randn(batch, 5, 3, SIDE, SIDE))
    assert got.shape == (batch,), f"expected ({batch},) logits (squeeze the last dimension only), got {tuple(got.shape)}"


@pytest.mark.points(3)
@pytest.mark.parametrize("cell, pooling, bidirectional, deltas",
                         [("lstm", "last", False, True), ("gru", "mean", False, False), ("lstm", "last", True, True)],
                         ids=["lstm_last", "gru_mean_no_deltas", "bidirectional_lstm_last"])
def test_padded_clips_score_exactly_like_the_unpadded_clips(exercise, cell, pooling, bidirectional, deltas):
    torch.manual_seed(1)
    model = exercise.TemporalDetector(cell=cell, hidden_size=8, num_layers=2, bidirectional=bidirectional,
                                      pooling=pooling, deltas=deltas, embed_dim=16).eval()
    lengths = torch.tensor([5, 2, 3])
    clips = torch.randn(3, 5, 3, SIDE, SIDE)
    padded = clips.clone()
    for b, n in enumerate(lengths):
        padded[b, n:] = 100.0  # garbage where a clip has no frames: must not matter
    with torch.no_grad():
        got = model(padded, lengths)
        alone = torch.stack([model(clips[b:b + 1, :n])[0] for b, n in enumerate(lengths)])
    assert torch.allclose(got, alone, atol=1e-5), (
        f"a padded batch must score each clip as if it were alone (pack the sequence, pool valid steps only): "
        f"expected {alone.tolist()}, got {got.tolist()}")


@pytest.mark.points(1)
def test_last_and_mean_pooling_differ_once_the_network_has_memory(exercise):
    torch.manual_seed(2)
    last = exercise.TemporalDetector(hidden_size=8, embed_dim=16, pooling="last").eval()
    mean = exercise.TemporalDetector(hidden_size=8, embed_dim=16, pooling="mean").eval()
    mean.load_state_dict(last.state_dict())
    clips = torch.randn(2, 6, 3, SIDE, SIDE)
    with torch.no_grad():
        a, b = last(clips), mean(clips)
        single = last(clips[:, :1]), mean(clips[:, :1])
    assert not torch.allclose(a, b), "pooling='mean' must average the outputs of all steps, not take the last one"
    assert torch.allclose(*single, atol=1e-6), "for one-frame clips the last step is the mean"
