"""The shared model of a recurrent layer (the IR).

Every frontend (Python source, saved model files, a live ``keras.Model``) turns what the user has
into these small frozen dataclasses; every rule, the severity model, the probe and every reporter
reads only these. Nothing here knows where a layer came from.

An argument the frontend could not resolve is *unknown* (``Arg.known is False``), never a guess.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Literal

# --------------------------------------------------------------------------------------------------
# Where things are
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True, order=True)
class Span:
    """A source range. Rows and columns are 1-based; ``end_column`` is exclusive (ruff's JSON)."""

    line: int
    column: int
    end_line: int
    end_column: int


@dataclass(frozen=True)
class Location:
    """Where a layer (or an argument, or a producer) is.

    Source files have a ``span``; saved models have a ``layer_path`` (``("encoder", "lstm_1")``);
    notebooks have a ``cell`` (1-based), and then ``span`` rows are rows inside that cell.
    """

    path: str
    span: Span | None = None
    layer_path: tuple[str, ...] = ()
    cell: int | None = None

    @property
    def line(self) -> int:
        return self.span.line if self.span else 1

    @property
    def column(self) -> int:
        return self.span.column if self.span else 1

    def display(self) -> str:
        """``path:line:col``, ``nb.ipynb:cell 4:12:5`` or ``model.keras › encoder › lstm_1``."""
        if self.layer_path:
            return " › ".join((self.path, *self.layer_path))
        if self.cell is not None:
            return f"{self.path}:cell {self.cell}:{self.line}:{self.column}"
        return f"{self.path}:{self.line}:{self.column}"


# --------------------------------------------------------------------------------------------------
# Values
# --------------------------------------------------------------------------------------------------

ArgValue = str | int | float | bool | None | tuple[object, ...]

# A Keras object argument (``*_constraint``, ``*_regularizer``, ``*_initializer``) written as an
# object, e.g. ``MaxNorm(0.5)`` or a saved ``{"class_name": "MaxNorm", "config": {...}}``, is the
# plain, hashable tuple ``("MaxNorm", (("max_value", 0.5),))``: the class name as in
# ``keras.constraints`` / ``keras.regularizers`` / ``keras.initializers``, then its config as
# sorted ``(key, value)`` pairs of resolved literals, without entries equal to Keras's defaults
# (so source and saved models agree). Names written as strings (``"max_norm"``) stay strings.
KerasObject = tuple[str, tuple[tuple[str, ArgValue], ...]]

OBJECT_ARG_SUFFIXES: Mapping[str, str] = {
    "_constraint": "constraints",
    "_regularizer": "regularizers",
    "_initializer": "initializers",
}

# Keyword-only arguments of Keras 3.x's variance-scaling initializers (saved as None).
_AXES: Mapping[str, ArgValue] = {"input_axes": None, "output_axes": None}

# Per Keras module: canonical class -> (positional parameters, defaults of its config).
KERAS_OBJECT_CLASSES: Mapping[str, Mapping[str, tuple[tuple[str, ...], Mapping[str, ArgValue]]]] = {
    "constraints": {
        "MaxNorm": (("max_value", "axis"), {"max_value": 2.0, "axis": 0}),
        "MinMaxNorm": (
            ("min_value", "max_value", "rate", "axis"),
            {"min_value": 0.0, "max_value": 1.0, "rate": 1.0, "axis": 0},
        ),
        "NonNeg": ((), {}),
        "UnitNorm": (("axis",), {"axis": 0}),
    },
    "regularizers": {
        "L1": (("l1",), {"l1": 0.01}),
        "L2": (("l2",), {"l2": 0.01}),
        "L1L2": (("l1", "l2"), {"l1": 0.0, "l2": 0.0}),
        "OrthogonalRegularizer": (("factor", "mode"), {"factor": 0.01, "mode": "rows"}),
    },
    "initializers": {
        **{
            name: (("seed",), {"seed": None, **_AXES})
            for name in (
                "GlorotUniform",
                "GlorotNormal",
                "HeUniform",
                "HeNormal",
                "LecunUniform",
                "LecunNormal",
            )
        },
        "Zeros": ((), {}),
        "Ones": ((), {}),
        "Constant": (("value",), {"value": 0.0}),
        "Identity": (("gain",), {"gain": 1.0}),
        "Orthogonal": (("gain", "seed"), {"gain": 1.0, "seed": None}),
        "RandomNormal": (("mean", "stddev", "seed"), {"mean": 0.0, "stddev": 0.05, "seed": None}),
        "TruncatedNormal": (
            ("mean", "stddev", "seed"),
            {"mean": 0.0, "stddev": 0.05, "seed": None},
        ),
        "RandomUniform": (
            ("minval", "maxval", "seed"),
            {"minval": -0.05, "maxval": 0.05, "seed": None},
        ),
        "VarianceScaling": (
            ("scale", "mode", "distribution", "seed"),
            {
                "scale": 1.0,
                "mode": "fan_in",
                "distribution": "truncated_normal",
                "seed": None,
                **_AXES,
            },
        ),
    },
}

# Lower-case aliases Keras exports for the same classes (``keras.constraints.max_norm``).
_OBJECT_ALIASES: Mapping[str, str] = {
    "max_norm": "MaxNorm",
    "min_max_norm": "MinMaxNorm",
    "non_neg": "NonNeg",
    "unit_norm": "UnitNorm",
    "l1": "L1",
    "l2": "L2",
    "l1_l2": "L1L2",
    "orthogonal_regularizer": "OrthogonalRegularizer",
    "IdentityInitializer": "Identity",
}


def object_module(arg_name: str) -> str | None:
    """``"constraints"`` for ``kernel_constraint`` (likewise regularizers, initializers)."""
    for suffix, module in OBJECT_ARG_SUFFIXES.items():
        if arg_name.endswith(suffix):
            return module
    return None


def object_class(module: str, name: str) -> str | None:
    """The canonical class of ``keras.<module>`` that ``name`` names, or None."""
    classes = KERAS_OBJECT_CLASSES.get(module, {})
    canonical = _OBJECT_ALIASES.get(name, name)
    return canonical if canonical in classes else None


def keras_object(module: str, cls: str, config: Mapping[str, ArgValue]) -> KerasObject:
    """The IR value of a Keras object (see :data:`KerasObject`); entries equal to the class's
    defaults are left out. ``cls`` must be canonical (:func:`object_class`)."""
    defaults = KERAS_OBJECT_CLASSES.get(module, {}).get(cls, ((), {}))[1]
    items = tuple(
        sorted(
            (k, v)
            for k, v in config.items()
            if not (k in defaults and v == defaults[k] and type(v) is not bool)
        )
    )
    return (cls, items)


def as_keras_object(value: object) -> KerasObject | None:
    """``value`` when it has the :data:`KerasObject` shape, else None."""
    if (
        isinstance(value, tuple)
        and len(value) == 2
        and isinstance(value[0], str)
        and isinstance(value[1], tuple)
        and all(isinstance(i, tuple) and len(i) == 2 and isinstance(i[0], str) for i in value[1])
    ):
        return (value[0], value[1])
    return None


@dataclass(frozen=True)
class Arg:
    """One resolved argument of a layer.

    ``value`` is a plain Python value. Activations are canonical Keras names (``"relu"``), with
    ``None`` and ``"linear"`` both meaning the identity. ``origin`` says, for people, where the
    value came from: ``"literal"``, ``"constant `ACT`"``, ``"default of parameter `act`"``,
    ``"Keras default"``, ``"saved config"``. ``span`` is the source range of the value expression
    (used by fixes); ``keyword`` is False when the value was passed positionally.
    """

    value: ArgValue = None
    known: bool = True
    origin: str = "literal"
    span: Span | None = None
    keyword: bool = True

    @staticmethod
    def unknown(why: str, span: Span | None = None) -> Arg:
        return Arg(value=None, known=False, origin=why, span=span)

    @staticmethod
    def default(value: ArgValue) -> Arg:
        return Arg(value=value, known=True, origin="Keras default")


# Keras's defaults for the arguments the rules and the probe read, per recurrent class. An argument
# that is absent from a layer's call takes this value (unless an unresolved ``**kwargs`` might have
# set it: then it is unknown).
_COMMON_DEFAULTS: Mapping[str, ArgValue] = {
    "activation": "tanh",
    "recurrent_activation": "sigmoid",
    "use_bias": True,
    "dropout": 0.0,
    "recurrent_dropout": 0.0,
    "unroll": False,
    "use_cudnn": "auto",
    "return_sequences": False,
    "kernel_constraint": None,
    "recurrent_constraint": None,
    "bias_constraint": None,
}
_GRU_DEFAULTS: Mapping[str, ArgValue] = {**_COMMON_DEFAULTS, "reset_after": True}
_SIMPLE_DEFAULTS: Mapping[str, ArgValue] = {
    k: v for k, v in _COMMON_DEFAULTS.items() if k != "recurrent_activation"
}

KERAS_DEFAULTS: Mapping[str, Mapping[str, ArgValue]] = {
    "LSTM": _COMMON_DEFAULTS,
    "LSTMCell": _COMMON_DEFAULTS,
    "GRU": _GRU_DEFAULTS,
    "GRUCell": _GRU_DEFAULTS,
    "SimpleRNN": _SIMPLE_DEFAULTS,
    "SimpleRNNCell": _SIMPLE_DEFAULTS,
    "ConvLSTM1D": _COMMON_DEFAULTS,
    "ConvLSTM2D": _COMMON_DEFAULTS,
    "ConvLSTM3D": _COMMON_DEFAULTS,
}

# Positional parameters after the first (units / filters), in Keras's signature order.
POSITIONAL_PARAMS: Mapping[str, tuple[str, ...]] = {
    "LSTM": ("units", "activation", "recurrent_activation", "use_bias"),
    "LSTMCell": ("units", "activation", "recurrent_activation", "use_bias"),
    "GRU": ("units", "activation", "recurrent_activation", "use_bias"),
    "GRUCell": ("units", "activation", "recurrent_activation", "use_bias"),
    "SimpleRNN": ("units", "activation", "use_bias"),
    "SimpleRNNCell": ("units", "activation", "use_bias"),
    "ConvLSTM1D": (
        "filters",
        "kernel_size",
        "strides",
        "padding",
        "data_format",
        "dilation_rate",
        "activation",
        "recurrent_activation",
    ),
    "ConvLSTM2D": (
        "filters",
        "kernel_size",
        "strides",
        "padding",
        "data_format",
        "dilation_rate",
        "activation",
        "recurrent_activation",
    ),
    "ConvLSTM3D": (
        "filters",
        "kernel_size",
        "strides",
        "padding",
        "data_format",
        "dilation_rate",
        "activation",
        "recurrent_activation",
    ),
}

RECURRENT_CLASSES: frozenset[str] = frozenset(KERAS_DEFAULTS)
CELL_CLASSES: frozenset[str] = frozenset({"LSTMCell", "GRUCell", "SimpleRNNCell"})
# Fixed-tanh legacy layers: recognised, never flagged.
FIXED_TANH_CLASSES: frozenset[str] = frozenset({"CuDNNLSTM", "CuDNNGRU"})
WRAPPER_CLASSES: frozenset[str] = frozenset(
    {"Bidirectional", "TimeDistributed", "RNN", "StackedRNNCells"}
)


# --------------------------------------------------------------------------------------------------
# Training context: what feeds the layer, the input shape, the optimizer
# --------------------------------------------------------------------------------------------------

ProducerKind = Literal["input", "normalizing", "bounded", "unbounded", "unknown"]


@dataclass(frozen=True)
class Producer:
    """The layer whose output feeds a recurrent layer, after looking through pass-through layers.

    ``kind`` is ``"input"`` for the model input, ``"normalizing"`` for Batch/Layer/Group/Unit
    normalisation, ``"bounded"`` for a squashing producer, ``"unbounded"`` for e.g. a relu or
    linear Conv1D/Dense or a ReLU layer, ``"unknown"`` when it could not be told.
    """

    cls: str
    kind: ProducerKind
    activation: str | None = None
    location: Location | None = None
    name: str | None = None


ADAPTIVE_OPTIMIZERS: frozenset[str] = frozenset(
    {
        "Adam",
        "AdamW",
        "Adamax",
        "Nadam",
        "RMSprop",
        "Adagrad",
        "Adadelta",
        "Adafactor",
        "Ftrl",
        "Lion",
        "Lamb",
        "Muon",  # orthogonalised updates of a fixed size (AdamW for the rest): does not shrink
        "LossScaleOptimizer",
    }
)

# Keras's default learning rates (Keras 3), used when an optimizer is named by string or built
# without one.
DEFAULT_LEARNING_RATES: Mapping[str, float] = {
    "SGD": 0.01,
    "Adam": 0.001,
    "AdamW": 0.001,
    "Adamax": 0.001,
    "Nadam": 0.001,
    "RMSprop": 0.001,
    "Adagrad": 0.001,
    "Adadelta": 0.001,
    "Adafactor": 0.001,
    "Ftrl": 0.001,
    "Lion": 0.001,
    "Lamb": 0.001,
    "Muon": 0.001,
}


@dataclass(frozen=True)
class Optimizer:
    """The optimizer that trains the model containing the layer.

    ``learning_rate`` is None when it could not be seen (for a schedule: its initial rate).
    """

    cls: str
    learning_rate: float | None = None
    clipnorm: float | None = None
    clipvalue: float | None = None
    global_clipnorm: float | None = None
    origin: str = "literal"
    location: Location | None = None

    @property
    def adaptive(self) -> bool:
        return self.cls in ADAPTIVE_OPTIMIZERS

    @property
    def clipped(self) -> bool:
        return any(v is not None for v in (self.clipnorm, self.clipvalue, self.global_clipnorm))


@dataclass(frozen=True)
class Context:
    """What the layer is trained with. Every field None means "not visible" (never a guess)."""

    producer: Producer | None = None
    timesteps: int | None = None
    features: int | None = None
    optimizer: Optimizer | None = None


# --------------------------------------------------------------------------------------------------
# The recurrent layer
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RecurrentLayer:
    """One recurrent layer or cell, as every frontend describes it.

    ``cls`` is the canonical Keras class (``"LSTM"``, ``"GRUCell"``, ``"ConvLSTM2D"``).
    ``args`` holds the arguments that were written (or saved); :meth:`arg` fills in Keras's
    defaults. ``open_kwargs`` is True when an unresolved ``**kwargs`` may set more arguments: then
    an absent argument is unknown rather than defaulted. ``wrappers`` lists the enclosing wrappers,
    outermost first (``("Bidirectional",)``, ``("RNN",)``).
    """

    cls: str
    location: Location
    args: tuple[tuple[str, Arg], ...] = ()
    wrappers: tuple[str, ...] = ()
    name: str | None = None
    open_kwargs: bool = False
    context: Context = field(default_factory=Context)
    # Source only: the span of the outermost wrapper call written around this layer's call
    # (``Bidirectional(\n    LSTM(...)\n)``), whose lines a suppression comment may also sit on.
    enclosing_span: Span | None = None

    def arg(self, name: str) -> Arg:
        for key, value in self.args:
            if key == name:
                return value
        if self.open_kwargs:
            return Arg.unknown("may be set by an unresolved `**kwargs`")
        defaults = KERAS_DEFAULTS.get(self.cls, {})
        if name in defaults:
            return Arg.default(defaults[name])
        return Arg.unknown("not given and no known Keras default")

    def has_arg(self, name: str) -> bool:
        return any(key == name for key, _ in self.args)

    def with_args(self, **changes: ArgValue) -> RecurrentLayer:
        """A copy with some arguments replaced (used by fixes and the probe)."""
        kept = tuple((k, v) for k, v in self.args if k not in changes)
        added = tuple((k, Arg(value=v, origin="fix")) for k, v in changes.items())
        return replace(self, args=kept + added)

    def with_context(self, context: Context) -> RecurrentLayer:
        return replace(self, context=context)

    @property
    def display_name(self) -> str:
        """``Bidirectional(LSTM)`` style name for messages."""
        text = self.cls
        for wrapper in reversed(self.wrappers):
            text = f"{wrapper}({text})"
        return text
