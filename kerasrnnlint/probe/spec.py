"""What a probe trains, as plain JSON: the layer rebuilt from the IR, data shapes, optimizer.

Pure and TensorFlow-free: the lint process builds these specs, hashes them for the cache and sends
them to the child process, which hands them to :mod:`kerasrnnlint.probe.trainer`.

The two tiers (measured in issue 4):

* ``stress``: the layer's own configuration at a fixed size, trained hard: 128 units, input
  (32, 128, 16) drawn fresh from N(0, 1) each step, 5 of 32 labels positive, a Dense(1, sigmoid)
  head, Nadam(learning_rate=0.1, clipnorm=1.0), binary cross-entropy, at most 6 steps.
* ``replay``: the user's units, sequence length, features, optimizer class, learning rate and
  clipping (defaults when unknown, listed in ``defaults_used``), until the first non-finite value
  or the time budget.

A run is ``confirmed`` when the loss, h or the gradient norm is non-finite or max |h| > 1e3 (h, not
c: the LSTM cell state is unbounded even with tanh).
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from kerasrnnlint import activations
from kerasrnnlint.findings import Fix
from kerasrnnlint.ir import (
    CELL_CLASSES,
    DEFAULT_LEARNING_RATES,
    KERAS_DEFAULTS,
    RecurrentLayer,
    as_keras_object,
)

Mode = Literal["stress", "replay"]

SPEC_VERSION = 2  # bump when the meaning of a spec or of a verdict changes (invalidates the cache)

H_LIMIT = 1e3
SEED = 0

STRESS_UNITS = 128
STRESS_BATCH = 32
STRESS_TIMESTEPS = 128
STRESS_FEATURES = 16
STRESS_STEPS = 6
STRESS_OPTIMIZER: Mapping[str, Any] = {
    "cls": "Nadam",
    "learning_rate": 0.1,
    "clipnorm": 1.0,
    "clipvalue": None,
    "global_clipnorm": None,
}
POSITIVE_LABELS = 5  # of the batch

REPLAY_BATCH = 32
REPLAY_UNITS = 128
REPLAY_TIMESTEPS = 100
REPLAY_FEATURES = 16
REPLAY_OPTIMIZER = "Adam"
REPLAY_MAX_STEPS = 1000

# ConvLSTM: small sensible shapes (both tiers): batch 8, 16 steps, 8 cells per spatial axis.
CONV_BATCH = 8
CONV_TIMESTEPS = 16
CONV_SIDE = 8
CONV_CHANNELS = 4
CONV_FILTERS = 16
CONV_RANK: Mapping[str, int] = {"ConvLSTM1D": 1, "ConvLSTM2D": 2, "ConvLSTM3D": 3}

# Arguments rebuilt from the IR when known. Plain-valued ones are passed as they are; the
# "object" ones (initializers, constraints, regularizers) when they are a Keras name string or a
# Keras object (``ir.KerasObject``: ``MaxNorm(0.5)``), passed as ``{"class_name", "config"}``.
PLAIN_ARGS: tuple[str, ...] = (
    "use_bias",
    "dropout",
    "recurrent_dropout",
    "unroll",
    "reset_after",
    "unit_forget_bias",
    "go_backwards",
)
OBJECT_ARGS: tuple[str, ...] = (
    "kernel_initializer",
    "recurrent_initializer",
    "bias_initializer",
    "kernel_constraint",
    "recurrent_constraint",
    "bias_constraint",
    "kernel_regularizer",
    "recurrent_regularizer",
    "bias_regularizer",
)
CONV_ARGS: tuple[str, ...] = ("kernel_size", "strides", "dilation_rate")

CUSTOM_HINT = (
    "the source probe never runs scanned code; probe the real object in-process with "
    "`kerasrnnlint.probe_model(model)` or "
    "`kerasrnnlint.probe.trainer.probe_layer(layer, activation=your_function)`"
)


@dataclass(frozen=True)
class SpecOutcome:
    """A spec to run, or why none can be built (``unknown``), and the defaults the rebuild used."""

    spec: dict[str, Any] | None
    defaults_used: tuple[str, ...] = ()
    unknown: str | None = None


def _activation(
    layer: RecurrentLayer, name: str, overridden: bool
) -> tuple[str | None, str | None]:
    """(canonical activation name, why it cannot be rebuilt)."""
    if overridden:
        return "__callable__", None
    arg = layer.arg(name)
    if not arg.known:
        return None, f"`{name}` is not known ({arg.origin}): {CUSTOM_HINT}"
    value = arg.value
    if value is not None and not isinstance(value, str):
        return None, f"`{name}` is not a Keras activation name: {CUSTOM_HINT}"
    canonical = activations.canonical(value)
    if canonical is None:
        return None, f"`{name}` {value!r} is a custom activation: {CUSTOM_HINT}"
    return canonical, None


def _int_arg(layer: RecurrentLayer, name: str) -> int | None:
    arg = layer.arg(name)
    if arg.known and isinstance(arg.value, int) and not isinstance(arg.value, bool):
        return arg.value
    return None


def _producer(layer: RecurrentLayer, defaults: list[str]) -> dict[str, Any] | None:
    producer = layer.context.producer
    if producer is None or producer.kind not in ("unbounded", "bounded"):
        return None
    act = producer.activation
    cls = producer.cls
    if cls.startswith(("Conv", "SeparableConv", "DepthwiseConv", "Convolution")):
        kind = "conv1d"
    elif cls in ("ReLU", "LeakyReLU", "ELU", "PReLU", "ThresholdedReLU", "Activation", "Softmax"):
        kind = "activation"
        act = act or {"ReLU": "relu", "LeakyReLU": "leaky_relu", "ELU": "elu"}.get(cls, "relu")
    else:
        kind = "dense"
        if cls != "Dense":
            defaults.append(f"producer {cls} approximated by a Dense layer")
    act = activations.canonical(act) or "linear"
    return {"kind": kind, "cls": cls, "activation": act}


def _optimizer(layer: RecurrentLayer, mode: Mode, defaults: list[str]) -> dict[str, Any]:
    if mode == "stress":
        return dict(STRESS_OPTIMIZER)
    opt = layer.context.optimizer
    if opt is None:
        default_lr = DEFAULT_LEARNING_RATES[REPLAY_OPTIMIZER]
        defaults.append(f"optimizer {REPLAY_OPTIMIZER}(learning_rate={default_lr}) (not visible)")
        return {
            "cls": REPLAY_OPTIMIZER,
            "learning_rate": default_lr,
            "clipnorm": None,
            "clipvalue": None,
            "global_clipnorm": None,
        }
    cls = opt.cls
    if cls not in DEFAULT_LEARNING_RATES:
        defaults.append(f"optimizer {REPLAY_OPTIMIZER} in place of {cls}")
        cls = REPLAY_OPTIMIZER
    lr: float | None = opt.learning_rate
    if lr is None:
        lr = DEFAULT_LEARNING_RATES[cls]
        defaults.append(f"learning_rate={lr} (not visible)")
    return {
        "cls": cls,
        "learning_rate": float(lr),
        "clipnorm": opt.clipnorm,
        "clipvalue": opt.clipvalue,
        "global_clipnorm": opt.global_clipnorm,
    }


def build_spec(
    layer: RecurrentLayer,
    mode: Mode = "stress",
    *,
    with_producer: bool = False,
    normalize: bool = False,
    override_activation: bool = False,
    override_recurrent_activation: bool = False,
) -> SpecOutcome:
    """The spec that rebuilds ``layer`` for a probe of the given tier.

    ``with_producer`` puts the layer's producer (``layer.context.producer``) in front (KRL004);
    ``normalize`` adds a LayerNormalization in front of the recurrent layer (the KRL004 fix).
    The ``override_*`` flags say that the in-process caller hands the real callable.
    """
    defaults: list[str] = []
    cls = layer.cls
    if cls not in CELL_CLASSES and cls not in CONV_RANK and cls not in ("LSTM", "GRU", "SimpleRNN"):
        return SpecOutcome(None, unknown=f"{cls} is not a layer the probe can rebuild")
    act, why = _activation(layer, "activation", override_activation)
    if why:
        return SpecOutcome(None, unknown=why)
    kwargs: dict[str, Any] = {"activation": act}
    if cls not in ("SimpleRNN", "SimpleRNNCell"):
        ract, why = _activation(layer, "recurrent_activation", override_recurrent_activation)
        if why:
            return SpecOutcome(None, unknown=why)
        kwargs["recurrent_activation"] = ract
    known_defaults = KERAS_DEFAULTS.get(cls, {})
    for name in PLAIN_ARGS:
        if not (layer.has_arg(name) or name in known_defaults):
            continue  # not an argument of this class, or absent with no default to state
        arg = layer.arg(name)
        if arg.known and isinstance(arg.value, (bool, int, float)):
            kwargs[name] = arg.value
        else:
            defaults.append(f"{name} (Keras default; {arg.origin})")
    for name in OBJECT_ARGS:
        if not layer.has_arg(name):
            continue
        arg = layer.arg(name)
        found = as_keras_object(arg.value) if arg.known else None
        if arg.known and (arg.value is None or isinstance(arg.value, str)):
            kwargs[name] = arg.value
        elif found is not None:
            # rebuilt in the child with keras.<module>.get (trainer.rebuild_objects)
            kwargs[name] = {"class_name": found[0], "config": dict(found[1])}
        else:
            defaults.append(f"{name} (Keras default; not a Keras name)")
    if (cls in CELL_CLASSES or cls in CONV_RANK) and kwargs.pop("unroll", False):
        defaults.append(f"unroll (not an argument the probe can pass to {cls})")
    if cls in CELL_CLASSES:
        kwargs.pop("go_backwards", None)
    if layer.wrappers:
        defaults.append(f"probed without its wrappers {', '.join(layer.wrappers)}")

    rank = CONV_RANK.get(cls)
    spec: dict[str, Any] = {"version": SPEC_VERSION, "tier": mode, "cls": cls, "seed": SEED}
    if rank is not None:
        filters = _int_arg(layer, "filters")
        if mode == "stress" or filters is None:
            if mode == "replay":
                defaults.append(f"filters={CONV_FILTERS} (not known)")
            filters = CONV_FILTERS
        for name in CONV_ARGS:
            arg = layer.arg(name)
            if layer.has_arg(name) and arg.known and isinstance(arg.value, (int, tuple)):
                kwargs[name] = arg.value
        kwargs.setdefault("kernel_size", 3)
        kwargs["padding"] = "same"
        spec.update(
            units=filters,
            batch=CONV_BATCH,
            timesteps=CONV_TIMESTEPS,
            features=CONV_CHANNELS,
            spatial=[CONV_SIDE] * rank,
        )
        defaults.append(
            f"ConvLSTM input ({CONV_BATCH}, {CONV_TIMESTEPS}, {', '.join([str(CONV_SIDE)] * rank)}"
            f", {CONV_CHANNELS}), padding='same'"
        )
    elif mode == "stress":
        spec.update(
            units=STRESS_UNITS,
            batch=STRESS_BATCH,
            timesteps=STRESS_TIMESTEPS,
            features=STRESS_FEATURES,
            spatial=[],
        )
    else:
        units = _int_arg(layer, "units")
        if units is None:
            units = REPLAY_UNITS
            defaults.append(f"units={units} (not known)")
        timesteps = layer.context.timesteps
        if timesteps is None:
            timesteps = REPLAY_TIMESTEPS
            defaults.append(f"timesteps={timesteps} (input shape not visible)")
        features = layer.context.features
        if features is None:
            features = REPLAY_FEATURES
            defaults.append(f"features={features} (input shape not visible)")
        spec.update(
            units=units, batch=REPLAY_BATCH, timesteps=timesteps, features=features, spatial=[]
        )
    spec["kwargs"] = kwargs
    spec["optimizer"] = _optimizer(layer, mode, defaults)
    spec["producer"] = _producer(layer, defaults) if with_producer else None
    spec["normalize"] = normalize
    spec["max_steps"] = STRESS_STEPS if mode == "stress" else REPLAY_MAX_STEPS
    spec["h_limit"] = H_LIMIT
    return SpecOutcome(spec, tuple(dict.fromkeys(defaults)))


def fix_spec(
    layer: RecurrentLayer,
    fix: Fix,
    mode: Mode,
    *,
    with_producer: bool = False,
    override_activation: bool = False,
    override_recurrent_activation: bool = False,
) -> SpecOutcome:
    """The spec of the same probe with ``fix`` applied."""
    changed = {name for name, _ in fix.changes}
    return build_spec(
        fix.apply(layer),
        mode,
        with_producer=with_producer,
        normalize=fix.normalize_input,
        override_activation=override_activation and "activation" not in changed,
        override_recurrent_activation=override_recurrent_activation
        and "recurrent_activation" not in changed,
    )


def fix_run(spec: Mapping[str, Any], base: Mapping[str, Any]) -> dict[str, Any]:
    """The fix spec as it runs after ``base`` (a run result): for replay, 1.5x the steps the
    unfixed layer needed to diverge (at least 3 more), so that "finite" means something."""
    run = dict(spec)
    step = base.get("step")
    if run.get("tier") == "replay" and isinstance(step, int):
        run["max_steps"] = max(step + 3, math.ceil(1.5 * step))
    return run


def spec_key(spec: Mapping[str, Any], environment: Mapping[str, Any]) -> str:
    """A stable hash of a spec plus what else decides its result (Keras version, device)."""
    text = json.dumps({"spec": spec, "env": environment}, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:32]
