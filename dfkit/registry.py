"""The detector registry: every detector of every phase, by name, and how to build and feed it.

Each phase declares its detectors in ``<phase>/detectors.py`` (given code, shared by templates and
solutions) with :func:`register`; the registry imports those files on first use, for every phase
folder :data:`dfkit.curriculum.switch.PHASES` finds. The train / evaluate / detect drivers read
everything from here, so adding a detector is adding an entry, with no CLI change.

A builder is named ``"<phase>.<module>:<callable>"`` and reached through the implementation switch,
so ``--impl templates`` builds the learner's network (a builder outside the phases, e.g. a plug-in's
``"mypackage.models:Net"``, is imported as it is). The builder's module states how its inputs are
preprocessed (``INPUT_SIZE`` px, per-channel ``MEAN`` / ``STD``).
"""
import importlib
import importlib.util
from dataclasses import asdict, dataclass, field

from dfkit.curriculum import load
from dfkit.errors import CheckpointError

INPUT_KINDS = ("face_crops", "face_clips", "spectra", "signals", "multi")
_DETECTORS = {}
_discovered = False


@dataclass(frozen=True)
class Recipe:
    """Default training settings of a detector (each overridable from the command line).

    lr: AdamW learning rate. warmup_epochs: linear warm-up length. loss: ``"<phase>.<module>:<fn>"``
    taking ``(logits (B,), labels (B,) float)`` -> scalar, reached through the switch (None: dfkit's
    class-weighted BCE). clip_len: frames per item for clip detectors. augment: the training
    augmentation ("none", "light", "medium"; frequency detectors need "none": resizing, blur and JPEG
    erase the high frequencies they read). fit: ``"<phase>.<module>:<fn>"`` for detectors fitted in closed
    form instead of by gradient descent (logistic regression, gradient-boosted trees, a fusion head):
    the train driver extracts the training set's inputs once and calls
    ``fn(inputs (N, F) float32 ndarray, labels (N,) ndarray, **constructor kwargs) -> nn.Module``, then
    saves its state_dict as an ordinary checkpoint (``best.pt`` = ``last.pt``; trees as tensor buffers,
    never pickles), so evaluate and detect load it like any detector (:mod:`dfkit.drivers.signals`).
    """

    lr: float = 2e-4
    warmup_epochs: float = 1.0
    loss: str | None = None
    clip_len: int | None = None
    augment: str = "light"
    fit: str | None = None


@dataclass(frozen=True)
class DetectorSpec:
    """One registry entry.

    name: what ``--model`` and checkpoints call it. phase: the phase folder it belongs to.
    input_kind: one of :data:`INPUT_KINDS`. builder: ``"<phase>.<module>:<callable>"``.
    kwargs: default constructor arguments. pretrained: the builder takes ``weights=`` (a local file
    or ``"imagenet"``); otherwise a weights file is loaded as a checkpoint. fixed_size: the input
    side cannot change (e.g. MesoNet's dense layer). recipe: default training settings.
    """

    name: str
    phase: str
    input_kind: str
    builder: str
    kwargs: dict = field(default_factory=dict)
    pretrained: bool = False
    fixed_size: bool = False
    recipe: Recipe = Recipe()

    def __post_init__(self):
        if self.input_kind not in INPUT_KINDS:
            raise ValueError(f"detector {self.name!r}: input_kind must be one of {INPUT_KINDS}, "
                             f"got {self.input_kind!r}")
        if ":" not in self.builder:
            raise ValueError(f"detector {self.name!r}: builder must be '<phase>.<module>:<callable>', "
                             f"got {self.builder!r}")

    @property
    def module(self):
        """The switch name of the builder's module, e.g. ``"phase1_cnn_detection.template_mesonet"``."""
        return self.builder.split(":", 1)[0]


@dataclass(frozen=True)
class InputSpec:
    """How a detector's inputs are made: square crops of ``size`` px normalised with ``mean`` / ``std``
    (3 numbers each, RGB); ``clip_len`` frames per item for clip detectors (None for single frames)."""

    size: int
    mean: tuple
    std: tuple
    clip_len: int | None = None

    def to_dict(self):
        """JSON-friendly dict (what a checkpoint records)."""
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}


def register(spec):
    """Add ``spec`` (a :class:`DetectorSpec`); registering the same entry twice is harmless."""
    known = _DETECTORS.get(spec.name)
    if known is not None and known != spec:
        raise ValueError(f"a different detector is already registered as {spec.name!r} ({known.phase})")
    _DETECTORS[spec.name] = spec
    return spec


def unregister(name):
    """Remove detector ``name`` (tests register throw-away detectors)."""
    _DETECTORS.pop(name, None)


def _discover():
    """Import every phase's ``detectors.py`` once (they call :func:`register`)."""
    global _discovered
    if _discovered:
        return
    from dfkit.curriculum.switch import PHASES

    for phase in PHASES:
        if importlib.util.find_spec(f"{phase}.detectors") is not None:
            importlib.import_module(f"{phase}.detectors")
    _discovered = True


def names(phase=None, input_kind=None):
    """Registered detector names (all, or one phase's / one input kind's), in registration order."""
    _discover()
    return tuple(name for name, spec in _DETECTORS.items()
                 if (phase is None or spec.phase == phase) and (input_kind is None or spec.input_kind == input_kind))


def get(name):
    """The :class:`DetectorSpec` of ``name``; CheckpointError naming the known detectors if there is none."""
    _discover()
    if name not in _DETECTORS:
        raise CheckpointError(f"unknown detector {name!r}: expected one of {', '.join(_DETECTORS)}")
    return _DETECTORS[name]


def _module(name, impl=None):
    """A phase module through the implementation switch; any other module (a plug-in's, a test's) as it is."""
    from dfkit.curriculum.switch import PHASES

    if name.split(".", 1)[0] in PHASES:
        return load(name, impl)
    return importlib.import_module(name)


def _callable(reference, impl=None):
    """The callable named ``"<module>:<attribute>"``, its module reached through :func:`_module`."""
    module_name, attribute = reference.split(":", 1)
    return getattr(_module(module_name, impl), attribute)


def _builder(spec, impl=None):
    return _callable(spec.builder, impl)


def builder_module(name, impl=None):
    """The module of detector ``name``'s builder, through the switch (its INPUT_SIZE, helpers, ...)."""
    return _module(get(name).module, impl)


def constructor_kwargs(name, **overrides):
    """The entry's default constructor arguments updated with ``overrides`` (unknown names: ValueError)."""
    spec = get(name)
    unknown = sorted(set(overrides) - set(spec.kwargs))
    if unknown:
        raise ValueError(f"{name} takes no argument(s) {', '.join(unknown)}; its arguments: "
                         f"{', '.join(spec.kwargs) or 'none'}")
    return {**spec.kwargs, **overrides}


def build_detector(name, weights=None, impl=None, **kwargs):
    """Build detector ``name`` in training mode, with ``kwargs`` overriding its default constructor arguments.

    weights: None (random init), a local checkpoint / state_dict path, or ``"imagenet"`` (detectors whose
    builder takes ``weights``). Every detector returns raw logits (B,).
    """
    spec = get(name)
    builder = _builder(spec, impl)
    arguments = constructor_kwargs(name, **kwargs)
    if spec.pretrained:
        return builder(weights=weights, **arguments)
    if weights == "imagenet":
        raise ValueError(f"{name} has no ImageNet weights: pass a checkpoint path or nothing")
    model = builder(**arguments)
    if weights is not None:
        from dfkit.training.checkpoint import load_model_weights

        load_model_weights(weights, model, arch=name)
    return model


def input_spec(name, image_size=None, clip_len=None, impl=None):
    """:class:`InputSpec` of ``name``: its module's INPUT_SIZE / MEAN / STD (``image_size`` overrides the
    size, refused for fixed-size detectors) and its recipe's clip length (``clip_len`` overrides it)."""
    spec = get(name)
    module = _module(spec.module, impl)
    if image_size is not None and spec.fixed_size and image_size != module.INPUT_SIZE:
        raise ValueError(f"{name} reads {module.INPUT_SIZE} px inputs only (its layers are sized for them); "
                         f"got image size {image_size}")
    return InputSpec(image_size or module.INPUT_SIZE, tuple(module.MEAN), tuple(module.STD),
                     clip_len or spec.recipe.clip_len)


def loss_function(name, impl=None):
    """The training loss of ``name``'s recipe, through the switch (None: the trainer's default)."""
    loss = get(name).recipe.loss
    return None if loss is None else _callable(loss, impl)


def fit_function(name, impl=None):
    """The closed-form fit of ``name``'s recipe (``Recipe(fit=...)``), through the switch; None for detectors
    trained by gradient descent."""
    fit = get(name).recipe.fit
    return None if fit is None else _callable(fit, impl)

