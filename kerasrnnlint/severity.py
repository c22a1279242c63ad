"""The risk model: how likely a finding is to end in a NaN, as ``low``/``medium``/``high``.

For now the rating comes from the activation alone (issue 2); the training-context issue turns this
into the full documented model (units, sequence length, optimizer and learning rate, clipping,
recurrent dropout, input normalisation). Every rating carries the factors that set it.
"""

from __future__ import annotations

from dataclasses import dataclass

from kerasrnnlint import activations
from kerasrnnlint.findings import Factor, Severity
from kerasrnnlint.ir import RecurrentLayer

# Activations that blew up in ~90% of small probe configurations (lr 4e-3): relu, elu, linear.
FAST_DIVERGING: frozenset[str] = frozenset(
    {"relu", "elu", "linear", "exponential", "leaky_relu", "celu", "softplus", "threshold"}
)


@dataclass(frozen=True)
class Rating:
    severity: Severity
    factors: tuple[Factor, ...]


def activation_rating(value: object) -> Rating:
    name = activations.canonical(value if isinstance(value, str) else None)
    if name in FAST_DIVERGING:
        return Rating(Severity.HIGH, (Factor("activation", str(name), "diverges fast: high"),))
    return Rating(Severity.MEDIUM, (Factor("activation", str(name), "unbounded: medium"),))


def rate(code: str, layer: RecurrentLayer, default: Severity) -> Rating:
    """The severity of finding ``code`` on ``layer``, with the factors behind it."""
    if code == "KRL001":
        return activation_rating(layer.arg("activation").value)
    if code == "KRL002":
        return activation_rating(layer.arg("recurrent_activation").value)
    return Rating(default, ())
