"""The risk model: how likely a finding is to end in a NaN loss, as ``low``/``medium``/``high``.

A finding's severity is a **score**: the sum of the points of the factors below, read from the
layer and its training context (``layer.context``: what feeds it, the input shape, the optimizer).
A factor the linter could not see adds nothing: the model never guesses. Every finding carries
the factors that set its score (``factors`` in JSON, ``--show-factors`` in text).

## Factors

| factor | value | points |
|---|---|---|
| activation | relu, elu, linear/None, leaky_relu, exponential, celu, softplus, threshold | +4 |
| | any other unbounded activation (selu, gelu, silu/swish, mish, ...) | +2 |
| | bounded (tanh, sigmoid, ...) or not known | 0 |
| optimizer | adaptive (Adam, Nadam, RMSprop, ...), learning rate >= 3e-3 | +2 |
| | adaptive, 1e-4 <= learning rate < 3e-3 (``'adam'``: 1e-3) | +1 |
| | adaptive, 2e-5 < learning rate < 1e-4 | 0 |
| | adaptive, learning rate <= 2e-5 | -3 |
| | not adaptive (SGD) | -3 |
| | an optimizer class the linter does not know (custom, add-ons) | 0 |
| units (or filters) | >= 256 | +1 |
| sequence length | >= 256 time steps | +1 |
| recurrent dropout | > 0 | +1 |
| input normalisation | fed by an unbounded layer (not Embedding), nothing normalising | +2 |
| clipping | clipnorm / clipvalue / global_clipnorm set (weak) | -0.5 |

The activation class is the one of ``recurrent_activation`` for KRL002 (the gates), and the
layer's ``activation`` for every other rule.

## Severity

``score >= 4``: **high**; ``score >= 2``: **medium**; otherwise **low**. Then two caps:

- a layer whose activations are all bounded (tanh with sigmoid gates) is at most **medium**:
  tanh never diverged at any learning rate tried;
- KRL004 (unbounded input) on a layer with a bounded ``activation`` is **low**: the input is
  squashed at every step, the risk is only slow training.

KRL101 (cuDNN fallback) is always **info**: it costs speed, not stability. KRL102
(``use_cudnn=True`` on a configuration cuDNN cannot run) is always **high**: Keras raises when the
layer is built.

## Evidence (Keras 3.15, TensorFlow 2.21, CPU)

- ``LSTM(512, activation='relu', recurrent_dropout=0.3)``, input (32, 672, 16), Nadam(4e-4,
  clipnorm=1), MaxNorm(0.5) constraints: NaN loss at step 7-10 in 3 of 3 seeds; without recurrent
  dropout at step 7; with tanh none in 72 steps. MaxNorm and clipnorm do not prevent it (hence
  clipping is weak). Published reports of the same model: lr 2e-5 stable, 5e-5 NaN by batch 4.
  This model scores 4 + 1 + 1 + 1 + 1 - 0.5 = 7.5: high; at lr 5e-5, 6.5: high; at lr 2e-5,
  3.5: medium.
- relu, 128 units, T=128, Nadam 4e-4: the state blows up in 1 of 3 runs within 30 steps, with
  recurrent_dropout 0.3 in 3 of 3; 256 units, T=256: NaN in 2-3 of 3 within 15 steps.
- lr 4e-3: relu/elu/linear blow up in ~90% of small configurations within 10 steps, selu in ~15%;
  tanh never, at any learning rate tried.
- Plain SGD did not blow up even at lr 1.0: adaptive optimizers are the danger, because their step
  size does not shrink with the gradient. SGD and an adaptive rate of 2e-5 or less count as much
  as the stable evidence says (-3): a relu layer alone then rates low.

The probe (``--probe``) calibrates the model further by training the flagged layer briefly.
"""

from __future__ import annotations

from dataclasses import dataclass

from kerasrnnlint import activations, producers
from kerasrnnlint.findings import Factor, Severity
from kerasrnnlint.ir import Arg, Producer, RecurrentLayer

# Activation classes (fast-diverging: see :data:`activations.FAST_DIVERGING`).
FAST_DIVERGING: frozenset[str] = activations.FAST_DIVERGING
FAST_DIVERGING_POINTS = 4.0
UNBOUNDED_POINTS = 2.0

# Optimizer family and learning rate.
HIGH_LR = 3e-3
MODERATE_LR = 1e-4
SAFE_LR = 2e-5
HIGH_LR_POINTS = 2.0
MODERATE_LR_POINTS = 1.0
SAFE_LR_POINTS = -3.0
NOT_ADAPTIVE_POINTS = -3.0
# The optimizers known not to be adaptive; any other class that is not adaptive is not known (a
# custom or add-on optimizer): it adds nothing, rather than the stability of SGD.
NOT_ADAPTIVE: frozenset[str] = frozenset({"SGD"})

# Size of the recurrence.
MANY_UNITS = 256
MANY_UNITS_POINTS = 1.0
LONG_SEQUENCE = 256
LONG_SEQUENCE_POINTS = 1.0

RECURRENT_DROPOUT_POINTS = 1.0
UNBOUNDED_INPUT_POINTS = 2.0
CLIPPING_POINTS = -0.5

# Producers the tables call unbounded that KRL004 and this model do not count: an Embedding is a
# trainable lookup table of small vectors (initialised in [-0.05, 0.05]) and the input of nearly
# every text model; flagging it would flag the canonical Embedding -> LSTM model.
LOOKUP_PRODUCERS: frozenset[str] = frozenset({"Embedding"})

HIGH_AT = 4.0
MEDIUM_AT = 2.0

# Rules whose severity does not depend on the risk of divergence.
FIXED: dict[str, tuple[Severity, Factor]] = {
    "KRL101": (Severity.INFO, Factor("kind", "speed", "info: costs speed, not stability")),
    "KRL102": (
        Severity.HIGH,
        Factor("kind", "build error", "high: Keras raises when the layer is built"),
    ),
}


@dataclass(frozen=True)
class Rating:
    severity: Severity
    factors: tuple[Factor, ...]


def number(arg: Arg) -> float | None:
    """The numeric value of a known argument (not a bool), else None."""
    value = arg.value
    if not arg.known or isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        return float(value)
    except OverflowError:  # an integer beyond any float (10**400 in source or JSON)
        return None


def canonical_activation(arg: Arg) -> str | None:
    """The canonical name of a known activation argument (``"linear"`` for None), else None."""
    if not arg.known or not (arg.value is None or isinstance(arg.value, str)):
        return None
    return activations.canonical(arg.value)


def bounded(name: str | None) -> bool:
    """True for a known bounded activation (``None`` here means *not known*, not linear)."""
    return name is not None and activations.is_bounded(name)


def points_text(points: float) -> str:
    return f"{points:+g}"


def activation_factor(param: str, name: str | None) -> tuple[float, Factor] | None:
    if name in FAST_DIVERGING:
        return FAST_DIVERGING_POINTS, Factor(param, name, points_text(FAST_DIVERGING_POINTS))
    if name is not None and activations.boundedness(name) == "unbounded":
        return UNBOUNDED_POINTS, Factor(param, name, points_text(UNBOUNDED_POINTS))
    return None


def optimizer_factors(layer: RecurrentLayer) -> list[tuple[float, Factor]]:
    opt = layer.context.optimizer
    if opt is None:
        return []
    found: list[tuple[float, Factor]] = []
    lr = opt.learning_rate
    if opt.cls in NOT_ADAPTIVE:
        found.append(
            (
                NOT_ADAPTIVE_POINTS,
                Factor("optimizer", f"{opt.cls} (not adaptive)", points_text(NOT_ADAPTIVE_POINTS)),
            )
        )
    elif opt.adaptive and lr is not None:
        if lr >= HIGH_LR:
            points = HIGH_LR_POINTS
        elif lr >= MODERATE_LR:
            points = MODERATE_LR_POINTS
        elif lr <= SAFE_LR:
            points = SAFE_LR_POINTS
        else:
            points = 0.0
        found.append((points, Factor("learning_rate", f"{opt.cls} {lr:g}", points_text(points))))
    if opt.clipped:
        clip = ", ".join(
            f"{name}={value:g}"
            for name, value in (
                ("clipnorm", opt.clipnorm),
                ("clipvalue", opt.clipvalue),
                ("global_clipnorm", opt.global_clipnorm),
            )
            if value is not None
        )
        found.append((CLIPPING_POINTS, Factor("clipping", clip, points_text(CLIPPING_POINTS))))
    return found


def size_factors(layer: RecurrentLayer) -> list[tuple[float, Factor]]:
    found: list[tuple[float, Factor]] = []
    param = "filters" if layer.cls.startswith("ConvLSTM") else "units"
    units = number(layer.arg(param))
    if units is not None and units >= MANY_UNITS:
        found.append((MANY_UNITS_POINTS, Factor(param, f"{units:g}", "+1")))
    steps = layer.context.timesteps
    if steps is not None and steps >= LONG_SEQUENCE:
        found.append((LONG_SEQUENCE_POINTS, Factor("sequence_length", str(steps), "+1")))
    return found


def dropout_factor(layer: RecurrentLayer) -> list[tuple[float, Factor]]:
    rate = number(layer.arg("recurrent_dropout"))
    if rate is None or rate <= 0:
        return []
    return [(RECURRENT_DROPOUT_POINTS, Factor("recurrent_dropout", f"{rate:g}", "+1"))]


def unnormalised_input(layer: RecurrentLayer) -> Producer | None:
    """The unbounded producer feeding the layer with no normalisation between, if visible."""
    producer = layer.context.producer
    if producer is None or producer.kind != "unbounded" or producer.cls in LOOKUP_PRODUCERS:
        return None
    return producer


def input_factor(layer: RecurrentLayer) -> list[tuple[float, Factor]]:
    producer = unnormalised_input(layer)
    if producer is None:
        return []
    shown = producer.activation and producer.cls not in producers.ACTIVATION_LAYERS
    what = producer.cls + (f"({producer.activation})" if shown else "")
    return [(UNBOUNDED_INPUT_POINTS, Factor("input", f"unnormalised {what}", "+2"))]


def all_bounded(layer: RecurrentLayer) -> bool:
    """True when the activation and (where there are gates) the recurrent activation are bounded."""
    params = ["activation"]
    if not layer.cls.startswith("SimpleRNN"):
        params.append("recurrent_activation")
    return all(bounded(canonical_activation(layer.arg(p))) for p in params)


def level(score: float) -> Severity:
    if score >= HIGH_AT:
        return Severity.HIGH
    if score >= MEDIUM_AT:
        return Severity.MEDIUM
    return Severity.LOW


def rate(code: str, layer: RecurrentLayer, default: Severity) -> Rating:
    """The severity of finding ``code`` on ``layer``, with the factors behind it."""
    if code in FIXED:
        severity, factor = FIXED[code]
        return Rating(severity, (factor,))
    param = "recurrent_activation" if code == "KRL002" else "activation"
    subject = canonical_activation(layer.arg(param))
    scored = [
        *filter(None, [activation_factor(param, subject)]),
        *optimizer_factors(layer),
        *size_factors(layer),
        *dropout_factor(layer),
        *input_factor(layer),
    ]
    score = sum(points for points, _ in scored)
    severity = level(score)
    factors = [factor for _, factor in scored]
    if code == "KRL004" and bounded(canonical_activation(layer.arg("activation"))):
        severity = Severity.LOW
        factors.append(Factor("activation", "bounded", "caps at low: the input is squashed"))
    elif severity > Severity.MEDIUM and all_bounded(layer):
        severity = Severity.MEDIUM
        factors.append(Factor("activations", "bounded", "caps at medium: tanh never diverged"))
    return Rating(severity, tuple(factors))
