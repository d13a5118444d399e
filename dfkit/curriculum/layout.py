"""Does a learner's network have the layout its docstrings describe? Told in the learner's terms.

Graded tests copy weights between the learner's network and an oracle's (timm, torchvision) or the
reference's. When the learner's layers are wrong (a 3x3 kernel where the docstring asks for 5x5,
BatchNorm before ReLU), ``load_state_dict`` fails with PyTorch's message, worded from the other
model's side and printing its shapes. :func:`assert_layout` checks first and fails with a message
about the learner's model only: which of *its* layers and keys differ, *its* shapes, and what *its*
docstrings say about those layers. Of the other model it names only the keys the learner lacks
(names the docstrings give), never a shape or a value.
"""
import re
import textwrap

MAX_ITEMS = 6  # problems and docstring lines shown
MAX_REPR = 160  # characters of a layer's repr


def assert_layout(yours, expected, hint=""):
    """Assert ``yours`` (an ``nn.Module``) has exactly the state_dict keys and shapes of ``expected``.

    Args:
        yours: the learner's module.
        expected: a state_dict with the layout the docstrings describe (from an oracle or the reference).
        hint: one more sentence for the learner, e.g. which docstring gives the order inside a stage.

    Raises:
        AssertionError: naming the learner's layers that differ (graded as a wrong answer).
    """
    problems = _problems(yours, yours.state_dict(), expected)
    if not problems:
        return
    lines = [f"your {type(yours).__name__} does not have the layers its docstrings describe:"]
    lines += [f"  {text}" for text in _shorten([text for _, text in problems])]
    lines += _docstring_lines(yours, {layer.split(".")[0] for layer, _ in problems} - {""})
    if hint:
        lines.append(hint)
    raise AssertionError("\n".join(lines))


def _layer(key):
    return key.rpartition(".")[0]


def _describe(modules, layer):
    """``"stage2.0 = Conv2d(8, 8, kernel_size=(3, 3), ...)"``: the learner's layer, on one short line."""
    module = modules.get(layer)
    return layer if module is None else textwrap.shorten(f"{layer or 'model'} = {module!r}", MAX_REPR,
                                                         placeholder=" ...)")


def _problems(yours, have, expected):
    """``[(layer, sentence)]``: one per learner layer that differs, in the order of the network's layers."""
    modules = dict(yours.named_modules())
    problems = []
    for key in have:
        if key in expected and tuple(have[key].shape) != tuple(expected[key].shape):
            problems.append((_layer(key), f"your {key} has shape {tuple(have[key].shape)}, which is not the one "
                                          f"described there ({_describe(modules, _layer(key))})"))
    extra, missing = _by_layer(k for k in have if k not in expected), _by_layer(k for k in expected if k not in have)
    for layer, names in extra.items():
        where = f"your {_describe(modules, layer)}" if layer else "your model"
        problems.append((layer, f"{where} has {', '.join(names)}, which the described layout has not "
                                f"at {layer or 'the top'}"))
    for layer, names in missing.items():
        if layer in modules:
            problems.append((layer, f"your {_describe(modules, layer)} has no {', '.join(names)}, which the "
                                    f"described layout has there"))
        else:
            problems.append((layer, f"you have no layer {layer} (the described layout has {layer}.{names[0]})"))
    rank = {top: i for i, top in enumerate(dict.fromkeys(key.split(".")[0] for key in [*have, *expected]))}
    return sorted(problems, key=lambda item: (rank.get(item[0].split(".")[0], -1), _natural(item[0])))


def _natural(layer):
    """Sort key within one attribute: ``rep.10`` after ``rep.9``."""
    return [int(token) if token.isdigit() else token for token in re.split(r"(\d+)", layer)]


def _by_layer(keys):
    """``{"stage1.2": ["weight", "bias"]}``: keys grouped by the layer that owns them, in order."""
    grouped = {}
    for key in keys:
        grouped.setdefault(_layer(key), []).append(key.rpartition(".")[2])
    return grouped


def _shorten(items):
    return items if len(items) <= MAX_ITEMS else items[:MAX_ITEMS] + [f"... and {len(items) - MAX_ITEMS} more"]


def _docstring_lines(yours, attributes):
    """The lines of the learner's class docstrings that mention one of ``attributes`` (e.g. ``stage2``)."""
    lines = []
    for cls in type(yours).__mro__:
        if cls.__module__.startswith("torch") or cls is object:
            break
        for line in (cls.__doc__ or "").splitlines():
            if any(re.search(rf"\b{re.escape(a)}\b", line) for a in attributes if not a.isdigit()):
                lines.append(f"  {cls.__name__}: {line.strip()}")
    return ["what your docstrings say about these layers:"] + _shorten(lines) if lines else []
